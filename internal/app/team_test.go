package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
)

// mustTeamGame is the test game in team mode: alice and bob are Crypto
// Cats, carol is Dog Squad, dave has no team.
func mustTeamGame(t *testing.T) string {
	t.Helper()
	dir := ctftest.MustGameDir(t)
	creds := "username,password,team\nalice,alice-pw,Crypto Cats\nbob,bob-pw,Crypto Cats\ncarol,carol-pw,Dog Squad\ndave,dave-pw,\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials.csv"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func scoreboardOf(t *testing.T, c *ctftest.Client) []map[string]any {
	t.Helper()
	_, body := c.Do(t, "GET", "/api/scoreboard", nil)
	var sb struct {
		Players []map[string]any `json:"players"`
	}
	if err := json.Unmarshal(body, &sb); err != nil {
		t.Fatal(err)
	}
	return sb.Players
}

// TestTeams: a solve by any member counts once for the team and shows
// as solved to every member; a hint bought by one is the team's, paid
// from the team's score; members racing on one flag or one hint make one
// solve and one purchase; only teams are ranked; frames name the team and
// the member; a player without a team cannot score.
func TestTeams(t *testing.T) {
	srv := ctftest.MustServer(t, mustTeamGame(t))
	alice, bob, carol, dave := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob"), srv.MustLogin(t, "carol"), srv.MustLogin(t, "dave")
	alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})
	_, body := bob.Do(t, "GET", "/api/me", nil)
	me := ctftest.MustJSON(t, body)
	teamID := me["team_id"]
	if me["team"] != "Crypto Cats" || teamID == nil {
		t.Fatalf("bob's /api/me: %v", me)
	}
	watcher := dialStream(t, carol, "")
	readFrame(t, watcher)

	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 || ctftest.MustJSON(t, body)["total"] != 100.0 {
		t.Fatalf("alice solves: %d %s", status, body)
	}
	ev := readUntil(t, watcher, "score")
	if ev["player_id"] != teamID || ev["displayname"] != "Crypto Cats" || ev["by_name"] != "Alice" || ev["first_blood"] != 1.0 {
		t.Fatalf("score frame: %v", ev)
	}
	if status, body := bob.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 || ctftest.MustJSON(t, body)["result"] != "already_solved" {
		t.Fatalf("bob after alice: %d %s", status, body)
	}

	// Both members race on one flag and on one paid hint, ten times each.
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		for _, c := range []*ctftest.Client{alice, bob} {
			wg.Add(2)
			go func() { defer wg.Done(); c.Do(t, "POST", "/api/submit", map[string]any{"id": 3, "flag": "CTF{case}"}) }()
			go func() {
				defer wg.Done()
				c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1})
				c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2})
			}()
		}
	}
	wg.Wait()
	board := scoreboardOf(t, carol)
	if len(board) != 2 || board[0]["displayname"] != "Crypto Cats" || board[0]["score"] != 140.0 || board[0]["solves"] != 2.0 {
		t.Fatalf("team board (100 + 50 − 10 once): %v", board)
	}
	for _, p := range board {
		if p["displayname"] == "Alice" {
			t.Fatalf("a member on a team board: %v", board)
		}
	}
	_, body = bob.Do(t, "GET", "/api/challenges", nil)
	var chs []map[string]any
	json.Unmarshal(body, &chs)
	for _, c := range chs {
		if (c["id"] == 1.0 || c["id"] == 3.0) && c["solved"] != true {
			t.Fatalf("bob does not see his team's solve: %v", c)
		}
		if c["id"] == 1.0 {
			hints := c["hints"].([]any)
			if hints[1].(map[string]any)["text"] != "Really warm." {
				t.Fatalf("bob does not see his team's hint: %v", hints)
			}
		}
	}
	if status, body := dave.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 403 || ctftest.MustJSON(t, body)["error"] != "no_team" {
		t.Fatalf("dave without a team: %d %s", status, body)
	}
	// The team's page, a member's page and the challenge's solvers.
	_, body = carol.Do(t, "GET", "/api/players/"+jsonNum(teamID), nil)
	page := ctftest.MustJSON(t, body)
	if page["team"] != true || page["rank"] != 1.0 || page["score"] != 140.0 || len(page["solves"].([]any)) != 2 || len(page["members"].([]any)) != 2 {
		t.Fatalf("team page: %s", body)
	}
	_, body = carol.Do(t, "GET", "/api/players/1", nil)
	page = ctftest.MustJSON(t, body)
	if page["team_id"] != teamID || page["displayname"] != "Alice" || page["rank"] != 1.0 {
		t.Fatalf("alice's page: %s", body)
	}
	solves := page["solves"].([]any)
	if len(solves) == 0 || solves[0].(map[string]any)["challenge"] != "Warm Up" || solves[0].(map[string]any)["first_blood"] != 1.0 {
		t.Fatalf("alice's solves: %s", body)
	}
	_, body = carol.Do(t, "GET", "/api/challenges/1/solvers", nil)
	sv := ctftest.MustJSON(t, body)["solvers"].([]any)
	if len(sv) != 1 || sv[0].(map[string]any)["displayname"] != "Crypto Cats" || sv[0].(map[string]any)["first_blood"] != 1.0 {
		t.Fatalf("solvers: %s", body)
	}
	if status, _ := carol.Do(t, "GET", "/api/players/999", nil); status != 404 {
		t.Fatalf("unknown page: %d", status)
	}
	if status, _ := srv.NewClient().Do(t, "GET", "/api/players/1", nil); status != 401 {
		t.Fatalf("page without a session on a private board: %d", status)
	}
	feed := srv.NewClient()
	resp := feed.Request(t, "GET", "/api/ctftime", nil, map[string][]string{"Authorization": {ctftest.APIToken}})
	var ct struct {
		Standings []map[string]any `json:"standings"`
	}
	json.NewDecoder(resp.Body).Decode(&ct)
	resp.Body.Close()
	if len(ct.Standings) != 2 || ct.Standings[0]["team"] != "Crypto Cats" || ct.Standings[0]["score"] != 140.0 {
		t.Fatalf("CTFtime feed: %v", ct.Standings)
	}
}

// TestPostgresTeamMembersRaceAcrossInstances: two members on two
// instances send the same flag and buy the same hint at once: one solve,
// one purchase (the store's constraints hold per team).
func TestPostgresTeamMembersRaceAcrossInstances(t *testing.T) {
	dbURL := mustPostgresURL(t)
	dir := mustTeamGame(t)
	withPG := func(c *app.Config) { c.DatabaseURL = dbURL }
	a := ctftest.MustServer(t, dir, withPG)
	b := ctftest.MustServer(t, dir, withPG)
	alice, bob := a.MustLogin(t, "alice"), b.MustLogin(t, "bob")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		for _, c := range []*ctftest.Client{alice, bob} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
				c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1})
				c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2})
			}()
		}
	}
	wg.Wait()
	// Some hint requests may have been rate-limited or found hint 2 still
	// locked on the other instance: buy them once more, after the race.
	for _, h := range []int{1, 2} {
		msg := awaitCond(10e9, func() string {
			status, body := alice.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": h})
			if status == 200 || strings.Contains(string(body), "already_purchased") {
				return ""
			}
			time.Sleep(200 * time.Millisecond)
			return string(body)
		})
		if msg != "" {
			t.Fatalf("hint %d after the race: %s", h, msg)
		}
	}
	for _, srv := range []*ctftest.Server{a, b} {
		msg := awaitCond(10e9, func() string {
			board, _ := srv.App.Engine.State().Scoreboard(srv.App.Engine.Now())
			for _, p := range board {
				if p.DisplayName == "Crypto Cats" && p.Score == 90 && p.Solves == 1 {
					return ""
				}
			}
			b, _ := json.Marshal(board)
			return string(b)
		})
		if msg != "" {
			t.Fatalf("board: %s", msg)
		}
	}
}

// TestMakeAndJoinTeams: with a team size, players make a team (its name
// follows the name rules), others join by its invite code up to the
// size, a leaver takes no points along, and the team keeps its solves.
func TestMakeAndJoinTeams(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) { c.TeamSize = 2 })
	alice, bob, carol, dave := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob"), srv.MustLogin(t, "carol"), srv.MustLogin(t, "dave")
	dave.Do(t, "POST", "/api/set-name", map[string]string{"name": "Dave"})
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 403 || ctftest.MustJSON(t, body)["error"] != "no_team" {
		t.Fatalf("a solve before joining a team: %d %s", status, body)
	}
	status, body := alice.Do(t, "POST", "/api/teams", map[string]string{"name": "Crypto Cats"})
	team := ctftest.MustJSON(t, body)
	code, _ := team["invite_code"].(string)
	if status != 200 || team["team"] != "Crypto Cats" || len(code) != 16 {
		t.Fatalf("make a team: %d %s", status, body)
	}
	for _, tc := range []struct {
		c      *ctftest.Client
		path   string
		body   any
		status int
		code   string
	}{
		{bob, "/api/teams", map[string]string{"name": "ＣＲＹＰＴＯ cats"}, 409, "name_taken"},
		{bob, "/api/teams", map[string]string{"name": "Dave"}, 409, "name_taken"},
		{alice, "/api/teams", map[string]string{"name": "Other"}, 409, "already_in_team"},
		{bob, "/api/teams/join", map[string]string{"code": "WRONGWRONGWRONG1"}, 400, "invalid_code"},
		{carol, "/api/teams/leave", nil, 409, "not_in_team"},
	} {
		status, body := tc.c.Do(t, "POST", tc.path, tc.body)
		if status != tc.status || ctftest.MustJSON(t, body)["error"] != tc.code {
			t.Errorf("%s %v: %d %s, want %d %s", tc.path, tc.body, status, body, tc.status, tc.code)
		}
	}
	if status, body := bob.Do(t, "POST", "/api/teams/join", map[string]string{"code": " " + strings.ToLower(code) + " "}); status != 200 {
		t.Fatalf("join: %d %s", status, body)
	}
	if status, body := carol.Do(t, "POST", "/api/teams/join", map[string]string{"code": code}); status != 409 || ctftest.MustJSON(t, body)["error"] != "team_full" {
		t.Fatalf("a third member of a team of two: %d %s", status, body)
	}
	_, body = bob.Do(t, "GET", "/api/teams/mine", nil)
	if mine := ctftest.MustJSON(t, body); len(mine["members"].([]any)) != 2 || mine["invite_code"] != code {
		t.Fatalf("bob's team: %s", body)
	}
	bob.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	if status, body := bob.Do(t, "POST", "/api/teams/leave", nil); status != 200 {
		t.Fatalf("leave: %d %s", status, body)
	}
	board := scoreboardOf(t, carol)
	if len(board) != 1 || board[0]["displayname"] != "Crypto Cats" || board[0]["score"] != 100.0 {
		t.Fatalf("the team keeps its solve: %v", board)
	}
	_, body = bob.Do(t, "GET", "/api/me", nil)
	if me := ctftest.MustJSON(t, body); me["team_id"] != nil || me["total"] != 0.0 {
		t.Fatalf("bob after leaving: %v", me)
	}
	if status, body := carol.Do(t, "POST", "/api/teams/join", map[string]string{"code": code}); status != 200 {
		t.Fatalf("carol takes bob's place: %d %s", status, body)
	}
	_, body = carol.Do(t, "GET", "/api/challenges", nil)
	if !strings.Contains(string(body), `"id":1,"title":"Warm Up","category":"Web","difficulty":"Easy","points":100,"solved":true`) {
		t.Fatalf("carol does not share her new team's solve: %s", body)
	}
	// A restart folds the same teams from the log.
	srv.Stop()
	again := ctftest.MustServer(t, srv.Dir, func(c *app.Config) { c.TeamSize = 2 })
	if b, _ := again.App.Engine.State().Scoreboard(again.App.Engine.Now()); len(b) != 1 || b[0].DisplayName != "Crypto Cats" || b[0].Score != 100 {
		t.Fatalf("after a restart: %+v", b)
	}
	if id, ok := again.App.Engine.State().TeamByCode(code); !ok || again.App.Engine.State().Scorer(3) != id {
		t.Fatalf("carol's team after a restart: %v %v", id, ok)
	}
}

// TestAdminRemovesAndDisbands: the admin lists teams and members,
// disbands a team (it leaves the board, its members are without one) and
// removes a player (who can no longer log in or play); a second removal
// changes nothing; unknown ids are refused.
func TestAdminRemovesAndDisbands(t *testing.T) {
	srv := ctftest.MustServer(t, mustTeamGame(t))
	alice, carol := srv.MustLogin(t, "alice"), srv.MustLogin(t, "carol")
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	carol.Do(t, "POST", "/api/submit", map[string]any{"id": 3, "flag": "CTF{case}"})
	status, body := doWith(t, srv.NewClient(), "GET", "/admin/api/teams", nil, bearer)
	var list struct {
		Teams []struct {
			TeamID  int64 `json:"team_id"`
			Team    string
			Members []map[string]any
		}
	}
	if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list.Teams) != 2 || len(list.Teams[0].Members) != 2 {
		t.Fatalf("teams: %d %s", status, body)
	}
	cats := list.Teams[0].TeamID
	watcher := dialStream(t, carol, "")
	readFrame(t, watcher)
	mustAdmin(t, srv, "/admin/api/teams/"+jsonNum(cats)+"/disband", nil)
	if ev := readUntil(t, watcher, "snapshot"); len(ev["players"].([]any)) != 1 {
		t.Fatalf("board after the disband: %v", ev["players"])
	}
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 3, "flag": "CTF{case}"}); status != 403 || ctftest.MustJSON(t, body)["error"] != "no_team" {
		t.Fatalf("a member of a disbanded team: %d %s", status, body)
	}
	mustAdmin(t, srv, "/admin/api/players/carol/remove", nil)
	mustAdmin(t, srv, "/admin/api/players/carol/remove", nil) // nothing more
	if status, _ := carol.Do(t, "GET", "/api/me", nil); status != 401 {
		t.Fatalf("a removed player's session: %d", status)
	}
	if status, _ := srv.NewClient().Do(t, "POST", "/api/login", map[string]string{"username": "carol", "password": "carol-pw"}); status != 401 {
		t.Fatalf("a removed player logs in: %d", status)
	}
	for _, p := range []string{"/admin/api/players/nobody/remove", "/admin/api/teams/1/disband", "/admin/api/players/" + jsonNum(cats) + "/remove"} {
		if status, body := doWith(t, srv.NewClient(), "POST", p, nil, bearer); status != 404 {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
}
