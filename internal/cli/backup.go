package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/store/postgres"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

const backupUsage = `backup [flags] FILE

Copies the game's database to FILE while the server keeps running: one
consistent snapshot (SQLite VACUUM INTO) read beside the server, which
goes on committing. Then it opens the copy, runs PRAGMA integrity_check
and counts its events, and prints one line:

  backup FILE: N bytes, N events (last id N), integrity ok

Never overwrites FILE. The copy is private to its owner (mode 0600): it
holds session hashes. Exit status 1 on any failure; a copy that fails
verification is removed. To restore, stop the server and put the copy in
place of DBDIR/events.db (and remove events.db-wal and events.db-shm).

A game kept in PostgreSQL (--database URL, or CTFG_DATABASE_URL in the
environment or GAME/.env) is backed up with pg_dump, not with this
command, which then says how and exits with status 1.

Flags:
  --game DIR          game directory (default .)
  -b, --dbdir DIR     directory of events.db (default: the game directory; also --db-dir)
  --db FILE           copy this database file instead
  --database URL      the game's PostgreSQL database: prints the pg_dump command to use

More: docs/EXPORT.md`

func runBackup(ctx context.Context, stdio IO, args []string) error {
	flags, loc := newBackupFlagSet(stdio)
	pos, err := parseInterleaved(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(stdio.Err, "ctfg backup: give exactly one destination FILE")
		flags.Usage()
		return errUsage
	}
	url, err := loc.databaseURL(stdio, "backup")
	if err != nil {
		return err
	}
	if url != "" {
		return pgBackupAdvice(url, pos[0])
	}
	dst, src := pos[0], loc.path()
	if isDatabaseFile(dst, src) {
		return fmt.Errorf("%s is the database itself or one of its files; choose another destination", dst)
	}
	// Backup refuses too, atomically (O_EXCL); this only words it better.
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists; ctfg backup never overwrites a file", dst)
	}
	db, err := openDB(ctx, src)
	if err != nil {
		return err
	}
	err = db.Backup(ctx, dst)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	size, events, last, err := verifyBackup(ctx, dst)
	if err != nil {
		// A copy that does not verify must not pass for a backup later.
		if rerr := os.Remove(dst); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("%w (and removing it failed: %v)", err, rerr)
		}
		return fmt.Errorf("backup %s failed verification, removed: %w", dst, err)
	}
	fmt.Fprintf(stdio.Out, "backup %s: %s, %s (last id %d), integrity ok\n", dst, plural(int(size), "byte"), plural(int(events), "event"), last)
	return nil
}

// newBackupFlagSet defines backup's flags.
func newBackupFlagSet(stdio IO) (*flag.FlagSet, *dbLocation) {
	flags := newFlagSet("backup", backupUsage, stdio)
	flags.Usage = func() { fmt.Fprintf(flags.Output(), "Usage: ctfg %s\n", backupUsage) }
	loc := new(dbLocation)
	loc.register(flags)
	return flags, loc
}

// verifyBackup opens the copy read-only, checks its integrity and counts
// its events. The copy is in rollback-journal mode (VACUUM INTO writes
// one), so reading it leaves no -wal or -shm behind.
func verifyBackup(ctx context.Context, path string) (size, events, last int64, err error) {
	b, err := sqlite.OpenReadOnly(ctx, path, sqlite.Options{})
	if err != nil {
		return 0, 0, 0, err
	}
	defer b.Close()
	if err := b.IntegrityCheck(ctx); err != nil {
		return 0, 0, 0, err
	}
	if events, last, err = b.EventCount(ctx); err != nil {
		return 0, 0, 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, 0, err
	}
	return fi.Size(), events, last, nil
}

// pgBackupAdvice is backup's answer for a game kept in PostgreSQL: the
// pg_dump and pg_restore command lines for it, built from the URL's host,
// port, user and database (never its password: pg_dump reads that from
// PGPASSWORD or ~/.pgpass), and ctfg db copy into a SQLite file as the
// other way.
func pgBackupAdvice(url, file string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return errors.New("database URL: does not parse") // not echoed: it may hold a password
	}
	conn := fmt.Sprintf("--host=%s --port=%d --username=%s --dbname=%s",
		shellQuote(cfg.Host), cfg.Port, shellQuote(cfg.User), shellQuote(cfg.Database))
	return fmt.Errorf(`the game is kept in PostgreSQL (%s): ctfg backup copies SQLite files only. Back it up with pg_dump, while the servers run:
  pg_dump --format=custom --file=%s %s
restore it (servers stopped) with:
  pg_restore --clean --if-exists %s %s
or copy the game into a SQLite file, itself a backup ctfg can serve or export:
  ctfg db copy --from "$CTFG_DATABASE_URL" --to %s`,
		postgres.Describe(url), shellQuote(file), conn, conn, shellQuote(file), shellQuote(file))
}
