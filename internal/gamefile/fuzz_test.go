package gamefile

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/ctfg/ctfg/internal/game"
)

// The fuzzers check that a parser never panics and returns either data
// that passes every validation rule, or problems that each name the file
// and fit on one line. Accepted data is written back out and parsed again
// to the same value. Seeds: f.Add below plus testdata/fuzz/.

func addFileSeed(f *testing.F, path string) {
	f.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
}

// checkProblems checks the shape of a parser's error.
func checkProblems(t *testing.T, name string, err error) {
	t.Helper()
	probs := Problems(err)
	if len(probs) == 0 || len(probs) > MaxErrors+1 {
		t.Fatalf("%d problems in %v", len(probs), err)
	}
	for _, p := range probs {
		line := p.Error()
		if p.File != name || p.Msg == "" || strings.ContainsAny(line, "\n\r") || !strings.HasPrefix(line, name) {
			t.Fatalf("malformed problem %#v: %q", p, line)
		}
	}
}

func FuzzParseChallenges(f *testing.F) {
	addFileSeed(f, "testdata/compat/challenges.json")
	addFileSeed(f, "sample/challenges.json")
	for _, s := range []string{
		minimalChallenges,
		`[{"id": 1, "title": "a", "points": 1, "flag": "^(a)\\1$"}]`,
		`[{"id": 1, "title": "a", "points": 1, "flag": "a", "requirements": [2]}, {"id": 2, "title": "b", "points": 1, "flag": "b", "requirements": [1]}]`,
		`[{"id": 1, "title": "a", "points": 1, "flag": "a", "hints": [{"id": 2, "text": "x", "cost": 0}, {"id": 1, "text": "y", "cost": 3}], "content": {"k": [1, null]}}]`,
		`[{"id": 1.5}, 3, "x", null, {"id": 1, "hints": {}}]`,
		`[{"id": 1, "title": "a", "points": 1, "flag": "a", "testflag": "b"}`,
		`[{"id": 1, "title": "a", "points": 500, "flag": "a", "scoring": {"type": "decay", "function": "logarithmic", "initial": 600, "minimum": 100, "decay": 20}, "release": "2025-06-01T11:00:00.5+02:00"},
		  {"id": 2, "title": "b", "points": 5, "flag": "b", "scoring": {"function": "rctf", "minimum": 6, "decay": 0, "x": 1}, "release": "2025-06-01"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		chs, err := ParseChallenges("c.json", data)
		if err != nil {
			checkProblems(t, "c.json", err)
			if chs != nil {
				t.Fatal("challenges returned with an error")
			}
			return
		}
		validChallenges(t, chs)
		again, err := ParseChallenges("c.json", mustMarshal(t, chs))
		if err != nil {
			t.Fatalf("accepted challenges do not load again: %v", err)
		}
		for i := range chs {
			if !sameChallenge(chs[i], again[i]) {
				t.Fatalf("round trip changed challenge %d:\n%+v\n%+v", i, chs[i], again[i])
			}
		}
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validChallenges checks every rule of challenges.json on loaded data.
func validChallenges(t *testing.T, chs []*game.Challenge) {
	t.Helper()
	if len(chs) == 0 {
		t.Fatal("no challenges and no error")
	}
	byID := map[int]*game.Challenge{}
	for _, ch := range chs {
		if ch.ID < 1 || ch.ID > MaxID || byID[ch.ID] != nil {
			t.Fatalf("bad or duplicate id %d", ch.ID)
		}
		byID[ch.ID] = ch
		if strings.TrimSpace(ch.Title) == "" || ch.Flag == "" || ch.Points < 0 || ch.Points > MaxPoints {
			t.Fatalf("challenge %d: %+v", ch.ID, ch)
		}
		if ch.TestFlag != "" && !ch.MatchFlag(strings.TrimSpace(ch.TestFlag)) {
			t.Fatalf("challenge %d: testflag %q not accepted by %q", ch.ID, ch.TestFlag, ch.Flag)
		}
		for i, h := range ch.Hints {
			if h.ID < 1 || h.Cost < 0 || h.Cost > MaxPoints || i > 0 && ch.Hints[i-1].ID >= h.ID {
				t.Fatalf("challenge %d: hints %+v", ch.ID, ch.Hints)
			}
		}
		if ch.Scoring != nil {
			if err := ch.Scoring.Validate(); err != nil || ch.Scoring.Initial > MaxPoints || ch.Scoring.Minimum > MaxPoints {
				t.Fatalf("challenge %d: scoring %+v: %v", ch.ID, ch.Scoring, err)
			}
		}
		if ch.Release != nil && (ch.Release.IsZero() || ch.Release.Location() != time.UTC) {
			t.Fatalf("challenge %d: release %v", ch.ID, ch.Release)
		}
		if ch.Content != nil && !json.Valid(ch.Content) {
			t.Fatalf("challenge %d: content %q", ch.ID, ch.Content)
		}
	}
	// Requirements exist and form no cycle: repeatedly remove challenges
	// whose requirements are all removed.
	solved := map[int]bool{}
	for progress := true; progress; {
		progress = false
		for _, ch := range chs {
			if solved[ch.ID] {
				continue
			}
			ok := true
			for _, r := range ch.Requirements {
				if byID[r] == nil || r == ch.ID {
					t.Fatalf("challenge %d requires %d", ch.ID, r)
				}
				ok = ok && solved[r]
			}
			if ok {
				solved[ch.ID], progress = true, true
			}
		}
	}
	if len(solved) != len(chs) {
		t.Fatalf("requirements form a cycle: only %d of %d reachable", len(solved), len(chs))
	}
}

func sameChallenge(a, b *game.Challenge) bool {
	var ca, cb bytes.Buffer
	if a.Content != nil && json.Compact(&ca, a.Content) != nil || b.Content != nil && json.Compact(&cb, b.Content) != nil {
		return false
	}
	return a.ID == b.ID && a.Title == b.Title && a.Category == b.Category && a.Difficulty == b.Difficulty &&
		a.Points == b.Points && a.Description == b.Description && a.Flag == b.Flag && a.TestFlag == b.TestFlag &&
		slices.Equal(a.Hints, b.Hints) && slices.Equal(a.Requirements, b.Requirements) && ca.String() == cb.String() &&
		(a.Scoring == nil) == (b.Scoring == nil) && (a.Scoring == nil || *a.Scoring == *b.Scoring) &&
		(a.Release == nil) == (b.Release == nil) && (a.Release == nil || a.Release.Equal(*b.Release))
}

func FuzzParseCredentials(f *testing.F) {
	addFileSeed(f, "testdata/compat/credentials.csv")
	for _, s := range []string{
		"username,password\nalice,one\n",
		"\"alice\",\"pa,ss\"\"word\"\n bob , two \n\n",
		"alice,$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n",
		"alice,a\nalice,b\nbob\n,c\nx,\"unterminated\n",
		"\xef\xbb\xbfUsername,Password\r\nzoë,pässwörd 🎉\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		users, err := ParseCredentials("c.csv", data)
		if err != nil {
			checkProblems(t, "c.csv", err)
			if users != nil {
				t.Fatal("users returned with an error")
			}
			return
		}
		if len(users) == 0 {
			t.Fatal("no users and no error")
		}
		seen := map[string]bool{}
		for _, u := range users {
			for _, s := range []string{u.Username, u.Password} {
				if s == "" || s != strings.TrimSpace(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
					t.Fatalf("bad field %q", s)
				}
			}
			if seen[u.Username] || u.ID != 0 {
				t.Fatalf("duplicate or numbered user %+v", u)
			}
			seen[u.Username] = true
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"username", "password"})
		for _, u := range users {
			_ = w.Write([]string{u.Username, u.Password})
		}
		w.Flush()
		again, err := ParseCredentials("c.csv", buf.Bytes())
		if err != nil || !slices.Equal(users, again) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, users, again)
		}
	})
}

func FuzzParseEnv(f *testing.F) {
	for _, s := range []string{
		"# comment\nCTFG_API_TOKEN=abc\nexport CTFG_ADMIN_TOKEN='x y'\n",
		"A=\"esc\\n\\t\\\"q\\\" \\\\ \\x\" # c\nB=with #comment\nC=\n",
		"A\n1B=x\nC=\"open\nD='open\nE=\"a\" b\n",
		"\xef\xbb\xbfA=1\r\nA=2\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ParseEnv("e", data)
		if err != nil {
			checkProblems(t, "e", err)
			if env != nil {
				t.Fatal("variables returned with an error")
			}
			return
		}
		var b strings.Builder
		for k, v := range env {
			if !validEnvKey(k) || strings.IndexByte(v, 0) >= 0 {
				t.Fatalf("bad variable %q=%q", k, v)
			}
			v = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`).Replace(v)
			b.WriteString(k + "=\"" + v + "\"\n")
		}
		again, err := ParseEnv("e", []byte(b.String()))
		if err != nil || !maps.Equal(env, again) {
			t.Fatalf("round trip: %v\n%q\n%q", err, env, again)
		}
	})
}

func FuzzParseClusters(f *testing.F) {
	addFileSeed(f, "testdata/compat/game-clusters.yaml")
	for _, s := range []string{
		"control_cluster: c\nplayer_clusters: [a, b]\n",
		"control_cluster: &c shared\nplayer_clusters: [*c, other]\n",
		"player_clusters: one\n",
		"- a\n",
		"control_cluster: [a]\nplayer_clusters: {a: b}\nx: 1\ncontrol_cluster: d\n",
		"a: &a [*a]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cl, err := ParseClusters("g.yaml", data)
		if err != nil {
			checkProblems(t, "g.yaml", err)
			if cl != nil {
				t.Fatal("clusters returned with an error")
			}
			return
		}
		for _, s := range append([]string{cl.Control}, cl.Players...) {
			if s != strings.TrimSpace(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
				t.Fatalf("bad name %q", s)
			}
		}
		if slices.Contains(cl.Players, "") {
			t.Fatalf("empty player cluster in %q", cl.Players)
		}
		doc := map[string]any{}
		if cl.Control != "" {
			doc["control_cluster"] = cl.Control
		}
		if cl.Players != nil {
			doc["player_clusters"] = cl.Players
		}
		out, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseClusters("g.yaml", out)
		if err != nil || again.Control != cl.Control || !slices.Equal(again.Players, cl.Players) {
			t.Fatalf("round trip: %v\n%+v\n%+v\n%s", err, cl, again, out)
		}
	})
}

// FuzzParseGameScoring: CTFG_SCORING never panics; an accepted value
// prints back to itself and gives every challenge a valid scoring.
func FuzzParseGameScoring(f *testing.F) {
	for _, s := range []string{"linear:minimum=100,decay=20", "rctf:decay=1,minimum=20%", "static", "logarithmic:minimum=,decay=3", "x:y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		gs, err := ParseGameScoring(v)
		if err != nil {
			if gs != nil || strings.ContainsAny(err.Error(), "\n") && !strings.Contains(v, "\n") {
				t.Fatalf("%q: %+v, %v", v, gs, err)
			}
			return
		}
		if gs == nil {
			return
		}
		again, err := ParseGameScoring(gs.String())
		if err != nil || *again != *gs {
			t.Fatalf("%q: %q parses to %+v, %v", v, gs.String(), again, err)
		}
		for _, points := range []int{1, 7, 100, MaxPoints} {
			if err := gs.For(points).Validate(); err != nil {
				t.Fatalf("%q: for %d points: %v", v, points, err)
			}
		}
	})
}
