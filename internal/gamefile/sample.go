package gamefile

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
)

// sampleFS holds the files of the sample game that are the same for every
// "ctfg init"; the credentials and tokens are generated.
//
//go:embed sample/*
var sampleFS embed.FS

// SamplePlayers are the usernames of the sample game, in file order.
var SamplePlayers = []string{"alice", "bob", "carol", "dave", "erin"}

// Sizes of the generated secrets.
const (
	sampleTokenBytes    = 32 // random bytes per API/admin token (64 hex digits)
	samplePasswordGroup = 4  // characters per group of a sample password
	samplePasswordParts = 3  // groups per sample password (about 59 bits)
)

// passwordAlphabet leaves out characters that are easy to confuse
// (0/o, 1/l/i) so that passwords can be read aloud and typed.
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

type sampleFile struct {
	name string
	perm os.FileMode
	data []byte
}

// WriteSample writes a complete, playable sample game into dir (created
// if missing): challenges.json, credentials.csv with freshly generated
// passwords, .env with freshly generated CTFG_API_TOKEN and
// CTFG_ADMIN_TOKEN, and README.txt. Files holding secrets get mode 0600.
//
// It never overwrites anything: if any of the files exists, it fails
// before writing, with an *Error naming the file. It returns the paths
// written, in order.
func WriteSample(dir string) (written []string, err error) {
	files, err := sampleFiles()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if _, err := os.Lstat(p); err == nil {
			return nil, &Error{File: p, Msg: "already exists; ctfg init never overwrites a file (choose another directory)", Err: fs.ErrExist}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fileError(p, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fileError(dir, err)
	}
	defer func() {
		if err != nil {
			// Leave no half-written game behind.
			for _, p := range written {
				_ = os.Remove(p)
			}
			written = nil
		}
	}()
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := writeNew(p, f.data, f.perm); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}

// writeNew creates path, failing if it exists (O_EXCL closes the race
// between the check in WriteSample and the write).
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &Error{File: path, Msg: "already exists; ctfg init never overwrites a file", Err: err}
		}
		return fileError(path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fileError(path, err)
	}
	if err := f.Close(); err != nil {
		return fileError(path, err)
	}
	return nil
}

func sampleFiles() ([]sampleFile, error) {
	challenges, err := sampleFS.ReadFile("sample/challenges.json")
	if err != nil {
		return nil, fmt.Errorf("gamefile: sample: %w", err)
	}
	readme, err := sampleFS.ReadFile("sample/README.txt")
	if err != nil {
		return nil, fmt.Errorf("gamefile: sample: %w", err)
	}
	creds, err := sampleCredentials()
	if err != nil {
		return nil, err
	}
	env, err := sampleEnv()
	if err != nil {
		return nil, err
	}
	return []sampleFile{
		{ChallengesFile, 0o644, challenges},
		{CredentialsFile, 0o600, creds},
		{EnvFile, 0o600, env},
		{"README.txt", 0o644, readme},
	}, nil
}

func sampleCredentials() ([]byte, error) {
	var b strings.Builder
	b.WriteString("username,password\n")
	for _, u := range SamplePlayers {
		p, err := samplePassword()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s,%s\n", u, p)
	}
	return []byte(b.String()), nil
}

// samplePassword returns a password such as "kx7p-m3qa-9tzr".
func samplePassword() (string, error) {
	alphabetLen := big.NewInt(int64(len(passwordAlphabet)))
	groups := make([]string, samplePasswordParts)
	for g := range groups {
		var part [samplePasswordGroup]byte
		for i := range part {
			n, err := rand.Int(rand.Reader, alphabetLen)
			if err != nil {
				return "", fmt.Errorf("gamefile: generate password: %w", err)
			}
			part[i] = passwordAlphabet[n.Int64()]
		}
		groups[g] = string(part[:])
	}
	return strings.Join(groups, "-"), nil
}

func sampleToken() (string, error) {
	var b [sampleTokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("gamefile: generate token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func sampleEnv() ([]byte, error) {
	api, err := sampleToken()
	if err != nil {
		return nil, err
	}
	admin, err := sampleToken()
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, `# Settings of this game, written by "ctfg init" with fresh random tokens.
# Variables already set in the environment win over these. Keep this file
# private.

# Judge scripts send this token to award solves:
#   curl -H "Authorization: Bearer $CTFG_API_TOKEN" \
#        -d '{"username":"alice","id":1}' http://localhost:8080/api/award
CTFG_API_TOKEN=%s

# The admin dashboard (http://localhost:8080/admin) and the reset page
# (http://localhost:8080/reset) ask for this token.
CTFG_ADMIN_TOKEN=%s

# Optional start and end of the game, RFC 3339 with a zone. Before the
# start players can log in and choose names but see no challenge; after
# the end solves and hints are refused. The admin can change both, and
# pause, while the game runs (docs/GAME-DAY.md, "Setting the clock").
# CTFG_START=2025-06-01T09:00:00+02:00
# CTFG_END=2025-06-01T17:00:00+02:00

# Optional scoreboard freeze, between the start and the end: from then on
# each player sees only their own progress. The admin unfreezes it from the
# dashboard; with CTFG_REVEAL=end it also unfreezes by itself at the end.
# CTFG_FREEZE=2025-06-01T16:00:00+02:00
# CTFG_REVEAL=end

# Optional practice after the end: flags are still checked, never scored.
# CTFG_PRACTICE=1

# Optional first-blood bonus, in percent of a challenge's value, for its
# first, second and third solver.
# CTFG_FIRST_BLOOD_BONUS=5,3,1

# Optional dynamic scoring of every challenge without a "scoring" of its
# own in challenges.json: its value falls from its points as players solve
# it, down to the minimum (points, or a percent of its points), and every
# solver holds the current value, so a score can fall. FUNCTION:minimum=N,
# decay=N with FUNCTION linear (decay: points lost per solver after the
# first), logarithmic (decay: solvers until the minimum; both CTFd's) or
# rctf (rCTF's curve; decay: solvers until the minimum).
# CTFG_SCORING=logarithmic:minimum=20%%,decay=30

# Optional self-registration: "open" lets anyone create an account (a
# username and a password, after a proof of work their browser computes);
# "invite" asks for the code below too. Registered players play beside
# those of credentials.csv. Default: closed.
# CTFG_REGISTRATION=invite
# CTFG_REGISTRATION_CODE=a-code-you-hand-out
# CTFG_REGISTRATION_POW_BITS=16

# Optional error reporting to Sentry:
# SENTRY_DSN=https://key@sentry.example.com/1
`, api, admin), nil
}
