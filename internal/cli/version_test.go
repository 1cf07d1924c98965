package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mustBuildCtfg builds ./cmd/ctfg with go build (which, unlike go test and
// go run, can stamp the VCS revision) into a temporary directory.
func mustBuildCtfg(t *testing.T, root string, extra ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ctfg")
	args := append([]string{"build", "-o", bin}, extra...)
	cmd := exec.Command("go", append(args, "./cmd/ctfg")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func mustRun(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return strings.TrimSpace(string(out))
}

// TestVersionOfBuiltBinary: a binary built in the git checkout names the
// commit it was built from, its commit time and the Go version; both
// `ctfg --version` and `ctfg version` say so. Go stamps that itself when
// .git is a directory; scripts/ldflags.sh (used by run-demo.sh and
// container.sh) stamps the same where Go cannot (git worktrees,
// GOFLAGS=-buildvcs=false), and CTFG_VERSION names the release.
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	if err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Run(); err != nil {
		t.Skip("not a git checkout")
	}
	rev := mustRun(t, root, "git", "rev-parse", "HEAD")
	unix, err := strconv.ParseInt(mustRun(t, root, "git", "log", "-1", "--format=%ct"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	commitTime := time.Unix(unix, 0).UTC().Format(time.RFC3339)
	goVersion := mustRun(t, root, "go", "env", "GOVERSION")
	shape := regexp.MustCompile(`^ctfg ([0-9a-f]{12}) \((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)(, modified)?\) (go\S+)$`)
	check := func(how, bin string) {
		t.Helper()
		out := mustRun(t, root, bin, "--version")
		m := shape.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s: ctfg --version = %q, want %v", how, out, shape)
		}
		if m[1] != rev[:12] || m[2] != commitTime || m[4] != goVersion {
			t.Errorf("%s: ctfg --version = %q, want revision %s, time %s, %s", how, out, rev[:12], commitTime, goVersion)
		}
		if sub := mustRun(t, root, bin, "version"); sub != out {
			t.Errorf("%s: ctfg version = %q, ctfg --version = %q", how, sub, out)
		}
	}

	if fi, err := os.Stat(filepath.Join(root, ".git")); err == nil && fi.IsDir() {
		check("go build -buildvcs=true", mustBuildCtfg(t, root, "-buildvcs=true"))
	} else {
		t.Log(".git is not a directory (a git worktree): go stamps no revision here; checking scripts/ldflags.sh only")
	}

	ldflags := mustRun(t, root, "bash", "scripts/ldflags.sh")
	check("scripts/ldflags.sh", mustBuildCtfg(t, root, "-buildvcs=false", "-ldflags", ldflags))

	cmd := exec.Command("bash", "scripts/ldflags.sh")
	cmd.Dir, cmd.Env = root, append(os.Environ(), "CTFG_VERSION=v9.9.9-test")
	named, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, root, mustBuildCtfg(t, root, "-buildvcs=false", "-ldflags", strings.TrimSpace(string(named))), "--version")
	want := regexp.MustCompile(`^ctfg v9\.9\.9-test \(` + rev[:12] + `, ` + regexp.QuoteMeta(commitTime) + `(, modified)?\) ` + regexp.QuoteMeta(goVersion) + `$`)
	if !want.MatchString(out) {
		t.Errorf("CTFG_VERSION=v9.9.9-test: ctfg --version = %q, want %v", out, want)
	}
}
