package game

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// The events of the competition clock. Like every change of the game they
// are entries of the log, so every instance sharing a database folds the
// same clock.
const (
	// EventClock is a live change of the start or end time by the admin:
	// Data is a JSON object with "start" and/or "end", each an RFC 3339
	// time (a live override of the configured value) or null (back to the
	// configured value); a key left out keeps its current value.
	EventClock EventType = "clock"
	// EventPause pauses the game: no solve, hint or award until resume.
	EventPause EventType = "pause"
	// EventResume ends a pause.
	EventResume EventType = "resume"
)

// ClockState is where the game stands in its window.
type ClockState string

// The clock states, as GET /api/clock names them.
const (
	ClockBefore  ClockState = "before"  // start is set and not reached
	ClockRunning ClockState = "running" // open for solves and hints
	ClockPaused  ClockState = "paused"  // paused by the admin
	ClockEnded   ClockState = "ended"   // end is set and reached
)

// The errors of the clock: a solve, hint or award outside the running
// window, and a bad live change.
var (
	ErrNotStarted = NewError(KindForbidden, "not_started")
	ErrPaused     = NewError(KindForbidden, "paused")
	ErrEnded      = NewError(KindForbidden, "ended")
	// ErrInvalidTime is a start or end that is not an RFC 3339 time with
	// a zone.
	ErrInvalidTime = NewError(KindInvalid, "invalid_time")
	// ErrStartNotBeforeEnd is a window whose start is not before its end.
	ErrStartNotBeforeEnd = NewError(KindInvalid, "start_not_before_end")
	// ErrFreezeOutsideWindow is a freeze time not strictly between the
	// start and the end.
	ErrFreezeOutsideWindow = NewError(KindInvalid, "freeze_outside_window")
)

// Where a start or end time came from.
const (
	SourceConfig = "config" // CTFG_START / CTFG_END, --start / --end
	SourceAdmin  = "admin"  // a clock event (live override)
)

// Clock is the competition window: the configured start and end, the
// live overrides the admin set (clock events), and whether the game is
// paused. A zero time is "not set". It is a value: the rules below are
// pure functions of it and of the time they are given.
type Clock struct {
	ConfigStart, ConfigEnd, ConfigFreeze time.Time
	LiveStart, LiveEnd, LiveFreeze       time.Time
	Paused                               bool
}

// Start returns the effective start time and its source ("" when none).
func (c Clock) Start() (time.Time, string) { return pick(c.LiveStart, c.ConfigStart) }

// End returns the effective end time and its source ("" when none).
func (c Clock) End() (time.Time, string) { return pick(c.LiveEnd, c.ConfigEnd) }

// Freeze returns the effective start of the scoreboard freeze and its
// source ("" when none).
func (c Clock) Freeze() (time.Time, string) { return pick(c.LiveFreeze, c.ConfigFreeze) }

func pick(live, config time.Time) (time.Time, string) {
	switch {
	case !live.IsZero():
		return live, SourceAdmin
	case !config.IsZero():
		return config, SourceConfig
	}
	return time.Time{}, ""
}

// State returns the clock's state at now. The end wins over everything
// (a game paused at its end has ended), and a game not yet started is
// "before" even while paused: a pause matters only inside the window.
func (c Clock) State(now time.Time) ClockState {
	start, _ := c.Start()
	end, _ := c.End()
	switch {
	case !end.IsZero() && !now.Before(end):
		return ClockEnded
	case !start.IsZero() && now.Before(start):
		return ClockBefore
	case c.Paused:
		return ClockPaused
	}
	return ClockRunning
}

// Check returns nil while solves, hints and awards are allowed at now,
// else ErrNotStarted, ErrPaused or ErrEnded.
func (c Clock) Check(now time.Time) error {
	switch c.State(now) {
	case ClockBefore:
		return ErrNotStarted
	case ClockPaused:
		return ErrPaused
	case ClockEnded:
		return ErrEnded
	}
	return nil
}

// ChallengesVisible reports whether players may list the challenges at
// now: from the start on (also while paused and after the end).
func (c Clock) ChallengesVisible(now time.Time) bool { return c.State(now) != ClockBefore }

// Validate returns ErrStartNotBeforeEnd when both times are set and the
// start is not before the end, and ErrFreezeOutsideWindow when a freeze
// time is set and not strictly between them.
func (c Clock) Validate() error {
	start, _ := c.Start()
	end, _ := c.End()
	if err := ValidateWindow(start, end); err != nil {
		return err
	}
	freeze, _ := c.Freeze()
	return ValidateFreeze(start, freeze, end)
}

// ValidateFreeze returns ErrFreezeOutsideWindow when freeze is set and
// not after start (when set) or not before end (when set).
func ValidateFreeze(start, freeze, end time.Time) error {
	if freeze.IsZero() {
		return nil
	}
	if (!start.IsZero() && !start.Before(freeze)) || (!end.IsZero() && !freeze.Before(end)) {
		return ErrFreezeOutsideWindow
	}
	return nil
}

// ValidateWindow returns ErrStartNotBeforeEnd when start and end are both
// set (non-zero) and start is not before end.
func ValidateWindow(start, end time.Time) error {
	if !start.IsZero() && !end.IsZero() && !start.Before(end) {
		return ErrStartNotBeforeEnd
	}
	return nil
}

// ClockField is one field of a ClockChange: Set when the change names it;
// then At is the new live value, or zero to clear the live override.
type ClockField struct {
	Set bool
	At  time.Time
}

// ClockChange is a live change of the window (the Data of a clock event).
type ClockChange struct {
	Start, End, Freeze ClockField
}

// Apply returns c with the change made (not validated).
func (c Clock) Apply(ch ClockChange) Clock {
	if ch.Start.Set {
		c.LiveStart = ch.Start.At
	}
	if ch.End.Set {
		c.LiveEnd = ch.End.At
	}
	if ch.Freeze.Set {
		c.LiveFreeze = ch.Freeze.At
	}
	return c
}

// ParseTime parses an RFC 3339 time with a zone ("2025-06-01T09:00:00Z",
// "2025-06-01T11:00:00+02:00") and returns it in UTC; anything else is
// ErrInvalidTime.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, ErrInvalidTime
	}
	return t.UTC(), nil
}

// FormatTime is the clock's wire form of t: RFC 3339 in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// MarshalJSON writes the fields the change sets: a time or null.
func (ch ClockChange) MarshalJSON() ([]byte, error) {
	m := map[string]*string{}
	for _, f := range []struct {
		key string
		v   ClockField
	}{{"start", ch.Start}, {"end", ch.End}, {"freeze", ch.Freeze}} {
		if !f.v.Set {
			continue
		}
		var s *string
		if !f.v.At.IsZero() {
			v := FormatTime(f.v.At)
			s = &v
		}
		m[f.key] = s
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads {"start": time|null, "end": time|null, "freeze":
// time|null}, each key
// optional; other keys are ignored (a newer writer's additions).
func (ch *ClockChange) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return ErrInvalidTime
	}
	*ch = ClockChange{}
	for key, dst := range map[string]*ClockField{"start": &ch.Start, "end": &ch.End, "freeze": &ch.Freeze} {
		raw, ok := m[key]
		if !ok {
			continue
		}
		dst.Set = true
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return ErrInvalidTime
		}
		t, err := ParseTime(s)
		if err != nil {
			return err
		}
		dst.At = t
	}
	return nil
}

// NewClockEvent returns the clock event of a live change.
func NewClockEvent(ch ClockChange, ts int64) Event {
	b, err := json.Marshal(ch)
	if err != nil {
		panic(fmt.Sprintf("game: clock change: %v", err)) // strings and nulls: cannot fail
	}
	return Event{Type: EventClock, Data: string(b), TS: ts}
}

// ClockChange returns the change of a clock event; ok is false for any
// other event or a Data this version cannot read (skipped when folding).
func (ev Event) ClockChange() (ClockChange, bool) {
	var ch ClockChange
	if ev.Type != EventClock || json.Unmarshal([]byte(ev.Data), &ch) != nil {
		return ClockChange{}, false
	}
	return ch, true
}
