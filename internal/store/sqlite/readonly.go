package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// ErrSchemaVersion is returned (wrapped, with both versions) by
// OpenReadOnly for a database whose schema is older or newer than this
// program's migrations: a reader cannot migrate, and guessing at a schema
// it does not know could misread the log.
var ErrSchemaVersion = errors.New("schema version differs from this program's")

// ErrNotCtfg is returned (wrapped) by OpenReadOnly for a valid SQLite file
// that is not a ctfg database.
var ErrNotCtfg = errors.New("not a ctfg database")

// readOnlyConns is the size of a read-only DB's pool: one-shot tools
// (export, backup verification) read sequentially.
const readOnlyConns = 2

// OpenReadOnly opens the existing ctfg database at path for reading, for a
// second process (export, backup) beside a server that may be running.
// Unlike Open it never creates the file, runs no migration and sets no
// pragma that writes (journal_mode, wal_autocheckpoint): every connection
// is opened with mode=ro and query_only, so it takes no write lock and
// cannot disturb the server's writer; in WAL mode it reads a snapshot
// while the server keeps committing.
//
// It returns an error wrapping fs.ErrNotExist when there is no file,
// ErrNotCtfg for a SQLite file without ctfg's schema, ErrSchemaVersion
// when the schema was made by an older or newer ctfg, and SQLite's own
// error (e.g. "file is not a database") for a damaged file.
//
// Every method that writes (Append, SyncUsers, SetMeta, sessions, limits,
// Checkpoint) fails on the returned DB with SQLite's read-only error;
// Events, Users, Meta, EventCount, IntegrityCheck and Backup work.
func OpenReadOnly(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: open read-only: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open read-only %s: %w", path, err)
	}
	// mode=ro never creates the file, but SQLite's own message for a
	// missing one ("unable to open database file") does not say why.
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("sqlite: no database at %s: %w", abs, fs.ErrNotExist)
	case err != nil:
		return nil, fmt.Errorf("sqlite: open read-only %s: %w", abs, err)
	case st.IsDir():
		return nil, fmt.Errorf("sqlite: open read-only %s: is a directory", abs)
	}
	db := &DB{path: abs, log: opts.Logger, now: opts.Now, closed: make(chan struct{}), changed: make(chan struct{}, 1)}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	if err := db.openReadOnly(ctx); err != nil {
		db.closeAll()
		return nil, fmt.Errorf("sqlite: open read-only %s: %w", abs, err)
	}
	return db, nil
}

func (db *DB) openReadOnly(ctx context.Context) error {
	ro := dsn(db.path, []string{fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS), "query_only(1)"}, "mode=ro")
	var err error
	// The "writer" is a read-only pool too, so the write methods inherited
	// from DB fail with SQLite's read-only error instead of panicking on a
	// nil pool. Both pools must be distinct *sql.DB values: closeAll
	// closes each.
	if db.w, err = sql.Open("sqlite", ro); err != nil {
		return err
	}
	db.w.SetMaxOpenConns(1)
	if db.r, err = sql.Open("sqlite", ro); err != nil {
		return err
	}
	db.r.SetMaxOpenConns(readOnlyConns)
	db.r.SetMaxIdleConns(readOnlyConns)
	if err := db.r.PingContext(ctx); err != nil {
		return err
	}
	if err := checkSchema(ctx, db.r); err != nil {
		return err
	}
	// The same statements as Open prepares: the methods of DB use them.
	return db.prepare(ctx)
}

// checkSchema makes sure the database holds exactly the schema of this
// program's migrations, without changing anything.
func checkSchema(ctx context.Context, r *sql.DB) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	known := ms[len(ms)-1].Version
	var tables int
	// Reading sqlite_schema is also the first real read of the file: a
	// damaged or foreign file fails here with SQLite's own message.
	if err := r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return err
	}
	if tables == 0 {
		return fmt.Errorf("%w (no schema_migrations table)", ErrNotCtfg)
	}
	var newest sql.NullInt64
	var applied int
	if err := r.QueryRowContext(ctx, `SELECT max(version), count(*) FROM schema_migrations`).Scan(&newest, &applied); err != nil {
		return err
	}
	have := int(newest.Int64)
	switch {
	case have > known:
		return fmt.Errorf("database schema version %d is newer than this program's %d; use a newer ctfg: %w", have, known, ErrSchemaVersion)
	case have < known || applied != len(ms):
		return fmt.Errorf("database schema version %d is older than this program's %d; start the server once with this ctfg to migrate it: %w", have, known, ErrSchemaVersion)
	}
	return nil
}

// Users returns every user of the database (not only those of the
// current credentials.csv), ordered by id.
func (db *DB) Users(ctx context.Context) ([]game.User, error) {
	rows, err := db.r.QueryContext(ctx, qAllUsers+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	defer rows.Close()
	var out []game.User
	for rows.Next() {
		var u game.User
		if err := rows.Scan(&u.ID, &u.Username); err != nil {
			return nil, fmt.Errorf("sqlite: users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	return out, nil
}

// EventCount returns how many events the log holds and the largest id
// among them (0 for none), read in one snapshot.
func (db *DB) EventCount(ctx context.Context) (n, lastID int64, err error) {
	var last sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT count(*), max(id) FROM events`).Scan(&n, &last); err != nil {
		return 0, 0, fmt.Errorf("sqlite: count events: %w", err)
	}
	return n, last.Int64, nil
}
