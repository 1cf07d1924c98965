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
	// Limits are the rate limits; zero fields take the defaults.
	Limits Limits
	// OnError, when set, also receives every internal error (Sentry).
	OnError func(r *http.Request, err error)
	// OnWrongFlag, when set, receives every incorrect guess (for the
	// dispute log). It must not block and must never log the guess.
	OnWrongFlag func(player int64, challenge int, guess string)
	// OnLogout, when set, is told the key of every session that logged
	// out, to close the scorestream sockets opened with its tokens.
	OnLogout func(session auth.SessionKey)
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
}

// Limit is one token bucket shape.
type Limit struct {
	Burst float64
	Every time.Duration
}

// DefaultLimits are SPEC §6's limits. Submissions are charged only for
// wrong guesses; logins only for failures, so a room behind one NAT logs
// in freely.
var DefaultLimits = Limits{
	Submit:    Limit{10, 2 * time.Second},
	Hint:      Limit{20, time.Second},
	SetName:   Limit{100, 100 * time.Millisecond},
	Award:     Limit{100, 100 * time.Millisecond},
	LoginUser: Limit{10, 6 * time.Second},
	LoginAddr: Limit{60, time.Second},
	Admin:     Limit{10, 6 * time.Second},
	Request:   Limit{200, 10 * time.Millisecond},
}

func (l *Limits) fill() {
	d := DefaultLimits
	for _, p := range []struct{ dst, def *Limit }{
		{&l.Submit, &d.Submit}, {&l.Hint, &d.Hint}, {&l.SetName, &d.SetName},
		{&l.Award, &d.Award}, {&l.LoginUser, &d.LoginUser}, {&l.LoginAddr, &d.LoginAddr},
		{&l.Admin, &d.Admin}, {&l.Request, &d.Request},
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
}

type limiters struct {
	submit, hint, setName, award, loginUser, loginAddr, admin, request *ratelimit.Limiter
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
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	l := cfg.Limits
	s.limits = limiters{
		submit: newLimiter(l.Submit, cfg.Now), hint: newLimiter(l.Hint, cfg.Now),
		setName: newLimiter(l.SetName, cfg.Now), award: newLimiter(l.Award, cfg.Now),
		loginUser: newLimiter(l.LoginUser, cfg.Now), loginAddr: newLimiter(l.LoginAddr, cfg.Now),
		admin: newLimiter(l.Admin, cfg.Now), request: newLimiter(l.Request, cfg.Now),
	}
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

// Limiters returns every limiter so the server can sweep idle buckets.
func (s *Server) Limiters() []*ratelimit.Limiter {
	return []*ratelimit.Limiter{s.limits.submit, s.limits.hint, s.limits.setName, s.limits.award, s.limits.loginUser, s.limits.loginAddr, s.limits.admin, s.limits.request}
}

// route is one API endpoint.
type route struct {
	method, path string
	h            http.HandlerFunc
}

// routes lists every endpoint in one place.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	table := []route{
		{"POST", "/api/login", s.handleLogin},
		{"POST", "/api/logout", s.authed(s.handleLogout)},
		{"GET", "/api/me", s.handleMe},
		{"POST", "/api/set-name", s.authed(s.handleSetName)},
		{"GET", "/api/challenges", s.authed(s.handleChallenges)},
		{"POST", "/api/submit", s.authed(s.handleSubmit)},
		{"POST", "/api/hint", s.authed(s.handleHint)},
		{"POST", "/api/award", s.handleAward},
		{"GET", "/api/scoreboard", s.handleScoreboard},
		{"GET", "/api/board", s.handleBoard},
		{"GET", "/reset", s.handleResetPage},
		{"POST", "/admin/reset", s.handleReset},
		{"GET", "/admin", s.handleAdmin},
		{"POST", "/admin/login", s.handleAdminLogin},
		{"POST", "/admin/logout", s.handleAdminLogout},
		{"GET", "/admin/api/stats", s.handleAdminStats},
		{"POST", "/admin/game/reset", s.handleAdminReset},
		{"GET", "/admin/assets/{name}", s.handleAdminAsset},
		{"GET", "/scorestream", s.handleStream},
		{"GET", "/healthz", s.handleHealth},
		{"GET", "/metrics", s.handleMetrics},
	}
	for _, rt := range table {
		mux.HandleFunc(rt.method+" "+rt.path, rt.h)
		// The same path with another method: 405, not the app's 404.
		mux.HandleFunc(rt.path, s.methodNotAllowed)
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

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed")
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
