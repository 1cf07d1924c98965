package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/gamefile"
	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/metrics"
	"github.com/ctfg/ctfg/internal/version"
)

const serveUsage = `Usage: ctfg [serve] [flags] [challenges.json]

Serves the game in the game directory (the working directory, or --game)
until SIGTERM or Ctrl-C. Solves and hints are accepted from --start to
--end (each optional; the admin can change both, and pause, live).

Flags of the old engine:
  -p, --port N                    HTTP port, also for the WebSocket (default 8080)
  -b, --dbdir DIR                 directory of events.db (default: the game directory;
                                  also --db-dir)
  -w, --websocket-url URL         public scorestream URL handed to browsers (TLS proxies)
  -d, --developer-mode            reload challenges.json on change, no static caching, detailed errors
  -k, --ws-keepalive-interval S   seconds between server pings; 0 disables (default 15)
  -t, --ws-ping-timeout S         seconds without a pong before a client is dropped (default 45)
  -g, --ws-backlog N              listen backlog, capped by net.core.somaxconn (default 512)
  -L, --ws-log-ping-latency       log ping-to-pong latency
  -s, --slynk-port N              accepted and ignored (old Lisp REPL)

Other flags:
  --game DIR                      game directory (default .)
  --addr HOST:PORT                listen address; overrides --port (e.g. 127.0.0.1:0)
  --start TIME                    start of the game, RFC 3339 with a zone, e.g.
                                  2025-06-01T09:00:00+02:00 (env CTFG_START; default none:
                                  open at once)
  --end TIME                      end of the game, as --start (env CTFG_END; default none:
                                  open until the server stops)
  --freeze TIME                   freeze the scoreboard from TIME, between --start and --end
                                  (env CTFG_FREEZE; default none): others' progress is hidden
                                  until the reveal; each player still sees their own
  --reveal end|admin              who unfreezes the scoreboard: "end" does it by itself at the
                                  end, "admin" leaves it to the admin (env CTFG_REVEAL;
                                  default admin)
  --practice                      keep checking flags after the end, never scored
                                  (env CTFG_PRACTICE=1; --practice=false overrides it)
  --first-blood-bonus LIST        bonus in percent of the value for the first, second and
                                  third solver of a challenge, e.g. 5,3,1 (env
                                  CTFG_FIRST_BLOOD_BONUS; default none)
  --scoring SPEC                  dynamic scoring of every challenge without its own
                                  "scoring": FUNCTION:minimum=N,decay=N, FUNCTION linear,
                                  logarithmic or rctf, minimum in points or N% of the points,
                                  e.g. logarithmic:minimum=20%,decay=30 (env CTFG_SCORING;
                                  default static)
  --team-size N                   play in teams that players make and join (POST /api/teams),
                                  at most N members each; 0: players make no teams (env
                                  CTFG_TEAM_SIZE; default: teams of any size when registration
                                  is open or invite, else only from credentials.csv's team column)
  --registration MODE             closed, open or invite: who may create an account besides the
                                  players of credentials.csv; invite needs CTFG_REGISTRATION_CODE
                                  (env CTFG_REGISTRATION; default closed)
  --registration-pow-bits N       proof of work of each registration, in bits: 2^N hashes in the
                                  browser on average, 0 to 28 (env CTFG_REGISTRATION_POW_BITS;
                                  default 16)
  --database URL                  postgres://USER:PASSWORD@HOST:PORT/DB: keep the game in
                                  PostgreSQL, shared by several instances, instead of
                                  events.db in --dbdir (env CTFG_DATABASE_URL)
  --port-file FILE                write the bound host:port to FILE once listening
  --public-scoreboard             anyone may read the scoreboard and /board without logging in
  --allowed-origins LIST          comma-separated Origins allowed on the scorestream (default any)
                                  and trusted, besides the server's own, to send players' POSTs
  --trust-proxy                   take client addresses and scheme from X-Forwarded-* headers
  --obfuscation-key KEY           key of @OBFUSCATED_DISPLAYNAME@ (env CTFG_OBFUSCATION_KEY)
  --metrics-addr HOST:PORT        serve /metrics and /debug/pprof/ on this address only, not on
                                  the main port (e.g. 127.0.0.1:9090). Without it /metrics is on
                                  the main port and pprof is off
  --metrics-token TOKEN           /metrics (and pprof) need "Authorization: Bearer TOKEN"
                                  (env CTFG_METRICS_TOKEN). Without a token, /metrics on the
                                  main port answers loopback clients only (with --trust-proxy:
                                  by X-Forwarded-For); /healthz is open to anyone
  --min-disk-free MIB             /healthz answers 503 disk_full while the database's file system
                                  has less free space (default 64); 0 turns the check off
  --log-format text|json          log format (default text)
  --log-level LEVEL               debug, info, warn or error (default info)
  --version                       print the version

Environment (also read from GAME_DIR/.env; real environment variables win):
  CTFG_API_TOKEN    token for POST /api/award
  CTFG_ADMIN_TOKEN  token of the admin dashboard (/admin) and reset
  CTFG_METRICS_TOKEN  token for /metrics (see --metrics-token)
  CTFG_DATABASE_URL   PostgreSQL database URL (see --database)
  CTFG_START, CTFG_END  start and end of the game (see --start, --end)
  CTFG_FREEZE, CTFG_REVEAL  scoreboard freeze and who reveals it (see --freeze, --reveal)
  CTFG_PRACTICE     1: practice after the end (see --practice)
  CTFG_FIRST_BLOOD_BONUS  first-blood bonus percents (see --first-blood-bonus)
  CTFG_SCORING      game-wide dynamic scoring (see --scoring)
  CTFG_TEAM_SIZE    teams players make, and their size (see --team-size)
  CTFG_REGISTRATION, CTFG_REGISTRATION_POW_BITS  self-registration (see --registration)
  CTFG_REGISTRATION_CODE  the code players enter to register in invite mode
  SENTRY_DSN        report internal errors to Sentry
  SENTRY_ENVIRONMENT  environment name attached to Sentry reports
`

// serveFlags are the parsed serve flags.
type serveFlags struct {
	port, backlog, slynk        int
	dbdir, wsURL, game, addr    string
	portFile, origins, obfKey   string
	logFormat, logLevel         string
	dev, logPing, public, proxy bool
	keepalive, pingTimeout      float64

	metricsAddr, metricsToken string
	database                  string
	minDiskFreeMiB            int64
	start, end, freeze        string
	play                      playFlags
}

// newServeFlagSet defines serve's flags on f; -h and --help set help.
// Its usage is serveUsage, printed by parseServeFlags.
func newServeFlagSet(f *serveFlags, help *bool) *flag.FlagSet {
	fs := flag.NewFlagSet("ctfg", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	both := func(short, long string, fn func(name string)) { fn(short); fn(long) }
	both("p", "port", func(n string) { fs.IntVar(&f.port, n, 8080, "") })
	both("b", "dbdir", func(n string) { fs.StringVar(&f.dbdir, n, "", "") })
	// --db-dir too, as export and backup take it: one spelling works everywhere.
	fs.StringVar(&f.dbdir, "db-dir", "", "")
	both("w", "websocket-url", func(n string) { fs.StringVar(&f.wsURL, n, "", "") })
	both("d", "developer-mode", func(n string) { fs.BoolVar(&f.dev, n, false, "") })
	both("k", "ws-keepalive-interval", func(n string) { fs.Float64Var(&f.keepalive, n, app.DefaultKeepAlive.Seconds(), "") })
	both("t", "ws-ping-timeout", func(n string) { fs.Float64Var(&f.pingTimeout, n, app.DefaultPingTimeout.Seconds(), "") })
	both("g", "ws-backlog", func(n string) { fs.IntVar(&f.backlog, n, app.DefaultBacklog, "") })
	both("L", "ws-log-ping-latency", func(n string) { fs.BoolVar(&f.logPing, n, false, "") })
	both("s", "slynk-port", func(n string) { fs.IntVar(&f.slynk, n, 0, "") })
	fs.StringVar(&f.game, "game", ".", "")
	fs.StringVar(&f.addr, "addr", "", "")
	fs.StringVar(&f.portFile, "port-file", "", "")
	fs.BoolVar(&f.public, "public-scoreboard", false, "")
	fs.StringVar(&f.origins, "allowed-origins", "", "")
	fs.BoolVar(&f.proxy, "trust-proxy", false, "")
	fs.StringVar(&f.obfKey, "obfuscation-key", "", "")
	fs.StringVar(&f.logFormat, "log-format", "text", "")
	fs.StringVar(&f.logLevel, "log-level", "info", "")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "")
	fs.StringVar(&f.metricsToken, "metrics-token", "", "")
	fs.StringVar(&f.database, "database", "", "")
	fs.StringVar(&f.start, "start", "", "")
	fs.StringVar(&f.end, "end", "", "")
	fs.StringVar(&f.freeze, "freeze", "", "")
	fs.StringVar(&f.play.reveal, "reveal", "", "")
	fs.Var(&f.play.practice, "practice", "")
	fs.StringVar(&f.play.firstBlood, "first-blood-bonus", "", "")
	fs.StringVar(&f.play.scoring, "scoring", "", "")
	fs.StringVar(&f.play.teamSize, "team-size", "", "")
	fs.StringVar(&f.play.registration, "registration", "", "")
	fs.StringVar(&f.play.powBits, "registration-pow-bits", "", "")
	fs.Int64Var(&f.minDiskFreeMiB, "min-disk-free", metrics.DefaultMinDiskFree>>20, "")
	fs.BoolVar(help, "h", false, "")
	fs.BoolVar(help, "help", false, "")
	return fs
}

func parseServeFlags(stdio IO, args []string) (*serveFlags, []string, error) {
	f := &serveFlags{}
	help := false
	fs := newServeFlagSet(f, &help)
	// Flags may come before or after the positional challenges.json.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			fmt.Fprintf(stdio.Err, "ctfg: %v\n\n%s\n%s\n", err, serveUsage, helpHint)
			return nil, nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if help {
		// Bare ctfg serves, so its help is the overview of every command.
		fmt.Fprint(stdio.Out, overview())
		return nil, nil, flag.ErrHelp
	}
	if len(pos) > 1 {
		fmt.Fprintf(stdio.Err, "ctfg: one challenges.json at most, got %q\n", pos)
		return nil, nil, errUsage
	}
	return f, pos, nil
}

// newLogger builds the process logger on w.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

func runServe(ctx context.Context, stdio IO, args []string) error {
	f, pos, err := parseServeFlags(stdio, args)
	if err != nil {
		return err
	}
	log, err := newLogger(stdio.Err, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	if f.slynk != 0 {
		log.Warn("--slynk-port is ignored: ctfg has no Lisp REPL")
	}
	challenges := ""
	if len(pos) == 1 {
		challenges = pos[0]
	}
	env := map[string]string{}
	if envPath := filepath.Join(f.game, ".env"); fileExists(envPath) {
		if env, err = gamefile.LoadEnv(envPath); err != nil {
			return err
		}
	}
	getenv := func(key string) string {
		if v, ok := os.LookupEnv(key); ok {
			return v
		}
		return env[key]
	}
	if dsn := getenv("SENTRY_DSN"); dsn != "" {
		reporting, flush, err := withSentry(log, dsn, getenv("SENTRY_ENVIRONMENT"))
		if err != nil {
			return err
		}
		defer flush()
		log = reporting
		log.Info("reporting internal errors to Sentry")
	}
	addr := f.addr
	if addr == "" {
		addr = ":" + strconv.Itoa(f.port)
	}
	if n := app.Somaxconn(); n > 0 && n < f.backlog {
		log.Warn("listen backlog capped by the kernel; raise it with sysctl -w net.core.somaxconn=N", "requested", f.backlog, "somaxconn", n)
	}
	var origins []string
	for _, o := range strings.Split(f.origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	obf := f.obfKey
	if obf == "" {
		obf = getenv("CTFG_OBFUSCATION_KEY")
	}
	if f.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(f.metricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr: %q is not HOST:PORT", f.metricsAddr)
		}
	}
	metricsToken := f.metricsToken
	if metricsToken == "" {
		metricsToken = getenv("CTFG_METRICS_TOKEN")
	}
	if f.minDiskFreeMiB < 0 {
		return fmt.Errorf("--min-disk-free: %d is negative (0 turns the check off)", f.minDiskFreeMiB)
	}
	minDiskFree := f.minDiskFreeMiB << 20
	if minDiskFree == 0 {
		minDiskFree = -1 // off
	}
	database := f.database
	if database == "" {
		database = getenv("CTFG_DATABASE_URL")
	}
	if database != "" && f.dbdir != "" {
		log.Warn("--dbdir is ignored: the game is kept in the PostgreSQL database")
	}
	clock, err := resolveClock(getenv, f.start, f.end, f.freeze)
	if err != nil {
		return err
	}
	play, err := resolvePlay(getenv, f.play)
	if err != nil {
		return err
	}
	if !clock.Freeze.At.IsZero() || play.RevealAtEnd || play.Practice || play.FirstBlood != nil || play.Scoring != nil {
		freeze, scoring := "none", "static"
		if !clock.Freeze.At.IsZero() {
			freeze = game.FormatTime(clock.Freeze.At)
		}
		if play.Scoring != nil {
			scoring = play.Scoring.String()
		}
		log.Info("rules of play", "freeze", freeze, "reveal_at_end", play.RevealAtEnd, "practice", play.Practice,
			"first_blood_bonus", play.FirstBlood, "scoring", scoring)
	}
	cfg := app.Config{
		Start:           clock.Start.At,
		End:             clock.End.At,
		Freeze:          clock.Freeze.At,
		RevealAtEnd:     play.RevealAtEnd,
		Practice:        play.Practice,
		FirstBloodBonus: play.FirstBlood,
		Scoring:         play.Scoring,
		Teams:           play.Teams,
		TeamSize:        play.TeamSize,
		Registration:    play.Registration.appConfig(),
		DatabaseURL:     database,
		GameDir:         f.game,
		ChallengesPath:  challenges,
		DBDir:           f.dbdir,
		Addr:            addr,
		Backlog:         f.backlog,
		WebSocketURL:    f.wsURL,
		DevMode:         f.dev,
		KeepAlive:       seconds(f.keepalive),
		PingTimeout:     seconds(f.pingTimeout),
		LogPingLatency:  f.logPing,
		AllowedOrigins:  origins,
		PublicBoard:     f.public,
		TrustProxy:      f.proxy,
		ObfuscationKey:  obf,
		APIToken:        getenv("CTFG_API_TOKEN"),
		AdminToken:      getenv("CTFG_ADMIN_TOKEN"),
		Logger:          log,
		Version:         version.Get().String(),
		MetricsAddr:     f.metricsAddr,
		MetricsToken:    metricsToken,
		MinDiskFree:     minDiskFree,
		OnListen: func(a net.Addr) {
			if f.portFile != "" {
				if err := writeFileAtomic(f.portFile, a.String()+"\n"); err != nil {
					log.Error("write --port-file", "err", err)
				}
			}
		},
	}
	if r := play.Registration; r.Mode != httpapi.RegistrationClosed {
		log.Info("self-registration", "mode", r.Mode, "pow_bits", r.PoWBits)
	}
	srv, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.APIToken == "" {
		log.Warn("CTFG_API_TOKEN is not set: POST /api/award refuses every request")
	}
	if cfg.AdminToken == "" {
		log.Warn("CTFG_ADMIN_TOKEN is not set: the admin dashboard and reset are disabled")
	}
	if cfg.MetricsAddr == "" && cfg.MetricsToken == "" {
		log.Info("/metrics on the main port answers loopback clients only; set CTFG_METRICS_TOKEN to scrape it from elsewhere, or use --metrics-addr",
			"trust_proxy", cfg.TrustProxy)
	}
	return srv.Run(ctx)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// writeFileAtomic writes data so that readers never see a partial file.
func writeFileAtomic(path, data string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
