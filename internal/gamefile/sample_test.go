package gamefile

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestWriteSample(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "game")
	written, err := WriteSample(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range written {
		names = append(names, filepath.Base(p))
	}
	if got := strings.Join(names, " "); got != "challenges.json credentials.csv .env README.txt" {
		t.Errorf("written = %s", got)
	}
	g, err := Load(dir, "")
	if err != nil {
		t.Fatalf("the sample game does not load:\n%v", err)
	}

	// Challenges: enough of them, several categories, a tree of
	// prerequisites, paid and free hints, every testflag accepted.
	if len(g.Challenges) < 8 {
		t.Errorf("challenges = %d, want at least 8", len(g.Challenges))
	}
	s := g.Summary()
	if len(s.Categories) < 3 {
		t.Errorf("categories = %+v, want 3 or more", s.Categories)
	}
	if s.FreeHints < 1 || s.Hints-s.FreeHints < 1 {
		t.Errorf("hints: %d free of %d, want free and paid ones", s.FreeHints, s.Hints)
	}
	if s.Locked < 3 || s.Locked == s.Challenges {
		t.Errorf("%d of %d challenges locked, want a tree", s.Locked, s.Challenges)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings: %q", s.Warnings)
	}
	multiReq := false
	var all strings.Builder
	for _, ch := range g.Challenges {
		if ch.TestFlag == "" || !ch.MatchFlag(strings.TrimSpace(ch.TestFlag)) {
			t.Errorf("challenge %d: testflag %q not accepted", ch.ID, ch.TestFlag)
		}
		if ch.MatchFlag("ctfg{wrong}") {
			t.Errorf("challenge %d: accepts a wrong flag", ch.ID)
		}
		multiReq = multiReq || len(ch.Requirements) > 1
		all.WriteString(ch.Description + "\n")
	}
	if !multiReq {
		t.Error("no challenge needs several others")
	}
	desc := all.String()
	for _, want := range []string{"```\n", "|------|", "<em>", "<kbd>", "@DISPLAYNAME@", "@USERID@"} {
		if !strings.Contains(desc, want) {
			t.Errorf("no description contains %q", want)
		}
	}

	// Players with random, readable passwords.
	if len(g.Users) != len(SamplePlayers) {
		t.Fatalf("users = %+v", g.Users)
	}
	pw := regexp.MustCompile(`^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$`)
	seen := map[string]bool{}
	for i, u := range g.Users {
		if u.Username != SamplePlayers[i] || !pw.MatchString(u.Password) || seen[u.Password] {
			t.Errorf("user %d = %q/%q", i, u.Username, u.Password)
		}
		seen[u.Password] = true
	}
	creds, err := os.ReadFile(filepath.Join(dir, "credentials.csv"))
	if err != nil || !strings.HasPrefix(string(creds), "username,password\n") {
		t.Errorf("credentials.csv has no header: %q %v", creds, err)
	}

	// Tokens: 32 random bytes each, different from each other.
	api, admin := g.Env["CTFG_API_TOKEN"], g.Env["CTFG_ADMIN_TOKEN"]
	for _, tok := range []string{api, admin} {
		if b, err := hex.DecodeString(tok); err != nil || len(b) != 32 {
			t.Errorf("token %q is not 32 hex-encoded bytes", tok)
		}
	}
	if api == admin {
		t.Error("API and admin tokens are equal")
	}
	for _, name := range []string{".env", "credentials.csv"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", name, st.Mode().Perm(), err)
		}
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.txt"))
	if err != nil || !strings.Contains(string(readme), "ctfg check") {
		t.Errorf("README.txt: %v", err)
	}

	// A second game gets other secrets.
	g2 := MustSample(t)
	if g2.Env["CTFG_API_TOKEN"] == api || g2.Users[0].Password == g.Users[0].Password {
		t.Error("secrets repeat between two samples")
	}
}

// MustSample writes the sample game into a temporary directory and loads it.
func MustSample(tb testing.TB) *Game {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := WriteSample(dir); err != nil {
		tb.Fatal(err)
	}
	g, err := Load(dir, "")
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func TestWriteSampleNeverOverwrites(t *testing.T) {
	for _, name := range []string{"challenges.json", "credentials.csv", ".env", "README.txt"} {
		t.Run(name, func(t *testing.T) {
			dir := MustWriteGame(t, map[string]string{name: "mine"})
			written, err := WriteSample(dir)
			if err == nil {
				t.Fatalf("no error, wrote %v", written)
			}
			want := filepath.Join(dir, name) + ": already exists; ctfg init never overwrites a file (choose another directory)"
			if err.Error() != want || !errors.Is(err, fs.ErrExist) {
				t.Errorf("err = %v, want %s", err, want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 || written != nil {
				t.Errorf("files after a refused init: %v (written %v)", entries, written)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "mine" {
				t.Errorf("%s changed to %q", name, b)
			}
		})
	}
}
