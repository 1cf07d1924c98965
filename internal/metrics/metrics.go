// Package metrics owns ctfg's Prometheus registry: it defines every
// ctfg_ metric, hands the other packages small hook functions that feed
// them (requests, commits, logins, rate limits, the scorestream) and
// serves the registry in the Prometheus text format. It keeps its own
// registry, never the client library's global one, so two servers in one
// process (tests) do not share counters.
package metrics

import (
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/stream"
)

// Namespace prefixes every ctfg metric name.
const Namespace = "ctfg"

// Bounds on label values. Route patterns, methods and status codes come
// from the server's own routing table, but a label value that an outsider
// can choose would let anyone grow the registry without bound; these caps
// make sure that never happens even if a caller passes raw input.
const (
	// maxSeries is how many (route, method, status) combinations get their
	// own series; later new ones are counted under route "other".
	maxSeries = 512
	// otherLabel replaces a label value outside the known set.
	otherLabel = "other"
	// scrapeTimeout bounds one /metrics answer (seconds of gathering).
	scrapeTimeout = 10 * time.Second
	// maxScrapes is how many /metrics requests gather at once; more get 503.
	maxScrapes = 4
)

// Histogram buckets, in seconds unless said otherwise.
var (
	// requestBuckets spans a cached static file (sub-millisecond) to a
	// request stuck behind a slow commit.
	requestBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	// commitBuckets: one fsync is a few milliseconds on a disk, more on a
	// busy or network one.
	commitBuckets = []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5}
	// feedLagBuckets: same process is ~1 ms, another instance a few ms,
	// a lost notification up to the 1 s poll.
	feedLagBuckets = []float64{.001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2, 5}
	// batchBuckets are events per group commit (engine.DefaultMaxBatch is
	// 256).
	batchBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}
	// broadcastBuckets: fan-out to thousands of sockets takes tens of
	// milliseconds; a slow client is dropped after its write timeout.
	broadcastBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

// knownMethods are the HTTP methods that keep their name in labels; any
// other method (a client can send anything) is counted as "OTHER".
var knownMethods = map[string]string{
	"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "PUT", "PATCH": "PATCH",
	"DELETE": "DELETE", "OPTIONS": "OPTIONS", "CONNECT": "CONNECT", "TRACE": "TRACE",
}

// dropReasons are the scorestream's disconnect reasons, created up front
// so every reason shows (as 0) from the first scrape. Any other reason
// (none exists) would count under "other".
var dropReasons = []string{
	stream.ReasonClosed, stream.ReasonOverflow, stream.ReasonWriteError,
	stream.ReasonPingTimeout, stream.ReasonTooBig, stream.ReasonReset, stream.ReasonLogout, stream.ReasonShutdown,
}

// Limiter names passed to RateLimited by the HTTP API. They are created up
// front; an unknown name (none exists: TestLimiterNamesAreKnown) would be
// counted under "other".
var limiterNames = []string{"submit", "hint", "set_name", "award", "login_user", "login_addr", "admin", "request"}

// LimiterNames returns the limiter label values of
// ctfg_rate_limited_total, and DisconnectReasons the reason label values
// of ctfg_stream_disconnects_total, as docs/OPERATIONS.md lists them.
func LimiterNames() []string { return slices.Clone(limiterNames) }

// DisconnectReasons: see LimiterNames.
func DisconnectReasons() []string { return slices.Clone(dropReasons) }

// Config configures the metrics.
type Config struct {
	// Version is the build's version, exported in ctfg_build_info.
	Version string
	// Now is the clock of ctfg_start_time_seconds and ctfg_uptime_seconds;
	// nil means time.Now.
	Now func() time.Time
	// DBSize and WALSize return the database's and its write-ahead log's
	// size in bytes; they run at scrape time. Nil leaves the gauge out.
	DBSize, WALSize func() int64
	// DiskFree returns the bytes free on the database's file system (-1
	// when unknown); it runs at scrape time. Nil leaves the gauge out.
	DiskFree func() int64
	// ErrorLog receives errors of gathering and serving metrics; nil drops
	// them.
	ErrorLog promhttp.Logger
	// FeedPosition returns the id of the last event this instance's views
	// have folded; LogHead, when set, the highest id the database has
	// announced (a shared database), so their difference is how many
	// events this instance is behind. Nil leaves the gauges out.
	FeedPosition, LogHead func() int64
	// NotifyReconnects returns how often the shared database's
	// notification connection was made again after a loss; nil: no gauge.
	NotifyReconnects func() int64
	// PoolStats returns the database pool's connections in use, open and
	// allowed; nil: no gauges (SQLite).
	PoolStats func() (inUse, open, most int64)
}

// Metrics is ctfg's registry and the collectors in it. Its methods are
// safe for concurrent use and cheap enough for every request.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	series    atomic.Pointer[map[requestKey]requestSeries]
	seriesMu  sync.Mutex // serializes additions to series
	solves    prometheus.Counter
	hints     prometheus.Counter
	wrong     prometheus.Counter
	loginOK   prometheus.Counter
	loginFail prometheus.Counter
	limited   map[string]prometheus.Counter
	// limitedVec and dropsVec make the "other" series on first use only:
	// a name outside LimiterNames or DisconnectReasons is a bug, and a
	// series that always shows 0 would document a label that never occurs.
	limitedVec *prometheus.CounterVec

	clients   prometheus.Gauge
	drops     map[string]prometheus.Counter
	dropsVec  *prometheus.CounterVec
	broadcast prometheus.Histogram

	commit prometheus.Histogram
	batch  prometheus.Histogram

	feedLag prometheus.Histogram
}

type requestKey struct {
	route, method string
	status        int
}

// requestSeries are the children of one label combination, looked up once
// and then reused: WithLabelValues hashes its labels on every call.
type requestSeries struct {
	count   prometheus.Counter
	latency prometheus.Observer // nil for upgrades (101)
}

// New builds the registry with the Go runtime and process collectors and
// every ctfg_ metric.
func New(cfg Config) *Metrics {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	start := cfg.Now()
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg}
	f := factory{reg}

	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	version := cfg.Version
	if version == "" {
		version = "unknown"
	}
	f.gaugeFunc("build_info", "Always 1; the labels say which build runs.",
		prometheus.Labels{"version": version, "goversion": runtime.Version()}, func() float64 { return 1 })
	f.gaugeFunc("start_time_seconds", "When this server process started, in Unix seconds.", nil,
		func() float64 { return float64(start.UnixNano()) / 1e9 })
	f.gaugeFunc("uptime_seconds", "Seconds since this server process started.", nil,
		func() float64 { return cfg.Now().Sub(start).Seconds() })

	m.requests = f.counterVec("http_requests_total",
		"HTTP requests answered, by route pattern (never the raw path: a 405 counts under the route's path alone, every web-app file under \"/\", a request no route matched under \"unmatched\"), method and status code.",
		"route", "method", "code")
	m.latency = f.histogramVec("http_request_duration_seconds",
		"Time to answer an HTTP request, by route pattern and status code. Scorestream upgrades (101) are left out: their duration is the socket's lifetime.",
		requestBuckets, "route", "code")
	empty := map[requestKey]requestSeries{}
	m.series.Store(&empty)

	m.solves = f.counter("solves_total", "Solves committed to the event log (correct flags and awards).")
	m.hints = f.counter("hint_purchases_total", "Hint purchases committed to the event log.")
	m.wrong = f.counter("wrong_submissions_total", "Flag submissions that were wrong.")
	logins := f.counterVec("logins_total", "Login attempts with a username and password, by result: ok, or failed (wrong username or password).", "result")
	m.loginOK, m.loginFail = logins.WithLabelValues("ok"), logins.WithLabelValues("failed")
	limited := f.counterVec("rate_limited_total", "Requests refused with 429 Too Many Requests, by the rate limiter that refused them.", "limiter")
	m.limited = make(map[string]prometheus.Counter, len(limiterNames))
	for _, n := range limiterNames {
		m.limited[n] = limited.WithLabelValues(n)
	}
	m.limitedVec = limited

	m.clients = f.gauge("stream_clients", "Scorestream sockets connected now.")
	drops := f.counterVec("stream_disconnects_total",
		"Scorestream sockets that went away, by reason: closed (by the client), overflow (too slow: its queue filled), write_error, ping_timeout, too_big, reset (admin reset), shutdown.",
		"reason")
	m.drops = make(map[string]prometheus.Counter, len(dropReasons))
	for _, r := range dropReasons {
		m.drops[r] = drops.WithLabelValues(r)
	}
	m.dropsVec = drops
	m.broadcast = f.histogram("stream_broadcast_duration_seconds",
		"Time from a scorestream frame's fan-out until every connected socket has written it (or was dropped).", broadcastBuckets)

	m.commit = f.histogram("db_commit_duration_seconds",
		"Time of one group commit to the database: the transaction and its fsync.", commitBuckets)
	m.batch = f.histogram("db_commit_batch_size",
		"Events written per group commit.", batchBuckets)
	if cfg.DBSize != nil {
		f.gaugeFunc("db_size_bytes", "Size of the database file in bytes, measured at scrape time.", nil,
			func() float64 { return float64(cfg.DBSize()) })
	}
	if cfg.WALSize != nil {
		f.gaugeFunc("db_wal_size_bytes", "Size of the database's write-ahead log in bytes, measured at scrape time.", nil,
			func() float64 { return float64(cfg.WALSize()) })
	}

	if cfg.DiskFree != nil {
		f.gaugeFunc("db_disk_free_bytes", "Bytes free on the file system holding the database, measured at scrape time; at zero every commit fails.", nil,
			func() float64 { return float64(cfg.DiskFree()) })
	}

	m.feedLag = f.histogram("feed_lag_seconds",
		"Time from an event's commit (its timestamp, on whichever instance) until this instance's views had folded it; per delivered chunk.", feedLagBuckets)
	if cfg.FeedPosition != nil {
		f.gaugeFunc("feed_position", "Id of the last event this instance's views have folded.", nil,
			func() float64 { return float64(cfg.FeedPosition()) })
		if cfg.LogHead != nil {
			f.gaugeFunc("feed_events_behind", "Events the shared database has announced that this instance has not folded yet.", nil,
				func() float64 { return float64(max(0, cfg.LogHead()-cfg.FeedPosition())) })
		}
	}
	if cfg.NotifyReconnects != nil {
		f.gaugeFunc("db_notify_reconnects", "Times the shared database's notification (LISTEN) connection was made again after a loss; the feed catches up by query each time.", nil,
			func() float64 { return float64(cfg.NotifyReconnects()) })
	}
	if cfg.PoolStats != nil {
		pool := func(pick func(a, b, c int64) int64) func() float64 {
			return func() float64 { a, b, c := cfg.PoolStats(); return float64(pick(a, b, c)) }
		}
		f.gaugeFunc("db_pool_connections_in_use", "Database pool connections in use now.", nil, pool(func(a, _, _ int64) int64 { return a }))
		f.gaugeFunc("db_pool_connections_open", "Database pool connections open now.", nil, pool(func(_, b, _ int64) int64 { return b }))
		f.gaugeFunc("db_pool_connections_max", "Database pool connections allowed (pool_max_conns).", nil, pool(func(_, _, c int64) int64 { return c }))
	}

	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            cfg.ErrorLog,
		Registry:            reg,
		MaxRequestsInFlight: maxScrapes,
		Timeout:             scrapeTimeout,
	})
	return m
}

// factory creates ctfg_ metrics and registers them.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) gaugeFunc(name, help string, labels prometheus.Labels, fn func() float64) {
	f.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help, ConstLabels: labels}, fn))
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format. It
// checks no credentials: wrap it with RequireToken, or serve it on a
// private listener.
func (m *Metrics) Handler() http.Handler { return m.handler }

// ObserveRequest counts one answered HTTP request; it has the signature of
// httpapi.Config.OnRequest. route must be a route pattern, never a raw
// path. After the first request of a combination it allocates nothing.
func (m *Metrics) ObserveRequest(route, method string, status int, took time.Duration) {
	if mm, ok := knownMethods[method]; ok {
		method = mm
	} else {
		method = "OTHER"
	}
	k := requestKey{route, method, status}
	s, ok := (*m.series.Load())[k]
	if !ok {
		s = m.addSeries(k)
	}
	s.count.Inc()
	if s.latency != nil {
		s.latency.Observe(took.Seconds())
	}
}

// addSeries looks up the children of a new label combination and
// publishes a copy of the series map that includes them. Copying is fine:
// the set of combinations is small and stops growing after warm-up.
func (m *Metrics) addSeries(k requestKey) requestSeries {
	m.seriesMu.Lock()
	defer m.seriesMu.Unlock()
	cur := *m.series.Load()
	if s, ok := cur[k]; ok {
		return s
	}
	if len(cur) >= maxSeries {
		k.route = otherLabel
		if s, ok := cur[k]; ok {
			return s
		}
	}
	code := strconv.Itoa(k.status)
	s := requestSeries{count: m.requests.WithLabelValues(k.route, k.method, code)}
	if k.status != http.StatusSwitchingProtocols {
		s.latency = m.latency.WithLabelValues(k.route, code)
	}
	next := make(map[requestKey]requestSeries, len(cur)+1)
	for kk, v := range cur {
		next[kk] = v
	}
	next[k] = s
	m.series.Store(&next)
	return s
}

// ObserveEvents counts the solves and hint purchases in a committed batch;
// call it from engine.Config.OnCommit. Counting committed events, not
// answered requests, means a solve is counted once even if its client hung
// up, and never if the commit failed.
func (m *Metrics) ObserveEvents(evs []game.Event) {
	for i := range evs {
		switch evs[i].Type {
		case game.EventScore:
			m.solves.Inc()
		case game.EventHint:
			m.hints.Inc()
		}
	}
}

// ObserveBatch records one group commit; it has the signature of
// engine.Config.OnBatch.
func (m *Metrics) ObserveBatch(size int, took time.Duration) {
	m.batch.Observe(float64(size))
	m.commit.Observe(took.Seconds())
}

// ObserveFeed records one chunk of events reaching this instance's views
// and how long after its commit; it has the signature of
// engine.Config.OnDelivered.
func (m *Metrics) ObserveFeed(events int, lag time.Duration) { m.feedLag.Observe(lag.Seconds()) }

// WrongFlag counts one wrong submission.
func (m *Metrics) WrongFlag() { m.wrong.Inc() }

// Login counts one login attempt; it has the signature of
// httpapi.Config.OnLogin.
func (m *Metrics) Login(ok bool) {
	if ok {
		m.loginOK.Inc()
	} else {
		m.loginFail.Inc()
	}
}

// RateLimited counts one 429 by the limiter that refused it; it has the
// signature of httpapi.Config.OnRateLimited.
func (m *Metrics) RateLimited(limiter string) {
	c, ok := m.limited[limiter]
	if !ok {
		c = m.limitedVec.WithLabelValues(otherLabel)
	}
	c.Inc()
}

// StreamMetrics returns the scorestream hub's view of the metrics, for
// stream.Config.Metrics.
func (m *Metrics) StreamMetrics() stream.Metrics { return streamMetrics{m} }

type streamMetrics struct{ m *Metrics }

func (s streamMetrics) ClientsConnected(n int) { s.m.clients.Set(float64(n)) }

func (s streamMetrics) ClientDropped(reason string) {
	c, ok := s.m.drops[reason]
	if !ok {
		c = s.m.dropsVec.WithLabelValues(otherLabel)
	}
	c.Inc()
}

func (s streamMetrics) BroadcastLatency(d time.Duration) { s.m.broadcast.Observe(d.Seconds()) }
