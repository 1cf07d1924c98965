// Package postgres is the PostgreSQL backend of store.Store, for several
// stateless ctfg instances sharing one database (SPEC §7), built on
// jackc/pgx/v5 and its pool.
//
// Three things make N instances behave like one:
//
//   - Event ids are handed out in commit order (log_head, events.go), so
//     every instance's feed can tail the log with Events(after last seen)
//     and never skip an event.
//   - Rules that span rows — unique solves, hint purchases, display
//     names, the hint price against the player's points, shared rate
//     limits — are decided inside the transaction that writes, never from
//     an instance's in-memory view.
//   - Commits are announced with NOTIFY ctfg_events, which a dedicated
//     LISTEN connection per instance turns into Changed wake-ups
//     (listen.go).
//
// Backups are pg_dump's job; there is no Backup method (SQLite's VACUUM
// INTO has no counterpart here), and Checkpoint is a no-op: the server
// checkpoints its own WAL.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ctfg/ctfg/internal/store"
)

var _ store.Store = (*DB)(nil)

// Options configures a DB. The zero value is usable.
type Options struct {
	// Logger receives connection and migration messages; nil discards
	// them. Nothing secret (the URL's password, session hashes) is logged.
	Logger *slog.Logger
	// Now is the clock for created_ms columns; nil means time.Now.
	Now func() time.Time
	// NoListen opens no LISTEN connection, for one-shot tools (ctfg db
	// copy) that need no wake-ups from other instances: Changed then
	// hears only this DB's own commits. Every server listens, so a tool
	// that does not is never counted by Servers.
	NoListen bool
}

// notifyChannel is the LISTEN/NOTIFY channel of committed appends.
const notifyChannel = "ctfg_events"

// listenAppName is the application_name of every server's LISTEN
// connection, whatever the URL sets: Servers counts them.
const listenAppName = "ctfg-listen"

// maxAppendGroup bounds the events of one group-committed transaction
// made of several Append calls (a single larger call commits alone).
const maxAppendGroup = 1024

// DB is a ctfg store in a PostgreSQL database. All methods are safe for
// concurrent use.
type DB struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	now    func() time.Time
	target string // host:port/database, for messages: never the password

	group   *store.GroupCommitter
	changed chan struct{}

	// The LISTEN goroutine runs until listenStop is cancelled.
	listenCfg  *pgx.ConnConfig
	listenStop context.CancelFunc
	listenDone chan struct{}
	reconnects atomic.Int64 // LISTEN connections made again after a loss
	head       atomic.Int64 // highest event id announced by a notification

	closeOnce sync.Once
}

// IsURL reports whether s names a PostgreSQL database (postgres:// or
// postgresql://), the form --database and CTFG_DATABASE_URL take.
func IsURL(s string) bool {
	for _, p := range []string{"postgres://", "postgresql://"} {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// Describe returns host:port/database of a connection URL, without user or
// password, for log lines and error messages; "" if it does not parse.
func Describe(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return ""
	}
	return describe(cfg)
}

func describe(cfg *pgx.ConnConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))) + "/" + cfg.Database
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string; pool settings such as pool_max_conns may be added as
// parameters), applies pending migrations and starts listening for other
// instances' commits. Several instances may open the same database at
// once.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors can quote the string, password included.
		return nil, errors.New("postgres: open: the database URL does not parse")
	}
	db := &DB{
		log:        opts.Logger,
		now:        opts.Now,
		target:     describe(cfg.ConnConfig),
		changed:    make(chan struct{}, 1),
		listenDone: make(chan struct{}),
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	db.listenCfg = cfg.ConnConfig.Copy()
	db.listenCfg.RuntimeParams["application_name"] = listenAppName
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "ctfg"
	}
	db.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", db.target, err)
	}
	if err := db.pool.Ping(ctx); err != nil {
		db.pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", db.target, err)
	}
	if err := migrate(ctx, db.pool, db.now, db.log); err != nil {
		db.pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", db.target, err)
	}
	db.group = store.NewGroupCommitter(db.appendTx, maxAppendGroup, rolledBack)
	if opts.NoListen {
		db.listenStop = func() {}
		close(db.listenDone)
	} else {
		lctx, stop := context.WithCancel(context.Background())
		db.listenStop = stop
		go db.listen(lctx)
	}
	db.log.Info("postgres: opened", "database", db.target)
	return db, nil
}

// rolledBack reports whether err surely means that an Append transaction
// committed nothing: the server answered with an error, so the batch's
// implicit transaction was rolled back. Any other failure (the connection
// lost while COMMIT may have happened) leaves the outcome unknown.
func rolledBack(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr)
}

// Target returns host:port/database of the store, for messages.
func (db *DB) Target() string { return db.target }

// Close commits queued appends, stops listening and closes the pool.
// Calling it again returns nil; methods called after it return errors.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.group != nil { // nil when read-only
			db.group.Close()
		}
		db.listenStop()
		<-db.listenDone
		db.pool.Close()
	})
	return nil
}

// Ping checks that the database answers (health checks).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Checkpoint does nothing: PostgreSQL checkpoints its own WAL.
func (db *DB) Checkpoint(context.Context) error { return nil }

// sizeTimeout bounds Size, which metrics call at every scrape.
const sizeTimeout = 2 * time.Second

// Size returns the size in bytes of the database (pg_database_size), 0 if
// it cannot be read in time.
func (db *DB) Size() int64 {
	ctx, cancel := context.WithTimeout(context.Background(), sizeTimeout)
	defer cancel()
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
		return 0
	}
	return n
}

// Changed returns the channel that receives a value after an Append
// committed by this instance or, through NOTIFY, by any other.
func (db *DB) Changed() <-chan struct{} { return db.changed }
