package game

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustChallenge(t *testing.T, c Challenge) *Challenge {
	t.Helper()
	if err := c.Compile(); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestMatchFlagExactlyOnce(t *testing.T) {
	anchored := mustChallenge(t, Challenge{ID: 1, Flag: `^26$`})
	unanchored := mustChallenge(t, Challenge{ID: 2, Flag: `flag\{[a-z]+\}`})
	evil := mustChallenge(t, Challenge{ID: 3, Flag: `^(a+)+$`})
	tests := []struct {
		c     *Challenge
		guess string
		want  bool
	}{
		{anchored, "26", true},
		{anchored, "260", false},
		{anchored, " 26", false}, // trimming is the caller's job
		{unanchored, "flag{abc}", true},
		{unanchored, "xx flag{abc} yy", true},
		{unanchored, "flag{a}flag{b}", false}, // two matches
		{unanchored, "nothing", false},
		{evil, strings.Repeat("a", 4000) + "!", false}, // linear time, no hang
		{evil, strings.Repeat("a", MaxGuessLen+1), false},
	}
	for _, tt := range tests {
		if got := tt.c.MatchFlag(tt.guess); got != tt.want {
			t.Errorf("flag %q guess %.20q: got %v, want %v", tt.c.Flag, tt.guess, got, tt.want)
		}
	}
}

func TestValidateName(t *testing.T) {
	ok := map[string]string{
		"  Crypto   Cats ": "Crypto Cats",
		"Zoë_42":           "Zoë_42",
		"ab":               "ab",
		"(hi)!?@#,.'-":     "(hi)!?@#,.'-",
		"aaaab":            "aaaab",
	}
	for in, want := range ok {
		got, err := ValidateName(in)
		if err != nil || got != want {
			t.Errorf("ValidateName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"a", " ", strings.Repeat("x", 31), "aaaaa", "xAdminx", "the MOD squad", "Root", "semi;colon", "tab\x00", "ctfg fan", "gamemaster", "<script>", "\xff\xfe"}
	for _, in := range bad {
		_, err := ValidateName(in)
		var ge *Error
		if !errors.As(err, &ge) || ge.Kind != KindInvalid {
			t.Errorf("ValidateName(%q) = %v, want an invalid error", in, err)
		}
	}
	if NameKey(" Crypto  CATS") != NameKey("crypto cats") {
		t.Error("NameKey must ignore case and spacing")
	}
}

func TestObfuscateMatchesOldEngine(t *testing.T) {
	// Computed by hand from the old engine's mask-string: UTF-8 bytes of
	// "ab", CRC-32 (IEEE) 0x9E83486D big-endian, XOR "some-secret-key".
	name, key := "ab", "some-secret-key"
	b := []byte{'a', 'b', 0x9E, 0x83, 0x48, 0x6D}
	for i := range b {
		b[i] ^= key[i%len(key)]
	}
	want := strings.ToUpper(hexString(b))
	if got := Obfuscate(name, key); got != want {
		t.Fatalf("Obfuscate = %s, want %s", got, want)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, x := range b {
		out = append(out, digits[x>>4], digits[x&15])
	}
	return string(out)
}

func TestExpandPlaceholders(t *testing.T) {
	ph := &Placeholders{ControlCluster: "ctl", PlayerClusters: []string{"c0", "c1", "c2"}}
	p := &Player{ID: 4, Username: "alice"}
	got := ph.Expand("@USERNAME@ @USERID@ @DISPLAYNAME@ @OBFUSCATED_DISPLAYNAME@ @PLAYER_CLUSTER@ @CONTROL_CLUSTER@", p)
	if got != "alice 4 [unset] [unset] c1 ctl" {
		t.Fatalf("unset name: %q", got)
	}
	p.Name = "@USERID@"
	got = ph.Expand("@DISPLAYNAME@|@OBFUSCATED_DISPLAYNAME@", p)
	if got != "@USERID@|"+Obfuscate("@USERID@", DefaultObfuscationKey) {
		t.Fatalf("a name must not expand again: %q", got)
	}
}

func newTestState(t *testing.T) *State {
	t.Helper()
	chs := []*Challenge{
		{ID: 1, Title: "one", Points: 100, Flag: "^a$", Hints: []Hint{{ID: 2, Cost: 20}, {ID: 1, Cost: 0}}},
		{ID: 2, Title: "two", Points: 50, Flag: "^b$", Requirements: []int{1}},
	}
	cat, err := NewCatalog(chs)
	if err != nil {
		t.Fatal(err)
	}
	return NewState(cat, []User{{ID: 1, Username: "alice"}, {ID: 2, Username: "bob"}, {ID: 3, Username: "carol"}})
}

func TestHintsInOrderAndPoints(t *testing.T) {
	st := newTestState(t)
	c, _ := st.Catalog().Get(1)
	if c.Hints[0].ID != 1 {
		t.Fatal("hints must be sorted by id, the purchase order")
	}
	p, _ := st.ClonePlayer(1)
	if _, err := p.CheckHint(c, 2); err != ErrLocked {
		t.Fatalf("second hint before first: %v", err)
	}
	if _, err := p.CheckHint(c, 9); err != ErrUnknownHint {
		t.Fatalf("unknown hint: %v", err)
	}
	if _, err := p.CheckHint(c, 1); err != nil {
		t.Fatalf("free first hint: %v", err)
	}
	p.Apply(Event{ID: 1, Type: EventHint, UserID: 1, ChallengeID: 1, HintID: 1, Points: 0, TS: 1})
	if _, err := p.CheckHint(c, 1); err != ErrAlreadyPurchased {
		t.Fatalf("bought twice: %v", err)
	}
	if _, err := p.CheckHint(c, 2); err != ErrInsufficientPoints {
		t.Fatalf("no points: %v", err)
	}
	c2, _ := st.Catalog().Get(2)
	if p.Available(c2) {
		t.Fatal("challenge 2 requires 1")
	}
	p.Apply(Event{ID: 2, Type: EventScore, UserID: 1, ChallengeID: 1, Points: 100, TS: 2})
	if !p.Available(c2) {
		t.Fatal("challenge 2 must unlock")
	}
	if _, err := p.CheckHint(c, 2); err != nil {
		t.Fatalf("paid hint with points: %v", err)
	}
	// The clone did not change the state.
	orig, _ := st.Player(1)
	if orig.Score != 0 || orig.Active {
		t.Fatal("Clone must not share state")
	}
}

func TestRanking(t *testing.T) {
	st := newTestState(t)
	st.Apply(
		Event{ID: 1, Type: EventRename, UserID: 1, Name: "Alice", TS: 1},
		Event{ID: 2, Type: EventRename, UserID: 2, Name: "Bob", TS: 1},
		Event{ID: 3, Type: EventScore, UserID: 2, ChallengeID: 1, Points: 100, TS: 10},
		Event{ID: 4, Type: EventScore, UserID: 1, ChallengeID: 1, Points: 100, TS: 20},
		Event{ID: 5, Type: EventScore, UserID: 1, ChallengeID: 1, Points: 100, TS: 30}, // duplicate: ignored
	)
	board, last := st.Scoreboard(time.Time{})
	if last != 5 || len(board) != 2 {
		t.Fatalf("board %+v last %d", board, last)
	}
	// Equal score: Bob reached it first.
	if board[0].DisplayName != "Bob" || board[1].DisplayName != "Alice" || board[0].Rank != 1 || board[1].Score != 100 {
		t.Fatalf("ranking: %+v", board)
	}
	st.Apply(Event{ID: 6, Type: EventHint, UserID: 2, ChallengeID: 1, HintID: 2, Points: -20, TS: 40})
	board, _ = st.Scoreboard(time.Time{})
	if board[0].DisplayName != "Alice" || board[1].Score != 80 {
		t.Fatalf("after hint: %+v", board)
	}
	snap := st.TakeSnapshot(10, time.Time{})
	if snap.LastID != 6 || len(snap.Series) != 2 || len(snap.Events) != 5 || len(snap.Series[1].Points) != 2 {
		t.Fatalf("snapshot: %+v", snap)
	}
	if owner, ok := st.NameOwner("ALICE"); !ok || owner != 1 {
		t.Fatal("name index must ignore case")
	}
	st.Apply(Event{ID: 7, Type: EventReset, TS: 50})
	board, last = st.Scoreboard(time.Time{})
	if len(board) != 0 || last != 7 {
		t.Fatalf("after reset: %+v %d (the reset event's id, ids are never reused)", board, last)
	}
	if snap := st.TakeSnapshot(10, time.Time{}); len(snap.Events) != 0 || snap.LastID != 7 {
		t.Fatalf("snapshot after reset: %+v", snap)
	}
	if _, ok := st.NameOwner("alice"); ok {
		t.Fatal("reset must clear names")
	}
}
