package views

import (
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

func score(id, user int64, chal int, ts time.Time) game.Event {
	return game.Event{ID: id, Type: game.EventScore, UserID: user, ChallengeID: chal, Points: 10, TS: ts.UnixMilli()}
}

func TestSolveStats(t *testing.T) {
	t0 := time.Date(2025, 5, 1, 10, 0, 30, 0, time.UTC) // 30 s into a minute
	s := NewSolveStats()
	s.Apply([]game.Event{
		score(1, 7, 1, t0.Add(-20*time.Minute)), // outside the window
		score(2, 8, 1, t0.Add(-9*time.Minute)),  // first bucket
		game.Event{ID: 3, Type: game.EventHint, UserID: 8, ChallengeID: 1, HintID: 1, Points: -5, TS: t0.UnixMilli()},
		game.Event{ID: 4, Type: game.EventRename, UserID: 8, Name: "Eight", TS: t0.UnixMilli()},
		score(5, 8, 2, t0),
		score(6, 9, 2, t0.Add(10*time.Second)),
	})
	s.Apply([]game.Event{score(5, 9, 3, t0)}) // an id already seen: ignored
	sum := s.Summary(t0.Add(20 * time.Second))
	if sum.Total != 4 {
		t.Errorf("total %d, want 4", sum.Total)
	}
	want := [SolveMinutes]int{1, 0, 0, 0, 0, 0, 0, 0, 0, 2}
	if sum.PerMinute != want || !sum.MinuteStart.Equal(time.Date(2025, 5, 1, 9, 51, 0, 0, time.UTC)) {
		t.Errorf("per minute %v from %v, want %v from 09:51", sum.PerMinute, sum.MinuteStart, want)
	}
	if c := sum.Challenges[1]; c.Solves != 2 || c.FirstPlayer != 7 || c.FirstTS != t0.Add(-20*time.Minute).UnixMilli() {
		t.Errorf("challenge 1: %+v", c)
	}
	if c := sum.Challenges[2]; c.Solves != 2 || c.FirstPlayer != 8 {
		t.Errorf("challenge 2: %+v", c)
	}
	if _, ok := sum.Challenges[3]; ok {
		t.Error("a duplicate id was counted")
	}
	// Ten minutes on, the ring's slot of t0's minute holds a new minute.
	later := t0.Add(10 * time.Minute)
	s.Apply([]game.Event{score(7, 10, 4, later)})
	sum = s.Summary(later)
	if want := [SolveMinutes]int{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}; sum.PerMinute != want {
		t.Errorf("ten minutes later: %v, want %v", sum.PerMinute, want)
	}
	// A late event for a minute the ring has moved past changes nothing.
	s.Apply([]game.Event{score(8, 10, 5, t0)})
	if sum2 := s.Summary(later); sum2.PerMinute != sum.PerMinute || sum2.Total != 6 {
		t.Errorf("late event: %v total %d", sum2.PerMinute, sum2.Total)
	}
	// Summary hands out copies.
	sum.Challenges[4] = ChallengeSolves{Solves: 99}
	if s.Summary(later).Challenges[4].Solves != 1 {
		t.Error("Summary shares its map")
	}
	s.Apply([]game.Event{{ID: 9, Type: game.EventReset, TS: later.UnixMilli()}})
	if sum := s.Summary(later); sum.Total != 0 || len(sum.Challenges) != 0 || sum.PerMinute != [SolveMinutes]int{} {
		t.Errorf("after a reset event: %+v", sum)
	}
	s.Apply([]game.Event{score(8, 10, 5, later)}) // ids are never reused: still ignored
	s.Apply([]game.Event{score(10, 10, 5, later)})
	if sum := s.Summary(later); sum.Total != 1 || sum.Challenges[5].FirstPlayer != 10 {
		t.Errorf("after a reset event and a new solve: %+v", sum)
	}
}

// Only the users given count: a user removed from credentials.csv keeps
// their history in the database, and game.State skips it too.
func TestSolveStatsKnownUsers(t *testing.T) {
	t0 := time.Now()
	s := NewSolveStats(1, 2)
	s.Apply([]game.Event{score(1, 1, 1, t0), score(2, 3, 1, t0), score(3, 2, 2, t0)})
	if sum := s.Summary(t0); sum.Total != 2 || sum.Challenges[1].Solves != 1 {
		t.Errorf("summary %+v, want 2 solves of known users", sum)
	}
}

// A self-registered player counts from their register event on.
func TestSolveStatsRegisteredUsers(t *testing.T) {
	t0 := time.Now()
	s := NewSolveStats(1)
	s.Apply([]game.Event{
		{ID: 1, Type: game.EventRegister, UserID: 7, Name: "newbie", TS: t0.UnixMilli()},
		score(2, 7, 1, t0),
	})
	if sum := s.Summary(t0); sum.Total != 1 || sum.Challenges[1].FirstPlayer != 7 {
		t.Errorf("summary %+v, want the registered player's solve", sum)
	}
}
