package emulate_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/emulate"
	"github.com/ctfg/ctfg/internal/emulate/emutest"
	"github.com/ctfg/ctfg/internal/gamefile"
)

// mustConfig loads the game directory the way the command line does.
func mustConfig(tb testing.TB, url, dir string, players int) emulate.Config {
	tb.Helper()
	users, err := gamefile.LoadCredentials(filepath.Join(dir, gamefile.CredentialsFile))
	if err != nil {
		tb.Fatal(err)
	}
	chs, err := gamefile.LoadChallenges(filepath.Join(dir, gamefile.ChallengesFile))
	if err != nil {
		tb.Fatal(err)
	}
	cfg := emulate.DefaultConfig(url, players)
	cfg.Users, cfg.Challenges = users, chs
	cfg.Seed = 42
	return cfg
}

// mustRunClean runs the emulator for at most a minute and fails the test
// on a run error or any error the run counted; it returns the result and
// its summary (for failure messages).
func mustRunClean(t *testing.T, cfg emulate.Config, progress io.Writer) (*emulate.Result, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := emulate.Run(ctx, cfg, progress)
	if err != nil {
		t.Fatal(err)
	}
	var summary strings.Builder
	_ = res.WriteSummary(&summary)
	if n := res.ErrorCount(); n != 0 {
		t.Fatalf("%d errors:\n%s", n, summary.String())
	}
	return res, summary.String()
}

// TestRunAgainstServer plays 50 players with no think time against a real
// ctfg server: every one must solve everything with zero deviations, and
// every scorestream must have seen every solve.
func TestRunAgainstServer(t *testing.T) {
	bin := emutest.MustBuild(t)
	const players = 50
	dir := emutest.MustGameDir(t, players+5)
	srv := emutest.MustServer(t, bin, dir)

	cfg := mustConfig(t, srv.URL, dir, players)
	cfg.Think = 0
	cfg.HintChance = 0.5
	cfg.SettleTimeout = 10 * time.Second
	var progress strings.Builder
	cfg.ProgressInterval = 100 * time.Millisecond
	res, summary := mustRunClean(t, cfg, &progress)
	nch := len(emutest.Challenges())
	if res.PlayersDone != players || res.Flags != int64(players*nch) {
		t.Fatalf("done %d flags %d, want %d and %d\n%s", res.PlayersDone, res.Flags, players, players*nch, summary)
	}
	if res.SolvingSec <= 0 || res.SolvingSec > res.WallSec || res.SolvingRate < res.FlagsPerSec {
		t.Errorf("solving phase %.3fs at %.1f flags/s, wall %.3fs at %.1f/s: the phase must lie within the run and be at least as fast",
			res.SolvingSec, res.SolvingRate, res.WallSec, res.FlagsPerSec)
	}
	if res.Hints == 0 {
		t.Errorf("no hint was bought with a hint chance of 0.5")
	}
	// Each player's stream sees at least every solve made after it
	// connected; together far more than the solves themselves.
	if res.EventsReceived < int64(players*nch) {
		t.Errorf("only %d scorestream events received", res.EventsReceived)
	}
	for _, name := range []string{"GET /", "GET assets", "POST /api/login", "GET /api/me", "POST /api/set-name", "GET /api/challenges", "POST /api/submit", "POST /api/hint", "GET /api/scoreboard"} {
		if e, ok := res.Endpoint(name); !ok || e.Count == 0 || e.P50MS <= 0 || e.MaxMS < e.P99MS {
			t.Errorf("endpoint %s: %+v", name, e)
		}
	}
	if res.WSConnect.Count != players || res.EventDelay.Count == 0 {
		t.Errorf("ws connect %+v, event delay %+v", res.WSConnect, res.EventDelay)
	}
	if !strings.Contains(progress.String(), "logged in") {
		t.Errorf("no progress written: %q", progress.String())
	}

	// A second run against the same server finds everything solved by
	// those players already: still no deviation, and nothing to submit.
	cfg.Players = 5
	res2, summary2 := mustRunClean(t, cfg, nil)
	if res2.PlayersDone != 5 || res2.Flags != 0 {
		t.Fatalf("rerun: %s", summary2)
	}
}

// TestRunDetectsWrongTestflag shows the emulator is a checker: a testflag
// the server rejects is counted, and the run reports players not done.
func TestRunDetectsWrongTestflag(t *testing.T) {
	bin := emutest.MustBuild(t)
	dir := emutest.MustGameDir(t, 3)
	srv := emutest.MustServer(t, bin, dir)
	cfg := mustConfig(t, srv.URL, dir, 2)
	cfg.Think = 0
	for _, c := range cfg.Challenges {
		if c.ID == 3 {
			c.TestFlag = "wrong"
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := emulate.Run(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors["POST /api/submit: testflag not accepted"] != 2*3 || res.Errors["player stuck"] != 2 || res.PlayersDone != 0 {
		t.Fatalf("errors %v, done %d", res.Errors, res.PlayersDone)
	}
}

// TestRunTwoInstancesOfOneServer spreads 20 players over the URL list
// "A,A": two "instances" that are the same real server. Each gets half the
// players, every socket must end with every solve, and delivery of events
// committed through the other "instance" is measured and reported.
func TestRunTwoInstancesOfOneServer(t *testing.T) {
	bin := emutest.MustBuild(t)
	const players = 20
	dir := emutest.MustGameDir(t, players)
	srv := emutest.MustServer(t, bin, dir)

	cfg := mustConfig(t, srv.URL+","+srv.URL+"/", dir, players)
	cfg.Think = 0
	cfg.SettleTimeout = 10 * time.Second
	res, summary := mustRunClean(t, cfg, nil)
	if res.PlayersDone != players {
		t.Fatalf("%d players done:\n%s", res.PlayersDone, summary)
	}
	nch := int64(len(emutest.Challenges()))
	if res.URL != srv.URL+","+srv.URL || len(res.Instances) != 2 {
		t.Fatalf("url %q, %d instances", res.URL, len(res.Instances))
	}
	var requests int64
	for i, in := range res.Instances {
		if in.Players != players/2 || in.PlayersDone != players/2 || in.Flags != players/2*nch || in.Requests == 0 || in.RequestErrors != 0 {
			t.Errorf("instance %d: %+v", i+1, in)
		}
		if in.Sockets != players/2 || in.SocketsComplete != in.Sockets || in.SolvesExpected != players*nch || in.SolvesSeenMin != in.SolvesExpected {
			t.Errorf("instance %d sockets: %+v", i+1, in)
		}
		requests += in.Requests
	}
	if requests != res.Requests {
		t.Errorf("instances' requests add up to %d, the run made %d", requests, res.Requests)
	}
	same, cross := res.EventDelaySame, res.EventDelayCross
	if cross.Count == 0 || same.Count == 0 || same.Count+cross.Count != res.EventDelay.Count || cross.MaxMS < cross.P99MS {
		t.Errorf("delivery: all %+v, same %+v, cross %+v", res.EventDelay, same, cross)
	}
	for _, want := range []string{"(2 instances; player i uses instance i mod 2)", "  instance 1      " + srv.URL + ": 10 players (10 done)",
		"  instance 2      " + srv.URL + ": 10 players (10 done)", "10/10 sockets got all", "event delivery (cross-instance)"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	t.Logf("summary:\n%s", summary)
}

// TestRunTeamsAgainstServer plays 22 players in teams of 4 (the last of
// 2) against a real team-mode server: teammates race for the same flags
// and hints, yet every team must solve each challenge once, with zero
// deviations, and every scorestream must end with every team's solves.
func TestRunTeamsAgainstServer(t *testing.T) {
	bin := emutest.MustBuild(t)
	const players, size, teams = 22, 4, 6
	dir := emutest.MustTeamGameDir(t, players, size)
	srv := emutest.MustServer(t, bin, dir)

	cfg := mustConfig(t, srv.URL, dir, players)
	cfg.TeamSize = size
	cfg.Think = 0
	cfg.HintChance = 0.5
	cfg.SettleTimeout = 10 * time.Second
	res, summary := mustRunClean(t, cfg, nil)
	nch := len(emutest.Challenges())
	if res.PlayersDone != players || res.Teams != teams || res.TeamSize != size || res.Flags != int64(teams*nch) {
		t.Fatalf("done %d, teams %d of %d, flags %d; want %d, %d of %d, %d\n%s",
			res.PlayersDone, res.Teams, res.TeamSize, res.Flags, players, teams, size, teams*nch, summary)
	}
	// Members start together with no think time: they meet on the same
	// flags, and the later ones hear "already_solved".
	submit, _ := res.Endpoint("POST /api/submit")
	if res.TeamSolved == 0 || int64(submit.Count) < res.Flags+res.TeamSolved {
		t.Errorf("%d submissions, %d correct, %d already solved by a teammate", submit.Count, res.Flags, res.TeamSolved)
	}
	if res.Hints == 0 {
		t.Errorf("no hint was bought with a hint chance of 0.5")
	}
	if !strings.Contains(summary, "  teams           6 teams of up to 4 players; ") {
		t.Errorf("summary does not say the teams:\n%s", summary)
	}
	if !strings.Contains(res.HTML(), "22 players in teams of 4") {
		t.Errorf("report does not say the team size")
	}
}

// TestRunTeamsTwoInstancesOfOneServer spreads the members of each team
// over two "instances" (the same server twice): event delivery is split
// by the instance of the member who made the event ("by"), not of the
// team, which has none.
func TestRunTeamsTwoInstancesOfOneServer(t *testing.T) {
	bin := emutest.MustBuild(t)
	const players, size = 16, 4
	dir := emutest.MustTeamGameDir(t, players, size)
	srv := emutest.MustServer(t, bin, dir)

	cfg := mustConfig(t, srv.URL+","+srv.URL, dir, players)
	cfg.TeamSize = size
	cfg.Think = 0
	cfg.SettleTimeout = 10 * time.Second
	res, summary := mustRunClean(t, cfg, nil)
	if res.PlayersDone != players {
		t.Fatalf("%d players done:\n%s", res.PlayersDone, summary)
	}
	same, cross := res.EventDelaySame, res.EventDelayCross
	if same.Count == 0 || cross.Count == 0 || same.Count+cross.Count != res.EventDelay.Count {
		t.Errorf("delivery: all %+v, same %+v, cross %+v", res.EventDelay, same, cross)
	}
	nch := int64(len(emutest.Challenges()))
	for i, in := range res.Instances {
		if in.Sockets != players/2 || in.SocketsComplete != in.Sockets || in.SolvesExpected != players/size*nch {
			t.Errorf("instance %d: %+v", i+1, in)
		}
	}
}

// TestRunTeamModeMismatch: the emulator says so when its mode is not the
// server's, and when a team has more emulated members than --team-size.
func TestRunTeamModeMismatch(t *testing.T) {
	bin := emutest.MustBuild(t)
	teamDir := emutest.MustTeamGameDir(t, 4, 4)
	teamSrv := emutest.MustServer(t, bin, teamDir)
	soloDir := emutest.MustGameDir(t, 2)
	soloSrv := emutest.MustServer(t, bin, soloDir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, c := range []struct {
		name      string
		url, dir  string
		players   int
		teamSize  int
		kind      string
		count     int
		completes bool
	}{
		{"individual emulator, team server", teamSrv.URL, teamDir, 2, 0, "GET /api/me: the server plays in teams", 2, false},
		{"team emulator, individual server", soloSrv.URL, soloDir, 2, 3, "GET /api/me: no team_id", 2, false},
		{"teams larger than --team-size", teamSrv.URL, teamDir, 4, 2, "team: more members than --team-size", 2, true},
	} {
		cfg := mustConfig(t, c.url, c.dir, c.players)
		cfg.TeamSize = c.teamSize
		cfg.Think = 0
		cfg.HintChance = 0
		cfg.SettleTimeout = 5 * time.Second
		res, err := emulate.Run(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors[c.kind] != c.count || res.ErrorCount() != c.count || (res.PlayersDone == c.players) != c.completes {
			var summary strings.Builder
			_ = res.WriteSummary(&summary)
			t.Errorf("%s: want %d × %q:\n%s", c.name, c.count, c.kind, summary.String())
		}
	}
}

// TestRunMakeTeamsAgainstServer plays 22 players who make their own
// teams of 4 (the last of 2) through the API on a server in team mode
// whose credentials.csv names no team: six teams are made and joined,
// then play as with teams from credentials.csv.
func TestRunMakeTeamsAgainstServer(t *testing.T) {
	bin := emutest.MustBuild(t)
	const players, size, teams = 22, 4, 6
	dir := emutest.MustGameDir(t, players)
	srv := emutest.MustServer(t, bin, dir, "--team-size", "4")

	cfg := mustConfig(t, srv.URL, dir, players)
	cfg.TeamSize, cfg.MakeTeams = size, true
	cfg.Think = 0
	cfg.SettleTimeout = 10 * time.Second
	res, summary := mustRunClean(t, cfg, nil)
	nch := len(emutest.Challenges())
	if res.PlayersDone != players || res.Teams != teams || res.Flags != int64(teams*nch) {
		t.Fatalf("done %d, teams %d, flags %d; want %d, %d, %d\n%s", res.PlayersDone, res.Teams, res.Flags, players, teams, teams*nch, summary)
	}
	if ep, ok := res.Endpoint("POST /api/teams[/join]"); !ok || ep.Count != players {
		t.Errorf("team requests: %+v, want one per player\n%s", ep, summary)
	}

	// Without a team size there is nothing to make.
	cfg.TeamSize = 0
	if _, err := emulate.Run(context.Background(), cfg, nil); err == nil {
		t.Error("MakeTeams without a team size ran")
	}
}
