package app

import (
	"net/url"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/stream"
)

// SnapshotSeries is how many leaders' score series a snapshot carries.
const SnapshotSeries = 10

// toStream turns a committed event into its wire form.
func toStream(st *game.State, ev game.Event) stream.Event {
	out := stream.Event{
		ID: ev.ID, Type: string(ev.Type), PlayerID: ev.UserID, TS: ev.TS,
		ChallengeID: ev.ChallengeID, HintID: ev.HintID, Points: ev.Points,
	}
	if ev.Type == game.EventRename {
		out.DisplayName = ev.Name
	} else {
		out.DisplayName = st.DisplayName(ev.UserID)
	}
	if ev.ChallengeID != 0 {
		if c, ok := st.Catalog().Get(ev.ChallengeID); ok {
			out.Challenge = c.Title
		}
	}
	return out
}

// snapshotSource lets the hub take consistent snapshots of the state.
type snapshotSource struct{ st *game.State }

func (s snapshotSource) Snapshot() stream.Snapshot {
	snap := s.st.TakeSnapshot(SnapshotSeries)
	out := stream.Snapshot{LastID: snap.LastID, Players: snap.Players, Series: snap.Series, Events: make([]stream.Event, len(snap.Events))}
	for i, ev := range snap.Events {
		out.Events[i] = toStream(s.st, ev)
	}
	return out
}

// originOf returns the http(s) origin matching a ws(s) URL, for the
// Content-Security-Policy's connect-src.
func originOf(wsURL string) string {
	u, err := url.Parse(wsURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
