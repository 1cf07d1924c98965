-- 0003: the event log as the one source of every view (several instances
-- may share a PostgreSQL database; the SQLite schema stays its twin).
--
-- events is rebuilt, keeping every row and id, because SQLite cannot
-- drop a CHECK constraint in place:
--   * type: any non-empty type instead of only score, hint and rename, so
--     that new types (reset, clock, freeze, announcement, team) need no
--     migration and an older reader skips what it does not know;
--   * user_id: NULL for an event of no player (a reset);
--   * data: an opaque JSON payload for the types that need one.

CREATE TABLE events_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    type         TEXT    NOT NULL CHECK (type <> ''),
    user_id      INTEGER REFERENCES users (id),
    challenge_id INTEGER NOT NULL DEFAULT 0,
    hint_id      INTEGER NOT NULL DEFAULT 0,
    points       INTEGER NOT NULL DEFAULT 0,
    ts           INTEGER NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    data         TEXT    NOT NULL DEFAULT ''
) STRICT;

INSERT INTO events_new (id, type, user_id, challenge_id, hint_id, points, ts, name)
SELECT id, type, user_id, challenge_id, hint_id, points, ts, name FROM events;

-- AUTOINCREMENT's counter is the row of sqlite_sequence named after the
-- table. The copy gave events_new a counter of its largest id, which is
-- below the real one when the newest events were reset away: carry the
-- old counter over so that no id is ever handed out twice. DROP TABLE
-- removes the old row and the rename renames the new one.
DELETE FROM sqlite_sequence WHERE name = 'events_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';

DROP TABLE events;
ALTER TABLE events_new RENAME TO events;

CREATE UNIQUE INDEX events_one_score ON events (user_id, challenge_id) WHERE type = 'score';
CREATE UNIQUE INDEX events_one_hint ON events (user_id, challenge_id, hint_id) WHERE type = 'hint';

-- Shared token buckets (wrong flags, failed logins): tokens left at
-- updated_ms (Unix milliseconds). A missing row is a full bucket.
CREATE TABLE limits (
    key        TEXT    NOT NULL PRIMARY KEY,
    tokens     REAL    NOT NULL,
    updated_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
