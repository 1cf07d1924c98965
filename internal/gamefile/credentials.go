package gamefile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctfg/ctfg/internal/game"
)

// LoadCredentials reads a credentials.csv file: "username,password" per
// line, an optional header row whose first column is "username", blank
// lines ignored, fields trimmed. A header "username,password,team" turns
// on team mode: each line may then name the player's team (its name
// follows the display-name rules; empty: no team yet). Passwords are plain text or bcrypt hashes
// and are returned verbatim. Users come back in file order with ID 0.
// Every problem found is reported (an ErrorList); a missing file is an
// *Error wrapping fs.ErrNotExist.
func LoadCredentials(path string) ([]game.User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	return ParseCredentials(path, data)
}

// ParseCredentials parses the contents of a credentials file; name is used
// in error messages.
func ParseCredentials(name string, data []byte) ([]game.User, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var c collector
	if !utf8.Valid(data) {
		c.add(&Error{File: name, Line: invalidUTF8Line(data), Msg: "not valid UTF-8 text"})
		return nil, c.err()
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	var (
		users     []game.User
		firstLine = map[string]int{}
		sawRow    bool
		teamCol   bool // the header names a third column "team"
	)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			switch {
			case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote):
				// Where the reader gave up says little; the field
				// started on the record's first line.
				c.add(&Error{File: name, Line: pe.StartLine, Msg: "invalid CSV: " + csvHint(pe.Err)})
			case errors.As(err, &pe):
				c.add(&Error{File: name, Line: pe.Line, Column: pe.Column, Msg: "invalid CSV: " + csvHint(pe.Err)})
			default:
				c.add(&Error{File: name, Msg: "invalid CSV: " + err.Error(), Err: err})
			}
			// encoding/csv cannot resynchronize after a quoting error.
			break
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if allEmpty(rec) {
			continue
		}
		if !sawRow {
			sawRow = true
			if strings.EqualFold(rec[0], "username") {
				teamCol = len(rec) == 3 && strings.EqualFold(rec[2], "team")
				continue
			}
		}
		team := ""
		if teamCol && len(rec) == 3 {
			team, rec = rec[2], rec[:2]
			if team != "" {
				t, err := game.ValidateName(team)
				if err != nil {
					c.add(&Error{File: name, Line: line, Msg: fmt.Sprintf("team name %q: %s", team, strings.TrimSuffix(strings.Replace(err.Error(), "Display name", "A team name", 1), "."))})
					continue
				}
				team = t
			}
		}
		if len(rec) != 2 {
			msg := fmt.Sprintf("expected 2 fields (username,password), got %d", len(rec))
			if teamCol {
				msg = fmt.Sprintf("expected 3 fields (username,password,team), got %d", len(rec))
			}
			if len(rec) > 2 {
				msg += `; quote a password that contains a comma: alice,"pass,word"`
			}
			c.add(&Error{File: name, Line: line, Msg: msg})
			continue
		}
		u, p := rec[0], rec[1]
		switch {
		case u == "":
			c.add(&Error{File: name, Line: line, Msg: "empty username"})
			continue
		case p == "":
			c.add(&Error{File: name, Line: line, Msg: fmt.Sprintf("empty password for user %q", u)})
			continue
		case strings.HasPrefix(strings.ToLower(u), "team:"):
			c.add(&Error{File: name, Line: line, Msg: fmt.Sprintf("username %q: the prefix team: is reserved for teams", u)})
			continue
		case strings.IndexFunc(u, unicode.IsControl) >= 0:
			c.add(&Error{File: name, Line: line, Msg: fmt.Sprintf("username %q contains a control character", u)})
			continue
		case strings.IndexFunc(p, unicode.IsControl) >= 0:
			c.add(&Error{File: name, Line: line, Msg: fmt.Sprintf("password of user %q contains a control character", u)})
			continue
		}
		if IsBcryptHash(p) {
			if _, err := bcrypt.Cost([]byte(p)); err != nil {
				c.add(&Error{File: name, Line: line, Msg: fmt.Sprintf("password of user %q looks like a bcrypt hash but is malformed: %v", u, err)})
				continue
			}
		}
		if first, dup := firstLine[u]; dup {
			c.add(&Error{File: name, Line: line, Msg: fmt.Sprintf("duplicate username %q (first on line %d)", u, first)})
			continue
		}
		firstLine[u] = line
		users = append(users, game.User{Username: u, Password: p, Team: team})
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, &Error{File: name, Msg: "no players: add one username,password line per player"}
	}
	return users, nil
}

// IsBcryptHash reports whether a stored password is a bcrypt hash rather
// than plain text, by its prefix ($2a$, $2b$ or $2y$).
func IsBcryptHash(p string) bool {
	return strings.HasPrefix(p, "$2a$") || strings.HasPrefix(p, "$2b$") || strings.HasPrefix(p, "$2y$")
}

func allEmpty(rec []string) bool {
	for _, f := range rec {
		if f != "" {
			return false
		}
	}
	return true
}

// csvHint adds advice to encoding/csv's terse quoting errors.
func csvHint(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return err.Error() + `; a field containing " must be quoted, with the quote doubled: "pa""ss"`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted field is not closed properly (a " inside a quoted field must be doubled: "pa""ss")`
	}
	return err.Error()
}
