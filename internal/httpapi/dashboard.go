package httpapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"time"

	"github.com/ctfg/ctfg/internal/auth"
)

// The admin dashboard: GET /admin (login form or dashboard; its query
// pages and filters the Submissions section), POST /admin/login, POST
// /admin/logout, GET /admin/api/stats and /admin/api/submissions (the
// dashboard's JSON, polled by its script), POST /admin/game/reset and the
// page's own script and style under /admin/assets/. Everything but the
// assets needs CTFG_ADMIN_TOKEN to be configured (503 otherwise).

// AdminCookie is the name of the admin session cookie. It is scoped to
// /admin, so the player API never sees it.
const AdminCookie = "ctfg_admin"

const (
	// adminSessionTTL is how long an admin login lasts.
	adminSessionTTL = 12 * time.Hour
	// maxAdminSessions bounds the sessions kept in memory; the oldest
	// goes first. Only holders of the admin token can create them.
	maxAdminSessions = 64
	// adminCSP allows the page its own script and style only: no inline
	// code, nothing from elsewhere, no framing, forms only to itself.
	adminCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

//go:embed dashboard
var dashboardFS embed.FS

var dashboardTmpl = template.Must(template.New("admin").Funcs(template.FuncMap{
	"bytes":     formatBytes,
	"clock":     formatClock,
	"uptime":    formatUptime,
	"maxMinute": maxMinute,
	"atLeast1":  func(n int) int { return max(n, 1) },
	"opt": func(p *string, none string) string {
		if p == nil {
			return none
		}
		return *p
	},
	"source": formatSource,
}).ParseFS(dashboardFS, "dashboard/*.html"))

// dashboardAssets are the page's script and style, by file name.
var dashboardAssets = map[string]string{
	"dashboard.js":  "text/javascript; charset=utf-8",
	"dashboard.css": "text/css; charset=utf-8",
}

// dashboard is the Server's admin state.
type dashboard struct {
	stats    statsCache
	sessions adminSessions
}

// adminSessions are admin logins, in memory only: a restart logs every
// admin out (they log in again with the token). The map is keyed by the
// SHA-256 of the cookie value, so the value itself is kept nowhere.
type adminSessions struct {
	mu sync.Mutex
	m  map[[32]byte]*adminSession
}

type adminSession struct {
	expires time.Time
	csrf    string // form token of this session, in every form it renders
	flash   string // message for the next page (after a redirect)
}

// create starts a session and returns its cookie value.
func (a *adminSessions) create(now time.Time) string {
	token := auth.RandomToken(32)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[[32]byte]*adminSession{}
	}
	for k, v := range a.m {
		if !now.Before(v.expires) {
			delete(a.m, k)
		}
	}
	for len(a.m) >= maxAdminSessions {
		var oldest [32]byte
		var at time.Time
		for k, v := range a.m {
			if at.IsZero() || v.expires.Before(at) {
				oldest, at = k, v.expires
			}
		}
		delete(a.m, oldest)
	}
	a.m[sha256.Sum256([]byte(token))] = &adminSession{expires: now.Add(adminSessionTTL), csrf: auth.RandomToken(32)}
	return token
}

// get returns a copy of the live session of token; takeFlash also clears
// its message.
func (a *adminSessions) get(token string, now time.Time, takeFlash bool) (adminSession, bool) {
	if token == "" || len(token) > 128 {
		return adminSession{}, false
	}
	k := sha256.Sum256([]byte(token))
	a.mu.Lock()
	defer a.mu.Unlock()
	v, ok := a.m[k]
	if !ok {
		return adminSession{}, false
	}
	if !now.Before(v.expires) {
		delete(a.m, k)
		return adminSession{}, false
	}
	out := *v
	if takeFlash {
		v.flash = ""
	}
	return out, true
}

func (a *adminSessions) setFlash(token, msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v, ok := a.m[sha256.Sum256([]byte(token))]; ok {
		v.flash = msg
	}
}

func (a *adminSessions) end(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, sha256.Sum256([]byte(token)))
}

// adminSession returns the request's admin session and its cookie value.
func (s *Server) adminSession(r *http.Request, takeFlash bool) (adminSession, string, bool) {
	c, err := r.Cookie(AdminCookie)
	if err != nil {
		return adminSession{}, "", false
	}
	sess, ok := s.dash.sessions.get(c.Value, s.now(), takeFlash)
	return sess, c.Value, ok
}

func (s *Server) setAdminCookie(w http.ResponseWriter, r *http.Request, token string) {
	setCookie(w, r, s.cfg.TrustProxy, AdminCookie, token, "/admin", int(adminSessionTTL.Seconds()), http.SameSiteStrictMode)
}

func clearAdminCookie(w http.ResponseWriter, r *http.Request, trustProxy bool) {
	setCookie(w, r, trustProxy, AdminCookie, "", "/admin", -1, http.SameSiteStrictMode)
}

// adminPage is what the templates render.
type adminPage struct {
	Message string
	IsError bool
	CSRF    string
	Stats   *AdminStats
	Subs    *submissionsSection // nil: the section is left out
	Players *playersSection     // nil: the section is left out
	Confirm *removeConfirm      // the "confirm" template's subject
}

// renderAdmin renders one of the templates "login", "dashboard" and
// "disabled" with the admin headers.
func (s *Server) renderAdmin(w http.ResponseWriter, status int, name string, p adminPage) {
	var buf bytes.Buffer
	if err := dashboardTmpl.ExecuteTemplate(&buf, name, p); err != nil {
		s.log.Error("admin dashboard: render", "template", name, "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("internal error\n")
	}
	adminHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func adminHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", adminCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

const msgAdminDisabled = "The admin dashboard is disabled: no admin token is configured. Set CTFG_ADMIN_TOKEN (in the environment or the game's .env) and restart ctfg."

// adminEnabled answers 503 with the reason when no admin token is
// configured.
func (s *Server) adminEnabled(w http.ResponseWriter) bool {
	if s.cfg.AdminToken == "" {
		s.renderAdmin(w, http.StatusServiceUnavailable, "disabled", adminPage{Message: msgAdminDisabled, IsError: true})
		return false
	}
	return true
}

// handleAdmin is GET /admin: the login form without an admin session,
// else the dashboard.
func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) {
	if !s.adminEnabled(w) {
		return
	}
	sess, _, ok := s.adminSession(r, true)
	if !ok {
		s.renderAdmin(w, http.StatusOK, "login", adminPage{})
		return
	}
	s.renderAdmin(w, http.StatusOK, "dashboard", adminPage{Message: sess.flash, CSRF: sess.csrf, Stats: s.adminStats(r.Context()), Subs: s.dashboardSubmissions(r), Players: s.dashboardPlayers(r)})
}

// handleAdminLogin is POST /admin/login with the form field token. The
// token is compared in constant time and never logged; each compare is
// reserved on the client address's admin bucket (shared with
// POST /admin/reset) and refunded for the right token, and while the
// bucket is empty every attempt gets 429.
func (s *Server) handleAdminLogin(w http.ResponseWriter, r *http.Request) {
	if !s.adminEnabled(w) {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderAdmin(w, http.StatusBadRequest, "login", adminPage{Message: "The form could not be read.", IsError: true})
		return
	}
	// Reserved before the compare, refunded for the right token: checking
	// first and charging after let every concurrent attempt through.
	addrKey, ok, wait := s.reserveAdmin(r)
	if !ok {
		s.adminRateLimited(w, wait)
		s.renderAdmin(w, http.StatusTooManyRequests, "login", adminPage{Message: "Too many failed attempts from your address; wait a minute and try again.", IsError: true})
		return
	}
	token := r.PostForm.Get("token")
	if token == "" || !auth.Equal(token, s.cfg.AdminToken) {
		s.log.Warn("admin login refused", "request_id", requestID(r), "addr", s.clientAddr(r))
		s.renderAdmin(w, http.StatusUnauthorized, "login", adminPage{Message: "Wrong admin token.", IsError: true})
		return
	}
	s.refundAdmin(addrKey)
	s.setAdminCookie(w, r, s.dash.sessions.create(s.now()))
	s.log.Info("admin login", "request_id", requestID(r), "addr", s.clientAddr(r))
	adminHeaders(w)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// adminForm starts every dashboard form post but login and logout: the
// dashboard is on, an admin session (else the login page, 401) and the
// session's form token (else the dashboard saying so, 403). ok is false
// when it has answered.
func (s *Server) adminForm(w http.ResponseWriter, r *http.Request) (sess adminSession, token string, ok bool) {
	if !s.adminEnabled(w) {
		return adminSession{}, "", false
	}
	sess, token, ok = s.adminSession(r, false)
	if !ok {
		s.renderAdmin(w, http.StatusUnauthorized, "login", adminPage{Message: "Your admin session has ended; log in again.", IsError: true})
		return adminSession{}, "", false
	}
	if !checkCSRF(r, sess) {
		s.renderAdmin(w, http.StatusForbidden, "dashboard", adminPage{Message: msgStaleForm, IsError: true, CSRF: sess.csrf, Stats: s.adminStats(r.Context())})
		return adminSession{}, "", false
	}
	return sess, token, true
}

// dashboardFailed answers a dashboard form whose action failed inside
// the server: logged and reported like any internal error, the dashboard
// again (500) with msg.
func (s *Server) dashboardFailed(w http.ResponseWriter, r *http.Request, page adminPage, what, msg string, err error) {
	s.log.Error("admin dashboard: "+what, "request_id", requestID(r), "err", err)
	if s.cfg.OnError != nil {
		s.cfg.OnError(r, err)
	}
	page.Message, page.IsError, page.Stats = msg, true, s.adminStats(r.Context())
	s.renderAdmin(w, http.StatusInternalServerError, "dashboard", page)
}

// checkCSRF parses the form and reports whether its csrf field is the
// session's form token.
func checkCSRF(r *http.Request, sess adminSession) bool {
	if err := r.ParseForm(); err != nil {
		return false
	}
	got := r.PostForm.Get("csrf")
	return got != "" && auth.Equal(got, sess.csrf)
}

// handleAdminLogout is POST /admin/logout (with the form token): it ends
// the session. Without a session it only clears the cookie.
func (s *Server) handleAdminLogout(w http.ResponseWriter, r *http.Request) {
	sess, token, ok := s.adminSession(r, false)
	if ok {
		if !checkCSRF(r, sess) {
			s.renderAdmin(w, http.StatusForbidden, "dashboard", adminPage{Message: msgStaleForm, IsError: true, CSRF: sess.csrf, Stats: s.adminStats(r.Context())})
			return
		}
		s.dash.sessions.end(token)
		s.log.Info("admin logout", "request_id", requestID(r), "addr", s.clientAddr(r))
	}
	clearAdminCookie(w, r, s.cfg.TrustProxy)
	adminHeaders(w)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

const msgStaleForm = "That form was stale or did not come from this dashboard (missing or wrong form token). Nothing was done; try again from this page."

// handleAdminStats is GET /admin/api/stats, the dashboard's data as JSON
// (dashboard session or bearer token, see adminAPIAuth).
func (s *Server) handleAdminStats(w http.ResponseWriter, r *http.Request) {
	if !s.adminAPIAuth(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, s.adminStats(r.Context()))
}

// handleAdminReset is POST /admin/game/reset from the dashboard: an admin
// session, its form token (403 without) and confirm=yes (400 without).
// Old judge scripts keep using POST /admin/reset with the token itself.
func (s *Server) handleAdminReset(w http.ResponseWriter, r *http.Request) {
	sess, token, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	page := adminPage{CSRF: sess.csrf, IsError: true}
	if r.PostForm.Get("confirm") != "yes" {
		page.Message, page.Stats = "Tick the confirmation box to reset the game.", s.adminStats(r.Context())
		s.renderAdmin(w, http.StatusBadRequest, "dashboard", page)
		return
	}
	n, err := s.cfg.Engine.Reset(r.Context())
	if err != nil {
		s.dashboardFailed(w, r, page, "reset failed", "The reset failed; see the server log.", err)
		return
	}
	s.log.Warn("admin reset", "events_removed", n, "via", "dashboard", "request_id", requestID(r), "addr", s.clientAddr(r))
	s.dash.sessions.setFlash(token, fmt.Sprintf("Reset done: %d events removed, every player logged out.", n))
	adminHeaders(w)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// handleAdminAsset serves the dashboard's script and style. They hold no
// data, so they need no session (the login page uses the style).
func (s *Server) handleAdminAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ctype, ok := dashboardAssets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := dashboardFS.ReadFile("dashboard/" + name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

// adminRateLimited prepares a 429 of the admin limiter (shared by the
// dashboard login and POST /admin/reset): Retry-After and the metric.
func (s *Server) adminRateLimited(w http.ResponseWriter, wait time.Duration) {
	if s.cfg.OnRateLimited != nil {
		s.cfg.OnRateLimited("admin")
	}
	w.Header().Set("Retry-After", retryAfterSeconds(wait))
}

// retryAfterSeconds is a Retry-After value: whole seconds, rounded up, at
// least 1.
func retryAfterSeconds(wait time.Duration) string {
	return itoa(max(int64((wait+time.Second-1)/time.Second), 1))
}

func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// formatClock shows a Unix-ms time as UTC hh:mm:ss, the same way the
// dashboard's script does.
func formatClock(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("15:04:05") + " UTC"
}

func formatUptime(secs int64) string {
	d, h, m := secs/86400, secs/3600%24, secs/60%60
	switch {
	case d > 0:
		return fmt.Sprintf("%dd %dh %dm", d, h, m)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	default:
		return fmt.Sprintf("%dm %ds", m, secs%60)
	}
}

// formatSource says where a clock time came from, the same way the
// dashboard's script does.
func formatSource(src *string) string {
	switch {
	case src == nil:
		return ""
	case *src == "admin":
		return "set live by the admin"
	}
	return "from the configuration"
}

func maxMinute(ms []MinuteSolves) int {
	m := 1
	for _, x := range ms {
		m = max(m, x.Solves)
	}
	return m
}
