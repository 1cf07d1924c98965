package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ctfg/ctfg/internal/game"
)

// Migration is one numbered schema change of a backend, embedded as
// migrations/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the files of dir in fsys (each named with a
// positive version number, '_' and a name) in version order. Both
// backends number their migrations the same way; only how they apply them
// differs.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// PagedEvents calls fn for every event with ID > after, in ID order,
// reading pages of size events with readPage (each page its own short
// query, so fn may take its time or call other methods), and stops at the
// first error fn returns, returning it unchanged; a read error is
// wrapped with backend. It relies on ids being
// assigned in commit order: a later page never holds an id below one
// already delivered.
func PagedEvents(ctx context.Context, backend string, after int64, size int, readPage func(ctx context.Context, after int64, page []game.Event) ([]game.Event, error), fn func(game.Event) error) error {
	page := make([]game.Event, 0, size)
	for {
		var err error
		page, err = readPage(ctx, after, page[:0])
		if err != nil {
			return fmt.Errorf("%s: events after %d: %w", backend, after, err)
		}
		for _, ev := range page {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if len(page) < size {
			return nil
		}
		after = page[len(page)-1].ID
	}
}
