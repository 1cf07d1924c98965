package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

func challenges(n int) []*game.Challenge {
	out := make([]*game.Challenge, n)
	for i := range out {
		out[i] = &game.Challenge{ID: i + 1, Title: fmt.Sprintf("c%d", i+1), Points: 10, Flag: fmt.Sprintf("^f%d$", i+1),
			Hints: []game.Hint{{ID: 1, Cost: 5}, {ID: 2, Cost: 5}}}
	}
	return out
}

func users(n int) []game.User {
	out := make([]game.User, n)
	for i := range out {
		out[i] = game.User{Username: fmt.Sprintf("u%d", i), Password: "pw"}
	}
	return out
}

func mustEngine(tb testing.TB, nUsers, nChallenges int, cfg func(*engine.Config)) (*engine.Engine, *sqlite.DB) {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	c := engine.Config{Store: db, Challenges: challenges(nChallenges), Users: users(nUsers)}
	if cfg != nil {
		cfg(&c)
	}
	e, err := engine.Open(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close(); db.Close() })
	return e, db
}

// TestBatchValidatesAgainstItself: hint purchases racing in one group
// commit cannot overdraw a player; each is checked against the ones
// before it in the batch.
func TestBatchValidatesAgainstItself(t *testing.T) {
	var batches, events atomic.Int64
	e, _ := mustEngine(t, 1, 2, func(c *engine.Config) {
		c.OnBatch = func(size int, _ time.Duration) { batches.Add(1); events.Add(int64(size)) }
	})
	ctx := context.Background()
	u, _ := e.State().PlayerByUsername("u0")
	if r, err := e.Submit(ctx, u.ID, 1, " f1 "); err != nil || r.Outcome != engine.Correct || r.Total != 10 {
		t.Fatalf("solve: %+v %v", r, err)
	}
	// 10 points: two hints of 5 are affordable, the third (on another
	// challenge) is not, whatever the interleaving.
	var wg sync.WaitGroup
	var ok, poor atomic.Int64
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := e.BuyHint(ctx, u.ID, 1+i%2, 1)
			switch err {
			case nil:
				ok.Add(1)
			case game.ErrInsufficientPoints:
				poor.Add(1)
			}
		}(i)
	}
	wg.Wait()
	p, _ := e.State().Player(u.ID)
	if ok.Load() != 2 || p.Score != 0 {
		t.Fatalf("bought %d hints, score %d", ok.Load(), p.Score)
	}
	if _, err := e.BuyHint(ctx, u.ID, 1, 2); err != game.ErrInsufficientPoints {
		t.Fatalf("overdraw: %v", err)
	}
}

// TestRebuildFromStore: a new engine on the same store folds the same
// state.
func TestRebuildFromStore(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := engine.Config{Store: db, Challenges: challenges(3), Users: users(3)}
	e, err := engine.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e.SetName(ctx, 1, "One")
	e.Submit(ctx, 1, 1, "f1")
	e.BuyHint(ctx, 1, 2, 1)
	e.Award(ctx, "u2", 3)
	want, _ := e.State().Scoreboard(time.Now())
	e.Close()
	cfg.Challenges = challenges(3) // fresh, uncompiled copies as after a restart
	e2, err := engine.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	got, _ := e2.State().Scoreboard(time.Now())
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rebuilt %v, want %v", got, want)
	}
}

// BenchmarkSolves64Writers measures committed solves per second with 64
// concurrent writers, each solve acknowledged only after its group commit.
func BenchmarkSolves64Writers(b *testing.B) {
	const writers = 64
	nChallenges := 100
	nUsers := b.N/nChallenges + writers + 1
	var batches, events atomic.Int64
	e, _ := mustEngine(b, nUsers, nChallenges, func(c *engine.Config) {
		c.OnBatch = func(size int, _ time.Duration) { batches.Add(1); events.Add(int64(size)) }
	})
	ctx := context.Background()
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				user := i/int64(nChallenges) + 1
				chal := int(i%int64(nChallenges)) + 1
				r, err := e.Submit(ctx, user, chal, fmt.Sprintf("f%d", chal))
				if err != nil || r.Outcome != engine.Correct {
					b.Errorf("solve %d/%d: %+v %v", user, chal, r, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "solves/s")
	if n := batches.Load(); n > 0 {
		b.ReportMetric(float64(events.Load())/float64(n), "events/commit")
	}
}

// BenchmarkStartup5000x100 measures rebuilding the state of a game of
// 5,000 players and 100 challenges from 100,000 stored events, and the
// heap it holds afterwards.
func BenchmarkStartup5000x100(b *testing.B) {
	path := filepath.Join(b.TempDir(), "events.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cfg := engine.Config{Store: db, Challenges: challenges(100), Users: users(5000)}
	e, err := engine.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	e.Close()
	evs := make([]game.Event, 0, 1000)
	for i := 0; i < 100_000; i++ {
		evs = append(evs, game.Event{Type: game.EventScore, UserID: int64(i%5000 + 1), ChallengeID: i/5000 + 1, Points: 10, TS: int64(i)})
		if len(evs) == cap(evs) {
			if _, err := db.Append(ctx, evs); err != nil {
				b.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	db.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cfg.Store, cfg.Challenges = db, challenges(100)
		e, err := engine.Open(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		if last := e.State().LastID(); last < 100_000 {
			b.Fatalf("loaded up to event %d", last)
		}
		b.ReportMetric(float64(took.Milliseconds()), "ms/start")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heapMB")
		e.Close()
		db.Close()
	}
}

// TestJudgeRecordsNothing: Judge gives Submit's verdict from memory alone
// (the HTTP layer rate-limits guessing around it); only Submit records.
func TestJudgeRecordsNothing(t *testing.T) {
	e, _ := mustEngine(t, 1, 2, nil)
	u, _ := e.State().PlayerByUsername("u0")
	for _, tc := range []struct {
		id      int
		guess   string
		outcome engine.Outcome
		err     error
	}{
		{1, " f1 ", engine.Correct, nil},
		{1, "f2", engine.Incorrect, nil},
		{9, "f1", engine.Incorrect, game.ErrUnknownID},
	} {
		r, err := e.Judge(u.ID, tc.id, tc.guess)
		if err != tc.err || r.Outcome != tc.outcome {
			t.Fatalf("Judge(%d, %q) = %+v %v, want %v %v", tc.id, tc.guess, r, err, tc.outcome, tc.err)
		}
	}
	if _, err := e.Judge(-1, 1, "f1"); err != game.ErrUnknownUser {
		t.Fatalf("unknown user: %v", err)
	}
	if p, _ := e.State().Player(u.ID); p.Score != 0 || e.Feed().Position() != 0 {
		t.Fatalf("Judge recorded something: score %d, log at event %d", p.Score, e.Feed().Position())
	}
	if r, err := e.Submit(context.Background(), u.ID, 1, "f1"); err != nil || r.Outcome != engine.Correct {
		t.Fatalf("Submit: %+v %v", r, err)
	}
	if r, err := e.Judge(u.ID, 1, "wrong"); err != nil || r.Outcome != engine.AlreadySolved || r.Total != 10 {
		t.Fatalf("Judge after the solve: %+v %v", r, err)
	}
}
