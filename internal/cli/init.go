package cli

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ctfg/ctfg/internal/gamefile"
)

// runInit implements "ctfg init [DIR]": it writes the sample game into DIR
// (default: the current directory; created if missing), never
// overwriting a file, and says how to start it.
func runInit(_ context.Context, stdio IO, args []string) error {
	fs := newInitFlagSet(stdio)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		fmt.Fprintf(stdio.Err, "ctfg init: too many arguments: %s\n", strings.Join(pos[1:], " "))
		fs.Usage()
		return errUsage
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	written, err := gamefile.WriteSample(dir)
	if err != nil {
		return err
	}
	// Load what was written: the same checks as the server, and the
	// numbers for the message.
	g, err := gamefile.Load(dir, "")
	if err != nil {
		return fmt.Errorf("the sample game does not load (a bug): %w", err)
	}
	s := g.Summary()
	fmt.Fprintf(stdio.Out, "Wrote a sample game into %s:\n", dir)
	for _, p := range written {
		note := ""
		switch filepath.Base(p) {
		case gamefile.CredentialsFile:
			note = "  (player passwords: keep private)"
		case gamefile.EnvFile:
			note = "  (API and admin tokens: keep private)"
		}
		fmt.Fprintf(stdio.Out, "  %s%s\n", p, note)
	}
	fmt.Fprintf(stdio.Out, "\n%s in %s, %s.\n", plural(s.Challenges, "challenge"), plural(len(s.Categories), "category"), plural(s.Players, "player"))
	fmt.Fprintf(stdio.Out, "\nStart it with:\n\n  ")
	if filepath.Clean(dir) != "." {
		fmt.Fprintf(stdio.Out, "cd %s && ", shellQuote(dir))
	}
	fmt.Fprintf(stdio.Out, "ctfg\n\n")
	fmt.Fprintf(stdio.Out, "then open http://localhost:8080 and log in as %s, with the password\nfrom %s. README.txt tells the rest.\n",
		g.Users[0].Username, filepath.Join(dir, gamefile.CredentialsFile))
	return nil
}

// newInitFlagSet defines init's flags (none but -h).
func newInitFlagSet(stdio IO) *flag.FlagSet {
	return newFlagSet("init", "init [DIR]\n\nWrites a complete, playable sample game into DIR (default: the current\ndirectory), with fresh random passwords and tokens. Never overwrites a file.", stdio)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
