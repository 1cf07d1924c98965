// Package game holds the rules of a ctfg competition and nothing else:
// challenges, players, events, availability, flag checks, hints, scoring,
// ranking, display names and description placeholders. The in-memory State
// is a fold over the event log. This package imports neither net/http nor
// database/sql.
package game

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// MaxGuessLen bounds the flag guesses that are matched at all (bytes, after
// trimming). Longer guesses are simply incorrect; RE2 is linear in the
// input, so this bounds the work per guess.
const MaxGuessLen = 4096

// Hint is one purchasable hint of a challenge. IDs give the purchase order.
type Hint struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
	Cost int    `json:"cost"`
}

// Challenge is one entry of challenges.json.
type Challenge struct {
	ID           int             `json:"id"`
	Title        string          `json:"title"`
	Category     string          `json:"category"`
	Difficulty   string          `json:"difficulty"`
	Points       int             `json:"points"`
	Description  string          `json:"description"`
	Flag         string          `json:"flag"`
	TestFlag     string          `json:"testflag,omitempty"`
	Hints        []Hint          `json:"hints,omitempty"`
	Requirements []int           `json:"requirements,omitempty"`
	Content      json.RawMessage `json:"content,omitempty"`
	// Scoring, when set, makes the challenge's value fall with its number
	// of solvers (dynamic scoring); nil: it is worth Points. The game-wide
	// setting is copied into every challenge without one at load time.
	Scoring *Scoring `json:"scoring,omitempty"`
	// Release, when set, is the time the challenge appears (RFC 3339 with
	// a zone in challenges.json; ignored by the old engine). Before it the
	// challenge is hidden unless the admin released it early.
	Release *time.Time `json:"release,omitempty"`

	re *regexp.Regexp
}

// Compile compiles the challenge's flag expression. It must be called
// before MatchFlag; Catalog construction does it for every challenge.
func (c *Challenge) Compile() error {
	re, err := regexp.Compile(c.Flag)
	if err != nil {
		return fmt.Errorf("flag does not compile: %w", err)
	}
	c.re = re
	return nil
}

// MatchFlag reports whether guess (already trimmed) is a correct flag: the
// challenge's regular expression matches it exactly once, the old engine's
// rule. Go's RE2 engine runs in time linear in the input, so an attacker's
// guess cannot make it hang.
func (c *Challenge) MatchFlag(guess string) bool {
	if c.re == nil || len(guess) > MaxGuessLen {
		return false
	}
	return len(c.re.FindAllStringIndex(guess, 2)) == 1
}

// Hint returns the hint with the given id and its position in the
// purchase order.
func (c *Challenge) Hint(id int) (Hint, int, bool) {
	for i, h := range c.Hints {
		if h.ID == id {
			return h, i, true
		}
	}
	return Hint{}, -1, false
}
