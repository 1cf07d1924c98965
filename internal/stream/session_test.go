package stream

import (
	"context"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// MustSessionHub starts a hub whose tokens name a session ("tok-s1-a" and
// "tok-s1-b" are session s1's, "tok-s2" session s2's, "tok-board" none),
// and alive decides whether a session still exists.
func MustSessionHub(tb testing.TB, alive func(session string, call int64) bool) (*Hub, *httptest.Server) {
	tb.Helper()
	viewers := map[string]Viewer{
		"tok-s1-a": {PlayerID: 7, Session: "s1"}, "tok-s1-b": {PlayerID: 7, Session: "s1"},
		"tok-s2": {PlayerID: 7, Session: "s2"}, "tok-board": {},
	}
	var calls atomic.Int64
	h := NewHub(Config{WriteTimeout: 5 * time.Second}, newTestGame(), func(_ context.Context, tok string) (Viewer, bool) {
		v, ok := viewers[tok]
		if ok && v.Session != "" && !alive(v.Session, calls.Add(1)) {
			return Viewer{}, false
		}
		return v, ok
	})
	srv := httptest.NewServer(h)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Close()
	})
	return h, srv
}

func TestCloseSessionClosesOnlyItsSockets(t *testing.T) {
	// The hub reports drops from the sockets' goroutines: guard the list.
	var mu sync.Mutex
	var drops []string
	h, srv := MustSessionHub(t, func(string, int64) bool { return true })
	h.metrics = MetricsFuncs{OnDropped: func(r string) { mu.Lock(); drops = append(drops, r); mu.Unlock() }}
	a, b := MustDial(t, srv, "token=tok-s1-a", nil), MustDial(t, srv, "token=tok-s1-b", nil)
	other, board := MustDial(t, srv, "token=tok-s2", nil), MustDial(t, srv, "token=tok-board", nil)
	for _, c := range []*testConn{a, b, other, board} {
		c.snapshot()
	}
	if n := h.CloseSession("s1"); n != 2 {
		t.Fatalf("CloseSession closed %d sockets, want 2", n)
	}
	for _, c := range []*testConn{a, b} {
		if code := c.closeCode(); code != websocket.CloseNormalClosure {
			t.Fatalf("close code %d, want 1000", code)
		}
	}
	if h.CloseSession("") != 0 || h.Clients() != 2 {
		t.Fatalf("%d clients left, want 2 (the other session and the board)", h.Clients())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(drops) != 2 || drops[0] != ReasonLogout || drops[1] != ReasonLogout {
		t.Fatalf("drop reasons %v", drops)
	}
}

// A logout that lands between the token check and the socket's
// registration (when CloseSession cannot see the socket yet) still closes
// it: the hub checks the token again once the socket is registered.
func TestLogoutDuringConnectClosesTheSocket(t *testing.T) {
	h, srv := MustSessionHub(t, func(_ string, call int64) bool { return call == 1 })
	c := MustDial(t, srv, "token=tok-s1-a", nil)
	for {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ReadMessage() // the snapshot may come first
		if err == nil {
			continue
		}
		ce, ok := err.(*websocket.CloseError)
		if !ok || ce.Code != websocket.CloseNormalClosure || ce.Text != "logout" {
			t.Fatalf("socket ended with %v, want 1000 logout", err)
		}
		break
	}
	waitFor(t, "client removed", func() bool { return h.Clients() == 0 })
}
