package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// The SQL of self-registration. The name check scans users on purpose:
// registrations are rare and a csv name may differ in case.
const (
	qUserNamed = `SELECT count(*) FROM users WHERE lower(username) = lower($1)`
	// qInsertAccount takes the next id as SyncUsers does; it runs under
	// usersLock, so the two never hand out one id twice.
	qInsertAccount = `INSERT INTO users (id, username, created_ms, password_hash)
SELECT coalesce(max(id), 0) + 1, $1, $2::bigint, $3 FROM users
RETURNING id`
	// qInsertRegister logs the register event with the id qAdvanceHead
	// (n = 1) reserved in the same transaction.
	qInsertRegister = `INSERT INTO events (id, type, user_id, ts, name)
SELECT last_id, 'register', $1::bigint, $2::bigint, $3 FROM log_head`
	qAccountHash    = `SELECT password_hash FROM users WHERE id = $1 AND password_hash <> ''`
	qAccounts       = `SELECT id, username, password_hash FROM users WHERE password_hash <> '' ORDER BY id`
	qForgetExpired  = `DELETE FROM used_once WHERE expires_ms <= $1`
	qInsertUsedOnce = `INSERT INTO used_once (key, expires_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`
)

// CreateAccount creates a registered account and its register event in
// one transaction. Lock order: usersLock (shared with SyncUsers), then
// log_head's row (shared with Append), which no one takes the other way
// round.
func (db *DB) CreateAccount(ctx context.Context, username, hash string) (int64, error) {
	if strings.TrimSpace(username) == "" || hash == "" {
		return 0, errors.New("postgres: create account: empty username or hash")
	}
	var id int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, usersLock); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, qUserNamed, username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return game.ErrUsernameTaken
		}
		now := db.now().UnixMilli()
		if err := tx.QueryRow(ctx, qInsertAccount, username, now, hash).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, qAdvanceHead, int64(1)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, qInsertRegister, id, now, username)
		return err
	})
	switch {
	case errors.Is(err, game.ErrUsernameTaken):
		return 0, err
	case err != nil:
		return 0, fmt.Errorf("postgres: create account: %w", err)
	}
	store.Signal(db.changed)
	return id, nil
}

// AccountHash returns the password hash of a registered account.
func (db *DB) AccountHash(ctx context.Context, userID int64) (string, error) {
	var h string
	err := db.pool.QueryRow(ctx, qAccountHash, userID).Scan(&h)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", store.ErrNotFound
	case err != nil:
		return "", fmt.Errorf("postgres: account hash: %w", err)
	}
	return h, nil
}

// Accounts returns every registered account, hash as Password.
func (db *DB) Accounts(ctx context.Context) ([]game.User, error) {
	rows, err := db.pool.Query(ctx, qAccounts)
	if err != nil {
		return nil, fmt.Errorf("postgres: accounts: %w", err)
	}
	var out []game.User
	var u game.User
	if _, err := pgx.ForEachRow(rows, []any{&u.ID, &u.Username, &u.Password}, func() error {
		out = append(out, u)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: accounts: %w", err)
	}
	return out, nil
}

// UseOnce records key until expires; it reports false for a key already
// recorded and not expired at now. Two instances using one key at once:
// the primary key lets one insert win, the other waits for it and
// inserts nothing.
func (db *DB) UseOnce(ctx context.Context, key string, expires, now time.Time) (bool, error) {
	if key == "" {
		return false, errors.New("postgres: use once: empty key")
	}
	var fresh bool
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qForgetExpired, now.UnixMilli()); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, qInsertUsedOnce, key, expires.UnixMilli())
		fresh = tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: use once: %w", err)
	}
	return fresh, nil
}
