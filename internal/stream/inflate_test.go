package stream

import (
	"bytes"
	"compress/flate"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// deflateBomb is a text message that inflates to n bytes.
func deflateBomb(n int) []byte { return bytes.Repeat([]byte("a"), n) }

// deflatedSize is how many bytes a permessage-deflate sender at
// BestCompression puts on the wire for msg.
func deflatedSize(tb testing.TB, msg []byte) int {
	tb.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := fw.Write(msg); err != nil {
		tb.Fatal(err)
	}
	if err := fw.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Len()
}

// MustDialCompressed connects with permessage-deflate negotiated and the
// client's writes compressed at BestCompression, as a hostile client would.
func MustDialCompressed(tb testing.TB, query string, srvURL string) *websocket.Conn {
	tb.Helper()
	d := websocket.Dialer{EnableCompression: true, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(srvURL, nil)
	if err != nil {
		tb.Fatalf("dial %q: %v", query, err)
	}
	if resp.Header.Get("Sec-WebSocket-Extensions") == "" {
		tb.Fatal("the server did not negotiate permessage-deflate")
	}
	conn.EnableWriteCompression(true)
	if err := conn.SetCompressionLevel(flate.BestCompression); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// A compressed client frame under the 4 KiB wire limit that inflates to
// 4 MB is closed with 1009 like an oversized plain frame, instead of being
// inflated and read to the end.
func TestDeflateBombClosedWith1009(t *testing.T) {
	var mu sync.Mutex
	var reasons []string
	g := newTestGame()
	h, srv := MustHub(t, Config{Metrics: MetricsFuncs{OnDropped: func(r string) {
		mu.Lock()
		reasons = append(reasons, r)
		mu.Unlock()
	}}}, g)

	bomb := deflateBomb(4 << 20)
	if n := deflatedSize(t, bomb); n >= DefaultMaxMessage {
		t.Fatalf("the bomb is %d bytes on the wire, want under the %d-byte frame limit", n, DefaultMaxMessage)
	}
	conn := MustDialCompressed(t, "token=tok-alice", wsURL(srv, "token=tok-alice"))
	c := &testConn{Conn: conn, tb: t}
	c.snapshot()

	// A small compressed message is still fine.
	if err := conn.WriteMessage(websocket.TextMessage, deflateBomb(DefaultMaxMessage)); err != nil {
		t.Fatal(err)
	}
	g.commit(h, scoreEvent(1))
	c.eventsUpTo(1)

	if err := conn.WriteMessage(websocket.TextMessage, bomb); err != nil {
		t.Fatal(err)
	}
	if code := c.closeCode(); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want 1009", code)
	}
	waitFor(t, "client removed", func() bool { return h.Clients() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(reasons) != 1 || reasons[0] != ReasonTooBig {
		t.Fatalf("drop reasons %v, want [%s]", reasons, ReasonTooBig)
	}
}
