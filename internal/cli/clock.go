package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// clockSetting is one configured clock time and where it was read: the
// flag (--start) or the variable (CTFG_START, from the environment or
// .env). A zero At is "not set".
type clockSetting struct {
	At   time.Time
	From string
}

// clockSettings are the configured start, end and scoreboard freeze.
type clockSettings struct {
	Start, End, Freeze clockSetting
}

// resolveClock reads the configured start, end and freeze: a flag wins
// over the variable (getenv: the environment, then .env). Errors name the
// flag or variable at fault: a value that is not an RFC 3339 time with a
// zone, a start that is not before the end, or a freeze outside them.
func resolveClock(getenv func(string) string, startFlag, endFlag, freezeFlag string) (clockSettings, error) {
	read := func(flagName, flagValue, variable string) (clockSetting, error) {
		v, from := flagValue, flagName
		if v == "" {
			v, from = getenv(variable), variable
		}
		if v == "" {
			return clockSetting{}, nil
		}
		t, err := game.ParseTime(v)
		if err != nil {
			return clockSetting{}, fmt.Errorf("%s: %q is not an RFC 3339 time with a zone, such as 2025-06-01T09:00:00+02:00 or 2025-06-01T07:00:00Z", from, v)
		}
		return clockSetting{At: t, From: from}, nil
	}
	var c clockSettings
	var err error
	if c.Start, err = read("--start", startFlag, "CTFG_START"); err != nil {
		return c, err
	}
	if c.End, err = read("--end", endFlag, "CTFG_END"); err != nil {
		return c, err
	}
	if c.Freeze, err = read("--freeze", freezeFlag, "CTFG_FREEZE"); err != nil {
		return c, err
	}
	if game.ValidateWindow(c.Start.At, c.End.At) != nil {
		return c, fmt.Errorf("%s (%s) is not before %s (%s)", c.Start.From, game.FormatTime(c.Start.At), c.End.From, game.FormatTime(c.End.At))
	}
	// A freeze at or before the start would hide the whole game, one at
	// or after the end nothing: both are mistakes worth stopping for.
	if !c.Freeze.At.IsZero() && !c.Start.At.IsZero() && !c.Start.At.Before(c.Freeze.At) {
		return c, fmt.Errorf("%s (%s) is not after %s (%s)", c.Freeze.From, game.FormatTime(c.Freeze.At), c.Start.From, game.FormatTime(c.Start.At))
	}
	if !c.Freeze.At.IsZero() && !c.End.At.IsZero() && !c.Freeze.At.Before(c.End.At) {
		return c, fmt.Errorf("%s (%s) is not before %s (%s)", c.Freeze.From, game.FormatTime(c.Freeze.At), c.End.From, game.FormatTime(c.End.At))
	}
	return c, nil
}

// printClock writes the start, freeze and end lines of the summary, in
// local time and UTC.
func printClock(w io.Writer, c clockSettings) {
	show := func(label string, s clockSetting, none string) {
		if s.At.IsZero() {
			fmt.Fprintf(w, "%-17s%s\n", label, none)
			return
		}
		const layout = "2006-01-02 15:04:05 MST"
		fmt.Fprintf(w, "%-17s%s (%s), from %s\n", label, s.At.Local().Format(layout), s.At.UTC().Format(layout), s.From)
	}
	show("Start:", c.Start, "not set: open as soon as the server runs")
	show("Freeze:", c.Freeze, "not set: the scoreboard stays live to the end")
	show("End:", c.End, "not set: open until the server stops")
}
