package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/ctfg/ctfg/internal/gamefile"
)

// runCheck implements "ctfg check [DIR] [--challenges FILE]": every
// load-time validation, then a summary, or every problem, one per line.
func runCheck(_ context.Context, stdio IO, args []string) error {
	fs, challenges := newCheckFlagSet(stdio)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		fmt.Fprintf(stdio.Err, "ctfg check: too many arguments: %s\n", strings.Join(pos[1:], " "))
		fs.Usage()
		return errUsage
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	g, err := gamefile.Load(dir, *challenges)
	if err != nil {
		probs := gamefile.Problems(err)
		for _, p := range probs {
			fmt.Fprintln(stdio.Err, p.Error())
		}
		if len(probs) > gamefile.MaxErrors {
			return fmt.Errorf("found more than %d problems in %s", gamefile.MaxErrors, dir)
		}
		return fmt.Errorf("found %s in %s", plural(len(probs), "problem"), dir)
	}
	getenv := func(key string) string {
		if v, ok := os.LookupEnv(key); ok {
			return v
		}
		return g.Env[key]
	}
	// Every setting is checked, so that one run reports them all.
	var probs []error
	clock, err := resolveClock(getenv, "", "", "")
	if err != nil {
		probs = append(probs, err)
	}
	play, err := resolvePlay(getenv, playFlags{})
	if err != nil {
		probs = append(probs, err)
	}
	if len(probs) > 0 {
		for _, p := range probs {
			fmt.Fprintln(stdio.Err, p)
		}
		return fmt.Errorf("found %s in %s", plural(len(probs), "problem"), dir)
	}
	printSummary(stdio.Out, g, clock, play)
	return nil
}

// newCheckFlagSet defines check's flags.
func newCheckFlagSet(stdio IO) (fs *flag.FlagSet, challenges *string) {
	fs = newFlagSet("check", "check [DIR] [--challenges FILE]\n\nValidates the game directory DIR (default: the current directory) and\nsummarizes it, or lists every problem found.", stdio)
	challenges = fs.String("challenges", "", "challenges `file` to use instead of DIR/challenges.json")
	return fs, challenges
}

// printSummary writes the summary of a loaded game, for check and init.
// It shows no secret: of .env only the variable names.
func printSummary(w io.Writer, g *gamefile.Game, clock clockSettings, play playSettings) {
	s := g.Summary()
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-17s%s\n", label, fmt.Sprintf(format, args...))
	}
	line("Game directory:", "%s", g.Dir)
	if g.ChallengesPath != filepath.Join(g.Dir, gamefile.ChallengesFile) {
		line("Challenges file:", "%s", g.ChallengesPath)
	}
	line("Challenges:", "%s in %s, %s", plural(s.Challenges, "challenge"), plural(len(s.Categories), "category"), plural(s.Points, "point"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range s.Categories {
		name := c.Name
		if name == "" {
			name = "(no category)"
		}
		fmt.Fprintf(tw, "%17s%s\t%d\t%d points\n", "", name, c.Count, c.Points)
	}
	tw.Flush()
	line("Prerequisites:", "%d of %d challenges locked at the start", s.Locked, s.Challenges)
	line("Hints:", "%s costing %s in all (%d free)", plural(s.Hints, "hint"), plural(s.HintCosts, "point"), s.FreeHints)
	line("Players:", "%d (%d with bcrypt-hashed passwords)", s.Players, s.HashedPasswords)
	if s.Clusters {
		control := s.ControlCluster
		if control == "" {
			control = "(none)"
		}
		line("Clusters:", "control %s, %s", control, plural(s.PlayerClusters, "player cluster"))
	} else {
		line("Clusters:", "none (no %s)", gamefile.ClustersFile)
	}
	switch {
	case !s.Env:
		line(".env:", "none")
	case len(s.EnvKeys) == 0:
		line(".env:", "no variables")
	default:
		line(".env:", "%s", strings.Join(s.EnvKeys, ", "))
	}
	if s.Banner != "" {
		banner, err := filepath.Rel(g.Dir, s.Banner)
		if err != nil {
			banner = s.Banner
		}
		line("Banner:", "%s", banner)
	} else {
		line("Banner:", "built-in")
	}
	printClock(w, clock)
	s.Warnings = append(s.Warnings, printPlay(w, play, clock, g.Challenges)...)
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	if len(s.Warnings) == 0 {
		fmt.Fprintln(w, "Ready to play.")
	} else {
		fmt.Fprintf(w, "Ready to play, but see the %s above.\n", plural(len(s.Warnings), "warning"))
	}
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments (the standard flag package stops at the first
// positional one) and returns the positional arguments. A usage error has
// already been printed by fs and is returned as errUsage; -h as
// flag.ErrHelp.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// After "--" (which Parse consumes) everything is positional.
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	switch {
	case strings.HasSuffix(noun, "y"):
		noun = strings.TrimSuffix(noun, "y") + "ie"
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
