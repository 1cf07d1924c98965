// Package httpapi is ctfg's HTTP interface: the JSON API of the old engine
// (same paths, fields and status codes), the scoreboard, admin reset, and
// the mounting of the scorestream and the web app. Handlers decode,
// validate, act and respond; errors become status codes in one place
// (errors.go).
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/ratelimit"
)

// MaxBodyBytes is the largest request body accepted (64 KiB).
const MaxBodyBytes = 64 << 10

// SessionCookie is the name of the login session cookie.
const SessionCookie = "ctfg_session"

// sessionMaxAge is how long the browser keeps the session cookie.
const sessionMaxAge = 30 * 24 * time.Hour

// Config configures the HTTP API.
type Config struct {
	Engine    *engine.Engine
	Sessions  *auth.Sessions
	Tokens    *auth.Tokens
	Passwords *auth.Passwords
	// Stream serves GET /scorestream (the hub); nil answers 503.
	Stream http.Handler
	// Static serves every path outside the API (the web app).
	Static http.Handler
	// APIToken authorizes POST /api/award; "" refuses every award.
	APIToken string
	// AdminToken authorizes admin reset and the admin dashboard; ""
	// disables both (503).
	AdminToken string
	// Admin supplies the admin dashboard (GET /admin) with what the HTTP
	// layer cannot see itself; nil leaves those figures empty.
	Admin AdminSource
	// WebSocketURL overrides the scorestream URL handed to browsers (for
	// TLS proxies); "" derives it from each request.
	WebSocketURL string
	// PublicScoreboard lets anyone read the scoreboard and watch the board.
	PublicScoreboard bool
	// DevMode shows error details in responses.
	DevMode bool
	// TrustProxy takes client addresses from X-Forwarded-For / X-Real-IP
	// (only behind a reverse proxy that sets them).
	TrustProxy bool
	// AllowedOrigins (--allowed-origins, "scheme://host[:port]") are
	// trusted besides the server's own origin: their pages may send the
	// cookie-authenticated POSTs (see sameOrigin).
	AllowedOrigins []string
	// Limits are the rate limits; zero fields take the defaults.
	Limits Limits
	// Registration configures self-registration (register.go); the zero
	// value is closed.
	Registration Registration
	// Shared, when set (several instances on one database), also charges
	// the guessing budgets — wrong flags per player, password checks per
	// username, admin token checks per address — to buckets in the shared
	// database, so N instances do not give N times the budget. The other
	// limits stay per instance.
	Shared SharedLimiter
	// OnError, when set, also receives every internal error (Sentry).
	OnError func(r *http.Request, err error)
	// OnWrongFlag, when set, receives every incorrect guess (metrics;
	// the submission log is the engine's). It must not block and must
	// never log the guess.
	OnWrongFlag func(player int64, challenge int, guess string)
	// OnRequest, when set, observes every request (metrics).
	OnRequest func(route, method string, status int, took time.Duration)
	// OnLogin, when set, observes every password check of a login: ok, or
	// failed for a wrong username or password (metrics).
	OnLogin func(ok bool)
	// OnRateLimited, when set, observes every 429 with the name of the
	// limiter that refused it (metrics). It must not block.
	OnRateLimited func(limiter string)
	// Health, when set, reports whether the server can work (the database
	// answers, the disk has room, commits succeed); GET /healthz answers
	// 503 while it returns an error, with the error's HealthReason() code
	// if it has one. It must be cheap: probes are neither authenticated
	// nor rate limited.
	Health func(ctx context.Context) error
	// Metrics serves GET /metrics (already guarded by its token, if any);
	// nil answers 404, e.g. when metrics live on their own listener.
	Metrics http.Handler
	Logger  *slog.Logger
	Now     func() time.Time

	// MetricsLoopbackOnly serves /metrics only to loopback clients (by
	// the address rate limits use: with TrustProxy, X-Forwarded-For), 403
	// to any other: the default while no metrics token protects them.
	MetricsLoopbackOnly bool
}

// Limits are the rate limit settings (burst, then one token every Every).
type Limits struct {
	Submit, Hint, SetName, Award, LoginUser, LoginAddr, Admin, Request Limit
	// Register is per client address: what one address may create.
	Register Limit
}

// Limit is one token bucket shape.
type Limit struct {
	Burst float64
	Every time.Duration
}

// DefaultLimits are SPEC §6's limits. Each is reserved before the work it
// guards and refunded when that work turns out free: submissions keep
// their token only for wrong guesses, logins only for failures, so a room
// behind one NAT logs in freely.
var DefaultLimits = Limits{
	Submit:    Limit{10, 2 * time.Second},
	Hint:      Limit{20, time.Second},
	SetName:   Limit{100, 100 * time.Millisecond},
	Award:     Limit{100, 100 * time.Millisecond},
	LoginUser: Limit{10, 6 * time.Second},
	LoginAddr: Limit{60, time.Second},
	Admin:     Limit{10, 6 * time.Second},
	Request:   Limit{200, 10 * time.Millisecond},
	// A room behind one NAT registers 20 at once, then 10 a minute.
	Register: Limit{20, 6 * time.Second},
}

func (l *Limits) fill() {
	d := DefaultLimits
	for _, p := range []struct{ dst, def *Limit }{
		{&l.Submit, &d.Submit}, {&l.Hint, &d.Hint}, {&l.SetName, &d.SetName},
		{&l.Award, &d.Award}, {&l.LoginUser, &d.LoginUser}, {&l.LoginAddr, &d.LoginAddr},
		{&l.Admin, &d.Admin}, {&l.Request, &d.Request}, {&l.Register, &d.Register},
	} {
		if p.dst.Burst == 0 {
			*p.dst = *p.def
		}
	}
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	limits  limiters
	chal    challengeEncoder
	handler http.Handler
	dash    dashboard // admin sessions and cached stats (dashboard.go)
	// origins refuses cross-site POSTs (sameOrigin); the token-authenticated
	// endpoints are its bypass patterns.
	origins *http.CrossOriginProtection
	// loginGate makes the password checks of one address take turns
	// (see checkLogin).
	loginGate *ratelimit.Gate
}

type limiters struct {
	submit, hint, setName, award, loginUser, loginAddr, admin, request *ratelimit.Limiter
	// loginSpare is each address's allowance, shaped like loginAddr, for
	// checks while its loginAddr bucket is empty (see reserveLogin).
	loginSpare *ratelimit.Limiter
	register   *ratelimit.Limiter // per address (register.go)
}

func newLimiter(l Limit, now func() time.Time) *ratelimit.Limiter {
	return ratelimit.New(ratelimit.Config{Burst: l.Burst, Every: l.Every, Now: now})
}

// New returns the API server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Limits.fill()
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, loginGate: ratelimit.NewGate(loginGateSize)}
	l := cfg.Limits
	s.limits = limiters{
		submit: newLimiter(l.Submit, cfg.Now), hint: newLimiter(l.Hint, cfg.Now),
		setName: newLimiter(l.SetName, cfg.Now), award: newLimiter(l.Award, cfg.Now),
		loginUser: newLimiter(l.LoginUser, cfg.Now), loginAddr: newLimiter(l.LoginAddr, cfg.Now),
		admin: newLimiter(l.Admin, cfg.Now), request: newLimiter(l.Request, cfg.Now),
		loginSpare: newLimiter(l.LoginAddr, cfg.Now),
		register:   newLimiter(l.Register, cfg.Now),
	}
	s.origins = newCrossOrigin(cfg.AllowedOrigins, s.log)
	s.handler = s.routes()
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// ResetLimits forgets every player's rate-limit buckets (after an admin
// reset). Failed admin attempts stay counted: a reset is no reason to let
// someone guess the admin token faster.
func (s *Server) ResetLimits() {
	for _, l := range s.Limiters() {
		if l != s.limits.admin {
			l.Reset()
		}
	}
}

// Apply starts every player's rate limits afresh and drops the cached
// dashboard figures at a reset event, on whichever instance it was made
// (the server is a feed.View).
func (s *Server) Apply(evs []game.Event) {
	for _, ev := range evs {
		if ev.Type == game.EventReset {
			s.ResetLimits()
			s.forgetStats()
		}
	}
}

// Limiters returns every limiter so the server can sweep idle buckets.
func (s *Server) Limiters() []*ratelimit.Limiter {
	return []*ratelimit.Limiter{s.limits.submit, s.limits.hint, s.limits.setName, s.limits.award, s.limits.loginUser, s.limits.loginAddr, s.limits.admin, s.limits.request, s.limits.loginSpare, s.limits.register}
}

// route is one API endpoint.
type route struct {
	method, path string
	h            http.HandlerFunc
}

// routes lists every endpoint in one place. Every POST is refused when a
// page of another site sends it (sameOrigin), except the two that
// authenticate by a token in the request rather than by a cookie: no page
// can forge those, and judges' and reset scripts post them with whatever
// content type curl picks. Endpoints that read a JSON body also require
// the JSON content type (jsonBody).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	ops := s.adminGameOps()
	table := []route{
		{"POST", "/api/login", s.jsonBody(s.handleLogin)},
		{"POST", "/api/logout", s.authed(s.handleLogout)},
		{"GET", "/api/registration", s.handleRegistration},
		{"GET", "/api/registration/challenge", s.handleRegistrationChallenge},
		{"POST", "/api/register", s.jsonBody(s.handleRegister)},
		{"GET", "/api/me", s.handleMe},
		{"POST", "/api/set-name", s.jsonBody(s.authed(s.handleSetName))},
		{"GET", "/api/challenges", s.authed(s.handleChallenges)},
		{"POST", "/api/submit", s.jsonBody(s.authed(s.handleSubmit))},
		{"POST", "/api/hint", s.jsonBody(s.authed(s.handleHint))},
		{"POST", "/api/award", s.handleAward},
		{"GET", "/api/scoreboard", s.handleScoreboard},
		{"GET", "/api/teams/mine", s.authed(s.handleMyTeam)},
		{"GET", "/api/players/{id}", s.handlePlayerPage},
		{"GET", "/api/challenges/{id}/solvers", s.handleChallengeSolvers},
		{"POST", "/api/teams", s.jsonBody(s.authed(s.handleCreateTeam))},
		{"POST", "/api/teams/join", s.jsonBody(s.authed(s.handleJoinTeam))},
		{"POST", "/api/teams/leave", s.authed(s.handleLeaveTeam)},
		{"GET", "/api/board", s.handleBoard},
		{"GET", "/api/clock", s.handleClock},
		{"GET", "/api/announcements", s.handleAnnouncements},
		{"GET", "/reset", s.handleResetPage},
		{"POST", "/admin/reset", s.handleReset},
		{"GET", "/admin", s.handleAdmin},
		{"POST", "/admin/login", s.handleAdminLogin},
		{"POST", "/admin/logout", s.handleAdminLogout},
		{"GET", "/admin/api/stats", s.handleAdminStats},
		{"GET", "/admin/api/submissions", s.handleAdminSubmissions},
		{"POST", "/admin/api/pause", s.handleAdminPause},
		{"POST", "/admin/api/resume", s.handleAdminResume},
		{"POST", "/admin/api/freeze", s.handleAdminFreeze},
		{"GET", "/admin/api/teams", s.handleAdminTeams},
		{"POST", "/admin/api/players/{id}/remove", s.handleAdminRemove(false)},
		{"POST", "/admin/api/teams/{id}/disband", s.handleAdminRemove(true)},
		{"GET", "/admin/api/players", s.handleAdminPlayers},
		{"POST", "/admin/game/remove", s.handleAdminRemoveForm},
		{"POST", "/admin/api/unfreeze", s.handleAdminUnfreeze},
		{"POST", "/admin/api/challenges/{id}/release", s.handleAdminRelease},
		{"GET", "/api/ctftime", s.handleCTFtime},
		{"POST", "/admin/api/clock", s.jsonBody(s.handleAdminClock)},
		{"POST", "/admin/api/announcements", s.jsonBody(s.handleAdminAnnounce)},
		{"POST", "/admin/game/reset", s.handleAdminReset},
		{"POST", "/admin/game/pause", ops["/admin/game/pause"]},
		{"POST", "/admin/game/resume", ops["/admin/game/resume"]},
		{"POST", "/admin/game/freeze", ops["/admin/game/freeze"]},
		{"POST", "/admin/game/unfreeze", ops["/admin/game/unfreeze"]},
		{"POST", "/admin/game/release", ops["/admin/game/release"]},
		{"POST", "/admin/game/clock", ops["/admin/game/clock"]},
		{"GET", "/admin/assets/{name}", s.handleAdminAsset},
		{"GET", "/scorestream", s.handleStream},
		{"GET", "/healthz", s.handleHealth},
		{"GET", "/metrics", s.handleMetrics},
	}
	for _, p := range tokenAuthenticated {
		s.origins.AddInsecureBypassPattern(p)
	}
	allow := map[string][]string{}
	var paths []string
	for _, rt := range table {
		h := rt.h
		if rt.method != "GET" {
			h = s.sameOrigin(h)
		}
		mux.HandleFunc(rt.method+" "+rt.path, h)
		if allow[rt.path] == nil {
			paths = append(paths, rt.path)
		}
		allow[rt.path] = append(allow[rt.path], rt.method)
		if rt.method == "GET" {
			allow[rt.path] = append(allow[rt.path], "HEAD") // ServeMux answers HEAD with GET
		}
	}
	for _, p := range paths {
		// The same path with another method: 405 naming the methods it
		// has (RFC 9110 §15.5.6), not the app's 404.
		mux.HandleFunc(p, s.methodNotAllowed(strings.Join(allow[p], ", ")))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found")
	})
	static := s.cfg.Static
	if static == nil {
		static = http.NotFoundHandler()
	}
	mux.Handle("/", static)
	return s.middleware(mux)
}

// tokenAuthenticated are the POSTs authorized by a token in the request
// (Authorization header, token form field), which a cross-site page
// cannot know: exempt from sameOrigin.
var tokenAuthenticated = []string{"POST /api/award", "POST /admin/reset"}

func (s *Server) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed")
	}
}

func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Stream == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable")
		return
	}
	s.cfg.Stream.ServeHTTP(w, r)
}

// health is the body of /healthz; a struct keeps "status" first.
type health struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// healthReasoner is an unhealthy result that names its reason with a code
// fit for clients (metrics.HealthError).
type healthReasoner interface{ HealthReason() string }

// handleHealth answers probes: 200 while the server can work, else 503
// with a reason code ("database" unless the check names another, e.g.
// "disk_full", "commit_failing"). The error itself is logged, never
// sent: it could hold a file path.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.Health != nil {
		if err := s.cfg.Health(r.Context()); err != nil {
			s.log.WarnContext(r.Context(), "health check failed", "request_id", requestID(r), "err", err)
			reason := "database"
			var hr healthReasoner
			if errors.As(err, &hr) {
				reason = hr.HealthReason()
			}
			writeJSON(w, http.StatusServiceUnavailable, health{"unavailable", reason})
			return
		}
	}
	writeJSON(w, http.StatusOK, health{Status: "ok"})
}

// errMetricsLoopbackOnly refuses /metrics to a remote client when only
// loopback clients may read it.
var errMetricsLoopbackOnly = game.NewError(game.KindForbidden, "metrics_loopback_only")

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Metrics == nil {
		writeError(w, http.StatusNotFound, "not_found")
		return
	}
	if s.cfg.MetricsLoopbackOnly {
		// Behind a local proxy every peer is loopback: the address that
		// counts is the one clientAddr derives (X-Forwarded-For).
		if ip := net.ParseIP(s.clientAddr(r)); ip == nil || !ip.IsLoopback() {
			s.fail(w, r, errMetricsLoopbackOnly)
			return
		}
	}
	s.cfg.Metrics.ServeHTTP(w, r)
}
