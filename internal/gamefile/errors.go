package gamefile

import (
	"errors"
	"fmt"
	"strings"
)

// MaxErrors bounds how many problems one load reports; a file that is
// wrong everywhere is better fixed from the top than read in full.
const MaxErrors = 50

// Error is one problem in one game file. Its Error method gives one line:
//
//	challenges.json:41: [3].points (challenge 7): must be an integer ≥ 0, got -5
//	credentials.csv:12: duplicate username "bob" (first on line 3)
//	challenges.json:8:17: invalid JSON: invalid character '}' looking for beginning of value
type Error struct {
	File        string // path of the file, as given to the loader
	Line        int    // 1-based line, 0 when not known
	Column      int    // 1-based column, 0 when not known (JSON syntax errors)
	Path        string // JSON path such as "[3].hints[0].cost"; "" outside JSON
	ChallengeID int    // id of the challenge concerned, 0 when not known
	Msg         string // what is wrong
	Err         error  // underlying error, if any (for errors.Is)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.File == "" {
		b.WriteString("game")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	switch {
	case e.Path != "" && e.ChallengeID != 0:
		fmt.Fprintf(&b, "%s (challenge %d): ", e.Path, e.ChallengeID)
	case e.Path != "":
		b.WriteString(e.Path + ": ")
	case e.ChallengeID != 0:
		fmt.Fprintf(&b, "challenge %d: ", e.ChallengeID)
	}
	b.WriteString(e.Msg)
	return oneLine(b.String())
}

// oneLine escapes the control characters that user data (a path, a flag
// expression) may bring into a message, so that a message stays one line.
func oneLine(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case isControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// Unwrap returns the underlying error, such as fs.ErrNotExist.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is several problems found in one load, in file order. Its
// Error method gives one line per problem.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As access to every problem.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Problems returns the individual problems in err: the elements of an
// ErrorList, a single *Error, or err itself wrapped as an *Error with no
// file when it is neither. It returns nil for a nil err.
func Problems(err error) []*Error {
	if err == nil {
		return nil
	}
	var list ErrorList
	if errors.As(err, &list) {
		return list
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return []*Error{{Msg: err.Error(), Err: err}}
}

// collector gathers problems up to MaxErrors and remembers how many were
// dropped.
type collector struct {
	list    ErrorList
	dropped int
}

func (c *collector) add(e *Error) {
	if len(c.list) >= MaxErrors {
		c.dropped++
		return
	}
	c.list = append(c.list, e)
}

func (c *collector) addAll(err error) {
	for _, e := range Problems(err) {
		c.add(e)
	}
}

// err returns the problems gathered, or nil. When some were dropped, a
// last line says how many.
func (c *collector) err() error {
	if len(c.list) == 0 {
		return nil
	}
	list := c.list
	if c.dropped > 0 {
		last := list[len(list)-1]
		list = append(list, &Error{File: last.File, Msg: fmt.Sprintf("... and %d more problems", c.dropped)})
	}
	return list
}
