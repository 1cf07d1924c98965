package httpapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
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
