package metrics

import (
	"net/http"
	"net/http/pprof"
)

// PrivateHandler is what a private metrics listener serves: GET /metrics
// and the runtime profiles under /debug/pprof/, all behind token when it
// is set. It must never be mounted on the public port: profiles show the
// program's internals and a CPU profile costs CPU.
//
// /debug/pprof/cmdline is left out on purpose: the command line may hold
// a token. (Importing net/http/pprof also registers its handlers on
// http.DefaultServeMux; no ctfg server serves that mux.)
func (m *Metrics) PrivateHandler(token string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// The index still links to cmdline; say plainly that it is not here.
	mux.HandleFunc("/debug/pprof/cmdline", http.NotFound)
	return RequireToken(token, mux)
}
