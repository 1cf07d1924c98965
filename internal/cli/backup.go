package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

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

Flags:
  --game DIR          game directory (default .)
  -b, --dbdir DIR     directory of events.db (default: the game directory; also --db-dir)
  --db FILE           copy this database file instead

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
