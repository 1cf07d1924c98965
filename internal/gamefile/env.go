package gamefile

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// LoadEnv reads a .env file: KEY=value lines, # comments, blank lines, an
// optional "export " prefix and optional single or double quotes around
// the value (double quotes understand \n, \t, \r, \" and \\). Later lines
// win over earlier ones. It does not touch the process environment: the
// caller decides precedence. A malformed line is an *Error with its line
// number; a missing file is an *Error wrapping fs.ErrNotExist.
func LoadEnv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	return ParseEnv(path, data)
}

// ParseEnv parses the contents of a .env file; name is used in error
// messages.
func ParseEnv(name string, data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		return nil, &Error{File: name, Line: invalidUTF8Line(data), Msg: "not valid UTF-8 text"}
	}
	var c collector
	env := map[string]string{}
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, err := parseEnvLine(line)
		if err != "" {
			c.add(&Error{File: name, Line: i + 1, Msg: err})
			continue
		}
		env[key] = value
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return env, nil
}

// parseEnvLine parses one trimmed, non-comment line. It returns a
// description of the problem instead of an error so that the caller can
// add the line number.
func parseEnvLine(line string) (key, value, problem string) {
	if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		line = strings.TrimSpace(rest)
	}
	k, v, ok := strings.Cut(line, "=")
	if !ok {
		return "", "", "expected KEY=value"
	}
	key = strings.TrimSpace(k)
	if !validEnvKey(key) {
		return "", "", fmt.Sprintf("invalid variable name %q: use letters, digits and _, not starting with a digit", key)
	}
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		value = ""
	case v[0] == '\'' || v[0] == '"':
		var rest string
		var ok bool
		value, rest, ok = unquoteEnv(v)
		if !ok {
			return "", "", fmt.Sprintf("value of %s: missing closing %c (values cannot span lines)", key, v[0])
		}
		if rest = strings.TrimSpace(rest); rest != "" && rest[0] != '#' {
			return "", "", fmt.Sprintf("value of %s: unexpected text after the closing quote: %q", key, rest)
		}
	default:
		value = v
		// An unquoted value ends where a comment starts.
		if i := strings.Index(value, " #"); i >= 0 {
			value = value[:i]
		}
		if i := strings.Index(value, "\t#"); i >= 0 {
			value = value[:i]
		}
		value = strings.TrimSpace(value)
	}
	if strings.IndexByte(value, 0) >= 0 {
		return "", "", fmt.Sprintf("value of %s contains a NUL character", key)
	}
	return key, value, ""
}

// unquoteEnv reads a quoted value from the start of s and returns it with
// what follows the closing quote.
func unquoteEnv(s string) (value, rest string, ok bool) {
	q := s[0]
	if q == '\'' {
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "", false
		}
		return s[1 : 1+end], s[2+end:], true
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"':
			return b.String(), s[i+1:], true
		case ch == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '"', '\\':
				b.WriteByte(s[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(ch)
		}
	}
	return "", "", false
}

func validEnvKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
