// Package feed is the one way any view of a game changes: it tails the
// store's committed event log and hands every event, in id order and
// exactly once, to each view of this process — the game state, the
// admin statistics, the metrics, the scorestream. The same code runs
// whether the log is an embedded SQLite file written by this process
// alone or a PostgreSQL database shared by several instances: a view
// cannot tell its own instance's events from another's.
//
// The reader follows the log by query (Events after the last id it
// delivered); the store's Changed channel only says when to look. A lost
// or duplicated wake-up therefore delays an event by at most one poll
// interval and never loses, repeats or reorders one.
package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// Defaults used for zero fields of Config.
const (
	// DefaultPoll is how often the reader looks at the log without a
	// wake-up: the bound on delay when a notification is lost.
	DefaultPoll = time.Second
	// DefaultChunk is the most events handed to the views in one call.
	DefaultChunk = 1024
)

// Log is the part of the store the feed reads.
type Log interface {
	// Events calls fn for every event with ID > after, in ID order.
	Events(ctx context.Context, after int64, fn func(game.Event) error) error
	// Changed receives a value after the log may have grown.
	Changed() <-chan struct{}
}

// View is one projection of the log. Apply receives committed events in
// id order, each exactly once, on the feed's reader; it must not block
// (a slow view delays every other view and every writer waiting for its
// own event). A reset event (game.EventReset) means: forget everything
// before it.
type View interface {
	Apply(evs []game.Event)
}

// ViewFunc adapts a function to a View.
type ViewFunc func(evs []game.Event)

// Apply calls f(evs).
func (f ViewFunc) Apply(evs []game.Event) { f(evs) }

// Config configures a Feed.
type Config struct {
	Log    Log
	Views  []View // in the order they see each batch
	Poll   time.Duration
	Chunk  int
	Logger *slog.Logger
	Now    func() time.Time
	// OnDelivered, when set, observes each delivered chunk: how many
	// events and how long after its last event was committed (its TS) it
	// reached the views — the feed lag (metrics). It must not block.
	OnDelivered func(events int, lag time.Duration)
}

// Feed tails a log into views. Its methods are safe for concurrent use.
type Feed struct {
	cfg Config
	log *slog.Logger

	readMu sync.Mutex // one reader at a time: Sync and Run take turns
	pos    atomic.Int64

	waitMu  sync.Mutex
	advance chan struct{} // closed and replaced whenever pos grows
}

// New returns a feed positioned at after (0: the beginning of the log).
func New(cfg Config, after int64) *Feed {
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = DefaultChunk
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	f := &Feed{cfg: cfg, log: cfg.Logger, advance: make(chan struct{})}
	f.pos.Store(after)
	return f
}

// Position returns the id of the last event delivered to the views.
func (f *Feed) Position() int64 { return f.pos.Load() }

// CatchUp delivers every event committed so far (and any committed while
// it reads) to the views and returns the new position.
func (f *Feed) CatchUp(ctx context.Context) (int64, error) {
	f.readMu.Lock()
	defer f.readMu.Unlock()
	return f.readLocked(ctx)
}

// Sync returns once every event up to id has reached the views, reading
// the log itself when the reader has not got there yet: a writer calls it
// with the id of its own last event, so a player always sees their own
// write, without waiting for a wake-up to travel.
func (f *Feed) Sync(ctx context.Context, id int64) error {
	if f.pos.Load() >= id {
		return nil
	}
	f.readMu.Lock()
	defer f.readMu.Unlock()
	if f.pos.Load() >= id {
		return nil
	}
	// Everything committed is read; if id is not among it, a reset
	// (on another instance) deleted it, and the reset has been delivered.
	_, err := f.readLocked(ctx)
	return err
}

// Wait returns once the position is at least id or ctx ends, without
// reading the log itself.
func (f *Feed) Wait(ctx context.Context, id int64) error {
	for {
		f.waitMu.Lock()
		ch := f.advance
		f.waitMu.Unlock()
		if f.pos.Load() >= id {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readLocked reads everything after the position and hands it to the
// views in chunks. f.readMu is held.
func (f *Feed) readLocked(ctx context.Context) (int64, error) {
	chunk := make([]game.Event, 0, f.cfg.Chunk)
	flush := func() {
		if len(chunk) == 0 {
			return
		}
		for _, v := range f.cfg.Views {
			v.Apply(chunk)
		}
		last := chunk[len(chunk)-1]
		f.pos.Store(last.ID)
		if f.cfg.OnDelivered != nil {
			lag := f.cfg.Now().Sub(time.UnixMilli(last.TS))
			f.cfg.OnDelivered(len(chunk), max(lag, 0))
		}
		f.waitMu.Lock()
		close(f.advance)
		f.advance = make(chan struct{})
		f.waitMu.Unlock()
		// The views may keep the slice (they are told events, not lent a
		// buffer): start a fresh one.
		chunk = make([]game.Event, 0, f.cfg.Chunk)
	}
	after := f.pos.Load()
	err := f.cfg.Log.Events(ctx, after, func(ev game.Event) error {
		if ev.ID <= after {
			return fmt.Errorf("feed: event %d out of order after %d", ev.ID, after)
		}
		after = ev.ID
		chunk = append(chunk, ev)
		if len(chunk) == cap(chunk) {
			flush()
		}
		return nil
	})
	flush()
	if err != nil {
		return f.pos.Load(), fmt.Errorf("feed: read log: %w", err)
	}
	return f.pos.Load(), nil
}

// Run follows the log until ctx ends: on every wake-up from the store,
// and every Poll interval without one. A failed read is logged and
// retried at the next turn; nothing is skipped.
func (f *Feed) Run(ctx context.Context) {
	t := time.NewTicker(f.cfg.Poll)
	defer t.Stop()
	changed := f.cfg.Log.Changed()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-t.C:
		}
		_, err := f.CatchUp(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled):
			if !failing {
				f.log.Error("feed: reading the event log failed; retrying", "after", f.pos.Load(), "err", err)
			}
			failing = true
		case err == nil && failing:
			f.log.Info("feed: reading the event log works again", "after", f.pos.Load())
			failing = false
		}
	}
}
