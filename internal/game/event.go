package game

// EventType is the kind of an event in the log.
type EventType string

// The event types. Score and hint keep the old engine's names because they
// travel to browsers unchanged; rename and reset are new. The store keeps
// any other (lowercase identifier) type as it is, with its Data, so that a
// newer ctfg can add types (clock, freeze, announcement, team) that an
// older reader skips instead of taking for corruption.
const (
	EventScore  EventType = "score"  // a solve: Points > 0 (or 0)
	EventHint   EventType = "hint"   // a hint purchase: Points = -cost
	EventRename EventType = "rename" // a display name set or changed: Name
	// EventReset is an admin reset, with no user (UserID 0). Committing
	// it deletes every earlier event, display name, session and wrong
	// guess in the same transaction; the reset event itself stays, so
	// every reader of the log (each instance's feed) clears its state at
	// the same point, and a restart loads from it.
	EventReset EventType = "reset"
)

// Event is one entry of the append-only log that is the source of truth
// for every view of the game. IDs are assigned by the store, increase
// strictly, and are never reused (not even across an admin reset).
type Event struct {
	ID          int64     `json:"id"`
	Type        EventType `json:"type"`
	UserID      int64     `json:"user_id"`
	ChallengeID int       `json:"challenge_id,omitempty"`
	HintID      int       `json:"hint_id,omitempty"`
	Points      int       `json:"points"`
	TS          int64     `json:"ts"` // Unix milliseconds
	Name        string    `json:"name,omitempty"`
	// Data is an opaque JSON payload for event types that need more than
	// the fields above; the store keeps it as text, "" when unused.
	Data string `json:"data,omitempty"`
}

// User is a player account from credentials.csv. ID is assigned by the
// store in file order the first time the username is seen and never
// changes afterwards.
type User struct {
	ID       int64
	Username string
	// Password is the plain-text password or a bcrypt hash ($2a$, $2b$,
	// $2y$), exactly as written in credentials.csv.
	Password string
}
