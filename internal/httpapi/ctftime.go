package httpapi

import (
	"net/http"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// GET /api/ctftime is the scoreboard feed CTFtime reads at the end of an
// event (https://ctftime.org/json-scoreboard-feed): the tasks and, per
// player, the position, score and the time and points of each solve. It
// is public when the scoreboard is public, otherwise it needs the API
// token (as /api/award, in Authorization, limited per address). It is
// the public board: during a freeze it stops at the freeze.

// CTFtimeFeed is the JSON of GET /api/ctftime.
type CTFtimeFeed struct {
	Tasks     []string          `json:"tasks"`
	Standings []CTFtimeStanding `json:"standings"`
}

// CTFtimeStanding is one line of the feed. Times are Unix seconds.
type CTFtimeStanding struct {
	Pos        int                 `json:"pos"`
	Team       string              `json:"team"`
	Score      int                 `json:"score"`
	TaskStats  map[string]TaskStat `json:"taskStats"`
	LastAccept int64               `json:"lastAccept"`
}

// TaskStat is one solve in the feed.
type TaskStat struct {
	Points int   `json:"points"`
	Time   int64 `json:"time"`
}

func (s *Server) handleCTFtime(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.cfg.PublicScoreboard && !s.apiTokenAuth(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, ctftimeFeed(s.cfg.Engine.State(), s.now()))
}

// ctftimeFeed builds the feed from the public board at now.
func ctftimeFeed(st *game.State, now time.Time) CTFtimeFeed {
	cat := st.Catalog()
	feed := CTFtimeFeed{Tasks: []string{}, Standings: []CTFtimeStanding{}}
	for _, c := range cat.All() {
		if st.Released(c, now) {
			feed.Tasks = append(feed.Tasks, c.Title)
		}
	}
	board, _ := st.Scoreboard(now)
	solves := st.Solves(now, false)
	for _, p := range board {
		line := CTFtimeStanding{Pos: p.Rank, Team: p.DisplayName, Score: p.Score, TaskStats: map[string]TaskStat{}, LastAccept: p.LastSolveTS / 1000}
		if line.Team == "" {
			line.Team = "#" + itoa(p.PlayerID)
		}
		for _, sd := range solves[p.PlayerID] {
			if c, ok := cat.Get(sd.ChallengeID); ok {
				line.TaskStats[c.Title] = TaskStat{Points: sd.Points, Time: sd.TS / 1000}
			}
		}
		feed.Standings = append(feed.Standings, line)
	}
	return feed
}
