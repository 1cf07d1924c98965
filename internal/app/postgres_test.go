package app_test

import (
	"context"
	"log/slog"
	"maps"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/store/postgres"
	"github.com/ctfg/ctfg/internal/store/postgres/pgtest"
)

// pgPassword is put into the database URL: the test server trusts every
// local connection, so it is never checked, but it must never be logged.
const pgPassword = "pg-password-must-not-leak-71c3"

// mustPostgresURL returns the URL of a new database, with pgPassword.
func mustPostgresURL(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(pgtest.MustDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), pgPassword)
	return u.String()
}

// TestPostgresRestartKeepsEverything plays and restarts a game kept in
// PostgreSQL (--database), as TestRestartKeepsEverything does on SQLite,
// and checks that no log line holds the URL's password.
func TestPostgresRestartKeepsEverything(t *testing.T) {
	dbURL := mustPostgresURL(t)
	dir := ctftest.MustGameDir(t)
	var logs ctftest.LogBuffer
	withPG := func(c *app.Config) {
		c.DatabaseURL = dbURL
		mine := slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})
		if c.Logger != nil { // keep the suite's log audit
			c.Logger = slog.New(slog.NewMultiHandler(c.Logger.Handler(), mine))
		} else {
			c.Logger = slog.New(mine)
		}
	}
	srv := ctftest.MustServer(t, dir, withPG)
	if _, ok := srv.App.Store.(*postgres.DB); !ok {
		t.Fatalf("store is %T, want *postgres.DB", srv.App.Store)
	}
	c := srv.MustLogin(t, "alice")
	c.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})
	if status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 {
		t.Fatalf("submit: %d %s", status, body)
	}
	c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1})
	if status, body := c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2}); status != 200 {
		t.Fatalf("hint: %d %s", status, body)
	}
	if status, body := c.Do(t, "GET", "/healthz", nil); status != 200 {
		t.Fatalf("healthz: %d %s", status, body)
	}
	srv.Stop()

	srv2 := ctftest.MustServer(t, dir, withPG)
	c.Base = srv2.URL // same cookie jar: the session is in the database
	status, body := c.Do(t, "GET", "/api/me", nil)
	if status != 200 || !strings.Contains(string(body), `"displayname":"Alice"`) || !strings.Contains(string(body), `"total":90`) {
		t.Fatalf("after restart: %d %s", status, body)
	}
	if _, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); !strings.Contains(string(body), "already_solved") {
		t.Fatalf("solve lost: %s", body)
	}
	srv2.Stop()
	out := logs.String()
	if strings.Contains(out, pgPassword) {
		t.Fatal("a log line holds the database password")
	}
	if !strings.Contains(out, "database=127.0.0.1:") {
		t.Errorf("the database in use is not logged (host, port, name):\n%s", out)
	}
}

// TestPostgresInstancesStartTogether starts three servers on one new
// database at once: migrations, users and the stream-token secret must
// come out the same for all.
func TestPostgresInstancesStartTogether(t *testing.T) {
	dbURL := mustPostgresURL(t)
	dir := ctftest.MustGameDir(t)
	const n = 3
	srvs := make([]*app.Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srvs[i], errs[i] = app.New(context.Background(), app.Config{GameDir: dir, Addr: "127.0.0.1:0", DatabaseURL: dbURL, DisableWatching: true})
		}()
	}
	wg.Wait()
	for i, s := range srvs {
		if s != nil {
			t.Cleanup(s.Close)
		}
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
	}
	ctx := context.Background()
	var secrets []string
	var users []map[string]int64
	for _, s := range srvs {
		sec, err := s.Store.Meta(ctx, "stream_secret")
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.Store.SyncUsers(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		secrets, users = append(secrets, sec), append(users, u)
	}
	for i := 1; i < n; i++ {
		if !maps.Equal(users[i], users[0]) || len(users[i]) != len(ctftest.Players) {
			t.Fatalf("instances disagree on users: %v and %v", users[0], users[i])
		}
		// Each instance keeps the secret it was given at start; the
		// database holds one, so they must have been given that one.
		if secrets[i] != secrets[0] {
			t.Fatal("instances stored different stream secrets")
		}
	}
	// A stream token issued by one instance verifies on another.
	tok := srvs[0].Tokens.Issue(users[0]["alice"], auth.KeyOf("a session"))
	if c, ok := srvs[2].Tokens.Verify(tok); !ok || c.UserID != users[0]["alice"] {
		t.Fatalf("a token of instance 0 does not verify on instance 2: %+v, %v", c, ok)
	}
}

// TestPostgresLogoutReachesEveryInstance: a logout on one instance is an
// event in the shared log, so another instance that had the session cached
// refuses it and closes its sockets too — nobody stays logged in through a
// second instance behind the load balancer.
func TestPostgresLogoutReachesEveryInstance(t *testing.T) {
	dbURL := mustPostgresURL(t)
	dir := ctftest.MustGameDir(t)
	withPG := func(c *app.Config) { c.DatabaseURL = dbURL }
	a := ctftest.MustServer(t, dir, withPG)
	b := ctftest.MustServer(t, dir, withPG)
	onA := a.MustLogin(t, "alice")
	onB := b.NewClient()
	onB.HTTP.Jar = onA.HTTP.Jar                                          // the same browser, routed to B
	if status, body := onB.Do(t, "GET", "/api/me", nil); status != 200 { // B caches the session
		t.Fatalf("session on B: %d %s", status, body)
	}
	conn := dialStream(t, onB, "")
	if f := readFrame(t, conn); f[0]["type"] != "snapshot" {
		t.Fatalf("first frame %v", f)
	}
	if status, body := onA.Do(t, "POST", "/api/logout", nil); status != 204 {
		t.Fatalf("logout on A: %d %s", status, body)
	}
	if ce := closeOf(t, conn); ce.Code != websocket.CloseNormalClosure || ce.Text != "logout" {
		t.Fatalf("B's socket closed with %d %q, want 1000 \"logout\"", ce.Code, ce.Text)
	}
	// The socket closed because B folded the logout event, which also
	// dropped the session from B's cache.
	if status, _ := onB.Do(t, "GET", "/api/me", nil); status != 401 {
		t.Fatalf("B still accepts the logged-out session: %d", status)
	}
}

// TestPostgresFeedMetrics: a server on PostgreSQL exports how far its feed
// is (position, events behind, lag of what it folded), the notification
// reconnects and the pool; a SQLite server the feed figures only.
func TestPostgresFeedMetrics(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	dbURL := mustPostgresURL(t)
	pg := ctftest.MustServer(t, dir, func(c *app.Config) { c.DatabaseURL = dbURL })
	lite := ctftest.MustServer(t, ctftest.MustGameDir(t))
	for _, srv := range []*ctftest.Server{pg, lite} {
		c := srv.MustLogin(t, "alice")
		if status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 {
			t.Fatalf("submit: %d %s", status, body)
		}
	}
	scrape := func(srv *ctftest.Server) string {
		status, body := srv.NewClient().Do(t, "GET", "/metrics", nil)
		if status != 200 {
			t.Fatalf("metrics: %d", status)
		}
		return string(body)
	}
	pgText, liteText := scrape(pg), scrape(lite)
	for _, want := range []string{"ctfg_feed_position ", "ctfg_feed_events_behind 0", "ctfg_feed_lag_seconds_count ", "ctfg_db_notify_reconnects 0", "ctfg_db_pool_connections_max "} {
		if !strings.Contains(pgText, want) {
			t.Errorf("PostgreSQL server's metrics lack %q", want)
		}
	}
	if strings.Contains(pgText, "ctfg_feed_position 0\n") || strings.Contains(pgText, "ctfg_feed_lag_seconds_count 0\n") {
		t.Error("the feed folded the solve but its metrics did not move")
	}
	if !strings.Contains(liteText, "ctfg_feed_position ") || strings.Contains(liteText, "ctfg_db_pool_connections") || strings.Contains(liteText, "ctfg_feed_events_behind") {
		t.Error("SQLite server: want the feed position, no pool or events-behind gauges")
	}
}
