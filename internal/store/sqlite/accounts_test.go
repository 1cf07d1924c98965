package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// TestMigrationGap: migrations are numbered apart by parallel changes
// (this one's 0005 came before another's 0004), so a database may lack a
// version below the newest it has. The runner applies what is missing,
// and the result opens as a complete schema.
func TestMigrationGap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gap.db")
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 3 {
		t.Skip("needs a migration to leave out")
	}
	w, err := sql.Open("sqlite", dsn(path, []string{"foreign_keys(1)", "journal_mode(WAL)"}))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	log := slog.New(slog.DiscardHandler)
	// Every migration but the one before the newest, as a build of the
	// newer branch alone would leave it.
	skipped := ms[len(ms)-2]
	partial := append(append([]migration(nil), ms[:len(ms)-2]...), ms[len(ms)-1])
	if err := migrateWith(ctx, w, partial, time.Now, log); err != nil {
		t.Fatalf("partial: %v", err)
	}
	if err := migrateWith(ctx, w, ms, time.Now, log); err != nil {
		t.Fatalf("filling the gap (%s): %v", skipped.Name, err)
	}
	var n int
	if err := w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("%d migrations recorded (%v), want %d", n, err, len(ms))
	}
	w.Close()
	db := MustOpen(t, path)
	if err := checkSchema(ctx, db.r); err != nil {
		t.Fatalf("schema after filling the gap: %v", err)
	}
}
