package app_test

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
)

// waitHealth polls /healthz (cached for a second by the server) until it
// answers want, failing after a few seconds.
func waitHealth(t *testing.T, srv *ctftest.Server, wantStatus int, wantBody string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, body := ctftest.MustGet(t, srv.URL+"/healthz", "")
		if status == wantStatus && strings.TrimSpace(body) == wantBody {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz: %d %s, want %d %s", status, body, wantStatus, wantBody)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const (
	healthOK            = `{"status":"ok"}`
	healthDiskFull      = `{"status":"unavailable","error":"disk_full"}`
	healthCommitFailing = `{"status":"unavailable","error":"commit_failing"}`
)

// TestHealthzCommitFailing: while every commit fails (reads still work, as
// on a full disk), /healthz says 503 commit_failing; the next commit that
// succeeds makes it healthy again.
func TestHealthzCommitFailing(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	srv := ctftest.MustServer(t, dir, func(c *app.Config) { c.MinDiskFree = -1 })
	alice := srv.MustLogin(t, "alice")
	waitHealth(t, srv, http.StatusOK, healthOK)

	// Make the real commit path fail: a second connection to the same
	// database adds a trigger that aborts every insert into the event log.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "events.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER fail_commits BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != http.StatusInternalServerError {
		t.Fatalf("submit while commits fail: %d %s", status, body)
	}
	waitHealth(t, srv, http.StatusServiceUnavailable, healthCommitFailing)

	if _, err := db.Exec(`DROP TRIGGER fail_commits`); err != nil {
		t.Fatal(err)
	}
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != http.StatusOK {
		t.Fatalf("submit after recovery: %d %s", status, body)
	}
	waitHealth(t, srv, http.StatusOK, healthOK)
}

// TestHealthzLowDiskFree: free space under --min-disk-free (here: more
// than any disk has) is 503 disk_full, measured on the real file system.
func TestHealthzLowDiskFree(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.MinDiskFree = 1 << 62 })
	waitHealth(t, srv, http.StatusServiceUnavailable, healthDiskFull)
}
