package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/game"
)

// scenario is one API request and what must come back.
type scenario struct {
	name   string
	method string
	path   string
	body   any
	header http.Header
	status int
	// want holds substrings the response body must contain.
	want []string
}

func runScenarios(t *testing.T, c *ctftest.Client, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		resp := c.Request(t, sc.method, sc.path, sc.body, sc.header)
		var buf strings.Builder
		_, _ = ioCopy(&buf, resp)
		if resp.StatusCode != sc.status {
			t.Errorf("%s: %s %s = %d %s, want %d", sc.name, sc.method, sc.path, resp.StatusCode, buf.String(), sc.status)
			continue
		}
		for _, w := range sc.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: body %s lacks %s", sc.name, buf.String(), w)
			}
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusNoContent && strings.HasPrefix(sc.path, "/api/") && ct != "application/json" {
			t.Errorf("%s: Content-Type %q", sc.name, ct)
		}
	}
}

// ioCopy reads and closes a response body into b.
func ioCopy(b *strings.Builder, resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(b, resp.Body)
}

func TestLoginAndSession(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	anon := srv.NewClient()
	runScenarios(t, anon, []scenario{
		{"me without session", "GET", "/api/me", nil, nil, 401, []string{`"error":"no session"`}},
		{"challenges without session", "GET", "/api/challenges", nil, nil, 401, nil},
		{"submit without session", "POST", "/api/submit", map[string]any{"id": 1, "flag": "x"}, nil, 401, nil},
		{"logout without session", "POST", "/api/logout", nil, nil, 401, nil},
		{"wrong password", "POST", "/api/login", map[string]string{"username": "alice", "password": "nope"}, nil, 401, []string{`"error":"invalid_credentials"`}},
		{"unknown user", "POST", "/api/login", map[string]string{"username": "mallory", "password": "x"}, nil, 401, []string{`invalid_credentials`}},
		{"missing password", "POST", "/api/login", map[string]string{"username": "alice"}, nil, 400, []string{`missing_parameters`}},
		{"malformed json", "POST", "/api/login", `{"username":`, nil, 400, []string{`malformed_json`}},
		{"wrong type", "POST", "/api/login", `{"username":1,"password":"x"}`, nil, 400, []string{`invalid_type`}},
		{"array body", "POST", "/api/login", `[1,2]`, nil, 400, nil},
		{"trailing data", "POST", "/api/login", `{"username":"a","password":"b"} {}`, nil, 400, []string{`malformed_json`}},
		{"invalid utf-8", "POST", "/api/login", "{\"username\":\"\xff\",\"password\":\"x\"}", nil, 400, []string{`invalid_utf8`}},
		{"huge body", "POST", "/api/login", `{"username":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, []string{`body_too_large`}},
		{"wrong method", "GET", "/api/login", nil, nil, 405, nil},
		{"unknown api path", "GET", "/api/nope", nil, nil, 404, []string{`not_found`}},
		{"bcrypt password", "POST", "/api/login", map[string]string{"username": "carol", "password": "carol-pw"}, nil, 200, []string{`"needs_name":true`, `"displayname":null`, `ws://`}},
	})

	alice := srv.NewClient()
	resp := alice.Request(t, "POST", "/api/login", map[string]string{"username": "alice", "password": "alice-pw"}, nil)
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "ctfg_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge <= 0 {
		t.Fatalf("session cookie: %+v", cookie)
	}
	resp = alice.Request(t, "GET", "/api/me", nil, nil)
	resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("me: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	runScenarios(t, alice, []scenario{
		{"me", "GET", "/api/me", nil, nil, 200, []string{`"username":"alice"`, `"needs_name":true`, `/scorestream?token=`}},
		{"logout", "POST", "/api/logout", nil, nil, 204, nil},
		{"me after logout", "GET", "/api/me", nil, nil, 401, nil},
	})
	// The old cookie no longer works even if a client kept it.
	replay := srv.NewClient()
	status, _ := replay.Do(t, "GET", "/api/me", nil)
	if status != 401 {
		t.Fatal("setup")
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/me", nil)
	req.AddCookie(cookie)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 401 {
		t.Fatalf("logged-out session still valid: %d", r2.StatusCode)
	}
}

func TestWebSocketURLOverride(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.WebSocketURL = "wss://ctf.example.org/scorestream" })
	c := srv.MustLogin(t, "alice")
	_, body := c.Do(t, "GET", "/api/me", nil)
	m := ctftest.MustJSON(t, body)
	if u := m["websocket_url"].(string); !strings.HasPrefix(u, "wss://ctf.example.org/scorestream?token=") {
		t.Fatalf("websocket_url %q", u)
	}
}

func TestSetName(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	alice, bob := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob")
	runScenarios(t, alice, []scenario{
		{"too short", "POST", "/api/set-name", map[string]string{"name": "a"}, nil, 400, []string{"at least 2"}},
		{"reserved", "POST", "/api/set-name", map[string]string{"name": "The Admin"}, nil, 400, []string{"may not contain"}},
		{"repeated", "POST", "/api/set-name", map[string]string{"name": "zzzzzz"}, nil, 400, nil},
		{"bad chars", "POST", "/api/set-name", map[string]string{"name": "<b>x</b>"}, nil, 400, nil},
		{"missing", "POST", "/api/set-name", map[string]string{}, nil, 400, nil},
		{"wrong type", "POST", "/api/set-name", `{"name":5}`, nil, 400, nil},
		{"ok", "POST", "/api/set-name", map[string]string{"name": "  Crypto   Cats "}, nil, 200, []string{`"result":"ok"`, `"displayname":"Crypto Cats"`}},
		{"same again", "POST", "/api/set-name", map[string]string{"name": "Crypto Cats"}, nil, 200, nil},
		{"own name new case", "POST", "/api/set-name", map[string]string{"name": "crypto cats"}, nil, 200, nil},
		{"me shows it", "GET", "/api/me", nil, nil, 200, []string{`"displayname":"crypto cats"`, `"needs_name":false`}},
	})
	runScenarios(t, bob, []scenario{
		{"taken ignoring case", "POST", "/api/set-name", map[string]string{"name": "CRYPTO CATS"}, nil, 409, []string{`name_taken`}},
		{"bob ok", "POST", "/api/set-name", map[string]string{"name": "Bobcat"}, nil, 200, nil},
	})
	// Alice renames: her old name becomes free.
	runScenarios(t, alice, []scenario{{"rename", "POST", "/api/set-name", map[string]string{"name": "Alice"}, nil, 200, nil}})
	runScenarios(t, bob, []scenario{{"old name free", "POST", "/api/set-name", map[string]string{"name": "Crypto Cats"}, nil, 200, nil}})
}

func TestChallengesAndPlaceholders(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.MustLogin(t, "bob")
	status, body := c.Do(t, "GET", "/api/challenges", nil)
	if status != 200 {
		t.Fatal(status, string(body))
	}
	var list []map[string]any
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	ids := []float64{}
	for _, ch := range list {
		ids = append(ids, ch["id"].(float64))
		for _, k := range []string{"id", "title", "category", "difficulty", "points", "solved", "description", "hints", "content"} {
			if _, ok := ch[k]; !ok {
				t.Errorf("challenge %v lacks %q", ch["id"], k)
			}
		}
		if _, leak := ch["flag"]; leak {
			t.Fatal("flag leaked")
		}
		if _, leak := ch["testflag"]; leak {
			t.Fatal("testflag leaked")
		}
	}
	if len(ids) != 3 || ids[0] != 1 || ids[1] != 3 || ids[2] != 4 {
		t.Fatalf("challenge 2 is locked: got ids %v", ids)
	}
	for _, h := range list[0]["hints"].([]any) {
		if _, ok := h.(map[string]any)["text"]; ok {
			t.Fatal("hint text before purchase")
		}
	}
	who := list[1]
	p, _ := srv.App.Engine.State().PlayerByUsername("bob")
	wantCluster := []string{"red.example", "blue.example"}[p.ID%2]
	desc := who["description"].(string)
	if !strings.Contains(desc, "u=bob ") || !strings.Contains(desc, "n=[unset]") || !strings.Contains(desc, "p="+wantCluster) || !strings.Contains(desc, "c=control.example") {
		t.Fatalf("placeholders: %s", desc)
	}
	if m, _ := who["content"].(map[string]any); m["file"] != "x.txt" {
		t.Fatalf("content passthrough: %v", who["content"])
	}
	c.Do(t, "POST", "/api/set-name", map[string]string{"name": "Bobby"})
	_, body = c.Do(t, "GET", "/api/challenges", nil)
	if !strings.Contains(string(body), "o="+game.Obfuscate("Bobby", game.DefaultObfuscationKey)) {
		t.Fatalf("obfuscated name missing: %s", body)
	}
}

func TestSubmit(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.MustLogin(t, "alice")
	runScenarios(t, c, []scenario{
		{"locked", "POST", "/api/submit", map[string]any{"id": 2, "flag": "flag{second}"}, nil, 403, []string{`"error":"locked"`}},
		{"unknown id", "POST", "/api/submit", map[string]any{"id": 99, "flag": "x"}, nil, 400, []string{`"error":"unknown_id"`}},
		{"missing flag", "POST", "/api/submit", map[string]any{"id": 1}, nil, 400, []string{`missing_parameters`}},
		{"flag wrong type", "POST", "/api/submit", `{"id":1,"flag":7}`, nil, 400, []string{`invalid_type`}},
		{"id wrong type", "POST", "/api/submit", `{"id":true,"flag":"x"}`, nil, 400, nil},
		{"incorrect", "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{cold}"}, nil, 200, []string{`{"result":"incorrect"}`}},
		{"correct trimmed", "POST", "/api/submit", map[string]any{"id": 1, "flag": "  flag{warm}\n"}, nil, 200, []string{`"result":"correct"`, `"points":100`, `"total":100`}},
		{"already", "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}, nil, 200, []string{`"result":"already_solved"`, `"total":100`}},
		{"unlocked, id as string", "POST", "/api/submit", map[string]any{"id": "2", "flag": "flag{second}"}, nil, 200, []string{`"total":300`}},
		{"case-insensitive flag", "POST", "/api/submit", map[string]any{"id": 3, "flag": "ctf{CASE}"}, nil, 200, []string{`"correct"`}},
		{"two matches are wrong", "POST", "/api/submit", map[string]any{"id": 4, "flag": "flag{a}flag{b}"}, nil, 200, []string{`incorrect`}},
		{"one match inside text", "POST", "/api/submit", map[string]any{"id": 4, "flag": "xx flag{once} yy"}, nil, 200, []string{`"correct"`, `"total":650`}},
		{"challenges show solved", "GET", "/api/challenges", nil, nil, 200, []string{`"solved":true`}},
	})
}

func TestSubmitRateLimit(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.MustLogin(t, "alice")
	// Correct answers are never charged.
	c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	for i := 0; i < 5; i++ {
		c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	}
	// Ten wrong guesses drain the bucket; then even a right one waits.
	for i := 0; i < 10; i++ {
		status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 2, "flag": "nope"})
		if status != 200 {
			t.Fatalf("guess %d: %d %s", i, status, body)
		}
	}
	status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 2, "flag": "flag{second}"})
	if status != 429 || !strings.Contains(string(body), "rate_limit_exceeded") {
		t.Fatalf("empty bucket: %d %s", status, body)
	}
	resp := c.Request(t, "POST", "/api/submit", map[string]any{"id": 2, "flag": "x"}, nil)
	resp.Body.Close()
	if ra := resp.Header.Get("Retry-After"); resp.StatusCode != 429 || (ra != "1" && ra != "2") {
		t.Fatalf("429 without a Retry-After of one refill (2 s): %d %q", resp.StatusCode, ra)
	}
	// Another player is not affected.
	b := srv.MustLogin(t, "bob")
	if status, _ := b.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 {
		t.Fatalf("bob limited: %d", status)
	}
}

func TestHints(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.MustLogin(t, "dave")
	runScenarios(t, c, []scenario{
		{"missing", "POST", "/api/hint", map[string]any{"id": 1}, nil, 400, []string{`missing_parameters`}},
		{"unknown challenge", "POST", "/api/hint", map[string]any{"id": 9, "hint_id": 1}, nil, 400, []string{`unknown_challenge`}},
		{"unknown hint", "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 9}, nil, 400, []string{`unknown_hint`}},
		{"out of order", "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2}, nil, 403, []string{`"error":"locked"`}},
		{"locked challenge", "POST", "/api/hint", map[string]any{"id": 2, "hint_id": 1}, nil, 403, []string{`locked`}},
		{"free hint", "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1}, nil, 200, []string{`"result":"ok"`, `"text":"It is warm."`, `"total":0`}},
		{"again", "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1}, nil, 400, []string{`already_purchased`}},
		{"no points", "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2}, nil, 402, []string{`insufficient_points`}},
		{"solve", "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}, nil, 200, []string{`"total":100`}},
		{"paid hint", "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2}, nil, 200, []string{`"text":"Really warm."`, `"total":90`}},
		{"hint 1 of 2", "POST", "/api/hint", map[string]any{"id": 2, "hint_id": 1}, nil, 200, []string{`"total":40`}},
		{"hint 2 of 2 too dear", "POST", "/api/hint", map[string]any{"id": 2, "hint_id": 2}, nil, 402, nil},
		{"texts shown", "GET", "/api/challenges", nil, nil, 200, []string{`"text":"It is warm."`, `"text":"First hint."`}},
	})
	_, body := c.Do(t, "GET", "/api/challenges", nil)
	if strings.Contains(string(body), "Second hint.") {
		t.Fatal("unbought hint text leaked")
	}
}

func TestAward(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.NewClient()
	bearer := http.Header{"Authorization": {"Bearer " + ctftest.APIToken}}
	raw := http.Header{"Authorization": {ctftest.APIToken}}
	wrong := http.Header{"Authorization": {"Bearer nope"}}
	runScenarios(t, c, []scenario{
		{"no token", "POST", "/api/award", map[string]any{"username": "erin", "id": 1}, nil, 401, nil},
		{"wrong token", "POST", "/api/award", map[string]any{"username": "erin", "id": 1}, wrong, 401, nil},
		{"unknown user", "POST", "/api/award", map[string]any{"username": "nobody", "id": 1}, bearer, 404, []string{`unknown_user`}},
		{"unknown id", "POST", "/api/award", map[string]any{"username": "erin", "id": 42}, bearer, 400, []string{`unknown_id`}},
		{"bad id", "POST", "/api/award", map[string]any{"username": "erin", "id": "x"}, bearer, 400, nil},
		{"ok bearer", "POST", "/api/award", map[string]any{"username": "erin", "id": 1}, bearer, 200, []string{`{"result":"ok"}`}},
		{"ok raw, id as string, requirements not checked", "POST", "/api/award", map[string]any{"username": "erin", "id": "2"}, raw, 200, []string{`"ok"`}},
		{"already", "POST", "/api/award", map[string]any{"username": "erin", "id": 1}, bearer, 200, []string{`"already_solved"`, `"total":300`}},
	})
	status, body := c.Do(t, "GET", "/api/scoreboard", nil)
	if status != 401 {
		t.Fatalf("scoreboard without session: %d %s", status, body)
	}
	e := srv.MustLogin(t, "erin")
	_, body = e.Do(t, "GET", "/api/scoreboard", nil)
	if !strings.Contains(string(body), `"score":300`) || !strings.Contains(string(body), `"solves":2`) {
		t.Fatalf("scoreboard: %s", body)
	}
}

func TestAwardWithoutToken(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.APIToken = ""; c.AdminToken = "" })
	c := srv.NewClient()
	runScenarios(t, c, []scenario{
		{"award refused when unconfigured", "POST", "/api/award", map[string]any{"username": "erin", "id": 1}, http.Header{"Authorization": {"Bearer "}}, 401, nil},
		{"reset disabled", "POST", "/admin/reset?confirm=yes", map[string]string{"token": ""}, nil, 503, nil},
	})
}

func TestPublicScoreboard(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.PublicBoard = true })
	c := srv.NewClient()
	runScenarios(t, c, []scenario{
		{"scoreboard", "GET", "/api/scoreboard", nil, nil, 200, []string{`"players":[]`}},
		{"board", "GET", "/api/board", nil, nil, 200, []string{`"public":true`, `token=`}},
	})
	priv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	runScenarios(t, priv.NewClient(), []scenario{{"board needs login", "GET", "/api/board", nil, nil, 401, nil}})
}

func TestAdminReset(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	alice := srv.MustLogin(t, "alice")
	alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	anon := srv.NewClient()
	form := func(v string) http.Header { return http.Header{"Content-Type": {v}} }
	status, body := anon.Do(t, "GET", "/reset", nil)
	if status != 200 || !strings.Contains(string(body), `name="token"`) || !strings.Contains(string(body), `name="confirm"`) {
		t.Fatalf("reset page: %d %s", status, body)
	}
	resp := anon.Request(t, "POST", "/admin/reset", "token=wrong&confirm=yes", form("application/x-www-form-urlencoded"))
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	resp = anon.Request(t, "POST", "/admin/reset", "token="+ctftest.AdminToken, form("application/x-www-form-urlencoded"))
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("unconfirmed: %d", resp.StatusCode)
	}
	runScenarios(t, anon, []scenario{
		{"json unconfirmed", "POST", "/admin/reset", map[string]string{"token": ctftest.AdminToken}, nil, 400, []string{"unconfirmed"}},
		{"json wrong", "POST", "/admin/reset?confirm=yes", map[string]string{"token": "x"}, nil, 401, nil},
		{"json ok", "POST", "/admin/reset?confirm=yes", map[string]string{"token": ctftest.AdminToken}, nil, 200, []string{`"events_removed":2`}},
	})
	if status, _ := alice.Do(t, "GET", "/api/me", nil); status != 401 {
		t.Fatalf("session must end with a reset, got %d", status)
	}
	alice = srv.MustLogin(t, "alice")
	_, body = alice.Do(t, "GET", "/api/me", nil)
	if !strings.Contains(string(body), `"needs_name":true`) || !strings.Contains(string(body), `"total":0`) {
		t.Fatalf("after reset: %s", body)
	}
	// The form flow works too and reports what it removed.
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	resp = anon.Request(t, "POST", "/admin/reset", "token="+ctftest.AdminToken+"&confirm=yes", form("application/x-www-form-urlencoded"))
	var b strings.Builder
	ioCopy(&b, resp)
	if resp.StatusCode != 200 || !strings.Contains(b.String(), "1 events removed") {
		t.Fatalf("form reset: %d %s", resp.StatusCode, b.String())
	}
	if strings.Contains(b.String(), ctftest.AdminToken) {
		t.Fatal("the page echoes the token")
	}
}

// TestOldSampleGamePlays serves the old engine's sample game unchanged and
// checks that descriptions and hint texts (emoji, tables, entities) come
// back byte for byte.
func TestOldSampleGamePlays(t *testing.T) {
	dir := t.TempDir()
	var src []map[string]any
	for _, f := range []string{"challenges.json", "credentials.csv", "game-clusters.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "gamefile", "testdata", "compat", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "challenges.json" {
			json.Unmarshal(b, &src)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o600)
	}
	srv := ctftest.MustServer(t, dir)
	c := srv.NewClient()
	if status, body := c.Do(t, "POST", "/api/login", map[string]string{"username": "player7", "password": "password7"}); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	if status, body := c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1}); status != 200 {
		t.Fatalf("free hint: %d %s", status, body)
	}
	_, body := c.Do(t, "GET", "/api/challenges", nil)
	var got []map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if len(got) != 3 { // challenges 1, 2 and 6 have no requirements
		t.Fatalf("%d challenges available", len(got))
	}
	byID := map[float64]map[string]any{}
	for _, ch := range src {
		byID[ch["id"].(float64)] = ch
	}
	for _, ch := range got {
		want := byID[ch["id"].(float64)]
		if ch["description"] != want["description"] || ch["title"] != want["title"] {
			t.Errorf("challenge %v differs", ch["id"])
		}
	}
	hint := got[0]["hints"].([]any)[0].(map[string]any)
	if hint["text"] != byID[1]["hints"].([]any)[0].(map[string]any)["text"] {
		t.Errorf("hint text differs: %v", hint["text"])
	}
	// Play it through with the testflags.
	for round := 0; round < 15; round++ {
		_, body = c.Do(t, "GET", "/api/challenges", nil)
		json.Unmarshal(body, &got)
		for _, ch := range got {
			if ch["solved"] == true {
				continue
			}
			c.Do(t, "POST", "/api/submit", map[string]any{"id": ch["id"], "flag": byID[ch["id"].(float64)]["testflag"]})
		}
	}
	_, body = c.Do(t, "GET", "/api/challenges", nil)
	json.Unmarshal(body, &got)
	if len(got) != 15 || strings.Count(string(body), `"solved":true`) != 15 {
		t.Fatalf("not all 15 solved: %d available", len(got))
	}
}
