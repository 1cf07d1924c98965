package app_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
)

// getWith sends GET url with the given headers and returns status and body.
func getWith(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// outsideIP returns an address of this machine that is not loopback, so
// that a connection to it comes from a non-loopback peer.
func outsideIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip("no interface addresses:", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address")
	return ""
}

const metricsBody = "ctfg_build_info"

// TestMetricsLoopbackOnlyByDefault: without a metrics token, /metrics on
// the main port answers loopback clients only; a client reaching the
// server on another address gets 403 and no metric.
func TestMetricsLoopbackOnlyByDefault(t *testing.T) {
	ip := outsideIP(t)
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.Addr = "0.0.0.0:0" })
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))

	if status, body := getWith(t, "http://127.0.0.1:"+port+"/metrics", nil); status != 200 || !strings.Contains(body, metricsBody) {
		t.Fatalf("loopback scrape: %d", status)
	}
	status, body := getWith(t, "http://"+net.JoinHostPort(ip, port)+"/metrics", nil)
	if status != http.StatusForbidden || strings.Contains(body, "ctfg_") {
		t.Fatalf("scrape from %s: %d %.80s, want 403 without metrics", ip, status, body)
	}
	if strings.TrimSpace(body) != `{"error":"metrics_loopback_only"}` {
		t.Fatalf("403 body %s", body)
	}
	// Without --trust-proxy, X-Forwarded-For is the client's word: ignored.
	if status, _ := getWith(t, "http://"+net.JoinHostPort(ip, port)+"/metrics", map[string]string{"X-Forwarded-For": "127.0.0.1"}); status != http.StatusForbidden {
		t.Fatalf("forged X-Forwarded-For without --trust-proxy: %d, want 403", status)
	}
	if status, _ := getWith(t, "http://"+net.JoinHostPort(ip, port)+"/healthz", nil); status != 200 {
		t.Fatalf("healthz from outside: %d", status)
	}
}

// TestMetricsLoopbackBehindProxy: with --trust-proxy every request comes
// from the local proxy, so the client address that counts is the one the
// proxy appended to X-Forwarded-For.
func TestMetricsLoopbackBehindProxy(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.TrustProxy = true })
	for _, tc := range []struct {
		xff  string
		want int
	}{
		{"", 200},                       // a local scraper, not through the proxy
		{"127.0.0.1", 200},              // proxied, but from this host
		{"203.0.113.7", 403},            // an outside client through the proxy
		{"127.0.0.1, 203.0.113.7", 403}, // the client's forged part comes first
		{"::1", 200},
	} {
		h := map[string]string{}
		if tc.xff != "" {
			h["X-Forwarded-For"] = tc.xff
		}
		if status, body := getWith(t, srv.URL+"/metrics", h); status != tc.want {
			t.Errorf("X-Forwarded-For %q: %d %.60s, want %d", tc.xff, status, body, tc.want)
		}
	}
}

// TestMetricsTokenOpensToRemoteClients: with a metrics token the token is
// the guard, wherever the scraper is.
func TestMetricsTokenOpensToRemoteClients(t *testing.T) {
	const token = "metrics-token-remote-51"
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.TrustProxy = true
		c.MetricsToken = token
	})
	h := map[string]string{"X-Forwarded-For": "203.0.113.7", "Authorization": "Bearer " + token}
	if status, body := getWith(t, srv.URL+"/metrics", h); status != 200 || !strings.Contains(body, metricsBody) {
		t.Fatalf("remote scrape with the token: %d", status)
	}
	delete(h, "Authorization")
	if status, _ := getWith(t, srv.URL+"/metrics", h); status != http.StatusUnauthorized {
		t.Fatalf("remote scrape without the token: %d, want 401", status)
	}
}
