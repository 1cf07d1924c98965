package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// Several instances over one database: the Opener, called again while an
// earlier store of the same test is still open, returns another store
// over the same data, as a second server process would open it. The rules
// that span rows must hold across them, because each instance's in-memory
// state can be slightly stale (SPEC §7).
var concurrencyTests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"InstancesSyncUsers", testInstancesSyncUsers},
	{"InstancesTail", testInstancesTail},
	{"InstancesUnique", testInstancesUnique},
	{"InstancesHintPoints", testInstancesHintPoints},
	{"InstancesTakeToken", testInstancesTakeToken},
}

func openN(t *testing.T, open Opener, n int) []store.Store {
	ss := make([]store.Store, n)
	for i := range ss {
		ss[i] = open(t)
	}
	return ss
}

// parallel runs fn(i) for i in [0, n) at once and waits; the errors are
// reported.
func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// testInstancesSyncUsers: servers starting at once with the same
// credentials file agree on every id, in file order.
func testInstancesSyncUsers(t *testing.T, open Opener) {
	ss := openN(t, open, 3)
	names := make([]string, 300)
	for i := range names {
		names[i] = fmt.Sprintf("player%03d", len(names)-i) // not sorted
	}
	got := make([]map[string]int64, len(ss))
	parallel(t, len(ss), func(i int) error {
		var err error
		got[i], err = ss[i].SyncUsers(context.Background(), names)
		return err
	})
	for i := range got {
		if !maps.Equal(got[i], got[0]) {
			t.Fatalf("instance %d got other ids than instance 0", i)
		}
	}
	for i := 1; i < len(names); i++ {
		if got[0][names[i]] <= got[0][names[i-1]] {
			t.Fatalf("ids not in file order: %s=%d after %s=%d", names[i], got[0][names[i]], names[i-1], got[0][names[i-1]])
		}
	}
}

// testInstancesTail is the feed's contract: writers on several instances
// commit at once while a reader tails one instance with Events(after
// last seen), woken by Changed or by its poll. It must see every event
// exactly once, in id order. A backend whose ids are not in commit order
// fails it (a reader moves past an id whose transaction commits later).
func testInstancesTail(t *testing.T, open Opener) {
	ss := openN(t, open, 3)
	u := MustSyncUsers(t, ss[0], 20)
	const writersPer, perWriter = 3, 60
	total := len(ss) * writersPer * perWriter

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	seen := make(chan []game.Event, 1)
	go func() {
		var got []game.Event
		var last int64
		for len(got) < total && ctx.Err() == nil {
			err := ss[0].Events(ctx, last, func(ev game.Event) error {
				got = append(got, ev)
				last = ev.ID
				return nil
			})
			if err != nil {
				break
			}
			select {
			case <-ss[0].Changed():
			case <-time.After(5 * time.Millisecond): // the feed's poll
			case <-ctx.Done():
			}
		}
		seen <- got
	}()

	parallel(t, len(ss)*writersPer, func(w int) error {
		s := ss[w%len(ss)]
		for i := range perWriter {
			// Mixed batch sizes, so transactions of different lengths
			// overlap.
			n := 1 + (i % 3)
			evs := make([]game.Event, 0, n)
			for k := range n {
				evs = append(evs, solve(u[(w+k)%len(u)], w*1000+i*10+k, 1, int64(i)))
			}
			if i%3 != 0 {
				evs = evs[:1]
			}
			res, err := s.Append(ctx, evs)
			if err != nil {
				return err
			}
			for _, r := range res {
				if !r.Inserted {
					return fmt.Errorf("writer %d: %+v not inserted", w, r)
				}
			}
		}
		return nil
	})
	all := MustEvents(t, ss[1], 0)
	got := <-seen
	// Writers whose i%3==0 append n events, the others one: count what
	// was committed rather than re-deriving it.
	if len(got) != len(all) {
		t.Fatalf("tailing reader saw %d events, the log holds %d: it missed some", len(got), len(all))
	}
	for i := range all {
		if got[i] != all[i] {
			t.Fatalf("event %d: tailing reader saw %+v, the log holds %+v", i, got[i], all[i])
		}
		if i > 0 && all[i].ID <= all[i-1].ID {
			t.Fatalf("ids not increasing: %d then %d", all[i-1].ID, all[i].ID)
		}
	}
}

// testInstancesUnique: one solve, one display name, however many
// instances try at once.
func testInstancesUnique(t *testing.T, open Opener) {
	ss := openN(t, open, 2)
	u := MustSyncUsers(t, ss[0], 10)
	const n = 40
	inserted := make([]bool, n)
	parallel(t, n, func(i int) error {
		res, err := ss[i%2].Append(context.Background(), []game.Event{solve(u[0], 7, 100, int64(i))})
		if err == nil {
			inserted[i] = res[0].Inserted
		}
		return err
	})
	if c := count(inserted); c != 1 {
		t.Fatalf("the same solve was inserted %d times across instances", c)
	}
	names := []string{"Neo", "NEO", "neo", " Neo ", "nEo"}
	won := make([]bool, len(u))
	parallel(t, len(u), func(i int) error {
		res, err := ss[i%2].Append(context.Background(), []game.Event{rename(u[i], names[i%len(names)], int64(i))})
		if err != nil {
			return err
		}
		won[i] = res[0].Inserted
		if !won[i] && !errors.Is(res[0].Err, game.ErrNameTaken) {
			return fmt.Errorf("rename %d: %+v, want inserted or ErrNameTaken", i, res[0])
		}
		return nil
	})
	if c := count(won); c != 1 {
		t.Fatalf("%d players hold the same display name", c)
	}
}

// testInstancesHintPoints: purchases on two instances at once never
// spend more than the player has.
func testInstancesHintPoints(t *testing.T, open Opener) {
	ss := openN(t, open, 2)
	u := MustSyncUsers(t, ss[0], 1)
	MustAppend(t, ss[1], solve(u[0], 1, 50, 1))
	const n = 30
	bought := make([]bool, n)
	parallel(t, n, func(i int) error {
		res, err := ss[i%2].Append(context.Background(), []game.Event{hint(u[0], 10+i, 1, 10, int64(i))})
		if err != nil {
			return err
		}
		bought[i] = res[0].Inserted
		if !bought[i] && !errors.Is(res[0].Err, game.ErrInsufficientPoints) {
			return fmt.Errorf("purchase %d: %+v", i, res[0])
		}
		return nil
	})
	if c := count(bought); c != 5 {
		t.Fatalf("%d hints of 10 bought with 50 points across instances, want 5", c)
	}
}

// testInstancesTakeToken: a guess limit holds across instances.
func testInstancesTakeToken(t *testing.T, open Opener) {
	ss := openN(t, open, 2)
	const n, burst = 100, 10
	took := make([]bool, n)
	parallel(t, n, func(i int) error {
		var err error
		took[i], _, err = ss[i%2].TakeToken(context.Background(), "login:alice", burst, time.Hour, t0)
		return err
	})
	if c := count(took); c != burst {
		t.Fatalf("%d tokens taken across instances from a bucket of %d", c, burst)
	}
}

// testInstancesChanged (shared backends only): a commit on one instance
// wakes the reader of another.
func testInstancesChanged(t *testing.T, open Opener) {
	ss := openN(t, open, 2)
	u := MustSyncUsers(t, ss[0], 1)
	for i := range 3 {
		drain(ss[0].Changed())
		MustAppend(t, ss[1], solve(u[0], i, 1, int64(i)))
		select {
		case <-ss[0].Changed():
		case <-time.After(10 * time.Second):
			t.Fatalf("commit %d on another instance did not wake this one", i)
		}
	}
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
