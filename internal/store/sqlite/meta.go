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
