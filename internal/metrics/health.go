package metrics

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
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
	// DefaultMinDiskFree is the free space (64 MiB) on the database's file
	// system below which the server reports itself unhealthy: a full disk
	// fails every commit while reads (and a plain ping) still work, and
	// 64 MiB is minutes of warning at game-day write rates (about 60 bytes
	// per event) yet leaves room for the WAL to checkpoint.
	DefaultMinDiskFree = 64 << 20
	// DefaultCommitFailWindow is how long a failed commit keeps the server
	// unhealthy (30 s) unless a commit succeeds first. It is bounded so
	// that a server taken out of rotation, and so receiving no writes,
	// reports healthy again and gets the chance to show it has recovered.
	DefaultCommitFailWindow = 30 * time.Second
)

// Reasons for being unhealthy, as /healthz reports them.
const (
	ReasonDatabase      = "database"       // the database does not answer
	ReasonDiskFull      = "disk_full"      // free space below MinDiskFree
	ReasonCommitFailing = "commit_failing" // the latest commit failed, recently
)

// HealthError is an unhealthy result: a reason code for clients and the
// underlying cause for the log.
type HealthError struct {
	Reason string // one of the Reason constants
	Err    error
}

func (e *HealthError) Error() string { return "health: " + e.Reason + ": " + e.Err.Error() }

func (e *HealthError) Unwrap() error { return e.Err }

// HealthReason returns the reason code, safe to send to clients.
func (e *HealthError) HealthReason() string { return e.Reason }

// Health caches the result of cheap checks (the database answers a
// trivial query, the disk has room, commits are not failing) so that
// probes cost nothing between refreshes. Concurrent callers during a
// refresh wait for that one check.
type Health struct {
	check       func(ctx context.Context) error
	diskFree    func() int64
	minDiskFree int64
	failWindow  time.Duration
	every       time.Duration
	timeout     time.Duration
	now         func() time.Time

	// commitFailedAt is the time (unix ns) of the latest failed commit
	// when no commit has succeeded since; 0 otherwise.
	commitFailedAt atomic.Int64

	mu      sync.Mutex
	checked time.Time // zero: never
	err     error
}

// HealthConfig configures a Health.
type HealthConfig struct {
	// Check probes the dependencies; it must be cheap (no table scan).
	Check func(ctx context.Context) error
	// DiskFree, when set, returns the free bytes on the database's file
	// system (-1 when unknown, which is not held against the server).
	DiskFree func() int64
	// MinDiskFree is the least free space that is healthy; 0 means
	// DefaultMinDiskFree, a negative value turns the check off.
	MinDiskFree int64
	// CommitFailWindow is how long a failed commit (CommitFailed) counts;
	// 0 means DefaultCommitFailWindow.
	CommitFailWindow time.Duration
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
	if cfg.MinDiskFree == 0 {
		cfg.MinDiskFree = DefaultMinDiskFree
	}
	if cfg.CommitFailWindow <= 0 {
		cfg.CommitFailWindow = DefaultCommitFailWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Health{check: cfg.Check, diskFree: cfg.DiskFree, minDiskFree: cfg.MinDiskFree,
		failWindow: cfg.CommitFailWindow, every: cfg.Every, timeout: cfg.Timeout, now: cfg.Now}
}

// CommitFailed records a failed commit: the server is unhealthy for the
// next CommitFailWindow, unless a commit succeeds before.
func (h *Health) CommitFailed() {
	h.commitFailedAt.Store(h.now().UnixNano())
}

// CommitSucceeded records a successful commit. It is on the commit path:
// it writes only after a failure.
func (h *Health) CommitSucceeded() {
	if h.commitFailedAt.Load() != 0 {
		h.commitFailedAt.Store(0)
	}
}

// Check returns the latest result, running the checks if the cached one
// is older than Every: nil, or a *HealthError. The error is for the
// server's log; only its reason code is for clients.
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
	switch {
	case err != nil:
		err = &HealthError{Reason: ReasonDatabase, Err: err}
	case h.diskFree != nil && h.minDiskFree > 0:
		if free := h.diskFree(); free >= 0 && free < h.minDiskFree {
			err = &HealthError{Reason: ReasonDiskFull,
				Err: fmt.Errorf("%d bytes free on the database's file system, below %d", free, h.minDiskFree)}
		}
	}
	if at := h.commitFailedAt.Load(); err == nil && at != 0 && now.Sub(time.Unix(0, at)) < h.failWindow {
		err = &HealthError{Reason: ReasonCommitFailing,
			Err: fmt.Errorf("the latest commit failed %s ago", now.Sub(time.Unix(0, at)).Round(time.Millisecond))}
	}
	h.checked, h.err = h.now(), err
	return err
}
