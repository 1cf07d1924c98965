package gamefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// MustWriteGame writes files (name → content, names may contain "/")
// into a new temporary directory and returns it.
func MustWriteGame(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

const minimalChallenges = `[{"id": 1, "title": "One", "points": 10, "flag": "^one$", "testflag": "one"}]`

func TestLoadCompat(t *testing.T) {
	g, err := Load("testdata/compat", "")
	if err != nil {
		t.Fatalf("the old engine's sample game does not load:\n%v", err)
	}
	if len(g.Challenges) != 15 {
		t.Errorf("challenges = %d, want 15", len(g.Challenges))
	}
	if len(g.Users) != 500 {
		t.Fatalf("users = %d, want 500", len(g.Users))
	}
	if u := g.Users[0]; u.Username != "player1" || u.Password != "password1" || u.ID != 0 {
		t.Errorf("first user = %+v", u)
	}
	if u := g.Users[499]; u.Username != "player500" || u.Password != "password500" {
		t.Errorf("last user = %+v", u)
	}
	if g.Clusters == nil || g.Clusters.Control != "cluster.example.com" || !slices.Equal(g.Clusters.Players, []string{"cluster.example.com"}) {
		t.Errorf("clusters = %+v", g.Clusters)
	}
	if g.Env != nil || g.Banner != "" {
		t.Errorf("env = %v, banner = %q; want none", g.Env, g.Banner)
	}
	freeHints := 0
	for i, ch := range g.Challenges {
		if ch.ID != i+1 {
			t.Errorf("challenge %d has id %d: file order lost", i, ch.ID)
		}
		if !ch.MatchFlag(ch.TestFlag) {
			t.Errorf("challenge %d: testflag %q not accepted (not compiled?)", ch.ID, ch.TestFlag)
		}
		if ch.MatchFlag(ch.TestFlag + "x") {
			t.Errorf("challenge %d: flag accepts a wrong guess", ch.ID)
		}
		for j, h := range ch.Hints {
			if j > 0 && ch.Hints[j-1].ID >= h.ID {
				t.Errorf("challenge %d: hints not sorted by id", ch.ID)
			}
			if h.Cost == 0 {
				freeHints++
			}
		}
	}
	if freeHints != 2 {
		t.Errorf("free hints = %d, want 2", freeHints)
	}
	c1, c2 := g.Challenges[0], g.Challenges[1]
	if !strings.Contains(c1.Hints[0].Text, "📚") || !strings.Contains(c1.Hints[1].Text, "|------|-------|--------|") {
		t.Errorf("emoji or Markdown table lost: %+v", c1.Hints)
	}
	if !strings.Contains(c2.Description, "4&nbsp;×&nbsp;(7&nbsp;+&nbsp;3)") {
		t.Errorf("HTML entities changed: %q", c2.Description)
	}
	if !slices.Equal(g.Challenges[2].Requirements, []int{1}) {
		t.Errorf("requirements of challenge 3 = %v", g.Challenges[2].Requirements)
	}
	s := g.Summary()
	if s.Challenges != 15 || s.Players != 500 || s.Points != 3120 || s.Hints != 37 || s.HintCosts != 685 || s.FreeHints != 2 || len(s.Categories) != 15 || !s.Clusters || s.Env {
		t.Errorf("summary = %+v", s)
	}
}

func TestLoadOptionalFiles(t *testing.T) {
	dir := MustWriteGame(t, map[string]string{
		"credentials.csv":    "alice,secret\n",
		"challenges.json":    minimalChallenges,
		".env":               "CTFG_API_TOKEN=abc\n",
		"images/banner.png":  "png",
		"images/banner.jpg":  "jpg",
		"game-clusters.yaml": "control_cluster: ctl\nplayer_clusters: [p1, p2]\n",
	})
	g, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if g.Banner != filepath.Join(dir, "images", "banner.jpg") {
		t.Errorf("banner = %q, want the .jpg", g.Banner)
	}
	if g.Env["CTFG_API_TOKEN"] != "abc" {
		t.Errorf("env = %v", g.Env)
	}
	if g.Clusters == nil || g.Clusters.Control != "ctl" || len(g.Clusters.Players) != 2 {
		t.Errorf("clusters = %+v", g.Clusters)
	}

	if err := os.Remove(filepath.Join(dir, "images", "banner.jpg")); err != nil {
		t.Fatal(err)
	}
	if g, err = Load(dir, ""); err != nil || g.Banner != filepath.Join(dir, "images", "banner.png") {
		t.Errorf("banner = %q, %v; want the .png", g.Banner, err)
	}
}

func TestLoadChallengesPathOverride(t *testing.T) {
	dir := MustWriteGame(t, map[string]string{"credentials.csv": "alice,secret\n"})
	other := MustWriteGame(t, map[string]string{"mine.json": minimalChallenges})
	if _, err := Load(dir, ""); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("without challenges.json: err = %v, want not exist", err)
	}
	g, err := Load(dir, filepath.Join(other, "mine.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Challenges) != 1 || g.ChallengesPath != filepath.Join(other, "mine.json") {
		t.Errorf("challenges = %d from %q", len(g.Challenges), g.ChallengesPath)
	}
}

func TestLoadMissingRequiredFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir, "")
	probs := Problems(err)
	if len(probs) != 2 {
		t.Fatalf("problems = %v, want 2", err)
	}
	want := []string{
		filepath.Join(dir, "credentials.csv") + ": file not found: every game needs one",
		filepath.Join(dir, "challenges.json") + ": file not found: every game needs one",
	}
	for i, p := range probs {
		if !strings.HasPrefix(p.Error(), want[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, p, want[i])
		}
		if !errors.Is(p, fs.ErrNotExist) {
			t.Errorf("problem %d does not wrap fs.ErrNotExist", i)
		}
	}
	if _, err := Load(filepath.Join(dir, "nope"), ""); err == nil || !strings.Contains(err.Error(), "nope: file not found") {
		t.Errorf("missing dir: err = %v", err)
	}
}

// TestLoadReportsEveryFile checks that problems in several files are all
// reported at once, each naming its file.
func TestLoadReportsEveryFile(t *testing.T) {
	dir := MustWriteGame(t, map[string]string{
		"credentials.csv":    "alice,secret\nalice,other\n",
		"challenges.json":    `[{"id": 1, "title": "One", "points": -1, "flag": "^one$"}]`,
		".env":               "NOT A LINE\n",
		"game-clusters.yaml": "control_clusterr: x\n",
	})
	_, err := Load(dir, "")
	got := err.Error()
	want := []string{
		filepath.Join(dir, "credentials.csv") + `:2: duplicate username "alice" (first on line 1)`,
		filepath.Join(dir, "challenges.json") + ":1: [0].points (challenge 1): must be an integer ≥ 0, got -1",
		filepath.Join(dir, "game-clusters.yaml") + `:1: unknown key "control_clusterr" (expected control_cluster or player_clusters)`,
		filepath.Join(dir, ".env") + ":1: expected KEY=value",
	}
	if lines := strings.Split(got, "\n"); !slices.Equal(lines, want) {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	if strings.Contains(got, "secret") || strings.Contains(got, "other") {
		t.Errorf("a password appears in an error: %s", got)
	}
}

func TestCheckPlaceholders(t *testing.T) {
	ctl := `[{"id": 1, "title": "One", "points": 10, "flag": "^one$", "description": "ssh @CONTROL_CLUSTER@"}]`
	player := `[{"id": 1, "title": "One", "points": 10, "flag": "^one$", "hints": [{"id": 1, "cost": 0, "text": "on @PLAYER_CLUSTER@"}]}]`
	tests := []struct {
		name, challenges, clusters, want string
	}{
		{"control without file", ctl, "", "challenges.json: [0].description (challenge 1): uses @CONTROL_CLUSTER@ but game-clusters.yaml is missing"},
		{"player without file", player, "", "challenges.json: [0].hints[0].text (challenge 1): uses @PLAYER_CLUSTER@ but game-clusters.yaml is missing"},
		{"player without player clusters", player, "control_cluster: c\n", "challenges.json: [0].hints[0].text (challenge 1): uses @PLAYER_CLUSTER@ but game-clusters.yaml lists no player_clusters"},
		{"control without control cluster", ctl, "player_clusters: [p]\n", "challenges.json: [0].description (challenge 1): uses @CONTROL_CLUSTER@ but game-clusters.yaml has no control_cluster"},
		{"control with file", ctl, "control_cluster: c\n", ""},
		{"player with file", player, "player_clusters:\n  - p1\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"credentials.csv": "a,b\n", "challenges.json": tt.challenges}
			if tt.clusters != "" {
				files["game-clusters.yaml"] = tt.clusters
			}
			dir := MustWriteGame(t, files)
			_, err := Load(dir, "")
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			}
			if got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "challenges.json", Path: "[3].points", ChallengeID: 7, Msg: "bad"}, "challenges.json: [3].points (challenge 7): bad"},
		{Error{File: "challenges.json", Line: 4, Column: 2, Msg: "bad"}, "challenges.json:4:2: bad"},
		{Error{File: "c.csv", Line: 4, Msg: "bad"}, "c.csv:4: bad"},
		{Error{File: "c.json", ChallengeID: 2, Msg: "bad"}, "c.json: challenge 2: bad"},
		{Error{File: "c.json", Path: "[0]", Msg: "bad"}, "c.json: [0]: bad"},
		{Error{Msg: "bad"}, "game: bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestErrorListIsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 80 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"id": 1}`)
	}
	b.WriteString("]")
	_, err := ParseChallenges("c.json", []byte(b.String()))
	probs := Problems(err)
	if len(probs) != MaxErrors+1 {
		t.Fatalf("problems = %d, want %d", len(probs), MaxErrors+1)
	}
	if last := probs[len(probs)-1].Error(); !strings.HasPrefix(last, "c.json: ... and ") || !strings.HasSuffix(last, " more problems") {
		t.Errorf("last line = %q", last)
	}
}
