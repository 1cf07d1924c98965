package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/game"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var errInvalidCredentials = &game.Error{Kind: game.KindUnauthorized, Code: "invalid_credentials"}

// nullableName is a display name that is JSON null while unset.
func nullableName(name string) any {
	if name == "" {
		return nil
	}
	return name
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	var req struct {
		Username optString `json:"username"`
		Password optString `json:"password"`
	}
	if err := decode(w, r, &req); err != nil {
		s.failDecode(w, r, err)
		return
	}
	if !req.Username.Set || !req.Password.Set {
		s.fail(w, r, game.ErrMissingParameters)
		return
	}
	// Only failures are charged, per username and per address: a room of
	// honest players behind one NAT logs in at once without a 429.
	userKey, addrKey := "u:"+req.Username.V, "a:"+s.clientAddr(r)
	if userOK, addrOK := s.limits.loginUser.Ready(userKey), s.limits.loginAddr.Ready(addrKey); !userOK || !addrOK {
		limiter := "login_user"
		if userOK {
			limiter = "login_addr"
		}
		s.rateLimitedBy(w, r, limiter, max(s.limits.loginUser.RetryAfter(userKey), s.limits.loginAddr.RetryAfter(addrKey)))
		return
	}
	p, ok := s.cfg.Engine.State().PlayerByUsername(req.Username.V)
	stored := ""
	if ok {
		stored, _ = s.cfg.Engine.Password(p.ID)
	}
	if !s.cfg.Passwords.Check(stored, req.Password.V) || !ok {
		s.limits.loginUser.Charge(userKey)
		s.limits.loginAddr.Charge(addrKey)
		if s.cfg.OnLogin != nil {
			s.cfg.OnLogin(false)
		}
		s.fail(w, r, errInvalidCredentials)
		return
	}
	if s.cfg.OnLogin != nil {
		s.cfg.OnLogin(true)
	}
	token, err := s.cfg.Sessions.Create(r.Context(), p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setLogPlayer(r, p.ID)
	s.setSessionCookie(w, r, token)
	writeJSON(w, http.StatusOK, map[string]any{
		"displayname":   nullableName(p.Name),
		"needs_name":    p.Name == "",
		"websocket_url": s.streamURL(r, p.ID, auth.KeyOf(token)),
	})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, _ int64) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.cfg.Sessions.Delete(r.Context(), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
		if s.cfg.OnLogout != nil {
			s.cfg.OnLogout(auth.KeyOf(c.Value))
		}
	}
	clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	id, err := s.sessionUser(r)
	if err != nil {
		if errors.Is(err, auth.ErrNoSession) {
			writeError(w, http.StatusUnauthorized, "no session")
			return
		}
		s.fail(w, r, err)
		return
	}
	setLogPlayer(r, id)
	p, _ := s.cfg.Engine.State().Player(id)
	writeJSON(w, http.StatusOK, map[string]any{
		"username":      p.Username,
		"displayname":   nullableName(p.Name),
		"needs_name":    p.Name == "",
		"websocket_url": s.streamURL(r, id, sessionKey(r)),
		"player_id":     p.ID,
		"total":         p.Score,
	})
}

func (s *Server) handleSetName(w http.ResponseWriter, r *http.Request, player int64) {
	if !s.limits.setName.Allow(playerKey(player)) {
		s.rateLimitedBy(w, r, "set_name", s.limits.setName.RetryAfter(playerKey(player)))
		return
	}
	var req struct {
		Name optString `json:"name"`
	}
	if err := decode(w, r, &req); err != nil {
		s.failDecode(w, r, err)
		return
	}
	if !req.Name.Set {
		s.fail(w, r, game.NewError(game.KindInvalid, "Please choose a display name."))
		return
	}
	name, err := s.cfg.Engine.SetName(r.Context(), player, req.Name.V)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": "ok", "displayname": name})
}

func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request, player int64) {
	key := playerKey(player)
	// Only wrong guesses are charged; while the bucket is empty every
	// submission is refused, so guessing is slowed but playing fast is not.
	if !s.limits.submit.Ready(key) {
		s.rateLimitedBy(w, r, "submit", s.limits.submit.RetryAfter(key))
		return
	}
	var req struct {
		ID   flexInt   `json:"id"`
		Flag optString `json:"flag"`
	}
	if err := decode(w, r, &req); err != nil {
		s.failDecode(w, r, err)
		return
	}
	if !req.ID.Set || !req.Flag.Set {
		s.fail(w, r, game.ErrMissingParameters)
		return
	}
	res, err := s.cfg.Engine.Submit(r.Context(), player, req.ID.V, req.Flag.V)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch res.Outcome {
	case engine.Correct:
		writeJSON(w, http.StatusOK, map[string]any{"result": "correct", "points": res.Points, "total": res.Total})
	case engine.AlreadySolved:
		writeJSON(w, http.StatusOK, map[string]any{"result": "already_solved", "total": res.Total})
	default:
		s.limits.submit.Charge(key)
		if s.cfg.OnWrongFlag != nil {
			s.cfg.OnWrongFlag(player, req.ID.V, req.Flag.V)
		}
		writeJSON(w, http.StatusOK, map[string]any{"result": "incorrect"})
	}
}

func (s *Server) handleHint(w http.ResponseWriter, r *http.Request, player int64) {
	if !s.limits.hint.Allow(playerKey(player)) {
		s.rateLimitedBy(w, r, "hint", s.limits.hint.RetryAfter(playerKey(player)))
		return
	}
	var req struct {
		ID     flexInt `json:"id"`
		HintID flexInt `json:"hint_id"`
	}
	if err := decode(w, r, &req); err != nil {
		s.failDecode(w, r, err)
		return
	}
	if !req.ID.Set || !req.HintID.Set {
		s.fail(w, r, game.ErrMissingParameters)
		return
	}
	res, err := s.cfg.Engine.BuyHint(r.Context(), player, req.ID.V, req.HintID.V)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, _ := s.cfg.Engine.State().Player(player)
	text := s.cfg.Engine.Placeholders().Expand(res.Text, &p)
	writeJSON(w, http.StatusOK, map[string]any{"result": "ok", "text": text, "total": res.Total})
}

func (s *Server) handleScoreboard(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.cfg.PublicScoreboard {
		id, err := s.sessionUser(r)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		setLogPlayer(r, id)
	}
	board, last := s.cfg.Engine.State().Scoreboard()
	if board == nil {
		board = []game.Standing{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"players": board, "last_id": last})
}

func (s *Server) handleBoard(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	var viewer int64
	var session auth.SessionKey // none: a public board's token outlives logouts
	if !s.cfg.PublicScoreboard {
		id, err := s.sessionUser(r)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		viewer, session = id, sessionKey(r)
	}
	writeJSON(w, http.StatusOK, map[string]any{"public": s.cfg.PublicScoreboard, "websocket_url": s.streamURL(r, viewer, session)})
}
