package store

import (
	"math"
	"time"
)

// Bucket is the state of one shared token bucket as the limits table of
// every backend keeps it: Tokens left at UpdatedMS (Unix milliseconds).
// The backends read and write it atomically; the arithmetic is here so
// they agree to the token.
type Bucket struct {
	Tokens    float64
	UpdatedMS int64
}

// FullBucket is the bucket of a key never seen: full at now.
func FullBucket(burst float64, now time.Time) Bucket {
	return Bucket{Tokens: normBurst(burst), UpdatedMS: now.UnixMilli()}
}

// tokenEpsilon absorbs floating-point error in the refill, so a bucket
// that is full to the millisecond is not reported as missing a sliver.
const tokenEpsilon = 1e-9

func normBurst(burst float64) float64 {
	if !(burst >= 1) { // below 1, or NaN: as ratelimit.Config
		return 1
	}
	return burst
}

func normEvery(every time.Duration) time.Duration {
	if every <= 0 {
		return time.Second
	}
	return every
}

// refill adds the tokens earned since b.UpdatedMS. A clock that stepped
// back earns nothing and does not move UpdatedMS back.
func (b Bucket) refill(burst float64, every time.Duration, now time.Time) Bucket {
	nowMS := now.UnixMilli()
	if elapsed := nowMS - b.UpdatedMS; elapsed > 0 {
		b.Tokens += float64(elapsed) * float64(time.Millisecond) / float64(every)
		b.UpdatedMS = nowMS
	}
	b.Tokens = min(b.Tokens, burst)
	return b
}

// Take refills b to now and takes one token if there is one. When there
// is not, retryAfter is how long until there will be.
func (b Bucket) Take(burst float64, every time.Duration, now time.Time) (next Bucket, ok bool, retryAfter time.Duration) {
	burst, every = normBurst(burst), normEvery(every)
	b = b.refill(burst, every, now)
	if b.Tokens >= 1-tokenEpsilon {
		b.Tokens = max(0, b.Tokens-1)
		return b, true, 0
	}
	wait := math.Ceil((1 - b.Tokens) * float64(every))
	return b, false, time.Duration(max(1, wait))
}

// Return refills b to now and gives one token back, never above burst.
func (b Bucket) Return(burst float64, every time.Duration, now time.Time) Bucket {
	burst, every = normBurst(burst), normEvery(every)
	b = b.refill(burst, every, now)
	b.Tokens = min(burst, b.Tokens+1)
	return b
}
