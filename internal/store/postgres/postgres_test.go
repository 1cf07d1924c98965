package postgres

import (
	"context"
	"sync"
	"testing"

	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/postgres/pgtest"
	"github.com/ctfg/ctfg/internal/store/storetest"
)

// MustOpen opens the database at url and closes it when the test ends.
func MustOpen(tb testing.TB, url string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), url, Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// MustTempDB opens a store over a new database of its own.
func MustTempDB(tb testing.TB) *DB {
	tb.Helper()
	return MustOpen(tb, pgtest.MustDatabase(tb))
}

func TestStore(t *testing.T) {
	pgtest.URL(t)
	var (
		mu   sync.Mutex
		urls = map[*testing.T]string{}
	)
	storetest.Run(t, func(t *testing.T) store.Store {
		// One database per test; later calls from the same test reach
		// it again (a restart, or a second instance).
		mu.Lock()
		url, ok := urls[t]
		mu.Unlock()
		if !ok {
			url = pgtest.MustDatabase(t)
			mu.Lock()
			urls[t] = url
			mu.Unlock()
		}
		return MustOpen(t, url)
	}, storetest.Shared())
}
