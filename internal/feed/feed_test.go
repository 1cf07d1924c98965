package feed_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/feed"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/sqlite"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// recorder is a view that remembers what it was told and fails the test
// on any event out of order or seen twice.
type recorder struct {
	tb   testing.TB
	mu   sync.Mutex
	last int64
	evs  []game.Event
}

func (r *recorder) Apply(evs []game.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range evs {
		if ev.ID <= r.last {
			r.tb.Errorf("event %d after %d: out of order or twice", ev.ID, r.last)
		}
		r.last = ev.ID
		r.evs = append(r.evs, ev)
	}
}

func (r *recorder) seen() (int, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.evs), r.last
}

func mustDB(tb testing.TB, users int) (*sqlite.DB, []int64) {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, storetest.MustSyncUsers(tb, db, users)
}

func mustAppend(tb testing.TB, db store.Store, evs ...game.Event) []store.Result {
	tb.Helper()
	rs, err := db.Append(context.Background(), evs)
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}

func solve(user int64, chal int) game.Event {
	return game.Event{Type: game.EventScore, UserID: user, ChallengeID: chal, Points: 10, TS: time.Now().UnixMilli()}
}

// Sync hands a writer's own event to every view before it returns, and
// CatchUp at start delivers the log from the beginning.
func TestSyncDeliversOwnWriteToEveryView(t *testing.T) {
	db, u := mustDB(t, 2)
	mustAppend(t, db, solve(u[0], 1), solve(u[1], 1))
	a, b := &recorder{tb: t}, &recorder{tb: t}
	f := feed.New(feed.Config{Log: db, Views: []feed.View{a, b}}, 0)
	pos, err := f.CatchUp(context.Background())
	if err != nil || pos == 0 {
		t.Fatalf("catch up: %d %v", pos, err)
	}
	if n, _ := a.seen(); n != 2 {
		t.Fatalf("start-up fold: %d events, want 2", n)
	}
	rs := mustAppend(t, db, solve(u[0], 2))
	if err := f.Sync(context.Background(), rs[0].Event.ID); err != nil {
		t.Fatal(err)
	}
	for _, v := range []*recorder{a, b} {
		if n, last := v.seen(); n != 3 || last != rs[0].Event.ID {
			t.Fatalf("after Sync a view has %d events up to %d, want 3 up to %d", n, last, rs[0].Event.ID)
		}
	}
	if f.Position() != rs[0].Event.ID {
		t.Fatalf("position %d", f.Position())
	}
}

// noWake is a log whose wake-ups are all lost.
type noWake struct{ store.Store }

func (noWake) Changed() <-chan struct{} { return nil }

// A lost wake-up delays an event by at most the poll interval; it is
// never lost.
func TestRunPollsWhenWakeUpsAreLost(t *testing.T) {
	db, u := mustDB(t, 1)
	r := &recorder{tb: t}
	f := feed.New(feed.Config{Log: noWake{db}, Views: []feed.View{r}, Poll: 20 * time.Millisecond}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	rs := mustAppend(t, db, solve(u[0], 1))
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := f.Wait(wctx, rs[0].Event.ID); err != nil {
		t.Fatalf("the event never arrived without a wake-up: %v", err)
	}
}

// Writers syncing their own events while the reader follows wake-ups: every
// event reaches the view exactly once, in order (the recorder fails the
// test otherwise), and each writer's event is there when Sync returns.
func TestConcurrentSyncAndRunDeliverOnce(t *testing.T) {
	const writers, each = 8, 40
	db, u := mustDB(t, writers)
	r := &recorder{tb: t}
	f := feed.New(feed.Config{Log: db, Views: []feed.View{r}, Poll: 5 * time.Millisecond}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				rs, err := db.Append(context.Background(), []game.Event{solve(u[w], i+1)})
				if err != nil {
					t.Error(err)
					return
				}
				if err := f.Sync(context.Background(), rs[0].Event.ID); err != nil {
					t.Error(err)
					return
				}
				if _, last := r.seen(); last < rs[0].Event.ID {
					t.Errorf("Sync(%d) returned with the view at %d", rs[0].Event.ID, last)
				}
			}
		}()
	}
	wg.Wait()
	if n, _ := r.seen(); n != writers*each {
		t.Fatalf("view saw %d events, want %d", n, writers*each)
	}
}

// A reset event reaches the views like any other, and the log behind it is
// gone: a feed started afterwards begins at the reset.
func TestResetIsAnEventInTheLog(t *testing.T) {
	db, u := mustDB(t, 2)
	mustAppend(t, db, solve(u[0], 1), solve(u[1], 1))
	r := &recorder{tb: t}
	f := feed.New(feed.Config{Log: db, Views: []feed.View{r}}, 0)
	if _, err := f.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := mustAppend(t, db, game.Event{Type: game.EventReset, TS: time.Now().UnixMilli()}, solve(u[0], 2))
	if rs[0].Removed != 2 {
		t.Errorf("reset removed %d events, want 2", rs[0].Removed)
	}
	if err := f.Sync(context.Background(), rs[1].Event.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.seen(); n != 4 || r.evs[2].Type != game.EventReset {
		t.Fatalf("view saw %+v", r.evs)
	}
	fresh := &recorder{tb: t}
	if _, err := feed.New(feed.Config{Log: db, Views: []feed.View{fresh}}, 0).CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(fresh.evs) != 2 || fresh.evs[0].Type != game.EventReset || fresh.evs[0].ID != rs[0].Event.ID {
		t.Fatalf("after a restart the log starts with %+v, want the reset then one solve", fresh.evs)
	}
}
