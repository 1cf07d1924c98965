package engine

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// The submission log: every flag submission, whatever its result (player,
// challenge, time, result, client address, and the guess of a wrong one),
// is kept for disputes and brute-force review, and shown only to the
// admin. It is written off the submit path.
const (
	// MaxGuessBytes is how much of a wrong guess is kept (bytes of UTF-8,
	// cut on a character boundary).
	MaxGuessBytes = 200
	// subQueueLen is how many submissions may wait for the database
	// (about 6 MB at most). Submissions are bounded by the per-address
	// request limit (200, then 100/s), and a guesser past the submit
	// limit (10 + 1 per 2 s per player) gets 429s, which are logged too;
	// the writer stores well over 10,000 a second on SQLite in batches
	// of subBatchMax (BenchmarkRecordSubmissionsBatch100), so the queue
	// only fills when the database stalls.
	subQueueLen = 16384
	// subBatchMax is the most submissions written in one transaction.
	subBatchMax = 256
	// subFlushEvery is the longest a submission waits before it is
	// written.
	subFlushEvery = 100 * time.Millisecond
	// subWriteTimeout bounds one batch write.
	subWriteTimeout = 10 * time.Second
	// subDropReportEvery spaces the warnings about dropped submissions.
	subDropReportEvery = 10 * time.Second
)

// SubmissionResultOf names the result of a submission for the log: the
// outcome of Submit or Judge, or the error that refused it (a clock
// refusal, a locked or unknown challenge, game.ErrRateLimited). ok is
// false for an error that is no answer about the submission (an unknown
// user, a failed commit, a client gone): nothing to log.
func SubmissionResultOf(res SubmitResult, err error) (r store.SubmissionResult, ok bool) {
	if err == nil {
		switch res.Outcome {
		case Correct:
			return store.ResultCorrect, true
		case AlreadySolved:
			return store.ResultAlreadySolved, true
		case Incorrect:
			return store.ResultIncorrect, true
		case Practice:
			return store.ResultPractice, true
		}
		return "", false
	}
	for _, m := range []struct {
		err error
		r   store.SubmissionResult
	}{
		{game.ErrNotStarted, store.ResultNotStarted},
		{game.ErrPaused, store.ResultPaused},
		{game.ErrEnded, store.ResultEnded},
		{game.ErrRateLimited, store.ResultRateLimited},
		{game.ErrLocked, store.ResultLocked},
		{game.ErrUnknownID, store.ResultUnknownID},
	} {
		if errors.Is(err, m.err) {
			return m.r, true
		}
	}
	return "", false
}

// RecordSubmission queues one submission of a player for the log: its
// result, the client address (as the rate limits see it) and the guess,
// which is kept only for a wrong one — trimmed, as judged, and cut to
// MaxGuessBytes — so a right flag is never stored. It never waits for
// the database: when the queue is full (the database is stalled or far
// behind) the submission is dropped and counted (SubmissionsDropped),
// since the log is for review and the game must go on. The HTTP layer
// calls it once per submission, after the answer is known.
func (e *Engine) RecordSubmission(player int64, challenge int, result store.SubmissionResult, addr, guess string) {
	if e.subs == nil { // not started
		return
	}
	if result != store.ResultIncorrect {
		guess = ""
	}
	e.subs.record(store.Submission{UserID: player, Challenge: challenge, Result: result, Address: addr,
		Guess: truncateGuess(strings.TrimSpace(guess), MaxGuessBytes)})
}

// SubmissionsDropped returns how many submissions were not recorded
// because the database was too far behind (or the engine closed).
func (e *Engine) SubmissionsDropped() uint64 {
	if e.subs == nil {
		return 0
	}
	return e.subs.Dropped()
}

// submissionStore is the part of the store the log writes to.
type submissionStore interface {
	RecordSubmissions(ctx context.Context, subs []store.Submission) error
}

// submissionLog batches submissions into the store on a goroutine of its
// own: record never waits for the database. A guess is never logged.
type submissionLog struct {
	st      submissionStore
	log     *slog.Logger
	now     func() time.Time
	ch      chan queuedSubmission
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Uint64

	// gen counts admin resets; a submission made before a reset finished
	// is not written after it. mu is held while a batch is filtered and
	// written and while a reset runs (reset), so the two never overlap: a
	// batch is either written before the reset, which deletes it, or
	// filtered after it.
	mu  sync.Mutex
	gen atomic.Uint64
}

type queuedSubmission struct {
	s   store.Submission
	gen uint64
}

func newSubmissionLog(st submissionStore, log *slog.Logger, now func() time.Time) *submissionLog {
	l := &submissionLog{
		st:   st,
		log:  log,
		now:  now,
		ch:   make(chan queuedSubmission, subQueueLen),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go l.run()
	return l
}

// record queues one submission, stamped with the log's clock, or drops
// and counts it when the queue is full or the log closed.
func (l *submissionLog) record(s store.Submission) {
	select {
	case <-l.stop: // shutting down: the last batch is being written
		l.dropped.Add(1)
		return
	default:
	}
	s.TS = l.now()
	select {
	case l.ch <- queuedSubmission{s, l.gen.Load()}:
	default:
		l.dropped.Add(1)
	}
}

// Dropped returns how many submissions were not recorded because the
// queue was full (or the log closed).
func (l *submissionLog) Dropped() uint64 { return l.dropped.Load() }

// reset runs the store's reset (which deletes the stored submissions)
// while no batch is being written, and makes the log drop every
// submission queued before it returned.
func (l *submissionLog) reset(fn func() (int64, error)) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := fn()
	if err == nil {
		l.gen.Add(1)
	}
	return n, err
}

// Close writes what is queued and stops the log. Call it after the HTTP
// server has stopped and before the store closes; it is idempotent.
func (l *submissionLog) Close() {
	l.once.Do(func() { close(l.stop) })
	<-l.done
}

func (l *submissionLog) run() {
	defer close(l.done)
	t := time.NewTicker(subFlushEvery)
	defer t.Stop()
	batch := make([]queuedSubmission, 0, subBatchMax)
	var reported uint64
	var reportedAt time.Time
	add := func(s queuedSubmission) {
		batch = append(batch, s)
		if len(batch) == subBatchMax {
			l.write(batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case s := <-l.ch:
			add(s)
		case <-t.C:
			if len(batch) > 0 {
				l.write(batch)
				batch = batch[:0]
			}
			if n := l.dropped.Load(); n != reported && time.Since(reportedAt) >= subDropReportEvery {
				l.log.Warn("submission log: queue full, submissions not recorded", "dropped_since_last", n-reported, "dropped_total", n)
				reported, reportedAt = n, time.Now()
			}
		case <-l.stop:
		drain:
			for {
				select {
				case s := <-l.ch:
					add(s)
				default:
					break drain
				}
			}
			if len(batch) > 0 {
				l.write(batch)
			}
			if n := l.dropped.Load(); n != reported {
				l.log.Warn("submission log: submissions not recorded", "dropped_total", n)
			}
			return
		}
	}
}

// write stores one batch; a failure is logged (never the guesses) and
// the batch is lost, so a broken database cannot pile submissions up.
func (l *submissionLog) write(batch []queuedSubmission) {
	l.mu.Lock()
	defer l.mu.Unlock()
	gen := l.gen.Load()
	subs := make([]store.Submission, 0, len(batch))
	for _, q := range batch {
		if q.gen == gen {
			subs = append(subs, q.s)
		}
	}
	if len(subs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), subWriteTimeout)
	defer cancel()
	if err := l.st.RecordSubmissions(ctx, subs); err != nil {
		l.log.Error("submission log: write failed, batch lost", "submissions", len(subs), "err", err)
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
