package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// commitTimeout bounds a registration's commit, which is not tied to the
// request (as the committer's appends are not).
const commitTimeout = 30 * time.Second

// accounts caches the password hashes of self-registered accounts: those
// in the store when the engine started, those registered here, and those
// registered on another instance once a login looked them up. A hash
// never changes, so the cache is never invalidated.
type accounts struct {
	mu     sync.RWMutex
	hashes map[int64]string
	// csvKeys are the credentials.csv usernames, lowercased: registration
	// refuses them in any case (a csv username wins).
	csvKeys map[string]bool
}

func newAccounts(users []game.User, registered []game.User) *accounts {
	a := &accounts{hashes: make(map[int64]string, len(registered)), csvKeys: make(map[string]bool, len(users))}
	for _, u := range users {
		a.csvKeys[strings.ToLower(u.Username)] = true
	}
	for _, u := range registered {
		a.hashes[u.ID] = u.Password
	}
	return a
}

func (a *accounts) hash(id int64) (string, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	h, ok := a.hashes[id]
	return h, ok
}

func (a *accounts) remember(id int64, hash string) {
	a.mu.Lock()
	a.hashes[id] = hash
	a.mu.Unlock()
}

// UsernameTaken reports whether a registration of username (normalized,
// game.NormalizeUsername) would be refused by what this instance knows:
// a credentials.csv user of that name in any case, or a player of that
// username. It is the cheap check before the bcrypt work; the store
// decides for good (an account made on another instance a moment ago).
func (e *Engine) UsernameTaken(username string) bool {
	if e.accts.csvKeys[strings.ToLower(username)] {
		return true
	}
	_, ok := e.st.PlayerByUsername(username)
	return ok
}

// Register creates a self-registered account with the bcrypt hash of its
// password and returns its player once every view of this instance holds
// it (the store commits the account and its register event together;
// other instances add the player when their feeds bring the event).
// username must be normalized and valid (game.ValidateUsername). Errors:
// game.ErrUsernameTaken, ErrClosed, or the store's.
func (e *Engine) Register(ctx context.Context, username, hash string) (game.Player, error) {
	select {
	case <-e.done:
		return game.Player{}, ErrClosed
	default:
	}
	if e.UsernameTaken(username) {
		return game.Player{}, game.ErrUsernameTaken
	}
	// Not tied to the request: a client that hangs up must not leave an
	// account whose player this instance has not folded yet.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	id, err := e.cfg.Store.CreateAccount(ctx, username, hash)
	if err != nil {
		if errors.Is(err, game.ErrUsernameTaken) {
			return game.Player{}, err
		}
		if e.cfg.OnCommitError != nil {
			e.cfg.OnCommitError(err)
		}
		return game.Player{}, fmt.Errorf("engine: register: %w", err)
	}
	e.accts.remember(id, hash)
	// The register event is committed: reading the log brings it (and
	// everything before it) into every view.
	if _, err := e.feed.CatchUp(ctx); err != nil {
		return game.Player{}, fmt.Errorf("engine: register: %w", err)
	}
	p, ok := e.st.Player(id)
	if !ok {
		return game.Player{}, fmt.Errorf("engine: register: account %d is not in the log", id)
	}
	return p, nil
}

// Password returns the stored password (plain or bcrypt hash) of a user:
// from credentials.csv, or a registered account's hash — from the cache,
// or from the store for an account registered on another instance. ok is
// false for an unknown user; err is the store's.
func (e *Engine) Password(ctx context.Context, userID int64) (stored string, ok bool, err error) {
	if p, ok := e.passwords[userID]; ok {
		return p, true, nil
	}
	if h, ok := e.accts.hash(userID); ok {
		return h, true, nil
	}
	if _, known := e.st.Player(userID); !known {
		return "", false, nil
	}
	h, err := e.cfg.Store.AccountHash(ctx, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", false, nil // a user of an older credentials.csv
	case err != nil:
		return "", false, fmt.Errorf("engine: password: %w", err)
	}
	e.accts.remember(userID, h)
	return h, true, nil
}
