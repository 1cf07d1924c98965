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

// resolveClock reads the configured start and end: a flag wins over the
// variable (getenv: the environment, then .env). Errors name the flag or
// variable at fault: a value that is not an RFC 3339 time with a zone,
// or a start that is not before the end.
func resolveClock(getenv func(string) string, startFlag, endFlag string) (start, end clockSetting, err error) {
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
	if start, err = read("--start", startFlag, "CTFG_START"); err != nil {
		return start, end, err
	}
	if end, err = read("--end", endFlag, "CTFG_END"); err != nil {
		return start, end, err
	}
	if game.ValidateWindow(start.At, end.At) != nil {
		return start, end, fmt.Errorf("%s (%s) is not before %s (%s)", start.From, game.FormatTime(start.At), end.From, game.FormatTime(end.At))
	}
	return start, end, nil
}

// printClock writes the start and end lines of the summary, in local time
// and UTC.
func printClock(w io.Writer, start, end clockSetting) {
	show := func(label string, s clockSetting, none string) {
		if s.At.IsZero() {
			fmt.Fprintf(w, "%-17s%s\n", label, none)
			return
		}
		const layout = "2006-01-02 15:04:05 MST"
		fmt.Fprintf(w, "%-17s%s (%s), from %s\n", label, s.At.Local().Format(layout), s.At.UTC().Format(layout), s.From)
	}
	show("Start:", start, "not set: open as soon as the server runs")
	show("End:", end, "not set: open until the server stops")
}
