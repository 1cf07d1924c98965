-- 0002: wrong flag submissions, for disputes and brute-force review. Only
-- the admin dashboard reads them; they are never broadcast. Guesses are
-- bounded by the caller (200 bytes in the app), and Reset deletes them
-- with the events.
CREATE TABLE wrong_guesses (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    challenge_id INTEGER NOT NULL,
    guess        TEXT    NOT NULL,
    ts           INTEGER NOT NULL -- Unix milliseconds
) STRICT;

-- Newest first (the dashboard's latest-N query reads this index backwards
-- and stops after N rows), and one player's guesses in time order (disputes,
-- brute-force review). The rowid in every index entry breaks ties.
CREATE INDEX wrong_guesses_by_ts ON wrong_guesses (ts);
CREATE INDEX wrong_guesses_by_user ON wrong_guesses (user_id, ts);
