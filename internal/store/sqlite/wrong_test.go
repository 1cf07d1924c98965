package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// qPlayerWrong is the dispute query an operator runs by hand: one
// player's latest guesses. The schema must answer it from an index.
const qPlayerWrong = `SELECT id, challenge_id, guess, ts FROM wrong_guesses WHERE user_id = ? ORDER BY ts DESC LIMIT ?`

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

// The latest-N query walks the time index backwards and stops after N rows
// (no table scan, no sort); the per-player query searches its index.
func TestWrongGuessQueryPlans(t *testing.T) {
	db := MustTempDB(t)
	for _, c := range []struct {
		name, query string
		args        []any
		want        string
	}{
		{"latest", qLatestWrong, []any{50}, "SCAN wrong_guesses USING INDEX wrong_guesses_by_ts"},
		{"player", qPlayerWrong, []any{1, 50}, "SEARCH wrong_guesses USING INDEX wrong_guesses_by_user (user_id=?)"},
	} {
		plan := explain(t, db, c.query, c.args...)
		t.Logf("%s: %q", c.name, plan)
		if len(plan) != 1 || plan[0] != c.want {
			t.Errorf("%s: plan %q, want exactly %q (a temp b-tree would mean a sort of every row)", c.name, plan, c.want)
		}
	}
}

// seedWrong stores n wrong guesses from users spread over players.
func seedWrong(tb testing.TB, db *DB, players, n int) {
	tb.Helper()
	u := storetest.MustSyncUsers(tb, db, players)
	t0 := time.Now().Add(-time.Hour)
	batch := make([]store.WrongGuess, 0, 1000)
	for i := range n {
		batch = append(batch, store.WrongGuess{UserID: u[i%players], Challenge: i % 100, Guess: fmt.Sprintf("flag{guess-%d}", i), TS: t0.Add(time.Duration(i) * time.Millisecond)})
		if len(batch) == cap(batch) || i == n-1 {
			storetest.MustRecordWrong(tb, db, batch...)
			batch = batch[:0]
		}
	}
}

// BenchmarkWrongGuessesLatest50 reads the dashboard's latest 50 out of
// 200,000 stored guesses.
func BenchmarkWrongGuessesLatest50(b *testing.B) {
	db := MustTempDB(b)
	seedWrong(b, db, 5000, 200_000)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		gs, err := db.WrongGuesses(ctx, 50)
		if err != nil || len(gs) != 50 {
			b.Fatalf("%d, %v", len(gs), err)
		}
	}
}

// BenchmarkRecordWrongBatch100 stores batches of 100 guesses, one
// transaction (one fsync) each: the app's batcher's write.
func BenchmarkRecordWrongBatch100(b *testing.B) {
	db := MustTempDB(b)
	u := storetest.MustSyncUsers(b, db, 100)
	ctx := context.Background()
	batch := make([]store.WrongGuess, 100)
	now := time.Now()
	for i := range batch {
		batch[i] = store.WrongGuess{UserID: u[i], Challenge: i, Guess: strings.Repeat("x", 40), TS: now}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := db.RecordWrong(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/guess")
}
