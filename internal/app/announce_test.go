package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/gorilla/websocket"
)

// announcementsOf returns GET /api/announcements as c sees it.
func announcementsOf(t *testing.T, c *ctftest.Client) []map[string]any {
	t.Helper()
	status, body := c.Do(t, "GET", "/api/announcements", nil)
	if status != 200 {
		t.Fatalf("/api/announcements: %d %s", status, body)
	}
	var out struct {
		Announcements []map[string]any `json:"announcements"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Announcements == nil {
		t.Fatalf("/api/announcements: %s", body)
	}
	return out.Announcements
}

// readUntil reads frames until one holds an event of type typ, and
// returns that event.
func readUntil(t *testing.T, conn *websocket.Conn, typ string) map[string]any {
	t.Helper()
	for i := 0; i < 20; i++ {
		for _, ev := range readFrame(t, conn) {
			if ev["type"] == typ {
				return ev
			}
		}
	}
	t.Fatalf("no %s frame in 20 frames", typ)
	return nil
}

// TestAnnouncementsEndToEnd: an announcement posted with the bearer token
// is answered, listed by GET /api/announcements, sent live to an open
// socket, carried by a later socket's snapshot, and cleared by a reset;
// blank, oversized and unauthenticated posts are refused and write
// nothing.
func TestAnnouncementsEndToEnd(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	alice := srv.MustLogin(t, "alice")
	if status, _ := srv.NewClient().Do(t, "GET", "/api/announcements", nil); status != 401 {
		t.Fatalf("list without a session on a private board: %d", status)
	}
	if got := announcementsOf(t, alice); len(got) != 0 {
		t.Fatalf("before any: %v", got)
	}
	watcher := dialStream(t, alice, "")
	if snap := readFrame(t, watcher); snap[0]["type"] != "snapshot" {
		t.Fatalf("first frame: %v", snap)
	}

	a := mustAdmin(t, srv, "/admin/api/announcements", map[string]any{"message": "  Challenge 3's flag is **case-sensitive**.\n", "challenge_id": 3})
	if a["message"] != "Challenge 3's flag is **case-sensitive**." || a["challenge_id"] != 3.0 || a["id"].(float64) <= 0 || a["ts"].(float64) <= 0 {
		t.Fatalf("answer: %v", a)
	}
	b := mustAdmin(t, srv, "/admin/api/announcements", map[string]any{"message": "Lunch is served."})
	if _, has := b["challenge_id"]; has {
		t.Fatalf("challenge_id without one: %v", b)
	}

	list := announcementsOf(t, alice)
	if len(list) != 2 || list[0]["id"] != a["id"] || list[1]["id"] != b["id"] || list[1]["message"] != "Lunch is served." {
		t.Fatalf("list: %v", list)
	}
	live := readUntil(t, watcher, "announcement")
	if live["id"] != a["id"] || live["message"] != a["message"] || live["challenge_id"] != 3.0 || live["ts"] != a["ts"] {
		t.Fatalf("live frame: %v", live)
	}
	if _, has := live["player_id"]; has {
		t.Fatalf("an announcement frame with a player: %v", live)
	}

	later := dialStream(t, srv.MustLogin(t, "bob"), "")
	snap := readFrame(t, later)
	got, _ := json.Marshal(snap[0]["announcements"])
	want := `[{"challenge_id":3,"id":` + jsonNum(a["id"]) + `,"message":"Challenge 3's flag is **case-sensitive**.","ts":` + jsonNum(a["ts"]) + `,"type":"announcement"},` +
		`{"id":` + jsonNum(b["id"]) + `,"message":"Lunch is served.","ts":` + jsonNum(b["ts"]) + `,"type":"announcement"}]`
	if string(got) != want {
		t.Fatalf("snapshot announcements\n got %s\nwant %s", got, want)
	}

	// Refusals write nothing.
	c := srv.NewClient()
	for _, tc := range []struct {
		body   any
		header http.Header
		status int
		code   string
	}{
		{map[string]any{"message": " \n "}, bearer, 400, "message_required"},
		{map[string]any{}, bearer, 400, "message_required"},
		{map[string]any{"message": strings.Repeat("x", 2001)}, bearer, 400, "message_too_long"},
		{map[string]any{"message": "hi", "challenge_id": 999}, bearer, 400, "unknown_challenge"},
		{map[string]any{"message": "hi"}, nil, 401, "unauthorized"},
		{map[string]any{"message": "hi"}, http.Header{"Authorization": {"Bearer wrong"}}, 401, "unauthorized"},
	} {
		status, body := doWith(t, c, "POST", "/admin/api/announcements", tc.body, tc.header)
		if status != tc.status || !strings.Contains(string(body), `"`+tc.code+`"`) {
			t.Errorf("%v: %d %s, want %d %s", tc.body, status, body, tc.status, tc.code)
		}
	}
	if n := len(announcementsOf(t, alice)); n != 2 {
		t.Fatalf("%d announcements after refusals, want 2", n)
	}

	if _, err := srv.App.Engine.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := srv.App.Engine.State().Announcements(); len(got) != 0 {
		t.Fatalf("after reset: %v", got)
	}
}

func jsonNum(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestAnnouncementsPublicBoard: with a public scoreboard the list needs
// no session, as /api/scoreboard.
func TestAnnouncementsPublicBoard(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.PublicBoard = true })
	mustAdmin(t, srv, "/admin/api/announcements", map[string]any{"message": "Hello"})
	if got := announcementsOf(t, srv.NewClient()); len(got) != 1 || got[0]["message"] != "Hello" {
		t.Fatalf("public list: %v", got)
	}
}

// TestPostgresAnnouncementsReachEveryInstance: an announcement made on A
// is an event of the shared log, so B lists it and sends it to B's
// sockets.
func TestPostgresAnnouncementsReachEveryInstance(t *testing.T) {
	dbURL := mustPostgresURL(t)
	dir := ctftest.MustGameDir(t)
	withPG := func(c *app.Config) { c.DatabaseURL = dbURL }
	a := ctftest.MustServer(t, dir, withPG)
	b := ctftest.MustServer(t, dir, withPG)
	onB := b.MustLogin(t, "alice")
	watcher := dialStream(t, onB, "")
	if snap := readFrame(t, watcher); snap[0]["type"] != "snapshot" {
		t.Fatalf("first frame: %v", snap)
	}
	made := mustAdmin(t, a, "/admin/api/announcements", map[string]any{"message": "From A", "challenge_id": 1})
	live := readUntil(t, watcher, "announcement")
	if live["id"] != made["id"] || live["message"] != "From A" || live["challenge_id"] != 1.0 {
		t.Fatalf("B's socket: %v, made %v", live, made)
	}
	// B's socket got it from B's feed, so B's state holds it too.
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := announcementsOf(t, onB)
		if len(list) == 1 && list[0]["id"] == made["id"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's list after 10 s: %v", list)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
