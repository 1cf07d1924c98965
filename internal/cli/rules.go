package cli

import (
	"os"
	"path/filepath"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/gamefile"
)

// gameSettings returns the settings lookup of a game directory: the process
// environment first, then the game's .env.
func gameSettings(gameDir string) (func(string) string, error) {
	env := map[string]string{}
	if envPath := filepath.Join(gameDir, ".env"); fileExists(envPath) {
		var err error
		if env, err = gamefile.LoadEnv(envPath); err != nil {
			return nil, err
		}
	}
	return func(key string) string {
		if v, ok := os.LookupEnv(key); ok {
			return v
		}
		return env[key]
	}, nil
}

// gameRules reads the rules that change how the log is folded (the
// clock and the freeze, the reveal, practice, the first-blood bonus) from
// the settings, as serve does, for the tools that fold a game's log
// without serving it.
func gameRules(getenv func(string) string) (game.Rules, error) {
	clock, err := resolveClock(getenv, "", "", "")
	if err != nil {
		return game.Rules{}, err
	}
	play, err := resolvePlay(getenv, playFlags{})
	if err != nil {
		return game.Rules{}, err
	}
	return game.Rules{Start: clock.Start.At, End: clock.End.At, Freeze: clock.Freeze.At,
		RevealAtEnd: play.RevealAtEnd, Practice: play.Practice, FirstBloodBonus: play.FirstBlood}, nil
}
