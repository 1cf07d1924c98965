package ratelimit

import (
	"context"
	"sync"
)

// Gate lets at most a fixed number of holders per key work at once; the
// rest wait their turn. It complements Reserve: a reservation held by
// work that will turn out free (a right password) still makes the bucket
// look emptier while the work runs, so many honest requests in flight at
// once (a room logging in on a slow bcrypt) would be refused for each
// other's sake. Passing them through a Gate first keeps the reservations
// in flight per key few — and with them the CPU one key can occupy —
// while waiting costs the waiters nothing but time.
type Gate struct {
	n     int
	mu    sync.Mutex
	slots map[string]*gateSlot
}

type gateSlot struct {
	ch    chan struct{} // a token per holder; capacity n
	users int           // holders and waiters, for deleting idle slots
}

// NewGate returns a gate admitting n holders per key (at least 1).
func NewGate(n int) *Gate {
	return &Gate{n: max(n, 1), slots: map[string]*gateSlot{}}
}

// Enter waits until key has a free place or ctx is done. On success the
// caller must call the returned leave exactly once; on ctx's end it gets
// ctx's error and holds nothing.
func (g *Gate) Enter(ctx context.Context, key string) (leave func(), err error) {
	g.mu.Lock()
	s := g.slots[key]
	if s == nil {
		s = &gateSlot{ch: make(chan struct{}, g.n)}
		g.slots[key] = s
	}
	s.users++
	g.mu.Unlock()
	select {
	case s.ch <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-s.ch; g.done(key, s) }) }, nil
	case <-ctx.Done():
		g.done(key, s)
		return nil, ctx.Err()
	}
}

// done drops one user of key's slot and forgets the slot when idle, so
// memory stays proportional to the keys with work in flight.
func (g *Gate) done(key string, s *gateSlot) {
	g.mu.Lock()
	if s.users--; s.users == 0 {
		delete(g.slots, key)
	}
	g.mu.Unlock()
}

// Len returns the number of keys with holders or waiters.
func (g *Gate) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.slots)
}
