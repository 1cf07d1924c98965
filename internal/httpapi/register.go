package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/game"
	"golang.org/x/crypto/bcrypt"
)

// The self-registration modes (CTFG_REGISTRATION).
const (
	RegistrationClosed = "closed" // only credentials.csv accounts (the default)
	RegistrationOpen   = "open"   // anyone may create an account
	RegistrationInvite = "invite" // anyone with the organizer's code
)

// Registration configures self-registration. The zero value is closed.
type Registration struct {
	// Mode is RegistrationOpen or RegistrationInvite; anything else, an
	// invite mode without a Code, or a nil PoW or Once is closed.
	Mode string
	// Code is the registration code of invite mode, compared in constant
	// time. Never logged.
	Code string
	// PoW issues and checks the proof of work every registration needs.
	PoW *auth.PoW
	// Once records used nonces, so each is accepted once on every
	// instance (the store's UseOnce).
	Once func(ctx context.Context, key string, expires, now time.Time) (bool, error)
	// Cost is the bcrypt cost of new accounts' hashes; 0 is
	// bcrypt.DefaultCost.
	Cost int
	// Hash, when set, replaces bcrypt (tests hold requests in it).
	Hash func(password string) (string, error)
}

// mode returns the effective mode.
func (g Registration) mode() string {
	switch {
	case g.PoW == nil || g.Once == nil:
		return RegistrationClosed
	case g.Mode == RegistrationOpen:
		return RegistrationOpen
	case g.Mode == RegistrationInvite && g.Code != "":
		return RegistrationInvite
	}
	return RegistrationClosed
}

// The refusals of registration (400 unless noted).
var (
	errRegistrationClosed = game.NewError(game.KindForbidden, "registration_closed") // 403
	errInvalidCode        = game.NewError(game.KindInvalid, "invalid_code")
	errPoWInvalid         = game.NewError(game.KindInvalid, "pow_invalid")
	errPoWExpired         = game.NewError(game.KindInvalid, "pow_expired")
)

// registerRequest is the body of POST /api/register.
type registerRequest struct {
	Username optString `json:"username"`
	Password optString `json:"password"`
	Code     optString `json:"code"`
	PoW      powAnswer `json:"pow"`
}

// powAnswer is a solved challenge: {"nonce": "...", "counter": N}. Keys
// match exactly (not ignoring case, as encoding/json would), and the
// counter is a non-negative integer, as a JSON number or a string of
// digits.
type powAnswer struct {
	Nonce   string
	Counter uint64
	Set     bool
}

func (p *powAnswer) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var nonce string
	if err := json.Unmarshal(m["nonce"], &nonce); err != nil || len(m["nonce"]) == 0 {
		return &json.UnmarshalTypeError{Value: "pow.nonce", Type: powNonceType}
	}
	raw := m["counter"]
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		raw = []byte(s)
	}
	n, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "pow.counter", Type: powCounterType}
	}
	*p = powAnswer{Nonce: nonce, Counter: n, Set: true}
	return nil
}

var (
	powNonceType   = reflect.TypeOf("")
	powCounterType = reflect.TypeOf(uint64(0))
)

// handleRegistration tells the web app whether it may offer to create
// an account, and how hard the proof of work is.
func (s *Server) handleRegistration(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	reg := s.cfg.Registration
	bits := 0
	if reg.mode() != RegistrationClosed {
		bits = reg.PoW.Bits()
	}
	writeJSON(w, http.StatusOK, struct {
		Mode    string `json:"mode"`
		PoWBits int    `json:"pow_bits"`
	}{reg.mode(), bits})
}

// handleRegistrationChallenge hands out a proof-of-work challenge. It is
// stateless (a signed nonce), so it costs one HMAC and needs no limit of
// its own.
func (s *Server) handleRegistrationChallenge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.Registration.mode() == RegistrationClosed {
		s.fail(w, r, errRegistrationClosed)
		return
	}
	writeJSON(w, http.StatusOK, s.cfg.Registration.PoW.Issue())
}

// handleRegister creates an account and logs it in: decode, check the
// rules, reserve the address's token, check the proof of work and the
// code, hash the password, create the account, start a session.
//
// The address's token is reserved before any work that costs (the proof
// check and its store write, bcrypt, the account's commit), so requests
// held in flight cannot together get more than the bucket holds. It is
// kept for every answer the client caused — an account created, a proof
// or code refused, a taken name — and refunded only when the server
// failed. The rule checks before it (username, password) cost nothing.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	reg := s.cfg.Registration
	if reg.mode() == RegistrationClosed {
		s.fail(w, r, errRegistrationClosed)
		return
	}
	var req registerRequest
	if err := decode(w, r, &req); err != nil {
		s.failDecode(w, r, err)
		return
	}
	if !req.Username.Set || !req.Password.Set {
		s.fail(w, r, game.ErrMissingParameters)
		return
	}
	username := game.NormalizeUsername(req.Username.V)
	if err := game.ValidateUsername(username); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := game.ValidatePassword(username, req.Password.V); err != nil {
		s.fail(w, r, err)
		return
	}
	key := "a:" + s.clientAddr(r)
	if ok, wait := s.limits.register.Reserve(key); !ok {
		s.rateLimitedBy(w, r, "register", wait)
		return
	}
	ok, wait, err := s.takeShared(r, "register", key, s.cfg.Limits.Register)
	if err != nil || !ok {
		s.limits.register.Refund(key)
		if err != nil {
			s.fail(w, r, err)
		} else {
			s.rateLimitedBy(w, r, "register", wait)
		}
		return
	}
	p, err := s.register(r, reg, req, username)
	if err != nil {
		if game.KindOf(err) == game.KindInternal {
			s.limits.register.Refund(key)
			s.returnShared("register", key, s.cfg.Limits.Register)
		}
		s.fail(w, r, err)
		return
	}
	setLogPlayer(r, p.ID)
	s.log.InfoContext(r.Context(), "player registered", "request_id", requestID(r), "player", p.ID, "username", p.Username)
	token, err := s.cfg.Sessions.Create(r.Context(), p.ID)
	if err != nil {
		s.fail(w, r, err) // the account exists: logging in works
		return
	}
	s.setSessionCookie(w, r, token)
	writeJSON(w, http.StatusCreated, map[string]any{
		"username":      p.Username,
		"displayname":   nil,
		"needs_name":    true,
		"websocket_url": s.streamURL(r, p.ID, auth.KeyOf(token)),
	})
}

// register runs the costly checks of a registration, then creates the
// account. Its errors are the client's (*game.Error) or the server's.
func (s *Server) register(r *http.Request, reg Registration, req registerRequest, username string) (game.Player, error) {
	if !req.PoW.Set {
		return game.Player{}, errPoWInvalid
	}
	expires, err := reg.PoW.Check(req.PoW.Nonce, req.PoW.Counter)
	switch {
	case errors.Is(err, auth.ErrPoWExpired):
		return game.Player{}, errPoWExpired
	case err != nil:
		return game.Player{}, errPoWInvalid
	}
	// Used up now, whatever follows: a wrong code or a taken name costs
	// a new proof.
	fresh, err := reg.Once(r.Context(), auth.NonceID(req.PoW.Nonce), expires, s.now())
	switch {
	case err != nil:
		return game.Player{}, err
	case !fresh:
		return game.Player{}, errPoWInvalid
	}
	if reg.mode() == RegistrationInvite && (!req.Code.Set || !auth.Equal(req.Code.V, reg.Code)) {
		return game.Player{}, errInvalidCode
	}
	if s.cfg.Engine.UsernameTaken(username) {
		return game.Player{}, game.ErrUsernameTaken
	}
	hash, err := reg.hash(req.Password.V)
	if err != nil {
		return game.Player{}, err
	}
	return s.cfg.Engine.Register(r.Context(), username, hash)
}

func (g Registration) hash(password string) (string, error) {
	if g.Hash != nil {
		return g.Hash(password)
	}
	cost := g.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	return string(h), err
}
