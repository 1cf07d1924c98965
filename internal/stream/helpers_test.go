package stream

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/gorilla/websocket"
)

// testGame is a tiny game for the tests: it folds events into scores and
// serves snapshots, the way the engine does (state first, then Publish).
type testGame struct {
	mu      sync.Mutex
	lastID  int64
	scores  map[int64]int
	events  []Event
	snapped int // Snapshot calls
}

func newTestGame() *testGame { return &testGame{scores: map[int64]int{}} }

// apply folds evs into the state.
func (g *testGame) apply(evs ...Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range evs {
		g.lastID = e.ID
		g.scores[e.PlayerID] += e.Points
		g.events = append(g.events, e)
	}
}

func (g *testGame) Snapshot() Snapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.snapped++
	s := Snapshot{LastID: g.lastID}
	for id, sc := range g.scores {
		s.Players = append(s.Players, game.Standing{PlayerID: id, DisplayName: "p", Score: sc})
	}
	s.Events = append([]Event(nil), g.events...)
	return s
}

func (g *testGame) snapshots() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.snapped
}

// commit applies and publishes evs, in the engine's order.
func (g *testGame) commit(h *Hub, evs ...Event) {
	g.apply(evs...)
	h.Publish(evs...)
}

// tokens of the test hubs.
var testTokens = map[string]Viewer{"tok-alice": {PlayerID: 7}, "tok-board": {PlayerID: 0}}

func testAuth(_ context.Context, tok string) (Viewer, bool) {
	v, ok := testTokens[tok]
	return v, ok
}

func scoreEvent(id int64) Event {
	return Event{ID: id, Type: "score", PlayerID: 7, DisplayName: "Alice", TS: 1700000000000 + id,
		ChallengeID: 3, Challenge: "The Suspect's Age", Points: 10}
}

func scoreEvents(from, to int64) []Event {
	var out []Event
	for id := from; id <= to; id++ {
		out = append(out, scoreEvent(id))
	}
	return out
}

// MustHub starts a hub behind a real HTTP server on 127.0.0.1 and stops
// both when the test ends.
func MustHub(tb testing.TB, cfg Config, src Source) (*Hub, *httptest.Server) {
	tb.Helper()
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	h := NewHub(cfg, src, testAuth)
	srv := httptest.NewServer(h)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			tb.Errorf("hub shutdown: %v", err)
		}
		srv.Close()
	})
	return h, srv
}

func wsURL(srv *httptest.Server, query string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/scorestream?" + query
}

// testConn is a real WebSocket client.
type testConn struct {
	*websocket.Conn
	tb testing.TB
}

// MustDial connects to the hub with query (e.g. "token=tok-alice").
func MustDial(tb testing.TB, srv *httptest.Server, query string, hdr http.Header) *testConn {
	tb.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL(srv, query), hdr)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		tb.Fatalf("dial %q: %v (status %d)", query, err, status)
	}
	tb.Cleanup(func() { conn.Close() })
	return &testConn{Conn: conn, tb: tb}
}

// frame reads the next data frame as an array of raw objects.
func (c *testConn) frame() []json.RawMessage {
	c.tb.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := c.ReadMessage()
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		c.tb.Fatalf("frame type %d, want text", typ)
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(b, &arr); err != nil {
		c.tb.Fatalf("frame is not a JSON array: %v: %s", err, b)
	}
	if len(arr) == 0 {
		c.tb.Fatalf("empty frame")
	}
	return arr
}

// resumed reads the empty frame a resume with nothing missed begins with.
func (c *testConn) resumed() {
	c.tb.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	if string(b) != "[]" {
		c.tb.Fatalf("first frame of a resume with nothing missed: %s, want []", b)
	}
}

type wireSnapshot struct {
	Type    string          `json:"type"`
	LastID  int64           `json:"last_id"`
	Players []game.Standing `json:"players"`
	Series  []game.Series   `json:"series"`
	Events  []Event         `json:"events"`
}

// snapshot reads the next frame and requires it to be a snapshot.
func (c *testConn) snapshot() wireSnapshot {
	c.tb.Helper()
	arr := c.frame()
	if len(arr) != 1 {
		c.tb.Fatalf("snapshot frame holds %d objects, want 1", len(arr))
	}
	var s wireSnapshot
	if err := json.Unmarshal(arr[0], &s); err != nil || s.Type != "snapshot" {
		c.tb.Fatalf("want a snapshot, got %s (%v)", arr[0], err)
	}
	return s
}

// events reads the next frame and requires it to hold only events.
func (c *testConn) events() []Event {
	c.tb.Helper()
	var out []Event
	for _, raw := range c.frame() {
		var e Event
		if err := json.Unmarshal(raw, &e); err != nil {
			c.tb.Fatalf("decode event %s: %v", raw, err)
		}
		if e.Type != "score" && e.Type != "hint" && e.Type != "rename" {
			c.tb.Fatalf("want an event, got %s", raw)
		}
		out = append(out, e)
	}
	return out
}

// eventsUpTo reads frames until it has seen the event with id last and
// returns every event id read.
func (c *testConn) eventsUpTo(last int64) []int64 {
	c.tb.Helper()
	var ids []int64
	for len(ids) == 0 || ids[len(ids)-1] < last {
		for _, e := range c.events() {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// closeCode reads until the socket closes and returns the close code.
func (c *testConn) closeCode() int {
	c.tb.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if ok := asCloseError(err, &ce); ok {
			return ce.Code
		}
		c.tb.Fatalf("read ended without a close frame: %v", err)
	}
}

func asCloseError(err error, target **websocket.CloseError) bool {
	ce, ok := err.(*websocket.CloseError)
	if ok {
		*target = ce
	}
	return ok
}

// waitFor polls cond until it holds or the test times out: for state the
// hub reaches asynchronously (a client leaving).
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func idRange(from, to int64) []int64 {
	var out []int64
	for id := from; id <= to; id++ {
		out = append(out, id)
	}
	return out
}
