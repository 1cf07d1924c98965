// Package web serves ctfg's single-page app from files embedded in the
// binary (dist/, built from src/ by build.mjs and committed, so that
// `go build` needs no Node), plus the game directory's banner.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
)

//go:embed all:dist
var distFS embed.FS

// Options configures Handler.
type Options struct {
	// DevMode turns off long caching of hashed assets.
	DevMode bool
	// GameDir is where images/banner.jpg or images/banner.png may be;
	// "" serves only the built-in banner.
	GameDir string
	// ConnectSrc lists extra Content-Security-Policy connect-src sources,
	// e.g. "wss://ctf.example.org" when --websocket-url points elsewhere.
	ConnectSrc []string
	// Logger receives problems worth an operator's attention; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Cache-Control values.
const (
	cacheImmutable  = "public, max-age=31536000, immutable" // one year
	cacheRevalidate = "no-cache"
)

// Served from the embedded dist/ under these URL prefixes; nothing else
// of dist/ (manifest.json) is public.
var servedPrefixes = []string{"assets/", "css/", "js/", "images/"}

// asset is one embedded file, ready to send.
type asset struct {
	body  []byte
	gz    []byte // nil when gzip does not pay off
	ctype string
	etag  string // strong ETag of body; the gzip form gets a suffix
	cache string
}

type handler struct {
	assets  map[string]*asset // by URL path
	banner  *asset            // the built-in banner
	gameDir string
	csp     string
	log     *slog.Logger
}

// Handler returns the web app's handler: GET and HEAD of "/", "/board",
// "/assets/*", "/css/*", "/js/*", "/images/*", "/images/banner" and
// "/favicon.ico" when shipped; 404 for anything else, 400 for a path that
// tries to leave its directory.
func Handler(opts Options) (http.Handler, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	csp, err := contentSecurityPolicy(opts.ConnectSrc)
	if err != nil {
		return nil, err
	}
	h := &handler{assets: map[string]*asset{}, gameDir: opts.GameDir, csp: csp, log: log}

	assetCache := cacheImmutable
	if opts.DevMode {
		assetCache = cacheRevalidate
	}
	err = fs.WalkDir(distFS, "dist", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(name, "dist/")
		served := rel == "favicon.ico"
		for _, p := range servedPrefixes {
			served = served || strings.HasPrefix(rel, p)
		}
		if !served {
			return nil
		}
		cache := cacheRevalidate
		if strings.HasPrefix(rel, "assets/") {
			cache = assetCache
		}
		a, err := loadAsset(name, cache)
		if err != nil {
			return err
		}
		h.assets["/"+rel] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read embedded files: %w", err)
	}
	index, err := loadAsset("dist/index.html", cacheRevalidate)
	if err != nil {
		return nil, fmt.Errorf("web: embedded index.html: %w", err)
	}
	h.assets["/"] = index
	h.assets["/board"] = index
	if h.banner = h.assets["/images/banner.svg"]; h.banner == nil {
		return nil, errors.New("web: embedded images/banner.svg is missing")
	}
	if opts.GameDir != "" {
		h.checkBanner()
	}
	return h, nil
}

func loadAsset(name, cache string) (*asset, error) {
	body, err := distFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	a := &asset{
		body:  body,
		ctype: contentType(name),
		etag:  `"` + hex.EncodeToString(sum[:12]) + `"`,
		cache: cache,
	}
	if compressible(a.ctype) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body) {
			a.gz = buf.Bytes()
		}
	}
	return a, nil
}

// contentType is by extension from a fixed table: the system's MIME
// database differs between machines.
func contentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "application/json") ||
		strings.HasPrefix(ctype, "image/svg+xml") || ctype == "image/x-icon"
}

func contentSecurityPolicy(extra []string) (string, error) {
	connect := "'self'"
	for _, src := range extra {
		if src == "" || strings.ContainsFunc(src, func(r rune) bool {
			return r <= ' ' || r >= 0x7f || r == ';' || r == ',' || r == '\'' || r == '"'
		}) {
			return "", fmt.Errorf("web: connect-src %q is not a valid CSP source", src)
		}
		connect += " " + src
	}
	return "default-src 'self'; connect-src " + connect +
		"; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'", nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	p, ok := requestPath(r.URL)
	if !ok {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	a := h.assets[p]
	if a == nil && p != "/images/banner" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if p == "/images/banner" {
		h.serveBanner(w, r)
		return
	}
	serveAsset(w, r, a)
}

// requestPath returns the request's path when it names a file inside the
// served tree, and false for anything that could step outside it or be
// read differently by another layer: "." and ".." segments (also encoded),
// empty segments ("//"), encoded slashes and backslashes, backslashes and
// NUL bytes. Lookups are exact map hits, so this is defence in depth and a
// clear 400 for probes.
func requestPath(u *url.URL) (string, bool) {
	p := u.Path
	if p == "" || p[0] != '/' {
		return "", false
	}
	raw := strings.ToLower(u.RawPath)
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(raw, "%00") {
		return "", false
	}
	if strings.ContainsAny(p, "\\\x00") {
		return "", false
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		if seg == "." || seg == ".." || (seg == "" && i < len(segs)-1) {
			return "", false
		}
	}
	return p, true
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	hdr := w.Header()
	body, etag := a.body, a.etag
	if a.gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("Content-Type", a.ctype)
	hdr.Set("Cache-Control", a.cache)
	hdr.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		hdr.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptsGzip reads Accept-Encoding (RFC 9110 §12.5.3): gzip is used when
// "gzip" or "*" is listed with a non-zero weight; an explicit gzip entry
// wins over "*".
func acceptsGzip(values []string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			q := 1.0
			for _, param := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil {
						f = 0
					}
					q = f
				}
			}
			switch name {
			case "gzip", "x-gzip":
				gzipQ = q
			case "*":
				starQ = q
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// bannerNames are tried in order inside the game directory's images/.
var bannerNames = []string{"banner.jpg", "banner.png"}

// serveBanner sends the game directory's banner (see openBanner), or else
// the built-in one.
func (h *handler) serveBanner(w http.ResponseWriter, r *http.Request) {
	if h.gameDir != "" {
		if f, info, name := h.openBanner(); f != nil {
			defer f.Close()
			w.Header().Set("Content-Type", contentType(name))
			w.Header().Set("Cache-Control", cacheRevalidate)
			http.ServeContent(w, r, "", info.ModTime(), f)
			return
		}
	}
	serveAsset(w, r, h.banner)
}

// openImages opens the game directory's images/ as an os.Root: neither
// ".." nor a symlink can lead out of it, so a banner symlinked to ../.env
// (inside the game directory, but full of tokens) is never served.
func (h *handler) openImages() (*os.Root, error) {
	game, err := os.OpenRoot(h.gameDir)
	if err != nil {
		return nil, err
	}
	defer game.Close()
	return game.OpenRoot("images")
}

// openBanner opens the first banner that is a regular file under images/.
// The type is checked before the open, and the open does not block, so a
// FIFO (or a device) named banner.jpg cannot hold a goroutine and a thread
// per request; the opened file is checked again in case it was swapped.
func (h *handler) openBanner() (*os.File, fs.FileInfo, string) {
	root, err := h.openImages()
	if err != nil {
		return nil, nil, ""
	}
	defer root.Close()
	for _, name := range bannerNames {
		if info, err := root.Stat(name); err != nil || !info.Mode().IsRegular() {
			continue
		}
		f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			continue
		}
		info, err := f.Stat()
		if err != nil || !info.Mode().IsRegular() {
			f.Close()
			continue
		}
		return f, info, name
	}
	return nil, nil, ""
}

// checkBanner tells the operator at start-up about a banner that exists
// but will not be shown (a symlink out of images/, say).
func (h *handler) checkBanner() {
	game, err := os.OpenRoot(h.gameDir)
	if err != nil {
		h.log.Warn("web: game directory unreadable; showing the built-in banner", "dir", h.gameDir, "err", err)
		return
	}
	root, err := game.OpenRoot("images")
	game.Close()
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		h.log.Warn("web: images directory unusable; showing the built-in banner", "dir", h.gameDir, "err", err)
		return
	}
	defer root.Close()
	for _, name := range bannerNames {
		info, err := root.Stat(name)
		switch {
		case err == nil && info.Mode().IsRegular():
			return
		case err == nil:
			h.log.Warn("web: banner is not a regular file; ignored", "file", "images/"+name)
		case !errors.Is(err, fs.ErrNotExist):
			h.log.Warn("web: banner cannot be used; ignored", "file", "images/"+name, "err", err)
		}
	}
}
