package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

type opKind int

const (
	opSolve opKind = iota
	opHint
	opRename
	opReset
	opReload
	opLogout
	opPause
	opResume
	opClock
	opAnnounce
	opFreeze
	opUnfreeze
	opRelease
	opTeam
	opJoin
	opRemove
)

// op is one request to the committer. The reply channel has room for the
// one reply, so the committer never blocks on a caller that went away.
type op struct {
	kind    opKind
	userID  int64
	chal    *game.Challenge
	hintID  int
	name    string // display name, or the session key of a logout
	catalog *game.Catalog
	clock   game.ClockChange
	chalID  int    // an announcement's or a release's challenge (0: none)
	team    int64  // a team's id (opTeam, opJoin; 0: leave)
	code    string // a new team's invite code
	// practice: a right flag that becomes a practice solve if the game
	// has ended by commit time and practice mode is on (submits, not
	// awards).
	practice bool
	reply    chan opResult
}

type opResult struct {
	ev       game.Event // the committed event
	inserted bool       // false: already solved / bought
	total    int        // the player's score once the event is folded
	removed  int64      // events removed by a reset
	clock    game.Clock // the clock once a clock op is folded
	practice bool       // the solve was recorded as a practice solve
	err      error
}

// do queues o and waits for its result. A request whose context ends
// after it was queued may still be committed; the caller just stops
// waiting (a retry then sees "already solved").
func (e *Engine) do(ctx context.Context, o *op) (opResult, error) {
	o.reply = make(chan opResult, 1)
	select {
	case e.ops <- o:
	case <-ctx.Done():
		return opResult{}, ctx.Err()
	case <-e.done:
		return opResult{}, ErrClosed
	}
	select {
	case r := <-o.reply:
		return r, r.err
	case <-ctx.Done():
		return opResult{}, ctx.Err()
	}
}

// commitLoop is this instance's single writer. It takes whatever requests
// are queued (up to MaxBatch), validates them against the state plus the
// batch's own effects, appends their events in one transaction and waits
// until the feed has folded them into every view: many requests, one
// fsync, and the next batch is validated against a state that holds the
// last one.
func (e *Engine) commitLoop() {
	defer e.wg.Done()
	batch := make([]*op, 0, e.cfg.MaxBatch)
	for {
		select {
		case o := <-e.ops:
			batch = append(batch[:0], o)
		case <-e.done:
			// Finish what callers are already waiting for, then stop.
			for {
				select {
				case o := <-e.ops:
					e.run([]*op{o})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < e.cfg.MaxBatch {
			select {
			case o := <-e.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		e.run(batch)
	}
}

// run processes a batch in order; resets, reloads and clock changes are
// barriers that run alone between the group commits before and after
// them, so the requests after a pause are checked against the paused
// clock.
func (e *Engine) run(batch []*op) {
	start := 0
	for i, o := range batch {
		switch o.kind {
		case opReset, opReload, opPause, opResume, opClock, opAnnounce, opFreeze, opUnfreeze, opRelease, opTeam, opJoin, opRemove:
			e.commit(batch[start:i])
			e.special(o)
			start = i + 1
		}
	}
	e.commit(batch[start:])
}

func (e *Engine) special(o *op) {
	switch o.kind {
	case opReset:
		// A reset is an event like any other: every view on every
		// instance forgets the game when the feed brings it. The
		// submission log writes nothing while it commits (see
		// submissionLog.reset).
		var removed int64
		_, err := e.subs.reset(func() (int64, error) {
			ev := game.Event{Type: game.EventReset, TS: e.now().UnixMilli()}
			rs, err := e.append([]game.Event{ev})
			if err != nil {
				return 0, err
			}
			removed = rs[0].Removed
			return removed, e.feed.Sync(context.Background(), rs[0].Event.ID)
		})
		if err != nil {
			o.reply <- opResult{err: fmt.Errorf("engine: reset: %w", err)}
			return
		}
		o.reply <- opResult{removed: removed}
	case opReload:
		e.st.SetCatalog(o.catalog)
		o.reply <- opResult{}
	case opPause, opResume, opClock:
		e.clockOp(o)
	case opAnnounce:
		e.announceOp(o)
	case opFreeze, opUnfreeze:
		e.freezeOp(o)
	case opRelease:
		e.releaseOp(o)
	case opTeam, opJoin:
		e.teamOp(o)
	case opRemove:
		e.removeOp(o)
	}
}

// removeOp removes a player or disbands a team (o.userID); one already
// removed writes nothing.
func (e *Engine) removeOp(o *op) {
	p, ok := e.st.Player(o.userID)
	switch {
	case !ok:
		o.reply <- opResult{err: game.ErrUnknownUser}
		return
	case p.Removed:
		o.reply <- opResult{}
		return
	}
	ev, err := e.appendOne(game.Event{Type: game.EventRemove, UserID: o.userID, TS: e.now().UnixMilli()})
	if err != nil {
		o.reply <- opResult{err: fmt.Errorf("engine: remove: %w", err)}
		return
	}
	o.reply <- opResult{ev: ev, inserted: true}
}

// teamOp makes a team (opTeam: o.name its name, o.team its id, o.code
// its invite code) and puts its maker in it, or moves a player into
// o.team (opJoin; 0: out). The rules are checked here, where requests
// are serialized: one team at a time, at most TeamSize members.
func (e *Engine) teamOp(o *op) {
	ts := e.now().UnixMilli()
	me, ok := e.st.Player(o.userID)
	switch {
	case !ok:
		o.reply <- opResult{err: game.ErrUnknownUser}
		return
	case o.kind == opTeam && me.TeamID != 0, o.kind == opJoin && o.team != 0 && me.TeamID != 0:
		o.reply <- opResult{err: game.ErrAlreadyInTeam}
		return
	case o.kind == opJoin && o.team == 0 && me.TeamID == 0:
		o.reply <- opResult{err: game.ErrNotInTeam}
		return
	case o.kind == opJoin && o.team != 0 && e.cfg.TeamSize > 0 && len(e.st.Members(o.team)) >= e.cfg.TeamSize:
		o.reply <- opResult{err: game.ErrTeamFull}
		return
	}
	if o.kind == opTeam {
		if owner, taken := e.st.NameOwner(o.name); taken && owner != o.team {
			o.reply <- opResult{err: game.ErrNameTaken}
			return
		}
		if _, err := e.appendOne(game.NewTeam(o.team, o.name, o.code, ts)); err != nil {
			o.reply <- opResult{err: err}
			return
		}
	}
	ev, err := e.appendOne(game.NewJoin(o.userID, o.team, ts))
	if err != nil {
		o.reply <- opResult{err: fmt.Errorf("engine: join: %w", err)}
		return
	}
	o.reply <- opResult{ev: ev, inserted: true}
}

// freezeOp appends a freeze (unfreeze) event unless the public already
// sees a frozen (unfrozen) game, and answers with the clock once every
// view holds it.
func (e *Engine) freezeOp(o *op) {
	freeze := o.kind == opFreeze
	frozen := e.st.Frozen(e.now())
	if frozen == freeze && (freeze || !e.st.Latched()) {
		o.reply <- opResult{clock: e.st.Clock()}
		return
	}
	typ := game.EventUnfreeze
	if freeze {
		typ = game.EventFreeze
	}
	ev, err := e.appendOne(game.Event{Type: typ, TS: e.now().UnixMilli()})
	if err != nil {
		o.reply <- opResult{err: fmt.Errorf("engine: freeze: %w", err)}
		return
	}
	o.reply <- opResult{ev: ev, inserted: true, clock: e.st.Clock()}
}

// releaseOp appends the release event of a challenge not yet out; one
// already out writes nothing.
func (e *Engine) releaseOp(o *op) {
	c, ok := e.st.Catalog().Get(o.chalID)
	if !ok {
		o.reply <- opResult{err: game.ErrUnknownChallenge}
		return
	}
	if e.st.Released(c, e.now()) {
		o.reply <- opResult{}
		return
	}
	ev, err := e.appendOne(game.NewRelease(c.ID, e.now().UnixMilli()))
	if err != nil {
		o.reply <- opResult{err: fmt.Errorf("engine: release: %w", err)}
		return
	}
	o.reply <- opResult{ev: ev, inserted: true}
}

// announceOp appends an announcement event (o.name is the message,
// o.chalID its challenge) and answers once every view holds it.
func (e *Engine) announceOp(o *op) {
	ev, err := e.appendOne(game.NewAnnouncement(o.name, o.chalID, e.now().UnixMilli()))
	if err != nil {
		o.reply <- opResult{err: fmt.Errorf("engine: announcement: %w", err)}
		return
	}
	o.reply <- opResult{ev: ev, inserted: true}
}

// appendOne commits a single event that runs alone between group commits
// (announcement, clock change) and returns it once every view holds it. A
// failure is reported to OnCommitError like a failed group commit; a
// rule the store refused the event by (a name taken) is only returned.
func (e *Engine) appendOne(ev game.Event) (game.Event, error) {
	rs, err := e.append([]game.Event{ev})
	if err == nil && rs[0].Err != nil {
		return game.Event{}, rs[0].Err
	}
	if err == nil {
		err = e.feed.Sync(context.Background(), rs[0].Event.ID)
	}
	if err != nil {
		if e.cfg.OnCommitError != nil {
			e.cfg.OnCommitError(err)
		}
		return game.Event{}, err
	}
	return rs[0].Event, nil
}

// clockOp validates a clock change against the clock as folded, appends
// its event and answers with the clock once every view holds it. A pause
// of a paused game (or a resume of a running one) writes nothing.
func (e *Engine) clockOp(o *op) {
	cur := e.st.Clock()
	ts := e.now().UnixMilli()
	var ev game.Event
	switch o.kind {
	case opPause, opResume:
		if cur.Paused == (o.kind == opPause) {
			o.reply <- opResult{clock: cur}
			return
		}
		ev = game.Event{Type: game.EventResume, TS: ts}
		if o.kind == opPause {
			ev.Type = game.EventPause
		}
	case opClock:
		if err := cur.Apply(o.clock).Validate(); err != nil {
			o.reply <- opResult{err: err, clock: cur}
			return
		}
		ev = game.NewClockEvent(o.clock, ts)
	}
	committed, err := e.appendOne(ev)
	if err != nil {
		o.reply <- opResult{err: fmt.Errorf("engine: clock: %w", err)}
		return
	}
	o.reply <- opResult{ev: committed, inserted: true, clock: e.st.Clock()}
}

// append commits evs in one transaction, not tied to any one request's
// context: a client that hangs up must not abort the transaction of
// everyone in its batch.
func (e *Engine) append(evs []game.Event) ([]store.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.cfg.Store.Append(ctx, evs)
}

// commit validates and commits ordinary requests as one group.
func (e *Engine) commit(ops []*op) {
	if len(ops) == 0 {
		return
	}
	started := e.now()
	ts := started.UnixMilli()
	clones := make(map[int64]*game.Player, len(ops))
	player := func(id int64) *game.Player {
		if p, ok := clones[id]; ok {
			return p
		}
		p, _ := e.st.ClonePlayer(id)
		clones[id] = p
		return p
	}
	// The window is checked here, at commit time, against the clock as
	// folded: a request judged while the game ran but committed after a
	// pause or the end (or a clock change from another instance) is
	// refused. The commit-time check is the one that counts.
	clockErr := e.st.Clock().Check(started)
	practice := clockErr == game.ErrEnded && e.cfg.Practice
	pendingNames := map[string]int64{}
	// Solves of each challenge earlier in this batch: a dynamic value
	// falls with each of them.
	batchSolves := map[int]int{}
	evs := make([]game.Event, 0, len(ops))
	owners := make([]*op, 0, len(ops))
	scorers := make(map[*op]int64, len(ops))
	// A refusal that rests on an event earlier in this batch (a teammate's
	// solve or purchase, or the player's own from another tab) is answered
	// only once that event is committed and folded: an "already_solved"
	// sent before then would show a solve no listing has yet, and would be
	// wrong if the commit failed.
	inBatch := map[int64]bool{}
	type lateReply struct {
		o   *op
		sid int64
		err error
	}
	var late []lateReply
	refuse := func(o *op, sid int64, p *game.Player, err error) {
		if inBatch[sid] {
			late = append(late, lateReply{o, sid, err})
			return
		}
		o.reply <- opResult{err: err, total: p.Score}
	}
	for _, o := range ops {
		// Solves and hints belong to the scorer: the player, or in team
		// mode their team (the event then names the member in Data).
		sid := o.userID
		if o.kind == opSolve || o.kind == opHint {
			if sid = e.st.Scorer(o.userID); sid == 0 {
				o.reply <- opResult{err: game.ErrNoTeam}
				continue
			}
		}
		scorers[o] = sid
		p := player(sid)
		if p == nil {
			o.reply <- opResult{err: game.ErrUnknownUser}
			continue
		}
		var ev game.Event
		switch o.kind {
		case opSolve:
			if p.Solved(o.chal.ID) || (practice && o.practice && p.Practiced(o.chal.ID)) {
				refuse(o, sid, p, nil)
				continue
			}
			if practice && o.practice {
				ev = game.Event{Type: game.EventPractice, UserID: p.ID, ChallengeID: o.chal.ID, TS: ts}
				break
			}
			if clockErr != nil {
				o.reply <- opResult{err: clockErr, total: p.Score}
				continue
			}
			// The value the solve is committed with: the challenge's points,
			// or its dynamic value with this solver (the fold keeps every
			// solver's value current; this one is what frames and the reply
			// show).
			batchSolves[o.chal.ID]++
			ev = game.Event{Type: game.EventScore, UserID: p.ID, ChallengeID: o.chal.ID, Points: e.st.ValueWith(o.chal, batchSolves[o.chal.ID]), TS: ts}
		case opHint:
			if clockErr != nil {
				o.reply <- opResult{err: clockErr, total: p.Score}
				continue
			}
			h, err := p.CheckHint(o.chal, o.hintID)
			if err != nil {
				refuse(o, sid, p, err)
				continue
			}
			ev = game.Event{Type: game.EventHint, UserID: p.ID, ChallengeID: o.chal.ID, HintID: h.ID, Points: -h.Cost, TS: ts}
		case opRename:
			key := game.NameKey(o.name)
			owner, taken := pendingNames[key]
			if !taken {
				owner, taken = e.st.NameOwner(o.name)
			}
			if taken && owner != p.ID {
				o.reply <- opResult{err: game.ErrNameTaken}
				continue
			}
			pendingNames[key] = p.ID
			ev = game.Event{Type: game.EventRename, UserID: p.ID, Name: o.name, TS: ts}
		case opLogout:
			ev = game.NewLogout(p.ID, o.name, ts)
		}
		if sid != o.userID {
			ev = ev.WithBy(o.userID)
		}
		p.Apply(ev)
		inBatch[sid] = true
		evs = append(evs, ev)
		owners = append(owners, o)
	}
	if len(evs) == 0 {
		return
	}
	results, err := e.append(evs)
	if err != nil {
		e.log.Error("group commit failed", "events", len(evs), "err", err)
		if e.cfg.OnCommitError != nil {
			e.cfg.OnCommitError(err)
		}
		for _, o := range owners {
			o.reply <- opResult{err: fmt.Errorf("engine: commit: %w", err)}
		}
		for _, l := range late {
			l.o.reply <- opResult{err: fmt.Errorf("engine: commit: %w", err)}
		}
		return
	}
	var last int64
	for _, r := range results {
		if r.Err == nil && r.Inserted {
			last = max(last, r.Event.ID)
		}
	}
	// Answer once every view holds this batch: the player then sees their
	// own write everywhere, and the next batch is checked against it.
	if err := e.feed.Sync(context.Background(), last); err != nil {
		e.log.Error("feed: reading back a commit failed", "last_id", last, "err", err)
	}
	for i, r := range results {
		o := owners[i]
		p, _ := e.st.Player(scorers[o])
		switch {
		case r.Err != nil:
			o.reply <- opResult{err: r.Err, total: p.Score}
		case !r.Inserted:
			// The database knew better than memory (another instance, or a
			// retry): report it as already done.
			o.reply <- opResult{total: p.Score}
		default:
			o.reply <- opResult{ev: r.Event, inserted: true, total: p.Score, practice: r.Event.Type == game.EventPractice}
		}
	}
	for _, l := range late {
		p, _ := e.st.Player(l.sid)
		l.o.reply <- opResult{err: l.err, total: p.Score}
	}
	if e.cfg.OnBatch != nil {
		e.cfg.OnBatch(len(evs), e.now().Sub(started))
	}
}
