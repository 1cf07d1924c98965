package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/ctfg/ctfg/internal/game"
)

// A Dump is the whole content of one game's database, as one consistent
// snapshot: what `ctfg db copy` moves between backends. Every id is kept
// (users, events, wrong guesses), so sessions, display names and the
// scorestream's resume by event id go on working on the copy.
//
// The schema's bookkeeping is not part of it: schema_migrations (each
// backend migrates itself) and the backends' id counters, which LogHead
// stands for.
type Dump struct {
	Users  []UserRow
	Events []game.Event // in id order; UserID 0 for an event of no player
	// LogHead is the largest event id ever handed out (SQLite's
	// AUTOINCREMENT counter, PostgreSQL's log_head), at least the largest
	// id in Events: ids of deleted or refused events are never reused, so
	// a loaded store must hand out ids above it.
	LogHead      int64
	Names        []NameRow
	Sessions     []SessionRow
	WrongGuesses []WrongGuess // with their ids, in id order
	Meta         []MetaRow
	Limits       []LimitRow
}

// Rows of the tables a Dump holds, each with every column of its table.
type (
	// UserRow is a row of users.
	UserRow struct {
		ID        int64
		Username  string
		CreatedMS int64
	}
	// NameRow is a row of names: a player's current display name and
	// its key (game.NameKey, or a key the backend chose for a name that
	// collides; copied as it is).
	NameRow struct {
		UserID  int64
		Name    string
		NameKey string
	}
	// SessionRow is a row of sessions: the hash of a token, never the
	// token.
	SessionRow struct {
		TokenHash []byte
		UserID    int64
		CreatedMS int64
	}
	// MetaRow is a persistent server value (stream secret, token epoch).
	MetaRow struct {
		Key, Value string
	}
	// LimitRow is a shared token bucket.
	LimitRow struct {
		Key string
		Bucket
	}
)

// DumpTables names the tables of the schema a Dump holds, in the order a
// load fills them (users first: the others refer to them). It is the one
// list: each backend's schema test fails for a table that is neither here
// nor bookkeeping of its own, and Counts has one entry per name.
var DumpTables = []string{"users", "events", "names", "sessions", "meta", "wrong_guesses", "limits"}

// Counts returns the number of rows of each table of DumpTables, plus
// "max event id" (0 for no event) and "log head".
func (d *Dump) Counts() map[string]int64 {
	var maxID int64
	if n := len(d.Events); n > 0 {
		maxID = d.Events[n-1].ID
	}
	return map[string]int64{
		"users":         int64(len(d.Users)),
		"events":        int64(len(d.Events)),
		"names":         int64(len(d.Names)),
		"sessions":      int64(len(d.Sessions)),
		"meta":          int64(len(d.Meta)),
		"wrong_guesses": int64(len(d.WrongGuesses)),
		"limits":        int64(len(d.Limits)),
		"max event id":  maxID,
		"log head":      d.LogHead,
	}
}

// Empty reports whether the dump holds no game: no user and no event.
func (d *Dump) Empty() bool { return len(d.Users) == 0 && len(d.Events) == 0 }

// ErrNotEmpty is returned (wrapped, with what the target holds) by Load
// into a database that already holds a user or an event, unless told to
// replace it.
var ErrNotEmpty = errors.New("the target database is not empty")

// NotEmpty returns ErrNotEmpty wrapped with the counts of a target.
func NotEmpty(users, events int64) error {
	return fmt.Errorf("%w: it holds %d users and %d events", ErrNotEmpty, users, events)
}

// Dumper is a store that can read its whole content in one snapshot.
type Dumper interface {
	// Dump reads every table of DumpTables and the log head in one read
	// transaction: a consistent snapshot, even while a server commits.
	// It writes nothing.
	Dump(ctx context.Context) (*Dump, error)
}

// Loader is a store that can be filled from a Dump.
type Loader interface {
	// Load writes d into the store in one transaction, keeping every id,
	// and makes the store hand out event ids above d.LogHead (and above
	// any it handed out before). A store that holds a user or an event
	// is refused with ErrNotEmpty unless replace is set; then its content
	// is deleted in the same transaction. Either way every table of
	// DumpTables ends up holding exactly d's rows: nothing is merged.
	// No server may be using the store meanwhile: its in-memory state
	// would no longer match the database.
	Load(ctx context.Context, d *Dump, replace bool) error
}
