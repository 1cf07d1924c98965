package storetest

import (
	"context"
	"sync"
	"testing"
	"time"
)

// limitTests are the behaviours of the shared token buckets.
var limitTests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"TakeToken", testTakeToken},
	{"TakeTokenConcurrent", testTakeTokenConcurrent},
}

// t0 is a fixed clock for bucket tests; buckets keep milliseconds.
var t0 = time.UnixMilli(1_700_000_000_000)

func mustTake(tb testing.TB, take func(context.Context, string, float64, time.Duration, time.Time) (bool, time.Duration, error), key string, burst float64, every time.Duration, now time.Time) (bool, time.Duration) {
	tb.Helper()
	ok, retry, err := take(context.Background(), key, burst, every, now)
	if err != nil {
		tb.Fatalf("TakeToken(%q): %v", key, err)
	}
	return ok, retry
}

func testTakeToken(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	const every = 2 * time.Second
	take := func(key string, now time.Time) (bool, time.Duration) {
		t.Helper()
		return mustTake(t, s.TakeToken, key, 3, every, now)
	}
	// A new bucket is full: burst tokens, then none.
	for i := range 3 {
		if ok, retry := take("a", t0); !ok || retry != 0 {
			t.Fatalf("take %d from a full bucket: %v, %v", i, ok, retry)
		}
	}
	ok, retry := take("a", t0)
	if ok || retry != every {
		t.Fatalf("take from an empty bucket: %v, retry %v; want refused, retry %v", ok, retry, every)
	}
	// Keys are independent.
	if ok, _ := take("b", t0); !ok {
		t.Fatal("another key's bucket was empty")
	}
	// Half a period gives half a token: still none, and the wait halves.
	if ok, retry := take("a", t0.Add(every/2)); ok || retry != every/2 {
		t.Fatalf("after half a period: %v, retry %v; want refused, retry %v", ok, retry, every/2)
	}
	if ok, _ := take("a", t0.Add(every)); !ok {
		t.Fatal("no token after a full period")
	}
	// A clock that steps back mints nothing.
	if ok, _ := take("a", t0); ok {
		t.Fatal("a clock stepping back minted a token")
	}
	// A returned token can be taken again, once.
	if err := s.ReturnToken(ctx, "a", 3, every, t0.Add(every)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := take("a", t0.Add(every)); !ok {
		t.Fatal("returned token missing")
	}
	if ok, _ := take("a", t0.Add(every)); ok {
		t.Fatal("returning one token gave two")
	}
	// A long idle refills to burst, no more; returning to a full bucket
	// does not raise it either.
	later := t0.Add(time.Hour)
	if err := s.ReturnToken(ctx, "a", 3, every, later); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if ok, _ := take("a", later); !ok {
			t.Fatalf("take %d after a long idle: refused", i)
		}
	}
	if ok, _ := take("a", later); ok {
		t.Fatal("bucket held more than burst")
	}
	// Buckets are in the database: they survive a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	if ok, _ := mustTake(t, s.TakeToken, "a", 3, every, later); ok {
		t.Fatal("empty bucket full again after reopen")
	}
	if _, _, err := s.TakeToken(ctx, "", 3, every, later); err == nil {
		t.Error("empty key: want error")
	}
}

// testTakeTokenConcurrent: the read-modify-write of a bucket is atomic.
func testTakeTokenConcurrent(t *testing.T, open Opener) {
	s := open(t)
	const n, burst = 100, 10
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		took int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := s.TakeToken(context.Background(), "guess:u1", burst, time.Hour, t0)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				took++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if took != burst {
		t.Fatalf("%d goroutines took %d tokens from a bucket of %d", n, took, burst)
	}
}
