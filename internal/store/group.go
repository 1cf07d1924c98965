package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// ErrClosed is returned by a store's methods after Close.
var ErrClosed = errors.New("store: closed")

// CommitFunc commits evs in one transaction and returns one Result per
// event, in order; an error means nothing was committed.
type CommitFunc func(ctx context.Context, evs []game.Event) ([]Result, error)

// GroupCommitter shares transactions between concurrent Append calls. A
// backend that must commit appends one after the other — SQLite's single
// writer, or PostgreSQL's appends serialized on the log head to keep ids
// in commit order — would otherwise pay one fsync (and the lock's hold
// time) per call: 64 request handlers each appending one solve would
// queue 64 fsyncs. Instead one goroutine takes every call that is waiting,
// commits their events as one batch, and answers each caller with its own
// slice of the results. While it commits, new calls queue and form the
// next group, so the group grows with the load.
//
// Events of one call are never split between transactions, and calls keep
// their order. If a shared transaction fails and surely committed nothing,
// each call in it is retried alone, so one caller's bad event (an unknown
// user, say) fails only that caller: "an error means nothing of evs was
// committed" holds per call. A failure that leaves the outcome unknown (a
// connection lost during COMMIT) is returned to every caller of the
// group instead: retrying could commit their events twice.
type GroupCommitter struct {
	commit     CommitFunc
	maxEvents  int
	retryAlone func(error) bool

	queue chan *groupCall
	stop  chan struct{}
	done  chan struct{}
	ctx   context.Context // of the commits; cancelled after the last one
	quit  context.CancelFunc

	// mu orders sends against stopping, as in the SQLite batcher: once
	// stopped is set no call can slip into the queue after it is drained.
	mu      sync.RWMutex
	stopped bool
}

type groupCall struct {
	evs  []game.Event
	res  []Result
	err  error
	done chan struct{}
}

// NewGroupCommitter starts a committer that calls commit with the events
// of the calls waiting, at most maxEvents at once (a single call larger
// than that is committed alone). rolledBack tells whether an error of
// commit means the transaction surely committed nothing, so that the
// group's calls may be retried one by one; nil means every error does.
// Close stops it.
func NewGroupCommitter(commit CommitFunc, maxEvents int, rolledBack func(error) bool) *GroupCommitter {
	if rolledBack == nil {
		rolledBack = func(error) bool { return true }
	}
	ctx, quit := context.WithCancel(context.Background())
	g := &GroupCommitter{
		commit:     commit,
		retryAlone: rolledBack,
		maxEvents:  max(1, maxEvents),
		queue:      make(chan *groupCall, 1024),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		ctx:        ctx,
		quit:       quit,
	}
	go g.run()
	return g
}

// Append commits evs, possibly in one transaction with other calls'
// events, and returns their results. A caller whose ctx is done before its
// events are queued gets ctx's error and commits nothing; once queued,
// they are committed whatever the caller does, and Append waits for that,
// so a nil error always means committed.
func (g *GroupCommitter) Append(ctx context.Context, evs []game.Event) ([]Result, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &groupCall{evs: evs, done: make(chan struct{})}
	g.mu.RLock()
	if g.stopped {
		g.mu.RUnlock()
		return nil, ErrClosed
	}
	// The committer keeps draining until stopped is set, which needs the
	// write lock this send holds off, so the send cannot block forever.
	select {
	case g.queue <- c:
	case <-ctx.Done():
		g.mu.RUnlock()
		return nil, ctx.Err()
	}
	g.mu.RUnlock()
	<-c.done
	return c.res, c.err
}

// Close commits what is queued and stops the committer. It is idempotent.
func (g *GroupCommitter) Close() {
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		<-g.done
		return
	}
	g.stopped = true
	g.mu.Unlock()
	close(g.stop)
	<-g.done
}

// maxLinger bounds how long the committer waits for callers to come
// back before it commits (see run).
const maxLinger = 2 * time.Millisecond

func (g *GroupCommitter) run() {
	defer close(g.done)
	defer g.quit()
	var (
		calls []*groupCall
		held  *groupCall // the call that did not fit in the last group
		// lastCalls and lastTook describe the previous commit.
		lastCalls int
		lastTook  time.Duration
	)
	for {
		calls = calls[:0]
		n := 0
		if held != nil {
			calls, n, held = append(calls, held), len(held.evs), nil
		} else {
			select {
			case c := <-g.queue:
				calls, n = append(calls, c), len(c.evs)
			case <-g.stop:
				// Calls queued before stopped was set are still owed an
				// answer.
				for {
					select {
					case c := <-g.queue:
						g.commitGroup([]*groupCall{c})
					default:
						return
					}
				}
			}
		}
		// Linger: the callers just answered are likely to come back at
		// once with their next events (request handlers under load). A
		// commit started without them leaves them to the next one, and
		// groups then alternate between small and large, halving what
		// each commit carries. So wait until as many calls as the last
		// commit answered are here, but no longer than a quarter of that
		// commit's duration (and maxLinger): a lone caller never waits,
		// and the wait costs little next to the commit. This is Go's
		// counterpart of PostgreSQL's commit_delay.
		var timer *time.Timer
		linger := min(maxLinger, lastTook/4)
	fill:
		for n < g.maxEvents {
			var c *groupCall
			select {
			case c = <-g.queue:
			default:
				if len(calls) >= lastCalls || linger <= 0 {
					break fill
				}
				if timer == nil {
					timer = time.NewTimer(linger)
				}
				select {
				case c = <-g.queue:
				case <-timer.C:
					break fill
				case <-g.stop:
					break fill
				}
			}
			if n+len(c.evs) > g.maxEvents {
				held = c
				break
			}
			calls, n = append(calls, c), n+len(c.evs)
		}
		if timer != nil {
			timer.Stop()
		}
		start := time.Now()
		g.commitGroup(calls)
		lastCalls, lastTook = len(calls), time.Since(start)
	}
}

// commitGroup commits calls in one transaction and answers each; if that
// fails and there is more than one call, each is committed alone.
func (g *GroupCommitter) commitGroup(calls []*groupCall) {
	if len(calls) == 1 {
		c := calls[0]
		c.res, c.err = g.commit(g.ctx, c.evs)
		close(c.done)
		return
	}
	var all []game.Event
	for _, c := range calls {
		all = append(all, c.evs...)
	}
	res, err := g.commit(g.ctx, all)
	if err != nil {
		for _, c := range calls {
			if g.retryAlone(err) {
				c.res, c.err = g.commit(g.ctx, c.evs)
			} else {
				c.err = err
			}
			close(c.done)
		}
		return
	}
	for _, c := range calls {
		c.res = res[:len(c.evs):len(c.evs)]
		res = res[len(c.evs):]
		close(c.done)
	}
}
