package gamefile

import (
	"slices"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/game"
)

func TestParseCredentials(t *testing.T) {
	const hash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	tests := []struct {
		name string
		in   string
		want []game.User
	}{
		{"plain", "alice,one\nbob,two\n", []game.User{{Username: "alice", Password: "one"}, {Username: "bob", Password: "two"}}},
		{"header skipped", "username,password\nalice,one\n", []game.User{{Username: "alice", Password: "one"}}},
		{"header any case, trimmed", "  Username , Password\r\nalice,one\r\n", []game.User{{Username: "alice", Password: "one"}}},
		{"only the first row is a header", "alice,one\nusername,two\n", []game.User{{Username: "alice", Password: "one"}, {Username: "username", Password: "two"}}},
		{"fields trimmed, blank lines skipped", "\n  alice ,  one \n\n \t \nbob,two", []game.User{{Username: "alice", Password: "one"}, {Username: "bob", Password: "two"}}},
		{"quoted fields", "\"alice\",\"pa,ss\"\"word\"\n", []game.User{{Username: "alice", Password: `pa,ss"word`}}},
		{"bcrypt verbatim", "alice," + hash + "\n", []game.User{{Username: "alice", Password: hash}}},
		{"byte order mark", "\xef\xbb\xbfusername,password\nalice,one\n", []game.User{{Username: "alice", Password: "one"}}},
		{"unicode", "zoë,pässwörd 🎉\n", []game.User{{Username: "zoë", Password: "pässwörd 🎉"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCredentials("credentials.csv", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseCredentialsErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"duplicate", "username,password\nalice,a\nbob,b\nalice,c\n", `credentials.csv:4: duplicate username "alice" (first on line 2)`},
		{"one field", "alice,a\nbob\n", "credentials.csv:2: expected 2 fields (username,password), got 1"},
		{"three fields", "alice,a,b\n", `credentials.csv:1: expected 2 fields (username,password), got 3; quote a password that contains a comma: alice,"pass,word"`},
		{"empty username", "alice,a\n ,b\n", "credentials.csv:2: empty username"},
		{"empty password", "alice,\n", `credentials.csv:1: empty password for user "alice"`},
		{"bare quote", "alice,pa\"ss\n", `credentials.csv:1:9: invalid CSV: bare " in non-quoted-field; a field containing " must be quoted, with the quote doubled: "pa""ss"`},
		{"unterminated quote", "alice,\"pass\nbob,b\n", `credentials.csv:1: invalid CSV: a quoted field is not closed properly (a " inside a quoted field must be doubled: "pa""ss")`},
		{"malformed bcrypt", "alice,$2b$10$short\n", `credentials.csv:1: password of user "alice" looks like a bcrypt hash but is malformed: crypto/bcrypt: hashedSecret too short to be a bcrypted password`},
		{"control character", "al\x07ice,a\n", `credentials.csv:1: username "al\aice" contains a control character`},
		{"no players", "username,password\n\n", "credentials.csv: no players: add one username,password line per player"},
		{"invalid UTF-8", "alice,a\nbob,\xff\n", "credentials.csv:2: not valid UTF-8 text"},
		{"every problem", "alice,a\nalice,b\nbob\n,c\n", "credentials.csv:2: duplicate username \"alice\" (first on line 1)\n" +
			"credentials.csv:3: expected 2 fields (username,password), got 1\n" +
			"credentials.csv:4: empty username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, err := ParseCredentials("credentials.csv", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error, users %+v", users)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
			if users != nil {
				t.Errorf("users = %+v alongside an error", users)
			}
		})
	}
}

// TestCredentialErrorsHidePasswords makes sure no message echoes a
// password, whatever is wrong with the line.
func TestCredentialErrorsHidePasswords(t *testing.T) {
	for _, in := range []string{
		"alice,hunter2\nalice,hunter2\n",
		"alice,hunter2,x\n",
		"alice,hunter2\x07\n",
		"alice,$2a$hunter2\n",
	} {
		_, err := ParseCredentials("c.csv", []byte(in))
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestCredentialsTeams(t *testing.T) {
	users, err := ParseCredentials("c.csv", []byte("username,password,team\nalice,a,Crypto  Cats\nbob,b,Crypto Cats\ncarol,c,\ndave,d,Ｃｒｙｐｔｏ Dogs\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Crypto Cats", "Crypto Cats", "", "Crypto Dogs"}
	for i, u := range users {
		if u.Team != want[i] {
			t.Errorf("%s: team %q, want %q", u.Username, u.Team, want[i])
		}
	}
	// Without the header a third field is still an unquoted comma in a
	// password, not a team.
	if _, err := ParseCredentials("c.csv", []byte("alice,pass,word\n")); err == nil || !strings.Contains(err.Error(), "expected 2 fields") {
		t.Fatalf("three fields without a team header: %v", err)
	}
	for _, bad := range []string{"username,password,team\nalice,a,x\n", "username,password,team\nalice,a,admins\n", "username,password\nteam:x,a\n"} {
		if _, err := ParseCredentials("c.csv", []byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
