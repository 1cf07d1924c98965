package httpapi

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// handleAward lets an external judge record a solve:
// POST /api/award {username, id} with the API token in Authorization
// (raw or "Bearer <token>", scheme in any case). The token is compared in constant time and
// never logged; attempts are rate limited per client address.
func (s *Server) handleAward(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.apiTokenAuth(w, r) {
		return
	}
	var req struct {
		Username optString `json:"username"`
		ID       flexInt   `json:"id"`
	}
	if err := decode(w, r, &req); err != nil {
		s.failDecode(w, r, err)
		return
	}
	if !req.Username.Set || !req.ID.Set {
		s.fail(w, r, game.ErrMissingParameters)
		return
	}
	res, err := s.cfg.Engine.Award(r.Context(), req.Username.V, req.ID.V)
	s.recordAward(r, req.Username.V, req.ID.V, res, err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if res.Outcome == engine.AlreadySolved {
		writeJSON(w, http.StatusOK, map[string]any{"result": "already_solved", "total": res.Total})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": "ok"})
}

// recordAward logs an award in the submission log like a submission of
// the player, from the judge's address; a successful one is "awarded",
// not "correct", so a dispute tells a judge's solve from a flag. An
// award for an unknown username has no player to log it under.
func (s *Server) recordAward(r *http.Request, username string, challenge int, res engine.SubmitResult, err error) {
	p, known := s.cfg.Engine.State().PlayerByUsername(username)
	result, ok := engine.SubmissionResultOf(res, err)
	if !known || !ok {
		return
	}
	if result == store.ResultCorrect {
		result = store.ResultAwarded
	}
	s.cfg.Engine.RecordSubmission(p.ID, challenge, result, s.clientAddr(r), "")
}

// apiTokenAuth checks the API token (CTFG_API_TOKEN) of a judge's or a
// feed reader's request: the address's award limit is charged before the
// token is compared, so guessing costs the guesser. It answers the
// refusal itself.
func (s *Server) apiTokenAuth(w http.ResponseWriter, r *http.Request) bool {
	if key := "a:" + s.clientAddr(r); !s.limits.award.Allow(key) {
		s.rateLimited(w, r, s.limits.award.RetryAfter(key))
		return false
	}
	token := bearerToken(r.Header.Get("Authorization"))
	if s.cfg.APIToken == "" || token == "" || !auth.Equal(token, s.cfg.APIToken) {
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return false
	}
	return true
}

// bearerToken is the token of an Authorization header: "<token>" as the
// old engine's judges send it, or "<scheme> <token>" with the Bearer
// scheme in any case (RFC 9110 §11.1: schemes are case-insensitive).
func bearerToken(h string) string {
	h = strings.TrimSpace(h)
	if scheme, t, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(t)
	}
	return h
}

var resetPage = template.Must(template.New("reset").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ctfg — reset game</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;background:#0f172a;color:#e2e8f0;max-width:32rem;margin:4rem auto;padding:0 1rem}
input,button{font-size:1rem;padding:.5rem;margin:.25rem 0}button{background:#dc2626;color:#fff;border:0;border-radius:.25rem}
.msg{padding:.75rem;border-radius:.25rem;background:#1e293b}</style></head><body>
<h1>Reset the game</h1>
{{if .Message}}<p class="msg" role="status">{{.Message}}</p>{{end}}
<p>This deletes every solve and hint purchase, clears display names and logs every player out. It cannot be undone.</p>
<form method="post" action="/admin/reset">
<label>Admin token<br><input type="password" name="token" autocomplete="off" required></label><br>
<label><input type="checkbox" name="confirm" value="yes" required> I understand that all progress will be lost</label><br>
<button type="submit">Reset game</button>
</form></body></html>`))

func (s *Server) renderReset(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	resetPage.Execute(w, struct{ Message string }{msg})
}

func (s *Server) handleResetPage(w http.ResponseWriter, r *http.Request) {
	s.renderReset(w, http.StatusOK, "")
}

// handleReset is POST /admin/reset: a form (token, confirm=yes) from the
// reset page, or JSON {"token": ...} with ?confirm=yes. Wrong tokens are
// rate limited per address (the admin limiter, shared with /admin/login).
func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	isJSON := strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
	reply := func(status int, code, msg string) {
		if isJSON {
			writeError(w, status, code)
		} else {
			s.renderReset(w, status, msg)
		}
	}
	if s.cfg.AdminToken == "" {
		reply(http.StatusServiceUnavailable, "admin_disabled", "Reset is disabled: no CTFG_ADMIN_TOKEN is configured.")
		return
	}
	var token, confirm string
	if isJSON {
		var req struct {
			Token   optString `json:"token"`
			Confirm optString `json:"confirm"`
		}
		if err := decode(w, r, &req); err != nil {
			s.failDecode(w, r, err)
			return
		}
		token, confirm = req.Token.V, r.URL.Query().Get("confirm")
		if req.Confirm.Set {
			confirm = req.Confirm.V
		}
	} else {
		if err := r.ParseForm(); err != nil {
			reply(http.StatusBadRequest, "malformed_form", "The form could not be read.")
			return
		}
		token, confirm = r.PostForm.Get("token"), r.PostForm.Get("confirm")
		if confirm == "" {
			confirm = r.URL.Query().Get("confirm")
		}
	}
	// The token check is reserved on the admin limiter first and refunded
	// when the token is right, so concurrent wrong tokens get no more
	// checks than the bucket holds (see ratelimit).
	addrKey, ok, wait := s.reserveAdmin(r)
	if !ok {
		s.adminRateLimited(w, wait)
		reply(http.StatusTooManyRequests, "rate_limit_exceeded", "Too many attempts; wait a minute.")
		return
	}
	if token == "" || !auth.Equal(token, s.cfg.AdminToken) {
		reply(http.StatusUnauthorized, "unauthorized", "Wrong admin token.")
		return
	}
	s.refundAdmin(addrKey)
	if confirm != "yes" {
		reply(http.StatusBadRequest, "unconfirmed", "Tick the confirmation box to reset.")
		return
	}
	n, err := s.cfg.Engine.Reset(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Warn("admin reset", "events_removed", n, "request_id", requestID(r), "addr", s.clientAddr(r))
	clearSessionCookie(w)
	if isJSON {
		writeJSON(w, http.StatusOK, map[string]any{"result": "ok", "events_removed": n})
		return
	}
	s.renderReset(w, http.StatusOK, fmt.Sprintf("Reset done: %d events removed, every player logged out.", n))
}
