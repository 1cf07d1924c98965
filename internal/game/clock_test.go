package game

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var (
	t0    = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	t0End = t0.Add(4 * time.Hour)
)

// TestClockStates: the state and the rule check at each instant around a
// window, with an injected time (no sleeps).
func TestClockStates(t *testing.T) {
	c := Clock{ConfigStart: t0, ConfigEnd: t0End}
	tests := []struct {
		at     time.Time
		paused bool
		want   ClockState
		err    error
	}{
		{t0.Add(-time.Nanosecond), false, ClockBefore, ErrNotStarted},
		{t0, false, ClockRunning, nil}, // the start instant is inside
		{t0End.Add(-time.Nanosecond), false, ClockRunning, nil},
		{t0End, false, ClockEnded, ErrEnded}, // the end instant is outside
		{t0.Add(time.Hour), true, ClockPaused, ErrPaused},
		{t0.Add(-time.Hour), true, ClockBefore, ErrNotStarted}, // before wins over paused
		{t0End.Add(time.Hour), true, ClockEnded, ErrEnded},     // ended wins over paused
	}
	for _, tt := range tests {
		c.Paused = tt.paused
		if got := c.State(tt.at); got != tt.want {
			t.Errorf("State(%v, paused=%v) = %s, want %s", tt.at, tt.paused, got, tt.want)
		}
		if err := c.Check(tt.at); !errors.Is(err, tt.err) {
			t.Errorf("Check(%v, paused=%v) = %v, want %v", tt.at, tt.paused, err, tt.err)
		}
		if got, want := c.ChallengesVisible(tt.at), tt.want != ClockBefore; got != want {
			t.Errorf("ChallengesVisible(%v) = %v, want %v", tt.at, got, want)
		}
	}
	// No window at all: always running.
	if s := (Clock{}).State(t0); s != ClockRunning {
		t.Errorf("no window: %s", s)
	}
	if s := (Clock{ConfigEnd: t0End}).State(t0.Add(-100 * time.Hour)); s != ClockRunning {
		t.Errorf("end only, long before it: %s", s)
	}
}

// TestClockOverrides: a live value wins over the configured one and says
// so; null (a zero At) goes back to the configured one.
func TestClockOverrides(t *testing.T) {
	c := Clock{ConfigStart: t0, ConfigEnd: t0End}
	if at, src := c.Start(); !at.Equal(t0) || src != SourceConfig {
		t.Fatalf("start %v from %q", at, src)
	}
	later := t0.Add(time.Hour)
	c = c.Apply(ClockChange{Start: ClockField{Set: true, At: later}})
	if at, src := c.Start(); !at.Equal(later) || src != SourceAdmin {
		t.Fatalf("after change: start %v from %q", at, src)
	}
	if at, src := c.End(); !at.Equal(t0End) || src != SourceConfig {
		t.Fatalf("end untouched by a change of start: %v from %q", at, src)
	}
	c = c.Apply(ClockChange{Start: ClockField{Set: true}})
	if at, src := c.Start(); !at.Equal(t0) || src != SourceConfig {
		t.Fatalf("after clearing: start %v from %q", at, src)
	}
	if _, src := (Clock{}).End(); src != "" {
		t.Fatalf("no end: source %q", src)
	}
	bad := c.Apply(ClockChange{End: ClockField{Set: true, At: t0}})
	if err := bad.Validate(); !errors.Is(err, ErrStartNotBeforeEnd) {
		t.Fatalf("start == end: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestClockChangeJSON: the Data of a clock event keeps absent, null and
// set apart, and refuses times without a zone.
func TestClockChangeJSON(t *testing.T) {
	ch := ClockChange{Start: ClockField{Set: true, At: t0}, End: ClockField{Set: true}}
	ev := NewClockEvent(ch, 1)
	if ev.Data != `{"end":null,"start":"2025-06-01T09:00:00Z"}` {
		t.Fatalf("data %s", ev.Data)
	}
	back, ok := ev.ClockChange()
	if !ok || back != ch {
		t.Fatalf("round trip: %+v %v", back, ok)
	}
	var only ClockChange
	if err := json.Unmarshal([]byte(`{"end":"2025-06-01T15:00:00+02:00"}`), &only); err != nil {
		t.Fatal(err)
	}
	if only.Start.Set || !only.End.Set || !only.End.At.Equal(t0End) {
		t.Fatalf("end only: %+v", only)
	}
	for _, bad := range []string{`{"start":"2025-06-01T09:00:00"}`, `{"start":"tomorrow"}`, `{"start":5}`, `[]`} {
		if err := json.Unmarshal([]byte(bad), &only); !errors.Is(err, ErrInvalidTime) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, ok := (Event{Type: EventClock, Data: "{"}).ClockChange(); ok {
		t.Error("damaged data read as a change")
	}
}

// TestStateFoldsClock: clock, pause and resume events change the state's
// clock; a reset clears the live part and keeps the configured window.
func TestStateFoldsClock(t *testing.T) {
	s := newTestState(t)
	s.SetRules(Rules{Start: t0, End: t0End})
	later := t0.Add(time.Hour)
	s.Apply(
		NewClockEvent(ClockChange{Start: ClockField{Set: true, At: later}}, 1),
		Event{ID: 2, Type: EventPause},
	)
	c := s.Clock()
	if !c.LiveStart.Equal(later) || !c.Paused || c.State(later.Add(time.Minute)) != ClockPaused {
		t.Fatalf("after clock and pause: %+v", c)
	}
	s.Apply(Event{ID: 3, Type: EventResume})
	if s.Clock().Paused {
		t.Fatal("resume did not resume")
	}
	s.Apply(Event{ID: 4, Type: EventPause}, Event{ID: 5, Type: EventReset})
	if c := s.Clock(); c != (Clock{ConfigStart: t0, ConfigEnd: t0End}) {
		t.Fatalf("after reset: %+v", c)
	}
	if _, ok := s.Player(1); !ok {
		t.Fatal("reset lost the players")
	}
}
