// Package store defines how ctfg persists its event log, users, display
// names and sessions. Backends live in subpackages (sqlite, the embedded
// default, and postgres, shared by several instances); the rest of the
// program sees only the Store interface, so a new backend is a new
// package, not a rewrite. storetest is the suite every backend passes.
package store

import (
	"context"
	"errors"
	"slices"
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

// SubmissionResult is what became of one flag submission, as the
// submission log keeps it.
type SubmissionResult string

// The results of a submission. A new one needs a line here and in
// SubmissionResults, not a migration: the column holds any non-empty
// name.
const (
	ResultCorrect       SubmissionResult = "correct"        // a right flag, scored
	ResultIncorrect     SubmissionResult = "incorrect"      // a wrong flag (the only result with a guess)
	ResultAlreadySolved SubmissionResult = "already_solved" // the player had solved it before
	ResultNotStarted    SubmissionResult = "not_started"    // refused by the clock: before the start
	ResultPaused        SubmissionResult = "paused"         // refused by the clock: the game is paused
	ResultEnded         SubmissionResult = "ended"          // refused by the clock: after the end
	ResultRateLimited   SubmissionResult = "rate_limited"   // refused by the submit rate limit (429)
	ResultLocked        SubmissionResult = "locked"         // the challenge's requirements were unmet
	ResultUnknownID     SubmissionResult = "unknown_id"     // no challenge has that id
	ResultPractice      SubmissionResult = "practice"       // a right flag after the end, in practice mode
	ResultAwarded       SubmissionResult = "awarded"        // a judge's award (POST /api/award), scored
)

// SubmissionResults lists every result, in the order the dashboard
// offers them.
var SubmissionResults = []SubmissionResult{
	ResultCorrect, ResultIncorrect, ResultAlreadySolved, ResultNotStarted, ResultPaused, ResultEnded,
	ResultRateLimited, ResultLocked, ResultUnknownID, ResultPractice, ResultAwarded,
}

// Valid reports whether r is one of SubmissionResults.
func (r SubmissionResult) Valid() bool { return slices.Contains(SubmissionResults, r) }

// Submission is one flag submission (POST /api/submit) or award, whatever
// its result, kept for disputes and brute-force review. It is never
// broadcast and never logged; only the admin reads it. Guess is set only
// for ResultIncorrect (a right flag is never stored); callers bound it
// (the app keeps at most 200 bytes, cut on a UTF-8 boundary).
type Submission struct {
	ID        int64 // assigned by the store, increasing in the order stored
	TS        time.Time
	UserID    int64
	Challenge int // as sent, even when no challenge has that id
	Result    SubmissionResult
	Address   string // the client address the rate limits use
	Guess     string
}

// SubmissionFilter selects submissions. Zero fields select everything.
type SubmissionFilter struct {
	UserID    int64            // one player's; 0: every player's
	Challenge *int             // for one challenge id; nil: every challenge
	Result    SubmissionResult // one result; "": every result
	// Before keeps ids below it (the next, older page of a keyset
	// pagination: the last id of the page before); 0: from the newest.
	Before int64
	// After keeps ids above it and takes the oldest Limit of them (the
	// previous, newer page: the first id of the page after); 0: none.
	// With Before too, both bounds apply.
	After int64
	// Limit is the most submissions returned (at most
	// MaxSubmissionsLimit); below 1 returns none.
	Limit int
}

// MaxSubmissionsLimit caps one Submissions call, whatever the caller asks.
const MaxSubmissionsLimit = 10000

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
	// events: they outlive a reset), every display name, session,
	// submission and shared rate-limit bucket; it stays in the log. Other types are
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

	// RecordSubmissions stores submissions in one transaction; an error
	// means none was stored. A submission with a user the store does not
	// know, a non-positive user id, no time, an invalid result, or a
	// guess with a result other than ResultIncorrect refuses the batch.
	RecordSubmissions(ctx context.Context, subs []Submission) error
	// Submissions returns the submissions f selects, newest (largest id)
	// first, at most f.Limit of them.
	Submissions(ctx context.Context, f SubmissionFilter) ([]Submission, error)

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
