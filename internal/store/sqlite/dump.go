package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

var (
	_ store.Dumper = (*DB)(nil)
	_ store.Loader = (*DB)(nil)
)

// Dump reads the whole database in one read transaction: SQLite (WAL)
// gives it one snapshot, taken at its first read, while a server goes on
// committing beside it. It works on a DB opened with OpenReadOnly and
// writes nothing. The transaction stays open while the rows are read, so
// the server's checkpoints cannot pass it meanwhile; it is short (tens
// of milliseconds for thousands of events).
func (db *DB) Dump(ctx context.Context) (*store.Dump, error) {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: dump: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	d := &store.Dump{}
	read := func(table, query string, row func(*sql.Rows) error) {
		if err != nil {
			return
		}
		var rows *sql.Rows
		if rows, err = tx.QueryContext(ctx, query); err != nil {
			err = fmt.Errorf("%s: %w", table, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			if err = row(rows); err != nil {
				err = fmt.Errorf("%s: %w", table, err)
				return
			}
		}
		if err = rows.Err(); err != nil {
			err = fmt.Errorf("%s: %w", table, err)
		}
	}
	read("users", `SELECT id, username, created_ms FROM users ORDER BY id`, func(r *sql.Rows) error {
		var u store.UserRow
		err := r.Scan(&u.ID, &u.Username, &u.CreatedMS)
		d.Users = append(d.Users, u)
		return err
	})
	read("events", `SELECT id, type, coalesce(user_id, 0), challenge_id, hint_id, points, ts, name, data FROM events ORDER BY id`, func(r *sql.Rows) error {
		var ev game.Event
		var typ string
		err := r.Scan(&ev.ID, &typ, &ev.UserID, &ev.ChallengeID, &ev.HintID, &ev.Points, &ev.TS, &ev.Name, &ev.Data)
		ev.Type = game.EventType(typ)
		d.Events = append(d.Events, ev)
		return err
	})
	// The AUTOINCREMENT counter: no row until the first event.
	read("sqlite_sequence", `SELECT seq FROM sqlite_sequence WHERE name = 'events'`, func(r *sql.Rows) error {
		return r.Scan(&d.LogHead)
	})
	read("names", `SELECT user_id, name, name_key FROM names ORDER BY user_id`, func(r *sql.Rows) error {
		var n store.NameRow
		err := r.Scan(&n.UserID, &n.Name, &n.NameKey)
		d.Names = append(d.Names, n)
		return err
	})
	read("sessions", `SELECT token_hash, user_id, created_ms FROM sessions ORDER BY token_hash`, func(r *sql.Rows) error {
		var s store.SessionRow
		err := r.Scan(&s.TokenHash, &s.UserID, &s.CreatedMS)
		d.Sessions = append(d.Sessions, s)
		return err
	})
	read("meta", `SELECT key, value FROM meta ORDER BY key`, func(r *sql.Rows) error {
		var m store.MetaRow
		err := r.Scan(&m.Key, &m.Value)
		d.Meta = append(d.Meta, m)
		return err
	})
	read("wrong_guesses", `SELECT id, user_id, challenge_id, guess, ts FROM wrong_guesses ORDER BY id`, func(r *sql.Rows) error {
		var g store.WrongGuess
		var ts int64
		err := r.Scan(&g.ID, &g.UserID, &g.Challenge, &g.Guess, &ts)
		g.TS = time.UnixMilli(ts)
		d.WrongGuesses = append(d.WrongGuesses, g)
		return err
	})
	read("limits", `SELECT key, tokens, updated_ms FROM limits ORDER BY key`, func(r *sql.Rows) error {
		var l store.LimitRow
		err := r.Scan(&l.Key, &l.Tokens, &l.UpdatedMS)
		d.Limits = append(d.Limits, l)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: dump: %w", err)
	}
	if n := len(d.Events); n > 0 {
		d.LogHead = max(d.LogHead, d.Events[n-1].ID)
	}
	return d, nil
}

// Load writes d into the database in one write transaction (one fsync):
// a failure leaves the database as it was. It refuses a database that
// holds a user or an event with store.ErrNotEmpty unless replace is set.
// Afterwards AUTOINCREMENT hands out event ids above d.LogHead and above
// every id this database handed out before.
func (db *DB) Load(ctx context.Context, d *store.Dump, replace bool) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var users, events, head int64
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM events),
coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)`).Scan(&users, &events, &head); err != nil {
			return err
		}
		if (users > 0 || events > 0) && !replace {
			return store.NotEmpty(users, events)
		}
		// Children before the users they refer to.
		for i := len(store.DumpTables) - 1; i >= 0; i-- {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+store.DumpTables[i]); err != nil {
				return err
			}
		}
		if err := loadRows(ctx, tx, d); err != nil {
			return err
		}
		head = max(head, d.LogHead)
		if n := len(d.Events); n > 0 {
			head = max(head, d.Events[n-1].ID)
		}
		// The inserts moved the counter to the largest id inserted; the
		// head may be above it (the newest events were refused or reset
		// away, or the target had handed out more).
		if _, err := tx.ExecContext(ctx, `DELETE FROM sqlite_sequence WHERE name = 'events'`); err != nil {
			return err
		}
		if head > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)`, head); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: load: %w", err)
	}
	store.Signal(db.changed)
	return nil
}

// loadRows inserts every row of d, table by table in store.DumpTables
// order, through one prepared statement per table.
func loadRows(ctx context.Context, tx *sql.Tx, d *store.Dump) error {
	insert := func(table, query string, n int, args func(i int) []any) error {
		st, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		defer st.Close()
		for i := range n {
			if _, err := st.ExecContext(ctx, args(i)...); err != nil {
				return fmt.Errorf("%s: row %d: %w", table, i+1, err)
			}
		}
		return nil
	}
	return errors.Join(
		insert("users", `INSERT INTO users (id, username, created_ms) VALUES (?, ?, ?)`, len(d.Users), func(i int) []any {
			u := d.Users[i]
			return []any{u.ID, u.Username, u.CreatedMS}
		}),
		insert("events", `INSERT INTO events (id, type, user_id, challenge_id, hint_id, points, ts, name, data)
VALUES (?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?)`, len(d.Events), func(i int) []any {
			ev := d.Events[i]
			return []any{ev.ID, string(ev.Type), ev.UserID, ev.ChallengeID, ev.HintID, ev.Points, ev.TS, ev.Name, ev.Data}
		}),
		insert("names", `INSERT INTO names (user_id, name, name_key) VALUES (?, ?, ?)`, len(d.Names), func(i int) []any {
			n := d.Names[i]
			return []any{n.UserID, n.Name, n.NameKey}
		}),
		insert("sessions", `INSERT INTO sessions (token_hash, user_id, created_ms) VALUES (?, ?, ?)`, len(d.Sessions), func(i int) []any {
			s := d.Sessions[i]
			return []any{s.TokenHash, s.UserID, s.CreatedMS}
		}),
		insert("meta", `INSERT INTO meta (key, value) VALUES (?, ?)`, len(d.Meta), func(i int) []any {
			return []any{d.Meta[i].Key, d.Meta[i].Value}
		}),
		insert("wrong_guesses", `INSERT INTO wrong_guesses (id, user_id, challenge_id, guess, ts) VALUES (?, ?, ?, ?, ?)`, len(d.WrongGuesses), func(i int) []any {
			g := d.WrongGuesses[i]
			return []any{g.ID, g.UserID, g.Challenge, g.Guess, g.TS.UnixMilli()}
		}),
		insert("limits", `INSERT INTO limits (key, tokens, updated_ms) VALUES (?, ?, ?)`, len(d.Limits), func(i int) []any {
			l := d.Limits[i]
			return []any{l.Key, l.Tokens, l.UpdatedMS}
		}),
	)
}

// inUseTimeout is how long InUse waits for the exclusive lock: longer
// than a server's write transactions, which release it between commits
// only for a server that is stopping.
const inUseTimeout = time.Second

// InUse reports whether another connection, of this process or another
// (a running server, an export), has the database at path open. It asks
// SQLite for an exclusive lock on the file (locking_mode=EXCLUSIVE): in
// WAL mode every open connection holds a shared lock for as long as it
// is open, so the lock is refused while anyone uses the file, idle or
// not. The lock is released before InUse returns, so it is a guard, not
// a lock: a server started right after it is not seen. A missing file is
// not in use.
func InUse(ctx context.Context, path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	c, err := sql.Open("sqlite", dsn(path, []string{
		fmt.Sprintf("busy_timeout(%d)", inUseTimeout.Milliseconds()),
		"locking_mode(EXCLUSIVE)",
	}))
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	conn, err := c.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `BEGIN EXCLUSIVE`)
	if err == nil {
		_, err = conn.ExecContext(ctx, `COMMIT`)
		return false, err
	}
	if isBusy(err) {
		return true, nil
	}
	return false, fmt.Errorf("sqlite: %s: %w", path, err)
}

// sqliteBusy is SQLite's SQLITE_BUSY result code.
const sqliteBusy = 5

// isBusy reports whether err is SQLite's "database is locked": the
// driver's error carries the (possibly extended) result code, whose low
// byte is the primary code.
func isBusy(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == sqliteBusy
}
