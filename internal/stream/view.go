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
//
// It folds the log through its own game.Gate, built with the state's
// rules, so it decides each event exactly as the state does: during a
// freeze no solve, hint or rename goes out and the frames that do carry
// public ids; at the unfreeze every socket gets a fresh snapshot.
type View struct {
	hub       *Hub
	challenge func(id int) *game.Challenge
	bonus     []int

	mu     sync.Mutex
	gate   game.Gate
	nameMu sync.RWMutex // guards names, which Wire reads without mu
	names  map[int64]string
	solves map[int]int // challenge id -> solves so far (first-blood places)
	// skipTo: events up to this id are in the snapshot sent at the last
	// unfreeze.
	skipTo int64
}

// NewView returns a view publishing to hub. challenge finds a challenge by
// id (nil for one no longer in the game); gate and bonus are the state's
// (game.State.NewGate, its rules' FirstBloodBonus).
func NewView(hub *Hub, challenge func(id int) *game.Challenge, gate game.Gate, bonus []int) *View {
	return &View{hub: hub, challenge: challenge, gate: gate, bonus: bonus, names: map[int64]string{}, solves: map[int]int{}}
}

// Apply publishes evs, in id order. Event types browsers do not know are
// not sent.
func (v *View) Apply(evs []game.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]Event, 0, len(evs))
	// resnapshot publishes what came before and sends every socket a new
	// snapshot (the hub takes it from the state, which holds this batch).
	resnapshot := func() {
		v.hub.Publish(out...)
		out = out[:0]
		v.skipTo = v.hub.Resnapshot()
	}
	for _, ev := range evs {
		step := v.gate.Step(ev)
		if step.Revealed {
			resnapshot() // the true board goes to everyone at once
		}
		place := 0
		switch ev.Type {
		case game.EventReset:
			v.hub.Publish(out...)
			out = out[:0]
			v.nameMu.Lock()
			clear(v.names)
			v.nameMu.Unlock()
			clear(v.solves)
			v.hub.Reset()
			continue
		case game.EventRemove:
			// A player removed or a team disbanded by the admin leaves the
			// board: everyone gets the board without them at once.
			resnapshot()
			continue
		case game.EventLogout:
			// The session's sockets close on every instance; Data is the
			// session key in hex, the hub knows it as raw bytes.
			if k, err := hex.DecodeString(ev.LogoutSession()); err == nil && len(k) > 0 {
				v.hub.CloseSession(string(k))
			}
			continue
		case game.EventRename:
			v.nameMu.Lock()
			v.names[ev.UserID] = ev.Name
			v.nameMu.Unlock()
		case game.EventScore:
			v.solves[ev.ChallengeID]++
			place = v.solves[ev.ChallengeID]
		}
		if !step.Public || ev.ID <= v.skipTo {
			continue
		}
		var w Event
		switch ev.Type {
		case game.EventAnnouncement:
			a, ok := ev.Announcement()
			if !ok {
				continue
			}
			w = AnnouncementEvent(a)
		case game.EventClock, game.EventPause, game.EventResume, game.EventFreeze, game.EventUnfreeze:
			w = Event{Type: EventClock, TS: ev.TS}
		case game.EventRelease:
			w = Event{Type: EventRelease, TS: ev.TS, ChallengeID: ev.ChallengeID, Challenge: v.title(ev.ChallengeID)}
		case game.EventScore, game.EventHint, game.EventRename:
			w = v.wireLocked(ev, v.nameOf(ev.UserID), place)
		default:
			continue
		}
		w.ID = step.PublicID
		out = append(out, w)
	}
	v.hub.Publish(out...)
}

// Wire returns the wire form of ev with the given display name and
// first-blood place (for the recent events of a snapshot). It reads
// nothing that changes, so it takes no lock: the hub builds snapshots
// while Apply holds the view's (at an unfreeze).
func (v *View) Wire(ev game.Event, name string, place int) Event {
	return v.wireLocked(ev, name, place)
}

// nameOf returns a member's display name for a team's frame. Apply
// holds the lock when it builds frames; Wire (snapshots) does not take
// it, so the names map is read under nameMu.
func (v *View) nameOf(id int64) string {
	v.nameMu.RLock()
	defer v.nameMu.RUnlock()
	return v.names[id]
}

func (v *View) title(id int) string {
	if c := v.challenge(id); c != nil {
		return c.Title
	}
	return ""
}

// wireLocked builds a frame's event; it reads only what never changes
// (the challenge lookup, the bonus), so Wire may call it unlocked.
func (v *View) wireLocked(ev game.Event, name string, place int) Event {
	out := Event{
		ID: ev.ID, Type: string(ev.Type), PlayerID: ev.UserID, TS: ev.TS,
		ChallengeID: ev.ChallengeID, HintID: ev.HintID, Points: ev.Points,
		DisplayName: name,
	}
	if by := ev.By(); by != 0 {
		out.By, out.ByName = by, v.nameOf(by)
	}
	if ev.ChallengeID != 0 && v.challenge != nil {
		c := v.challenge(ev.ChallengeID)
		if c != nil {
			out.Challenge = c.Title
		}
		if ev.Type == game.EventScore && place > 0 {
			// What the solver holds: the committed value plus the bonus of
			// its place (the state's fold adds the same).
			out.Points += game.FirstBloodPoints(ev.Points, place, v.bonus)
			if place <= game.FirstBloods {
				out.FirstBlood = place
			}
			if c != nil && c.Scoring != nil {
				out.Value = c.Scoring.Value(place)
			}
		}
	}
	return out
}
