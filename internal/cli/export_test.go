package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

// nastyTitle is a challenge title with everything CSV and spreadsheets
// trip over: a leading '=', commas, double quotes and a newline.
const nastyTitle = "=HYPERLINK(\"http://evil.example\",\"click, here\")\nline two"

// MustExportGame writes the test game plus a challenge 5 titled
// nastyTitle (awarded by judges; its flag is never guessed).
func MustExportGame(tb testing.TB) string {
	tb.Helper()
	dir := ctftest.MustGameDir(tb)
	var chs []map[string]any
	if err := json.Unmarshal([]byte(ctftest.ChallengesJSON), &chs); err != nil {
		tb.Fatal(err)
	}
	chs = append(chs, map[string]any{"id": 5, "title": nastyTitle, "category": "Misc", "points": 70,
		"description": "Judged.", "flag": "^flag\\{judged\\}$"})
	ctftest.MustWriteJSON(tb, filepath.Join(dir, "challenges.json"), chs)
	return dir
}

// MustExportJSON runs "ctfg export" with args and decodes its JSON.
func MustExportJSON(t *testing.T, args ...string) Export {
	t.Helper()
	code, out, errOut := runCtfg(t, append([]string{"export"}, args...)...)
	if code != 0 {
		t.Fatalf("export %v: exit %d: %s", args, code, errOut)
	}
	var ex Export
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ex); err != nil {
		t.Fatalf("export is not the documented JSON: %v\n%s", err, out)
	}
	return ex
}

// MustCSV parses a CSV file with encoding/csv.
func MustCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s does not parse as CSV: %v", path, err)
	}
	return recs
}

// playGame plays the test game through the HTTP API: solves, free and
// paid hints, renames, a judge's awards and a tie. It returns the player
// id of every username that played.
func playGame(t *testing.T, srv *ctftest.Server, clock *atomic.Int64) map[string]int64 {
	t.Helper()
	ok := func(c *ctftest.Client, path string, body any) map[string]any {
		t.Helper()
		status, b := c.Do(t, "POST", path, body)
		if status != http.StatusOK {
			t.Fatalf("%s %v: %d %s", path, body, status, b)
		}
		return ctftest.MustJSON(t, b)
	}
	award := func(username string, id int) {
		t.Helper()
		resp := srv.NewClient().Request(t, "POST", "/api/award", map[string]any{"username": username, "id": id},
			http.Header{"Authorization": {"Bearer " + ctftest.APIToken}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("award %s %d: %d", username, id, resp.StatusCode)
		}
	}
	alice, bob, dave := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob"), srv.MustLogin(t, "dave")
	ok(alice, "/api/set-name", map[string]string{"name": "Alice, the 'Ace'"})
	ok(bob, "/api/set-name", map[string]string{"name": "@bob"})
	ok(dave, "/api/set-name", map[string]string{"name": "Dave"})
	clock.Add(1000)
	ok(alice, "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	ok(alice, "/api/hint", map[string]any{"id": 1, "hint_id": 1}) // free
	ok(alice, "/api/hint", map[string]any{"id": 1, "hint_id": 2}) // 10
	clock.Add(1000)
	// bob and carol reach 100 in the same millisecond: a tie on score and
	// time, broken by id.
	ok(bob, "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	award("carol", 1)
	clock.Add(1000)
	ok(alice, "/api/submit", map[string]any{"id": 2, "flag": "flag{second}"})
	ok(alice, "/api/hint", map[string]any{"id": 2, "hint_id": 1}) // 50
	ok(dave, "/api/set-name", map[string]string{"name": "Dave Two"})
	award("dave", 5)
	clock.Add(1000)
	ok(dave, "/api/submit", map[string]any{"id": 3, "flag": "ctf{CASE}"})
	ids := map[string]int64{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		p, ok := srv.App.Engine.State().PlayerByUsername(u)
		if !ok {
			t.Fatalf("no player %s", u)
		}
		ids[u] = p.ID
	}
	return ids
}

func TestExportMatchesScoreboard(t *testing.T) {
	dir := MustExportGame(t)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC).UnixMilli())
	srv := ctftest.MustServer(t, dir, func(c *app.Config) {
		c.Now = func() time.Time { return time.UnixMilli(clock.Load()) }
	})
	ids := playGame(t, srv, &clock)

	status, body := srv.MustLogin(t, "erin").Do(t, "GET", "/api/scoreboard", nil)
	if status != http.StatusOK {
		t.Fatalf("scoreboard: %d %s", status, body)
	}
	var api struct {
		Players []game.Standing `json:"players"`
		LastID  int64           `json:"last_id"`
	}
	if err := json.Unmarshal(body, &api); err != nil {
		t.Fatal(err)
	}
	// The scenario must really contain a tie and hint costs, or the
	// comparison below proves little.
	if len(api.Players) != 4 || api.Players[0].Score != 240 || api.Players[1].Score != 120 ||
		api.Players[2].PlayerID != ids["bob"] || api.Players[3].PlayerID != ids["carol"] ||
		api.Players[2].LastSolveTS != api.Players[3].LastSolveTS {
		t.Fatalf("unexpected scenario board: %+v", api.Players)
	}

	before := time.Now()
	running := MustExportJSON(t, "--game", dir)
	if at, err := time.Parse(time.RFC3339Nano, running.ExportedAt); err != nil || at.Before(before.Add(-time.Second)) {
		t.Errorf("exported_at %q: %v", running.ExportedAt, err)
	}
	if running.Format != ExportFormat || running.Database != filepath.Join(dir, "events.db") || running.LastEventID != api.LastID {
		t.Errorf("header: format %q database %q last_event_id %d (api last_id %d)", running.Format, running.Database, running.LastEventID, api.LastID)
	}
	usernames := map[int64]string{}
	for u, id := range ids {
		usernames[id] = u
	}
	board := *running.Scoreboard
	if len(board) != len(api.Players) {
		t.Fatalf("export has %d players, /api/scoreboard %d", len(board), len(api.Players))
	}
	for i, want := range api.Players {
		got := board[i]
		if got.Rank != want.Rank || got.PlayerID != want.PlayerID || got.DisplayName != want.DisplayName ||
			got.Score != want.Score || got.Solves != want.Solves || got.LastSolveTS != want.LastSolveTS {
			t.Errorf("row %d: export %+v, api %+v", i, got, want)
		}
		if got.Username != usernames[got.PlayerID] {
			t.Errorf("row %d: username %q, want %q", i, got.Username, usernames[got.PlayerID])
		}
		if got.LastSolve == nil || *got.LastSolve != time.UnixMilli(want.LastSolveTS).UTC().Format("2006-01-02T15:04:05.000Z07:00") {
			t.Errorf("row %d: last_solve %v for ts %d", i, got.LastSolve, want.LastSolveTS)
		}
	}

	// Every event, in id order, with names resolved.
	evs := *running.Events
	if int64(len(evs)) != api.LastID || evs[len(evs)-1].ID != api.LastID {
		t.Fatalf("%d events, last id %d", len(evs), api.LastID)
	}
	var hints, renames, scores int
	for i, e := range evs {
		if i > 0 && e.ID <= evs[i-1].ID {
			t.Fatalf("events out of order at %d", i)
		}
		if e.Username != usernames[e.PlayerID] || e.Time != time.UnixMilli(e.TS).UTC().Format("2006-01-02T15:04:05.000Z07:00") {
			t.Errorf("event %+v: username or time wrong", e)
		}
		switch e.Type {
		case "score":
			scores++
			if e.ChallengeID == nil || e.HintID != nil || e.ChallengeTitle == "" || e.Points <= 0 {
				t.Errorf("score event %+v", e)
			}
			if *e.ChallengeID == 5 && e.ChallengeTitle != nastyTitle {
				t.Errorf("title %q, want %q", e.ChallengeTitle, nastyTitle)
			}
		case "hint":
			hints++
			if e.ChallengeID == nil || e.HintID == nil || e.ChallengeTitle == "" || e.Points > 0 {
				t.Errorf("hint event %+v", e)
			}
		case "rename":
			renames++
			if e.ChallengeID != nil || e.HintID != nil || e.DisplayName == "" {
				t.Errorf("rename event %+v", e)
			}
		}
	}
	if scores != 6 || hints != 3 || renames != 4 {
		t.Errorf("%d scores, %d hints, %d renames; want 6, 3, 4", scores, hints, renames)
	}
	// displayname is the name as of each event: dave's award came after
	// his rename, his first name shows on the rename before it.
	for _, e := range evs {
		if e.Username == "dave" && e.Type == "score" && e.DisplayName != "Dave Two" {
			t.Errorf("dave's solve shows %q", e.DisplayName)
		}
	}
	if evs[2].Username != "dave" || evs[2].DisplayName != "Dave" {
		t.Errorf("dave's first rename: %+v", evs[2])
	}

	// CSV: the same rows, parsed back with encoding/csv.
	out := filepath.Join(t.TempDir(), "results.csv")
	if code, _, errOut := runCtfg(t, "export", "--game", dir, "--format", "csv", "--out", out); code != 0 {
		t.Fatalf("csv export: %d %s", code, errOut)
	}
	sb := MustCSV(t, out)
	if !reflect.DeepEqual(sb[0], scoreboardColumns) || len(sb) != len(board)+1 {
		t.Fatalf("scoreboard CSV header %v, %d rows", sb[0], len(sb))
	}
	for i, r := range board {
		want := []string{strconv.Itoa(r.Rank), strconv.FormatInt(r.PlayerID, 10), r.Username, cell(r.DisplayName),
			strconv.Itoa(r.Score), strconv.Itoa(r.Solves), strconv.FormatInt(r.LastSolveTS, 10), *r.LastSolve}
		if !reflect.DeepEqual(sb[i+1], want) {
			t.Errorf("CSV row %d: %q, want %q", i, sb[i+1], want)
		}
	}
	ev := MustCSV(t, filepath.Join(filepath.Dir(out), "results-events.csv"))
	if !reflect.DeepEqual(ev[0], eventColumns) || len(ev) != len(evs)+1 {
		t.Fatalf("events CSV header %v, %d rows", ev[0], len(ev))
	}
	sawNasty, sawAt := false, false
	for i, e := range evs {
		row := ev[i+1]
		if row[0] != strconv.FormatInt(e.ID, 10) || row[3] != e.Type || row[5] != e.Username || row[6] != cell(e.DisplayName) ||
			row[8] != cell(e.ChallengeTitle) || row[10] != strconv.Itoa(e.Points) {
			t.Errorf("events CSV row %d: %q for %+v", i, row, e)
		}
		if row[8] == "'"+nastyTitle {
			sawNasty = true // commas, quotes and the newline survived; '=' neutralised
		}
		if row[6] == "'@bob" {
			sawAt = true
		}
		if e.Points < 0 && !strings.HasPrefix(row[10], "-") {
			t.Errorf("hint points %q: numbers must stay numbers", row[10])
		}
	}
	if !sawNasty || !sawAt {
		t.Errorf("formula neutralisation: title seen %v, '@bob' seen %v", sawNasty, sawAt)
	}

	// One table to stdout.
	code, stdout, errOut := runCtfg(t, "export", "--game", dir, "--format", "csv", "--what", "scoreboard")
	if code != 0 {
		t.Fatalf("csv to stdout: %d %s", code, errOut)
	}
	if recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll(); err != nil || !reflect.DeepEqual(recs, sb) {
		t.Errorf("--what scoreboard to stdout differs from the file: %v", err)
	}
	if only := MustExportJSON(t, "--game", dir, "--what", "events"); only.Scoreboard != nil || only.Events == nil || len(*only.Events) != len(evs) {
		t.Errorf("--what events: scoreboard %v, %d events", only.Scoreboard != nil, len(*only.Events))
	}

	// The stopped server's database gives the same export, and the server
	// starts again afterwards with the same board.
	srv.Stop()
	stopped := MustExportJSON(t, "--game", dir)
	stopped.ExportedAt = running.ExportedAt
	if !reflect.DeepEqual(stopped, running) {
		t.Errorf("export of the stopped server differs:\n%+v\nwant\n%+v", stopped, running)
	}
	again := ctftest.MustServer(t, dir)
	if b, _ := again.App.Engine.State().Scoreboard(time.Now()); len(b) != 4 || b[0].Score != 240 {
		t.Errorf("restart after export: %+v", b)
	}
}

// TestExportNastyNames: a display name that the API would refuse but a
// database may hold (an older ctfg, a hand edit) still round-trips
// through JSON and CSV, and its leading '=' is neutralised in CSV.
func TestExportNastyNames(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	srv := ctftest.MustServer(t, dir)
	srv.Stop()
	const name = "=cmd|' /C calc'!A0, \"quoted\"\nsecond line"
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	users, err := db.SyncUsers(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Append(context.Background(), []game.Event{
		{Type: game.EventRename, UserID: users["erin"], Name: name, TS: 1},
		{Type: game.EventScore, UserID: users["erin"], ChallengeID: 1, Points: 100, TS: 2},
	})
	if err != nil || !res[0].Inserted || !res[1].Inserted {
		t.Fatalf("append: %+v %v", res, err)
	}
	db.Close()

	ex := MustExportJSON(t, "--game", dir)
	if b := *ex.Scoreboard; len(b) != 1 || b[0].DisplayName != name || b[0].Username != "erin" || b[0].Score != 100 {
		t.Fatalf("JSON scoreboard: %+v", b)
	}
	out := filepath.Join(t.TempDir(), "board")
	if code, _, errOut := runCtfg(t, "export", "--game", dir, "--format", "csv", "--out", out); code != 0 {
		t.Fatalf("csv: %d %s", code, errOut)
	}
	if recs := MustCSV(t, out); len(recs) != 2 || recs[1][3] != "'"+name {
		t.Errorf("scoreboard CSV: %q", recs)
	}
	if recs := MustCSV(t, out+"-events"); len(recs) != 3 || recs[1][6] != "'"+name || recs[2][8] != "Warm Up" {
		t.Errorf("events CSV: %q", recs)
	}
}

// TestExportSubmissions: --what submissions writes the whole submission
// log in id order, as JSON and as CSV, with names resolved (current
// display names), the guess of wrong submissions only — a right flag
// nowhere — and the formula guard on text cells. --what all leaves the
// log out.
func TestExportSubmissions(t *testing.T) {
	dir := MustExportGame(t)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC).UnixMilli())
	srv := ctftest.MustServer(t, dir, func(c *app.Config) {
		c.Now = func() time.Time { return time.UnixMilli(clock.Load()) }
	})
	ids := playGame(t, srv, &clock)
	const formula = `=HYPERLINK("http://evil.example","x")`
	bob, alice := srv.MustLogin(t, "bob"), srv.MustLogin(t, "alice")
	for _, step := range []struct {
		c    *ctftest.Client
		body map[string]any
		want string
	}{
		{bob, map[string]any{"id": 2, "flag": formula}, `"result":"incorrect"`},
		{alice, map[string]any{"id": 1, "flag": "flag{warm}"}, `"result":"already_solved"`},
		{bob, map[string]any{"id": 77, "flag": "x"}, `unknown_id`},
	} {
		if _, body := step.c.Do(t, "POST", "/api/submit", step.body); !strings.Contains(string(body), step.want) {
			t.Fatalf("submit %v: %s", step.body, body)
		}
	}
	srv.Stop() // writes the queued submissions

	type row struct {
		player, result, title string
		chal                  int
		guess                 *string
	}
	g := formula
	want := []row{
		{"alice", "correct", "Warm Up", 1, nil},
		{"bob", "correct", "Warm Up", 1, nil},
		{"carol", "awarded", "Warm Up", 1, nil},
		{"alice", "correct", "Second Step", 2, nil},
		{"dave", "awarded", nastyTitle, 5, nil},
		{"dave", "correct", "Who Am I", 3, nil},
		{"bob", "incorrect", "Second Step", 2, &g},
		{"alice", "already_solved", "Warm Up", 1, nil},
		{"bob", "unknown_id", "", 77, nil},
	}
	names := map[string]string{"alice": "Alice, the 'Ace'", "bob": "@bob", "carol": "", "dave": "Dave Two"}
	ex := MustExportJSON(t, "--game", dir, "--what", "submissions")
	if ex.Scoreboard != nil || ex.Events != nil || ex.Submissions == nil {
		t.Fatalf("--what submissions: scoreboard %v, events %v", ex.Scoreboard, ex.Events)
	}
	subs := *ex.Submissions
	if len(subs) != len(want) {
		t.Fatalf("%d submissions, want %d: %+v", len(subs), len(want), subs)
	}
	for i, w := range want {
		s := subs[i]
		if s.PlayerID != ids[w.player] || s.Username != w.player || s.DisplayName != names[w.player] || s.Result != w.result ||
			s.ChallengeID != w.chal || s.ChallengeTitle != w.title || s.Address != "127.0.0.1" ||
			s.Time != time.UnixMilli(s.TS).UTC().Format("2006-01-02T15:04:05.000Z07:00") || (i > 0 && s.ID <= subs[i-1].ID) {
			t.Errorf("submission %d: %+v, want %+v", i, s, w)
		}
		if (s.Guess == nil) != (w.guess == nil) || (s.Guess != nil && *s.Guess != *w.guess) {
			t.Errorf("submission %d: guess %v, want %v", i, s.Guess, w.guess)
		}
	}
	if all := MustExportJSON(t, "--game", dir); all.Submissions != nil {
		t.Errorf("--what all holds the submission log")
	}

	out := filepath.Join(t.TempDir(), "subs.csv")
	if code, _, errOut := runCtfg(t, "export", "--game", dir, "--what", "submissions", "--format", "csv", "--out", out); code != 0 {
		t.Fatalf("csv: %d %s", code, errOut)
	}
	recs := MustCSV(t, out)
	if len(recs) != len(want)+1 || strings.Join(recs[0], ",") != "id,ts,time,player_id,username,displayname,challenge_id,challenge_title,result,address,guess" {
		t.Fatalf("CSV: %q", recs)
	}
	if r := recs[7]; r[4] != "bob" || r[5] != "'@bob" || r[8] != "incorrect" || r[10] != "'"+formula || r[9] != "127.0.0.1" {
		t.Errorf("wrong guess in CSV: %q", r)
	}
	if r := recs[5]; r[7] != "'"+nastyTitle || r[10] != "" || r[8] != "awarded" {
		t.Errorf("award in CSV: %q", r)
	}
	if code, stdout, _ := runCtfg(t, "export", "--game", dir, "--what", "submissions", "--format", "csv"); code != 0 || stdout != string(mustReadFile(t, out)) {
		t.Errorf("CSV to stdout: exit %d, differs from the file", code)
	}
	b, _ := json.Marshal(ex)
	for _, text := range []string{string(b), string(mustReadFile(t, out))} {
		for _, flag := range []string{"flag{warm}", "flag{second}", "ctf{CASE}", "flag{judged}"} {
			if strings.Contains(text, flag) {
				t.Errorf("the export holds the right flag %q", flag)
			}
		}
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "Alice": "Alice", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b", "'quoted": "'quoted",
	} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"results.csv": "results-events.csv", "out/r.csv": "out/r-events.csv", "board": "board-events",
		"dir.v2/board": "dir.v2/board-events", ".csv": ".csv-events", "a.b.json": "a.b-events.json",
	} {
		if got := eventsSibling(in); got != filepath.FromSlash(want) && got != want {
			t.Errorf("eventsSibling(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExportErrors(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	prev := filepath.Join(t.TempDir(), "prev.json")
	if err := os.WriteFile(prev, []byte("previous export"), 0o600); err != nil {
		t.Fatal(err)
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		if b, _ := os.ReadFile(prev); string(b) != "previous export" {
			t.Errorf("a failed export changed the earlier output: %q", b)
		}
	}

	// No database yet: a clear error, nothing created.
	code, _, errOut := runCtfg(t, "export", "--game", dir, "--out", prev)
	if code != 1 || !strings.Contains(errOut, "no database at "+filepath.Join(dir, "events.db")) {
		t.Errorf("missing database: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "events.db")); err == nil {
		t.Error("export created a database")
	}
	unchanged(t)

	// A damaged database.
	junk := bytes.Repeat([]byte("this is not SQLite "), 300)
	if err := os.WriteFile(filepath.Join(dir, "events.db"), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := runCtfg(t, "export", "--game", dir, "--out", prev)
	if code != 1 || !strings.Contains(errOut, "not a database") || strings.Count(errOut, "\n") != 1 || stdout != "" {
		t.Errorf("damaged database: exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "events.db")); !bytes.Equal(b, junk) {
		t.Error("export changed the damaged database")
	}
	unchanged(t)

	// A database of a newer ctfg.
	os.Remove(filepath.Join(dir, "events.db"))
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	MustExec(t, filepath.Join(dir, "events.db"), `INSERT INTO schema_migrations (version, name, applied_ms) VALUES (9999, '9999_future.sql', 0)`)
	code, _, errOut = runCtfg(t, "export", "--game", dir)
	if code != 1 || !strings.Contains(errOut, "newer") {
		t.Errorf("newer schema: exit %d, %q", code, errOut)
	}

	// Usage errors change nothing and exit 2.
	for _, args := range [][]string{
		{"--format", "xml"},
		{"--what", "players"},
		{"--format", "csv"}, // all tables need --out
		{"--out", filepath.Join(dir, "events.db")},
		{"--out", filepath.Join(dir, "events.db-wal")},
		{"stray"},
	} {
		code, _, errOut := runCtfg(t, append([]string{"export", "--game", dir}, args...)...)
		if code != 2 || errOut == "" {
			t.Errorf("export %v: exit %d, %q", args, code, errOut)
		}
	}
	// The events file of a CSV pair must not land on the database either.
	code, _, errOut = runCtfg(t, "export", "--game", dir, "--dbdir", dir, "--db", filepath.Join(dir, "x-events.db"), "--format", "csv", "--out", filepath.Join(dir, "x.db"))
	if code != 2 || !strings.Contains(errOut, "refusing") {
		t.Errorf("events sibling onto the database: exit %d, %q", code, errOut)
	}

	// A broken game directory is reported like check does, per problem.
	bad := ctftest.MustGameDir(t)
	os.WriteFile(filepath.Join(bad, "challenges.json"), []byte(`[{"id": 1, "flag": "("}]`), 0o600)
	code, _, errOut = runCtfg(t, "export", "--game", bad)
	if code != 1 || !strings.Contains(errOut, "challenges.json") {
		t.Errorf("bad challenges: exit %d, %q", code, errOut)
	}
}

// MustExec runs one statement on the database file over a plain
// connection, for damage no ctfg API can do.
func MustExec(tb testing.TB, path, stmt string) {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		tb.Fatal(err)
	}
}

// TestExportStopsAtTheFreeze: during a freeze the export is the board
// players see and only the events they were shown; --admin is the truth.
func TestExportStopsAtTheFreeze(t *testing.T) {
	dir := MustExportGame(t)
	srv := ctftest.MustServer(t, dir)
	alice, bob := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob")
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	if _, err := srv.App.Engine.Freeze(t.Context()); err != nil {
		t.Fatal(err)
	}
	bob.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	bob.Do(t, "POST", "/api/set-name", map[string]string{"name": "Hidden Bob"})

	public := MustExportJSON(t, "--game", dir)
	admin := MustExportJSON(t, "--game", dir, "--admin")
	if len(*public.Scoreboard) != 1 || (*public.Scoreboard)[0].Username != "alice" {
		t.Fatalf("public board during the freeze: %+v", *public.Scoreboard)
	}
	for _, ev := range *public.Events {
		if ev.Username == "bob" {
			t.Fatalf("a hidden event exported: %+v", ev)
		}
	}
	if len(*admin.Scoreboard) != 2 || len(*admin.Events) <= len(*public.Events) {
		t.Fatalf("admin export: %+v / %d events", *admin.Scoreboard, len(*admin.Events))
	}
	if _, err := srv.App.Engine.Unfreeze(t.Context()); err != nil {
		t.Fatal(err)
	}
	after := MustExportJSON(t, "--game", dir)
	if len(*after.Scoreboard) != 2 {
		t.Fatalf("after the unfreeze: %+v", *after.Scoreboard)
	}
}
