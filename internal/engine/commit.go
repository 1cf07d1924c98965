package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

type opKind int

const (
	opSolve opKind = iota
	opHint
	opRename
	opReset
	opReload
)

// op is one request to the committer. The reply channel has room for the
// one reply, so the committer never blocks on a caller that went away.
type op struct {
	kind    opKind
	userID  int64
	chal    *game.Challenge
	hintID  int
	name    string
	catalog *game.Catalog
	reply   chan opResult
}

type opResult struct {
	ev       game.Event // the committed event
	inserted bool       // false: already solved / bought
	total    int        // the player's score after the request
	removed  int64      // events removed by a reset
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

// commitLoop is the single writer. It takes whatever requests are queued
// (up to MaxBatch), validates them against the state plus the batch's own
// effects, commits their events in one transaction, folds them into the
// state and publishes them: many requests, one fsync.
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

// run processes a batch in order; resets and reloads are barriers that
// run alone between the group commits before and after them.
func (e *Engine) run(batch []*op) {
	start := 0
	for i, o := range batch {
		if o.kind == opReset || o.kind == opReload {
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
		n, err := e.cfg.Store.Reset(context.Background())
		if err != nil {
			o.reply <- opResult{err: fmt.Errorf("engine: reset: %w", err)}
			return
		}
		e.st.Reset()
		if e.cfg.OnReset != nil {
			e.cfg.OnReset()
		}
		o.reply <- opResult{removed: n}
	case opReload:
		e.st.SetCatalog(o.catalog)
		o.reply <- opResult{}
	}
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
	pendingNames := map[string]int64{}
	evs := make([]game.Event, 0, len(ops))
	owners := make([]*op, 0, len(ops))
	totals := make([]int, 0, len(ops))
	for _, o := range ops {
		p := player(o.userID)
		if p == nil {
			o.reply <- opResult{err: game.ErrUnknownUser}
			continue
		}
		var ev game.Event
		switch o.kind {
		case opSolve:
			if p.Solved(o.chal.ID) {
				o.reply <- opResult{total: p.Score}
				continue
			}
			ev = game.Event{Type: game.EventScore, UserID: p.ID, ChallengeID: o.chal.ID, Points: o.chal.Points, TS: ts}
		case opHint:
			h, err := p.CheckHint(o.chal, o.hintID)
			if err != nil {
				o.reply <- opResult{err: err, total: p.Score}
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
		}
		p.Apply(ev)
		evs = append(evs, ev)
		owners = append(owners, o)
		totals = append(totals, p.Score)
	}
	if len(evs) == 0 {
		return
	}
	// The commit is not tied to any one request's context: a client that
	// hangs up must not abort the transaction of everyone in its batch.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	results, err := e.cfg.Store.Append(ctx, evs)
	cancel()
	if err != nil {
		e.log.Error("group commit failed", "events", len(evs), "err", err)
		if e.cfg.OnCommitError != nil {
			e.cfg.OnCommitError(err)
		}
		for _, o := range owners {
			o.reply <- opResult{err: fmt.Errorf("engine: commit: %w", err)}
		}
		return
	}
	committed := make([]game.Event, 0, len(results))
	for i, r := range results {
		switch {
		case r.Err != nil:
			owners[i].reply <- opResult{err: r.Err}
		case !r.Inserted:
			// The database knew better than memory (another instance, or a
			// retry): report it as already done.
			p, _ := e.st.Player(owners[i].userID)
			owners[i].reply <- opResult{total: p.Score}
		default:
			committed = append(committed, r.Event)
		}
	}
	e.st.Apply(committed...)
	j := 0
	for i, r := range results {
		if r.Err == nil && r.Inserted {
			owners[i].reply <- opResult{ev: committed[j], inserted: true, total: totals[i]}
			j++
		}
	}
	if e.cfg.OnBatch != nil {
		e.cfg.OnBatch(len(evs), e.now().Sub(started))
	}
	if e.cfg.OnCommit != nil && len(committed) > 0 {
		e.cfg.OnCommit(committed)
	}
}
