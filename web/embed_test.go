package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const wantCSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// MustServer starts the handler on a real server bound to 127.0.0.1.
func MustServer(tb testing.TB, opts Options) *httptest.Server {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h, err := Handler(opts)
	if err != nil {
		tb.Fatalf("Handler: %v", err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// MustGet sends a GET (or the given method) with optional headers and
// returns the response with its body read (not decompressed).
func MustGet(tb testing.TB, srv *httptest.Server, method, path string, headers ...string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	// No transparent gzip: the test decides what it accepts.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	res, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return res, body
}

// MustRawGet writes the request line byte for byte (no client-side
// cleaning or escaping) and returns status and body.
func MustRawGet(tb testing.TB, srv *httptest.Server, target string) (int, string) {
	tb.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, srv.Listener.Addr())
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		tb.Fatalf("GET %q: %v", target, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func checkSecurityHeaders(t *testing.T, res *http.Response, csp string) {
	t.Helper()
	if got := res.Header.Get("Content-Security-Policy"); got != csp {
		t.Errorf("CSP = %q, want %q", got, csp)
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := res.Header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("Referrer-Policy = %q", got)
	}
}

func TestIndexRoutes(t *testing.T) {
	srv := MustServer(t, Options{})
	m := MustManifest(t)
	for _, p := range []string{"/", "/board"} {
		res, body := MustGet(t, srv, "GET", p)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s Content-Type %q", p, ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s Cache-Control %q, want no-cache", p, cc)
		}
		if !bytes.Contains(body, []byte(m.AppJS)) || !bytes.Contains(body, []byte(m.AppCSS)) {
			t.Errorf("GET %s: index does not load the bundle", p)
		}
		checkSecurityHeaders(t, res, wantCSP)
	}
}

func TestAssetCaching(t *testing.T) {
	m := MustManifest(t)
	cases := []struct {
		name, path string
		dev        bool
		want       string
		ctype      string
	}{
		{"hashed js", m.AppJS, false, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
		{"hashed css", m.AppCSS, false, "public, max-age=31536000, immutable", "text/css; charset=utf-8"},
		{"hashed js in dev mode", m.AppJS, true, "no-cache", "text/javascript; charset=utf-8"},
		{"image", "/images/banner.svg", false, "no-cache", "image/svg+xml"},
		{"index in dev mode", "/", true, "no-cache", "text/html; charset=utf-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := MustServer(t, Options{DevMode: tc.dev})
			res, body := MustGet(t, srv, "GET", tc.path)
			if res.StatusCode != 200 || len(body) == 0 {
				t.Fatalf("status %d, %d bytes", res.StatusCode, len(body))
			}
			if got := res.Header.Get("Cache-Control"); got != tc.want {
				t.Errorf("Cache-Control %q, want %q", got, tc.want)
			}
			if got := res.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
		})
	}
}

func TestGzipNegotiation(t *testing.T) {
	srv := MustServer(t, Options{})
	m := MustManifest(t)
	_, plain := MustGet(t, srv, "GET", m.AppJS)
	cases := []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"gzip", true},
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.5", true},
		{"GZIP", true},
		{"*", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"*;q=0", false},
		{"gzip;q=0, *", false},
		{"identity", false},
		{"br", false},
	}
	for _, tc := range cases {
		res, body := MustGet(t, srv, "GET", m.AppJS, "Accept-Encoding", tc.accept)
		if got := res.Header.Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q", tc.accept, got)
		}
		gz := res.Header.Get("Content-Encoding") == "gzip"
		if gz != tc.gzip {
			t.Errorf("Accept-Encoding %q: gzip=%v, want %v", tc.accept, gz, tc.gzip)
			continue
		}
		if gz {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			body, err = io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if res.ContentLength >= int64(len(plain)) {
				t.Errorf("gzip body %d bytes, plain %d", res.ContentLength, len(plain))
			}
		}
		if !bytes.Equal(body, plain) {
			t.Errorf("Accept-Encoding %q: body differs from the plain asset", tc.accept)
		}
	}
}

func TestConditionalGet(t *testing.T) {
	srv := MustServer(t, Options{})
	m := MustManifest(t)
	for _, enc := range []string{"", "gzip"} {
		res, _ := MustGet(t, srv, "GET", m.AppCSS, "Accept-Encoding", enc)
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		res, body := MustGet(t, srv, "GET", m.AppCSS, "Accept-Encoding", enc, "If-None-Match", etag)
		if res.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("encoding %q: If-None-Match %s gave %d with %d bytes", enc, etag, res.StatusCode, len(body))
		}
		res, _ = MustGet(t, srv, "GET", m.AppCSS, "Accept-Encoding", enc, "If-None-Match", `"other"`)
		if res.StatusCode != 200 {
			t.Errorf("encoding %q: foreign ETag gave %d", enc, res.StatusCode)
		}
	}
}

func TestMethods(t *testing.T) {
	srv := MustServer(t, Options{})
	res, body := MustGet(t, srv, "HEAD", "/")
	if res.StatusCode != 200 || len(body) != 0 || res.ContentLength <= 0 {
		t.Errorf("HEAD /: %d, %d body bytes, Content-Length %d", res.StatusCode, len(body), res.ContentLength)
	}
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		res, _ := MustGet(t, srv, method, "/")
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d, Allow %q", method, res.StatusCode, res.Header.Get("Allow"))
		}
	}
}

func TestNotFound(t *testing.T) {
	srv := MustServer(t, Options{})
	for _, p := range []string{
		"/nope", "/index.html", "/manifest.json", "/dist/index.html", "/assets/", "/assets/app.js",
		"/images/", "/images/banner.gif", "/css/style.css", "/js/app.js", "/board/x", "/embed.go",
	} {
		res, body := MustGet(t, srv, "GET", p)
		if res.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
		if bytes.Contains(body, []byte("<html")) {
			t.Errorf("GET %s: served the app", p)
		}
		checkSecurityHeaders(t, res, wantCSP)
	}
}

// TestPathTraversal sends each probe byte for byte: nothing outside the
// served tree may come back, only 400 or 404.
func TestPathTraversal(t *testing.T) {
	base := t.TempDir()
	game := filepath.Join(base, "game")
	MustWrite(t, filepath.Join(base, "secret.txt"), "TOP-SECRET-OUTSIDE")
	MustWrite(t, filepath.Join(game, "challenges.json"), "TOP-SECRET-GAME-FILE")
	MustWrite(t, filepath.Join(game, "images", "note.txt"), "TOP-SECRET-IMAGES")
	srv := MustServer(t, Options{GameDir: game})
	probes := []string{
		"/../secret.txt",
		"/../../../../etc/passwd",
		"/images/../../secret.txt",
		"/images/../challenges.json",
		"/assets/../index.html",
		"/images/./banner",
		"/%2e%2e/secret.txt",
		"/%2E%2E/%2E%2E/etc/passwd",
		"/images/%2e%2e/%2e%2e/secret.txt",
		"/images/.%2e/challenges.json",
		"/images/..%2f..%2fsecret.txt",
		"/images%2f..%2f..%2fsecret.txt",
		"/images/%2F..%2Fchallenges.json",
		"/images/..\\..\\secret.txt",
		"/images/%5c..%5c..%5csecret.txt",
		"/images\\note.txt",
		"//etc/passwd",
		"/images//etc/passwd",
		"/images/%2fetc/passwd",
		"/images/C:/Windows/win.ini",
		"/images/note.txt",
		"/images/banner%00.svg",
		"/images/banner.svg%00",
		"/%00",
		"/images/banner/../../secret.txt",
		"http://example.org/../secret.txt",
		"/images/%252e%252e/secret.txt",
		"/images/%c0%ae%c0%ae/secret.txt",
		"/images/..;/secret.txt",
	}
	for _, p := range probes {
		status, body := MustRawGet(t, srv, p)
		if status != 400 && status != 404 {
			t.Errorf("GET %q: status %d, want 400 or 404", p, status)
		}
		if strings.Contains(body, "TOP-SECRET") || strings.Contains(body, "root:") {
			t.Errorf("GET %q: leaked a file: %.60q", p, body)
		}
	}
}

func TestRequestPath(t *testing.T) {
	for _, p := range []string{"/", "/board", "/assets/app.X.js", "/images/banner", "/images/"} {
		u, err := url.ParseRequestURI(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := requestPath(u); !ok || got != p {
			t.Errorf("requestPath(%q) = %q, %v", p, got, ok)
		}
	}
	for _, p := range []string{
		"/..", "/a/../b", "/a/./b", "/%2e%2e/x", "/a/.%2E/b", "/a%2fb", "/a%2Fb", "/a%5cb", "/a\\b",
		"//etc/passwd", "/a//b", "/a%00b", "*",
	} {
		u, err := url.ParseRequestURI(p)
		if err != nil {
			continue // not even a request URI
		}
		if got, ok := requestPath(u); ok {
			t.Errorf("requestPath(%q) accepted as %q", p, got)
		}
	}
}

func MustWrite(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func TestBanner(t *testing.T) {
	builtin, err := distFS.ReadFile("dist/images/banner.svg")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, base, game string)
		body  string // "" means the built-in banner
		ctype string
	}{
		{"no game dir", nil, "", "image/svg+xml"},
		{"game dir without banner", func(t *testing.T, base, game string) {
			MustWrite(t, filepath.Join(game, "challenges.json"), "[]")
		}, "", "image/svg+xml"},
		{"png", func(t *testing.T, base, game string) {
			MustWrite(t, filepath.Join(game, "images", "banner.png"), "PNG-BANNER")
		}, "PNG-BANNER", "image/png"},
		{"jpg wins over png", func(t *testing.T, base, game string) {
			MustWrite(t, filepath.Join(game, "images", "banner.png"), "PNG-BANNER")
			MustWrite(t, filepath.Join(game, "images", "banner.jpg"), "JPG-BANNER")
		}, "JPG-BANNER", "image/jpeg"},
		{"symlink out of the game dir is refused", func(t *testing.T, base, game string) {
			MustWrite(t, filepath.Join(base, "outside.jpg"), "TOP-SECRET-OUTSIDE")
			MustWrite(t, filepath.Join(game, "images", "banner.png"), "PNG-BANNER")
			if err := os.Symlink(filepath.Join(base, "outside.jpg"), filepath.Join(game, "images", "banner.jpg")); err != nil {
				t.Skip("symlinks unsupported:", err)
			}
		}, "PNG-BANNER", "image/png"},
		{"relative symlink out is refused", func(t *testing.T, base, game string) {
			MustWrite(t, filepath.Join(base, "outside.png"), "TOP-SECRET-OUTSIDE")
			if err := os.MkdirAll(filepath.Join(game, "images"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("../../outside.png", filepath.Join(game, "images", "banner.png")); err != nil {
				t.Skip("symlinks unsupported:", err)
			}
		}, "", "image/svg+xml"},
		{"symlink inside images/ is fine", func(t *testing.T, base, game string) {
			MustWrite(t, filepath.Join(game, "images", "logo-2025.png"), "INSIDE-LOGO")
			if err := os.Symlink("logo-2025.png", filepath.Join(game, "images", "banner.png")); err != nil {
				t.Skip("symlinks unsupported:", err)
			}
		}, "INSIDE-LOGO", "image/png"},
		{"symlink out of images/ to the game's .env is refused", func(t *testing.T, base, game string) {
			MustWrite(t, filepath.Join(game, ".env"), "CTFG_ADMIN_TOKEN=TOP-SECRET-ENV")
			if err := os.MkdirAll(filepath.Join(game, "images"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("../.env", filepath.Join(game, "images", "banner.jpg")); err != nil {
				t.Skip("symlinks unsupported:", err)
			}
		}, "", "image/svg+xml"},
		{"images/ symlinked out of the game dir is refused", func(t *testing.T, base, game string) {
			MustWrite(t, filepath.Join(base, "elsewhere", "banner.png"), "TOP-SECRET-OUTSIDE")
			if err := os.Symlink(filepath.Join(base, "elsewhere"), filepath.Join(game, "images")); err != nil {
				t.Skip("symlinks unsupported:", err)
			}
		}, "", "image/svg+xml"},
		{"directory named banner.jpg is skipped", func(t *testing.T, base, game string) {
			MustWrite(t, filepath.Join(game, "images", "banner.jpg", "x"), "x")
			MustWrite(t, filepath.Join(game, "images", "banner.png"), "PNG-BANNER")
		}, "PNG-BANNER", "image/png"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{}
			if tc.setup != nil {
				base := t.TempDir()
				opts.GameDir = filepath.Join(base, "game")
				if err := os.MkdirAll(opts.GameDir, 0o755); err != nil {
					t.Fatal(err)
				}
				tc.setup(t, base, opts.GameDir)
			}
			srv := MustServer(t, opts)
			res, body := MustGet(t, srv, "GET", "/images/banner")
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			want := tc.body
			if want == "" {
				want = string(builtin)
			}
			if string(body) != want {
				t.Errorf("body %.40q, want %.40q", body, want)
			}
			if got := res.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			checkSecurityHeaders(t, res, wantCSP)
		})
	}
}

func TestConnectSrc(t *testing.T) {
	srv := MustServer(t, Options{ConnectSrc: []string{"wss://ctf.example.org", "https://ctf.example.org:8443"}})
	res, _ := MustGet(t, srv, "GET", "/")
	checkSecurityHeaders(t, res, "default-src 'self'; connect-src 'self' wss://ctf.example.org https://ctf.example.org:8443; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	for _, bad := range []string{"", "wss://x; script-src *", "wss://x\r\nX-Evil: 1", "a b", "'unsafe-inline'"} {
		if _, err := Handler(Options{ConnectSrc: []string{bad}}); err == nil {
			t.Errorf("ConnectSrc %q accepted", bad)
		}
	}
}

func BenchmarkServeAsset(b *testing.B) {
	h, err := Handler(Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := MustManifest(b)
	req := httptest.NewRequest("GET", m.AppJS, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
