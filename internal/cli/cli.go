// Package cli is ctfg's command line: one file per subcommand. Run
// dispatches; with no subcommand, ctfg serves.
package cli

import (
	"bytes"
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
		{"db", "move a game between databases: ctfg db copy --from SRC --to DST", runDB},
		{"version", "print the version", runVersion},
		{"help", "show the help of a command: ctfg help COMMAND", runHelp},
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

// newFlagSet returns a flag set that reports errors instead of exiting.
// Its usage goes to stdio.Out when asked for with -h or --help, and to
// stdio.Err after a usage error (see parseFlags).
func newFlagSet(name, usage string, stdio IO) *flag.FlagSet {
	fs := flag.NewFlagSet("ctfg "+name, flag.ContinueOnError)
	fs.SetOutput(&usageOut{stdio: stdio})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: ctfg %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// usageOut is the output of a flag set made by newFlagSet. While
// parseFlags runs it holds what the flag package prints, because only the
// outcome says where it belongs: help is an answer (stdout, exit 0), a
// bad flag an error (stderr, exit 2). Otherwise it writes to stderr.
type usageOut struct {
	stdio IO
	buf   *bytes.Buffer
}

func (u *usageOut) Write(p []byte) (int, error) {
	if u.buf != nil {
		return u.buf.Write(p)
	}
	return u.stdio.Err.Write(p)
}

// parseFlags parses args with fs and sends what the flag package printed
// to stdout for -h/--help (flag.ErrHelp) or to stderr for an error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	u, ok := fs.Output().(*usageOut)
	if !ok {
		return fs.Parse(args)
	}
	u.buf = new(bytes.Buffer)
	err := fs.Parse(args)
	printed := u.buf
	u.buf = nil
	w := u.stdio.Err
	if errors.Is(err, flag.ErrHelp) {
		w = u.stdio.Out
	}
	w.Write(printed.Bytes())
	return err
}
