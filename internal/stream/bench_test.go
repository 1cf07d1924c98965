package stream

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkFanout measures publish → received by every one of N real
// sockets over loopback (N = 1,000, or $FANOUT_CLIENTS). ns/op is that
// latency; p50/p99 are reported too, and the heap+stack bytes per socket
// (both ends: clients and hub share the process). The sub-benchmarks
// compare the hub's writer that runs only while a socket has something to
// write (the default) with a writer goroutine per socket.
func BenchmarkFanout(b *testing.B) {
	b.Run("on-demand-writer", func(b *testing.B) { benchFanout(b, false) })
	b.Run("dedicated-writer", func(b *testing.B) { benchFanout(b, true) })
}

func benchFanout(b *testing.B, dedicated bool) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("FANOUT_CLIENTS")); err == nil && v > 0 {
		n = v
	}
	g := newTestGame()
	h := NewHub(Config{QueueLen: 64, WriteTimeout: 10 * time.Second}, g, testAuth)
	h.dedicatedWriters = dedicated
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Shutdown(b.Context())

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := make(chan int64, n)
	url := wsURL(srv, "token=tok-alice")
	d := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 256}
	for i := 0; i < n; i++ {
		conn, _, err := d.Dial(url, nil)
		if err != nil {
			b.Fatalf("dial %d: %v", i, err)
		}
		defer conn.Close()
		if _, _, err := conn.ReadMessage(); err != nil { // the snapshot
			b.Fatal(err)
		}
		go func() {
			var evs []struct {
				ID int64 `json:"id"`
			}
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					return
				}
				evs = evs[:0]
				if json.Unmarshal(data, &evs) != nil {
					continue
				}
				for _, e := range evs {
					got <- e.ID
				}
			}
		}()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perSocket := (int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)) / int64(n)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := int64(i + 1)
		t0 := time.Now()
		h.Publish(scoreEvent(id))
		for k := 0; k < n; k++ {
			select {
			case v := <-got:
				if v != id {
					b.Fatalf("got event %d in round %d", v, id)
				}
			case <-time.After(10 * time.Second):
				b.Fatalf("round %d: %d of %d clients received", id, k, n)
			}
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(n), "clients")
	b.ReportMetric(float64(perSocket), "B/socket")
}
