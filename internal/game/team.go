package game

import "encoding/json"

// EventJoin is a player joining a team (Data {"team": id}) or leaving one
// (team 0). Solves and hints belong to the team that made them: a player
// who leaves takes none along, one who joins shares the new team's. It is
// never shown to the public (no frame, no public id).
const EventJoin EventType = "join"

// EventRemove is the admin removing a player or disbanding a team
// (UserID): a removed player can no longer log in or play and leaves the
// board; a disbanded team leaves the board and its members are without a
// team. It shows at once, also during a freeze (moderation is not a
// solve).
const EventRemove EventType = "remove"

// ErrRemoved is a request of a player the admin removed.
var ErrRemoved = NewError(KindForbidden, "removed")

// The errors of teams.
var (
	// ErrTeamsOff: the game is not played in teams.
	ErrTeamsOff = NewError(KindForbidden, "teams_off")
	// ErrAlreadyInTeam: leave the current team first.
	ErrAlreadyInTeam = NewError(KindConflict, "already_in_team")
	// ErrNotInTeam: a leave without a team.
	ErrNotInTeam = NewError(KindConflict, "not_in_team")
	// ErrTeamFull: the team has CTFG_TEAM_SIZE members.
	ErrTeamFull = NewError(KindConflict, "team_full")
	// ErrInvalidCode: no team has that invite code.
	ErrInvalidCode = NewError(KindInvalid, "invalid_code")
)

// teamData is the Data of the rename event that creates a team: the
// team's invite code (members see it; the log is the admin's).
type teamData struct {
	NewTeam bool   `json:"new_team"`
	Code    string `json:"code"`
}

type joinData struct {
	Team int64 `json:"team"`
}

// NewTeam returns the event that creates a team made at run time: a
// rename of its id (taken by the store from the players' sequence, see
// TeamUsername) to its name, so the name follows the display-name rules
// in the store as in the state, with the invite code in Data.
func NewTeam(teamID int64, name, code string, ts int64) Event {
	b, _ := json.Marshal(teamData{NewTeam: true, Code: code}) // a bool and a string: cannot fail
	return Event{Type: EventRename, UserID: teamID, Name: name, Data: string(b), TS: ts}
}

// NewTeamCode returns the invite code of a team-creating event.
func (ev Event) NewTeamCode() (string, bool) {
	if ev.Type != EventRename || ev.Data == "" {
		return "", false
	}
	var d teamData
	if json.Unmarshal([]byte(ev.Data), &d) != nil || !d.NewTeam {
		return "", false
	}
	return d.Code, true
}

// NewJoin returns the event of a player joining team (0: leaving).
func NewJoin(playerID, team int64, ts int64) Event {
	b, _ := json.Marshal(joinData{Team: team}) // an int: cannot fail
	return Event{Type: EventJoin, UserID: playerID, Data: string(b), TS: ts}
}

// JoinTeam returns the team of a join event (0: a leave).
func (ev Event) JoinTeam() (int64, bool) {
	var d joinData
	if ev.Type != EventJoin || json.Unmarshal([]byte(ev.Data), &d) != nil {
		return 0, false
	}
	return d.Team, true
}

// TeamMember is one member of a team.
type TeamMember struct {
	PlayerID    int64  `json:"player_id"`
	DisplayName string `json:"displayname"`
}
