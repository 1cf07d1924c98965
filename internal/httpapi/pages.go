package httpapi

import (
	"net/http"
	"strconv"

	"github.com/ctfg/ctfg/internal/game"
)

// The pages players expect, reachable from the scoreboard: a player's or
// a team's page (GET /api/players/{id}: solves with times and points,
// rank, score over time; a team's members) and a challenge's solvers
// (GET /api/challenges/{id}/solvers, first bloods marked). Both are the
// public board — frozen during a freeze — and follow the scoreboard's
// rule: public with --public-scoreboard, else a session.

// PageSolve is one solve on a page.
type PageSolve struct {
	ChallengeID int    `json:"challenge_id"`
	Challenge   string `json:"challenge"`
	Points      int    `json:"points"`
	TS          int64  `json:"ts"`
	FirstBlood  int    `json:"first_blood,omitempty"`
	By          int64  `json:"by,omitempty"`
}

// PlayerPage is the JSON of GET /api/players/{id}.
type PlayerPage struct {
	PlayerID    int64             `json:"player_id"`
	DisplayName string            `json:"displayname"`
	Team        bool              `json:"team"`
	TeamID      *int64            `json:"team_id"`
	Rank        *int              `json:"rank"`
	Score       int               `json:"score"`
	Solves      []PageSolve       `json:"solves"`
	Series      [][2]int64        `json:"series"`
	Members     []game.TeamMember `json:"members,omitempty"`
}

func (s *Server) handlePlayerPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, ok := s.boardViewer(w, r); !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	st := s.cfg.Engine.State()
	now := s.now()
	p, ok := st.Profile(id, now)
	if err != nil || !ok || (p.DisplayName == "" && p.Rank == 0 && len(p.Solves) == 0) {
		// Unknown, or a player nobody can see yet: no page.
		writeError(w, http.StatusNotFound, "unknown_player")
		return
	}
	out := PlayerPage{PlayerID: p.ID, DisplayName: p.DisplayName, Team: p.IsTeam, Score: p.Score,
		Solves: s.pageSolves(st, p.Solves), Series: p.Series, Members: p.Members}
	if out.Series == nil {
		out.Series = [][2]int64{}
	}
	if p.Rank > 0 {
		out.Rank = &p.Rank
	}
	if p.TeamID != 0 {
		out.TeamID = &p.TeamID
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) pageSolves(st *game.State, sds []game.SolveDetail) []PageSolve {
	cat := st.Catalog()
	out := make([]PageSolve, 0, len(sds))
	for _, sd := range sds {
		ps := PageSolve{ChallengeID: sd.ChallengeID, Points: sd.Points, TS: sd.TS, By: sd.By}
		if sd.Place <= game.FirstBloods {
			ps.FirstBlood = sd.Place
		}
		if c, ok := cat.Get(sd.ChallengeID); ok {
			ps.Challenge = c.Title
		}
		out = append(out, ps)
	}
	return out
}

// handleChallengeSolvers is GET /api/challenges/{id}/solvers.
func (s *Server) handleChallengeSolvers(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, ok := s.boardViewer(w, r); !ok {
		return
	}
	st := s.cfg.Engine.State()
	now := s.now()
	id, err := strconv.Atoi(r.PathValue("id"))
	c, ok := st.Catalog().Get(id)
	if err != nil || !ok || !st.Released(c, now) || !st.Clock().ChallengesVisible(now) {
		s.fail(w, r, game.ErrUnknownChallenge)
		return
	}
	solvers := st.ChallengeSolvers(id, now)
	type solver struct {
		PlayerID    int64  `json:"player_id"`
		DisplayName string `json:"displayname"`
		TS          int64  `json:"ts"`
		FirstBlood  int    `json:"first_blood,omitempty"`
	}
	out := make([]solver, len(solvers))
	for i, sv := range solvers {
		out[i] = solver{PlayerID: sv.PlayerID, DisplayName: sv.DisplayName, TS: sv.TS}
		if i < game.FirstBloods {
			out[i].FirstBlood = i + 1
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"challenge_id": id, "challenge": c.Title, "solvers": out})
}
