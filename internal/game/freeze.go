package game

import "time"

// The events of the scoreboard freeze, of challenge releases and of
// practice solves.
const (
	// EventFreeze is the admin's "freeze now": from this event on, until
	// an unfreeze, everyone but the admin sees the game as it stood here.
	EventFreeze EventType = "freeze"
	// EventUnfreeze ends a freeze (the admin's, or the configured one)
	// and publishes the true board; the configured freeze time no longer
	// applies until a clock event sets one again.
	EventUnfreeze EventType = "unfreeze"
	// EventRelease is the admin's "release now" of a challenge with a
	// release time (ChallengeID): it appears at once.
	EventRelease EventType = "release"
	// EventPractice is a right flag after the end in practice mode: its
	// player sees the challenge solved; it is never scored, ranked or
	// shown to anyone else.
	EventPractice EventType = "practice"
)

// Gate decides, event by event, what everyone but the admin may see: it
// folds the clock (configured times, clock, pause and resume events) and
// the freeze (the freeze time, freeze and unfreeze events), and numbers
// the events the public sees. It is a pure fold of the log: the game
// state and the scorestream each keep one and so agree on every instance
// without talking to each other.
//
// Public ids: before a freeze an event's public id is its log id. During
// a freeze the hidden events must not show even as gaps in the ids of the
// frames the public does get (an announcement's id would tell how many
// solves were made since the last frame), so those frames are numbered
// on from the last id published before the freeze. Public ids stay
// increasing and never above the log id of their event; at the unfreeze
// they jump back to log ids.
type Gate struct {
	Clock Clock
	// RevealAtEnd ends a freeze by itself at the end (CTFG_REVEAL=end).
	RevealAtEnd bool

	frozen   bool  // a freeze is on
	disarmed bool  // the admin unfroze: the freeze time no longer applies
	pubID    int64 // the public id of the last public event
}

// NewGate returns a gate for the configured times.
func NewGate(start, end, freeze time.Time, revealAtEnd bool) Gate {
	return Gate{Clock: Clock{ConfigStart: start, ConfigEnd: end, ConfigFreeze: freeze}, RevealAtEnd: revealAtEnd}
}

// Step is what the gate decided for one event.
type Step struct {
	// Public: the event may be shown to everyone (false for a solve,
	// hint or rename during a freeze, and for every practice solve).
	Public bool
	// PublicID is the id the public knows the event by (Public only).
	PublicID int64
	// Froze: a freeze began just before this event.
	Froze bool
	// Revealed: a freeze ended at this event (an unfreeze, or the first
	// event at or after the end with RevealAtEnd).
	Revealed bool
}

// Step folds one event, in log order, and says how the public sees it.
func (g *Gate) Step(ev Event) Step {
	var st Step
	at := time.UnixMilli(ev.TS)
	switch {
	case !g.frozen && g.freezeDue(at):
		g.frozen, st.Froze = true, true
	case g.frozen && g.revealDue(at):
		g.frozen, st.Revealed = false, true
	}
	switch ev.Type {
	case EventReset:
		// Everything before a reset is gone, the clock events with it.
		*g = Gate{Clock: Clock{ConfigStart: g.Clock.ConfigStart, ConfigEnd: g.Clock.ConfigEnd, ConfigFreeze: g.Clock.ConfigFreeze}, RevealAtEnd: g.RevealAtEnd}
		st.Froze, st.Revealed = false, false
	case EventClock:
		// Folded as written, even if it makes start >= end (two admins on
		// two instances at once): the next change fixes it.
		if ch, ok := ev.ClockChange(); ok {
			g.Clock = g.Clock.Apply(ch)
			if ch.Freeze.Set {
				g.disarmed = false // a new freeze time counts again
			}
		}
	case EventPause, EventResume:
		g.Clock.Paused = ev.Type == EventPause
	case EventFreeze:
		if !g.frozen {
			g.frozen, st.Froze = true, true
		}
	case EventUnfreeze:
		g.disarmed = true
		if g.frozen {
			g.frozen, st.Revealed = false, true
		}
	}
	switch ev.Type {
	case EventPractice, EventLogout, EventJoin, EventRemove, EventRegister:
		// Never shown: a logout only closes its own sockets, a join moves
		// no score, a new account is no progress; none may use up a
		// public id.
		return st
	case EventScore, EventHint, EventRename:
		if g.frozen {
			return st
		}
	}
	st.Public = true
	if g.frozen {
		g.pubID++
	} else {
		g.pubID = ev.ID
	}
	st.PublicID = g.pubID
	return st
}

// freezeDue reports whether the configured (or live) freeze time has
// come at t and still applies.
func (g *Gate) freezeDue(t time.Time) bool {
	f, _ := g.Clock.Freeze()
	return !g.disarmed && !f.IsZero() && !t.Before(f) && !g.revealDue(t)
}

// revealDue reports whether a freeze ends by itself at t.
func (g *Gate) revealDue(t time.Time) bool {
	end, _ := g.Clock.End()
	return g.RevealAtEnd && !end.IsZero() && !t.Before(end)
}

// Frozen reports whether the public sees a frozen game at now: a freeze
// is on (or its time has come with no event since) and not ended by the
// end with RevealAtEnd.
func (g *Gate) Frozen(now time.Time) bool {
	if g.revealDue(now) {
		return false
	}
	return g.frozen || g.freezeDue(now)
}

// Latched reports whether a freeze began at an event and has not ended
// at one (the public view is then a copy taken at the freeze).
func (g *Gate) Latched() bool { return g.frozen }

// PublicID returns the public id of the last public event.
func (g *Gate) PublicID() int64 { return g.pubID }

// NewRelease returns the release event of a challenge.
func NewRelease(challengeID int, ts int64) Event {
	return Event{Type: EventRelease, ChallengeID: challengeID, TS: ts}
}
