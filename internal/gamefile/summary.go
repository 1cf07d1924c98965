package gamefile

import (
	"log/slog"
	"slices"
	"strconv"
	"strings"
)

// Summary describes a loaded game in numbers, for "ctfg check" and the
// server's start-up log. It holds no secret: no password, no token, no
// flag, and of .env only the names of the variables.
type Summary struct {
	Challenges      int
	Categories      []CategoryCount // in order of first appearance
	Points          int             // sum of the points (initial values) of every challenge
	Hints           int
	HintCosts       int // sum of the costs of every hint
	FreeHints       int
	WithTestFlag    int // challenges with a testflag (the emulator needs one)
	Locked          int // challenges with requirements
	Dynamic         int // challenges with a "scoring" of their own
	Released        int // challenges with a "release" time
	Players         int
	HashedPasswords int // players whose password is a bcrypt hash
	Clusters        bool
	ControlCluster  string
	PlayerClusters  int
	Env             bool
	EnvKeys         []string // sorted names only, never values
	Banner          string   // path of the banner image, "" for the built-in one
	// Warnings are things that load but that an organizer probably wants
	// to fix, one line each.
	Warnings []string
}

// CategoryCount is the number of challenges in one category.
type CategoryCount struct {
	Name   string // "" for challenges without a category
	Count  int
	Points int
}

// Summary returns the numbers of g and the warnings about it.
func (g *Game) Summary() Summary {
	s := Summary{
		Challenges: len(g.Challenges),
		Players:    len(g.Users),
		Clusters:   g.Clusters != nil,
		Env:        g.Env != nil,
		Banner:     g.Banner,
	}
	cat := map[string]int{}
	var noTestflag []string
	for _, ch := range g.Challenges {
		i, ok := cat[ch.Category]
		if !ok {
			i = len(s.Categories)
			cat[ch.Category] = i
			s.Categories = append(s.Categories, CategoryCount{Name: ch.Category})
		}
		s.Categories[i].Count++
		// A dynamic challenge counts with its value before any solve.
		s.Categories[i].Points += ch.Value(0)
		s.Points += ch.Value(0)
		for _, h := range ch.Hints {
			s.Hints++
			s.HintCosts += h.Cost
			if h.Cost == 0 {
				s.FreeHints++
			}
		}
		if ch.TestFlag != "" {
			s.WithTestFlag++
		} else {
			noTestflag = append(noTestflag, strconv.Itoa(ch.ID))
		}
		if len(ch.Requirements) > 0 {
			s.Locked++
		}
		if ch.Scoring != nil {
			s.Dynamic++
		}
		if ch.Release != nil {
			s.Released++
		}
		if !strings.Contains(ch.Flag, "^") || !strings.Contains(ch.Flag, "$") {
			s.Warnings = append(s.Warnings, "challenge "+strconv.Itoa(ch.ID)+": the flag is not anchored with ^…$, so a guess that merely contains the answer is accepted")
		}
	}
	if len(noTestflag) > 0 {
		s.Warnings = append(s.Warnings, "no testflag for challenge(s) "+strings.Join(noTestflag, ", ")+": the emulator cannot solve them")
	}
	if g.Challenges != nil && s.Locked == len(g.Challenges) {
		s.Warnings = append(s.Warnings, "every challenge has requirements: no challenge is available at the start")
	}
	for _, u := range g.Users {
		if IsBcryptHash(u.Password) {
			s.HashedPasswords++
		}
	}
	if g.Clusters != nil {
		s.ControlCluster = g.Clusters.Control
		s.PlayerClusters = len(g.Clusters.Players)
	}
	for k := range g.Env {
		s.EnvKeys = append(s.EnvKeys, k)
	}
	slices.Sort(s.EnvKeys)
	return s
}

// LogValue makes a Summary log as a group of its main numbers.
func (s Summary) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("challenges", s.Challenges),
		slog.Int("categories", len(s.Categories)),
		slog.Int("points", s.Points),
		slog.Int("hints", s.Hints),
		slog.Int("hint_costs", s.HintCosts),
		slog.Int("dynamic", s.Dynamic),
		slog.Int("released", s.Released),
		slog.Int("players", s.Players),
		slog.Bool("clusters", s.Clusters),
		slog.Bool("env", s.Env),
		slog.String("banner", s.Banner),
	)
}
