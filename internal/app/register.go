package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/httpapi"
	"golang.org/x/crypto/bcrypt"
)

// Registration configures self-registration.
type Registration struct {
	// Mode is httpapi.RegistrationOpen or httpapi.RegistrationInvite;
	// "" or httpapi.RegistrationClosed is closed.
	Mode string
	// Code is invite mode's registration code (CTFG_REGISTRATION_CODE).
	Code string
	// PoWBits is the proof of work's difficulty, as it is (the serve
	// command's default is auth.DefaultPoWBits).
	PoWBits int
	// Cost is the bcrypt cost of registered accounts; 0 is
	// bcrypt.DefaultCost.
	Cost int
	// Hash, when set, replaces bcrypt (tests hold requests in it).
	Hash func(password string) (string, error)
}

func (r Registration) on() bool {
	return r.Mode == httpapi.RegistrationOpen || r.Mode == httpapi.RegistrationInvite
}

// dummyHashes stands for the hashes registration will create, so that
// failed logins of unknown usernames cost a bcrypt compare of their cost
// too (auth.Passwords pads failures with a hash of the usual cost).
func (r Registration) dummyHashes() []string {
	if !r.on() {
		return nil
	}
	cost := r.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	// Only the prefix is read (bcrypt.Cost); the rest has the length of
	// a real hash.
	return []string{fmt.Sprintf("$2a$%02d$", cost) + strings.Repeat("A", 53)}
}

// registration returns the HTTP API's registration settings. The proof
// of work's key is derived from the stream secret, which every instance
// of a shared database holds: a nonce issued by one is accepted by all.
func (s *Server) registration(secret []byte) httpapi.Registration {
	r := s.cfg.Registration
	if !r.on() {
		return httpapi.Registration{Mode: httpapi.RegistrationClosed}
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("ctfg registration proof of work v1"))
	return httpapi.Registration{
		Mode: r.Mode,
		Code: r.Code,
		PoW:  auth.NewPoW(m.Sum(nil), r.PoWBits, s.cfg.Now),
		Once: s.Store.UseOnce,
		Cost: r.Cost,
		Hash: r.Hash,
	}
}
