package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ctfg/ctfg/internal/store"
)

// Meta returns a persistent server value, or store.ErrNotFound.
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, qMeta, key).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", store.ErrNotFound
	case err != nil:
		return "", fmt.Errorf("sqlite: meta %q: %w", key, err)
	}
	return v, nil
}

// SetMeta stores a persistent server value.
func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	if key == "" {
		return errors.New("sqlite: set meta: empty key")
	}
	if err := db.exec(ctx, qSetMeta, key, value); err != nil {
		return fmt.Errorf("sqlite: set meta %q: %w", key, err)
	}
	return nil
}

// SetMetaIfAbsent stores value under key unless the key has a value, and
// returns the value stored afterwards (the first writer's).
func (db *DB) SetMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	if key == "" {
		return "", errors.New("sqlite: set meta: empty key")
	}
	if err := db.exec(ctx, qSetMetaIfAbsent, key, value); err != nil {
		return "", fmt.Errorf("sqlite: set meta %q: %w", key, err)
	}
	// Committed before exec returned, and meta values are never deleted:
	// the read pool sees it.
	return db.Meta(ctx, key)
}
