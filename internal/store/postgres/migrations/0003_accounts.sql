-- 0003: self-registered accounts and one-time values, the twin of
-- SQLite's 0005. (0002 belongs to another change; the runner applies
-- every version not yet recorded, in order, so the gap is harmless.)

-- A registered account is a user with the bcrypt hash of its password;
-- users from credentials.csv keep ''. A reset deletes events, never users.
ALTER TABLE users ADD COLUMN password_hash text NOT NULL DEFAULT '';

-- Registered usernames are unique ignoring case (stored lowercased).
CREATE UNIQUE INDEX users_account_name ON users (lower(username)) WHERE password_hash <> '';

-- One-time values (registration proofs of work), kept until they expire.
CREATE TABLE used_once (
    key        text   PRIMARY KEY,
    expires_ms bigint NOT NULL -- Unix milliseconds
);
CREATE INDEX used_once_by_expiry ON used_once (expires_ms);
