// Package gamefile reads and validates a game directory — credentials.csv,
// challenges.json, game-clusters.yaml, .env and the banner image — into
// game types. Every problem is reported as one line naming the file, the
// line or JSON path, and what is wrong (see Error). It also writes the
// sample game of "ctfg init" (WriteSample).
package gamefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/game"
)

// Names of the files of a game directory.
const (
	CredentialsFile = "credentials.csv"
	ChallengesFile  = "challenges.json"
	ClustersFile    = "game-clusters.yaml"
	EnvFile         = ".env"
	BannerJPG       = "images/banner.jpg"
	BannerPNG       = "images/banner.png"
)

// Game is a loaded and validated game directory.
type Game struct {
	Dir string
	// Users are the players of credentials.csv in file order, with ID 0:
	// the store assigns ids.
	Users []game.User
	// Challenges are in file order, compiled, with hints sorted by id.
	Challenges []*game.Challenge
	// Clusters is nil when game-clusters.yaml is absent.
	Clusters *Clusters
	// Env holds the variables of .env (nil when absent). Load does not
	// touch the process environment: the caller decides precedence.
	Env map[string]string
	// Banner is the path of images/banner.jpg, else images/banner.png,
	// else "" (the built-in banner).
	Banner string
	// ChallengesPath is the challenges file that was read.
	ChallengesPath string
}

// Load reads and validates the game directory dir. challengesPath, when
// not "", replaces dir/challenges.json (the command line's positional
// argument). credentials.csv and the challenges file are required; the
// other files are optional. Load reports every problem it finds, in every
// file, as an ErrorList (or a single *Error); errors.Is(err,
// fs.ErrNotExist) tells a missing required file.
func Load(dir, challengesPath string) (*Game, error) {
	if challengesPath == "" {
		challengesPath = filepath.Join(dir, ChallengesFile)
	}
	g := &Game{Dir: dir, ChallengesPath: challengesPath}
	if st, err := os.Stat(dir); err != nil {
		return nil, fileError(dir, err)
	} else if !st.IsDir() {
		return nil, &Error{File: dir, Msg: "not a directory"}
	}
	var c collector
	var err error
	if g.Users, err = LoadCredentials(filepath.Join(dir, CredentialsFile)); err != nil {
		c.addAll(requiredFile(err))
	}
	if g.Challenges, err = LoadChallenges(challengesPath); err != nil {
		c.addAll(requiredFile(err))
	}
	clPath := filepath.Join(dir, ClustersFile)
	if g.Clusters, err = LoadClusters(clPath); errors.Is(err, fs.ErrNotExist) {
		g.Clusters = nil
	} else if err != nil {
		c.addAll(err)
	}
	if g.Env, err = LoadEnv(filepath.Join(dir, EnvFile)); errors.Is(err, fs.ErrNotExist) {
		g.Env = nil
	} else if err != nil {
		c.addAll(err)
	}
	if g.Challenges != nil && !hasClustersProblem(c.list, clPath) {
		if err := CheckPlaceholders(challengesPath, g.Challenges, g.Clusters); err != nil {
			c.addAll(err)
		}
	}
	for _, name := range []string{BannerJPG, BannerPNG} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			g.Banner = p
			break
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return g, nil
}

// hasClustersProblem reports whether the clusters file itself was broken,
// in which case the placeholders are not checked against its absence.
func hasClustersProblem(list ErrorList, clPath string) bool {
	for _, e := range list {
		if e.File == clPath {
			return true
		}
	}
	return false
}

// CheckPlaceholders checks that the cluster placeholders used in the
// descriptions, hints and content of chs (as returned by LoadChallenges,
// in file order) can be filled: @CONTROL_CLUSTER@ needs a clusters file,
// @PLAYER_CLUSTER@ one with at least one player cluster. cl is nil when
// game-clusters.yaml is absent; file names the challenges file in errors.
func CheckPlaceholders(file string, chs []*game.Challenge, cl *Clusters) error {
	var c collector
	check := func(i int, ch *game.Challenge, path, text string) {
		for _, ph := range []string{ControlClusterPlaceholder, PlayerClusterPlaceholder} {
			if !strings.Contains(text, ph) {
				continue
			}
			switch {
			case cl == nil:
				c.add(&Error{File: file, Path: fmt.Sprintf("[%d].%s", i, path), ChallengeID: ch.ID,
					Msg: fmt.Sprintf("uses %s but %s is missing", ph, ClustersFile)})
			case ph == PlayerClusterPlaceholder && len(cl.Players) == 0:
				c.add(&Error{File: file, Path: fmt.Sprintf("[%d].%s", i, path), ChallengeID: ch.ID,
					Msg: fmt.Sprintf("uses %s but %s lists no player_clusters", ph, ClustersFile)})
			case ph == ControlClusterPlaceholder && cl.Control == "":
				c.add(&Error{File: file, Path: fmt.Sprintf("[%d].%s", i, path), ChallengeID: ch.ID,
					Msg: fmt.Sprintf("uses %s but %s has no control_cluster", ph, ClustersFile)})
			}
		}
	}
	for i, ch := range chs {
		check(i, ch, "description", ch.Description)
		for j, h := range ch.Hints {
			check(i, ch, fmt.Sprintf("hints[%d].text", j), h.Text)
		}
		check(i, ch, "content", string(ch.Content))
	}
	return c.err()
}

// requiredFile adds advice to the error for a missing required file.
func requiredFile(err error) error {
	var e *Error
	if errors.As(err, &e) && errors.Is(err, fs.ErrNotExist) {
		e.Msg = "file not found: every game needs one (\"ctfg init DIR\" writes a sample game)"
	}
	return err
}

var utf8BOM = []byte("\xef\xbb\xbf")

// fileError describes a file that cannot be read.
func fileError(path string, err error) *Error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{File: path, Msg: "file not found", Err: err}
	case errors.Is(err, fs.ErrPermission):
		return &Error{File: path, Msg: "permission denied", Err: err}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &Error{File: path, Msg: pe.Err.Error(), Err: err}
	}
	return &Error{File: path, Msg: err.Error(), Err: err}
}

// invalidUTF8Line returns the line of the first invalid UTF-8 sequence.
func invalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}
