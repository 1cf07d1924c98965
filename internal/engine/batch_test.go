package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

// gatedStore holds each Append until the test lets it through, so that
// a test can see what callers were told while a batch is uncommitted.
type gatedStore struct {
	store.Store
	armed   atomic.Bool     // Appends before (the engine's start) pass
	started chan int        // receives the number of each Append as it starts
	gates   []chan struct{} // Append n (counted once armed) waits for gates[n]
	n       atomic.Int64
}

func (s *gatedStore) Append(ctx context.Context, evs []game.Event) ([]store.Result, error) {
	if !s.armed.Load() {
		return s.Store.Append(ctx, evs)
	}
	n := int(s.n.Add(1)) - 1
	s.started <- n
	if n < len(s.gates) {
		<-s.gates[n]
	}
	return s.Store.Append(ctx, evs)
}

// TestRefusalInBatchWaitsForCommit: members of one team send the same
// flag and land in one group commit. The one that is inserted is
// answered once the batch is committed and folded; so must be the others,
// whose "already solved" rests on it: answered earlier, a member would be
// told of a solve that no listing shows yet (and that a failed commit
// would undo).
func TestRefusalInBatchWaitsForCommit(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gs := &gatedStore{Store: db, started: make(chan int, 16), gates: []chan struct{}{make(chan struct{}), make(chan struct{})}}
	var us []game.User
	for i := range 5 {
		team := "Team A"
		if i == 4 {
			team = "Team B"
		}
		us = append(us, game.User{Username: fmt.Sprintf("u%d", i), Password: "pw", Team: team})
	}
	e, err := engine.Open(context.Background(), engine.Config{Store: gs, Challenges: challenges(2), Users: us})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, g := range gs.gates {
			select {
			case <-g:
			default:
				close(g)
			}
		}
		e.Close()
		db.Close()
	})
	ctx := context.Background()
	id := func(name string) int64 { p, _ := e.State().PlayerByUsername(name); return p.ID }
	teamA := e.State().Scorer(id("u0"))
	gs.armed.Store(true)

	// Team B's solve holds the committer in Append 0 while team A's
	// members queue up behind it.
	go e.Submit(ctx, id("u4"), 1, "f1")
	<-gs.started
	type answer struct {
		res    engine.SubmitResult
		err    error
		folded bool // the team's solve was in the state when the caller heard back
	}
	answers := make(chan answer, 4)
	for i := range 4 {
		go func() {
			res, err := e.Submit(ctx, id(fmt.Sprintf("u%d", i)), 1, "f1")
			var folded bool
			e.State().WithPlayer(teamA, func(p *game.Player) { folded = p.Solved(1) })
			answers <- answer{res, err, folded}
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the members queue up behind Append 0
	close(gs.gates[0])
	<-gs.started // team A's batch is in Append 1, not committed
	select {
	case a := <-answers:
		t.Fatalf("a member heard back while the team's solve was uncommitted: %+v", a)
	case <-time.After(200 * time.Millisecond):
	}
	close(gs.gates[1])
	correct := 0
	for range 4 {
		a := <-answers
		if a.err != nil || !a.folded {
			t.Fatalf("answer %+v: the team's solve must be folded when a member hears of it", a)
		}
		switch a.res.Outcome {
		case engine.Correct:
			correct++
		case engine.AlreadySolved:
			if a.res.Total != 10 {
				t.Errorf("already solved with total %d, want the team's 10", a.res.Total)
			}
		default:
			t.Errorf("outcome %v", a.res.Outcome)
		}
	}
	if correct != 1 {
		t.Fatalf("%d correct answers for one team's one challenge", correct)
	}
}
