package sqlite

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// syncLog is a log sink safe for the store's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

func mustOpenLogged(tb testing.TB, path string, log *syncLog) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path, Options{Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	closeAtEnd(tb, db)
	return db
}

func mustNameKeys(tb testing.TB, db *DB) map[int64]string {
	tb.Helper()
	rows, err := db.r.QueryContext(context.Background(), `SELECT user_id, name_key FROM names`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	keys := map[int64]string{}
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			tb.Fatal(err)
		}
		keys[id] = key
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return keys
}

// A database written when name keys were only case-folded holds names
// that now look alike, with the old keys. Opening it re-keys every name,
// keeps all of them, and from then on refuses every lookalike.
func TestRekeyNamesAtOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctfg.db")
	var log syncLog
	db := mustOpenLogged(t, path, &log)
	u := storetest.MustSyncUsers(t, db, 9)
	// Rename events set the order in which the names were taken: u[4]
	// took its name before u[3].
	order := []int{0, 1, 2, 4, 3, 5, 6, 7}
	for i, k := range order {
		storetest.MustAppend(t, db, game.Event{Type: game.EventRename, UserID: u[k], Name: "placeholder " + string(rune('a'+k)), TS: int64(i + 1)})
	}
	// What the old program would have stored: name_key = lower(name).
	legacy := map[int64]string{
		u[0]: "Ｎｅｏ",              // first, but u[1] holds the key already
		u[1]: "Neo",              // old key equals the new one: keeps it
		u[2]: "N\u0435o",         // Cyrillic е: displaced
		u[3]: "ＴＥＡＭ ＲＯＣＫＥＴ",      // neither holds "team rocket": the
		u[4]: "\u0422eam Rocket", // earlier rename (u[4]) gets it
		u[5]: "\u3164\u3164",     // shows nothing: displaced
		u[6]: "Alice",            // unchanged key
		u[7]: "Bob Marley",       // new key (m is rn), no collision
	}
	for id, name := range legacy {
		if _, err := db.w.ExecContext(ctx, `UPDATE names SET name = ?, name_key = ? WHERE user_id = ?`, name, strings.ToLower(name), id); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	log.take()

	db = mustOpenLogged(t, path, &log)
	keys := mustNameKeys(t, db)
	want := map[int64]string{
		u[0]: displacedKey(u[0]),
		u[1]: "neo",
		u[2]: displacedKey(u[2]),
		u[3]: displacedKey(u[3]),
		u[4]: game.NameKey("Team Rocket"),
		u[5]: displacedKey(u[5]),
		u[6]: "alice",
		u[7]: game.NameKey("Bob Marley"),
	}
	for id, k := range want {
		if keys[id] != k {
			t.Errorf("user %d (%+q): key %+q, want %+q", id, legacy[id], keys[id], k)
		}
	}
	logged := log.take()
	for _, s := range []string{"recomputed", "names=6", "looks like another player's", "shows nothing"} {
		if !strings.Contains(logged, s) {
			t.Errorf("log lacks %q:\n%s", s, logged)
		}
	}
	for _, name := range []string{"NEO", "Ｎｅｏ", "N\u0435o", "N\u0435\u03bf", "team rocket", "T\u0435am Rocket", "Team\u3164Rocket"} {
		r := storetest.MustAppend(t, db, game.Event{Type: game.EventRename, UserID: u[8], Name: name, TS: 100})[0]
		if !errors.Is(r.Err, game.ErrNameTaken) {
			t.Errorf("rename to %+q after re-key: %+v, want ErrNameTaken", name, r)
		}
	}

	// Opening again changes and logs nothing.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenLogged(t, path, &log)
	if got := mustNameKeys(t, db); len(got) != len(keys) {
		t.Fatalf("second open: %d names, want %d", len(got), len(keys))
	} else {
		for id, k := range keys {
			if got[id] != k {
				t.Errorf("second open changed user %d's key from %+q to %+q", id, k, got[id])
			}
		}
	}
	if logged := log.take(); strings.Contains(logged, "recomputed") || strings.Contains(logged, "looks like") {
		t.Errorf("second open logged a re-key:\n%s", logged)
	}

	// When the key holder renames away, the next open hands the key to
	// the displaced player who took the name first (u[0] before u[2]).
	if r := storetest.MustAppend(t, db, game.Event{Type: game.EventRename, UserID: u[1], Name: "Runner Up", TS: 101})[0]; !r.Inserted {
		t.Fatalf("holder renames away: %+v", r)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenLogged(t, path, &log)
	keys = mustNameKeys(t, db)
	if keys[u[0]] != "neo" || keys[u[2]] != displacedKey(u[2]) {
		t.Fatalf("after the holder left: u0 %+q, u2 %+q; want u0 to hold the key", keys[u[0]], keys[u[2]])
	}
	if r := storetest.MustAppend(t, db, game.Event{Type: game.EventRename, UserID: u[8], Name: "NEO", TS: 102})[0]; !errors.Is(r.Err, game.ErrNameTaken) {
		t.Fatalf("rename to NEO: %+v, want ErrNameTaken", r)
	}
}
