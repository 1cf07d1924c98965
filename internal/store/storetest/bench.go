package storetest

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// BenchAppendParallel has appenders goroutines append b.N unique solves
// between them, one event per Append call, as concurrent request handlers
// calling the store directly would, and reports solves/s. Solves are
// spread over 500 players, so the unique index is written all over, not
// only at its end. Whatever batching happens is the backend's own.
func BenchAppendParallel(b *testing.B, s store.Store, appenders int) {
	u := MustSyncUsers(b, s, 500)
	ctx := context.Background()
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((appenders + procs - 1) / procs)
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			ev := game.Event{Type: game.EventScore, UserID: u[i%int64(len(u))], ChallengeID: int(i), Points: 100, TS: i}
			res, err := s.Append(ctx, []game.Event{ev})
			if err != nil {
				b.Error(err)
				return
			}
			if !res[0].Inserted {
				b.Error("solve not inserted")
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "solves/s")
}
