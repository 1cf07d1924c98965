// Package views holds projections of the event log that are neither the
// game state nor the scorestream: each is a feed.View, folded from the
// same committed events on every instance.
package views

import (
	"sync"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// SolveMinutes is how many minutes of solves-per-minute the dashboard shows.
const SolveMinutes = 10

// ChallengeSolves is the tally of one challenge.
type ChallengeSolves struct {
	Solves      int
	FirstPlayer int64 // 0 while unsolved
	FirstTS     int64 // Unix ms of the first solve
}

// SolveSummary is what SolveStats knows at one moment.
type SolveSummary struct {
	// Total counts every solve since the start or the last reset.
	Total int
	// PerMinute holds the solves of each of the last SolveMinutes
	// minutes, oldest first; the last is the current, unfinished minute,
	// and MinuteStart is when the oldest began.
	PerMinute   [SolveMinutes]int
	MinuteStart time.Time
	// Challenges maps challenge ids to their tallies; unsolved challenges
	// may be missing.
	Challenges map[int]ChallengeSolves
}

// SolveStats is a running tally of solves — per challenge (count and first
// solver) and per minute — for the admin dashboard. It is a view of the
// event log (a feed.View) like game.State, kept apart so that the
// dashboard costs O(challenges) instead of a walk over every player's
// solves. Methods are safe for concurrent use.
type SolveStats struct {
	mu      sync.Mutex
	known   map[int64]bool // nil: every user counts
	lastID  int64
	total   int
	chal    map[int]*ChallengeSolves
	minutes [SolveMinutes]minuteBucket // ring indexed by minute number
}

type minuteBucket struct {
	minute int64 // Unix minute of the bucket's count
	n      int
}

// NewSolveStats returns an empty tally that counts the solves of the
// given users only (as game.State skips users removed from
// credentials.csv); no users: everyone's.
func NewSolveStats(users ...int64) *SolveStats {
	s := &SolveStats{chal: map[int]*ChallengeSolves{}}
	if len(users) > 0 {
		s.known = make(map[int64]bool, len(users))
		for _, id := range users {
			s.known[id] = true
		}
	}
	return s
}

// Apply folds events, in id order. Only score events count, and a reset
// event forgets every solve before it. An event whose id is not above the
// last one applied is ignored, so nothing is ever counted twice.
func (s *SolveStats) Apply(evs []game.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range evs {
		if ev.ID <= s.lastID {
			continue
		}
		s.lastID = ev.ID
		if ev.Type == game.EventReset {
			s.resetLocked()
			continue
		}
		if ev.Type == game.EventRegister && s.known != nil {
			s.known[ev.UserID] = true // a self-registered player counts from now on
			continue
		}
		if ev.Type != game.EventScore || (s.known != nil && !s.known[ev.UserID]) {
			continue
		}
		s.total++
		c := s.chal[ev.ChallengeID]
		if c == nil {
			c = &ChallengeSolves{}
			s.chal[ev.ChallengeID] = c
		}
		c.Solves++
		if c.FirstPlayer == 0 || ev.TS < c.FirstTS {
			c.FirstPlayer, c.FirstTS = ev.UserID, ev.TS
		}
		m := ev.TS / int64(time.Minute/time.Millisecond)
		b := &s.minutes[mod(m, SolveMinutes)]
		switch {
		case b.minute == m:
			b.n++
		case b.minute < m:
			*b = minuteBucket{minute: m, n: 1}
		}
		// else: older than the bucket's minute, outside every window.
	}
}

// resetLocked forgets every solve. Event ids are never reused, so the
// last id seen stays.
func (s *SolveStats) resetLocked() {
	s.total = 0
	s.chal = map[int]*ChallengeSolves{}
	s.minutes = [SolveMinutes]minuteBucket{}
}

// Summary returns the tally as of now, in O(challenges).
func (s *SolveStats) Summary(now time.Time) SolveSummary {
	minute := now.UnixMilli() / int64(time.Minute/time.Millisecond)
	first := minute - SolveMinutes + 1
	s.mu.Lock()
	defer s.mu.Unlock()
	out := SolveSummary{
		Total:       s.total,
		MinuteStart: time.UnixMilli(first * int64(time.Minute/time.Millisecond)),
		Challenges:  make(map[int]ChallengeSolves, len(s.chal)),
	}
	for i := range SolveMinutes {
		if b := s.minutes[mod(first+int64(i), SolveMinutes)]; b.minute == first+int64(i) {
			out.PerMinute[i] = b.n
		}
	}
	for id, c := range s.chal {
		out.Challenges[id] = *c
	}
	return out
}

func mod(a, n int64) int64 {
	r := a % n
	if r < 0 {
		r += n
	}
	return r
}
