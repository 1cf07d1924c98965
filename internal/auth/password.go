// Package auth holds ctfg's credentials logic: password checks, login
// sessions that survive restarts, and the short-lived signed tokens that
// open the scorestream.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"sync"
	"sync/atomic"

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
//
// A failed check takes as long whether or not the username exists, so
// timing does not tell which usernames are real: in a game with bcrypt
// accounts every failure costs one bcrypt compare (against a dummy hash
// of the game's usual cost for unknown users and plain-text accounts);
// in a game without, every check is one SHA-256 compare and stays fast.
// Successes may be faster (the remembered hash): only someone who knows
// the password sees them.
type Passwords struct {
	mu       sync.RWMutex
	verified map[string][32]byte // stored hash -> sha256 of the accepted password
	dummy    string              // bcrypt hash failures are padded with; "" in games without bcrypt
	compares atomic.Int64        // bcrypt compares run, dummies included
}

// dummyPlain is what an unknown username's password is compared with in a
// game without bcrypt accounts (the result is thrown away).
const dummyPlain = "ctfg-no-such-user"

// NewPasswords returns a checker for a game whose accounts have the given
// stored passwords (plain or bcrypt). When any is bcrypt it makes the
// dummy hash unknown users are checked against, at the cost most of the
// game's hashes have (one bcrypt computation, now rather than during the
// first login).
func NewPasswords(stored ...string) *Passwords {
	p := &Passwords{verified: map[string][32]byte{}}
	if cost, ok := usualCost(stored); ok {
		var secret [32]byte
		rand.Read(secret[:])
		// A 32-byte secret is within bcrypt's 72-byte limit, and the cost
		// comes from a hash that parsed: this cannot fail.
		h, err := bcrypt.GenerateFromPassword(secret[:], cost)
		if err == nil {
			p.dummy = string(h)
		}
	}
	return p
}

// usualCost is the bcrypt cost most stored hashes have (the higher on a
// tie); ok is false when none is bcrypt. Accounts whose cost differs from
// it can still be told apart from unknown users by timing; games made by
// one tool use one cost.
func usualCost(stored []string) (cost int, ok bool) {
	counts := map[int]int{}
	for _, s := range stored {
		if !IsBcrypt(s) {
			continue
		}
		if c, err := bcrypt.Cost([]byte(s)); err == nil {
			counts[c]++
		}
	}
	best := 0
	for c, n := range counts {
		if n > best || (n == best && c > cost) {
			cost, best = c, n
		}
	}
	return cost, best > 0
}

// Check reports whether given matches stored. stored "" (an unknown
// username) never matches, after the same work as a wrong password for a
// real account.
func (p *Passwords) Check(stored, given string) bool {
	sum := sha256.Sum256([]byte(given))
	if !IsBcrypt(stored) {
		ref := stored
		if ref == "" {
			ref = dummyPlain
		}
		a := sha256.Sum256([]byte(ref))
		if subtle.ConstantTimeCompare(a[:], sum[:]) == 1 && stored != "" {
			return true
		}
		p.padFailure(given)
		return false
	}
	p.mu.RLock()
	known, ok := p.verified[stored]
	p.mu.RUnlock()
	if ok && subtle.ConstantTimeCompare(known[:], sum[:]) == 1 {
		return true
	}
	// Not the remembered password: ask bcrypt anyway, so a wrong guess
	// costs the same whether or not the account has logged in before
	// (and a second password bcrypt accepts — it reads only 72 bytes —
	// is not refused).
	p.compares.Add(1)
	if bcrypt.CompareHashAndPassword([]byte(stored), []byte(given)) != nil {
		return false
	}
	p.mu.Lock()
	p.verified[stored] = sum
	p.mu.Unlock()
	return true
}

// padFailure makes a failed plain-text or unknown-user check cost one
// bcrypt compare in games with bcrypt accounts.
func (p *Passwords) padFailure(given string) {
	if p.dummy == "" {
		return
	}
	p.compares.Add(1)
	bcrypt.CompareHashAndPassword([]byte(p.dummy), []byte(given))
}

// BcryptCompares returns how many bcrypt compares Check has run (the
// expensive work the login rate limits bound; dummy compares included).
func (p *Passwords) BcryptCompares() int64 { return p.compares.Load() }

// Equal compares two secrets in constant time (with respect to their
// contents; hashing first hides their lengths too).
func Equal(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}
