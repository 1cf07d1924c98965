-- 0001: the first ctfg schema. Tables are STRICT so a value of the wrong
-- type is an error instead of being stored silently.

-- Players from credentials.csv. Ids are plain rowids: users are never
-- deleted, so a new user always gets max(id)+1, which is what keeps ids
-- stable and in file order.
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    username   TEXT    NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL
) STRICT;

-- The append-only event log, the source of truth for every view.
-- AUTOINCREMENT (not a plain rowid) so that an id is never handed out
-- twice, not even after Reset empties the table: browsers and other
-- instances resume the stream by id.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    type         TEXT    NOT NULL CHECK (type IN ('score', 'hint', 'rename')),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    challenge_id INTEGER NOT NULL DEFAULT 0,
    hint_id      INTEGER NOT NULL DEFAULT 0,
    points       INTEGER NOT NULL DEFAULT 0,
    ts           INTEGER NOT NULL,
    name         TEXT    NOT NULL DEFAULT ''
) STRICT;

-- The database itself makes a second solve of a challenge, or a second
-- purchase of a hint, by the same player impossible, whatever the
-- concurrency or the number of processes writing.
CREATE UNIQUE INDEX events_one_score ON events (user_id, challenge_id) WHERE type = 'score';
CREATE UNIQUE INDEX events_one_hint ON events (user_id, challenge_id, hint_id) WHERE type = 'hint';

-- Current display names. name_key is game.NameKey(name); its unique index
-- keeps display names unique ignoring case in the database itself.
CREATE TABLE names (
    user_id  INTEGER PRIMARY KEY REFERENCES users (id),
    name     TEXT    NOT NULL,
    name_key TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX names_by_key ON names (name_key);

-- Login sessions, keyed by the hash of the token (never the token).
CREATE TABLE sessions (
    token_hash BLOB    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Persistent server values (e.g. the game's start time).
CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
