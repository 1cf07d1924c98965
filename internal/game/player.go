package game

// hintKey names one hint of one challenge.
type hintKey struct {
	challenge int
	hint      int
}

// Player is one player's state: a fold of that player's events. The zero
// value is not usable; State creates players.
type Player struct {
	ID       int64
	Username string
	// Name is the display name, "" until the player sets one.
	Name string
	// Score is points of solves minus costs of bought hints.
	Score int
	// Solves counts solved challenges.
	Solves int
	// LastSolve is the time (Unix ms) of the latest solve, 0 if none. Ties
	// in score go to the player who reached it first.
	LastSolve int64
	// Active is true once the player has set a name or has an event; only
	// active players appear on the scoreboard.
	Active bool
	// Removed: the admin removed the player or disbanded the team.
	Removed bool
	// IsTeam marks a team (team mode): it holds the team's solves, hints
	// and score; its members hold only their names.
	IsTeam bool
	// TeamID is a member's team (0: none). Team is the team's display name
	// in copies handed out by State (for @TEAMNAME@), "" otherwise.
	TeamID int64
	Team   string
	// Registered: the account was made by self-registration (its
	// register event), not read from credentials.csv.
	Registered bool

	solved   map[int]int64    // challenge id -> ts of the solve
	hints    map[hintKey]bool // bought hints
	practice map[int]int64    // challenge id -> ts of a practice solve
	series   [][2]int64       // [ts, score after] for every change of the score
}

// maxSeries bounds a player's score series: with dynamic scoring every
// later solve of a challenge moves the score of its earlier solvers, so a
// series could grow with the square of the players. Past the bound the
// older half is thinned to every other point; the chart keeps its shape.
const maxSeries = 512

// addPoint appends [ts, score] to the series.
func (p *Player) addPoint(ts int64, score int) {
	if len(p.series) >= maxSeries {
		half := len(p.series) / 2
		kept := p.series[:0]
		for i, pt := range p.series[:half] {
			if i%2 == 1 {
				kept = append(kept, pt)
			}
		}
		p.series = append(kept, p.series[half:]...)
	}
	p.series = append(p.series, [2]int64{ts, int64(score)})
}

func newPlayer(id int64, username string) *Player {
	return &Player{ID: id, Username: username, solved: map[int]int64{}, hints: map[hintKey]bool{}, practice: map[int]int64{}}
}

// Clone returns a deep copy that can be changed without affecting p; the
// committer validates a batch of requests against clones before anything
// is committed.
func (p *Player) Clone() *Player {
	c := *p
	c.solved = make(map[int]int64, len(p.solved))
	for k, v := range p.solved {
		c.solved[k] = v
	}
	c.hints = make(map[hintKey]bool, len(p.hints))
	for k, v := range p.hints {
		c.hints[k] = v
	}
	c.practice = make(map[int]int64, len(p.practice))
	for k, v := range p.practice {
		c.practice[k] = v
	}
	c.series = append([][2]int64(nil), p.series...)
	return &c
}

// scalars returns a copy of p without its maps, safe to hand out of the
// state's lock.
func (p *Player) scalars() Player {
	c := *p
	c.solved, c.hints, c.practice, c.series = nil, nil, nil, nil
	return c
}

// Solved reports whether the player has solved challenge id.
func (p *Player) Solved(id int) bool {
	_, ok := p.solved[id]
	return ok
}

// Practiced reports whether the player solved challenge id in practice
// mode (after the end; never scored).
func (p *Player) Practiced(id int) bool {
	_, ok := p.practice[id]
	return ok
}

// HasHint reports whether the player has bought the hint.
func (p *Player) HasHint(challengeID, hintID int) bool {
	return p.hints[hintKey{challengeID, hintID}]
}

// Available reports whether every requirement of c is solved.
func (p *Player) Available(c *Challenge) bool {
	for _, r := range c.Requirements {
		if !p.Solved(r) {
			return false
		}
	}
	return true
}

// CheckHint checks that p may buy hint hintID of c now: c is available,
// the hint exists, it is not bought yet, every earlier hint is bought, and
// p has at least its cost in points. It returns the hint or one of
// ErrLocked, ErrUnknownHint, ErrAlreadyPurchased, ErrInsufficientPoints.
func (p *Player) CheckHint(c *Challenge, hintID int) (Hint, error) {
	if !p.Available(c) {
		return Hint{}, ErrLocked
	}
	h, pos, ok := c.Hint(hintID)
	if !ok {
		return Hint{}, ErrUnknownHint
	}
	if p.HasHint(c.ID, hintID) {
		return Hint{}, ErrAlreadyPurchased
	}
	for _, earlier := range c.Hints[:pos] {
		if !p.HasHint(c.ID, earlier.ID) {
			return Hint{}, ErrLocked
		}
	}
	if p.Score < h.Cost {
		return Hint{}, ErrInsufficientPoints
	}
	return h, nil
}

// Apply folds one of the player's own events into p.
func (p *Player) Apply(ev Event) {
	switch ev.Type {
	case EventScore:
		if p.Solved(ev.ChallengeID) {
			return
		}
		p.solved[ev.ChallengeID] = ev.TS
		p.Solves++
		p.Score += ev.Points
		if ev.TS > p.LastSolve {
			p.LastSolve = ev.TS
		}
		p.addPoint(ev.TS, p.Score)
	case EventHint:
		k := hintKey{ev.ChallengeID, ev.HintID}
		if p.hints[k] {
			return
		}
		p.hints[k] = true
		p.Score += ev.Points
		p.addPoint(ev.TS, p.Score)
	case EventRename:
		p.Name = ev.Name
	case EventPractice:
		if _, ok := p.practice[ev.ChallengeID]; !ok && !p.Solved(ev.ChallengeID) {
			p.practice[ev.ChallengeID] = ev.TS
		}
		return // not active on the board for it
	}
	p.Active = true
}
