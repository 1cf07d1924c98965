// Package cli is ctfg's command line: one file per subcommand. Run
// dispatches; with no subcommand, ctfg serves.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ctfg/ctfg/internal/gamefile"
	"github.com/ctfg/ctfg/internal/version"
)

// IO is where a command reads and writes.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// command is one subcommand. run returns an error to print as one line;
// exit status 1 follows.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, stdio IO, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the game server (the default)", runServe},
		{"init", "write a playable sample game into DIR", runInit},
		{"check", "validate a game directory and summarize it", runCheck},
		{"emulate", "play N emulated players against a running server", runEmulate},
		{"export", "write the final scoreboard and every event (JSON or CSV)", runExport},
		{"backup", "copy the database of a running server consistently, then verify the copy", runBackup},
		{"version", "print the version", runVersion},
	}
}

// errUsage marks a usage error already explained to the user.
var errUsage = errors.New("usage")

// Run runs ctfg with the given arguments (without the program name) and
// returns the process exit status.
func Run(ctx context.Context, args []string, stdio IO) int {
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		for _, c := range commands() {
			if c.name == args[0] {
				name, args = args[0], args[1:]
				break
			}
		}
	}
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		name, args = "version", nil
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, stdio, args)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			// Game-file errors come one problem per line, each with
			// the file, line or JSON path; print every line prefixed.
			var list gamefile.ErrorList
			var one *gamefile.Error
			if errors.As(err, &list) || errors.As(err, &one) {
				probs := gamefile.Problems(err)
				for _, p := range probs {
					fmt.Fprintf(stdio.Err, "ctfg %s: %v\n", name, p)
				}
				return 1
			}
			fmt.Fprintf(stdio.Err, "ctfg %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(stdio.Err, "ctfg: unknown command %q\n", name)
	return 2
}

func runVersion(_ context.Context, stdio IO, _ []string) error {
	fmt.Fprintf(stdio.Out, "ctfg %s\n", version.Get())
	return nil
}

// newFlagSet returns a flag set that prints its usage to stdio.Err and
// reports errors instead of exiting.
func newFlagSet(name, usage string, stdio IO) *flag.FlagSet {
	fs := flag.NewFlagSet("ctfg "+name, flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	fs.Usage = func() {
		fmt.Fprintf(stdio.Err, "Usage: ctfg %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}
