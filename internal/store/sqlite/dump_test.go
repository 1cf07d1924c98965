package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// bookkeepingTables are the tables of the schema a Dump leaves out on
// purpose: each backend migrates itself. (sqlite_sequence, SQLite's own,
// is read for Dump.LogHead.)
var bookkeepingTables = []string{"schema_migrations"}

// TestDumpCoversSchema: every table and column the migrations create is
// in store.DumpTables (or bookkeeping), so a new table or column cannot
// be left out of "ctfg db copy" silently; and a dump of a played game
// holds as many rows as each table.
func TestDumpCoversSchema(t *testing.T) {
	db := MustTempDB(t)
	storetest.MustPlay(t, db, []string{"ann", "ben", "cat"}, 200)
	ctx := context.Background()
	counts := storetest.MustDump(t, db).Counts()
	listed := map[string][]string{}
	for _, tb := range store.DumpTables {
		listed[tb.Name] = tb.Columns
	}
	tables := mustStrings(t, db.r, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
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
		have := mustStrings(t, db.r, `SELECT name FROM pragma_table_info('`+name+`') ORDER BY name`)
		want := slices.Sorted(slices.Values(cols))
		if !slices.Equal(have, want) {
			t.Errorf("table %s has columns %v, store.DumpTables lists %v", name, have, want)
		}
		var n int64
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM `+name).Scan(&n); err != nil {
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

func mustStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDumpReadOnly: a DB opened with OpenReadOnly dumps (export and db
// copy read a served database that way), and the dump equals the
// writer's.
func TestDumpReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctfg.db")
	w := MustOpen(t, path)
	storetest.MustPlay(t, w, []string{"ann", "ben"}, 100)
	ro, err := OpenReadOnly(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if diffs := storetest.SameDump(storetest.MustDump(t, w), storetest.MustDump(t, ro)); diffs != nil {
		t.Errorf("read-only dump differs in %v", diffs)
	}
	if err := ro.Load(context.Background(), &store.Dump{}, true); err == nil {
		t.Error("Load on a read-only DB: no error")
	}
}

// TestInUse: a database is in use while any connection (a server's
// store, a read-only reader) has it open, and free once they closed; a
// missing file is not in use.
func TestInUse(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ctfg.db")
	check := func(want bool, when string) {
		t.Helper()
		got, err := InUse(ctx, path)
		if err != nil || got != want {
			t.Errorf("%s: InUse %v, %v; want %v", when, got, err, want)
		}
	}
	check(false, "no file")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(true, "open by a store")
	db.Close()
	check(false, "after Close")
	ro, err := OpenReadOnly(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check(true, "open by a reader")
	ro.Close()
	check(false, "after the reader closed")
	// InUse left the database usable.
	db = MustOpen(t, path)
	storetest.MustSyncUsers(t, db, 1)
}
