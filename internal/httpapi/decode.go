package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/game"
)

// The decoding errors, with their codes.
var (
	errBodyTooLarge = &game.Error{Kind: game.KindInvalid, Code: "body_too_large"}
	errMalformed    = &game.Error{Kind: game.KindInvalid, Code: "malformed_json"}
	errWrongType    = &game.Error{Kind: game.KindInvalid, Code: "invalid_type"}
	errInvalidUTF8  = &game.Error{Kind: game.KindInvalid, Code: "invalid_utf8"}
	errDuplicateKey = &game.Error{Kind: game.KindInvalid, Code: "duplicate_key"}
	errKeyCase      = &game.Error{Kind: game.KindInvalid, Code: "key_case_mismatch"}
)

// decode reads a JSON object body into v, a pointer to a struct. Unknown
// fields are ignored (old clients send extras); wrong types, malformed
// JSON, invalid UTF-8, trailing data, a key given twice and a key that
// names a field only when case is ignored are errors. A body over
// MaxBodyBytes answers 413.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errBodyTooLarge
		}
		return errMalformed
	}
	if !utf8.Valid(body) {
		return errInvalidUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errWrongType
		}
		return errMalformed
	}
	// Only JSON whitespace may follow (dec.More would let a stray "}" or
	// "]" through).
	if skipSpace(body, int(dec.InputOffset())) != len(body) {
		return errMalformed
	}
	// encoding/json lets the last of duplicate keys win and matches keys
	// to fields ignoring case, so {"id":1,"ID":2} or {"FLAG":…} would be
	// read in ways no client means. The body is known to be valid JSON
	// by now, which keeps the scan simple.
	return checkKeys(body, jsonFields(reflect.TypeOf(v)))
}

// jsonFieldCache holds the JSON names of each request struct's fields.
var jsonFieldCache sync.Map // reflect.Type -> []string

// jsonFields returns the JSON names encoding/json would match for the
// struct that t (a pointer) points to.
func jsonFields(t reflect.Type) []string {
	if f, ok := jsonFieldCache.Load(t); ok {
		return f.([]string)
	}
	var names []string
	if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
		st := t.Elem()
		for i := range st.NumField() {
			f := st.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch name {
			case "-":
				continue
			case "":
				name = f.Name
			}
			names = append(names, name)
		}
	}
	jsonFieldCache.Store(t, names)
	return names
}

// maxLinearKeys is how many keys checkKeys compares pairwise before it
// switches to a map, so a 64 KiB body of tiny keys stays linear.
const maxLinearKeys = 16

// checkKeys scans the top-level object of body, which must be valid
// JSON, and refuses a key that occurs twice (errDuplicateKey) or that
// equals one of fields only when case is ignored (errKeyCase). Keys of
// nested objects are left alone: they belong to ignored fields. Any
// other top-level value passes (the decoder has dealt with it).
func checkKeys(body []byte, fields []string) error {
	i := skipSpace(body, 0)
	if i == len(body) || body[i] != '{' {
		return nil
	}
	var small [maxLinearKeys][]byte
	keys := small[:0]
	var many map[string]struct{}
	depth := 0
	for ; i < len(body); i++ {
		switch body[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return nil
			}
		case '"':
			end := stringEnd(body, i)
			if end-i < 2 {
				return errMalformed // unterminated: cannot happen after Decode
			}
			raw := body[i:end]
			i = end - 1
			if depth != 1 {
				continue
			}
			if j := skipSpace(body, end); j == len(body) || body[j] != ':' {
				continue // a value, not a key
			}
			key, err := unquote(raw)
			if err != nil {
				return errMalformed
			}
			for _, f := range fields {
				if string(key) != f && strings.EqualFold(string(key), f) {
					return errKeyCase
				}
			}
			if many != nil {
				if _, dup := many[string(key)]; dup {
					return errDuplicateKey
				}
				many[string(key)] = struct{}{}
				continue
			}
			for _, k := range keys {
				if bytes.Equal(k, key) {
					return errDuplicateKey
				}
			}
			if len(keys) < maxLinearKeys {
				keys = append(keys, key)
				continue
			}
			many = make(map[string]struct{}, 2*maxLinearKeys)
			for _, k := range keys {
				many[string(k)] = struct{}{}
			}
			many[string(key)] = struct{}{}
		}
	}
	return nil
}

// stringEnd returns the index just past the JSON string starting at
// body[i] (a quote).
func stringEnd(body []byte, i int) int {
	for j := i + 1; j < len(body); j++ {
		switch body[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(body)
}

// unquote returns the text of a quoted JSON string: a slice of raw
// unless it has escapes ("\u0046LAG" is the key FLAG) to decode.
func unquote(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return []byte(s), err
}

func skipSpace(body []byte, i int) int {
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
		i++
	}
	return i
}

// failDecode answers a decode error: 413 for an oversized body, else 400.
func (s *Server) failDecode(w http.ResponseWriter, r *http.Request, err error) {
	if err == errBodyTooLarge {
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large")
		return
	}
	s.fail(w, r, err)
}

// flexInt is an integer field that also accepts a numeric string ("7"),
// as judges' scripts send ids either way. Set is false when the field was
// absent or null.
type flexInt struct {
	V   int
	Set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "string", Type: flexIntType}
	}
	f.V, f.Set = n, true
	return nil
}

var flexIntType = reflect.TypeOf(0)

// optString is a string field that tells absent/null from empty.
type optString struct {
	V   string
	Set bool
}

func (o *optString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if err := json.Unmarshal(b, &o.V); err != nil {
		return err
	}
	o.Set = true
	return nil
}
