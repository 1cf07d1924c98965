package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/game"
)

// The competition clock: GET /api/clock for everyone, and the admin's
// POST /admin/api/pause, /admin/api/resume and /admin/api/clock (bearer
// token or dashboard session), plus the dashboard's own Pause and Resume
// forms (POST /admin/game/pause, /admin/game/resume).

// ClockView is the JSON of GET /api/clock. Times are RFC 3339 in UTC,
// null when not set.
type ClockView struct {
	Now    string          `json:"now"`
	Start  *string         `json:"start"`
	End    *string         `json:"end"`
	Freeze *string         `json:"freeze"`
	State  game.ClockState `json:"state"`
	// Frozen: everyone but the admin sees the board as at the freeze.
	Frozen bool `json:"frozen"`
	Paused bool `json:"paused"`
	// Practice: after the end, right flags are shown as solved, never
	// scored.
	Practice bool `json:"practice"`
	// NextRelease is when the next challenge with a release time comes
	// out (null: none waiting), so clients know when to look again.
	NextRelease *string `json:"next_release"`
}

// AdminClock is the clock as the admin endpoints and the dashboard show
// it: ClockView plus where each time came from ("config", "admin", or
// null when not set).
type AdminClock struct {
	ClockView
	StartSource  *string `json:"start_source"`
	EndSource    *string `json:"end_source"`
	FreezeSource *string `json:"freeze_source"`
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := game.FormatTime(t)
	return &s
}

func optSource(src string) *string {
	if src == "" {
		return nil
	}
	return &src
}

func clockView(st *game.State, now time.Time) ClockView {
	c := st.Clock()
	start, _ := c.Start()
	end, _ := c.End()
	freeze, _ := c.Freeze()
	return ClockView{
		Now:         game.FormatTime(now.Truncate(time.Millisecond)),
		Start:       optTime(start),
		End:         optTime(end),
		Freeze:      optTime(freeze),
		State:       c.State(now),
		Frozen:      st.Frozen(now),
		Paused:      c.Paused,
		Practice:    st.Rules().Practice,
		NextRelease: optTime(st.NextRelease(now)),
	}
}

func adminClock(st *game.State, now time.Time) AdminClock {
	c := st.Clock()
	_, ss := c.Start()
	_, es := c.End()
	_, fs := c.Freeze()
	return AdminClock{ClockView: clockView(st, now), StartSource: optSource(ss), EndSource: optSource(es), FreezeSource: optSource(fs)}
}

// handleClock is GET /api/clock: no session needed, so the login page can
// count down too.
func (s *Server) handleClock(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, clockView(s.cfg.Engine.State(), s.now()))
}

// adminAPIAuth authorizes a request to /admin/api/*: either the header
// "Authorization: Bearer <CTFG_ADMIN_TOKEN>" (scripts: no cookie, no form
// token), or the dashboard's session cookie, with its form token in the
// X-CSRF-Token header for anything but GET. A bearer token is compared
// in constant time after a reservation on the admin limiter (refunded
// when right), as the admin login does; it is never logged. It answers
// the refusal itself.
func (s *Server) adminAPIAuth(w http.ResponseWriter, r *http.Request) bool {
	adminHeaders(w)
	if s.cfg.AdminToken == "" {
		writeError(w, http.StatusServiceUnavailable, "admin_disabled")
		return false
	}
	if h := r.Header.Get("Authorization"); h != "" {
		addrKey, ok, wait := s.reserveAdmin(r)
		if !ok {
			s.adminRateLimited(w, wait)
			writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded")
			return false
		}
		if token := bearerToken(h); token == "" || !auth.Equal(token, s.cfg.AdminToken) {
			s.log.Warn("admin API: wrong token", "request_id", requestID(r), "addr", s.clientAddr(r), "route", r.Pattern)
			writeError(w, http.StatusUnauthorized, "unauthorized")
			return false
		}
		s.refundAdmin(addrKey)
		return true
	}
	sess, _, ok := s.adminSession(r, false)
	if !ok {
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if got := r.Header.Get("X-CSRF-Token"); got == "" || !auth.Equal(got, sess.csrf) {
			writeError(w, http.StatusForbidden, "csrf")
			return false
		}
	}
	return true
}

// handleAdminPause is POST /admin/api/pause.
func (s *Server) handleAdminPause(w http.ResponseWriter, r *http.Request) {
	s.adminClockOp(w, r, "pause", s.cfg.Engine.Pause)
}

// handleAdminResume is POST /admin/api/resume.
func (s *Server) handleAdminResume(w http.ResponseWriter, r *http.Request) {
	s.adminClockOp(w, r, "resume", s.cfg.Engine.Resume)
}

// handleAdminFreeze is POST /admin/api/freeze: "freeze now".
func (s *Server) handleAdminFreeze(w http.ResponseWriter, r *http.Request) {
	s.adminClockOp(w, r, "freeze", s.cfg.Engine.Freeze)
}

// handleAdminUnfreeze is POST /admin/api/unfreeze: the true board to
// everyone at once.
func (s *Server) handleAdminUnfreeze(w http.ResponseWriter, r *http.Request) {
	s.adminClockOp(w, r, "unfreeze", s.cfg.Engine.Unfreeze)
}

// handleAdminRelease is POST /admin/api/challenges/{id}/release.
func (s *Server) handleAdminRelease(w http.ResponseWriter, r *http.Request) {
	if !s.adminAPIAuth(w, r) {
		return
	}
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, game.ErrUnknownChallenge)
		return
	}
	if err := s.cfg.Engine.Release(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Warn("admin release", "challenge_id", id, "request_id", requestID(r), "addr", s.clientAddr(r))
	s.forgetStats()
	writeJSON(w, http.StatusOK, map[string]any{"result": "ok", "challenge_id": id})
}

func (s *Server) adminClockOp(w http.ResponseWriter, r *http.Request, what string, op func(context.Context) (game.Clock, error)) {
	if !s.adminAPIAuth(w, r) {
		return
	}
	if _, err := op(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Warn("admin "+what, "request_id", requestID(r), "addr", s.clientAddr(r))
	s.forgetStats()
	writeJSON(w, http.StatusOK, adminClock(s.cfg.Engine.State(), s.now()))
}

// handleAdminClock is POST /admin/api/clock {"start":…,"end":…}: each
// key an RFC 3339 time with zone (a live override of the configured
// value), null (back to the configured value) or absent (unchanged).
// 400 invalid_time for anything else, start_not_before_end when the
// resulting window would not start before it ends.
func (s *Server) handleAdminClock(w http.ResponseWriter, r *http.Request) {
	if !s.adminAPIAuth(w, r) {
		return
	}
	var req struct {
		Start  json.RawMessage `json:"start"`
		End    json.RawMessage `json:"end"`
		Freeze json.RawMessage `json:"freeze"`
	}
	if err := decode(w, r, &req); err != nil {
		s.failDecode(w, r, err)
		return
	}
	var ch game.ClockChange
	for _, f := range []struct {
		raw json.RawMessage
		dst *game.ClockField
	}{{req.Start, &ch.Start}, {req.End, &ch.End}, {req.Freeze, &ch.Freeze}} {
		field, err := clockField(f.raw)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		*f.dst = field
	}
	c, err := s.cfg.Engine.SetClock(r.Context(), ch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	start, _ := c.Start()
	end, _ := c.End()
	freeze, _ := c.Freeze()
	s.log.Warn("admin clock change", "start", fmtLogTime(start), "end", fmtLogTime(end), "freeze", fmtLogTime(freeze), "request_id", requestID(r), "addr", s.clientAddr(r))
	s.forgetStats()
	writeJSON(w, http.StatusOK, adminClock(s.cfg.Engine.State(), s.now()))
}

// clockField reads one key of POST /admin/api/clock: absent (nil), null
// or an RFC 3339 string.
func clockField(raw json.RawMessage) (game.ClockField, error) {
	if raw == nil {
		return game.ClockField{}, nil
	}
	if bytes.Equal(raw, []byte("null")) {
		return game.ClockField{Set: true}, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err != nil {
		return game.ClockField{}, game.ErrInvalidTime
	}
	t, err := game.ParseTime(str)
	if err != nil {
		return game.ClockField{}, err
	}
	return game.ClockField{Set: true, At: t}, nil
}

func fmtLogTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return game.FormatTime(t)
}

// handleAdminGameOp is one of the dashboard's clock buttons — POST
// /admin/game/pause, /resume, /freeze, /unfreeze — and POST
// /admin/game/release (form id=…): session and form token, then back to
// /admin with what happened.
func (s *Server) handleAdminGameOp(done string, op func(r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, token, ok := s.adminForm(w, r)
		if !ok {
			return
		}
		if err := op(r); err != nil {
			msg, status := "That failed; see the server log.", http.StatusInternalServerError
			var ge *game.Error
			switch {
			case errors.Is(err, game.ErrUnknownChallenge):
				msg, status = "No such challenge.", http.StatusBadRequest
			case errors.Is(err, game.ErrUnknownUser):
				msg, status = "No such player or team.", http.StatusBadRequest
			case errors.As(err, &ge) && ge.Kind == game.KindInvalid:
				msg, status = "Not done: "+ge.Code+" (times are RFC 3339 with a zone, start before freeze before end).", http.StatusBadRequest
			default:
				s.log.Error("admin dashboard: "+done, "request_id", requestID(r), "err", err)
			}
			s.renderAdmin(w, status, "dashboard", adminPage{Message: msg, IsError: true, CSRF: sess.csrf, Stats: s.adminStats(r.Context())})
			return
		}
		s.log.Warn("admin "+done, "via", "dashboard", "request_id", requestID(r), "addr", s.clientAddr(r))
		s.forgetStats()
		s.dash.sessions.setFlash(token, done+".")
		adminHeaders(w)
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	}
}

// adminGameOps are the dashboard's buttons by path.
func (s *Server) adminGameOps() map[string]http.HandlerFunc {
	clockOp := func(op func(context.Context) (game.Clock, error)) func(*http.Request) error {
		return func(r *http.Request) error { _, err := op(r.Context()); return err }
	}
	eng := s.cfg.Engine
	return map[string]http.HandlerFunc{
		"/admin/game/pause":    s.handleAdminGameOp("Game paused", clockOp(eng.Pause)),
		"/admin/game/resume":   s.handleAdminGameOp("Game resumed", clockOp(eng.Resume)),
		"/admin/game/freeze":   s.handleAdminGameOp("Scoreboard frozen", clockOp(eng.Freeze)),
		"/admin/game/unfreeze": s.handleAdminGameOp("Scoreboard revealed to everyone", clockOp(eng.Unfreeze)),
		"/admin/game/clock": s.handleAdminGameOp("Clock set", func(r *http.Request) error {
			var ch game.ClockChange
			for _, f := range []struct {
				key string
				dst *game.ClockField
			}{{"start", &ch.Start}, {"end", &ch.End}, {"freeze", &ch.Freeze}} {
				switch v := strings.TrimSpace(r.PostFormValue(f.key)); {
				case v == "":
				case strings.EqualFold(v, "none"):
					*f.dst = game.ClockField{Set: true}
				default:
					t, err := game.ParseTime(v)
					if err != nil {
						return err
					}
					*f.dst = game.ClockField{Set: true, At: t}
				}
			}
			_, err := eng.SetClock(r.Context(), ch)
			return err
		}),
		"/admin/game/release": s.handleAdminGameOp("Challenge released", func(r *http.Request) error {
			id, err := strconv.Atoi(r.PostFormValue("id"))
			if err != nil {
				return game.ErrUnknownChallenge
			}
			return eng.Release(r.Context(), id)
		}),
	}
}
