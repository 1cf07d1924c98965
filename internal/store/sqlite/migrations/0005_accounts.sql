-- 0005: self-registered accounts and one-time values. (0004 belongs to
-- another change; the runner applies every version not yet recorded, in
-- order, so the gap is harmless.)

-- A registered account is a user with the bcrypt hash of its password;
-- users from credentials.csv keep '' (their passwords live in the file).
-- Both share one id space, so a registered player is a player like any
-- other. A reset deletes events, never users.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';

-- Registered usernames are unique ignoring case (they are stored
-- lowercased). A registration is also refused for a credentials.csv
-- user of that name in any case; that check runs in the writing
-- transaction (CreateAccount), as csv names may repeat ignoring case.
CREATE UNIQUE INDEX users_account_name ON users (lower(username)) WHERE password_hash <> '';

-- One-time values (registration proofs of work), kept until they expire
-- so that each is accepted once.
CREATE TABLE used_once (
    key        TEXT    NOT NULL PRIMARY KEY,
    expires_ms INTEGER NOT NULL -- Unix milliseconds
) STRICT, WITHOUT ROWID;
CREATE INDEX used_once_by_expiry ON used_once (expires_ms);
