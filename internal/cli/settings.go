package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/gamefile"
	"github.com/ctfg/ctfg/internal/httpapi"
)

// playFlags are the serve flags of the rules of play; "" (or an unset
// practice) leaves the variable in charge.
type playFlags struct {
	reveal, firstBlood, scoring, teamSize string
	practice                              optionalBool
	registration, powBits                 string // registration.go
}

// playSettings are the configured rules of play, each with where it was
// read (a flag or a variable; "" when not set).
type playSettings struct {
	RevealAtEnd    bool
	RevealFrom     string
	Practice       bool
	PracticeFrom   string
	FirstBlood     []int // percents of the value for the first, second, third solver
	FirstBloodFrom string
	Scoring        *gamefile.GameScoring // nil: static unless a challenge has its own
	ScoringFrom    string
	// Teams plays in teams that players make and join: CTFG_TEAM_SIZE is
	// set above 0, or registration is open (SPEC §13: registration turns
	// on team mode) and CTFG_TEAM_SIZE is not set at all; CTFG_TEAM_SIZE=0
	// keeps registered players on their own. Without it, teams come only
	// from credentials.csv's team column.
	Teams bool
	// TeamSize caps a team's members; 0: no cap.
	TeamSize     int
	TeamSizeFrom string
	Registration registrationSettings // registration.go
}

// resolvePlay reads CTFG_REVEAL, CTFG_PRACTICE, CTFG_FIRST_BLOOD_BONUS,
// CTFG_SCORING and the registration settings, a flag winning over its variable (getenv: the
// environment, then .env). Errors name the flag or variable at fault.
func resolvePlay(getenv func(string) string, f playFlags) (playSettings, error) {
	var p playSettings
	pick := func(flagName, flagValue, variable string) (v, from string) {
		if flagValue != "" {
			return flagValue, flagName
		}
		if v = strings.TrimSpace(getenv(variable)); v != "" {
			return v, variable
		}
		return "", ""
	}

	v, from := pick("--reveal", f.reveal, "CTFG_REVEAL")
	switch strings.ToLower(v) {
	case "", "admin":
	case "end":
		p.RevealAtEnd, p.RevealFrom = true, from
	default:
		return p, fmt.Errorf("%s: %q is not end (unfreeze by itself at the end) or admin (only the admin unfreezes, the default)", from, v)
	}

	if f.practice.set {
		p.Practice, p.PracticeFrom = f.practice.value, "--practice"
	} else if v := strings.TrimSpace(getenv("CTFG_PRACTICE")); v != "" {
		on, ok := parseSwitch(v)
		if !ok {
			return p, fmt.Errorf("CTFG_PRACTICE: %q is not 1 or 0 (true or false)", v)
		}
		p.Practice, p.PracticeFrom = on, "CTFG_PRACTICE"
	}

	if v, from := pick("--first-blood-bonus", f.firstBlood, "CTFG_FIRST_BLOOD_BONUS"); v != "" {
		bonus, err := parseFirstBloodBonus(v)
		if err != nil {
			return p, fmt.Errorf("%s: %w", from, err)
		}
		if len(bonus) > 0 {
			p.FirstBlood, p.FirstBloodFrom = bonus, from
		}
	}

	if v, from := pick("--team-size", f.teamSize, "CTFG_TEAM_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return p, fmt.Errorf("%s: %q is not a team size from 1 to 1000 (0: players make no teams)", from, v)
		}
		p.Teams, p.TeamSize, p.TeamSizeFrom = n > 0, n, from
	}

	if v, from := pick("--scoring", f.scoring, "CTFG_SCORING"); v != "" {
		gs, err := gamefile.ParseGameScoring(v)
		if err != nil {
			return p, fmt.Errorf("%s: %w", from, err)
		}
		if gs != nil {
			p.Scoring, p.ScoringFrom = gs, from
		}
	}
	var err error
	p.Registration, err = resolveRegistration(getenv, f.registration, f.powBits)
	if p.Registration.Mode != httpapi.RegistrationClosed && p.TeamSizeFrom == "" {
		p.Teams = true
	}
	return p, err
}

// parseSwitch reads an on/off value as the usual spellings.
func parseSwitch(v string) (on, ok bool) {
	switch strings.ToLower(v) {
	case "yes", "on":
		return true, true
	case "no", "off":
		return false, true
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

// parseFirstBloodBonus reads "5,3,1": the bonus of the first, second and
// third solver of a challenge in percent of its value (a trailing % is
// allowed), at most game.MaxFirstBloodPlaces of them, each from 0 to
// game.MaxFirstBloodPercent. "0" or "none" is no bonus (nil).
func parseFirstBloodBonus(v string) ([]int, error) {
	if strings.EqualFold(strings.TrimSpace(v), "none") {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > game.MaxFirstBloodPlaces {
		return nil, fmt.Errorf("%q gives %d places: at most %d (the first, second and third solver)", v, len(parts), game.MaxFirstBloodPlaces)
	}
	bonus := make([]int, len(parts))
	any := false
	for i, part := range parts {
		s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "%"))
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > game.MaxFirstBloodPercent {
			return nil, fmt.Errorf("%q is not a list of percents from 0 to %d such as 5,3,1: %q", v, game.MaxFirstBloodPercent, strings.TrimSpace(part))
		}
		bonus[i] = n
		any = any || n > 0
	}
	if !any {
		return nil, nil
	}
	return bonus, nil
}

// optionalBool is a boolean flag that knows whether it was given, so
// that --practice=false can override CTFG_PRACTICE=1 and its absence
// leaves the variable in charge.
type optionalBool struct{ set, value bool }

func (b *optionalBool) String() string {
	if b == nil {
		return "false"
	}
	return strconv.FormatBool(b.value)
}

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.set, b.value = true, v
	return nil
}

func (b *optionalBool) IsBoolFlag() bool { return true }

// printPlay writes the rules-of-play lines of check's summary: reveal,
// practice, first blood and scoring, then the challenges with scoring of
// their own and those released later. chs are as loaded (before the
// game-wide scoring is applied). It returns warnings about release times
// outside the window.
func printPlay(w io.Writer, p playSettings, c clockSettings, chs []*game.Challenge) (warnings []string) {
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-17s%s\n", label, fmt.Sprintf(format, args...))
	}
	from := func(s string) string { return ", from " + s }
	if p.RevealAtEnd {
		line("Reveal:", "at the end: the frozen scoreboard unfreezes by itself%s", from(p.RevealFrom))
	} else {
		line("Reveal:", "by the admin: the frozen scoreboard unfreezes when the admin says so")
	}
	if p.Practice {
		line("Practice:", "on: after the end flags are still checked, never scored%s", from(p.PracticeFrom))
	} else {
		line("Practice:", "off: nothing is accepted after the end")
	}
	if len(p.FirstBlood) > 0 {
		pcts := make([]string, len(p.FirstBlood))
		for i, n := range p.FirstBlood {
			pcts[i] = strconv.Itoa(n) + "%"
		}
		line("First blood:", "bonus of %s of the value for the first %s%s", strings.Join(pcts, ", "), plural(len(pcts), "solver"), from(p.FirstBloodFrom))
	} else {
		line("First blood:", "no bonus")
	}

	var own, released []*game.Challenge
	for _, ch := range chs {
		if ch.Scoring != nil {
			own = append(own, ch)
		}
		if ch.Release != nil {
			released = append(released, ch)
		}
	}
	switch {
	case p.Scoring != nil:
		n := 0
		for _, ch := range chs {
			if ch.Scoring == nil && ch.Points > 0 {
				n++
			}
		}
		line("Scoring:", "%s%s, for %d of %d challenges (those without their own \"scoring\" and worth more than 0; each starts at its points)",
			p.Scoring, from(p.ScoringFrom), n, len(chs))
	case len(own) > 0:
		line("Scoring:", "static: a challenge without its own \"scoring\" is worth its points")
	default:
		line("Scoring:", "static: every challenge is worth its points")
	}
	printRegistration(w, p.Registration)
	switch {
	case p.Teams && p.TeamSize > 0:
		line("Teams:", "players make and join teams of at most %d%s", p.TeamSize, from(p.TeamSizeFrom))
	case p.Teams:
		line("Teams:", "players make and join teams of any size (registration is open; CTFG_TEAM_SIZE=0 keeps players on their own)")
	case p.TeamSizeFrom != "":
		line("Teams:", "players make none%s (a team column in credentials.csv still makes teams)", from(p.TeamSizeFrom))
	default:
		line("Teams:", "only from credentials.csv's team column, if it has one")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(own) > 0 {
		line("Dynamic:", "%d of %d challenges have their own \"scoring\":", len(own), len(chs))
		for _, ch := range own {
			s := ch.Scoring
			fmt.Fprintf(tw, "%17s%d\t%s\t%s\t%d → %d\tdecay %d\n", "", ch.ID, ch.Title, s.Function, s.Initial, s.Minimum, s.Decay)
		}
		tw.Flush()
	}
	if len(released) > 0 {
		line("Releases:", "%d of %d challenges appear later:", len(released), len(chs))
		const layout = "2006-01-02 15:04:05 MST"
		for _, ch := range released {
			r := *ch.Release
			fmt.Fprintf(tw, "%17s%d\t%s\t%s (%s)\n", "", ch.ID, ch.Title, r.Local().Format(layout), r.UTC().Format(layout))
			if !c.End.At.IsZero() && !r.Before(c.End.At) {
				warnings = append(warnings, fmt.Sprintf("challenge %d is released at %s, not before %s (%s): nobody can solve it",
					ch.ID, game.FormatTime(r), c.End.From, game.FormatTime(c.End.At)))
			}
		}
		tw.Flush()
	}
	return warnings
}
