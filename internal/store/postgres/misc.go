package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/store"
)

// Sessions, meta values and shared token buckets. Session
// hashes, guesses and bucket keys stand in for secrets or attacker input:
// no error message or log line here contains one.

// CreateSession stores a login session keyed by the hash of its token.
// Concurrent logins commit in separate transactions, whose WAL flushes
// PostgreSQL groups by itself.
func (db *DB) CreateSession(ctx context.Context, tokenHash []byte, userID int64) error {
	if len(tokenHash) == 0 {
		return errors.New("postgres: create session: empty token hash")
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_ms) VALUES ($1, $2, $3)`,
		tokenHash, userID, db.now().UnixMilli()); err != nil {
		return fmt.Errorf("postgres: create session for user %d: %w", userID, err)
	}
	return nil
}

// SessionUser returns the user of a session, or store.ErrNotFound.
func (db *DB) SessionUser(ctx context.Context, tokenHash []byte) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT user_id FROM sessions WHERE token_hash = $1`, tokenHash).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, store.ErrNotFound
	case err != nil:
		return 0, fmt.Errorf("postgres: session user: %w", err)
	}
	return id, nil
}

// DeleteSession removes one session; removing a missing one is no error.
func (db *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return nil
}

// Meta returns a persistent server value, or store.ErrNotFound.
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", store.ErrNotFound
	case err != nil:
		return "", fmt.Errorf("postgres: meta %q: %w", key, err)
	}
	return v, nil
}

// SetMeta stores a persistent server value.
func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	if key == "" {
		return errors.New("postgres: set meta: empty key")
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("postgres: set meta %q: %w", key, err)
	}
	return nil
}

// SetMetaIfAbsent stores value under key unless the key has a value, and
// returns the value stored afterwards. The read is a second statement on
// purpose: when another instance's insert wins the race, ON CONFLICT waits
// for it to commit, but a read in the same statement would still use the
// snapshot taken before, which does not hold that row.
func (db *DB) SetMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	if key == "" {
		return "", errors.New("postgres: set meta: empty key")
	}
	var stored string
	err := db.pool.QueryRow(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
ON CONFLICT (key) DO NOTHING RETURNING value`, key, value).Scan(&stored)
	switch {
	case err == nil:
		return stored, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return "", fmt.Errorf("postgres: set meta %q: %w", key, err)
	}
	return db.Meta(ctx, key)
}

// qLockBucket makes sure key's bucket row exists (full, if new) and locks
// it: the no-op DO UPDATE takes the row lock, waiting for any other
// instance's transaction on the same key, and RETURNING then gives the
// latest committed values.
const qLockBucket = `INSERT INTO limits AS l (key, tokens, updated_ms) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET key = l.key
RETURNING tokens, updated_ms`

// TakeToken takes one token from key's shared bucket if it has one.
func (db *DB) TakeToken(ctx context.Context, key string, burst float64, every time.Duration, now time.Time) (ok bool, retryAfter time.Duration, err error) {
	err = db.updateBucket(ctx, key, burst, now, func(b store.Bucket) store.Bucket {
		b, ok, retryAfter = b.Take(burst, every, now)
		return b
	})
	if err != nil {
		return false, 0, fmt.Errorf("postgres: take token: %w", err)
	}
	return ok, retryAfter, nil
}

// TakeTokenIf decides with key's bucket locked: if the bucket holds a
// token it calls charge, and takes the token only if charge returns true.
// ok reports whether the bucket held one (and charge was called);
// retryAfter, when it did not, how long until it will. charge runs inside
// the transaction and must be quick (a judgment in memory).
//
// This is TakeToken then ReturnToken without the token ever being out of
// the bucket: a flag submission takes the token only when the guess
// proves wrong, so any number of concurrent right submissions, on any
// instance, leave the bucket as it was, while wrong ones are still
// charged strictly in lock order.
func (db *DB) TakeTokenIf(ctx context.Context, key string, burst float64, every time.Duration, now time.Time, charge func() bool) (ok bool, retryAfter time.Duration, err error) {
	err = db.updateBucket(ctx, key, burst, now, func(b store.Bucket) store.Bucket {
		next, has, wait := b.Take(burst, every, now)
		ok, retryAfter = has, wait
		if has && !charge() {
			return b
		}
		return next
	})
	if err != nil {
		return false, 0, fmt.Errorf("postgres: take token: %w", err)
	}
	return ok, retryAfter, nil
}

// ReturnToken gives one token back to key's shared bucket.
func (db *DB) ReturnToken(ctx context.Context, key string, burst float64, every time.Duration, now time.Time) error {
	err := db.updateBucket(ctx, key, burst, now, func(b store.Bucket) store.Bucket {
		return b.Return(burst, every, now)
	})
	if err != nil {
		return fmt.Errorf("postgres: return token: %w", err)
	}
	return nil
}

// updateBucket is the read-modify-write of one bucket, atomic through the
// row lock qLockBucket takes. Its commit does not wait for the WAL flush
// (synchronous_commit off for this transaction only): a bucket lost in a
// crash only forgives a few guesses, and an fsync per wrong guess would
// tie guessers' requests to the disk.
func (db *DB) updateBucket(ctx context.Context, key string, burst float64, now time.Time, fn func(store.Bucket) store.Bucket) error {
	if key == "" {
		return errors.New("empty key")
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		full := store.FullBucket(burst, now)
		b := &pgx.Batch{}
		b.Queue(`SET LOCAL synchronous_commit = off`)
		b.Queue(qLockBucket, key, full.Tokens, full.UpdatedMS)
		br := tx.SendBatch(ctx, b)
		var cur store.Bucket
		_, err := br.Exec()
		if err == nil {
			err = br.QueryRow().Scan(&cur.Tokens, &cur.UpdatedMS)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		next := fn(cur)
		_, err = tx.Exec(ctx, `UPDATE limits SET tokens = $2, updated_ms = $3 WHERE key = $1`, key, next.Tokens, next.UpdatedMS)
		return err
	})
}
