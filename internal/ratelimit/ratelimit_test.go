package ratelimit

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

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

func newTest(burst float64, every time.Duration) (*Limiter, *clock) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	return New(Config{Burst: burst, Every: every, Now: c.Now, IdleTTL: time.Minute}), c
}

func TestBurstThenRefill(t *testing.T) {
	l, c := newTest(10, 2*time.Second)
	for i := 0; i < 10; i++ {
		if !l.Allow("k") {
			t.Fatalf("request %d refused within burst", i)
		}
	}
	if l.Allow("k") {
		t.Fatal("11th request allowed")
	}
	if d := l.RetryAfter("k"); d != 2*time.Second {
		t.Fatalf("RetryAfter %v", d)
	}
	c.Add(1999 * time.Millisecond)
	if l.Allow("k") {
		t.Fatal("refilled too early")
	}
	c.Add(time.Millisecond)
	if !l.Allow("k") || l.Allow("k") {
		t.Fatal("one token per 2 s")
	}
	c.Add(time.Hour)
	n := 0
	for l.Allow("k") {
		n++
	}
	if n != 10 {
		t.Fatalf("refill capped at burst: got %d", n)
	}
	if !l.Allow("other") {
		t.Fatal("keys are independent")
	}
}

func TestReadyAndCharge(t *testing.T) {
	l, c := newTest(3, time.Second)
	if !l.Ready("k") || l.Len() != 0 {
		t.Fatal("a missing bucket is full and Ready creates nothing")
	}
	for i := 0; i < 3; i++ {
		l.Charge("k")
	}
	if l.Ready("k") {
		t.Fatal("charged empty bucket is ready")
	}
	l.Charge("k") // does not go below zero
	c.Add(time.Second)
	if !l.Ready("k") {
		t.Fatal("one token after one period")
	}
	if l.RetryAfter("k") != 0 {
		t.Fatal("ready means no wait")
	}
}

func TestSweepEvictsOnlyIdleFull(t *testing.T) {
	l, c := newTest(5, time.Second)
	l.Allow("used") // 4 tokens
	for i := 0; i < 5; i++ {
		l.Allow("drained")
	}
	c.Add(2 * time.Second)
	l.Sweep()
	if l.Len() != 2 {
		t.Fatalf("nothing idle yet: %d", l.Len())
	}
	c.Add(time.Minute)
	l.Sweep()
	if l.Len() != 0 {
		t.Fatalf("idle full buckets stay: %d", l.Len())
	}
	// A bucket that is idle but not yet full survives.
	l2 := New(Config{Burst: 100, Every: time.Hour, Now: c.Now, IdleTTL: time.Second})
	l2.Charge("slow")
	c.Add(time.Minute)
	l2.Sweep()
	if l2.Len() != 1 {
		t.Fatal("partially drained bucket evicted")
	}
	l.Allow("x")
	l.Reset()
	if l.Len() != 0 {
		t.Fatal("Reset keeps buckets")
	}
}

func TestConcurrentNeverOverGrants(t *testing.T) {
	l, _ := newTest(10, time.Hour)
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

func BenchmarkAllowParallel(b *testing.B) {
	l := New(Config{Burst: 1e9, Every: time.Millisecond})
	keys := make([]string, 5000)
	for i := range keys {
		keys[i] = "p:" + strconv.Itoa(i)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(keys[i%len(keys)])
			i++
		}
	})
}
