package game

import (
	"testing"
	"time"
)

var f0 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

func ms(d time.Duration) int64 { return f0.Add(d).UnixMilli() }

// freezeState is a game with a freeze at f0+1h and an end at f0+2h.
func freezeState(t *testing.T, reveal bool, bonus ...int) *State {
	t.Helper()
	st := newTestState(t)
	st.SetRules(Rules{End: f0.Add(2 * time.Hour), Freeze: f0.Add(time.Hour), RevealAtEnd: reveal, FirstBloodBonus: bonus})
	return st
}

// TestFreezeByTime: events from the freeze time on change the live
// board only; the public board, its names, series, solve counts and
// first bloods stay as at the freeze; public ids continue without gaps;
// the unfreeze makes the live board public.
func TestFreezeByTime(t *testing.T) {
	st := freezeState(t, false)
	st.Apply(
		Event{ID: 1, Type: EventRename, UserID: 1, Name: "Alice", TS: ms(0)},
		Event{ID: 2, Type: EventRename, UserID: 2, Name: "Bob", TS: ms(0)},
		Event{ID: 3, Type: EventScore, UserID: 1, ChallengeID: 1, Points: 100, TS: ms(time.Minute)},
	)
	at := f0.Add(90 * time.Minute)
	if st.Frozen(f0.Add(30*time.Minute)) || !st.Frozen(at) {
		t.Fatal("frozen from the freeze time on")
	}
	before, beforeID := st.Scoreboard(at)
	snapBefore := st.TakeSnapshot(10, at)
	st.Apply(
		Event{ID: 4, Type: EventScore, UserID: 2, ChallengeID: 1, Points: 100, TS: ms(61 * time.Minute)},
		Event{ID: 5, Type: EventHint, UserID: 2, ChallengeID: 1, HintID: 1, Points: 0, TS: ms(62 * time.Minute)},
		Event{ID: 6, Type: EventRename, UserID: 1, Name: "Alicia", TS: ms(63 * time.Minute)},
		Event{ID: 7, Type: EventLogout, UserID: 2, TS: ms(63 * time.Minute)},
	)
	after, afterID := st.Scoreboard(at)
	if len(after) != len(before) || after[0] != before[0] || afterID != beforeID || beforeID != 3 {
		t.Fatalf("public board moved: %+v (%d) → %+v (%d)", before, beforeID, after, afterID)
	}
	live, liveID := st.LiveScoreboard()
	if liveID != 7 || len(live) != 2 || live[1].Score != 100 || live[0].DisplayName != "Alicia" {
		t.Fatalf("live board: %+v %d", live, liveID)
	}
	snap := st.TakeSnapshot(10, at)
	if snap.LastID != snapBefore.LastID || len(snap.Events) != len(snapBefore.Events) || snap.Names[len(snap.Names)-1] != "Alice" || !snap.Frozen {
		t.Fatalf("snapshot moved: %+v", snap)
	}
	views, _, _ := st.View(3, at)
	if _, fbs := st.FirstBloods(at); views[0].Solves != 1 || len(fbs[1]) != 1 || fbs[1][0].DisplayName != "Alice" {
		t.Fatalf("public solve count and first bloods: %+v", views[0])
	}
	bob, _, _ := st.View(2, at)
	if !bob[0].Solved || !bob[0].Pending {
		t.Fatalf("bob's own solve: %+v", bob[0])
	}
	if p, _ := st.PublicPlayer(2, at); p.Score != 0 || p.Name != "Bob" {
		t.Fatalf("bob as others see him: %+v", p)
	}
	if p, _ := st.Player(2); p.Score != 100 {
		t.Fatalf("bob's true score: %+v", p)
	}

	// Public events during the freeze are numbered on from the last
	// public id, not by their log ids.
	g := NewGate(time.Time{}, f0.Add(2*time.Hour), f0.Add(time.Hour), false)
	var ids []int64
	for _, ev := range []Event{
		{ID: 3, Type: EventScore, TS: ms(time.Minute)},
		{ID: 4, Type: EventScore, TS: ms(61 * time.Minute)},
		{ID: 5, Type: EventHint, TS: ms(62 * time.Minute)},
		{ID: 8, Type: EventAnnouncement, TS: ms(64 * time.Minute)},
		{ID: 9, Type: EventRename, TS: ms(65 * time.Minute)},
		{ID: 10, Type: EventPause, TS: ms(66 * time.Minute)},
		{ID: 12, Type: EventUnfreeze, TS: ms(67 * time.Minute)},
		{ID: 13, Type: EventScore, TS: ms(68 * time.Minute)},
	} {
		if s := g.Step(ev); s.Public {
			ids = append(ids, s.PublicID)
		}
	}
	if want := []int64{3, 4, 5, 12, 13}; !equalIDs(ids, want) {
		t.Fatalf("public ids %v, want %v", ids, want)
	}

	st.Apply(Event{ID: 8, Type: EventUnfreeze, TS: ms(70 * time.Minute)})
	if st.Frozen(at) {
		t.Fatal("still frozen after the unfreeze")
	}
	if b, id := st.Scoreboard(at); id != 8 || len(b) != 2 || b[0].DisplayName != "Alicia" {
		t.Fatalf("after unfreeze: %+v %d", b, id)
	}
	// The configured time no longer freezes once the admin unfroze.
	st.Apply(Event{ID: 9, Type: EventScore, UserID: 3, ChallengeID: 1, Points: 100, TS: ms(80 * time.Minute)})
	if b, _ := st.Scoreboard(at); len(b) != 3 || st.Frozen(at) {
		t.Fatalf("a solve after the unfreeze: %+v", b)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRevealAtEnd: with RevealAtEnd the public board is the live one from
// the end on, even before any event says so; without it, the freeze holds
// after the end until the admin unfreezes.
func TestRevealAtEnd(t *testing.T) {
	for _, reveal := range []bool{true, false} {
		st := freezeState(t, reveal)
		st.Apply(
			Event{ID: 1, Type: EventFreeze, TS: ms(10 * time.Minute)},
			Event{ID: 2, Type: EventScore, UserID: 1, ChallengeID: 1, Points: 100, TS: ms(20 * time.Minute)},
		)
		end := f0.Add(2 * time.Hour)
		if b, _ := st.Scoreboard(end.Add(-time.Second)); len(b) != 0 {
			t.Fatalf("reveal=%v: board before the end: %+v", reveal, b)
		}
		b, _ := st.Scoreboard(end)
		if got := len(b) == 1; got != reveal {
			t.Fatalf("reveal=%v: board at the end: %+v", reveal, b)
		}
		if st.Frozen(end) == reveal || !st.Latched() {
			t.Fatalf("reveal=%v: frozen %v latched %v at the end", reveal, st.Frozen(end), st.Latched())
		}
	}
}

// TestFirstBloodsAndBonus: places follow the log, exactly one first; the
// bonus is a percentage of the value, per place.
func TestFirstBloodsAndBonus(t *testing.T) {
	st := freezeState(t, false, 10, 5, 1)
	for i, uid := range []int64{2, 3, 1} {
		st.Apply(Event{ID: int64(i + 1), Type: EventScore, UserID: uid, ChallengeID: 1, Points: 100, TS: ms(time.Duration(i) * time.Minute)})
	}
	views, _, _ := st.View(1, f0)
	_, fbs := st.FirstBloods(f0)
	fb := fbs[1]
	_ = views
	if len(fb) != 3 || fb[0].PlayerID != 2 || fb[1].PlayerID != 3 || fb[2].PlayerID != 1 {
		t.Fatalf("first bloods: %+v", fb)
	}
	for uid, want := range map[int64]int{2: 110, 3: 105, 1: 101} {
		if p, _ := st.Player(uid); p.Score != want {
			t.Errorf("player %d: %d, want %d", uid, p.Score, want)
		}
		if w := st.Worth(uid, 1); w != want {
			t.Errorf("worth of player %d: %d, want %d", uid, w, want)
		}
	}
	snap := st.TakeSnapshot(10, f0)
	if snap.Places[0] != 1 || snap.Places[1] != 2 || snap.Places[2] != 3 {
		t.Fatalf("places: %v", snap.Places)
	}
}

// TestDynamicScoringRetroactive: every solver holds the challenge's
// current value; scores equal the formula at every step.
func TestDynamicScoringRetroactive(t *testing.T) {
	sc := &Scoring{Type: "decay", Initial: 500, Minimum: 100, Decay: 20, Function: "linear"}
	chs := []*Challenge{{ID: 1, Title: "dyn", Points: 500, Flag: "^a$", Scoring: sc}}
	cat, err := NewCatalog(chs)
	if err != nil {
		t.Fatal(err)
	}
	var users []User
	for i := int64(1); i <= 50; i++ {
		users = append(users, User{ID: i, Username: "u" + itoa(i)})
	}
	st := NewState(cat, users)
	for n := 1; n <= 50; n++ {
		st.Apply(Event{ID: int64(n), Type: EventScore, UserID: int64(n), ChallengeID: 1, Points: sc.Value(n), TS: int64(n)})
		want := sc.Value(n)
		for i := int64(1); i <= int64(n); i++ {
			if p, _ := st.Player(i); p.Score != want {
				t.Fatalf("after %d solves player %d holds %d, want %d", n, i, p.Score, want)
			}
		}
		views, _, _ := st.View(1, f0)
		if views[0].Value != want || views[0].Solves != n {
			t.Fatalf("after %d solves: value %d solves %d", n, views[0].Value, views[0].Solves)
		}
	}
}

func itoa(i int64) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// TestDynamicValuesFreeze: values others see stop at the freeze.
func TestDynamicValuesFreeze(t *testing.T) {
	sc := &Scoring{Type: "decay", Initial: 500, Minimum: 100, Decay: 50, Function: "linear"}
	cat, _ := NewCatalog([]*Challenge{{ID: 1, Title: "dyn", Points: 500, Flag: "^a$", Scoring: sc}})
	st := NewState(cat, []User{{ID: 1, Username: "a"}, {ID: 2, Username: "b"}, {ID: 3, Username: "c"}})
	st.SetRules(Rules{Freeze: f0.Add(time.Hour)})
	st.Apply(Event{ID: 1, Type: EventScore, UserID: 1, ChallengeID: 1, Points: 500, TS: ms(0)})
	st.Apply(Event{ID: 2, Type: EventScore, UserID: 2, ChallengeID: 1, Points: 450, TS: ms(2 * time.Hour)})
	at := f0.Add(3 * time.Hour)
	views, _, _ := st.View(3, at)
	if views[0].Value != 500 || views[0].Solves != 1 {
		t.Fatalf("public value during the freeze: %+v", views[0])
	}
	if p, _ := st.PublicPlayer(1, at); p.Score != 500 {
		t.Fatalf("a's public score: %+v", p)
	}
	if p, _ := st.Player(1); p.Score != sc.Value(2) {
		t.Fatalf("a's true score: %+v", p)
	}
}

// TestPracticeAndRelease: a practice solve shows to its player only; a
// challenge with a release time is hidden until then or a release event.
func TestPracticeAndRelease(t *testing.T) {
	st := newTestState(t)
	rel := f0.Add(time.Hour)
	c, _ := st.Catalog().Get(1)
	c.Release = &rel
	if v, _, _ := st.View(1, f0); len(v) != 0 {
		t.Fatalf("before its release: %+v", v)
	}
	if st.NextRelease(f0) != rel || !st.NextRelease(rel).IsZero() {
		t.Fatal("next release")
	}
	if v, _, _ := st.View(1, rel); len(v) != 1 {
		t.Fatalf("at its release: %+v", v)
	}
	st.Apply(Event{ID: 1, Type: EventRelease, ChallengeID: 1, TS: ms(0)})
	if v, _, _ := st.View(1, f0); len(v) != 1 || !st.NextRelease(f0).IsZero() {
		t.Fatalf("released early: %+v", v)
	}
	st.Apply(Event{ID: 2, Type: EventPractice, UserID: 1, ChallengeID: 1, TS: ms(3 * time.Hour)})
	v, _, _ := st.View(1, f0)
	if !v[0].Practice || v[0].Solved || v[0].Solves != 0 {
		t.Fatalf("practice solve: %+v", v[0])
	}
	if b, _ := st.Scoreboard(f0); len(b) != 0 {
		t.Fatalf("a practice solve on the board: %+v", b)
	}
	if snap := st.TakeSnapshot(10, f0); len(snap.Events) != 0 {
		t.Fatalf("a practice solve among recent events: %+v", snap.Events)
	}
}
