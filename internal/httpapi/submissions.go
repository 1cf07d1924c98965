package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// The submission log for the admin: GET /admin/api/submissions (bearer
// token or dashboard session) and the dashboard's Submissions section,
// both filtered by player, challenge and result and paged by id, newest
// first.

const (
	// submissionsPage is how many submissions a page holds by default.
	submissionsPage = 50
	// submissionsPageMax is the most a page may hold (?limit=).
	submissionsPageMax = 500
)

// The refusals of bad filter values.
var (
	errInvalidPlayer    = game.NewError(game.KindInvalid, "invalid_player")
	errInvalidChallenge = game.NewError(game.KindInvalid, "invalid_challenge")
	errInvalidResult    = game.NewError(game.KindInvalid, "invalid_result")
	errInvalidBefore    = game.NewError(game.KindInvalid, "invalid_before")
	errInvalidAfter     = game.NewError(game.KindInvalid, "invalid_after")
	errInvalidLimit     = game.NewError(game.KindInvalid, "invalid_limit")
	errNoSubmissionLog  = game.NewError(game.KindUnavailable, "unavailable")
)

// SubmissionView is one submission as the admin sees it, names resolved.
type SubmissionView struct {
	ID          int64   `json:"id"`
	TS          int64   `json:"ts"` // Unix milliseconds
	PlayerID    int64   `json:"player_id"`
	Username    string  `json:"username"`
	DisplayName *string `json:"displayname"` // null while none is set
	ChallengeID int     `json:"challenge_id"`
	Challenge   string  `json:"challenge"` // the title; "" for an id no challenge has
	Result      string  `json:"result"`
	Address     string  `json:"address"`
	// Guess is the guess of an incorrect submission (possibly ""), and
	// absent for every other result: a right flag is never kept.
	Guess *string `json:"guess,omitempty"`
}

// Label names the player for the dashboard: the display name, or the
// username while none is set.
func (v SubmissionView) Label() string {
	switch {
	case v.DisplayName != nil:
		return *v.DisplayName
	case v.Username != "":
		return v.Username
	}
	return "#" + itoa(v.PlayerID)
}

// SubmissionsPage is the JSON of GET /admin/api/submissions.
type SubmissionsPage struct {
	Submissions []SubmissionView `json:"submissions"`
	// NextBefore is the before= of the next, older page; null on the
	// oldest.
	NextBefore *int64 `json:"next_before"`
	// PrevAfter is the after= of the previous, newer page; null on the
	// newest.
	PrevAfter *int64 `json:"prev_after"`
}

// submissionQuery is a parsed query: the filter and the page asked for.
type submissionQuery struct {
	f store.SubmissionFilter
	// player, challenge, result and limit are the parameters as given,
	// to show them again (the dashboard's form and links).
	player, challenge, result, limit string
}

// encode returns the query's filters and limit as URL parameters (no
// page).
func (q submissionQuery) encode() url.Values {
	v := url.Values{}
	for _, p := range [][2]string{{"player", q.player}, {"challenge", q.challenge}, {"result", q.result}, {"limit", q.limit}} {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	return v
}

// parseSubmissionQuery reads the filters: player (a username, else a
// player id), challenge (an id), result (a name of
// store.SubmissionResults), before or after (a submission id) and
// limit (1 to submissionsPageMax, larger is cut; default
// submissionsPage). Empty values filter nothing.
func (s *Server) parseSubmissionQuery(v url.Values) (submissionQuery, error) {
	q := submissionQuery{
		player:    strings.TrimSpace(v.Get("player")),
		challenge: strings.TrimSpace(v.Get("challenge")),
		result:    strings.TrimSpace(v.Get("result")),
		limit:     v.Get("limit"),
		f:         store.SubmissionFilter{Limit: submissionsPage},
	}
	if q.player != "" {
		// A username first: usernames may be digits (student numbers).
		if p, ok := s.cfg.Engine.State().PlayerByUsername(q.player); ok {
			q.f.UserID = p.ID
		} else if id, err := strconv.ParseInt(q.player, 10, 64); err == nil && id > 0 {
			q.f.UserID = id
		} else {
			return q, errInvalidPlayer
		}
	}
	if q.challenge != "" {
		id, err := strconv.Atoi(q.challenge)
		if err != nil {
			return q, errInvalidChallenge
		}
		q.f.Challenge = &id
	}
	if q.result != "" {
		if r := store.SubmissionResult(q.result); r.Valid() {
			q.f.Result = r
		} else {
			return q, errInvalidResult
		}
	}
	for _, p := range []struct {
		name string
		dst  *int64
		err  error
	}{{"before", &q.f.Before, errInvalidBefore}, {"after", &q.f.After, errInvalidAfter}} {
		if raw := v.Get(p.name); raw != "" {
			id, err := strconv.ParseInt(raw, 10, 64)
			if err != nil || id < 1 {
				return q, p.err
			}
			*p.dst = id
		}
	}
	if q.limit != "" {
		n, err := strconv.Atoi(q.limit)
		if err != nil || n < 1 {
			return q, errInvalidLimit
		}
		q.f.Limit = min(n, submissionsPageMax)
	}
	return q, nil
}

// submissionsPage reads one page of q. Each read takes one row more
// than the page to learn whether the page has a neighbour on that side.
// A page asked for with after= that reaches the newest submission is
// the newest page instead, full.
func (s *Server) submissionsPage(ctx context.Context, q submissionQuery) (*SubmissionsPage, error) {
	src := s.cfg.Admin
	if src == nil {
		return nil, errNoSubmissionLog
	}
	f := q.f
	limit := f.Limit
	f.Limit++
	subs, err := src.Submissions(ctx, f)
	if err != nil {
		return nil, err
	}
	var older, newer bool
	if f.After > 0 {
		if len(subs) <= limit && f.Before == 0 {
			f.After = 0 // the newest page
			if subs, err = src.Submissions(ctx, f); err != nil {
				return nil, err
			}
		} else {
			if len(subs) > limit {
				subs = subs[1:] // the extra row is the newest
			}
			older, newer = true, true
		}
	}
	if f.After == 0 {
		older, newer = len(subs) > limit, f.Before > 0
		subs = subs[:min(len(subs), limit)]
	}
	page := &SubmissionsPage{Submissions: make([]SubmissionView, len(subs))}
	for i, sub := range subs {
		page.Submissions[i] = s.submissionView(sub)
	}
	if n := len(subs); n > 0 {
		if older {
			page.NextBefore = &subs[n-1].ID
		}
		if newer {
			page.PrevAfter = &subs[0].ID
		}
	}
	return page, nil
}

// submissionView resolves a submission's names from the game state.
func (s *Server) submissionView(sub store.Submission) SubmissionView {
	st := s.cfg.Engine.State()
	v := SubmissionView{ID: sub.ID, TS: sub.TS.UnixMilli(), PlayerID: sub.UserID, ChallengeID: sub.Challenge,
		Result: string(sub.Result), Address: sub.Address}
	if p, ok := st.Player(sub.UserID); ok {
		v.Username = p.Username
		if p.Name != "" {
			name := p.Name
			v.DisplayName = &name
		}
	}
	if c, ok := st.Catalog().Get(sub.Challenge); ok {
		v.Challenge = c.Title
	}
	if sub.Result == store.ResultIncorrect {
		g := sub.Guess
		v.Guess = &g
	}
	return v
}

// handleAdminSubmissions is GET /admin/api/submissions: one page of the
// submission log, newest first (see parseSubmissionQuery); 400 for a bad
// filter value.
func (s *Server) handleAdminSubmissions(w http.ResponseWriter, r *http.Request) {
	if !s.adminAPIAuth(w, r) {
		return
	}
	q, err := s.parseSubmissionQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.submissionsPage(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// submissionsSection is the dashboard's Submissions section: the page
// the dashboard's URL asks for (the same parameters as the API), with
// links to its neighbours.
type submissionsSection struct {
	Player, Challenge, Result string // the filters as given
	Results                   []store.SubmissionResult
	Rows                      []SubmissionView
	Older, Newer              string // links to the neighbour pages; "" for none
	// Live is set on the newest page, which the script refreshes with
	// Query (the filters as URL parameters).
	Live  bool
	Query string
	Error string
}

// dashboardSubmissions builds the Submissions section for GET /admin.
func (s *Server) dashboardSubmissions(r *http.Request) *submissionsSection {
	sec := &submissionsSection{Results: store.SubmissionResults}
	q, err := s.parseSubmissionQuery(r.URL.Query())
	sec.Player, sec.Challenge, sec.Result = q.player, q.challenge, q.result
	if err != nil {
		sec.Error = "That filter is not valid (" + err.Error() + "): a player is a username or a player id, a challenge an id."
		return sec
	}
	page, err := s.submissionsPage(r.Context(), q)
	if err != nil {
		if r.Context().Err() == nil {
			s.log.Error("admin dashboard: read submissions", "request_id", requestID(r), "err", err)
		}
		sec.Error = "The submissions could not be read; see the server log."
		return sec
	}
	sec.Rows = page.Submissions
	params := q.encode()
	sec.Query = params.Encode()
	link := func(key string, id *int64) string {
		if id == nil {
			return ""
		}
		v := q.encode()
		v.Set(key, strconv.FormatInt(*id, 10))
		return "/admin?" + v.Encode() + "#submissions"
	}
	sec.Older, sec.Newer = link("before", page.NextBefore), link("after", page.PrevAfter)
	sec.Live = page.PrevAfter == nil
	return sec
}
