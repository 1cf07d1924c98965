// Package engine is the command path of a game: it checks requests
// against the in-memory state, appends the resulting events to the
// store's log in group commits, and answers each request once its own
// event has come back through the feed (internal/feed) and been folded
// into every view — so a player always sees their own write, and every
// view, on every instance, changes only by folding the log.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ctfg/ctfg/internal/feed"
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
	// Start and End are the configured competition window (zero: none);
	// the admin's clock events override them live.
	Start, End time.Time
	// Freeze is the configured start of the scoreboard freeze (zero:
	// none); the admin's clock events override it live.
	Freeze time.Time
	// RevealAtEnd unfreezes the scoreboard by itself at the end
	// (CTFG_REVEAL=end); otherwise only the admin unfreezes.
	RevealAtEnd bool
	// Practice keeps checking flags after the end (CTFG_PRACTICE=1): a
	// right flag is shown to its player as solved, never scored or ranked.
	Practice bool
	// FirstBloodBonus is the bonus, in percent of the challenge's value,
	// of its first, second and third solver (CTFG_FIRST_BLOOD_BONUS);
	// empty: none.
	FirstBloodBonus []int
	// TeamMode plays in teams even when credentials.csv names none;
	// TeamSize caps a team's members (0: no cap).
	TeamMode bool
	TeamSize int
	MaxBatch int // requests per group commit; 0 = DefaultMaxBatch
	// OnBatch, when set, observes each group commit (for metrics).
	OnBatch func(size int, took time.Duration)
	// Poll bounds how late another instance's event reaches this one's
	// views when a wake-up is lost; 0 = feed.DefaultPoll.
	Poll time.Duration
	// OnDelivered, when set, observes the feed's lag (metrics).
	OnDelivered func(events int, lag time.Duration)
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
	accts     *accounts // registered accounts (register.go)
	feed      *feed.Feed
	teams     []game.User // the teams of credentials.csv (IsTeam, Team: name)
	subs      *submissionLog
	ops       chan *op
	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// New assigns the users their store ids and builds an empty state. Start
// then folds the log and starts accepting requests.
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
	// Teams (credentials.csv's third column) take ids from the players'
	// sequence, under names no player can have: a scorer id then names a
	// player or a team, never both.
	names := make([]string, 0, len(cfg.Users))
	var teams []string
	seen := map[string]bool{}
	for _, u := range cfg.Users {
		names = append(names, u.Username)
		if u.Team != "" && !seen[u.Team] {
			seen[u.Team] = true
			teams = append(teams, u.Team)
		}
	}
	for _, t := range teams {
		names = append(names, game.TeamUsername(t))
	}
	ids, err := cfg.Store.SyncUsers(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("engine: sync users: %w", err)
	}
	users := make([]game.User, 0, len(cfg.Users)+len(teams))
	passwords := make(map[int64]string, len(cfg.Users))
	for _, u := range cfg.Users {
		u.ID = ids[u.Username]
		if u.Team != "" {
			u.TeamID = ids[game.TeamUsername(u.Team)]
		}
		passwords[u.ID] = u.Password
		u.Password = ""
		users = append(users, u)
	}
	for _, t := range teams {
		users = append(users, game.User{ID: ids[game.TeamUsername(t)], Username: game.TeamUsername(t), Team: t, IsTeam: true})
	}
	registered, err := cfg.Store.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e := &Engine{
		cfg:       cfg,
		teams:     users[len(cfg.Users):],
		st:        game.NewState(catalog, users),
		log:       cfg.Logger,
		now:       cfg.Now,
		passwords: passwords,
		accts:     newAccounts(users, registered),
		ops:       make(chan *op, 4*cfg.MaxBatch),
		done:      make(chan struct{}),
	}
	e.st.SetRules(cfg.Rules())
	return e, nil
}

// Rules returns the game rules of the configuration.
func (c Config) Rules() game.Rules {
	return game.Rules{Start: c.Start, End: c.End, Freeze: c.Freeze, RevealAtEnd: c.RevealAtEnd, FirstBloodBonus: c.FirstBloodBonus, Practice: c.Practice, TeamMode: c.TeamMode}
}

// Open is New then Start: an engine with no view but its state, or with
// views that need nothing from the engine to be built.
func Open(ctx context.Context, cfg Config, views ...feed.View) (*Engine, error) {
	e, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := e.Start(ctx, views...); err != nil {
		return nil, err
	}
	return e, nil
}

// StateView folds the log into a game state.
func StateView(st *game.State) feed.View {
	return feed.ViewFunc(func(evs []game.Event) { st.Apply(evs...) })
}

// Start folds the whole log into the state and then into views, in that
// order for every batch of events, and starts the committer and the
// reader that follows the log (events of other instances). views are the
// one list of everything that changes with the game: each sees every
// event from the beginning of the log, exactly once, in id order.
func (e *Engine) Start(ctx context.Context, views ...feed.View) error {
	e.feed = feed.New(feed.Config{
		Log:         e.cfg.Store,
		Views:       append([]feed.View{StateView(e.st)}, views...),
		Poll:        e.cfg.Poll,
		Logger:      e.log,
		Now:         e.now,
		OnDelivered: e.cfg.OnDelivered,
	}, 0)
	if _, err := e.feed.CatchUp(ctx); err != nil {
		return fmt.Errorf("engine: load events: %w", err)
	}
	e.subs = newSubmissionLog(e.cfg.Store, e.log, e.now)
	bg, stop := context.WithCancel(context.Background())
	e.stop = stop
	e.wg.Add(2)
	go e.commitLoop()
	go func() {
		defer e.wg.Done()
		e.feed.Run(bg)
	}()
	e.nameTeams(ctx)
	return nil
}

// nameTeams gives each team of credentials.csv its name as a display
// name (a rename event) unless it has one: team names then follow the
// display-name rules — lookalikes of a player's name or another team's
// are refused — on every instance, as names do.
func (e *Engine) nameTeams(ctx context.Context) {
	for _, t := range e.teams {
		if e.st.DisplayName(t.ID) != "" {
			continue
		}
		if _, err := e.SetName(ctx, t.ID, t.Team); err != nil {
			e.log.Warn("team name not set", "team", t.Team, "err", err)
		}
	}
}

// Feed returns the engine's feed (its position is the last event every
// view has folded).
func (e *Engine) Feed() *feed.Feed { return e.feed }

// State returns the in-memory game state for reads.
func (e *Engine) State() *game.State { return e.st }

// Placeholders returns the game's placeholder settings.
func (e *Engine) Placeholders() *game.Placeholders { return &e.cfg.Placeholders }

// Close stops the committer after the requests already queued are done,
// writes the queued submissions and stops following the log. Call it
// after the HTTP server has stopped and before the store closes.
func (e *Engine) Close() {
	e.closeOnce.Do(func() {
		close(e.done)
		if e.stop != nil {
			e.stop()
		}
	})
	e.wg.Wait()
	if e.subs != nil {
		e.subs.Close()
	}
}
