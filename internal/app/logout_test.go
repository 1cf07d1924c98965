package app_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/gorilla/websocket"
)

// closeOf reads until the socket closes and returns its close frame.
func closeOf(t *testing.T, conn *websocket.Conn) *websocket.CloseError {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("socket ended without a close frame: %v", err)
		}
		return ce
	}
}

// TestLogoutRevokesStreamTokens: logging out closes the sockets opened
// with that session's tokens and makes its websocket_url refuse to
// connect, while the same player's other session and other players stay
// connected.
func TestLogoutRevokesStreamTokens(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	laptop, phone, bob := srv.MustLogin(t, "alice"), srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob")

	_, me := laptop.Do(t, "GET", "/api/me", nil)
	oldURL := ctftest.MustJSON(t, me)["websocket_url"].(string)
	laptop1, laptop2 := dialStream(t, laptop, ""), dialStream(t, laptop, "") // two tabs
	phoneConn, bobConn := dialStream(t, phone, ""), dialStream(t, bob, "")
	for _, c := range []*websocket.Conn{laptop1, laptop2, phoneConn, bobConn} {
		if f := readFrame(t, c); f[0]["type"] != "snapshot" {
			t.Fatalf("first frame %v", f)
		}
	}

	if status, body := laptop.Do(t, "POST", "/api/logout", nil); status != 204 {
		t.Fatalf("logout: %d %s", status, body)
	}
	for _, c := range []*websocket.Conn{laptop1, laptop2} {
		if ce := closeOf(t, c); ce.Code != websocket.CloseNormalClosure || ce.Text != "logout" {
			t.Fatalf("close after logout: %d %q, want 1000 \"logout\"", ce.Code, ce.Text)
		}
	}
	if _, resp, err := websocket.DefaultDialer.Dial(oldURL, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("websocket_url from before the logout still connects: %v", err)
	}

	// The phone's session and bob are untouched.
	bob.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	for _, c := range []*websocket.Conn{phoneConn, bobConn} {
		if f := readFrame(t, c); f[0]["type"] != "score" {
			t.Fatalf("live frame after the other session's logout: %v", f)
		}
	}
	if n := srv.App.Hub.Clients(); n != 2 {
		t.Fatalf("%d sockets connected, want 2", n)
	}
}
