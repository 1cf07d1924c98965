package game

import (
	"testing"
	"time"
)

// teamState: alice (1) and bob (2) in team 10, carol (3) in team 11.
func teamState(t *testing.T) *State {
	t.Helper()
	cat, err := NewCatalog([]*Challenge{
		{ID: 1, Title: "one", Points: 100, Flag: "^a$", Description: "team @TEAMNAME@ user @USERNAME@", Hints: []Hint{{ID: 1, Cost: 30}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return NewState(cat, []User{
		{ID: 1, Username: "alice", TeamID: 10}, {ID: 2, Username: "bob", TeamID: 10}, {ID: 3, Username: "carol", TeamID: 11},
		{ID: 10, Username: TeamUsername("Cats"), IsTeam: true}, {ID: 11, Username: TeamUsername("Dogs"), IsTeam: true},
	})
}

// TestTeamFold: a team's solve and hint count once, shown to every
// member; only teams are ranked; a leaver takes nothing; a joiner
// shares; a disbanded team leaves the board.
func TestTeamFold(t *testing.T) {
	st := teamState(t)
	if !st.TeamMode() || st.Scorer(1) != 10 || st.Scorer(3) != 11 {
		t.Fatal("scorers")
	}
	st.Apply(
		Event{ID: 1, Type: EventRename, UserID: 10, Name: "Cats", TS: 1},
		Event{ID: 2, Type: EventRename, UserID: 1, Name: "Alice", TS: 1},
		Event{ID: 3, Type: EventScore, UserID: 10, ChallengeID: 1, Points: 100, TS: 2}.WithBy(1),
		Event{ID: 4, Type: EventScore, UserID: 10, ChallengeID: 1, Points: 100, TS: 3}.WithBy(2), // a second one: ignored
		Event{ID: 5, Type: EventHint, UserID: 10, ChallengeID: 1, HintID: 1, Points: -30, TS: 4}.WithBy(2),
	)
	board, _ := st.Scoreboard(time.Time{})
	if len(board) != 1 || board[0].PlayerID != 10 || board[0].Score != 70 || board[0].Solves != 1 {
		t.Fatalf("team board: %+v", board)
	}
	views, me, _ := st.View(2, time.Time{})
	if !views[0].Solved || !views[0].Bought[0] || me.Team != "Cats" || me.Username != "bob" {
		t.Fatalf("bob's view: %+v %+v", views[0], me)
	}
	ph := &Placeholders{}
	if got := ph.Expand(views[0].Challenge.Description, &me); got != "team Cats user bob" {
		t.Fatalf("placeholders: %q", got)
	}
	if pr, _ := st.Profile(1, time.Time{}); len(pr.Solves) != 1 || pr.Solves[0].By != 1 || pr.Score != 70 {
		t.Fatalf("alice's page: %+v", pr)
	}
	st.Apply(NewJoin(2, 0, 5), NewJoin(3, 10, 6))
	if st.Scorer(2) != 0 || st.Scorer(3) != 10 {
		t.Fatal("after leave and join")
	}
	if v, _, _ := st.View(3, time.Time{}); !v[0].Solved {
		t.Fatal("a joiner shares the team's solves")
	}
	if b, _ := st.Scoreboard(time.Time{}); b[0].Score != 70 {
		t.Fatalf("the team keeps its points: %+v", b)
	}
	st.Apply(Event{ID: 9, Type: EventRemove, UserID: 10, TS: 7})
	if b, _ := st.Scoreboard(time.Time{}); len(b) != 0 || st.Scorer(1) != 0 {
		t.Fatalf("after the disband: %+v", b)
	}
	// A reset goes back to the configured teams.
	st.Apply(Event{ID: 10, Type: EventReset, TS: 8})
	if st.Scorer(2) != 10 || st.Scorer(3) != 11 {
		t.Fatal("after a reset")
	}
}
