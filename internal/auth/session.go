package auth

import (
	"encoding/hex"
	"github.com/ctfg/ctfg/internal/game"

	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"

	"github.com/ctfg/ctfg/internal/store"
)

// ErrNoSession is returned for a missing, unknown or revoked session.
var ErrNoSession = errors.New("auth: no session")

// SessionKey identifies a login session: the SHA-256 of its token, which
// is what the store keeps. It is no credential (the cookie is the token
// itself), but like the token it is never logged.
type SessionKey [sha256.Size]byte

// KeyOf returns the key of the session with this token.
func KeyOf(token string) SessionKey { return sha256.Sum256([]byte(token)) }

// IsZero reports whether k is the zero key (no session).
func (k SessionKey) IsZero() bool { return k == SessionKey{} }

// Sessions are login sessions: a random token in the browser's cookie, its
// SHA-256 in the store (so a copy of the database cannot log anyone in),
// and a cache in memory so that authenticated requests do not read the
// database.
type Sessions struct {
	store store.Store
	mu    sync.RWMutex
	cache map[SessionKey]int64
	// gen counts deletions: a lookup that read the store before a
	// deletion must not put the deleted session back into the cache.
	gen uint64
}

// NewSessions returns sessions kept in st.
func NewSessions(st store.Store) *Sessions {
	return &Sessions{store: st, cache: map[SessionKey]int64{}}
}

// Create starts a session for a user and returns its token.
func (s *Sessions) Create(ctx context.Context, userID int64) (string, error) {
	token := RandomToken(32)
	k := KeyOf(token)
	if err := s.store.CreateSession(ctx, k[:], userID); err != nil {
		return "", fmt.Errorf("auth: create session: %w", err)
	}
	s.mu.Lock()
	s.cache[k] = userID
	s.mu.Unlock()
	return token, nil
}

// User returns the user of a session token, or ErrNoSession.
func (s *Sessions) User(ctx context.Context, token string) (int64, error) {
	if token == "" || len(token) > 128 {
		return 0, ErrNoSession
	}
	return s.UserOf(ctx, KeyOf(token))
}

// UserOf returns the user of the session with key k, or ErrNoSession: from
// the cache, else from the store (which several instances share).
func (s *Sessions) UserOf(ctx context.Context, k SessionKey) (int64, error) {
	s.mu.RLock()
	id, ok := s.cache[k]
	gen := s.gen
	s.mu.RUnlock()
	if ok {
		return id, nil
	}
	id, err := s.store.SessionUser(ctx, k[:])
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNoSession
	}
	if err != nil {
		return 0, fmt.Errorf("auth: look up session: %w", err)
	}
	s.mu.Lock()
	if s.gen == gen {
		s.cache[k] = id
	}
	s.mu.Unlock()
	return id, nil
}

// Delete ends a session. The cache forgets it before and after the store
// does, so that no lookup racing with the deletion caches it again.
func (s *Sessions) Delete(ctx context.Context, token string) error {
	k := KeyOf(token)
	s.uncache(k)
	err := s.store.DeleteSession(ctx, k[:])
	s.uncache(k)
	if err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

func (s *Sessions) uncache(k SessionKey) {
	s.mu.Lock()
	delete(s.cache, k)
	s.gen++
	s.mu.Unlock()
}

// Forget drops every cached session; call it after the store's sessions
// were deleted by an admin reset.
func (s *Sessions) Forget() {
	s.mu.Lock()
	s.cache = map[SessionKey]int64{}
	s.gen++
	s.mu.Unlock()
}

// Apply forgets every cached session at a reset event, and a session at
// its logout event (it is a feed.View: the reset or logout deleted the
// stored sessions, on whichever instance it ran).
func (s *Sessions) Apply(evs []game.Event) {
	for _, ev := range evs {
		switch ev.Type {
		case game.EventReset:
			s.Forget()
		case game.EventLogout:
			if k, ok := ParseSessionKey(ev.LogoutSession()); ok {
				s.uncache(k)
			}
		}
	}
}

// String returns the key in hex, as logout events carry it.
func (k SessionKey) String() string { return hex.EncodeToString(k[:]) }

// ParseSessionKey reads a key written by SessionKey.String.
func ParseSessionKey(s string) (SessionKey, bool) {
	var k SessionKey
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, false
	}
	copy(k[:], b)
	return k, true
}

// RandomToken returns n bytes from the system's cryptographic random
// source, base64url-encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails on supported platforms (Go 1.24+ crashes instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
