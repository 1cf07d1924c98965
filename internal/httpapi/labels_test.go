package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/metrics"
)

// mustLabelValues gathers the server's registry and returns, for the
// metric name, the value of label per series with its count.
func mustLabelValues(t *testing.T, srv *ctftest.Server, name, label string) map[string]float64 {
	t.Helper()
	fams, err := srv.App.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == label {
					got[l.GetValue()] += counterValue(m)
				}
			}
		}
	}
	return got
}

func counterValue(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return float64(m.GetHistogram().GetSampleCount())
}

// TestRouteLabels: requests are counted under the labels docs/OPERATIONS.md
// lists: the route pattern, the path alone for a 405, "/" for web-app
// files and "unmatched" for what no route matched (it was "/" or "/api/"
// for those, and undocumented).
func TestRouteLabels(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.NewClient()
	for _, r := range []struct {
		method, path string
		status       int
		route        string
	}{
		{"GET", "/", 200, "/"},
		{"GET", "/images/banner", 200, "/"},
		{"GET", "/random/1", 404, "unmatched"},
		{"GET", "/css/app.css", 404, "unmatched"},
		{"GET", "/api/nope", 404, "unmatched"},
		{"POST", "/api/nope/2", 404, "unmatched"},
		{"GET", "/api/login", 405, "/api/login"},
		{"DELETE", "/api/submit", 405, "/api/submit"},
		{"POST", "/api/login", 415, "POST /api/login"}, // no JSON content type
		{"GET", "/healthz", 200, "GET /healthz"},
	} {
		before := mustLabelValues(t, srv, "ctfg_http_requests_total", "route")[r.route]
		status, body := c.Do(t, r.method, r.path, nil)
		if status != r.status {
			t.Errorf("%s %s = %d %s, want %d", r.method, r.path, status, body, r.status)
		}
		if after := mustLabelValues(t, srv, "ctfg_http_requests_total", "route")[r.route]; after != before+1 {
			t.Errorf("%s %s: route %q counted %v → %v, want one more", r.method, r.path, r.route, before, after)
		}
	}
	routes := mustLabelValues(t, srv, "ctfg_http_requests_total", "route")
	for route := range routes {
		if route == "/api/" || strings.Contains(route, "nope") || strings.Contains(route, "random") {
			t.Errorf("route label %q: not one of the documented labels", route)
		}
	}
}

// TestLimiterNamesAreKnown triggers every rate limiter and checks that
// each 429 is counted under one of metrics.LimiterNames (the list
// docs/OPERATIONS.md shows), that every listed name occurs, and that no
// "other" series exists.
func TestLimiterNamesAreKnown(t *testing.T) {
	one := httpapi.Limit{Burst: 1, Every: time.Hour}
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Limits = httpapi.Limits{
			Submit: one, Hint: one, SetName: one, Award: one, LoginUser: one, Admin: one,
			LoginAddr: httpapi.Limit{Burst: 3, Every: time.Hour},
			Request:   httpapi.Limit{Burst: 5, Every: time.Hour},
		}
	})
	// Log in first: once the address has failed too often, nobody from
	// it may log in.
	alice, dave, erin, carol := srv.MustLogin(t, "alice"), srv.MustLogin(t, "dave"), srv.MustLogin(t, "erin"), srv.MustLogin(t, "carol")
	twice := func(c *ctftest.Client, method, path string, body any, header http.Header) int {
		for range 2 {
			resp := c.Request(t, method, path, body, header)
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests {
				return resp.StatusCode
			}
		}
		return 0
	}
	anon := srv.NewClient()
	award := http.Header{"Authorization": {"Bearer " + ctftest.APIToken}}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	steps := []struct {
		limiter string
		run     func() int
	}{
		{"set_name", func() int { return twice(alice, "POST", "/api/set-name", map[string]string{"name": "A"}, nil) }},
		{"hint", func() int { return twice(dave, "POST", "/api/hint", map[string]int{"id": 1, "hint_id": 1}, nil) }},
		{"submit", func() int { return twice(erin, "POST", "/api/submit", map[string]any{"id": 1, "flag": "wrong"}, nil) }},
		{"award", func() int {
			return twice(anon, "POST", "/api/award", map[string]any{"username": "bob", "id": 1}, award)
		}},
		{"admin", func() int {
			return twice(anon, "POST", "/admin/login", url.Values{"token": {"wrong"}}.Encode(), form)
		}},
		{"login_user", func() int {
			return twice(anon, "POST", "/api/login", map[string]string{"username": "x1", "password": "no"}, nil)
		}},
		{"login_addr", func() int {
			// x1 charged the address once; two more failures empty it,
			// and as many again empty its spare allowance for usernames
			// with no failures yet.
			for _, u := range []string{"x2", "x3", "x4", "x5", "x6", "x7", "x8"} {
				resp := anon.Request(t, "POST", "/api/login", map[string]string{"username": u, "password": "no"}, nil)
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests {
					return resp.StatusCode
				}
			}
			return 0
		}},
		{"request", func() int {
			for range 10 {
				resp := carol.Request(t, "GET", "/api/challenges", nil, nil)
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests {
					return resp.StatusCode
				}
			}
			return 0
		}},
	}
	for _, st := range steps {
		before := mustLabelValues(t, srv, "ctfg_rate_limited_total", "limiter")[st.limiter]
		if got := st.run(); got != http.StatusTooManyRequests {
			t.Errorf("%s: no 429", st.limiter)
			continue
		}
		if after := mustLabelValues(t, srv, "ctfg_rate_limited_total", "limiter")[st.limiter]; after != before+1 {
			t.Errorf("%s: counted %v → %v, want one more", st.limiter, before, after)
		}
	}
	got := mustLabelValues(t, srv, "ctfg_rate_limited_total", "limiter")
	var names []string
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	want := metrics.LimiterNames()
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("limiter labels %q, want exactly %q", names, want)
	}
	for _, st := range steps {
		if !slices.Contains(want, st.limiter) {
			t.Errorf("the test triggers %q, which is not a documented limiter", st.limiter)
		}
	}
	if len(steps) != len(want) {
		t.Errorf("the test triggers %d limiters, the metrics know %d: %q", len(steps), len(want), want)
	}
}
