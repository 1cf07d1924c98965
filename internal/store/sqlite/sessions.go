package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ctfg/ctfg/internal/store"
)

// Session token hashes stand in for secrets: no error message or log line
// here contains one.

// CreateSession stores a login session keyed by the hash of its token.
func (db *DB) CreateSession(ctx context.Context, tokenHash []byte, userID int64) error {
	if len(tokenHash) == 0 {
		return errors.New("sqlite: create session: empty token hash")
	}
	if err := db.exec(ctx, qInsertSession, tokenHash, userID, db.now().UnixMilli()); err != nil {
		return fmt.Errorf("sqlite: create session for user %d: %w", userID, err)
	}
	return nil
}

// SessionUser returns the user of a session, or store.ErrNotFound.
func (db *DB) SessionUser(ctx context.Context, tokenHash []byte) (int64, error) {
	var id int64
	err := db.sessionUser.QueryRowContext(ctx, tokenHash).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, store.ErrNotFound
	case err != nil:
		return 0, fmt.Errorf("sqlite: session user: %w", err)
	}
	return id, nil
}

// DeleteSession removes one session; removing a missing one is no error.
func (db *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if err := db.exec(ctx, qDeleteSession, tokenHash); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}
