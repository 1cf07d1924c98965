package app_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// TestSIGTERMUnderLoad stops a loaded server with SIGTERM and restarts it:
// the process exits 0, no request is answered with a 5xx, sockets are
// closed with "going away", every acknowledged solve survives and every
// session still works after the restart — an organizer can restart
// mid-event without logging anyone out.
func TestSIGTERMUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("restart test in -short mode")
	}
	const players = 80
	dir := ctftest.MustGameDir(t)
	ctftest.MustWritePlayers(t, dir, players, "watcher,watcher-pw")
	cmd, base := startChild(t, dir, os.Stderr)

	type solve struct {
		user string
		chal int
	}
	var (
		mu       sync.Mutex
		acked    []solve
		fivexx   []string
		clients  = make([]*ctftest.Client, players)
		loggedIn atomic.Int64
		requests atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	// do sends one request and records a 5xx; transport errors (refused
	// or closed connections once the server stops accepting) are not
	// answers and are fine.
	do := func(c *ctftest.Client, method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, c.Base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.HTTP.Do(req)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		requests.Add(1)
		if resp.StatusCode >= 500 {
			mu.Lock()
			fivexx = append(fivexx, fmt.Sprintf("%s %s → %d %s", method, path, resp.StatusCode, b))
			mu.Unlock()
		}
		return resp.StatusCode, string(b)
	}
	flags := []struct {
		id   int
		flag string
	}{{1, "flag{warm}"}, {3, "ctf{case}"}, {4, "flag{once}"}, {2, "flag{second}"}}
	for i := range players {
		wg.Go(func() {
			user := fmt.Sprintf("p%d", i)
			c := (&ctftest.Server{URL: base}).NewClient()
			c.HTTP.Timeout = 15 * time.Second
			if st, _ := do(c, "POST", "/api/login", fmt.Sprintf(`{"username":%q,"password":"pw%d"}`, user, i)); st != 200 {
				t.Errorf("%s: login %d", user, st)
				return
			}
			clients[i] = c
			loggedIn.Add(1)
			for _, f := range flags {
				for !stop.Load() {
					do(c, "GET", "/api/challenges", "")
					st, body := do(c, "POST", "/api/submit", fmt.Sprintf(`{"id":%d,"flag":%q}`, f.id, f.flag))
					if st == 200 && strings.Contains(body, `"correct"`) {
						mu.Lock()
						acked = append(acked, solve{user, f.id})
						mu.Unlock()
						time.Sleep(20 * time.Millisecond) // spread the load over the shutdown
						break
					}
					if st == 0 {
						time.Sleep(20 * time.Millisecond) // server going away
					}
				}
			}
		})
	}

	// One browser's scorestream, to see how it is closed.
	wsClosed := make(chan error, 1)
	wsReady := make(chan struct{}) // closed once the snapshot arrived
	go func() {
		deadline := time.Now().Add(20 * time.Second)
		for loggedIn.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		c := (&ctftest.Server{URL: base}).NewClient()
		_, body := do(c, "POST", "/api/login", `{"username":"watcher","password":"watcher-pw"}`)
		var me struct {
			URL string `json:"websocket_url"`
		}
		if err := json.Unmarshal([]byte(body), &me); err != nil {
			wsClosed <- err
			return
		}
		conn, _, err := websocket.DefaultDialer.Dial(me.URL, nil)
		if err != nil {
			wsClosed <- err
			return
		}
		defer conn.Close()
		for first := true; ; first = false {
			if _, _, err := conn.ReadMessage(); err != nil {
				wsClosed <- err
				return
			}
			if first {
				close(wsReady)
			}
		}
	}()

	// Stop once the socket is live and solves are flowing, with requests
	// in flight.
	select {
	case <-wsReady:
	case err := <-wsClosed:
		t.Fatalf("scorestream: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("scorestream never sent its snapshot")
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= players/2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("server did not exit cleanly on SIGTERM: %v", err)
	}
	t.Logf("server exited 0 %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
	stop.Store(true)
	wg.Wait()

	select {
	case err := <-wsClosed:
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("scorestream ended with %v, want close 1001 (going away)", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("scorestream not closed by the shutdown")
	}

	mu.Lock()
	defer mu.Unlock()
	if len(fivexx) > 0 {
		t.Errorf("%d answers were 5xx during shutdown, first: %s", len(fivexx), fivexx[0])
	}
	t.Logf("%d requests answered, %d solves acknowledged before the stop", requests.Load(), len(acked))

	// Restart on the same directory: sessions still work and every
	// acknowledged solve is there.
	srv := ctftest.MustServer(t, dir)
	solved := map[string]map[int]bool{}
	for i, c := range clients {
		if c == nil {
			continue
		}
		user := fmt.Sprintf("p%d", i)
		c.Base = srv.URL // same cookie jar as before the restart
		status, body := c.Do(t, "GET", "/api/challenges", nil)
		if status != 200 {
			t.Fatalf("%s logged out by the restart: %d %s", user, status, body)
		}
		var list []struct {
			ID     int  `json:"id"`
			Solved bool `json:"solved"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		solved[user] = map[int]bool{}
		for _, ch := range list {
			solved[user][ch.ID] = ch.Solved
		}
	}
	for _, s := range acked {
		if !solved[s.user][s.chal] {
			t.Errorf("acknowledged solve lost in the restart: %s challenge %d", s.user, s.chal)
		}
	}
}
