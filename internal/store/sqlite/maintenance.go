package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrCheckpointBusy is returned by Checkpoint when a reader or another
// process kept SQLite from copying the whole WAL back and truncating it.
var ErrCheckpointBusy = errors.New("sqlite: checkpoint: database busy, WAL not truncated")

// Checkpoint copies every WAL frame into the database and truncates the
// WAL to zero bytes (PRAGMA wal_checkpoint(TRUNCATE)). It runs on the
// writer connection, so writes wait for it; it waits up to the busy
// timeout for readers to move off old snapshots and returns
// ErrCheckpointBusy if they do not.
func (db *DB) Checkpoint(ctx context.Context) error {
	var busy, logFrames, done int
	if err := db.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
		return fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	if busy != 0 {
		return ErrCheckpointBusy
	}
	return nil
}

// DefaultMaintenanceInterval is the RunMaintenance tick used when the
// given one is not positive (30 seconds): quiet moments of that length are
// common between bursts of solves, and a truncation costs milliseconds.
const DefaultMaintenanceInterval = 30 * time.Second

// RunMaintenance keeps the WAL small over a long event until ctx is done
// or the DB is closed. Every tick it truncates the WAL (Checkpoint) if no
// write committed since the previous tick: a quiet moment, when the
// checkpoint delays nobody. While writes keep coming it leaves the WAL to
// SQLite's auto-checkpoint (every walAutocheckpointPages pages) and
// journal_size_limit, which bound it without stalling the writer. Servers
// start it in a goroutine.
func (db *DB) RunMaintenance(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultMaintenanceInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	last := db.writes.Load()
	for {
		select {
		case <-ctx.Done():
			return
		case <-db.closed:
			return
		case <-t.C:
		}
		n := db.writes.Load()
		if n != last {
			last = n
			continue
		}
		size := db.WALSize()
		if size == 0 {
			continue
		}
		start := time.Now()
		if err := db.Checkpoint(ctx); err != nil {
			if ctx.Err() == nil && !db.isClosed() {
				db.log.Warn("sqlite: quiet-time checkpoint failed", "err", err, "wal_bytes", size)
			}
			continue
		}
		db.log.Debug("sqlite: WAL truncated", "wal_bytes", size, "took", time.Since(start))
	}
}

func (db *DB) isClosed() bool {
	select {
	case <-db.closed:
		return true
	default:
		return false
	}
}

// WALSize returns the size in bytes of the write-ahead log file, 0 if
// there is none.
func (db *DB) WALSize() int64 {
	fi, err := os.Stat(db.path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// IntegrityCheck runs PRAGMA integrity_check and returns an error listing
// the first problems unless SQLite answers "ok".
func (db *DB) IntegrityCheck(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, `PRAGMA integrity_check(10)`)
	if err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return fmt.Errorf("sqlite: integrity check: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	if len(msgs) == 1 && msgs[0] == "ok" {
		return nil
	}
	return fmt.Errorf("sqlite: integrity check failed: %s", strings.Join(msgs, "; "))
}

// Backup writes a consistent copy of the database to dstPath while the
// server keeps running (VACUUM INTO reads one snapshot; writers are not
// blocked). It refuses to overwrite an existing file and removes its
// partial copy if it fails. The copy is private to the owner (0600): it
// holds session hashes.
func (db *DB) Backup(ctx context.Context, dstPath string) error {
	if dstPath == "" {
		return errors.New("sqlite: backup: empty destination path")
	}
	dst, err := filepath.Abs(dstPath)
	if err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", dstPath, err)
	}
	if dst == db.path {
		return fmt.Errorf("sqlite: backup to %s: that is the database itself", dst)
	}
	// Creating the file ourselves, exclusively, is the refusal to
	// overwrite without a window between a check and the copy; SQLite
	// accepts an empty file as the target of VACUUM INTO.
	f, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := db.vacuumInto(ctx, dst); err != nil {
		_ = os.Remove(dst) // ours, and incomplete
		return fmt.Errorf("sqlite: backup to %s: %w", dst, err)
	}
	// VACUUM INTO does not fsync its output; a backup should survive a
	// crash right after it is reported done.
	if err := syncFile(dst); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", dst, err)
	}
	return nil
}

// vacuumInto runs VACUUM INTO on a connection of its own: the read pool is
// query_only, which SQLite applies to the output file too, and the writer
// must stay free for appends while the copy is made.
func (db *DB) vacuumInto(ctx context.Context, dst string) error {
	c, err := sql.Open("sqlite", dsn(db.path, []string{fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS)}))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	_, err = c.ExecContext(ctx, `VACUUM INTO ?`, dst)
	return err
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
