package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// helpHint ends every usage error of bare ctfg.
const helpHint = `Run "ctfg --help" for the commands, "ctfg help COMMAND" for one command's flags.`

// moreDocs says where to read more; the paths are in the source repository.
const moreDocs = `More, in the ctfg source repository: README.md (quick start),
docs/GAME-DAY.md (the organizer's checklist and troubleshooting),
docs/OPERATIONS.md (TLS proxy, systemd, container, metrics, backups),
docs/API.md (HTTP API and scorestream), docs/EXPORT.md (export, backup).
`

// overview is the answer to "ctfg --help" and "ctfg help": every command
// with one line, then the flags of serve (what bare ctfg runs), then
// where to read more.
func overview() string {
	var b strings.Builder
	b.WriteString("ctfg is a Capture-The-Flag game engine. Commands:\n\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\n\"ctfg\" alone serves (the same as \"ctfg serve\"). \"ctfg help COMMAND\" or\n\"ctfg COMMAND --help\" shows a command's flags.\n\n")
	b.WriteString(serveUsage)
	b.WriteString("\n")
	b.WriteString(moreDocs)
	return b.String()
}

// runHelp implements "ctfg help [COMMAND]": the overview, or the usage
// of one command, on stdout.
func runHelp(ctx context.Context, stdio IO, args []string) error {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdio.Out, overview())
		return nil
	case len(args) > 1:
		fmt.Fprintf(stdio.Err, "ctfg help: one command at most, got %q\n%s\n", args, helpHint)
		return errUsage
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		switch c.name {
		case "help", "version":
			// No flags: the summary is the whole story.
			fmt.Fprintf(stdio.Out, "Usage: ctfg %s\n\n%s.\n", c.name, strings.ToUpper(c.summary[:1])+c.summary[1:])
			return nil
		}
		// Every other command prints its usage for --help (and returns
		// flag.ErrHelp); Run turns that into exit status 0.
		return c.run(ctx, stdio, []string{"--help"})
	}
	fmt.Fprintf(stdio.Err, "ctfg help: unknown command %q\n%s\n", args[0], helpHint)
	return errUsage
}

// FlagSets returns the flag set of every command by name ("serve" is
// also bare ctfg's), as the commands define them: help prints them and
// the docs test checks every ctfg command line and flag in README.md and
// docs/*.md against them. A command without flags has an empty set.
// -h and --help are accepted by every command but defined only in
// serve's set (the flag package answers them for the others).
func FlagSets() map[string]*flag.FlagSet {
	stdio := IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
	var help bool
	check, _ := newCheckFlagSet(stdio)
	emulate, _ := newEmulateFlagSet(stdio)
	export, _ := newExportFlagSet(stdio)
	backup, _ := newBackupFlagSet(stdio)
	db, _ := newDBFlagSet(stdio)
	sets := map[string]*flag.FlagSet{
		"serve":   newServeFlagSet(new(serveFlags), &help),
		"init":    newInitFlagSet(stdio),
		"check":   check,
		"emulate": emulate,
		"export":  export,
		"backup":  backup,
		"db":      db,
	}
	for _, c := range commands() {
		if sets[c.name] == nil {
			sets[c.name] = flag.NewFlagSet("ctfg "+c.name, flag.ContinueOnError)
		}
	}
	return sets
}
