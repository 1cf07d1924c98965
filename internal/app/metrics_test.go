package app_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
)

// mustScrape fetches and parses a Prometheus text exposition.
func mustScrape(t *testing.T, url, authorization string) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := ctftest.MustGet(t, url, authorization)
	if status != http.StatusOK {
		t.Fatalf("scrape %s: %d %s", url, status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("scrape does not parse: %v", err)
	}
	return fams
}

// sample returns the value of the series of name whose labels include
// want (a histogram's sample count), or -1 if there is none.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f, ok := fams[name]
	if !ok {
		return -1
	}
next:
	for _, m := range f.Metric {
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// waitFor scrapes until cond holds (the hub updates its gauge on its own
// goroutine), failing after a few seconds.
func waitFor(t *testing.T, url string, what string, cond func(map[string]*dto.MetricFamily) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if cond(mustScrape(t, url, "")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHealthz: no session, no rate limit, 200 while the database answers
// and 503 (without details) once it is gone.
func TestHealthz(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	srv := ctftest.MustServer(t, dir, func(c *app.Config) {
		// One authenticated request per hour: /healthz must not be charged.
		c.Limits.Request = httpapi.Limit{Burst: 1, Every: time.Hour}
	})
	alice := srv.MustLogin(t, "alice")
	for i := range 20 {
		status, body := alice.Do(t, "GET", "/healthz", nil)
		if status != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
			t.Fatalf("probe %d: %d %s", i, status, body)
		}
	}
	if status, body := ctftest.MustGet(t, srv.URL+"/healthz", ""); status != http.StatusOK {
		t.Fatalf("without a session: %d %s", status, body)
	}

	if err := srv.App.Store.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, body := ctftest.MustGet(t, srv.URL+"/healthz", "")
		if status == http.StatusServiceUnavailable {
			if strings.TrimSpace(body) != `{"status":"unavailable","error":"database"}` {
				t.Fatalf("503 body: %s", body)
			}
			break
		}
		if status != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("after closing the database: %d %s", status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMetricsEndToEnd drives a real server and watches each metric move.
func TestMetricsEndToEnd(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Version = "v9.8.7-test"
		c.Limits.SetName = httpapi.Limit{Burst: 1, Every: time.Hour}
		c.Limits.Award = httpapi.Limit{Burst: 1, Every: time.Hour}
	})
	url := srv.URL + "/metrics"
	before := mustScrape(t, url, "")
	for name, want := range map[string]float64{
		"ctfg_solves_total":            0,
		"ctfg_wrong_submissions_total": 0,
		"ctfg_hint_purchases_total":    0,
		"ctfg_stream_clients":          0,
	} {
		if got := sample(before, name, nil); got != want {
			t.Errorf("fresh server: %s = %v, want %v", name, got, want)
		}
	}
	if got := sample(before, "ctfg_build_info", map[string]string{"version": "v9.8.7-test"}); got != 1 {
		t.Errorf("build info: %v", got)
	}
	if sample(before, "ctfg_db_size_bytes", nil) <= 0 {
		t.Errorf("database size: %v", sample(before, "ctfg_db_size_bytes", nil))
	}
	if free := sample(before, "ctfg_db_disk_free_bytes", nil); free <= 0 {
		t.Errorf("free disk space: %v", free)
	}
	if sample(before, "ctfg_db_wal_size_bytes", nil) < 0 || sample(before, "ctfg_uptime_seconds", nil) < 0 || sample(before, "go_goroutines", nil) <= 0 {
		t.Error("WAL size, uptime or Go runtime metrics missing")
	}

	alice := srv.MustLogin(t, "alice")
	if status, _ := srv.NewClient().Do(t, "POST", "/api/login", map[string]string{"username": "bob", "password": "not-bobs"}); status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", status)
	}
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 || !strings.Contains(string(body), "correct") {
		t.Fatalf("solve: %d %s", status, body)
	}
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 2, "flag": "flag{nope}"}); status != 200 || !strings.Contains(string(body), "incorrect") {
		t.Fatalf("wrong flag: %d %s", status, body)
	}
	if status, body := alice.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1}); status != 200 {
		t.Fatalf("hint: %d %s", status, body)
	}
	alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})
	if status, _ := alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alicia"}); status != http.StatusTooManyRequests {
		t.Fatalf("second set-name: %d, want 429", status)
	}
	// Award calls the unnamed rateLimited: the limiter is named after the route.
	judge := srv.NewClient()
	judge.Do(t, "POST", "/api/award", map[string]any{"username": "bob", "id": 1})
	if status, _ := judge.Do(t, "POST", "/api/award", map[string]any{"username": "bob", "id": 1}); status != http.StatusTooManyRequests {
		t.Fatalf("second award: %d, want 429", status)
	}
	conn := dialStream(t, alice, "")
	readFrame(t, conn) // the snapshot: the client is registered

	waitFor(t, url, "the socket gauge", func(f map[string]*dto.MetricFamily) bool { return sample(f, "ctfg_stream_clients", nil) == 1 })
	after := mustScrape(t, url, "")
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ctfg_solves_total", nil, 1},
		{"ctfg_wrong_submissions_total", nil, 1},
		{"ctfg_hint_purchases_total", nil, 1},
		{"ctfg_logins_total", map[string]string{"result": "ok"}, 1},
		{"ctfg_logins_total", map[string]string{"result": "failed"}, 1},
		{"ctfg_rate_limited_total", map[string]string{"limiter": "set_name"}, 1},
		{"ctfg_rate_limited_total", map[string]string{"limiter": "submit"}, 0},
		{"ctfg_rate_limited_total", map[string]string{"limiter": "award"}, 1},
		{"ctfg_rate_limited_total", map[string]string{"limiter": "other"}, -1}, // no such series: every limiter is a documented one
		{"ctfg_http_requests_total", map[string]string{"route": "POST /api/submit", "method": "POST", "code": "200"}, 2},
		{"ctfg_http_requests_total", map[string]string{"route": "POST /api/set-name", "code": "429"}, 1},
		{"ctfg_http_requests_total", map[string]string{"route": "GET /scorestream", "code": "101"}, 1},
		{"ctfg_http_request_duration_seconds", map[string]string{"route": "POST /api/login", "code": "200"}, 1},
	} {
		if got := sample(after, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Three events (solve, hint, rename) went through group commits.
	if n := sample(after, "ctfg_db_commit_batch_size", nil); n < 1 || n > 3 {
		t.Errorf("commit batches: %v", n)
	}
	if n := sample(after, "ctfg_db_commit_duration_seconds", nil); n != sample(after, "ctfg_db_commit_batch_size", nil) {
		t.Errorf("commit latency samples %v != batches", n)
	}

	conn.Close()
	waitFor(t, url, "the disconnect", func(f map[string]*dto.MetricFamily) bool {
		return sample(f, "ctfg_stream_clients", nil) == 0 && sample(f, "ctfg_stream_disconnects_total", map[string]string{"reason": "closed"}) == 1
	})
}

// TestMetricsRouteLabels: raw paths never become label values, and more
// distinct paths do not make more series.
func TestMetricsRouteLabels(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	url := srv.URL + "/metrics"
	probe := func(paths ...string) {
		for _, p := range paths {
			conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			// Raw request: an HTTP client would clean the path.
			io.WriteString(conn, "GET "+p+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			io.ReadAll(conn)
			conn.Close()
		}
	}
	mustScrape(t, url, "") // so that the scrapes' own series exist
	probe("/api/../x", "/random/123", "/api/nope/1", "/static/%2e%2e/etc/passwd", "/favicon.ico")
	// Methods are client-chosen strings too.
	req, _ := http.NewRequest("BREW", srv.URL+"/random/teapot", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	series := func() (int, []string) {
		f := mustScrape(t, url, "")["ctfg_http_requests_total"]
		var routes []string
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "route" || l.GetName() == "method" {
					routes = append(routes, l.GetValue())
				}
			}
		}
		return len(f.Metric), routes
	}
	n1, labels := series()
	for _, v := range labels {
		for _, bad := range []string{"random", "nope", "..", "passwd", "favicon", "teapot", "BREW", "/x"} {
			if strings.Contains(v, bad) {
				t.Errorf("label value %q holds a raw path or method", v)
			}
		}
	}
	// /api/../x is redirected to /x: counted under the pattern of /x.
	f := mustScrape(t, url, "")
	if got := max(sample(f, "ctfg_http_requests_total", map[string]string{"route": "/", "code": "301"}), sample(f, "ctfg_http_requests_total", map[string]string{"route": "/", "code": "307"})); got != 1 {
		t.Errorf("redirect of /api/../x counted %v times under route \"/\"; labels %q", got, labels)
	}
	probe("/random/456", "/random/789", "/api/nope/2", "/other/../y", "/a/b/c/d")
	n2, _ := series()
	if n2 != n1 {
		t.Errorf("request series grew from %d to %d with new paths", n1, n2)
	}
}

// TestMetricsToken: with a token, /metrics needs it; /healthz does not.
func TestMetricsToken(t *testing.T) {
	const token = "metrics-token-7c1e"
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.MetricsToken = token })
	for _, auth := range []string{"", "Bearer wrong", token, "Bearer " + token + "x", "Basic " + token} {
		status, body := ctftest.MustGet(t, srv.URL+"/metrics", auth)
		if status != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", auth, status)
		}
		if strings.Contains(body, token) || strings.Contains(body, "ctfg_") {
			t.Errorf("401 body leaks: %s", body)
		}
	}
	fams := mustScrape(t, srv.URL+"/metrics", "Bearer "+token)
	if sample(fams, "ctfg_http_requests_total", map[string]string{"route": "GET /metrics", "code": "401"}) != 5 {
		t.Errorf("refused scrapes not counted")
	}
	if status, _ := ctftest.MustGet(t, srv.URL+"/healthz", ""); status != http.StatusOK {
		t.Errorf("healthz with a metrics token: %d", status)
	}
	if status, _ := ctftest.MustGet(t, srv.URL+"/debug/pprof/", "Bearer "+token); status == http.StatusOK {
		t.Error("pprof served on the main port")
	}
}

// TestMetricsAddr: with a metrics listener, /metrics and pprof live there
// only, and it stops with the server.
func TestMetricsAddr(t *testing.T) {
	for _, token := range []string{"", "private-token-22b9"} {
		addrc := make(chan net.Addr, 1)
		srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
			c.MetricsAddr = "127.0.0.1:0"
			c.MetricsToken = token
			c.OnMetricsListen = func(a net.Addr) { addrc <- a }
		})
		private := "http://" + (<-addrc).String()
		auth := ""
		if token != "" {
			auth = "Bearer " + token
		}
		if status, body := ctftest.MustGet(t, srv.URL+"/metrics", auth); status != http.StatusNotFound || strings.Contains(body, "ctfg_") {
			t.Errorf("token %q: main port /metrics: %d", token, status)
		}
		if status, body := ctftest.MustGet(t, srv.URL+"/debug/pprof/", auth); status == http.StatusOK && strings.Contains(body, "goroutine") {
			t.Errorf("token %q: pprof on the main port", token)
		}
		fams := mustScrape(t, private+"/metrics", auth)
		if sample(fams, "ctfg_solves_total", nil) != 0 || sample(fams, "process_start_time_seconds", nil) <= 0 {
			t.Errorf("token %q: private scrape lacks ctfg or process metrics", token)
		}
		// The main port's requests are counted, including the 404.
		if sample(fams, "ctfg_http_requests_total", map[string]string{"route": "GET /metrics", "code": "404"}) != 1 {
			t.Errorf("token %q: main-port 404 not counted", token)
		}
		status, body := ctftest.MustGet(t, private+"/debug/pprof/", auth)
		if status != http.StatusOK || !strings.Contains(body, "goroutine") {
			t.Errorf("token %q: private pprof index: %d", token, status)
		}
		if status, _ := ctftest.MustGet(t, private+"/debug/pprof/goroutine?debug=1", auth); status != http.StatusOK {
			t.Errorf("token %q: goroutine profile: %d", token, status)
		}
		if status, _ := ctftest.MustGet(t, private+"/debug/pprof/cmdline", auth); status != http.StatusNotFound {
			t.Errorf("token %q: cmdline (may hold secrets) served: %d", token, status)
		}
		if token != "" {
			for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
				if status, _ := ctftest.MustGet(t, private+path, ""); status != http.StatusUnauthorized {
					t.Errorf("private %s without the token: %d", path, status)
				}
			}
		}
		srv.Stop()
		if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(private, "http://"), time.Second); err == nil {
			conn.Close()
			t.Errorf("token %q: metrics listener still open after shutdown", token)
		}
	}
}

// TestMetricsAddrInUse: a metrics address that cannot be bound stops the
// server with a clear error instead of running without metrics.
func TestMetricsAddrInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := ctftest.MustGameDir(t)
	srv, err := app.New(t.Context(), app.Config{GameDir: dir, Addr: "127.0.0.1:0", MetricsAddr: busy.Addr().String(), DisableWatching: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Serve(t.Context(), ln)
	if err == nil || !strings.Contains(err.Error(), "metrics listener") {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("main listener left open")
	}
}
