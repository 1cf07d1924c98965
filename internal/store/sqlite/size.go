package sqlite

import (
	"context"
	"fmt"
	"os"
)

// Size returns the size in bytes of the database file (without its WAL;
// see WALSize), 0 if it cannot be read. It reads file metadata only, so
// metrics can call it at every scrape.
func (db *DB) Size() int64 {
	fi, err := os.Stat(db.path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Ping checks that the database answers: a trivial query on the read pool
// (no table is read). Health checks call it; it fails once the DB is
// closed.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}
