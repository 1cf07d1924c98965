package stream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/stream"
	"github.com/ctfg/ctfg/internal/stream/synth"
	"github.com/gorilla/websocket"
)

type fixed struct{ snap stream.Snapshot }

func (f fixed) Snapshot() stream.Snapshot { return f.snap }

// recordingConn keeps every byte the client reads, to measure the wire.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.buf.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// wireBytes returns what was read after the HTTP handshake.
func (c *recordingConn) wireBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.buf.Bytes()
	return len(b) - (bytes.Index(b, []byte("\r\n\r\n")) + 4)
}

// TestSnapshotSizeBound checks the snapshot a client receives for a big
// game (500 players, 30 challenges, 10,000 events): its JSON is bounded by
// the players (the full scoreboard is the contract), and on the wire, with
// permessage-deflate as browsers negotiate it, it stays under 64 KiB.
func TestSnapshotSizeBound(t *testing.T) {
	snap := synth.Game(synth.Params{Players: 500, Challenges: 30, Events: 10000, Seed: 1})
	if len(snap.Players) != 500 || snap.LastID != 10000 {
		t.Fatalf("synthetic game: %d players, last id %d", len(snap.Players), snap.LastID)
	}
	h := stream.NewHub(stream.Config{}, fixed{snap}, func(context.Context, string) (stream.Viewer, bool) { return stream.Viewer{}, true })
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	}()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/scorestream?token=x"

	for _, compress := range []bool{false, true} {
		var rec *recordingConn
		d := websocket.Dialer{
			EnableCompression: compress,
			NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				rec = &recordingConn{Conn: c}
				return rec, nil
			},
		}
		conn, _, err := d.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := conn.ReadMessage()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte(`[{"type":"snapshot","last_id":10000,`)) {
			t.Fatalf("not the snapshot: %.60s", b)
		}
		wire := rec.wireBytes()
		t.Logf("compression %v: JSON %d bytes, wire %d bytes (%d players, %d series, %d events)",
			compress, len(b), wire, len(snap.Players), len(snap.Series), len(snap.Events))
		// The JSON grows with the players only: 500 lines of about 110 bytes.
		if len(b) >= 64<<10 {
			t.Fatalf("snapshot JSON is %d bytes, want < 64 KiB", len(b))
		}
		if compress && wire >= 64<<10 {
			t.Fatalf("compressed snapshot is %d bytes on the wire, want < 64 KiB", wire)
		}
	}
}

// TestSnapshotSizeIndependentOfHistory: ten times the events, the same
// players, about the same snapshot.
func TestSnapshotSizeIndependentOfHistory(t *testing.T) {
	size := func(events int) int {
		s := synth.Game(synth.Params{Players: 500, Challenges: 30, Events: events, Seed: 1})
		b, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	small, big := size(10000), size(100000)
	t.Logf("10,000 events: %d bytes; 100,000 events: %d bytes", small, big)
	if big > small*5/4 {
		t.Fatalf("snapshot grows with history: %d -> %d bytes", small, big)
	}
}

// TestSnapshotSizeWithAnnouncements: the big game plus 20 announcements
// of the maximum 2,000 bytes still reaches a browser in under 64 KiB with
// permessage-deflate; the JSON grows by at most the announcement budget
// (SnapshotAnnouncementBytes plus one message), not by 40 KB.
func TestSnapshotSizeWithAnnouncements(t *testing.T) {
	snap := synth.Game(synth.Params{Players: 500, Challenges: 30, Events: 10000, Seed: 1})
	base, err := snap.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		msg := strings.Repeat(fmt.Sprintf("Announcement %d: the flag format of challenge 7 changed. ", i), 40)[:2000]
		snap.Announcements = append(snap.Announcements, stream.AnnouncementEvent(game.Announcement{ID: int64(20000 + i), TS: 1700000000000 + int64(i), Message: msg, ChallengeID: 7}))
	}
	h := stream.NewHub(stream.Config{}, fixed{snap}, func(context.Context, string) (stream.Viewer, bool) { return stream.Viewer{}, true })
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	}()
	var rec *recordingConn
	d := websocket.Dialer{
		EnableCompression: true,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			rec = &recordingConn{Conn: c}
			return rec, nil
		},
	}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/scorestream?token=x", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := conn.ReadMessage()
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Announcements []struct {
			ID      int64  `json:"id"`
			Message string `json:"message"`
		} `json:"announcements"`
	}
	if err := json.Unmarshal(b, &got); err != nil || len(got) != 1 {
		t.Fatalf("snapshot: %v", err)
	}
	as := got[0].Announcements
	if len(as) == 0 || as[len(as)-1].ID != 20019 {
		t.Fatalf("snapshot lacks the newest announcement: %d announcements", len(as))
	}
	wire := rec.wireBytes()
	t.Logf("JSON %d bytes (%d without announcements), wire %d bytes, %d announcements", len(b), len(base), wire, len(as))
	if wire >= 64<<10 {
		t.Fatalf("compressed snapshot is %d bytes on the wire, want < 64 KiB", wire)
	}
	if grow := len(b) - len(base); grow > stream.SnapshotAnnouncementBytes+2000+len(as)*100 {
		t.Fatalf("announcements add %d bytes to the snapshot JSON", grow)
	}
}
