package httpapi

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"time"

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
	p, ok := s.checkLogin(w, r, req.Username.V, req.Password.V)
	if !ok {
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

// loginGateWait is how long a login waits for its address's turn at the
// password check before it is refused (429): long enough for a room to
// get through bcrypt on a small server, as it would have queued for the
// CPU anyway.
const loginGateWait = 30 * time.Second

// loginGateSize is how many password checks of one client address run at
// once: enough to use the cores, few enough that the address's bucket
// (60 by default) is never emptied by reservations of checks that will
// succeed.
var loginGateSize = min(runtime.GOMAXPROCS(0), 8)

// checkLogin checks a username and password under the login limits and
// returns the player, or answers 401 or 429 itself. The checks of one
// address take turns (loginGate): every check reserves its tokens first,
// and a room of honest players logging in at once on a slow bcrypt must
// wait for each other's refunds rather than be refused because many
// checks are in flight.
func (s *Server) checkLogin(w http.ResponseWriter, r *http.Request, username, password string) (game.Player, bool) {
	userKey, addrKey := "u:"+username, "a:"+s.clientAddr(r)
	ctx, cancel := context.WithTimeout(r.Context(), loginGateWait)
	defer cancel()
	leave, err := s.loginGate.Enter(ctx, addrKey)
	if err != nil {
		if r.Context().Err() != nil {
			s.fail(w, r, r.Context().Err()) // the client is gone
		} else {
			s.rateLimitedBy(w, r, "login_addr", time.Second)
		}
		return game.Player{}, false
	}
	defer leave()
	lease, ok := s.reserveLogin(w, r, userKey, addrKey)
	if !ok {
		return game.Player{}, false
	}
	// Across instances, the username's budget is one: the address
	// buckets stay per instance (an address is usually behind one
	// balancer route anyway), but an account is guessed at through all.
	if ok, wait, err := s.takeShared(r, "login_user", userKey, s.cfg.Limits.LoginUser); err != nil || !ok {
		lease.refund()
		if err != nil {
			s.fail(w, r, err)
		} else {
			s.rateLimitedBy(w, r, "login_user", wait)
		}
		return game.Player{}, false
	}
	p, known := s.cfg.Engine.State().PlayerByUsername(username)
	known = known && !p.Removed && !p.IsTeam
	stored := ""
	if known {
		// A registered account's hash may need a read of the store (an
		// account made on another instance); its failure is not the
		// client's, so nothing stays charged.
		var err error
		if stored, _, err = s.cfg.Engine.Password(r.Context(), p.ID); err != nil {
			lease.refund()
			s.returnShared("login_user", userKey, s.cfg.Limits.LoginUser)
			s.fail(w, r, err)
			return game.Player{}, false
		}
	}
	// An unknown username is checked too (against a dummy), so a failure
	// takes as long whether or not the account exists.
	if !s.cfg.Passwords.Check(stored, password) || !known {
		// The reserved tokens stay taken: only failures are charged.
		if s.cfg.OnLogin != nil {
			s.cfg.OnLogin(false)
		}
		s.fail(w, r, errInvalidCredentials)
		return game.Player{}, false
	}
	lease.refund()
	s.returnShared("login_user", userKey, s.cfg.Limits.LoginUser)
	return p, true
}

// loginLease is what reserveLogin took for one password check.
type loginLease struct {
	s                *Server
	userKey, addrKey string
	userN            float64 // tokens taken from the username's bucket
	spare            bool    // the address's spare token was taken, not its loginAddr one
}

// refund gives the tokens back after a successful login: valid
// credentials are never charged.
func (l loginLease) refund() {
	l.s.limits.loginUser.RefundN(l.userKey, l.userN)
	if l.spare {
		l.s.limits.loginSpare.Refund(l.addrKey)
	} else {
		l.s.limits.loginAddr.Refund(l.addrKey)
	}
}

// reserveLogin takes what one password check costs before the password is
// compared, or answers 429. The tokens are kept if the password is wrong
// and refunded if it is right, so only failures are charged, and no
// number of concurrent requests gets more checks (bcrypt work included)
// than the buckets hold:
//
//   - normally one token from the username's bucket and one from the
//     address's;
//   - when the address's bucket is empty (a room behind one NAT after
//     typos, or someone there guessing at an account), the check still
//     runs for a username with no recent failures — its bucket full, and
//     all of it taken — and one token of the address's spare bucket. So
//     valid credentials get through while one person guesses; a wrong
//     password there costs the username a full refill period (one such
//     check per username per minute by default), and the spare bucket
//     bounds the checks (and bcrypt work) one address gets by spraying
//     usernames at twice the address limit.
func (s *Server) reserveLogin(w http.ResponseWriter, r *http.Request, userKey, addrKey string) (loginLease, bool) {
	users, addrs, spare := s.limits.loginUser, s.limits.loginAddr, s.limits.loginSpare
	lease := loginLease{s: s, userKey: userKey, addrKey: addrKey, userN: 1}
	addrOK, addrWait := addrs.Reserve(addrKey)
	if addrOK {
		if ok, wait := users.Reserve(userKey); !ok {
			addrs.Refund(addrKey)
			s.rateLimitedBy(w, r, "login_user", wait)
			return lease, false
		}
		return lease, true
	}
	lease.userN, lease.spare = users.Burst(), true
	spareOK, spareWait := spare.Reserve(addrKey)
	if spareOK {
		if ok, _ := users.ReserveN(userKey, lease.userN); ok {
			return lease, true
		}
		spare.Refund(addrKey)
	}
	// Refused. The check can run once the address and the username have a
	// token each, or once the username's bucket is full and the spare
	// bucket has a token.
	oneWait, fullWait := users.RetryAfter(userKey), users.RetryAfterN(userKey, lease.userN)
	wait := min(max(addrWait, oneWait), max(fullWait, spareWait))
	limiter := "login_addr"
	if oneWait > 0 {
		limiter = "login_user"
	}
	s.rateLimitedBy(w, r, limiter, wait)
	return lease, false
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, player int64) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.cfg.Sessions.Delete(r.Context(), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
		// The session is gone from the store; the logout event tells every
		// instance to drop it from its cache and close its sockets.
		if err := s.cfg.Engine.Logout(r.Context(), player, auth.KeyOf(c.Value).String()); err != nil {
			s.fail(w, r, err)
			return
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
	st := s.cfg.Engine.State()
	p, _ := st.Player(id)
	// total is the scorer's true score (the team's in team mode);
	// board_total the one everyone else sees (as at the freeze while one
	// is on).
	sid := st.Scorer(id)
	scorer, _ := st.Player(sid)
	pub, _ := st.PublicPlayer(sid, s.now())
	me := map[string]any{
		"username":      p.Username,
		"displayname":   nullableName(p.Name),
		"needs_name":    p.Name == "",
		"websocket_url": s.streamURL(r, id, sessionKey(r)),
		"player_id":     p.ID,
		"total":         scorer.Score,
		"board_total":   pub.Score,
	}
	if st.TeamMode() {
		// team_id is the id the team has on the board and in frames
		// (null: no team yet).
		me["team_id"], me["team"] = nil, nil
		if sid != 0 {
			me["team_id"], me["team"] = sid, scorer.Name
		}
	}
	writeJSON(w, http.StatusOK, me)
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
	res, err := s.submit(r, player, req.ID.V, req.Flag.V)
	// The one place every submission is logged, whatever became of it.
	if result, ok := engine.SubmissionResultOf(res, err); ok {
		s.cfg.Engine.RecordSubmission(player, req.ID.V, result, s.clientAddr(r), req.Flag.V)
	}
	var limited *rateLimitError
	switch {
	case errors.As(err, &limited):
		s.rateLimitedBy(w, r, "submit", limited.wait)
	case err != nil:
		s.fail(w, r, err)
	case res.Outcome == engine.Correct:
		writeJSON(w, http.StatusOK, map[string]any{"result": "correct", "points": res.Points, "total": res.Total})
	case res.Outcome == engine.AlreadySolved:
		writeJSON(w, http.StatusOK, map[string]any{"result": "already_solved", "total": res.Total})
	case res.Outcome == engine.Practice:
		// After the end in practice mode: right, shown as solved, never
		// scored.
		writeJSON(w, http.StatusOK, map[string]any{"result": "practice", "total": res.Total})
	default:
		if s.cfg.OnWrongFlag != nil {
			s.cfg.OnWrongFlag(player, req.ID.V, req.Flag.V)
		}
		writeJSON(w, http.StatusOK, map[string]any{"result": "incorrect"})
	}
}

// submit judges a flag guess under the submit rate limit and records a
// right one. A refusal by the limit is a *rateLimitError.
//
// A token is reserved before the guess is judged and kept only for a
// wrong guess. Checking first and charging after the answer let every
// concurrent guess through (held request bodies line them up); a
// reservation cannot be outrun. While the bucket is empty every
// submission is refused, right or wrong, so guessing is slowed but
// playing fast is not. Judging reads only memory: the token is back
// before a right flag's commit, so a script submitting many right flags
// at once holds few tokens, briefly.
//
// With several instances, the player's bucket in the shared database
// decides first, and the reservation, judgment and refund above run
// while that bucket is locked (chargeShared), which loses its token only
// to a wrong guess: neither bucket is held across a round trip to the
// database, where a burst of right flags would queue up.
func (s *Server) submit(r *http.Request, player int64, id int, flag string) (engine.SubmitResult, error) {
	key := playerKey(player)
	var (
		res             engine.SubmitResult
		err             error
		reserved, wrong bool
		reserveWait     time.Duration
	)
	ok, wait, serr := s.chargeShared(r, "submit", key, s.cfg.Limits.Submit, func() bool {
		if reserved, reserveWait = s.limits.submit.Reserve(key); !reserved {
			return false
		}
		res, err = s.cfg.Engine.Judge(player, id, flag)
		if wrong = err == nil && res.Outcome == engine.Incorrect; !wrong {
			// Right, already solved, or not a guess at all (unknown or
			// locked challenge): free.
			s.limits.submit.Refund(key)
		}
		return wrong
	})
	switch {
	case serr != nil:
		if wrong {
			s.limits.submit.Refund(key) // the player never learns the answer
		}
		return engine.SubmitResult{}, serr
	case !ok:
		return engine.SubmitResult{}, &rateLimitError{wait}
	case !reserved:
		return engine.SubmitResult{}, &rateLimitError{reserveWait}
	}
	if err == nil && res.Outcome == engine.Correct {
		res, err = s.cfg.Engine.Submit(r.Context(), player, id, flag)
		if err == nil && res.Outcome == engine.Incorrect {
			// The game's flags were reloaded in between: the guess is
			// wrong after all, and pays like one.
			s.limits.submit.Allow(key)
			s.chargeShared(r, "submit", key, s.cfg.Limits.Submit, func() bool { return true })
		}
	}
	return res, err
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

// boardViewer applies the rule of everything the projector board shows
// (scoreboard, board, announcements): anyone may read it when the
// scoreboard is public, else only a logged-in player, whose id it returns
// (0 for an anonymous reader of a public board). It answers 401 itself.
func (s *Server) boardViewer(w http.ResponseWriter, r *http.Request) (int64, bool) {
	if s.cfg.PublicScoreboard {
		return 0, true
	}
	id, err := s.sessionUser(r)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return 0, false
	}
	setLogPlayer(r, id)
	return id, true
}

func (s *Server) handleScoreboard(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, ok := s.boardViewer(w, r); !ok {
		return
	}
	now := s.now()
	st := s.cfg.Engine.State()
	board, last := st.Scoreboard(now)
	if board == nil {
		board = []game.Standing{}
	}
	freeze, _ := st.Clock().Freeze()
	writeJSON(w, http.StatusOK, map[string]any{"players": board, "last_id": last, "frozen": st.Frozen(now), "freeze": optTime(freeze)})
}

func (s *Server) handleBoard(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	viewer, ok := s.boardViewer(w, r)
	if !ok {
		return
	}
	var session auth.SessionKey // none: a public board's token outlives logouts
	if viewer != 0 {
		session = sessionKey(r)
	}
	writeJSON(w, http.StatusOK, map[string]any{"public": s.cfg.PublicScoreboard, "websocket_url": s.streamURL(r, viewer, session)})
}
