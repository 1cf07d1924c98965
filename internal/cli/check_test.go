package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCtfg runs ctfg with args and returns the exit status and outputs.
func runCtfg(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// MustGameFiles writes files into a new temporary directory.
func MustGameFiles(tb testing.TB, files map[string]string) string {
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

const compatDir = "../gamefile/testdata/compat"

func TestCheckCompatGame(t *testing.T) {
	code, out, errOut := runCtfg(t, "check", compatDir)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Game directory:  " + compatDir + "\n",
		"Challenges:      15 challenges in 15 categories, 3120 points\n",
		"                 Logic & Reasoning        1  350 points\n",
		"Prerequisites:   12 of 15 challenges locked at the start\n",
		"Hints:           37 hints costing 685 points in all (2 free)\n",
		"Players:         500 (0 with bcrypt-hashed passwords)\n",
		"Clusters:        control cluster.example.com, 1 player cluster\n",
		".env:            none\n",
		"Banner:          built-in\n",
		"Ready to play.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckOptionalFilesAndOverride(t *testing.T) {
	dir := MustGameFiles(t, map[string]string{
		"credentials.csv":   "username,password\nalice,$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\nbob,plain\n",
		"challenges.json":   `[{"id": 1, "title": "One", "points": 10, "flag": "^one$", "testflag": "one"}]`,
		".env":              "CTFG_ADMIN_TOKEN=s3cr3t-admin\nSENTRY_DSN=https://k@example/1\n",
		"images/banner.png": "png",
	})
	other := MustGameFiles(t, map[string]string{
		"mine.json": `[{"id": 5, "title": "Five", "category": "Web", "points": 50, "flag": "five"},
		               {"id": 6, "title": "Six", "category": "Web", "points": 60, "flag": "^six$", "testflag": "six", "requirements": [5]}]`,
	})
	mine := filepath.Join(other, "mine.json")
	// Flags may come after the directory.
	code, out, errOut := runCtfg(t, "check", dir, "--challenges", mine)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Challenges file: " + mine + "\n",
		"Challenges:      2 challenges in 1 category, 110 points\n",
		"Players:         2 (1 with bcrypt-hashed passwords)\n",
		".env:            CTFG_ADMIN_TOKEN, SENTRY_DSN\n",
		"Banner:          " + filepath.Join("images", "banner.png") + "\n",
		"warning: challenge 5: the flag is not anchored",
		"warning: no testflag for challenge(s) 5: the emulator cannot solve them\n",
		"Ready to play, but see the 2 warnings above.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cr3t") || strings.Contains(out, "plain") || strings.Contains(out, "$2y$") {
		t.Errorf("a secret is printed:\n%s", out)
	}
}

func TestCheckBrokenGame(t *testing.T) {
	dir := MustGameFiles(t, map[string]string{
		"credentials.csv": "alice,a\nbob\n",
		"challenges.json": "[\n" +
			`{"id": 1, "title": "One", "points": 10, "flag": "^one$", "requirements": [2]},` + "\n" +
			`{"id": 2, "title": "Two", "points": -5, "flag": "^(?=two)$", "requirements": [1]}` + "\n]",
	})
	code, out, errOut := runCtfg(t, "check", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
	creds, chals := filepath.Join(dir, "credentials.csv"), filepath.Join(dir, "challenges.json")
	want := creds + ":2: expected 2 fields (username,password), got 1\n" +
		chals + ":2: [0].requirements (challenge 1): requirements form a cycle: 1 → 2 → 1\n" +
		chals + ":3: [1].points (challenge 2): must be an integer ≥ 0, got -5\n" +
		chals + ":3: [1].flag (challenge 2): does not compile: invalid or unsupported Perl syntax: `(?=` (Go's RE2 engine, which cannot be made to hang, has no lookahead or lookbehind: a Perl-only feature)\n" +
		"ctfg check: found 4 problems in " + dir + "\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
}

func TestCheckUsage(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{"missing directory", []string{"check", filepath.Join(empty, "nope")}, 1, filepath.Join(empty, "nope") + ": file not found\nctfg check: found 1 problem in "},
		{"empty directory", []string{"check", empty}, 1, "credentials.csv: file not found: every game needs one"},
		{"too many arguments", []string{"check", empty, "extra"}, 2, "ctfg check: too many arguments: extra\nUsage: ctfg check"},
		{"unknown flag", []string{"check", "--nope"}, 2, "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCtfg(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.wantErr)
			}
		})
	}
	// Help is an answer, not an error: stdout and exit 0.
	code, out, errOut := runCtfg(t, "check", "-h")
	if code != 0 || errOut != "" || !strings.Contains(out, "Usage: ctfg check [DIR] [--challenges FILE]") {
		t.Errorf("help: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestCheckCurrentDirectory(t *testing.T) {
	dir := MustGameFiles(t, map[string]string{
		"credentials.csv": "alice,a\n",
		"challenges.json": `[{"id": 1, "title": "One", "points": 10, "flag": "^one$", "testflag": "one"}]`,
	})
	t.Chdir(dir)
	code, out, errOut := runCtfg(t, "check")
	if code != 0 || !strings.Contains(out, "Game directory:  .\n") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
