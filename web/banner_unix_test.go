//go:build unix

package web

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO named banner.jpg is skipped without being opened: opening it
// for reading would block the request (and an OS thread) until some
// writer appeared.
func TestBannerFIFOIsSkipped(t *testing.T) {
	game := filepath.Join(t.TempDir(), "game")
	MustWrite(t, filepath.Join(game, "images", "banner.png"), "PNG-BANNER")
	fifo := filepath.Join(game, "images", "banner.jpg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	srv := MustServer(t, Options{GameDir: game})
	// Runs before the server's Close (cleanups run last first): a
	// request stuck opening the FIFO would otherwise hang Close forever.
	t.Cleanup(func() { releaseFIFOReaders(fifo) })

	client := &http.Client{Timeout: 3 * time.Second}
	for i := 0; i < 3; i++ {
		res, err := client.Get(srv.URL + "/images/banner")
		if err != nil {
			t.Fatalf("GET /images/banner with a FIFO as banner.jpg: %v", err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("status %d, Content-Type %q: want the PNG banner", res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

// releaseFIFOReaders opens the FIFO for writing until no reader is left
// waiting on it (a non-blocking open for writing fails with ENXIO when
// there is none).
func releaseFIFOReaders(fifo string) {
	for i := 0; i < 100; i++ {
		f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.ENXIO) {
			return
		}
		if err != nil {
			return
		}
		f.Close()
		time.Sleep(10 * time.Millisecond)
	}
}
