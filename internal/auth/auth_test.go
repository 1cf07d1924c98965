package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/sqlite"
	"golang.org/x/crypto/bcrypt"
)

func TestStreamTokens(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	tk := NewTokens([]byte("0123456789abcdef0123456789abcdef"), 3, clock)
	session := KeyOf("the session cookie")
	tok := tk.Issue(42, session)
	if c, ok := tk.Verify(tok); !ok || c.UserID != 42 || c.Session != session {
		t.Fatalf("fresh token: %+v %v", c, ok)
	}
	if tk.Issue(42, session) == tok {
		t.Fatal("tokens must carry a random nonce")
	}
	if c, ok := tk.Verify(tk.Issue(0, SessionKey{})); !ok || c.UserID != 0 || !c.Session.IsZero() {
		t.Fatalf("public-board token: %+v %v", c, ok)
	}
	// Tampering with any byte breaks it: user, expiry, epoch, nonce,
	// session or signature.
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 8, 16, 24, 40, 71, 72, len(raw) - 1} {
		b := bytes.Clone(raw)
		b[i] ^= 1
		if _, ok := tk.Verify(base64.RawURLEncoding.EncodeToString(b)); ok {
			t.Fatalf("token with byte %d changed accepted", i)
		}
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 200), tok + "A"} {
		if _, ok := tk.Verify(bad); ok {
			t.Fatalf("accepted %q", bad)
		}
	}
	other := NewTokens([]byte("another secret, also 32 bytes..."), 3, clock)
	if _, ok := other.Verify(tok); ok {
		t.Fatal("token accepted under another secret")
	}
	now = now.Add(StreamTokenTTL + time.Second)
	if _, ok := tk.Verify(tok); ok {
		t.Fatal("expired token accepted")
	}
	tok = tk.Issue(7, session)
	tk.SetEpoch(4) // admin reset
	if _, ok := tk.Verify(tok); ok {
		t.Fatal("token of an older epoch accepted")
	}
}

func TestPasswords(t *testing.T) {
	p := NewPasswords()
	if !p.Check("plain", "plain") || p.Check("plain", "plain ") || p.Check("", "") {
		t.Fatal("plain-text check")
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if !IsBcrypt(string(h)) || IsBcrypt("$2x$nope") {
		t.Fatal("bcrypt detection")
	}
	for i := 0; i < 2; i++ { // the second round uses the remembered hash
		if !p.Check(string(h), "s3cret") || p.Check(string(h), "wrong") {
			t.Fatalf("bcrypt check round %d", i)
		}
	}
	if !Equal("a", "a") || Equal("a", "b") || Equal("a", "") {
		t.Fatal("Equal")
	}
}

// pausingStore holds every session lookup, after it has read the store,
// until the test lets it go on.
type pausingStore struct {
	store.Store
	read, resume chan struct{}
}

func (p *pausingStore) SessionUser(ctx context.Context, hash []byte) (int64, error) {
	id, err := p.Store.SessionUser(ctx, hash)
	p.read <- struct{}{}
	<-p.resume
	return id, err
}

// MustStore opens a real SQLite store in a temporary directory.
func MustStore(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// A lookup that read the store just before a logout deleted the session
// must not put the session back into the cache, where it would outlive
// the logout (and keep its scorestream tokens alive).
func TestLookupRacingDeleteDoesNotRevive(t *testing.T) {
	ctx := context.Background()
	db := MustStore(t)
	ids, err := db.SyncUsers(ctx, []string{"alice"})
	if err != nil {
		t.Fatal(err)
	}
	alice := ids["alice"]
	token, err := NewSessions(db).Create(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	p := &pausingStore{Store: db, read: make(chan struct{}), resume: make(chan struct{})}
	s := NewSessions(p) // another instance, or this one after a restart: nothing cached
	done := make(chan error, 1)
	go func() {
		_, err := s.User(ctx, token)
		done <- err
	}()
	<-p.read // the lookup found the session in the store
	if err := s.Delete(ctx, token); err != nil {
		t.Fatal(err)
	}
	close(p.resume)
	if err := <-done; err != nil {
		t.Fatalf("racing lookup: %v", err)
	}
	go func() {
		for range p.read {
		}
	}()
	defer close(p.read)
	if id, err := s.User(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after logout: user %d, err %v; want ErrNoSession", id, err)
	}
	if _, err := s.UserOf(ctx, KeyOf(token)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("UserOf after logout: %v", err)
	}
}

// TestFailuresCostOneBcrypt: in a game with bcrypt accounts every failed
// check — unknown user, plain-text account, bcrypt account before and
// after its first login — runs exactly one bcrypt compare, so timing does
// not tell which usernames exist; successes after the first are free.
func TestFailuresCostOneBcrypt(t *testing.T) {
	h, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	p := NewPasswords("plain-pw", string(h))
	if p.dummy == "" {
		t.Fatal("no dummy hash in a game with bcrypt accounts")
	}
	if c, _ := bcrypt.Cost([]byte(p.dummy)); c != bcrypt.MinCost {
		t.Fatalf("dummy cost %d, want the game's %d", c, bcrypt.MinCost)
	}
	step := func(name string, stored, given string, want bool, compares int64) {
		t.Helper()
		before := p.BcryptCompares()
		if got := p.Check(stored, given); got != want {
			t.Fatalf("%s: Check = %v, want %v", name, got, want)
		}
		if n := p.BcryptCompares() - before; n != compares {
			t.Fatalf("%s: %d bcrypt compares, want %d", name, n, compares)
		}
	}
	step("unknown user", "", "guess", false, 1)
	step("unknown user, empty guess", "", "", false, 1)
	step("plain account, wrong", "plain-pw", "guess", false, 1)
	step("plain account, right", "plain-pw", "plain-pw", true, 0)
	step("bcrypt account, wrong, never logged in", string(h), "guess", false, 1)
	step("bcrypt account, first login", string(h), "s3cret", true, 1)
	step("bcrypt account, again", string(h), "s3cret", true, 0)
	step("bcrypt account, wrong after a login", string(h), "guess", false, 1)
}

// TestPlainGameStaysFast: without bcrypt accounts no check runs bcrypt,
// and an unknown user is compared like a plain-text account.
func TestPlainGameStaysFast(t *testing.T) {
	p := NewPasswords("a", "b", "")
	for _, c := range [][2]string{{"", "x"}, {"", ""}, {"", dummyPlain}, {"a", "x"}, {"a", "a"}} {
		p.Check(c[0], c[1])
	}
	if p.dummy != "" || p.BcryptCompares() != 0 {
		t.Fatalf("plain game ran bcrypt: dummy %q, %d compares", p.dummy, p.BcryptCompares())
	}
	if p.Check("", dummyPlain) {
		t.Fatal("an unknown user matched the dummy")
	}
}

func TestUsualCost(t *testing.T) {
	h4, _ := bcrypt.GenerateFromPassword([]byte("x"), 4)
	h5, _ := bcrypt.GenerateFromPassword([]byte("x"), 5)
	for _, tc := range []struct {
		stored []string
		cost   int
		ok     bool
	}{
		{nil, 0, false},
		{[]string{"plain", "$2x$nope"}, 0, false},
		{[]string{"$2a$broken"}, 0, false},
		{[]string{string(h4), string(h4), string(h5), "plain"}, 4, true},
		{[]string{string(h4), string(h5)}, 5, true},
	} {
		if cost, ok := usualCost(tc.stored); cost != tc.cost || ok != tc.ok {
			t.Errorf("usualCost(%d hashes) = %d %v, want %d %v", len(tc.stored), cost, ok, tc.cost, tc.ok)
		}
	}
}
