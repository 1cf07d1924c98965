package stream

import "sort"

// ring is the bounded replay buffer: the latest published events, in id
// order. It is what lets a reconnecting client resume with since=<id>
// without the hub ever touching the full history.
type ring struct {
	buf     []Event
	start   int   // index of the oldest event
	n       int   // events held
	evicted int64 // id of the newest event pushed out, 0 if none
	mark    int64 // the last id before a reset: nobody resumes from the old game
}

func newRing(size int) *ring {
	return &ring{buf: make([]Event, size)}
}

func (r *ring) at(i int) *Event { return &r.buf[(r.start+i)%len(r.buf)] }

// push appends e; ids must increase.
func (r *ring) push(e Event) {
	if len(r.buf) == 0 {
		return
	}
	if r.n == len(r.buf) {
		r.evicted = r.buf[r.start].ID
		r.buf[r.start] = Event{}
		r.start = (r.start + 1) % len(r.buf)
		r.n--
	}
	*r.at(r.n) = e
	r.n++
}

// covers reports whether every event after since is in the ring (or
// there is none). Ids are integers that only grow, so a client that has
// everything up to the first held id minus one misses nothing the ring
// lacks; once events were evicted, since must be at least the newest
// evicted id. After a reset, no id from the old game counts.
func (r *ring) covers(since int64) bool {
	if r.n == 0 || since <= r.mark {
		return false
	}
	floor := r.evicted
	if floor == 0 {
		floor = r.at(0).ID - 1
	}
	return since >= floor && since <= r.at(r.n-1).ID
}

// between returns a copy of the events with since < id <= upto.
func (r *ring) between(since, upto int64) []Event {
	lo := sort.Search(r.n, func(i int) bool { return r.at(i).ID > since })
	hi := sort.Search(r.n, func(i int) bool { return r.at(i).ID > upto })
	if lo >= hi {
		return nil
	}
	out := make([]Event, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, *r.at(i))
	}
	return out
}

// last returns the id of the newest event, 0 when empty.
func (r *ring) last() int64 {
	if r.n == 0 {
		return 0
	}
	return r.at(r.n - 1).ID
}

// clear forgets every event; ids up to mark can no longer be resumed.
func (r *ring) clear(mark int64) {
	clear(r.buf)
	r.start, r.n, r.evicted, r.mark = 0, 0, 0, mark
}
