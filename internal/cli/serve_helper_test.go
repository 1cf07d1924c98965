package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// servedGame is the serve command running in-process on 127.0.0.1:0.
type servedGame struct {
	URL    string
	Logs   *ctftest.LogBuffer
	cancel context.CancelFunc
	done   chan int
}

// mustServe runs `ctfg --game dir --addr 127.0.0.1:0 args...` until the
// test ends (or Stop), and waits for its --port-file.
func mustServe(t *testing.T, dir string, args ...string) *servedGame {
	t.Helper()
	portFile := filepath.Join(t.TempDir(), "port")
	ctx, cancel := context.WithCancel(context.Background())
	g := &servedGame{Logs: &ctftest.LogBuffer{}, cancel: cancel, done: make(chan int, 1)}
	argv := append([]string{"--game", dir, "--addr", "127.0.0.1:0", "--port-file", portFile}, args...)
	go func() {
		g.done <- Run(ctx, argv, IO{In: strings.NewReader(""), Out: io.Discard, Err: g.Logs})
	}()
	t.Cleanup(func() { g.Stop(t) })
	for deadline := time.Now().Add(10 * time.Second); g.URL == ""; {
		if b, err := os.ReadFile(portFile); err == nil && len(b) > 0 {
			g.URL = "http://" + strings.TrimSpace(string(b))
		} else if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", g.Logs.String())
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return g
}

// Stop cancels the server and returns its exit status (idempotent: -1
// once stopped).
func (g *servedGame) Stop(t *testing.T) int {
	t.Helper()
	if g.cancel == nil {
		return -1
	}
	g.cancel()
	g.cancel = nil
	select {
	case code := <-g.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
		return -1
	}
}
