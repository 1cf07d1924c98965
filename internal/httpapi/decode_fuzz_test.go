package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/game"
)

// fuzzRequest has the shapes of the API's requests.
type fuzzRequest struct {
	ID     flexInt   `json:"id"`
	HintID flexInt   `json:"hint_id"`
	Flag   optString `json:"flag"`
	Name   optString `json:"name"`
}

// FuzzDecode feeds arbitrary bodies to the request decoder with the
// shapes of the API's requests. It must never panic, must refuse invalid
// UTF-8, whatever it accepts must be well-formed, and its key check must
// agree with encoding/json's own tokenizer: an accepted object has no
// duplicate top-level key and no key that matches a field only ignoring
// case.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"id":1,"flag":"flag{x}"}`, `{"id":"7","hint_id":2}`, `{"username":"a","password":"b"}`,
		`{"id":1e3}`, `{"id":-1}`, `{"id":null,"flag":null}`, `{"id":"0x10"}`, `{"id":9223372036854775808}`,
		`[]`, `"x"`, `{}`, `{"id":1}{"id":2}`, "{\"flag\":\"\xff\"}", `{"name":"\u0000"}`, ``, `{"a":` + string(bytes.Repeat([]byte("["), 10000)),
		// Keys: case, duplicates, escapes, nesting, values that look like keys.
		`{"ID":1,"FLAG":"x"}`, `{"id":1,"id":2}`, `{"flag":"a","\u0066lag":"b"}`, `{"\u0046LAG":"x"}`,
		`{"id":1,"x":{"id":2,"ID":3}}`, `{"x":1,"x":2}`, `{"a":"id","b":"\"id\":"}`, `{"hınt_id":1}`, `{"ſ":1,"s":2}`,
		`{"id":1,"flag":"x"}}`, `{"id":1} ]`, ` {"id" : 1 , "id" : 1} `, `{"a":[{"id":1},{"id":1}],"id":2}`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":3}`,
	} {
		f.Add([]byte(seed))
	}
	fields := jsonFields(reflect.TypeOf(&fuzzRequest{}))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req fuzzRequest
		r := httptest.NewRequest(http.MethodPost, "/api/submit", bytes.NewReader(body))
		w := httptest.NewRecorder()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		err := decode(w, r, &req)
		if err != nil {
			if game.KindOf(err) != game.KindInvalid {
				t.Fatalf("decode error of kind %v: %v", game.KindOf(err), err)
			}
			if err == errDuplicateKey || err == errKeyCase {
				if ok, why := keysOK(body, fields); ok {
					t.Fatalf("%v, but the tokenizer finds nothing wrong with %q", err, body)
				} else if why != err {
					t.Fatalf("%v, but the tokenizer finds %v in %q", err, why, body)
				}
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatal("accepted invalid UTF-8")
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if ok, why := keysOK(body, fields); !ok {
			t.Fatalf("accepted %q: %v", body, why)
		}
		if (req.Flag.Set && !utf8.ValidString(req.Flag.V)) || (req.Name.Set && !utf8.ValidString(req.Name.V)) {
			t.Fatal("decoded invalid UTF-8")
		}
		if !req.ID.Set && req.ID.V != 0 {
			t.Fatal("unset id has a value")
		}
	})
}

// keysOK is the reference for checkKeys, built on encoding/json's
// tokenizer: the first problem among the top-level keys of a valid JSON
// object, in order.
func keysOK(body []byte, fields []string) (bool, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return true, nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return true, nil
		}
		key := tok.(string)
		for _, f := range fields {
			if key != f && strings.EqualFold(key, f) {
				return false, errKeyCase
			}
		}
		if seen[key] {
			return false, errDuplicateKey
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return true, nil
		}
	}
	return true, nil
}

// BenchmarkDecode measures the decoder on a submission, the hot request,
// and on a body of many unknown keys (the key check's worst case).
func BenchmarkDecode(b *testing.B) {
	many := `{"id":1,"flag":"flag{x}"`
	for i := range 2000 {
		many += `,"k` + strconv.Itoa(i) + `":[1,{"a":"b"}]`
	}
	many += "}"
	for _, bc := range []struct{ name, body string }{{"submit", `{"id":1,"flag":"flag{warm}"}`}, {"2000keys", many}} {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var req fuzzRequest
				r := httptest.NewRequest(http.MethodPost, "/api/submit", bytes.NewReader(body))
				if err := decode(nil, r, &req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
