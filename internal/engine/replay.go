package engine

import (
	"context"
	"fmt"

	"github.com/ctfg/ctfg/internal/feed"
	"github.com/ctfg/ctfg/internal/game"
)

// Replay rebuilds from s's event log the state a server has after it
// starts: the same catalog construction and the same fold of every event
// as New, so a scoreboard computed from the result ranks players, breaks
// ties and charges hints exactly as the running server (and its
// /api/scoreboard) does. Tools such as "ctfg export" use it to read the
// database of a running or stopped server.
//
// users must carry their store ids: Replay cannot assign ids (it never
// calls SyncUsers) and only reads events, so a read-only store works.
// Events of a user missing from users are skipped, as the server skips
// users removed from credentials.csv. It returns an error if the
// challenges do not form a catalog or the log cannot be read.
//
// rules are the server's (the freeze and the first-blood bonus change
// the fold). views, if any, see every event after the state, as a server's views do.
func Replay(ctx context.Context, s EventReader, challenges []*game.Challenge, users []game.User, rules game.Rules, views ...feed.View) (*game.State, error) {
	catalog, err := game.NewCatalog(challenges)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	st := game.NewState(catalog, users)
	st.SetRules(rules)
	f := feed.New(feed.Config{Log: readOnlyLog{s}, Views: append([]feed.View{StateView(st)}, views...)}, 0)
	if _, err := f.CatchUp(ctx); err != nil {
		return nil, fmt.Errorf("engine: load events: %w", err)
	}
	return st, nil
}

// EventReader reads a log once, from the beginning (a read-only store).
type EventReader interface {
	Events(ctx context.Context, after int64, fn func(game.Event) error) error
}

// readOnlyLog is a log that never changes while it is read.
type readOnlyLog struct{ EventReader }

func (readOnlyLog) Changed() <-chan struct{} { return nil }
