package cli

import (
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/gamefile"
)

const oneChallenge = `[{"id": 1, "title": "One", "points": 10, "flag": "^one$", "testflag": "one"}]`

// TestCheckPrintsPlaySettings: check shows the freeze, reveal, practice,
// first-blood bonus, game-wide scoring, each challenge's own scoring and
// release, and warns of a release after the end.
func TestCheckPrintsPlaySettings(t *testing.T) {
	files := map[string]string{
		"credentials.csv": "username,password\nalice,pw\n",
		"challenges.json": `[
		  {"id": 1, "title": "One", "points": 500, "flag": "^one$", "testflag": "one",
		   "scoring": {"function": "logarithmic", "minimum": 100, "decay": 20}},
		  {"id": 2, "title": "Two", "points": 300, "flag": "^two$", "testflag": "two",
		   "release": "2025-06-01T11:00:00+02:00"},
		  {"id": 3, "title": "Three", "points": 0, "flag": "^three$", "testflag": "three",
		   "release": "2025-06-01T18:00:00+02:00"}]`,
		".env": "CTFG_START=2025-06-01T09:00:00+02:00\nCTFG_END=2025-06-01T17:00:00+02:00\n" +
			"CTFG_FREEZE=2025-06-01T16:00:00+02:00\nCTFG_REVEAL=end\nCTFG_PRACTICE=1\n" +
			"CTFG_FIRST_BLOOD_BONUS=5, 3, 1\nCTFG_SCORING=rctf:minimum=20%,decay=30\n",
	}
	code, out, errOut := runCtfg(t, "check", MustGameFiles(t, files))
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		// time.Local is read once per process: the UTC part is what must hold.
		"Freeze:          2025-06-01 ", "(2025-06-01 14:00:00 UTC), from CTFG_FREEZE\n",
		"Reveal:          at the end: the frozen scoreboard unfreezes by itself, from CTFG_REVEAL\n",
		"Practice:        on: after the end flags are still checked, never scored, from CTFG_PRACTICE\n",
		"First blood:     bonus of 5%, 3%, 1% of the value for the first 3 solvers, from CTFG_FIRST_BLOOD_BONUS\n",
		"Scoring:         rctf:minimum=20%,decay=30, from CTFG_SCORING, for 1 of 3 challenges",
		"Dynamic:         1 of 3 challenges have their own \"scoring\":\n",
		"                 1  One  logarithmic  500 → 100  decay 20\n",
		"Releases:        2 of 3 challenges appear later:\n",
		"                 2  Two    2025-06-01 ", " (2025-06-01 09:00:00 UTC)\n",
		"warning: challenge 3 is released at 2025-06-01T16:00:00Z, not before CTFG_END (2025-06-01T15:00:00Z): nobody can solve it\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Start, freeze, end in the order they happen.
	if i, j, k := strings.Index(out, "Start:"), strings.Index(out, "Freeze:"), strings.Index(out, "End:"); !(i < j && j < k) {
		t.Errorf("clock lines out of order:\n%s", out)
	}

	// Without any: the defaults, said plainly.
	code, out, _ = runCtfg(t, "check", MustGameFiles(t, map[string]string{
		"credentials.csv": "username,password\nalice,pw\n",
		"challenges.json": oneChallenge,
	}))
	for _, want := range []string{
		"Freeze:          not set: the scoreboard stays live to the end\n",
		"Reveal:          by the admin",
		"Practice:        off",
		"First blood:     no bonus\n",
		"Scoring:         static: every challenge is worth its points\n",
		"Ready to play.\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("defaults: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	if strings.Contains(out, "Dynamic:") || strings.Contains(out, "Releases:") {
		t.Errorf("defaults list dynamic or released challenges:\n%s", out)
	}
}

// TestPlayValuesRefused: a bad value of any setting is an error line
// naming the variable, every one of them at once, and exit status 1.
func TestPlayValuesRefused(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want []string
	}{
		{"CTFG_FREEZE=16:00\n", []string{`CTFG_FREEZE: "16:00" is not an RFC 3339 time with a zone`}},
		{"CTFG_START=2025-06-01T09:00:00Z\nCTFG_FREEZE=2025-06-01T09:00:00Z\n",
			[]string{"CTFG_FREEZE (2025-06-01T09:00:00Z) is not after CTFG_START (2025-06-01T09:00:00Z)"}},
		{"CTFG_END=2025-06-01T17:00:00Z\nCTFG_FREEZE=2025-06-01T17:30:00Z\n",
			[]string{"CTFG_FREEZE (2025-06-01T17:30:00Z) is not before CTFG_END (2025-06-01T17:00:00Z)"}},
		{"CTFG_REVEAL=later\n", []string{`CTFG_REVEAL: "later" is not end (unfreeze by itself at the end) or admin`}},
		{"CTFG_PRACTICE=maybe\n", []string{`CTFG_PRACTICE: "maybe" is not 1 or 0`}},
		{"CTFG_FIRST_BLOOD_BONUS=5,3,1,1\n", []string{`CTFG_FIRST_BLOOD_BONUS: "5,3,1,1" gives 4 places: at most 3`}},
		{"CTFG_FIRST_BLOOD_BONUS=5,x\n", []string{`CTFG_FIRST_BLOOD_BONUS: "5,x" is not a list of percents from 0 to 1000 such as 5,3,1: "x"`}},
		{"CTFG_FIRST_BLOOD_BONUS=1001\n", []string{`"1001" is not a list of percents from 0 to 1000`}},
		{"CTFG_SCORING=linear:minimum=10\n", []string{`CTFG_SCORING: decay is missing in "linear:minimum=10"`}},
		{"CTFG_SCORING=cubic:minimum=1,decay=2\n", []string{`CTFG_SCORING: unknown function "cubic"`}},
		{"CTFG_FREEZE=soon\nCTFG_SCORING=linear\n", []string{`CTFG_FREEZE: "soon"`, `CTFG_SCORING: "linear" is not`, "found 2 problems"}},
	} {
		dir := MustGameFiles(t, map[string]string{
			"credentials.csv": "username,password\nalice,pw\n",
			"challenges.json": oneChallenge,
			".env":            tt.env,
		})
		code, _, errOut := runCtfg(t, "check", dir)
		for _, want := range tt.want {
			if code != 1 || !strings.Contains(errOut, want) {
				t.Errorf("check with %q: exit %d, stderr %q; want %q", tt.env, code, errOut, want)
			}
		}
	}
	// serve: the flags are checked the same way, before anything starts.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--freeze", "2025-06-01 16:00"}, `--freeze: "2025-06-01 16:00" is not an RFC 3339 time`},
		{[]string{"--start", "2025-06-01T10:00:00Z", "--freeze", "2025-06-01T09:00:00Z"}, "--freeze (2025-06-01T09:00:00Z) is not after --start (2025-06-01T10:00:00Z)"},
		{[]string{"--end", "2025-06-01T10:00:00Z", "--freeze", "2025-06-01T11:00:00Z"}, "--freeze (2025-06-01T11:00:00Z) is not before --end"},
		{[]string{"--reveal", "never"}, `--reveal: "never" is not end`},
		{[]string{"--first-blood-bonus", "-1"}, `--first-blood-bonus: "-1" is not a list of percents`},
		{[]string{"--scoring", "linear:minimum=5,decay=0"}, `--scoring: decay must be a whole number from 1 to 1000000, got "0"`},
	} {
		args := append([]string{"--game", ctftest.MustGameDir(t), "--addr", "127.0.0.1:0"}, tt.args...)
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("serve %q: exit %d, stderr %s; want %q", tt.args, code, stderr, tt.want)
		}
	}
	// A bare --practice needs no value; --practice=maybe is a usage error.
	if code, _, stderr := runCLI(t, "--game", ctftest.MustGameDir(t), "--practice=maybe"); code != 2 || !strings.Contains(stderr, "--practice") && !strings.Contains(stderr, "-practice") {
		t.Errorf("--practice=maybe: exit %d, %s", code, stderr)
	}
}

// TestPlayFlagsWinOverVariables: each flag wins over its variable; a
// variable alone applies; --practice=false turns CTFG_PRACTICE=1 off.
func TestPlayFlagsWinOverVariables(t *testing.T) {
	env := map[string]string{
		"CTFG_REVEAL":            "end",
		"CTFG_PRACTICE":          "1",
		"CTFG_FIRST_BLOOD_BONUS": "5,3,1",
		"CTFG_SCORING":           "linear:minimum=10,decay=5",
		"CTFG_FREEZE":            "2025-06-01T16:00:00Z",
	}
	getenv := func(k string) string { return env[k] }

	f, _, err := parseServeFlags(IO{Out: io.Discard, Err: io.Discard}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := resolvePlay(getenv, f.play)
	if err != nil {
		t.Fatal(err)
	}
	if !p.RevealAtEnd || !p.Practice || !slices.Equal(p.FirstBlood, []int{5, 3, 1}) || p.Scoring == nil ||
		*p.Scoring != (gamefile.GameScoring{Function: "linear", Minimum: 10, Decay: 5}) || p.PracticeFrom != "CTFG_PRACTICE" {
		t.Errorf("variables alone: %+v", p)
	}

	f, _, err = parseServeFlags(IO{Out: io.Discard, Err: io.Discard}, []string{
		"--reveal", "admin", "--practice=false", "--first-blood-bonus", "10%,0", "--scoring", "rctf:minimum=1,decay=40",
		"--freeze", "2025-06-01T15:00:00+02:00",
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err = resolvePlay(getenv, f.play)
	if err != nil {
		t.Fatal(err)
	}
	if p.RevealAtEnd || p.Practice || p.PracticeFrom != "--practice" || !slices.Equal(p.FirstBlood, []int{10, 0}) ||
		p.FirstBloodFrom != "--first-blood-bonus" || p.Scoring.Function != "rctf" || p.ScoringFrom != "--scoring" {
		t.Errorf("flags: %+v", p)
	}
	c, err := resolveClock(getenv, f.start, f.end, f.freeze)
	if err != nil || c.Freeze.From != "--freeze" || c.Freeze.At.Hour() != 13 {
		t.Errorf("--freeze: %+v, %v", c.Freeze, err)
	}

	f, _, _ = parseServeFlags(IO{Out: io.Discard, Err: io.Discard}, []string{"--practice"})
	env = map[string]string{"CTFG_FIRST_BLOOD_BONUS": "0,0", "CTFG_SCORING": "static"}
	if p, err := resolvePlay(getenv, f.play); err != nil || !p.Practice || p.FirstBlood != nil || p.Scoring != nil {
		t.Errorf("--practice alone, zero bonus, static scoring: %+v, %v", p, err)
	}
}

// TestDocsPlayExamples: every example value of the rules of play in the
// docs is accepted, and the challenges.json example of OPERATIONS.md
// loads with the fields it documents.
func TestDocsPlayExamples(t *testing.T) {
	re := regexp.MustCompile(`\b(CTFG_(?:FREEZE|REVEAL|PRACTICE|FIRST_BLOOD_BONUS|SCORING))=([^\s` + "`" + `]+)`)
	n := 0
	for _, name := range docFiles(t) {
		for _, m := range re.FindAllStringSubmatch(mustRead(t, name), -1) {
			if strings.HasSuffix(m[2], "…") || strings.Contains(m[2], "FUNCTION") {
				continue // a placeholder
			}
			n++
			getenv := func(k string) string {
				if k == m[1] {
					return m[2]
				}
				return ""
			}
			if _, err := resolveClock(getenv, "", "", ""); err != nil {
				t.Errorf("%s: %s=%s: %v", name, m[1], m[2], err)
			}
			if _, err := resolvePlay(getenv, playFlags{}); err != nil {
				t.Errorf("%s: %s=%s: %v", name, m[1], m[2], err)
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d examples found", n)
	}

	ops := mustRead(t, "docs/OPERATIONS.md")
	_, section, _ := strings.Cut(ops, "## Dynamic scoring and release times")
	_, block, _ := strings.Cut(section, "```json\n")
	block, _, _ = strings.Cut(block, "```")
	chs, err := gamefile.ParseChallenges("OPERATIONS.md", []byte(block))
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	if ch := chs[0]; ch.Scoring == nil || ch.Release == nil || ch.Value(1) != 500 || ch.Value(21) != 100 {
		t.Errorf("example challenge: %+v", ch)
	}
}
