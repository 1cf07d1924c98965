package cli

import (
	"flag"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestHelpOverview: "ctfg --help", "ctfg -h" and "ctfg help" list every
// command with its line, serve's flags with their defaults and where to
// read more, on stdout with exit status 0.
func TestHelpOverview(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"serve", "--help"}} {
		code, out, errOut := runCtfg(t, args...)
		if code != 0 || errOut != "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
		for _, c := range commands() {
			if !regexp.MustCompile(`(?m)^  ` + c.name + ` +` + regexp.QuoteMeta(c.summary) + `$`).MatchString(out) {
				t.Errorf("%q: command %s is not listed with its summary", args, c.name)
			}
		}
		for _, want := range []string{"--log-level LEVEL", "(default info)", "--version", "docs/GAME-DAY.md", "ctfg help COMMAND"} {
			if !strings.Contains(out, want) {
				t.Errorf("%q: no %q in\n%s", args, want, out)
			}
		}
	}
}

// TestHelpCommand: "ctfg help X" prints X's usage on stdout, the same as
// "ctfg X --help".
func TestHelpCommand(t *testing.T) {
	for _, c := range commands() {
		code, out, errOut := runCtfg(t, "help", c.name)
		if code != 0 || errOut != "" || out == "" {
			t.Errorf("help %s: exit %d, stdout %q, stderr %q", c.name, code, out, errOut)
			continue
		}
		want := "Usage: ctfg " + c.name
		if c.name == "serve" {
			want = "Usage: ctfg [serve]"
		}
		if !strings.Contains(out, want) {
			t.Errorf("help %s: no %q in %q", c.name, want, out)
		}
		if c.name == "help" || c.name == "version" {
			continue
		}
		if code, same, _ := runCtfg(t, c.name, "--help"); code != 0 || same != out {
			t.Errorf("%s --help: exit %d, differs from help %s:\n%s", c.name, code, c.name, same)
		}
	}
}

// TestUsageErrors: a usage error goes to stderr with exit status 2, and
// nothing to stdout.
func TestUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "nope"}, `ctfg help: unknown command "nope"`},
		{[]string{"help", "init", "check"}, "one command at most"},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--bogus"}, helpHint},
		{[]string{"check", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"export", "--db-dirr", "x"}, "Usage: ctfg export"},
		{[]string{"backup", "--nope"}, "Usage: ctfg backup"},
		{[]string{"db"}, "give a subcommand"},
		{[]string{"db", "move"}, `unknown subcommand "move"`},
		{[]string{"db", "copy", "--from", "a.db"}, "give both --from SRC and --to DST"},
		{[]string{"db", "copy", "--nope"}, "Usage: ctfg db"},
		{[]string{"emulate", "--nope"}, "Usage: ctfg emulate"},
		{[]string{"init", "-x"}, "Usage: ctfg init"},
	} {
		code, out, errOut := runCtfg(t, tt.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q on stderr", tt.args, code, out, errOut, tt.want)
		}
	}
}

// TestFlagSetsCoverCommands: every command has a flag set, so the docs
// test can check its documented flags.
func TestFlagSetsCoverCommands(t *testing.T) {
	sets := FlagSets()
	for _, c := range commands() {
		if sets[c.name] == nil {
			t.Errorf("no flag set for %s", c.name)
		}
	}
	if sets["export"].Lookup("db-dir") == nil || sets["serve"].Lookup("log-level") == nil {
		t.Error("flag sets are not the commands' own")
	}
}

// TestHandWrittenUsage: serve, export and backup print hand-written
// usage (grouping short and long names); every flag of theirs must be in
// it, with its default when it has one, so the help cannot drift from
// the flags.
func TestHandWrittenUsage(t *testing.T) {
	for name, usage := range map[string]string{"serve": serveUsage, "export": exportUsage, "backup": backupUsage, "db": dbUsage} {
		FlagSets()[name].VisitAll(func(f *flag.Flag) {
			if f.Name == "h" || f.Name == "help" {
				return
			}
			entry := usageEntry(usage, f.Name)
			if entry == "" {
				t.Errorf("%s usage does not list -%s", name, f.Name)
				return
			}
			switch f.DefValue {
			case "", "false", "0":
				return
			}
			if !strings.Contains(entry, "default "+f.DefValue+")") {
				t.Errorf("%s usage of -%s does not say (default %s): %q", name, f.Name, f.DefValue, entry)
			}
		})
	}
}

// usageEntry returns the lines of usage that describe the flag name: the
// line that starts with it (as -n or --name, maybe after "-x, "), else
// the first line naming it, and the more indented lines that continue it.
func usageEntry(usage, name string) string {
	dashes := "--"
	if len(name) == 1 {
		dashes = "-"
	}
	flagRE := dashes + regexp.QuoteMeta(name) + `([\s,)\]|]|$)`
	starts := regexp.MustCompile(`^\s+(-\w, )?` + flagRE)
	named := regexp.MustCompile(`(^|[\s(\[|])` + flagRE)
	lines := strings.Split(usage, "\n")
	i := slices.IndexFunc(lines, starts.MatchString)
	if i < 0 {
		i = slices.IndexFunc(lines, named.MatchString)
	}
	if i >= 0 {
		l := lines[i]
		entry := l
		indent := len(l) - len(strings.TrimLeft(l, " "))
		for _, next := range lines[i+1:] {
			ni := len(next) - len(strings.TrimLeft(next, " "))
			if strings.TrimSpace(next) == "" || ni <= indent || strings.HasPrefix(strings.TrimSpace(next), "-") {
				break
			}
			entry += "\n" + next
		}
		return entry
	}
	return ""
}

// TestServeTakesDBDir: serve takes --db-dir like export and backup (the
// Containerfile and docs/EXPORT.md spoke of it; serve refused it).
func TestServeTakesDBDir(t *testing.T) {
	for _, args := range [][]string{{"--db-dir", "/x"}, {"--dbdir", "/x"}, {"-b", "/x"}} {
		f, _, err := parseServeFlags(IO{Out: io.Discard, Err: io.Discard}, args)
		if err != nil || f.dbdir != "/x" {
			t.Errorf("%q: dbdir %v, err %v", args, f, err)
		}
	}
}
