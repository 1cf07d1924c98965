package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// The SQL of self-registration; none of it runs per request of a player
// in play, so none is in hotQueries. The name check scans users on
// purpose: registrations are rare and a csv name may differ in case.
const (
	qUserNamed      = `SELECT count(*) FROM users WHERE lower(username) = lower(?)`
	qInsertAccount  = `INSERT INTO users (username, created_ms, password_hash) VALUES (?, ?, ?) RETURNING id`
	qAccountHash    = `SELECT password_hash FROM users WHERE id = ? AND password_hash <> ''`
	qAccounts       = `SELECT id, username, password_hash FROM users WHERE password_hash <> '' ORDER BY id`
	qForgetExpired  = `DELETE FROM used_once WHERE expires_ms <= ?`
	qInsertUsedOnce = `INSERT INTO used_once (key, expires_ms) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`
)

// CreateAccount creates a registered account and its register event in
// one write transaction (one writer: the name check cannot race another
// registration or SyncUsers).
func (db *DB) CreateAccount(ctx context.Context, username, hash string) (int64, error) {
	if strings.TrimSpace(username) == "" || hash == "" {
		return 0, errors.New("sqlite: create account: empty username or hash")
	}
	var id int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, qUserNamed, username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return game.ErrUsernameTaken
		}
		now := db.now().UnixMilli()
		if err := tx.QueryRowContext(ctx, qInsertAccount, username, now, hash).Scan(&id); err != nil {
			return err
		}
		var evID int64
		return tx.StmtContext(ctx, db.insertEvent).QueryRowContext(ctx,
			string(game.EventRegister), id, 0, 0, 0, now, username, "").Scan(&evID)
	})
	switch {
	case errors.Is(err, game.ErrUsernameTaken):
		return 0, err
	case err != nil:
		return 0, fmt.Errorf("sqlite: create account: %w", err)
	}
	store.Signal(db.changed)
	return id, nil
}

// AccountHash returns the password hash of a registered account.
func (db *DB) AccountHash(ctx context.Context, userID int64) (string, error) {
	var h string
	err := db.r.QueryRowContext(ctx, qAccountHash, userID).Scan(&h)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", store.ErrNotFound
	case err != nil:
		return "", fmt.Errorf("sqlite: account hash: %w", err)
	}
	return h, nil
}

// Accounts returns every registered account, hash as Password.
func (db *DB) Accounts(ctx context.Context) ([]game.User, error) {
	rows, err := db.r.QueryContext(ctx, qAccounts)
	if err != nil {
		return nil, fmt.Errorf("sqlite: accounts: %w", err)
	}
	defer rows.Close()
	var out []game.User
	for rows.Next() {
		var u game.User
		if err := rows.Scan(&u.ID, &u.Username, &u.Password); err != nil {
			return nil, fmt.Errorf("sqlite: accounts: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: accounts: %w", err)
	}
	return out, nil
}

// UseOnce records key until expires; it reports false for a key already
// recorded and not expired at now.
func (db *DB) UseOnce(ctx context.Context, key string, expires, now time.Time) (bool, error) {
	if key == "" {
		return false, errors.New("sqlite: use once: empty key")
	}
	var fresh bool
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qForgetExpired, now.UnixMilli()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, qInsertUsedOnce, key, expires.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: use once: %w", err)
	}
	return fresh, nil
}
