package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

// backupChallenges is the size of the game TestBackupWhileSolving plays:
// enough solves that submissions are still flowing while backups run.
const backupChallenges = 80

// MustBigGame writes the test game's players with n independent
// challenges whose flags are f1..fn.
func MustBigGame(tb testing.TB, n int) string {
	tb.Helper()
	dir := ctftest.MustGameDir(tb)
	chs := make([]game.Challenge, n)
	for i := range chs {
		chs[i] = game.Challenge{ID: i + 1, Title: fmt.Sprintf("C%d", i+1), Points: 10, Flag: fmt.Sprintf("^f%d$", i+1)}
	}
	ctftest.MustWriteJSON(tb, filepath.Join(dir, "challenges.json"), chs)
	return dir
}

// solveKey is one acknowledged solve.
type solveKey struct {
	username  string
	challenge int
}

// MustVerifyCopy opens a backup read-only, checks its integrity and
// returns its solves.
func MustVerifyCopy(t *testing.T, path string) map[solveKey]bool {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.OpenReadOnly(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open backup %s: %v", path, err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatalf("backup %s: %v", path, err)
	}
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := map[int64]string{}
	for _, u := range users {
		names[u.ID] = u.Username
	}
	got := map[solveKey]bool{}
	err = db.Events(ctx, 0, func(ev game.Event) error {
		if ev.Type == game.EventScore {
			got[solveKey{names[ev.UserID], ev.ChallengeID}] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestBackupWhileSolving takes two backups while every player keeps
// submitting flags: one with "ctfg backup" (a separate read-only handle,
// as from a second process) and one through the serving process's own
// store (the future admin button). Both copies pass integrity_check and
// hold every solve acknowledged before they started; no submission
// fails meanwhile.
func TestBackupWhileSolving(t *testing.T) {
	dir := MustBigGame(t, backupChallenges)
	srv := ctftest.MustServer(t, dir)
	players := []string{"alice", "bob", "carol", "dave", "erin"}
	clients := make([]*ctftest.Client, len(players))
	for i, u := range players {
		clients[i] = srv.MustLogin(t, u)
	}

	var mu sync.Mutex
	acked := map[solveKey]bool{}
	started := make(chan struct{}) // closed once a fair share is solved
	var once sync.Once
	errs := make(chan error, len(players))
	var wg sync.WaitGroup
	for i, u := range players {
		wg.Add(1)
		go func(c *ctftest.Client, u string) {
			defer wg.Done()
			for id := 1; id <= backupChallenges; id++ {
				// Not c.Do: t.Fatal must not run off the test goroutine.
				body := fmt.Sprintf(`{"id": %d, "flag": "f%d"}`, id, id)
				resp, err := c.HTTP.Post(c.Base+"/api/submit", "application/json", strings.NewReader(body))
				if err != nil {
					errs <- fmt.Errorf("%s solve %d: %w", u, id, err)
					return
				}
				var r struct{ Result string }
				err = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || err != nil || r.Result != "correct" {
					errs <- fmt.Errorf("%s solve %d: %d %q %v", u, id, resp.StatusCode, r.Result, err)
					return
				}
				mu.Lock()
				acked[solveKey{u, id}] = true
				if len(acked) >= len(players)*backupChallenges/4 {
					once.Do(func() { close(started) })
				}
				mu.Unlock()
			}
		}(clients[i], u)
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	select {
	case <-started:
	case <-allDone:
		t.Fatalf("players stopped before a quarter of the solves: %v", <-errs)
	}
	snapshot := func() map[solveKey]bool {
		mu.Lock()
		defer mu.Unlock()
		m := make(map[solveKey]bool, len(acked))
		for k := range acked {
			m[k] = true
		}
		return m
	}

	// The serving process's own Backup, concurrently with the command.
	inProc := filepath.Join(t.TempDir(), "in-process.db")
	inProcBefore := snapshot()
	inProcErr := make(chan error, 1)
	go func() { inProcErr <- srv.App.Store.(*sqlite.DB).Backup(context.Background(), inProc) }()

	dst := filepath.Join(t.TempDir(), "backup.db")
	before := snapshot()
	code, out, errOut := runCtfg(t, "backup", "--game", dir, dst)
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, errOut)
	}
	if err := <-inProcErr; err != nil {
		t.Fatalf("in-process backup: %v", err)
	}
	after := snapshot()
	<-allDone
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	m := regexp.MustCompile(`^backup (.+): (\d+) bytes, (\d+) events \(last id (\d+)\), integrity ok\n$`).FindStringSubmatch(out)
	if m == nil || m[1] != dst {
		t.Fatalf("summary line: %q", out)
	}
	fi, err := os.Stat(dst)
	if err != nil || strconv.FormatInt(fi.Size(), 10) != m[2] {
		t.Errorf("summary size %s, file %v %v", m[2], fi, err)
	}
	for name, c := range map[string]struct {
		path   string
		before map[solveKey]bool
	}{"ctfg backup": {dst, before}, "in-process Backup": {inProc, inProcBefore}} {
		got := MustVerifyCopy(t, c.path)
		for k := range c.before {
			if !got[k] {
				t.Errorf("%s lost %v, acknowledged before it started", name, k)
			}
		}
		if name == "ctfg backup" && strconv.Itoa(len(got)) != m[3] {
			t.Errorf("summary says %s events, copy holds %d solves", m[3], len(got))
		}
		t.Logf("%s: %d solves acknowledged before, %d in the copy, %d acknowledged by its end", name, len(c.before), len(got), len(after))
	}
	if len(before) == len(players)*backupChallenges {
		t.Log("every solve finished before the backup: the test did not overlap (machine too fast?)")
	}
}

func TestBackupRefuses(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	dst := filepath.Join(t.TempDir(), "b.db")

	// No database.
	code, _, errOut := runCtfg(t, "backup", "--game", dir, dst)
	if code != 1 || !strings.Contains(errOut, "no database at") {
		t.Errorf("missing database: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("a failed backup left a file")
	}

	// Usage.
	for _, args := range [][]string{{}, {dst, dst + "2"}, {"--nope", dst}} {
		if code, _, errOut := runCtfg(t, append([]string{"backup", "--game", dir}, args...)...); code != 2 || errOut == "" {
			t.Errorf("backup %v: exit %d, %q", args, code, errOut)
		}
	}

	// A database with events, server stopped: the backup works.
	srv := ctftest.MustServer(t, dir)
	c := srv.MustLogin(t, "alice")
	if status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != http.StatusOK {
		t.Fatalf("solve: %d %s", status, body)
	}
	srv.Stop()
	if code, out, errOut := runCtfg(t, "backup", "--game", dir, dst); code != 0 || !strings.Contains(out, " 1 event (last id 1), integrity ok") {
		t.Fatalf("backup of a stopped server: exit %d, %q %q", code, out, errOut)
	}
	if got := MustVerifyCopy(t, dst); !got[solveKey{"alice", 1}] || len(got) != 1 {
		t.Errorf("copy holds %v", got)
	}
	// A backup of the backup, with --db.
	if code, _, errOut := runCtfg(t, "backup", "--db", dst, dst+".2"); code != 0 {
		t.Errorf("backup --db: exit %d, %q", code, errOut)
	}

	// Never over an existing file.
	before, _ := os.ReadFile(dst)
	code, _, errOut = runCtfg(t, "backup", "--game", dir, dst)
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("existing file: exit %d, %q", code, errOut)
	}
	if after, _ := os.ReadFile(dst); !bytes.Equal(before, after) {
		t.Error("refused backup changed the existing file")
	}
	// Never onto the database or its companions.
	for _, target := range []string{"events.db", "events.db-wal", "events.db-shm"} {
		code, _, errOut := runCtfg(t, "backup", "--game", dir, filepath.Join(dir, target))
		if code != 1 || !strings.Contains(errOut, "the database itself") {
			t.Errorf("backup onto %s: exit %d, %q", target, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "events.db-wal")); err == nil {
		if fi, _ := os.Stat(filepath.Join(dir, "events.db-wal")); fi.Size() != 0 {
			t.Error("a refused backup wrote into the WAL")
		}
	}

	// A damaged database: an error, no copy.
	damaged := ctftest.MustGameDir(t)
	junk := bytes.Repeat([]byte("this is not SQLite "), 300)
	if err := os.WriteFile(filepath.Join(damaged, "events.db"), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	dst2 := filepath.Join(t.TempDir(), "b2.db")
	code, _, errOut = runCtfg(t, "backup", "--game", damaged, dst2)
	if code != 1 || !strings.Contains(errOut, "not a database") {
		t.Errorf("damaged database: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(dst2); err == nil {
		t.Error("backup of a damaged database left a file")
	}
}

// TestVerifyBackupRejectsDamage: the verification step fails on a copy
// that is not an intact ctfg database.
func TestVerifyBackupRejectsDamage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(p, bytes.Repeat([]byte{0xA5}, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := verifyBackup(context.Background(), p); err == nil {
		t.Error("damaged copy verified")
	}
}
