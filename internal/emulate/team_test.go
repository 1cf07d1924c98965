package emulate

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// teamRunner is a two-instance runner in team mode with players 0..3:
// ids 10..13, players 0 and 1 in team 100, 2 and 3 in team 200.
func teamRunner(t *testing.T) (*runner, []*player) {
	t.Helper()
	r := mustMultiRunner(t, "http://a:1,http://b:2", 4)
	r.cfg.TeamSize = 2
	r.pidTeam = newPlayerInstances(64)
	var ps []*player
	for i := range 4 {
		p := newPlayer(r, i, 0)
		p.playerID = int64(10 + i)
		r.pidInst.set(p.playerID, p.inst.idx)
		tid := int64(100 + 100*(i/2))
		t := r.teams[tid]
		if t == nil {
			t = &team{id: tid, name: fmt.Sprintf("Team %d", tid), acct: newAccount(0, 2, true, 0)}
			r.teams[tid] = t
		}
		t.members = append(t.members, p)
		p.team, p.acct = t, t.acct
		r.pidTeam.set(p.playerID, int(tid))
		ps = append(ps, p)
	}
	return r, ps
}

// A team's events are mapped to the member who made them ("by"): the
// delivery split follows the member's instance, a member credited to
// another team is an error, and a team event without "by" is malformed.
func TestTeamEventsMapByMember(t *testing.T) {
	r, ps := teamRunner(t)
	s := newStreamClient(ps[0]) // on instance 1
	if err := s.handle([]byte(`[{"type":"snapshot","last_id":0,"frozen":false,"players":[],"series":[],"events":[]}]`), time.Now()); err != nil {
		t.Fatal(err)
	}
	ts := time.Now().UnixMilli()
	ev := func(id int, team, by int64) string {
		return fmt.Sprintf(`{"id":%d,"type":"score","player_id":%d,"displayname":"T","ts":%d,"challenge_id":1,"challenge":"a","points":100,"by":%d,"by_name":"m"}`, id, team, ts, by)
	}
	// Member 11 (instance 2) and 12 (instance 1) solve for their teams.
	frame := "[" + ev(1, 100, 11) + "," + ev(2, 200, 12) + "]"
	if err := s.handle([]byte(frame), time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(r.errs) != 0 {
		t.Fatalf("errors %v %v", r.errs, r.samples)
	}
	same, cross := r.delaySame.stats(), r.delayCross.stats()
	if same.Count != 1 || cross.Count != 1 {
		t.Errorf("delivery same %+v cross %+v: want one each (by the member's instance)", same, cross)
	}
	if s.solvesOf(100) != 1 || s.solvesOf(200) != 1 || s.solvesOf(11) != 0 {
		t.Errorf("solves counted by team: 100→%d 200→%d 11→%d", s.solvesOf(100), s.solvesOf(200), s.solvesOf(11))
	}

	// Member 13 of team 200 credited to team 100.
	if err := s.handle([]byte("["+ev(3, 100, 13)+"]"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if r.errs["stream: by is not a member of the team"] != 1 {
		t.Errorf("errors %v, want a by outside the team", r.errs)
	}
	// A team's solve that does not say who made it.
	noBy := fmt.Sprintf(`[{"id":4,"type":"score","player_id":100,"displayname":"T","ts":%d,"challenge_id":1,"challenge":"a","points":100}]`, ts)
	if err := s.handle([]byte(noBy), time.Now()); err != nil {
		t.Fatal(err)
	}
	if r.errs["stream: wrong event shape"] != 1 || !strings.Contains(r.samples["stream: wrong event shape"], `team score event without "by"`) {
		t.Errorf("errors %v %v, want a team event without by", r.errs, r.samples)
	}
	// A rename names the member itself; by on it is malformed.
	rename := fmt.Sprintf(`[{"id":5,"type":"rename","player_id":12,"displayname":"m","ts":%d,"by":12}]`, ts)
	if err := s.handle([]byte(rename), time.Now()); err != nil {
		t.Fatal(err)
	}
	if r.errs["stream: wrong event shape"] != 2 {
		t.Errorf("errors %v, want a rename with by refused", r.errs)
	}
}

// The end-of-run checks look for teams, not members: on the scoreboard
// and in every scorestream.
func TestTeamScorers(t *testing.T) {
	r, ps := teamRunner(t)
	for _, p := range ps {
		p.loggedIn, p.finished = true, true
		p.team.check(100, 1)
		p.team.finish()
	}
	sc := r.scorers(ps)
	if len(sc) != 2 || sc[0].id != 100 || sc[1].id != 200 || sc[0].name != "Team 100" || sc[0].solves != 1 || sc[0].expected != 100 {
		t.Fatalf("scorers %+v", sc)
	}
	board := []standing{{PlayerID: 100, DisplayName: "Team 100", Score: 100, Solves: 1}, {PlayerID: 10, DisplayName: "x", Score: 100, Solves: 1}}
	r.checkBoard(sc, board, r.instances[0])
	if r.errs["scoreboard: team missing (instance 1)"] != 1 || r.errorsTotal.Load() != 1 {
		t.Fatalf("errors %v, want team 200 missing", r.errs)
	}
	for _, p := range ps {
		p.stream = newStreamClient(p)
		p.stream.synced = true
		p.stream.addSolve(100)
		if p.idx != 3 {
			p.stream.addSolve(200)
		}
	}
	r.checkStreams(ps, sc, make([][]standing, 2), -1)
	kind := "stream: missed or duplicated solves (instance 2)"
	if r.errs[kind] != 1 || !strings.Contains(r.samples[kind], "counted 0 solves of player_id 200, who has 1 (and 0 other teams)") {
		t.Errorf("errors %v %v", r.errs, r.samples)
	}
}

// A team's account bounds what the server may answer while members
// solve and buy at once: a purchase's reply may predate solves a
// teammate had acknowledged meanwhile, and a solve's reply may include a
// teammate's purchase that is not acknowledged yet.
func TestAccountBounds(t *testing.T) {
	a := newAccount(100, 1, false, 0)
	at := a.launch(50, 0) // member A submits a 50-point flag
	a.hintMu.Lock()
	buy := a.buy(30, 0) // member B buys a 30-point hint
	// Member C's 200-point solve is acknowledged in between.
	a.launch(200, 0)
	a.land(200)
	a.solved(2, 200, launchState{total: 100}, 0)
	lo, hi := a.paid(1, 1, 30, buy)
	a.hintMu.Unlock()
	// The purchase may have been committed before C's solve: 100 − 30.
	if lo != 70 || hi != 270+50 {
		t.Errorf("purchase range %d..%d, want 70..320", lo, hi)
	}
	a.land(50)
	lo, hi, n := a.solved(3, 50, at, 0)
	// A's solve counts itself and what was acknowledged at its launch, and
	// may come after B's purchase: 100 + 50 − 30; at most everything.
	if lo != 120 || hi != 320+30 || n != 1 {
		t.Errorf("solve range %d..%d (%d correct), want 120..350", lo, hi, n)
	}
	if _, _, n := a.solved(3, 50, at, 0); n != 2 {
		t.Errorf("a second correct reply counted %d", n)
	}
	// A purchase in flight lowers what a solve's reply may show.
	at = a.launch(10, 0)
	a.buy(20, 0)
	a.land(10)
	if lo, _, _ := a.solved(4, 10, at, 0); lo != at.total+10-20 {
		t.Errorf("solve during a purchase: low bound %d, want %d", lo, at.total+10-20)
	}
	// nextHint skips hints bought in the run that a listing does not show.
	c := listedChallenge{ID: 1, Hints: []listedHint{{ID: 2, Cost: 5}, {ID: 1, Cost: 30}}}
	if h, ok := a.nextHint(c); !ok || h.ID != 2 {
		t.Errorf("next hint %+v %v, want hint 2 (hint 1 bought in the run)", h, ok)
	}
}

// With members on two instances, an instance is only sure to have folded
// what went through it: the low bound of a reply, and what may be spent,
// count only its own solves; purchases go through the buying instance.
func TestAccountOnSeveralInstances(t *testing.T) {
	a := newAccount(0, 2, true, 1)
	at0 := a.launch(100, 0)
	a.land(100)
	a.solved(1, 100, at0, 0) // acknowledged through instance 1 (index 0)
	if ok, low := a.canBuyThrough(0); ok || low != 100 {
		t.Errorf("instance 0: buys %v, sure of %d; want no purchases there, 100", ok, low)
	}
	if ok, low := a.canBuyThrough(1); !ok || low != 0 {
		t.Errorf("instance 1: buys %v, sure of %d; want purchases, but only 0 (the solve went through instance 0)", ok, low)
	}
	at1 := a.launch(50, 1)
	if at1.total != 0 {
		t.Fatalf("launch through instance 1 at %d, want 0", at1.total)
	}
	a.land(50)
	lo, hi, _ := a.solved(2, 50, at1, 1)
	if lo != 50 || hi != 150 {
		t.Errorf("solve through instance 1: %d..%d, want 50..150", lo, hi)
	}
	buy := a.buy(30, 1)
	lo, hi = a.paid(1, 1, 30, buy)
	if lo != 20 || hi != 120 {
		t.Errorf("purchase through instance 1: %d..%d, want 20..120", lo, hi)
	}
	// A purchase acknowledged before a solve's launch may not be folded on
	// the solve's instance: the reply may be that much higher.
	at0 = a.launch(10, 0)
	a.land(10)
	if lo, hi, _ := a.solved(3, 10, at0, 0); lo != 100-30+10 || hi != 130+30 {
		t.Errorf("solve through instance 0 after a purchase: %d..%d, want 80..160", lo, hi)
	}
}
