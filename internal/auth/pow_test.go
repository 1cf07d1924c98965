package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPoW(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	p := NewPoW([]byte("key-one"), 8, clock)
	c := p.Issue()
	if c.Bits != 8 || c.Expires != now.Add(PoWLifetime).UnixMilli() || len(c.Nonce) > MaxNonceLen {
		t.Fatalf("challenge %+v", c)
	}
	if p.Issue().Nonce == c.Nonce {
		t.Fatal("two challenges share a nonce")
	}
	counter := SolvePoW(c)
	if LeadingZeroBits(PoWHash(c.Nonce, counter)) < 8 {
		t.Fatal("SolvePoW's answer does not solve")
	}
	exp, err := p.Check(c.Nonce, counter)
	if err != nil || exp.UnixMilli() != c.Expires {
		t.Fatalf("Check: %v %v", exp, err)
	}
	// Another instance with the same key accepts it.
	if _, err := NewPoW([]byte("key-one"), 8, clock).Check(c.Nonce, counter); err != nil {
		t.Fatalf("same key: %v", err)
	}
	// A wrong counter (the first that fails), another key, a tampered
	// difficulty, a higher required difficulty: invalid.
	wrong := uint64(0)
	for LeadingZeroBits(PoWHash(c.Nonce, wrong)) >= 8 {
		wrong++
	}
	zero := strings.Replace(c.Nonce, "v1.8.", "v1.0.", 1)
	for name, err := range map[string]error{
		"wrong counter": second(p.Check(c.Nonce, wrong)),
		"other key":     second(NewPoW([]byte("key-two"), 8, clock).Check(c.Nonce, counter)),
		"tampered bits": second(p.Check(zero, counter)),
		"harder now":    second(NewPoW([]byte("key-one"), 9, clock).Check(c.Nonce, counter)),
		"huge counter":  second(p.Check(c.Nonce, MaxPoWCounter+1)),
		"garbage":       second(p.Check("v1.8.x.y.z", 0)),
		"empty":         second(p.Check("", 0)),
	} {
		if !errors.Is(err, ErrPoWInvalid) {
			t.Errorf("%s: %v, want ErrPoWInvalid", name, err)
		}
	}
	// At the expiry: expired, not invalid.
	now = now.Add(PoWLifetime)
	if _, err := p.Check(c.Nonce, counter); !errors.Is(err, ErrPoWExpired) {
		t.Errorf("at the expiry: %v, want ErrPoWExpired", err)
	}
	// Zero bits: any counter, but still signed and fresh.
	easy := NewPoW([]byte("k"), 0, clock)
	if _, err := easy.Check(easy.Issue().Nonce, 12345); err != nil {
		t.Errorf("0 bits: %v", err)
	}
	if NewPoW(nil, 99, nil).Bits() != MaxPoWBits || NewPoW(nil, -1, nil).Bits() != 0 {
		t.Error("bits are not clamped")
	}
	if NonceID(c.Nonce) == NonceID(zero) || strings.Contains(NonceID(c.Nonce), c.Nonce[20:]) {
		t.Error("NonceID")
	}
}

func second(_ time.Time, err error) error { return err }

// TestLeadingZeroBits against a plain count over the bits.
func TestLeadingZeroBits(t *testing.T) {
	for i := range 2000 {
		h := sha256.Sum256([]byte(strconv.Itoa(i)))
		h[0] &= byte(i) // more zeros
		want := 0
	bits:
		for _, b := range h {
			for k := 7; k >= 0; k-- {
				if b>>k&1 == 1 {
					break bits
				}
				want++
			}
		}
		if got := LeadingZeroBits(h); got != want {
			t.Fatalf("%x: %d, want %d", h, got, want)
		}
	}
	if LeadingZeroBits([32]byte{}) != 256 {
		t.Fatal("all zero")
	}
}

// FuzzPoWCheck: whatever nonce and counter a client sends, Check never
// panics and accepts only a nonce the server signed, unexpired and
// solved; ParseNonce accepts only the documented form.
func FuzzPoWCheck(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	p := NewPoW([]byte("fuzz-key"), 4, func() time.Time { return now })
	c := p.Issue()
	f.Add(c.Nonce, SolvePoW(c))
	f.Add(c.Nonce, uint64(0))
	f.Add("v1.4.1700000600000.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", uint64(7))
	f.Add("v1.04.1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", uint64(1))
	f.Add(strings.Repeat(".", 200), uint64(1<<63))
	f.Add("v1.-1.-1..", uint64(0))
	f.Fuzz(func(t *testing.T, nonce string, counter uint64) {
		exp, err := p.Check(nonce, counter)
		if err != nil {
			if !errors.Is(err, ErrPoWInvalid) && !errors.Is(err, ErrPoWExpired) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		n, perr := ParseNonce(nonce)
		if perr != nil {
			t.Fatalf("accepted %q, which does not parse: %v", nonce, perr)
		}
		if !hmac.Equal(n.mac, p.mac(n.body)) || n.body+"."+b64.EncodeToString(n.mac) != nonce {
			// Forging a MAC by chance (2^-128) is not what the fuzzer finds.
			t.Fatalf("accepted a nonce the server did not sign: %q", nonce)
		}
		if !now.Before(exp) || LeadingZeroBits(PoWHash(nonce, counter)) < n.Bits || counter > MaxPoWCounter {
			t.Fatalf("accepted %q %d: expiry %v, bits %d", nonce, counter, exp, n.Bits)
		}
	})
}
