package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/cli"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

// TestRestartKeepsEverything: solves, hints, names and sessions survive a
// restart on the same directory.
func TestRestartKeepsEverything(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	srv := ctftest.MustServer(t, dir)
	c := srv.MustLogin(t, "alice")
	c.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})
	c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1})
	c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2})
	srv.Stop()

	srv2 := ctftest.MustServer(t, dir)
	c.Base = srv2.URL // same cookie jar: the session must still work
	status, body := c.Do(t, "GET", "/api/me", nil)
	if status != 200 || !strings.Contains(string(body), `"displayname":"Alice"`) || !strings.Contains(string(body), `"total":90`) {
		t.Fatalf("after restart: %d %s", status, body)
	}
	_, body = c.Do(t, "GET", "/api/challenges", nil)
	if !strings.Contains(string(body), `"text":"Really warm."`) || !strings.Contains(string(body), `"solved":true`) {
		t.Fatalf("challenges after restart: %s", body)
	}
	status, body = c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	if !strings.Contains(string(body), "already_solved") {
		t.Fatalf("solve lost: %d %s", status, body)
	}
	// The other player's name is still taken.
	b := srv2.MustLogin(t, "bob")
	if status, _ := b.Do(t, "POST", "/api/set-name", map[string]string{"name": "alice"}); status != 409 {
		t.Fatalf("name uniqueness after restart: %d", status)
	}
}

// The crash test runs a real server in a child process (this test binary
// re-executed), loads it, kills it with SIGKILL mid-load, and checks that
// every acknowledged solve is in the database and the database is intact.
const childEnv = "CTFG_TEST_CHILD_SERVER"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		// As cmd/ctfg does: SIGTERM and SIGINT shut down gracefully.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, strings.Split(args, "\x1f"), cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
		stop()
		os.Exit(code)
	}
	// Every server of the suite logs into the audit: no line may hold a
	// password, token or session value.
	os.Exit(ctftest.AuditLogs(m))
}

// startChild starts a server for the game in dir in a child process,
// with the extra serve arguments (e.g. --database URL), and returns it and
// its URL once it listens. Its log (warnings and errors) goes to stderr.
func startChild(t *testing.T, dir string, stderr io.Writer, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	portFile := filepath.Join(t.TempDir(), "port")
	args := append([]string{"--game", dir, "--addr", "127.0.0.1:0", "--port-file", portFile, "--log-level", "warn"}, extra...)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, "\x1f"))
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(portFile); err == nil && len(b) > 0 {
			return cmd, "http://" + strings.TrimSpace(string(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatal("child server did not start")
	return nil, ""
}

func TestCrashLosesNoAcknowledgedSolve(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	dir := ctftest.MustGameDir(t)
	// 120 players, so the load has enough distinct solves.
	ctftest.MustWritePlayers(t, dir, 120)
	cmd, base := startChild(t, dir, os.Stderr)

	type solve struct {
		user string
		chal int
	}
	var mu sync.Mutex
	var acked []solve
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < 120; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			user := fmt.Sprintf("p%d", i)
			c := (&ctftest.Server{URL: base}).NewClient()
			c.HTTP.Timeout = 5 * time.Second
			if !post(c, "/api/login", fmt.Sprintf(`{"username":%q,"password":"pw%d"}`, user, i)) {
				return
			}
			for _, s := range []struct {
				id   int
				flag string
			}{{1, "flag{warm}"}, {3, "ctf{case}"}, {4, "flag{once}"}, {2, "flag{second}"}} {
				if stop.Load() {
					return
				}
				if post(c, "/api/submit", fmt.Sprintf(`{"id":%d,"flag":%q}`, s.id, s.flag)) {
					mu.Lock()
					acked = append(acked, solve{user, s.id})
					mu.Unlock()
				}
			}
		}(i)
	}
	// Kill as soon as some solves are acknowledged, while others are in
	// flight.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatal("no solve was acknowledged before the kill")
	}
	t.Logf("%d solves acknowledged before SIGKILL", len(acked))

	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Fatalf("integrity: %v", err)
	}
	db.Close()

	// The restarted server knows every acknowledged solve.
	srv := ctftest.MustServer(t, dir)
	st := srv.App.Engine.State()
	for _, s := range acked {
		p, ok := st.PlayerByUsername(s.user)
		if !ok {
			t.Fatalf("user %s missing", s.user)
		}
		var solved bool
		st.WithPlayer(p.ID, func(p *gamePlayer) { solved = p.Solved(s.chal) })
		if !solved {
			t.Errorf("acknowledged solve lost: %s challenge %d", s.user, s.chal)
		}
	}
}

type gamePlayer = game.Player

// post sends a JSON body and reports whether the answer was a 200 whose
// result (if any) is "correct" or a login.
func post(c *ctftest.Client, path, body string) bool {
	req, _ := http.NewRequest("POST", c.Base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return false
	}
	return path == "/api/login" || strings.Contains(string(b), `"correct"`)
}
