package app_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
)

// TestHealthzDiskFull fills a small tmpfs holding the database under a
// running server: /healthz turns 503 disk_full, and ok again once space
// is freed. It needs the privilege to mount (root); it skips otherwise.
func TestHealthzDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "db")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=16m"); err != nil {
		t.Skip("cannot mount a tmpfs:", err)
	}
	// Registered before the server's cleanup, so it runs after the server
	// has stopped.
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.DBDir = mnt
		c.MinDiskFree = 4 << 20
	})
	alice := srv.MustLogin(t, "alice")
	waitHealth(t, srv, http.StatusOK, healthOK)

	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{1}, 64<<10)
	for i := 0; ; i++ {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
		if i > 16<<4 {
			t.Fatal("the 16 MiB tmpfs never filled up")
		}
	}
	f.Close()
	waitHealth(t, srv, http.StatusServiceUnavailable, healthDiskFull)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, srv, http.StatusOK, healthOK)
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != http.StatusOK {
		t.Fatalf("submit after space was freed: %d %s", status, body)
	}
}
