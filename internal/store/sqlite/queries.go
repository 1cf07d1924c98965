package sqlite

// The SQL the backend runs on its hot paths, as named constants so that
// TestQueryPlans checks exactly the statements that run.
const (
	// qInsertEvent appends one event. ON CONFLICT DO NOTHING turns a
	// duplicate solve or hint purchase (the partial unique indexes
	// events_one_score and events_one_hint) into "no row returned"
	// instead of an error; every other constraint still fails.
	// A user id of 0 (an event of no player) is stored as NULL.
	qInsertEvent = `INSERT INTO events (type, user_id, challenge_id, hint_id, points, ts, name, data)
VALUES (?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
RETURNING id`

	// qPlayerPoints is a player's points: their solves and hint
	// purchases since the last reset (a reset deletes older events). Each
	// sum reads through the partial unique index of its type.
	qPlayerPoints = `SELECT coalesce((SELECT sum(points) FROM events WHERE user_id = ? AND type = 'score'), 0)
     + coalesce((SELECT sum(points) FROM events WHERE user_id = ? AND type = 'hint'), 0)`

	// qHintBought tells a duplicate hint purchase from an unaffordable one.
	qHintBought = `SELECT count(*) FROM events WHERE user_id = ? AND challenge_id = ? AND hint_id = ? AND type = 'hint'`

	// qResetBefore deletes the log before a reset event. Earlier reset
	// events go too but are not counted: Removed counts game events.
	// Register events stay: accounts outlive a reset (they are not game
	// events), and every reader of the log must keep finding them.
	qResetCount  = `SELECT count(*) FROM events WHERE id < ? AND type NOT IN ('reset', 'register')`
	qResetBefore = `DELETE FROM events WHERE id < ? AND type <> 'register'`

	// qNameOwner finds who holds a display name key.
	qNameOwner = `SELECT user_id FROM names WHERE name_key = ?`

	// qUpsertName sets a user's current display name.
	qUpsertName = `INSERT INTO names (user_id, name, name_key) VALUES (?, ?, ?)
ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key`

	// qEventsPage reads the log in pages by id, so no read transaction
	// stays open while the caller's callback runs (an open reader would
	// hold back WAL checkpoints).
	qEventsPage = `SELECT id, type, coalesce(user_id, 0), challenge_id, hint_id, points, ts, name, data
FROM events WHERE id > ? ORDER BY id LIMIT ?`

	// qSessionUser resolves a session on every logged-in request.
	qSessionUser = `SELECT user_id FROM sessions WHERE token_hash = ?`

	qInsertSession = `INSERT INTO sessions (token_hash, user_id, created_ms) VALUES (?, ?, ?)`
	qDeleteSession = `DELETE FROM sessions WHERE token_hash = ?`

	qMeta    = `SELECT value FROM meta WHERE key = ?`
	qSetMeta = `INSERT INTO meta (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	qSetMetaIfAbsent = `INSERT INTO meta (key, value) VALUES (?, ?)
ON CONFLICT (key) DO NOTHING`

	qLimit    = `SELECT tokens, updated_ms FROM limits WHERE key = ?`
	qSetLimit = `INSERT INTO limits (key, tokens, updated_ms) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms`

	qInsertUser = `INSERT INTO users (username, created_ms) VALUES (?, ?)
ON CONFLICT (username) DO NOTHING`
	// qAllUsers reads every user on purpose (once per start); it is not
	// a hot query and scans by design.
	qAllUsers = `SELECT id, username FROM users`
)

// eventsPageSize is how many events one read transaction of Events
// fetches.
const eventsPageSize = 512

// hotQueries lists every query that runs per request or per event, with
// sample arguments; TestQueryPlans asserts each is answered through an
// index or primary key, never by scanning a table.
var hotQueries = []struct {
	name  string
	query string
	args  []any
}{
	{"insert event", qInsertEvent, []any{"score", 1, 1, 0, 100, 0, "", ""}},
	{"player points", qPlayerPoints, []any{1, 1}},
	{"hint bought", qHintBought, []any{1, 1, 1}},
	{"reset count", qResetCount, []any{10}},
	{"reset before", qResetBefore, []any{10}},
	{"name owner", qNameOwner, []any{"alice"}},
	{"upsert name", qUpsertName, []any{1, "Alice", "alice"}},
	{"events page", qEventsPage, []any{0, eventsPageSize}},
	{"session user", qSessionUser, []any{[]byte("hash")}},
	{"insert session", qInsertSession, []any{[]byte("hash"), 1, 0}},
	{"delete session", qDeleteSession, []any{[]byte("hash")}},
	{"meta", qMeta, []any{"k"}},
	{"set meta", qSetMeta, []any{"k", "v"}},
	{"set meta if absent", qSetMetaIfAbsent, []any{"k", "v"}},
	{"limit", qLimit, []any{"k"}},
	{"set limit", qSetLimit, []any{"k", 1.0, 0}},
	{"insert user", qInsertUser, []any{"alice", 0}},
}
