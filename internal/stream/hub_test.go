package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/gorilla/websocket"
)

func TestHandshakeRefusals(t *testing.T) {
	h, srv := MustHub(t, Config{AllowedOrigins: []string{"https://CTF.example.org/"}}, newTestGame())
	tests := []struct {
		name   string
		query  string
		origin string
		status int
	}{
		{"no token", "", "", http.StatusUnauthorized},
		{"empty token", "token=", "", http.StatusUnauthorized},
		{"bad token", "token=nope", "", http.StatusUnauthorized},
		{"bad since", "token=tok-alice&since=12x", "", http.StatusBadRequest},
		{"foreign origin", "token=tok-alice", "https://evil.example", http.StatusForbidden},
		{"foreign origin, no token", "", "https://evil.example", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{}
			if tt.origin != "" {
				hdr.Set("Origin", tt.origin)
			}
			conn, resp, err := websocket.DefaultDialer.Dial(wsURL(srv, tt.query), hdr)
			if err == nil {
				conn.Close()
				t.Fatal("handshake succeeded")
			}
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if resp.Header.Get("Upgrade") != "" {
				t.Fatal("refused handshake carries an Upgrade header")
			}
			body, _ := io.ReadAll(resp.Body)
			if strings.Contains(string(body), "nope") {
				t.Fatalf("the token is echoed: %q", body)
			}
		})
	}
	if n := h.Clients(); n != 0 {
		t.Fatalf("%d clients after refusals", n)
	}

	// Plain GET with no upgrade and the wrong method.
	resp, err := http.Post(srv.URL+"/scorestream?token=tok-alice", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: status %d", resp.StatusCode)
	}

	// The allowed origin (any case, trailing slash) and no origin pass.
	MustDial(t, srv, "token=tok-alice", http.Header{"Origin": {"https://ctf.example.org"}}).snapshot()
	MustDial(t, srv, "token=tok-board", nil).snapshot()
}

func TestAnyOriginWithoutAllowList(t *testing.T) {
	_, srv := MustHub(t, Config{}, newTestGame())
	MustDial(t, srv, "token=tok-alice", http.Header{"Origin": {"https://elsewhere.example"}}).snapshot()
}

func TestSnapshotFirstFrame(t *testing.T) {
	g := &fixedSource{snap: Snapshot{
		LastID: 3,
		Players: []game.Standing{
			{Rank: 1, PlayerID: 7, DisplayName: "Alice", Score: 420, Solves: 3, LastSolveTS: 1700000000000},
		},
		Series: []game.Series{{PlayerID: 7, DisplayName: "Alice", Points: [][2]int64{{1700000000000, 100}, {1700000001000, 420}}}},
		Events: []Event{
			scoreEvent(1),
			{ID: 2, Type: "hint", PlayerID: 7, DisplayName: "Alice", TS: 1700000000100, ChallengeID: 3, Challenge: "The Suspect's Age", HintID: 1, Points: -15},
			{ID: 3, Type: "rename", PlayerID: 7, DisplayName: "Alice B", TS: 1700000000200},
		},
		Announcements: []Event{AnnouncementEvent(game.Announcement{ID: 1, TS: 1700000000050, Message: "Welcome **all**", ChallengeID: 3})},
	}}
	_, srv := MustHub(t, Config{SnapshotEvents: 2}, g)
	c := MustDial(t, srv, "token=tok-alice", nil)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, got, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"snapshot","last_id":3,"frozen":false,` +
		`"players":[{"rank":1,"player_id":7,"displayname":"Alice","score":420,"solves":3,"last_solve_ts":1700000000000}],` +
		`"series":[{"player_id":7,"displayname":"Alice","points":[[1700000000000,100],[1700000001000,420]]}],` +
		`"events":[{"id":2,"type":"hint","player_id":7,"displayname":"Alice","ts":1700000000100,"challenge_id":3,"challenge":"The Suspect's Age","hint_id":1,"points":-15},` +
		`{"id":3,"type":"rename","player_id":7,"displayname":"Alice B","ts":1700000000200,"points":0}],` +
		`"announcements":[{"type":"announcement","id":1,"ts":1700000000050,"message":"Welcome **all**","challenge_id":3}]}]`
	if string(got) != want {
		t.Fatalf("snapshot frame\n got %s\nwant %s", got, want)
	}

	// An empty game sends empty arrays, never null.
	_, srv = MustHub(t, Config{}, &fixedSource{})
	c = MustDial(t, srv, "token=tok-board", nil)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, got, err = c.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	if want := `[{"type":"snapshot","last_id":0,"frozen":false,"players":[],"series":[],"events":[],"announcements":[]}]`; string(got) != want {
		t.Fatalf("empty snapshot %s, want %s", got, want)
	}
}

type fixedSource struct{ snap Snapshot }

func (s *fixedSource) Snapshot() Snapshot { return s.snap }

func TestPublishReachesEveryClient(t *testing.T) {
	g := newTestGame()
	h, srv := MustHub(t, Config{}, g)
	var clients []*testConn
	for i := 0; i < 5; i++ {
		c := MustDial(t, srv, "token=tok-alice", nil)
		if s := c.snapshot(); s.LastID != 0 {
			t.Fatalf("snapshot last_id %d", s.LastID)
		}
		clients = append(clients, c)
	}
	g.commit(h, scoreEvents(1, 3)...)
	g.commit(h, scoreEvent(4))
	for i, c := range clients {
		if ids := c.eventsUpTo(4); !slices.Equal(ids, idRange(1, 4)) {
			t.Fatalf("client %d got %v", i, ids)
		}
	}
	// The event objects travel intact.
	g.commit(h, Event{ID: 5, Type: "hint", PlayerID: 9, DisplayName: "Bob", TS: 5, ChallengeID: 2, Challenge: "C", HintID: 1, Points: -15})
	if evs := clients[0].events(); len(evs) != 1 || evs[0] != (Event{ID: 5, Type: "hint", PlayerID: 9, DisplayName: "Bob", TS: 5, ChallengeID: 2, Challenge: "C", HintID: 1, Points: -15}) {
		t.Fatalf("got %+v", evs)
	}
	if n := h.Clients(); n != 5 {
		t.Fatalf("Clients() = %d", n)
	}
}

func TestPublishDropsOutOfOrderEvents(t *testing.T) {
	g := newTestGame()
	h, srv := MustHub(t, Config{}, g)
	c := MustDial(t, srv, "token=tok-alice", nil)
	c.snapshot()
	h.Publish(scoreEvents(1, 3)...)
	h.Publish(scoreEvent(2), scoreEvent(3), scoreEvent(4))
	if ids := c.eventsUpTo(4); !slices.Equal(ids, idRange(1, 4)) {
		t.Fatalf("got %v", ids)
	}
	if h.LastID() != 4 {
		t.Fatalf("LastID %d", h.LastID())
	}
}

func TestResumeWithSince(t *testing.T) {
	g := newTestGame()
	h, srv := MustHub(t, Config{}, g)
	g.commit(h, scoreEvents(1, 10)...)
	waitFor(t, "events sent", func() bool { h.fanMu.Lock(); defer h.fanMu.Unlock(); return h.lastSent == 10 })
	snaps := g.snapshots()

	c := MustDial(t, srv, "token=tok-alice&since=5", nil)
	if ids := c.eventsUpTo(10); !slices.Equal(ids, idRange(6, 10)) {
		t.Fatalf("resume got %v, want 6..10", ids)
	}
	// Resuming at the latest id gets an empty frame (the socket is live:
	// browsers wait for a first frame), then the next event.
	latest := MustDial(t, srv, "token=tok-alice&since=10", nil)
	latest.resumed()
	g.commit(h, scoreEvent(11))
	if ids := latest.eventsUpTo(11); !slices.Equal(ids, []int64{11}) {
		t.Fatalf("resume at latest got %v, want [11]", ids)
	}
	if ids := c.eventsUpTo(11); !slices.Equal(ids, []int64{11}) {
		t.Fatalf("resumed client then got %v", ids)
	}
	if g.snapshots() != snaps {
		t.Fatal("a resume built a snapshot")
	}
}

func TestSinceOutOfRangeGetsSnapshot(t *testing.T) {
	g := newTestGame()
	h, srv := MustHub(t, Config{ReplayLen: 5}, g)

	// Nothing published yet: the hub knows no history.
	if s := MustDial(t, srv, "token=tok-alice&since=0", nil).snapshot(); s.LastID != 0 {
		t.Fatalf("last_id %d", s.LastID)
	}
	g.commit(h, scoreEvents(1, 10)...) // the ring keeps 6..10
	for _, since := range []string{"0", "2", "4", "11", "1000", "-3"} {
		c := MustDial(t, srv, "token=tok-alice&since="+since, nil)
		if s := c.snapshot(); s.LastID != 10 || len(s.Events) != 10 {
			t.Fatalf("since=%s: snapshot last_id %d with %d events", since, s.LastID, len(s.Events))
		}
	}
	// 5 is the newest evicted id: everything after it is still held.
	c := MustDial(t, srv, "token=tok-alice&since=5", nil)
	if ids := c.eventsUpTo(10); !slices.Equal(ids, idRange(6, 10)) {
		t.Fatalf("since=5 got %v", ids)
	}
}

// TestNoGapNoDuplicate connects clients while events are being published
// and checks that each sees every event exactly once after its snapshot.
func TestNoGapNoDuplicate(t *testing.T) {
	for _, lag := range []bool{false, true} {
		name := "source ahead"
		if lag {
			name = "source lagging"
		}
		t.Run(name, func(t *testing.T) {
			g := newTestGame()
			h, srv := MustHub(t, Config{Coalesce: 2 * time.Millisecond, ReplayLen: 100000}, g)
			const total = 600
			done := make(chan struct{})
			go func() {
				defer close(done)
				for id := int64(1); id <= total; id++ {
					if lag {
						// Publish before the state knows: the snapshot may
						// trail the published events.
						h.Publish(scoreEvent(id))
						g.apply(scoreEvent(id))
					} else {
						g.commit(h, scoreEvent(id))
					}
					if id%20 == 0 {
						time.Sleep(time.Millisecond)
					}
				}
			}()
			var wg sync.WaitGroup
			errs := make(chan string, 64)
			for i := 0; i < 16; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					time.Sleep(time.Duration(i) * 2 * time.Millisecond)
					query := "token=tok-alice"
					var next int64
					if i%4 == 3 && h.LastID() > 0 {
						next = h.LastID() - 3
						query += "&since=" + itoa(next)
					}
					conn, _, err := websocket.DefaultDialer.Dial(wsURL(srv, query), nil)
					if err != nil {
						errs <- err.Error()
						return
					}
					defer conn.Close()
					for next < total {
						_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
						_, b, err := conn.ReadMessage()
						if err != nil {
							errs <- err.Error()
							return
						}
						var objs []struct {
							Type   string `json:"type"`
							ID     int64  `json:"id"`
							LastID int64  `json:"last_id"`
						}
						if err := json.Unmarshal(b, &objs); err != nil {
							errs <- err.Error()
							return
						}
						for _, o := range objs {
							if o.Type == "snapshot" {
								next = o.LastID
								continue
							}
							if o.ID != next+1 {
								errs <- "client " + itoa(int64(i)) + ": got id " + itoa(o.ID) + " after " + itoa(next)
								return
							}
							next = o.ID
						}
					}
				}(i)
			}
			wg.Wait()
			<-done
			close(errs)
			for e := range errs {
				t.Error(e)
			}
		})
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// dialSlow connects a client whose socket receive buffer is tiny and that
// never reads after the handshake.
func dialSlow(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{NetDialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}).DialContext}
	conn, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestStalledClientIsDroppedWithoutBlockingPublish(t *testing.T) {
	g := newTestGame()
	var overflows, broadcasts atomic.Int64
	m := MetricsFuncs{
		OnDropped: func(r string) {
			if r == ReasonOverflow {
				overflows.Add(1)
			}
		},
		OnBroadcast: func(time.Duration) { broadcasts.Add(1) },
	}
	h, srv := MustHub(t, Config{QueueLen: 8, WriteTimeout: time.Minute, Metrics: m}, g)
	_ = dialSlow(t, wsURL(srv, "token=tok-alice"))
	good := MustDial(t, srv, "token=tok-board", nil)
	good.snapshot()
	waitFor(t, "2 clients", func() bool { return h.Clients() == 2 })

	// 1,000 frames of 8 KiB are more than the kernel buffers of the
	// stalled socket hold (4 MiB send buffer at most here); its writer
	// blocks and its queue overflows. Each event is published once the
	// good client has the previous one, so that each is its own frame.
	big := strings.Repeat("x", 8<<10)
	const n = 1000
	received := make(chan int64, n)
	published := make(chan struct{})
	go func() {
		defer close(published)
		for id := int64(1); id <= n; id++ {
			e := scoreEvent(id)
			e.Challenge = big
			g.commit(h, e)
			select {
			case <-received:
			case <-time.After(10 * time.Second):
				return
			}
		}
	}()
	var got int64
	for got < n {
		evs := good.events()
		for _, e := range evs {
			if e.ID != got+1 {
				t.Fatalf("good client got %d after %d", e.ID, got)
			}
			got = e.ID
			received <- got
		}
	}
	// Every Publish returned: the good client could not have received the
	// last event otherwise.
	select {
	case <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on the stalled client")
	}
	waitFor(t, "stalled client dropped", func() bool { return h.Clients() == 1 })
	if overflows.Load() != 1 {
		t.Fatalf("overflow drops: %d", overflows.Load())
	}
	waitFor(t, "broadcast metrics", func() bool { return broadcasts.Load() > 0 })
}

func TestPingTimeoutReapsSilentClient(t *testing.T) {
	var reaped atomic.Int64
	m := MetricsFuncs{OnDropped: func(r string) {
		if r == ReasonPingTimeout {
			reaped.Add(1)
		}
	}}
	h, srv := MustHub(t, Config{KeepAlive: 40 * time.Millisecond, PingTimeout: 400 * time.Millisecond, Metrics: m}, newTestGame())

	// The silent client reads (so pings arrive) but never answers them.
	silent := MustDial(t, srv, "token=tok-alice", nil)
	var pings atomic.Int64
	silent.SetPingHandler(func(string) error { pings.Add(1); return nil })
	silentDone := make(chan error, 1)
	go func() {
		for {
			if _, _, err := silent.ReadMessage(); err != nil {
				silentDone <- err
				return
			}
		}
	}()
	// The live client answers pings (gorilla's default handler).
	live := MustDial(t, srv, "token=tok-alice", nil)
	live.snapshot()
	liveDone := make(chan error, 1)
	go func() {
		for {
			if _, _, err := live.ReadMessage(); err != nil {
				liveDone <- err
				return
			}
		}
	}()

	select {
	case <-silentDone:
	case <-time.After(10 * time.Second):
		t.Fatal("silent client was not reaped")
	}
	if pings.Load() == 0 {
		t.Fatal("no ping reached the client")
	}
	waitFor(t, "silent client removed", func() bool { return h.Clients() == 1 })
	if reaped.Load() != 1 {
		t.Fatalf("ping timeouts: %d", reaped.Load())
	}
	select {
	case err := <-liveDone:
		t.Fatalf("live client closed: %v", err)
	default:
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPingLatencyLogged(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, srv := MustHub(t, Config{KeepAlive: 20 * time.Millisecond, PingTimeout: time.Second, LogPingLatency: true, Logger: logger}, newTestGame())
	c := MustDial(t, srv, "token=tok-alice", nil)
	go func() {
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	waitFor(t, "latency log", func() bool { return strings.Contains(logs.String(), "ping latency") })
	out := logs.String()
	if !strings.Contains(out, "latency_ms=") || !strings.Contains(out, "player_id=7") {
		t.Fatalf("log: %s", out)
	}
	if strings.Contains(out, "tok-alice") {
		t.Fatal("the token was logged")
	}
}

func TestClientMessagesIgnored(t *testing.T) {
	g := newTestGame()
	h, srv := MustHub(t, Config{MaxMessage: 64}, g)
	c := MustDial(t, srv, "token=tok-alice", nil)
	c.snapshot()
	for i := 0; i < 3; i++ {
		if err := c.WriteMessage(websocket.TextMessage, []byte("ping")); err != nil {
			t.Fatal(err)
		}
	}
	g.commit(h, scoreEvent(1))
	if ids := c.eventsUpTo(1); !slices.Equal(ids, []int64{1}) {
		t.Fatalf("got %v", ids)
	}
	if h.Clients() != 1 {
		t.Fatal("client dropped after text frames")
	}

	// A frame over MaxMessage closes the connection with 1009.
	if err := c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("a"), 65)); err != nil {
		t.Fatal(err)
	}
	if code := c.closeCode(); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want 1009", code)
	}
	waitFor(t, "client removed", func() bool { return h.Clients() == 0 })
}

func TestResetClosesEveryoneAndForgetsReplay(t *testing.T) {
	g := newTestGame()
	var resets atomic.Int64
	h, srv := MustHub(t, Config{Metrics: MetricsFuncs{OnDropped: func(r string) {
		if r == ReasonReset {
			resets.Add(1)
		}
	}}}, g)
	g.commit(h, scoreEvents(1, 5)...)
	a := MustDial(t, srv, "token=tok-alice", nil)
	a.snapshot()
	b := MustDial(t, srv, "token=tok-board&since=5", nil)
	b.resumed()
	waitFor(t, "2 clients", func() bool { return h.Clients() == 2 })

	h.Reset()
	for _, c := range []*testConn{a, b} {
		arr := c.frame()
		if len(arr) != 1 || string(arr[0]) != `{"type":"system","event":"reset","logout":true}` {
			t.Fatalf("reset frame: %s", arr)
		}
		if code := c.closeCode(); code != websocket.CloseNormalClosure {
			t.Fatalf("close code %d", code)
		}
	}
	waitFor(t, "no clients", func() bool { return h.Clients() == 0 })
	if resets.Load() != 2 {
		t.Fatalf("reset drops: %d", resets.Load())
	}
	// The old ids cannot be resumed: a fresh snapshot comes instead.
	if s := MustDial(t, srv, "token=tok-alice&since=5", nil).snapshot(); s.Type != "snapshot" {
		t.Fatal("no snapshot after reset")
	}
	// The hub keeps working after a reset.
	c := MustDial(t, srv, "token=tok-alice", nil)
	c.snapshot()
	g.commit(h, scoreEvent(6))
	if ids := c.eventsUpTo(6); !slices.Equal(ids, []int64{6}) {
		t.Fatalf("after reset got %v", ids)
	}
}

func TestShutdownGoingAway(t *testing.T) {
	h := NewHub(Config{}, newTestGame(), testAuth)
	srv := newServer(t, h)
	a := MustDial(t, srv, "token=tok-alice", nil)
	a.snapshot()
	b := MustDial(t, srv, "token=tok-board", nil)
	b.snapshot()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- h.Shutdown(ctx) }()
	for _, c := range []*testConn{a, b} {
		if code := c.closeCode(); code != websocket.CloseGoingAway {
			t.Fatalf("close code %d, want 1001", code)
		}
		c.Close()
	}
	if err := <-errc; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if h.Clients() != 0 {
		t.Fatal("clients left")
	}
	_, resp, err := websocket.DefaultDialer.Dial(wsURL(srv, "token=tok-alice"), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v %v", err, resp)
	}
	h.Publish(scoreEvent(1)) // harmless
}

func TestShutdownGivesUpAtDeadline(t *testing.T) {
	h := NewHub(Config{}, newTestGame(), testAuth)
	srv := newServer(t, h)
	// A client that never reads does not answer the close frame.
	stalled := dialSlow(t, wsURL(srv, "token=tok-alice"))
	_ = stalled
	waitFor(t, "client", func() bool { return h.Clients() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// The client has closeGrace (2 s) to answer; the deadline comes first.
	if err := h.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown returned nil before the silent client answered")
	}
	done := make(chan struct{})
	go func() { h.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("socket still open after Shutdown")
	}
}

// newServer serves h without the Shutdown that MustHub adds, for the
// tests that shut down themselves.
func newServer(t *testing.T, h *Hub) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestCoalesceMergesBursts(t *testing.T) {
	g := newTestGame()
	h, srv := MustHub(t, Config{Coalesce: 200 * time.Millisecond}, g)
	c := MustDial(t, srv, "token=tok-alice", nil)
	c.snapshot()
	const n = 300
	for id := int64(1); id <= n; id++ {
		g.commit(h, scoreEvent(id))
	}
	frames := 0
	var ids []int64
	for len(ids) < n {
		for _, e := range c.events() {
			ids = append(ids, e.ID)
		}
		frames++
	}
	if !slices.Equal(ids, idRange(1, n)) {
		t.Fatalf("events out of order or duplicated: %v", ids)
	}
	// The first event may leave at once; the rest of the burst waits for
	// the window and shares frames (at most maxFrameEvents each).
	if frames > 3 {
		t.Fatalf("%d events came in %d frames", n, frames)
	}
}

// The window between frames grows with the audience, within bounds, and
// stays off when coalescing is off.
func TestCoalesceWindowGrowsWithClients(t *testing.T) {
	h := &Hub{cfg: Config{Coalesce: 50 * time.Millisecond}}
	for _, c := range []struct {
		n    int
		want time.Duration
	}{{0, 50 * time.Millisecond}, {200, 50 * time.Millisecond}, {2000, 80 * time.Millisecond}, {5000, 200 * time.Millisecond}, {10000, maxCoalesce}, {100000, maxCoalesce}} {
		if got := h.coalesceWindow(c.n); got != c.want {
			t.Errorf("%d clients: window %v, want %v", c.n, got, c.want)
		}
	}
	off := &Hub{cfg: Config{}}
	if got := off.coalesceWindow(10000); got != 0 {
		t.Errorf("coalescing off: window %v", got)
	}
}

func TestBigBurstIsSplitIntoFrames(t *testing.T) {
	g := newTestGame()
	h, srv := MustHub(t, Config{}, g)
	c := MustDial(t, srv, "token=tok-alice", nil)
	c.snapshot()
	g.commit(h, scoreEvents(1, 1200)...)
	var ids []int64
	for len(ids) < 1200 {
		evs := c.events()
		if len(evs) > maxFrameEvents {
			t.Fatalf("frame of %d events", len(evs))
		}
		for _, e := range evs {
			ids = append(ids, e.ID)
		}
	}
	if !slices.Equal(ids, idRange(1, 1200)) {
		t.Fatal("wrong events")
	}
}

func TestSnapshotReusedDuringConnectStorm(t *testing.T) {
	g := newTestGame()
	h, srv := MustHub(t, Config{}, g)
	g.commit(h, scoreEvents(1, 3)...)
	waitFor(t, "sent", func() bool { h.fanMu.Lock(); defer h.fanMu.Unlock(); return h.lastSent == 3 })
	for i := 0; i < 20; i++ {
		if s := MustDial(t, srv, "token=tok-alice", nil).snapshot(); s.LastID != 3 {
			t.Fatalf("last_id %d", s.LastID)
		}
	}
	if n := g.snapshots(); n != 1 {
		t.Fatalf("%d snapshots built for 20 connects with no event between", n)
	}
	// A new event makes the next connect build a fresh one.
	g.commit(h, scoreEvent(4))
	waitFor(t, "sent", func() bool { h.fanMu.Lock(); defer h.fanMu.Unlock(); return h.lastSent == 4 })
	if s := MustDial(t, srv, "token=tok-alice", nil).snapshot(); s.LastID != 4 {
		t.Fatalf("last_id %d after new event", s.LastID)
	}
}

// TestLaggingSourcePatchedFromRing: a Source that has not folded events
// the hub already sent gets its snapshot followed by those events.
func TestLaggingSourcePatchedFromRing(t *testing.T) {
	src := &fixedSource{snap: Snapshot{LastID: 3, Events: scoreEvents(1, 3)}}
	var logs syncBuffer
	for _, replay := range []int{100, 2} {
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		h, srv := MustHub(t, Config{ReplayLen: replay, Logger: logger}, src)
		h.Publish(scoreEvents(1, 6)...)
		waitFor(t, "sent", func() bool { h.fanMu.Lock(); defer h.fanMu.Unlock(); return h.lastSent == 6 })
		c := MustDial(t, srv, "token=tok-alice", nil)
		if s := c.snapshot(); s.LastID != 3 {
			t.Fatalf("snapshot last_id %d", s.LastID)
		}
		h.Publish(scoreEvent(7))
		want := []int64{4, 5, 6, 7}
		if replay == 2 {
			// 4 is gone from the ring: the hub says so and cannot patch.
			want = []int64{7}
			waitFor(t, "warning", func() bool { return strings.Contains(logs.String(), "snapshot older than the published events") })
		}
		if ids := c.eventsUpTo(7); !slices.Equal(ids, want) {
			t.Fatalf("replay %d: got %v, want %v", replay, ids, want)
		}
	}
}
