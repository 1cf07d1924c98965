package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/views"
)

// Dashboard sizes.
const (
	// dashboardWrong is how many of the latest wrong submissions the
	// stats list.
	dashboardWrong = 50
	// dashboardBoard is how many lines of each board the dashboard shows.
	dashboardBoard = 20
	// statsTTL is how long computed stats are reused: every open dashboard
	// polls, and the figures need not be fresher than a second.
	statsTTL = time.Second
	// statsTimeout bounds the one query of a stats computation.
	statsTimeout = 5 * time.Second
)

// AdminStats is the admin dashboard's data, the JSON of GET
// /admin/api/stats. It holds no secret: no token, session or password.
type AdminStats struct {
	GeneratedMS   int64  `json:"generated_ms"`
	Version       string `json:"version"`
	StartedMS     int64  `json:"started_ms"`
	UptimeSeconds int64  `json:"uptime_seconds"`
	// PlayersTotal counts the accounts of credentials.csv; PlayersActive
	// those on the scoreboard (a name or an event); PlayersOnline those
	// with an open scorestream socket.
	PlayersTotal  int `json:"players_total"`
	PlayersActive int `json:"players_active"`
	PlayersOnline int `json:"players_online"`
	Sockets       int `json:"sockets"`
	Solves        int `json:"solves"`
	// SolvesPerMinute covers the last views.SolveMinutes minutes, oldest first.
	SolvesPerMinute []MinuteSolves   `json:"solves_per_minute"`
	Challenges      []ChallengeStats `json:"challenges"`
	// Wrong holds the latest wrong (incorrect) submissions, newest first,
	// from the submission log. WrongError is set when they could not be
	// read (the rest is still valid).
	Wrong       []WrongStat `json:"wrong"`
	WrongError  bool        `json:"wrong_error,omitempty"`
	DBBytes     int64       `json:"db_bytes"`
	WALBytes    int64       `json:"wal_bytes"`
	LastEventID int64       `json:"last_event_id"`
	// Clock is the competition clock, with where each time came from.
	Clock AdminClock `json:"clock"`
	// LiveBoard is the true board (the top dashboardBoard); PublicBoard
	// the one everyone else sees — the board of the freeze while one is
	// on, else the same.
	LiveBoard   []game.Standing `json:"live_board"`
	PublicBoard []game.Standing `json:"public_board"`
	// Teams are every team and its members (team mode), else empty.
	Teams []AdminTeam `json:"teams"`
}

// MinuteSolves is the number of solves in the minute starting at StartMS.
type MinuteSolves struct {
	StartMS int64 `json:"start_ms"`
	Solves  int   `json:"solves"`
}

// ChallengeStats is one challenge's line on the dashboard.
type ChallengeStats struct {
	ID           int    `json:"id"`
	Title        string `json:"title"`
	Category     string `json:"category"`
	Points       int    `json:"points"`
	Solves       int    `json:"solves"`
	FirstSolver  string `json:"first_solver,omitempty"` // display name (username if none)
	FirstSolveMS int64  `json:"first_solve_ms,omitempty"`
	// Release is the challenge's release time (RFC 3339, omitted for
	// none); Waiting says it is not out yet (the dashboard offers
	// "Release now").
	Release *string `json:"release,omitempty"`
	Waiting bool    `json:"waiting,omitempty"`
}

// WrongStat is one wrong submission as the dashboard shows it.
type WrongStat struct {
	TS          int64  `json:"ts"`
	PlayerID    int64  `json:"player_id"`
	Player      string `json:"player"`
	ChallengeID int    `json:"challenge_id"`
	Challenge   string `json:"challenge"`
	Guess       string `json:"guess"`
	Address     string `json:"address"`
}

// statsCache reuses computed stats for statsTTL; one computation at a
// time, the others wait for it and share it.
type statsCache struct {
	mu sync.Mutex
	at time.Time
	v  *AdminStats
}

// adminStats returns the dashboard data, at most statsTTL old.
func (s *Server) adminStats(ctx context.Context) *AdminStats {
	c := &s.dash.stats
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.now()
	if c.v != nil && now.Sub(c.at) < statsTTL && !now.Before(c.at) {
		return c.v
	}
	// The result is shared: one admin closing a tab must not leave an
	// error in everyone's stats for a second.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statsTimeout)
	defer cancel()
	c.v, c.at = s.computeStats(ctx, now), now
	return c.v
}

// forgetStats drops the cached stats (after a reset from the dashboard).
func (s *Server) forgetStats() {
	s.dash.stats.mu.Lock()
	s.dash.stats.v = nil
	s.dash.stats.mu.Unlock()
}

// computeStats gathers the dashboard data from the in-memory state and
// the AdminSource: O(players + challenges + sockets) plus one indexed
// query for the latest wrong submissions. Nothing scans the event log.
func (s *Server) computeStats(ctx context.Context, now time.Time) *AdminStats {
	st := s.cfg.Engine.State()
	board, lastID := st.LiveScoreboard()
	out := &AdminStats{
		Clock:         adminClock(st, now),
		GeneratedMS:   now.UnixMilli(),
		PlayersTotal:  len(st.Users()),
		PlayersActive: len(board),
		LastEventID:   lastID,
		LiveBoard:     board[:min(len(board), dashboardBoard)],
	}
	out.Teams = adminTeams(st)
	public, _ := st.Scoreboard(now)
	out.PublicBoard = public[:min(len(public), dashboardBoard)]
	src := s.cfg.Admin
	var sum views.SolveSummary
	if src != nil {
		out.Version = src.Version()
		if started := src.Started(); !started.IsZero() {
			out.StartedMS = started.UnixMilli()
			out.UptimeSeconds = int64(now.Sub(started) / time.Second)
		}
		out.PlayersOnline, out.Sockets = src.Online()
		out.DBBytes, out.WALBytes = src.StorageSize()
		sum = src.Solves(now)
	}
	out.Solves = sum.Total
	out.SolvesPerMinute = make([]MinuteSolves, views.SolveMinutes)
	for i, n := range sum.PerMinute {
		out.SolvesPerMinute[i] = MinuteSolves{StartMS: sum.MinuteStart.Add(time.Duration(i) * time.Minute).UnixMilli(), Solves: n}
	}
	catalog := st.Catalog()
	all := catalog.All()
	out.Challenges = make([]ChallengeStats, len(all))
	for i, c := range all {
		cs := ChallengeStats{ID: c.ID, Title: c.Title, Category: c.Category, Points: c.Points}
		if c.Release != nil {
			cs.Release, cs.Waiting = optTime(*c.Release), !st.Released(c, now)
		}
		if t, ok := sum.Challenges[c.ID]; ok {
			cs.Solves = t.Solves
			if t.FirstPlayer != 0 {
				cs.FirstSolver, cs.FirstSolveMS = s.playerLabel(st, t.FirstPlayer), t.FirstTS
			}
		}
		out.Challenges[i] = cs
	}
	out.Wrong = []WrongStat{}
	if src != nil {
		gs, err := src.Submissions(ctx, store.SubmissionFilter{Result: store.ResultIncorrect, Limit: dashboardWrong})
		if err != nil {
			out.WrongError = true
			if ctx.Err() == nil {
				s.log.Error("admin dashboard: read wrong submissions", "err", err)
			}
		}
		for _, g := range gs {
			w := WrongStat{TS: g.TS.UnixMilli(), PlayerID: g.UserID, Player: s.playerLabel(st, g.UserID), ChallengeID: g.Challenge, Guess: g.Guess, Address: g.Address}
			if c, ok := catalog.Get(g.Challenge); ok {
				w.Challenge = c.Title
			}
			out.Wrong = append(out.Wrong, w)
		}
	}
	return out
}

// playerLabel names a player for the admin: the display name, or the
// username while none is set.
func (s *Server) playerLabel(st *game.State, id int64) string {
	p, ok := st.Player(id)
	switch {
	case !ok:
		return "#" + itoa(id)
	case p.Name != "":
		return p.Name
	default:
		return p.Username
	}
}

// AdminSource supplies the admin dashboard with what the HTTP layer cannot
// see itself; the app implements it over the hub, the store and a
// SolveStats. Every method must be cheap: the dashboard's polls call each
// at most once per statsTTL (Submissions also once per page asked for).
type AdminSource interface {
	// Online returns the distinct players with an open scorestream socket
	// and the number of open sockets.
	Online() (players, sockets int)
	// StorageSize returns the sizes in bytes of the database and of its
	// write-ahead log.
	StorageSize() (db, wal int64)
	// Submissions returns the submissions f selects, newest first (the
	// store's submission log).
	Submissions(ctx context.Context, f store.SubmissionFilter) ([]store.Submission, error)
	// Solves returns the solve tally as of now.
	Solves(now time.Time) views.SolveSummary
	// Version is the server's version.
	Version() string
	// Started is when the server started.
	Started() time.Time
}
