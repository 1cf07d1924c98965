package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ctfg/ctfg/internal/store"
)

// Shared token buckets. SQLite serves one process, whose rate limiters
// live in memory; these exist so that both backends offer the same
// Store, and the read-modify-write runs on the single writer connection,
// which makes it atomic. Keys may name players or addresses: no error
// message here contains one.

// TakeToken takes one token from key's bucket if it has one.
func (db *DB) TakeToken(ctx context.Context, key string, burst float64, every time.Duration, now time.Time) (ok bool, retryAfter time.Duration, err error) {
	err = db.updateBucket(ctx, key, burst, now, func(b store.Bucket) store.Bucket {
		b, ok, retryAfter = b.Take(burst, every, now)
		return b
	})
	if err != nil {
		return false, 0, fmt.Errorf("sqlite: take token: %w", err)
	}
	return ok, retryAfter, nil
}

// ReturnToken gives one token back to key's bucket.
func (db *DB) ReturnToken(ctx context.Context, key string, burst float64, every time.Duration, now time.Time) error {
	err := db.updateBucket(ctx, key, burst, now, func(b store.Bucket) store.Bucket {
		return b.Return(burst, every, now)
	})
	if err != nil {
		return fmt.Errorf("sqlite: return token: %w", err)
	}
	return nil
}

func (db *DB) updateBucket(ctx context.Context, key string, burst float64, now time.Time, fn func(store.Bucket) store.Bucket) error {
	if key == "" {
		return errors.New("empty key")
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		b := store.FullBucket(burst, now)
		err := tx.QueryRowContext(ctx, qLimit, key).Scan(&b.Tokens, &b.UpdatedMS)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		b = fn(b)
		_, err = tx.ExecContext(ctx, qSetLimit, key, b.Tokens, b.UpdatedMS)
		return err
	})
}
