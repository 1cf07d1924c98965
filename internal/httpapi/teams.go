package httpapi

import (
	"net/http"

	"github.com/ctfg/ctfg/internal/game"
)

// Teams made by players (team mode): POST /api/teams {name} makes a team
// and puts its maker in it, POST /api/teams/join {code} joins one by its
// invite code, POST /api/teams/leave leaves, GET /api/teams/mine shows
// the player's team, its members and (to members) its invite code. Each
// change is an event, so every instance agrees.

// myTeam is the JSON of the team endpoints.
type myTeam struct {
	TeamID     int64             `json:"team_id"`
	Team       string            `json:"team"`
	Members    []game.TeamMember `json:"members"`
	InviteCode *string           `json:"invite_code"`
}

func (s *Server) teamView(player int64) any {
	st := s.cfg.Engine.State()
	team := st.Scorer(player)
	if team == 0 {
		return map[string]any{"team_id": nil}
	}
	t, _ := st.Player(team)
	out := myTeam{TeamID: team, Team: t.Name, Members: st.Members(team)}
	if out.Members == nil {
		out.Members = []game.TeamMember{}
	}
	if code := st.TeamCode(team); code != "" {
		out.InviteCode = &code
	}
	return out
}

func (s *Server) handleMyTeam(w http.ResponseWriter, r *http.Request, player int64) {
	if !s.cfg.Engine.State().TeamMode() {
		s.fail(w, r, game.ErrTeamsOff)
		return
	}
	writeJSON(w, http.StatusOK, s.teamView(player))
}

// nameLimitedField charges the player's set-name limit, then reads the
// one string field key ("name" or "code") of the body: team names are names, and invite
// codes secrets, so every try is paid before it is checked. It answers
// failures itself.
func (s *Server) nameLimitedField(w http.ResponseWriter, r *http.Request, player int64, key string) (string, bool) {
	if !s.limits.setName.Allow(playerKey(player)) {
		s.rateLimitedBy(w, r, "set_name", s.limits.setName.RetryAfter(playerKey(player)))
		return "", false
	}
	var req struct {
		Name optString `json:"name"`
		Code optString `json:"code"`
	}
	if err := decode(w, r, &req); err != nil {
		s.failDecode(w, r, err)
		return "", false
	}
	v := req.Name
	if key == "code" {
		v = req.Code
	}
	if !v.Set {
		s.fail(w, r, game.ErrMissingParameters)
		return "", false
	}
	return v.V, true
}

func (s *Server) handleCreateTeam(w http.ResponseWriter, r *http.Request, player int64) {
	name, ok := s.nameLimitedField(w, r, player, "name")
	if !ok {
		return
	}
	if _, _, err := s.cfg.Engine.CreateTeam(r.Context(), player, name); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.teamView(player))
}

func (s *Server) handleJoinTeam(w http.ResponseWriter, r *http.Request, player int64) {
	code, ok := s.nameLimitedField(w, r, player, "code")
	if !ok {
		return
	}
	if _, err := s.cfg.Engine.JoinTeam(r.Context(), player, code); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.teamView(player))
}

func (s *Server) handleLeaveTeam(w http.ResponseWriter, r *http.Request, player int64) {
	if err := s.cfg.Engine.LeaveTeam(r.Context(), player); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": "ok"})
}

// AdminTeam is one team in GET /admin/api/teams.
type AdminTeam struct {
	TeamID  int64             `json:"team_id"`
	Team    string            `json:"team"`
	Score   int               `json:"score"`
	Members []game.TeamMember `json:"members"`
}

func adminTeams(st *game.State) []AdminTeam {
	out := []AdminTeam{}
	for _, t := range st.Teams() {
		at := AdminTeam{TeamID: t.ID, Team: t.DisplayName, Score: t.Score, Members: t.Members}
		if at.Members == nil {
			at.Members = []game.TeamMember{}
		}
		out = append(out, at)
	}
	return out
}

// handleAdminTeams is GET /admin/api/teams: every team and its members.
func (s *Server) handleAdminTeams(w http.ResponseWriter, r *http.Request) {
	if !s.adminAPIAuth(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": adminTeams(s.cfg.Engine.State())})
}

// handleAdminRemove is POST /admin/api/players/{id}/remove and
// /admin/api/teams/{id}/disband (team: the id must be a team's).
func (s *Server) handleAdminRemove(team bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.adminAPIAuth(w, r) {
			return
		}
		if err := s.removeScorer(r, r.PathValue("id"), team); err != nil {
			s.fail(w, r, err)
			return
		}
		s.forgetStats()
		writeJSON(w, http.StatusOK, map[string]any{"result": "ok"})
	}
}

// removeScorer removes the player (team: disbands the team) named by id,
// a number or, for a player, a username.
func (s *Server) removeScorer(r *http.Request, id string, team bool) error {
	c, err := s.removeTarget(id, team)
	if err != nil {
		return err
	}
	return s.remove(r, c)
}

// remove removes the player or disbands the team of c, and logs it.
func (s *Server) remove(r *http.Request, c removeConfirm) error {
	if err := s.cfg.Engine.Remove(r.Context(), c.ID); err != nil {
		return err
	}
	what := "admin removed a player"
	if c.Team {
		what = "admin disbanded a team"
	}
	s.log.Warn(what, "id", c.ID, "request_id", requestID(r), "addr", s.clientAddr(r))
	return nil
}
