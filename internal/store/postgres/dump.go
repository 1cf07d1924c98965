package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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
		for _, t := range store.DumpTables {
			order := t.Columns[0]
			if t.TextKey {
				order += ` COLLATE "C"`
			}
			rows, err := tx.Query(ctx, `SELECT `+strings.Join(t.Columns, ", ")+` FROM `+t.Name+` ORDER BY `+order)
			if err != nil {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
			for rows.Next() {
				dst, add := t.Scan(d)
				if err := rows.Scan(dst...); err != nil {
					rows.Close()
					return fmt.Errorf("%s: %w", t.Name, err)
				}
				add()
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
		}
		if err := tx.QueryRow(ctx, `SELECT last_id FROM log_head`).Scan(&d.LogHead); err != nil {
			return fmt.Errorf("log_head: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: dump: %w", err)
	}
	for i := range d.Names {
		d.Names[i].NameKey = fromPGKey(d.Names[i].NameKey)
	}
	d.LogHead = max(d.LogHead, d.MaxEventID())
	return d, nil
}

// Load writes d into the database in one transaction, with COPY for each
// table. It first locks every table of the game (ACCESS EXCLUSIVE): an
// instance that starts meanwhile waits for the commit and then reads the
// loaded game. It refuses a database that holds a user or an event with
// store.ErrNotEmpty unless replace is set. log_head ends at least at
// d.LogHead (never lower than before), and the submissions' identity
// continues after the largest id loaded.
func (db *DB) Load(ctx context.Context, d *store.Dump, replace bool) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		locked := []string{"log_head"}
		for _, t := range store.DumpTables {
			locked = append(locked, t.Name)
		}
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
			if _, err := tx.Exec(ctx, `DELETE FROM `+store.DumpTables[i].Name); err != nil {
				return err
			}
		}
		if err := copyRows(ctx, tx, d); err != nil {
			return err
		}
		head := max(d.LogHead, d.MaxEventID())
		if _, err := tx.Exec(ctx, `UPDATE log_head SET last_id = greatest(last_id, $1::bigint)`, head); err != nil {
			return fmt.Errorf("log_head: %w", err)
		}
		// COPY writes identity columns as given (like OVERRIDING SYSTEM
		// VALUE) without moving their sequence.
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('submissions', 'id'),
  (SELECT coalesce(max(id), 0) + 1 FROM submissions), false)`); err != nil {
			return fmt.Errorf("submissions identity: %w", err)
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
	// Names go in with keys PostgreSQL can hold; d itself is not changed.
	pg := *d
	pg.Names = make([]store.NameRow, len(d.Names))
	for i, n := range d.Names {
		n.NameKey = toPGKey(n.NameKey)
		pg.Names[i] = n
	}
	for _, t := range store.DumpTables {
		want := t.Len(&pg)
		n, err := tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, pgx.CopyFromSlice(want, func(i int) ([]any, error) {
			return t.Row(&pg, i), nil
		}))
		if err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
		if n != int64(want) {
			return fmt.Errorf("%s: copied %d rows of %d", t.Name, n, want)
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
