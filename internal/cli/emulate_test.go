package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/emulate/emutest"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

func TestEmulateUsageErrors(t *testing.T) {
	dir := emutest.MustGameDir(t, 3)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no url", []string{"emulate", "--game", dir}, 2, "--url is required"},
		{"bad flag", []string{"emulate", "--bogus"}, 2, "flag provided but not defined"},
		{"stray argument", []string{"emulate", "--url", "http://127.0.0.1:1", "extra"}, 2, "unexpected argument"},
		{"zero players", []string{"emulate", "--url", "http://127.0.0.1:1", "--players", "0", "--game", dir}, 1, "--players must be at least 1"},
		{"negative jitter", []string{"emulate", "--url", "http://127.0.0.1:1", "--jitter", "-1", "--game", dir}, 1, "--jitter"},
		{"negative team size", []string{"emulate", "--url", "http://127.0.0.1:1", "--team-size", "-1", "--game", dir}, 1, "--team-size"},
		{"make teams without a size", []string{"emulate", "--url", "http://127.0.0.1:1", "--make-teams", "--game", dir}, 1, "--make-teams needs --team-size"},
		{"negative think", []string{"emulate", "--url", "http://127.0.0.1:1", "--think", "-5", "--game", dir}, 1, "--think"},
		{"missing credentials", []string{"emulate", "--url", "http://127.0.0.1:1", "--game", filepath.Join(dir, "nope")}, 1, "credentials.csv"},
		{"too many players", []string{"emulate", "--url", "http://127.0.0.1:1", "--players", "4", "--game", dir}, 1, "only 3 credentials"},
		{"bad url", []string{"emulate", "--url", "127.0.0.1:1", "--players", "1", "--game", dir}, 1, "http(s) URL"},
		{"bad url in list", []string{"emulate", "--url", "http://127.0.0.1:1,127.0.0.1:2", "--players", "1", "--game", dir}, 1, `http(s) URL like http://127.0.0.1:8080, got "127.0.0.1:2"`},
		{"empty url in list", []string{"emulate", "--url", "http://127.0.0.1:1,", "--players", "1", "--game", dir}, 1, "entry 2"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", c.name, code, stderr, c.code, c.want)
		}
	}
	if code, stdout, stderr := runCLI(t, "emulate", "--help"); code != 0 || stderr != "" || !strings.Contains(stdout, "--think") {
		t.Errorf("--help: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestEmulateCommand runs the subcommand end to end against a real server
// and checks its summary and output files.
func TestEmulateCommand(t *testing.T) {
	bin := emutest.MustBuild(t)
	dir := emutest.MustGameDir(t, 10)
	srv := emutest.MustServer(t, bin, dir)
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := runCLI(t, "emulate", "--url", srv.URL, "--players", "8", "--think", "0",
		"--jitter", "0.2", "--game", dir, "--out", out, "--seed", "7")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"ctfg emulate: OK", "8 done of 8", "POST /api/submit", "event delivery", "emulator CPU"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"metrics.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The same players again, with a wrong server: errors and exit 1.
	code, stdout, _ = runCLI(t, "emulate", "--url", "http://127.0.0.1:1", "--players", "1", "--game", dir, "--timeout", "2s", "--settle", "1s")
	if code != 1 || !strings.Contains(stdout, "FAILED") || !strings.Contains(stdout, "transport error") {
		t.Errorf("against a closed port: exit %d\n%s", code, stdout)
	}
}
