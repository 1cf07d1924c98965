package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/postgres/pgtest"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// MustOpen opens the database at url and closes it when the test ends.
func MustOpen(tb testing.TB, url string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), url, Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// MustTempDB opens a store over a new database of its own.
func MustTempDB(tb testing.TB) *DB {
	tb.Helper()
	return MustOpen(tb, pgtest.MustDatabase(tb))
}

func TestStore(t *testing.T) {
	pgtest.URL(t)
	var (
		mu   sync.Mutex
		urls = map[*testing.T]string{}
	)
	storetest.Run(t, func(t *testing.T) store.Store {
		// One database per test; later calls from the same test reach
		// it again (a restart, or a second instance).
		mu.Lock()
		url, ok := urls[t]
		mu.Unlock()
		if !ok {
			url = pgtest.MustDatabase(t)
			mu.Lock()
			urls[t] = url
			mu.Unlock()
		}
		return MustOpen(t, url)
	}, storetest.Shared(), storetest.Parallel())
}

// TestListenReconnects kills the LISTEN connection from the server side,
// as a restart of PostgreSQL or a network cut would: the store must
// reconnect, signal Changed once so its reader catches up, and hear other
// instances' commits again.
func TestListenReconnects(t *testing.T) {
	url := pgtest.MustDatabase(t)
	a, b := MustOpen(t, url), MustOpen(t, url)
	u := storetest.MustSyncUsers(t, a, 1)
	ctx := context.Background()
	wake := func(what string) {
		t.Helper()
		select {
		case <-a.Changed():
		case <-time.After(20 * time.Second):
			t.Fatalf("no wake-up %s", what)
		}
	}
	drain := func() {
		for {
			select {
			case <-a.Changed():
			case <-time.After(300 * time.Millisecond):
				return
			}
		}
	}
	drain()
	storetest.MustAppend(t, b, game.Event{Type: game.EventScore, UserID: u[0], ChallengeID: 1, Points: 1, TS: 1})
	wake("from another instance's commit")

	for round := range 2 {
		drain()
		var killed int
		if err := a.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE application_name = 'ctfg-listen' AND datname = current_database()`).Scan(&killed); err != nil {
			t.Fatal(err)
		}
		if killed != 2 { // a's and b's
			t.Fatalf("round %d: terminated %d LISTEN connections, want 2", round, killed)
		}
		wake("after the LISTEN connection came back")
		// Wait until a listens again, then a commit elsewhere must wake it.
		deadline := time.Now().Add(20 * time.Second)
		for {
			var n int
			if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE application_name = 'ctfg-listen' AND datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: LISTEN connections not back", round)
			}
			time.Sleep(20 * time.Millisecond)
		}
		drain()
		storetest.MustAppend(t, b, game.Event{Type: game.EventScore, UserID: u[0], ChallengeID: 10 + round, Points: 1, TS: 2})
		wake("from a commit after the reconnect")
	}
}

// TestQueryPlans proves the hot queries can be answered through an index
// (SPEC §8.4). Tables in a test are tiny and a sequential scan of a tiny
// table is what the planner rightly picks, so scans are priced out
// (enable_seqscan off): a plan that still scans a table has no index to
// use.
func TestQueryPlans(t *testing.T) {
	db := MustTempDB(t)
	ctx := context.Background()
	queries := []struct {
		name string
		sql  string
		args []any
	}{
		{"events page", qEventsPage, []any{int64(0), eventsPageSize}},
		{"hint", qInsertHint, []any{int64(1), int64(1), int64(1), int64(1), int64(1), int64(-10), int64(0), "", ""}},
		{"rename", qInsertRename, []any{int64(1), int64(1), int64(1), "Neo", "neo", int64(0), int64(0), int64(0), int64(0), ""}},
		{"plain", qInsertPlain, []any{int64(1), []int64{1}, []string{"score"}, []int64{1}, []int64{1}, []int64{0}, []int64{1}, []int64{0}, []string{""}, []string{""}}},
		{"session user", `SELECT user_id FROM sessions WHERE token_hash = $1`, []any{[]byte("h")}},
		{"meta", `SELECT value FROM meta WHERE key = $1`, []any{"k"}},
		{"lock bucket", qLockBucket, []any{"k", 1.0, int64(0)}},
	}
	chal := 3
	for _, f := range []store.SubmissionFilter{
		{}, {Before: 100}, {After: 100}, {UserID: 1, Before: 100}, {Challenge: &chal, Before: 100},
		{Result: store.ResultIncorrect, Before: 100}, {Result: store.ResultIncorrect, After: 100},
	} {
		q, args := submissionsQuery(f, 50)
		queries = append(queries, struct {
			name string
			sql  string
			args []any
		}{fmt.Sprintf("submissions %+v", f), q, args})
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			return err
		}
		for _, q := range queries {
			var plan []string
			rows, err := tx.Query(ctx, "EXPLAIN "+q.sql, q.args...)
			if err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			var line string
			if _, err := pgx.ForEachRow(rows, []any{&line}, func() error {
				plan = append(plan, line)
				return nil
			}); err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			for _, step := range plan {
				// log_head is one row by construction.
				if strings.Contains(step, "Seq Scan") && !strings.Contains(step, "log_head") {
					t.Errorf("%s scans a table: %s\n%s", q.name, step, strings.Join(plan, "\n"))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrations: a reopen applies nothing again, and a database written
// by a newer program is refused.
func TestMigrations(t *testing.T) {
	url := pgtest.MustDatabase(t)
	db := MustOpen(t, url)
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
	}
	db.Close()
	db = MustOpen(t, url)
	if n := count(); n != len(ms) {
		t.Fatalf("after reopen schema_migrations has %d rows, want %d", n, len(ms))
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, url, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema: %v, want a 'newer' error", err)
	}
}

// TestOpenErrors: a URL that does not parse or a server that does not
// answer fails Open with a message that names the database but never
// the password.
func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const pw = "s3cret-pw-91d0"
	for _, url := range []string{
		"postgres://u:" + pw + "@127.0.0.1:1/ctf?sslmode=disable&connect_timeout=5",
		"postgres://u:" + pw + "@[::1/ctf",
	} {
		_, err := Open(ctx, url, Options{})
		if err == nil {
			t.Fatalf("Open of a bad URL: no error")
		}
		if strings.Contains(err.Error(), pw) {
			t.Fatalf("error holds the password: %v", err)
		}
	}
	if d := Describe("postgres://u:" + pw + "@db.example:6543/game"); d != "db.example:6543/game" {
		t.Fatalf("Describe = %q", d)
	}
	for url, want := range map[string]bool{"postgres://h/d": true, "postgresql://h/d": true, "": false, "events.db": false, "mysql://h/d": false} {
		if IsURL(url) != want {
			t.Errorf("IsURL(%q) = %v", url, !want)
		}
	}
}
