package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
)

// The API half of the docs test: every JSON example of a response in
// docs/API.md (table cells, prose, fenced blocks) is parsed, the request
// it documents is made against a real server, and the keys of the example
// must be the keys of the real answer, nested objects included. Examples
// are written loosely ({a, b, c}, "key":..., key?, "...elided..."), so a
// small tolerant parser reads them.

// shape is what an example says about a JSON value: for an object its
// keys (with their values' shapes), for an array the shape of its
// elements, for a string its text.
type shape struct {
	obj      bool
	keys     map[string]*shape // nil value: a scalar or an elided value
	optional map[string]bool   // "key?" in the example
	arr      bool
	elem     *shape // the first object element of an array, if any
	lit      string // a quoted string's text
}

type shapeParser struct {
	s string
	i int
}

func (p *shapeParser) ws() {
	for p.i < len(p.s) && strings.ContainsRune(" \t\n", rune(p.s[p.i])) {
		p.i++
	}
}

// elision consumes "...", "…" or "...words, words..." and reports
// whether it found one.
func (p *shapeParser) elision() bool {
	var open string
	for _, e := range []string{"...", "…"} {
		if strings.HasPrefix(p.s[p.i:], e) {
			open = e
		}
	}
	if open == "" {
		return false
	}
	p.i += len(open)
	// Words after the dots run to the closing dots, within the brackets.
	if p.i < len(p.s) && !strings.ContainsRune(",}] \n", rune(p.s[p.i])) {
		end := len(p.s)
		if j := strings.IndexAny(p.s[p.i:], "]}"); j >= 0 {
			end = p.i + j
		}
		for _, e := range []string{"...", "…"} {
			if j := strings.Index(p.s[p.i:end], e); j >= 0 {
				end = p.i + j + len(e)
				break
			}
		}
		p.i = end
	}
	return true
}

func (p *shapeParser) value() (*shape, error) {
	p.ws()
	if p.i >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	if p.elision() {
		return nil, nil
	}
	switch p.s[p.i] {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		lit, err := p.str()
		return &shape{lit: lit}, err
	}
	// A number, true, false, null, N, true|false, <word>...
	j := strings.IndexAny(p.s[p.i:], ",}]")
	if j < 0 {
		j = len(p.s) - p.i
	}
	p.i += j
	return nil, nil
}

func (p *shapeParser) str() (string, error) {
	j := p.i + 1
	for ; j < len(p.s) && p.s[j] != '"'; j++ {
		if p.s[j] == '\\' {
			j++
		}
	}
	if j >= len(p.s) {
		return "", errors.New("unterminated string")
	}
	var lit string
	if err := json.Unmarshal([]byte(p.s[p.i:j+1]), &lit); err != nil {
		lit = p.s[p.i+1 : j]
	}
	p.i = j + 1
	return lit, nil
}

func (p *shapeParser) object() (*shape, error) {
	sh := &shape{obj: true, keys: map[string]*shape{}, optional: map[string]bool{}}
	p.i++ // {
	for {
		p.ws()
		if p.i >= len(p.s) {
			return nil, errors.New("unterminated object")
		}
		if p.s[p.i] == '}' {
			p.i++
			return sh, nil
		}
		if !p.elision() {
			var key string
			if p.s[p.i] == '"' {
				k, err := p.str()
				if err != nil {
					return nil, err
				}
				key = k
			} else {
				m := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*\??`).FindString(p.s[p.i:])
				if m == "" {
					return nil, fmt.Errorf("no key at %q", p.s[p.i:])
				}
				key, p.i = m, p.i+len(m)
			}
			if k, ok := strings.CutSuffix(key, "?"); ok {
				key = k
				sh.optional[key] = true
			}
			p.ws()
			var v *shape
			if p.i < len(p.s) && p.s[p.i] == ':' {
				p.i++
				var err error
				if v, err = p.value(); err != nil {
					return nil, err
				}
			}
			sh.keys[key] = v
		}
		p.ws()
		switch {
		case p.i < len(p.s) && p.s[p.i] == ',':
			p.i++
		case p.i < len(p.s) && p.s[p.i] == '}':
		default:
			return nil, fmt.Errorf("expected , or } at %q", p.s[p.i:])
		}
	}
}

func (p *shapeParser) array() (*shape, error) {
	sh := &shape{arr: true}
	p.i++ // [
	for {
		p.ws()
		if p.i >= len(p.s) {
			return nil, errors.New("unterminated array")
		}
		if p.s[p.i] == ']' {
			p.i++
			return sh, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if v != nil && v.obj && sh.elem == nil {
			sh.elem = v
		}
		p.ws()
		switch {
		case p.i < len(p.s) && p.s[p.i] == ',':
			p.i++
		case p.i < len(p.s) && p.s[p.i] == ']':
		default:
			return nil, fmt.Errorf("expected , or ] at %q", p.s[p.i:])
		}
	}
}

// parseShapes reads every value in s (a fenced block may hold several).
func parseShapes(s string) ([]*shape, error) {
	p := &shapeParser{s: s}
	var out []*shape
	for {
		p.ws()
		if p.i >= len(p.s) {
			return out, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if v != nil {
			out = append(out, v)
		}
	}
}

// variant names which answer of an endpoint an example shows: the value
// of its "result", "type", "status" or "event" key.
func (sh *shape) variant() string {
	if sh.arr && sh.elem != nil {
		return sh.elem.variant()
	}
	for _, k := range []string{"result", "type", "status"} {
		if v := sh.keys[k]; v != nil && v.lit != "" {
			if e := sh.keys["event"]; e != nil && e.lit != "" {
				return v.lit + " " + e.lit
			}
			return v.lit
		}
	}
	return ""
}

// compare returns how real differs from the example's shape.
func (sh *shape) compare(real any, path string) []string {
	switch {
	case sh == nil:
		return nil
	case sh.obj:
		m, ok := real.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: the example is an object, the server sends %T", path, real)}
		}
		var diffs []string
		var docKeys, realKeys []string
		for k := range sh.keys {
			docKeys = append(docKeys, k)
		}
		for k := range m {
			realKeys = append(realKeys, k)
		}
		slices.Sort(docKeys)
		slices.Sort(realKeys)
		for _, k := range docKeys {
			if _, ok := m[k]; !ok && !sh.optional[k] {
				diffs = append(diffs, fmt.Sprintf("%s: the example has %q, the server does not send it (it sends %q)", path, k, realKeys))
			}
		}
		for _, k := range realKeys {
			if _, ok := sh.keys[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s: the server sends %q, the example leaves it out (it shows %q)", path, k, docKeys))
			}
		}
		for _, k := range docKeys {
			if v, ok := m[k]; ok {
				diffs = append(diffs, sh.keys[k].compare(v, path+"."+k)...)
			}
		}
		return diffs
	case sh.arr:
		a, ok := real.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: the example is an array, the server sends %T", path, real)}
		}
		if sh.elem == nil {
			return nil
		}
		var diffs []string
		for i, e := range a {
			diffs = append(diffs, sh.elem.compare(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return diffs
	}
	return nil
}

// apiExample is one documented response.
type apiExample struct {
	at       docLine
	endpoint string // "POST /api/submit", "scorestream", or "" for any
	status   string
	shape    *shape
}

// key names the request and answer: "POST /api/submit 200 correct",
// "scorestream score", "400" (any endpoint).
func (e apiExample) key() string {
	var parts []string
	for _, p := range []string{e.endpoint, e.status, e.shape.variant()} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

var (
	endpointRE = regexp.MustCompile(`^(GET|POST|PUT|DELETE) (/[^\s?{]*)`)
	statusRE   = regexp.MustCompile(`\b([1-5]\d\d)\b`)
	spanRE     = regexp.MustCompile("`([^`]+)`")
)

// apiExamples finds the response examples of docs/API.md: JSON objects
// and arrays of objects in table cells, inline code and fenced blocks.
// An example's request is the endpoint of its table row or paragraph
// (everything under "Scorestream" is the socket's); its status is the
// last status code written before it. A JSON span with no status before
// it is a request body and is skipped.
func apiExamples(t *testing.T, name, text string) []apiExample {
	t.Helper()
	var out []apiExample
	add := func(at docLine, endpoint, status, src string) {
		shapes, err := parseShapes(src)
		if err != nil {
			t.Errorf("%s\n\tthe example does not parse: %v", at, err)
			return
		}
		for _, sh := range shapes {
			if sh.obj || sh.arr && sh.elem != nil {
				out = append(out, apiExample{at, endpoint, status, sh})
			}
		}
	}
	isJSON := func(s string) bool { return strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[{") }
	lines := strings.Split(text, "\n")
	stream, endpoint, para, done := false, "", "", 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		at := docLine{name, i + 1, strings.TrimSpace(l)}
		switch {
		case strings.HasPrefix(l, "#"):
			stream = strings.Contains(l, "Scorestream")
			endpoint, para, done = "", "", 0
		case strings.HasPrefix(l, "```"):
			start := i
			var block []string
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				block = append(block, lines[i])
			}
			if stream && strings.HasPrefix(l, "```json") {
				for j, b := range block {
					if isJSON(strings.TrimSpace(b)) {
						// One example per line, or one spanning the block.
						if _, err := parseShapes(b); err == nil {
							add(docLine{name, start + 2 + j, strings.TrimSpace(b)}, "scorestream", "", b)
						} else {
							add(docLine{name, start + 2 + j, strings.TrimSpace(b)}, "scorestream", "", strings.Join(block[j:], "\n"))
							break
						}
					}
				}
			}
		case strings.HasPrefix(l, "| `"):
			cells := strings.Split(l, " | ")
			first := spanRE.FindStringSubmatch(cells[0])
			row := ""
			if m := endpointRE.FindStringSubmatch(first[1]); m != nil {
				row = m[1] + " " + m[2]
			}
			for _, cell := range cells[1:] {
				for _, m := range spanRE.FindAllStringSubmatchIndex(cell, -1) {
					if src := cell[m[2]:m[3]]; isJSON(src) {
						status := ""
						if s := statusRE.FindAllString(cell[:m[0]], -1); len(s) > 0 {
							status = s[len(s)-1]
						}
						add(at, row, status, src)
					}
				}
			}
		case strings.TrimSpace(l) == "":
			endpoint, para, done = "", "", 0
		default:
			// A paragraph: its spans may wrap onto the next lines.
			para += l + "\n"
			if strings.Count(para, "`")%2 == 1 {
				continue
			}
			for _, m := range spanRE.FindAllStringSubmatchIndex(para, -1) {
				if m[0] < done {
					continue
				}
				src := para[m[2]:m[3]]
				// The span's own line: the paragraph ends at line i+1.
				n := i + 2 - strings.Count(para[m[0]:], "\n")
				at := docLine{name, n, strings.TrimSpace(lines[n-1])}
				if e := endpointRE.FindStringSubmatch(src); e != nil {
					endpoint = e[1] + " " + e[2]
					continue
				}
				if !isJSON(src) {
					continue
				}
				if stream {
					add(at, "scorestream", "", src)
					continue
				}
				s := statusRE.FindAllString(spanRE.ReplaceAllString(para[:m[0]], ""), -1)
				if len(s) == 0 {
					continue // a request body
				}
				add(at, endpoint, s[len(s)-1], src)
			}
			done = len(para)
		}
	}
	return out
}

// realAnswers makes every documented request against a real server and
// returns the decoded answers by example key.
func realAnswers(t *testing.T) map[string]any {
	t.Helper()
	// Started an hour ago, no end configured: the clock example's values.
	started := time.Now().Add(-time.Hour).Truncate(time.Second)
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.Start, c.Practice = started, true })
	got := map[string]any{}
	decode := func(key string, status int, want int, body []byte) {
		t.Helper()
		if status != want {
			t.Fatalf("%s: status %d, want %d: %s", key, status, want, body)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s: %v: %s", key, err, body)
		}
		got[key] = v
	}
	do := func(key string, c *ctftest.Client, want int, method, path string, body any, header http.Header) {
		t.Helper()
		resp := c.Request(t, method, path, body, header)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		decode(key, resp.StatusCode, want, b)
	}

	anon := srv.NewClient()
	do("GET /api/me 401", anon, 401, "GET", "/api/me", nil, nil)
	do("400", anon, 400, "POST", "/api/login", "{", nil)
	alice := srv.NewClient()
	do("POST /api/login 200", alice, 200, "POST", "/api/login", map[string]string{"username": "alice", "password": ctftest.Players["alice"]}, nil)
	live := mustDial(t, got["POST /api/login 200"].(map[string]any)["websocket_url"].(string))
	readFrames(t, live, 1) // the (empty) snapshot

	do("POST /api/set-name 400", alice, 400, "POST", "/api/set-name", map[string]string{"name": ""}, nil)
	do("POST /api/set-name 200 ok", alice, 200, "POST", "/api/set-name", map[string]string{"name": "Alice"}, nil)
	do("POST /api/submit 200 incorrect", alice, 200, "POST", "/api/submit", map[string]any{"id": 1, "flag": "nope"}, nil)
	do("POST /api/submit 200 correct", alice, 200, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}, nil)
	do("POST /api/submit 200 already_solved", alice, 200, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}, nil)
	do("POST /api/hint 200 ok", alice, 200, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1}, nil)
	alice.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2}) // a paid one, for the hint event
	judge := http.Header{"Authorization": {"Bearer " + ctftest.APIToken}}
	do("POST /api/award 200 ok", anon, 200, "POST", "/api/award", map[string]any{"username": "bob", "id": 1}, judge)
	do("POST /api/award 200 already_solved", anon, 200, "POST", "/api/award", map[string]any{"username": "bob", "id": 1}, judge)
	do("GET /api/me 200", alice, 200, "GET", "/api/me", nil, nil)
	do("GET /api/challenges 200", alice, 200, "GET", "/api/challenges", nil, nil)
	do("GET /api/scoreboard 200", alice, 200, "GET", "/api/scoreboard", nil, nil)
	do("GET /api/board 200", alice, 200, "GET", "/api/board", nil, nil)
	do("GET /api/players/ 200", alice, 200, "GET", "/api/players/1", nil, nil)
	do("GET /api/challenges/ 200", alice, 200, "GET", "/api/challenges/1/solvers", nil, nil)
	do("GET /healthz 200 ok", anon, 200, "GET", "/healthz", nil, nil)
	do("GET /api/clock 200", anon, 200, "GET", "/api/clock", nil, nil)
	admin := http.Header{"Authorization": {"Bearer " + ctftest.AdminToken}}
	resp := anon.Request(t, "POST", "/admin/api/clock", map[string]any{"end": time.Now().Add(8 * time.Hour).UTC().Format(time.RFC3339)}, admin)
	resp.Body.Close()
	do("POST /admin/api/pause 200", anon, 200, "POST", "/admin/api/pause", nil, admin)
	resp = anon.Request(t, "POST", "/admin/api/resume", nil, admin)
	resp.Body.Close()
	do("POST /admin/api/announcements 200", anon, 200, "POST", "/admin/api/announcements", map[string]any{"message": "Challenge 1's flag is **case-sensitive**.", "challenge_id": 1}, admin)
	do("GET /api/announcements 200", alice, 200, "GET", "/api/announcements", nil, nil)
	do("POST /admin/api/challenges/ 200 ok", anon, 200, "POST", "/admin/api/challenges/4/release", nil, admin)
	do("GET /api/ctftime 200", anon, 200, "GET", "/api/ctftime", nil, judge)

	// Teams players make: a second server in team mode.
	teams := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.TeamSize = 4 })
	maker, joiner := teams.MustLogin(t, "alice"), teams.MustLogin(t, "bob")
	maker.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})
	do("POST /api/teams 200", maker, 200, "POST", "/api/teams", map[string]string{"name": "Crypto Cats"}, nil)
	code := got["POST /api/teams 200"].(map[string]any)["invite_code"]
	do("POST /api/teams/join 200", joiner, 200, "POST", "/api/teams/join", map[string]any{"code": code}, nil)
	do("GET /api/teams/mine 200", maker, 200, "GET", "/api/teams/mine", nil, nil)
	do("POST /api/teams/leave 200 ok", joiner, 200, "POST", "/api/teams/leave", nil, nil)
	teamsAdmin := teams.NewClient()
	do("GET /admin/api/teams 200", teamsAdmin, 200, "GET", "/admin/api/teams", nil, admin)
	do("GET /admin/api/players 200", teamsAdmin, 200, "GET", "/admin/api/players?q=ali", nil, admin)
	do("POST /admin/api/players/ 200 ok", teamsAdmin, 200, "POST", "/admin/api/players/bob/remove", nil, admin)
	do("POST /admin/api/teams/ 200 ok", teamsAdmin, 200, "POST", "/admin/api/teams/"+fmt.Sprint(got["POST /api/teams 200"].(map[string]any)["team_id"])+"/disband", nil, admin)

	// The live events of all that: a rename, scores, hints, the clock
	// change, the pause and resume, the announcement.
	frames := readFrames(t, live, 9)
	// A freeze (a clock frame), and the unfreeze's new snapshot.
	resp = anon.Request(t, "POST", "/admin/api/freeze", nil, admin)
	resp.Body.Close()
	frames = append(frames, readFrames(t, live, 1)...)
	resp = anon.Request(t, "POST", "/admin/api/unfreeze", nil, admin)
	resp.Body.Close()
	if f := readFrames(t, live, 1); f[0].(map[string]any)["type"] != "snapshot" {
		t.Fatalf("the unfreeze sent %v, not a snapshot", f)
	}
	// Practice mode: the game ends a second ago, a right flag is checked.
	resp = anon.Request(t, "POST", "/admin/api/clock", map[string]any{"end": time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)}, admin)
	resp.Body.Close()
	do("POST /api/submit 200 practice", alice, 200, "POST", "/api/submit", map[string]any{"id": 3, "flag": "CTF{case}"}, nil)
	for _, ev := range frames {
		if m, ok := ev.(map[string]any); ok {
			if k := "scorestream " + fmt.Sprint(m["type"]); got[k] == nil || m["type"] == "hint" && m["points"] != 0.0 {
				got[k] = m
			}
		}
	}
	snap := readFrames(t, mustDial(t, got["GET /api/me 200"].(map[string]any)["websocket_url"].(string)), 1)
	got["scorestream snapshot"] = snap[0]

	// The submission log is written in the background: wait for alice's
	// three submissions and bob's two awards.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		do("GET /admin/api/submissions 200", anon, 200, "GET", "/admin/api/submissions", nil, admin)
		if subs := got["GET /admin/api/submissions 200"].(map[string]any)["submissions"].([]any); len(subs) >= 5 || time.Now().After(deadline) {
			break
		}
	}

	do("POST /admin/reset 200 ok", anon, 200, "POST", "/admin/reset?confirm=yes", map[string]string{"token": ctftest.AdminToken}, nil)
	for i := 0; i < 5 && got["scorestream system reset"] == nil; i++ {
		for _, ev := range readFrames(t, live, 1) { // the end's clock frame, then the reset
			if m, ok := ev.(map[string]any); ok && m["type"] == "system" {
				got["scorestream system reset"] = m
			}
		}
	}

	// Self-registration, on a server where it is open.
	reg := ctftest.MustServer(t, ctftest.MustGameDir(t), ctftest.WithRegistration("open"))
	newcomer := reg.NewClient()
	do("GET /api/registration 200", newcomer, 200, "GET", "/api/registration", nil, nil)
	do("GET /api/registration/challenge 200", newcomer, 200, "GET", "/api/registration/challenge", nil, nil)
	do("POST /api/register 201", newcomer, 201, "POST", "/api/register",
		map[string]any{"username": "newcomer", "password": "purple-otter-42", "pow": newcomer.MustSolve(t)}, nil)

	// An unhealthy database: the same handler with a failing check.
	down := httptest.NewServer(httpapi.New(httpapi.Config{Health: func(context.Context) error { return errors.New("down") }}))
	defer down.Close()
	do("GET /healthz 503 unavailable", &ctftest.Client{Base: down.URL, HTTP: down.Client()}, 503, "GET", "/healthz", nil, nil)
	return got
}

func mustDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial the scorestream: %v %v", resp, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readFrames reads frames until it has n objects (or fails after 10 s).
func readFrames(t *testing.T, conn *websocket.Conn, n int) []any {
	t.Helper()
	var out []any
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(out) < n {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read the scorestream after %d of %d objects: %v", len(out), n, err)
		}
		var frame []any
		if err := json.Unmarshal(msg, &frame); err != nil {
			t.Fatalf("frame is not an array: %s", msg)
		}
		out = append(out, frame...)
	}
	return out
}

// TestDocsAPIExamples compares every response example of docs/API.md
// with the real answer to its request.
func TestDocsAPIExamples(t *testing.T) {
	examples := apiExamples(t, "docs/API.md", mustRead(t, "docs/API.md"))
	if len(examples) < 15 {
		t.Fatalf("only %d examples found in docs/API.md: is the parser broken?", len(examples))
	}
	real := realAnswers(t)
	used := map[string]bool{}
	for _, ex := range examples {
		k := ex.key()
		ans, ok := real[k]
		if !ok {
			t.Errorf("%s\n\tno real request for this example (%q): add one to realAnswers", ex.at, k)
			continue
		}
		used[k] = true
		if testing.Verbose() {
			t.Logf("%s:%d: %s", ex.at.file, ex.at.line, k)
		}
		sh := ex.shape
		if sh.arr && sh.elem != nil && ex.endpoint == "scorestream" {
			sh = sh.elem // a frame of one object; the test holds the object
		}
		if _, isArray := ans.([]any); isArray && sh.obj {
			sh = &shape{arr: true, elem: sh} // "array of {...}"
		}
		for _, d := range sh.compare(ans, k) {
			t.Errorf("%s\n\t%s", ex.at, d)
		}
	}
	for k := range real {
		if !used[k] {
			t.Errorf("docs/API.md has no example for %q any more: update the test (or the doc)", k)
		}
	}
	t.Logf("compared %d examples of docs/API.md with real answers", len(examples))
}

// TestDocsAPIShapeParser: the tolerant parser reads the docs' notations
// and the comparison reports what drifted.
func TestDocsAPIShapeParser(t *testing.T) {
	shapes, err := parseShapes(`{"result":"correct",points,total} {id,hints:[{id,cost,text?}],content} [{"type":"snapshot","events":[ ...the latest 25, oldest first... ]}] {"a":...}`)
	if err != nil || len(shapes) != 4 {
		t.Fatalf("%d shapes, %v", len(shapes), err)
	}
	if v := shapes[0].variant(); v != "correct" {
		t.Errorf("variant %q", v)
	}
	if d := shapes[1].compare(map[string]any{"id": 1.0, "content": nil, "hints": []any{map[string]any{"id": 1.0, "cost": 0.0}}}, "x"); len(d) != 0 {
		t.Errorf("optional key: %q", d)
	}
	d := shapes[1].compare(map[string]any{"id": 1.0, "content": nil, "extra": 1.0, "hints": []any{map[string]any{"id": 1.0}}}, "x")
	if len(d) != 2 || !strings.Contains(d[0], `sends "extra"`) || !strings.Contains(d[1], `x.hints[0]: the example has "cost"`) {
		t.Errorf("drift not reported: %q", d)
	}
	if shapes[2].elem == nil || shapes[2].elem.keys["events"] == nil || !shapes[2].elem.keys["events"].arr {
		t.Errorf("elided array: %+v", shapes[2].elem)
	}
}
