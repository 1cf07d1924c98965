package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/store"
)

// offsetClock is the wall clock moved forward by an offset the test
// sets, so the game's window is crossed without waiting.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

var adminBearer = http.Header{"Authorization": {"Bearer " + ctftest.AdminToken}}

// from sends a request as if from addr (through the trusted proxy) and
// returns the status and body.
func from(t *testing.T, c *ctftest.Client, addr, method, path string, body any, h http.Header) (int, string) {
	t.Helper()
	hdr := http.Header{"X-Forwarded-For": {"10.9.9.9, " + addr}} // the proxy appends the real client last
	for k, v := range h {
		hdr[k] = v
	}
	resp := c.Request(t, method, path, body, hdr)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// adminGet reads an admin API path with the bearer token.
func adminGet(t *testing.T, srv *ctftest.Server, path string) (int, []byte) {
	t.Helper()
	resp := srv.NewClient().Request(t, "GET", path, nil, adminBearer)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// mustSubmissions reads GET /admin/api/submissions?query and decodes it
// strictly: no field the documentation does not name.
func mustSubmissions(t *testing.T, srv *ctftest.Server, query string) httpapi.SubmissionsPage {
	t.Helper()
	status, body := adminGet(t, srv, "/admin/api/submissions?"+query)
	if status != 200 {
		t.Fatalf("submissions?%s: %d %s", query, status, body)
	}
	var page httpapi.SubmissionsPage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&page); err != nil {
		t.Fatalf("submissions?%s: %v: %s", query, err, body)
	}
	return page
}

// TestSubmissionLog makes one submission of every result through the
// real server — a 429 and refusals by the clock included — and finds
// each in GET /admin/api/submissions with its result, player, challenge
// and client address (as the rate limits see it, through the trusted
// proxy); the guess only for the wrong one, a right flag nowhere. Then
// the filters, the paging, the refusals of bad filters and the
// dashboard's section.
func TestSubmissionLog(t *testing.T) {
	clk := &offsetClock{}
	start := time.Now().Add(time.Hour).Truncate(time.Second)
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Start, c.End, c.Now = start, start.Add(time.Hour), clk.Now
		c.TrustProxy = true
		c.Limits.Submit = httpapi.Limit{Burst: 2, Every: time.Hour}
	})
	alice, bob, carol, dave := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob"), srv.MustLogin(t, "carol"), srv.MustLogin(t, "dave")
	alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice A."})
	judge := http.Header{"Authorization": {"Bearer " + ctftest.APIToken}}

	const (
		wrongGuess = "nope-5b2e-marker"
		right1     = "flag{warm}" // the right flags: never kept
		right2     = "flag{second}"
	)
	type want struct {
		player    string
		challenge int
		result    store.SubmissionResult
		addr      string
		guess     *string
	}
	guess := wrongGuess
	var wants []want
	submit := func(c *ctftest.Client, player, addr string, id int, flag string, status int, result store.SubmissionResult) {
		t.Helper()
		got, body := from(t, c, addr, "POST", "/api/submit", map[string]any{"id": id, "flag": flag}, nil)
		if got != status {
			t.Fatalf("%s submits %q on %d from %s: %d %s, want %d (%s)", player, flag, id, addr, got, body, status, result)
		}
		w := want{player, id, result, addr, nil}
		if result == store.ResultIncorrect && flag == "  "+wrongGuess+"\n" {
			w.guess = &guess
		}
		wants = append(wants, w)
	}
	submit(alice, "alice", "203.0.113.1", 1, right1, 403, store.ResultNotStarted)
	clk.Advance(time.Hour + time.Second) // running
	submit(alice, "alice", "203.0.113.2", 1, right1, 200, store.ResultCorrect)
	submit(alice, "alice", "2001:db8::3", 1, right1, 200, store.ResultAlreadySolved)
	submit(alice, "alice", "203.0.113.4", 3, "  "+wrongGuess+"\n", 200, store.ResultIncorrect)
	submit(bob, "bob", "203.0.113.5", 2, right2, 403, store.ResultLocked)
	submit(bob, "bob", "203.0.113.6", 99, "flag{x}", 400, store.ResultUnknownID)
	submit(dave, "dave", "203.0.113.7", 3, "a", 200, store.ResultIncorrect)
	submit(dave, "dave", "203.0.113.7", 3, "b", 200, store.ResultIncorrect)
	submit(dave, "dave", "203.0.113.8", 1, right1, 429, store.ResultRateLimited)
	wants[len(wants)-3].guess, wants[len(wants)-2].guess = ptr("a"), ptr("b")
	if status, body := from(t, srv.NewClient(), "198.51.100.9", "POST", "/api/award", map[string]any{"username": "bob", "id": 4}, judge); status != 200 {
		t.Fatalf("award: %d %s", status, body)
	}
	wants = append(wants, want{"bob", 4, store.ResultAwarded, "198.51.100.9", nil})
	if status, body := from(t, srv.NewClient(), "198.51.100.9", "POST", "/admin/api/pause", nil, adminBearer); status != 200 {
		t.Fatalf("pause: %d %s", status, body)
	}
	submit(carol, "carol", "203.0.113.10", 1, right1, 403, store.ResultPaused)
	if status, body := from(t, srv.NewClient(), "198.51.100.9", "POST", "/admin/api/resume", nil, adminBearer); status != 200 {
		t.Fatalf("resume: %d %s", status, body)
	}
	clk.Advance(time.Hour) // ended
	submit(carol, "carol", "203.0.113.11", 1, right1, 403, store.ResultEnded)
	// Not submissions: a body without a flag, and an award for nobody.
	from(t, carol, "203.0.113.12", "POST", "/api/submit", map[string]any{"id": 1}, nil)
	from(t, srv.NewClient(), "198.51.100.9", "POST", "/api/award", map[string]any{"username": "nobody", "id": 1}, judge)

	// The log is written in the background, every 100 ms.
	var page httpapi.SubmissionsPage
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		page = mustSubmissions(t, srv, "limit=500")
		if len(page.Submissions) >= len(wants) || time.Now().After(deadline) {
			break
		}
	}
	if len(page.Submissions) != len(wants) || page.NextBefore != nil || page.PrevAfter != nil {
		t.Fatalf("%d submissions (next %v, prev %v), want %d: %+v", len(page.Submissions), page.NextBefore, page.PrevAfter, len(wants), page.Submissions)
	}
	ids := map[string]int64{}
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		p, _ := srv.App.Engine.State().PlayerByUsername(name)
		ids[name] = p.ID
	}
	titles := map[int]string{1: "Warm Up", 2: "Second Step", 3: "Who Am I", 4: "Once Only"}
	for i, w := range wants {
		g := page.Submissions[len(wants)-1-i] // newest first
		if g.Result != string(w.result) || g.PlayerID != ids[w.player] || g.Username != w.player || g.ChallengeID != w.challenge ||
			g.Challenge != titles[w.challenge] || g.Address != w.addr || g.TS == 0 {
			t.Errorf("submission %d: %+v, want %+v", i, g, w)
		}
		if (g.Guess == nil) != (w.guess == nil) || (g.Guess != nil && *g.Guess != *w.guess) {
			t.Errorf("submission %d (%s): guess %v, want %v", i, w.result, g.Guess, w.guess)
		}
		if i > 0 && g.ID <= page.Submissions[len(wants)-i].ID {
			t.Errorf("submission %d: id %d not above the one before it", i, g.ID)
		}
	}
	if g := page.Submissions[len(wants)-2]; g.DisplayName == nil || *g.DisplayName != "Alice A." {
		t.Errorf("alice's display name: %v", g.DisplayName)
	}
	if g := page.Submissions[0]; g.DisplayName != nil {
		t.Errorf("carol's display name: %v, want null", *g.DisplayName)
	}

	// The filters, alone and together; a player by username or id.
	count := func(keep func(want) bool) int {
		n := 0
		for _, w := range wants {
			if keep(w) {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		query string
		keep  func(want) bool
	}{
		{"player=alice", func(w want) bool { return w.player == "alice" }},
		{"player=" + strconv.FormatInt(ids["dave"], 10), func(w want) bool { return w.player == "dave" }},
		{"challenge=1", func(w want) bool { return w.challenge == 1 }},
		{"challenge=99", func(w want) bool { return w.challenge == 99 }},
		{"result=incorrect", func(w want) bool { return w.result == store.ResultIncorrect }},
		{"result=practice", func(w want) bool { return false }},
		{"player=alice&challenge=1&result=correct", func(w want) bool { return w.player == "alice" && w.challenge == 1 && w.result == store.ResultCorrect }},
		{"player=&challenge=&result=", func(want) bool { return true }},
	} {
		got := mustSubmissions(t, srv, c.query).Submissions
		if len(got) != count(c.keep) {
			t.Errorf("?%s: %d submissions, want %d: %+v", c.query, len(got), count(c.keep), got)
		}
	}
	// Paging: down with next_before, back up with prev_after.
	var walked []int64
	var cursors []string
	for q := "limit=3"; ; {
		p := mustSubmissions(t, srv, q)
		cursors = append(cursors, q)
		for _, s := range p.Submissions {
			walked = append(walked, s.ID)
		}
		if p.NextBefore == nil {
			break
		}
		if p.PrevAfter == nil && len(cursors) > 1 {
			t.Errorf("page %s has no newer page", q)
		}
		q = "limit=3&before=" + strconv.FormatInt(*p.NextBefore, 10)
	}
	var all []int64
	for _, s := range page.Submissions {
		all = append(all, s.ID)
	}
	if !slices.Equal(walked, all) {
		t.Errorf("pages of 3: %v, want %v", walked, all)
	}
	second := mustSubmissions(t, srv, cursors[1])
	if back := mustSubmissions(t, srv, "limit=3&after="+strconv.FormatInt(*second.PrevAfter, 10)); len(back.Submissions) != 3 || back.Submissions[0].ID != all[0] || back.PrevAfter != nil {
		t.Errorf("back up from the second page: %+v, want the newest page", back)
	}

	// Bad filters are refused; so is a request without the admin token.
	for query, code := range map[string]string{
		"result=bogus": "invalid_result", "challenge=abc": "invalid_challenge", "player=nobody": "invalid_player",
		"before=x": "invalid_before", "before=-3": "invalid_before", "after=0": "invalid_after", "limit=0": "invalid_limit", "limit=many": "invalid_limit",
	} {
		status, body := adminGet(t, srv, "/admin/api/submissions?"+query)
		if status != 400 || strings.TrimSpace(string(body)) != `{"error":"`+code+`"}` {
			t.Errorf("?%s: %d %s, want 400 %s", query, status, body, code)
		}
	}
	if n := len(mustSubmissions(t, srv, "limit=100000").Submissions); n != len(wants) {
		t.Errorf("a limit above the most: %d submissions", n)
	}
	for _, h := range []http.Header{nil, {"Authorization": {"Bearer not-the-token"}}} {
		if resp := srv.NewClient().Request(t, "GET", "/admin/api/submissions", nil, h); resp.StatusCode != 401 {
			t.Errorf("without the admin token (%v): %d", h, resp.StatusCode)
		} else {
			resp.Body.Close()
		}
	}

	// The dashboard: the filtered section and its links, the right flags
	// nowhere.
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	b.login()
	d := b.get("/admin?result=incorrect&player=alice")
	if !strings.Contains(d.body, "<code>"+wrongGuess+"</code>") || !strings.Contains(d.body, "203.0.113.4") || strings.Contains(d.body, "203.0.113.7") ||
		!strings.Contains(d.body, `<option selected>incorrect</option>`) || !strings.Contains(d.body, `value="alice"`) {
		t.Errorf("filtered dashboard:\n%s", section(d.body))
	}
	d = b.get("/admin?limit=2")
	older := regexp.MustCompile(`href="(/admin\?[^"]*before=\d+[^"]*)"`).FindStringSubmatch(d.body)
	if older == nil || !strings.Contains(d.body, `data-live="limit=2"`) || strings.Contains(d.body, "← Newer") {
		t.Fatalf("first page of 2: no Older link or not live:\n%s", section(d.body))
	}
	d = b.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	if !strings.Contains(d.body, "← Newer") || strings.Contains(d.body, "data-live") || !strings.Contains(d.body, "Older →") {
		t.Errorf("second page of 2: want Newer and Older links, not live:\n%s", section(d.body))
	}
	if d := b.get("/admin?challenge=abc"); d.status != 200 || !strings.Contains(d.body, "invalid_challenge") {
		t.Errorf("a bad filter on the dashboard: %d\n%s", d.status, section(d.body))
	}
	_, stats := adminGet(t, srv, "/admin/api/stats")
	_, dump := adminGet(t, srv, "/admin/api/submissions?limit=500")
	for _, text := range append(bodies, string(stats), string(dump)) {
		for _, flag := range []string{right1, right2} {
			if strings.Contains(text, flag) {
				t.Errorf("a right flag %q shows in:\n%.600s", flag, text)
			}
		}
	}
	subs, err := srv.App.Store.Submissions(t.Context(), store.SubmissionFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if s.Result != store.ResultIncorrect && s.Guess != "" {
			t.Errorf("stored a guess with %s: %q", s.Result, s.Guess)
		}
	}
}

func ptr(s string) *string { return &s }

// section cuts the Submissions section out of a dashboard page.
func section(page string) string {
	if i := strings.Index(page, `<section id="submissions">`); i >= 0 {
		page = page[i:]
		if j := strings.Index(page, "</section>"); j >= 0 {
			page = page[:j]
		}
	}
	return page
}
