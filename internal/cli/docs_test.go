package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The docs test: every ctfg command line and every flag that README.md,
// docs/*.md and the Containerfile name is checked against the commands'
// own flag sets (FlagSets), so the documentation cannot drift from the
// binary again. docs_api_test.go does the same for docs/API.md's JSON.

// repoRoot is the repository, seen from this package's directory.
const repoRoot = "../.."

// otherTools are flags the docs name in prose or in a lone code span that
// belong to other programs or are not flags at all; each has its reason.
var otherTools = map[string]string{
	"--rm":     "podman run, OPERATIONS.md and the Containerfile",
	"--name":   "podman run --name, OPERATIONS.md",
	"--test":   "scripts/container.sh --test, OPERATIONS.md",
	"-wal":     "events.db-wal, a SQLite file suffix",
	"-shm":     "events.db-shm, a SQLite file suffix",
	"-journal": "events.db-journal, a SQLite file suffix",
	"-events":  "the suffix export puts before the extension, EXPORT.md",
	"-race":    "go test -race, README.md",
}

// docLine is one place in a document.
type docLine struct {
	file string
	line int
	text string
}

func (d docLine) String() string { return fmt.Sprintf("%s:%d: %s", d.file, d.line, d.text) }

// docFiles returns the documents the test reads, relative to repoRoot.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	names := []string{"README.md", "Containerfile"}
	for _, f := range files {
		names = append(names, filepath.ToSlash(strings.TrimPrefix(f, repoRoot+string(filepath.Separator))))
	}
	return names
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docText splits a document into the logical lines of its fenced code
// blocks (backslash continuations joined, a synopsis line that starts
// with "[" joined to the one before), its inline code spans, and its
// prose with code removed. A Containerfile's comments are prose whose
// indented lines are commands; its CMD is handled by the caller.
func docText(name, text string) (code, spans, prose []docLine) {
	lines := strings.Split(text, "\n")
	if name == "Containerfile" {
		for i, l := range lines {
			c, ok := strings.CutPrefix(l, "#")
			if !ok {
				continue
			}
			if strings.HasPrefix(c, "   ") {
				code = append(code, docLine{name, i + 1, strings.TrimSpace(c)})
			} else {
				prose = append(prose, docLine{name, i + 1, c})
			}
		}
		return code, nil, prose
	}
	outside := make([]string, len(lines)) // fences blanked, for spans
	inFence := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
			continue
		}
		if !inFence {
			outside[i] = l
			continue
		}
		start, joined := i, strings.TrimSpace(l)
		for strings.HasSuffix(joined, `\`) && i+1 < len(lines) {
			i++
			joined = strings.TrimSuffix(joined, `\`) + " " + strings.TrimSpace(lines[i])
		}
		if n := len(code); n > 0 && strings.HasPrefix(joined, "[") && code[n-1].line >= start-1 {
			code[n-1].text += " " + joined
			continue
		}
		code = append(code, docLine{name, start + 1, joined})
	}
	// Inline code may wrap across lines; find spans in the whole text.
	rest := strings.Join(outside, "\n")
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatchIndex(rest, -1) {
		line := strings.Count(rest[:m[0]], "\n") + 1
		spans = append(spans, docLine{name, line, strings.Join(strings.Fields(rest[m[2]:m[3]]), " ")})
	}
	noCode := regexp.MustCompile("`[^`]+`").ReplaceAllStringFunc(rest, func(s string) string {
		return strings.Repeat("\n", strings.Count(s, "\n"))
	})
	for i, l := range strings.Split(noCode, "\n") {
		prose = append(prose, docLine{name, i + 1, l})
	}
	return code, spans, prose
}

// shellWords splits a command line into simple commands of words, the
// way a POSIX shell would for the docs' purposes: quotes, $(...) kept in
// one word, comments dropped, redirections dropped, and &&, ||, |, ; and
// & separating commands; a | inside a word is a synopsis's "or".
func shellWords(line string) [][]string {
	var cmds [][]string
	var words []string
	var w strings.Builder
	inWord, skipNext := false, false
	flushWord := func() {
		if inWord {
			if skipNext {
				skipNext = false
			} else {
				words = append(words, w.String())
			}
		}
		w.Reset()
		inWord = false
	}
	flushCmd := func() {
		flushWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
		words = nil
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				j = len(line) - i - 1
			}
			w.WriteString(line[i+1 : i+1+j])
			inWord, i = true, i+1+j
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) {
					j++
				}
				w.WriteByte(line[j])
			}
			inWord, i = true, j
		case c == '$' && i+1 < len(line) && line[i+1] == '(':
			depth, j := 0, i+1
			for ; j < len(line); j++ {
				if line[j] == '(' {
					depth++
				} else if line[j] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			w.WriteString(line[i:min(j+1, len(line))])
			inWord, i = true, j
		case c == '#' && !inWord:
			flushCmd()
			return cmds
		case c == ' ' || c == '\t':
			flushWord()
		case c == '|' && inWord:
			// json|csv, -b|--dbdir: alternatives of a synopsis (the
			// docs' pipelines have spaces around their |).
			w.WriteByte(c)
		case c == ';' || c == '|' || c == '&':
			if c == '&' && inWord && strings.HasSuffix(w.String(), ">") {
				w.WriteByte(c) // 2>&1
				continue
			}
			flushCmd()
			if i+1 < len(line) && line[i+1] == c {
				i++
			}
		case c == '>' || c == '<':
			// A redirection: drop it and its target.
			if inWord && strings.Trim(w.String(), "0123456789") == "" {
				w.Reset()
				inWord = false
			}
			flushWord()
			for i+1 < len(line) && (line[i+1] == '>' || line[i+1] == '&') {
				i++
			}
			if i+1 < len(line) && line[i+1] >= '0' && line[i+1] <= '9' {
				i++ // >&1
				continue
			}
			skipNext = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	flushCmd()
	return cmds
}

// ctfgArgs returns the arguments of the ctfg in a simple command, if it
// runs one: "ctfg ...", "./bin/ctfg ...", "ExecStart=/usr/local/bin/ctfg
// ...", "exec ctfg", "sh -c '...ctfg...'" and the image in "podman run ...
// localhost/ctfg ...".
func ctfgArgs(words []string) ([][]string, bool) {
	for len(words) > 0 {
		w := words[0]
		switch {
		case w == "exec" || w == "sudo" || w == "time" || w == "nohup":
			words = words[1:]
			continue
		case strings.HasPrefix(w, "ExecStart="):
			words = append([]string{strings.TrimPrefix(w, "ExecStart=")}, words[1:]...)
			continue
		case regexp.MustCompile(`^[A-Z_]+=`).MatchString(w):
			words = words[1:]
			continue
		}
		break
	}
	if len(words) == 0 {
		return nil, false
	}
	prog := words[0]
	switch {
	case prog == "ctfg" || strings.HasSuffix(prog, "/ctfg"):
		return [][]string{words[1:]}, true
	case (prog == "sh" || prog == "bash" || strings.HasSuffix(prog, "/sh")) && len(words) > 2 && words[1] == "-c":
		var all [][]string
		for _, cmd := range shellWords(words[2]) {
			if args, ok := ctfgArgs(cmd); ok {
				all = append(all, args...)
			}
		}
		return all, len(all) > 0
	case (prog == "podman" || prog == "docker") && len(words) > 1 && words[1] == "run":
		for i, w := range words {
			if w == "localhost/ctfg" || strings.HasPrefix(w, "localhost/ctfg:") {
				return [][]string{words[i+1:]}, true
			}
		}
	}
	return nil, false
}

// placeholder reports whether a word stands for a value the reader picks
// (FILE, DIR, URL, N, ...) or elides (...).
func placeholder(w string) bool {
	return regexp.MustCompile(`^[A-Z][A-Z0-9_:./-]*$`).MatchString(w) || strings.Trim(w, ".…") == ""
}

// flagNames splits a word of a synopsis or a command into the flags it
// names, with their dashes and without values: "[-b|--dbdir" names -b and
// --dbdir, "--out=x" names --out.
func flagNames(word string) []string {
	var names []string
	for _, alt := range strings.Split(strings.Trim(word, "[](),"), "|") {
		alt = strings.Trim(alt, "[](),")
		if !regexp.MustCompile(`^--?[A-Za-z]`).MatchString(alt) {
			continue
		}
		name, _, _ := strings.Cut(alt, "=")
		names = append(names, name)
	}
	return names
}

// checkInvocation checks one ctfg invocation against the flag sets and
// returns what is wrong with it.
func checkInvocation(sets map[string]*flag.FlagSet, args []string) []string {
	cmd := "serve"
	if len(args) > 0 && sets[args[0]] != nil {
		cmd, args = args[0], args[1:]
	}
	fs := sets[cmd]
	var problems []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		names := flagNames(a)
		if len(names) == 0 {
			// A positional argument.
			switch {
			case cmd == "help":
				if sets[strings.Trim(a, "[]")] == nil && !placeholder(strings.Trim(a, "[]")) {
					problems = append(problems, fmt.Sprintf("ctfg help: %q is not a command", a))
				}
			case cmd == "serve" && !placeholder(strings.Trim(a, "[]")) && !strings.HasSuffix(a, ".json") && !strings.HasSuffix(a, ".json]") && !strings.HasPrefix(a, "$"):
				problems = append(problems, fmt.Sprintf("%q is not a command of ctfg (serve would take it for a challenges.json)", a))
			}
			continue
		}
		takesValue := false
		for _, dashed := range names {
			n := strings.TrimLeft(dashed, "-")
			f := fs.Lookup(n)
			switch {
			case f != nil:
				if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
					takesValue = !strings.Contains(a, "=")
				}
			case n == "h" || n == "help":
				// The flag package answers these for every command.
			case n == "version" && cmd == "serve":
				// Run answers "ctfg --version" before any flag set.
			default:
				problems = append(problems, fmt.Sprintf("ctfg %s has no flag %s", cmd, dashed))
			}
		}
		if takesValue {
			i++
		}
	}
	return problems
}

// TestDocsCommandLines checks every ctfg command line in the docs (fenced
// code, inline code, the Containerfile's comments and CMD) and every flag
// they name in prose against the binary's flag sets.
func TestDocsCommandLines(t *testing.T) {
	sets := FlagSets()
	anyFlag := map[string]bool{"h": true, "help": true, "version": true}
	for _, fs := range sets {
		fs.VisitAll(func(f *flag.Flag) { anyFlag[f.Name] = true })
	}
	var invocations, flagsChecked int
	checkLine := func(d docLine, words []string) {
		all, ok := ctfgArgs(words)
		if !ok {
			return
		}
		for _, args := range all {
			invocations++
			if testing.Verbose() {
				t.Logf("%s:%d: ctfg %s", d.file, d.line, strings.Join(args, " "))
			}
			for _, p := range checkInvocation(sets, args) {
				t.Errorf("%s\n\t%s", d, p)
			}
		}
	}
	// checkNamed checks flags named outside a command line: they must be
	// some command's flag, or listed in otherTools.
	checkNamed := func(d docLine, word string) {
		for _, dashed := range flagNames(word) {
			flagsChecked++
			if _, ok := otherTools[dashed]; ok || anyFlag[strings.TrimLeft(dashed, "-")] {
				continue
			}
			t.Errorf("%s\n\t%s is not a flag of any ctfg command (nor in otherTools)", d, dashed)
		}
	}
	for _, name := range docFiles(t) {
		text := mustRead(t, name)
		code, spans, prose := docText(name, text)
		for _, d := range code {
			for _, words := range shellWords(d.text) {
				checkLine(d, words)
			}
		}
		for _, d := range spans {
			cmds := shellWords(d.text)
			for _, words := range cmds {
				checkLine(d, words)
			}
			// A span that is a flag or a list of them, as tables and
			// prose name them: `-b, --dbdir DIR`, `--what scoreboard`.
			if strings.HasPrefix(d.text, "-") {
				for _, w := range strings.Fields(d.text) {
					if strings.HasPrefix(w, "-") {
						checkNamed(d, w)
					}
				}
			}
		}
		for _, d := range prose {
			for _, m := range regexp.MustCompile(`(?:^|[\s(\[/])(--[a-z][a-z0-9-]*)`).FindAllStringSubmatch(d.text, -1) {
				checkNamed(d, m[1])
			}
		}
		if name == "Containerfile" {
			m := regexp.MustCompile(`(?m)^CMD (\[.*\])$`).FindStringSubmatch(text)
			var args []string
			if m == nil || json.Unmarshal([]byte(m[1]), &args) != nil {
				t.Errorf("Containerfile: no CMD [...] found")
				continue
			}
			invocations++
			for _, p := range checkInvocation(sets, args) {
				t.Errorf("Containerfile CMD %s\n\t%s", m[1], p)
			}
		}
	}
	t.Logf("checked %d ctfg command lines and %d flags named outside them", invocations, flagsChecked)
	if invocations < 30 {
		t.Errorf("only %d ctfg command lines found: is the parser broken?", invocations)
	}
}

// TestDocsCommandCheckerCatchesDrift: the checker itself finds the kinds
// of drift the issue found by hand.
func TestDocsCommandCheckerCatchesDrift(t *testing.T) {
	sets := FlagSets()
	for _, tt := range []struct {
		line string
		want string // "" for a line that must pass
	}{
		{"ctfg --db-path /var/lib/ctfg", "ctfg serve has no flag --db-path"},
		{"ctfg export --game /srv/ctf --formt csv", "ctfg export has no flag --formt"},
		{"ctfg backup -x FILE", "ctfg backup has no flag -x"},
		{"ctfg reset mygame", `"reset" is not a command`},
		{"ctfg help exprt", `"exprt" is not a command`},
		{"cd mygame && ctfg -p 9000 --log-level debug", ""},
		{"ctfg export [--game DIR] [-b|--dbdir DIR] [--format json|csv] [--out FILE]", ""},
		{"ctfg emulate --url http://localhost:8080 --players 5 > out.txt 2>&1", ""},
		{"ExecStart=/bin/sh -c 'exec /usr/local/bin/ctfg backup --game /srv/g /srv/b/x.db'", ""},
		{"ExecStart=/bin/sh -c 'exec /usr/local/bin/ctfg backup --gme /srv/g /srv/b/x.db'", "ctfg backup has no flag --gme"},
		{"podman run --rm -v ctfg-data:/data localhost/ctfg init /data --bogus", "ctfg init has no flag --bogus"},
		{"ctfg --help", ""},
		{"ctfg challenges.json --game x", ""},
	} {
		var got []string
		n := 0
		for _, words := range shellWords(tt.line) {
			all, ok := ctfgArgs(words)
			if !ok {
				continue
			}
			for _, args := range all {
				n++
				got = append(got, checkInvocation(sets, args)...)
			}
		}
		switch {
		case n == 0:
			t.Errorf("%q: no ctfg invocation found", tt.line)
		case tt.want == "" && len(got) > 0:
			t.Errorf("%q: unexpected problems %q", tt.line, got)
		case tt.want != "" && !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }):
			t.Errorf("%q: problems %q, want one with %q", tt.line, got, tt.want)
		}
	}
}
