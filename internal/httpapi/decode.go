package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/game"
)

// The decoding errors, with their codes.
var (
	errBodyTooLarge = &game.Error{Kind: game.KindInvalid, Code: "body_too_large"}
	errMalformed    = &game.Error{Kind: game.KindInvalid, Code: "malformed_json"}
	errWrongType    = &game.Error{Kind: game.KindInvalid, Code: "invalid_type"}
	errInvalidUTF8  = &game.Error{Kind: game.KindInvalid, Code: "invalid_utf8"}
)

// decode reads a JSON object body into v. Unknown fields are ignored (old
// clients send extras); wrong types, malformed JSON, invalid UTF-8 and
// trailing data are errors. A body over MaxBodyBytes answers 413.
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
	if dec.More() {
		return errMalformed
	}
	return nil
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
