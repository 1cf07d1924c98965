package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotCtfg is returned (wrapped) by OpenReadOnly for a database without
// ctfg's schema: a wrong URL, which a reader must not mistake for an
// empty game.
var ErrNotCtfg = errors.New("not a ctfg database")

// ErrSchemaVersion is returned (wrapped, with both versions) by
// OpenReadOnly for a schema older or newer than this program's: a reader
// does not migrate.
var ErrSchemaVersion = errors.New("schema version differs from this program's")

// errReadOnly is returned by Append on a DB opened with OpenReadOnly.
var errReadOnly = errors.New("postgres: append: the database was opened read-only")

// readOnlyConns is the size of a read-only DB's pool: one-shot tools
// (export, db copy) read sequentially.
const readOnlyConns = 2

// OpenReadOnly connects to the existing ctfg database at url for reading,
// for a tool beside running servers (export, db copy). Unlike Open it
// runs no migration and creates nothing, checks that the schema is
// exactly this program's, and opens no LISTEN connection; every
// transaction is read-only (default_transaction_read_only), so the
// methods that write fail with PostgreSQL's error and Append with an
// error of its own. Events, Users, Meta and Dump work.
func OpenReadOnly(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can quote the string, password included.
		return nil, errors.New("postgres: open read-only: the database URL does not parse")
	}
	cfg.MaxConns = readOnlyConns
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "ctfg-reader"
	}
	db := &DB{
		log:        opts.Logger,
		now:        opts.Now,
		target:     describe(cfg.ConnConfig),
		changed:    make(chan struct{}, 1),
		listenDone: make(chan struct{}),
		listenStop: func() {},
	}
	close(db.listenDone)
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: open read-only %s: %w", db.target, err)
	}
	if err := checkSchema(ctx, db.pool); err != nil {
		db.pool.Close()
		return nil, fmt.Errorf("postgres: open read-only %s: %w", db.target, err)
	}
	return db, nil
}

// checkSchema makes sure the database holds exactly the schema of this
// program's migrations, without changing anything.
func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	known := ms[len(ms)-1].Version
	var exists bool
	// Also the first query: an unreachable server or a refused login
	// fails here.
	if err := pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("%w (no schema_migrations table)", ErrNotCtfg)
	}
	var newest, applied int
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0), count(*) FROM schema_migrations`).Scan(&newest, &applied); err != nil {
		return err
	}
	switch {
	case newest > known:
		return fmt.Errorf("database schema version %d is newer than this program's %d; use a newer ctfg: %w", newest, known, ErrSchemaVersion)
	case newest < known || applied != len(ms):
		return fmt.Errorf("database schema version %d is older than this program's %d; start a server once with this ctfg to migrate it: %w", newest, known, ErrSchemaVersion)
	}
	return nil
}
