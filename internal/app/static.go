package app

import "net/http"

// staticHandler serves the web app. Until the embedded app lands it is a
// placeholder page pointing at the API.
func staticHandler(_ Config, _ []string) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>ctfg</title><h1>ctfg</h1><p>The game API is at /api/.</p>"))
	}), nil
}
