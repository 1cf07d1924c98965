package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

func explain(tb testing.TB, db *DB, query string, args ...any) []string {
	tb.Helper()
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			tb.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return plan
}

// Every query of the admin's filters walks an index (or the primary key)
// from its keyset bound and stops after a page: no table scan, no sort.
func TestSubmissionQueryPlans(t *testing.T) {
	db := MustTempDB(t)
	chal := 3
	for _, c := range []struct {
		name string
		f    store.SubmissionFilter
		want string
	}{
		// The newest rows: the primary key read backwards, stopped by LIMIT.
		{"latest", store.SubmissionFilter{}, "SCAN submissions"},
		{"older page", store.SubmissionFilter{Before: 100}, "SEARCH submissions USING INTEGER PRIMARY KEY (rowid<?)"},
		{"newer page", store.SubmissionFilter{After: 100}, "SEARCH submissions USING INTEGER PRIMARY KEY (rowid>?)"},
		{"player", store.SubmissionFilter{UserID: 1}, "SEARCH submissions USING INDEX submissions_by_user (user_id=?)"},
		{"player, older page", store.SubmissionFilter{UserID: 1, Before: 100}, "SEARCH submissions USING INDEX submissions_by_user (user_id=? AND id<?)"},
		{"challenge, older page", store.SubmissionFilter{Challenge: &chal, Before: 100}, "SEARCH submissions USING INDEX submissions_by_challenge (challenge_id=? AND id<?)"},
		{"result, older page", store.SubmissionFilter{Result: store.ResultIncorrect, Before: 100}, "SEARCH submissions USING INDEX submissions_by_result (result=? AND id<?)"},
		{"result, newer page", store.SubmissionFilter{Result: store.ResultIncorrect, After: 100}, "SEARCH submissions USING INDEX submissions_by_result (result=? AND id>?)"},
	} {
		q, args := submissionsQuery(c.f, 50)
		plan := explain(t, db, q, args...)
		t.Logf("%s: %q", c.name, plan)
		if len(plan) != 1 || plan[0] != c.want {
			t.Errorf("%s: plan %q, want exactly %q (a temp b-tree would mean a sort of every row)", c.name, plan, c.want)
		}
	}
}

// TestMigrateSubmissions opens a database of the schema before 0004 with
// wrong guesses and checks that they read back as incorrect submissions
// with their ids, and that new ids continue above them.
func TestMigrateSubmissions(t *testing.T) {
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
		if m.Version > 3 {
			break
		}
		stmts = append(stmts, m.SQL, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', 0)`, m.Version, m.Name))
	}
	stmts = append(stmts,
		`INSERT INTO users (id, username, created_ms) VALUES (1, 'u1', 0), (2, 'u2', 0)`,
		`INSERT INTO wrong_guesses (id, user_id, challenge_id, guess, ts) VALUES
			(4, 1, 1, 'flag{nope}', 1000), (7, 2, 3, '', 900), (9, 1, -2, 'Zoë 🚩', 1100)`,
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
	got := storetest.MustLatestSubmissions(t, db, 10)
	want := []store.Submission{
		{ID: 9, UserID: 1, Challenge: -2, Result: store.ResultIncorrect, Guess: "Zoë 🚩", TS: time.UnixMilli(1100)},
		{ID: 7, UserID: 2, Challenge: 3, Result: store.ResultIncorrect, Guess: "", TS: time.UnixMilli(900)},
		{ID: 4, UserID: 1, Challenge: 1, Result: store.ResultIncorrect, Guess: "flag{nope}", TS: time.UnixMilli(1000)},
	}
	if len(got) != len(want) {
		t.Fatalf("after migration: %+v, want %+v", got, want)
	}
	for i := range want {
		if g, w := got[i], want[i]; g.ID != w.ID || g.UserID != w.UserID || g.Challenge != w.Challenge || g.Result != w.Result || g.Guess != w.Guess || g.Address != "" || !g.TS.Equal(w.TS) {
			t.Fatalf("after migration, row %d: %+v, want %+v", i, g, w)
		}
	}
	storetest.MustRecordSubmissions(t, db, store.Submission{UserID: 2, Challenge: 1, Result: store.ResultCorrect, Address: "192.0.2.1", TS: time.UnixMilli(2000)})
	if s := storetest.MustLatestSubmissions(t, db, 1)[0]; s.ID != 10 || s.Result != store.ResultCorrect {
		t.Fatalf("first submission after the migration: %+v, want id 10", s)
	}
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'wrong_guesses'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("wrong_guesses still there: %d, %v", n, err)
	}
}

// seedSubmissions stores n submissions from users spread over players,
// a fifth of them incorrect.
func seedSubmissions(tb testing.TB, db *DB, players, n int) {
	tb.Helper()
	u := storetest.MustSyncUsers(tb, db, players)
	t0 := time.Now().Add(-time.Hour)
	batch := make([]store.Submission, 0, 1000)
	for i := range n {
		s := store.Submission{UserID: u[i%players], Challenge: i % 100, Result: store.ResultRateLimited, Address: "198.51.100.23", TS: t0.Add(time.Duration(i) * time.Millisecond)}
		if i%5 == 0 {
			s.Result, s.Guess = store.ResultIncorrect, fmt.Sprintf("flag{guess-%d}", i)
		}
		batch = append(batch, s)
		if len(batch) == cap(batch) || i == n-1 {
			storetest.MustRecordSubmissions(tb, db, batch...)
			batch = batch[:0]
		}
	}
}

// BenchmarkSubmissionsPage reads one filtered page of 50 out of 200,000
// stored submissions: the dashboard's query.
func BenchmarkSubmissionsPage(b *testing.B) {
	db := MustTempDB(b)
	seedSubmissions(b, db, 5000, 200_000)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		subs, err := db.Submissions(ctx, store.SubmissionFilter{Result: store.ResultIncorrect, Before: 100_000, Limit: 50})
		if err != nil || len(subs) != 50 {
			b.Fatalf("%d, %v", len(subs), err)
		}
	}
}

// BenchmarkRecordSubmissionsBatch100 stores batches of 100 submissions,
// one transaction (one fsync) each: the engine's batcher's write.
func BenchmarkRecordSubmissionsBatch100(b *testing.B) {
	db := MustTempDB(b)
	u := storetest.MustSyncUsers(b, db, 100)
	ctx := context.Background()
	batch := make([]store.Submission, 100)
	now := time.Now()
	for i := range batch {
		batch[i] = store.Submission{UserID: u[i], Challenge: i, Result: store.ResultIncorrect, Address: "203.0.113.9", Guess: strings.Repeat("x", 40), TS: now}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := db.RecordSubmissions(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/submission")
}
