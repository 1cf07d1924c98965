package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/gamefile"
)

// TestGameWideScoringApplied: CTFG_SCORING reaches every challenge
// without its own scoring, at start and after a developer-mode reload.
func TestGameWideScoringApplied(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	// Challenge 4 has a scoring of its own.
	path := filepath.Join(dir, "challenges.json")
	own := strings.Replace(ctftest.ChallengesJSON, `"title": "Once Only",`,
		`"title": "Once Only", "scoring": {"function": "rctf", "minimum": 1, "decay": 9},`, 1)
	if err := os.WriteFile(path, []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	gs := &gamefile.GameScoring{Function: game.ScoringLinear, Minimum: 50, MinimumPercent: true, Decay: 10}
	srv := ctftest.MustServer(t, dir, func(c *app.Config) { c.Scoring = gs; c.DevMode = true; c.DisableWatching = false })
	check := func(when string) {
		t.Helper()
		for _, ch := range srv.App.Engine.State().Catalog().All() {
			want := game.Scoring{Type: "decay", Function: "linear", Initial: ch.Points, Minimum: ch.Points / 2, Decay: 10}
			if ch.ID == 4 {
				want = game.Scoring{Type: "decay", Function: "rctf", Initial: 300, Minimum: 1, Decay: 9}
			}
			if ch.Scoring == nil || *ch.Scoring != want {
				t.Errorf("%s: challenge %d scoring %+v, want %+v", when, ch.ID, ch.Scoring, want)
			}
		}
	}
	check("at start")

	edited := strings.Replace(own, `"Warm Up"`, `"Warm Up Edited"`, 1)
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	// The watcher polls every second and notes the file's time when it
	// starts: move the time on until it sees the edit.
	deadline := time.Now().Add(8 * time.Second)
	for i := 1; ; i++ {
		if c, ok := srv.App.Engine.State().Catalog().Get(1); ok && c.Title == "Warm Up Edited" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("edit not reloaded")
		}
		future := time.Now().Add(time.Duration(i) * time.Hour)
		os.Chtimes(path, future, future)
		time.Sleep(50 * time.Millisecond)
	}
	check("after a reload")
}
