package app

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/store"
)

// The wrong-submission log: every incorrect flag guess is kept (player,
// challenge, time, guess) for disputes and brute-force review, and shown
// only on the admin dashboard. It is written off the submit path.
const (
	// MaxWrongGuessBytes is how much of a wrong guess is kept (bytes of
	// UTF-8, cut on a character boundary).
	MaxWrongGuessBytes = 200
	// wrongQueueLen is how many guesses may wait for the database (about
	// 1 MB at most). Wrong guesses are charged to the submit rate limit
	// (10 + 1 per 2 s per player), so 5,000 players guessing flat out
	// make ~2,500/s; the writer drains ten times that.
	wrongQueueLen = 4096
	// wrongBatchMax is the most guesses written in one transaction.
	wrongBatchMax = 256
	// wrongFlushEvery is the longest a guess waits before it is written.
	wrongFlushEvery = 100 * time.Millisecond
	// wrongWriteTimeout bounds one batch write.
	wrongWriteTimeout = 10 * time.Second
	// wrongDropReportEvery spaces the warnings about dropped guesses.
	wrongDropReportEvery = 10 * time.Second
)

// wrongStore is the part of the store the log writes to.
type wrongStore interface {
	RecordWrong(ctx context.Context, gs []store.WrongGuess) error
}

// wrongLog batches wrong guesses into the store on a goroutine of its
// own: Record never waits for the database. A guess is never logged.
type wrongLog struct {
	st      wrongStore
	log     *slog.Logger
	now     func() time.Time
	ch      chan queuedGuess
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Uint64

	// gen counts admin resets; a guess made before a reset finished is
	// not written after it. mu is held while a batch is filtered and
	// written and while a reset runs (reset), so the two never overlap: a
	// batch is either written before the reset, which deletes it, or
	// filtered after it.
	mu  sync.Mutex
	gen atomic.Uint64
}

type queuedGuess struct {
	g   store.WrongGuess
	gen uint64
}

func newWrongLog(st wrongStore, log *slog.Logger, now func() time.Time) *wrongLog {
	w := &wrongLog{
		st:   st,
		log:  log,
		now:  now,
		ch:   make(chan queuedGuess, wrongQueueLen),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go w.run()
	return w
}

// Record queues one wrong guess; it is httpapi.Config.OnWrongFlag. The
// guess is kept trimmed (what the engine judged) and cut to
// MaxWrongGuessBytes. When the queue is full — the database is stalled
// or far behind — the guess is dropped and counted rather than making the
// player's request wait: the log is for review, the game must go on.
func (w *wrongLog) Record(player int64, challenge int, guess string) {
	select {
	case <-w.stop: // shutting down: the last batch is being written
		w.dropped.Add(1)
		return
	default:
	}
	g := store.WrongGuess{UserID: player, Challenge: challenge, Guess: truncateGuess(strings.TrimSpace(guess), MaxWrongGuessBytes), TS: w.now()}
	select {
	case w.ch <- queuedGuess{g, w.gen.Load()}:
	default:
		w.dropped.Add(1)
	}
}

// Dropped returns how many guesses were not recorded because the queue
// was full (or the log closed).
func (w *wrongLog) Dropped() uint64 { return w.dropped.Load() }

// reset runs the store's reset (which deletes the stored guesses) while
// no batch is being written, and makes the log drop every guess queued
// before it returned.
func (w *wrongLog) reset(fn func() (int64, error)) (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := fn()
	if err == nil {
		w.gen.Add(1)
	}
	return n, err
}

// Close writes what is queued and stops the log. Call it after the HTTP
// server has stopped and before the store closes; it is idempotent.
func (w *wrongLog) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

func (w *wrongLog) run() {
	defer close(w.done)
	t := time.NewTicker(wrongFlushEvery)
	defer t.Stop()
	batch := make([]queuedGuess, 0, wrongBatchMax)
	var reported uint64
	var reportedAt time.Time
	add := func(g queuedGuess) {
		batch = append(batch, g)
		if len(batch) == wrongBatchMax {
			w.write(batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case g := <-w.ch:
			add(g)
		case <-t.C:
			if len(batch) > 0 {
				w.write(batch)
				batch = batch[:0]
			}
			if n := w.dropped.Load(); n != reported && time.Since(reportedAt) >= wrongDropReportEvery {
				w.log.Warn("wrong-guess log: queue full, guesses not recorded", "dropped_since_last", n-reported, "dropped_total", n)
				reported, reportedAt = n, time.Now()
			}
		case <-w.stop:
		drain:
			for {
				select {
				case g := <-w.ch:
					add(g)
				default:
					break drain
				}
			}
			if len(batch) > 0 {
				w.write(batch)
			}
			if n := w.dropped.Load(); n != reported {
				w.log.Warn("wrong-guess log: guesses not recorded", "dropped_total", n)
			}
			return
		}
	}
}

// write stores one batch; a failure is logged (never the guesses) and
// the batch is lost, so a broken database cannot pile guesses up.
func (w *wrongLog) write(batch []queuedGuess) {
	w.mu.Lock()
	defer w.mu.Unlock()
	gen := w.gen.Load()
	gs := make([]store.WrongGuess, 0, len(batch))
	for _, q := range batch {
		if q.gen == gen {
			gs = append(gs, q.g)
		}
	}
	if len(gs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), wrongWriteTimeout)
	defer cancel()
	if err := w.st.RecordWrong(ctx, gs); err != nil {
		w.log.Error("wrong-guess log: write failed, batch lost", "guesses", len(gs), "err", err)
	}
}

// truncateGuess returns at most max bytes of s, cut before a character
// that would not fit, so the result stays valid UTF-8 (invalid bytes are
// replaced first).
func truncateGuess(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// engineStore is the store as the engine sees it, with two additions for
// the admin dashboard. The events the engine reads at start-up are folded
// into the SolveStats too, so it is built without a second pass over the
// log; events of users no longer in credentials.csv are skipped, as the
// game state skips them. And an admin reset runs exclusive of the
// wrong-guess log's writes (see wrongLog.reset).
type engineStore struct {
	store.Store
	stats  *httpapi.SolveStats
	wrongs *wrongLog
	known  map[int64]bool
}

// Append runs a batch holding a reset event (which deletes the stored
// guesses) exclusive of the wrong-guess log's writes.
func (f *engineStore) Append(ctx context.Context, evs []game.Event) ([]store.Result, error) {
	if !slices.ContainsFunc(evs, func(ev game.Event) bool { return ev.Type == game.EventReset }) {
		return f.Store.Append(ctx, evs)
	}
	var res []store.Result
	_, err := f.wrongs.reset(func() (int64, error) {
		var err error
		res, err = f.Store.Append(ctx, evs)
		return 0, err
	})
	return res, err
}

func (f *engineStore) SyncUsers(ctx context.Context, usernames []string) (map[string]int64, error) {
	ids, err := f.Store.SyncUsers(ctx, usernames)
	if err != nil {
		return nil, err
	}
	f.known = make(map[int64]bool, len(usernames))
	for _, u := range usernames {
		f.known[ids[u]] = true
	}
	return ids, nil
}

func (f *engineStore) Events(ctx context.Context, after int64, fn func(game.Event) error) error {
	return f.Store.Events(ctx, after, func(ev game.Event) error {
		if err := fn(ev); err != nil {
			return err
		}
		if f.known[ev.UserID] {
			f.stats.Apply(ev)
		}
		return nil
	})
}
