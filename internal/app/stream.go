package app

import (
	"net/url"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/stream"
)

// What a snapshot carries: the score series of the top 10 and the latest
// 25 events. Together with the whole ranked board (without the rank
// field, which is the order) a game of 500 players stays under 64 KB.
const (
	SnapshotSeries = 10
	SnapshotEvents = 25
)

// snapshotSource lets the hub take consistent snapshots of the state.
type snapshotSource struct {
	st   *game.State
	wire *stream.View
	now  func() time.Time
}

// Snapshot is the board everyone sees now: as at the freeze while one is
// on, names included.
func (s *snapshotSource) Snapshot() stream.Snapshot {
	snap := s.st.TakeSnapshot(SnapshotSeries, s.now())
	players := make([]game.Standing, len(snap.Players))
	for i, p := range snap.Players {
		p.Rank = 0
		players[i] = p
	}
	from := max(0, len(snap.Events)-SnapshotEvents)
	evs := snap.Events[from:]
	out := stream.Snapshot{LastID: snap.LastID, Frozen: snap.Frozen, Players: players, Series: snap.Series, Events: make([]stream.Event, len(evs))}
	for i, ev := range evs {
		out.Events[i] = s.wire.Wire(ev, snap.Names[from+i], snap.Places[from+i])
	}
	// The latest game.RecentAnnouncements; the hub trims them to its
	// byte budget.
	for _, a := range snap.Announcements {
		out.Announcements = append(out.Announcements, stream.AnnouncementEvent(a))
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

// metricsView counts the solves and hint purchases committed since this
// server started (on any instance); the history folded at start-up is
// not counted again.
type metricsView struct{ s *Server }

func (m metricsView) Apply(evs []game.Event) {
	since := m.s.started.UnixMilli()
	for len(evs) > 0 && evs[0].TS < since {
		evs = evs[1:]
	}
	m.s.Metrics.ObserveEvents(evs)
}
