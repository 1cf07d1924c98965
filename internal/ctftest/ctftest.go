// Package ctftest has helpers for end-to-end tests: a temporary game
// directory, a real ctfg server on 127.0.0.1:0 with a real SQLite file, and
// logged-in HTTP clients. Helpers are MustX(tb, ...) and fail the test on
// error.
package ctftest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"golang.org/x/crypto/bcrypt"
)

// Tokens written into the test game's .env.
const (
	APIToken   = "test-api-token-5f1d2c"
	AdminToken = "test-admin-token-9a7e4b"
)

// Players of the test game: username -> password. "carol" is stored as a
// bcrypt hash.
var Players = map[string]string{
	"alice": "alice-pw",
	"bob":   "bob-pw",
	"carol": "carol-pw",
	"dave":  "dave-pw",
	"erin":  "erin-pw",
}

// ChallengesJSON is the test game: a prerequisite chain, paid and free
// hints, placeholders, a case-insensitive flag and an unanchored one.
const ChallengesJSON = `[
  {"id": 1, "title": "Warm Up", "category": "Web", "difficulty": "Easy", "points": 100,
   "description": "Find the **flag**.", "flag": "^flag\\{warm\\}$", "testflag": "flag{warm}",
   "hints": [{"id": 1, "text": "It is warm.", "cost": 0}, {"id": 2, "text": "Really warm.", "cost": 10}]},
  {"id": 2, "title": "Second Step", "category": "Crypto", "difficulty": "Medium", "points": 200,
   "description": "Needs Warm Up.", "flag": "^flag\\{second\\}$", "testflag": "flag{second}", "requirements": [1],
   "hints": [{"id": 1, "text": "First hint.", "cost": 50}, {"id": 2, "text": "Second hint.", "cost": 60}]},
  {"id": 3, "title": "Who Am I", "category": "Misc", "difficulty": "Easy", "points": 50,
   "description": "u=@USERNAME@ id=@USERID@ n=@DISPLAYNAME@ o=@OBFUSCATED_DISPLAYNAME@ p=@PLAYER_CLUSTER@ c=@CONTROL_CLUSTER@",
   "flag": "(?i)^ctf\\{case\\}$", "testflag": "CTF{case}", "content": {"file": "x.txt"}},
  {"id": 4, "title": "Once Only", "category": "Misc", "difficulty": "Hard", "points": 300,
   "description": "Exactly one match.", "flag": "flag\\{[a-z]+\\}", "testflag": "flag{once}"}
]`

// MustGameDir writes the test game into a new temporary directory and
// returns its path.
func MustGameDir(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(Players["carol"]), bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	creds := "username,password\n"
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		pw := Players[u]
		if u == "carol" {
			pw = string(hash)
		}
		creds += u + "," + pw + "\n"
	}
	files := map[string]string{
		"challenges.json":    ChallengesJSON,
		"credentials.csv":    creds,
		"game-clusters.yaml": "control_cluster: control.example\nplayer_clusters:\n  - red.example\n  - blue.example\n",
		".env":               "CTFG_API_TOKEN=" + APIToken + "\nCTFG_ADMIN_TOKEN=" + AdminToken + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// Server is a running test server.
type Server struct {
	URL    string
	Dir    string
	App    *app.Server
	cancel context.CancelFunc
	done   chan error
}

// MustServer starts a server on 127.0.0.1:0 for the game in dir, with
// optional changes to its config, and stops it when the test ends.
func MustServer(tb testing.TB, dir string, mods ...func(*app.Config)) *Server {
	tb.Helper()
	cfg := app.Config{
		GameDir:         dir,
		Addr:            "127.0.0.1:0",
		APIToken:        APIToken,
		AdminToken:      AdminToken,
		DisableWatching: true,
	}
	if auditing() {
		cfg.Logger = auditLogger()
	}
	for _, m := range mods {
		m(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := app.New(ctx, cfg)
	if err != nil {
		cancel()
		tb.Fatalf("start server: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		cancel()
		srv.Close()
		tb.Fatalf("listen: %v", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), Dir: dir, App: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx, ln) }()
	tb.Cleanup(s.Stop)
	return s
}

// Stop shuts the server down gracefully and waits for it (idempotent).
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
	}
}

// Client is an HTTP client with its own cookie jar.
type Client struct {
	Base string
	HTTP *http.Client
}

// NewClient returns a client without a session.
func (s *Server) NewClient() *Client {
	jar, _ := cookiejar.New(nil)
	c := &Client{Base: s.URL, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	if auditing() {
		c.HTTP.Transport = auditTransport{next: http.DefaultTransport}
	}
	return c
}

// MustLogin returns a client logged in as username (a key of Players).
func (s *Server) MustLogin(tb testing.TB, username string) *Client {
	tb.Helper()
	return s.MustLoginAs(tb, username, Players[username])
}

// MustLoginAs logs in with a password (players of MustWritePlayers).
func (s *Server) MustLoginAs(tb testing.TB, username, password string) *Client {
	tb.Helper()
	c := s.NewClient()
	status, body := c.Do(tb, "POST", "/api/login", map[string]string{"username": username, "password": password})
	if status != http.StatusOK {
		tb.Fatalf("login %s: %d %s", username, status, body)
	}
	return c
}

// Do sends a request with a JSON body (nil for none; a string or []byte
// is sent verbatim) and returns the status and the body.
func (c *Client) Do(tb testing.TB, method, path string, body any) (int, []byte) {
	tb.Helper()
	resp := c.Request(tb, method, path, body, nil)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// Request sends a request and returns the response; the caller closes
// its body.
func (c *Client) Request(tb testing.TB, method, path string, body any, header http.Header) *http.Response {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.Base+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil && header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// MustJSON decodes b into a map, failing the test if it is not an object.
func MustJSON(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}
