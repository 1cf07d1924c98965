package game

import "encoding/json"

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
	// it deletes every earlier event but register events (EventRegister),
	// every display name, session and logged submission in the same
	// transaction; the reset event itself stays, so
	// every reader of the log (each instance's feed) clears its state at
	// the same point, and a restart loads from it.
	EventReset EventType = "reset"
	// EventLogout is a login session that ended: Data holds the session's
	// key (hex of the SHA-256 of its cookie — it identifies the session,
	// it cannot open it; see NewLogout). Every instance drops the session from its cache
	// and closes its sockets; no player's standing changes.
	EventLogout EventType = "logout"
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
	// Team is the name of the player's team (credentials.csv's third
	// column), "" for none.
	Team string
	// TeamID is the id of the player's team (0: none); for a team itself,
	// IsTeam is set and Team is its name.
	TeamID int64
	IsTeam bool
	// Registered marks an account made by self-registration (folded from
	// its register event), not a line of credentials.csv.
	Registered bool
}

// TeamUsername is the store's username of a team: teams take their ids
// from the same sequence as players (so a scorer id names a player or a
// team, never both), under a name no player can have.
func TeamUsername(team string) string { return "team:" + team }

// byData is the Data of a team's solve or hint: the member who made it.
type byData struct {
	By int64 `json:"by"`
}

// WithBy returns ev with the member who made it recorded (team mode: the
// event's UserID is the team).
func (ev Event) WithBy(member int64) Event {
	b, _ := json.Marshal(byData{By: member}) // an int: cannot fail
	ev.Data = string(b)
	return ev
}

// By returns the member who made a team's solve or hint, 0 when the event
// names none (a player's own event).
func (ev Event) By() int64 {
	if ev.Data == "" || (ev.Type != EventScore && ev.Type != EventHint && ev.Type != EventPractice) {
		return 0
	}
	var d byData
	if json.Unmarshal([]byte(ev.Data), &d) != nil {
		return 0
	}
	return d.By
}

// logoutData is the Data of a logout event.
type logoutData struct {
	Session string `json:"session"`
}

// NewLogout returns the logout event of a player's session (its key in
// hex).
func NewLogout(userID int64, session string, ts int64) Event {
	b, _ := json.Marshal(logoutData{Session: session}) // a struct of one string: cannot fail
	return Event{Type: EventLogout, UserID: userID, Data: string(b), TS: ts}
}

// LogoutSession returns the session key (hex) of a logout event, "" for
// any other event.
func (ev Event) LogoutSession() string {
	var d logoutData
	if ev.Type != EventLogout || json.Unmarshal([]byte(ev.Data), &d) != nil {
		return ""
	}
	return d.Session
}
