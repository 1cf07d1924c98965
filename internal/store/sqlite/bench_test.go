package sqlite

import (
	"context"
	"testing"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// benchAppend appends b.N unique solves, per events per transaction, and
// reports events/s. Solves are spread over 500 players, as in a real
// event, so the unique index is written all over, not only at its end.
func benchAppend(b *testing.B, per int) {
	db := MustTempDB(b)
	u := storetest.MustSyncUsers(b, db, 500)
	ctx := context.Background()
	evs := make([]game.Event, 0, per)
	b.ResetTimer()
	for i := range b.N {
		evs = append(evs, game.Event{Type: game.EventScore, UserID: u[i%len(u)], ChallengeID: i, Points: 100, TS: int64(i)})
		if len(evs) == per || i == b.N-1 {
			res, err := db.Append(ctx, evs)
			if err != nil {
				b.Fatal(err)
			}
			if !res[0].Inserted {
				b.Fatal("solve not inserted")
			}
			evs = evs[:0]
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendSingle commits one event per transaction: one fsync per
// event, the worst case of a server that does not group commits.
func BenchmarkAppendSingle(b *testing.B) { benchAppend(b, 1) }

// BenchmarkAppendBatch64 commits 64 events per transaction (group
// commit).
func BenchmarkAppendBatch64(b *testing.B) { benchAppend(b, 64) }

// BenchmarkAppendSingleParallel has many goroutines append one event each,
// as concurrent request handlers calling Append directly would; they
// queue for the one writer connection.
func BenchmarkAppendSingleParallel(b *testing.B) {
	db := MustTempDB(b)
	u := storetest.MustSyncUsers(b, db, 500)
	ctx := context.Background()
	b.SetParallelism(16)
	var next int64
	var mu = make(chan struct{}, 1)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu <- struct{}{}
			i := next
			next++
			<-mu
			ev := game.Event{Type: game.EventScore, UserID: u[i%int64(len(u))], ChallengeID: int(i), Points: 100, TS: i}
			if _, err := db.Append(ctx, []game.Event{ev}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSessionUser is the per-request session lookup on the read
// pool.
func BenchmarkSessionUser(b *testing.B) {
	db := MustTempDB(b)
	u := storetest.MustSyncUsers(b, db, 1)
	ctx := context.Background()
	hash := []byte("0123456789abcdef0123456789abcdef")
	if err := db.CreateSession(ctx, hash, u[0]); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.SessionUser(ctx, hash); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkEvents reads a 10,000-event log from the start, as a server
// does when it starts.
func BenchmarkEvents(b *testing.B) {
	db := MustTempDB(b)
	u := storetest.MustSyncUsers(b, db, 100)
	evs := make([]game.Event, 10000)
	for i := range evs {
		evs[i] = game.Event{Type: game.EventScore, UserID: u[i%len(u)], ChallengeID: i, Points: 1, TS: int64(i)}
	}
	storetest.MustAppend(b, db, evs...)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		n := 0
		if err := db.Events(ctx, 0, func(game.Event) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != len(evs) {
			b.Fatalf("read %d events", n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendParallel64 has 64 goroutines append one solve per call;
// the store's group committer shares transactions between them.
func BenchmarkAppendParallel64(b *testing.B) {
	storetest.BenchAppendParallel(b, MustTempDB(b), 64)
}
