-- 0004: the submission log replaces the wrong-guess log: every flag
-- submission and award, whatever its result (correct, incorrect, refused
-- by the clock or the rate limit, ...), with the client address, for
-- disputes and brute-force review. Only the admin reads it; it is never
-- broadcast, and Reset deletes it with the events. The guess is kept for
-- incorrect submissions only (bounded by the caller: 200 bytes in the
-- app), so a right flag is never stored.
--
-- AUTOINCREMENT (the twin of PostgreSQL's identity): ids are never handed
-- out twice, not even after a reset, so an admin paging with before=<id>
-- never mixes two games.
CREATE TABLE submissions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ts           INTEGER NOT NULL, -- Unix milliseconds
    user_id      INTEGER NOT NULL REFERENCES users (id),
    challenge_id INTEGER NOT NULL, -- as sent, even when no challenge has it
    result       TEXT    NOT NULL CHECK (result <> ''),
    address      TEXT    NOT NULL DEFAULT '',
    guess        TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Every wrong guess stays readable, as an incorrect submission with its
-- id (no address was kept).
INSERT INTO submissions (id, ts, user_id, challenge_id, result, guess)
SELECT id, ts, user_id, challenge_id, 'incorrect', guess FROM wrong_guesses ORDER BY id;
DROP TABLE wrong_guesses;

-- Newest first through each filter: the admin's queries walk one of
-- these (or the primary key) backwards from their keyset bound and stop
-- after a page, whatever the size of the log.
CREATE INDEX submissions_by_user ON submissions (user_id, id);
CREATE INDEX submissions_by_challenge ON submissions (challenge_id, id);
CREATE INDEX submissions_by_result ON submissions (result, id);
