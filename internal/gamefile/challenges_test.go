package gamefile

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// ch builds a challenge object with the given fields added to a valid
// one; a field set to nil is removed.
func ch(id int, extra map[string]any) map[string]any {
	c := map[string]any{"id": id, "title": "T", "points": 10, "flag": "^f$", "testflag": "f"}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestParseChallengesErrors(t *testing.T) {
	tests := []struct {
		name string
		in   any    // marshalled to JSON, unless a string
		want string // every line of the error, lines given as N: or omitted with "_"
	}{
		{"negative points", []any{ch(1, nil), ch(7, map[string]any{"points": -5})},
			"[1].points (challenge 7): must be an integer ≥ 0, got -5"},
		{"float points", []any{ch(1, map[string]any{"points": 1.5})},
			"[0].points (challenge 1): must be an integer ≥ 0, got 1.5"},
		{"string id", []any{ch(1, map[string]any{"id": "1"})},
			`[0].id: must be an integer ≥ 1, got the string "1"`},
		{"missing id", []any{ch(1, map[string]any{"id": nil})},
			"[0]: missing id"},
		{"zero id", []any{ch(0, nil)},
			"[0].id: must be an integer ≥ 1, got 0"},
		{"huge points", []any{ch(1, map[string]any{"points": 1e12})},
			"[0].points (challenge 1): must be an integer ≥ 0 and ≤ 1000000, got 1000000000000"},
		{"duplicate id", []any{ch(3, nil), ch(4, nil), ch(3, nil)},
			"[2].id (challenge 3): duplicate id 3 (also [0])"},
		{"missing flag", []any{ch(1, map[string]any{"flag": nil, "testflag": nil})},
			"[0] (challenge 1): missing flag"},
		{"empty title", []any{ch(1, map[string]any{"title": " "})},
			"[0].title (challenge 1): must not be empty"},
		{"title type", []any{ch(1, map[string]any{"title": []int{1}})},
			"[0].title (challenge 1): must be a string, got a list"},
		{"flag does not compile", []any{ch(1, map[string]any{"flag": "^(f$"})},
			"[0].flag (challenge 1): does not compile: missing closing ): `^(f$`"},
		{"backreference", []any{ch(1, map[string]any{"flag": `^(f)\1$`})},
			"[0].flag (challenge 1): does not compile: invalid escape sequence: `\\1` (Go's RE2 engine, which cannot be made to hang, has no backreferences: a Perl-only feature)"},
		{"lookahead", []any{ch(1, map[string]any{"flag": `^(?!x)f$`})},
			"[0].flag (challenge 1): does not compile: invalid or unsupported Perl syntax: `(?!` (Go's RE2 engine, which cannot be made to hang, has no lookahead or lookbehind: a Perl-only feature)"},
		{"lookbehind", []any{ch(1, map[string]any{"flag": `^(?<=x)f$`})},
			"[0].flag (challenge 1): does not compile: invalid named capture: `(?<=x)f$` (Go's RE2 engine, which cannot be made to hang, has no lookahead or lookbehind: a Perl-only feature)"},
		{"testflag rejected", []any{ch(1, map[string]any{"testflag": "g"})},
			"[0].testflag (challenge 1): is not accepted by the flag (the flag must match it exactly once)"},
		{"testflag matched twice", []any{ch(1, map[string]any{"flag": "f", "testflag": "ff"})},
			"[0].testflag (challenge 1): is not accepted by the flag (the flag must match it exactly once)"},
		{"hints not a list", []any{ch(1, map[string]any{"hints": "free"})},
			`[0].hints (challenge 1): must be a list of {id, text, cost}, got the string "free"`},
		{"negative hint cost", []any{ch(1, map[string]any{"hints": []any{map[string]any{"id": 1, "text": "t", "cost": -1}}})},
			"[0].hints[0].cost (challenge 1): must be an integer ≥ 0, got -1"},
		{"duplicate hint id", []any{ch(1, map[string]any{"hints": []any{
			map[string]any{"id": 2, "text": "t", "cost": 1}, map[string]any{"id": 2, "text": "u", "cost": 1}}})},
			"[0].hints[1].id (challenge 1): duplicate hint id 2 (also [0].hints[0])"},
		{"hint without cost", []any{ch(1, map[string]any{"hints": []any{map[string]any{"id": 1, "text": "t"}}})},
			"[0].hints[0] (challenge 1): missing cost (use 0 for a free hint)"},
		{"unknown requirement", []any{ch(1, map[string]any{"requirements": []int{9}})},
			"[0].requirements (challenge 1): requires challenge 9, which does not exist"},
		{"self requirement", []any{ch(1, map[string]any{"requirements": []int{1}})},
			"[0].requirements (challenge 1): a challenge cannot require itself"},
		{"requirement type", []any{ch(1, map[string]any{"requirements": []any{"2"}})},
			`[0].requirements[0] (challenge 1): must be an integer ≥ 1, got the string "2"`},
		{"cycle", []any{ch(1, nil), ch(2, map[string]any{"requirements": []int{4}}), ch(3, map[string]any{"requirements": []int{2}}), ch(4, map[string]any{"requirements": []int{1, 3}})},
			"[1].requirements (challenge 2): requirements form a cycle: 2 → 4 → 3 → 2"},
		{"not an object", []any{ch(1, nil), 5},
			"[1]: must be an object, got 5"},
		{"not an array", map[string]any{"id": 1},
			"must be a JSON array of challenges, got an object"},
		{"empty array", []any{},
			"no challenges: the array is empty"},
		{"several problems", []any{ch(1, map[string]any{"points": -1}), ch(2, map[string]any{"testflag": "x", "requirements": []int{5}})},
			// In line order: MarshalIndent sorts the keys.
			"[0].points (challenge 1): must be an integer ≥ 0, got -1\n" +
				"[1].requirements (challenge 2): requires challenge 5, which does not exist\n" +
				"[1].testflag (challenge 2): is not accepted by the flag (the flag must match it exactly once)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChallenges("challenges.json", []byte(mustJSON(t, tt.in)))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			var got []string
			for _, p := range Problems(err) {
				// Lines are checked in TestParseChallengesLines; here
				// the rest of the message.
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

func TestParseChallengesLines(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"syntax error", "[\n  {\"id\": 1,\n   \"title\": }\n]", "challenges.json:3:13: invalid JSON: invalid character '}' looking for beginning of value"},
		{"trailing comma", "[\n  {\"id\": 1},\n]", "challenges.json:3:1: invalid JSON: invalid character ']' looking for beginning of value"},
		{"unexpected end", "[\n  {\"id\": 1", "challenges.json:2:11: invalid JSON: unexpected end of JSON input (an unclosed [, { or string?)"},
		{"after the array", "[]\n[]", "challenges.json:2:1: invalid JSON: invalid character '[' after top-level value"},
		{"field line", "[\n {\"id\": 5,\n  \"title\": \"T\",\n  \"flag\": \"^f$\",\n  \"points\":\n     -3}\n]", "challenges.json:6: [0].points (challenge 5): must be an integer ≥ 0, got -3"},
		{"missing field line", "[{\"id\": 1, \"title\": \"T\", \"flag\": \"f\", \"points\": 1},\n\n {\"id\": 2, \"title\": \"T\", \"flag\": \"f\"}]", "challenges.json:3: [1] (challenge 2): missing points"},
		{"invalid UTF-8", "[\n\"\xff\"]", "challenges.json:2: not valid UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChallenges("challenges.json", []byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseChallengesValues(t *testing.T) {
	in := "\xef\xbb\xbf" + `[
	  {"id": 10, "title": "Ten", "category": "Web", "difficulty": "Hard", "points": 0,
	   "description": "<b>x</b> 🎉 &amp;", "flag": "^(?i)ten$", "testflag": "  TEN \n",
	   "hints": [{"id": 3, "text": "c", "cost": 5}, {"id": 1, "text": "a", "cost": 0}, {"id": 2, "text": "b", "cost": 2}],
	   "requirements": [20], "content": {"files": ["a.txt"]}, "unknown": [1, 2], "author": "me"},
	  {"id": 20, "title": "Twenty", "points": 1, "flag": "x", "hints": null, "requirements": null, "content": null, "testflag": null}
	]`
	chs, err := ParseChallenges("c.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	c := chs[0]
	if c.ID != 10 || c.Title != "Ten" || c.Category != "Web" || c.Difficulty != "Hard" || c.Points != 0 || c.Description != "<b>x</b> 🎉 &amp;" {
		t.Errorf("challenge = %+v", c)
	}
	if ids := []int{c.Hints[0].ID, c.Hints[1].ID, c.Hints[2].ID}; !slices.Equal(ids, []int{1, 2, 3}) || c.Hints[2].Text != "c" || c.Hints[2].Cost != 5 {
		t.Errorf("hints = %+v, want sorted by id", c.Hints)
	}
	if string(c.Content) != `{"files": ["a.txt"]}` {
		t.Errorf("content = %s, want it raw", c.Content)
	}
	if !c.MatchFlag("TEN") || c.MatchFlag("tent") {
		t.Error("flag not compiled as expected")
	}
	d := chs[1]
	if d.Hints != nil || d.Requirements != nil || d.Content != nil || d.TestFlag != "" {
		t.Errorf("nulls = %+v, want absent", d)
	}
}
