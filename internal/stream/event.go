package stream

import (
	"encoding/json"
	"fmt"

	"github.com/ctfg/ctfg/internal/game"
)

// Event is the wire form of one game event (docs/API.md, "Scorestream").
type Event struct {
	ID          int64  `json:"id"`
	Type        string `json:"type"` // "score", "hint", "rename"
	PlayerID    int64  `json:"player_id"`
	DisplayName string `json:"displayname"`
	TS          int64  `json:"ts"` // Unix milliseconds
	ChallengeID int    `json:"challenge_id,omitempty"`
	Challenge   string `json:"challenge,omitempty"`
	HintID      int    `json:"hint_id,omitempty"`
	Points      int    `json:"points"`
	// Message is an announcement's text (Type "announcement").
	Message string `json:"message,omitempty"`
	// By and ByName are the member who made a team's solve or hint (team
	// mode: PlayerID and DisplayName are the team's); 0 and "" (omitted)
	// otherwise.
	By     int64  `json:"by,omitempty"`
	ByName string `json:"by_name,omitempty"`
	// FirstBlood is a solve's place among the first solvers of its
	// challenge (1–3), 0 (omitted) for later ones.
	FirstBlood int `json:"first_blood,omitempty"`
	// Value is the challenge's value after a solve under dynamic scoring
	// (omitted otherwise): every earlier solver now holds it too, so a
	// client refetches the scoreboard for their new scores.
	Value int `json:"value,omitempty"`
}

// The wire types of events that are not a player's: a change of the
// clock or the freeze (clients fetch GET /api/clock again) and an early
// release of a challenge (clients fetch the challenges again).
const (
	EventClock   = "clock"
	EventRelease = "release"
)

// markWire is the wire form of a clock frame.
type markWire struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
	TS   int64  `json:"ts"`
}

// releaseWire is the wire form of a release frame.
type releaseWire struct {
	Type        string `json:"type"`
	ID          int64  `json:"id"`
	TS          int64  `json:"ts"`
	ChallengeID int    `json:"challenge_id"`
	Challenge   string `json:"challenge"`
}

// EventAnnouncement is the wire type of an admin announcement.
const EventAnnouncement = "announcement"

// announcementWire is the wire form of an announcement: no player, no
// points.
type announcementWire struct {
	Type        string `json:"type"`
	ID          int64  `json:"id"`
	TS          int64  `json:"ts"`
	Message     string `json:"message"`
	ChallengeID int    `json:"challenge_id,omitempty"`
}

// eventWire is Event without its MarshalJSON.
type eventWire Event

// MarshalJSON writes an announcement as {"type","id","ts","message",
// "challenge_id"?} and every other event with all its fields.
func (e Event) MarshalJSON() ([]byte, error) {
	switch e.Type {
	case EventAnnouncement:
		return json.Marshal(announcementWire{Type: e.Type, ID: e.ID, TS: e.TS, Message: e.Message, ChallengeID: e.ChallengeID})
	case EventClock:
		return json.Marshal(markWire{Type: e.Type, ID: e.ID, TS: e.TS})
	case EventRelease:
		return json.Marshal(releaseWire{Type: e.Type, ID: e.ID, TS: e.TS, ChallengeID: e.ChallengeID, Challenge: e.Challenge})
	}
	return json.Marshal(eventWire(e))
}

// AnnouncementEvent returns the wire form of an announcement.
func AnnouncementEvent(a game.Announcement) Event {
	return Event{Type: EventAnnouncement, ID: a.ID, TS: a.TS, Message: a.Message, ChallengeID: a.ChallengeID}
}

// SnapshotAnnouncementBytes bounds the message bytes of the announcements
// a snapshot carries (the newest one always goes): with the 20 latest
// announcements of up to 2,000 bytes each, a snapshot could otherwise
// grow by 40 KB. The full list is GET /api/announcements.
const SnapshotAnnouncementBytes = 8 << 10

// Snapshot is what a client receives first: the whole ranked scoreboard,
// the score series of the leaders and the latest events. It marshals as
// the object {"type":"snapshot","last_id":…,"players":…,"series":…,
// "events":…}; nil slices are sent as empty arrays.
type Snapshot struct {
	// LastID is the id of the last event the snapshot reflects.
	LastID int64
	// Frozen: the board is the one of the freeze.
	Frozen  bool
	Players []game.Standing
	Series  []game.Series
	// Events are the latest events, oldest first. The hub keeps only the
	// last Config.SnapshotEvents of them.
	Events []Event
	// Announcements are the latest announcements, oldest first (wire
	// form, Type "announcement"); the hub keeps as many of the newest as
	// fit in SnapshotAnnouncementBytes.
	Announcements []Event
}

// snapshotWire fixes the JSON field order and names of a snapshot.
type snapshotWire struct {
	Type    string          `json:"type"`
	LastID  int64           `json:"last_id"`
	Frozen  bool            `json:"frozen"`
	Players []game.Standing `json:"players"`
	Series  []game.Series   `json:"series"`
	Events  []Event         `json:"events"`
	// Announcements []Event, always present (possibly empty).
	Announcements []Event `json:"announcements"`
}

// MarshalJSON encodes the snapshot in its wire form.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	w := snapshotWire{Type: "snapshot", LastID: s.LastID, Frozen: s.Frozen, Players: s.Players, Series: s.Series, Events: s.Events, Announcements: s.Announcements}
	if w.Announcements == nil {
		w.Announcements = []Event{}
	}
	if w.Players == nil {
		w.Players = []game.Standing{}
	}
	if w.Series == nil {
		w.Series = []game.Series{}
	}
	if w.Events == nil {
		w.Events = []Event{}
	}
	for i := range w.Series {
		if w.Series[i].Points == nil {
			// Copy before touching: the slice belongs to the Source.
			series := append([]game.Series(nil), w.Series...)
			for j := range series {
				if series[j].Points == nil {
					series[j].Points = [][2]int64{}
				}
			}
			w.Series = series
			break
		}
	}
	return json.Marshal(w)
}

// trimAnnouncements returns the newest announcements whose messages fit
// in SnapshotAnnouncementBytes, and always the newest one.
func trimAnnouncements(as []Event) []Event {
	n := 0
	for i := len(as) - 1; i >= 0; i-- {
		n += len(as[i].Message)
		if n > SnapshotAnnouncementBytes && i < len(as)-1 {
			return as[i+1:]
		}
	}
	return as
}

// encodeSnapshotFrame returns the data frame that carries s: an array of
// one snapshot object.
func encodeSnapshotFrame(s Snapshot) ([]byte, error) {
	b, err := s.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("stream: encode snapshot: %w", err)
	}
	out := make([]byte, 0, len(b)+2)
	out = append(out, '[')
	out = append(out, b...)
	return append(out, ']'), nil
}

// encodeEvents returns the data frame that carries evs, a JSON array.
func encodeEvents(evs []Event) ([]byte, error) {
	b, err := json.Marshal(evs)
	if err != nil {
		return nil, fmt.Errorf("stream: encode events: %w", err)
	}
	return b, nil
}

// resetFrame is the frame every client gets on an admin reset.
const resetFrame = `[{"type":"system","event":"reset","logout":true}]`
