package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/postgres/pgtest"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// TestMigrateSubmissions opens a database of the schema before 0002 with
// wrong guesses and checks that they read back as incorrect submissions
// with their ids, and that new ids continue above them.
func TestMigrateSubmissions(t *testing.T) {
	url := pgtest.MustDatabase(t)
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_ms bigint NOT NULL)`}
	for _, m := range ms {
		if m.Version > 1 {
			break
		}
		stmts = append(stmts, m.SQL, `INSERT INTO schema_migrations VALUES (1, '`+m.Name+`', 0)`)
	}
	stmts = append(stmts,
		`INSERT INTO users (id, username, created_ms) VALUES (1, 'u1', 0), (2, 'u2', 0)`,
		`INSERT INTO wrong_guesses (id, user_id, challenge_id, guess, ts) OVERRIDING SYSTEM VALUE VALUES
			(4, 1, 1, 'flag{nope}', 1000), (7, 2, 3, '', 900), (9, 1, -2, 'Zoë 🚩', 1100)`,
	)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)

	db := MustOpen(t, url)
	got := storetest.MustLatestSubmissions(t, db, 10)
	want := []store.Submission{
		{ID: 9, UserID: 1, Challenge: -2, Result: store.ResultIncorrect, Guess: "Zoë 🚩", TS: time.UnixMilli(1100)},
		{ID: 7, UserID: 2, Challenge: 3, Result: store.ResultIncorrect, Guess: "", TS: time.UnixMilli(900)},
		{ID: 4, UserID: 1, Challenge: 1, Result: store.ResultIncorrect, Guess: "flag{nope}", TS: time.UnixMilli(1000)},
	}
	if len(got) != len(want) {
		t.Fatalf("after migration: %+v, want %+v", got, want)
	}
	for i := range want {
		if g, w := got[i], want[i]; g.ID != w.ID || g.UserID != w.UserID || g.Challenge != w.Challenge || g.Result != w.Result || g.Guess != w.Guess || g.Address != "" || !g.TS.Equal(w.TS) {
			t.Fatalf("after migration, row %d: %+v, want %+v", i, g, w)
		}
	}
	storetest.MustRecordSubmissions(t, db, store.Submission{UserID: 2, Challenge: 1, Result: store.ResultCorrect, Address: "192.0.2.1", TS: time.UnixMilli(2000)})
	if s := storetest.MustLatestSubmissions(t, db, 1)[0]; s.ID != 10 || s.Result != store.ResultCorrect {
		t.Fatalf("first submission after the migration: %+v, want id 10", s)
	}
	var gone bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('wrong_guesses') IS NULL`).Scan(&gone); err != nil || !gone {
		t.Fatalf("wrong_guesses still there: %v", err)
	}
}
