package gamefile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ctfg/ctfg/internal/game"
)

// GameScoring is the game-wide dynamic scoring of CTFG_SCORING: every
// challenge without a "scoring" of its own falls from its points by
// Function, with Decay as the formula's parameter, down to Minimum
// points, or to Minimum percent of its points when MinimumPercent.
type GameScoring struct {
	Function       string // game.ScoringLinear, ScoringLogarithmic or ScoringRCTF
	Minimum        int
	MinimumPercent bool
	Decay          int
}

// scoringSyntax is the form of CTFG_SCORING, for error messages.
const scoringSyntax = "FUNCTION:minimum=N,decay=N (FUNCTION linear, logarithmic or rctf; minimum in points or N%% of each challenge's points), e.g. logarithmic:minimum=20%%,decay=30"

// ParseGameScoring parses the value of CTFG_SCORING:
//
//	FUNCTION:minimum=N,decay=N
//
// FUNCTION is linear, logarithmic or rctf (see game.Scoring); minimum is
// in points, or in percent of each challenge's points when written N%
// (0–100); decay is the formula's parameter (1–game.MaxScoringDecay).
// Spaces around the parts are ignored. "", "static" and "off" mean no
// game-wide scoring: it returns nil, nil. The error describes the
// problem without naming the variable (the caller knows where it came
// from).
func ParseGameScoring(v string) (*GameScoring, error) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "static", "off":
		return nil, nil
	}
	fn, params, ok := strings.Cut(v, ":")
	if !ok {
		return nil, fmt.Errorf("%q is not "+scoringSyntax, v)
	}
	gs := &GameScoring{Function: strings.ToLower(strings.TrimSpace(fn))}
	if !slices.Contains(game.ScoringFunctions, gs.Function) {
		return nil, fmt.Errorf("unknown function %q in %q: use linear, logarithmic or rctf", strings.TrimSpace(fn), v)
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(params, ",") {
		key, val, ok := strings.Cut(part, "=")
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if !ok || key == "" {
			return nil, fmt.Errorf("%q is not "+scoringSyntax, v)
		}
		if seen[key] {
			return nil, fmt.Errorf("%s is given twice in %q", key, v)
		}
		seen[key] = true
		switch key {
		case "minimum":
			num, pct := strings.CutSuffix(val, "%")
			n, err := strconv.Atoi(strings.TrimSpace(num))
			switch {
			case err != nil || n < 0:
				return nil, fmt.Errorf("minimum must be a whole number ≥ 0 of points, or a percent such as 20%%, got %q", val)
			case pct && n > 100:
				return nil, fmt.Errorf("minimum must be at most 100%%, got %q", val)
			case !pct && n > MaxPoints:
				return nil, fmt.Errorf("minimum must be at most %d points, got %q", MaxPoints, val)
			}
			gs.Minimum, gs.MinimumPercent = n, pct
		case "decay":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > game.MaxScoringDecay {
				return nil, fmt.Errorf("decay must be a whole number from 1 to %d, got %q", game.MaxScoringDecay, val)
			}
			gs.Decay = n
		default:
			return nil, fmt.Errorf("unknown setting %q in %q: the settings are minimum and decay", key, v)
		}
	}
	for _, key := range []string{"minimum", "decay"} {
		if !seen[key] {
			return nil, fmt.Errorf("%s is missing in %q: the form is "+scoringSyntax, key, v)
		}
	}
	return gs, nil
}

// String is gs in the syntax of CTFG_SCORING.
func (gs *GameScoring) String() string {
	pct := ""
	if gs.MinimumPercent {
		pct = "%"
	}
	return fmt.Sprintf("%s:minimum=%d%s,decay=%d", gs.Function, gs.Minimum, pct, gs.Decay)
}

// For returns the scoring of a challenge worth points under gs: Initial
// is the points; a minimum in percent is rounded down, and a minimum above
// the points is lowered to them (such a challenge keeps its points). It
// returns nil for a challenge worth 0, which has nothing to lose.
func (gs *GameScoring) For(points int) *game.Scoring {
	if points <= 0 {
		return nil
	}
	minimum := gs.Minimum
	if gs.MinimumPercent {
		minimum = points * gs.Minimum / 100
	}
	return &game.Scoring{
		Type:     game.ScoringDecay,
		Function: gs.Function,
		Initial:  points,
		Minimum:  min(minimum, points),
		Decay:    gs.Decay,
	}
}

// ApplyScoring gives every challenge of chs without a "scoring" of its
// own the game-wide scoring gs (see GameScoring.For). A nil gs changes
// nothing. Call it wherever challenges are loaded for play: at start and
// on a developer-mode reload.
func ApplyScoring(chs []*game.Challenge, gs *GameScoring) {
	if gs == nil {
		return
	}
	for _, ch := range chs {
		if ch.Scoring == nil {
			ch.Scoring = gs.For(ch.Points)
		}
	}
}
