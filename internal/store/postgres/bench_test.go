package postgres

import (
	"context"
	"testing"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// BenchmarkAppendParallel64 has 64 goroutines append one solve per call,
// with synchronous_commit as the server has it (on by default): the group
// committer shares transactions between them, each one round trip and
// one WAL flush.
func BenchmarkAppendParallel64(b *testing.B) {
	storetest.BenchAppendParallel(b, MustTempDB(b), 64)
}

// BenchmarkAppendBatch64 commits 64 solves per call from one goroutine,
// as the engine's group commit hands them over.
func BenchmarkAppendBatch64(b *testing.B) {
	db := MustTempDB(b)
	u := storetest.MustSyncUsers(b, db, 500)
	ctx := context.Background()
	evs := make([]game.Event, 0, 64)
	b.ResetTimer()
	for i := range b.N {
		evs = append(evs, game.Event{Type: game.EventScore, UserID: u[i%len(u)], ChallengeID: i, Points: 100, TS: int64(i)})
		if len(evs) == cap(evs) || i == b.N-1 {
			if _, err := db.Append(ctx, evs); err != nil {
				b.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "solves/s")
}

// BenchmarkAppendSingle commits one solve per call from one goroutine:
// one transaction, one WAL flush each, the worst case.
func BenchmarkAppendSingle(b *testing.B) {
	db := MustTempDB(b)
	u := storetest.MustSyncUsers(b, db, 500)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		ev := game.Event{Type: game.EventScore, UserID: u[i%len(u)], ChallengeID: i, Points: 100, TS: int64(i)}
		if _, err := db.Append(ctx, []game.Event{ev}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "solves/s")
}
