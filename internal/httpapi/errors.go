package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// statusOf maps an error kind to its status code; the one place that does.
func statusOf(k game.Kind) int {
	switch k {
	case game.KindInvalid:
		return http.StatusBadRequest
	case game.KindUnauthorized:
		return http.StatusUnauthorized
	case game.KindPaymentRequired:
		return http.StatusPaymentRequired
	case game.KindForbidden:
		return http.StatusForbidden
	case game.KindNotFound:
		return http.StatusNotFound
	case game.KindConflict:
		return http.StatusConflict
	case game.KindRateLimited:
		return http.StatusTooManyRequests
	case game.KindUnavailable:
		return http.StatusServiceUnavailable
	case game.KindUnsupported:
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusInternalServerError
	}
}

// fail answers with the error's status and code. Internal errors are
// logged once here, with the request id, and hidden from the client
// outside developer mode.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ge *game.Error
	if errors.As(err, &ge) {
		writeError(w, statusOf(ge.Kind), ge.Code)
		return
	}
	if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads this answer.
		writeError(w, 499, "canceled")
		return
	}
	s.log.ErrorContext(r.Context(), "internal error", "route", r.Pattern, "request_id", requestID(r), "err", err)
	if s.cfg.OnError != nil {
		s.cfg.OnError(r, err)
	}
	code := "internal_error"
	if s.cfg.DevMode {
		code = "internal_error: " + err.Error()
	}
	writeError(w, http.StatusInternalServerError, code)
}

// writeJSON writes v as a JSON response. HTML is not escaped: the
// content type is JSON, and descriptions are full of markup.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal_error"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeError writes {"error": code}.
func writeError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

// rateLimitError is a refusal by a rate limiter that a handler gets as
// an error (so that it logs the submission like any other answer) and
// answers with rateLimitedBy. It is game.ErrRateLimited for errors.Is.
type rateLimitError struct{ wait time.Duration }

func (e *rateLimitError) Error() string { return game.ErrRateLimited.Error() }
func (e *rateLimitError) Unwrap() error { return game.ErrRateLimited }

// rateLimited answers 429 for the route's own limiter; the metrics name
// the limiter after the route ("POST /api/award" counts as "award").
// Where a route has several limiters, call rateLimitedBy.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	name := r.Pattern
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	s.rateLimitedBy(w, r, name, wait)
}

// rateLimitedBy answers 429 with a Retry-After header (whole seconds,
// rounded up, at least 1) and reports which limiter refused.
func (s *Server) rateLimitedBy(w http.ResponseWriter, r *http.Request, limiter string, wait time.Duration) {
	if s.cfg.OnRateLimited != nil {
		s.cfg.OnRateLimited(limiter)
	}
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.fail(w, r, game.ErrRateLimited)
}
