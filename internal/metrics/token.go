package metrics

import (
	"net/http"
	"strings"

	"github.com/ctfg/ctfg/internal/auth"
)

// RequireToken guards h with a bearer token: a request passes only with
// "Authorization: Bearer <token>", compared in constant time; any other
// gets 401 and a JSON error. An empty token guards nothing and returns h.
// The token is never logged or echoed.
func RequireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || got == "" || !auth.Equal(strings.TrimSpace(got), token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ctfg metrics"`)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"unauthorized"}` + "\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
