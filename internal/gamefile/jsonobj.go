package gamefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// lineIndex maps byte offsets of a file to 1-based lines and columns.
type lineIndex []int // offsets at which lines start

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range data {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// pos returns the line and column (in characters) of offset off.
func (idx lineIndex) pos(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	i := sort.Search(len(idx), func(i int) bool { return idx[i] > off }) - 1
	return i + 1, utf8.RuneCount(data[idx[i]:off]) + 1
}

// member is one key of a JSON object with its value and the offset of the
// value in the file.
type member struct {
	key string
	val json.RawMessage
	off int
}

// jsonObject is a decoded JSON object that remembers where each value
// starts. Later duplicates of a key win, as with encoding/json.
type jsonObject struct {
	members map[string]member
}

func (o jsonObject) get(key string) (member, bool) {
	m, ok := o.members[key]
	if ok && isJSONNull(m.val) {
		return m, false // null means absent
	}
	return m, ok
}

// splitArray returns the elements of the JSON array raw (already known to
// be valid JSON) with their offsets, base being the offset of raw in its
// file. ok is false when raw is not an array.
func splitArray(raw []byte, base int) (elems []member, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, false
	}
	for dec.More() {
		start := skipSeparators(raw, int(dec.InputOffset()))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		elems = append(elems, member{val: v, off: base + start})
	}
	return elems, true
}

// splitObject decodes the JSON object raw (already known to be valid
// JSON); ok is false when raw is not an object.
func splitObject(raw []byte, base int) (obj jsonObject, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return obj, false
	}
	obj.members = map[string]member{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return obj, false
		}
		key, isStr := tok.(string)
		if !isStr {
			return obj, false
		}
		start := skipSeparators(raw, int(dec.InputOffset()))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return obj, false
		}
		obj.members[key] = member{key: key, val: v, off: base + start}
	}
	return obj, true
}

// skipSeparators skips the whitespace, commas and colons that a
// json.Decoder leaves before the next value.
func skipSeparators(raw []byte, i int) int {
	for i < len(raw) {
		switch raw[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
		default:
			return i
		}
	}
	return i
}

func isJSONNull(raw json.RawMessage) bool { return string(raw) == "null" }

// describeJSON names a JSON value for an error message without echoing
// much of it.
func describeJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "a string"
		}
		if utf8.RuneCountInString(s) > 20 {
			return "a string"
		}
		return "the string " + strconv.Quote(s)
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return string(raw)
	case 'n':
		return "null"
	}
	if len(raw) > 24 {
		return "a number"
	}
	return string(raw)
}

// jsonString decodes a JSON string value.
func jsonString(raw json.RawMessage) (string, string) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", "must be a string, got " + describeJSON(raw)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", "must be a string: " + err.Error()
	}
	return s, ""
}

// jsonInt decodes a JSON integer in [lo, hi].
func jsonInt(raw json.RawMessage, lo, hi int64) (int, string) {
	want := fmt.Sprintf("must be an integer ≥ %d", lo)
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, want + ", got " + describeJSON(raw)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, fmt.Sprintf("%s and ≤ %d, got %s", want, hi, describeJSON(raw))
		}
		return 0, want + ", got " + describeJSON(raw)
	}
	if n < lo {
		return 0, want + ", got " + describeJSON(raw)
	}
	if n > hi {
		return 0, fmt.Sprintf("%s and ≤ %d, got %s", want, hi, describeJSON(raw))
	}
	return int(n), ""
}

// syntaxError turns an encoding/json error for the whole file into an
// *Error with line and column.
func syntaxError(name string, data []byte, idx lineIndex, err error) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, including the offending one; at
		// the end of the input there is none.
		off := int(se.Offset) - 1
		msg := "invalid JSON: " + se.Error()
		if strings.Contains(msg, "unexpected end") {
			off = int(se.Offset)
			msg += " (an unclosed [, { or string?)"
		}
		line, col := idx.pos(data, off)
		return &Error{File: name, Line: line, Column: col, Msg: msg, Err: err}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
		line, col := idx.pos(data, len(data))
		return &Error{File: name, Line: line, Column: col, Msg: "invalid JSON: unexpected end of file (an unclosed [, { or string?)", Err: err}
	}
	return &Error{File: name, Msg: "invalid JSON: " + err.Error(), Err: err}
}
