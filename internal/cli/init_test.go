package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitThenCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my game")
	code, out, errOut := runCtfg(t, "init", dir)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Wrote a sample game into " + dir + ":\n",
		"  " + filepath.Join(dir, "challenges.json") + "\n",
		"  " + filepath.Join(dir, "credentials.csv") + "  (player passwords: keep private)\n",
		"  " + filepath.Join(dir, ".env") + "  (API and admin tokens: keep private)\n",
		"  " + filepath.Join(dir, "README.txt") + "\n",
		"9 challenges in 4 categories, 5 players.\n",
		"  cd '" + dir + "' && ctfg\n",
		"log in as alice, with the password\nfrom " + filepath.Join(dir, "credentials.csv"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	creds, err := os.ReadFile(filepath.Join(dir, "credentials.csv"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(filepath.Join(dir, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	// No secret on the terminal: passwords and tokens stay in their files.
	for _, line := range strings.Split(string(creds)+string(env), "\n") {
		_, secret, ok := strings.Cut(line, ",")
		if !ok {
			_, secret, ok = strings.Cut(line, "=")
		}
		if ok && !strings.HasPrefix(line, "#") && secret != "password" && strings.Contains(out, secret) {
			t.Errorf("secret of %q printed", line)
		}
	}

	// The clock is explained, commented out: a fresh game opens at once.
	for _, want := range []string{"\n# CTFG_START=", "\n# CTFG_END="} {
		if !strings.Contains(string(env), want) {
			t.Errorf(".env lacks the example %q", want)
		}
	}

	// The examples of the rules of play, uncommented, are a valid
	// configuration that check reports.
	var uncommented []string
	for _, key := range []string{"CTFG_START", "CTFG_END", "CTFG_FREEZE", "CTFG_REVEAL", "CTFG_PRACTICE", "CTFG_FIRST_BLOOD_BONUS", "CTFG_SCORING"} {
		i := strings.Index(string(env), "\n# "+key+"=")
		if i < 0 {
			t.Errorf(".env lacks the example of %s", key)
			continue
		}
		line, _, _ := strings.Cut(string(env)[i+3:], "\n")
		uncommented = append(uncommented, line)
	}
	tried := MustGameFiles(t, map[string]string{".env": strings.Join(uncommented, "\n") + "\n"})
	for _, name := range []string{"challenges.json", "credentials.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tried, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = runCtfg(t, "check", tried)
	for _, want := range []string{"from CTFG_FREEZE\n", "Reveal:          at the end", "Practice:        on", "First blood:     bonus of 5%, 3%, 1%", "Scoring:         logarithmic:minimum=20%,decay=30, from CTFG_SCORING"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("check with the examples uncommented: exit %d, output lacks %q:\n%s%s", code, want, out, errOut)
		}
	}

	code, out, errOut = runCtfg(t, "check", dir)
	if code != 0 || !strings.Contains(out, "Start:           not set") || !strings.Contains(out, "Challenges:      9 challenges in 4 categories, 1325 points\n") || !strings.Contains(out, "Ready to play.\n") {
		t.Errorf("check after init: exit %d\n%s%s", code, out, errOut)
	}

	// A second init refuses, names the file and changes nothing.
	before, _ := os.ReadFile(filepath.Join(dir, "credentials.csv"))
	code, out, errOut = runCtfg(t, "init", dir)
	wantErr := "ctfg init: " + filepath.Join(dir, "challenges.json") + ": already exists; ctfg init never overwrites a file (choose another directory)\n"
	if code != 1 || out != "" || errOut != wantErr {
		t.Errorf("second init: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "credentials.csv")); string(after) != string(before) {
		t.Error("second init changed credentials.csv")
	}
}

func TestInitCurrentDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, out, errOut := runCtfg(t, "init")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "Start it with:\n\n  ctfg\n") || strings.Contains(out, "cd ") {
		t.Errorf("output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "challenges.json")); err != nil {
		t.Error(err)
	}
}

func TestInitKeepsExistingFiles(t *testing.T) {
	dir := MustGameFiles(t, map[string]string{".env": "MINE=1\n"})
	code, _, errOut := runCtfg(t, "init", dir)
	if code != 1 || !strings.Contains(errOut, filepath.Join(dir, ".env")+": already exists") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("init wrote files next to an existing one: %v", entries)
	}
}

func TestInitUsage(t *testing.T) {
	code, _, errOut := runCtfg(t, "init", "a", "b")
	if code != 2 || !strings.Contains(errOut, "ctfg init: too many arguments: b\nUsage: ctfg init [DIR]") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := runCtfg(t, "init", "-h")
	if code != 0 || errOut != "" || !strings.Contains(out, "Never overwrites a file.") {
		t.Errorf("help: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
