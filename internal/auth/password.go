// Package auth holds ctfg's credentials logic: password checks, login
// sessions that survive restarts, and the short-lived signed tokens that
// open the scorestream.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// IsBcrypt reports whether a stored password is a bcrypt hash.
func IsBcrypt(stored string) bool {
	return strings.HasPrefix(stored, "$2a$") || strings.HasPrefix(stored, "$2b$") || strings.HasPrefix(stored, "$2y$")
}

// Passwords checks passwords against credentials.csv entries. Plain-text
// entries are compared in constant time. A bcrypt check costs tens of
// milliseconds, so after the first success the SHA-256 of the accepted
// password is remembered: a room that logs in again does not queue behind
// bcrypt.
type Passwords struct {
	mu       sync.RWMutex
	verified map[string][32]byte // stored hash -> sha256 of the accepted password
}

// NewPasswords returns an empty checker.
func NewPasswords() *Passwords {
	return &Passwords{verified: map[string][32]byte{}}
}

// Check reports whether given matches stored.
func (p *Passwords) Check(stored, given string) bool {
	if stored == "" {
		return false
	}
	if !IsBcrypt(stored) {
		a, b := sha256.Sum256([]byte(stored)), sha256.Sum256([]byte(given))
		return subtle.ConstantTimeCompare(a[:], b[:]) == 1
	}
	sum := sha256.Sum256([]byte(given))
	p.mu.RLock()
	known, ok := p.verified[stored]
	p.mu.RUnlock()
	if ok {
		return subtle.ConstantTimeCompare(known[:], sum[:]) == 1
	}
	if bcrypt.CompareHashAndPassword([]byte(stored), []byte(given)) != nil {
		return false
	}
	p.mu.Lock()
	p.verified[stored] = sum
	p.mu.Unlock()
	return true
}

// Equal compares two secrets in constant time (with respect to their
// contents; hashing first hides their lengths too).
func Equal(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}
