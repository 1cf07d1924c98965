package game

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// mustInvalid fails unless err is a KindInvalid *Error whose message
// contains want.
func mustInvalid(tb testing.TB, in string, err error, want string) {
	tb.Helper()
	var ge *Error
	if !errors.As(err, &ge) || ge.Kind != KindInvalid {
		tb.Errorf("ValidateName(%+q) = %v, want an invalid error", in, err)
		return
	}
	if !strings.Contains(ge.Code, want) {
		tb.Errorf("ValidateName(%+q) says %q, want it to mention %q", in, ge.Code, want)
	}
}

// Each lookalike of a taken name must be refused outright or collide with
// it under NameKey (and so be refused as taken).
func TestNameLookalikesRefusedOrColliding(t *testing.T) {
	tests := []struct {
		taken, lookalike string
	}{
		{"Champion", "Ｃｈａｍｐｉｏｎ"},                                    // fullwidth
		{"Champion", "Ch\u0430mpion"},                               // Cyrillic а
		{"Champion", "\u0421h\u0430mpi\u043en"},                     // Cyrillic С, а, о
		{"Champion", "Ch\u03b1mpi\u03bfn"},                          // Greek α, ο
		{"Champion", "𝐂𝐡𝐚𝐦𝐩𝐢𝐨𝐧"},                                    // mathematical bold
		{"Champion", "𝕮𝖍𝖆𝖒𝖕𝖎𝖔𝖓"},                                    // mathematical fraktur
		{"Champion", "CHAMPION"},                                    // case
		{"Champion", "Champion\u3164"},                              // Hangul filler
		{"Champion", "Champ\u200bion"},                              // zero-width space
		{"Champion", "Champ\u200dion"},                              // zero-width joiner
		{"Champion", "\u202eChampion"},                              // right-to-left override
		{"Champion", "Champion\u0301\u0301\u0301"},                  // stacked combining marks
		{"Champion", "Champion\u0335"},                              // overlay mark
		{"Champion", "Charnpion"},                                   // rn for m
		{"final boss", "ﬁnal boss"},                                 // ligature
		{"star lord", "ſtar lord"},                                  // long s
		{"Cool Kid", "C00l Kid"},                                    // zeros for o
		{"BILL", "B\u04c0LL"},                                       // Cyrillic palochka
		{"HACKER", "\u041d\u0410\u0421\u041a\u0415R"},               // Cyrillic capitals
		{"Champion", "\u0421\u041d\u0410\u041c\u0420\u0406\u041eN"}, // Cyrillic capitals
		{"MEGA", "\u039c\u0395G\u0391"},                             // Greek capitals
		{"Straße", "STRASSE"},                                       // full case folding
		{"Ελένη", "ΕΛΈΝΗ"},                                          // Greek case
		{"Crypto Cats", "Crypto\u00a0\u2003Cats"},                   // other spaces
		{"Zoë", "Zo\u0065\u0308"},                                   // decomposed ë
		{"Neo", "\uff2e\uff45\uff4f"},                               // fullwidth again
		{"Ólafur", "O\u0301lafur"},                                  // decomposed Ó
		{"hacker", "h\u0430\u0441k\u0435r"},                         // Cyrillic а, с, е
		{"Team Rocket", "Team  R\u043e\u0441ket  "},                 // Cyrillic о, с and spacing
		{"Paypal", "\u0420\u0430\u0443\u0440\u0430l"},               // all-Cyrillic Раураl
	}
	for _, tt := range tests {
		held, err := ValidateName(tt.taken)
		if err != nil {
			t.Errorf("taken name %q refused: %v", tt.taken, err)
			continue
		}
		v, err := ValidateName(tt.lookalike)
		if err != nil {
			continue // refused outright
		}
		if NameKey(v) != NameKey(held) {
			t.Errorf("%+q (accepted as %+q) does not collide with %q: keys %+q and %+q", tt.lookalike, v, held, NameKey(v), NameKey(held))
		}
	}
}

func TestNameStoredFormIsNFKC(t *testing.T) {
	for in, want := range map[string]string{
		"Ｃｈａｍｐｉｏｎ":               "Champion",
		"ﬁnal boss":              "final boss",
		"ſtar lord":              "star lord",
		"𝐍𝐞𝐨 𝟒𝟐":                 "Neo 42",
		"O\u0301lafur":           "Ólafur",
		"Zo\u0065\u0308":         "Zoë",
		"Crypto\u00a0\u2003Cats": "Crypto Cats",
		"ｶﾀｶﾅ":                   "カタカナ",
	} {
		got, err := ValidateName(in)
		if err != nil || got != want {
			t.Errorf("ValidateName(%+q) = %+q, %v; want %+q", in, got, err, want)
		}
	}
}

func TestNameInvisiblesRefused(t *testing.T) {
	invisibles := map[string]rune{
		"Hangul filler":              0x3164,
		"Hangul choseong filler":     0x115F,
		"Hangul jungseong filler":    0x1160,
		"halfwidth Hangul filler":    0xFFA0,
		"zero-width space":           0x200B,
		"zero-width non-joiner":      0x200C,
		"zero-width joiner":          0x200D,
		"left-to-right mark":         0x200E,
		"right-to-left mark":         0x200F,
		"left-to-right embedding":    0x202A,
		"right-to-left override":     0x202E,
		"left-to-right isolate":      0x2066,
		"first strong isolate":       0x2068,
		"pop directional isolate":    0x2069,
		"Arabic letter mark":         0x061C,
		"word joiner":                0x2060,
		"invisible times":            0x2062,
		"byte order mark":            0xFEFF,
		"soft hyphen":                0x00AD,
		"combining grapheme joiner":  0x034F,
		"variation selector 16":      0xFE0F,
		"Mongolian vowel separator":  0x180E,
		"Mongolian variation select": 0x180B,
		"tag latin capital A":        0xE0041,
		"variation selector 17":      0xE0100,
		"NUL":                        0x0000,
		"escape":                     0x001B,
	}
	for what, r := range invisibles {
		for _, in := range []string{"Champion" + string(r), "Cham" + string(r) + "pion", string(r) + "Champion", string(r) + string(r), "ab" + strings.Repeat(string(r), 40)} {
			_, err := ValidateName(in)
			mustInvalid(t, in, err, "invisible")
		}
		// A name stored before invisibles were refused keys like what it
		// shows, so the re-keyed store sees the collision.
		if hangulFiller(r) {
			if NameKey("Champion"+string(r)) != NameKey("Champion") || NameKey("Team"+string(r)+"Rocket") != NameKey("Team Rocket") {
				t.Errorf("%s: NameKey does not read it as a space", what)
			}
		} else if NameKey("Cham"+string(r)+"pion") != NameKey("Champion") {
			t.Errorf("%s: NameKey keeps it", what)
		}
	}
}

func TestNameReservedLookalikesRefused(t *testing.T) {
	for _, in := range []string{
		"\u0410dmin",          // Cyrillic А
		"ＡＤＭＩＮ",               // fullwidth
		"ｒｏｏｔ",                // fullwidth
		"ſyſtem",              // long s
		"𝔸𝕕𝕞𝕚𝕟",               // double-struck
		"𝐦𝐨𝐝",                 // mathematical bold
		"\u039c\u03bfderator", // Greek Μ, ο
		"s\u0443stem",         // Cyrillic у
		"r00t",                // zeros
		"\u217fod squad",      // small roman numeral one thousand (ⅿ)
		"ｍod",                 // fullwidth m
		"The \u0405taff",      // Cyrillic Ѕ
		"\u0421TFG fan",       // Cyrillic С
		"0fficial",            // zero
		"supp\u043ert",        // Cyrillic о
		"Ad\u200bmin",         // invisible inside (refused as invisible)
		"GAMEMASTER",
		"xAdminx",
	} {
		_, err := ValidateName(in)
		var ge *Error
		if !errors.As(err, &ge) || ge.Kind != KindInvalid {
			t.Errorf("ValidateName(%+q) = %v, want refused", in, err)
		}
	}
	for _, w := range reservedNameParts {
		if got := reservedForm(w); got != w {
			t.Errorf("reservedForm(%q) = %q: the word would never match itself", w, got)
		}
	}
}

// Names from many scripts, and Latin names that contain the skeleton of a
// reserved word (m's skeleton is rn), stay accepted and unchanged.
func TestNameLegitAccepted(t *testing.T) {
	for _, in := range []string{
		"Müller", "李小龙", "Ελένη", "Ólafur", "Zoë_42", "Straße", "Дмитрий",
		"Björk", "Nguyễn Văn An", "محمد", "Łukasz", "Søren", "Ñandú", "İlkay",
		"山田 太郎", "김민준", "יוסי", "Παναγιώτης", "Jürgen", "François",
		"Turn Left", "Barn Owls", "Pernod", "Kernodle", "Arnold", "Corn Dog",
		"Team Rocket", "O'Brien", "Bill", "l33t h4x0r", "Player 1", "Cool Kid",
		"Модест", "Система", "Мария", "Σύστημα", "Μόδεστος", "Rnoderator",
	} {
		got, err := ValidateName(in)
		if err != nil || got != in {
			t.Errorf("ValidateName(%q) = %q, %v; want it accepted unchanged", in, got, err)
		}
	}
	// Distinct names stay distinct: accents, dots and scripts without a
	// Latin lookalike are not folded away.
	for _, pair := range [][2]string{
		{"Müller", "Muller"}, {"Champion", "Champ1on"}, {"Ólafur", "Olafur"},
		{"Дмитрий", "Dmitriy"}, {"Bill", "Bili"}, {"李小龙", "李小虎"},
	} {
		if NameKey(pair[0]) == NameKey(pair[1]) {
			t.Errorf("%q and %q share key %+q", pair[0], pair[1], NameKey(pair[0]))
		}
	}
	// What the skeleton does with rn, documented on NameKey.
	if NameKey("Barn Owls") != NameKey("Bam Owls") || NameKey("Turn Left") != NameKey("Tum Left") {
		t.Error("rn and m should look alike under NameKey")
	}
}

// Logs written before keys compared skeletons can hold two current names
// with one key: the first claim keeps it, and the other player renaming
// away does not free it.
func TestStateLegacyNameCollision(t *testing.T) {
	c, err := NewCatalog(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewState(c, []User{{ID: 1, Username: "a"}, {ID: 2, Username: "b"}, {ID: 3, Username: "c"}})
	s.Apply(
		Event{ID: 1, Type: EventRename, UserID: 1, Name: "Champion"},
		Event{ID: 2, Type: EventRename, UserID: 2, Name: "Ｃｈａｍｐｉｏｎ"},
	)
	if id, ok := s.NameOwner("champion"); !ok || id != 1 {
		t.Fatalf("owner %d %v, want the first claim (1)", id, ok)
	}
	s.Apply(Event{ID: 3, Type: EventRename, UserID: 2, Name: "Runner Up"})
	if id, ok := s.NameOwner("Chаmpion"); !ok || id != 1 {
		t.Fatalf("after the other renamed away: owner %d %v, want 1", id, ok)
	}
	s.Apply(Event{ID: 4, Type: EventRename, UserID: 1, Name: "Winner"})
	if id, ok := s.NameOwner("Champion"); ok {
		t.Fatalf("name still owned by %d after its holder left it", id)
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{
		"Champion", "Ｃｈａｍｐｉｏｎ", "Chаmpion", "Champion\u3164", "ﬁnal boss",
		"ſyſtem", "𝔸𝕕𝕞𝕚𝕟", "  Crypto   Cats ", "Zo\u0065\u0308", "\u202eabc",
		"a\u0301\u0301\u0301", "Müller", "李小龙", "\u00a8\u00a8", "\ufdfa", "\xff",
		"\u3000x\u3000y", "ｶﾀｶﾅ", "Barn Owls", "r00t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		key := NameKey(in) // must not panic on anything
		v, err := ValidateName(in)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) || ge.Kind != KindInvalid {
				t.Fatalf("ValidateName(%+q) = %v, want nil or a KindInvalid *Error", in, err)
			}
			return
		}
		if again, err := ValidateName(v); err != nil || again != v {
			t.Fatalf("ValidateName(%+q) = %+q, but that validates to %+q, %v", in, v, again, err)
		}
		if NameKey(v) != key || key == "" {
			t.Fatalf("key of %+q is %+q, of its accepted form %+q is %+q", in, key, v, NameKey(v))
		}
		if n := utf8.RuneCountInString(v); n < MinNameLen || n > MaxNameLen {
			t.Fatalf("accepted %+q has %d characters", v, n)
		}
		form := reservedForm(v)
		for _, bad := range reservedNameParts {
			if strings.Contains(form, bad) {
				t.Fatalf("accepted %+q contains %q", v, bad)
			}
		}
	})
}
