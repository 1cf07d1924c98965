package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/metrics"
	"github.com/ctfg/ctfg/internal/stream"
)

// MustScrape fetches h's exposition and parses it.
func MustScrape(tb testing.TB, h http.Handler) map[string]*dto.MetricFamily {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		tb.Fatalf("scrape does not parse: %v", err)
	}
	return fams
}

func TestCountersMove(t *testing.T) {
	m := metrics.New(metrics.Config{Version: "1.2.3", DBSize: func() int64 { return 4096 }, WALSize: func() int64 { return 123 }})
	m.ObserveEvents([]game.Event{{Type: game.EventScore}, {Type: game.EventHint}, {Type: game.EventRename}, {Type: game.EventScore}})
	m.WrongFlag()
	m.Login(true)
	m.Login(false)
	m.Login(false)
	m.RateLimited("submit")
	m.RateLimited("no-such-limiter")
	m.ObserveBatch(3, 4*time.Millisecond)
	sm := m.StreamMetrics()
	sm.ClientsConnected(7)
	sm.ClientDropped(stream.ReasonOverflow)
	sm.ClientDropped("made-up")
	sm.BroadcastLatency(20 * time.Millisecond)

	fams := MustScrape(t, m.Handler())
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ctfg_solves_total", nil, 2},
		{"ctfg_hint_purchases_total", nil, 1},
		{"ctfg_wrong_submissions_total", nil, 1},
		{"ctfg_logins_total", map[string]string{"result": "ok"}, 1},
		{"ctfg_logins_total", map[string]string{"result": "failed"}, 2},
		{"ctfg_rate_limited_total", map[string]string{"limiter": "submit"}, 1},
		{"ctfg_rate_limited_total", map[string]string{"limiter": "other"}, 1},
		{"ctfg_rate_limited_total", map[string]string{"limiter": "hint"}, 0},
		{"ctfg_stream_clients", nil, 7},
		{"ctfg_stream_disconnects_total", map[string]string{"reason": "overflow"}, 1},
		{"ctfg_stream_disconnects_total", map[string]string{"reason": "other"}, 1},
		{"ctfg_stream_disconnects_total", map[string]string{"reason": "ping_timeout"}, 0},
		{"ctfg_stream_broadcast_duration_seconds", nil, 1}, // sample count
		{"ctfg_db_commit_duration_seconds", nil, 1},
		{"ctfg_db_commit_batch_size", nil, 1},
		{"ctfg_db_size_bytes", nil, 4096},
		{"ctfg_db_wal_size_bytes", nil, 123},
		{"ctfg_build_info", map[string]string{"version": "1.2.3"}, 1},
	}
	for _, c := range checks {
		got, ok := valueOf(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds", "ctfg_start_time_seconds", "ctfg_uptime_seconds"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s missing from the scrape", name)
		}
	}
	for name, f := range fams {
		if strings.HasPrefix(name, "ctfg_") && len(f.GetHelp()) < 15 {
			t.Errorf("%s has no useful HELP: %q", name, f.GetHelp())
		}
	}
	if h := fams["ctfg_db_commit_batch_size"].Metric[0].GetHistogram(); h.GetSampleSum() != 3 {
		t.Errorf("batch size sum %v, want 3", h.GetSampleSum())
	}
}

func TestRequestLabelsBounded(t *testing.T) {
	m := metrics.New(metrics.Config{})
	m.ObserveRequest("POST /api/submit", "POST", 200, time.Millisecond)
	m.ObserveRequest("POST /api/submit", "POST", 200, time.Millisecond)
	m.ObserveRequest("GET /scorestream", "GET", 101, time.Hour)
	// Methods are attacker-chosen: they collapse into OTHER.
	for _, meth := range []string{"FOO", "BAR", "x-" + strings.Repeat("a", 100)} {
		m.ObserveRequest("/", meth, 405, time.Millisecond)
	}
	// Even if a caller passes raw paths as routes, the series stop growing.
	for i := range 2000 {
		m.ObserveRequest("/random/"+strconv.Itoa(i), "GET", 404, 0)
	}
	fams := MustScrape(t, m.Handler())
	if got, _ := valueOf(fams, "ctfg_http_requests_total", map[string]string{"route": "POST /api/submit", "method": "POST", "code": "200"}); got != 2 {
		t.Errorf("submit count %v, want 2", got)
	}
	if got, _ := valueOf(fams, "ctfg_http_requests_total", map[string]string{"route": "/", "method": "OTHER", "code": "405"}); got != 3 {
		t.Errorf("OTHER methods %v, want 3", got)
	}
	if got, _ := valueOf(fams, "ctfg_http_requests_total", map[string]string{"route": "GET /scorestream", "code": "101"}); got != 1 {
		t.Errorf("upgrade count %v, want 1", got)
	}
	if _, ok := valueOf(fams, "ctfg_http_request_duration_seconds", map[string]string{"route": "GET /scorestream"}); ok {
		t.Error("a socket's lifetime went into the request latency histogram")
	}
	if got, _ := valueOf(fams, "ctfg_http_request_duration_seconds", map[string]string{"route": "POST /api/submit", "code": "200"}); got != 2 {
		t.Errorf("submit latency samples %v, want 2", got)
	}
	if n := len(fams["ctfg_http_requests_total"].Metric); n > 520 {
		t.Errorf("%d request series: unbounded", n)
	}
	var total float64
	for _, mt := range fams["ctfg_http_requests_total"].Metric {
		total += mt.GetCounter().GetValue()
	}
	if total != 2+1+3+2000 {
		t.Errorf("requests lost: total %v", total)
	}
}

// valueOf returns the value of the first series of family name whose
// labels include want: a counter's or gauge's value, a histogram's sample
// count.
func valueOf(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// TestObserveRequestAllocs: after warm-up an instrumented request costs no
// allocation (no label hashing into new series, no string building).
func TestObserveRequestAllocs(t *testing.T) {
	m := metrics.New(metrics.Config{})
	m.ObserveRequest("GET /api/challenges", "GET", 200, time.Millisecond)
	allocs := testing.AllocsPerRun(1000, func() {
		m.ObserveRequest("GET /api/challenges", "GET", 200, time.Millisecond)
	})
	if allocs != 0 {
		t.Fatalf("ObserveRequest allocates %v times per call", allocs)
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	m := metrics.New(metrics.Config{})
	routes := []string{"GET /api/challenges", "POST /api/submit", "/", "GET /api/me"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.ObserveRequest(routes[i%len(routes)], "GET", 200, time.Millisecond)
			i++
		}
	})
}

func TestConcurrentObserve(t *testing.T) {
	m := metrics.New(metrics.Config{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				m.ObserveRequest("route"+string(rune('a'+i%20)), "GET", 200+g, time.Microsecond)
				m.WrongFlag()
			}
		})
	}
	wg.Wait()
	if got := testutil.CollectAndCount(m.Registry(), "ctfg_http_requests_total"); got != 8*20 {
		t.Fatalf("%d series, want 160", got)
	}
	fams := MustScrape(t, m.Handler())
	if got, _ := valueOf(fams, "ctfg_wrong_submissions_total", nil); got != 1600 {
		t.Fatalf("wrong submissions %v, want 1600", got)
	}
}

func TestRequireToken(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret metrics")) })
	if metrics.RequireToken("", ok) == nil {
		t.Fatal("nil handler")
	}
	h := metrics.RequireToken("s3cret-token", ok)
	for _, c := range []struct {
		auth string
		want int
	}{
		{"", 401},
		{"Bearer wrong", 401},
		{"Bearer ", 401},
		{"s3cret-token", 401}, // not a bearer credential
		{"Basic s3cret-token", 401},
		{"Bearer s3cret-token", 200},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/metrics", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("Authorization %q: %d, want %d", c.auth, rec.Code, c.want)
		}
		if c.want == 401 && (strings.Contains(rec.Body.String(), "s3cret") || strings.Contains(rec.Body.String(), "metrics")) {
			t.Errorf("401 body leaks: %s", rec.Body)
		}
	}
}

func TestHealthCaches(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	h := metrics.NewHealth(metrics.HealthConfig{
		Check: func(ctx context.Context) error {
			calls.Add(1)
			if _, ok := ctx.Deadline(); !ok {
				t.Error("check runs without a deadline")
			}
			if fail.Load() {
				return errors.New("database is closed")
			}
			return nil
		},
		Now: clock,
	})
	ctx := context.Background()
	for range 100 {
		if err := h.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d checks within one second, want 1", calls.Load())
	}
	fail.Store(true)
	if err := h.Check(ctx); err != nil {
		t.Fatal("cached result not used")
	}
	advance(time.Second)
	if err := h.Check(ctx); err == nil {
		t.Fatal("failure not seen after the cache expired")
	}
	fail.Store(false)
	advance(999 * time.Millisecond)
	if err := h.Check(ctx); err == nil {
		t.Fatal("failure not cached")
	}
	advance(time.Millisecond)
	if err := h.Check(ctx); err != nil {
		t.Fatalf("recovery not seen: %v", err)
	}
	// A caller that gives up does not poison the cache.
	advance(time.Second)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	fail.Store(true)
	h.Check(cctx)
	fail.Store(false)
	if err := h.Check(ctx); err != nil {
		t.Fatalf("a canceled caller's result was cached: %v", err)
	}
}

// BenchmarkWithLabelValues is the uncached way, for comparison with
// BenchmarkObserveRequest: a label hash and lookup per metric per request.
func BenchmarkWithLabelValues(b *testing.B) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c", Help: "h"}, []string{"route", "method", "code"})
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h", Help: "h"}, []string{"route", "code"})
	reg.MustRegister(c, h)
	routes := []string{"GET /api/challenges", "POST /api/submit", "/", "GET /api/me"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r := routes[i%len(routes)]
			c.WithLabelValues(r, "GET", strconv.Itoa(200)).Inc()
			h.WithLabelValues(r, strconv.Itoa(200)).Observe(0.001)
			i++
		}
	})
}

// BenchmarkInstrumentedRequest is a whole request through the API's
// middleware (GET /healthz, no database), without and with the metrics
// hook: the difference is what instrumentation costs per request.
func BenchmarkInstrumentedRequest(b *testing.B) {
	for _, bc := range []struct {
		name string
		hook func(string, string, int, time.Duration)
	}{
		{"bare", nil},
		{"metrics", metrics.New(metrics.Config{}).ObserveRequest},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := httpapi.New(httpapi.Config{OnRequest: bc.hook})
			req := httptest.NewRequest("GET", "/healthz", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}

// TestLabelSetsAreTheDocumentedOnes: a fresh registry shows exactly the
// limiter and reason labels docs/OPERATIONS.md lists (no "other" series
// stuck at 0); a name outside them still counts, under "other".
func TestLabelSetsAreTheDocumentedOnes(t *testing.T) {
	m := metrics.New(metrics.Config{})
	labels := func(fams map[string]*dto.MetricFamily, name, label string) []string {
		var vs []string
		for _, mt := range fams[name].GetMetric() {
			for _, l := range mt.Label {
				if l.GetName() == label {
					vs = append(vs, l.GetValue())
				}
			}
		}
		slices.Sort(vs)
		return vs
	}
	sorted := func(s []string) []string { slices.Sort(s); return s }
	fams := MustScrape(t, m.Handler())
	if got, want := labels(fams, "ctfg_rate_limited_total", "limiter"), sorted(metrics.LimiterNames()); !slices.Equal(got, want) {
		t.Errorf("limiter labels %q, want %q", got, want)
	}
	if got, want := labels(fams, "ctfg_stream_disconnects_total", "reason"), sorted(metrics.DisconnectReasons()); !slices.Equal(got, want) {
		t.Errorf("reason labels %q, want %q", got, want)
	}
	m.RateLimited("no-such-limiter")
	m.StreamMetrics().ClientDropped("no-such-reason")
	fams = MustScrape(t, m.Handler())
	if got, _ := valueOf(fams, "ctfg_rate_limited_total", map[string]string{"limiter": "other"}); got != 1 {
		t.Errorf("unknown limiter counted %v times under other, want 1", got)
	}
	if got, _ := valueOf(fams, "ctfg_stream_disconnects_total", map[string]string{"reason": "other"}); got != 1 {
		t.Errorf("unknown reason counted %v times under other, want 1", got)
	}
}

// TestHealthReasons: the database first, then free space, then a recent
// failed commit; a failed commit counts until a commit succeeds or
// CommitFailWindow passes.
func TestHealthReasons(t *testing.T) {
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	var dbErr error
	var free atomic.Int64
	free.Store(1 << 30)
	h := metrics.NewHealth(metrics.HealthConfig{
		Check:    func(context.Context) error { return dbErr },
		DiskFree: free.Load,
		Now:      clock,
	})
	reason := func() string {
		t.Helper()
		advance(metrics.DefaultHealthEvery) // past the cache
		err := h.Check(context.Background())
		if err == nil {
			return "ok"
		}
		var he *metrics.HealthError
		if !errors.As(err, &he) {
			t.Fatalf("unhealthy without a reason: %v", err)
		}
		return he.HealthReason()
	}
	if r := reason(); r != "ok" {
		t.Fatalf("healthy server: %s", r)
	}
	free.Store(metrics.DefaultMinDiskFree - 1)
	if r := reason(); r != metrics.ReasonDiskFull {
		t.Fatalf("%d bytes free: %s", free.Load(), r)
	}
	free.Store(-1) // unknown: not held against the server
	if r := reason(); r != "ok" {
		t.Fatalf("unknown free space: %s", r)
	}
	h.CommitFailed()
	if r := reason(); r != metrics.ReasonCommitFailing {
		t.Fatalf("after a failed commit: %s", r)
	}
	dbErr = errors.New("database is closed")
	if r := reason(); r != metrics.ReasonDatabase {
		t.Fatalf("database down: %s", r)
	}
	dbErr = nil
	h.CommitSucceeded()
	if r := reason(); r != "ok" {
		t.Fatalf("after a successful commit: %s", r)
	}
	h.CommitFailed()
	advance(metrics.DefaultCommitFailWindow)
	if r := reason(); r != "ok" {
		t.Fatalf("a failure older than the window still counts: %s", r)
	}
}
