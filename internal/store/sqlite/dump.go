package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

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
	for _, t := range store.DumpTables {
		if err := dumpTable(ctx, tx, t, d); err != nil {
			return nil, fmt.Errorf("sqlite: dump: %s: %w", t.Name, err)
		}
	}
	// The AUTOINCREMENT counter: no row until the first event.
	err = tx.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'events'`).Scan(&d.LogHead)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: dump: sqlite_sequence: %w", err)
	}
	d.LogHead = max(d.LogHead, d.MaxEventID())
	return d, nil
}

func dumpTable(ctx context.Context, tx *sql.Tx, t store.DumpTable, d *store.Dump) error {
	// Keys are compared byte-wise (SQLite's BINARY collation) already.
	rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(t.Columns, ", ")+` FROM `+t.Name+` ORDER BY `+t.Columns[0])
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		dst, add := t.Scan(d)
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		add()
	}
	return rows.Err()
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
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+store.DumpTables[i].Name); err != nil {
				return err
			}
		}
		if err := loadRows(ctx, tx, d); err != nil {
			return err
		}
		head = max(head, d.LogHead, d.MaxEventID())
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
	for _, t := range store.DumpTables {
		marks := strings.Repeat(", ?", len(t.Columns))[2:]
		st, err := tx.PrepareContext(ctx, `INSERT INTO `+t.Name+` (`+strings.Join(t.Columns, ", ")+`) VALUES (`+marks+`)`)
		if err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
		for i := range t.Len(d) {
			if _, err = st.ExecContext(ctx, t.Row(d, i)...); err != nil {
				err = fmt.Errorf("%s: row %d: %w", t.Name, i+1, err)
				break
			}
		}
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
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
