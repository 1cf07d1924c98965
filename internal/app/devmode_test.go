package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
)

// TestDeveloperModeReload: an edit of challenges.json is picked up without
// a restart; a broken edit keeps the last good version.
func TestDeveloperModeReload(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	srv := ctftest.MustServer(t, dir, func(c *app.Config) { c.DevMode = true; c.DisableWatching = false })
	c := srv.MustLogin(t, "alice")
	path := filepath.Join(dir, "challenges.json")
	edited := strings.Replace(ctftest.ChallengesJSON, `"Warm Up"`, `"Warm Up Edited"`, 1)
	// A different mtime for certain, even on coarse file systems.
	writeLater := func(content string) {
		time.Sleep(20 * time.Millisecond)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		future := time.Now().Add(time.Duration(time.Now().UnixNano()%1000+1) * time.Second)
		os.Chtimes(path, future, future)
	}
	waitFor := func(want string) bool {
		deadline := time.Now().Add(8 * time.Second)
		for time.Now().Before(deadline) {
			if _, body := c.Do(t, "GET", "/api/challenges", nil); strings.Contains(string(body), want) {
				return true
			}
			time.Sleep(100 * time.Millisecond)
		}
		return false
	}
	writeLater(edited)
	if !waitFor(`"Warm Up Edited"`) {
		t.Fatal("edit not reloaded")
	}
	writeLater(`[{"id": 1, "title": "broken"`)
	time.Sleep(2500 * time.Millisecond) // the watcher ticks every second
	if _, body := c.Do(t, "GET", "/api/challenges", nil); !strings.Contains(string(body), `"Warm Up Edited"`) {
		t.Fatalf("a broken edit replaced the game: %s", body)
	}
}
