// Package ratelimit provides per-key token buckets with idle eviction.
//
// The HTTP server keeps one Limiter per action, keyed by player or client
// address (keys such as "u:42", "ip:10.0.0.1", "user:alice"):
//
//   - flag submission: burst 10, one token per 2 s, kept only for wrong
//     guesses. The handler Reserves a token before the flag is checked
//     (429 with the wait while the bucket is empty — for right and wrong
//     guesses alike) and Refunds it unless the guess was wrong. Fast
//     honest players are never slowed; guessers are.
//   - hint purchase: 20 + 1/s; set-name and award: 100 + 10/s (Allow).
//   - logins, per username and per client address: Reserve before the
//     password is checked, Refund on success, so only failures stay
//     charged and a whole room behind one NAT logs in freely. The checks
//     of one address take turns through a Gate, so honest checks in
//     flight never hold enough reservations to refuse each other.
//   - a general per-player request cap against floods (Allow).
//
// A limit is reserved before the work it guards and refunded after, never
// checked first and charged later: between a check and a later charge
// any number of concurrent requests pass the check (a client that holds
// back the last byte of each body lines them all up), while a reservation
// is taken under the bucket's lock together with the decision.
//
// A bucket that is missing is full, so a bucket that has refilled and sat
// idle can be forgotten without changing any answer; Sweep (or Run) does
// that, and memory stays proportional to the keys actually being limited.
//
// Each bucket is stored as a single number, the time at which it will be
// full again (the "generic cell rate algorithm" form of a token bucket):
// the math is exact integer nanoseconds, a bucket costs no allocation of
// its own, and a clock that steps backwards never mints tokens.
package ratelimit

import (
	"context"
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// DefaultIdleTTL is how long a bucket must have been full before Sweep
// forgets it.
const DefaultIdleTTL = 10 * time.Minute

// DefaultEvery is the refill period used when Config.Every is not
// positive (one token per second).
const DefaultEvery = time.Second

// defaultSweep is Run's interval when it is given none.
const defaultSweep = time.Minute

// shardCount spreads keys over independent locks so thousands of players
// do not contend on one mutex; a power of two keeps the index a mask.
const shardCount = 64

// maxSpan caps Burst*Every so sums of spans never overflow int64; a bucket
// that large (about 73 years) is unlimited in practice.
const maxSpan = math.MaxInt64 / 4

// Config is the shape shared by every bucket of a Limiter.
type Config struct {
	Burst   float64          // capacity in tokens; below 1 (or NaN) is raised to 1
	Every   time.Duration    // one token is added every Every; not positive = DefaultEvery
	Now     func() time.Time // nil = time.Now
	IdleTTL time.Duration    // full buckets idle this long are evicted; not positive = DefaultIdleTTL
}

type shard struct {
	mu sync.Mutex
	// full maps a key to when its bucket is full again, in nanoseconds
	// since Limiter.base. A key whose bucket is full has no entry or an
	// entry in the past.
	full map[string]int64
	_    [64 - 16]byte // keep each shard's lock on its own cache line
}

// Limiter is a set of token buckets, one per key, all of one shape. It is
// safe for concurrent use.
type Limiter struct {
	now   func() time.Time
	base  time.Time // times are kept as offsets from base (monotonic when Now is time.Now)
	every int64     // ns per token
	burst float64   // tokens, as configured (after New's adjustments)
	span  int64     // ns to refill an empty bucket: Burst*Every
	ttl   int64     // ns
	seed  maphash.Seed
	shard [shardCount]shard
}

// New returns a limiter whose buckets all have cfg's shape. Out-of-range
// settings are replaced as documented on Config rather than rejected, so a
// limiter always grants at least one request per key and refills.
func New(cfg Config) *Limiter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if !(cfg.Burst >= 1) {
		cfg.Burst = 1
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.IdleTTL <= 0 {
		cfg.IdleTTL = DefaultIdleTTL
	}
	l := &Limiter{
		now:   cfg.Now,
		base:  cfg.Now(),
		every: int64(cfg.Every),
		burst: cfg.Burst,
		span:  spanOf(cfg.Burst, cfg.Every),
		ttl:   int64(cfg.IdleTTL),
		seed:  maphash.MakeSeed(),
	}
	for i := range l.shard {
		l.shard[i].full = map[string]int64{}
	}
	return l
}

// spanOf returns n tokens' worth of refill time, saturated at maxSpan.
func spanOf(n float64, every time.Duration) int64 {
	f := math.Ceil(n * float64(every))
	if f >= maxSpan {
		return maxSpan
	}
	return int64(f)
}

func (l *Limiter) clock() int64 { return int64(l.now().Sub(l.base)) }

func (l *Limiter) shardOf(key string) *shard {
	return &l.shard[maphash.String(l.seed, key)&(shardCount-1)]
}

// debt returns how far key's bucket is below full, in ns of refill
// (0 = full), with the shard lock held.
func (s *shard) debt(key string, now int64) int64 {
	if t, ok := s.full[key]; ok && t > now {
		return t - now
	}
	return 0
}

// Allow takes one token from key's bucket if there is one.
func (l *Limiter) Allow(key string) bool {
	ok, _ := l.take(key, l.every)
	return ok
}

// AllowN takes n tokens from key's bucket if there are that many. It
// returns true for n == 0 and false for n above Burst, negative n or NaN.
func (l *Limiter) AllowN(key string, n float64) bool {
	ok, _ := l.ReserveN(key, n)
	return ok
}

// Reserve takes one token from key's bucket for work whose cost is known
// only afterwards (a flag guess, a password check): the decision and the
// taking are one step under the bucket's lock, so no interleaving of
// concurrent requests gets more work done than the bucket holds. When the
// bucket is empty it takes nothing and returns how long until it holds a
// token. Give the token back with Refund when the work turns out to be
// free (a right flag, a right password).
func (l *Limiter) Reserve(key string) (bool, time.Duration) { return l.take(key, l.every) }

// ReserveN is Reserve for n tokens (Refund them with RefundN). n == 0 is
// always granted; n above Burst, negative or NaN never is, and the wait
// returned then is meaningless.
func (l *Limiter) ReserveN(key string, n float64) (bool, time.Duration) {
	switch {
	case n == 0:
		return true, 0
	case !(n > 0):
		return false, maxSpan
	}
	return l.take(key, spanOf(n, time.Duration(l.every)))
}

// take takes cost ns of tokens from key's bucket if it holds them, else
// returns how long until it does.
func (l *Limiter) take(key string, cost int64) (bool, time.Duration) {
	now := l.clock()
	s := l.shardOf(key)
	s.mu.Lock()
	d := s.debt(key, now) + cost
	ok := d <= l.span
	if ok {
		s.full[key] = now + d
	}
	s.mu.Unlock()
	if ok {
		return true, 0
	}
	return false, time.Duration(d - l.span)
}

// Refund gives back one token taken by Reserve. The bucket never rises
// above full: a token that would have refilled meanwhile is not counted
// twice. A bucket forgotten since (Reset, Sweep) is full and stays so.
func (l *Limiter) Refund(key string) { l.give(key, l.every) }

// RefundN gives back n tokens taken by ReserveN; n not above 0 (or NaN)
// gives nothing.
func (l *Limiter) RefundN(key string, n float64) {
	if n > 0 {
		l.give(key, spanOf(n, time.Duration(l.every)))
	}
}

func (l *Limiter) give(key string, cost int64) {
	now := l.clock()
	s := l.shardOf(key)
	s.mu.Lock()
	if t, ok := s.full[key]; ok {
		// A bucket that is full now keeps its entry (in the past) for
		// Sweep; one in debt moves its time of being full earlier.
		s.full[key] = max(t-cost, min(t, now))
	}
	s.mu.Unlock()
}

// Burst returns the capacity of every bucket in tokens, after New's
// adjustments: ReserveN(key, Burst()) takes a bucket only when it is full.
func (l *Limiter) Burst() float64 { return l.burst }

// RetryAfter returns how long until key's bucket holds one token: 0 if it
// holds one now. Callers writing a Retry-After header round it up to whole
// seconds.
func (l *Limiter) RetryAfter(key string) time.Duration { return l.wait(key, l.every) }

// RetryAfterN returns how long until key's bucket holds n tokens (0 if it
// does now); it takes nothing. For n above Burst the answer is
// meaningless: the bucket never holds that many.
func (l *Limiter) RetryAfterN(key string, n float64) time.Duration {
	if !(n > 0) {
		return 0
	}
	return l.wait(key, spanOf(n, time.Duration(l.every)))
}

func (l *Limiter) wait(key string, cost int64) time.Duration {
	now := l.clock()
	s := l.shardOf(key)
	s.mu.Lock()
	d := s.debt(key, now)
	s.mu.Unlock()
	// cost is available once the debt is at most span-cost.
	return time.Duration(max(0, d+cost-l.span))
}

// Reset forgets every bucket, so every key starts full (admin reset).
func (l *Limiter) Reset() {
	for i := range l.shard {
		s := &l.shard[i]
		s.mu.Lock()
		clear(s.full)
		s.mu.Unlock()
	}
}

// Len returns the number of buckets held in memory, full or not, until
// the next Sweep.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shard {
		s := &l.shard[i]
		s.mu.Lock()
		n += len(s.full)
		s.mu.Unlock()
	}
	return n
}

// Sweep forgets buckets that have been full for at least IdleTTL.
// Forgetting them changes no answer, since a missing bucket is full; a
// partly drained bucket stays until it has refilled and then idled.
func (l *Limiter) Sweep() {
	cutoff := l.clock() - l.ttl
	for i := range l.shard {
		s := &l.shard[i]
		s.mu.Lock()
		for k, t := range s.full {
			if t <= cutoff {
				delete(s.full, k)
			}
		}
		s.mu.Unlock()
	}
}

// Run calls Sweep every interval (a minute if interval is not positive)
// until ctx is done.
func (l *Limiter) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = defaultSweep
	}
	t := time.NewTicker(interval)
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
