package emulate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"
)

// account is the acknowledged score that bounds the totals the server may
// answer: a player's own when players score, shared by the emulated
// members of a team in team mode (docs/API.md, "Teams"), where any
// member's solve or hint moves the team's total.
type account struct {
	mu sync.Mutex
	// total is the score the server has acknowledged so far: the initial
	// total plus acknowledged solves minus acknowledged hints. Solves
	// still in flight can only add to it, so it is a lower bound of the
	// server's figure, and spending at most this much never causes a 402.
	total int64
	// spent is the cost of every hint bought so far.
	spent int64
	// pending is the points of every submission in flight (a team's
	// members may have the same challenge in flight more than once).
	pending int64
	// buying is the cost of the hint purchase in flight: committed
	// perhaps, not acknowledged yet.
	buying int64
	// bought holds the hints bought in this run, which a member's listing
	// may not show yet.
	bought map[[2]int]bool
	// correct counts "correct" replies per challenge: more than one is a
	// solve counted twice.
	correct map[int]int

	// lag is set for a team whose members play on several instances: an
	// instance may not have folded yet what another committed, so total
	// bounds what one instance answers only through what was acknowledged
	// through it: base plus solvedOn[instance] minus every purchase. All
	// purchases then go through one instance, buyer, which therefore
	// folds them in order.
	lag      bool
	base     int64
	solvedOn []int64
	buyer    int

	// hintMu makes an account's purchases one at a time, so that no
	// unacknowledged purchase can make total overstate what is left to
	// spend (one player buys from its own loop; a team's members would
	// otherwise buy at once).
	hintMu sync.Mutex
}

// newAccount opens an account at total for a run on instances servers;
// lag (see account) when the account's members use several of them,
// buying through instance buyer.
func newAccount(total int64, instances int, lag bool, buyer int) *account {
	return &account{total: total, bought: map[[2]int]bool{}, correct: map[int]int{},
		lag: lag, base: total, solvedOn: make([]int64, instances), buyer: buyer}
}

// low is the acknowledged total that instance inst is sure to have folded.
func (a *account) low(inst int) int64 {
	if !a.lag {
		return a.total
	}
	return a.base + a.solvedOn[inst] - a.spent
}

// launch notes a submission through instance inst of a challenge worth
// points and returns what was acknowledged when it was sent.
func (a *account) launch(points int64, inst int) launchState {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending += points
	return launchState{total: a.low(inst), spent: a.spent}
}

// land notes that a submission's reply is in.
func (a *account) land(points int64) {
	a.mu.Lock()
	a.pending -= points
	a.mu.Unlock()
}

// solved acknowledges a correct flag for challenge id worth points sent
// through instance inst at at, and returns the range the reply's total
// must lie in and how many correct replies the challenge has had on this
// account. The reply counts this solve and everything acknowledged before
// it was sent, and possibly solves and hints that completed while it was
// in flight, solves still in flight, and a purchase in flight; with lag,
// also none of the purchases acknowledged before it was sent.
func (a *account) solved(id int, points int64, at launchState, inst int) (lo, hi int64, correct int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total += points
	a.solvedOn[inst] += points
	a.correct[id]++
	lo = at.total + points - (a.spent - at.spent) - a.buying
	hi = a.total + a.pending + (a.spent - at.spent)
	if a.lag {
		hi += at.spent
	}
	return lo, hi, a.correct[id]
}

// acknowledged returns the acknowledged total.
func (a *account) acknowledged() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}

// canBuyThrough reports whether purchases may go through instance inst,
// and the total that instance is sure to have folded.
func (a *account) canBuyThrough(inst int) (bool, int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.lag || inst == a.buyer, a.low(inst)
}

// nextHint returns the next hint of c to buy (see nextHint).
func (a *account) nextHint(c listedChallenge) (listedHint, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return nextHint(c, a.bought)
}

// buy notes that a purchase of a hint costing cost is in flight through
// instance inst and returns what was acknowledged when it was sent.
func (a *account) buy(cost int64, inst int) launchState {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buying = cost
	return launchState{total: a.low(inst), spent: a.spent}
}

// paid acknowledges (or, when the reply was lost, assumes) a purchase sent
// at at and returns the range the reply's total must lie in: no other
// purchase can land in between (hintMu), but solves may, and in team mode
// a teammate may have had solves acknowledged that the purchase came
// before.
func (a *account) paid(challenge, hint int, cost int64, at launchState) (lo, hi int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buying = 0
	a.total -= cost
	a.spent += cost
	a.bought[[2]int{challenge, hint}] = true
	return at.total - cost, a.total + a.pending
}

// refused notes that a purchase was not made.
func (a *account) refused() {
	a.mu.Lock()
	a.buying = 0
	a.mu.Unlock()
}

// team is one team of a team-mode run, as /api/me names it; its members
// are the emulated players in it.
type team struct {
	id   int64
	name string
	acct *account

	mu       sync.Mutex // guards the fields below
	members  []*player
	finished bool  // a member passed the end-of-run checks
	solves   int   // the team's final number of solves
	expected int64 // the team's final expected score
	checked  bool  // the account was compared with the final listing
}

// teamMode tells whether the run plays a server in team mode.
func (r *runner) teamMode() bool { return r.cfg.TeamSize > 0 }

// joinTeam adds p to the team /api/me named (obj is its reply) and gives
// p the team's account; the first member's total starts it, since every
// solve after that reply is an emulated member's and is acknowledged to
// it. It reports whether p can play.
func (p *player) joinTeam(rep *reply, obj map[string]json.RawMessage, total int64) bool {
	r := p.r
	rawID, hasID := obj["team_id"]
	if !hasID {
		r.fail("GET /api/me: no team_id", fmt.Sprintf("%s → %s: run with --team-size only against a server that plays in teams", rep.desc, abbreviate(rep.body, 200)))
		return false
	}
	if k, isNull := kindOf(rawID); isNull {
		r.fail("team: player has no team", fmt.Sprintf("%s (%s) has no team: give it one in credentials.csv's team column", p.user.Username, rep.desc))
		return false
	} else if k != kInt {
		p.shapeErr(epMe, rep, fmt.Errorf("team_id is not an integer or null"))
		return false
	}
	if k, isNull := kindOf(obj["team"]); k != kString || isNull {
		p.shapeErr(epMe, rep, fmt.Errorf("team_id set but team is not a string"))
		return false
	}
	id, name := integer(obj, "team_id"), str(obj, "team")
	if p.user.Team != "" && name != p.user.Team {
		r.fail("team: not the credentials' team", fmt.Sprintf("%s is in team %q, credentials.csv says %q", p.user.Username, name, p.user.Team))
	}

	r.teamsMu.Lock()
	t := r.teams[id]
	if t == nil {
		// The first member's instance buys the team's hints.
		t = &team{id: id, name: name, acct: newAccount(total, len(r.instances), r.multi(), p.inst.idx)}
		r.teams[id] = t
	}
	r.teamsMu.Unlock()

	t.mu.Lock()
	t.members = append(t.members, p)
	n := len(t.members)
	t.mu.Unlock()
	if t.name != name {
		r.fail("team: members disagree on the team's name", fmt.Sprintf("team_id %d is %q for one member, %q for %s", id, t.name, name, p.user.Username))
	}
	if n > r.cfg.TeamSize {
		r.fail("team: more members than --team-size", fmt.Sprintf("team %q (team_id %d) has %d emulated members, --team-size is %d", name, id, n, r.cfg.TeamSize))
	}
	p.team, p.acct = t, t.acct
	if id >= 0 && id <= math.MaxInt32 {
		r.pidTeam.set(p.playerID, int(id))
	}
	return true
}

// teamCount is the number of teams seen so far.
func (r *runner) teamCount() int {
	r.teamsMu.Lock()
	defer r.teamsMu.Unlock()
	return len(r.teams)
}

// solvingOver tells the run that p will submit and buy nothing more; in
// team mode every member's end-of-run checks wait for all of them (see
// finish). It is called once per player on every path out of run.
func (p *player) solvingOver() {
	if p.over {
		return
	}
	p.over = true
	if p.r.solvingLeft.Add(-1) == 0 {
		close(p.r.allOver)
	}
}

// scorer is one line the final scoreboard and every scorestream must
// have: a finished player, or in team mode a team with a finished member.
type scorer struct {
	id       int64
	name     string // display name: the player's, or the team's name
	who      string // for messages: the username, or the team's name
	inst     *instance
	solves   int
	expected int64
}

// scorers returns the run's scorers in player or team-id order.
func (r *runner) scorers(players []*player) []scorer {
	var out []scorer
	if !r.teamMode() {
		for _, p := range players {
			if p.finished {
				out = append(out, scorer{id: p.playerID, name: p.name, who: p.user.Username, inst: p.inst, solves: p.solves, expected: p.expected})
			}
		}
		return out
	}
	r.teamsMu.Lock()
	for _, t := range r.teams {
		t.mu.Lock()
		if t.finished {
			out = append(out, scorer{id: t.id, name: t.name, who: t.name, solves: t.solves, expected: t.expected})
		}
		t.mu.Unlock()
	}
	r.teamsMu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// check records the team's final solves and expected score as one member
// found them; it reports true for the first member only (who compares the
// team's account with them), and counts a member whose listing disagrees.
func (t *team) check(expected int64, solves int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.checked {
		return false
	}
	t.checked, t.expected, t.solves = true, expected, solves
	return true
}

// finish marks the team as having a finished member.
func (t *team) finish() {
	t.mu.Lock()
	t.finished = true
	t.mu.Unlock()
}

// who names p's score in messages: the username, and in team mode the team.
func (p *player) who() string {
	if p.team == nil {
		return p.user.Username
	}
	return fmt.Sprintf("%s (team %q)", p.user.Username, p.team.name)
}

// teamWhere is " for team …" in team mode, for messages.
func (p *player) teamWhere() string {
	if p.team == nil {
		return ""
	}
	return fmt.Sprintf(" for team %q", p.team.name)
}

// invite is the invite code of a team one player makes for its group
// (Config.MakeTeams), handed to the group's other players: ready is
// closed once code is known, or left empty when making the team failed.
type invite struct {
	ready chan struct{}
	code  string
}

var (
	myTeamShape = []field{req("team_id", kInt), req("team", kString), req("members", kArray), req("invite_code", kString)}
)

// teamName is the name of the team group g makes in run runID: unique
// per run, valid as a display name.
func teamName(runID string, g int) string {
	return fmt.Sprintf("emu %s team %d", runID, g+1)
}

// makeTeam, with Config.MakeTeams, puts the player in its group's team
// through the API: the group's first player makes the team and hands its
// invite code to the others, who join with it. Without MakeTeams it does
// nothing.
func (p *player) makeTeam(ctx context.Context) bool {
	r := p.r
	if !r.cfg.MakeTeams {
		return true
	}
	g := p.idx / r.cfg.TeamSize
	inv := r.invites[g]
	if p.idx%r.cfg.TeamSize == 0 {
		defer close(inv.ready) // also on failure: nobody waits forever
		rep := p.do(ctx, epTeam, "POST", "/api/teams", map[string]string{"name": teamName(r.runID, g)}, false)
		if !p.expect(epTeam, rep, 200, true) {
			return false
		}
		obj, err := checkObject(rep.body, myTeamShape...)
		if err != nil {
			p.shapeErr(epTeam, rep, err)
			return false
		}
		inv.code = str(obj, "invite_code")
		return true
	}
	select {
	case <-inv.ready:
	case <-ctx.Done():
		return false
	}
	if inv.code == "" {
		r.fail("team: no team to join", fmt.Sprintf("%s cannot join team %q: making it failed", p.user.Username, teamName(r.runID, g)))
		return false
	}
	rep := p.do(ctx, epTeam, "POST", "/api/teams/join", map[string]string{"code": inv.code}, false)
	if !p.expect(epTeam, rep, 200, true) {
		return false
	}
	if _, err := checkObject(rep.body, myTeamShape...); err != nil {
		p.shapeErr(epTeam, rep, err)
		return false
	}
	return true
}
