package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

var (
	_ store.Dumper = (*DB)(nil)
	_ store.Loader = (*DB)(nil)
)

// Dump reads the whole database in one REPEATABLE READ, READ ONLY
// transaction: one snapshot, while other instances go on committing.
// log_head is read in the same snapshot, so it agrees with the events.
// Keys are ordered byte-wise (COLLATE "C"), as SQLite orders them, so
// dumps of both backends compare equal row by row.
func (db *DB) Dump(ctx context.Context) (*store.Dump, error) {
	d := &store.Dump{}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		read := func(table, query string, dst []any, row func()) error {
			rows, err := tx.Query(ctx, query)
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			if _, err := pgx.ForEachRow(rows, dst, func() error { row(); return nil }); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			return nil
		}
		var (
			u          store.UserRow
			ev         game.Event
			typ        string
			chal, hint int64
			points     int64
			n          store.NameRow
			s          store.SessionRow
			m          store.MetaRow
			g          store.WrongGuess
			ts         int64
			l          store.LimitRow
		)
		for _, r := range []struct {
			table, query string
			dst          []any
			row          func()
		}{
			{"users", `SELECT id, username, created_ms FROM users ORDER BY id`,
				[]any{&u.ID, &u.Username, &u.CreatedMS}, func() { d.Users = append(d.Users, u) }},
			{"events", `SELECT id, type, coalesce(user_id, 0), challenge_id, hint_id, points, ts, name, data FROM events ORDER BY id`,
				[]any{&ev.ID, &typ, &ev.UserID, &chal, &hint, &points, &ev.TS, &ev.Name, &ev.Data}, func() {
					ev.Type, ev.ChallengeID, ev.HintID, ev.Points = game.EventType(typ), int(chal), int(hint), int(points)
					d.Events = append(d.Events, ev)
				}},
			{"log_head", `SELECT last_id FROM log_head`, []any{&d.LogHead}, func() {}},
			{"names", `SELECT user_id, name, name_key FROM names ORDER BY user_id`,
				[]any{&n.UserID, &n.Name, &n.NameKey}, func() {
					n.NameKey = fromPGKey(n.NameKey)
					d.Names = append(d.Names, n)
				}},
			{"sessions", `SELECT token_hash, user_id, created_ms FROM sessions ORDER BY token_hash`,
				[]any{&s.TokenHash, &s.UserID, &s.CreatedMS}, func() {
					d.Sessions = append(d.Sessions, s)
					s = store.SessionRow{} // TokenHash is scanned into a new slice each row only if nil
				}},
			{"meta", `SELECT key, value FROM meta ORDER BY key COLLATE "C"`,
				[]any{&m.Key, &m.Value}, func() { d.Meta = append(d.Meta, m) }},
			{"wrong_guesses", `SELECT id, user_id, challenge_id, guess, ts FROM wrong_guesses ORDER BY id`,
				[]any{&g.ID, &g.UserID, &chal, &g.Guess, &ts}, func() {
					g.Challenge, g.TS = int(chal), time.UnixMilli(ts)
					d.WrongGuesses = append(d.WrongGuesses, g)
				}},
			{"limits", `SELECT key, tokens, updated_ms FROM limits ORDER BY key COLLATE "C"`,
				[]any{&l.Key, &l.Tokens, &l.UpdatedMS}, func() { d.Limits = append(d.Limits, l) }},
		} {
			if err := read(r.table, r.query, r.dst, r.row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: dump: %w", err)
	}
	if k := len(d.Events); k > 0 {
		d.LogHead = max(d.LogHead, d.Events[k-1].ID)
	}
	return d, nil
}

// Load writes d into the database in one transaction, with COPY for each
// table. It first locks every table of the game (ACCESS EXCLUSIVE): an
// instance that starts meanwhile waits for the commit and then reads the
// loaded game. It refuses a database that holds a user or an event with
// store.ErrNotEmpty unless replace is set. log_head ends at least at
// d.LogHead (never lower than before), and the wrong guesses' identity
// continues after the largest id loaded.
func (db *DB) Load(ctx context.Context, d *store.Dump, replace bool) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		locked := append([]string{"log_head"}, store.DumpTables...)
		if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(locked, ", ")+` IN ACCESS EXCLUSIVE MODE`); err != nil {
			return err
		}
		var users, events int64
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM events)`).Scan(&users, &events); err != nil {
			return err
		}
		if (users > 0 || events > 0) && !replace {
			return store.NotEmpty(users, events)
		}
		// DELETE, not TRUNCATE: it needs no more than the rights a server
		// has. Children before the users they refer to.
		for i := len(store.DumpTables) - 1; i >= 0; i-- {
			if _, err := tx.Exec(ctx, `DELETE FROM `+store.DumpTables[i]); err != nil {
				return err
			}
		}
		if err := copyRows(ctx, tx, d); err != nil {
			return err
		}
		head := d.LogHead
		if k := len(d.Events); k > 0 {
			head = max(head, d.Events[k-1].ID)
		}
		if _, err := tx.Exec(ctx, `UPDATE log_head SET last_id = greatest(last_id, $1::bigint)`, head); err != nil {
			return fmt.Errorf("log_head: %w", err)
		}
		// COPY writes identity columns as given (like OVERRIDING SYSTEM
		// VALUE) without moving their sequence.
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('wrong_guesses', 'id'),
  (SELECT coalesce(max(id), 0) + 1 FROM wrong_guesses), false)`); err != nil {
			return fmt.Errorf("wrong_guesses identity: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: load: %w", err)
	}
	store.Signal(db.changed)
	return nil
}

// copyRows COPYs every row of d, table by table in store.DumpTables order.
func copyRows(ctx context.Context, tx pgx.Tx, d *store.Dump) error {
	for _, t := range []struct {
		table string
		cols  []string
		n     int
		row   func(i int) []any
	}{
		{"users", []string{"id", "username", "created_ms"}, len(d.Users), func(i int) []any {
			u := d.Users[i]
			return []any{u.ID, u.Username, u.CreatedMS}
		}},
		{"events", []string{"id", "type", "user_id", "challenge_id", "hint_id", "points", "ts", "name", "data"}, len(d.Events), func(i int) []any {
			ev := d.Events[i]
			var user any // NULL: an event of no player
			if ev.UserID != 0 {
				user = ev.UserID
			}
			return []any{ev.ID, string(ev.Type), user, int64(ev.ChallengeID), int64(ev.HintID), int64(ev.Points), ev.TS, ev.Name, ev.Data}
		}},
		{"names", []string{"user_id", "name", "name_key"}, len(d.Names), func(i int) []any {
			n := d.Names[i]
			return []any{n.UserID, n.Name, toPGKey(n.NameKey)}
		}},
		{"sessions", []string{"token_hash", "user_id", "created_ms"}, len(d.Sessions), func(i int) []any {
			s := d.Sessions[i]
			return []any{s.TokenHash, s.UserID, s.CreatedMS}
		}},
		{"meta", []string{"key", "value"}, len(d.Meta), func(i int) []any {
			return []any{d.Meta[i].Key, d.Meta[i].Value}
		}},
		{"wrong_guesses", []string{"id", "user_id", "challenge_id", "guess", "ts"}, len(d.WrongGuesses), func(i int) []any {
			g := d.WrongGuesses[i]
			return []any{g.ID, g.UserID, int64(g.Challenge), g.Guess, g.TS.UnixMilli()}
		}},
		{"limits", []string{"key", "tokens", "updated_ms"}, len(d.Limits), func(i int) []any {
			l := d.Limits[i]
			return []any{l.Key, l.Tokens, l.UpdatedMS}
		}},
	} {
		n, err := tx.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromSlice(t.n, func(i int) ([]any, error) {
			return t.row(i), nil
		}))
		if err != nil {
			return fmt.Errorf("%s: %w", t.table, err)
		}
		if n != int64(t.n) {
			return fmt.Errorf("%s: copied %d rows of %d", t.table, n, t.n)
		}
	}
	return nil
}

// SQLite keeps a display name that collides with another player's (a
// database older than the current game.NameKey) under a private key that
// starts with a NUL byte, which PostgreSQL's text cannot hold. A copy to
// PostgreSQL stores it with pgKeyMark instead, another control character
// that no game.NameKey result holds, and a copy back restores the NUL.
const pgKeyMark = "\x01"

func toPGKey(k string) string {
	if strings.HasPrefix(k, "\x00") {
		return pgKeyMark + k[1:]
	}
	return k
}

func fromPGKey(k string) string {
	if strings.HasPrefix(k, pgKeyMark) {
		return "\x00" + k[len(pgKeyMark):]
	}
	return k
}

// Servers returns how many ctfg servers are connected to the database:
// each keeps one LISTEN connection, named listenAppName whatever its URL
// says. A DB opened with Options.NoListen (or read-only) is not among
// them. A tool that must not run beside servers (db copy into this
// database) refuses when it is not 0.
func (db *DB) Servers(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = $1`, listenAppName).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count servers: %w", err)
	}
	return n, nil
}
