// Package sqlite is the embedded SQLite backend of store.Store, built on
// modernc.org/sqlite (pure Go, so the binary stays static and
// cross-compiles).
//
// One connection writes and a separate pool reads. SQLite allows a single
// writer at a time anyway; funnelling every write through one connection
// makes writers queue in Go instead of spinning in busy_timeout, which
// measured on this machine kept the worst insert at 12–20 ms instead of
// 0.5–1 s. In WAL mode readers never wait for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/ctfg/ctfg/internal/store"
)

var _ store.Store = (*DB)(nil)

// Connection settings. Every pragma is set through the DSN so that every
// connection database/sql opens, including one that replaces a broken
// connection, gets them.
const (
	// busyTimeoutMS is how long (milliseconds) a connection waits for a
	// lock held by another connection or process before SQLITE_BUSY.
	busyTimeoutMS = 5000
	// walAutocheckpointPages: after a commit leaves at least this many
	// pages in the WAL, the committing connection checkpoints it
	// (PASSIVE). 1000 pages of 4 KiB is SQLite's default, about 4 MiB.
	walAutocheckpointPages = 1000
	// journalSizeLimitBytes: when the WAL is restarted after a checkpoint
	// it is truncated to this size, so one spike (a long reader holding
	// back the checkpoint, a huge transaction) does not leave a large file
	// behind for the rest of the event. Equal to the auto-checkpoint size.
	journalSizeLimitBytes = 4 << 20
	// minReadConns is the smallest size of the read pool.
	minReadConns = 4
)

// synchronousMode is FULL: the WAL is fsynced at every commit, so an event
// that Append returned is on disk and survives a power cut or a kernel
// panic, not only a kill -9 (which NORMAL already survives, the WAL being
// in the page cache). A 200 response for a solve promises it is recorded;
// FULL is what makes that promise hold. It costs one fsync per
// transaction, which group commit (Append takes a batch) amortizes; see
// BenchmarkAppendSingle and BenchmarkAppendBatch64.
const synchronousMode = "FULL"

// Options configures a DB. The zero value is usable.
type Options struct {
	// Logger receives maintenance messages; nil discards them. Nothing
	// secret (session hashes, tokens) is ever logged.
	Logger *slog.Logger
	// Now is the clock for created_ms columns; nil means time.Now.
	Now func() time.Time
}

// DB is a ctfg store in one SQLite database file. It implements
// store.Store; all methods are safe for concurrent use.
type DB struct {
	path string
	log  *slog.Logger
	now  func() time.Time

	w *sql.DB // exactly one connection: every write goes through it
	r *sql.DB // read pool, query_only

	// Statements of the hot paths, prepared once. Writer statements are
	// rebound to each transaction with Tx.StmtContext, which reuses the
	// statement already prepared on the single writer connection.
	insertEvent *sql.Stmt
	nameOwner   *sql.Stmt
	upsertName  *sql.Stmt
	eventsPage  *sql.Stmt
	sessionUser *sql.Stmt

	// batch group-commits small writes (sessions, meta); nil on
	// connections that never write through it.
	batch *batcher
	// group group-commits concurrent Appends; nil when read-only.
	group *store.GroupCommitter
	// changed is Changed's channel, signalled after each committed Append.
	changed chan struct{}

	// writes counts committed write transactions; RunMaintenance reads it
	// to find quiet moments.
	writes atomic.Uint64

	closeOnce sync.Once
	closed    chan struct{}
	closeErr  error
}

// Open opens (creating if needed) the database at path, applies pending
// migrations and returns it ready to use. The directory must exist.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := &DB{
		path:    abs,
		log:     opts.Logger,
		now:     opts.Now,
		closed:  make(chan struct{}),
		changed: make(chan struct{}, 1),
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	if err := db.open(ctx); err != nil {
		db.closeAll()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	db.startBatcher()
	// A failed SQLite transaction is rolled back (the journal makes a
	// failed COMMIT undo itself too): a group's calls can be retried.
	db.group = store.NewGroupCommitter(db.appendTx, maxAppendGroup, nil)
	return db, nil
}

// maxAppendGroup bounds the events of one group-committed transaction
// made of several Append calls (a single larger call commits alone).
const maxAppendGroup = 1024

func (db *DB) open(ctx context.Context) error {
	common := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS),
		"foreign_keys(1)",
		"journal_mode(WAL)",
		"synchronous(" + synchronousMode + ")",
	}
	writer := append(common[:len(common):len(common)],
		fmt.Sprintf("wal_autocheckpoint(%d)", walAutocheckpointPages),
		fmt.Sprintf("journal_size_limit(%d)", journalSizeLimitBytes),
	)
	var err error
	// BEGIN IMMEDIATE takes the write lock at the start of a transaction:
	// a deferred BEGIN that reads first and then writes can fail with
	// SQLITE_BUSY without waiting when another process wrote meanwhile.
	db.w, err = sql.Open("sqlite", dsn(db.path, writer, "_txlock=immediate"))
	if err != nil {
		return err
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.w.PingContext(ctx); err != nil {
		return err
	}
	if err := migrate(ctx, db.w, db.now, db.log); err != nil {
		return err
	}
	if err := rekeyNames(ctx, db.w, db.log); err != nil {
		return err
	}

	// Readers are query_only: a write sent to the read pool by mistake
	// fails at once instead of racing the writer for the lock.
	db.r, err = sql.Open("sqlite", dsn(db.path, append(common, "query_only(1)")))
	if err != nil {
		return err
	}
	n := max(minReadConns, 2*runtime.GOMAXPROCS(0))
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	if err := db.r.PingContext(ctx); err != nil {
		return err
	}

	return db.prepare(ctx)
}

// prepare readies the statements of the hot paths on their pools.
func (db *DB) prepare(ctx context.Context) error {
	var err error
	prep := func(pool *sql.DB, dst **sql.Stmt, query string) {
		if err != nil {
			return
		}
		*dst, err = pool.PrepareContext(ctx, query)
		if err != nil {
			err = fmt.Errorf("prepare %q: %w", query, err)
		}
	}
	prep(db.w, &db.insertEvent, qInsertEvent)
	prep(db.w, &db.nameOwner, qNameOwner)
	prep(db.w, &db.upsertName, qUpsertName)
	prep(db.r, &db.eventsPage, qEventsPage)
	prep(db.r, &db.sessionUser, qSessionUser)
	return err
}

// dsn builds a modernc.org/sqlite data source name. The path goes into a
// file: URI, percent-encoded, so that a '?' or '#' in a directory name
// cannot be mistaken for the start of the parameters.
func dsn(path string, pragmas []string, extra ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	for _, e := range extra {
		k, v, _ := strings.Cut(e, "=")
		q.Add(k, v)
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/dir/db
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close closes every connection. The last connection to close
// checkpoints the WAL into the database and removes it. Calling Close
// again returns nil. Methods called after Close return errors.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.group != nil {
			db.group.Close()
		}
		db.stopBatcher()
		close(db.closed)
		// The query planner's statistics help the next start; optimize is
		// cheap when there is nothing to do.
		if db.w != nil {
			if _, err := db.w.Exec("PRAGMA optimize"); err != nil {
				db.log.Warn("sqlite: optimize before close", "err", err)
			}
		}
		db.closeErr = db.closeAll()
	})
	return db.closeErr
}

func (db *DB) closeAll() error {
	var errs []error
	for _, st := range []*sql.Stmt{db.insertEvent, db.nameOwner, db.upsertName, db.eventsPage, db.sessionUser} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	// Readers first, so that the writer is the last connection and
	// checkpoints the WAL away.
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// writeTx runs fn in one write (IMMEDIATE) transaction on the writer
// connection and commits it.
func (db *DB) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.writes.Add(1)
	return nil
}
