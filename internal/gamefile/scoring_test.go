package gamefile

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

func TestParseChallengesScoringAndRelease(t *testing.T) {
	in := `[
	  {"id": 1, "title": "One", "points": 500, "flag": "^a$",
	   "scoring": {"type": "decay", "function": "logarithmic", "initial": 600, "minimum": 100, "decay": 20},
	   "release": "2025-06-01T11:00:00+02:00"},
	  {"id": 2, "title": "Two", "points": 300, "flag": "^b$",
	   "scoring": {"function": "rctf", "minimum": 50, "decay": 40}},
	  {"id": 3, "title": "Three", "points": 10, "flag": "^c$", "scoring": null, "release": null}
	]`
	chs, err := ParseChallenges("c.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := game.Scoring{Type: "decay", Function: "logarithmic", Initial: 600, Minimum: 100, Decay: 20}
	if chs[0].Scoring == nil || *chs[0].Scoring != want {
		t.Errorf("scoring = %+v, want %+v", chs[0].Scoring, want)
	}
	if r := chs[0].Release; r == nil || !r.Equal(time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)) || r.Location() != time.UTC {
		t.Errorf("release = %v, want 09:00 UTC", r)
	}
	// type defaults to decay, initial to the points.
	want = game.Scoring{Type: "decay", Function: "rctf", Initial: 300, Minimum: 50, Decay: 40}
	if chs[1].Scoring == nil || *chs[1].Scoring != want || chs[1].Release != nil {
		t.Errorf("defaults: scoring = %+v, release %v; want %+v", chs[1].Scoring, chs[1].Release, want)
	}
	if chs[2].Scoring != nil || chs[2].Release != nil || chs[2].Value(5) != 10 {
		t.Errorf("null scoring and release: %+v", chs[2])
	}
}

func TestParseChallengesScoringErrors(t *testing.T) {
	sc := func(fields map[string]any) map[string]any {
		s := map[string]any{"function": "linear", "minimum": 1, "decay": 2}
		for k, v := range fields {
			if v == nil {
				delete(s, k)
			} else {
				s[k] = v
			}
		}
		return s
	}
	tests := []struct {
		name string
		in   []any
		want string
	}{
		{"not an object", []any{ch(1, map[string]any{"scoring": "dynamic"})},
			`[0].scoring (challenge 1): must be an object {type, function, initial, minimum, decay}, got the string "dynamic"`},
		{"type", []any{ch(1, map[string]any{"scoring": sc(map[string]any{"type": "dynamic"})})},
			`[0].scoring.type (challenge 1): must be "decay", got "dynamic"`},
		{"function", []any{ch(1, map[string]any{"scoring": sc(map[string]any{"function": "exp"})})},
			`[0].scoring.function (challenge 1): must be "linear", "logarithmic" or "rctf", got "exp"`},
		{"missing function and decay", []any{ch(1, map[string]any{"scoring": sc(map[string]any{"function": nil, "decay": nil})})},
			"[0].scoring (challenge 1): missing function\n[0].scoring (challenge 1): missing decay"},
		{"types", []any{ch(1, map[string]any{"scoring": sc(map[string]any{"function": 3, "minimum": "1", "decay": 0, "initial": -4})})},
			"[0].scoring.decay (challenge 1): must be an integer ≥ 1, got 0\n" +
				"[0].scoring.function (challenge 1): must be a string, got 3\n" +
				"[0].scoring.initial (challenge 1): must be an integer ≥ 1, got -4\n" +
				`[0].scoring.minimum (challenge 1): must be an integer ≥ 0, got the string "1"`},
		{"huge decay", []any{ch(1, map[string]any{"scoring": sc(map[string]any{"decay": 2_000_000})})},
			"[0].scoring.decay (challenge 1): must be an integer ≥ 1 and ≤ 1000000, got 2000000"},
		{"minimum above initial", []any{ch(1, map[string]any{"scoring": sc(map[string]any{"initial": 50, "minimum": 60})})},
			"[0].scoring.minimum (challenge 1): minimum (60) must not exceed initial (50)"},
		{"minimum above points", []any{ch(1, map[string]any{"points": 10, "scoring": sc(map[string]any{"minimum": 60})})},
			"[0].scoring.minimum (challenge 1): minimum (60) must not exceed initial (10) (initial is the challenge's points when not given)"},
		{"zero points", []any{ch(1, map[string]any{"points": 0, "scoring": sc(map[string]any{"minimum": 0})})},
			"[0].scoring (challenge 1): initial must be > 0, got 0 (initial is the challenge's points when not given)"},
		{"unknown field", []any{ch(1, map[string]any{"scoring": sc(map[string]any{"minimun": 5})})},
			"[0].scoring.minimun (challenge 1): unknown field (a scoring has type, function, initial, minimum, decay)"},
		{"release without zone", []any{ch(1, map[string]any{"release": "2025-06-01T11:00:00"})},
			`[0].release (challenge 1): must be an RFC 3339 time with a zone, such as 2025-06-01T09:00:00+02:00 or 2025-06-01T07:00:00Z, got "2025-06-01T11:00:00"`},
		{"release type", []any{ch(1, map[string]any{"release": 1717228800})},
			"[0].release (challenge 1): must be a string, got 1717228800"},
		{"all at once", []any{
			ch(1, map[string]any{"release": "soon"}),
			ch(2, map[string]any{"points": -1, "scoring": sc(map[string]any{"function": "rctf", "decay": -2})}),
		},
			`[0].release (challenge 1): must be an RFC 3339 time with a zone, such as 2025-06-01T09:00:00+02:00 or 2025-06-01T07:00:00Z, got "soon"` + "\n" +
				"[1].points (challenge 2): must be an integer ≥ 0, got -1\n" +
				"[1].scoring.decay (challenge 2): must be an integer ≥ 1, got -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChallenges("challenges.json", []byte(mustJSON(t, tt.in)))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			var got []string
			for _, p := range Problems(err) {
				if p.Line == 0 {
					t.Errorf("no line in %q", p.Error())
				}
				p2 := *p
				p2.Line = 0
				got = append(got, strings.TrimPrefix(p2.Error(), "challenges.json: "))
			}
			if g := strings.Join(got, "\n"); g != tt.want {
				t.Errorf("got\n%s\nwant\n%s", g, tt.want)
			}
		})
	}
}

func TestParseChallengesScoringLines(t *testing.T) {
	in := "[\n {\"id\": 5, \"title\": \"T\", \"flag\": \"^f$\", \"points\": 100,\n" +
		"  \"scoring\": {\"function\": \"linear\",\n" +
		"              \"minimum\": 200,\n" +
		"              \"decay\": 10},\n" +
		"  \"release\":\n   \"tomorrow\"}\n]"
	_, err := ParseChallenges("challenges.json", []byte(in))
	want := "challenges.json:4: [0].scoring.minimum (challenge 5): minimum (200) must not exceed initial (100) (initial is the challenge's points when not given)\n" +
		`challenges.json:7: [0].release (challenge 5): must be an RFC 3339 time with a zone, such as 2025-06-01T09:00:00+02:00 or 2025-06-01T07:00:00Z, got "tomorrow"`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestParseGameScoring(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want *GameScoring
		err  string
	}{
		{"", nil, ""},
		{" static ", nil, ""},
		{"off", nil, ""},
		{"linear:minimum=100,decay=20", &GameScoring{Function: "linear", Minimum: 100, Decay: 20}, ""},
		{" Logarithmic : decay = 30 , minimum = 20% ", &GameScoring{Function: "logarithmic", Minimum: 20, MinimumPercent: true, Decay: 30}, ""},
		{"rctf:minimum=0,decay=1000000", &GameScoring{Function: "rctf", Minimum: 0, Decay: 1_000_000}, ""},
		{"linear", nil, `"linear" is not FUNCTION:minimum=N,decay=N`},
		{"exp:minimum=1,decay=2", nil, `unknown function "exp"`},
		{"linear:minimum=1", nil, `decay is missing in "linear:minimum=1"`},
		{"linear:decay=3", nil, "minimum is missing"},
		{"linear:minimum=1,decay=2,speed=3", nil, `unknown setting "speed"`},
		{"linear:minimum=1,decay=2,decay=3", nil, "decay is given twice"},
		{"linear:minimum=-1,decay=2", nil, `minimum must be a whole number ≥ 0 of points, or a percent such as 20%, got "-1"`},
		{"linear:minimum=101%,decay=2", nil, `minimum must be at most 100%, got "101%"`},
		{"linear:minimum=2000000,decay=2", nil, "minimum must be at most 1000000 points"},
		{"linear:minimum=1,decay=0", nil, `decay must be a whole number from 1 to 1000000, got "0"`},
		{"linear:minimum=1,decay=x", nil, `decay must be a whole number from 1 to 1000000, got "x"`},
		{"linear:minimum=1;decay=2", nil, "minimum must be a whole number"},
		{"linear:,", nil, "is not FUNCTION"},
	} {
		got, err := ParseGameScoring(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: got %v, %v; want error %q", tt.in, got, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want:
			t.Errorf("%q: got %+v, want %+v", tt.in, got, tt.want)
		case got != nil:
			// The canonical form parses back to the same setting.
			again, err := ParseGameScoring(got.String())
			if err != nil || *again != *got {
				t.Errorf("%q: String %q parses to %+v, %v", tt.in, got.String(), again, err)
			}
		}
	}
}

func TestApplyScoring(t *testing.T) {
	own := &game.Scoring{Type: "decay", Function: "rctf", Initial: 999, Minimum: 1, Decay: 5}
	chs := []*game.Challenge{
		{ID: 1, Points: 500},
		{ID: 2, Points: 40, Scoring: own},
		{ID: 3, Points: 0},
		{ID: 4, Points: 80},
		{ID: 5, Points: 99},
	}
	ApplyScoring(chs, nil)
	if chs[0].Scoring != nil {
		t.Fatal("nil game-wide scoring changed a challenge")
	}
	ApplyScoring(chs, &GameScoring{Function: "logarithmic", Minimum: 100, Decay: 30})
	want := game.Scoring{Type: "decay", Function: "logarithmic", Initial: 500, Minimum: 100, Decay: 30}
	if *chs[0].Scoring != want {
		t.Errorf("challenge 1: %+v, want %+v", chs[0].Scoring, want)
	}
	if chs[1].Scoring != own {
		t.Error("a challenge's own scoring was replaced")
	}
	if chs[2].Scoring != nil {
		t.Errorf("a challenge worth 0 got a scoring: %+v", chs[2].Scoring)
	}
	// A minimum above the points is lowered to them: the value stays.
	if s := chs[3].Scoring; s.Minimum != 80 || s.Validate() != nil || chs[3].Value(100) != 80 {
		t.Errorf("challenge 4: %+v", s)
	}
	if chs[0].Scoring == chs[4].Scoring {
		t.Error("challenges share one Scoring")
	}

	pct := &GameScoring{Function: "linear", Minimum: 25, MinimumPercent: true, Decay: 10}
	if s := pct.For(99); s.Minimum != 24 || s.Initial != 99 || s.Validate() != nil { // 24.75 rounds down
		t.Errorf("25%% of 99: %+v", s)
	}
}

// TestCompatGameUnchanged: the old engine's files load as before, with no
// dynamic scoring and no release.
func TestCompatGameUnchanged(t *testing.T) {
	g, err := Load(filepath.Join("testdata", "compat"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range g.Challenges {
		if ch.Scoring != nil || ch.Release != nil || ch.Value(10) != ch.Points {
			t.Errorf("challenge %d: %+v", ch.ID, ch)
		}
	}
	if s := g.Summary(); s.Dynamic != 0 || s.Released != 0 {
		t.Errorf("summary %+v", s)
	}
}
