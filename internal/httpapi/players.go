package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ctfg/ctfg/internal/game"
)

// The admin's list of players: GET /admin/api/players (bearer token or
// dashboard session) and the dashboard's Players section, both searched
// by name on the server and paged, so a game of thousands of players
// lists fast; and the dashboard's Remove and Disband, which go through a
// confirmation page naming who goes (POST /admin/game/remove).

const (
	// playersPage is how many players a page holds by default.
	playersPage = 50
	// playersPageMax is the most a page may hold (?limit=).
	playersPageMax = 500
)

// errInvalidPage refuses a page that is not a number from 1. The other
// refusals of a bad player-list query are game.ErrInvalidQuery and
// errInvalidLimit (submissions.go): a limit not from 1 to playersPageMax.
var errInvalidPage = game.NewError(game.KindInvalid, "invalid_page")

// Where an account came from, in AdminPlayer.Source.
const (
	sourceCredentials = "credentials"
	sourceRegistered  = "registered"
)

// AdminPlayer is one player in GET /admin/api/players.
type AdminPlayer struct {
	PlayerID    int64   `json:"player_id"`
	Username    string  `json:"username"`
	DisplayName *string `json:"displayname"` // null while none is set
	// Source is "credentials" (a line of credentials.csv) or
	// "registered" (self-registration).
	Source string `json:"source"`
	// TeamID and Team are the player's team in team mode, null without.
	TeamID *int64  `json:"team_id"`
	Team   *string `json:"team"`
	// Score is what the player plays for: their own, or their team's in
	// team mode. Solves counts the solves they made (for their team).
	Score   int  `json:"score"`
	Solves  int  `json:"solves"`
	Removed bool `json:"removed"`
}

// Label names the player for the dashboard: the display name, or the
// username while none is set.
func (p AdminPlayer) Label() string {
	if p.DisplayName != nil {
		return *p.DisplayName
	}
	return p.Username
}

// AdminPlayersPage is the JSON of GET /admin/api/players.
type AdminPlayersPage struct {
	Players []AdminPlayer `json:"players"`
	// Total is how many players match the search; Pages how many pages
	// of Limit they fill (at least 1).
	Total int `json:"total"`
	Page  int `json:"page"`
	Pages int `json:"pages"`
	Limit int `json:"limit"`
}

// playerQuery is a parsed query of the player list.
type playerQuery struct {
	q           string
	page, limit int
}

// parsePlayerQuery reads q (a search, at most game.MaxRosterQuery bytes
// of UTF-8), page (1-based; default 1) and limit (1 to playersPageMax;
// default playersPage). Empty values are the defaults.
func parsePlayerQuery(v url.Values) (playerQuery, error) {
	q := playerQuery{q: v.Get("q"), page: 1, limit: playersPage}
	if err := game.ValidateSearch(q.q); err != nil {
		return q, err
	}
	if raw := v.Get("page"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return q, errInvalidPage
		}
		q.page = n
	}
	if raw := v.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > playersPageMax {
			return q, errInvalidLimit
		}
		q.limit = n
	}
	return q, nil
}

// playersPageOf returns the page q asks for; a page past the last is
// empty (Total and Pages say how far the list goes).
func (s *Server) playersPageOf(q playerQuery) (*AdminPlayersPage, error) {
	offset := math.MaxInt
	if q.page-1 <= math.MaxInt/q.limit {
		offset = (q.page - 1) * q.limit
	}
	st := s.cfg.Engine.State()
	rows, total, err := st.FindPlayers(q.q, offset, q.limit)
	if err != nil {
		return nil, err
	}
	out := &AdminPlayersPage{Players: make([]AdminPlayer, len(rows)), Total: total, Page: q.page, Limit: q.limit,
		Pages: max(1, (total+q.limit-1)/q.limit)}
	for i, e := range rows {
		out.Players[i] = adminPlayer(e)
	}
	return out, nil
}

func adminPlayer(e game.RosterEntry) AdminPlayer {
	p := AdminPlayer{PlayerID: e.ID, Username: e.Username, Source: sourceCredentials, Score: e.Score, Solves: e.Solves, Removed: e.Removed}
	if e.Registered {
		p.Source = sourceRegistered
	}
	if e.Name != "" {
		name := e.Name
		p.DisplayName = &name
	}
	if e.TeamID != 0 {
		id, team := e.TeamID, e.Team
		p.TeamID, p.Team = &id, &team
	}
	return p
}

// handleAdminPlayers is GET /admin/api/players?q=&page=&limit=: one
// page of the players, in id order, whose username or display name
// holds q (ignoring case and width); 400 invalid_query, invalid_page or
// invalid_limit for a bad parameter.
func (s *Server) handleAdminPlayers(w http.ResponseWriter, r *http.Request) {
	if !s.adminAPIAuth(w, r) {
		return
	}
	q, err := parsePlayerQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.playersPageOf(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// playersSection is the dashboard's Players section: the page of the
// dashboard URL's q and page, with links to its neighbours.
type playersSection struct {
	Q        string
	TeamMode bool
	Rows     []AdminPlayer
	Total    int
	Page     int
	Pages    int
	Prev     string // links to the neighbour pages; "" for none
	Next     string
	Error    string
}

// dashboardPlayers builds the Players section for GET /admin.
func (s *Server) dashboardPlayers(r *http.Request) *playersSection {
	v := r.URL.Query()
	sec := &playersSection{Q: v.Get("q"), TeamMode: s.cfg.Engine.State().TeamMode(), Page: 1, Pages: 1}
	q, err := parsePlayerQuery(url.Values{"q": {v.Get("q")}, "page": {v.Get("page")}})
	if err == nil {
		var page *AdminPlayersPage
		if page, err = s.playersPageOf(q); err == nil {
			sec.Rows, sec.Total, sec.Page, sec.Pages = page.Players, page.Total, page.Page, page.Pages
		}
	}
	if err != nil {
		sec.Q = ""
		sec.Error = fmt.Sprintf("That search is not valid (%v): a name is at most %d bytes, a page a number from 1.", err, game.MaxRosterQuery)
		return sec
	}
	link := func(page int) string {
		u := url.Values{}
		if q.q != "" {
			u.Set("q", q.q)
		}
		u.Set("page", strconv.Itoa(page))
		return "/admin?" + u.Encode() + "#players"
	}
	if sec.Page > 1 {
		sec.Prev = link(min(sec.Page-1, sec.Pages))
	}
	if sec.Page < sec.Pages {
		sec.Next = link(sec.Page + 1)
	}
	return sec
}

// removeConfirm is the confirmation page of Remove and Disband: who
// goes, and the form that does it.
type removeConfirm struct {
	Team    bool
	ID      int64
	Player  AdminPlayer       // a player's line of the list
	Name    string            // a team's display name
	Members []game.TeamMember // a team's members
	Score   int               // a team's score
	Removed bool              // removed or disbanded already
}

// Label names who goes.
func (c removeConfirm) Label() string {
	if c.Team {
		return c.Name
	}
	return c.Player.Label()
}

// removeTarget resolves the id of the Remove form (a player id or
// username) or of the Disband button (a team id) to who would go.
func (s *Server) removeTarget(id string, team bool) (removeConfirm, error) {
	st := s.cfg.Engine.State()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil && !team {
		p, ok := st.PlayerByUsername(id)
		if !ok {
			return removeConfirm{}, game.ErrUnknownUser
		}
		n, err = p.ID, nil
	}
	p, ok := st.Player(n)
	if err != nil || !ok || p.IsTeam != team {
		return removeConfirm{}, game.ErrUnknownUser
	}
	c := removeConfirm{Team: team, ID: n, Name: p.Name, Score: p.Score, Removed: p.Removed}
	if team {
		c.Members = st.Members(n)
		if c.Name == "" {
			c.Name = strings.TrimPrefix(p.Username, game.TeamUsername(""))
		}
		return c, nil
	}
	e, _ := st.RosterEntry(n)
	c.Player = adminPlayer(e)
	return c, nil
}

// handleAdminRemoveForm is POST /admin/game/remove, the dashboard's
// Remove (form id: a player id or username) and Disband (id: a team id,
// team=1): with the session's form token (403 without). Without
// confirm=yes it changes nothing and answers the confirmation page,
// which names who would go and posts the same form confirmed; with it,
// the player is removed (the team disbanded) and the answer is 303 to
// /admin. An unknown id is 400 either way.
func (s *Server) handleAdminRemoveForm(w http.ResponseWriter, r *http.Request) {
	sess, token, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	page := adminPage{CSRF: sess.csrf, IsError: true}
	team := r.PostForm.Get("team") == "1"
	c, err := s.removeTarget(strings.TrimSpace(r.PostForm.Get("id")), team)
	if err != nil {
		page.Message, page.Stats = "No such player or team: nobody was removed.", s.adminStats(r.Context())
		if team {
			page.Message = "No such team: nothing was disbanded."
		}
		page.Players = s.dashboardPlayers(r)
		s.renderAdmin(w, http.StatusBadRequest, "dashboard", page)
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		s.renderAdmin(w, http.StatusOK, "confirm", adminPage{CSRF: sess.csrf, Confirm: &c})
		return
	}
	if err := s.remove(r, c); err != nil {
		s.dashboardFailed(w, r, page, "remove", "That failed; see the server log.", err)
		return
	}
	s.forgetStats()
	msg := fmt.Sprintf("Removed player %s (id %d).", c.Label(), c.ID)
	if c.Team {
		msg = fmt.Sprintf("Disbanded team %s (id %d).", c.Label(), c.ID)
	}
	s.dash.sessions.setFlash(token, msg)
	adminHeaders(w)
	http.Redirect(w, r, "/admin#players", http.StatusSeeOther)
}
