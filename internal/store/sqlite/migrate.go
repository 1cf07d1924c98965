package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/ctfg/ctfg/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema change, migrations/NNNN_name.SQL.
type migration = store.Migration

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration, error) { return store.LoadMigrations(migrationFS, "migrations") }

// migrate applies every migration not yet recorded in schema_migrations,
// each in its own transaction together with its record, so a crash leaves
// either the whole migration or none of it. The check runs inside the
// (IMMEDIATE) transaction, so two processes opening the same new file
// cannot both apply a migration.
func migrate(ctx context.Context, w *sql.DB, now func() time.Time, log *slog.Logger) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return migrateWith(ctx, w, ms, now, log)
}

// migrateWith applies the migrations of ms not yet recorded, in version
// order. Versions may have gaps, and a database may lack a version below
// one it has (two branches numbered their migrations apart): whatever is
// missing is applied.
func migrateWith(ctx context.Context, w *sql.DB, ms []migration, now func() time.Time, log *slog.Logger) error {
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_ms INTEGER NOT NULL
) STRICT`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		applied, err := applyMigration(ctx, w, m, now)
		if err != nil {
			return fmt.Errorf("migrate: %s: %w", m.Name, err)
		}
		if applied {
			log.Info("sqlite: migration applied", "migration", m.Name)
		}
	}
	var newest sql.NullInt64
	if err := w.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if known := ms[len(ms)-1].Version; int(newest.Int64) > known {
		return fmt.Errorf("migrate: database schema version %d is newer than this program's %d; use a newer ctfg", newest.Int64, known)
	}
	return nil
}

func applyMigration(ctx context.Context, w *sql.DB, m migration, now func() time.Time) (applied bool, err error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)`,
		m.Version, m.Name, now().UnixMilli()); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}
