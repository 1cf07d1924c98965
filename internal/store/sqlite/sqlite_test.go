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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// MustOpen opens the database at path and closes it when the test ends.
func MustOpen(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	closeAtEnd(tb, db)
	return db
}

// mustCrashCopy fills a database and copies its files while it is still
// open, as a kill -9 would leave them: no Close, no checkpoint, the last
// commits only in the WAL. It returns the copy's path and what was
// committed.
func mustCrashCopy(t *testing.T) (string, []game.Event) {
	t.Helper()
	db := MustTempDB(t)
	want := fill(t, db)
	if db.WALSize() == 0 {
		t.Fatal("test needs commits that are still in the WAL")
	}
	crash := filepath.Join(t.TempDir(), "crash.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(db.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crash+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return crash, want
}

// closeAtEnd closes db when the test ends and reports a failed close.
func closeAtEnd(tb testing.TB, db *DB) {
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
}

// MustTempDB opens a new database in a temporary directory.
func MustTempDB(tb testing.TB) *DB {
	tb.Helper()
	return MustOpen(tb, filepath.Join(tb.TempDir(), "ctfg.db"))
}

func TestStore(t *testing.T) {
	root := t.TempDir()
	storetest.Run(t, func(t *testing.T) store.Store {
		// One database file per test; a second call from the same test
		// reopens the same file.
		dir := filepath.Join(root, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return MustOpen(t, filepath.Join(dir, "ctfg.db"))
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "", Options{}); err == nil {
		t.Error("empty path: want error")
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "ctfg.db")
	if _, err := Open(ctx, missing, Options{}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing directory: %v, want an error naming the path", err)
	}
	notDB := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(notDB, bytes.Repeat([]byte("not a database "), 512), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, notDB, Options{}); err == nil {
		t.Error("a file that is not a database: want error")
	}
}

// A path with characters that mean something in a URI still opens the
// named file.
func TestOpenOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "odd ?name#&=%20")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ctfg.db")
	db := MustOpen(t, path)
	if err := db.SetMeta(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
}

func TestPragmas(t *testing.T) {
	db := MustTempDB(t)
	ctx := context.Background()
	want := map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "5000",
	}
	for pool, conn := range map[string]*sql.DB{"writer": db.w, "reader": db.r} {
		for pragma, v := range want {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != v {
				t.Errorf("%s: PRAGMA %s = %s, want %s", pool, pragma, got, v)
			}
		}
	}
	var pages, limit int
	if err := db.w.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if err := db.w.QueryRowContext(ctx, "PRAGMA journal_size_limit").Scan(&limit); err != nil {
		t.Fatal(err)
	}
	if pages != walAutocheckpointPages || limit != journalSizeLimitBytes {
		t.Errorf("writer: wal_autocheckpoint=%d journal_size_limit=%d", pages, limit)
	}
	// The read pool cannot write.
	if _, err := db.r.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('x', 'y')`); err == nil {
		t.Error("read pool accepted a write")
	}
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctfg.db")
	db := MustOpen(t, path)
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	countMigrations := func(db *DB) int {
		t.Helper()
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := countMigrations(db); n != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening applies nothing twice (it would fail: CREATE TABLE).
	db = MustOpen(t, path)
	if n := countMigrations(db); n != len(ms) {
		t.Fatalf("after reopen schema_migrations has %d rows, want %d", n, len(ms))
	}
	// A database written by a newer program is refused, not misused.
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_ms) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema: %v, want a 'newer' error", err)
	}
}

// fill writes a bit of everything and returns the appended events.
func fill(t *testing.T, db *DB) []game.Event {
	t.Helper()
	ctx := context.Background()
	u := storetest.MustSyncUsers(t, db, 3)
	var evs []game.Event
	for _, r := range storetest.MustAppend(t, db,
		game.Event{Type: game.EventScore, UserID: u[0], ChallengeID: 1, Points: 100, TS: 1},
		game.Event{Type: game.EventHint, UserID: u[0], ChallengeID: 2, HintID: 1, Points: -10, TS: 2},
		game.Event{Type: game.EventRename, UserID: u[2], Name: "Trinity", TS: 3},
	) {
		evs = append(evs, r.Event)
	}
	if err := db.CreateSession(ctx, []byte("session-hash"), u[1]); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMeta(ctx, "start_ms", "42"); err != nil {
		t.Fatal(err)
	}
	return evs
}

// checkFilled verifies what fill wrote.
func checkFilled(t *testing.T, db *DB, want []game.Event) {
	t.Helper()
	ctx := context.Background()
	if got := storetest.MustEvents(t, db, 0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events: got %+v, want %+v", got, want)
	}
	users, err := db.SyncUsers(ctx, nil)
	if err != nil || len(users) != 3 || users["u1"] >= users["u2"] {
		t.Errorf("users: %v, %v", users, err)
	}
	if id, err := db.SessionUser(ctx, []byte("session-hash")); err != nil || id != users["u2"] {
		t.Errorf("session: %d, %v", id, err)
	}
	if v, err := db.Meta(ctx, "start_ms"); err != nil || v != "42" {
		t.Errorf("meta: %q, %v", v, err)
	}
	if r := storetest.MustAppend(t, db, game.Event{Type: game.EventRename, UserID: users["u1"], Name: "TRINITY", TS: 9})[0]; !errors.Is(r.Err, game.ErrNameTaken) {
		t.Errorf("display name lost: %+v", r)
	}
	if r := storetest.MustAppend(t, db, game.Event{Type: game.EventScore, UserID: users["u1"], ChallengeID: 1, Points: 100, TS: 9})[0]; r.Inserted {
		t.Error("solve lost: the same solve was inserted again")
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctfg.db")
	db := MustOpen(t, path)
	want := fill(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Close left a WAL behind: %v", err)
	}
	checkFilled(t, MustOpen(t, path), want)
}

// TestCrashKeepsAcknowledged copies the database files while the store is
// open, as a kill -9 would leave them: no Close, no checkpoint, the last
// commits only in the WAL. Everything Append returned must be in the copy.
func TestCrashKeepsAcknowledged(t *testing.T) {
	crash, want := mustCrashCopy(t)
	restarted := MustOpen(t, crash)
	if err := restarted.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkFilled(t, restarted, want)
}

// TestQueryPlans proves every hot query is answered through an index or
// primary key (SPEC §8.4): no step of its plan scans a table.
func TestQueryPlans(t *testing.T) {
	db := MustTempDB(t)
	ctx := context.Background()
	for _, q := range hotQueries {
		rows, err := db.w.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q.query, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		for _, step := range plan {
			// A SELECT of expressions only "scans" its one constant row.
			if strings.HasPrefix(step, "SCAN ") && step != "SCAN CONSTANT ROW" {
				t.Errorf("%s scans a table: %q\n%s", q.name, step, q.query)
			}
		}
		t.Logf("%s: %v", q.name, plan)
	}
	// The hot reads must be searches, and name the index they use.
	wantSearch := map[string]string{
		"events page":  "SEARCH events USING INTEGER PRIMARY KEY (rowid>?)",
		"session user": "SEARCH sessions USING PRIMARY KEY (token_hash=?)",
		"name owner":   "SEARCH names USING COVERING INDEX names_by_key (name_key=?)",
		"meta":         "SEARCH meta USING PRIMARY KEY (key=?)",
	}
	for _, q := range hotQueries {
		want, ok := wantSearch[q.name]
		if !ok {
			continue
		}
		var detail string
		var a, b, c int
		if err := db.w.QueryRowContext(ctx, "EXPLAIN QUERY PLAN "+q.query, q.args...).Scan(&a, &b, &c, &detail); err != nil {
			t.Fatal(err)
		}
		if detail != want {
			t.Errorf("%s: plan %q, want %q", q.name, detail, want)
		}
		delete(wantSearch, q.name)
	}
	if len(wantSearch) > 0 {
		t.Errorf("queries missing from hotQueries: %v", wantSearch)
	}
}

// TestWALBounded runs a sustained write load with maintenance running
// and checks the WAL stays bounded (SPEC §8.6). Bound: auto-checkpoint
// runs when a commit leaves >= 1000 pages in the WAL, so in steady state
// the file holds at most 1000 frames plus the frames of the commit that
// crossed the line, each frame a 4 KiB page plus a 24-byte header: about
// 4.1 MiB (measured: 4,152,992 bytes at most). 8 MiB leaves room for a
// checkpoint that a reader held back for a moment. Without
// auto-checkpoint and maintenance the same load leaves a 60 MB WAL
// (measured), so the bound is tested, not trivially met: the 50 players'
// solves land on different leaves of the one-score index, so each commit
// rewrites dozens of pages.
func TestWALBounded(t *testing.T) {
	const (
		batch = 32
		bound = 8 << 20
	)
	total := 20000
	if raceEnabled {
		// -race is for the concurrency of maintenance, reader and writer;
		// the bound itself is proved by the full run.
		total = 4000
	}
	db := MustTempDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		db.RunMaintenance(ctx, 5*time.Millisecond)
	}()
	defer func() { cancel(); wg.Wait() }()

	// A reader tails the log meanwhile, as the server's stream does.
	wg.Add(1)
	go func() {
		defer wg.Done()
		var after int64
		for ctx.Err() == nil {
			_ = db.Events(ctx, after, func(ev game.Event) error { after = ev.ID; return nil })
			time.Sleep(2 * time.Millisecond)
		}
	}()

	u := storetest.MustSyncUsers(t, db, 50)
	var maxWAL int64
	evs := make([]game.Event, 0, batch)
	for i := range total {
		evs = append(evs, game.Event{Type: game.EventScore, UserID: u[i%len(u)], ChallengeID: i, Points: 1, TS: int64(i)})
		if len(evs) < batch {
			continue
		}
		storetest.MustAppend(t, db, evs...)
		evs = evs[:0]
		maxWAL = max(maxWAL, db.WALSize())
	}
	t.Logf("%d events in batches of %d: largest WAL seen %d bytes", total, batch, maxWAL)
	if maxWAL == 0 {
		t.Fatal("the WAL never grew: the test measured nothing")
	}
	if maxWAL > bound {
		t.Fatalf("WAL reached %d bytes, bound %d", maxWAL, bound)
	}
	if err := db.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := db.WALSize(); n != 0 {
		t.Fatalf("after Checkpoint the WAL is %d bytes, want 0", n)
	}
	if n := len(storetest.MustEvents(t, db, 0)); n != total {
		t.Fatalf("%d events stored, want %d", n, total)
	}
}

// TestRunMaintenanceQuiet checks the quiet-time truncation and that the
// loop stops with its context.
func TestRunMaintenanceQuiet(t *testing.T) {
	db := MustTempDB(t)
	fill(t, db)
	if db.WALSize() == 0 {
		t.Fatal("test needs a WAL")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.RunMaintenance(ctx, 5*time.Millisecond)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for db.WALSize() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("WAL still %d bytes after 5 s of quiet", db.WALSize())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunMaintenance did not stop with its context")
	}
}

func TestIntegrityCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctfg.db")
	db := MustOpen(t, path)
	u := storetest.MustSyncUsers(t, db, 1)
	// Enough rows for several pages of the events table and its index.
	evs := make([]game.Event, 1000)
	for i := range evs {
		evs[i] = game.Event{Type: game.EventScore, UserID: u[0], ChallengeID: i, Points: 1, TS: int64(i)}
	}
	storetest.MustAppend(t, db, evs...)
	ctx := context.Background()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatalf("healthy database: %v", err)
	}
	var root int
	if err := db.r.QueryRowContext(ctx, `SELECT rootpage FROM sqlite_schema WHERE name = 'events'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Scribble over the root page of the events table (never page 1, the
	// schema) and check that the damage is reported.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	if root < 2 || len(b) < root*page {
		t.Fatalf("events root page %d in a %d-byte file", root, len(b))
	}
	copy(b[(root-1)*page:root*page], bytes.Repeat([]byte{0xA5}, page))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path, Options{})
	if err != nil {
		return // refusing to open a damaged file is also fine
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err == nil {
		t.Fatal("damaged database passed the integrity check")
	} else {
		t.Logf("damage reported: %v", err)
	}
}

func TestBackup(t *testing.T) {
	db := MustTempDB(t)
	ctx := context.Background()
	want := fill(t, db)
	u, err := db.SyncUsers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Appends continue while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var appendErr error
	go func() {
		defer wg.Done()
		for i := 100; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := db.Append(ctx, []game.Event{{Type: game.EventScore, UserID: u["u3"], ChallengeID: i, Points: 1, TS: int64(i)}}); err != nil {
				appendErr = err
				return
			}
		}
	}()
	time.Sleep(20 * time.Millisecond) // let some appends land first
	dst := filepath.Join(t.TempDir(), "backup.db")
	err = db.Backup(ctx, dst)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if appendErr != nil {
		t.Fatalf("append during backup: %v", appendErr)
	}

	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("backup is readable by others: %v", perm)
	}
	b := MustOpen(t, dst)
	if err := b.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	got := storetest.MustEvents(t, b, 0)
	if len(got) < len(want) || fmt.Sprint(got[:len(want)]) != fmt.Sprint(want) {
		t.Fatalf("backup lost events written before it: %+v", got[:min(len(got), len(want))])
	}
	t.Logf("backup holds %d events", len(got))
	if id, err := b.SessionUser(ctx, []byte("session-hash")); err != nil || id != u["u2"] {
		t.Errorf("backup session: %d, %v", id, err)
	}

	// An existing file is never overwritten.
	before, _ := os.ReadFile(dst)
	if err := db.Backup(ctx, dst); !errors.Is(err, fs.ErrExist) {
		t.Errorf("backup over an existing file: %v, want fs.ErrExist", err)
	}
	if after, _ := os.ReadFile(dst); !bytes.Equal(before, after) {
		t.Error("refused backup changed the existing file")
	}
	if err := db.Backup(ctx, db.Path()); err == nil {
		t.Error("backup onto the database itself: want error")
	}
	if err := db.Backup(ctx, filepath.Join(t.TempDir(), "no", "dir", "b.db")); err == nil {
		t.Error("backup into a missing directory: want error")
	}
}

func TestWALSizeNoFile(t *testing.T) {
	db := MustTempDB(t)
	if err := db.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := db.WALSize(); n != 0 {
		t.Fatalf("WALSize = %d after truncate", n)
	}
	gone := &DB{path: filepath.Join(t.TempDir(), "nothing.db")}
	if n := gone.WALSize(); n != 0 {
		t.Fatalf("WALSize without a file = %d", n)
	}
}

// TestMigrateEventLog opens a database made by the schema before 0003
// (events limited to score, hint and rename) and checks that the rebuild
// of events kept every row and id, and the AUTOINCREMENT counter too:
// the newest events had been reset away, so a counter taken from the
// rows left would hand their ids out again.
func TestMigrateEventLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	ctx := context.Background()
	old, err := sql.Open("sqlite", dsn(path, []string{"foreign_keys(1)", "journal_mode(WAL)"}))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL) STRICT`}
	for _, m := range ms {
		if m.Version > 2 {
			break
		}
		stmts = append(stmts, m.SQL, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', 0)`, m.Version, m.Name))
	}
	stmts = append(stmts,
		`INSERT INTO users (id, username, created_ms) VALUES (1, 'u1', 0), (2, 'u2', 0)`,
		`INSERT INTO events (type, user_id, challenge_id, hint_id, points, ts, name) VALUES
			('score', 1, 1, 0, 100, 1, ''), ('hint', 1, 2, 1, -10, 2, ''), ('rename', 2, 0, 0, 0, 3, 'Neo'),
			('score', 2, 1, 0, 100, 4, ''), ('score', 2, 2, 0, 100, 5, '')`,
		`DELETE FROM events WHERE id > 3`, // the old Reset-free way to lose the newest ids
		`INSERT INTO names (user_id, name, name_key) VALUES (2, 'Neo', 'neo')`,
	)
	for _, q := range stmts {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db := MustOpen(t, path)
	got := storetest.MustEvents(t, db, 0)
	want := []game.Event{
		{ID: 1, Type: game.EventScore, UserID: 1, ChallengeID: 1, Points: 100, TS: 1},
		{ID: 2, Type: game.EventHint, UserID: 1, ChallengeID: 2, HintID: 1, Points: -10, TS: 2},
		{ID: 3, Type: game.EventRename, UserID: 2, Name: "Neo", TS: 3},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events after migration:\n got %+v\nwant %+v", got, want)
	}
	if r := storetest.MustAppend(t, db, game.Event{Type: game.EventReset, TS: 8})[0]; !r.Inserted || r.Event.ID != 6 || r.Removed != 3 {
		t.Fatalf("reset after migration: %+v; want id 6 (ids 4 and 5 were handed out before), 3 removed", r)
	}
	// The unique indexes came back with the table.
	res := storetest.MustAppend(t, db,
		game.Event{Type: game.EventScore, UserID: 1, ChallengeID: 1, Points: 100, TS: 9},
		game.Event{Type: game.EventScore, UserID: 1, ChallengeID: 1, Points: 100, TS: 10},
	)
	if !res[0].Inserted || res[1].Inserted {
		t.Fatalf("unique solve after migration: %+v", res)
	}
}
