// Package storetest is the conformance suite every store.Store backend
// must pass. A backend's test calls Run with a function that opens its
// store; each behaviour is one subtest.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// Opener opens the store under test for t.
//
// The first call for a given t must return a store over a new, empty
// database. A later call with the same t must reach the same data again:
// after the suite closed the previous store, that is how it checks that
// data survives a restart; while the previous one is still open, the new
// store is a second instance over the same database, as another server
// process would open it. The opener should close what it opened in
// t.Cleanup; Close must therefore tolerate being called twice.
type Opener func(t *testing.T) store.Store

// Option adjusts Run to what a backend promises.
type Option func(*options)

type options struct{ shared, parallel bool }

// Shared declares a backend that several processes serve at once
// (PostgreSQL): Changed must also hear commits of other instances.
func Shared() Option { return func(o *options) { o.shared = true } }

// Parallel runs the subtests in parallel (up to go test's -parallel), for
// a backend whose tests mostly wait on a server: each has a database of
// its own.
func Parallel() Option { return func(o *options) { o.parallel = true } }

// Run runs the whole suite against the backend that open opens.
func Run(t *testing.T, open Opener, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"SyncUsers", testSyncUsers},
		{"SyncUsersReopen", testSyncUsersReopen},
		{"SyncUsersBadInput", testSyncUsersBadInput},
		{"AppendIDs", testAppendIDs},
		{"AppendEmpty", testAppendEmpty},
		{"AppendDuplicates", testAppendDuplicates},
		{"AppendConcurrentSameSolve", testAppendConcurrentSameSolve},
		{"AppendBadInput", testAppendBadInput},
		{"AppendConcurrentBadCaller", testAppendConcurrentBadCaller},
		{"Rename", testRename},
		{"RenameInBatch", testRenameInBatch},
		{"RenameLookalikes", testRenameLookalikes},
		{"Events", testEvents},
		{"EventsManyPages", testEventsManyPages},
		{"Sessions", testSessions},
		{"Reset", testReset},
		{"ResetInBatch", testResetInBatch},
		{"OtherTypes", testOtherTypes},
		{"HintPoints", testHintPoints},
		{"HintPointsConcurrent", testHintPointsConcurrent},
		{"Changed", testChanged},
		{"Meta", testMeta},
		{"SetMetaIfAbsent", testSetMetaIfAbsent},
		{"CancelledContext", testCancelledContext},
		{"Closed", testClosed},
	}
	tests = append(tests, submissionTests...)
	tests = append(tests, limitTests...)
	tests = append(tests, concurrencyTests...)
	tests = append(tests, dumpTests...)
	tests = append(tests, accountTests...)
	if o.shared {
		tests = append(tests, struct {
			name string
			fn   func(*testing.T, Opener)
		}{"InstancesChanged", testInstancesChanged})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if o.parallel {
				t.Parallel()
			}
			tt.fn(t, open)
		})
	}
}

// MustSyncUsers creates users named u1..un and returns their ids in order.
func MustSyncUsers(tb testing.TB, s store.Store, n int) []int64 {
	tb.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("u%d", i+1)
	}
	ids, err := s.SyncUsers(context.Background(), names)
	if err != nil {
		tb.Fatalf("SyncUsers: %v", err)
	}
	out := make([]int64, n)
	for i, name := range names {
		id, ok := ids[name]
		if !ok {
			tb.Fatalf("SyncUsers did not return %s", name)
		}
		out[i] = id
	}
	return out
}

// MustAppend appends evs and fails the test on error.
func MustAppend(tb testing.TB, s store.Store, evs ...game.Event) []store.Result {
	tb.Helper()
	res, err := s.Append(context.Background(), evs)
	if err != nil {
		tb.Fatalf("Append: %v", err)
	}
	if len(res) != len(evs) {
		tb.Fatalf("Append returned %d results for %d events", len(res), len(evs))
	}
	return res
}

// MustEvents returns every event with ID > after.
func MustEvents(tb testing.TB, s store.Store, after int64) []game.Event {
	tb.Helper()
	var evs []game.Event
	if err := s.Events(context.Background(), after, func(ev game.Event) error {
		evs = append(evs, ev)
		return nil
	}); err != nil {
		tb.Fatalf("Events(%d): %v", after, err)
	}
	return evs
}

// MustReset appends a reset event at ts and returns how many events it
// removed.
func MustReset(tb testing.TB, s store.Store, ts int64) int64 {
	tb.Helper()
	r := MustAppend(tb, s, reset(ts))[0]
	if !r.Inserted || r.Err != nil || r.Event.Type != game.EventReset {
		tb.Fatalf("reset not committed: %+v", r)
	}
	return r.Removed
}

func reset(ts int64) game.Event {
	return game.Event{Type: game.EventReset, TS: ts}
}

func solve(user int64, chal, points int, ts int64) game.Event {
	return game.Event{Type: game.EventScore, UserID: user, ChallengeID: chal, Points: points, TS: ts}
}

func hint(user int64, chal, hintID, cost int, ts int64) game.Event {
	return game.Event{Type: game.EventHint, UserID: user, ChallengeID: chal, HintID: hintID, Points: -cost, TS: ts}
}

func rename(user int64, name string, ts int64) game.Event {
	return game.Event{Type: game.EventRename, UserID: user, Name: name, TS: ts}
}

func testSyncUsers(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	first, err := s.SyncUsers(ctx, []string{"carol", "alice", "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || !(first["carol"] < first["alice"] && first["alice"] < first["bob"]) {
		t.Fatalf("ids not assigned in the given order: %v", first)
	}
	second, err := s.SyncUsers(ctx, []string{"bob", "dave", "alice", "erin"})
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 5 {
		t.Fatalf("want all 5 users, got %v", second)
	}
	for name, id := range first {
		if second[name] != id {
			t.Errorf("id of %s changed from %d to %d", name, id, second[name])
		}
	}
	if !(second["dave"] > second["bob"] && second["erin"] > second["dave"]) {
		t.Errorf("new users not after existing ones in order: %v", second)
	}
	// Case matters for usernames: "Alice" is another account.
	third, err := s.SyncUsers(ctx, []string{"Alice"})
	if err != nil {
		t.Fatal(err)
	}
	if len(third) != 6 || third["Alice"] == third["alice"] {
		t.Errorf("Alice and alice must be two users: %v", third)
	}
}

func testSyncUsersReopen(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	before, err := s.SyncUsers(ctx, []string{"zed", "amy", "kim"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	after, err := s.SyncUsers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(before, after) {
		t.Fatalf("users changed across reopen: %v then %v", before, after)
	}
	// A new credentials file order does not renumber anyone.
	again, err := s.SyncUsers(ctx, []string{"kim", "amy", "zed", "new"})
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range before {
		if again[name] != id {
			t.Errorf("id of %s changed from %d to %d", name, id, again[name])
		}
	}
	if again["new"] <= before["kim"] {
		t.Errorf("new user got id %d, not after %d", again["new"], before["kim"])
	}
}

func testSyncUsersBadInput(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	if _, err := s.SyncUsers(ctx, []string{"ok", ""}); err == nil {
		t.Fatal("SyncUsers with an empty username: want error")
	}
	users, err := s.SyncUsers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 0 {
		t.Fatalf("a refused SyncUsers changed the users: %v", users)
	}
}

func testAppendIDs(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	in := []game.Event{
		solve(u[0], 1, 100, 1000),
		hint(u[0], 2, 1, 10, 1001), // paid with the solve before it
		rename(u[0], "Alice", 1002),
	}
	res := MustAppend(t, s, in...)
	var last int64
	for i, r := range res {
		if !r.Inserted || r.Err != nil {
			t.Fatalf("event %d: %+v, want inserted", i, r)
		}
		if r.Event.ID <= last {
			t.Fatalf("event %d: id %d not above %d", i, r.Event.ID, last)
		}
		last = r.Event.ID
		want := in[i]
		want.ID = r.Event.ID
		if r.Event != want {
			t.Errorf("event %d: got %+v, want %+v", i, r.Event, want)
		}
	}
	res = MustAppend(t, s, solve(u[1], 1, 100, 1003))
	if res[0].Event.ID <= last {
		t.Fatalf("next batch id %d not above %d", res[0].Event.ID, last)
	}
	// A caller-set ID is ignored: the store assigns ids.
	ev := solve(u[1], 7, 5, 1004)
	ev.ID = 1
	res = MustAppend(t, s, ev)
	if res[0].Event.ID <= last+1 {
		t.Fatalf("store kept a caller-set id: %d", res[0].Event.ID)
	}
}

func testAppendEmpty(t *testing.T, open Opener) {
	s := open(t)
	res, err := s.Append(context.Background(), nil)
	if err != nil || len(res) != 0 {
		t.Fatalf("Append(nil) = %v, %v; want no results, no error", res, err)
	}
}

func testAppendDuplicates(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	res := MustAppend(t, s,
		solve(u[0], 1, 100, 1),
		hint(u[0], 2, 1, 10, 2),
		solve(u[0], 1, 100, 3), // same batch, same solve
	)
	if !res[0].Inserted || !res[1].Inserted {
		t.Fatalf("first solve and hint must be inserted: %+v", res)
	}
	if res[2].Inserted || res[2].Err != nil {
		t.Fatalf("duplicate in the same batch: %+v, want Inserted=false, no error", res[2])
	}
	res = MustAppend(t, s,
		solve(u[0], 1, 100, 4),   // duplicate solve
		hint(u[0], 2, 1, 10, 5),  // duplicate hint
		hint(u[0], 2, 2, 20, 6),  // next hint of the same challenge
		hint(u[0], 1, 1, 10, 7),  // hint 1 of another challenge
		solve(u[0], 2, 200, 8),   // solve of the challenge whose hint was bought
		solve(u[1], 1, 100, 9),   // another player's solve
		hint(u[1], 2, 1, 10, 10), // another player's hint
	)
	want := []bool{false, false, true, true, true, true, true}
	for i, r := range res {
		if r.Inserted != want[i] || r.Err != nil {
			t.Errorf("event %d: Inserted=%v Err=%v, want Inserted=%v", i, r.Inserted, r.Err, want[i])
		}
	}
	if n := len(MustEvents(t, s, 0)); n != 7 {
		t.Errorf("log holds %d events, want 7", n)
	}
}

func testAppendConcurrentSameSolve(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	const n = 200
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		inserted int
		errs     []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Append(context.Background(), []game.Event{solve(u[0], 42, 100, int64(i))})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if res[0].Inserted {
				inserted++
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d appends failed, first: %v", len(errs), errs[0])
	}
	if inserted != 1 {
		t.Fatalf("%d goroutines appended the same solve: %d inserted, want exactly 1", n, inserted)
	}
	if evs := MustEvents(t, s, 0); len(evs) != 1 {
		t.Fatalf("log holds %d events, want 1", len(evs))
	}
}

func testAppendBadInput(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	ctx := context.Background()
	bad := map[string]game.Event{
		"malformed type":      {Type: "Bonus!", UserID: u[0], Points: 5, TS: 1},
		"type with a space":   {Type: "clock start", TS: 1},
		"long type":           {Type: game.EventType(strings.Repeat("x", 33)), TS: 1},
		"empty type":          {UserID: u[0], TS: 1},
		"rename no name":      rename(u[0], "   ", 1),
		"unknown user":        solve(u[0]+1000, 1, 100, 1),
		"zero user":           solve(0, 1, 100, 1),
		"zero user hint":      hint(0, 1, 1, 0, 1),
		"zero user rename":    rename(0, "Nobody", 1),
		"reset of a player":   {Type: game.EventReset, UserID: u[0], TS: 1},
		"other, unknown user": {Type: "team", UserID: u[0] + 1000, TS: 1},
		"other, bad user":     {Type: "team", UserID: -1, TS: 1},
		"data not JSON":       {Type: "announcement", Data: "{oops", TS: 1},
	}
	for name, ev := range bad {
		// The bad event comes last: the valid one before it must not be
		// committed either.
		res, err := s.Append(ctx, []game.Event{solve(u[0], 1, 100, 1), ev})
		if err == nil {
			t.Errorf("%s: want error, got %+v", name, res)
		}
	}
	if evs := MustEvents(t, s, 0); len(evs) != 0 {
		t.Fatalf("refused batches committed events: %+v", evs)
	}
	// The refused batch did not leave the solve recorded: it still goes in.
	if res := MustAppend(t, s, solve(u[0], 1, 100, 2)); !res[0].Inserted {
		t.Fatal("solve after refused batches was not inserted")
	}
}

// testAppendConcurrentBadCaller: concurrent calls may share a
// transaction, but a call that fails (an unknown user) fails alone, and
// commits nothing; every other call commits all of its events.
func testAppendConcurrentBadCaller(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	const n = 60
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := u[i%2]
			if i%10 == 3 {
				user = u[1] + 1000 // unknown
			}
			_, errs[i] = s.Append(context.Background(), []game.Event{solve(user, 2*i, 1, 1), solve(user, 2*i+1, 1, 2)})
		}()
	}
	wg.Wait()
	want := 0
	for i, err := range errs {
		if bad := i%10 == 3; bad != (err != nil) {
			t.Fatalf("call %d: error %v, want an error: %v", i, err, bad)
		}
		if err == nil {
			want += 2
		}
	}
	evs := MustEvents(t, s, 0)
	if len(evs) != want {
		t.Fatalf("log holds %d events, want the %d of the good calls", len(evs), want)
	}
	for _, ev := range evs {
		if ev.UserID != u[0] && ev.UserID != u[1] {
			t.Fatalf("a failed call committed %+v", ev)
		}
	}
}

func testRename(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 3)
	check := func(step string, ev game.Event, wantErr error) {
		t.Helper()
		r := MustAppend(t, s, ev)[0]
		if wantErr != nil {
			if !errors.Is(r.Err, wantErr) || r.Inserted {
				t.Fatalf("%s: got Inserted=%v Err=%v, want Err=%v", step, r.Inserted, r.Err, wantErr)
			}
			return
		}
		if r.Err != nil || !r.Inserted || r.Event.Name != ev.Name {
			t.Fatalf("%s: got %+v, want inserted", step, r)
		}
	}
	check("first name", rename(u[0], "Alice", 1), nil)
	check("same name, other case", rename(u[1], "aLIce", 2), game.ErrNameTaken)
	check("same key after normalization", rename(u[1], "  ALICE ", 3), game.ErrNameTaken)
	check("own name in other case", rename(u[0], "ALICE", 4), nil)
	check("own name again", rename(u[0], "ALICE", 5), nil)
	check("other name", rename(u[1], "Bob  Smith", 6), nil)
	check("taken with other spacing", rename(u[2], "bob smith", 7), game.ErrNameTaken)
	check("change away", rename(u[0], "Carol", 8), nil)
	check("freed name", rename(u[2], "alice", 9), nil)
	check("new name of another", rename(u[1], "carol", 10), game.ErrNameTaken)

	evs := MustEvents(t, s, 0)
	var names []string
	for _, ev := range evs {
		names = append(names, ev.Name)
	}
	want := []string{"Alice", "ALICE", "ALICE", "Bob  Smith", "Carol", "alice"}
	if !slices.Equal(names, want) {
		t.Fatalf("refused renames reached the log: got %q, want %q", names, want)
	}
}

// testRenameLookalikes checks that the store's uniqueness (in SQLite the
// unique index on the name key) treats a name's lookalikes as the name:
// fullwidth, Cyrillic, Greek and mathematical letters, other case,
// invisible characters, rn for m. The store takes names as given; the
// engine refuses most of these before they reach it.
func testRenameLookalikes(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 3)
	if r := MustAppend(t, s, rename(u[0], "Champion", 1), rename(u[1], "Barn Owls", 2))[0]; !r.Inserted {
		t.Fatalf("first name: %+v", r)
	}
	ts := int64(3)
	for _, name := range []string{
		"CHAMPION",
		"Ｃｈａｍｐｉｏｎ",
		"Ch\u0430mpion", // Cyrillic а
		"\u0421\u041d\u0410\u041c\u0420\u0406\u041eN", // Cyrillic capitals
		"Ch\u03b1mpi\u03bfn",                          // Greek α, ο
		"𝐂𝐡𝐚𝐦𝐩𝐢𝐨𝐧",
		"Champion\u3164",       // Hangul filler
		"Champ\u200bion",       // zero-width space
		"\u202eChampion\u202c", // bidi override
		"Charnpion",            // rn for m
		"Bam Owls",             // m for rn
	} {
		ts++
		if r := MustAppend(t, s, rename(u[2], name, ts))[0]; r.Inserted || !errors.Is(r.Err, game.ErrNameTaken) {
			t.Errorf("rename to %+q: %+v, want ErrNameTaken", name, r)
		}
	}
	// Names that only look a little alike stay free.
	for _, name := range []string{"Champ1on", "Chámpion", "Champions"} {
		ts++
		if r := MustAppend(t, s, rename(u[2], name, ts))[0]; !r.Inserted || r.Err != nil {
			t.Errorf("rename to %+q: %+v, want inserted", name, r)
		}
	}
}

func testRenameInBatch(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	res := MustAppend(t, s,
		rename(u[0], "Neo", 1),
		rename(u[1], "NEO", 2), // taken by the first event of this batch
		solve(u[1], 1, 100, 3), // the rest of the batch still commits
		rename(u[1], "Trinity", 4),
	)
	if !res[0].Inserted || res[0].Err != nil {
		t.Fatalf("first rename: %+v", res[0])
	}
	if res[1].Inserted || !errors.Is(res[1].Err, game.ErrNameTaken) {
		t.Fatalf("second rename: %+v, want ErrNameTaken", res[1])
	}
	if !res[2].Inserted || !res[3].Inserted {
		t.Fatalf("rest of batch: %+v %+v, want inserted", res[2], res[3])
	}
	if n := len(MustEvents(t, s, 0)); n != 3 {
		t.Fatalf("log holds %d events, want 3", n)
	}
	// Names survive a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	if r := MustAppend(t, s, rename(u[1], "neo", 5))[0]; !errors.Is(r.Err, game.ErrNameTaken) {
		t.Fatalf("after reopen: %+v, want ErrNameTaken", r)
	}
}

func testEvents(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	u := MustSyncUsers(t, s, 2)
	if evs := MustEvents(t, s, 0); len(evs) != 0 {
		t.Fatalf("new store has events: %+v", evs)
	}
	var all []game.Event
	for i := range 10 {
		ev := solve(u[i%2], i, 10*i, int64(100+i))
		if i%3 == 0 {
			ev = hint(u[i%2], i, 1, i, int64(100+i))
		}
		all = append(all, MustAppend(t, s, ev)[0].Event)
	}
	all = append(all, MustAppend(t, s, rename(u[0], "Zoë ü", 200))[0].Event)

	got := MustEvents(t, s, 0)
	if !slices.Equal(got, all) {
		t.Fatalf("Events(0):\n got %+v\nwant %+v", got, all)
	}
	for k := range all {
		got := MustEvents(t, s, all[k].ID)
		if !slices.Equal(got, all[k+1:]) {
			t.Fatalf("Events(%d): got %d events, want %d", all[k].ID, len(got), len(all)-k-1)
		}
	}
	if got := MustEvents(t, s, all[len(all)-1].ID+100); len(got) != 0 {
		t.Fatalf("Events past the end: %+v", got)
	}
	if got := MustEvents(t, s, -5); len(got) != len(all) {
		t.Fatalf("Events(-5): %d events, want %d", len(got), len(all))
	}

	stop := errors.New("stop here")
	calls := 0
	err := s.Events(ctx, 0, func(game.Event) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Fatalf("fn error: got %v after %d calls, want %v after 3", err, calls, stop)
	}

	// fn may write while Events runs; it must not deadlock.
	err = s.Events(ctx, all[len(all)-2].ID, func(game.Event) error {
		_, err := s.Append(ctx, []game.Event{solve(u[1], 99, 1, 300)})
		return err
	})
	if err != nil {
		t.Fatalf("Append inside Events: %v", err)
	}
}

func testEventsManyPages(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	// More events than any sensible page, so paging backends page.
	const n = 2500
	batch := make([]game.Event, 0, 250)
	for i := range n {
		batch = append(batch, solve(u[0], i+1, 1, int64(i)))
		if len(batch) == cap(batch) {
			MustAppend(t, s, batch...)
			batch = batch[:0]
		}
	}
	evs := MustEvents(t, s, 0)
	if len(evs) != n {
		t.Fatalf("got %d events, want %d", len(evs), n)
	}
	for i, ev := range evs {
		if ev.ChallengeID != i+1 || (i > 0 && ev.ID <= evs[i-1].ID) {
			t.Fatalf("event %d out of order: %+v", i, ev)
		}
	}
	if got := MustEvents(t, s, evs[n-1001].ID); len(got) != 1000 {
		t.Fatalf("Events after the 1500th: %d events, want 1000", len(got))
	}
}

func testSessions(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	u := MustSyncUsers(t, s, 2)
	h1, h2 := []byte("hash-one-32-bytes-long-xxxxxxxxx"), []byte{0, 1, 2, 255}
	if _, err := s.SessionUser(ctx, h1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing session: %v, want ErrNotFound", err)
	}
	if err := s.CreateSession(ctx, h1, u[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, h2, u[1]); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		h    []byte
		want int64
	}{{h1, u[0]}, {h2, u[1]}} {
		got, err := s.SessionUser(ctx, c.h)
		if err != nil || got != c.want {
			t.Fatalf("SessionUser = %d, %v; want %d", got, err, c.want)
		}
	}
	if _, err := s.SessionUser(ctx, h1[:5]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("prefix of a hash found a session: %v", err)
	}
	if err := s.CreateSession(ctx, []byte("x"), u[0]+1000); err == nil {
		t.Error("session for an unknown user: want error")
	}
	if err := s.CreateSession(ctx, nil, u[0]); err == nil {
		t.Error("session with an empty hash: want error")
	}

	// Sessions survive a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	if got, err := s.SessionUser(ctx, h1); err != nil || got != u[0] {
		t.Fatalf("after reopen: SessionUser = %d, %v; want %d", got, err, u[0])
	}

	if err := s.DeleteSession(ctx, h1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, h1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session: %v, want ErrNotFound", err)
	}
	if got, err := s.SessionUser(ctx, h2); err != nil || got != u[1] {
		t.Fatalf("deleting one session touched another: %d, %v", got, err)
	}
	if err := s.DeleteSession(ctx, h1); err != nil {
		t.Fatalf("deleting a missing session: %v, want no error", err)
	}
}

func testReset(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	u := MustSyncUsers(t, s, 2)
	res := MustAppend(t, s,
		solve(u[0], 1, 100, 1),
		hint(u[1], 1, 1, 0, 2),
		rename(u[0], "Morpheus", 3),
		solve(u[0], 1, 100, 4), // duplicate: not counted
	)
	lastID := res[2].Event.ID
	if err := s.CreateSession(ctx, []byte("h1"), u[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta(ctx, "start", "12345"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.TakeToken(ctx, "wrong:u1", 1, time.Hour, time.UnixMilli(1000)); err != nil || !ok {
		t.Fatalf("TakeToken = %v, %v", ok, err)
	}

	r := MustAppend(t, s, reset(5))[0]
	if !r.Inserted || r.Err != nil || r.Removed != 3 {
		t.Errorf("reset: %+v, want inserted, Removed=3", r)
	}
	if r.Event.ID <= lastID || r.Event.UserID != 0 || r.Event.TS != 5 {
		t.Errorf("reset event: %+v, want id above %d, user 0, ts 5", r.Event, lastID)
	}
	// The reset event stays: it is where every reader clears its state.
	if evs := MustEvents(t, s, 0); len(evs) != 1 || evs[0] != r.Event {
		t.Errorf("events after reset: %+v, want only %+v", evs, r.Event)
	}
	if _, err := s.SessionUser(ctx, []byte("h1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after reset: %v, want ErrNotFound", err)
	}
	// Shared rate limits start afresh, as the in-memory ones do.
	if ok, _, err := s.TakeToken(ctx, "wrong:u1", 1, time.Hour, time.UnixMilli(1000)); err != nil || !ok {
		t.Errorf("bucket after reset: TakeToken = %v, %v; want a full bucket", ok, err)
	}
	// Users and server values stay.
	users, err := s.SyncUsers(ctx, nil)
	if err != nil || users["u1"] != u[0] || users["u2"] != u[1] {
		t.Errorf("users after reset: %v, %v", users, err)
	}
	if v, err := s.Meta(ctx, "start"); err != nil || v != "12345" {
		t.Errorf("meta after reset: %q, %v", v, err)
	}
	lastID = r.Event.ID
	// Names are free again, solves can be made again, ids keep growing.
	res = MustAppend(t, s, rename(u[1], "morpheus", 6), solve(u[0], 1, 100, 7))
	for i, r := range res {
		if !r.Inserted || r.Err != nil {
			t.Fatalf("after reset, event %d: %+v", i, r)
		}
		if r.Event.ID <= lastID {
			t.Fatalf("after reset, id %d reused (last before was %d)", r.Event.ID, lastID)
		}
	}
	lastID = res[1].Event.ID
	// Also across a restart; the earlier reset event is removed but not
	// counted.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	if n := MustReset(t, s, 8); n != 2 {
		t.Fatalf("second reset removed %d; want 2", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	if r := MustAppend(t, s, solve(u[1], 3, 1, 9))[0]; r.Event.ID <= lastID {
		t.Fatalf("after reset and reopen, id %d not above %d", r.Event.ID, lastID)
	}
	if n := MustReset(t, s, 10); n != 1 {
		t.Fatalf("third reset removed %d; want 1", n)
	}
	if n := MustReset(t, s, 11); n != 0 {
		t.Fatalf("reset of an empty log removed %d; want 0", n)
	}
	evs := MustEvents(t, s, 0)
	if len(evs) != 1 || evs[0].Type != game.EventReset || evs[0].TS != 11 {
		t.Fatalf("log after two resets in a row: %+v, want the last reset only", evs)
	}
}

// testResetInBatch: a batch is processed in order, so a reset in its
// middle removes the events before it in the same batch and keeps those
// after it.
func testResetInBatch(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	MustAppend(t, s, solve(u[0], 1, 100, 1))
	res := MustAppend(t, s,
		solve(u[1], 1, 100, 2),
		rename(u[0], "Ada", 3),
		reset(4),
		solve(u[0], 1, 100, 5), // no longer a duplicate
		rename(u[1], "ADA", 6), // the name was freed
		reset(7),
		solve(u[1], 2, 50, 8),
	)
	for i, r := range res {
		if !r.Inserted || r.Err != nil {
			t.Fatalf("event %d: %+v, want inserted", i, r)
		}
	}
	if res[2].Removed != 3 || res[5].Removed != 2 {
		t.Fatalf("Removed = %d and %d, want 3 and 2", res[2].Removed, res[5].Removed)
	}
	evs := MustEvents(t, s, 0)
	if len(evs) != 2 || evs[0] != res[5].Event || evs[1] != res[6].Event {
		t.Fatalf("log: %+v, want the second reset and the solve after it", evs)
	}
}

// testOtherTypes: the store keeps event types it has no rule for, with
// their data, so a newer writer's events reach an older reader intact.
func testOtherTypes(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	in := []game.Event{
		{Type: "announcement", TS: 1, Data: `{"text":"Round 2 starts — good luck","level":"info"}`},
		{Type: "team", UserID: u[0], TS: 2, Name: "Red", Data: `{"team":"red"}`},
		{Type: "clock", TS: 3, Data: `{"end_ms":1700000000000}`},
		{Type: "freeze", TS: 4, Points: 7},
		solve(u[0], 1, 100, 5),
	}
	res := MustAppend(t, s, in...)
	var want []game.Event
	for i, r := range res {
		if !r.Inserted || r.Err != nil {
			t.Fatalf("event %d: %+v, want inserted", i, r)
		}
		ev := in[i]
		ev.ID = r.Event.ID
		if r.Event != ev {
			t.Errorf("event %d: got %+v, want %+v", i, r.Event, ev)
		}
		want = append(want, ev)
	}
	// The same event twice is two events: only solves and hints are
	// unique.
	if r := MustAppend(t, s, in[0])[0]; !r.Inserted {
		t.Fatalf("repeated announcement: %+v, want inserted", r)
	} else {
		want = append(want, r.Event)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	if got := MustEvents(t, s, 0); !slices.Equal(got, want) {
		t.Fatalf("after reopen:\n got %+v\nwant %+v", got, want)
	}
}

// testHintPoints: a hint the player cannot afford is refused where the
// write commits, counting every solve and hint of the batch before it.
func testHintPoints(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	type step struct {
		ev       game.Event
		inserted bool
		err      error
	}
	check := func(steps ...step) {
		t.Helper()
		evs := make([]game.Event, len(steps))
		for i, st := range steps {
			evs[i] = st.ev
		}
		for i, r := range MustAppend(t, s, evs...) {
			if r.Inserted != steps[i].inserted || !errors.Is(r.Err, steps[i].err) || (r.Err == nil) != (steps[i].err == nil) {
				t.Fatalf("event %d (%+v): Inserted=%v Err=%v, want Inserted=%v Err=%v", i, steps[i].ev, r.Inserted, r.Err, steps[i].inserted, steps[i].err)
			}
		}
	}
	check(
		step{hint(u[0], 1, 1, 10, 1), false, game.ErrInsufficientPoints}, // no points yet
		step{hint(u[0], 1, 1, 0, 2), true, nil},                          // a free hint needs none
		step{solve(u[0], 1, 30, 3), true, nil},
		step{hint(u[0], 2, 1, 20, 4), true, nil},                         // 30 >= 20, leaves 10
		step{hint(u[0], 2, 2, 11, 5), false, game.ErrInsufficientPoints}, // 10 < 11
		step{hint(u[0], 2, 2, 10, 6), true, nil},                         // exactly enough, leaves 0
		step{hint(u[1], 2, 1, 1, 7), false, game.ErrInsufficientPoints},  // another player's points are not shared
	)
	// A hint already bought is a duplicate, not an error, even when the
	// player could not afford it now.
	check(step{hint(u[0], 2, 1, 20, 8), false, nil})
	// Refused purchases left nothing behind: 0 points, 4 events.
	if n := len(MustEvents(t, s, 0)); n != 4 {
		t.Fatalf("log holds %d events, want 4", n)
	}
	check(step{solve(u[0], 3, 5, 9), true, nil}, step{hint(u[0], 3, 1, 5, 10), true, nil})
	// After a reset the points are gone with the events.
	MustReset(t, s, 11)
	check(step{hint(u[0], 4, 1, 1, 12), false, game.ErrInsufficientPoints})
}

// testHintPointsConcurrent: many hint purchases of one player at once
// can spend no more than the points they have, whoever commits first.
func testHintPointsConcurrent(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	MustAppend(t, s, solve(u[0], 1, 50, 1))
	const n = 40
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		bought int
		errs   []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Append(context.Background(), []game.Event{hint(u[0], 2+i, 1, 10, int64(2+i))})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case res[0].Inserted:
				bought++
			case !errors.Is(res[0].Err, game.ErrInsufficientPoints):
				errs = append(errs, fmt.Errorf("refused with %v", res[0].Err))
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d purchases failed, first: %v", len(errs), errs[0])
	}
	if bought != 5 {
		t.Fatalf("%d hints of 10 points bought with 50 points, want 5", bought)
	}
}

// testChanged: Changed wakes the reader after a commit, coalesces, and
// never blocks the writer.
func testChanged(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	c := s.Changed()
	if c == nil || s.Changed() != c {
		t.Fatal("Changed must return one channel")
	}
	// Nobody reads: many commits must not block on the channel.
	for i := range 5 {
		MustAppend(t, s, solve(u[0], i, 1, int64(i)))
	}
	drain(c)
	MustAppend(t, s, solve(u[0], 100, 1, 100))
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up after a commit")
	}
	// Failed appends may or may not wake the reader, but a reader that
	// then reads finds nothing new: that is what a spurious wake-up costs.
	last := MustEvents(t, s, 0)
	if _, err := s.Append(context.Background(), []game.Event{solve(u[0]+999, 1, 1, 1)}); err == nil {
		t.Fatal("append for an unknown user: want error")
	}
	if got := MustEvents(t, s, last[len(last)-1].ID); len(got) != 0 {
		t.Fatalf("failed append left events: %+v", got)
	}
}

// drain empties a wake-up channel, allowing for a backend that delivers
// a wake-up a little later (a notification from the database server).
func drain(c <-chan struct{}) {
	for {
		select {
		case <-c:
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}

func testMeta(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	if _, err := s.Meta(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing key: %v, want ErrNotFound", err)
	}
	steps := []struct{ key, value string }{
		{"start_ms", "1700000000000"},
		{"start_ms", "1700000000001"}, // overwrite
		{"empty", ""},
		{"unicode ключ", "значение\nwith newline"},
	}
	for _, st := range steps {
		if err := s.SetMeta(ctx, st.key, st.value); err != nil {
			t.Fatalf("SetMeta(%q): %v", st.key, err)
		}
		if got, err := s.Meta(ctx, st.key); err != nil || got != st.value {
			t.Fatalf("Meta(%q) = %q, %v; want %q", st.key, got, err, st.value)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	if got, err := s.Meta(ctx, "start_ms"); err != nil || got != "1700000000001" {
		t.Fatalf("after reopen: Meta = %q, %v", got, err)
	}
}

func testSetMetaIfAbsent(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	if got, err := s.SetMetaIfAbsent(ctx, "secret", "first"); err != nil || got != "first" {
		t.Fatalf("SetMetaIfAbsent on a new key = %q, %v; want first", got, err)
	}
	if got, err := s.SetMetaIfAbsent(ctx, "secret", "second"); err != nil || got != "first" {
		t.Fatalf("SetMetaIfAbsent on a set key = %q, %v; want first", got, err)
	}
	if got, err := s.Meta(ctx, "secret"); err != nil || got != "first" {
		t.Fatalf("Meta = %q, %v; want first", got, err)
	}
	if _, err := s.SetMetaIfAbsent(ctx, "", "x"); err == nil {
		t.Error("empty key: want error")
	}
	// Racing writers all get the value of the one that won.
	const n = 16
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.SetMetaIfAbsent(ctx, "race", fmt.Sprintf("v%d", i))
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] != got[0] || got[i] == "" {
			t.Fatalf("racing SetMetaIfAbsent disagree: %q", got)
		}
	}
	if v, err := s.Meta(ctx, "race"); err != nil || v != got[0] {
		t.Fatalf("stored %q, %v; callers were told %q", v, err, got[0])
	}
}

// storeCalls is one call of every Store method that touches the
// database, with ctx, for user (an existing id); newUser is a username
// SyncUsers would add.
func storeCalls(ctx context.Context, s store.Store, user int64, newUser string) map[string]func() error {
	return map[string]func() error{
		"SyncUsers": func() error { _, err := s.SyncUsers(ctx, []string{newUser}); return err },
		"Events": func() error {
			return s.Events(ctx, 0, func(game.Event) error { return nil })
		},
		"Append": func() error {
			_, err := s.Append(ctx, []game.Event{solve(user, 1, 100, 1)})
			return err
		},
		"CreateSession": func() error { return s.CreateSession(ctx, []byte("h"), user) },
		"SessionUser":   func() error { _, err := s.SessionUser(ctx, []byte("h")); return err },
		"DeleteSession": func() error { return s.DeleteSession(ctx, []byte("h")) },
		"Reset": func() error {
			_, err := s.Append(ctx, []game.Event{reset(1)})
			return err
		},
		"Meta":            func() error { _, err := s.Meta(ctx, "k"); return err },
		"SetMeta":         func() error { return s.SetMeta(ctx, "k", "v") },
		"SetMetaIfAbsent": func() error { _, err := s.SetMetaIfAbsent(ctx, "k", "v"); return err },
		"TakeToken": func() error {
			_, _, err := s.TakeToken(ctx, "k", 1, time.Second, time.UnixMilli(1))
			return err
		},
		"ReturnToken": func() error { return s.ReturnToken(ctx, "k", 1, time.Second, time.UnixMilli(1)) },
		"Ping":        func() error { return s.Ping(ctx) },
		"CreateAccount": func() error {
			_, err := s.CreateAccount(ctx, newUser+".acct", "$2a$04$x")
			return err
		},
		"AccountHash": func() error { _, err := s.AccountHash(ctx, user); return err },
		"Accounts":    func() error { _, err := s.Accounts(ctx); return err },
		"UseOnce": func() error {
			_, err := s.UseOnce(ctx, "once", time.UnixMilli(2), time.UnixMilli(1))
			return err
		},
	}
}

func testCancelledContext(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	calls := storeCalls(ctx, s, u[0], "late")
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", name, err)
		}
	}
	// Nothing was written.
	bg := context.Background()
	if evs := MustEvents(t, s, 0); len(evs) != 0 {
		t.Errorf("cancelled Append committed: %+v", evs)
	}
	if users, _ := s.SyncUsers(bg, nil); len(users) != 1 {
		t.Errorf("cancelled SyncUsers committed: %v", users)
	}
	if _, err := s.SessionUser(bg, []byte("h")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cancelled CreateSession committed: %v", err)
	}
	if _, err := s.Meta(bg, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cancelled SetMeta committed: %v", err)
	}
	if as, err := s.Accounts(bg); err != nil || len(as) != 0 {
		t.Errorf("cancelled CreateAccount committed: %v %v", as, err)
	}
	if ok, err := s.UseOnce(bg, "once", time.UnixMilli(2), time.UnixMilli(1)); err != nil || !ok {
		t.Errorf("cancelled UseOnce committed: %v %v", ok, err)
	}
}

func testClosed(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := storeCalls(ctx, s, u[0], "x")
	for name, call := range calls {
		err := call()
		if err == nil {
			t.Errorf("%s after Close: no error", name)
		}
		if errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after Close: %v; a closed store is not an empty one", name, err)
		}
	}
}
