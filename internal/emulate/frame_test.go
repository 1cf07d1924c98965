package emulate

import (
	"strings"
	"testing"
	"time"
)

// The frames of issue 12 (docs/API.md, "Scorestream"): announcements,
// clock changes, early releases, first bloods on score events, and a
// snapshot sent again mid-connection at the unfreeze.

func TestEventShapeIssue12(t *testing.T) {
	var p frameParser
	for _, c := range []struct {
		frame string
		ok    bool
	}{
		{`[{"id":127,"type":"announcement","ts":1700000000300,"message":"Challenge 1's flag is **case-sensitive**.","challenge_id":1}]`, true},
		{`[{"id":127,"type":"announcement","ts":1700000000300,"message":"No challenge named."}]`, true},
		{`[{"id":127,"type":"announcement","ts":1700000000300}]`, false},             // no message
		{`[{"id":127,"type":"announcement","ts":1700000000300,"message":7}]`, false}, // message not a string
		{`[{"id":128,"type":"clock","ts":1700000000400}]`, true},
		{`[{"id":128,"type":"clock"}]`, false}, // no ts
		{`[{"type":"clock","ts":1700000000400}]`, false},
		{`[{"id":129,"type":"release","ts":1700000000500,"challenge_id":4,"challenge":"Late One"}]`, true},
		{`[{"id":129,"type":"release","ts":1700000000500,"challenge":"Late One"}]`, false}, // no challenge_id
		{`[{"id":130,"type":"score","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","points":100,"first_blood":1}]`, true},
		{`[{"id":130,"type":"score","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","points":100,"first_blood":3}]`, true},
		{`[{"id":130,"type":"score","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","points":100,"first_blood":4}]`, false},
		{`[{"id":130,"type":"score","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","points":100,"first_blood":"1"}]`, false},
		{`[{"id":131,"type":"hint","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","hint_id":1,"points":-5,"first_blood":1}]`, false},
	} {
		events, err := collect(&p, c.frame)
		if err != nil || len(events) != 1 {
			t.Fatalf("%s: %v", c.frame, err)
		}
		err = events[0].checkShape()
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok %v", c.frame, err, c.ok)
		}
	}
	events, _ := collect(&p, `[{"id":130,"type":"score","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","points":100,"first_blood":2}]`)
	if events[0].FirstBlood != 2 {
		t.Fatalf("first_blood read as %d", events[0].FirstBlood)
	}
}

func TestStreamAcceptsIssue12Frames(t *testing.T) {
	r := &runner{cfg: Config{Players: 3}, errs: map[string]int{}, samples: map[string]string{}, delay: newShardedHistogram(6, 2)}
	s := newStreamClient(&player{r: r})
	now := time.Now()
	ts := now.UnixMilli()
	snap := `[{"type":"snapshot","last_id":10,"frozen":false,
	  "players":[{"player_id":2,"displayname":"B","score":300,"solves":2,"last_solve_ts":5},{"player_id":1,"displayname":"A","score":90,"solves":1,"last_solve_ts":4}],
	  "series":[{"player_id":2,"displayname":"B","points":[[1,100],[5,300]]}],
	  "events":[{"id":9,"type":"announcement","ts":3,"message":"hello"},{"id":10,"type":"score","player_id":2,"displayname":"B","ts":5,"challenge_id":2,"challenge":"two","points":200,"first_blood":1}],
	  "announcements":[{"id":9,"type":"announcement","ts":3,"message":"hello","challenge_id":2}]}]`
	if err := s.handle([]byte(snap), now); err != nil {
		t.Fatal(err)
	}
	frame := `[{"id":11,"type":"announcement","ts":` + itoa(int(ts)) + `,"message":"Challenge 2 is **fixed**."},
	  {"id":12,"type":"clock","ts":` + itoa(int(ts)) + `},
	  {"id":13,"type":"release","ts":` + itoa(int(ts)) + `,"challenge_id":4,"challenge":"Late One"},
	  {"id":14,"type":"score","player_id":1,"displayname":"A","ts":` + itoa(int(ts)) + `,"challenge_id":4,"challenge":"Late One","points":50,"first_blood":1}]`
	if err := s.handle([]byte(frame), now); err != nil {
		t.Fatal(err)
	}
	if len(r.errs) != 0 {
		t.Fatalf("errors %v %v", r.errs, r.samples)
	}
	if s.lastID.Load() != 14 || s.solvesOf(1) != 2 || s.sumSolves != 4 || s.sumScore != 440 {
		t.Fatalf("last %d, solves of 1: %d, sums %d/%d", s.lastID.Load(), s.solvesOf(1), s.sumSolves, s.sumScore)
	}
	if n := s.fresh; n != 4 {
		t.Fatalf("fresh events %d, want 4", n)
	}

	// The unfreeze: a second snapshot on the same socket, with solves the
	// freeze hid, replaces everything; the events after it count again.
	resnap := `[{"type":"snapshot","last_id":30,"frozen":false,
	  "players":[{"player_id":1,"displayname":"A","score":500,"solves":4,"last_solve_ts":9},{"player_id":2,"displayname":"B","score":300,"solves":2,"last_solve_ts":5}],
	  "series":[],"events":[],"announcements":[]}]`
	if err := s.handle([]byte(resnap), now); err != nil {
		t.Fatal(err)
	}
	_ = s.handle([]byte(`[{"id":30,"type":"score","player_id":1,"displayname":"A","ts":1,"challenge_id":1,"challenge":"c","points":1}]`), now)
	_ = s.handle([]byte(`[{"id":31,"type":"score","player_id":2,"displayname":"B","ts":1,"challenge_id":1,"challenge":"c","points":10}]`), now)
	if len(r.errs) != 0 {
		t.Fatalf("errors %v %v", r.errs, r.samples)
	}
	if s.solvesOf(1) != 4 || s.solvesOf(2) != 3 || s.sumSolves != 7 || s.sumScore != 810 || s.lastID.Load() != 31 {
		t.Fatalf("after the second snapshot: solves %d/%d, sums %d/%d, last %d", s.solvesOf(1), s.solvesOf(2), s.sumSolves, s.sumScore, s.lastID.Load())
	}

	// A snapshot whose announcements are malformed is a shape error.
	_ = s.handle([]byte(`[{"type":"snapshot","last_id":40,"players":[],"series":[],"events":[],"announcements":[{"id":1,"type":"announcement","ts":1}]}]`), now)
	if r.errs["stream: wrong snapshot shape"] != 1 || !strings.Contains(r.samples["stream: wrong snapshot shape"], "announcements[0]") {
		t.Fatalf("errors %v %v", r.errs, r.samples)
	}
	_ = s.handle([]byte(`[{"type":"snapshot","last_id":40,"players":[],"series":[],"events":[],"frozen":"yes"}]`), now)
	if r.errs["stream: wrong snapshot shape"] != 2 {
		t.Fatalf("errors %v", r.errs)
	}
}
