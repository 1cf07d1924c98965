// Package ratelimit provides per-key token buckets with idle eviction.
//
// The server keeps one Limiter per action, keyed by player or client
// address: flag submissions (burst 10, one token per 2 s, charged only for
// wrong guesses — while the bucket is empty every submission is refused),
// hint purchases (20, 1/s), set-name and award (100, 10/s), failed logins
// per username and per address (charged only on failure, so a room behind
// one NAT logs in freely), and a general per-player request cap.
//
// A missing bucket is full, so buckets that refilled and went idle are
// evicted without changing any answer: memory stays proportional to the
// players who are actually being limited.
package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

const shards = 64

// DefaultIdleTTL is how long a full bucket is kept after its last use.
const DefaultIdleTTL = 10 * time.Minute

// Config is the shape of every bucket of a Limiter.
type Config struct {
	Burst   float64          // capacity in tokens
	Every   time.Duration    // one token is added every Every
	Now     func() time.Time // nil = time.Now
	IdleTTL time.Duration    // 0 = DefaultIdleTTL
}

type bucket struct {
	tokens float64
	last   time.Time // when tokens was computed
}

type shard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

// Limiter is a set of token buckets, one per key. It is safe for
// concurrent use; keys are spread over shards with their own locks.
type Limiter struct {
	cfg    Config
	seed   maphash.Seed
	shards [shards]shard
}

// New returns a limiter whose buckets all have cfg's shape.
func New(cfg Config) *Limiter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTTL <= 0 {
		cfg.IdleTTL = DefaultIdleTTL
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	l := &Limiter{cfg: cfg, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*bucket{}
	}
	return l
}

func (l *Limiter) shard(key string) *shard {
	return &l.shards[maphash.String(l.seed, key)%shards]
}

// refill brings b's tokens up to now.
func (l *Limiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens += float64(el) / float64(l.cfg.Every)
		if b.tokens > l.cfg.Burst {
			b.tokens = l.cfg.Burst
		}
		b.last = now
	}
}

// with runs fn on key's bucket, brought up to date, under its shard lock.
// create says whether a missing bucket is created (as full) or fn gets
// nil.
func (l *Limiter) with(key string, create bool, fn func(b *bucket)) {
	now := l.cfg.Now()
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[key]
	if b == nil && create {
		b = &bucket{tokens: l.cfg.Burst, last: now}
		s.buckets[key] = b
	}
	if b != nil {
		l.refill(b, now)
	}
	fn(b)
}

// Allow takes one token from key's bucket if there is one.
func (l *Limiter) Allow(key string) bool { return l.AllowN(key, 1) }

// AllowN takes n tokens from key's bucket if there are that many.
func (l *Limiter) AllowN(key string, n float64) bool {
	ok := false
	l.with(key, true, func(b *bucket) {
		if b.tokens >= n {
			b.tokens -= n
			ok = true
		}
	})
	return ok
}

// Ready reports whether key's bucket holds at least one token, taking
// nothing.
func (l *Limiter) Ready(key string) bool {
	ok := true
	l.with(key, false, func(b *bucket) {
		if b != nil {
			ok = b.tokens >= 1
		}
	})
	return ok
}

// Charge takes one token from key's bucket even if that empties it; the
// bucket never goes below zero, so a burst of failures costs at most a
// full refill period to recover from.
func (l *Limiter) Charge(key string) {
	l.with(key, true, func(b *bucket) {
		b.tokens--
		if b.tokens < 0 {
			b.tokens = 0
		}
	})
}

// RetryAfter returns how long until key's bucket holds one token (0 if it
// does now).
func (l *Limiter) RetryAfter(key string) time.Duration {
	var d time.Duration
	l.with(key, false, func(b *bucket) {
		if b != nil && b.tokens < 1 {
			d = time.Duration((1 - b.tokens) * float64(l.cfg.Every))
		}
	})
	return d
}

// Reset forgets every bucket (admin reset).
func (l *Limiter) Reset() {
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		s.buckets = map[string]*bucket{}
		s.mu.Unlock()
	}
}

// Len returns the number of live buckets.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.buckets)
		s.mu.Unlock()
	}
	return n
}

// Sweep evicts buckets that are full and unused for IdleTTL; forgetting
// them changes no answer, since a missing bucket is full.
func (l *Limiter) Sweep() {
	now := l.cfg.Now()
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for k, b := range s.buckets {
			idle := now.Sub(b.last)
			full := b.tokens+float64(idle)/float64(l.cfg.Every) >= l.cfg.Burst
			if full && idle >= l.cfg.IdleTTL {
				delete(s.buckets, k)
			}
		}
		s.mu.Unlock()
	}
}

// Run sweeps every interval until ctx is done.
func (l *Limiter) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.Sweep()
		}
	}
}
