package engine

import (
	"context"
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
		got := truncateGuess(c.in, MaxWrongGuessBytes)
		if got != c.want || len(got) > MaxWrongGuessBytes || !utf8.ValidString(got) {
			t.Errorf("%s: got %d bytes %q, want %q", c.name, len(got), got, c.want)
		}
	}
}

// mustWrongDB opens a real database with n users.
func mustWrongDB(t *testing.T, n int) (*sqlite.DB, []int64) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, storetest.MustSyncUsers(t, db, n)
}

func TestWrongLogWritesOnCloseAndThenRefuses(t *testing.T) {
	db, u := mustWrongDB(t, 2)
	w := newWrongLog(db, slog.New(slog.DiscardHandler), time.Now)
	w.Record(u[0], 1, "  first  ")
	w.Record(u[1], 2, strings.Repeat("z", 300))
	w.Record(u[0], 3, "third")
	w.Close() // well before the 100 ms tick: the queue is written by Close
	w.Close() // idempotent
	gs := storetest.MustWrongGuesses(t, db, 10)
	if len(gs) != 3 || gs[0].Guess != "third" || gs[2].Guess != "first" || gs[1].Guess != strings.Repeat("z", 200) || gs[1].UserID != u[1] || gs[1].Challenge != 2 {
		t.Fatalf("stored: %+v", gs)
	}
	w.Record(u[0], 4, "after close")
	if w.Dropped() != 1 {
		t.Errorf("a guess after Close: dropped %d, want 1", w.Dropped())
	}
	if gs := storetest.MustWrongGuesses(t, db, 10); len(gs) != 3 {
		t.Errorf("a guess after Close was stored: %+v", gs)
	}
}

// blockingStore is the real store behind a gate: RecordWrong waits until
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

func (b *blockingStore) RecordWrong(ctx context.Context, gs []store.WrongGuess) error {
	b.mu.Lock()
	b.entered++
	b.mu.Unlock()
	<-b.gate
	return b.DB.RecordWrong(ctx, gs)
}

func TestWrongLogDropsInsteadOfBlocking(t *testing.T) {
	db, u := mustWrongDB(t, 1)
	st := &blockingStore{DB: db, gate: make(chan struct{})}
	w := newWrongLog(st, slog.New(slog.DiscardHandler), time.Now)
	const n = wrongQueueLen + wrongBatchMax + 500
	start := time.Now()
	for i := range n {
		w.Record(u[0], i, "g")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Record waited for the stalled database: %v for %d guesses", took, n)
	}
	dropped := w.Dropped()
	// At most the queue plus one batch in the writer's hands can wait.
	if dropped < n-wrongQueueLen-wrongBatchMax || dropped > n-wrongQueueLen {
		t.Fatalf("dropped %d of %d, want between %d and %d", dropped, n, n-wrongQueueLen-wrongBatchMax, n-wrongQueueLen)
	}
	close(st.gate)
	w.Close()
	stored := len(storetest.MustWrongGuesses(t, db, 2*n))
	if uint64(stored)+dropped != n {
		t.Fatalf("stored %d + dropped %d != %d recorded", stored, dropped, n)
	}
}

// An admin reset and the log's writes never overlap: a batch being
// written when the reset comes is written first and deleted by it, and
// guesses queued before the reset are dropped, whatever the timing.
func TestWrongLogResetDropsEverythingBefore(t *testing.T) {
	db, u := mustWrongDB(t, 1)
	st := &blockingStore{DB: db, gate: make(chan struct{})}
	w := newWrongLog(st, slog.New(slog.DiscardHandler), time.Now)
	w.Record(u[0], 1, "in the batch being written")
	deadline := time.Now().Add(10 * time.Second)
	for st.calls() == 0 { // the 100 ms tick starts a write, which stalls
		if time.Now().After(deadline) {
			t.Fatal("the log never wrote")
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Record(u[0], 1, "queued before the reset")
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
	w.Record(u[0], 1, "after the reset")
	w.Close()
	gs := storetest.MustWrongGuesses(t, db, 100)
	if len(gs) != 1 || gs[0].Guess != "after the reset" {
		t.Fatalf("stored %d guesses (%+v), want only the one after the reset", len(gs), gs)
	}
}

// A failed reset keeps the queued guesses.
func TestWrongLogFailedResetKeepsGuesses(t *testing.T) {
	db, u := mustWrongDB(t, 1)
	w := newWrongLog(db, slog.New(slog.DiscardHandler), time.Now)
	w.Record(u[0], 1, "kept")
	if _, err := w.reset(func() (int64, error) { return 0, context.DeadlineExceeded }); err != context.DeadlineExceeded {
		t.Fatalf("reset error %v", err)
	}
	w.Close()
	if gs := storetest.MustWrongGuesses(t, db, 10); len(gs) != 1 {
		t.Fatalf("stored %+v", gs)
	}
}
