package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/gorilla/websocket"
)

// mustWrongGuesses waits until the server has stored n incorrect
// submissions (the log writes every 100 ms) and returns them, newest
// first.
func mustWrongGuesses(t *testing.T, srv *ctftest.Server, n int) []store.Submission {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		gs, err := srv.App.Store.Submissions(context.Background(), store.SubmissionFilter{Result: store.ResultIncorrect, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) >= n {
			if len(gs) > n {
				t.Fatalf("%d wrong guesses stored, want %d", len(gs), n)
			}
			return gs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d wrong guesses stored after 10 s, want %d", len(gs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// adminStats logs in to the dashboard and reads its stats.
func adminStats(t *testing.T, srv *ctftest.Server) httpapi.AdminStats {
	t.Helper()
	c := srv.NewClient()
	form := url.Values{"token": {ctftest.AdminToken}}.Encode()
	resp := c.Request(t, "POST", "/admin/login", form, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	resp.Body.Close()
	status, body := c.Do(t, "GET", "/admin/api/stats", nil)
	if status != 200 {
		t.Fatalf("admin stats: %d %s", status, body)
	}
	var s httpapi.AdminStats
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWrongGuessLog: wrong guesses are stored (trimmed, cut to 200 bytes
// on a character boundary), never logged, never sent to players or the
// scorestream, survive a restart, and an admin reset deletes them. The
// dashboard's solve tally is rebuilt from the log at start.
func TestWrongGuessLog(t *testing.T) {
	var logs ctftest.LogBuffer
	dir := ctftest.MustGameDir(t)
	logged := func(c *app.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv := ctftest.MustServer(t, dir, logged)
	alice, bob := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob")
	alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})

	_, me := bob.Do(t, "GET", "/api/me", nil)
	conn, _, err := websocket.DefaultDialer.Dial(ctftest.MustJSON(t, me)["websocket_url"].(string), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var frames []string
	readFrame := func() string {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("scorestream: %v", err)
		}
		frames = append(frames, string(msg))
		return string(msg)
	}
	readFrame() // snapshot

	const marker = "flag{wrong-guess-marker-5c1b}"
	long := "a" + strings.Repeat("é", 150) // 301 bytes; byte 200 is inside an é
	for _, g := range []struct {
		id   int
		flag string
	}{{1, "  " + marker + "\n"}, {3, long}} {
		status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": g.id, "flag": g.flag})
		if status != 200 || !strings.Contains(string(body), "incorrect") {
			t.Fatalf("wrong guess: %d %s", status, body)
		}
	}
	// A correct solve after them: once the scorestream has carried it,
	// anything the wrong guesses could have sent would have come first.
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	for sawSolve := false; !sawSolve; {
		sawSolve = strings.Contains(readFrame(), `"type":"score"`)
	}

	gs := mustWrongGuesses(t, srv, 2)
	aliceID := int64(ctftest.MustJSON(t, func() []byte { _, b := alice.Do(t, "GET", "/api/me", nil); return b }())["player_id"].(float64))
	wantLong := "a" + strings.Repeat("é", 99)
	if gs[0].Guess != wantLong || gs[0].Challenge != 3 || gs[0].UserID != aliceID || len(gs[0].Guess) != 199 || !utf8.ValidString(gs[0].Guess) {
		t.Errorf("long guess stored as %d bytes %q (challenge %d, user %d)", len(gs[0].Guess), gs[0].Guess, gs[0].Challenge, gs[0].UserID)
	}
	if gs[1].Guess != marker || gs[1].Challenge != 1 || gs[1].UserID != aliceID || time.Since(gs[1].TS) > time.Minute {
		t.Errorf("first guess stored as %+v", gs[1])
	}

	// Nowhere but the store (and the admin dashboard).
	var responses []string
	for _, c := range []*ctftest.Client{alice, bob} {
		for _, path := range []string{"/api/me", "/api/challenges", "/api/scoreboard", "/api/board", "/reset", "/"} {
			_, body := c.Do(t, "GET", path, nil)
			responses = append(responses, string(body))
		}
	}
	for what, texts := range map[string][]string{"log": {logs.String()}, "scorestream": frames, "player responses": responses} {
		for _, text := range texts {
			if strings.Contains(text, "wrong-guess-marker") || strings.Contains(text, "éééé") {
				t.Errorf("the %s shows a wrong guess:\n%.500s", what, text)
			}
		}
	}
	if s := adminStats(t, srv); len(s.Wrong) != 2 || s.Wrong[1].Guess != marker || s.Wrong[1].Player != "Alice" || s.Wrong[0].Challenge != "Who Am I" {
		t.Errorf("dashboard wrong guesses: %+v", s.Wrong)
	}

	// A restart keeps them, and rebuilds the solve tally from the log.
	srv.Stop()
	srv = ctftest.MustServer(t, dir, logged)
	again := mustWrongGuesses(t, srv, 2)
	for i := range gs {
		if again[i].ID != gs[i].ID || again[i].Guess != gs[i].Guess || !again[i].TS.Equal(gs[i].TS) {
			t.Errorf("after restart, guess %d: %+v, want %+v", i, again[i], gs[i])
		}
	}
	s := adminStats(t, srv)
	if s.Solves != 1 || s.Challenges[0].Solves != 1 || s.Challenges[0].FirstSolver != "Alice" || s.SolvesPerMinute[len(s.SolvesPerMinute)-1].Solves+s.SolvesPerMinute[len(s.SolvesPerMinute)-2].Solves != 1 {
		t.Errorf("solve tally after restart: solves %d, %+v, per minute %+v", s.Solves, s.Challenges[0], s.SolvesPerMinute)
	}

	// The old reset endpoint clears them with everything else.
	judge := srv.NewClient()
	if status, body := judge.Do(t, "POST", "/admin/reset?confirm=yes", map[string]string{"token": ctftest.AdminToken}); status != 200 {
		t.Fatalf("reset: %d %s", status, body)
	}
	if gs, err := srv.App.Store.Submissions(context.Background(), store.SubmissionFilter{Limit: 10}); err != nil || len(gs) != 0 {
		t.Fatalf("after reset: %d submissions, %v", len(gs), err)
	}
	// The dashboard caches its stats for a second.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		s := adminStats(t, srv)
		if s.Solves == 0 && len(s.Wrong) == 0 && s.Challenges[0].FirstSolver == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dashboard after reset: solves %d, wrong %d, %+v", s.Solves, len(s.Wrong), s.Challenges[0])
		}
	}
	if strings.Contains(logs.String(), "wrong-guess-marker") {
		t.Error("the log shows a wrong guess")
	}
}

// Guesses still queued when the server stops are written before the
// database closes.
func TestWrongGuessesWrittenAtShutdown(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	srv := ctftest.MustServer(t, dir)
	alice := srv.MustLogin(t, "alice")
	for i := range 5 {
		alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "nope-" + string(rune('a'+i))})
	}
	srv.Stop()
	srv = ctftest.MustServer(t, dir)
	if gs := mustWrongGuesses(t, srv, 5); gs[0].Guess != "nope-e" {
		t.Fatalf("newest guess %q", gs[0].Guess)
	}
}
