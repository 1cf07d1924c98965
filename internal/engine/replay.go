package engine

import (
	"context"
	"fmt"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// Replay rebuilds from s's event log the state a server has after it
// starts: the same catalog construction and the same fold of every event
// as New, so a scoreboard computed from the result ranks players, breaks
// ties and charges hints exactly as the running server (and its
// /api/scoreboard) does. Tools such as "ctfg export" use it to read the
// database of a running or stopped server.
//
// users must carry their store ids: Replay cannot assign ids (it never
// calls SyncUsers) and only reads s.Events, so a read-only store works.
// Events of a user missing from users are skipped, as the server skips
// users removed from credentials.csv. It returns an error if the
// challenges do not form a catalog or the log cannot be read.
func Replay(ctx context.Context, s store.Store, challenges []*game.Challenge, users []game.User) (*game.State, error) {
	catalog, err := game.NewCatalog(challenges)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	// An engine without a committer: load is exactly the start-up fold.
	e := &Engine{cfg: Config{Store: s}, st: game.NewState(catalog, users)}
	if err := e.load(ctx); err != nil {
		return nil, err
	}
	return e.st, nil
}
