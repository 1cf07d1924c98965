// Package emutest starts a real ctfg server for the emulator's tests: it
// builds the binary, writes a small game directory and runs the server on
// 127.0.0.1 with an ephemeral port.
package emutest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// Challenge and Hint are the game's own types: tests write challenges.json
// with exactly the fields the server reads.
type (
	Challenge = game.Challenge
	Hint      = game.Hint
)

// Challenges is a small game with a prerequisite graph two levels deep,
// free and paid hints (one too dear to buy early) and a regular-expression
// flag.
func Challenges() []Challenge {
	return []Challenge{
		{ID: 1, Title: "Warm-up", Category: "Intro", Difficulty: "easy", Points: 100, Description: "Say **warm**, @DISPLAYNAME@.",
			Flag: "^warm$", TestFlag: "warm", Hints: []Hint{{ID: 1, Text: "It is a temperature.", Cost: 0}, {ID: 2, Text: "Not cold.", Cost: 10}}},
		{ID: 2, Title: "Second step", Category: "Intro", Difficulty: "easy", Points: 150, Description: "After the warm-up.",
			Flag: "^second$", TestFlag: "second", Hints: []Hint{{ID: 1, Text: "Count.", Cost: 20}}, Requirements: []int{1}},
		{ID: 3, Title: "Third step", Category: "Crypto", Difficulty: "medium", Points: 200, Description: "| a | b |\n|---|---|\n| 1 | 2 |",
			Flag: "^third$", TestFlag: "third", Hints: []Hint{{ID: 1, Text: "Ordinal.", Cost: 30}, {ID: 2, Text: "Three.", Cost: 40}}, Requirements: []int{1}},
		{ID: 4, Title: "Both before", Category: "Crypto", Difficulty: "hard", Points: 250, Description: "Needs two &amp; three.",
			Flag: "^both$", TestFlag: "both", Requirements: []int{2, 3}},
		{ID: 5, Title: "Standalone 🚩", Category: "Misc", Difficulty: "easy", Points: 120, Description: "No prerequisites.",
			Flag: "^alone$", TestFlag: "alone", Hints: []Hint{{ID: 1, Text: "Expensive.", Cost: 500}}},
		{ID: 6, Title: "Pattern", Category: "Misc", Difficulty: "hard", Points: 300, Description: "Braces.",
			Flag: `^flag\{[a-z]+\}$`, TestFlag: "flag{abc}", Requirements: []int{4}},
	}
}

// MustGameDir writes a game directory with Challenges, player accounts
// user1..userN (password pwN) and a .env with API and admin tokens.
func MustGameDir(tb testing.TB, players int) string {
	tb.Helper()
	return mustGameDir(tb, players, 0)
}

// MustTeamGameDir is MustGameDir for a game played in teams:
// credentials.csv has the team column, and consecutive players make teams
// of size ("Team 1" is user1..user<size>, and so on).
func MustTeamGameDir(tb testing.TB, players, size int) string {
	tb.Helper()
	if size < 1 {
		tb.Fatalf("team size %d", size)
	}
	return mustGameDir(tb, players, size)
}

func mustGameDir(tb testing.TB, players, teamSize int) string {
	tb.Helper()
	dir := tb.TempDir()
	data, err := json.MarshalIndent(Challenges(), "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	var creds strings.Builder
	if teamSize > 0 {
		creds.WriteString("username,password,team\n")
		for i := 1; i <= players; i++ {
			fmt.Fprintf(&creds, "user%d,pw%d,Team %d\n", i, i, (i-1)/teamSize+1)
		}
	} else {
		creds.WriteString("username,password\n")
		for i := 1; i <= players; i++ {
			fmt.Fprintf(&creds, "user%d,pw%d\n", i, i)
		}
	}
	for name, content := range map[string][]byte{
		"challenges.json": data,
		"credentials.csv": []byte(creds.String()),
		".env":            []byte("CTFG_API_TOKEN=emutest-api-token-0123456789\nCTFG_ADMIN_TOKEN=emutest-admin-token-0123456789\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// MustBuild builds ./cmd/ctfg into the test's temporary directory and
// returns the binary's path. It skips the test when the go command is not
// on PATH. The build cache makes it a link step of a few seconds.
func MustBuild(tb testing.TB) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("the go command is not on PATH; cannot build ctfg for an end-to-end run")
	}
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		tb.Fatalf("cannot find the module root (go env GOMOD = %q): %v", gomod, err)
	}
	bin := filepath.Join(tb.TempDir(), "ctfg")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/ctfg")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/ctfg: %v\n%s", err, out)
	}
	return bin
}

// Server is a running ctfg process.
type Server struct {
	URL string
	Dir string
	cmd *exec.Cmd
	log *syncBuffer
}

// Log returns what the server has written so far.
func (s *Server) Log() string { return s.log.String() }

// MustServer starts the ctfg binary on 127.0.0.1 with an ephemeral port in
// game directory dir and stops it when the test ends.
func MustServer(tb testing.TB, bin, dir string, extraArgs ...string) *Server {
	tb.Helper()
	portFile := filepath.Join(tb.TempDir(), "port")
	args := append([]string{"--game", dir, "--addr", "127.0.0.1:0", "--port-file", portFile}, extraArgs...)
	cmd := exec.Command(bin, args...)
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start ctfg: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s := &Server{Dir: dir, cmd: cmd, log: log}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if tb.Failed() {
			tb.Logf("server log:\n%s", s.Log())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		if b, err := os.ReadFile(portFile); err == nil {
			// The file may be caught half written; wait for a whole host:port.
			if _, port, err := net.SplitHostPort(strings.TrimSpace(string(b))); err == nil && port != "" && port != "0" {
				s.URL = "http://" + strings.TrimSpace(string(b))
				return s
			}
		}
		select {
		case err := <-exited:
			tb.Fatalf("ctfg exited before listening: %v\n%s", err, log.String())
		case <-ctx.Done():
			tb.Fatalf("ctfg did not write %s within 20s\n%s", portFile, log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the process's two output pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
