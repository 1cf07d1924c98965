package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/views"
	"github.com/gorilla/websocket"
)

// adminBrowser is an HTTP client for the admin pages that does not follow
// redirects (so tests see them) and keeps every body it received, to be
// scanned for secrets at the end of the test.
type adminBrowser struct {
	*ctftest.Client
	t      *testing.T
	bodies *[]string
}

func newAdminBrowser(t *testing.T, srv *ctftest.Server, bodies *[]string) *adminBrowser {
	c := srv.NewClient()
	c.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &adminBrowser{Client: c, t: t, bodies: bodies}
}

type adminResponse struct {
	status int
	body   string
	header http.Header
}

func (b *adminBrowser) do(method, path string, form url.Values, hdr http.Header) adminResponse {
	b.t.Helper()
	var body any
	if hdr == nil {
		hdr = http.Header{}
	}
	if form != nil {
		body = form.Encode()
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp := b.Request(b.t, method, path, body, hdr)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	*b.bodies = append(*b.bodies, string(raw))
	return adminResponse{resp.StatusCode, string(raw), resp.Header}
}

func (b *adminBrowser) get(path string) adminResponse { return b.do("GET", path, nil, nil) }

func (b *adminBrowser) post(path string, form url.Values) adminResponse {
	return b.do("POST", path, form, nil)
}

// login logs in with the admin token and returns the dashboard.
func (b *adminBrowser) login() adminResponse {
	b.t.Helper()
	r := b.post("/admin/login", url.Values{"token": {ctftest.AdminToken}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		b.t.Fatalf("login: %d %q, want 303 to /admin: %s", r.status, r.header.Get("Location"), r.body)
	}
	d := b.get("/admin")
	if d.status != 200 || !strings.Contains(d.body, "<h2>Submissions</h2>") {
		b.t.Fatalf("dashboard after login: %d %s", d.status, d.body)
	}
	return d
}

func (b *adminBrowser) stats() httpapi.AdminStats {
	b.t.Helper()
	r := b.get("/admin/api/stats")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" || r.header.Get("Cache-Control") != "no-store" {
		b.t.Fatalf("stats: %d %v %s", r.status, r.header, r.body)
	}
	var s httpapi.AdminStats
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		b.t.Fatalf("stats: %v: %s", err, r.body)
	}
	return s
}

// waitStats polls the stats (cached for a second) until cond holds.
func (b *adminBrowser) waitStats(what string, cond func(httpapi.AdminStats) bool) httpapi.AdminStats {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := b.stats()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("stats never showed %s: %+v", what, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in %s", page)
	}
	return m[1]
}

// assertNoSecrets fails if any body holds a configured token, a password
// or one of the extra secrets (session cookie values).
func assertNoSecrets(t *testing.T, bodies []string, extra ...string) {
	t.Helper()
	secrets := append([]string{ctftest.AdminToken, ctftest.APIToken}, extra...)
	for _, pw := range ctftest.Players {
		secrets = append(secrets, pw)
	}
	for _, b := range bodies {
		for _, s := range secrets {
			if s != "" && strings.Contains(b, s) {
				t.Errorf("a response holds the secret %q:\n%.400s", s, b)
			}
		}
	}
}

func cookieNamed(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestAdminDashboardDisabledWithoutToken(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.AdminToken = "" })
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	for _, r := range []adminResponse{
		b.get("/admin"),
		b.post("/admin/login", url.Values{"token": {ctftest.AdminToken}}),
		b.post("/admin/login", url.Values{"token": {""}}),
		b.post("/admin/game/reset", url.Values{"confirm": {"yes"}}),
	} {
		if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "CTFG_ADMIN_TOKEN") {
			t.Errorf("without an admin token: %d %s, want 503 naming CTFG_ADMIN_TOKEN", r.status, r.body)
		}
		if cookieNamed(r.header, httpapi.AdminCookie) != nil {
			t.Errorf("an admin cookie was set without an admin token")
		}
	}
	if r := b.get("/admin/api/stats"); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "admin_disabled") {
		t.Errorf("stats without an admin token: %d %s", r.status, r.body)
	}
	assertNoSecrets(t, bodies)
}

func TestAdminLogin(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Limits.Admin = httpapi.Limit{Burst: 3, Every: time.Hour}
		c.TrustProxy = true
	})
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)

	r := b.get("/admin")
	if r.status != 200 || !strings.Contains(r.body, `name="token"`) || strings.Contains(r.body, "<h2>Submissions</h2>") {
		t.Fatalf("GET /admin without a session: %d %s, want the login form", r.status, r.body)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("login page CSP %q", csp)
	}
	if r := b.get("/admin/api/stats"); r.status != http.StatusUnauthorized {
		t.Errorf("stats without a session: %d", r.status)
	}

	// Wrong tokens: 401 with the form again, charged to the address.
	for _, tok := range []string{"wrong-admin-token-1", ""} {
		r := b.post("/admin/login", url.Values{"token": {tok}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, `name="token"`) || !strings.Contains(r.body, "Wrong admin token") {
			t.Fatalf("wrong token %q: %d %s", tok, r.status, r.body)
		}
		if cookieNamed(r.header, httpapi.AdminCookie) != nil {
			t.Fatal("a wrong token got an admin cookie")
		}
	}

	// The right token: a cookie scoped to /admin, HttpOnly, Strict, and
	// Secure when the proxy says the request came over TLS.
	proxied := b.do("POST", "/admin/login", url.Values{"token": {ctftest.AdminToken}}, http.Header{"X-Forwarded-Proto": {"https"}})
	ck := cookieNamed(proxied.header, httpapi.AdminCookie)
	if proxied.status != http.StatusSeeOther || ck == nil || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/admin" || ck.MaxAge <= 0 || ck.MaxAge > 24*3600 {
		t.Fatalf("login behind a TLS proxy: %d, cookie %+v", proxied.status, ck)
	}
	plain := b.post("/admin/login", url.Values{"token": {ctftest.AdminToken}})
	if ck := cookieNamed(plain.header, httpapi.AdminCookie); plain.status != http.StatusSeeOther || ck == nil || ck.Secure || len(ck.Value) < 32 {
		t.Fatalf("login over plain HTTP: %d, cookie %+v", plain.status, ck)
	}
	// Successes are not charged: one more failure is allowed (burst 3),
	// then the address is locked out, even with the right token.
	if r := b.post("/admin/login", url.Values{"token": {"wrong-admin-token-2"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("third failure: %d", r.status)
	}
	other := newAdminBrowser(t, srv, &bodies)
	for _, tok := range []string{"wrong-admin-token-3", ctftest.AdminToken} {
		r := other.post("/admin/login", url.Values{"token": {tok}})
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || cookieNamed(r.header, httpapi.AdminCookie) != nil {
			t.Fatalf("locked out, token %q: %d Retry-After=%q", tok, r.status, r.header.Get("Retry-After"))
		}
	}
	// The old reset endpoint shares the limiter.
	if r := other.do("POST", "/admin/reset?confirm=yes", nil, nil); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("POST /admin/reset while locked out: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	// Another client address (through the trusted proxy) is not locked out.
	r = other.do("POST", "/admin/login", url.Values{"token": {ctftest.AdminToken}}, http.Header{"X-Forwarded-For": {"203.0.113.9"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("login from another address: %d %s", r.status, r.body)
	}
	// The session from before the lockout still works.
	if d := b.get("/admin"); d.status != 200 || !strings.Contains(d.body, "<h2>Submissions</h2>") {
		t.Fatalf("dashboard: %d", d.status)
	}
	assertNoSecrets(t, bodies, ck.Value)
}

// dialScorestream opens a scorestream socket as c's player.
func dialScorestream(t *testing.T, c *ctftest.Client) *websocket.Conn {
	t.Helper()
	_, body := c.Do(t, "GET", "/api/me", nil)
	conn, _, err := websocket.DefaultDialer.Dial(ctftest.MustJSON(t, body)["websocket_url"].(string), nil)
	if err != nil {
		t.Fatalf("dial scorestream: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func challengeStats(t *testing.T, s httpapi.AdminStats, id int) httpapi.ChallengeStats {
	t.Helper()
	for _, c := range s.Challenges {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("challenge %d missing from %+v", id, s.Challenges)
	return httpapi.ChallengeStats{}
}

func TestAdminDashboardShowsTheGame(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	b.login()

	alice, bob, carol := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob"), srv.MustLogin(t, "carol")
	if status, body := alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Al'ice"}); status != 200 {
		t.Fatalf("set-name: %d %s", status, body)
	}
	bob.Do(t, "POST", "/api/set-name", map[string]string{"name": "Bobby"})
	for _, c := range []*ctftest.Client{alice, bob} { // alice first
		if status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 || !strings.Contains(string(body), "correct") {
			t.Fatalf("solve: %d %s", status, body)
		}
	}
	const evil = `<script>alert("pwned")</script>`
	carol.Do(t, "POST", "/api/submit", map[string]any{"id": 2, "flag": "x"}) // locked: not a wrong guess
	carol.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "  " + evil + "  "})
	dialScorestream(t, alice)
	dialScorestream(t, alice) // a second tab
	dialScorestream(t, bob)

	s := b.waitStats("two solves, a wrong guess and three sockets", func(s httpapi.AdminStats) bool {
		return s.Solves == 2 && len(s.Wrong) == 1 && s.Sockets == 3
	})
	warm := challengeStats(t, s, 1)
	if warm.Solves != 2 || warm.FirstSolver != "Al'ice" || warm.FirstSolveMS == 0 || warm.Title != "Warm Up" {
		t.Errorf("Warm Up: %+v, want 2 solves, first solver Alice", warm)
	}
	if c := challengeStats(t, s, 2); c.Solves != 0 || c.FirstSolver != "" {
		t.Errorf("Second Step: %+v, want unsolved", c)
	}
	if s.PlayersOnline != 2 || s.PlayersTotal != 5 || s.PlayersActive != 2 {
		t.Errorf("players: online %d total %d active %d, want 2, 5, 2", s.PlayersOnline, s.PlayersTotal, s.PlayersActive)
	}
	if w := s.Wrong[0]; w.Guess != evil || w.Player != "carol" || w.Challenge != "Warm Up" || w.ChallengeID != 1 || w.TS == 0 {
		t.Errorf("wrong guess: %+v", w)
	}
	// The two solves fall in the last minute or two (a minute may have
	// turned since).
	if n := len(s.SolvesPerMinute); n != views.SolveMinutes || s.SolvesPerMinute[n-1].Solves+s.SolvesPerMinute[n-2].Solves != 2 ||
		s.SolvesPerMinute[n-1].StartMS-s.SolvesPerMinute[0].StartMS != int64(views.SolveMinutes-1)*60000 {
		t.Errorf("solves per minute: %+v, want the 2 solves at the end", s.SolvesPerMinute)
	}
	if s.DBBytes <= 0 || s.Version == "" || s.StartedMS == 0 || s.LastEventID == 0 {
		t.Errorf("db %d, version %q, started %d, last event %d", s.DBBytes, s.Version, s.StartedMS, s.LastEventID)
	}

	// The page shows the same, with every name and guess escaped, and no
	// inline script or style (the CSP forbids them).
	page := b.get("/admin")
	for _, want := range []string{"Warm Up", "Al&#39;ice", "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;", `<td class="n">2</td>`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(page.body, evil) || strings.Contains(page.body, "Al'ice") {
		t.Error("dashboard shows player input unescaped")
	}
	if regexp.MustCompile(`<script>|<style|\sstyle=|\son[a-z]+=`).MatchString(page.body) {
		t.Error("dashboard has inline script or style")
	}
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("dashboard CSP %q", csp)
	}
	for name, ctype := range map[string]string{"dashboard.js": "text/javascript", "dashboard.css": "text/css"} {
		if r := b.get("/admin/assets/" + name); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), ctype) || len(r.body) < 100 {
			t.Errorf("asset %s: %d %q", name, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := b.get("/admin/assets/admin.html"); r.status != 404 {
		t.Errorf("the template is served as an asset: %d", r.status)
	}

	// A solve changes the stats.
	before := s.LastEventID
	carol.Do(t, "POST", "/api/submit", map[string]any{"id": 3, "flag": "ctf{CASE}"})
	s = b.waitStats("carol's solve", func(s httpapi.AdminStats) bool { return challengeStats(t, s, 3).Solves == 1 })
	if c := challengeStats(t, s, 3); c.FirstSolver != "carol" || s.Solves != 3 || s.LastEventID <= before {
		t.Errorf("after carol's solve: %+v, solves %d", c, s.Solves)
	}

	// Nothing of the admin data leaks into the player API.
	for _, path := range []string{"/api/me", "/api/challenges", "/api/scoreboard", "/api/board"} {
		_, body := bob.Do(t, "GET", path, nil)
		if strings.Contains(string(body), "pwned") {
			t.Errorf("%s shows a wrong guess", path)
		}
	}
	var session string
	for _, ck := range alice.HTTP.Jar.Cookies(mustURL(t, srv.URL)) {
		session = ck.Value
	}
	assertNoSecrets(t, bodies, session)
}

func TestAdminDashboardResetNeedsCSRF(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	csrf := csrfOf(t, b.login().body)
	alice := srv.MustLogin(t, "alice")
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 3, "flag": "nope"})

	// Another browser, without an admin session, cannot reset even with
	// a form token it somehow learned.
	stranger := newAdminBrowser(t, srv, &bodies)
	if r := stranger.post("/admin/game/reset", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("reset without a session: %d", r.status)
	}
	for name, form := range map[string]url.Values{
		"no csrf":    {"confirm": {"yes"}},
		"wrong csrf": {"csrf": {csrf + "x"}, "confirm": {"yes"}},
		"empty csrf": {"csrf": {""}, "confirm": {"yes"}},
		"the token":  {"csrf": {ctftest.AdminToken}, "token": {ctftest.AdminToken}, "confirm": {"yes"}},
	} {
		if r := b.post("/admin/game/reset", form); r.status != http.StatusForbidden || !strings.Contains(r.body, "form token") {
			t.Fatalf("%s: %d, want 403: %s", name, r.status, r.body)
		}
	}
	if r := b.post("/admin/game/reset", url.Values{"csrf": {csrf}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "confirmation") {
		t.Fatalf("unconfirmed: %d %s", r.status, r.body)
	}
	if status, _ := alice.Do(t, "GET", "/api/me", nil); status != 200 {
		t.Fatal("a refused reset logged alice out")
	}

	r := b.post("/admin/game/reset", url.Values{"csrf": {csrf}, "confirm": {"yes"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	page := b.get("/admin")
	if !strings.Contains(page.body, "Reset done: 1 events removed") {
		t.Errorf("no confirmation after the reset: %s", page.body)
	}
	if again := b.get("/admin"); strings.Contains(again.body, "Reset done") {
		t.Error("the confirmation is shown twice")
	}
	if status, _ := alice.Do(t, "GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Errorf("alice still logged in after the reset: %d", status)
	}
	s := b.stats() // the reset dropped the cached stats
	if s.Solves != 0 || len(s.Wrong) != 0 || challengeStats(t, s, 1).Solves != 0 || challengeStats(t, s, 1).FirstSolver != "" {
		t.Errorf("stats after the reset: %+v", s)
	}
	// The admin stays logged in, with the same form token.
	if csrfOf(t, page.body) != csrf {
		t.Error("the form token changed within a session")
	}
	assertNoSecrets(t, bodies)
}

func TestAdminLogout(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	csrf := csrfOf(t, b.login().body)
	var cookie *http.Cookie
	for _, ck := range b.HTTP.Jar.Cookies(mustURL(t, srv.URL+"/admin")) {
		if ck.Name == httpapi.AdminCookie {
			cookie = ck
		}
	}
	if cookie == nil {
		t.Fatal("no admin cookie in the jar")
	}
	if r := b.post("/admin/logout", url.Values{}); r.status != http.StatusForbidden {
		t.Fatalf("logout without the form token: %d", r.status)
	}
	if r := b.get("/admin/api/stats"); r.status != 200 {
		t.Fatalf("a refused logout ended the session: %d", r.status)
	}
	r := b.post("/admin/logout", url.Values{"csrf": {csrf}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if ck := cookieNamed(r.header, httpapi.AdminCookie); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("logout did not clear the cookie: %+v", ck)
	}
	if r := b.get("/admin/api/stats"); r.status != http.StatusUnauthorized {
		t.Errorf("stats after logout: %d", r.status)
	}
	// A copy of the old cookie is worthless now.
	replay := newAdminBrowser(t, srv, &bodies)
	replay.HTTP.Jar.SetCookies(mustURL(t, srv.URL+"/admin"), []*http.Cookie{{Name: httpapi.AdminCookie, Value: cookie.Value, Path: "/admin"}})
	if r := replay.get("/admin"); r.status != 200 || !strings.Contains(r.body, `name="token"`) || strings.Contains(r.body, "Latest wrong") {
		t.Errorf("old cookie after logout: %d, want the login form", r.status)
	}
	if r := replay.post("/admin/game/reset", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); r.status != http.StatusUnauthorized {
		t.Errorf("reset with the old cookie: %d", r.status)
	}
	assertNoSecrets(t, bodies, cookie.Value)
}

// An admin session ends after 12 hours of the server's clock.
func TestAdminSessionExpires(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.Now = clock })
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	csrf := csrfOf(t, b.login().body)
	mu.Lock()
	now = now.Add(11 * time.Hour)
	mu.Unlock()
	if r := b.get("/admin/api/stats"); r.status != 200 {
		t.Fatalf("after 11 h: %d", r.status)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if r := b.get("/admin/api/stats"); r.status != http.StatusUnauthorized {
		t.Errorf("after 12 h: %d, want 401", r.status)
	}
	if r := b.get("/admin"); !strings.Contains(r.body, `name="token"`) {
		t.Error("after 12 h the dashboard is still shown")
	}
	if r := b.post("/admin/game/reset", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); r.status != http.StatusUnauthorized {
		t.Errorf("reset after 12 h: %d", r.status)
	}
}

// TestAdminDashboardFreeze: the dashboard's Freeze now and Unfreeze
// buttons (form token required), the banner that says a freeze is on, the
// true and the public board side by side, and an early release.
func TestAdminDashboardFreeze(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	csrf := csrfOf(t, b.login().body)
	alice := srv.MustLogin(t, "alice")
	alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})
	if r := b.post("/admin/game/freeze", url.Values{}); r.status != http.StatusForbidden {
		t.Fatalf("freeze without the form token: %d", r.status)
	}
	if r := b.post("/admin/game/freeze", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther {
		t.Fatalf("freeze: %d %s", r.status, r.body)
	}
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	page := b.get("/admin").body
	if !strings.Contains(page, "Scoreboard frozen.") || strings.Contains(page, `id="freeze-banner" class="freeze" hidden`) {
		t.Fatalf("no freeze flash or banner on the page:\n%s", page)
	}
	s := b.stats()
	if !s.Clock.Frozen || len(s.LiveBoard) != 1 || s.LiveBoard[0].Score != 100 || len(s.PublicBoard) != 1 || s.PublicBoard[0].Score != 0 {
		t.Fatalf("boards during the freeze: live %+v public %+v", s.LiveBoard, s.PublicBoard)
	}
	if r := b.post("/admin/game/unfreeze", url.Values{"csrf": {csrf}}); r.status != http.StatusSeeOther {
		t.Fatalf("unfreeze: %d", r.status)
	}
	s = b.waitStats("unfrozen", func(s httpapi.AdminStats) bool { return !s.Clock.Frozen })
	if s.PublicBoard[0].Score != 100 {
		t.Fatalf("public board after the unfreeze: %+v", s.PublicBoard)
	}
	if r := b.post("/admin/game/release", url.Values{"csrf": {csrf}, "id": {"99"}}); r.status != http.StatusBadRequest {
		t.Fatalf("release of an unknown challenge: %d", r.status)
	}
	if r := b.post("/admin/game/release", url.Values{"csrf": {csrf}, "id": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.status)
	}

	// The clock form: a freeze time set live, a bad one refused with a
	// reason, "none" back to the configured value.
	if r := b.post("/admin/game/clock", url.Values{"csrf": {csrf}, "freeze": {"2020-01-01T00:00:00Z"}}); r.status != http.StatusSeeOther {
		t.Fatalf("clock form: %d %s", r.status, r.body)
	}
	if s := b.stats(); s.Clock.Freeze == nil || *s.Clock.Freeze != "2020-01-01T00:00:00Z" || !s.Clock.Frozen || s.Clock.FreezeSource == nil || *s.Clock.FreezeSource != "admin" {
		t.Fatalf("clock after the form: %+v", s.Clock)
	}
	if r := b.post("/admin/game/clock", url.Values{"csrf": {csrf}, "end": {"tomorrow"}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "invalid_time") {
		t.Fatalf("a bad time: %d", r.status)
	}
	if r := b.post("/admin/game/clock", url.Values{"csrf": {csrf}, "freeze": {"none"}}); r.status != http.StatusSeeOther {
		t.Fatalf("clock form none: %d", r.status)
	}
	if s := b.stats(); s.Clock.Freeze != nil {
		t.Fatalf("freeze after none: %+v", s.Clock)
	}
	assertNoSecrets(t, bodies)
}
