package app_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/gorilla/websocket"
)

func dialStream(t *testing.T, c *ctftest.Client, query string) *websocket.Conn {
	t.Helper()
	_, body := c.Do(t, "GET", "/api/me", nil)
	u := ctftest.MustJSON(t, body)["websocket_url"].(string) + query
	conn, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %v: %v", resp, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func readFrame(t *testing.T, conn *websocket.Conn) []map[string]any {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var frame []map[string]any
	if err := json.Unmarshal(msg, &frame); err != nil {
		t.Fatalf("frame is not a JSON array: %s", msg)
	}
	return frame
}

// TestScorestreamEndToEnd: the snapshot matches /api/scoreboard, a solve
// reaches another player's socket, resume sends only what was missed, and
// an admin reset logs everyone out and revokes old tokens.
func TestScorestreamEndToEnd(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	alice, bob := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob")
	alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})

	watcher := dialStream(t, bob, "")
	snap := readFrame(t, watcher)
	if len(snap) != 1 || snap[0]["type"] != "snapshot" {
		t.Fatalf("first frame: %v", snap)
	}
	_, board := bob.Do(t, "GET", "/api/scoreboard", nil)
	var sb map[string]any
	json.Unmarshal(board, &sb)
	// The snapshot leaves out rank: its order is the rank.
	for i, p := range sb["players"].([]any) {
		if p.(map[string]any)["rank"] != float64(i+1) {
			t.Fatalf("scoreboard rank: %v", p)
		}
		delete(p.(map[string]any), "rank")
	}
	gotPlayers, _ := json.Marshal(snap[0]["players"])
	wantPlayers, _ := json.Marshal(sb["players"])
	if string(gotPlayers) != string(wantPlayers) || snap[0]["last_id"] != sb["last_id"] {
		t.Fatalf("snapshot %s != scoreboard %s", gotPlayers, wantPlayers)
	}
	last := snap[0]["last_id"].(float64)

	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 3, "flag": "ctf{case}"})
	ev := readFrame(t, watcher)
	if ev[0]["type"] != "score" || ev[0]["displayname"] != "Alice" || ev[0]["challenge"] != "Who Am I" || ev[0]["points"] != 50.0 || ev[0]["id"].(float64) <= last {
		t.Fatalf("live event: %v", ev)
	}

	// Resume: a client that last saw `last` gets exactly the missed event.
	resumed := dialStream(t, bob, "&since="+strconv.FormatInt(int64(last), 10))
	frame := readFrame(t, resumed)
	if len(frame) != 1 || frame[0]["id"] != ev[0]["id"] {
		t.Fatalf("resume: %v", frame)
	}

	_, me := bob.Do(t, "GET", "/api/me", nil)
	oldURL := ctftest.MustJSON(t, me)["websocket_url"].(string)
	judge := srv.NewClient()
	if status, body := judge.Do(t, "POST", "/admin/reset?confirm=yes", map[string]string{"token": ctftest.AdminToken}); status != 200 {
		t.Fatalf("reset: %d %s", status, body)
	}
	for _, conn := range []*websocket.Conn{watcher, resumed} {
		var sawReset bool
		for !sawReset {
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, msg, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("socket closed before the reset message: %v", err)
			}
			sawReset = strings.Contains(string(msg), `"event":"reset"`) && strings.Contains(string(msg), `"logout":true`)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := conn.ReadMessage(); err == nil {
			t.Fatal("socket still open after reset")
		}
	}
	if _, resp, err := websocket.DefaultDialer.Dial(oldURL, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("token from before the reset still works: %v", err)
	}
}
