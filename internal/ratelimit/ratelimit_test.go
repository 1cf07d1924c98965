package ratelimit

import (
	"context"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock for Config.Now, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// MustLimiter returns a limiter of the given shape on a fake clock.
func MustLimiter(tb testing.TB, burst float64, every, ttl time.Duration) (*Limiter, *clock) {
	tb.Helper()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	return New(Config{Burst: burst, Every: every, Now: c.Now, IdleTTL: ttl}), c
}

// drain takes every token from key and returns how many it got.
func drain(tb testing.TB, l *Limiter, key string) int {
	tb.Helper()
	n := 0
	for l.Allow(key) {
		n++
		if n > 1_000_000 {
			tb.Fatal("bucket never empties")
		}
	}
	return n
}

func TestBurstThenRefill(t *testing.T) {
	l, c := MustLimiter(t, 10, 2*time.Second, time.Minute)
	if n := drain(t, l, "k"); n != 10 {
		t.Fatalf("burst granted %d, want 10", n)
	}
	c.Add(1999 * time.Millisecond)
	if l.Allow("k") {
		t.Fatal("refilled before one period")
	}
	c.Add(time.Millisecond)
	if !l.Allow("k") || l.Allow("k") {
		t.Fatal("want exactly one token after 2 s")
	}
	c.Add(7 * time.Second) // 3.5 tokens
	if n := drain(t, l, "k"); n != 3 {
		t.Fatalf("after 7 s got %d, want 3", n)
	}
	c.Add(time.Second) // the half token left over plus half a period
	if !l.Allow("k") {
		t.Fatal("fractional refill lost")
	}
	c.Add(time.Hour)
	if n := drain(t, l, "k"); n != 10 {
		t.Fatalf("refill not capped at burst: got %d", n)
	}
	if !l.Allow("other") {
		t.Fatal("keys are not independent")
	}
}

func TestFractionalBurst(t *testing.T) {
	l, c := MustLimiter(t, 2.5, time.Second, time.Minute)
	if n := drain(t, l, "k"); n != 2 {
		t.Fatalf("burst 2.5 granted %d, want 2", n)
	}
	if d := l.RetryAfter("k"); d != 500*time.Millisecond {
		t.Fatalf("RetryAfter with half a token left = %v, want 500ms", d)
	}
	c.Add(500 * time.Millisecond)
	if !l.Allow("k") {
		t.Fatal("half a token plus half a period is one token")
	}
}

func TestAllowN(t *testing.T) {
	l, c := MustLimiter(t, 10, time.Second, time.Minute)
	for _, tc := range []struct {
		n    float64
		want bool
	}{
		{11, false}, {math.NaN(), false}, {-1, false}, {math.Inf(1), false},
		{0, true}, {7, true}, {3.5, false}, {3, true}, {0.5, false},
	} {
		if got := l.AllowN("k", tc.n); got != tc.want {
			t.Fatalf("AllowN(%v) = %v, want %v", tc.n, got, tc.want)
		}
	}
	if l.Len() != 1 {
		t.Fatalf("Len = %d, want 1", l.Len())
	}
	c.Add(2500 * time.Millisecond)
	if !l.AllowN("k", 2.5) || l.AllowN("k", 0.001) {
		t.Fatal("want exactly 2.5 tokens after 2.5 s")
	}
	if !l.AllowN("fresh", 0) || l.Len() != 1 {
		t.Fatal("AllowN(0) created a bucket")
	}
}

func TestRetryAfterIsExact(t *testing.T) {
	every := 3 * time.Second / 7 // not a round number of anything
	l, c := MustLimiter(t, 4, every, time.Minute)
	if d := l.RetryAfter("k"); d != 0 {
		t.Fatalf("full bucket RetryAfter = %v", d)
	}
	drain(t, l, "k")
	if ok, wait := l.Reserve("k"); ok || wait != every {
		t.Fatalf("Reserve on an empty bucket = %v, %v; want refused, %v", ok, wait, every)
	}
	d := l.RetryAfter("k")
	if d != every {
		t.Fatalf("empty bucket RetryAfter = %v, want %v", d, every)
	}
	c.Add(d - 1)
	if l.RetryAfter("k") != 1 {
		t.Fatalf("ready 1ns early (RetryAfter %v)", l.RetryAfter("k"))
	}
	if ok, wait := l.Reserve("k"); ok || wait != 1 {
		t.Fatalf("Reserve 1ns early = %v, %v", ok, wait)
	}
	c.Add(1)
	if l.RetryAfter("k") != 0 {
		t.Fatal("not ready when RetryAfter said")
	}
	if ok, wait := l.Reserve("k"); !ok || wait != 0 {
		t.Fatalf("Reserve when RetryAfter said = %v, %v", ok, wait)
	}
}

// TestSubmitFlow is the flag-submission pattern from the package comment:
// Reserve before checking, Refund unless the guess was wrong.
func TestSubmitFlow(t *testing.T) {
	l, c := MustLimiter(t, 10, 2*time.Second, time.Minute)
	submit := func(correct bool) (accepted bool) {
		if ok, _ := l.Reserve("u:1"); !ok {
			return false
		}
		if correct {
			l.Refund("u:1")
		}
		return true
	}
	for i := 0; i < 100; i++ {
		if !submit(true) {
			t.Fatal("correct guesses are never charged")
		}
	}
	for i := 0; i < 10; i++ {
		if !submit(false) {
			t.Fatalf("wrong guess %d refused within burst", i)
		}
	}
	if submit(false) || submit(true) {
		t.Fatal("while empty every submission is refused")
	}
	c.Add(2 * time.Second)
	if !submit(false) || submit(true) {
		t.Fatal("one wrong guess per 2 s once empty")
	}
}

func TestReserveRefund(t *testing.T) {
	l, c := MustLimiter(t, 3, time.Second, time.Minute)
	// Refunding a bucket that was never touched creates nothing.
	l.Refund("k")
	l.RefundN("k", 2)
	if l.Len() != 0 || l.Burst() != 3 {
		t.Fatalf("Refund on a full bucket: Len %d, Burst %v", l.Len(), l.Burst())
	}
	for i := 0; i < 3; i++ {
		if ok, wait := l.Reserve("k"); !ok || wait != 0 {
			t.Fatalf("reserve %d: %v %v", i, ok, wait)
		}
	}
	if ok, wait := l.Reserve("k"); ok || wait != time.Second {
		t.Fatalf("empty bucket: %v %v, want refused for 1s", ok, wait)
	}
	l.Refund("k")
	if ok, _ := l.Reserve("k"); !ok {
		t.Fatal("a refunded token cannot be reserved again")
	}
	// Refunds never raise a bucket above full: the time that passed has
	// already refilled it.
	c.Add(10 * time.Second)
	for i := 0; i < 5; i++ {
		l.Refund("k")
	}
	if n := drain(t, l, "k"); n != 3 {
		t.Fatalf("bucket over-refunded: %d tokens, burst 3", n)
	}
	// A token refunded after part of it has refilled is not counted twice.
	c.Add(10 * time.Second)
	drain(t, l, "k")
	c.Add(500 * time.Millisecond) // half a token
	l.Refund("k")                 // 1.5 tokens
	if n := drain(t, l, "k"); n != 1 {
		t.Fatalf("got %d tokens from 1.5", n)
	}
	if d := l.RetryAfter("k"); d != 500*time.Millisecond {
		t.Fatalf("RetryAfter = %v, want the half token's 500ms", d)
	}
	// Forgotten buckets (Reset) stay full: a late refund mints nothing.
	l.Reset()
	l.Refund("k")
	if n := drain(t, l, "k"); n != 3 {
		t.Fatalf("after Reset and Refund: %d tokens, want 3", n)
	}
}

func TestReserveN(t *testing.T) {
	l, c := MustLimiter(t, 10, time.Second, time.Minute)
	for _, n := range []float64{11, math.NaN(), -1, math.Inf(1)} {
		if ok, _ := l.ReserveN("k", n); ok {
			t.Fatalf("ReserveN(%v) granted", n)
		}
	}
	if ok, wait := l.ReserveN("k", 0); !ok || wait != 0 || l.Len() != 0 {
		t.Fatal("ReserveN(0) must grant and create nothing")
	}
	// The whole bucket only when it is full.
	if ok, _ := l.ReserveN("k", l.Burst()); !ok {
		t.Fatal("full bucket refused ReserveN(Burst)")
	}
	if ok, wait := l.ReserveN("k", l.Burst()); ok || wait != 10*time.Second {
		t.Fatalf("empty bucket: ReserveN(Burst) = %v, %v; want refused for 10s", ok, wait)
	}
	l.RefundN("k", l.Burst())
	if !l.Allow("k") {
		t.Fatal("RefundN gave nothing back")
	}
	if ok, wait := l.ReserveN("k", l.Burst()); ok || wait != time.Second {
		t.Fatalf("nine tokens: ReserveN(Burst) = %v, %v; want refused for 1s", ok, wait)
	}
	if d := l.RetryAfterN("k", l.Burst()); d != time.Second {
		t.Fatalf("RetryAfterN(Burst) with nine tokens = %v, want 1s", d)
	}
	if l.RetryAfterN("k", 9) != 0 || l.RetryAfterN("k", 0) != 0 || l.RetryAfterN("k", math.NaN()) != 0 {
		t.Fatal("RetryAfterN for what the bucket holds must be 0")
	}
	c.Add(time.Second)
	if ok, _ := l.ReserveN("k", l.Burst()); !ok {
		t.Fatal("refilled bucket refused ReserveN(Burst)")
	}
	l.RefundN("k", math.NaN())
	l.RefundN("k", -5)
	if l.Allow("k") {
		t.Fatal("RefundN of nothing gave a token")
	}
}

func TestClockBackwardsMintsNothing(t *testing.T) {
	l, c := MustLimiter(t, 2, time.Second, time.Minute)
	drain(t, l, "k")
	c.Add(-time.Hour)
	if l.Allow("k") || l.RetryAfter("k") == 0 {
		t.Fatal("stepping the clock back granted a token")
	}
	c.Add(time.Hour + time.Second)
	if !l.Allow("k") || l.Allow("k") {
		t.Fatal("want one token one period after draining")
	}
}

func TestConfigDefaults(t *testing.T) {
	for _, burst := range []float64{0, -3, 0.5, math.NaN()} {
		l, c := MustLimiter(t, burst, 0, 0)
		if !l.Allow("k") || l.Allow("k") {
			t.Fatalf("Burst %v: want it raised to 1", burst)
		}
		c.Add(DefaultEvery)
		if !l.Allow("k") {
			t.Fatalf("Burst %v: Every 0 should refill every %v", burst, DefaultEvery)
		}
		c.Add(DefaultIdleTTL - 1)
		l.Sweep()
		if l.Len() != 1 {
			t.Fatal("swept before DefaultIdleTTL")
		}
		c.Add(DefaultEvery + 1)
		l.Sweep()
		if l.Len() != 0 {
			t.Fatal("not swept after DefaultIdleTTL")
		}
	}
	// A huge bucket saturates instead of overflowing.
	l, _ := MustLimiter(t, 1e30, time.Hour, time.Minute)
	for i := 0; i < 1000; i++ {
		if !l.Allow("k") {
			t.Fatalf("huge bucket refused request %d", i)
		}
	}
	if l.RetryAfter("k") != 0 {
		t.Fatal("huge bucket wants a wait")
	}
	// Nil Now uses the wall clock.
	if rl := New(Config{Burst: 1, Every: time.Hour}); !rl.Allow("k") || rl.Allow("k") {
		t.Fatal("wall-clock limiter")
	}
}

func TestSweepEvictsOnlyIdleFull(t *testing.T) {
	l, c := MustLimiter(t, 5, time.Second, time.Minute)
	l.Allow("used")        // full again at +1 s
	drain(t, l, "dry")     // full again at +5 s
	l.RetryAfter("looked") // creates nothing
	l.Refund("looked")     // neither does this
	if l.Len() != 2 {
		t.Fatalf("Len = %d, want 2", l.Len())
	}
	c.Add(time.Second + time.Minute - 1)
	l.Sweep()
	if l.Len() != 2 {
		t.Fatalf("evicted a bucket full for less than IdleTTL: Len %d", l.Len())
	}
	c.Add(1) // "used" has been full for exactly IdleTTL
	l.Sweep()
	if l.Len() != 1 {
		t.Fatalf("want only the bucket full for IdleTTL evicted: Len %d", l.Len())
	}
	if !l.Allow("dry") {
		t.Fatal("refilled bucket refused")
	}
	// "dry" is partly drained again: it stays until full plus IdleTTL.
	c.Add(time.Second + time.Minute - 1)
	l.Sweep()
	if l.Len() != 1 {
		t.Fatal("partly drained bucket evicted")
	}
	c.Add(1)
	l.Sweep()
	if l.Len() != 0 {
		t.Fatalf("idle full bucket kept: Len %d", l.Len())
	}
	// Evicting is invisible: the key starts full.
	if n := drain(t, l, "dry"); n != 5 {
		t.Fatalf("evicted key granted %d, want 5", n)
	}
}

func TestReset(t *testing.T) {
	l, _ := MustLimiter(t, 3, time.Hour, time.Minute)
	for i := 0; i < 100; i++ {
		drain(t, l, "p:"+strconv.Itoa(i))
	}
	if l.Len() != 100 {
		t.Fatalf("Len = %d, want 100", l.Len())
	}
	l.Reset()
	if l.Len() != 0 {
		t.Fatal("Reset kept buckets")
	}
	if n := drain(t, l, "p:7"); n != 3 {
		t.Fatalf("after Reset got %d tokens, want 3", n)
	}
}

func TestRunSweepsUntilCancelled(t *testing.T) {
	l, c := MustLimiter(t, 1, time.Second, time.Minute)
	l.Allow("k")
	c.Add(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx, time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for l.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not sweep")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestConcurrentNeverOverGrants(t *testing.T) {
	l, _ := MustLimiter(t, 10, time.Hour, time.Minute)
	var granted atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if l.Allow("hot") {
					granted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if granted.Load() != 10 {
		t.Fatalf("granted %d, want 10", granted.Load())
	}
}

// TestConcurrentReserveRefund is the held-body race at the limiter: many
// requests reserve at once, those that turn out free refund, and no
// interleaving ever has more tokens out than the burst, nor loses a refund.
func TestConcurrentReserveRefund(t *testing.T) {
	l, _ := MustLimiter(t, 10, time.Hour, time.Minute)
	var granted, kept, held, maxHeld atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 20 {
				ok, wait := l.Reserve("hot")
				if !ok {
					if wait <= 0 {
						t.Error("refused without a wait")
					}
					continue
				}
				g := granted.Add(1)
				// held counts tokens out (reserved and not yet refunded,
				// or kept): raised after Reserve, lowered before Refund,
				// so it never exceeds what the limiter has handed out.
				h := held.Add(1)
				for m := maxHeld.Load(); h > m && !maxHeld.CompareAndSwap(m, h); m = maxHeld.Load() {
				}
				// Every seventh grant is "a wrong guess" and kept.
				if g%7 == 0 {
					kept.Add(1)
					continue
				}
				held.Add(-1)
				l.Refund("hot")
			}
		}()
	}
	close(start)
	wg.Wait()
	if maxHeld.Load() > 10 {
		t.Fatalf("%d tokens out at once, burst 10", maxHeld.Load())
	}
	if kept.Load() != 10 || granted.Load() <= 10 {
		t.Fatalf("granted %d, kept %d: want every token eventually kept, refunds reused", granted.Load(), kept.Load())
	}
	if n := drain(t, l, "hot"); n != 0 {
		t.Fatalf("%d tokens left after keeping 10", n)
	}
}

// TestConcurrentMixed runs every operation at once on shared keys (for
// -race) and checks each key still granted no more than its burst.
func TestConcurrentMixed(t *testing.T) {
	l, _ := MustLimiter(t, 5, time.Hour, time.Nanosecond)
	const keys = 200
	var granted [keys]atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 2000; j++ {
				k := (j*7 + g) % keys
				key := "u:" + strconv.Itoa(k)
				switch j % 5 {
				case 0, 1, 2:
					if l.Allow(key) {
						granted[k].Add(1)
					}
				case 3:
					if ok, _ := l.Reserve(key); ok {
						l.Refund(key)
					}
					l.RetryAfter(key)
				case 4:
					l.Sweep() // never evicts: nothing refills within the hour
					l.Len()
				}
			}
		}()
	}
	wg.Wait()
	for k := range granted {
		if n := granted[k].Load(); n > 5 {
			t.Fatalf("key %d granted %d, burst is 5", k, n)
		}
	}
	if l.Len() != keys {
		t.Fatalf("Len = %d, want %d", l.Len(), keys)
	}
}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "u:" + strconv.Itoa(i)
	}
	return keys
}

// BenchmarkAllowParallel is the server's hot path: thousands of players,
// each on their own bucket, from every core.
func BenchmarkAllowParallel(b *testing.B) {
	l := New(Config{Burst: 1e9, Every: time.Millisecond})
	keys := benchKeys(5000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(keys[i%len(keys)])
			i++
		}
	})
}

// BenchmarkAllowOneKeyParallel is the worst case: everyone on one lock.
func BenchmarkAllowOneKeyParallel(b *testing.B) {
	l := New(Config{Burst: 1e9, Every: time.Millisecond})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow("hot")
		}
	})
}

func BenchmarkSweep5000(b *testing.B) {
	l := New(Config{Burst: 10, Every: time.Hour})
	for _, k := range benchKeys(5000) {
		l.Allow(k)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Sweep()
	}
}

// TestGate: at most n holders per key at once, others wait (or give up
// with their context), keys are independent and idle keys are forgotten.
func TestGate(t *testing.T) {
	g := NewGate(2)
	ctx := context.Background()
	var in, most atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			leave, err := g.Enter(ctx, "a")
			if err != nil {
				t.Error(err)
				return
			}
			n := in.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond) // hold the place so others queue
			in.Add(-1)
			leave()
			leave() // a second call is harmless
		}()
	}
	wg.Wait()
	if most.Load() != 2 {
		t.Fatalf("%d holders at once, want 2", most.Load())
	}
	if g.Len() != 0 {
		t.Fatalf("Len = %d after everyone left", g.Len())
	}

	// Full key: a waiter gives up with its context; another key is free.
	l1, _ := g.Enter(ctx, "a")
	l2, _ := g.Enter(ctx, "a")
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := g.Enter(short, "a"); err == nil {
		t.Fatal("a third holder got in")
	}
	lb, err := g.Enter(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	lb()
	l1()
	l3, err := g.Enter(ctx, "a") // a place came free
	if err != nil {
		t.Fatal(err)
	}
	l2()
	l3()
	if g.Len() != 0 || NewGate(0).n != 1 {
		t.Fatalf("Len = %d; NewGate(0) must admit one", g.Len())
	}
}
