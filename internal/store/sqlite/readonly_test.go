package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// MustOpenReadOnly opens path read-only and closes it when the test ends.
func MustOpenReadOnly(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := OpenReadOnly(context.Background(), path, Options{})
	if err != nil {
		tb.Fatalf("OpenReadOnly: %v", err)
	}
	closeAtEnd(tb, db)
	return db
}

// dbFiles returns the contents of the database file and which of its
// -wal and -shm companions exist.
func dbFiles(t *testing.T, path string) (main []byte, companions []string) {
	t.Helper()
	main, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(path + s); err == nil {
			companions = append(companions, s)
		}
	}
	return main, companions
}

// TestReadOnlyBesideWriter reads the database of a store that keeps
// writing, as export does beside a running server: it sees every
// committed event, including those still in the WAL, and the writer is
// never refused.
func TestReadOnlyBesideWriter(t *testing.T) {
	w := MustTempDB(t)
	want := fill(t, w)
	if w.WALSize() == 0 {
		t.Fatal("test needs commits that are still in the WAL")
	}
	ro := MustOpenReadOnly(t, w.Path())
	ctx := context.Background()
	if got := storetest.MustEvents(t, ro, 0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("read-only events: %+v, want %+v", got, want)
	}
	// A read transaction held open on the read-only side does not keep
	// the writer from committing.
	tx, err := ro.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	users, err := w.SyncUsers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	more := storetest.MustAppend(t, w, game.Event{Type: game.EventScore, UserID: users["u3"], ChallengeID: 7, Points: 5, TS: 10})
	if !more[0].Inserted {
		t.Fatalf("append beside a reader: %+v", more[0])
	}
	tx.Rollback()
	got := storetest.MustEvents(t, ro, 0)
	if len(got) != len(want)+1 || got[len(got)-1].ID != more[0].Event.ID {
		t.Fatalf("read-only side does not see the later commit: %+v", got)
	}
	count, last, err := ro.EventCount(ctx)
	if err != nil || count != int64(len(want)+1) || last != more[0].Event.ID {
		t.Errorf("EventCount = %d, %d, %v", count, last, err)
	}
	us, err := ro.Users(ctx)
	if err != nil || len(us) != 3 || us[0].Username != "u1" || us[0].ID != users["u1"] || us[2].ID != users["u3"] {
		t.Errorf("Users = %+v, %v", us, err)
	}
	if v, err := ro.Meta(ctx, "start_ms"); err != nil || v != "42" {
		t.Errorf("Meta = %q, %v", v, err)
	}
	if err := ro.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

// TestReadOnlyWritesFail checks that every write method of a read-only DB
// returns an error (no panic) and that the file stays byte-identical.
func TestReadOnlyWritesFail(t *testing.T) {
	w := MustTempDB(t)
	fill(t, w)
	path := w.Path()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before, _ := dbFiles(t, path)
	ro := MustOpenReadOnly(t, path)
	ctx := context.Background()
	us, err := ro.Users(ctx)
	if err != nil || len(us) != 3 {
		t.Fatalf("Users = %+v, %v", us, err)
	}
	writes := map[string]func() error{
		"Append": func() error {
			_, err := ro.Append(ctx, []game.Event{{Type: game.EventScore, UserID: us[0].ID, ChallengeID: 99, Points: 1, TS: 1}})
			return err
		},
		"Append rename": func() error {
			_, err := ro.Append(ctx, []game.Event{{Type: game.EventRename, UserID: us[0].ID, Name: "Neo", TS: 1}})
			return err
		},
		"SyncUsers": func() error { _, err := ro.SyncUsers(ctx, []string{"mallory"}); return err },
		"SetMeta":   func() error { return ro.SetMeta(ctx, "k", "v") },
		"Reset": func() error {
			_, err := ro.Append(ctx, []game.Event{{Type: game.EventReset, TS: 1}})
			return err
		},
		"SetMetaIfAbsent": func() error { _, err := ro.SetMetaIfAbsent(ctx, "k2", "v"); return err },
		"TakeToken": func() error {
			_, _, err := ro.TakeToken(ctx, "k", 1, time.Second, time.UnixMilli(1))
			return err
		},
		"CreateSession": func() error {
			return ro.CreateSession(ctx, []byte("h"), us[0].ID)
		},
		"DeleteSession": func() error { return ro.DeleteSession(ctx, []byte("session-hash")) },
	}
	for name, fn := range writes {
		if err := fn(); err == nil {
			t.Errorf("%s on a read-only database: want error", name)
		} else if !strings.Contains(err.Error(), "readonly") && !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%s: error %q does not say read-only", name, err)
		}
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	after, _ := dbFiles(t, path)
	if !bytes.Equal(before, after) {
		t.Error("read-only use changed the database file")
	}
	// SQLite may leave an empty -wal (and a -shm) that a read-only
	// connection cannot remove; the next server start reuses them. It
	// must never hold a frame.
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("read-only use wrote %d bytes of WAL", fi.Size())
	}
	// Everything is still there for the next server.
	rw := MustOpen(t, path)
	if got := storetest.MustEvents(t, rw, 0); len(got) != 3 {
		t.Errorf("events after read-only use: %+v", got)
	}
}

// TestReadOnlyAfterCrash reads the files a kill -9 leaves behind: commits
// only in the WAL, no -shm. A read-only reader must still see them all.
func TestReadOnlyAfterCrash(t *testing.T) {
	crash, want := mustCrashCopy(t)
	ro := MustOpenReadOnly(t, crash)
	if got := storetest.MustEvents(t, ro, 0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events after a crash: %+v, want %+v", got, want)
	}
	if err := ro.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestReadOnlyRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing.db")
	if _, err := OpenReadOnly(ctx, missing, Options{}); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "no database at") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Error("OpenReadOnly created the missing file")
	}
	if _, err := OpenReadOnly(ctx, "", Options{}); err == nil {
		t.Error("empty path: want error")
	}
	if _, err := OpenReadOnly(ctx, dir, Options{}); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}

	garbage := filepath.Join(dir, "garbage.db")
	junk := bytes.Repeat([]byte("not a database "), 400)
	if err := os.WriteFile(garbage, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReadOnly(ctx, garbage, Options{}); err == nil || !strings.Contains(err.Error(), "not a database") {
		t.Errorf("garbage file: %v", err)
	}
	if b, _ := os.ReadFile(garbage); !bytes.Equal(b, junk) {
		t.Error("OpenReadOnly changed a garbage file")
	}

	// A SQLite file of some other program.
	other := filepath.Join(dir, "other.db")
	c, err := sql.Open("sqlite", dsn(other, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := OpenReadOnly(ctx, other, Options{}); !errors.Is(err, ErrNotCtfg) {
		t.Errorf("foreign database: %v, want ErrNotCtfg", err)
	}

	// Schemas of a newer and of an older ctfg.
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"newer", `INSERT INTO schema_migrations (version, name, applied_ms) VALUES (9999, '9999_future.sql', 0)`, "newer"},
		{"older", `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`, "older"},
	} {
		path := filepath.Join(dir, tc.name+".db")
		w := MustOpen(t, path)
		if _, err := w.w.Exec(tc.sql); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, err := OpenReadOnly(ctx, path, Options{})
		if !errors.Is(err, ErrSchemaVersion) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s schema: %v", tc.name, err)
		}
	}
}

// TestBackupFromReadOnly is the backup command's path: a second process
// opens the live database read-only and copies it.
func TestBackupFromReadOnly(t *testing.T) {
	w := MustTempDB(t)
	want := fill(t, w)
	ro := MustOpenReadOnly(t, w.Path())
	ctx := context.Background()
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := ro.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	b := MustOpenReadOnly(t, dst)
	if err := b.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	if got := storetest.MustEvents(t, b, 0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("backup events %+v, want %+v", got, want)
	}
	if err := ro.Backup(ctx, dst); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second backup to the same file: %v, want fs.ErrExist", err)
	}
}
