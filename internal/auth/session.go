package auth

import (
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

// Sessions are login sessions: a random token in the browser's cookie, its
// SHA-256 in the store (so a copy of the database cannot log anyone in),
// and a cache in memory so that authenticated requests do not read the
// database.
type Sessions struct {
	store store.Store
	mu    sync.RWMutex
	cache map[[32]byte]int64
}

// NewSessions returns sessions kept in st.
func NewSessions(st store.Store) *Sessions {
	return &Sessions{store: st, cache: map[[32]byte]int64{}}
}

// Create starts a session for a user and returns its token.
func (s *Sessions) Create(ctx context.Context, userID int64) (string, error) {
	token := RandomToken(32)
	h := sha256.Sum256([]byte(token))
	if err := s.store.CreateSession(ctx, h[:], userID); err != nil {
		return "", fmt.Errorf("auth: create session: %w", err)
	}
	s.mu.Lock()
	s.cache[h] = userID
	s.mu.Unlock()
	return token, nil
}

// User returns the user of a session token, or ErrNoSession.
func (s *Sessions) User(ctx context.Context, token string) (int64, error) {
	if token == "" || len(token) > 128 {
		return 0, ErrNoSession
	}
	h := sha256.Sum256([]byte(token))
	s.mu.RLock()
	id, ok := s.cache[h]
	s.mu.RUnlock()
	if ok {
		return id, nil
	}
	id, err := s.store.SessionUser(ctx, h[:])
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNoSession
	}
	if err != nil {
		return 0, fmt.Errorf("auth: look up session: %w", err)
	}
	s.mu.Lock()
	s.cache[h] = id
	s.mu.Unlock()
	return id, nil
}

// Delete ends a session.
func (s *Sessions) Delete(ctx context.Context, token string) error {
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	delete(s.cache, h)
	s.mu.Unlock()
	if err := s.store.DeleteSession(ctx, h[:]); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

// Forget drops every cached session; call it after the store's sessions
// were deleted by an admin reset.
func (s *Sessions) Forget() {
	s.mu.Lock()
	s.cache = map[[32]byte]int64{}
	s.mu.Unlock()
}

// Apply forgets every cached session at a reset event (it is a feed.View:
// the reset deleted the stored sessions, on whichever instance it ran).
func (s *Sessions) Apply(evs []game.Event) {
	for _, ev := range evs {
		if ev.Type == game.EventReset {
			s.Forget()
		}
	}
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
