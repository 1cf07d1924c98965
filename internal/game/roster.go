package game

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// MaxRosterQuery is the longest search of FindPlayers, in bytes: longer
// than any username or display name, so a longer one can match nothing.
const MaxRosterQuery = 100

// ErrInvalidQuery is a roster search that is not valid UTF-8 or longer
// than MaxRosterQuery bytes.
var ErrInvalidQuery = NewError(KindInvalid, "invalid_query")

// RosterEntry is one player (never a team) as the admin's player list
// shows them, from the live fold.
type RosterEntry struct {
	ID       int64
	Username string
	// Name is the display name, "" while none is set.
	Name string
	// Registered: made by self-registration, not from credentials.csv.
	Registered bool
	// TeamID and Team are the player's team (team mode; 0 and "" for
	// none). Team is the team's display name.
	TeamID int64
	Team   string
	// Score is what the player plays for: their own score, or their
	// team's in team mode (0 without a team).
	Score int
	// Solves counts the solves the player made: their own, or those they
	// made for their current team in team mode.
	Solves  int
	Removed bool
}

// SearchKey is the form under which FindPlayers compares a search with
// names: NFKC-normalized, inner whitespace collapsed, trimmed and
// case-folded, so "ALICE", " alice " and "ａｌｉｃｅ" find Alice.
func SearchKey(s string) string {
	if plainASCII(s) {
		return strings.ToLower(s) // NFKC leaves it as it is
	}
	return foldCase(NormalizeName(s))
}

// plainASCII reports whether s is printable ASCII with single inner
// spaces only: already normalized but for case. Most names are, and a
// search compares every name, so they skip the Unicode tables.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ') {
			return false
		}
	}
	return true
}

// ValidateSearch returns ErrInvalidQuery for a search FindPlayers
// refuses, else nil.
func ValidateSearch(query string) error {
	if len(query) > MaxRosterQuery || !utf8.ValidString(query) {
		return ErrInvalidQuery
	}
	return nil
}

// FindPlayers returns one page of the players (teams left out, removed
// players included and marked) whose username or display name contains
// query (compared by SearchKey; "" matches everyone), in id order: the
// limit entries after the first offset, and how many match in all.
// It returns ErrInvalidQuery for a query that is not valid UTF-8 or
// longer than MaxRosterQuery bytes. It takes the read lock once and
// runs in O(players) plus the sort of the matches.
func (s *State) FindPlayers(query string, offset, limit int) ([]RosterEntry, int, error) {
	if err := ValidateSearch(query); err != nil {
		return nil, 0, err
	}
	key := SearchKey(query)
	s.mu.RLock()
	defer s.mu.RUnlock()
	matches := make([]*Player, 0, len(s.live.players))
	for _, p := range s.live.players {
		if p.IsTeam {
			continue
		}
		if key != "" && !strings.Contains(SearchKey(p.Username), key) && !strings.Contains(SearchKey(p.Name), key) {
			continue
		}
		matches = append(matches, p)
	}
	total := len(matches)
	if offset < 0 || limit < 1 || offset >= total {
		return []RosterEntry{}, total, nil
	}
	sort.Slice(matches, func(i, j int) bool { return matches[i].ID < matches[j].ID })
	page := matches[offset:min(total, offset+min(limit, total))]
	made := s.madeLocked()
	out := make([]RosterEntry, len(page))
	for i, p := range page {
		out[i] = s.entryLocked(p, made)
	}
	return out, total, nil
}

// RosterEntry returns the player (not a team) with that id as
// FindPlayers lists them.
func (s *State) RosterEntry(id int64) (RosterEntry, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.live.players[id]
	if p == nil || p.IsTeam {
		return RosterEntry{}, false
	}
	return s.entryLocked(p, s.madeLocked()), true
}

// madeLocked counts, in team mode, the solves each member made for each
// team, by [member, team]; nil otherwise.
func (s *State) madeLocked() map[[2]int64]int {
	if !s.teamMode {
		return nil
	}
	made := map[[2]int64]int{}
	for _, list := range s.live.solvers {
		for _, sv := range list {
			if sv.By != 0 {
				made[[2]int64{sv.By, sv.PlayerID}]++
			}
		}
	}
	return made
}

func (s *State) entryLocked(p *Player, made map[[2]int64]int) RosterEntry {
	e := RosterEntry{ID: p.ID, Username: p.Username, Name: p.Name, Registered: p.Registered, Removed: p.Removed, Score: p.Score, Solves: p.Solves}
	if s.teamMode {
		e.Score, e.Solves = 0, 0
		if t := s.live.players[p.TeamID]; p.TeamID != 0 && t != nil {
			e.TeamID, e.Team, e.Score = t.ID, t.Name, t.Score
			e.Solves = made[[2]int64{p.ID, t.ID}]
		}
	}
	return e
}
