package game

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// The reference implementations, transliterated line by line from their
// sources with their float arithmetic, independently of scoring.go.

// refCTFdLinear: CTFd/CTFd, CTFd/plugins/dynamic_challenges/decay.py.
func refCTFdLinear(initial, minimum, decay, solveCount int) int {
	if solveCount != 0 {
		solveCount--
	}
	value := float64(initial) - float64(decay)*float64(solveCount)
	value = math.Ceil(value)
	if value < float64(minimum) {
		value = float64(minimum)
	}
	return int(value)
}

// refCTFdLogarithmic: the same file.
func refCTFdLogarithmic(initial, minimum, decay, solveCount int) int {
	if solveCount != 0 {
		solveCount--
	}
	if decay == 0 {
		decay = 1
	}
	value := (float64(minimum-initial)/float64(decay*decay))*float64(solveCount*solveCount) + float64(initial)
	value = math.Ceil(value)
	if value < float64(minimum) {
		value = float64(minimum)
	}
	return int(value)
}

// refRCTF: redpwn/rctf, server/util/scores.ts.
func refRCTF(rl, rh, maxSolves, solves float64) int {
	const p0, p1 = 0.7, 0.96
	c0 := -math.Atanh(p0)
	c1 := math.Atanh(p1)
	a := func(x float64) float64 { return (1 - math.Tanh(x)) / 2 }
	b := func(x float64) float64 { return (a((c1-c0)*x+c0) - a(c1)) / (a(c0) - a(c1)) }
	s := math.Max(1, maxSolves)
	f := func(x float64) float64 { return rl + (rh-rl)*b(x/s) }
	// JavaScript's Math.round: the nearest integer, halves towards +∞.
	return int(math.Floor(math.Max(f(solves), f(s)) + 0.5))
}

var scoringParams = []struct{ initial, minimum, decay int }{
	{500, 100, 20}, {1000, 50, 7}, {300, 300, 5}, {100, 0, 33}, {100, 0, 1},
	{50, 1, 3}, {1000, 999, 50}, {750, 250, 49}, {999_999, 1, 1_000_000}, {1, 0, 2},
}

// TestScoringMatchesReferences: every function equals its reference for
// n = 0…50 solvers and many parameter sets.
func TestScoringMatchesReferences(t *testing.T) {
	for _, p := range scoringParams {
		for _, tt := range []struct {
			fn  string
			ref func(n int) int
		}{
			{ScoringLinear, func(n int) int { return refCTFdLinear(p.initial, p.minimum, p.decay, n) }},
			{ScoringLogarithmic, func(n int) int { return refCTFdLogarithmic(p.initial, p.minimum, p.decay, n) }},
			{ScoringRCTF, func(n int) int {
				return refRCTF(float64(p.minimum), float64(p.initial), float64(p.decay), float64(n))
			}},
		} {
			s := &Scoring{Type: ScoringDecay, Initial: p.initial, Minimum: p.minimum, Decay: p.decay, Function: tt.fn}
			if err := s.Validate(); err != nil {
				t.Fatalf("%+v: %v", s, err)
			}
			prev := math.MaxInt
			for n := 0; n <= 50; n++ {
				got, want := s.Value(n), tt.ref(n)
				if got != want {
					t.Errorf("%+v: Value(%d) = %d, reference %d", s, n, got, want)
				}
				if got > prev || got < p.minimum || got > p.initial {
					t.Errorf("%+v: Value(%d) = %d after %d: not falling within [minimum, initial]", s, n, got, prev)
				}
				prev = got
			}
			if got := s.Value(0); got != p.initial {
				t.Errorf("%+v: Value(0) = %d, want the initial %d", s, got, p.initial)
			}
		}
	}
}

// TestScoringGolden: values printed by the original programs themselves
// (python3 running decay.py's functions, node running scores.ts's
// getScore), so that the references above cannot share a mistake with
// the code.
func TestScoringGolden(t *testing.T) {
	for _, tt := range []struct {
		s    Scoring
		want []int // for n = 0, 1, 2, …
	}{
		{Scoring{Initial: 500, Minimum: 100, Decay: 20, Function: ScoringLinear},
			[]int{500, 500, 480, 460, 440, 420, 400, 380, 360, 340, 320, 300, 280, 260, 240, 220, 200, 180, 160, 140, 120, 100, 100, 100}},
		{Scoring{Initial: 500, Minimum: 100, Decay: 20, Function: ScoringLogarithmic},
			[]int{500, 500, 499, 496, 491, 484, 475, 464, 451, 436, 419, 400, 379, 356, 331, 304, 275, 244, 211, 176, 139, 100, 100, 100}},
		{Scoring{Initial: 1000, Minimum: 50, Decay: 7, Function: ScoringLogarithmic},
			[]int{1000, 1000, 981, 923, 826, 690, 516, 303, 50, 50}},
		{Scoring{Initial: 100, Minimum: 0, Decay: 33, Function: ScoringLinear},
			[]int{100, 100, 67, 34, 1, 0, 0}},
		{Scoring{Initial: 100, Minimum: 0, Decay: 33, Function: ScoringLogarithmic},
			[]int{100, 100, 100, 100, 100, 99, 98, 97, 96, 95, 93, 91, 89, 87, 85, 83, 80, 77, 74, 71, 67, 64, 60, 56, 52, 48, 43, 38, 34, 29, 23, 18, 12, 6, 1, 0, 0}},
		{Scoring{Initial: 500, Minimum: 100, Decay: 50, Function: ScoringRCTF},
			[]int{500, 493, 485, 477, 468, 458, 448, 438, 426, 415, 403, 390, 377, 364, 350, 337, 323, 310, 297, 283, 271, 258, 246, 234, 223, 213, 203, 193, 184, 176, 169, 161, 155, 149, 143, 138, 134, 129, 126, 122, 119, 116, 113, 111, 109, 107, 105, 104, 102, 101, 100, 100, 100}},
		{Scoring{Initial: 1000, Minimum: 50, Decay: 10, Function: ScoringRCTF},
			[]int{1000, 901, 769, 613, 455, 318, 213, 141, 95, 67, 50, 50}},
		{Scoring{Initial: 100, Minimum: 1, Decay: 7, Function: ScoringRCTF},
			[]int{100, 84, 62, 39, 21, 10, 4, 1, 1}},
		{Scoring{Initial: 500, Minimum: 0, Decay: 1, Function: ScoringRCTF},
			[]int{500, 0, 0}},
		{Scoring{Initial: 500, Minimum: 100, Decay: 200, Function: ScoringRCTF},
			[]int{500, 498, 496, 495, 493, 491, 489, 487, 485, 483, 481, 479, 477, 475, 472, 470, 468, 465, 463, 461, 458, 456, 453, 451, 448, 446, 443, 440, 438, 435, 432, 429, 426, 424, 421, 418, 415, 412, 409, 406, 403, 399, 396, 393, 390, 387, 384, 380, 377, 374, 370, 367, 364, 361, 357, 354, 350, 347, 344, 340, 337}},
	} {
		tt.s.Type = ScoringDecay
		got := make([]int, len(tt.want))
		for n := range got {
			got[n] = tt.s.Value(n)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%+v:\n got %v\nwant %v", tt.s, got, tt.want)
		}
	}
}

// TestScoringEdges: huge solver counts neither overflow nor wrap, a
// negative count counts as none, and a challenge without scoring is
// worth its points.
func TestScoringEdges(t *testing.T) {
	for _, fn := range ScoringFunctions {
		s := &Scoring{Type: ScoringDecay, Initial: 1_000_000, Minimum: 7, Decay: MaxScoringDecay, Function: fn}
		for _, n := range []int{1 << 31, 1 << 40, math.MaxInt32 * 3, math.MaxInt} {
			if got := s.Value(n); got != 7 {
				t.Errorf("%s: Value(%d) = %d, want the minimum 7", fn, n, got)
			}
		}
		if got := s.Value(-5); got != 1_000_000 {
			t.Errorf("%s: Value(-5) = %d, want the initial", fn, got)
		}
		ch := &Challenge{Points: 123, Scoring: s}
		if ch.Value(0) != 1_000_000 || ch.Value(1<<40) != 7 {
			t.Errorf("%s: Challenge.Value does not follow its scoring", fn)
		}
	}
	if got := (&Scoring{Initial: 500, Minimum: 100, Decay: 1, Function: ScoringLinear}).Value(math.MaxInt); got != 100 {
		t.Errorf("linear with the largest count: %d", got)
	}
	if got := (&Scoring{Initial: 500, Minimum: 100, Decay: 20, Function: "nope"}).Value(10); got != 500 {
		t.Errorf("unknown function: %d, want the initial", got)
	}
	ch := &Challenge{Points: 123}
	for _, n := range []int{0, 1, 1000} {
		if got := ch.Value(n); got != 123 {
			t.Errorf("static challenge: Value(%d) = %d, want its points", n, got)
		}
	}
}

func TestScoringValidate(t *testing.T) {
	ok := Scoring{Type: ScoringDecay, Initial: 500, Minimum: 100, Decay: 20, Function: ScoringLinear}
	for _, tt := range []struct {
		name string
		edit func(*Scoring)
		want string // "" = valid
	}{
		{"valid", func(*Scoring) {}, ""},
		{"minimum 0", func(s *Scoring) { s.Minimum = 0 }, ""},
		{"minimum = initial", func(s *Scoring) { s.Minimum = 500 }, ""},
		{"rctf", func(s *Scoring) { s.Function = ScoringRCTF }, ""},
		{"logarithmic", func(s *Scoring) { s.Function = ScoringLogarithmic }, ""},
		{"largest decay", func(s *Scoring) { s.Decay = MaxScoringDecay }, ""},
		{"type", func(s *Scoring) { s.Type = "dynamic" }, `type must be "decay", got "dynamic"`},
		{"no type", func(s *Scoring) { s.Type = "" }, `type must be "decay", got ""`},
		{"initial 0", func(s *Scoring) { s.Initial = 0 }, "initial must be > 0, got 0"},
		{"negative minimum", func(s *Scoring) { s.Minimum = -1 }, "minimum must be ≥ 0, got -1"},
		{"minimum > initial", func(s *Scoring) { s.Minimum = 501 }, "minimum (501) must not exceed initial (500)"},
		{"decay 0", func(s *Scoring) { s.Decay = 0 }, "decay must be > 0, got 0"},
		{"decay too large", func(s *Scoring) { s.Decay = MaxScoringDecay + 1 }, "decay must be ≤ 1000000"},
		{"function", func(s *Scoring) { s.Function = "exp" }, `function must be "linear", "logarithmic" or "rctf", got "exp"`},
	} {
		s := ok
		tt.edit(&s)
		err := s.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestFirstBloodPoints(t *testing.T) {
	bonus := []int{5, 3, 1}
	for _, tt := range []struct{ value, place, want int }{
		{500, 1, 25}, {500, 2, 15}, {500, 3, 5}, {500, 4, 0}, {500, 0, 0}, {500, -1, 0},
		{99, 1, 4}, // 4.95 rounds down
		{99, 3, 0}, // 0.99 rounds down
		{0, 1, 0},
	} {
		if got := FirstBloodPoints(tt.value, tt.place, bonus); got != tt.want {
			t.Errorf("FirstBloodPoints(%d, %d, %v) = %d, want %d", tt.value, tt.place, bonus, got, tt.want)
		}
	}
	if got := FirstBloodPoints(500, 1, nil); got != 0 {
		t.Errorf("no bonus configured: %d", got)
	}
	if got := FirstBloodPoints(300, 1, []int{1000}); got != 3000 {
		t.Errorf("1000%%: %d", got)
	}
	if got := FirstBloodPoints(300, 2, []int{10, 0, 5}); got != 0 {
		t.Errorf("0%% place: %d", got)
	}
}
