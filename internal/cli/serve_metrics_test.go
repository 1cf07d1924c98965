package cli

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/version"
)

func TestServeMetricsFlags(t *testing.T) {
	var out bytes.Buffer
	f, _, err := parseServeFlags(IO{Out: &out, Err: &out}, []string{"--metrics-addr", "127.0.0.1:9090", "--metrics-token", "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if f.metricsAddr != "127.0.0.1:9090" || f.metricsToken != "tok" {
		t.Fatalf("parsed %q %q", f.metricsAddr, f.metricsToken)
	}
	for _, want := range []string{"--metrics-addr", "--metrics-token", "CTFG_METRICS_TOKEN", "loopback clients only"} {
		if !strings.Contains(serveUsage, want) {
			t.Errorf("usage does not mention %q", want)
		}
	}
	code, _, stderr := runCLI(t, "--game", ctftest.MustGameDir(t), "--addr", "127.0.0.1:0", "--metrics-addr", "no-port-here")
	if code != 1 || !strings.Contains(stderr, "--metrics-addr") {
		t.Fatalf("bad --metrics-addr: exit %d, %s", code, stderr)
	}
}

// freeAddr returns a loopback address that was free a moment ago (the
// serve command reports only its main address).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServeMetricsEndToEnd runs the serve command with --metrics-addr and
// the token from the game's .env.
func TestServeMetricsEndToEnd(t *testing.T) {
	const token = "env-metrics-token-4d2a"
	dir := ctftest.MustGameDir(t)
	env, err := os.OpenFile(filepath.Join(dir, ".env"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(env, "CTFG_METRICS_TOKEN="+token+"\n")
	env.Close()
	private := freeAddr(t)
	g := mustServe(t, dir, "--metrics-addr", private)
	main := g.URL

	if status, _ := ctftest.MustGet(t, main+"/healthz", ""); status != http.StatusOK {
		t.Errorf("healthz: %d", status)
	}
	if status, _ := ctftest.MustGet(t, main+"/metrics", "Bearer "+token); status != http.StatusNotFound {
		t.Errorf("main port /metrics: %d, want 404", status)
	}
	if status, _ := ctftest.MustGet(t, "http://"+private+"/metrics", ""); status != http.StatusUnauthorized {
		t.Errorf("private /metrics without the .env token: %d, want 401", status)
	}
	status, body := ctftest.MustGet(t, "http://"+private+"/metrics", "Bearer "+token)
	if status != http.StatusOK || !strings.Contains(body, `ctfg_build_info{goversion=`) || !strings.Contains(body, `version="`+version.Get().String()+`"`) {
		t.Errorf("private /metrics: %d %.300s", status, body)
	}
	if status, body := ctftest.MustGet(t, "http://"+private+"/debug/pprof/", "Bearer "+token); status != http.StatusOK || !strings.Contains(body, "heap") {
		t.Errorf("private pprof: %d", status)
	}

	if code := g.Stop(t); code != 0 {
		t.Fatalf("exit %d: %s", code, g.Logs.String())
	}
	if strings.Contains(g.Logs.String(), token) {
		t.Error("the metrics token was logged")
	}
	// The start-up line says which build runs, as ctfg --version does.
	if !strings.Contains(g.Logs.String(), `msg=listening version="`+version.Get().String()+`"`) {
		t.Errorf("the start-up log line does not name the version: %s", g.Logs.String())
	}
	if !strings.Contains(g.Logs.String(), "metrics listening") {
		t.Errorf("no log line for the metrics listener: %s", g.Logs.String())
	}
}

func TestServeMinDiskFreeFlag(t *testing.T) {
	f, _, err := parseServeFlags(IO{Out: io.Discard, Err: io.Discard}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.minDiskFreeMiB != 64 {
		t.Fatalf("default --min-disk-free %d MiB, want 64", f.minDiskFreeMiB)
	}
	if !strings.Contains(serveUsage, "--min-disk-free") {
		t.Error("usage does not mention --min-disk-free")
	}
	code, _, stderr := runCLI(t, "--game", ctftest.MustGameDir(t), "--addr", "127.0.0.1:0", "--min-disk-free", "-1")
	if code != 1 || !strings.Contains(stderr, "--min-disk-free") {
		t.Fatalf("negative --min-disk-free: exit %d, %s", code, stderr)
	}
}
