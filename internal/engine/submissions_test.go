package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/sqlite"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

func TestTruncateGuess(t *testing.T) {
	long := "a" + strings.Repeat("é", 150) // é is 2 bytes: byte 200 is inside one
	for _, c := range []struct{ name, in, want string }{
		{"short", "flag{x}", "flag{x}"},
		{"empty", "", ""},
		{"exactly max", strings.Repeat("x", 200), strings.Repeat("x", 200)},
		{"ascii over", strings.Repeat("x", 201), strings.Repeat("x", 200)},
		{"cut inside a 2-byte character", long, "a" + strings.Repeat("é", 99)},
		{"cut inside a 4-byte character", "ab" + strings.Repeat("🚩", 60), "ab" + strings.Repeat("🚩", 49)},
		{"2-byte characters that fit exactly", strings.Repeat("é", 100), strings.Repeat("é", 100)},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
	} {
		got := truncateGuess(c.in, MaxGuessBytes)
		if got != c.want || len(got) > MaxGuessBytes || !utf8.ValidString(got) {
			t.Errorf("%s: got %d bytes %q, want %q", c.name, len(got), got, c.want)
		}
	}
}

// mustSubDB opens a real database with n users.
func mustSubDB(t *testing.T, n int) (*sqlite.DB, []int64) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, storetest.MustSyncUsers(t, db, n)
}

// countSubmissions counts the stored submissions, page by page.
func countSubmissions(t *testing.T, db *sqlite.DB) int {
	n := 0
	for before := int64(0); ; {
		page := storetest.MustSubmissions(t, db, store.SubmissionFilter{Before: before, Limit: store.MaxSubmissionsLimit})
		if len(page) == 0 {
			return n
		}
		n += len(page)
		before = page[len(page)-1].ID
	}
}

// wrongSub is an incorrect submission of user on chal.
func wrongSub(user int64, chal int, guess string) store.Submission {
	return store.Submission{UserID: user, Challenge: chal, Result: store.ResultIncorrect, Address: "192.0.2.1", Guess: guess}
}

func TestSubmissionLogWritesOnCloseAndThenRefuses(t *testing.T) {
	db, u := mustSubDB(t, 2)
	at := time.Date(2025, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	w := newSubmissionLog(db, slog.New(slog.DiscardHandler), func() time.Time { return at })
	w.record(wrongSub(u[0], 1, "first"))
	w.record(store.Submission{UserID: u[1], Challenge: 2, Result: store.ResultRateLimited, Address: "2001:db8::2"})
	w.record(wrongSub(u[0], 3, "third"))
	w.Close() // well before the 100 ms tick: the queue is written by Close
	w.Close() // idempotent
	subs := storetest.MustLatestSubmissions(t, db, 10)
	if len(subs) != 3 || subs[0].Guess != "third" || subs[2].Guess != "first" || subs[1].Result != store.ResultRateLimited ||
		subs[1].Address != "2001:db8::2" || subs[1].UserID != u[1] || subs[1].Challenge != 2 || !subs[1].TS.Equal(at) {
		t.Fatalf("stored: %+v", subs)
	}
	w.record(wrongSub(u[0], 4, "after close"))
	if w.Dropped() != 1 {
		t.Errorf("a submission after Close: dropped %d, want 1", w.Dropped())
	}
	if subs := storetest.MustLatestSubmissions(t, db, 10); len(subs) != 3 {
		t.Errorf("a submission after Close was stored: %+v", subs)
	}
}

// TestRecordSubmission: the engine stamps a submission with its clock,
// keeps the guess of a wrong one only (trimmed, cut to MaxGuessBytes on
// a character boundary), and writes the queue when it closes.
func TestRecordSubmission(t *testing.T) {
	clk := newTestClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	e := mustClockEngine(t, clk, time.Time{}, time.Time{})
	u, _ := e.st.PlayerByUsername("alice")
	long := "a" + strings.Repeat("é", 150)
	e.RecordSubmission(u.ID, 1, store.ResultIncorrect, "192.0.2.9", "  flag{nope}\n")
	e.RecordSubmission(u.ID, 1, store.ResultIncorrect, "192.0.2.9", long)
	for _, r := range store.SubmissionResults {
		if r != store.ResultIncorrect {
			e.RecordSubmission(u.ID, 1, r, "192.0.2.9", "a^") // the right flag: never kept
		}
	}
	e.Close()
	subs := storetest.MustLatestSubmissions(t, e.cfg.Store, 100)
	if len(subs) != len(store.SubmissionResults)+1 {
		t.Fatalf("stored %d submissions, want %d", len(subs), len(store.SubmissionResults)+1)
	}
	for _, s := range subs {
		if s.UserID != u.ID || s.Challenge != 1 || s.Address != "192.0.2.9" || !s.TS.Equal(clk.Now()) {
			t.Errorf("stored %+v", s)
		}
		if s.Result != store.ResultIncorrect && s.Guess != "" {
			t.Errorf("a %s submission kept its guess %q", s.Result, s.Guess)
		}
	}
	n := len(subs)
	if subs[n-1].Guess != "flag{nope}" || subs[n-2].Guess != "a"+strings.Repeat("é", 99) {
		t.Errorf("wrong guesses stored as %q and %q", subs[n-1].Guess, subs[n-2].Guess)
	}
	if e.SubmissionsDropped() != 0 {
		t.Errorf("dropped %d", e.SubmissionsDropped())
	}
}

// TestSubmissionResultOf: every answer a submission can get has its
// result; errors that are no answer about the submission have none.
func TestSubmissionResultOf(t *testing.T) {
	for _, c := range []struct {
		res  SubmitResult
		err  error
		want store.SubmissionResult
	}{
		{SubmitResult{Outcome: Correct}, nil, store.ResultCorrect},
		{SubmitResult{Outcome: Incorrect}, nil, store.ResultIncorrect},
		{SubmitResult{Outcome: AlreadySolved}, nil, store.ResultAlreadySolved},
		{SubmitResult{}, game.ErrNotStarted, store.ResultNotStarted},
		{SubmitResult{}, game.ErrPaused, store.ResultPaused},
		{SubmitResult{}, fmt.Errorf("engine: commit: %w", game.ErrEnded), store.ResultEnded},
		{SubmitResult{}, game.ErrRateLimited, store.ResultRateLimited},
		{SubmitResult{}, game.ErrLocked, store.ResultLocked},
		{SubmitResult{}, game.ErrUnknownID, store.ResultUnknownID},
		{SubmitResult{}, game.ErrUnknownUser, ""},
		{SubmitResult{}, context.Canceled, ""},
		{SubmitResult{}, errors.New("disk full"), ""},
	} {
		got, ok := SubmissionResultOf(c.res, c.err)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("SubmissionResultOf(%+v, %v) = %q, %v; want %q", c.res, c.err, got, ok, c.want)
		}
	}
}

// blockingStore is the real store behind a gate: RecordSubmissions waits until
// the gate opens, like a database stalled on a slow disk.
type blockingStore struct {
	*sqlite.DB
	gate    chan struct{}
	mu      sync.Mutex
	entered int
}

func (b *blockingStore) calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.entered
}

func (b *blockingStore) RecordSubmissions(ctx context.Context, subs []store.Submission) error {
	b.mu.Lock()
	b.entered++
	b.mu.Unlock()
	<-b.gate
	return b.DB.RecordSubmissions(ctx, subs)
}

func TestSubmissionLogDropsInsteadOfBlocking(t *testing.T) {
	db, u := mustSubDB(t, 1)
	st := &blockingStore{DB: db, gate: make(chan struct{})}
	w := newSubmissionLog(st, slog.New(slog.DiscardHandler), time.Now)
	const n = subQueueLen + subBatchMax + 500
	start := time.Now()
	for i := range n {
		w.record(wrongSub(u[0], i, "g"))
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("record waited for the stalled database: %v for %d submissions", took, n)
	}
	dropped := w.Dropped()
	// At most the queue plus one batch in the writer's hands can wait.
	if dropped < n-subQueueLen-subBatchMax || dropped > n-subQueueLen {
		t.Fatalf("dropped %d of %d, want between %d and %d", dropped, n, n-subQueueLen-subBatchMax, n-subQueueLen)
	}
	close(st.gate)
	w.Close()
	stored := countSubmissions(t, db)
	if uint64(stored)+dropped != n {
		t.Fatalf("stored %d + dropped %d != %d recorded", stored, dropped, n)
	}
}

// An admin reset and the log's writes never overlap: a batch being
// written when the reset comes is written first and deleted by it, and
// submissions queued before the reset are dropped, whatever the timing.
func TestSubmissionLogResetDropsEverythingBefore(t *testing.T) {
	db, u := mustSubDB(t, 1)
	st := &blockingStore{DB: db, gate: make(chan struct{})}
	w := newSubmissionLog(st, slog.New(slog.DiscardHandler), time.Now)
	w.record(wrongSub(u[0], 1, "in the batch being written"))
	deadline := time.Now().Add(10 * time.Second)
	for st.calls() == 0 { // the 100 ms tick starts a write, which stalls
		if time.Now().After(deadline) {
			t.Fatal("the log never wrote")
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.record(wrongSub(u[0], 1, "queued before the reset"))
	resetDone := make(chan error, 1)
	go func() {
		_, err := w.reset(func() (int64, error) {
			_, err := db.Append(context.Background(), []game.Event{{Type: game.EventReset, TS: 1}})
			return 0, err
		})
		resetDone <- err
	}()
	select {
	case <-resetDone:
		t.Fatal("the reset ran while a batch was being written")
	case <-time.After(50 * time.Millisecond):
	}
	close(st.gate)
	if err := <-resetDone; err != nil {
		t.Fatal(err)
	}
	w.record(wrongSub(u[0], 1, "after the reset"))
	w.Close()
	subs := storetest.MustLatestSubmissions(t, db, 100)
	if len(subs) != 1 || subs[0].Guess != "after the reset" {
		t.Fatalf("stored %d submissions (%+v), want only the one after the reset", len(subs), subs)
	}
}

// A failed reset keeps the queued submissions.
func TestSubmissionLogFailedResetKeepsQueue(t *testing.T) {
	db, u := mustSubDB(t, 1)
	w := newSubmissionLog(db, slog.New(slog.DiscardHandler), time.Now)
	w.record(wrongSub(u[0], 1, "kept"))
	if _, err := w.reset(func() (int64, error) { return 0, context.DeadlineExceeded }); err != context.DeadlineExceeded {
		t.Fatalf("reset error %v", err)
	}
	w.Close()
	if subs := storetest.MustLatestSubmissions(t, db, 10); len(subs) != 1 {
		t.Fatalf("stored %+v", subs)
	}
}
