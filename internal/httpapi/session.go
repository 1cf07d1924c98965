package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/game"
)

var errNoSession = &game.Error{Kind: game.KindUnauthorized, Code: "unauthorized"}

// sessionUser returns the player of the request's session cookie.
func (s *Server) sessionUser(r *http.Request) (int64, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return 0, auth.ErrNoSession
	}
	id, err := s.cfg.Sessions.User(r.Context(), c.Value)
	if err != nil {
		return 0, err
	}
	if p, ok := s.cfg.Engine.State().Player(id); !ok || p.Removed {
		// A user removed from credentials.csv, or by the admin, since the
		// login.
		return 0, auth.ErrNoSession
	}
	return id, nil
}

// sessionKey is the key of the request's session cookie, the one
// sessionUser checked (zero without a cookie).
func sessionKey(r *http.Request) auth.SessionKey {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return auth.SessionKey{}
	}
	return auth.KeyOf(c.Value)
}

// authedHandler is a handler that needs a logged-in player.
type authedHandler func(w http.ResponseWriter, r *http.Request, player int64)

// authed requires a session (401 without), applies the general
// per-player request cap and marks the response uncacheable.
func (s *Server) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		id, err := s.sessionUser(r)
		if err != nil {
			if errors.Is(err, auth.ErrNoSession) {
				writeError(w, http.StatusUnauthorized, "unauthorized")
				return
			}
			s.fail(w, r, err)
			return
		}
		setLogPlayer(r, id)
		if !s.limits.request.Allow(playerKey(id)) {
			s.rateLimitedBy(w, r, "request", s.limits.request.RetryAfter(playerKey(id)))
			return
		}
		h(w, r, id)
	}
}

func playerKey(id int64) string {
	return "p:" + itoa(id)
}

// setSessionCookie hands the browser its session token.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	setCookie(w, r, s.cfg.TrustProxy, SessionCookie, token, "/", int(sessionMaxAge.Seconds()), http.SameSiteLaxMode)
}

// setCookie sets an HttpOnly cookie, Secure when the request came over
// TLS; maxAge -1 deletes it.
func setCookie(w http.ResponseWriter, r *http.Request, trustProxy bool, name, value, path string, maxAge int, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   isHTTPS(r, trustProxy),
		SameSite: sameSite,
	})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func isHTTPS(r *http.Request, trustProxy bool) bool {
	if r.TLS != nil {
		return true
	}
	return trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// streamURL is the scorestream URL, with a fresh token bound to session
// (so that its logout revokes it), handed to a browser: the configured
// --websocket-url, or one derived from the request's host and scheme.
func (s *Server) streamURL(r *http.Request, player int64, session auth.SessionKey) string {
	token := url.QueryEscape(s.cfg.Tokens.Issue(player, session))
	if base := s.cfg.WebSocketURL; base != "" {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		return base + sep + "token=" + token
	}
	scheme := "ws"
	if isHTTPS(r, s.cfg.TrustProxy) {
		scheme = "wss"
	}
	host := r.Host
	if s.cfg.TrustProxy {
		if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
			host = fh
		}
	}
	return scheme + "://" + host + "/scorestream?token=" + token
}
