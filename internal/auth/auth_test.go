package auth

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestStreamTokens(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	tk := NewTokens([]byte("0123456789abcdef0123456789abcdef"), 3, clock)
	tok := tk.Issue(42)
	if id, ok := tk.Verify(tok); !ok || id != 42 {
		t.Fatalf("fresh token: %d %v", id, ok)
	}
	if tk.Issue(42) == tok {
		t.Fatal("tokens must carry a random nonce")
	}
	// Tampering with any byte breaks it.
	b := []byte(tok)
	b[5] ^= 1
	if _, ok := tk.Verify(string(b)); ok {
		t.Fatal("tampered token accepted")
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
	tok = tk.Issue(7)
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
