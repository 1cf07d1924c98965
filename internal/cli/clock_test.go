package cli

import (
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// TestCheckPrintsClock: check shows the configured start and end in local
// time and UTC with where each was read (the environment wins over .env),
// and "not set" without them.
func TestCheckPrintsClock(t *testing.T) {
	t.Setenv("TZ", "Europe/Berlin") // time.Local is read once; the UTC part is what must hold
	files := map[string]string{
		"credentials.csv": "username,password\nalice,pw\n",
		"challenges.json": `[{"id": 1, "title": "One", "points": 10, "flag": "^one$", "testflag": "one"}]`,
		".env":            "CTFG_START=2025-06-01T09:00:00+02:00\nCTFG_END=2025-06-01T15:00:00Z\n",
	}
	dir := MustGameFiles(t, files)
	code, out, errOut := runCtfg(t, "check", dir)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"(2025-06-01 07:00:00 UTC), from CTFG_START\n", "(2025-06-01 15:00:00 UTC), from CTFG_END\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	t.Setenv("CTFG_END", "2025-06-01T16:00:00Z")
	if _, out, _ := runCtfg(t, "check", dir); !strings.Contains(out, "(2025-06-01 16:00:00 UTC), from CTFG_END") {
		t.Errorf("the environment does not win over .env:\n%s", out)
	}

	delete(files, ".env")
	t.Setenv("CTFG_END", "")
	if _, out, _ := runCtfg(t, "check", MustGameFiles(t, files)); !strings.Contains(out, "Start:           not set") || !strings.Contains(out, "End:             not set") {
		t.Errorf("no clock:\n%s", out)
	}
}

// TestClockValuesRefused: a time without a zone, or a start not before
// the end, is an error line naming the variable or flag, for check and
// for serve.
func TestClockValuesRefused(t *testing.T) {
	for _, tt := range []struct{ env, want string }{
		{"CTFG_START=2025-06-01T09:00:00\n", `CTFG_START: "2025-06-01T09:00:00" is not an RFC 3339 time with a zone`},
		{"CTFG_END=tomorrow\n", `CTFG_END: "tomorrow" is not`},
		{"CTFG_START=2025-06-01T09:00:00Z\nCTFG_END=2025-06-01T11:00:00+02:00\n", "CTFG_START (2025-06-01T09:00:00Z) is not before CTFG_END (2025-06-01T09:00:00Z)"},
	} {
		dir := MustGameFiles(t, map[string]string{
			"credentials.csv": "username,password\nalice,pw\n",
			"challenges.json": `[{"id": 1, "title": "One", "points": 10, "flag": "^one$", "testflag": "one"}]`,
			".env":            tt.env,
		})
		code, _, errOut := runCtfg(t, "check", dir)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("check with %q: exit %d, stderr %q; want %q", tt.env, code, errOut, tt.want)
		}
	}
	code, _, stderr := runCLI(t, "--game", ctftest.MustGameDir(t), "--addr", "127.0.0.1:0", "--start", "2025-06-01T10:00:00Z", "--end", "2025-06-01 09:00")
	if code != 1 || !strings.Contains(stderr, `--end: "2025-06-01 09:00" is not an RFC 3339 time`) {
		t.Fatalf("serve with a bad --end: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "--game", ctftest.MustGameDir(t), "--addr", "127.0.0.1:0", "--start", "2025-06-01T10:00:00Z", "--end", "2025-06-01T09:00:00Z")
	if code != 1 || !strings.Contains(stderr, "--start (2025-06-01T10:00:00Z) is not before --end") {
		t.Fatalf("serve with --start after --end: exit %d, %s", code, stderr)
	}
}
