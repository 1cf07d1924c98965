-- 0002: the submission log replaces the wrong-guess log, the twin of
-- SQLite's 0004: every flag submission and award, whatever its result,
-- with the client address; the guess for incorrect submissions only.
CREATE TABLE submissions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts           bigint NOT NULL,            -- Unix milliseconds
    user_id      bigint NOT NULL REFERENCES users (id),
    challenge_id bigint NOT NULL,            -- as sent
    result       text   NOT NULL CHECK (result <> ''),
    address      text   NOT NULL DEFAULT '',
    guess        text   NOT NULL DEFAULT ''
);

-- Every wrong guess stays readable, as an incorrect submission with its
-- id; new ids continue above them.
INSERT INTO submissions (id, ts, user_id, challenge_id, result, guess) OVERRIDING SYSTEM VALUE
SELECT id, ts, user_id, challenge_id, 'incorrect', guess FROM wrong_guesses ORDER BY id;
SELECT setval(pg_get_serial_sequence('submissions', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM submissions), false);
DROP TABLE wrong_guesses;

-- Newest first through each filter (see SQLite's 0004).
CREATE INDEX submissions_by_user ON submissions (user_id, id);
CREATE INDEX submissions_by_challenge ON submissions (challenge_id, id);
CREATE INDEX submissions_by_result ON submissions (result, id);
