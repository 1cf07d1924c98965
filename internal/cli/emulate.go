package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/ctfg/ctfg/internal/emulate"
	"github.com/ctfg/ctfg/internal/gamefile"
)

const emulateUsage = `emulate --url URL[,URL...] --players N [--team-size N [--make-teams]] [--jitter SECONDS] [--think MS|0] [--credentials FILE] [--challenges FILE] [--out DIR] [--game DIR]

Plays N emulated players against a running ctfg server the way browsers do
(page and assets, login, display name, scorestream, challenges, hints,
testflags) until every player has solved every challenge, checking every
reply against the API contract. Prints live progress to stderr and a summary
to stdout; exits with status 1 on any error.

With several comma-separated URLs (instances sharing one database), player i
uses the (i mod n)-th URL for everything, and the summary adds each
instance's players, requests and scorestream completeness, and event
delivery split into same-instance and cross-instance.

With --team-size N the server plays in teams (credentials.csv with a team
column): each player plays for the team /api/me names, teams of at most N
emulated members score, a teammate's earlier solve answers a submission
with "already_solved" (counted, not an error), and the scoreboard and
every scorestream must end with each team's solves once. With --make-teams
as well, the players make their teams through the API, as people do when
credentials.csv names none (a server with CTFG_TEAM_SIZE of at least N, or
registration): the first of each N consecutive players makes a team and the
others join it with its invite code before playing.`

// emulateOpts are emulate's flags.
type emulateOpts struct {
	url, gameDir, credentials, challenges, out, cpuProfile string
	players, think, inFlight, teamSize                     int
	jitter, hintChance                                     float64
	timeout, settle                                        time.Duration
	noCompression, makeTeams                               bool
	seed                                                   uint64
}

// newEmulateFlagSet defines emulate's flags.
func newEmulateFlagSet(stdio IO) (*flag.FlagSet, *emulateOpts) {
	o := new(emulateOpts)
	fs := newFlagSet("emulate", emulateUsage, stdio)
	fs.StringVar(&o.url, "url", "", "base URL of the running server, e.g. http://127.0.0.1:8080, or a comma-separated list of instances sharing one database (required)")
	fs.IntVar(&o.players, "players", 10, "number of players to emulate (the first N of the credentials)")
	fs.IntVar(&o.teamSize, "team-size", 0, "play a server in team mode, with at most `N` emulated players per team (0: players score alone)")
	fs.BoolVar(&o.makeTeams, "make-teams", false, "with --team-size: the players make and join their teams through the API (credentials.csv names none)")
	fs.Float64Var(&o.jitter, "jitter", 0, "spread player start times uniformly over this many `seconds`; 0 starts all at once")
	fs.IntVar(&o.think, "think", int(emulate.DefaultThink/time.Millisecond), "mean think time in `ms` before each submission (uniform in [ms/2, 3ms/2]) and between rounds; 0 removes every pause")
	fs.IntVar(&o.inFlight, "in-flight", emulate.DefaultInFlight, "submissions in flight per player")
	fs.Float64Var(&o.hintChance, "hint-chance", emulate.DefaultHintChance, "chance per round that a player buys the next affordable hint (0 to 1)")
	fs.StringVar(&o.gameDir, "game", ".", "game `directory` holding credentials.csv and challenges.json")
	fs.StringVar(&o.credentials, "credentials", "", "credentials `file` (default GAME/credentials.csv)")
	fs.StringVar(&o.challenges, "challenges", "", "challenges `file` with testflags (default GAME/challenges.json)")
	fs.StringVar(&o.out, "out", "", "write metrics.json and report.html into this `directory`")
	fs.DurationVar(&o.timeout, "timeout", emulate.DefaultRequestTimeout, "timeout of each request and WebSocket handshake")
	fs.DurationVar(&o.settle, "settle", emulate.DefaultSettleTimeout, "how long to wait at the end for every scorestream to catch up")
	fs.BoolVar(&o.noCompression, "no-ws-compression", false, "do not negotiate permessage-deflate on the scorestream (browsers do)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the emulator's own CPU profile to this `file`")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed for think times, hints and start offsets (0: random)")
	return fs, o
}

func runEmulate(ctx context.Context, stdio IO, args []string) error {
	fs, o := newEmulateFlagSet(stdio)
	serverURL, players, jitter, think := &o.url, &o.players, &o.jitter, &o.think
	inFlight, hintChance, gameDir := &o.inFlight, &o.hintChance, &o.gameDir
	credentials, challenges, out := &o.credentials, &o.challenges, &o.out
	timeout, settle, noCompression := &o.timeout, &o.settle, &o.noCompression
	cpuProfile, seed := &o.cpuProfile, &o.seed
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stdio.Err, "ctfg emulate: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	switch {
	case *serverURL == "":
		fmt.Fprintln(stdio.Err, "ctfg emulate: --url is required")
		fs.Usage()
		return errUsage
	case *players < 1:
		return errors.New("--players must be at least 1")
	case *jitter < 0 || math.IsNaN(*jitter) || math.IsInf(*jitter, 0):
		return errors.New("--jitter must be a number of seconds ≥ 0")
	case *think < 0:
		return errors.New("--think must be ≥ 0 milliseconds")
	case *inFlight < 1:
		return errors.New("--in-flight must be at least 1")
	case *hintChance < 0 || *hintChance > 1:
		return errors.New("--hint-chance must be between 0 and 1")
	case o.teamSize < 0:
		return errors.New("--team-size must be ≥ 0")
	case o.makeTeams && o.teamSize == 0:
		return errors.New("--make-teams needs --team-size N")
	}
	if *credentials == "" {
		*credentials = filepath.Join(*gameDir, gamefile.CredentialsFile)
	}
	if *challenges == "" {
		*challenges = filepath.Join(*gameDir, gamefile.ChallengesFile)
	}
	users, err := gamefile.LoadCredentials(*credentials)
	if err != nil {
		return err
	}
	chs, err := gamefile.LoadChallenges(*challenges)
	if err != nil {
		return err
	}

	cfg := emulate.DefaultConfig(*serverURL, *players)
	cfg.Jitter = time.Duration(*jitter * float64(time.Second))
	cfg.Think = time.Duration(*think) * time.Millisecond
	cfg.InFlight = *inFlight
	cfg.HintChance = *hintChance
	cfg.Users = users
	cfg.Challenges = chs
	cfg.RequestTimeout = *timeout
	cfg.SettleTimeout = *settle
	cfg.Seed = *seed
	cfg.NoCompression = *noCompression
	cfg.TeamSize = o.teamSize
	cfg.MakeTeams = o.makeTeams

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := emulate.Run(ctx, cfg, stdio.Err)
	if err != nil {
		return err
	}
	if err := res.WriteSummary(stdio.Out); err != nil {
		return err
	}
	if *out != "" {
		if err := res.WriteFiles(*out); err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "\nwrote %s and %s\n", filepath.Join(*out, "metrics.json"), filepath.Join(*out, "report.html"))
	}
	if n := res.ErrorCount(); n > 0 {
		return fmt.Errorf("%d errors (see the summary)", n)
	}
	return nil
}
