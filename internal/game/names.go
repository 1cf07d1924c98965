package game

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Display name limits (characters, after normalization).
const (
	MinNameLen = 2
	MaxNameLen = 30
)

// reservedNameParts may not appear anywhere in a display name, compared
// without case: they would let a player impersonate the organizers.
var reservedNameParts = []string{
	"administrator", "admin", "moderator", "mod", "root", "system", "ctfg",
	"official", "support", "staff", "owner", "operator", "gamemaster",
}

const allowedNamePunct = " -_.,'!?@#()"

// NormalizeName trims a display name and collapses inner runs of
// whitespace to one space.
func NormalizeName(name string) string {
	return strings.Join(strings.Fields(name), " ")
}

// NameKey is the form under which display names are unique: two names
// with the same key may not both be held.
func NameKey(name string) string {
	return strings.ToLower(NormalizeName(name))
}

// ValidateName normalizes name and checks it against the display-name
// rules. It returns the normalized name, or a KindInvalid *Error whose Code
// is a sentence fit to show the player.
func ValidateName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", NewError(KindInvalid, "Display name must be valid text.")
	}
	n := NormalizeName(name)
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
	lower := strings.ToLower(n)
	for _, bad := range reservedNameParts {
		if strings.Contains(lower, bad) {
			return "", NewError(KindInvalid, "Display name may not contain \""+bad+"\".")
		}
	}
	return n, nil
}
