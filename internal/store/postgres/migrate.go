package postgres

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ctfg/ctfg/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the pg_advisory_xact_lock key that serializes
// migrations of instances starting at once ("ctfg" in ASCII, then 1).
const migrationLock int64 = 0x63746667_00000001

type migration = store.Migration

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration, error) { return store.LoadMigrations(migrationFS, "migrations") }

// migrate applies every migration not yet recorded in schema_migrations,
// all in one transaction under an advisory lock: instances starting at
// once queue on the lock, the first applies, the others find them
// recorded. A failure leaves the schema as it was (PostgreSQL's DDL is
// transactional).
func migrate(ctx context.Context, pool *pgxpool.Pool, now func() time.Time, log *slog.Logger) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var applied []string
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text    NOT NULL,
    applied_ms bigint  NOT NULL
)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var newest int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
			return err
		}
		if known := ms[len(ms)-1].Version; newest > known {
			return fmt.Errorf("database schema version %d is newer than this program's %d; use a newer ctfg", newest, known)
		}
		for _, m := range ms {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			// No arguments: the simple protocol, which runs a file of
			// several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)`,
				m.Version, m.Name, now().UnixMilli()); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			applied = append(applied, m.Name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range applied {
		log.Info("postgres: migration applied", "migration", name)
	}
	return nil
}
