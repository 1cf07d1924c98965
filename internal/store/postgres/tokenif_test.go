package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/store/postgres/pgtest"
)

// TestTakeTokenIf: concurrent calls from two instances that decline the
// charge never find the bucket empty, while charged ones take exactly
// the burst; an empty bucket does not call charge at all.
func TestTakeTokenIf(t *testing.T) {
	url := pgtest.MustDatabase(t)
	ss := []*DB{MustOpen(t, url), MustOpen(t, url)}
	ctx := context.Background()
	t0 := time.UnixMilli(1_000_000)
	const burst = 3

	// Free calls (right flags) racing: the bucket is never short.
	var wg sync.WaitGroup
	var refused, called atomic.Int64
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := ss[i%2].TakeTokenIf(ctx, "submit:p:1", burst, time.Hour, t0, func() bool {
				called.Add(1)
				return false
			})
			if err != nil {
				t.Error(err)
			}
			if !ok {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if refused.Load() != 0 || called.Load() != 100 {
		t.Fatalf("free calls: %d refused, charge called %d times; want 0 and 100", refused.Load(), called.Load())
	}

	// Charged calls (wrong flags) racing: exactly the burst get through.
	var took atomic.Int64
	called.Store(0)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, wait, err := ss[i%2].TakeTokenIf(ctx, "submit:p:1", burst, time.Hour, t0, func() bool {
				called.Add(1)
				return true
			})
			if err != nil {
				t.Error(err)
			}
			if ok {
				took.Add(1)
			} else if wait <= 0 {
				t.Errorf("refused without a retry time")
			}
		}()
	}
	wg.Wait()
	if took.Load() != burst || called.Load() != burst {
		t.Fatalf("charged calls: %d took a token, charge called %d times; want %d and %d", took.Load(), called.Load(), burst, burst)
	}
	// Empty: charge is not called, and TakeToken agrees.
	ok, _, err := ss[0].TakeTokenIf(ctx, "submit:p:1", burst, time.Hour, t0, func() bool {
		t.Error("charge called on an empty bucket")
		return false
	})
	if err != nil || ok {
		t.Fatalf("empty bucket: ok %v, err %v", ok, err)
	}
	if ok, _, _ := ss[1].TakeToken(ctx, "submit:p:1", burst, time.Hour, t0); ok {
		t.Fatal("TakeToken found a token in the emptied bucket")
	}
}
