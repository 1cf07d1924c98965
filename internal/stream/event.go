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
}

// Snapshot is what a client receives first: the whole ranked scoreboard,
// the score series of the leaders and the latest events. It marshals as
// the object {"type":"snapshot","last_id":…,"players":…,"series":…,
// "events":…}; nil slices are sent as empty arrays.
type Snapshot struct {
	// LastID is the id of the last event the snapshot reflects.
	LastID  int64
	Players []game.Standing
	Series  []game.Series
	// Events are the latest events, oldest first. The hub keeps only the
	// last Config.SnapshotEvents of them.
	Events []Event
}

// snapshotWire fixes the JSON field order and names of a snapshot.
type snapshotWire struct {
	Type    string          `json:"type"`
	LastID  int64           `json:"last_id"`
	Players []game.Standing `json:"players"`
	Series  []game.Series   `json:"series"`
	Events  []Event         `json:"events"`
}

// MarshalJSON encodes the snapshot in its wire form.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	w := snapshotWire{Type: "snapshot", LastID: s.LastID, Players: s.Players, Series: s.Series, Events: s.Events}
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
