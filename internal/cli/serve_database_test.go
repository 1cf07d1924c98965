package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// TestServeDatabaseFlag: --database and CTFG_DATABASE_URL (environment or
// the game's .env) select the store; a URL that is not PostgreSQL's is
// refused without being echoed (it may hold a password).
func TestServeDatabaseFlag(t *testing.T) {
	var out bytes.Buffer
	f, _, err := parseServeFlags(IO{Out: &out, Err: &out}, []string{"--database", "postgres://db.example/ctf"})
	if err != nil || f.database != "postgres://db.example/ctf" {
		t.Fatalf("parsed %q, %v", f.database, err)
	}
	for _, want := range []string{"--database", "CTFG_DATABASE_URL"} {
		if !strings.Contains(serveUsage, want) {
			t.Errorf("usage does not mention %q", want)
		}
	}
	const secret = "hunter2-db-secret"
	bad := "mysql://root:" + secret + "@db.example/ctf"

	code, _, stderr := runCLI(t, "--game", ctftest.MustGameDir(t), "--addr", "127.0.0.1:0", "--database", bad)
	if code != 1 || !strings.Contains(stderr, "postgres://") || strings.Contains(stderr, secret) {
		t.Fatalf("--database %s: exit %d, %s", "mysql://...", code, stderr)
	}

	dir := ctftest.MustGameDir(t)
	env, err := os.OpenFile(filepath.Join(dir, ".env"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(env, "CTFG_DATABASE_URL="+bad+"\n")
	env.Close()
	code, _, stderr = runCLI(t, "--game", dir, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "postgres://") || strings.Contains(stderr, secret) {
		t.Fatalf("CTFG_DATABASE_URL in .env: exit %d, %s", code, stderr)
	}
}
