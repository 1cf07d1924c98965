package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
)

// mustPlayersServer is a server with alice and p0…p119 in
// credentials.csv and self-registration open: alice is named "Ada
// Lovelace" and solves challenge 1, and "newcomer" registers.
func mustPlayersServer(t *testing.T) (*ctftest.Server, *ctftest.Client) {
	t.Helper()
	dir := ctftest.MustGameDir(t)
	ctftest.MustWritePlayers(t, dir, 120, "alice,"+ctftest.Players["alice"])
	srv := ctftest.MustServer(t, dir, ctftest.WithRegistration("open"))
	alice := srv.MustLogin(t, "alice")
	if status, body := alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Ada Lovelace"}); status != 200 {
		t.Fatalf("set-name: %d %s", status, body)
	}
	if status, body := alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 {
		t.Fatalf("submit: %d %s", status, body)
	}
	if status, body := srv.NewClient().Register(t, "newcomer", "purple-otter-42", ""); status != http.StatusCreated {
		t.Fatalf("register: %d %s", status, body)
	}
	return srv, alice
}

var bearerAdmin = http.Header{"Authorization": {"Bearer " + ctftest.AdminToken}}

// playersPage is GET /admin/api/players?query with the bearer token.
func playersPage(t *testing.T, srv *ctftest.Server, query string) (int, httpapi.AdminPlayersPage, string) {
	t.Helper()
	resp := srv.NewClient().Request(t, "GET", "/admin/api/players?"+query, nil, bearerAdmin.Clone())
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("players?%s: %d: %v", query, resp.StatusCode, err)
	}
	var page httpapi.AdminPlayersPage
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, page, string(raw)
}

func usernames(ps []httpapi.AdminPlayer) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Username
	}
	return out
}

// TestAdminPlayersAPI: GET /admin/api/players lists, searches (case,
// width and spaces ignored) and pages the players; tells credentials.csv
// accounts from registered ones; marks removed players; refuses bad
// parameters with 400 and the parameter's code; needs the admin.
func TestAdminPlayersAPI(t *testing.T) {
	srv, _ := mustPlayersServer(t)

	status, all, body := playersPage(t, srv, "")
	if status != 200 || all.Total != 122 || all.Page != 1 || all.Pages != 3 || all.Limit != 50 || len(all.Players) != 50 {
		t.Fatalf("first page: %d %s", status, body)
	}
	for i := 1; i < len(all.Players); i++ {
		if all.Players[i].PlayerID <= all.Players[i-1].PlayerID {
			t.Fatalf("not in id order: %v", usernames(all.Players))
		}
	}
	for _, tc := range []struct {
		query string
		total int
		names []string // nil: only the count is checked
		count int
	}{
		{"page=3", 122, nil, 22},
		{"page=4", 122, nil, 0}, // past the last page: empty, not an error
		{"page=99999999999999", 122, nil, 0},
		{"limit=500", 122, nil, 122},
		{"limit=1&page=2", 122, nil, 1},
		{"q=LOVELACE", 1, []string{"alice"}, 1},
		{"q=" + url.QueryEscape("  ada   lovelace "), 1, []string{"alice"}, 1},
		{"q=" + url.QueryEscape("ＡＬＩＣＥ"), 1, []string{"alice"}, 1},
		{"q=NEWC", 1, []string{"newcomer"}, 1},
		{"q=p11", 11, nil, 11}, // p11, p110…p119
		{"q=nobody", 0, []string{}, 0},
		{"q=", 122, nil, 50},
	} {
		status, page, body := playersPage(t, srv, tc.query)
		if status != 200 || page.Total != tc.total || len(page.Players) != tc.count {
			t.Errorf("%s: %d, total %d, %d players, want %d and %d: %.300s", tc.query, status, page.Total, len(page.Players), tc.total, tc.count, body)
		}
		if tc.names != nil && fmt.Sprint(usernames(page.Players)) != fmt.Sprint(tc.names) {
			t.Errorf("%s: %v, want %v", tc.query, usernames(page.Players), tc.names)
		}
	}

	_, page, body := playersPage(t, srv, "q=alice")
	a := page.Players[0]
	if a.DisplayName == nil || *a.DisplayName != "Ada Lovelace" || a.Source != "credentials" || a.Score != 100 || a.Solves != 1 || a.Removed || a.TeamID != nil || a.Team != nil {
		t.Errorf("alice: %s", body)
	}
	_, page, body = playersPage(t, srv, "q=newcomer")
	if n := page.Players[0]; n.Source != "registered" || n.DisplayName != nil || n.Score != 0 {
		t.Errorf("newcomer: %s", body)
	}
	if !strings.Contains(body, `"displayname":null`) || !strings.Contains(body, `"team_id":null`) {
		t.Errorf("unset values are not null: %s", body)
	}

	for query, code := range map[string]string{
		"q=" + strings.Repeat("a", 101): "invalid_query",
		"q=%ff":                         "invalid_query",
		"page=0":                        "invalid_page",
		"page=-1":                       "invalid_page",
		"page=two":                      "invalid_page",
		"page=1e3":                      "invalid_page",
		"page=99999999999999999999999":  "invalid_page",
		"limit=0":                       "invalid_limit",
		"limit=501":                     "invalid_limit",
		"limit=ten":                     "invalid_limit",
	} {
		status, _, body := playersPage(t, srv, query)
		if status != http.StatusBadRequest || body != `{"error":"`+code+`"}` {
			t.Errorf("%s: %d %s, want 400 %s", query, status, body, code)
		}
	}

	// A removed player stays in the list, marked.
	mustRemove := srv.NewClient().Request(t, "POST", "/admin/api/players/p5/remove", nil, bearerAdmin.Clone())
	mustRemove.Body.Close()
	if mustRemove.StatusCode != 200 {
		t.Fatalf("remove p5: %d", mustRemove.StatusCode)
	}
	if _, page, body := playersPage(t, srv, "q=p5"); page.Total != 11 || page.Players[0].Username != "p5" || !page.Players[0].Removed || page.Players[1].Removed {
		t.Errorf("p5 after its removal: %s", body)
	}

	// The admin only.
	for name, h := range map[string]http.Header{
		"no credentials": nil,
		"wrong token":    {"Authorization": {"Bearer wrong"}},
		"the API token":  {"Authorization": {"Bearer " + ctftest.APIToken}},
	} {
		resp := srv.NewClient().Request(t, "GET", "/admin/api/players", nil, h)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	b.login()
	if r := b.get("/admin/api/players?q=ada"); r.status != 200 || !strings.Contains(r.body, `"username":"alice"`) {
		t.Errorf("with the dashboard's session: %d %s", r.status, r.body)
	}
	assertNoSecrets(t, bodies, "purple-otter-42")
}

// TestAdminDashboardPlayers: the dashboard lists the players a page at a
// time, with search, source, status and a Remove button per row.
func TestAdminDashboardPlayers(t *testing.T) {
	srv, _ := mustPlayersServer(t)
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	page := b.login().body
	if !strings.Contains(page, `<h2 id="players-h">Players</h2>`) || strings.Count(page, `aria-label="Remove `) != 50 {
		t.Fatalf("the first page does not list 50 players with a Remove button each:\n%s", page)
	}
	if !strings.Contains(page, "122 players · page 1 of 3") || !strings.Contains(page, `href="/admin?page=2#players" rel="next"`) || strings.Contains(page, `rel="prev">← Previous`) {
		t.Errorf("the first page's count or links: %s", page)
	}
	last := b.get("/admin?page=3").body
	if strings.Count(last, `aria-label="Remove `) != 22 || !strings.Contains(last, `href="/admin?page=2#players" rel="prev"`) || !strings.Contains(last, "newcomer") {
		t.Errorf("the last page: %s", last)
	}
	if !strings.Contains(last, "<td>newcomer</td><td><span class=\"muted\">none yet</span></td><td>registered</td>") {
		t.Errorf("newcomer is not shown as registered: %s", last)
	}
	found := b.get("/admin?q=" + url.QueryEscape("lovelace")).body
	if !strings.Contains(found, "1 matching player · page 1 of 1") || !strings.Contains(found, "<td>alice</td><td>Ada Lovelace</td><td>credentials.csv</td>") ||
		!strings.Contains(found, `aria-label="Remove Ada Lovelace (id `) || !strings.Contains(found, `value="lovelace"`) {
		t.Errorf("search for lovelace: %s", found)
	}
	if r := b.get("/admin?q=zzz"); !strings.Contains(r.body, "No player matches “zzz”.") {
		t.Errorf("a search without a match: %s", r.body)
	}
	if r := b.get("/admin?page=0"); r.status != 200 || !strings.Contains(r.body, `id="players-error"`) {
		t.Errorf("a bad page: %d %s", r.status, r.body)
	}
	// The page escapes what players chose.
	assertNoSecrets(t, bodies)
}

// TestAdminRemoveNeedsConfirmation: the dashboard's Remove shows a
// confirmation page naming the player and removes nobody until it is
// confirmed; the form token is still needed at every step.
func TestAdminRemoveNeedsConfirmation(t *testing.T) {
	srv, alice := mustPlayersServer(t)
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	csrf := csrfOf(t, b.login().body)
	_, page, _ := playersPage(t, srv, "q=alice")
	id := fmt.Sprint(page.Players[0].PlayerID)
	stillPlaying := func(when string) {
		t.Helper()
		if status, _ := alice.Do(t, "GET", "/api/me", nil); status != 200 {
			t.Fatalf("%s: alice was removed (%d)", when, status)
		}
		if _, page, _ := playersPage(t, srv, "q=alice"); page.Players[0].Removed {
			t.Fatalf("%s: alice is listed as removed", when)
		}
	}

	r := b.post("/admin/game/remove", url.Values{"csrf": {csrf}, "id": {id}})
	if r.status != 200 || !strings.Contains(r.body, "<h1>Remove this player?</h1>") || !strings.Contains(r.body, "Ada Lovelace (id "+id+")") ||
		!strings.Contains(r.body, "<dd>alice</dd>") || !strings.Contains(r.body, `name="confirm" value="yes"`) || !strings.Contains(r.body, ">Remove Ada Lovelace</button>") {
		t.Fatalf("the confirmation page: %d %s", r.status, r.body)
	}
	if r.header.Get("Content-Security-Policy") == "" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the confirmation page's headers: %v", r.header)
	}
	stillPlaying("after the first step")
	if r := b.post("/admin/game/remove", url.Values{"csrf": {csrf}, "id": {"alice"}, "confirm": {"no"}}); r.status != 200 || !strings.Contains(r.body, "Remove this player?") {
		t.Errorf("by username, unconfirmed: %d %s", r.status, r.body)
	}
	stillPlaying("after confirm=no")

	// The form token is needed with or without confirmation.
	stranger := newAdminBrowser(t, srv, &bodies)
	if r := stranger.post("/admin/game/remove", url.Values{"csrf": {csrf}, "id": {id}, "confirm": {"yes"}}); r.status != http.StatusUnauthorized {
		t.Errorf("without a session: %d", r.status)
	}
	for name, form := range map[string]url.Values{
		"no csrf":            {"id": {id}, "confirm": {"yes"}},
		"wrong csrf":         {"csrf": {csrf + "x"}, "id": {id}, "confirm": {"yes"}},
		"the token as csrf":  {"csrf": {ctftest.AdminToken}, "id": {id}, "confirm": {"yes"}},
		"no csrf, unconfirm": {"id": {id}},
	} {
		if r := b.post("/admin/game/remove", form); r.status != http.StatusForbidden || !strings.Contains(r.body, "form token") {
			t.Errorf("%s: %d, want 403: %.300s", name, r.status, r.body)
		}
	}
	stillPlaying("after forms without the token")
	for _, bad := range []string{"nobody", "", "999999"} {
		if r := b.post("/admin/game/remove", url.Values{"csrf": {csrf}, "id": {bad}, "confirm": {"yes"}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "nobody was removed") {
			t.Errorf("unknown id %q: %d %.300s", bad, r.status, r.body)
		}
	}

	r = b.post("/admin/game/remove", url.Values{"csrf": {csrf}, "id": {id}, "confirm": {"yes"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin#players" {
		t.Fatalf("confirmed: %d %s", r.status, r.body)
	}
	if status, _ := alice.Do(t, "GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Errorf("alice still plays after her removal: %d", status)
	}
	dash := b.get("/admin?q=alice").body
	if !strings.Contains(dash, "Removed player Ada Lovelace (id "+id+").") || !strings.Contains(dash, `<tr class="removed">`) ||
		!strings.Contains(dash, "<td>removed</td>") || strings.Contains(dash, `aria-label="Remove Ada Lovelace`) {
		t.Errorf("the dashboard after the removal: %s", dash)
	}
	if r := b.post("/admin/game/remove", url.Values{"csrf": {csrf}, "id": {id}}); !strings.Contains(r.body, "This player is removed already.") {
		t.Errorf("the confirmation of a removed player: %s", r.body)
	}
	assertNoSecrets(t, bodies)
}

// TestAdminDisbandNeedsConfirmation: Disband shows the team and its
// members first; only the confirmed form disbands it.
func TestAdminDisbandNeedsConfirmation(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	creds := "username,password,team\nalice,alice-pw,Crypto Cats\nbob,bob-pw,Crypto Cats\ncarol,carol-pw,Dog Squad\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials.csv"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := ctftest.MustServer(t, dir)
	alice := srv.MustLogin(t, "alice")
	alice.Do(t, "POST", "/api/set-name", map[string]string{"name": "Alice"})
	alice.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	var bodies []string
	b := newAdminBrowser(t, srv, &bodies)
	csrf := csrfOf(t, b.login().body)
	stats := b.waitStats("the teams", func(s httpapi.AdminStats) bool { return len(s.Teams) == 2 })
	cats := fmt.Sprint(stats.Teams[0].TeamID)

	// The players list shows the team column.
	_, page, body := playersPage(t, srv, "q=alice")
	if p := page.Players[0]; p.Team == nil || *p.Team != stats.Teams[0].Team || p.Score != 100 || p.Solves != 1 {
		t.Errorf("alice in team mode: %s", body)
	}
	if dash := b.get("/admin?q=bob").body; !strings.Contains(dash, "<th>team</th>") || !strings.Contains(dash, "<td>"+stats.Teams[0].Team+"</td>") {
		t.Errorf("the team column: %s", dash)
	}

	r := b.post("/admin/game/remove", url.Values{"csrf": {csrf}, "id": {cats}, "team": {"1"}})
	if r.status != 200 || !strings.Contains(r.body, "<h1>Disband this team?</h1>") || !strings.Contains(r.body, "Alice (id ") || !strings.Contains(r.body, `name="team" value="1"`) {
		t.Fatalf("the confirmation page: %d %s", r.status, r.body)
	}
	if s := b.stats(); len(s.Teams) != 2 {
		t.Fatalf("disbanded before the confirmation: %+v", s.Teams)
	}
	if r := b.post("/admin/game/remove", url.Values{"id": {cats}, "team": {"1"}, "confirm": {"yes"}}); r.status != http.StatusForbidden {
		t.Errorf("without the form token: %d", r.status)
	}
	if r := b.post("/admin/game/remove", url.Values{"csrf": {csrf}, "id": {"alice"}, "team": {"1"}, "confirm": {"yes"}}); r.status != http.StatusBadRequest {
		t.Errorf("a player as a team: %d", r.status)
	}
	r = b.post("/admin/game/remove", url.Values{"csrf": {csrf}, "id": {cats}, "team": {"1"}, "confirm": {"yes"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("confirmed: %d %s", r.status, r.body)
	}
	b.waitStats("the disband", func(s httpapi.AdminStats) bool { return len(s.Teams) == 1 })
	if dash := b.get("/admin").body; !strings.Contains(dash, "Disbanded team "+stats.Teams[0].Team) {
		t.Errorf("no message after the disband: %s", dash)
	}
	assertNoSecrets(t, bodies)
}
