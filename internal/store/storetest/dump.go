package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

var dumpTests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"DumpLoad", testDumpLoad},
	{"LoadRefusesNonEmpty", testLoadRefusesNonEmpty},
	{"LoadAtomic", testLoadAtomic},
	{"DumpWhileAppending", testDumpWhileAppending},
}

// playBatch is how many events MustPlay appends per call.
const playBatch = 64

// MustPlay fills s with a game of the given players and about n events:
// solves, free and paid hints, renames, an event of another type with a
// JSON payload and a duplicate solve, then a reset, then as many again,
// plus submissions, sessions (hashes of "session-USERNAME"), a meta
// value and a shared rate-limit bucket after the reset (which clears
// them), a registered account and a used one-time value. It returns the ids of the players. Every table of
// store.DumpTables ends up with rows.
func MustPlay(tb testing.TB, s store.Store, players []string, n int) map[string]int64 {
	tb.Helper()
	ctx := context.Background()
	ids, err := s.SyncUsers(ctx, players)
	if err != nil {
		tb.Fatalf("SyncUsers: %v", err)
	}
	// A registered account (its register event outlives the reset).
	if _, err := s.CreateAccount(ctx, "registered."+players[0], testHash(players[0])); err != nil {
		tb.Fatalf("CreateAccount: %v", err)
	}
	ts := int64(1_700_000_000_000)
	half := func(round int) {
		evs := make([]game.Event, 0, playBatch)
		for k := range n / 2 {
			ts++
			p := players[k%len(players)]
			u, chal := ids[p], k/len(players)+1
			switch {
			case k%13 == 5:
				evs = append(evs, rename(u, fmt.Sprintf("%s r%d.%d", p, round, k), ts))
			case k%17 == 3:
				evs = append(evs, game.Event{Type: "announcement", TS: ts, Data: fmt.Sprintf(`{"text": "round %d, step %d"}`, round, k)})
			case k%11 == 7 && chal > 1:
				evs = append(evs, hint(u, chal-1, 1+k%2, 5*(k%2), ts)) // free or paid
			case k%19 == 2 && chal > 1:
				evs = append(evs, solve(u, chal-1, 10, ts)) // often a duplicate: a gap in PostgreSQL's ids
			default:
				evs = append(evs, solve(u, chal, 10, ts))
			}
			if len(evs) == playBatch {
				MustAppend(tb, s, evs...)
				evs = evs[:0]
			}
		}
		if len(evs) > 0 {
			MustAppend(tb, s, evs...)
		}
	}
	half(1)
	MustReset(tb, s, ts+1)
	ts++
	half(2)

	var subs []store.Submission
	for i, p := range players {
		if err := s.CreateSession(ctx, SessionHash(p), ids[p]); err != nil {
			tb.Fatalf("CreateSession: %v", err)
		}
		for j, r := range []store.SubmissionResult{store.ResultIncorrect, store.ResultCorrect, store.ResultRateLimited} {
			x := store.Submission{UserID: ids[p], Challenge: j + 1, Result: r, Address: fmt.Sprintf("2001:db8::%d", i), TS: time.UnixMilli(ts + int64(i*3+j))}
			if r == store.ResultIncorrect {
				x.Guess, x.Address = fmt.Sprintf("flag{nope-%d-%d}", i, j), fmt.Sprintf("192.0.2.%d", i)
			}
			subs = append(subs, x)
		}
	}
	MustRecordSubmissions(tb, s, subs...)
	if err := s.SetMeta(ctx, "storetest", "played"); err != nil {
		tb.Fatalf("SetMeta: %v", err)
	}
	if _, _, err := s.TakeToken(ctx, "wrong:"+players[0], 5, time.Minute, time.UnixMilli(ts)); err != nil {
		tb.Fatalf("TakeToken: %v", err)
	}
	if _, err := s.UseOnce(ctx, "pow:"+players[0], time.UnixMilli(ts+600_000), time.UnixMilli(ts)); err != nil {
		tb.Fatalf("UseOnce: %v", err)
	}
	return ids
}

// SessionHash is the session hash MustPlay stores for a player.
func SessionHash(username string) []byte {
	h := sha256.Sum256([]byte("session-" + username))
	return h[:]
}

// MustDump dumps s, which must be a store.Dumper.
func MustDump(tb testing.TB, s store.Store) *store.Dump {
	tb.Helper()
	d, ok := s.(store.Dumper)
	if !ok {
		tb.Fatalf("%T is not a store.Dumper", s)
	}
	dump, err := d.Dump(context.Background())
	if err != nil {
		tb.Fatalf("Dump: %v", err)
	}
	return dump
}

func load(s store.Store, d *store.Dump, replace bool) error {
	l, ok := s.(store.Loader)
	if !ok {
		return fmt.Errorf("%T is not a store.Loader", s)
	}
	return l.Load(context.Background(), d, replace)
}

// SameDump returns the differences between two dumps, table by table
// (nil when equal).
func SameDump(a, b *store.Dump) []string {
	var diffs []string
	for name, pair := range map[string][2]any{
		"users": {a.Users, b.Users}, "events": {a.Events, b.Events}, "log head": {a.LogHead, b.LogHead},
		"names": {a.Names, b.Names}, "sessions": {a.Sessions, b.Sessions}, "meta": {a.Meta, b.Meta},
		"submissions": {a.Submissions, b.Submissions}, "limits": {a.Limits, b.Limits},
		"used_once": {a.UsedOnce, b.UsedOnce},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			diffs = append(diffs, name)
		}
	}
	return diffs
}

// testDumpLoad: a game dumped from one database and loaded into a new one
// reads back identical, table by table, with every id; the loaded store
// works on from there: sessions resolve, and the next event gets an id
// above every id of the source.
func testDumpLoad(t *testing.T, open Opener) {
	src := open(t)
	players := []string{"ann", "ben", "cat", "dan"}
	ids := MustPlay(t, src, players, 600)
	d := MustDump(t, src)
	c := d.Counts()
	for _, table := range store.DumpTables {
		if c[table.Name] == 0 {
			t.Errorf("the played game has no %s: the test does not cover it", table.Name)
		}
	}
	if len(c) != len(store.DumpTables)+2 {
		t.Errorf("Counts has %d entries for %d tables", len(c), len(store.DumpTables))
	}
	// The register event outlives the reset, which comes next.
	if d.Events[0].Type != game.EventRegister || d.Events[1].Type != game.EventReset || c["max event id"] > d.LogHead {
		t.Errorf("first event %+v, max id %d, head %d", d.Events[0], c["max event id"], d.LogHead)
	}
	if again := MustDump(t, src); SameDump(d, again) != nil {
		t.Errorf("two dumps of an idle store differ in %v", SameDump(d, again))
	}

	t.Run("target", func(t *testing.T) {
		dst := open(t)
		if err := load(dst, d, false); err != nil {
			t.Fatalf("Load into an empty store: %v", err)
		}
		if diffs := SameDump(d, MustDump(t, dst)); diffs != nil {
			t.Fatalf("the loaded store differs in %v", diffs)
		}
		ctx := context.Background()
		if u, err := dst.SessionUser(ctx, SessionHash("cat")); err != nil || u != ids["cat"] {
			t.Errorf("session of cat: %d, %v", u, err)
		}
		if v, err := dst.Meta(ctx, "storetest"); err != nil || v != "played" {
			t.Errorf("meta: %q, %v", v, err)
		}
		if got, want := MustLatestSubmissions(t, dst, 5), MustLatestSubmissions(t, src, 5); describe(got) != describe(want) || got[0].ID != want[0].ID {
			t.Errorf("submissions: %s, want %s", describe(got), describe(want))
		}
		r := MustAppend(t, dst, solve(ids["ann"], 9999, 1, 1))[0]
		if !r.Inserted || r.Event.ID <= d.LogHead {
			t.Errorf("first event after the load: %+v, want an id above %d", r, d.LogHead)
		}
		// The game's rules hold on the loaded data: a second solve of a
		// challenge solved before the load is a duplicate.
		last := d.Events[len(d.Events)-1]
		for _, ev := range d.Events {
			if ev.Type == game.EventScore {
				last = ev
			}
		}
		if r := MustAppend(t, dst, solve(last.UserID, last.ChallengeID, 10, 2))[0]; r.Inserted {
			t.Errorf("a solve loaded from the dump did not make a second one a duplicate: %+v", r)
		}
		MustRecordSubmissions(t, dst, store.Submission{UserID: ids["ben"], Challenge: 1, Result: store.ResultIncorrect, Guess: "after", TS: time.UnixMilli(2_000_000_000_000)})
		if g := MustLatestSubmissions(t, dst, 1)[0]; g.ID <= d.Submissions[len(d.Submissions)-1].ID {
			t.Errorf("submission after the load got id %d, not above the loaded ones", g.ID)
		}
	})
}

// testLoadRefusesNonEmpty: a store with a user or an event is refused
// unless replace is set, which replaces its content entirely and never
// lowers its log head.
func testLoadRefusesNonEmpty(t *testing.T, open Opener) {
	src := open(t)
	MustPlay(t, src, []string{"ann", "ben"}, 40)
	d := MustDump(t, src)

	t.Run("target", func(t *testing.T) {
		dst := open(t)
		MustSyncUsers(t, dst, 1) // a server started once: users only
		if err := load(dst, d, false); !errors.Is(err, store.ErrNotEmpty) {
			t.Fatalf("Load into a store with a user: %v, want ErrNotEmpty", err)
		}
		if got := MustDump(t, dst); len(got.Users) != 1 || len(got.Events) != 0 {
			t.Fatalf("refused Load changed the store: %+v", got.Counts())
		}
		// A bigger log head than the dump's: replacing must not lower it.
		u := MustSyncUsers(t, dst, 1)[0]
		for range 3 {
			evs := make([]game.Event, 0, 40)
			for i := range 40 {
				evs = append(evs, solve(u, 1000+i, 1, 1))
			}
			MustAppend(t, dst, evs...)
			MustReset(t, dst, 2)
		}
		before := MustDump(t, dst).LogHead
		if before <= d.LogHead {
			t.Fatalf("setup: target head %d not above the dump's %d", before, d.LogHead)
		}
		if err := load(dst, d, true); err != nil {
			t.Fatalf("Load with replace: %v", err)
		}
		got := MustDump(t, dst)
		if got.LogHead != before {
			t.Errorf("log head after replacing: %d, want the target's %d (never lower)", got.LogHead, before)
		}
		got.LogHead = d.LogHead
		if diffs := SameDump(d, got); diffs != nil {
			t.Errorf("replaced store differs in %v", diffs)
		}
		if r := MustAppend(t, dst, solve(d.Users[0].ID, 5000, 1, 3))[0]; r.Event.ID <= before {
			t.Errorf("next id %d, want above %d", r.Event.ID, before)
		}
	})
}

// testLoadAtomic: a Load that fails half-way (an event of a user the dump
// lacks) leaves the target exactly as it was.
func testLoadAtomic(t *testing.T, open Opener) {
	src := open(t)
	MustPlay(t, src, []string{"ann", "ben"}, 40)
	d := MustDump(t, src)
	bad := *d
	bad.Events = append(append([]game.Event(nil), d.Events...), solve(424242, 1, 1, 1))
	bad.Events[len(bad.Events)-1].ID = bad.LogHead + 1

	t.Run("target", func(t *testing.T) {
		dst := open(t)
		if err := load(dst, d, false); err != nil {
			t.Fatal(err)
		}
		before := MustDump(t, dst)
		if err := load(dst, &bad, true); err == nil {
			t.Fatal("Load of an event of an unknown user: no error")
		}
		if diffs := SameDump(before, MustDump(t, dst)); diffs != nil {
			t.Errorf("a failed Load changed %v", diffs)
		}
	})
}

// testDumpWhileAppending: dumps taken while events keep committing are
// snapshots: each holds every event up to its largest id and nothing
// half-written (the appender's events are all distinct solves, so their
// ids have no gaps).
func testDumpWhileAppending(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		for i := 1; ctx.Err() == nil; i++ {
			if _, err := s.Append(ctx, []game.Event{solve(u, i, 1, int64(i)), solve(u, -i, 1, int64(i))}); err != nil {
				if ctx.Err() != nil {
					err = nil
				}
				done <- err
				return
			}
		}
		done <- nil
	}()
	var last int64
	for round := 0; round < 20 || last == 0; round++ {
		if round > 2000 {
			t.Fatal("no event committed while dumping")
		}
		d := MustDump(t, s)
		for i, ev := range d.Events {
			if ev.ID != int64(i+1) {
				t.Fatalf("dump %d: event %d has id %d: a gap in the snapshot", round, i, ev.ID)
			}
		}
		if len(d.Events)%2 != 0 {
			t.Fatalf("dump %d holds half of a two-event append (%d events)", round, len(d.Events))
		}
		if d.LogHead != d.MaxEventID() {
			t.Fatalf("dump %d: log head %d, max event id %d: not one snapshot", round, d.LogHead, d.MaxEventID())
		}
		last = d.MaxEventID()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
