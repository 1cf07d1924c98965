package game

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// RecentEvents is how many of the latest events State keeps for
// snapshots.
const RecentEvents = 50

// RecentAnnouncements is how many of the latest announcements a snapshot
// carries: at most 20 × 2,000 bytes, so it stays within the scorestream's
// snapshot budget.
const RecentAnnouncements = 20

// FirstBloods is how many first solvers of each challenge are recorded.
const FirstBloods = 3

// Catalog is the immutable set of challenges of a game.
type Catalog struct {
	list []*Challenge
	byID map[int]*Challenge
}

// NewCatalog indexes challenges (which must already be validated and
// compiled) and sorts each challenge's hints by id, the purchase order.
func NewCatalog(challenges []*Challenge) (*Catalog, error) {
	c := &Catalog{byID: make(map[int]*Challenge, len(challenges))}
	for _, ch := range challenges {
		if _, dup := c.byID[ch.ID]; dup {
			return nil, fmt.Errorf("duplicate challenge id %d", ch.ID)
		}
		if ch.re == nil {
			if err := ch.Compile(); err != nil {
				return nil, fmt.Errorf("challenge %d: %w", ch.ID, err)
			}
		}
		sort.SliceStable(ch.Hints, func(i, j int) bool { return ch.Hints[i].ID < ch.Hints[j].ID })
		c.byID[ch.ID] = ch
		c.list = append(c.list, ch)
	}
	return c, nil
}

// All returns the challenges in file order. Callers must not modify them.
func (c *Catalog) All() []*Challenge { return c.list }

// Get returns the challenge with the given id.
func (c *Catalog) Get(id int) (*Challenge, bool) {
	ch, ok := c.byID[id]
	return ch, ok
}

// Rules are the settings of a game that change how the log is folded.
type Rules struct {
	// Start, End and Freeze are the configured times (zero: none); clock
	// events override them live.
	Start, End, Freeze time.Time
	// RevealAtEnd ends a freeze by itself at the end.
	RevealAtEnd bool
	// FirstBloodBonus is the bonus in percent of a challenge's value for
	// its first, second and third solver.
	FirstBloodBonus []int
	// Practice keeps checking flags after the end: a right one is a
	// practice solve, shown to its player only.
	Practice bool
	// TeamMode plays in teams even when credentials.csv names none
	// (players make and join teams).
	TeamMode bool
}

// State is the in-memory game: a fold over the event log. Reads take a
// shared lock and never touch the database; the engine's single committer
// is the only writer. All methods are safe for concurrent use.
//
// It keeps two folds of the players' events: the live one, which the
// rules and each player's own view use, and the public one, which
// everyone else sees. They are one and the same until a freeze begins;
// then the public one is a copy taken at the freeze that no later solve,
// hint or rename reaches, until the unfreeze makes the live one public
// again. So nothing a non-admin can read moves during a freeze — the
// board, the series, solve counts, first bloods and dynamic values all
// come from the public fold.
type State struct {
	mu       sync.RWMutex
	catalog  *Catalog
	rules    Rules
	live     *board
	pub      *board             // == live unless a freeze is on
	byName   map[string]*Player // username -> live player
	nameKeys map[string]int64   // NameKey(display name) -> player id
	lastID   int64
	gate     Gate // the clock, the freeze and public ids, folded
	// announcements are every announcement since the last reset, oldest
	// first: a handful per game, so all are kept.
	announcements []Announcement
	released      map[int]bool // challenges the admin released early
	// teamMode: credentials.csv names teams, or players make them (see
	// Rules.TeamMode); teams, not players, score.
	teamMode bool
	codes    map[string]int64 // invite code -> team made at run time
	config   []User           // the users the state was made with
	gen      uint64           // bumped by every Apply and SetCatalog
}

// ErrNoTeam is a solve or hint by a player without a team in team mode.
var ErrNoTeam = NewError(KindForbidden, "no_team")

// Solver is one solve of a challenge, in log order.
type Solver struct {
	PlayerID int64
	TS       int64
	EventID  int64
	// Base is the points the solve was committed with (its event's
	// Points): a challenge without dynamic scoring is worth that.
	Base int
	// By is the member who made a team's solve (team mode), else 0.
	By int64
}

// board is one fold of the players' events (see State).
type board struct {
	teams   bool // team mode: only teams are ranked
	players map[int64]*Player
	solvers map[int][]Solver // challenge id -> its solves in log order
	places  map[int64]int    // event id -> first-blood place (1..FirstBloods)
	recent  []Event          // the latest events, oldest first
	version uint64           // bumped on every change
	ranked  []Standing
	rankVer uint64
}

func newBoard(users []User) *board {
	b := &board{players: make(map[int64]*Player, len(users)), solvers: map[int][]Solver{}, places: map[int64]int{}}
	for _, u := range users {
		p := newPlayer(u.ID, u.Username)
		p.IsTeam, p.TeamID, p.Registered = u.IsTeam, u.TeamID, u.Registered
		b.teams = b.teams || u.IsTeam
		b.players[u.ID] = p
	}
	return b
}

// clone returns a deep copy, the public board of a freeze.
func (b *board) clone() *board {
	c := &board{
		teams:   b.teams,
		players: make(map[int64]*Player, len(b.players)),
		solvers: make(map[int][]Solver, len(b.solvers)),
		places:  make(map[int64]int, len(b.places)),
		recent:  append([]Event(nil), b.recent...),
		version: b.version,
	}
	for id, p := range b.players {
		c.players[id] = p.Clone()
	}
	for id, l := range b.solvers {
		c.solvers[id] = append([]Solver(nil), l...)
	}
	for id, n := range b.places {
		c.places[id] = n
	}
	return c
}

// worth returns what the place-th solver (1-based) of a challenge with n
// solvers holds: the challenge's current value — dynamic, or the points
// the solve was committed with — plus the first-blood bonus of its place.
func worth(c *Challenge, n, place, base int, bonus []int) int {
	v := base
	if c != nil && c.Scoring != nil {
		v = c.Scoring.Value(n)
	}
	return v + FirstBloodPoints(v, place, bonus)
}

// apply folds one solve, hint, rename or practice solve of a known player.
func (b *board) apply(p *Player, ev Event, catalog *Catalog, bonus []int) {
	switch ev.Type {
	case EventScore:
		if p.Solved(ev.ChallengeID) {
			return
		}
		c, _ := catalog.Get(ev.ChallengeID)
		list := b.solvers[ev.ChallengeID]
		n := len(list) + 1
		if c != nil && c.Scoring != nil && n > 1 {
			// Retroactive: every earlier solver now holds the new value.
			// One pass over this challenge's solvers, not a recount of
			// every score.
			for i, sv := range list {
				d := worth(c, n, i+1, sv.Base, bonus) - worth(c, n-1, i+1, sv.Base, bonus)
				if q := b.players[sv.PlayerID]; q != nil && d != 0 {
					q.Score += d
					q.addPoint(ev.TS, q.Score)
				}
			}
		}
		if n <= FirstBloods {
			b.places[ev.ID] = n
		}
		b.solvers[ev.ChallengeID] = append(list, Solver{PlayerID: p.ID, TS: ev.TS, EventID: ev.ID, Base: ev.Points, By: ev.By()})
		scored := ev
		scored.Points = worth(c, n, n, ev.Points, bonus)
		p.Apply(scored)
	case EventPractice:
		p.Apply(ev)
		b.version++
		return // shown to its player only: not a recent event
	default:
		p.Apply(ev)
	}
	b.recent = append(b.recent, ev)
	if len(b.recent) > 2*RecentEvents {
		b.recent = append(b.recent[:0], b.recent[len(b.recent)-RecentEvents:]...)
	}
	b.version++
}

// standings returns the board ranked, cached until the next change. The
// caller holds the state's write lock, or its read lock when the cache is
// known to be fresh.
func (b *board) standings() []Standing {
	if b.ranked != nil && b.rankVer == b.version {
		return b.ranked
	}
	ps := make([]*Player, 0, len(b.players))
	for _, p := range b.players {
		if p.Active && !p.Removed && p.IsTeam == b.teams {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return Less(ps[i], ps[j]) })
	out := make([]Standing, len(ps))
	for i, p := range ps {
		out[i] = Standing{Rank: i + 1, PlayerID: p.ID, DisplayName: p.Name, Score: p.Score, Solves: p.Solves, LastSolveTS: p.LastSolve}
	}
	b.ranked, b.rankVer = out, b.version
	return out
}

// NewState returns a state with the given catalog and users (ids assigned)
// and no events.
func NewState(catalog *Catalog, users []User) *State {
	s := &State{catalog: catalog, config: append([]User(nil), users...)}
	s.resetLocked(users)
	return s
}

func (s *State) resetLocked(users []User) {
	s.live = newBoard(users)
	s.live.teams = s.live.teams || s.rules.TeamMode
	s.pub = s.live
	s.teamMode = s.live.teams
	s.codes = map[string]int64{}
	s.byName = make(map[string]*Player, len(users))
	for _, p := range s.live.players {
		s.byName[p.Username] = p
	}
	s.nameKeys = make(map[string]int64)
	s.announcements = nil
	s.released = map[int]bool{}
}

// SetRules sets the configured times, the reveal and the first-blood
// bonus. Call it before the first Apply.
func (s *State) SetRules(r Rules) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = r
	s.rules.FirstBloodBonus = append([]int(nil), r.FirstBloodBonus...)
	s.gate = NewGate(r.Start, r.End, r.Freeze, r.RevealAtEnd)
	if r.TeamMode {
		s.teamMode, s.live.teams, s.pub.teams = true, true, true
	}
}

// Rules returns the rules set by SetRules.
func (s *State) Rules() Rules {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.rules
	r.FirstBloodBonus = append([]int(nil), r.FirstBloodBonus...)
	return r
}

// NewGate returns a gate with the state's configured rules, for another
// view (the scorestream) that folds the same log: it then decides every
// event as the state does.
func (s *State) NewGate() Gate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return NewGate(s.rules.Start, s.rules.End, s.rules.Freeze, s.rules.RevealAtEnd)
}

// Catalog returns the current catalog.
func (s *State) Catalog() *Catalog {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.catalog
}

// SetCatalog replaces the catalog (developer-mode reload). Events already
// folded keep the points they were committed with.
func (s *State) SetCatalog(c *Catalog) {
	s.mu.Lock()
	s.catalog = c
	s.live.version++
	s.pub.version++
	s.gen++
	s.mu.Unlock()
}

// Apply folds committed events, in id order, into the state.
func (s *State) Apply(evs ...Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	for _, ev := range evs {
		if ev.ID > s.lastID {
			s.lastID = ev.ID
		}
		step := s.gate.Step(ev)
		if step.Froze {
			s.pub = s.live.clone()
		}
		if step.Revealed {
			s.pub = s.live
		}
		switch ev.Type {
		case EventReset:
			// Everything before it is gone, in the store as here; the gate
			// forgot the clock events too.
			s.forgetLocked()
			continue
		case EventAnnouncement:
			if a, ok := ev.Announcement(); ok {
				s.announcements = append(s.announcements, a)
			}
			continue
		case EventRelease:
			s.released[ev.ChallengeID] = true
			s.live.version++
			continue
		case EventRegister:
			s.addPlayerLocked(ev.UserID, ev.Name) // account.go
			continue
		case EventRemove:
			s.removeLocked(ev.UserID)
			continue
		case EventJoin:
			if team, ok := ev.JoinTeam(); ok {
				s.joinLocked(ev.UserID, team)
			}
			continue
		case EventRename:
			if code, ok := ev.NewTeamCode(); ok && s.live.players[ev.UserID] == nil {
				s.addTeamLocked(ev.UserID, ev.Name, code)
			}
		case EventScore, EventHint, EventPractice:
		default:
			continue // the clock, the freeze, a logout: folded by the gate or not a change of the game
		}
		p := s.live.players[ev.UserID]
		if p == nil {
			continue // a user removed from credentials.csv: history kept in the DB only
		}
		if ev.Type == EventRename {
			s.renameLocked(p, ev.Name)
		}
		s.live.apply(p, ev, s.catalog, s.rules.FirstBloodBonus)
	}
}

// removeLocked removes a player or disbands a team, on the live board and
// on a frozen public one alike.
func (s *State) removeLocked(id int64) {
	for _, b := range []*board{s.live, s.pub} {
		p := b.players[id]
		if p == nil {
			continue
		}
		p.Removed = true
		if p.IsTeam {
			for _, m := range b.players {
				if m.TeamID == id {
					m.TeamID = 0
				}
			}
		}
		b.version++
	}
}

// addTeamLocked adds a team made at run time (its name comes with the
// rename that made it).
func (s *State) addTeamLocked(id int64, name, code string) {
	p := newPlayer(id, TeamUsername(name))
	p.IsTeam = true
	s.live.players[id] = p
	s.byName[p.Username] = p
	if code != "" {
		s.codes[code] = id
	}
}

// joinLocked moves a player into team (0: out of any). A join to a team
// that does not exist (a race lost on another instance) or by a team is
// ignored.
func (s *State) joinLocked(playerID, team int64) {
	p := s.live.players[playerID]
	if p == nil || p.IsTeam {
		return
	}
	if t := s.live.players[team]; team != 0 && (t == nil || !t.IsTeam || t.Removed) {
		return
	}
	p.TeamID = team
	if q := s.pub.players[playerID]; q != nil && s.pub != s.live {
		q.TeamID = team
	}
}

// TeamByCode returns the team made at run time with that invite code
// (not a disbanded one).
func (s *State) TeamByCode(code string) (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.codes[code]
	if t := s.live.players[id]; ok && (t == nil || t.Removed) {
		return 0, false
	}
	return id, ok
}

// Teams returns every team (not disbanded) with its members, in id order.
func (s *State) Teams() []Profile {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Profile
	for _, t := range s.live.players {
		if !t.IsTeam || t.Removed {
			continue
		}
		pr := Profile{ID: t.ID, DisplayName: t.Name, IsTeam: true, Score: t.Score}
		for _, m := range s.live.players {
			if !m.IsTeam && m.TeamID == t.ID {
				pr.Members = append(pr.Members, TeamMember{PlayerID: m.ID, DisplayName: m.Name})
			}
		}
		sort.Slice(pr.Members, func(i, j int) bool { return pr.Members[i].PlayerID < pr.Members[j].PlayerID })
		out = append(out, pr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// TeamCode returns the invite code of a team made at run time ("" for a
// team of credentials.csv, which has none).
func (s *State) TeamCode(team int64) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for code, id := range s.codes {
		if id == team {
			return code
		}
	}
	return ""
}

// Members returns the members of a team, by player id.
func (s *State) Members(team int64) []TeamMember {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []TeamMember
	for _, p := range s.live.players {
		if !p.IsTeam && p.TeamID == team && team != 0 {
			out = append(out, TeamMember{PlayerID: p.ID, DisplayName: p.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PlayerID < out[j].PlayerID })
	return out
}

// forgetLocked forgets every event and display name, keeping users and
// catalog (a reset event). lastID stays: event ids are never reused.
func (s *State) forgetLocked() {
	// Back to the users of the configuration: teams made and joins done
	// at run time were events, gone with the rest.
	s.resetLocked(s.config)
}

// renameLocked moves p's claim in nameKeys from its current name to name.
// Logs written before NameKey compared confusable skeletons can hold two
// current names with one key (say "Champion" and "Ｃｈａｍｐｉｏｎ"): the
// first claim keeps the key, as the store's re-keying keeps it for the
// earliest rename, and a player gives up only a claim it holds.
func (s *State) renameLocked(p *Player, name string) {
	if p.Name != "" {
		if k := NameKey(p.Name); s.nameKeys[k] == p.ID {
			delete(s.nameKeys, k)
		}
	}
	k := NameKey(name)
	if _, held := s.nameKeys[k]; !held {
		s.nameKeys[k] = p.ID
	}
}

// publicLocked returns the board everyone but the admin sees at now and
// the (public) id of the last event it reflects.
func (s *State) publicLocked(now time.Time) (*board, int64) {
	if s.pub == s.live || !s.gate.Frozen(now) {
		// Not frozen, or the end revealed the board before any event
		// did.
		return s.live, s.lastID
	}
	return s.pub, s.gate.PublicID()
}

// Clock returns the competition clock as folded so far.
func (s *State) Clock() Clock {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gate.Clock
}

// Frozen reports whether everyone but the admin sees a frozen game at
// now.
func (s *State) Frozen(now time.Time) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gate.Frozen(now)
}

// Latched reports whether the public board is still the copy taken at a
// freeze: a freeze began at an event and no event has ended it yet (the
// end may have revealed the board by time already; an unfreeze event
// then makes every view agree).
func (s *State) Latched() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gate.Latched()
}

// Announcements returns a copy of the announcements since the last
// reset, oldest first.
func (s *State) Announcements() []Announcement {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Announcement{}, s.announcements...)
}

// LastID returns the id of the latest folded event.
func (s *State) LastID() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lastID
}

// PlayerByUsername returns a copy of the player with that username (live).
func (s *State) PlayerByUsername(username string) (Player, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.byName[username]
	if !ok {
		return Player{}, false
	}
	return p.scalars(), true
}

// Player returns a copy of the scalar fields (id, names, score, solves) of
// the player with that id as they truly stand (the live fold: for the
// player themself, the rules and the admin); use WithPlayer or
// ClonePlayer for rule checks.
func (s *State) Player(id int64) (Player, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.live.players[id]
	if !ok {
		return Player{}, false
	}
	return p.scalars(), true
}

// PublicPlayer returns the player as everyone else sees them at now: as
// at the freeze while one is on.
func (s *State) PublicPlayer(id int64, now time.Time) (Player, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, _ := s.publicLocked(now)
	p, ok := b.players[id]
	if !ok {
		return Player{}, false
	}
	return p.scalars(), true
}

// WithPlayer calls fn with the live player under the state's read lock,
// so fn may inspect maps but must not keep p or modify it. It reports
// whether the player exists.
func (s *State) WithPlayer(id int64, fn func(p *Player)) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.live.players[id]
	if ok {
		fn(p)
	}
	return ok
}

// ClonePlayer returns a deep copy of the live player with that id.
func (s *State) ClonePlayer(id int64) (*Player, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.live.players[id]
	if !ok {
		return nil, false
	}
	return p.Clone(), true
}

// NameOwner returns the id of the player whose display name has the same
// NameKey as name.
func (s *State) NameOwner(name string) (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.nameKeys[NameKey(name)]
	return id, ok
}

// visibleLocked reports whether challenge c is out at now: it has no
// release time, its time has come, or the admin released it.
func (s *State) visibleLocked(c *Challenge, now time.Time) bool {
	return c.Release == nil || !now.Before(*c.Release) || s.released[c.ID]
}

// Released reports whether challenge c is out at now (see Challenge.Release).
func (s *State) Released(c *Challenge, now time.Time) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.visibleLocked(c, now)
}

// NextRelease returns the earliest release time after now of a challenge
// not yet out (zero when none), so that clients know when to look again.
func (s *State) NextRelease(now time.Time) time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var next time.Time
	for _, c := range s.catalog.list {
		if c.Release != nil && !s.visibleLocked(c, now) && (next.IsZero() || c.Release.Before(next)) {
			next = *c.Release
		}
	}
	return next
}

// ValueWith returns the value a solve of c is committed with when extra
// solves of it (this one included) are not folded yet: c's points, or its
// dynamic value with that many more solvers.
func (s *State) ValueWith(c *Challenge, extra int) int {
	if c.Scoring == nil {
		return c.Points
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return c.Scoring.Value(len(s.live.solvers[c.ID]) + extra)
}

// Worth returns what the player's solve of challenge id is worth now on
// the live board (its value plus first-blood bonus), 0 if none.
func (s *State) Worth(playerID int64, id int) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.live.solvers[id]
	c, _ := s.catalog.Get(id)
	for i, sv := range list {
		if sv.PlayerID == playerID {
			return worth(c, len(list), i+1, sv.Base, s.rules.FirstBloodBonus)
		}
	}
	return 0
}

// FirstBlood is one of the first solvers of a challenge.
type FirstBlood struct {
	PlayerID    int64  `json:"player_id"`
	DisplayName string `json:"displayname"`
	TS          int64  `json:"ts"`
}

// ChallengeView is one challenge as one player sees it.
type ChallengeView struct {
	Challenge *Challenge
	Solved    bool
	// Pending: solved during the freeze, so not on the public board yet.
	Pending bool
	// Practice: solved in practice mode after the end (never scored).
	Practice bool
	// Bought holds, per hint in purchase order, whether the player has it.
	Bought []bool
	// Value is the challenge's current value as the public board has it
	// (dynamic scoring falls with solvers; frozen during a freeze).
	Value int
	// Solves is its number of solvers on the public board.
	Solves int
}

// FirstBloods returns the first solvers of every challenge on the public
// board at now, and a key that changes whenever they may have: callers
// may cache what they make of them under the key (the hottest read,
// GET /api/challenges, encodes them once per change, not per request).
func (s *State) FirstBloods(now time.Time) (uint64, map[int][]FirstBlood) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, key := s.publicKeyLocked(now)
	out := make(map[int][]FirstBlood, len(s.catalog.list))
	for _, c := range s.catalog.list {
		out[c.ID] = b.firstBloods(c.ID)
	}
	return key, out
}

// FirstBloodsKey returns the key FirstBloods would return now, cheaply.
func (s *State) FirstBloodsKey(now time.Time) uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, key := s.publicKeyLocked(now)
	return key
}

// publicKeyLocked returns the public board at now and a key that changes
// with every fold and when the public board switches between the live one
// and a frozen copy.
func (s *State) publicKeyLocked(now time.Time) (*board, uint64) {
	b, _ := s.publicLocked(now)
	key := s.gen << 1
	if b == s.live {
		key |= 1
	}
	return b, key
}

// value is the current value of c on board b.
func (b *board) value(c *Challenge) int {
	if c.Scoring == nil {
		return c.Points
	}
	return c.Scoring.Value(len(b.solvers[c.ID]))
}

// firstBloods returns the first solvers of challenge id on b.
func (b *board) firstBloods(id int) []FirstBlood {
	list := b.solvers[id]
	out := make([]FirstBlood, 0, min(len(list), FirstBloods))
	for _, sv := range list[:min(len(list), FirstBloods)] {
		fb := FirstBlood{PlayerID: sv.PlayerID, TS: sv.TS}
		if p := b.players[sv.PlayerID]; p != nil {
			fb.DisplayName = p.Name
		}
		out = append(out, fb)
	}
	return out
}

// View returns the challenges available to the player at now (released,
// requirements solved), in file order, with the player's copy for
// placeholders. The player's own progress is live; counts, values and
// first bloods are public.
func (s *State) View(playerID int64, now time.Time) ([]ChallengeView, Player, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	me, ok := s.live.players[playerID]
	if !ok {
		return nil, Player{}, false
	}
	// The challenges are the scorer's (the team's in team mode); the
	// placeholders are the player's own.
	copyOfMe := me.scalars()
	p := me
	if sid := s.scorerLocked(playerID); sid != playerID {
		p = s.live.players[sid]
		if p == nil {
			p = newPlayer(0, "") // no team yet: nothing solved
		} else {
			copyOfMe.Team = p.Name
		}
	}
	pub, _ := s.publicLocked(now)
	pp := pub.players[p.ID]
	out := make([]ChallengeView, 0, len(s.catalog.list))
	for _, c := range s.catalog.list {
		if !p.Available(c) || !s.visibleLocked(c, now) {
			continue
		}
		v := ChallengeView{
			Challenge: c, Solved: p.Solved(c.ID), Practice: p.Practiced(c.ID),
			Bought: make([]bool, len(c.Hints)),
			Value:  pub.value(c), Solves: len(pub.solvers[c.ID]),
		}
		v.Pending = v.Solved && (pp == nil || !pp.Solved(c.ID))
		for i, h := range c.Hints {
			v.Bought[i] = p.HasHint(c.ID, h.ID)
		}
		out = append(out, v)
	}
	return out, copyOfMe, true
}

// Scoreboard returns the ranked standings everyone sees at now (as at the
// freeze while one is on) and the id of the latest event they reflect (a
// public id, see Gate). The slice is shared and cached until the next
// change: callers must not modify it.
func (s *State) Scoreboard(now time.Time) ([]Standing, int64) {
	s.mu.RLock()
	b, id := s.publicLocked(now)
	if b.ranked != nil && b.rankVer == b.version {
		s.mu.RUnlock()
		return b.ranked, id
	}
	s.mu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, id = s.publicLocked(now)
	return b.standings(), id
}

// LiveScoreboard returns the true standings (the admin's board) and the
// id of the latest folded event.
func (s *State) LiveScoreboard() ([]Standing, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live.standings(), s.lastID
}

// Less orders players for ranking: higher score first; at equal score the
// one who reached it first (earlier last solve) ranks higher; then lower
// id, so the order is total and stable.
func Less(a, b *Player) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.LastSolve != b.LastSolve {
		// A player with no solve (0) at equal score ranks after one with.
		if a.LastSolve == 0 || b.LastSolve == 0 {
			return b.LastSolve == 0
		}
		return a.LastSolve < b.LastSolve
	}
	return a.ID < b.ID
}

// Snapshot is a consistent view for the scorestream: the ranked board, the
// score series of the top n players and the latest events, all as of
// LastID, as everyone sees them.
type Snapshot struct {
	LastID  int64
	Frozen  bool
	Players []Standing
	Series  []Series
	Events  []Event
	// Names are the display names of the players of Events, as the board
	// has them (during a freeze, a later rename does not show).
	Names []string
	// Places are, per event of Events, its first-blood place (0: none).
	Places []int
	// Announcements are the latest announcements, oldest first.
	Announcements []Announcement
}

// TakeSnapshot returns the public board at now, the series of the top n
// players and the latest RecentEvents events.
func (s *State) TakeSnapshot(top int, now time.Time) Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, id := s.publicLocked(now)
	board := b.standings()
	snap := Snapshot{LastID: id, Frozen: s.gate.Frozen(now), Players: board}
	for i := 0; i < len(board) && i < top; i++ {
		p := b.players[board[i].PlayerID]
		snap.Series = append(snap.Series, Series{PlayerID: p.ID, DisplayName: p.Name, Points: append([][2]int64(nil), p.series...)})
	}
	snap.Events = append([]Event(nil), b.recent[max(0, len(b.recent)-RecentEvents):]...)
	snap.Names = make([]string, len(snap.Events))
	snap.Places = make([]int, len(snap.Events))
	for i, ev := range snap.Events {
		if p := b.players[ev.UserID]; p != nil {
			snap.Names[i] = p.Name
		}
		snap.Places[i] = b.places[ev.ID]
	}
	snap.Announcements = append([]Announcement(nil), s.announcements[max(0, len(s.announcements)-RecentAnnouncements):]...)
	return snap
}

// SolveDetail is one solve of a player as a board holds it.
type SolveDetail struct {
	ChallengeID int
	EventID     int64
	TS          int64
	Points      int   // what the solve is worth now (value + first-blood bonus)
	Place       int   // 1-based place among the challenge's solvers
	By          int64 // the member who made a team's solve, else 0
}

// Solves returns every player's solves, keyed by player id, each list in
// log order: on the public board at now, or the live one (the admin's).
func (s *State) Solves(now time.Time, live bool) map[int64][]SolveDetail {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.live
	if !live {
		b, _ = s.publicLocked(now)
	}
	out := map[int64][]SolveDetail{}
	for cid, list := range b.solvers {
		c, _ := s.catalog.Get(cid)
		for i, sv := range list {
			out[sv.PlayerID] = append(out[sv.PlayerID], SolveDetail{ChallengeID: cid, EventID: sv.EventID, TS: sv.TS, Place: i + 1, By: sv.By,
				Points: worth(c, len(list), i+1, sv.Base, s.rules.FirstBloodBonus)})
		}
	}
	for _, l := range out {
		sort.Slice(l, func(i, j int) bool { return l[i].EventID < l[j].EventID })
	}
	return out
}

// DisplayName returns the current display name of a player ("" if unset
// or unknown), as the player themself has it.
func (s *State) DisplayName(id int64) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p, ok := s.live.players[id]; ok {
		return p.Name
	}
	return ""
}

// Users returns every user (players and teams), for rebuilding.
func (s *State) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usersLocked()
}

func (s *State) usersLocked() []User {
	out := make([]User, 0, len(s.live.players))
	for _, p := range s.live.players {
		out = append(out, User{ID: p.ID, Username: p.Username, TeamID: p.TeamID, IsTeam: p.IsTeam, Registered: p.Registered})
	}
	return out
}

// TeamMode reports whether teams, not players, score.
func (s *State) TeamMode() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.teamMode
}

// Scorer returns who a player's solves and hints belong to: the player,
// or in team mode their team (0 when they have none, or are unknown).
func (s *State) Scorer(playerID int64) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.scorerLocked(playerID)
}

func (s *State) scorerLocked(playerID int64) int64 {
	if !s.teamMode {
		return playerID
	}
	if p := s.live.players[playerID]; p != nil && !p.IsTeam {
		return p.TeamID
	}
	return 0
}

// Profile is one scorer (a player, or a team in team mode) as the public
// board has it: a player's or a team's page.
type Profile struct {
	ID          int64
	DisplayName string
	IsTeam      bool
	TeamID      int64 // a member's team (team mode), 0 otherwise
	Rank        int   // 0: not on the board
	Score       int
	Solves      []SolveDetail
	Series      [][2]int64
	Members     []TeamMember // a team's members
}

// Profile returns the page of player or team id as everyone sees it at
// now (as at the freeze while one is on).
func (s *State) Profile(id int64, now time.Time) (Profile, bool) {
	solves := s.Solves(now, false)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := s.publicLocked(now)
	p := b.players[id]
	if p == nil {
		if p = s.live.players[id]; p == nil {
			return Profile{}, false
		}
	}
	out := Profile{ID: id, DisplayName: p.Name, IsTeam: p.IsTeam, TeamID: p.TeamID, Score: p.Score,
		Solves: solves[id], Series: append([][2]int64(nil), p.series...)}
	scorer := id
	if s.teamMode && !p.IsTeam {
		// A member's page: the solves they made for their team, and the
		// team's rank, score and series.
		out.Solves, out.Score, out.Series, scorer = nil, 0, nil, p.TeamID
		for _, sd := range solves[p.TeamID] {
			if sd.By == id {
				out.Solves = append(out.Solves, sd)
			}
		}
		if t := b.players[p.TeamID]; t != nil {
			out.Score, out.Series = t.Score, append([][2]int64(nil), t.series...)
		}
	}
	for _, st := range b.standings() {
		if st.PlayerID == scorer {
			out.Rank = st.Rank
			break
		}
	}
	if p.IsTeam {
		for _, m := range s.live.players {
			if !m.IsTeam && m.TeamID == id {
				out.Members = append(out.Members, TeamMember{PlayerID: m.ID, DisplayName: b.nameOf(m.ID)})
			}
		}
		sort.Slice(out.Members, func(i, j int) bool { return out.Members[i].PlayerID < out.Members[j].PlayerID })
	}
	return out, true
}

// nameOf is a player's display name on b ("" if unknown there).
func (b *board) nameOf(id int64) string {
	if p := b.players[id]; p != nil {
		return p.Name
	}
	return ""
}

// ChallengeSolvers returns the solvers of challenge id on the public
// board at now, in order, with what each solve is worth.
func (s *State) ChallengeSolvers(id int, now time.Time) []FirstBlood {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, _ := s.publicLocked(now)
	list := b.solvers[id]
	out := make([]FirstBlood, 0, len(list))
	for _, sv := range list {
		out = append(out, FirstBlood{PlayerID: sv.PlayerID, DisplayName: b.nameOf(sv.PlayerID), TS: sv.TS})
	}
	return out
}
