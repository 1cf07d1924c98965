package engine

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

// testClock is an injected clock the test moves by hand.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) Now() time.Time       { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time)      { c.ns.Store(t.UnixNano()) }
func newTestClock(t time.Time) *testClock { c := &testClock{}; c.Set(t); return c }

func mustClockEngine(tb testing.TB, clk *testClock, start, end time.Time) *Engine {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	e, err := Open(ctx, Config{
		Store:      db,
		Challenges: []*game.Challenge{{ID: 1, Title: "one", Points: 100, Flag: "^a$", Hints: []game.Hint{{ID: 1, Cost: 0}}}},
		Users:      []game.User{{Username: "alice", Password: "pw"}},
		Now:        clk.Now,
		Start:      start,
		End:        end,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close(); db.Close() })
	return e
}

// TestCommitTimeClockCheckWins: a right flag judged a moment before the
// end but committed after it is refused with "ended" and records
// nothing: the committer checks the window again, against its own time.
func TestCommitTimeClockCheckWins(t *testing.T) {
	start := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	clk := newTestClock(end.Add(-time.Millisecond))
	e := mustClockEngine(t, clk, start, end)
	ctx := context.Background()
	p, _ := e.State().PlayerByUsername("alice")
	res, c, err := e.judge(p.ID, 1, "a")
	if err != nil || res.Outcome != Correct {
		t.Fatalf("judged before the end: %+v %v", res, err)
	}
	clk.Set(end) // the end passes between the judgement and the commit
	if _, err := e.solve(ctx, p.ID, c, false); !errors.Is(err, game.ErrEnded) {
		t.Fatalf("committed after the end: %v, want ended", err)
	}
	if q, _ := e.State().Player(p.ID); q.Score != 0 || e.State().LastID() != 0 {
		t.Fatalf("a refused solve left a trace: score %d, last event %d", q.Score, e.State().LastID())
	}
	if _, err := e.BuyHint(ctx, p.ID, 1, 1); !errors.Is(err, game.ErrEnded) {
		t.Fatalf("hint after the end: %v", err)
	}
	if _, err := e.Award(ctx, "alice", 1); !errors.Is(err, game.ErrEnded) {
		t.Fatalf("award after the end: %v", err)
	}
}

// TestPauseResumeAndClockChange: pause and resume are events whose
// effect every later request sees; a live change is validated against
// the clock as folded and overrides the configured value.
func TestPauseResumeAndClockChange(t *testing.T) {
	start := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	clk := newTestClock(start.Add(-time.Minute))
	e := mustClockEngine(t, clk, start, end)
	ctx := context.Background()
	p, _ := e.State().PlayerByUsername("alice")
	if _, err := e.Submit(ctx, p.ID, 1, "a"); !errors.Is(err, game.ErrNotStarted) {
		t.Fatalf("before start: %v", err)
	}
	clk.Set(start)
	c, err := e.Pause(ctx)
	if err != nil || !c.Paused {
		t.Fatalf("pause: %+v %v", c, err)
	}
	last := e.State().LastID()
	if _, err := e.Pause(ctx); err != nil || e.State().LastID() != last {
		t.Fatalf("a second pause wrote an event (%v)", err)
	}
	if _, err := e.BuyHint(ctx, p.ID, 1, 1); !errors.Is(err, game.ErrPaused) {
		t.Fatalf("hint while paused: %v", err)
	}
	if c, err := e.Resume(ctx); err != nil || c.Paused {
		t.Fatalf("resume: %+v %v", c, err)
	}
	if res, err := e.Submit(ctx, p.ID, 1, "a"); err != nil || res.Outcome != Correct {
		t.Fatalf("after resume: %+v %v", res, err)
	}
	// The end moved earlier than the start: refused, nothing written.
	last = e.State().LastID()
	if _, err := e.SetClock(ctx, game.ClockChange{End: game.ClockField{Set: true, At: start}}); !errors.Is(err, game.ErrStartNotBeforeEnd) {
		t.Fatalf("end == start: %v", err)
	}
	if e.State().LastID() != last {
		t.Fatal("a refused clock change was written")
	}
	later := end.Add(time.Hour)
	c, err = e.SetClock(ctx, game.ClockChange{End: game.ClockField{Set: true, At: later}})
	if at, src := c.End(); err != nil || !at.Equal(later) || src != game.SourceAdmin {
		t.Fatalf("extend the end: %v from %q, %v", at, src, err)
	}
	clk.Set(end.Add(time.Minute)) // past the configured end, before the live one
	if e.Clock().State(clk.Now()) != game.ClockRunning {
		t.Fatalf("live end ignored: %s", e.Clock().State(clk.Now()))
	}
}
