package engine_test

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

// TestReplayMatchesRunningEngine replays, from a read-only second handle
// on the database, the log of an engine that is still running, and gets
// exactly the engine's scoreboard: ranks, scores after hint costs, and
// ties decided by the time of the last solve, then by id.
func TestReplayMatchesRunningEngine(t *testing.T) {
	var clock atomic.Int64
	clock.Store(1_000_000)
	e, db := mustEngine(t, 5, 3, func(c *engine.Config) {
		c.Now = func() time.Time { return time.UnixMilli(clock.Load()) }
	})
	ctx := context.Background()
	id := func(name string) int64 {
		p, ok := e.State().PlayerByUsername(name)
		if !ok {
			t.Fatalf("no player %s", name)
		}
		return p.ID
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// u1 and u2 reach 20 points at the same millisecond: a tie on score
	// and on time, decided by id. u0 reaches 20 later and ranks after
	// them. u3 has more points but paid for hints. u4 only has a name.
	_, err := e.Submit(ctx, id("u1"), 1, "f1")
	must(err)
	_, err = e.Submit(ctx, id("u2"), 2, "f2")
	must(err)
	clock.Add(5)
	_, err = e.Award(ctx, "u1", 2)
	must(err)
	_, err = e.Award(ctx, "u2", 3)
	must(err)
	clock.Add(5)
	for _, c := range []int{1, 2} {
		_, err = e.Submit(ctx, id("u0"), c, "f"+string(rune('0'+c)))
		must(err)
	}
	for _, c := range []int{1, 2, 3} {
		_, err = e.Award(ctx, "u3", c)
		must(err)
	}
	_, err = e.BuyHint(ctx, id("u3"), 1, 1)
	must(err)
	_, err = e.BuyHint(ctx, id("u3"), 1, 2)
	must(err)
	_, err = e.SetName(ctx, id("u4"), "Watcher")
	must(err)
	_, err = e.SetName(ctx, id("u1"), "First")
	must(err)
	_, err = e.SetName(ctx, id("u1"), "First Again")
	must(err)

	want, wantLast := e.State().Scoreboard(time.Now())
	if len(want) != 5 || want[0].PlayerID != id("u1") || want[1].PlayerID != id("u2") || want[2].PlayerID != id("u0") || want[4].PlayerID != id("u4") {
		t.Fatalf("scenario does not produce the intended ranking: %+v", want)
	}
	if want[3].PlayerID != id("u3") || want[3].Score != 20 {
		t.Fatalf("scenario: hint costs not as intended: %+v", want[3])
	}

	ro, err := sqlite.OpenReadOnly(ctx, db.Path(), sqlite.Options{})
	must(err)
	defer ro.Close()
	us, err := ro.Users(ctx)
	must(err)
	st, err := engine.Replay(ctx, ro, challenges(3), us, game.Rules{})
	must(err)
	got, gotLast := st.Scoreboard(time.Now())
	if !reflect.DeepEqual(got, want) || gotLast != wantLast {
		t.Fatalf("replayed board (last %d)\n%+v\nwant (last %d)\n%+v", gotLast, got, wantLast, want)
	}
	if st.DisplayName(id("u1")) != "First Again" {
		t.Errorf("display name after two renames: %q", st.DisplayName(id("u1")))
	}

	// A user no longer in credentials.csv drops off the board, as on a
	// server restarted without them; nobody else moves but up.
	var without []game.User
	for _, u := range us {
		if u.Username != "u2" {
			without = append(without, u)
		}
	}
	st, err = engine.Replay(ctx, ro, challenges(3), without, game.Rules{})
	must(err)
	got, _ = st.Scoreboard(time.Now())
	if len(got) != 4 || got[0].PlayerID != id("u1") || got[1].PlayerID != id("u0") || got[1].Rank != 2 {
		t.Errorf("board without u2: %+v", got)
	}
}

func TestReplayErrors(t *testing.T) {
	_, db := mustEngine(t, 1, 1, nil)
	ctx := context.Background()
	dup := append(challenges(2), challenges(1)...)
	if _, err := engine.Replay(ctx, db, dup, nil, game.Rules{}); err == nil {
		t.Error("duplicate challenge ids: want error")
	}
	ro, err := sqlite.OpenReadOnly(ctx, db.Path(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ro.Close()
	if _, err := engine.Replay(ctx, ro, challenges(1), nil, game.Rules{}); err == nil {
		t.Error("closed store: want error")
	}
}
