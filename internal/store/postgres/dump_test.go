package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/postgres/pgtest"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// bookkeepingTables are the tables a Dump leaves out on purpose:
// schema_migrations (each backend migrates itself) and log_head (read
// and written as Dump.LogHead).
var bookkeepingTables = []string{"log_head", "schema_migrations"}

func mustStrings(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.pool.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDumpCoversSchema: every table and column the migrations create is
// in store.DumpTables (or bookkeeping), and a dump of a played game holds
// as many rows as each table.
func TestDumpCoversSchema(t *testing.T) {
	db := MustTempDB(t)
	storetest.MustPlay(t, db, []string{"ann", "ben", "cat"}, 200)
	counts := storetest.MustDump(t, db).Counts()
	listed := map[string][]string{}
	for _, tb := range store.DumpTables {
		listed[tb.Name] = tb.Columns
	}
	tables := mustStrings(t, db, `SELECT table_name::text FROM information_schema.tables
WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`)
	if len(tables) == 0 {
		t.Fatal("no tables found")
	}
	for _, name := range tables {
		if slices.Contains(bookkeepingTables, name) {
			continue
		}
		cols, ok := listed[name]
		if !ok {
			t.Errorf("table %s is in the schema but not in store.DumpTables: ctfg db copy would drop it", name)
			continue
		}
		delete(listed, name)
		have := mustStrings(t, db, `SELECT column_name::text FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 ORDER BY 1`, name)
		if want := slices.Sorted(slices.Values(cols)); !slices.Equal(have, want) {
			t.Errorf("table %s has columns %v, store.DumpTables lists %v", name, have, want)
		}
		var n int64
		if err := db.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != counts[name] || n == 0 {
			t.Errorf("table %s holds %d rows, the dump %d", name, n, counts[name])
		}
	}
	for name := range listed {
		t.Errorf("store.DumpTables lists %s, which the schema does not have", name)
	}
}

// TestOpenReadOnly: a database without ctfg's schema is refused and left
// without one (a mistyped URL must not turn into an empty game); a ctfg
// database is read, dumped identically, and every write fails.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	empty := pgtest.MustDatabase(t)
	if _, err := OpenReadOnly(ctx, empty, Options{}); !errors.Is(err, ErrNotCtfg) {
		t.Fatalf("OpenReadOnly of an empty database: %v, want ErrNotCtfg", err)
	}
	conn, err := pgx.Connect(ctx, empty)
	if err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Errorf("OpenReadOnly created the schema (%v, %v)", exists, err)
	}
	conn.Close(ctx)

	url := pgtest.MustDatabase(t)
	w := MustOpen(t, url)
	ids := storetest.MustPlay(t, w, []string{"ann", "ben"}, 100)
	ro, err := OpenReadOnly(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if diffs := storetest.SameDump(storetest.MustDump(t, w), storetest.MustDump(t, ro)); diffs != nil {
		t.Errorf("read-only dump differs in %v", diffs)
	}
	if got := storetest.MustEvents(t, ro, 0); len(got) == 0 {
		t.Error("no events read")
	}
	if _, err := ro.Append(ctx, []game.Event{{Type: game.EventScore, UserID: ids["ann"], ChallengeID: 999, TS: 1}}); err == nil {
		t.Error("Append on a read-only DB: no error")
	}
	if err := ro.SetMeta(ctx, "k", "v"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("SetMeta on a read-only DB: %v, want a read-only error", err)
	}
	if err := ro.Load(ctx, &store.Dump{}, true); err == nil {
		t.Error("Load on a read-only DB: no error")
	}
	if _, err := ro.SyncUsers(ctx, []string{"zed"}); err == nil {
		t.Error("SyncUsers on a read-only DB: no error")
	}
}

// TestServers: Servers counts the LISTEN connections of running stores,
// not those opened with NoListen or read-only.
func TestServers(t *testing.T) {
	ctx := context.Background()
	url := pgtest.MustDatabase(t)
	tool, err := Open(ctx, url, Options{NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	waitServers := func(want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			n, err := tool.Servers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Servers: %d, want %d", n, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitServers(0)
	a, b := MustOpen(t, url), MustOpen(t, url)
	waitServers(2)
	a.Close()
	b.Close()
	waitServers(0)
}

// TestLoadDisplacedNameKey: SQLite's private key of a displaced display
// name starts with a NUL byte, which PostgreSQL text cannot hold; it
// survives a load into PostgreSQL and a dump back unchanged.
func TestLoadDisplacedNameKey(t *testing.T) {
	src := MustTempDB(t)
	storetest.MustPlay(t, src, []string{"ann", "ben"}, 60)
	d := storetest.MustDump(t, src)
	if len(d.Names) == 0 {
		t.Fatal("no names played")
	}
	d.Names[0].NameKey = "\x00displaced:" + strings.Repeat("7", 3)
	dst := MustTempDB(t)
	if err := dst.Load(context.Background(), d, false); err != nil {
		t.Fatal(err)
	}
	if diffs := storetest.SameDump(d, storetest.MustDump(t, dst)); diffs != nil {
		t.Errorf("dump after load differs in %v", diffs)
	}
}
