package httpapi_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
)

// mustPost sends body to path with exactly the given headers (no default
// Content-Type) through c's cookie jar, and returns the status and body.
func mustPost(t *testing.T, c *ctftest.Client, path, body string, hdr http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", c.Base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func ctype(v string) http.Header { return http.Header{"Content-Type": {v}} }

// assertTotal checks the player's total from /api/me.
func assertTotal(t *testing.T, c *ctftest.Client, want float64) {
	t.Helper()
	_, body := c.Do(t, "GET", "/api/me", nil)
	if got := ctftest.MustJSON(t, body)["total"]; got != want {
		t.Fatalf("total %v, want %v", got, want)
	}
}

// A browser sends text/plain and form bodies to any site without a CORS
// preflight, so the cookie-authenticated JSON endpoints refuse every body
// not declared as JSON, before acting on it.
func TestJSONEndpointsRequireJSONContentType(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	alice := srv.MustLogin(t, "alice")
	for _, path := range []string{"/api/submit", "/api/hint", "/api/set-name", "/api/login"} {
		body := map[string]string{
			"/api/submit":   `{"id":1,"flag":"flag{warm}"}`,
			"/api/hint":     `{"id":1,"hint_id":2}`,
			"/api/set-name": `{"name":"Forged"}`,
			"/api/login":    `{"username":"bob","password":"bob-pw"}`,
		}[path]
		for _, hdr := range []http.Header{
			ctype("text/plain"), ctype("text/plain;charset=UTF-8"), ctype("application/x-www-form-urlencoded"),
			ctype("multipart/form-data; boundary=x"), ctype("application/jsonp"), ctype("text/json"), {},
		} {
			status, got := mustPost(t, alice, path, body, hdr)
			if status != http.StatusUnsupportedMediaType || !strings.Contains(got, `{"error":"unsupported_media_type"}`) {
				t.Errorf("POST %s with Content-Type %q: %d %s, want 415 unsupported_media_type", path, hdr.Get("Content-Type"), status, got)
			}
		}
	}
	// Nothing of the refused requests happened.
	assertTotal(t, alice, 0)
	if _, body := alice.Do(t, "GET", "/api/me", nil); !strings.Contains(string(body), `"username":"alice"`) || !strings.Contains(string(body), `"displayname":null`) {
		t.Fatalf("refused requests changed the session or the name: %s", body)
	}
	// JSON with parameters, in any case, is JSON.
	for i, ct := range []string{"application/json; charset=utf-8", "Application/JSON", "application/json;charset=\"utf-8\""} {
		status, got := mustPost(t, alice, "/api/set-name", `{"name":"Alice `+string(rune('A'+i))+`"}`, ctype(ct))
		if status != http.StatusOK {
			t.Errorf("set-name with %q: %d %s", ct, status, got)
		}
	}
	// Logout has no body and needs no content type (the web app sends none).
	if status, got := mustPost(t, alice, "/api/logout", "", nil); status != http.StatusNoContent {
		t.Fatalf("logout without a body: %d %s", status, got)
	}
}

// Pages of other sites, sibling ports and subdomains included (CTFs host
// challenge sites there), cannot make a player's browser act with the
// player's cookie, nor log the browser in (login CSRF). Same-origin
// pages, and clients that are not browsers, work as before.
func TestCrossSiteRequestsRefused(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	u, _ := url.Parse(srv.URL)
	self := srv.URL
	sibling := "http://" + u.Hostname() + ":1" // same site, another port
	refused := []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Sec-Fetch-Site": {"same-site"}},
		{"Sec-Fetch-Site": {"same-site"}, "Origin": {sibling}},
		{"Sec-Fetch-Site": {"cross-site"}, "Origin": {self}}, // Sec-Fetch-Site decides
		{"Origin": {"https://evil.example"}},
		{"Origin": {sibling}},
		{"Origin": {"null"}},
	}
	allowed := []http.Header{
		{"Sec-Fetch-Site": {"same-origin"}, "Origin": {self}},
		{"Sec-Fetch-Site": {"none"}},
		{"Origin": {self}},
		{}, // curl, scripts, the emulator
	}
	alice := srv.MustLogin(t, "alice")
	posts := []struct{ path, body string }{
		{"/api/submit", `{"id":1,"flag":"flag{warm}"}`},
		{"/api/hint", `{"id":1,"hint_id":2}`},
		{"/api/set-name", `{"name":"Forged"}`},
		{"/api/login", `{"username":"bob","password":"bob-pw"}`},
		{"/api/logout", ``},
	}
	for _, p := range posts {
		for _, h := range refused {
			h = h.Clone()
			h.Set("Content-Type", "application/json")
			status, got := mustPost(t, alice, p.path, p.body, h)
			if status != http.StatusForbidden || !strings.Contains(got, `{"error":"cross_site"}`) {
				t.Errorf("POST %s with %v: %d %s, want 403 cross_site", p.path, h, status, got)
			}
		}
	}
	// alice is still alice, with nothing solved, bought or renamed.
	_, body := alice.Do(t, "GET", "/api/me", nil)
	if m := ctftest.MustJSON(t, body); m["username"] != "alice" || m["total"] != 0.0 || m["displayname"] != nil {
		t.Fatalf("cross-site requests had an effect: %s", body)
	}

	for i, h := range allowed {
		h = h.Clone()
		h.Set("Content-Type", "application/json")
		c := srv.NewClient()
		if status, got := mustPost(t, c, "/api/login", `{"username":"bob","password":"bob-pw"}`, h); status != http.StatusOK {
			t.Fatalf("login with %v: %d %s", h, status, got)
		}
		if status, got := mustPost(t, c, "/api/set-name", `{"name":"Bob `+string(rune('A'+i))+`"}`, h); status != http.StatusOK {
			t.Errorf("set-name with %v: %d %s", h, status, got)
		}
		if status, got := mustPost(t, c, "/api/logout", "", h); status != http.StatusNoContent {
			t.Errorf("logout with %v: %d %s", h, status, got)
		}
	}
	if status, got := mustPost(t, alice, "/api/submit", `{"id":1,"flag":"flag{warm}"}`, http.Header{"Content-Type": {"application/json"}, "Sec-Fetch-Site": {"same-origin"}, "Origin": {self}}); status != http.StatusOK || !strings.Contains(got, `"correct"`) {
		t.Fatalf("same-origin submit: %d %s", status, got)
	}

	// Judges' and reset scripts authenticate with a token, not the cookie:
	// no page can forge them, so they pass whatever the headers say, with
	// the bodies curl sends by default.
	judge := srv.NewClient()
	hdr := http.Header{"Authorization": {"Bearer " + ctftest.APIToken}, "Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}
	if status, got := mustPost(t, judge, "/api/award", `{"username":"erin","id":1}`, hdr); status != http.StatusOK || !strings.Contains(got, `"ok"`) {
		t.Fatalf("award: %d %s", status, got)
	}
	hdr = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-site"}}
	if status, got := mustPost(t, judge, "/admin/reset", "token="+url.QueryEscape(ctftest.AdminToken)+"&confirm=yes", hdr); status != http.StatusOK || !strings.Contains(got, "events removed") {
		t.Fatalf("form reset: %d %s", status, got)
	}
}

// The admin dashboard's cookie POSTs get the same check, on top of their
// form tokens; its own pages post same-origin.
func TestAdminDashboardRefusesCrossSite(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	cross := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}
	if r := b.do("POST", "/admin/login", url.Values{"token": {ctftest.AdminToken}}, cross.Clone()); r.status != http.StatusForbidden || cookieNamed(r.header, "ctfg_admin") != nil {
		t.Fatalf("cross-site admin login: %d %v %s", r.status, r.header, r.body)
	}
	csrf := csrfOf(t, b.login().body)
	alice := srv.MustLogin(t, "alice")
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	for _, h := range []http.Header{cross, {"Sec-Fetch-Site": {"same-site"}}, {"Origin": {"http://evil.example"}}} {
		if r := b.do("POST", "/admin/game/reset", url.Values{"csrf": {csrf}, "confirm": {"yes"}}, h.Clone()); r.status != http.StatusForbidden {
			t.Fatalf("cross-site dashboard reset with %v: %d %s", h, r.status, r.body)
		}
		if r := b.do("POST", "/admin/logout", url.Values{"csrf": {csrf}}, h.Clone()); r.status != http.StatusForbidden {
			t.Fatalf("cross-site admin logout with %v: %d %s", h, r.status, r.body)
		}
	}
	assertTotal(t, alice, 100)
	same := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {srv.URL}}
	if r := b.do("POST", "/admin/game/reset", url.Values{"csrf": {csrf}, "confirm": {"yes"}}, same); r.status != http.StatusSeeOther {
		t.Fatalf("same-origin dashboard reset: %d %s", r.status, r.body)
	}
	assertNoSecrets(t, bodies)
}

// --allowed-origins names origins trusted besides the server's own (the
// public origin in front of a proxy); behind a trusted proxy, an old
// browser's Origin may also match X-Forwarded-Host.
func TestCrossSiteTrustedOrigins(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.AllowedOrigins = []string{"https://CTF.example.org/", "not an origin"}
		c.TrustProxy = true
	})
	c := srv.NewClient()
	login := `{"username":"bob","password":"bob-pw"}`
	for _, sc := range []struct {
		hdr    http.Header
		status int
	}{
		{http.Header{"Origin": {"https://ctf.example.org"}, "Sec-Fetch-Site": {"same-site"}}, 200},
		{http.Header{"Origin": {"https://ctf.example.org"}}, 200},
		{http.Header{"Origin": {"https://other.example.org"}, "Sec-Fetch-Site": {"same-site"}}, 403},
		{http.Header{"Origin": {"https://proxy.example"}, "X-Forwarded-Host": {"proxy.example"}}, 200},
		{http.Header{"Origin": {"https://evil.example"}, "X-Forwarded-Host": {"proxy.example"}}, 403},
		// Sec-Fetch-Site is authoritative: X-Forwarded-Host cannot widen it.
		{http.Header{"Origin": {"https://proxy.example"}, "X-Forwarded-Host": {"proxy.example"}, "Sec-Fetch-Site": {"cross-site"}}, 403},
	} {
		sc.hdr.Set("Content-Type", "application/json")
		if status, got := mustPost(t, c, "/api/login", login, sc.hdr); status != sc.status {
			t.Errorf("login with %v: %d %s, want %d", sc.hdr, status, got, sc.status)
		}
	}
	// Without --trust-proxy, X-Forwarded-Host is anyone's to send.
	plain := ctftest.MustServer(t, ctftest.MustGameDir(t))
	hdr := http.Header{"Origin": {"https://proxy.example"}, "X-Forwarded-Host": {"proxy.example"}, "Content-Type": {"application/json"}}
	if status, got := mustPost(t, plain.NewClient(), "/api/login", login, hdr); status != http.StatusForbidden {
		t.Fatalf("X-Forwarded-Host trusted without --trust-proxy: %d %s", status, got)
	}
}

// The Authorization scheme is case-insensitive (RFC 9110 §11.1), and
// judges' scripts post JSON with curl's default form content type.
func TestAwardBearerSchemeAnyCase(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.NewClient()
	for i, auth := range []string{"bearer " + ctftest.APIToken, "BEARER " + ctftest.APIToken, "Bearer   " + ctftest.APIToken + " ", "bEaReR " + ctftest.APIToken} {
		hdr := http.Header{"Authorization": {auth}, "Content-Type": {"application/x-www-form-urlencoded"}}
		body := `{"username":"erin","id":` + string(rune('1'+i)) + `}`
		if status, got := mustPost(t, c, "/api/award", body, hdr); status != http.StatusOK || !strings.Contains(got, `{"result":"ok"}`) {
			t.Fatalf("award with %q: %d %s", strings.Fields(auth)[0], status, got)
		}
	}
	for _, auth := range []string{"Basic " + ctftest.APIToken, "bearer", "bearer nope", "Bearer" + ctftest.APIToken} {
		if status, got := mustPost(t, c, "/api/award", `{"username":"erin","id":1}`, http.Header{"Authorization": {auth}}); status != http.StatusUnauthorized {
			t.Fatalf("award with a wrong Authorization: %d %s", status, got)
		}
	}
}

// A 405 names the methods the path has (RFC 9110 §15.5.6).
func TestMethodNotAllowedNamesAllowedMethods(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.NewClient()
	for _, sc := range []struct{ method, path, allow string }{
		{"GET", "/api/login", "POST"},
		{"PUT", "/api/submit", "POST"},
		{"POST", "/api/me", "GET, HEAD"},
		{"DELETE", "/api/challenges", "GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
		{"GET", "/admin/reset", "POST"},
		{"PATCH", "/admin", "GET, HEAD"},
		{"POST", "/admin/assets/dashboard.js", "GET, HEAD"},
	} {
		resp := c.Request(t, sc.method, sc.path, nil, nil)
		var b strings.Builder
		ioCopy(&b, resp)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != sc.allow || !strings.Contains(b.String(), "method_not_allowed") {
			t.Errorf("%s %s: %d Allow %q %s, want 405 Allow %q", sc.method, sc.path, resp.StatusCode, resp.Header.Get("Allow"), b.String(), sc.allow)
		}
	}
}

// encoding/json matches keys ignoring case and lets the last duplicate
// win; the API refuses both instead of guessing. Unknown keys stay
// ignored (old clients send extras).
func TestStrictJSONKeys(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	alice := srv.MustLogin(t, "alice")
	judge := http.Header{"Authorization": {"Bearer " + ctftest.APIToken}}
	runScenarios(t, alice, []scenario{
		{"upper-case keys", "POST", "/api/submit", `{"ID":1,"FLAG":"flag{warm}"}`, nil, 400, []string{`"key_case_mismatch"`}},
		{"one key in another case", "POST", "/api/submit", `{"id":1,"Flag":"flag{warm}"}`, nil, 400, []string{`"key_case_mismatch"`}},
		{"escaped upper case", "POST", "/api/submit", `{"id":1,"\u0046LAG":"flag{warm}"}`, nil, 400, []string{`"key_case_mismatch"`}},
		{"Unicode folding (long s)", "POST", "/api/login", `{"uſername":"alice","password":"alice-pw"}`, nil, 400, []string{`"key_case_mismatch"`}},
		{"duplicate key", "POST", "/api/submit", `{"id":1,"flag":"wrong","flag":"flag{warm}"}`, nil, 400, []string{`"duplicate_key"`}},
		{"duplicate through an escape", "POST", "/api/submit", `{"id":1,"flag":"wrong","\u0066lag":"flag{warm}"}`, nil, 400, []string{`"duplicate_key"`}},
		{"duplicate unknown key", "POST", "/api/hint", `{"id":1,"hint_id":1,"x":1,"x":2}`, nil, 400, []string{`"duplicate_key"`}},
		{"duplicate in award", "POST", "/api/award", `{"username":"alice","id":1,"id":2}`, judge, 400, []string{`"duplicate_key"`}},
		{"case in award", "POST", "/api/award", `{"Username":"alice","id":1}`, judge, 400, []string{`"key_case_mismatch"`}},
		{"stray closing brace", "POST", "/api/submit", `{"id":1,"flag":"flag{warm}"}}`, nil, 400, []string{`"malformed_json"`}},
		{"stray closing bracket", "POST", "/api/submit", `{"id":1,"flag":"flag{warm}"} ]`, nil, 400, []string{`"malformed_json"`}},
	})
	assertTotal(t, alice, 0)
	runScenarios(t, alice, []scenario{
		{"nested keys are not checked", "POST", "/api/hint", `{"id":1,"hint_id":1,"extra":{"ID":1,"id":2,"id":3}}`, nil, 200, []string{`"ok"`}},
		{"unknown keys ignored, escaped exact key", "POST", "/api/submit", `{"id":1,"\u0066lag":"flag{warm}","client":"old","Other":1}`, nil, 200, []string{`"correct"`}},
	})
	assertTotal(t, alice, 100)
}
