-- 0001: the ctfg schema for PostgreSQL, the twin of SQLite's (0001–0003):
-- the same tables, columns and unique constraints, so both backends pass
-- the same conformance suite (internal/store/storetest).

-- Players from credentials.csv. Ids are assigned by SyncUsers, under a
-- lock, as max(id)+1 in file order: a sequence could interleave two
-- instances' new users.
CREATE TABLE users (
    id         bigint PRIMARY KEY,
    username   text   NOT NULL UNIQUE,
    created_ms bigint NOT NULL
);

-- The append-only event log, the source of truth for every view on every
-- instance. Ids come from log_head (below), never from a sequence.
CREATE TABLE events (
    id           bigint PRIMARY KEY,
    type         text   NOT NULL CHECK (type <> ''),
    user_id      bigint REFERENCES users (id), -- NULL: no player (a reset)
    challenge_id bigint NOT NULL DEFAULT 0,
    hint_id      bigint NOT NULL DEFAULT 0,
    points       bigint NOT NULL DEFAULT 0,
    ts           bigint NOT NULL,              -- Unix milliseconds
    name         text   NOT NULL DEFAULT '',
    data         text   NOT NULL DEFAULT ''    -- opaque JSON payload
);

-- One solve per player and challenge, one purchase per hint, whatever the
-- number of instances writing.
CREATE UNIQUE INDEX events_one_score ON events (user_id, challenge_id) WHERE type = 'score';
CREATE UNIQUE INDEX events_one_hint ON events (user_id, challenge_id, hint_id) WHERE type = 'hint';

-- The last event id handed out. Every Append first moves it forward with
-- UPDATE ... RETURNING, which holds this row's lock until the transaction
-- ends: appends are serialized, so ids are in commit order (see
-- events.go), and every rule checked in an Append sees every commit
-- before it.
CREATE TABLE log_head (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_id bigint  NOT NULL
);
INSERT INTO log_head (one, last_id) VALUES (true, 0);

-- Current display names; name_key is game.NameKey(name), unique.
CREATE TABLE names (
    user_id  bigint PRIMARY KEY REFERENCES users (id),
    name     text   NOT NULL,
    name_key text   NOT NULL
);
CREATE UNIQUE INDEX names_by_key ON names (name_key);

-- Login sessions, keyed by the hash of the token (never the token).
CREATE TABLE sessions (
    token_hash bytea  PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    created_ms bigint NOT NULL
);

-- Persistent server values (stream secret, token epoch).
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- Wrong flag submissions, for disputes and brute-force review.
CREATE TABLE wrong_guesses (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    challenge_id bigint NOT NULL,
    guess        text   NOT NULL,
    ts           bigint NOT NULL -- Unix milliseconds
);
CREATE INDEX wrong_guesses_by_ts ON wrong_guesses (ts, id);
CREATE INDEX wrong_guesses_by_user ON wrong_guesses (user_id, ts);

-- Shared token buckets (wrong flags, failed logins across instances).
CREATE TABLE limits (
    key        text             PRIMARY KEY,
    tokens     double precision NOT NULL,
    updated_ms bigint           NOT NULL
);
