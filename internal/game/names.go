package game

import (
	"strings"
	"unicode"
	"unicode/utf8"

	// Unicode's confusables table (UTS #39, version 13.0.0) embedded in
	// Go. It is the practical source here: Debian's unicode-data does not
	// ship confusables.txt and nothing else can be downloaded, and the
	// package, though last released in 2021, is a generated copy of that
	// table with the TR 39 skeleton algorithm around it. Characters added
	// to Unicode after 13.0 are simply not mapped (they compare as
	// themselves).
	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Display name limits (characters, after normalization).
const (
	MinNameLen = 2
	MaxNameLen = 30
)

// reservedNameParts may not appear anywhere in a display name, compared
// on reservedForm: they would let a player impersonate the organizers.
var reservedNameParts = []string{
	"administrator", "admin", "moderator", "mod", "root", "system", "ctfg",
	"official", "support", "staff", "owner", "operator", "gamemaster",
}

const allowedNamePunct = " -_.,'!?@#()"

// NormalizeName returns the form of a display name that is stored and
// shown: NFKC-normalized (fullwidth, mathematical and other compatibility
// letters become the plain ones, ligatures are split, ſ becomes s, a
// letter typed as base plus accent becomes one letter), trimmed, with
// inner runs of whitespace collapsed to one space. (The PRECIS nickname
// profile, golang.org/x/text/secure/precis, does much the same, but its
// errors name no rule; the checks in ValidateName give the player a
// sentence.)
func NormalizeName(name string) string {
	return collapseSpaces(norm.NFKC.String(name))
}

func collapseSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// NameKey is the form under which display names are unique: two names
// with the same key may not both be held. It is built from the UTS #39
// confusable skeleton: the NFKC form, invisible characters removed
// (Hangul fillers, drawn as blanks, read as spaces), case-folded, each
// character replaced by its comparison form (see lookalike). "Champion", "CHAMPION", "Ｃｈａｍｐｉｏｎ", "Chаmpion" with a
// Cyrillic а, "СНАМРІОN" in Cyrillic capitals and "Champion" followed by
// a Hangul filler share one key. The skeleton maps m to rn, so "Barn
// Owls" and "Bam Owls" collide too, as they look alike. Case is folded
// first, so that ALICE and alice are one name, which leaves one known
// gap: a capital I (folded to i) is not taken for a small l. A key is for
// comparison only, never for display.
//
// The store keeps keys (names.name_key) and re-keys its names when it
// opens, so a change to this function, or to the Unicode data behind it,
// reaches existing databases.
func NameKey(name string) string {
	visible := strings.Map(func(r rune) rune {
		switch {
		case hangulFiller(r):
			return ' ' // drawn as a blank the width of a letter
		case invisibleRune(r) && !unicode.IsSpace(r): // tabs and newlines are spaces
			return -1
		}
		return r
	}, norm.NFKC.String(name))
	var b strings.Builder
	for _, r := range foldCase(collapseSpaces(visible)) {
		b.WriteString(lookalike(r))
	}
	return norm.NFD.String(b.String())
}

// lookalike returns the comparison form of one case-folded character: its
// skeleton, case-folded, when that is Latin (ASCII with combining marks:
// Cyrillic а and Greek ο give a and o), else the skeleton of its capital
// when that is Latin (Cyrillic н, Greek μ and ε are folded forms of Н, Μ
// and Ε, which look like H, M and E), else its own skeleton (a Han
// character is itself). Folding before the skeleton loses what capitals
// look like; trying the capital as well brings that back without making
// the key depend on case.
func lookalike(r rune) string {
	if r < utf8.RuneSelf {
		return asciiLookalike[r]
	}
	return lookalikeSlow(r)
}

// asciiLookalike holds lookalike for ASCII, which most names are made of:
// the table lookups of the slow path cost microseconds per character.
var asciiLookalike = func() (t [utf8.RuneSelf]string) {
	for r := range rune(utf8.RuneSelf) {
		t[r] = lookalikeSlow(r)
	}
	return t
}()

func lookalikeSlow(r rune) string {
	s := foldSkeleton(string(r))
	if latinLike(s) {
		// Once more: a letter whose skeleton is a capital (small capital
		// ᴍ gives M) must end where the small Latin letter does (m gives
		// rn). Folded ASCII is stable after one more round.
		return foldSkeleton(s)
	}
	if u := unicode.ToUpper(r); u != r {
		if su := foldSkeleton(string(u)); latinLike(su) {
			return foldSkeleton(su)
		}
	}
	return s
}

func foldSkeleton(s string) string {
	return foldCase(confusables.Skeleton(s))
}

// latinLike reports whether s is ASCII, possibly with combining marks.
func latinLike(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf && !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

// foldCase applies full Unicode case folding (ß and ss, ς and σ compare
// equal). A Caser keeps state, so each call makes its own.
func foldCase(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return cases.Fold().String(s)
		}
	}
	return strings.ToLower(s) // ASCII folds to lower case
}

// invisibleRune reports the characters a display name may not hold
// because they show nothing or change how the rest is shown: default
// ignorable code points (zero-width spaces and joiners, the Hangul
// fillers U+115F, U+1160, U+3164 and U+FFA0, which are letters and
// render blank, variation selectors, the combining grapheme joiner),
// format characters (bidi embeddings, overrides, isolates and marks, the
// soft hyphen, the word joiner, tag characters) and control characters.
func invisibleRune(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// hangulFiller reports the Hangul filler letters, which fonts draw as
// blanks (NFKC has already turned U+3164 and U+FFA0 into U+1160).
func hangulFiller(r rune) bool {
	return r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0
}

// latinForPrototype undoes, for reservedForm, the skeleton's mappings of
// a plain Latin letter to several letters (in Unicode 13 only m, to rn),
// so that m and its single-character lookalikes read as m again while a
// real "rn" stays "rn".
var latinForPrototype = func() map[string]string {
	m := map[string]string{}
	for c := 'a'; c <= 'z'; c++ {
		if p := lookalike(c); utf8.RuneCountInString(p) > 1 {
			m[p] = string(c)
		}
	}
	return m
}()

// reservedForm is the form in which reserved words are looked for: that
// of NameKey (Cyrillic А, Greek Α, fullwidth and mathematical letters
// read as Latin A, 0 as o and 1 as l), except that m stays m. Matching on
// the key itself would read the m of "mod" as "rn" and refuse ordinary
// names such as "Pernod" or "Kernodle" for containing "rnod". The price
// is that a spoof spelled with a real "rn" ("Rnoderator") passes this
// check; it still collides with "Moderator" under NameKey.
func reservedForm(name string) string {
	var b strings.Builder
	for _, r := range foldCase(name) {
		s := lookalike(r)
		if latin, ok := latinForPrototype[s]; ok {
			s = latin
		}
		b.WriteString(s)
	}
	return b.String()
}

// ValidateName normalizes name (NormalizeName) and checks it against the
// display-name rules. It returns the normalized name, or a KindInvalid
// *Error whose Code is a sentence fit to show the player. An accepted
// name validates again to itself.
func ValidateName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", NewError(KindInvalid, "Display name must be valid text.")
	}
	n := NormalizeName(name)
	for _, r := range n {
		if invisibleRune(r) {
			return "", NewError(KindInvalid, "Display name may not contain invisible characters such as zero-width spaces, direction marks or Hangul fillers.")
		}
	}
	length := utf8.RuneCountInString(n)
	if length < MinNameLen {
		return "", NewError(KindInvalid, "Display name must be at least 2 characters.")
	}
	if length > MaxNameLen {
		return "", NewError(KindInvalid, "Display name must be at most 30 characters.")
	}
	var prev rune
	run := 0
	for _, r := range n {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(allowedNamePunct, r) {
			return "", NewError(KindInvalid, "Display name may contain only letters, digits, spaces and -_.,'!?@#().")
		}
		if r == prev {
			run++
		} else {
			prev, run = r, 1
		}
		if run >= 5 {
			return "", NewError(KindInvalid, "Display name may not repeat a character 5 or more times in a row.")
		}
	}
	form := reservedForm(n)
	for _, bad := range reservedNameParts {
		if strings.Contains(form, bad) {
			return "", NewError(KindInvalid, "Display name may not contain \""+bad+"\".")
		}
	}
	return n, nil
}
