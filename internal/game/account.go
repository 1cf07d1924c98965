package game

import (
	"strings"
	"unicode/utf8"
)

// EventRegister is a player account created by self-registration: UserID
// is the new account's id (assigned by the store, in the id space of
// credentials.csv users), Name its username. The store commits it in the
// transaction that creates the account, so every instance adds the
// player when its feed brings the event. It is never shown to anyone
// (no public id, no scorestream frame). Accounts are not game events: a
// reset keeps both the account and its register event (the store does
// not delete it), and the fold keeps players across a reset anyway.
const EventRegister EventType = "register"

// Username and password limits of self-registration.
const (
	MinUsernameLen = 3
	MaxUsernameLen = 32
	// MinPasswordLen is in characters; MaxPasswordBytes is bcrypt's limit
	// (it ignores everything after the 72nd byte, so a longer password
	// would be weaker than it looks).
	MinPasswordLen   = 10
	MaxPasswordBytes = 72
	// ReservedUsernamePrefix starts no registered username: team accounts
	// and invite codes are named with it.
	ReservedUsernamePrefix = "team"
)

// The rule errors of self-registration.
var (
	ErrInvalidUsername = NewError(KindInvalid, "invalid_username")
	ErrWeakPassword    = NewError(KindInvalid, "weak_password")
	// ErrUsernameTaken: the username (ignoring case) belongs to a
	// credentials.csv user or another account. A 400 like the others:
	// the client fixes its request.
	ErrUsernameTaken = NewError(KindInvalid, "username_taken")
)

// NormalizeUsername returns the form of a username that registration
// checks and stores: trimmed and lowercased.
func NormalizeUsername(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// ValidateUsername checks a normalized username: MinUsernameLen to
// MaxUsernameLen characters of a-z, 0-9, '_', '.' and '-', not starting
// with ReservedUsernamePrefix. It returns ErrInvalidUsername or nil.
func ValidateUsername(u string) error {
	if len(u) < MinUsernameLen || len(u) > MaxUsernameLen || strings.HasPrefix(u, ReservedUsernamePrefix) {
		return ErrInvalidUsername
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return ErrInvalidUsername
		}
	}
	return nil
}

// commonPasswords are refused whatever their length passes: the first
// guesses of every cracking list that are 10 characters or longer.
// Compared ignoring case.
var commonPasswords = map[string]bool{}

func init() {
	for _, p := range []string{
		"0123456789", "1234567890", "12345678910", "123456789a", "a123456789", "1234567890a",
		"0987654321", "1111111111", "0000000000", "1212121212", "123123123123", "1234512345",
		"password12", "password123", "password1234", "password1!", "passw0rd12", "p@ssw0rd123",
		"qwertyuiop", "qwerty1234", "qwerty12345", "qwerty123456", "1q2w3e4r5t", "1qaz2wsx3edc",
		"zaq12wsxcde", "asdfghjkl1", "asdfghjkl;", "zxcvbnm123", "abcdefghij", "abcd123456",
		"iloveyou12", "iloveyou123", "letmein123", "welcome123", "welcome1234", "admin12345",
		"administrator", "football123", "baseball123", "princess12", "sunshine12", "trustno1234",
		"monkey12345", "dragon12345", "superman123", "starwars123", "changeme123", "secret1234",
		"correcthorsebatterystaple", "capturetheflag", "ctfpassword", "flag{password}",
	} {
		commonPasswords[p] = true
	}
}

// ValidatePassword checks a new password of the account username: valid
// UTF-8, at least MinPasswordLen characters, at most MaxPasswordBytes
// bytes, not the username nor the username with fewer than 4 characters
// added (ignoring case), not one character repeated, not a common
// password. It returns ErrWeakPassword or nil.
func ValidatePassword(username, password string) error {
	if !utf8.ValidString(password) || len(password) > MaxPasswordBytes || utf8.RuneCountInString(password) < MinPasswordLen {
		return ErrWeakPassword
	}
	lower := strings.ToLower(password)
	if commonPasswords[lower] || (username != "" && strings.Contains(lower, strings.ToLower(username)) && len(lower) < len(username)+4) {
		return ErrWeakPassword
	}
	if strings.Count(password, password[:1]) == len(password) {
		return ErrWeakPassword
	}
	return nil
}

// addPlayerLocked adds the player of a register event unless its id is
// known already (a replayed event, or a credentials.csv user of that
// name). During a freeze the public board gets the player too, inactive
// like any player without an event, so every lookup finds them there.
func (s *State) addPlayerLocked(id int64, username string) {
	if id == 0 || username == "" || s.live.players[id] != nil {
		return
	}
	p := newPlayer(id, username)
	p.Registered = true
	// An account outlives a reset: it joins the users a reset goes back
	// to.
	s.config = append(s.config, User{ID: id, Username: username, Registered: true})
	s.live.players[id] = p
	if _, held := s.byName[username]; !held {
		s.byName[username] = p
	}
	if s.pub != s.live && s.pub.players[id] == nil {
		s.pub.players[id] = p.Clone()
	}
}
