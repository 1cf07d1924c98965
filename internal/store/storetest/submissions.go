package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/store"
)

// submissionTests are the behaviours of the submission log; Run runs
// them with the rest of the suite.
var submissionTests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"Submissions", testSubmissions},
	{"SubmissionsFilters", testSubmissionsFilters},
	{"SubmissionsPaging", testSubmissionsPaging},
	{"SubmissionsBadInput", testSubmissionsBadInput},
	{"SubmissionsReset", testSubmissionsReset},
	{"SubmissionsCancelledOrClosed", testSubmissionsCancelledOrClosed},
}

// MustRecordSubmissions stores subs and fails the test on error.
func MustRecordSubmissions(tb testing.TB, s store.Store, subs ...store.Submission) {
	tb.Helper()
	if err := s.RecordSubmissions(context.Background(), subs); err != nil {
		tb.Fatalf("RecordSubmissions: %v", err)
	}
}

// MustSubmissions returns the submissions f selects.
func MustSubmissions(tb testing.TB, s store.Store, f store.SubmissionFilter) []store.Submission {
	tb.Helper()
	subs, err := s.Submissions(context.Background(), f)
	if err != nil {
		tb.Fatalf("Submissions(%+v): %v", f, err)
	}
	return subs
}

// MustLatestSubmissions returns the latest limit submissions, unfiltered.
func MustLatestSubmissions(tb testing.TB, s store.Store, limit int) []store.Submission {
	tb.Helper()
	return MustSubmissions(tb, s, store.SubmissionFilter{Limit: limit})
}

// base is a fixed time with milliseconds, the precision stores keep.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// sub is a submission at base+ms from a fixed address.
func sub(user int64, chal int, result store.SubmissionResult, guess string, ms int) store.Submission {
	return store.Submission{UserID: user, Challenge: chal, Result: result, Address: "192.0.2.7", Guess: guess, TS: base.Add(time.Duration(ms) * time.Millisecond)}
}

// wrong is an incorrect submission.
func wrong(user int64, chal int, guess string, ms int) store.Submission {
	return sub(user, chal, store.ResultIncorrect, guess, ms)
}

// sameSub compares everything but the store-assigned id, and times as
// instants (a store may hand back another location).
func sameSub(a, b store.Submission) bool {
	return a.UserID == b.UserID && a.Challenge == b.Challenge && a.Result == b.Result && a.Address == b.Address &&
		a.Guess == b.Guess && a.TS.Equal(b.TS)
}

func describe(subs []store.Submission) string {
	var b strings.Builder
	for _, s := range subs {
		fmt.Fprintf(&b, "{id=%d user=%d chal=%d %s addr=%s guess=%q ts=%s} ", s.ID, s.UserID, s.Challenge, s.Result, s.Address, s.Guess, s.TS.UTC().Format(time.RFC3339Nano))
	}
	return b.String()
}

func ids(subs []store.Submission) []int64 {
	out := make([]int64, len(subs))
	for i, s := range subs {
		out[i] = s.ID
	}
	return out
}

// testSubmissions: every result and field is kept as given, read back
// newest first (by id: the order stored, whatever the times), and
// survives a restart.
func testSubmissions(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	if subs := MustLatestSubmissions(t, s, 50); len(subs) != 0 {
		t.Fatalf("new store has submissions: %s", describe(subs))
	}
	MustRecordSubmissions(t, s) // an empty batch is no error
	var in []store.Submission
	for i, r := range store.SubmissionResults {
		in = append(in, sub(u[i%2], i+1, r, "", 10*i))
	}
	in = append(in,
		wrong(u[1], 2, "Zoë's <b>guess</b> 🚩 'quoted' \"double\"", 200),
		wrong(u[0], 1, "", 210), // an empty guess is still a guess
		sub(u[1], -7, store.ResultUnknownID, "", 220),
		// Out of time order (another instance's clock): still after
		// the others, which were stored first.
		wrong(u[0], 4, "from before everything", -1000),
	)
	in[0].Address = "2001:db8::1"
	in[1].Address = ""
	MustRecordSubmissions(t, s, in[:5]...)
	MustRecordSubmissions(t, s, in[5:]...)

	got := MustLatestSubmissions(t, s, 50)
	if len(got) != len(in) {
		t.Fatalf("got %d submissions, want %d: %s", len(got), len(in), describe(got))
	}
	for i := range in {
		g, w := got[len(got)-1-i], in[i]
		if !sameSub(g, w) {
			t.Fatalf("submission %d:\n got %s\nwant %s", i, describe([]store.Submission{g}), describe([]store.Submission{w}))
		}
		if g.ID <= 0 || (i > 0 && g.ID <= got[len(got)-i].ID) {
			t.Fatalf("ids %v: not positive and increasing in the order stored", ids(got))
		}
	}
	// The limit takes the newest.
	if top := MustLatestSubmissions(t, s, 2); !slices.Equal(ids(top), ids(got[:2])) {
		t.Fatalf("limit 2: %s, want the first two of %s", describe(top), describe(got))
	}
	for _, limit := range []int{0, -1} {
		if subs := MustLatestSubmissions(t, s, limit); len(subs) != 0 {
			t.Fatalf("limit %d: %s, want none", limit, describe(subs))
		}
	}

	// They survive a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	again := MustLatestSubmissions(t, s, 50)
	if !slices.Equal(ids(again), ids(got)) || describe(again) != describe(got) {
		t.Fatalf("after reopen:\n%s\nwant\n%s", describe(again), describe(got))
	}
	// A big batch goes in at once, in its order.
	batch := make([]store.Submission, 500)
	for i := range batch {
		batch[i] = wrong(u[i%2], i%7, fmt.Sprintf("guess-%d", i), 1000+i)
	}
	MustRecordSubmissions(t, s, batch...)
	all := MustLatestSubmissions(t, s, 1000)
	if len(all) != len(in)+500 || all[0].Guess != "guess-499" || all[499].Guess != "guess-0" {
		t.Fatalf("after a batch of 500: %d submissions, newest %q, 500th %q", len(all), all[0].Guess, all[499].Guess)
	}
	if n := len(MustLatestSubmissions(t, s, store.MaxSubmissionsLimit+1)); n != len(all) {
		t.Fatalf("a limit above the cap: %d submissions, want %d", n, len(all))
	}
}

// filterGame stores submissions of three players on three challenges
// with several results, and returns them in the order stored.
func filterGame(t *testing.T, s store.Store) ([]int64, []store.Submission) {
	u := MustSyncUsers(t, s, 3)
	results := []store.SubmissionResult{store.ResultIncorrect, store.ResultCorrect, store.ResultRateLimited, store.ResultIncorrect, store.ResultEnded}
	var in []store.Submission
	for i := range 45 {
		r := results[i%len(results)]
		g := ""
		if r == store.ResultIncorrect {
			g = fmt.Sprintf("g%d", i)
		}
		in = append(in, sub(u[i%3], i%4-1, r, g, i)) // challenges -1, 0, 1, 2
	}
	for i := 0; i < len(in); i += 10 {
		MustRecordSubmissions(t, s, in[i:min(i+10, len(in))]...)
	}
	return u, in
}

// want returns the submissions of in that keep selects, newest first.
func want(in []store.Submission, keep func(store.Submission) bool) []store.Submission {
	var out []store.Submission
	for i := len(in) - 1; i >= 0; i-- {
		if keep(in[i]) {
			out = append(out, in[i])
		}
	}
	return out
}

func sameSubs(got, want []store.Submission) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !sameSub(got[i], want[i]) {
			return false
		}
	}
	return true
}

// testSubmissionsFilters: player, challenge and result select alone and
// together; a challenge filter of 0 is not "any challenge".
func testSubmissionsFilters(t *testing.T, open Opener) {
	s := open(t)
	u, in := filterGame(t, s)
	chal := func(c int) *int { return &c }
	for _, c := range []struct {
		name string
		f    store.SubmissionFilter
		keep func(store.Submission) bool
	}{
		{"all", store.SubmissionFilter{}, func(store.Submission) bool { return true }},
		{"player", store.SubmissionFilter{UserID: u[1]}, func(x store.Submission) bool { return x.UserID == u[1] }},
		{"unknown player", store.SubmissionFilter{UserID: u[2] + 100}, func(store.Submission) bool { return false }},
		{"challenge", store.SubmissionFilter{Challenge: chal(2)}, func(x store.Submission) bool { return x.Challenge == 2 }},
		{"challenge 0", store.SubmissionFilter{Challenge: chal(0)}, func(x store.Submission) bool { return x.Challenge == 0 }},
		{"negative challenge", store.SubmissionFilter{Challenge: chal(-1)}, func(x store.Submission) bool { return x.Challenge == -1 }},
		{"result", store.SubmissionFilter{Result: store.ResultIncorrect}, func(x store.Submission) bool { return x.Result == store.ResultIncorrect }},
		{"result none stored", store.SubmissionFilter{Result: store.ResultPractice}, func(store.Submission) bool { return false }},
		{"player and result", store.SubmissionFilter{UserID: u[0], Result: store.ResultCorrect}, func(x store.Submission) bool {
			return x.UserID == u[0] && x.Result == store.ResultCorrect
		}},
		{"all three", store.SubmissionFilter{UserID: u[2], Challenge: chal(1), Result: store.ResultIncorrect}, func(x store.Submission) bool {
			return x.UserID == u[2] && x.Challenge == 1 && x.Result == store.ResultIncorrect
		}},
	} {
		c.f.Limit = 100
		w := want(in, c.keep)
		if got := MustSubmissions(t, s, c.f); !sameSubs(got, w) {
			t.Errorf("%s: got %d: %s\nwant %d: %s", c.name, len(got), describe(got), len(w), describe(w))
		}
	}
}

// testSubmissionsPaging: Before walks a filtered log page by page, newest
// first, without a gap or a repeat; After walks it back up.
func testSubmissionsPaging(t *testing.T, open Opener) {
	s := open(t)
	u, in := filterGame(t, s)
	for _, f := range []store.SubmissionFilter{
		{},
		{UserID: u[0]},
		{Result: store.ResultIncorrect},
	} {
		all := f
		all.Limit = 1000
		full := MustSubmissions(t, s, all)
		// Down with Before, 4 at a time.
		var pages [][]store.Submission
		var walked []store.Submission
		for before := int64(0); ; {
			p := f
			p.Limit, p.Before = 4, before
			page := MustSubmissions(t, s, p)
			if len(page) == 0 {
				break
			}
			pages = append(pages, page)
			walked = append(walked, page...)
			before = page[len(page)-1].ID
		}
		if !slices.Equal(ids(walked), ids(full)) {
			t.Fatalf("%+v: pages with Before give %v, want %v", f, ids(walked), ids(full))
		}
		// Back up with After from the last page: each page before it.
		for i := len(pages) - 1; i > 0; i-- {
			p := f
			p.Limit, p.After = 4, pages[i][0].ID
			if got := MustSubmissions(t, s, p); !slices.Equal(ids(got), ids(pages[i-1])) {
				t.Fatalf("%+v: After %d gives %v, want the page before it, %v", f, p.After, ids(got), ids(pages[i-1]))
			}
		}
		// Both bounds: the ids strictly between.
		if len(full) >= 5 {
			p := f
			p.Limit, p.Before, p.After = 100, full[0].ID, full[4].ID
			if got := MustSubmissions(t, s, p); !slices.Equal(ids(got), ids(full[1:4])) {
				t.Fatalf("%+v: between %d and %d: %v, want %v", f, p.After, p.Before, ids(got), ids(full[1:4]))
			}
		}
	}
	// Before the first id, or after the last: nothing.
	full := MustLatestSubmissions(t, s, 1000)
	if got := MustSubmissions(t, s, store.SubmissionFilter{Before: full[len(full)-1].ID, Limit: 10}); len(got) != 0 {
		t.Fatalf("before the oldest: %s", describe(got))
	}
	if got := MustSubmissions(t, s, store.SubmissionFilter{After: full[0].ID, Limit: 10}); len(got) != 0 {
		t.Fatalf("after the newest: %s", describe(got))
	}
	if len(in) != len(full) {
		t.Fatalf("stored %d, read %d", len(in), len(full))
	}
}

func testSubmissionsBadInput(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	u := MustSyncUsers(t, s, 1)
	MustRecordSubmissions(t, s, wrong(u[0], 1, "kept", 0))
	good := wrong(u[0], 1, "good", 1)
	bad := map[string]store.Submission{
		"unknown user":              wrong(u[0]+1000, 1, "bad", 2),
		"user id 0":                 wrong(0, 1, "bad", 2),
		"no time":                   {UserID: u[0], Challenge: 1, Result: store.ResultIncorrect, Guess: "bad"},
		"no result":                 sub(u[0], 1, "", "", 2),
		"unknown result":            sub(u[0], 1, "maybe", "", 2),
		"a guess with a right flag": sub(u[0], 1, store.ResultCorrect, "flag{right}", 2),
		"a guess with a 429":        sub(u[0], 1, store.ResultRateLimited, "flag{x}", 2),
	}
	for name, b := range bad {
		err := s.RecordSubmissions(ctx, []store.Submission{good, b})
		if err == nil {
			t.Errorf("%s: want error", name)
		} else if strings.Contains(err.Error(), "flag{") || strings.Contains(err.Error(), "bad") {
			t.Errorf("%s: the error shows the guess: %v", name, err)
		}
	}
	// A refused batch stores nothing, not even its good rows.
	if subs := MustLatestSubmissions(t, s, 10); len(subs) != 1 || subs[0].Guess != "kept" {
		t.Fatalf("refused batches changed the log: %s", describe(subs))
	}
}

// testSubmissionsReset: a reset deletes the log; ids go on above the old
// ones, so a page cursor of before the reset never reaches new rows.
func testSubmissionsReset(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 2)
	MustAppend(t, s, solve(u[0], 1, 100, 1))
	MustRecordSubmissions(t, s, wrong(u[0], 1, "a", 0), sub(u[1], 2, store.ResultCorrect, "", 1))
	old := MustLatestSubmissions(t, s, 10)
	if n := MustReset(t, s, 2); n != 1 {
		t.Fatalf("reset removed %d events; want 1 (submissions are not events)", n)
	}
	if subs := MustLatestSubmissions(t, s, 10); len(subs) != 0 {
		t.Fatalf("submissions after Reset: %s", describe(subs))
	}
	MustRecordSubmissions(t, s, wrong(u[1], 3, "after", 2))
	subs := MustLatestSubmissions(t, s, 10)
	if len(subs) != 1 || subs[0].Guess != "after" || subs[0].ID <= old[0].ID {
		t.Fatalf("after Reset: %s; want one with an id above %d", describe(subs), old[0].ID)
	}
}

func testSubmissionsCancelledOrClosed(t *testing.T, open Opener) {
	s := open(t)
	u := MustSyncUsers(t, s, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.RecordSubmissions(ctx, []store.Submission{wrong(u[0], 1, "x", 0)}); !errors.Is(err, context.Canceled) {
		t.Errorf("RecordSubmissions with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := s.Submissions(ctx, store.SubmissionFilter{Limit: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("Submissions with a cancelled context: %v, want context.Canceled", err)
	}
	if subs := MustLatestSubmissions(t, s, 10); len(subs) != 0 {
		t.Errorf("cancelled RecordSubmissions stored: %s", describe(subs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	if err := s.RecordSubmissions(bg, []store.Submission{wrong(u[0], 1, "x", 0)}); err == nil {
		t.Error("RecordSubmissions after Close: no error")
	}
	if _, err := s.Submissions(bg, store.SubmissionFilter{Limit: 10}); err == nil {
		t.Error("Submissions after Close: no error")
	}
}
