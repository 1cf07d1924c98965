package stream

import (
	"encoding/hex"
	"sync"

	"github.com/ctfg/ctfg/internal/game"
)

// View feeds a hub from the event log (it is a feed.View): it maps each
// committed event to its wire form itself — keeping the display names it
// needs from the rename events it has seen — and publishes it, so the hub
// never reads the game state back to build a frame. A reset event closes
// every socket with the reset frame.
type View struct {
	hub   *Hub
	title func(challengeID int) string

	mu    sync.Mutex
	names map[int64]string
}

// NewView returns a view publishing to hub; title names a challenge by
// its id ("" for one no longer in the game).
func NewView(hub *Hub, title func(challengeID int) string) *View {
	return &View{hub: hub, title: title, names: map[int64]string{}}
}

// Apply publishes evs, in id order. Event types browsers do not know are
// not sent.
func (v *View) Apply(evs []game.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]Event, 0, len(evs))
	for _, ev := range evs {
		switch ev.Type {
		case game.EventReset:
			v.hub.Publish(out...)
			out = out[:0]
			clear(v.names)
			v.hub.Reset()
			continue
		case game.EventLogout:
			// The session's sockets close on every instance; Data is the
			// session key in hex, the hub knows it as raw bytes.
			if k, err := hex.DecodeString(ev.LogoutSession()); err == nil && len(k) > 0 {
				v.hub.CloseSession(string(k))
			}
			continue
		case game.EventAnnouncement:
			if a, ok := ev.Announcement(); ok {
				out = append(out, AnnouncementEvent(a))
			}
			continue
		case game.EventRename:
			v.names[ev.UserID] = ev.Name
		case game.EventScore, game.EventHint:
		default:
			continue
		}
		out = append(out, v.wireLocked(ev))
	}
	v.hub.Publish(out...)
}

// Wire returns the wire form of ev with the names as they stand now (for
// the recent events of a snapshot).
func (v *View) Wire(ev game.Event) Event {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.wireLocked(ev)
}

func (v *View) wireLocked(ev game.Event) Event {
	out := Event{
		ID: ev.ID, Type: string(ev.Type), PlayerID: ev.UserID, TS: ev.TS,
		ChallengeID: ev.ChallengeID, HintID: ev.HintID, Points: ev.Points,
		DisplayName: v.names[ev.UserID],
	}
	if ev.ChallengeID != 0 && v.title != nil {
		out.Challenge = v.title(ev.ChallengeID)
	}
	return out
}
