package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/postgres"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

const dbUsage = `db copy --from SRC --to DST [--force]

Copies a whole game from one database to another: SQLite to PostgreSQL,
PostgreSQL to SQLite, or between two of a kind. Users (registered
accounts with their password hashes), every event (resets included),
display names, sessions, the submission log, server values (the scorestream
secret), shared rate-limit buckets and used registration proofs, with
every id as it was: players stay logged in and browsers resume the
scorestream where they were, on the copy.

SRC and DST are each a postgres:// (or postgresql://) URL, or a SQLite
database: a directory holding events.db (a game directory, a --dbdir) or
the path of the database file.

SRC is read in one snapshot and never written, so it may be a SQLite
database a server is serving: the copy holds every event up to the
newest one it holds. DST is written in one transaction: a failed copy
leaves it as it was. A DST that holds a user or an event is refused;
with --force its content is replaced. DST must not be in use: a SQLite
file that any process has open, or a PostgreSQL database a ctfg server is
connected to, is refused; stop the servers first. A SQLite DST file is
created if missing (its directory must exist).

Afterwards the copy is counted and compared with the source (users,
events, largest event id, names, sessions, submissions, server values,
buckets, used proofs), one line per table is printed, and the exit status is 1 if
anything differs. URLs are shown without user or password.

Flags:
  --from SRC     database to copy from
  --to DST       database to copy into
  --force        replace the content of a DST that holds a game

More: docs/OPERATIONS.md`

// dbCopyOpts are the flags of db copy.
type dbCopyOpts struct {
	from, to string
	force    bool
	// afterLoad, if set, runs on the target between the load and the
	// verification (tests: a target that no longer matches).
	afterLoad func(ctx context.Context, target store.Store) error
}

// newDBFlagSet defines the flags of db copy, db's only subcommand.
func newDBFlagSet(stdio IO) (*flag.FlagSet, *dbCopyOpts) {
	o := new(dbCopyOpts)
	fs := newFlagSet("db", dbUsage, stdio)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "Usage: ctfg %s\n", dbUsage) }
	fs.StringVar(&o.from, "from", "", "database to copy from: postgres:// URL, SQLite file or directory of events.db")
	fs.StringVar(&o.to, "to", "", "database to copy into: postgres:// URL, SQLite file or directory of events.db")
	fs.BoolVar(&o.force, "force", false, "replace the content of a target that holds a game")
	return fs, o
}

func runDB(ctx context.Context, stdio IO, args []string) error {
	fs, o := newDBFlagSet(stdio)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		fmt.Fprintln(stdio.Err, "ctfg db: give a subcommand: ctfg db copy --from SRC --to DST")
	case pos[0] != "copy":
		fmt.Fprintf(stdio.Err, "ctfg db: unknown subcommand %q (there is: copy)\n", pos[0])
	case len(pos) > 1:
		fmt.Fprintf(stdio.Err, "ctfg db copy: unexpected argument %q\n", pos[1])
	case o.from == "" || o.to == "":
		fmt.Fprintln(stdio.Err, "ctfg db copy: give both --from SRC and --to DST")
	default:
		return dbCopy(ctx, stdio, o)
	}
	fs.Usage()
	return errUsage
}

// dbEnd is one end of a copy: a PostgreSQL URL or a SQLite file.
type dbEnd struct {
	url, path string
}

// parseDBEnd reads SRC or DST: a postgres:// URL, an existing directory
// (its events.db), or a file path.
func parseDBEnd(s string) dbEnd {
	if postgres.IsURL(s) {
		return dbEnd{url: s}
	}
	if st, err := os.Stat(s); err == nil && st.IsDir() {
		return dbEnd{path: filepath.Join(s, dbFileName)}
	}
	return dbEnd{path: s}
}

// String names the database for messages, without user or password.
func (e dbEnd) String() string {
	if e.url != "" {
		return "PostgreSQL " + postgres.Describe(e.url)
	}
	if abs, err := filepath.Abs(e.path); err == nil {
		return "SQLite " + abs
	}
	return "SQLite " + e.path
}

// same reports whether a and b are surely the same database.
func (e dbEnd) same(o dbEnd) bool {
	if e.url != "" || o.url != "" {
		return e.url != "" && o.url != "" && postgres.Describe(e.url) == postgres.Describe(o.url)
	}
	return isDatabaseFile(e.path, o.path)
}

// dumpStore is a database db copy reads or writes.
type dumpStore interface {
	store.Store
	store.Dumper
	store.Loader
}

// copyCounts are the lines of db copy's summary: a count of the dumps
// and its label.
var copyCounts = []struct{ key, label string }{
	{"users", "users"},
	{"events", "events"},
	{"max event id", "max event id"},
	{"names", "display names"},
	{"sessions", "sessions"},
	{"submissions", "submissions"},
	{"meta", "server values"},
	{"limits", "limit buckets"},
	{"used_once", "used proofs"},
}

func dbCopy(ctx context.Context, stdio IO, o *dbCopyOpts) error {
	from, to := parseDBEnd(o.from), parseDBEnd(o.to)
	if from.same(to) {
		return fmt.Errorf("--from and --to are the same database (%s)", from)
	}
	start := time.Now()
	src, err := openCopySource(ctx, from)
	if err != nil {
		return err
	}
	d, err := src.Dump(ctx)
	src.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", from, err)
	}
	if d.Empty() {
		return fmt.Errorf("%s holds no game (no user, no event): nothing to copy", from)
	}
	read := time.Since(start)

	// A SQLite file this copy creates is removed again if the copy
	// fails before its transaction commits: no empty database is left
	// behind to be taken for a game.
	fresh := to.path != "" && !fileExists(to.path)
	dst, err := openCopyTarget(ctx, to)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		dst.Close()
		if fresh && !committed {
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				os.Remove(to.path + suffix)
			}
		}
	}()
	loadStart := time.Now()
	if err := dst.Load(ctx, d, o.force); err != nil {
		if errors.Is(err, store.ErrNotEmpty) {
			return fmt.Errorf("%s: %w; nothing was written (--force replaces its content)", to, err)
		}
		return fmt.Errorf("write %s: %w; nothing was written", to, err)
	}
	write := time.Since(loadStart)
	committed = true
	if o.afterLoad != nil {
		if err := o.afterLoad(ctx, dst); err != nil {
			return err
		}
	}

	verifyStart := time.Now()
	got, err := dst.Dump(ctx)
	if err != nil {
		return fmt.Errorf("verify %s: %w", to, err)
	}
	verify := time.Since(verifyStart)
	want, have := d.Counts(), got.Counts()
	fmt.Fprintf(stdio.Out, "copied %s to %s in %s (read %s, write %s, verify %s)\n",
		from, to, round(time.Since(start)), round(read), round(write), round(verify))
	var diffs []string
	for _, c := range copyCounts {
		mark := ""
		if have[c.key] != want[c.key] {
			mark = fmt.Sprintf("  MISMATCH: the copy holds %d", have[c.key])
			diffs = append(diffs, fmt.Sprintf("%s %d != %d", c.label, want[c.key], have[c.key]))
		}
		fmt.Fprintf(stdio.Out, "  %-14s %9d%s\n", c.label, want[c.key], mark)
	}
	// The target may have handed out more ids before (--force): new ids
	// start above both.
	if have["log head"] < want["log head"] {
		diffs = append(diffs, fmt.Sprintf("log head %d < %d", have["log head"], want["log head"]))
	}
	if diffs != nil {
		return fmt.Errorf("the copy in %s does not match the source (%s): do not serve it; copy again with --force", to, strings.Join(diffs, ", "))
	}
	fmt.Fprintf(stdio.Out, "verified: the copy matches; new event ids start after %d\n", have["log head"])
	return nil
}

// round shortens a duration for the summary.
func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}

// openCopySource opens the source read-only: it is never written.
func openCopySource(ctx context.Context, e dbEnd) (dumpStore, error) {
	if e.url != "" {
		db, err := openPostgres(ctx, e.url)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := sqlite.OpenReadOnly(ctx, e.path, sqlite.Options{})
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no database at %s (--from takes a postgres:// URL, a SQLite file or the directory of its events.db)", e.path)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

// openCopyTarget opens the target for writing (creating a SQLite file or
// PostgreSQL's schema if needed) after making sure no server uses it.
func openCopyTarget(ctx context.Context, e dbEnd) (dumpStore, error) {
	if e.url != "" {
		db, err := postgres.Open(ctx, e.url, postgres.Options{NoListen: true})
		if err != nil {
			return nil, err
		}
		n, err := db.Servers(ctx)
		if err == nil && n > 0 {
			err = fmt.Errorf("%s is in use: %d ctfg servers are connected to it; stop them first", e, n)
		}
		if err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	busy, err := sqlite.InUse(ctx, e.path)
	if err != nil {
		return nil, err
	}
	if busy {
		return nil, fmt.Errorf("%s is in use by another process (a running server?); stop it first", e)
	}
	db, err := sqlite.Open(ctx, e.path, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	return db, nil
}
