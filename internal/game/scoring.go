package game

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Scoring is a challenge's dynamic scoring ("scoring" in challenges.json):
// its value falls from Initial towards Minimum as solvers come, by
// Function ("linear" or "logarithmic", CTFd's formulas, or "rctf", rCTF's
// default curve) with Decay as the formula's parameter. Every solver
// holds the current value (retroactive).
type Scoring struct {
	Type     string `json:"type"` // "decay"
	Initial  int    `json:"initial"`
	Minimum  int    `json:"minimum"`
	Decay    int    `json:"decay"`
	Function string `json:"function"`
}

// The values of Scoring.Type and Scoring.Function.
const (
	ScoringDecay = "decay" // the only type so far; the field leaves room for others

	// ScoringLinear is CTFd's "linear": every solver after the first
	// takes Decay points off the value.
	ScoringLinear = "linear"
	// ScoringLogarithmic is CTFd's "logarithmic" (a parabola despite the
	// name): the value reaches Minimum at the (Decay+1)-th solver.
	ScoringLogarithmic = "logarithmic"
	// ScoringRCTF is rCTF's default curve, a tanh-shaped fall that
	// reaches Minimum at Decay solvers.
	ScoringRCTF = "rctf"
)

// MaxScoringDecay bounds Scoring.Decay so that Decay² is exact in the
// float64 arithmetic the formulas share with their Python and JavaScript
// originals.
const MaxScoringDecay = 1_000_000

// ScoringFunctions lists the accepted values of Scoring.Function.
var ScoringFunctions = []string{ScoringLinear, ScoringLogarithmic, ScoringRCTF}

// Validate checks s: Type "decay", Initial > 0, 0 ≤ Minimum ≤ Initial,
// 0 < Decay ≤ MaxScoringDecay and a known Function. It returns the first
// problem found, naming the field.
func (s *Scoring) Validate() error {
	switch {
	case s.Type != ScoringDecay:
		return fmt.Errorf("type must be %q, got %q", ScoringDecay, s.Type)
	case s.Initial <= 0:
		return fmt.Errorf("initial must be > 0, got %d", s.Initial)
	case s.Minimum < 0:
		return fmt.Errorf("minimum must be ≥ 0, got %d", s.Minimum)
	case s.Minimum > s.Initial:
		return fmt.Errorf("minimum (%d) must not exceed initial (%d)", s.Minimum, s.Initial)
	case s.Decay <= 0:
		return fmt.Errorf("decay must be > 0, got %d", s.Decay)
	case s.Decay > MaxScoringDecay:
		return fmt.Errorf("decay must be ≤ %d, got %d", MaxScoringDecay, s.Decay)
	}
	for _, f := range ScoringFunctions {
		if s.Function == f {
			return nil
		}
	}
	return errors.New("function must be " + quotedList(ScoringFunctions) + ", got " + fmt.Sprintf("%q", s.Function))
}

func quotedList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// Value is the challenge's value when it has solvers solvers: what every
// one of them holds (solvers ≥ 1), or what is shown before anyone solved
// (solvers = 0, which is Initial for every function). The result never
// falls below Minimum. An unknown Function is worth Initial.
func (s *Scoring) Value(solvers int) int {
	solvers = max(solvers, 0)
	switch s.Function {
	case ScoringLinear:
		return s.linear(solvers)
	case ScoringLogarithmic:
		return s.logarithmic(solvers)
	case ScoringRCTF:
		return s.rctf(solvers)
	}
	return s.Initial
}

// ctfdCount is CTFd's adjusted solve count: one less than the solvers, so
// that the first solver gets the initial value, and 0 for none.
func ctfdCount(solvers int) int {
	if solvers == 0 {
		return 0
	}
	return solvers - 1
}

// linear is CTFd's linear decay (CTFd/CTFd,
// CTFd/plugins/dynamic_challenges/decay.py, linear):
//
//	value = ceil(initial - decay*solve_count), at least minimum
//
// with solve_count = solvers-1 (0 for none). All integers there, so the
// ceil changes nothing; here the product is kept from overflowing.
func (s *Scoring) linear(solvers int) int {
	k := ctfdCount(solvers)
	if s.Decay <= 0 {
		return max(s.Initial, s.Minimum) // no decay: the value never moves
	}
	drop := s.Initial - s.Minimum
	if drop < 0 || k > drop/s.Decay {
		// decay*k > initial-minimum: below the minimum.
		return s.Minimum
	}
	return max(s.Initial-s.Decay*k, s.Minimum)
}

// logarithmic is CTFd's "logarithmic" decay, a parabola (CTFd/CTFd,
// CTFd/plugins/dynamic_challenges/decay.py, logarithmic):
//
//	value = ceil(((minimum - initial) / decay**2) * solve_count**2 + initial),
//	at least minimum
//
// in float64 with the same operations in the same order (Python's
// true division of two exact integers is the IEEE quotient), with
// solve_count = solvers-1 (0 for none) and a decay of 0 taken as 1.
func (s *Scoring) logarithmic(solvers int) int {
	k := float64(ctfdCount(solvers))
	decay := float64(max(s.Decay, 1))
	v := float64(s.Minimum-s.Initial)/(decay*decay)*(k*k) + float64(s.Initial)
	v = math.Ceil(v)
	if v < float64(s.Minimum) { // compared as floats: a huge fall must not overflow int
		return s.Minimum
	}
	return int(v)
}

// rCTF's curve constants (redpwn/rctf, server/util/scores.ts).
var (
	rctfC0 = -math.Atanh(0.7)
	rctfC1 = math.Atanh(0.96)
)

func rctfA(x float64) float64 { return (1 - math.Tanh(x)) / 2 }

func rctfB(x float64) float64 {
	return (rctfA((rctfC1-rctfC0)*x+rctfC0) - rctfA(rctfC1)) / (rctfA(rctfC0) - rctfA(rctfC1))
}

// rctf is rCTF's default score curve (redpwn/rctf, server/util/scores.ts,
// getScore(rl, rh, maxSolves, solves)):
//
//	s = max(1, maxSolves)
//	f(x) = rl + (rh - rl) * b(x / s)
//	value = round(max(f(solves), f(s)))
//
// where b falls from 1 at 0 to 0 at 1 along a tanh, rl is Minimum and rh
// Initial. rCTF takes maxSolves as the solve count of the most solved
// challenge of the whole game, so every value moves when any challenge is
// solved; here Decay stands for it, fixed per challenge, so that a
// challenge's value depends on its own solvers only: it reaches Minimum
// at Decay solvers. Unlike CTFd there is no -1: one solver already lowers
// the value. Go's math.Tanh and math.Atanh may differ from V8's in the
// last bit, which changes a result only on an exact .5 boundary.
func (s *Scoring) rctf(solvers int) int {
	rl, rh := float64(s.Minimum), float64(s.Initial)
	maxSolves := float64(max(1, s.Decay))
	f := func(x float64) float64 { return rl + (rh-rl)*rctfB(x/maxSolves) }
	// JavaScript's Math.round rounds halves up; for these non-negative
	// values math.Round (halves away from zero) is the same.
	return int(math.Round(math.Max(f(float64(solvers)), f(maxSolves))))
}

// Value is the challenge's value with solvers solvers: Points for a
// static challenge, else its Scoring's value (see Scoring.Value).
func (c *Challenge) Value(solvers int) int {
	if c.Scoring == nil {
		return c.Points
	}
	return c.Scoring.Value(solvers)
}

// MaxFirstBloodPlaces is how many first solvers of a challenge may get a
// bonus (CTFG_FIRST_BLOOD_BONUS), and MaxFirstBloodPercent the largest
// bonus of one place, in percent of the challenge's value.
const (
	MaxFirstBloodPlaces  = 3
	MaxFirstBloodPercent = 1000
)

// FirstBloodPoints is the bonus of the place-th solver of a challenge
// (1-based) worth value: bonus[place-1] percent of value, rounded down;
// 0 for a place without a bonus.
func FirstBloodPoints(value, place int, bonus []int) int {
	if place < 1 || place > len(bonus) || value <= 0 || bonus[place-1] <= 0 {
		return 0
	}
	return value * bonus[place-1] / 100
}
