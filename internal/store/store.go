// Package store defines how ctfg persists its event log, users, display
// names and sessions. Backends live in subpackages (sqlite, the embedded
// default, and postgres, shared by several instances); the rest of the
// program sees only the Store interface, so a new backend is a new
// package, not a rewrite. storetest is the suite every backend passes.
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
	// Err is set for an event refused by a rule other than duplication,
	// checked where the write commits so that several instances acting
	// at once cannot break it together: game.ErrNameTaken for a rename to
	// a name another player holds (compared with game.NameKey), and
	// game.ErrInsufficientPoints for a hint whose cost (-Points) is above
	// the player's points (the sum of Points of their score and hint
	// events; a reset removes older ones). Inserted is false then.
	// Prerequisites and hint order are not checked here: the store does
	// not know the challenges, so the engine checks them.
	Err error
	// Removed is, for a committed reset event, how many events it
	// deleted (not counting earlier reset events).
	Removed int64
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

	// CreateAccount creates a self-registered account: a user (the next
	// id after every existing one, as SyncUsers assigns them) with the
	// bcrypt hash of its password, and its register event
	// (game.EventRegister, Name = username), in one transaction, so every
	// instance's feed adds the player. It returns game.ErrUsernameTaken
	// when a user of that name exists, compared ignoring ASCII case
	// (callers pass usernames normalized by game.NormalizeUsername).
	// Accounts are not game events: a reset deletes neither them nor
	// their register events.
	CreateAccount(ctx context.Context, username, hash string) (int64, error)
	// AccountHash returns the password hash of a registered account, or
	// ErrNotFound (also for a credentials.csv user).
	AccountHash(ctx context.Context, userID int64) (string, error)
	// Accounts returns every registered account in id order, with its
	// hash as Password.
	Accounts(ctx context.Context) ([]game.User, error)
	// UseOnce records key until expires and reports whether it was new:
	// false when key was recorded before and has not expired, so a
	// one-time value (a registration proof of work) is accepted once,
	// on every instance. Expired keys are forgotten as it goes. A reset
	// does not forget them.
	UseOnce(ctx context.Context, key string, expires, now time.Time) (bool, error)

	// Events calls fn for every event with ID > after, in ID order. It
	// stops at and returns the first error fn returns.
	Events(ctx context.Context, after int64, fn func(game.Event) error) error

	// Append commits evs in one transaction (one fsync) and returns one
	// Result per event, in order. Each event's ID is assigned by the store
	// and is larger than every ID ever assigned before, even across
	// resets, and ids are assigned in commit order: once a reader has
	// seen an event, every event committed later has a larger id, so
	// tailing with Events(after last seen) never misses one. The caller
	// sets TS. A rename event also sets the user's current display name.
	// A reset event (game.EventReset, UserID 0) deletes, in the same
	// transaction, every event with a smaller id (events before it in the
	// same batch included) except register events (accounts are not game
	// events: they outlive a reset), every display name, session, wrong
	// guess and shared rate-limit bucket; it stays in the log. Other types are
	// stored as they are (a lowercase identifier; UserID 0 for none).
	// Concurrent calls may share one transaction (group commit). An error
	// means nothing of evs was committed.
	Append(ctx context.Context, evs []game.Event) ([]Result, error)

	// Changed returns a channel that receives a value after the event log
	// may have grown: after every Append committed by this process and,
	// for shared backends, by any other process. Sends are coalesced and
	// never block (1-buffered). It is a latency hint only: the one reader
	// per process (the feed) also polls, and always reads Events(after
	// last seen), so a lost or duplicated wake-up delays but never loses
	// or repeats an event.
	Changed() <-chan struct{}

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

	// Meta returns a persistent server value, or ErrNotFound.
	Meta(ctx context.Context, key string) (string, error)
	// SetMeta stores a persistent server value.
	SetMeta(ctx context.Context, key, value string) error
	// SetMetaIfAbsent stores value under key unless the key already has
	// one, and returns the value stored afterwards: the first writer
	// wins, so instances starting at once agree on a generated secret.
	SetMetaIfAbsent(ctx context.Context, key, value string) (string, error)

	// TakeToken takes one token from the shared token bucket key, which
	// holds at most burst tokens and gains one every every; a bucket never
	// seen is full. It reports whether a token was taken and, if not, how
	// long until one will be there. The bucket lives in the store, so the
	// limit holds across instances (wrong flags, failed logins); the
	// update is atomic. A clock that steps back mints no tokens.
	TakeToken(ctx context.Context, key string, burst float64, every time.Duration, now time.Time) (ok bool, retryAfter time.Duration, err error)
	// ReturnToken gives back one token to key's bucket (never above
	// burst), for a caller that took one and then learned it should not
	// have been charged.
	ReturnToken(ctx context.Context, key string, burst float64, every time.Duration, now time.Time) error

	// Ping checks that the database answers; health checks call it.
	Ping(ctx context.Context) error

	// Checkpoint folds the write-ahead log back into the database and
	// truncates it; servers call it in quiet moments. A no-op where the
	// database server does that itself (PostgreSQL).
	Checkpoint(ctx context.Context) error

	// Close flushes and closes the store.
	Close() error
}

// Signal does a non-blocking send on a 1-buffered wake-up channel such as
// Changed's: when a wake-up is already pending, this one merges with it.
func Signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
