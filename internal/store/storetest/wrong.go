package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/store"
)

// wrongTests are the behaviours of the wrong-submission log; Run runs
// them with the rest of the suite.
var wrongTests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"WrongGuesses", testWrongGuesses},
	{"WrongGuessesBadInput", testWrongGuessesBadInput},
	{"WrongGuessesReset", testWrongGuessesReset},
	{"WrongGuessesCancelledOrClosed", testWrongGuessesCancelledOrClosed},
}

// MustRecordWrong stores gs and fails the test on error.
func MustRecordWrong(tb testing.TB, s store.Store, gs ...store.WrongGuess) {
	tb.Helper()
	if err := s.RecordWrong(context.Background(), gs); err != nil {
		tb.Fatalf("RecordWrong: %v", err)
	}
}

// MustWrongGuesses returns the latest limit wrong guesses.
func MustWrongGuesses(tb testing.TB, s store.Store, limit int) []store.WrongGuess {
	tb.Helper()
	gs, err := s.WrongGuesses(context.Background(), limit)
	if err != nil {
		tb.Fatalf("WrongGuesses(%d): %v", limit, err)
	}
	return gs
}

// base is a fixed time with milliseconds, the precision stores keep.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func wrong(user int64, chal int, guess string, ms int) store.WrongGuess {
	return store.WrongGuess{UserID: user, Challenge: chal, Guess: guess, TS: base.Add(time.Duration(ms) * time.Millisecond)}
}

// sameGuess compares everything but the store-assigned id, and times as
// instants (a store may hand back another location).
func sameGuess(a, b store.WrongGuess) bool {
	return a.UserID == b.UserID && a.Challenge == b.Challenge && a.Guess == b.Guess && a.TS.Equal(b.TS)
}

func describe(gs []store.WrongGuess) string {
	var b strings.Builder
	for _, g := range gs {
		fmt.Fprintf(&b, "{id=%d user=%d chal=%d guess=%q ts=%s} ", g.ID, g.UserID, g.Challenge, g.Guess, g.TS.UTC().Format(time.RFC3339Nano))
	}
	return b.String()
}

func testWrongGuesses(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	if gs := MustWrongGuesses(t, s, 50); len(gs) != 0 {
		t.Fatalf("new store has wrong guesses: %s", describe(gs))
	}
	MustRecordWrong(t, s) // an empty batch is no error
	in := []store.WrongGuess{
		wrong(u[0], 1, "flag{nope}", 0),
		wrong(u[1], 2, "Zoë's <b>guess</b> 🚩 'quoted' \"double\"", 5),
		wrong(u[0], 1, "", 10), // an empty guess is still a guess
		wrong(u[1], -7, "unknown challenge ids are kept as sent", 20),
	}
	MustRecordWrong(t, s, in[:2]...)
	MustRecordWrong(t, s, in[2:]...)
	// Same instant as the newest: the one stored later comes first.
	tie := wrong(u[0], 3, "same time, stored last", 20)
	MustRecordWrong(t, s, tie)
	// Out of time order (another clock, a late batch): newest first is by
	// time, not by arrival.
	old := wrong(u[1], 4, "from before everything", -1000)
	MustRecordWrong(t, s, old)

	want := []store.WrongGuess{tie, in[3], in[2], in[1], in[0], old}
	got := MustWrongGuesses(t, s, 50)
	if len(got) != len(want) {
		t.Fatalf("got %d guesses, want %d: %s", len(got), len(want), describe(got))
	}
	ids := map[int64]bool{}
	for i := range want {
		if !sameGuess(got[i], want[i]) {
			t.Fatalf("guess %d:\n got %s\nwant %s", i, describe(got[i:i+1]), describe(want[i:i+1]))
		}
		if got[i].ID <= 0 || ids[got[i].ID] {
			t.Fatalf("guess %d has id %d: not positive or not unique", i, got[i].ID)
		}
		ids[got[i].ID] = true
	}
	// The limit takes the newest.
	if top := MustWrongGuesses(t, s, 2); len(top) != 2 || top[0].ID != got[0].ID || top[1].ID != got[1].ID {
		t.Fatalf("WrongGuesses(2) = %s, want the first two of %s", describe(top), describe(got))
	}
	for _, limit := range []int{0, -1} {
		if gs := MustWrongGuesses(t, s, limit); len(gs) != 0 {
			t.Fatalf("WrongGuesses(%d) = %s, want none", limit, describe(gs))
		}
	}

	// They survive a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	again := MustWrongGuesses(t, s, 50)
	if len(again) != len(got) {
		t.Fatalf("after reopen: %d guesses, want %d", len(again), len(got))
	}
	for i := range got {
		if again[i].ID != got[i].ID || !sameGuess(again[i], got[i]) {
			t.Fatalf("after reopen, guess %d: %s, want %s", i, describe(again[i:i+1]), describe(got[i:i+1]))
		}
	}
	// A big batch goes in at once.
	batch := make([]store.WrongGuess, 500)
	for i := range batch {
		batch[i] = wrong(u[i%2], i%7, fmt.Sprintf("guess-%d", i), 100+i)
	}
	MustRecordWrong(t, s, batch...)
	if gs := MustWrongGuesses(t, s, 1000); len(gs) != 506 || gs[0].Guess != "guess-499" {
		t.Fatalf("after a batch of 500: %d guesses, newest %q", len(gs), gs[0].Guess)
	}
}

func testWrongGuessesBadInput(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	u := MustSyncUsers(t, s, 1)
	MustRecordWrong(t, s, wrong(u[0], 1, "kept", 0))
	bad := map[string][]store.WrongGuess{
		"unknown user": {wrong(u[0], 1, "good", 1), wrong(u[0]+1000, 1, "bad", 2)},
		"user id 0":    {wrong(u[0], 1, "good", 1), wrong(0, 1, "bad", 2)},
		"no time":      {wrong(u[0], 1, "good", 1), {UserID: u[0], Challenge: 1, Guess: "bad"}},
	}
	for name, gs := range bad {
		if err := s.RecordWrong(ctx, gs); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
	// A refused batch stores nothing, not even its good rows.
	if gs := MustWrongGuesses(t, s, 10); len(gs) != 1 || gs[0].Guess != "kept" {
		t.Fatalf("refused batches changed the log: %s", describe(gs))
	}
}

func testWrongGuessesReset(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	MustAppend(t, s, solve(u[0], 1, 100, 1))
	MustRecordWrong(t, s, wrong(u[0], 1, "a", 0), wrong(u[1], 2, "b", 1))
	if n := MustReset(t, s, 2); n != 1 {
		t.Fatalf("reset removed %d events; want 1 (wrong guesses are not events)", n)
	}
	if gs := MustWrongGuesses(t, s, 10); len(gs) != 0 {
		t.Fatalf("wrong guesses after Reset: %s", describe(gs))
	}
	// The log works afterwards, and ids are not confused with old ones.
	MustRecordWrong(t, s, wrong(u[1], 3, "after", 2))
	if gs := MustWrongGuesses(t, s, 10); len(gs) != 1 || gs[0].Guess != "after" {
		t.Fatalf("after Reset: %s", describe(gs))
	}
}

func testWrongGuessesCancelledOrClosed(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.RecordWrong(ctx, []store.WrongGuess{wrong(u[0], 1, "x", 0)}); !errors.Is(err, context.Canceled) {
		t.Errorf("RecordWrong with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := s.WrongGuesses(ctx, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("WrongGuesses with a cancelled context: %v, want context.Canceled", err)
	}
	if gs := MustWrongGuesses(t, s, 10); len(gs) != 0 {
		t.Errorf("cancelled RecordWrong stored: %s", describe(gs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	if err := s.RecordWrong(bg, []store.WrongGuess{wrong(u[0], 1, "x", 0)}); err == nil {
		t.Error("RecordWrong after Close: no error")
	}
	if _, err := s.WrongGuesses(bg, 10); err == nil {
		t.Error("WrongGuesses after Close: no error")
	}
}
