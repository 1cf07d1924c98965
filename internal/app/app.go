// Package app assembles a ctfg server from its parts — game directory,
// store, engine, scorestream hub, HTTP API and web app — and runs it until
// its context ends. The serve command and the end-to-end tests both use it,
// so tests exercise exactly what operators run.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/gamefile"
	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/metrics"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/postgres"
	"github.com/ctfg/ctfg/internal/store/sqlite"
	"github.com/ctfg/ctfg/internal/stream"
	"github.com/ctfg/ctfg/internal/version"
	"github.com/ctfg/ctfg/internal/views"
	"github.com/ctfg/ctfg/web"
)

// Defaults of the serve flags.
const (
	DefaultKeepAlive   = 15 * time.Second // --ws-keepalive-interval
	DefaultPingTimeout = 45 * time.Second // --ws-ping-timeout
	DefaultBacklog     = 512              // --ws-backlog (connections)
	ShutdownGrace      = 10 * time.Second // in-flight requests get this long
	maintenanceEvery   = 30 * time.Second // WAL truncation in quiet moments
)

// Config is everything a server needs; the serve command fills it from
// flags and the environment.
type Config struct {
	GameDir         string // game directory
	ChallengesPath  string // "" = GameDir/challenges.json
	DBDir           string // "" = GameDir
	Addr            string // listen address, e.g. ":8080" or "127.0.0.1:0"
	Backlog         int
	WebSocketURL    string
	DevMode         bool
	KeepAlive       time.Duration
	PingTimeout     time.Duration
	LogPingLatency  bool
	AllowedOrigins  []string
	PublicBoard     bool
	TrustProxy      bool
	ObfuscationKey  string
	APIToken        string
	AdminToken      string
	Logger          *slog.Logger
	Now             func() time.Time
	Limits          httpapi.Limits
	OnListen        func(addr net.Addr) // called once listening
	DisableWatching bool                // developer mode without the file watcher (tests)

	// Version is the build's version (version.Info.String; empty: read
	// from the build info), in the start-up log line, on /admin and in
	// ctfg_build_info.
	Version string
	// MetricsAddr, when set, moves GET /metrics off the main port onto a
	// listener of its own (e.g. 127.0.0.1:9090), which also serves
	// /debug/pprof/. Empty: /metrics on the main port, no pprof.
	MetricsAddr string
	// MetricsToken, when set, is the bearer token /metrics (and pprof)
	// require, wherever they are served.
	MetricsToken string
	// MinDiskFree is the free space (bytes) on the database's file system
	// below which /healthz answers 503 disk_full; 0 means
	// metrics.DefaultMinDiskFree (64 MiB), negative turns the check off.
	MinDiskFree int64
	// OnMetricsListen is called once the metrics listener is bound.
	OnMetricsListen func(addr net.Addr)
	// DatabaseURL, a postgres:// or postgresql:// URL, selects the
	// PostgreSQL store shared by several instances; "" = SQLite
	// (events.db in DBDir).
	DatabaseURL string
	// Start and End are the configured competition window (CTFG_START,
	// CTFG_END); zero means none. The admin can override them live.
	Start, End time.Time
	// Freeze, RevealAtEnd, Practice and FirstBloodBonus are passed to
	// the engine as they are (see engine.Config).
	Freeze          time.Time
	RevealAtEnd     bool
	Practice        bool
	FirstBloodBonus []int
	// Scoring is the game-wide dynamic scoring (CTFG_SCORING), given to
	// every challenge without its own at start and on every reload; nil:
	// none.
	Scoring *gamefile.GameScoring
	// Teams plays in teams players make and join (CTFG_TEAM_SIZE, or
	// registration); without it, teams come only from credentials.csv.
	// TeamSize > 0 implies it.
	Teams bool
	// TeamSize caps a team's members (CTFG_TEAM_SIZE); 0: no cap.
	TeamSize int
	// Registration is self-registration (CTFG_REGISTRATION); the zero
	// value is closed (register.go).
	Registration Registration
}

// Server is an assembled ctfg server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	Game     *gamefile.Game
	Store    store.Store // *sqlite.DB, or *postgres.DB with Config.DatabaseURL
	Engine   *engine.Engine
	Hub      *stream.Hub
	API      *httpapi.Server
	Sessions *auth.Sessions
	Tokens   *auth.Tokens
	// Passwords checks logins; its BcryptCompares counts the expensive work.
	Passwords *auth.Passwords
	Metrics   *metrics.Metrics
	http      *http.Server

	// The admin dashboard's sources (admin.go).
	solves  *views.SolveStats
	started time.Time
	version string
}

// New loads the game directory, opens the database and rebuilds the state.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.KeepAlive < 0 {
		cfg.KeepAlive = 0
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = DefaultPingTimeout
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = DefaultBacklog
	}
	g, err := gamefile.Load(cfg.GameDir, cfg.ChallengesPath)
	if err != nil {
		return nil, err
	}
	gamefile.ApplyScoring(g.Challenges, cfg.Scoring)
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, Game: g, Store: db}
	if err := s.assemble(ctx); err != nil {
		if s.Engine != nil {
			s.Engine.Close()
		}
		db.Close()
		return nil, err
	}
	return s, nil
}

// openStore opens the database cfg selects: PostgreSQL for a
// postgres:// URL, otherwise SQLite's events.db in the database directory.
// The URL's password is never logged: only host, port and database.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		if !postgres.IsURL(cfg.DatabaseURL) {
			return nil, errors.New("database URL: only postgres:// and postgresql:// URLs are supported (leave it empty for SQLite in the database directory)")
		}
		cfg.Logger.Info("database: PostgreSQL", "database", postgres.Describe(cfg.DatabaseURL))
		db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{Logger: cfg.Logger, Now: cfg.Now})
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return db, nil
	}
	dbdir := cfg.DBDir
	if dbdir == "" {
		dbdir = cfg.GameDir
	}
	if err := os.MkdirAll(dbdir, 0o750); err != nil {
		return nil, fmt.Errorf("database directory: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dbdir, "events.db"), sqlite.Options{Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	return db, nil
}

// The store's optional gauges: SQLite has files to measure, PostgreSQL
// only a database size.
type (
	sizer     interface{ Size() int64 }
	walSizer  interface{ WALSize() int64 }
	diskFreer interface{ DiskFree() int64 }
)

// storeGauges returns the size, WAL-size and free-space functions the
// store has, nil for those it has not.
func storeGauges(st store.Store) (size, wal, free func() int64) {
	if s, ok := st.(sizer); ok {
		size = s.Size
	}
	if s, ok := st.(walSizer); ok {
		wal = s.WALSize
	}
	if s, ok := st.(diskFreer); ok {
		free = s.DiskFree
	}
	return size, wal, free
}

// The shared store's optional gauges (PostgreSQL).
type (
	headReader  interface{ LogHead() int64 }
	reconnecter interface{ Reconnects() int64 }
	pooler      interface {
		PoolStats() (inUse, open, most int64)
	}
)

// sharedGauges returns the log-head, notification-reconnect and pool
// functions the store has, nil for those it has not.
func sharedGauges(st store.Store) (head, reconnects func() int64, pool func() (int64, int64, int64)) {
	if s, ok := st.(headReader); ok {
		head = s.LogHead
	}
	if s, ok := st.(reconnecter); ok {
		reconnects = s.Reconnects
	}
	if s, ok := st.(pooler); ok {
		pool = s.PoolStats
	}
	return head, reconnects, pool
}

// secretFromStore returns the persistent stream-token secret, creating it
// on first start so tokens survive restarts and are shared by instances:
// of instances starting at once, the first to store its secret wins and
// every one gets that one. (The token epoch is not stored: it is the id
// of the last reset event, folded from the log by Tokens.Apply.)
func secretFromStore(ctx context.Context, db store.Store) ([]byte, error) {
	var b [32]byte
	rand.Read(b[:])
	sec, err := db.SetMetaIfAbsent(ctx, "stream_secret", hex.EncodeToString(b[:]))
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(sec)
	if err != nil || len(key) < 16 {
		return nil, errors.New("stream_secret in the database is damaged")
	}
	return key, nil
}

func (s *Server) assemble(ctx context.Context) error {
	cfg := s.cfg
	key, err := secretFromStore(ctx, s.Store)
	if err != nil {
		return fmt.Errorf("stream secret: %w", err)
	}
	s.started, s.version = cfg.Now(), cfg.Version
	if s.version == "" {
		s.version = version.Get().String()
	}
	s.Tokens = auth.NewTokens(key, 0, cfg.Now)
	s.Sessions = auth.NewSessions(s.Store)
	stored := make([]string, len(s.Game.Users))
	for i, u := range s.Game.Users {
		stored[i] = u.Password
	}
	// Given every account's password, failed logins cost the same whether
	// or not the username exists (see auth.Passwords).
	s.Passwords = auth.NewPasswords(append(stored, cfg.Registration.dummyHashes()...)...)
	dbSize, walSize, diskFree := storeGauges(s.Store)
	logHead, reconnects, poolStats := sharedGauges(s.Store)
	s.Metrics = metrics.New(metrics.Config{
		Version:  s.version,
		DBSize:   dbSize,
		WALSize:  walSize,
		DiskFree: diskFree,
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		// The engine exists once the metrics do; the gauges run at scrape
		// time only.
		FeedPosition:     func() int64 { return s.Engine.Feed().Position() },
		LogHead:          logHead,
		NotifyReconnects: reconnects,
		PoolStats:        poolStats,
	})
	health := metrics.NewHealth(metrics.HealthConfig{Check: s.Store.Ping, DiskFree: diskFree, MinDiskFree: cfg.MinDiskFree})
	ph := game.Placeholders{ObfuscationKey: cfg.ObfuscationKey}
	if c := s.Game.Clusters; c != nil {
		ph.ControlCluster, ph.PlayerClusters = c.Control, c.Players
	}
	eng, err := engine.New(ctx, engine.Config{
		Store:           s.Store,
		Challenges:      s.Game.Challenges,
		Users:           s.Game.Users,
		Placeholders:    ph,
		Logger:          cfg.Logger,
		Now:             cfg.Now,
		Start:           cfg.Start,
		End:             cfg.End,
		Freeze:          cfg.Freeze,
		RevealAtEnd:     cfg.RevealAtEnd,
		Practice:        cfg.Practice,
		FirstBloodBonus: cfg.FirstBloodBonus,
		TeamMode:        cfg.Teams || cfg.TeamSize > 0,
		TeamSize:        cfg.TeamSize,
		OnBatch: func(size int, took time.Duration) {
			s.Metrics.ObserveBatch(size, took)
			health.CommitSucceeded()
		},
		OnCommitError: func(error) { health.CommitFailed() },
		OnDelivered:   s.Metrics.ObserveFeed,
	})
	if err != nil {
		return err
	}
	s.Engine = eng
	st := eng.State()
	users := st.Users()
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	s.solves = views.NewSolveStats(ids...)
	snaps := &snapshotSource{st: st, now: cfg.Now}
	s.Hub = stream.NewHub(stream.Config{
		KeepAlive:      cfg.KeepAlive,
		PingTimeout:    cfg.PingTimeout,
		LogPingLatency: cfg.LogPingLatency,
		Coalesce:       50 * time.Millisecond,
		AllowedOrigins: cfg.AllowedOrigins,
		Metrics:        s.Metrics.StreamMetrics(),
		Logger:         cfg.Logger,
		Now:            cfg.Now,
	}, snaps, s.authenticateStream)
	var connect []string
	if cfg.WebSocketURL != "" {
		connect = append(connect, originOf(cfg.WebSocketURL))
	}
	static, err := web.Handler(web.Options{DevMode: cfg.DevMode, GameDir: cfg.GameDir, ConnectSrc: connect, Logger: cfg.Logger})
	if err != nil {
		return err
	}
	// /metrics on the main port unless it has a listener of its own.
	var metricsHandler http.Handler
	if cfg.MetricsAddr == "" {
		metricsHandler = metrics.RequireToken(cfg.MetricsToken, s.Metrics.Handler())
	}
	// Instances sharing a PostgreSQL database share the guessing budgets
	// too (wrong flags, password and admin token checks): otherwise N
	// instances behind a balancer would give N times the budget. SQLite
	// has one instance, whose own buckets are the whole budget.
	var shared httpapi.SharedLimiter
	if pg, ok := s.Store.(*postgres.DB); ok {
		shared = pg
	}
	s.API = httpapi.New(httpapi.Config{
		Engine:           eng,
		Sessions:         s.Sessions,
		Tokens:           s.Tokens,
		Passwords:        s.Passwords,
		Stream:           s.Hub,
		Static:           static,
		APIToken:         cfg.APIToken,
		AdminToken:       cfg.AdminToken,
		WebSocketURL:     cfg.WebSocketURL,
		PublicScoreboard: cfg.PublicBoard,
		DevMode:          cfg.DevMode,
		TrustProxy:       cfg.TrustProxy,
		AllowedOrigins:   cfg.AllowedOrigins,
		Limits:           cfg.Limits,
		Registration:     s.registration(key),
		Shared:           shared,
		OnRequest:        s.Metrics.ObserveRequest,
		OnLogin:          s.Metrics.Login,
		OnRateLimited:    s.Metrics.RateLimited,
		OnWrongFlag:      func(int64, int, string) { s.Metrics.WrongFlag() },
		Admin:            adminSource{s},
		Health:           health.Check,
		Metrics:          metricsHandler,
		Logger:           cfg.Logger,
		Now:              cfg.Now,

		// Open metrics show failed and admin logins and solve counts:
		// without a token, only loopback clients (Prometheus on the host)
		// may read them.
		MetricsLoopbackOnly: cfg.MetricsToken == "",
	})
	// Every view of the game, in the one order each batch of committed
	// events reaches them (after the game state): whatever changes the
	// game — a solve here or on another instance, a reset — changes them
	// only through this list.
	streamView := stream.NewView(s.Hub, func(id int) *game.Challenge {
		c, _ := st.Catalog().Get(id)
		return c
	}, st.NewGate(), eng.Rules().FirstBloodBonus)
	snaps.wire = streamView
	return eng.Start(ctx,
		s.solves,       // the admin dashboard's tally
		metricsView{s}, // solve and hint counters
		s.Tokens,       // a reset revokes every stream token
		s.Sessions,     // ... and every cached session
		s.API,          // ... and every player's rate limits
		streamView,     // the scorestream, last: views above are current when a frame goes out
	)
}

// authenticateStream accepts a scorestream token whose signature, expiry
// and epoch are good and whose login session still exists: a logout
// revokes the session's tokens. The session check is the sessions cache,
// or one indexed read of the (shared) store after a restart.
func (s *Server) authenticateStream(ctx context.Context, token string) (stream.Viewer, bool) {
	c, ok := s.Tokens.Verify(token)
	if !ok {
		return stream.Viewer{}, false
	}
	if c.Session.IsZero() {
		// Only the public board's anonymous tokens have no session.
		return stream.Viewer{}, c.UserID == 0
	}
	id, err := s.Sessions.UserOf(ctx, c.Session)
	if err != nil || id != c.UserID {
		return stream.Viewer{}, false
	}
	return stream.Viewer{PlayerID: id, Session: string(c.Session[:])}, true
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.API }

// Run serves until ctx ends, then shuts down gracefully: stop accepting,
// close sockets with "going away", finish in-flight requests (bounded),
// flush pending commits, checkpoint the WAL and close the database.
func (s *Server) Run(ctx context.Context) error {
	ln, err := listen(ctx, s.cfg.Addr, s.cfg.Backlog)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.http = &http.Server{
		Handler:           s.API,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	msrv, err := s.serveMetrics()
	if err != nil {
		ln.Close()
		s.close()
		return err
	}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	if db, ok := s.Store.(*sqlite.DB); ok {
		go db.RunMaintenance(bg, maintenanceEvery)
	}
	for _, l := range s.API.Limiters() {
		go l.Run(bg, time.Minute)
	}
	if s.cfg.DevMode && !s.cfg.DisableWatching {
		go s.watchChallenges(bg)
	}
	if s.cfg.RevealAtEnd {
		go s.revealAtEnd(bg, time.Second)
	}
	s.log.Info("listening", "version", s.version, "addr", ln.Addr().String(), "challenges", len(s.Game.Challenges), "players", len(s.Game.Users), "developer_mode", s.cfg.DevMode)
	if s.cfg.OnListen != nil {
		s.cfg.OnListen(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		if msrv != nil {
			msrv.Close()
		}
		s.close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	s.Hub.Shutdown(sctx)
	if err := s.http.Shutdown(sctx); err != nil {
		s.log.Warn("shutdown: in-flight requests cut off", "err", err)
	}
	if msrv != nil {
		if err := msrv.Shutdown(sctx); err != nil {
			msrv.Close() // a long CPU profile, most likely
		}
	}
	<-errc
	s.close()
	s.log.Info("stopped")
	return nil
}

// revealAtEnd unfreezes the board at the end (CTFG_REVEAL=end): every
// read already shows the true board from the end on, and the unfreeze
// event it appends sends it to every open browser and makes every
// instance fold the same. Several instances may each append one; the
// second changes nothing.
func (s *Server) revealAtEnd(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := s.Engine.State()
		if !st.Latched() || st.Clock().State(s.cfg.Now()) != game.ClockEnded {
			continue
		}
		if _, err := s.Engine.Unfreeze(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reveal at the end", "err", err)
			continue
		}
		s.log.Info("scoreboard revealed at the end")
	}
}

// serveMetrics starts the private metrics listener (/metrics and pprof)
// when MetricsAddr is set; it returns nil without one.
func (s *Server) serveMetrics() (*http.Server, error) {
	if s.cfg.MetricsAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener on %s: %w", s.cfg.MetricsAddr, err)
	}
	srv := &http.Server{
		Handler:           s.Metrics.PrivateHandler(s.cfg.MetricsToken),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.log.Info("metrics listening", "addr", ln.Addr().String(), "token", s.cfg.MetricsToken != "")
	if s.cfg.OnMetricsListen != nil {
		s.cfg.OnMetricsListen(ln.Addr())
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics listener stopped", "err", err)
		}
	}()
	return srv, nil
}

func (s *Server) close() {
	// The HTTP server has stopped: no request can come in any more. The
	// engine finishes the queued ones and writes the submission log's
	// queue while the store is still open.
	s.Engine.Close()
	if err := s.Store.Checkpoint(context.Background()); err != nil {
		s.log.Warn("final checkpoint", "err", err)
	}
	if err := s.Store.Close(); err != nil {
		s.log.Error("close database", "err", err)
	}
}

// Close releases a server that was never run.
func (s *Server) Close() { s.close() }
