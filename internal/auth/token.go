package auth

import (
	"github.com/ctfg/ctfg/internal/game"

	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// StreamTokenTTL is how long a scorestream token is valid.
const StreamTokenTTL = time.Hour

// Tokens issues and verifies scorestream tokens: HMAC-SHA256 over the
// user id, expiry, reset epoch, a random nonce and the key of the login
// session the token was handed to. They need no server-side state to
// verify, so any instance sharing the secret accepts them; bumping the
// epoch (admin reset) revokes every token issued before, and deleting the
// session (logout) revokes its tokens for whoever checks that the session
// still exists (see Sessions.UserOf).
type Tokens struct {
	secret []byte
	epoch  atomic.Uint64
	now    func() time.Time
}

// StreamClaims is what a valid scorestream token says.
type StreamClaims struct {
	UserID int64 // 0: an anonymous viewer of the public board
	// Session is the login session the token was issued to; zero for a
	// public-board token, which no logout revokes.
	Session SessionKey
}

// NewTokens returns a token issuer with the given secret and epoch.
func NewTokens(secret []byte, epoch uint64, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	t := &Tokens{secret: secret, now: now}
	t.epoch.Store(epoch)
	return t
}

// SetEpoch changes the epoch; tokens of other epochs stop working.
func (t *Tokens) SetEpoch(e uint64) { t.epoch.Store(e) }

// Apply makes the id of each reset event the epoch (it is a feed.View):
// every instance folds the same reset, so a token issued before it fails
// everywhere, and a restart finds the epoch again in the log.
func (t *Tokens) Apply(evs []game.Event) {
	for _, ev := range evs {
		if ev.Type == game.EventReset {
			t.SetEpoch(uint64(ev.ID))
		}
	}
}

// Epoch returns the current epoch.
func (t *Tokens) Epoch() uint64 { return t.epoch.Load() }

// user, expiry (unix s), epoch, nonce, session key. The session key is the
// hash the store keeps, which logs no one in.
const tokenPayload = 8 + 8 + 8 + 16 + sha256.Size

// Issue returns a token for userID (0 for an anonymous board viewer) in
// session (zero for none: the public board).
func (t *Tokens) Issue(userID int64, session SessionKey) string {
	var b [tokenPayload + sha256.Size]byte
	binary.BigEndian.PutUint64(b[0:], uint64(userID))
	binary.BigEndian.PutUint64(b[8:], uint64(t.now().Add(StreamTokenTTL).Unix()))
	binary.BigEndian.PutUint64(b[16:], t.epoch.Load())
	copy(b[24:40], randomBytes(16))
	copy(b[40:tokenPayload], session[:])
	m := hmac.New(sha256.New, t.secret)
	m.Write(b[:tokenPayload])
	copy(b[tokenPayload:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Verify returns the claims of a valid, unexpired token of the current
// epoch. Whether its session still exists is the caller's question.
func (t *Tokens) Verify(token string) (StreamClaims, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenPayload+sha256.Size {
		return StreamClaims{}, false
	}
	m := hmac.New(sha256.New, t.secret)
	m.Write(b[:tokenPayload])
	if !hmac.Equal(m.Sum(nil), b[tokenPayload:]) {
		return StreamClaims{}, false
	}
	if int64(binary.BigEndian.Uint64(b[8:])) < t.now().Unix() {
		return StreamClaims{}, false
	}
	if binary.BigEndian.Uint64(b[16:]) != t.epoch.Load() {
		return StreamClaims{}, false
	}
	c := StreamClaims{UserID: int64(binary.BigEndian.Uint64(b[0:]))}
	copy(c.Session[:], b[40:tokenPayload])
	return c, true
}
