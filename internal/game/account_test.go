package game

import (
	"strings"
	"testing"
	"time"
)

func TestValidateUsername(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"abc", true}, {"a.b-c_9", true}, {strings.Repeat("x", 32), true},
		{"ab", false}, {strings.Repeat("x", 33), false}, {"Abc", false}, {"a b", false},
		{"ünï", false}, {"team", false}, {"teamrocket", false}, {"myteam", true}, {"a/b", false}, {"", false},
	} {
		if err := ValidateUsername(tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateUsername(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
	if got := NormalizeUsername("  AliCe.9 "); got != "alice.9" {
		t.Errorf("NormalizeUsername: %q", got)
	}
}

func TestValidatePassword(t *testing.T) {
	for _, tc := range []struct {
		user, pw string
		ok       bool
	}{
		{"alice", "horse-battery-7", true},
		{"alice", "short-pw", false},                    // 8 characters
		{"alice", "ünïcödé-ok", true},                   // 10 characters, more bytes
		{"alice", strings.Repeat("é", 36), true},        // 72 bytes
		{"alice", strings.Repeat("é", 37), false},       // 74 bytes: bcrypt would cut it
		{"alice", strings.Repeat("ab", 37), false},      // 74 bytes
		{"alice", "Password123", false},                 // common, any case
		{"alice", "aaaaaaaaaaaa", false},                // one character repeated
		{"alice.long", "ALICE.LONG", false},             // the username
		{"alice.long", "alice.long12", false},           // the username and 2 more
		{"alice.long", "my-alice.long-pw", true},        // more than that
		{"alice", "caf\xe9-caf\xe9-caf\xe9", false},     // invalid UTF-8
		{"bob", "correcthorsebatterystaple", false},     // famous
		{"bob", "correct-horse-battery-staple-9", true}, // not the famous one
	} {
		if err := ValidatePassword(tc.user, tc.pw); (err == nil) != tc.ok {
			t.Errorf("ValidatePassword(%q, %q) = %v, want ok=%v", tc.user, tc.pw, err, tc.ok)
		}
	}
}

// TestRegisterEvent: a register event adds an inactive player that can
// play at once; a repeat, or one for a known id, changes nothing; a
// reset keeps the player; during a freeze the public board knows the
// player too and the event uses up no public id.
func TestRegisterEvent(t *testing.T) {
	st := newTestState(t)
	st.Apply(Event{ID: 1, Type: EventRegister, UserID: 7, Name: "newbie", TS: ms(0)})
	p, ok := st.PlayerByUsername("newbie")
	if !ok || p.ID != 7 || p.Active {
		t.Fatalf("registered player: %+v %v", p, ok)
	}
	if board, _ := st.Scoreboard(f0); len(board) != 0 {
		t.Fatalf("an account with no event is not on the board: %+v", board)
	}
	st.Apply(
		Event{ID: 2, Type: EventRegister, UserID: 7, Name: "other", TS: ms(0)},
		Event{ID: 3, Type: EventRegister, UserID: 1, Name: "mallory", TS: ms(0)},
		Event{ID: 4, Type: EventRename, UserID: 7, Name: "Newbie", TS: ms(0)},
		Event{ID: 5, Type: EventScore, UserID: 7, ChallengeID: 1, Points: 100, TS: ms(time.Minute)},
	)
	if _, ok := st.PlayerByUsername("other"); ok {
		t.Error("a second register event for an id renamed its player")
	}
	if q, _ := st.Player(1); q.Username != "alice" {
		t.Errorf("a register event took over a csv user: %+v", q)
	}
	if _, ok := st.PlayerByUsername("mallory"); ok {
		t.Error("a register event for a csv user's id added a name")
	}
	if board, _ := st.Scoreboard(f0.Add(time.Hour)); len(board) != 1 || board[0].PlayerID != 7 || board[0].Score != 100 {
		t.Fatalf("board: %+v", board)
	}
	st.Apply(Event{ID: 6, Type: EventReset, TS: ms(2 * time.Minute)})
	if p, ok := st.PlayerByUsername("newbie"); !ok || p.Score != 0 || p.Name != "" {
		t.Fatalf("after a reset: %+v %v", p, ok)
	}

	fr := freezeState(t, false)
	fr.Apply(Event{ID: 1, Type: EventRename, UserID: 1, Name: "Alice", TS: ms(0)})
	at := f0.Add(90 * time.Minute)
	_, before := fr.Scoreboard(at)
	fr.Apply(
		Event{ID: 2, Type: EventScore, UserID: 1, ChallengeID: 1, Points: 100, TS: ms(61 * time.Minute)}, // freezes
		Event{ID: 3, Type: EventRegister, UserID: 9, Name: "late", TS: ms(62 * time.Minute)},
	)
	if _, ok := fr.PublicPlayer(9, at); !ok {
		t.Error("the public board does not know a player registered during the freeze")
	}
	if _, after := fr.Scoreboard(at); after != before {
		t.Errorf("the register event moved the public id: %d → %d", before, after)
	}
	g := fr.NewGate()
	g.Step(Event{ID: 1, Type: EventFreeze, TS: ms(0)})
	if st := g.Step(Event{ID: 2, Type: EventRegister, UserID: 9, TS: ms(0)}); st.Public {
		t.Error("a register event is public")
	}
}
