package game

import (
	"fmt"
	"strings"
	"testing"
)

// TestFindPlayers: search by username or display name ignoring case and
// width, paging in id order, registered accounts told from
// credentials.csv ones (also after a reset), removed players kept and
// marked, teams left out.
func TestFindPlayers(t *testing.T) {
	cat, err := NewCatalog([]*Challenge{{ID: 1, Title: "one", Points: 100, Flag: "^a$"}})
	if err != nil {
		t.Fatal(err)
	}
	var users []User
	for i := 1; i <= 120; i++ {
		users = append(users, User{ID: int64(i), Username: fmt.Sprintf("user%03d", i)})
	}
	st := NewState(cat, users)
	st.Apply(
		Event{ID: 1, Type: EventRename, UserID: 5, Name: "Ada Lovelace", TS: 1},
		Event{ID: 2, Type: EventRegister, UserID: 200, Name: "newbie", TS: 2},
		Event{ID: 3, Type: EventScore, UserID: 5, ChallengeID: 1, Points: 100, TS: 3},
		Event{ID: 4, Type: EventRemove, UserID: 7, TS: 4},
	)
	page, total, err := st.FindPlayers("", 0, 50)
	if err != nil || total != 121 || len(page) != 50 || page[0].ID != 1 || page[49].ID != 50 {
		t.Fatalf("first page: %d %d %v", total, len(page), err)
	}
	if page[4].Score != 100 || page[4].Solves != 1 || page[4].Name != "Ada Lovelace" || page[4].Registered {
		t.Errorf("user005: %+v", page[4])
	}
	if !page[6].Removed || page[5].Removed {
		t.Errorf("removed flags: %+v %+v", page[5], page[6])
	}
	last, total, _ := st.FindPlayers("", 100, 50)
	if total != 121 || len(last) != 21 || last[20].ID != 200 || !last[20].Registered || last[20].Username != "newbie" {
		t.Fatalf("last page: %d %+v", total, last)
	}
	if beyond, total, _ := st.FindPlayers("", 150, 50); len(beyond) != 0 || total != 121 {
		t.Errorf("beyond the last page: %d %d", len(beyond), total)
	}
	for q, want := range map[string][]int64{
		"LOVELACE": {5}, "  ada  ": {5}, "ＡＤＡ": {5}, "ada lovelace": {5}, "ada  lovelace": {5},
		"user00": {1, 2, 3, 4, 5, 6, 7, 8, 9}, "NEWB": {200}, "nobody": nil,
	} {
		got, total, err := st.FindPlayers(q, 0, 500)
		var ids []int64
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if err != nil || total != len(want) || fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("FindPlayers(%q) = %v (%d, %v), want %v", q, ids, total, err, want)
		}
	}
	for _, q := range []string{strings.Repeat("a", MaxRosterQuery+1), "\xff"} {
		if _, _, err := st.FindPlayers(q, 0, 10); err != ErrInvalidQuery {
			t.Errorf("FindPlayers(%q): %v", q, err)
		}
	}
	// A reset keeps the account, and where it came from.
	st.Apply(Event{ID: 5, Type: EventReset, TS: 5})
	if got, _, _ := st.FindPlayers("newbie", 0, 10); len(got) != 1 || !got[0].Registered {
		t.Errorf("after a reset: %+v", got)
	}
}

// TestFindPlayersTeams: in team mode a player's score is the team's and
// their solves those they made for it; teams are not listed.
func TestFindPlayersTeams(t *testing.T) {
	st := teamState(t)
	st.Apply(
		Event{ID: 1, Type: EventRename, UserID: 10, Name: "Cats", TS: 1},
		Event{ID: 2, Type: EventScore, UserID: 10, ChallengeID: 1, Points: 100, TS: 2}.WithBy(2),
	)
	got, total, _ := st.FindPlayers("", 0, 10)
	if total != 3 || len(got) != 3 {
		t.Fatalf("players: %+v", got)
	}
	alice, bob, carol := got[0], got[1], got[2]
	if alice.TeamID != 10 || alice.Team != "Cats" || alice.Score != 100 || alice.Solves != 0 {
		t.Errorf("alice: %+v", alice)
	}
	if bob.Score != 100 || bob.Solves != 1 {
		t.Errorf("bob: %+v", bob)
	}
	if carol.TeamID != 11 || carol.Score != 0 {
		t.Errorf("carol: %+v", carol)
	}
}

func TestSearchKey(t *testing.T) {
	for in, want := range map[string]string{
		"Alice": "alice", "alice": "alice", " Ada  Lovelace ": "ada lovelace", "Ada\tLovelace": "ada lovelace",
		"ＡＤＡ": "ada", "STRASSE": "strasse", "Straße": "strasse", "": "",
	} {
		if got := SearchKey(in); got != want {
			t.Errorf("SearchKey(%q) = %q, want %q", in, got, want)
		}
	}
}
