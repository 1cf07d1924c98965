package httpapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPlayer
)

// requestInfo is filled in by handlers for the access log.
type requestInfo struct {
	id     string
	player int64
}

func requestID(r *http.Request) string {
	if ri, ok := r.Context().Value(keyRequestID).(*requestInfo); ok {
		return ri.id
	}
	return ""
}

func setLogPlayer(r *http.Request, id int64) {
	if ri, ok := r.Context().Value(keyRequestID).(*requestInfo); ok {
		ri.player = id
	}
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter records the status and size of a response. It keeps the
// Hijacker and Flusher of the writer it wraps (the scorestream needs them).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("httpapi: hijack not supported")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware wraps every request: request id, panic recovery, body limit
// and one access-log line. The log line carries the path without its
// query string: scorestream tokens travel there.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{id: newRequestID()}
		r = r.WithContext(context.WithValue(r.Context(), keyRequestID, ri))
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("X-Request-Id", ri.id)
		if r.Body != nil {
			r.Body = http.MaxBytesReader(sw, r.Body, MaxBodyBytes)
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "request_id", ri.id, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if s.cfg.OnError != nil {
					s.cfg.OnError(r, fmt.Errorf("panic: %v", v))
				}
				if sw.status == 0 {
					writeError(sw, http.StatusInternalServerError, "internal_error")
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := routeLabel(r.Pattern, status)
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
				slog.Int("bytes", sw.bytes),
				slog.String("request_id", ri.id),
			}
			if ri.player != 0 {
				attrs = append(attrs, slog.Int64("player", ri.player))
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
			if s.cfg.OnRequest != nil {
				s.cfg.OnRequest(route, r.Method, status, time.Since(start))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// routeUnmatched is the route label of a request that no route matched.
const routeUnmatched = "unmatched"

// routeLabel is the route a request is logged and counted under
// (docs/OPERATIONS.md, "Metrics"): its pattern ("POST /api/submit"); for
// a method the route does not take (405), the route's path alone
// ("/api/submit"); "/" for the web app's files; and routeUnmatched for a
// 404 of the catch-alls "/" and "/api/" or a request the mux answered
// without a pattern. Every value comes from the routing table, never
// from the request, so the label set is small and fixed.
func routeLabel(pattern string, status int) string {
	switch {
	case pattern == "", pattern == "/api/":
		return routeUnmatched
	case pattern == "/" && status == http.StatusNotFound:
		return routeUnmatched
	}
	return pattern
}

// clientAddr is the address rate limits key on: the peer, or with
// TrustProxy the last address of X-Forwarded-For (else X-Real-IP). The
// last one is what the trusted proxy appended — the address it saw;
// anything before it came from the client and could be forged to dodge
// the per-address limits.
func (s *Server) clientAddr(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := strings.Join(r.Header.Values("X-Forwarded-For"), ","); xff != "" {
			last := xff[strings.LastIndexByte(xff, ',')+1:]
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip.String()
			}
		}
		if ip := net.ParseIP(strings.TrimSpace(r.Header.Get("X-Real-IP"))); ip != nil {
			return ip.String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// The refusals of requests a browser was tricked into sending.
var (
	errCrossSite = game.NewError(game.KindForbidden, "cross_site")
	errNotJSON   = game.NewError(game.KindUnsupported, "unsupported_media_type")
)

// newCrossOrigin is the cross-site request check, trusting the extra
// origins (normalized like the scorestream's allow-list: case and a
// trailing slash do not matter). An origin that is not scheme://host[:port]
// could never match a browser's Origin header; it is logged and skipped.
func newCrossOrigin(origins []string, log *slog.Logger) *http.CrossOriginProtection {
	c := http.NewCrossOriginProtection()
	for _, o := range origins {
		o = strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/")
		if err := c.AddTrustedOrigin(o); err != nil {
			log.Warn("allowed origin ignored for cross-site checks", "err", err)
		}
	}
	return c
}

// sameOrigin refuses (403 cross_site) a state-changing request that a
// page of another origin made the browser send with the player's cookie
// (CSRF). Sibling ports and subdomains count as other sites: CTFs host
// challenge sites there. Browsers say where a request comes from in
// Sec-Fetch-Site (same-origin and none pass); older ones only in Origin,
// which must then name this server (Host, or X-Forwarded-Host behind a
// trusted proxy) or an --allowed-origins entry. Requests with neither
// header are not from a browser and pass (curl, scripts, the emulator).
// net/http's CrossOriginProtection makes the decision.
func (s *Server) sameOrigin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.origins.Check(r); err != nil && !s.forwardedSameOrigin(r) {
			s.log.InfoContext(r.Context(), "cross-site request refused", "request_id", requestID(r),
				"path", r.URL.Path, "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "origin", r.Header.Get("Origin"))
			s.fail(w, r, errCrossSite)
			return
		}
		h(w, r)
	}
}

// forwardedSameOrigin reports whether a request without Sec-Fetch-Site
// comes from a page of this server as the trusted proxy's clients see it:
// a proxy that rewrites Host passes the public one in X-Forwarded-Host.
func (s *Server) forwardedSameOrigin(r *http.Request) bool {
	if !s.cfg.TrustProxy || r.Header.Get("Sec-Fetch-Site") != "" {
		return false
	}
	fh := strings.TrimSpace(r.Header.Get("X-Forwarded-Host"))
	o, err := url.Parse(r.Header.Get("Origin"))
	return fh != "" && err == nil && o.Host != "" && strings.EqualFold(o.Host, fh)
}

// jsonBody refuses (415 unsupported_media_type) a body not declared as
// application/json (parameters such as charset allowed). A page can make
// a browser send text/plain or form bodies to any site without asking;
// a JSON content type needs a CORS preflight, which ctfg never grants.
func (s *Server) jsonBody(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !isJSONType(r.Header.Get("Content-Type")) {
			s.fail(w, r, errNotJSON)
			return
		}
		h(w, r)
	}
}

func isJSONType(ct string) bool {
	if ct == "application/json" {
		return true // what every client in the repo sends: no parsing
	}
	mt, _, err := mime.ParseMediaType(ct)
	return mt == "application/json" && (err == nil || errors.Is(err, mime.ErrInvalidMediaParameter))
}
