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

// State is the in-memory game: a fold over the event log. Reads take a
// shared lock and never touch the database; the engine's single committer
// is the only writer. All methods are safe for concurrent use.
type State struct {
	mu       sync.RWMutex
	catalog  *Catalog
	players  map[int64]*Player
	byName   map[string]*Player // username -> player
	nameKeys map[string]int64   // NameKey(display name) -> player id
	lastID   int64
	recent   []Event // ring of the latest events, oldest first
	version  uint64  // bumped on every change that moves the scoreboard
	board    []Standing
	boardVer uint64
	clock    Clock // the configured window plus the clock events folded
	// announcements are every announcement since the last reset, oldest
	// first: a handful per game, so all are kept.
	announcements []Announcement
}

// NewState returns a state with the given catalog and users (ids assigned)
// and no events.
func NewState(catalog *Catalog, users []User) *State {
	s := &State{catalog: catalog}
	s.resetLocked(users)
	return s
}

func (s *State) resetLocked(users []User) {
	s.players = make(map[int64]*Player, len(users))
	s.byName = make(map[string]*Player, len(users))
	s.nameKeys = make(map[string]int64)
	for _, u := range users {
		p := newPlayer(u.ID, u.Username)
		s.players[u.ID] = p
		s.byName[u.Username] = p
	}
	s.recent = nil
	s.announcements = nil
	s.version++
}

// forgetLocked forgets every event and display name, keeping users and
// catalog (a reset event). lastID stays: event ids are never reused.
func (s *State) forgetLocked() {
	users := make([]User, 0, len(s.players))
	for _, p := range s.players {
		users = append(users, User{ID: p.ID, Username: p.Username})
	}
	s.resetLocked(users)
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
	s.version++
	s.mu.Unlock()
}

// Apply folds committed events, in id order, into the state.
func (s *State) Apply(evs ...Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range evs {
		if ev.ID > s.lastID {
			s.lastID = ev.ID
		}
		switch ev.Type {
		case EventReset:
			s.forgetLocked()
			// The store deleted the clock events before the reset with
			// everything else: a restart would not see them, so no
			// instance keeps them either.
			s.clock = Clock{ConfigStart: s.clock.ConfigStart, ConfigEnd: s.clock.ConfigEnd}
			continue
		case EventClock:
			// Folded as written, even if it makes start >= end (two admins
			// on two instances at once): State then says ended or before,
			// never something in between, and the next change fixes it.
			if ch, ok := ev.ClockChange(); ok {
				s.clock = s.clock.Apply(ch)
			}
			continue
		case EventPause, EventResume:
			s.clock.Paused = ev.Type == EventPause
			continue
		case EventAnnouncement:
			if a, ok := ev.Announcement(); ok {
				s.announcements = append(s.announcements, a)
			}
			continue
		case EventScore, EventHint, EventRename:
		default:
			continue // not a change of the game (a logout, say)
		}
		p := s.players[ev.UserID]
		if p == nil {
			continue // a user removed from credentials.csv: history kept in the DB only
		}
		if ev.Type == EventRename {
			s.renameLocked(p, ev.Name)
		}
		p.Apply(ev)
		s.recent = append(s.recent, ev)
		if len(s.recent) > 2*RecentEvents {
			s.recent = append(s.recent[:0], s.recent[len(s.recent)-RecentEvents:]...)
		}
	}
	s.version++
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

// SetClockConfig sets the configured start and end (zero: none); live
// changes folded from the log override them.
func (s *State) SetClockConfig(start, end time.Time) {
	s.mu.Lock()
	s.clock.ConfigStart, s.clock.ConfigEnd = start, end
	s.mu.Unlock()
}

// Clock returns the competition clock as folded so far.
func (s *State) Clock() Clock {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.clock
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

// PlayerByUsername returns a copy of the player with that username.
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
// the player with that id; use WithPlayer or ClonePlayer for rule checks.
func (s *State) Player(id int64) (Player, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.players[id]
	if !ok {
		return Player{}, false
	}
	return p.scalars(), true
}

// WithPlayer calls fn with the player under the state's read lock, so fn
// may inspect maps but must not keep p or modify it. It reports whether
// the player exists.
func (s *State) WithPlayer(id int64, fn func(p *Player)) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.players[id]
	if ok {
		fn(p)
	}
	return ok
}

// ClonePlayer returns a deep copy of the player with that id.
func (s *State) ClonePlayer(id int64) (*Player, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.players[id]
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

// ChallengeView is one challenge as one player sees it.
type ChallengeView struct {
	Challenge *Challenge
	Solved    bool
	// Bought holds, per hint in purchase order, whether the player has it.
	Bought []bool
}

// View returns the challenges available to the player, in file order, with
// the player's copy for placeholders.
func (s *State) View(playerID int64) ([]ChallengeView, Player, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.players[playerID]
	if !ok {
		return nil, Player{}, false
	}
	out := make([]ChallengeView, 0, len(s.catalog.list))
	for _, c := range s.catalog.list {
		if !p.Available(c) {
			continue
		}
		v := ChallengeView{Challenge: c, Solved: p.Solved(c.ID), Bought: make([]bool, len(c.Hints))}
		for i, h := range c.Hints {
			v.Bought[i] = p.HasHint(c.ID, h.ID)
		}
		out = append(out, v)
	}
	return out, p.scalars(), true
}

// Scoreboard returns the ranked standings of every active player and the
// id of the latest event they reflect. The slice is shared and cached
// until the next change: callers must not modify it.
func (s *State) Scoreboard() ([]Standing, int64) {
	s.mu.RLock()
	if s.board != nil && s.boardVer == s.version {
		b, id := s.board, s.lastID
		s.mu.RUnlock()
		return b, id
	}
	s.mu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.board == nil || s.boardVer != s.version {
		s.board = s.rankLocked()
		s.boardVer = s.version
	}
	return s.board, s.lastID
}

func (s *State) rankLocked() []Standing {
	ps := make([]*Player, 0, len(s.players))
	for _, p := range s.players {
		if p.Active {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return Less(ps[i], ps[j]) })
	out := make([]Standing, len(ps))
	for i, p := range ps {
		out[i] = Standing{Rank: i + 1, PlayerID: p.ID, DisplayName: p.Name, Score: p.Score, Solves: p.Solves, LastSolveTS: p.LastSolve}
	}
	return out
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
// LastID.
type Snapshot struct {
	LastID  int64
	Players []Standing
	Series  []Series
	Events  []Event
	// Announcements are the latest announcements, oldest first.
	Announcements []Announcement
}

// TakeSnapshot returns the board, the series of the top n players and the
// latest RecentEvents events.
func (s *State) TakeSnapshot(top int) Snapshot {
	board, _ := s.Scoreboard()
	s.mu.RLock()
	defer s.mu.RUnlock()
	// The board may be one change older than lastID if an Apply slipped in
	// between; recompute under the read lock in that rare case.
	if s.boardVer != s.version {
		board = s.rankLocked()
	}
	snap := Snapshot{LastID: s.lastID, Players: board}
	for i := 0; i < len(board) && i < top; i++ {
		p := s.players[board[i].PlayerID]
		snap.Series = append(snap.Series, Series{PlayerID: p.ID, DisplayName: p.Name, Points: append([][2]int64(nil), p.series...)})
	}
	start := len(s.recent) - RecentEvents
	if start < 0 {
		start = 0
	}
	snap.Events = append([]Event(nil), s.recent[start:]...)
	snap.Announcements = append([]Announcement(nil), s.announcements[max(0, len(s.announcements)-RecentAnnouncements):]...)
	return snap
}

// DisplayName returns the current display name of a player ("" if unset
// or unknown).
func (s *State) DisplayName(id int64) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p, ok := s.players[id]; ok {
		return p.Name
	}
	return ""
}

// Users returns every user, for rebuilding.
func (s *State) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]User, 0, len(s.players))
	for _, p := range s.players {
		out = append(out, User{ID: p.ID, Username: p.Username})
	}
	return out
}
