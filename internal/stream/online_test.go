package stream

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPlayersCountsDistinctPlayers(t *testing.T) {
	viewers := map[string]Viewer{"alice": {PlayerID: 7}, "bob": {PlayerID: 8}, "board": {PlayerID: 0}}
	h := NewHub(Config{WriteTimeout: 5 * time.Second}, newTestGame(), func(_ context.Context, tok string) (Viewer, bool) {
		v, ok := viewers[tok]
		return v, ok
	})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Close()
	})
	if n := h.Players(); n != 0 {
		t.Fatalf("Players() = %d with no socket", n)
	}
	alice1 := MustDial(t, srv, "token=alice", nil)
	alice1.snapshot()
	alice2 := MustDial(t, srv, "token=alice", nil) // a second tab
	alice2.snapshot()
	board := MustDial(t, srv, "token=board", nil) // the projector
	board.snapshot()
	waitFor(t, "3 sockets", func() bool { return h.Clients() == 3 })
	if n := h.Players(); n != 1 {
		t.Fatalf("two tabs of one player and a board: Players() = %d, want 1", n)
	}
	bob := MustDial(t, srv, "token=bob", nil)
	bob.snapshot()
	waitFor(t, "4 sockets", func() bool { return h.Clients() == 4 })
	if n := h.Players(); n != 2 {
		t.Fatalf("Players() = %d, want 2", n)
	}
	// One of alice's tabs closes: she is still online. Then the other.
	alice1.Close()
	waitFor(t, "alice's first tab gone", func() bool { return h.Clients() == 3 })
	if n := h.Players(); n != 2 {
		t.Fatalf("after one of two tabs closed: Players() = %d, want 2", n)
	}
	alice2.Close()
	waitFor(t, "alice gone", func() bool { return h.Players() == 1 })
	h.Reset()
	waitFor(t, "everyone gone after reset", func() bool { return h.Players() == 0 && h.Clients() == 0 })
}

// BenchmarkPlayers counts distinct players among 5,000 registered
// clients (2 tabs each for half of them, plus board viewers): the cost
// the admin dashboard adds, at most once a second, under the fan-out lock.
func BenchmarkPlayers(b *testing.B) {
	h := NewHub(Config{}, nil, nil)
	for i := range 5000 {
		id := int64(i / 2)
		if i%10 == 9 {
			id = 0 // a board viewer
		}
		h.clients[&client{h: h, viewer: Viewer{PlayerID: id}}] = struct{}{}
	}
	want := h.Players()
	b.ResetTimer()
	for b.Loop() {
		if h.Players() != want {
			b.Fatal("count changed")
		}
	}
}
