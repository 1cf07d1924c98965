package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// fakeSentry is a Sentry ingestion endpoint on 127.0.0.1 that keeps
// every envelope it receives.
type fakeSentry struct {
	*httptest.Server
	mu        sync.Mutex
	envelopes []string
	got       chan struct{}
}

func newFakeSentry(t *testing.T) *fakeSentry {
	f := &fakeSentry{got: make(chan struct{}, 100)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rd io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("sentry envelope: %v", err)
				return
			}
			rd = zr
		}
		b, _ := io.ReadAll(rd)
		f.mu.Lock()
		f.envelopes = append(f.envelopes, r.URL.Path+"\n"+string(b))
		f.mu.Unlock()
		f.got <- struct{}{}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(f.Close)
	return f
}

// dsn is the DSN of project 42 on the fake server.
func (f *fakeSentry) dsn() string {
	return strings.Replace(f.URL, "http://", "http://publickey@", 1) + "/42"
}

func (f *fakeSentry) all() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.envelopes, "\n---\n")
}

// Error records become Sentry events with their attributes; lower levels
// are only logged.
func TestSentryReportsErrorRecords(t *testing.T) {
	f := newFakeSentry(t)
	var logs bytes.Buffer
	log, flush, err := withSentry(slog.New(slog.NewTextHandler(&logs, nil)), f.dsn(), "test")
	if err != nil {
		t.Fatal(err)
	}
	log.With("component", "api").Error("internal error", "route", "POST /api/submit", "request_id", "r-17", "err", errors.New("disk I/O error"))
	log.Info("listening", "addr", "127.0.0.1:1")
	log.Warn("slow", "took", time.Second)
	flush()
	got := f.all()
	if n := strings.Count(got, "/api/42/envelope/"); n != 1 {
		t.Fatalf("%d envelopes, want 1 (only the error):\n%s", n, got)
	}
	for _, want := range []string{"internal error", "disk I/O error", "POST /api/submit", "r-17", `"component":"api"`, `"environment":"test"`, "ctfg@"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "listening") || strings.Contains(got, "slow") {
		t.Errorf("info or warning reported:\n%s", got)
	}
	// Everything is still logged locally.
	for _, want := range []string{"internal error", "listening", "slow"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q: %s", want, logs.String())
		}
	}
}

func TestSentryBadDSNIsNotEchoed(t *testing.T) {
	const dsn = "not a dsn with secret-key"
	_, _, err := withSentry(slog.New(slog.DiscardHandler), dsn, "")
	if err == nil || strings.Contains(err.Error(), "secret-key") {
		t.Fatalf("error %v: want one that does not repeat the DSN", err)
	}
}

// The serve command reads SENTRY_DSN from the game's .env and reports an
// error of the running server before it exits.
func TestServeReportsToSentry(t *testing.T) {
	f := newFakeSentry(t)
	dir := ctftest.MustGameDir(t)
	env := "SENTRY_DSN=" + f.dsn() + "\nCTFG_ADMIN_TOKEN=admin-secret-token\nCTFG_API_TOKEN=api-secret-token\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	// A --port-file in a missing directory cannot be written: the server
	// logs that as an error once it listens, and keeps serving.
	bad := filepath.Join(t.TempDir(), "missing", "port")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"--game", dir, "--addr", "127.0.0.1:0", "--port-file", bad}, IO{In: strings.NewReader(""), Out: io.Discard, Err: &stderr})
	}()
	select {
	case <-f.got:
	case code := <-done:
		t.Fatalf("server exited %d before reporting:\n%s", code, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("no report reached Sentry")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	got := f.all()
	if !strings.Contains(got, "write --port-file") {
		t.Errorf("report lacks the error:\n%s", got)
	}
	// (The envelope header carries the DSN by protocol: its key is public.)
	for _, secret := range []string{"admin-secret-token", "api-secret-token", "alice-pw"} {
		if strings.Contains(got, secret) {
			t.Errorf("report contains the secret %q", secret)
		}
	}
}
