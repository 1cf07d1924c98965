package httpapi

import (
	"context"
	"net/http"
	"time"
)

// SharedLimiter keeps token buckets in the database every instance
// shares (the PostgreSQL store has these methods). With several
// instances behind a load balancer, each instance's own buckets alone
// would give an attacker N times the guessing budget; the shared bucket
// is the one that holds across all of them.
type SharedLimiter interface {
	TakeToken(ctx context.Context, key string, burst float64, every time.Duration, now time.Time) (ok bool, retryAfter time.Duration, err error)
	ReturnToken(ctx context.Context, key string, burst float64, every time.Duration, now time.Time) error
	// TakeTokenIf calls charge with key's bucket locked if it holds a
	// token, and takes the token only if charge returns true; ok reports
	// whether it held one.
	TakeTokenIf(ctx context.Context, key string, burst float64, every time.Duration, now time.Time, charge func() bool) (ok bool, retryAfter time.Duration, err error)
}

// sharedTimeout bounds one shared-bucket round trip; a database that
// cannot answer in that time cannot commit a solve either.
const sharedTimeout = 5 * time.Second

// takeShared reserves a token of the shared bucket name/key after this
// instance's own bucket granted one. Without a shared limiter it always
// succeeds. An error is the database's: the caller answers 500 (and gives
// its own token back), so a guess is never checked unmetered.
func (s *Server) takeShared(r *http.Request, name, key string, l Limit) (bool, time.Duration, error) {
	if s.cfg.Shared == nil {
		return true, 0, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), sharedTimeout)
	defer cancel()
	return s.cfg.Shared.TakeToken(ctx, name+":"+key, l.Burst, l.Every, s.now())
}

// chargeShared runs charge — which reserves this instance's own token,
// judges, and says whether the judgment costs a token — with the shared
// bucket name/key locked, and takes a shared token only if charge says
// so. ok is false, without charge being called, when the shared bucket
// is empty. Nothing is held between two round trips: a token taken and
// given back later would be out of the bucket while the database is
// busy, and a burst of right flags (free) would find it empty. Without a
// shared limiter it just calls charge.
func (s *Server) chargeShared(r *http.Request, name, key string, l Limit, charge func() bool) (bool, time.Duration, error) {
	if s.cfg.Shared == nil {
		charge()
		return true, 0, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), sharedTimeout)
	defer cancel()
	return s.cfg.Shared.TakeTokenIf(ctx, name+":"+key, l.Burst, l.Every, s.now(), charge)
}

// returnShared gives a shared token back (a right flag, a good password).
// It is not tied to the request: a client that hangs up after its right
// answer must not keep its token taken. A failure is logged; the bucket
// refills by itself.
func (s *Server) returnShared(name, key string, l Limit) {
	if s.cfg.Shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	if err := s.cfg.Shared.ReturnToken(ctx, name+":"+key, l.Burst, l.Every, s.now()); err != nil {
		s.log.Warn("shared rate limit: return token failed", "limiter", name, "err", err)
	}
}

// reserveAdmin reserves one admin token check for the client's address,
// on this instance and in the shared bucket, before the token is
// compared. When the shared bucket cannot be read the check is refused
// like a rate limit (logged): the admin token is never checked unmetered.
func (s *Server) reserveAdmin(r *http.Request) (key string, ok bool, wait time.Duration) {
	key = "a:" + s.clientAddr(r)
	if ok, wait := s.limits.admin.Reserve(key); !ok {
		return key, false, wait
	}
	ok, wait, err := s.takeShared(r, "admin", key, s.cfg.Limits.Admin)
	if err != nil {
		s.log.Error("shared rate limit: admin bucket unreadable", "request_id", requestID(r), "err", err)
		ok, wait = false, time.Second
	}
	if !ok {
		s.limits.admin.Refund(key)
	}
	return key, ok, wait
}

// refundAdmin gives back what reserveAdmin took (the token was right).
func (s *Server) refundAdmin(key string) {
	s.limits.admin.Refund(key)
	s.returnShared("admin", key, s.cfg.Limits.Admin)
}
