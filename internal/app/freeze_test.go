package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/gorilla/websocket"
)

// publicView is everything a non-admin can read about other players, as
// raw bytes: it must not move during a freeze.
type publicView map[string][]byte

func readPublic(t *testing.T, srv *ctftest.Server, watcher *ctftest.Client) publicView {
	t.Helper()
	v := publicView{}
	anon := srv.NewClient()
	for _, p := range []string{"/api/scoreboard", "/api/ctftime", "/api/announcements", "/api/players/1", "/api/players/2", "/api/challenges/1/solvers", "/api/challenges/4/solvers"} {
		status, body := anon.Do(t, "GET", p, nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", p, status, body)
		}
		v["anon "+p] = body
	}
	for _, p := range []string{"/api/scoreboard", "/api/challenges"} {
		status, body := watcher.Do(t, "GET", p, nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", p, status, body)
		}
		v["watcher "+p] = body
	}
	status, body := anon.Do(t, "GET", "/api/board", nil)
	if status != 200 {
		t.Fatalf("/api/board: %d", status)
	}
	u := ctftest.MustJSON(t, body)["websocket_url"].(string)
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, snap, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	v["board snapshot"] = snap
	return v
}

func (v publicView) mustEqual(t *testing.T, w publicView, when string) {
	t.Helper()
	for k, b := range v {
		if !bytes.Equal(b, w[k]) {
			t.Errorf("%s: %s moved\nbefore %s\n after %s", when, k, b, w[k])
		}
	}
}

// TestFreezeLeaksNothing: from the configured freeze time until the
// admin unfreezes, another player's solves (one a first blood), hint and
// rename change nothing a non-admin can reach — /api/scoreboard (with
// and without a session), /api/challenges (solve counts, first bloods,
// values), /api/ctftime, the projector's snapshot, byte for byte — and
// no frame on an open socket tells of them, not even as a gap in the
// ids. The solver sees their own solve as not on the board yet, and
// their true score. The unfreeze sends every open socket the true board
// at once.
func TestFreezeLeaksNothing(t *testing.T) {
	clk := &shiftedClock{}
	freezeAt := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Freeze, c.Now, c.PublicBoard = freezeAt, clk.Now, true
	})
	alice, bob, carol, dave := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob"), srv.MustLogin(t, "carol"), srv.MustLogin(t, "dave")
	for c, name := range map[*ctftest.Client]string{alice: "Alice", bob: "Bob", carol: "Carol", dave: "Dave"} {
		if status, body := c.Do(t, "POST", "/api/set-name", map[string]string{"name": name}); status != 200 {
			t.Fatalf("set-name: %d %s", status, body)
		}
	}
	solve := func(c *ctftest.Client, id int, flag string) map[string]any {
		t.Helper()
		status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": id, "flag": flag})
		if status != 200 {
			t.Fatalf("submit %d: %d %s", id, status, body)
		}
		return ctftest.MustJSON(t, body)
	}
	solve(alice, 1, "flag{warm}")
	solve(bob, 3, "CTF{case}")
	if c := clockOf(t, srv); c["frozen"] != false || c["freeze"] != freezeAt.Format(time.RFC3339) {
		t.Fatalf("before the freeze: %v", c)
	}

	clk.Advance(time.Hour + time.Second)
	if c := clockOf(t, srv); c["frozen"] != true {
		t.Fatalf("after the freeze time: %v", c)
	}
	open := dialStream(t, carol, "")
	first := readFrame(t, open)
	if first[0]["type"] != "snapshot" || first[0]["frozen"] != true {
		t.Fatalf("snapshot during the freeze: %v", first)
	}
	before := readPublic(t, srv, carol)

	// During the freeze: a first blood, a second solve, a hint, a rename.
	if r := solve(dave, 4, "flag{once}"); r["result"] != "correct" {
		t.Fatalf("dave: %v", r)
	}
	if r := solve(bob, 1, "flag{warm}"); r["result"] != "correct" || r["total"] != 150.0 {
		t.Fatalf("bob: %v", r)
	}
	if status, body := bob.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1}); status != 200 {
		t.Fatalf("hint: %d %s", status, body)
	}
	if status, body := bob.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2}); status != 200 {
		t.Fatalf("hint: %d %s", status, body)
	}
	if status, body := bob.Do(t, "POST", "/api/set-name", map[string]string{"name": "Bobby Tables"}); status != 200 {
		t.Fatalf("rename: %d %s", status, body)
	}
	during := readPublic(t, srv, carol)
	before.mustEqual(t, during, "during the freeze")

	// The solver's own view: solved, not on the board yet; true score.
	_, body := bob.Do(t, "GET", "/api/challenges", nil)
	var chs []map[string]any
	if err := json.Unmarshal(body, &chs); err != nil {
		t.Fatal(err)
	}
	for _, c := range chs {
		if c["id"] == 1.0 && (c["solved"] != true || c["pending"] != true || c["solves"] != 1.0) {
			t.Fatalf("bob's challenge 1 during the freeze: %v", c)
		}
		if c["id"] == 3.0 && (c["solved"] != true || c["pending"] != nil) {
			t.Fatalf("bob's challenge 3 (solved before the freeze): %v", c)
		}
	}
	_, body = bob.Do(t, "GET", "/api/me", nil)
	if me := ctftest.MustJSON(t, body); me["total"] != 140.0 || me["board_total"] != 50.0 || me["displayname"] != "Bobby Tables" {
		t.Fatalf("bob's /api/me during the freeze: %v", me)
	}

	// An announcement is the first frame the open socket gets, and its id
	// follows the snapshot's: no gap tells that four events happened.
	mustAdmin(t, srv, "/admin/api/announcements", map[string]any{"message": "Frozen!"})
	frame := readFrame(t, open)
	if len(frame) != 1 || frame[0]["type"] != "announcement" || frame[0]["id"] != first[0]["last_id"].(float64)+1 {
		t.Fatalf("first frame after the hidden events: %v (snapshot last_id %v)", frame, first[0]["last_id"])
	}
	// The admin sees the truth.
	stats := adminStats(t, srv)
	if stats.Clock.Frozen != true {
		t.Fatalf("admin clock: %+v", stats.Clock)
	}

	// Unfreeze: the open socket gets the true board as one snapshot.
	mustAdmin(t, srv, "/admin/api/unfreeze", nil)
	var snap map[string]any
	for i := 0; i < 10 && snap == nil; i++ {
		for _, ev := range readFrame(t, open) {
			switch ev["type"] {
			case "snapshot":
				snap = ev
			case "score", "hint", "rename":
				t.Fatalf("a hidden event sent one by one at the unfreeze: %v", ev)
			}
		}
	}
	if snap == nil || snap["frozen"] != false {
		t.Fatalf("no snapshot at the unfreeze: %v", snap)
	}
	scores := map[any]any{}
	for _, p := range snap["players"].([]any) {
		scores[p.(map[string]any)["displayname"]] = p.(map[string]any)["score"]
	}
	if scores["Bobby Tables"] != 140.0 || scores["Dave"] != 300.0 || scores["Alice"] != 100.0 {
		t.Fatalf("true board after the unfreeze: %v", snap["players"])
	}
	after := readPublic(t, srv, carol)
	if bytes.Equal(after["anon /api/scoreboard"], before["anon /api/scoreboard"]) {
		t.Fatal("the scoreboard did not change at the unfreeze")
	}
	if c := clockOf(t, srv); c["frozen"] != false {
		t.Fatalf("after unfreeze: %v", c)
	}
	// The configured time no longer applies: a later solve shows at once.
	solve(carol, 1, "flag{warm}")
	for i := 0; i < 10; i++ {
		for _, ev := range readFrame(t, open) {
			if ev["type"] == "score" && ev["displayname"] == "Carol" {
				if ev["first_blood"] != 3.0 {
					t.Fatalf("third solver of challenge 1: %v", ev)
				}
				return
			}
		}
	}
	t.Fatal("a solve after the unfreeze did not reach the socket")
}

// TestFreezeNowAndRevealByAdmin: the admin's freeze and unfreeze by the
// bearer API, idempotent, the freeze time set live.
func TestFreezeNowAndRevealByAdmin(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	alice := srv.MustLogin(t, "alice")
	c := mustAdmin(t, srv, "/admin/api/freeze", nil)
	if c["frozen"] != true {
		t.Fatalf("freeze: %v", c)
	}
	lastID := srv.App.Engine.State().LastID()
	if c := mustAdmin(t, srv, "/admin/api/freeze", nil); c["frozen"] != true || srv.App.Engine.State().LastID() != lastID {
		t.Fatalf("a second freeze wrote an event: %v", c)
	}
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	_, body := srv.NewClient().Do(t, "GET", "/api/scoreboard", nil)
	_, body = alice.Do(t, "GET", "/api/scoreboard", nil)
	if sb := ctftest.MustJSON(t, body); sb["frozen"] != true || len(sb["players"].([]any)) != 0 {
		t.Fatalf("frozen board: %v", sb)
	}
	if c := mustAdmin(t, srv, "/admin/api/unfreeze", nil); c["frozen"] != false {
		t.Fatalf("unfreeze: %v", c)
	}
	_, body = alice.Do(t, "GET", "/api/scoreboard", nil)
	if sb := ctftest.MustJSON(t, body); sb["frozen"] != false || len(sb["players"].([]any)) != 1 {
		t.Fatalf("board after unfreeze: %v", sb)
	}
	status, body := doWith(t, srv.NewClient(), "POST", "/admin/api/clock", map[string]any{"freeze": "2020-01-01T00:00:00Z"}, bearer)
	if status != 200 || ctftest.MustJSON(t, body)["frozen"] != true {
		t.Fatalf("a freeze time in the past freezes at once: %d %s", status, body)
	}
	status, body = doWith(t, srv.NewClient(), "POST", "/admin/api/freeze", nil, http.Header{"Authorization": {"Bearer nope"}})
	if status != 401 {
		t.Fatalf("freeze with a wrong token: %d %s", status, body)
	}
}

// TestFirstBloodUnderConcurrentSolves: 100 players send the right flag of
// one challenge at once: exactly one first, one second and one third, in
// the frames and in /api/challenges alike.
func TestFirstBloodUnderConcurrentSolves(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	ctftest.MustWritePlayers(t, dir, 100)
	srv := ctftest.MustServer(t, dir)
	players := make([]*ctftest.Client, 100)
	for i := range players {
		players[i] = srv.MustLoginAs(t, "p"+strconv.Itoa(i), "pw"+strconv.Itoa(i))
	}
	watcher := dialStream(t, players[0], "")
	readFrame(t, watcher) // the snapshot
	var wg sync.WaitGroup
	for _, p := range players {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body := p.Do(t, "POST", "/api/submit", map[string]any{"id": 4, "flag": "flag{once}"})
			if status != 200 || !strings.Contains(string(body), `"correct"`) {
				t.Errorf("submit: %d %s", status, body)
			}
		}()
	}
	wg.Wait()
	places := map[float64][]float64{}
	for seen := 0; seen < 100; {
		for _, ev := range readFrame(t, watcher) {
			if ev["type"] == "score" {
				seen++
				if fb, ok := ev["first_blood"].(float64); ok {
					places[fb] = append(places[fb], ev["player_id"].(float64))
				}
			}
		}
	}
	if len(places) != 3 || len(places[1]) != 1 || len(places[2]) != 1 || len(places[3]) != 1 {
		t.Fatalf("first-blood places in the frames: %v", places)
	}
	_, body := players[0].Do(t, "GET", "/api/challenges", nil)
	var chs []map[string]any
	if err := json.Unmarshal(body, &chs); err != nil {
		t.Fatal(err)
	}
	for _, c := range chs {
		if c["id"] != 4.0 {
			continue
		}
		fbs := c["first_bloods"].([]any)
		if c["solves"] != 100.0 || len(fbs) != 3 || fbs[0].(map[string]any)["player_id"] != places[1][0] {
			t.Fatalf("challenge 4: %v (frames' first: %v)", c, places[1])
		}
	}
}

// TestPostgresFreezeReachesEveryInstance: a freeze made on A freezes B's
// board and sockets too; the unfreeze made on B sends A's sockets the
// true board.
func TestPostgresFreezeReachesEveryInstance(t *testing.T) {
	dbURL := mustPostgresURL(t)
	dir := ctftest.MustGameDir(t)
	withPG := func(c *app.Config) { c.DatabaseURL = dbURL }
	a := ctftest.MustServer(t, dir, withPG)
	b := ctftest.MustServer(t, dir, withPG)
	onA, onB := a.MustLogin(t, "alice"), b.MustLogin(t, "bob")
	onB.Do(t, "POST", "/api/set-name", map[string]string{"name": "Bob"})
	mustAdmin(t, a, "/admin/api/freeze", nil)
	waitClock(t, b, func(c map[string]any) bool { return c["frozen"] == true })
	watchA := dialStream(t, onA, "")
	if snap := readFrame(t, watchA); snap[0]["type"] != "snapshot" || snap[0]["frozen"] != true {
		t.Fatalf("A's snapshot: %v", snap)
	}
	if status, body := onB.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 {
		t.Fatalf("solve on B: %d %s", status, body)
	}
	for _, srv := range []*ctftest.Server{a, b} {
		_, body := srv.NewClient().Do(t, "GET", "/api/clock", nil)
		_, body = onA.Do(t, "GET", "/api/scoreboard", nil)
		if sb := ctftest.MustJSON(t, body); sb["frozen"] != true {
			t.Fatalf("board during the freeze: %s", body)
		}
	}
	// A's board stays as at the freeze though A has folded B's solve.
	deadline := time.Now().Add(10 * time.Second)
	for a.App.Engine.State().LastID() < b.App.Engine.State().LastID() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if board, _ := a.App.Engine.State().Scoreboard(time.Now()); len(board) != 1 || board[0].Score != 0 {
		t.Fatalf("A's public board: %+v", board)
	}
	mustAdmin(t, b, "/admin/api/unfreeze", nil)
	for i := 0; i < 20; i++ {
		for _, ev := range readFrame(t, watchA) {
			if ev["type"] == "snapshot" {
				players := ev["players"].([]any)
				if ev["frozen"] != false || len(players) != 1 || players[0].(map[string]any)["score"] != 100.0 {
					t.Fatalf("A's snapshot at B's unfreeze: %v", ev)
				}
				return
			}
		}
	}
	t.Fatal("A's socket got no snapshot at the unfreeze made on B")
}

// TestPracticeAndReleaseEndToEnd: after the end with practice mode a
// right flag answers "practice", shows as solved to its player only and
// never scores; a challenge with a release time is unknown until the
// admin releases it, and the release reaches open sockets.
func TestPracticeAndReleaseEndToEnd(t *testing.T) {
	clk := &shiftedClock{}
	end := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	dir := ctftest.MustGameDir(t)
	rel := end.Add(-time.Minute).Format(time.RFC3339)
	chs := strings.Replace(ctftest.ChallengesJSON, `"id": 4, "title": "Once Only",`, `"id": 4, "title": "Once Only", "release": "`+rel+`",`, 1)
	if err := os.WriteFile(filepath.Join(dir, "challenges.json"), []byte(chs), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := ctftest.MustServer(t, dir, func(c *app.Config) { c.End, c.Practice, c.Now = end, true, clk.Now })
	alice := srv.MustLogin(t, "alice")
	ids := func() []float64 {
		_, body := alice.Do(t, "GET", "/api/challenges", nil)
		var chs []map[string]any
		if err := json.Unmarshal(body, &chs); err != nil {
			t.Fatal(err)
		}
		var out []float64
		for _, c := range chs {
			out = append(out, c["id"].(float64))
		}
		return out
	}
	if got := ids(); len(got) != 2 { // 1 and 3 (2 needs 1)
		t.Fatalf("before the release: %v", got)
	}
	if c := clockOf(t, srv); c["next_release"] != rel || c["practice"] != true {
		t.Fatalf("clock: %v", c)
	}
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 4, "flag": "flag{once}"}); status != 400 || !strings.Contains(string(body), "unknown_id") {
		t.Fatalf("submit to an unreleased challenge: %d %s", status, body)
	}
	watcher := dialStream(t, alice, "")
	readFrame(t, watcher)
	mustAdmin(t, srv, "/admin/api/challenges/4/release", nil)
	if ev := readUntil(t, watcher, "release"); ev["challenge_id"] != 4.0 || ev["challenge"] != "Once Only" {
		t.Fatalf("release frame: %v", ev)
	}
	if got := ids(); len(got) != 3 {
		t.Fatalf("after the release: %v", got)
	}
	if status, body := doWith(t, srv.NewClient(), "POST", "/admin/api/challenges/99/release", nil, bearer); status != 400 {
		t.Fatalf("release of an unknown challenge: %d %s", status, body)
	}

	clk.Advance(time.Hour + time.Second)
	status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	if status != 200 || ctftest.MustJSON(t, body)["result"] != "practice" {
		t.Fatalf("practice solve: %d %s", status, body)
	}
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 || ctftest.MustJSON(t, body)["result"] != "already_solved" {
		t.Fatalf("second practice solve: %d %s", status, body)
	}
	if status, body := alice.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1}); status != 403 || !strings.Contains(string(body), "ended") {
		t.Fatalf("hint after the end: %d %s", status, body)
	}
	_, body = alice.Do(t, "GET", "/api/challenges", nil)
	if !strings.Contains(string(body), `"practice":true`) {
		t.Fatalf("challenge not marked practice: %s", body)
	}
	_, body = alice.Do(t, "GET", "/api/scoreboard", nil)
	if sb := ctftest.MustJSON(t, body); len(sb["players"].([]any)) != 0 {
		t.Fatalf("a practice solve on the board: %s", body)
	}
	_, body = alice.Do(t, "GET", "/api/me", nil)
	if me := ctftest.MustJSON(t, body); me["total"] != 0.0 {
		t.Fatalf("a practice solve scored: %v", me)
	}
	// The submission log has it as a practice solve (written off the
	// request path, so poll).
	msg := awaitCond(10*time.Second, func() string {
		status, body := doWith(t, srv.NewClient(), "GET", "/admin/api/submissions?result=practice", nil, bearer)
		if status == 200 && strings.Count(string(body), `"result":"practice"`) == 1 {
			return ""
		}
		return string(body)
	})
	if msg != "" {
		t.Fatalf("practice solve in the submission log: %s", msg)
	}
}
