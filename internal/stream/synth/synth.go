// Package synth builds a plausible finished game for scorestream tests and
// benchmarks: players with display names, solves and hint purchases, folded
// into the scoreboard, the leaders' series and the latest events the way
// the engine folds the real event log.
package synth

import (
	"math/rand/v2"
	"sort"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/stream"
)

// Params describe the game to build.
type Params struct {
	Players    int
	Challenges int
	Events     int   // total events: one rename per player, then solves and hints
	Leaders    int   // players with a series (top N); 0 = 10
	Latest     int   // latest events kept in the snapshot; 0 = 25 (as the server)
	Seed       int64 // same seed, same game
}

// Game returns the snapshot of the game described by p.
func Game(p Params) stream.Snapshot {
	if p.Leaders <= 0 {
		p.Leaders = 10
	}
	if p.Latest <= 0 {
		p.Latest = 25
	}
	rng := rand.New(rand.NewPCG(uint64(p.Seed), 0x5eed))
	type chal struct {
		title  string
		points int
	}
	chals := make([]chal, p.Challenges)
	for i := range chals {
		chals[i] = chal{title: name(rng, 8, 24), points: 50 * (1 + rng.IntN(10))}
	}
	type player struct {
		id       int64
		name     string
		skill    float64
		score    int
		solved   []bool
		solves   int
		hints    int
		lastTS   int64
		series   [][2]int64
		finished bool
	}
	players := make([]*player, p.Players)
	for i := range players {
		players[i] = &player{id: int64(i + 1), name: name(rng, 4, 16), skill: rng.Float64(), solved: make([]bool, p.Challenges)}
	}
	var events []stream.Event
	ts := int64(1700000000000)
	id := int64(0)
	emit := func(e stream.Event) {
		id++
		ts += int64(rng.IntN(2000))
		e.ID, e.TS = id, ts
		events = append(events, e)
	}
	for _, pl := range players {
		emit(stream.Event{Type: "rename", PlayerID: pl.id, DisplayName: pl.name})
	}
	open := len(players)
	for len(events) < p.Events && open > 0 {
		pl := players[rng.IntN(len(players))]
		if pl.finished || rng.Float64() > pl.skill {
			continue
		}
		c := -1
		for j, s := range pl.solved {
			if !s {
				c = j
				break
			}
		}
		if c < 0 {
			pl.finished = true
			open--
			continue
		}
		if rng.IntN(6) == 0 && pl.score >= 50 {
			cost := 10 * (1 + rng.IntN(5))
			pl.score -= cost
			pl.hints++
			emit(stream.Event{Type: "hint", PlayerID: pl.id, DisplayName: pl.name, ChallengeID: c + 1,
				Challenge: chals[c].title, HintID: 1, Points: -cost})
		} else {
			pl.solved[c] = true
			pl.solves++
			pl.score += chals[c].points
			emit(stream.Event{Type: "score", PlayerID: pl.id, DisplayName: pl.name, ChallengeID: c + 1,
				Challenge: chals[c].title, Points: chals[c].points})
			pl.lastTS = ts
		}
		pl.series = append(pl.series, [2]int64{ts, int64(pl.score)})
	}

	ranked := append([]*player(nil), players...)
	sort.SliceStable(ranked, func(i, j int) bool {
		a, b := ranked[i], ranked[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if a.lastTS != b.lastTS {
			return a.lastTS < b.lastTS
		}
		return a.id < b.id
	})
	snap := stream.Snapshot{LastID: id}
	for i, pl := range ranked {
		snap.Players = append(snap.Players, game.Standing{PlayerID: pl.id, DisplayName: pl.name,
			Score: pl.score, Solves: pl.solves, LastSolveTS: pl.lastTS})
		if i < p.Leaders {
			snap.Series = append(snap.Series, game.Series{PlayerID: pl.id, DisplayName: pl.name, Points: pl.series})
		}
	}
	snap.Events = events[max(0, len(events)-p.Latest):]
	return snap
}

// name returns a pronounceable name of min to max letters, capitalized,
// sometimes with a space: like the names players choose.
func name(rng *rand.Rand, minLen, maxLen int) string {
	const cons, vows = "bcdfghjklmnprstvwz", "aeiou"
	n := minLen + rng.IntN(maxLen-minLen+1)
	b := make([]byte, 0, n)
	for len(b) < n {
		if len(b) > 3 && len(b) < n-2 && rng.IntN(8) == 0 {
			b = append(b, ' ')
		}
		b = append(b, cons[rng.IntN(len(cons))], vows[rng.IntN(len(vows))])
	}
	b = b[:n]
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}
