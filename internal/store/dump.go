package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// A Dump is the whole content of one game's database, as one consistent
// snapshot: what `ctfg db copy` moves between backends. Every id is kept
// (users, events, submissions), so sessions, display names and the
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
	LogHead     int64
	Names       []NameRow
	Sessions    []SessionRow
	Submissions []Submission // with their ids, in id order
	Meta        []MetaRow
	Limits      []LimitRow
	UsedOnce    []UsedOnceRow
}

// Rows of the tables a Dump holds, each with every column of its table.
type (
	// UserRow is a row of users.
	UserRow struct {
		ID        int64
		Username  string
		CreatedMS int64
		// PasswordHash is the bcrypt hash of a registered account, ""
		// for a credentials.csv user.
		PasswordHash string
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
	// UsedOnceRow is a one-time value already used (Store.UseOnce).
	UsedOnceRow struct {
		Key       string
		ExpiresMS int64
	}
)

// DumpTable is one table of the schema a Dump holds and how its rows map
// to Go values, the same for every backend.
type DumpTable struct {
	Name string
	// Columns are every column of the table, the key first: rows are
	// read in the key's order.
	Columns []string
	// TextKey says the key is text, ordered byte-wise on every backend
	// (PostgreSQL: COLLATE "C"), so dumps compare equal row by row.
	TextKey bool
	// Len returns how many rows of the table d holds.
	Len func(d *Dump) int
	// Row returns the values of row i of d, in Columns order, as
	// database drivers take them (nil for NULL).
	Row func(d *Dump, i int) []any
	// Scan returns the destinations of one row, in Columns order, and a
	// function that appends the row scanned into them to d.
	Scan func(d *Dump) (dst []any, add func())
}

// DumpTables are the tables a Dump holds, in the order a load fills them
// (users first: the others refer to them). It is the one list: each
// backend reads and writes exactly these tables and columns, and its
// schema test fails for a table or a column of the schema that is not
// here (or the backend's own bookkeeping).
var DumpTables = []DumpTable{
	{
		Name: "users", Columns: []string{"id", "username", "created_ms", "password_hash"},
		Len: func(d *Dump) int { return len(d.Users) },
		Row: func(d *Dump, i int) []any {
			u := d.Users[i]
			return []any{u.ID, u.Username, u.CreatedMS, u.PasswordHash}
		},
		Scan: func(d *Dump) ([]any, func()) {
			var u UserRow
			return []any{&u.ID, &u.Username, &u.CreatedMS, &u.PasswordHash}, func() { d.Users = append(d.Users, u) }
		},
	},
	{
		Name: "events", Columns: []string{"id", "type", "user_id", "challenge_id", "hint_id", "points", "ts", "name", "data"},
		Len: func(d *Dump) int { return len(d.Events) },
		Row: func(d *Dump, i int) []any {
			ev := d.Events[i]
			var user any // NULL: an event of no player (a reset)
			if ev.UserID != 0 {
				user = ev.UserID
			}
			return []any{ev.ID, string(ev.Type), user, int64(ev.ChallengeID), int64(ev.HintID), int64(ev.Points), ev.TS, ev.Name, ev.Data}
		},
		Scan: func(d *Dump) ([]any, func()) {
			var (
				ev                 game.Event
				typ                string
				user               sql.Null[int64]
				chal, hint, points int64
			)
			return []any{&ev.ID, &typ, &user, &chal, &hint, &points, &ev.TS, &ev.Name, &ev.Data}, func() {
				ev.Type, ev.UserID = game.EventType(typ), user.V
				ev.ChallengeID, ev.HintID, ev.Points = int(chal), int(hint), int(points)
				d.Events = append(d.Events, ev)
			}
		},
	},
	{
		Name: "names", Columns: []string{"user_id", "name", "name_key"},
		Len: func(d *Dump) int { return len(d.Names) },
		Row: func(d *Dump, i int) []any { n := d.Names[i]; return []any{n.UserID, n.Name, n.NameKey} },
		Scan: func(d *Dump) ([]any, func()) {
			var n NameRow
			return []any{&n.UserID, &n.Name, &n.NameKey}, func() { d.Names = append(d.Names, n) }
		},
	},
	{
		Name: "sessions", Columns: []string{"token_hash", "user_id", "created_ms"},
		Len: func(d *Dump) int { return len(d.Sessions) },
		Row: func(d *Dump, i int) []any { s := d.Sessions[i]; return []any{s.TokenHash, s.UserID, s.CreatedMS} },
		Scan: func(d *Dump) ([]any, func()) {
			var s SessionRow
			return []any{&s.TokenHash, &s.UserID, &s.CreatedMS}, func() {
				// Drivers may reuse a []byte destination's memory.
				s.TokenHash = bytes.Clone(s.TokenHash)
				d.Sessions = append(d.Sessions, s)
			}
		},
	},
	{
		Name: "meta", Columns: []string{"key", "value"}, TextKey: true,
		Len: func(d *Dump) int { return len(d.Meta) },
		Row: func(d *Dump, i int) []any { return []any{d.Meta[i].Key, d.Meta[i].Value} },
		Scan: func(d *Dump) ([]any, func()) {
			var m MetaRow
			return []any{&m.Key, &m.Value}, func() { d.Meta = append(d.Meta, m) }
		},
	},
	{
		Name: "submissions", Columns: []string{"id", "ts", "user_id", "challenge_id", "result", "address", "guess"},
		Len: func(d *Dump) int { return len(d.Submissions) },
		Row: func(d *Dump, i int) []any {
			s := d.Submissions[i]
			return []any{s.ID, s.TS.UnixMilli(), s.UserID, int64(s.Challenge), string(s.Result), s.Address, s.Guess}
		},
		Scan: func(d *Dump) ([]any, func()) {
			var (
				s        Submission
				ts, chal int64
				result   string
			)
			return []any{&s.ID, &ts, &s.UserID, &chal, &result, &s.Address, &s.Guess}, func() {
				s.TS, s.Challenge, s.Result = time.UnixMilli(ts), int(chal), SubmissionResult(result)
				d.Submissions = append(d.Submissions, s)
			}
		},
	},
	{
		Name: "limits", Columns: []string{"key", "tokens", "updated_ms"}, TextKey: true,
		Len: func(d *Dump) int { return len(d.Limits) },
		Row: func(d *Dump, i int) []any { l := d.Limits[i]; return []any{l.Key, l.Tokens, l.UpdatedMS} },
		Scan: func(d *Dump) ([]any, func()) {
			var l LimitRow
			return []any{&l.Key, &l.Tokens, &l.UpdatedMS}, func() { d.Limits = append(d.Limits, l) }
		},
	},
	{
		Name: "used_once", Columns: []string{"key", "expires_ms"}, TextKey: true,
		Len: func(d *Dump) int { return len(d.UsedOnce) },
		Row: func(d *Dump, i int) []any { return []any{d.UsedOnce[i].Key, d.UsedOnce[i].ExpiresMS} },
		Scan: func(d *Dump) ([]any, func()) {
			var u UsedOnceRow
			return []any{&u.Key, &u.ExpiresMS}, func() { d.UsedOnce = append(d.UsedOnce, u) }
		},
	},
}

// Counts returns the number of rows of each table of DumpTables, plus
// "max event id" (0 for no event) and "log head".
func (d *Dump) Counts() map[string]int64 {
	c := map[string]int64{"max event id": d.MaxEventID(), "log head": d.LogHead}
	for _, t := range DumpTables {
		c[t.Name] = int64(t.Len(d))
	}
	return c
}

// MaxEventID returns the largest event id of d, 0 for none.
func (d *Dump) MaxEventID() int64 {
	if n := len(d.Events); n > 0 {
		return d.Events[n-1].ID
	}
	return 0
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
