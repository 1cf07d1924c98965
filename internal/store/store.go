// Package store defines how ctfg persists its event log, users, display
// names and sessions. Backends live in subpackages (sqlite now, postgres
// later); the rest of the program sees only the Store interface, so a new
// backend is a new package, not a rewrite.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// ErrNotFound is returned by lookups that find nothing.
var ErrNotFound = errors.New("store: not found")

// Result is the outcome of appending one event.
type Result struct {
	// Event is the event as committed, with its ID assigned. Valid only
	// when Inserted is true.
	Event game.Event
	// Inserted is false when the event was a duplicate: the player had
	// already solved that challenge or bought that hint. Duplicates are not
	// errors; the unique constraints of the schema decide them.
	Inserted bool
	// Err is set for an event refused by a constraint other than
	// duplication: game.ErrNameTaken for a rename to a name another player
	// holds (compared with game.NameKey).
	Err error
}

// WrongGuess is one incorrect flag submission, kept for disputes and
// brute-force review. It is never broadcast and never logged; only the
// admin dashboard shows it. Callers bound Guess (the app keeps at most 200
// bytes, cut on a UTF-8 boundary).
type WrongGuess struct {
	ID        int64 // assigned by the store
	UserID    int64
	Challenge int
	Guess     string
	TS        time.Time
}

// Store is the persistence of one game. Every method is safe for
// concurrent use.
type Store interface {
	// SyncUsers makes sure every username exists, assigning ids to new
	// ones in the order given (after every existing id), and returns the
	// id of every user known to the store. Existing ids never change.
	SyncUsers(ctx context.Context, usernames []string) (map[string]int64, error)

	// Events calls fn for every event with ID > after, in ID order. It
	// stops at and returns the first error fn returns.
	Events(ctx context.Context, after int64, fn func(game.Event) error) error

	// Append commits evs in one transaction (one fsync) and returns one
	// Result per event, in order. Each event's ID is assigned by the store
	// and is larger than every ID ever assigned before, even across Reset.
	// The caller sets TS. A rename event also sets the user's current
	// display name. An error means nothing was committed.
	Append(ctx context.Context, evs []game.Event) ([]Result, error)

	// CreateSession stores a login session keyed by the hash of its token.
	CreateSession(ctx context.Context, tokenHash []byte, userID int64) error
	// SessionUser returns the user of a session, or ErrNotFound.
	SessionUser(ctx context.Context, tokenHash []byte) (int64, error)
	// DeleteSession removes one session; removing a missing one is no error.
	DeleteSession(ctx context.Context, tokenHash []byte) error

	// RecordWrong stores wrong flag submissions in one transaction; an
	// error means none was stored.
	RecordWrong(ctx context.Context, gs []WrongGuess) error
	// WrongGuesses returns the latest wrong submissions, newest first, at
	// most limit of them.
	WrongGuesses(ctx context.Context, limit int) ([]WrongGuess, error)

	// Reset deletes every event, display name, session and wrong guess in
	// one transaction and returns how many events it removed.
	Reset(ctx context.Context) (int64, error)

	// Meta returns a persistent server value, or ErrNotFound.
	Meta(ctx context.Context, key string) (string, error)
	// SetMeta stores a persistent server value.
	SetMeta(ctx context.Context, key, value string) error

	// Checkpoint folds the write-ahead log back into the database and
	// truncates it; servers call it in quiet moments.
	Checkpoint(ctx context.Context) error

	// Close flushes and closes the store.
	Close() error
}
