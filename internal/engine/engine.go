// Package engine runs a game: it checks requests against the in-memory
// state, commits the resulting events through the store in group commits,
// folds them into the state and hands them to the scorestream. It is the
// one writer of both the state and the store's event log.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// DefaultMaxBatch is how many requests one group commit may carry.
const DefaultMaxBatch = 256

// ErrClosed is returned for requests made after Close.
var ErrClosed = errors.New("engine: closed")

// Config configures an Engine.
type Config struct {
	Store        store.Store
	Challenges   []*game.Challenge
	Users        []game.User // from credentials.csv; ids are assigned by the store
	Placeholders game.Placeholders
	Logger       *slog.Logger
	Now          func() time.Time // nil = time.Now
	MaxBatch     int              // requests per group commit; 0 = DefaultMaxBatch
	// OnCommit, when set, receives every committed batch of events in id
	// order, after the state has folded them. It runs on the committer
	// goroutine and must not block (the scorestream hub's Publish does not).
	OnCommit func(evs []game.Event)
	// OnReset, when set, runs on the committer right after an admin reset
	// has been committed, before any later request is processed.
	OnReset func()
	// OnBatch, when set, observes each group commit (for metrics).
	OnBatch func(size int, took time.Duration)
	// OnCommitError, when set, observes each group commit that failed
	// (for the health check: a full disk fails writes, not reads).
	OnCommitError func(err error)
}

// Engine is a running game. Its methods are safe for concurrent use.
type Engine struct {
	cfg       Config
	st        *game.State
	log       *slog.Logger
	now       func() time.Time
	passwords map[int64]string
	ops       chan *op
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// New loads users and events from the store, rebuilds the state and starts
// the committer.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	catalog, err := game.NewCatalog(cfg.Challenges)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	names := make([]string, len(cfg.Users))
	for i, u := range cfg.Users {
		names[i] = u.Username
	}
	ids, err := cfg.Store.SyncUsers(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("engine: sync users: %w", err)
	}
	users := make([]game.User, len(cfg.Users))
	passwords := make(map[int64]string, len(cfg.Users))
	for i, u := range cfg.Users {
		u.ID = ids[u.Username]
		passwords[u.ID] = u.Password
		u.Password = ""
		users[i] = u
	}
	e := &Engine{
		cfg:       cfg,
		st:        game.NewState(catalog, users),
		log:       cfg.Logger,
		now:       cfg.Now,
		passwords: passwords,
		ops:       make(chan *op, 4*cfg.MaxBatch),
		done:      make(chan struct{}),
	}
	if err := e.load(ctx); err != nil {
		return nil, err
	}
	e.wg.Add(1)
	go e.commitLoop()
	return e, nil
}

// load folds every stored event into a fresh state.
func (e *Engine) load(ctx context.Context) error {
	const chunk = 4096
	buf := make([]game.Event, 0, chunk)
	err := e.cfg.Store.Events(ctx, 0, func(ev game.Event) error {
		buf = append(buf, ev)
		if len(buf) == chunk {
			e.st.Apply(buf...)
			buf = buf[:0]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("engine: load events: %w", err)
	}
	e.st.Apply(buf...)
	return nil
}

// State returns the in-memory game state for reads.
func (e *Engine) State() *game.State { return e.st }

// Placeholders returns the game's placeholder settings.
func (e *Engine) Placeholders() *game.Placeholders { return &e.cfg.Placeholders }

// Password returns the stored password (plain or bcrypt hash) of a user.
func (e *Engine) Password(userID int64) (string, bool) {
	p, ok := e.passwords[userID]
	return p, ok
}

// Close stops the committer after the requests already queued are done.
func (e *Engine) Close() {
	e.closeOnce.Do(func() { close(e.done) })
	e.wg.Wait()
}
