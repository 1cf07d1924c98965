package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// fakeLog is a commit function over an in-memory log: it assigns ids in
// order and refuses a whole batch holding an event of user -1. It stands
// in for a database to test the committer's bookkeeping alone; the real
// backends run the storetest suite through it.
type fakeLog struct {
	mu      sync.Mutex
	next    int64
	commits int
	sizes   []int
	// When gate is set, each commit signals entered, then waits until
	// gate is closed.
	gate, entered chan struct{}
}

func (f *fakeLog) commit(_ context.Context, evs []game.Event) ([]Result, error) {
	if f.gate != nil {
		f.entered <- struct{}{}
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commits++
	f.sizes = append(f.sizes, len(evs))
	for _, ev := range evs {
		if ev.UserID == -1 {
			return nil, errors.New("bad event")
		}
	}
	res := make([]Result, len(evs))
	for i, ev := range evs {
		f.next++
		ev.ID = f.next
		res[i] = Result{Event: ev, Inserted: true}
	}
	return res, nil
}

func ev(user int64, chal int) game.Event {
	return game.Event{Type: game.EventScore, UserID: user, ChallengeID: chal}
}

// TestGroupCommitterShares: calls waiting together share a commit, each
// gets its own results in its own order, and a bad call fails alone.
func TestGroupCommitterShares(t *testing.T) {
	f := &fakeLog{gate: make(chan struct{}), entered: make(chan struct{}, 100)}
	g := NewGroupCommitter(f.commit, 1024, nil)
	defer g.Close()
	ctx := context.Background()

	// The first call holds the committer in its commit while the others
	// queue behind it.
	first := make(chan error, 1)
	go func() { _, err := g.Append(ctx, []game.Event{ev(1, 0)}); first <- err }()
	<-f.entered
	const n = 20
	var wg sync.WaitGroup
	results := make([][]Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := int64(i + 2)
			if i == 7 {
				user = -1 // the bad caller
			}
			results[i], errs[i] = g.Append(ctx, []game.Event{ev(user, 1), ev(user, 2)})
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); len(g.queue) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls queued", len(g.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(f.gate) // every commit from now on goes through
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i := range n {
		if i == 7 {
			if errs[i] == nil {
				t.Errorf("bad call: no error")
			}
			continue
		}
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		r := results[i]
		if len(r) != 2 || r[0].Event.UserID != int64(i+2) || r[0].Event.ChallengeID != 1 || r[1].Event.ChallengeID != 2 || r[1].Event.ID != r[0].Event.ID+1 {
			t.Fatalf("call %d got %+v", i, r)
		}
	}
	// One commit for the first call, one shared by the 20 that failed
	// because of the bad one, then each retried alone.
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.commits != 2+n || f.sizes[1] != 2*n {
		t.Fatalf("commits of sizes %v, want 1, %d, then %d retries of 2", f.sizes, 2*n, n)
	}
}

// TestGroupCommitterBounds: a group never holds more than maxEvents
// events unless a single call does.
func TestGroupCommitterBounds(t *testing.T) {
	f := &fakeLog{}
	g := NewGroupCommitter(f.commit, 10, nil)
	defer g.Close()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]game.Event, 1+i%4)
			for k := range evs {
				evs[k] = ev(1, i*10+k)
			}
			if _, err := g.Append(context.Background(), evs); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	big := make([]game.Event, 25)
	for k := range big {
		big[k] = ev(2, k)
	}
	if res, err := g.Append(context.Background(), big); err != nil || len(res) != 25 {
		t.Fatalf("a call above the bound: %d results, %v", len(res), err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, s := range f.sizes[:len(f.sizes)-1] {
		if s > 10 {
			t.Fatalf("commit %d carried %d events, bound is 10: %v", i, s, f.sizes)
		}
	}
}

// TestGroupCommitterContextAndClose: a caller whose context is done
// commits nothing; Close answers every queued caller, and later calls
// fail with ErrClosed.
func TestGroupCommitterContextAndClose(t *testing.T) {
	f := &fakeLog{}
	g := NewGroupCommitter(f.commit, 100, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Append(ctx, []game.Event{ev(1, 1)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := g.Append(context.Background(), []game.Event{ev(1, i)})
			if err != nil && !errors.Is(err, ErrClosed) {
				errs <- fmt.Errorf("call %d: %w", i, err)
			}
		}()
	}
	g.Close()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	g.Close() // idempotent
	if _, err := g.Append(context.Background(), []game.Event{ev(1, 1)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
	if res, err := g.Append(context.Background(), nil); res != nil || err != nil {
		t.Fatalf("empty append: %v, %v", res, err)
	}
}

// TestGroupCommitterUnknownOutcome: when a shared commit fails in a way
// that may have committed (rolledBack says no), nothing is retried: every
// caller of the group gets the error, and no event is committed twice.
func TestGroupCommitterUnknownOutcome(t *testing.T) {
	lost := errors.New("connection lost during COMMIT")
	f := &fakeLog{gate: make(chan struct{}), entered: make(chan struct{}, 100)}
	var calls atomic.Int32
	commit := func(ctx context.Context, evs []game.Event) ([]Result, error) {
		calls.Add(1)
		if _, err := f.commit(ctx, evs); err != nil {
			return nil, err
		}
		if len(evs) > 1 {
			return nil, lost // after committing: the outcome is unknown to the caller
		}
		return make([]Result, len(evs)), nil
	}
	g := NewGroupCommitter(commit, 100, func(err error) bool { return !errors.Is(err, lost) })
	defer g.Close()
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { _, err := g.Append(ctx, []game.Event{ev(1, 0)}); first <- err }()
	<-f.entered
	const n = 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = g.Append(ctx, []game.Event{ev(2, i)})
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); len(g.queue) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls queued", len(g.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, lost) {
			t.Errorf("call %d: %v, want the commit's error", i, err)
		}
	}
	if c := calls.Load(); c != 2 {
		t.Fatalf("%d commits, want 2 (no retry after an unknown outcome)", c)
	}
}
