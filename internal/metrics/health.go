package metrics

import (
	"context"
	"sync"
	"time"
)

// Health defaults.
const (
	// DefaultHealthEvery is how long one health check's result is reused
	// (1 s): /healthz needs no session and is not rate limited, so a flood
	// of probes must not turn into a flood of database queries.
	DefaultHealthEvery = time.Second
	// DefaultHealthTimeout bounds one check (1 s): a probe that hangs is
	// worse than one that says the database is unreachable.
	DefaultHealthTimeout = time.Second
)

// Health caches the result of a cheap check (the database answers a
// trivial query) so that probes cost nothing between refreshes.
// Concurrent callers during a refresh wait for that one check.
type Health struct {
	check   func(ctx context.Context) error
	every   time.Duration
	timeout time.Duration
	now     func() time.Time

	mu      sync.Mutex
	checked time.Time // zero: never
	err     error
}

// HealthConfig configures a Health.
type HealthConfig struct {
	// Check probes the dependencies; it must be cheap (no table scan).
	Check func(ctx context.Context) error
	// Every is how long a result is reused; 0 means DefaultHealthEvery.
	Every time.Duration
	// Timeout bounds one Check; 0 means DefaultHealthTimeout.
	Timeout time.Duration
	// Now is the clock; nil means time.Now. It should be monotonic real
	// time, not a game clock frozen by a test.
	Now func() time.Time
}

// NewHealth returns a cached health check.
func NewHealth(cfg HealthConfig) *Health {
	if cfg.Every <= 0 {
		cfg.Every = DefaultHealthEvery
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultHealthTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Health{check: cfg.Check, every: cfg.Every, timeout: cfg.Timeout, now: cfg.Now}
}

// Check returns the latest result, running the check if the cached one is
// older than Every. The error is for the server's log, not for clients.
func (h *Health) Check(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if !h.checked.IsZero() && now.Sub(h.checked) < h.every && now.Sub(h.checked) >= 0 {
		return h.err
	}
	cctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	err := h.check(cctx)
	if ctx.Err() != nil {
		// This caller gave up; its cancellation says nothing about the
		// database, so do not cache it.
		return err
	}
	h.checked, h.err = h.now(), err
	return err
}
