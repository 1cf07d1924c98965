package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
)

// shiftedClock is the wall clock moved forward by an offset the test
// sets: sessions, tokens and limits keep working on real time while the
// game's window is crossed without waiting.
type shiftedClock struct{ off atomic.Int64 }

func (c *shiftedClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *shiftedClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// window returns a start an hour from now and an end an hour later, in
// whole seconds, and a server mod that configures them with clk.
func window(clk *shiftedClock) (start, end time.Time, mod func(*app.Config)) {
	start = time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	end = start.Add(time.Hour)
	return start, end, func(c *app.Config) { c.Start, c.End, c.Now = start, end, clk.Now }
}

var bearer = http.Header{"Authorization": {"Bearer " + ctftest.AdminToken}}

// mustAdmin sends an admin API request with the bearer token and wants
// 200; it returns the answer.
func mustAdmin(t *testing.T, srv *ctftest.Server, path string, body any) map[string]any {
	t.Helper()
	status, b := doWith(t, srv.NewClient(), "POST", path, body, bearer)
	if status != 200 {
		t.Fatalf("%s: %d %s", path, status, b)
	}
	return ctftest.MustJSON(t, b)
}

func doWith(t *testing.T, c *ctftest.Client, method, path string, body any, h http.Header) (int, []byte) {
	t.Helper()
	resp := c.Request(t, method, path, body, h)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// wantRefused checks that a player's submit and hint, and a judge's
// award, answer 403 with code.
func wantRefused(t *testing.T, srv *ctftest.Server, c *ctftest.Client, code string) {
	t.Helper()
	want := `{"error":"` + code + `"}`
	if status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 3, "flag": "CTF{case}"}); status != 403 || strings.TrimSpace(string(body)) != want {
		t.Errorf("submit: %d %s, want 403 %s", status, body, want)
	}
	if status, body := c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1}); status != 403 || strings.TrimSpace(string(body)) != want {
		t.Errorf("hint: %d %s, want 403 %s", status, body, want)
	}
	judge := http.Header{"Authorization": {"Bearer " + ctftest.APIToken}}
	if status, body := doWith(t, srv.NewClient(), "POST", "/api/award", map[string]any{"username": "bob", "id": 4}, judge); status != 403 || strings.TrimSpace(string(body)) != want {
		t.Errorf("award: %d %s, want 403 %s", status, body, want)
	}
}

func clockOf(t *testing.T, srv *ctftest.Server) map[string]any {
	t.Helper()
	status, body := srv.NewClient().Do(t, "GET", "/api/clock", nil)
	if status != 200 {
		t.Fatalf("/api/clock: %d %s", status, body)
	}
	return ctftest.MustJSON(t, body)
}

// TestClockWindow walks a game through its window with an injected
// clock: before the start players log in and choose names but see no
// challenge and cannot submit, buy hints or be awarded (not_started);
// running, everything works; paused and resumed by the admin's bearer
// API; a live change of the end, validated; after the end, ended.
func TestClockWindow(t *testing.T) {
	clk := &shiftedClock{}
	start, end, mod := window(clk)
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), mod)

	c := clockOf(t, srv)
	if c["state"] != "before" || c["start"] != start.Format(time.RFC3339) || c["end"] != end.Format(time.RFC3339) || c["frozen"] != false {
		t.Fatalf("before: %v", c)
	}
	if _, err := time.Parse(time.RFC3339, c["now"].(string)); err != nil {
		t.Fatalf("now: %v", err)
	}
	alice := srv.MustLogin(t, "alice")
	if status, body := alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"}); status != 200 {
		t.Fatalf("set-name before the start: %d %s", status, body)
	}
	if status, body := alice.Do(t, "GET", "/api/challenges", nil); status != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("challenges before the start: %d %s", status, body)
	}
	wantRefused(t, srv, alice, "not_started")

	clk.Advance(time.Hour) // the start
	if s := clockOf(t, srv)["state"]; s != "running" {
		t.Fatalf("at the start: %v", s)
	}
	if status, body := alice.Do(t, "GET", "/api/challenges", nil); status != 200 || !strings.Contains(string(body), "Warm Up") {
		t.Fatalf("challenges while running: %d %s", status, body)
	}
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 || !strings.Contains(string(body), `"correct"`) {
		t.Fatalf("submit while running: %d %s", status, body)
	}

	if a := mustAdmin(t, srv, "/admin/api/pause", nil); a["state"] != "paused" || a["paused"] != true {
		t.Fatalf("pause: %v", a)
	}
	if s := clockOf(t, srv)["state"]; s != "paused" {
		t.Fatalf("/api/clock after pause: %v", s)
	}
	wantRefused(t, srv, alice, "paused")
	if status, body := alice.Do(t, "GET", "/api/challenges", nil); status != 200 || !strings.Contains(string(body), "Warm Up") {
		t.Fatalf("challenges while paused: %d %s", status, body)
	}
	if a := mustAdmin(t, srv, "/admin/api/resume", nil); a["state"] != "running" {
		t.Fatalf("resume: %v", a)
	}
	if status, body := alice.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1}); status != 200 {
		t.Fatalf("hint after resume: %d %s", status, body)
	}

	// Live changes: validated, overriding the configuration, and shown
	// with their source.
	admin := srv.NewClient()
	for _, bad := range []struct{ body, code string }{
		{`{"end":"` + start.Add(-time.Minute).Format(time.RFC3339) + `"}`, "start_not_before_end"},
		{`{"start":"tomorrow"}`, "invalid_time"},
		{`{"start":"2030-01-01T10:00:00"}`, "invalid_time"}, // no zone
		{`{"end":5}`, "invalid_time"},
	} {
		status, body := doWith(t, admin, "POST", "/admin/api/clock", bad.body, bearer)
		if status != 400 || !strings.Contains(string(body), bad.code) {
			t.Errorf("clock %s: %d %s, want 400 %s", bad.body, status, body, bad.code)
		}
	}
	later := end.Add(30 * time.Minute)
	a := mustAdmin(t, srv, "/admin/api/clock", map[string]any{"end": later.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)})
	if a["end"] != later.Format(time.RFC3339) || a["end_source"] != "admin" || a["start_source"] != "config" {
		t.Fatalf("live end: %v", a)
	}
	status, body := doWith(t, admin, "GET", "/admin/api/stats", nil, bearer)
	var stats httpapi.AdminStats
	if status != 200 || json.Unmarshal(body, &stats) != nil || stats.Clock.EndSource == nil || *stats.Clock.EndSource != "admin" {
		t.Fatalf("stats with the bearer token: %d %s", status, body)
	}
	clk.Advance(time.Hour) // past the configured end, before the live one
	if s := clockOf(t, srv)["state"]; s != "running" {
		t.Fatalf("live end ignored: %v", s)
	}
	if a := mustAdmin(t, srv, "/admin/api/clock", map[string]any{"end": nil}); a["end"] != end.Format(time.RFC3339) || a["end_source"] != "config" || a["state"] != "ended" {
		t.Fatalf("end back to the configured one: %v", a)
	}
	wantRefused(t, srv, alice, "ended")
	if status, body := alice.Do(t, "GET", "/api/challenges", nil); status != 200 || !strings.Contains(string(body), "Warm Up") {
		t.Fatalf("challenges after the end: %d %s", status, body)
	}
}

// TestAdminAPIBearer: every /admin/api/* endpoint takes the admin token
// as a bearer token, without cookie or form token; wrong tokens are
// counted on the admin limiter before the compare (429 once the burst is
// spent, even for the right token), right ones are free. The dashboard's
// cookie needs its form token (X-CSRF-Token) for a POST.
func TestAdminAPIBearer(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Limits.Admin = httpapi.Limit{Burst: 3, Every: time.Hour}
	})
	c := srv.NewClient()
	for i := 0; i < 5; i++ { // more than the burst: right tokens are refunded
		if status, body := doWith(t, c, "GET", "/admin/api/stats", nil, bearer); status != 200 {
			t.Fatalf("stats #%d: %d %s", i, status, body)
		}
	}
	if status, _ := c.Do(t, "POST", "/admin/api/pause", nil); status != 401 {
		t.Fatalf("no credentials: %d", status)
	}
	wrong := http.Header{"Authorization": {"Bearer not-the-token"}}
	for i := 0; i < 3; i++ {
		if status, body := doWith(t, c, "POST", "/admin/api/pause", nil, wrong); status != 401 {
			t.Fatalf("wrong token #%d: %d %s", i, status, body)
		}
	}
	resp := c.Request(t, "POST", "/admin/api/resume", nil, wrong)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("wrong token after the burst: %d (Retry-After %q)", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if status, _ := doWith(t, c, "POST", "/admin/api/pause", nil, bearer); status != 429 {
		t.Fatalf("right token with the bucket empty: %d, want 429", status)
	}
	if srv.App.Engine.Clock().Paused {
		t.Fatal("a refused request paused the game")
	}

	// The dashboard: session cookie plus form token. The address's admin
	// bucket above is empty, so on a fresh server.
	srv2 := ctftest.MustServer(t, ctftest.MustGameDir(t))
	d := srv2.NewClient()
	resp = d.Request(t, "POST", "/admin/login", url.Values{"token": {ctftest.AdminToken}}.Encode(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	resp.Body.Close()
	_, page := d.Do(t, "GET", "/admin", nil)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the dashboard: %s", page)
	}
	if status, body := d.Do(t, "POST", "/admin/api/pause", nil); status != 403 {
		t.Fatalf("cookie without form token: %d %s", status, body)
	}
	if status, body := doWith(t, d, "POST", "/admin/api/pause", nil, http.Header{"X-CSRF-Token": {string(m[1])}}); status != 200 {
		t.Fatalf("cookie with form token: %d %s", status, body)
	}
	if !srv2.App.Engine.Clock().Paused {
		t.Fatal("not paused")
	}
	// The dashboard's Resume button.
	form := url.Values{"csrf": {string(m[1])}}.Encode()
	resp = d.Request(t, "POST", "/admin/game/resume", form, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	resp.Body.Close()
	if resp.StatusCode != 200 || srv2.App.Engine.Clock().Paused { // 303 followed to /admin
		t.Fatalf("Resume button: %d, paused %v", resp.StatusCode, srv2.App.Engine.Clock().Paused)
	}
	if _, page := d.Do(t, "GET", "/admin", nil); !strings.Contains(string(page), `id="clock-state">running<`) {
		t.Fatalf("dashboard clock: %s", page)
	}
}

// TestPostgresClockReachesEveryInstance: a pause and a live clock change
// made on one instance are events of the shared log, so another instance
// on the same database folds them too and refuses solves the same way.
func TestPostgresClockReachesEveryInstance(t *testing.T) {
	dbURL := mustPostgresURL(t)
	dir := ctftest.MustGameDir(t)
	clk := &shiftedClock{}
	_, end, mod := window(clk)
	clk.Advance(time.Hour) // running
	withPG := func(c *app.Config) { mod(c); c.DatabaseURL = dbURL }
	a := ctftest.MustServer(t, dir, withPG)
	b := ctftest.MustServer(t, dir, withPG)
	onB := b.MustLogin(t, "alice")

	mustAdmin(t, a, "/admin/api/pause", nil)
	waitClock(t, b, func(c map[string]any) bool { return c["state"] == "paused" })
	wantRefused(t, b, onB, "paused")

	mustAdmin(t, a, "/admin/api/resume", nil)
	later := end.Add(time.Hour)
	mustAdmin(t, a, "/admin/api/clock", map[string]any{"end": later.Format(time.RFC3339)})
	waitClock(t, b, func(c map[string]any) bool { return c["state"] == "running" && c["end"] == later.Format(time.RFC3339) })
	if _, src := b.App.Engine.Clock().End(); src != "admin" {
		t.Fatalf("B's end comes from %q, want admin", src)
	}
	clk.Advance(90 * time.Minute) // past the configured end, before the live one
	if status, body := onB.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 {
		t.Fatalf("submit on B under A's live end: %d %s", status, body)
	}
}

// waitClock polls srv's /api/clock until ok holds (bounded: the feed
// delivers another instance's event within its poll interval).
func waitClock(t *testing.T, srv *ctftest.Server, ok func(map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := clockOf(t, srv)
		if ok(c) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("clock not reached after 10 s: %v", c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
