package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Proof of work for self-registration: the server hands out a signed
// random nonce with a difficulty and an expiry, and accepts a
// registration only with a counter such that
//
//	SHA-256(nonce + ":" + decimal counter)
//
// starts with at least that many zero bits. It needs no outside service
// (the game may run offline) and no state until a proof is used: the
// HMAC says the server issued the nonce, unchanged; the store records a
// used nonce until it expires, so each is accepted once.
//
// A nonce reads "v1.BITS.EXPIRES_MS.RANDOM.MAC", RANDOM 16 bytes and MAC
// the first 16 bytes of HMAC-SHA256(key, "v1.BITS.EXPIRES_MS.RANDOM"),
// both base64url without padding. Clients treat it as opaque.

// Proof-of-work limits.
const (
	// DefaultPoWBits is the default difficulty: 2^16 (65,536) hashes on
	// average, about a second in a browser through crypto.subtle (tens of
	// thousands of digests a second, measured in Chromium on the project's
	// 2-core VM), and as much again for every further account a script
	// wants. The per-address limit is the real bound; this makes every
	// attempt cost the client something.
	DefaultPoWBits = 16
	// MaxPoWBits bounds the difficulty an operator may set (2^28 hashes
	// is minutes on a phone).
	MaxPoWBits = 28
	// PoWLifetime is how long a nonce may be used after it is issued.
	PoWLifetime = 10 * time.Minute
	// MaxNonceLen bounds the nonce a client sends back.
	MaxNonceLen = 128
	// MaxPoWCounter is the largest counter accepted: JavaScript's largest
	// exact integer.
	MaxPoWCounter = 1<<53 - 1
)

// The refusals of Check.
var (
	// ErrPoWInvalid: not a nonce this server issued, a difficulty below
	// the required one, or a counter that does not solve it.
	ErrPoWInvalid = errors.New("auth: invalid proof of work")
	// ErrPoWExpired: a genuine nonce past its expiry.
	ErrPoWExpired = errors.New("auth: expired proof of work")
)

// PoWChallenge is what a client must solve.
type PoWChallenge struct {
	Nonce   string `json:"nonce"`
	Bits    int    `json:"bits"`
	Expires int64  `json:"expires"` // Unix milliseconds
}

// PoW issues and checks proof-of-work challenges with one key; instances
// sharing a database share the key, so any of them accepts a nonce
// another issued.
type PoW struct {
	key  []byte
	bits int
	now  func() time.Time
}

// NewPoW returns a PoW whose challenges need bits zero bits (clamped to
// 0..MaxPoWBits). now nil is time.Now.
func NewPoW(key []byte, bits int, now func() time.Time) *PoW {
	if now == nil {
		now = time.Now
	}
	return &PoW{key: append([]byte(nil), key...), bits: min(max(bits, 0), MaxPoWBits), now: now}
}

// Bits returns the difficulty of new challenges.
func (p *PoW) Bits() int { return p.bits }

// b64 is strict: a nonce has one spelling, so it is used once.
var b64 = base64.RawURLEncoding.Strict()

// Issue returns a fresh challenge.
func (p *PoW) Issue() PoWChallenge {
	var r [16]byte
	rand.Read(r[:])
	exp := p.now().Add(PoWLifetime).UnixMilli()
	body := "v1." + strconv.Itoa(p.bits) + "." + strconv.FormatInt(exp, 10) + "." + b64.EncodeToString(r[:])
	return PoWChallenge{Nonce: body + "." + b64.EncodeToString(p.mac(body)), Bits: p.bits, Expires: exp}
}

func (p *PoW) mac(body string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(body))
	return m.Sum(nil)[:16]
}

// ParsedNonce is a nonce's fields, before its MAC is checked.
type ParsedNonce struct {
	Bits    int
	Expires time.Time
	body    string // what the MAC covers
	mac     []byte
}

// ParseNonce splits a nonce into its fields. It checks the form only.
func ParseNonce(nonce string) (ParsedNonce, error) {
	if len(nonce) > MaxNonceLen {
		return ParsedNonce{}, ErrPoWInvalid
	}
	parts := strings.Split(nonce, ".")
	if len(parts) != 5 || parts[0] != "v1" {
		return ParsedNonce{}, ErrPoWInvalid
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 0 || n > MaxPoWBits || strconv.Itoa(n) != parts[1] {
		return ParsedNonce{}, ErrPoWInvalid
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || exp < 0 {
		return ParsedNonce{}, ErrPoWInvalid
	}
	random, err := b64.DecodeString(parts[3])
	if err != nil || len(random) != 16 {
		return ParsedNonce{}, ErrPoWInvalid
	}
	mac, err := b64.DecodeString(parts[4])
	if err != nil || len(mac) != 16 {
		return ParsedNonce{}, ErrPoWInvalid
	}
	return ParsedNonce{Bits: n, Expires: time.UnixMilli(exp), body: strings.Join(parts[:4], "."), mac: mac}, nil
}

// Check verifies a solved challenge: the nonce is this server's (its MAC
// matches), asks for at least the current difficulty, has not expired,
// and counter solves it. It returns the nonce's expiry (until when the
// caller must remember it as used) or ErrPoWInvalid / ErrPoWExpired.
// It does not record the nonce: that is the store's (Store.UseOnce).
func (p *PoW) Check(nonce string, counter uint64) (time.Time, error) {
	n, err := ParseNonce(nonce)
	if err != nil {
		return time.Time{}, err
	}
	if !hmac.Equal(n.mac, p.mac(n.body)) || n.Bits < p.bits || counter > MaxPoWCounter {
		return time.Time{}, ErrPoWInvalid
	}
	// A nonce expiring later than any this server issues was not issued
	// by it: the key must have leaked; refuse it all the same.
	now := p.now()
	if n.Expires.After(now.Add(PoWLifetime + time.Minute)) {
		return time.Time{}, ErrPoWInvalid
	}
	if !now.Before(n.Expires) {
		return time.Time{}, ErrPoWExpired
	}
	if LeadingZeroBits(PoWHash(nonce, counter)) < n.Bits {
		return time.Time{}, ErrPoWInvalid
	}
	return n.Expires, nil
}

// PoWHash is the hash a counter must make start with zero bits.
func PoWHash(nonce string, counter uint64) [32]byte {
	return sha256.Sum256([]byte(nonce + ":" + strconv.FormatUint(counter, 10)))
}

// LeadingZeroBits counts the zero bits at the start of h.
func LeadingZeroBits(h [32]byte) int {
	n := 0
	for _, b := range h {
		if b != 0 {
			return n + bits.LeadingZeros8(b)
		}
		n += 8
	}
	return n
}

// SolvePoW finds the smallest counter that solves c (for tests and
// tools; browsers solve it in JavaScript).
func SolvePoW(c PoWChallenge) uint64 {
	for i := uint64(0); ; i++ {
		if LeadingZeroBits(PoWHash(c.Nonce, i)) >= c.Bits {
			return i
		}
	}
}

// NonceID returns the key under which a used nonce is remembered: a hash,
// so the nonce itself is never stored.
func NonceID(nonce string) string {
	h := sha256.Sum256([]byte("ctfg-pow-nonce:" + nonce))
	return "pow:" + b64.EncodeToString(h[:18])
}
