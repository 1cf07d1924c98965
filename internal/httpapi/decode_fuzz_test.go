package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/game"
)

// FuzzDecode feeds arbitrary bodies to the request decoder with the
// shapes of the API's requests. It must never panic, must refuse invalid
// UTF-8, and whatever it accepts must be well-formed.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"id":1,"flag":"flag{x}"}`, `{"id":"7","hint_id":2}`, `{"username":"a","password":"b"}`,
		`{"id":1e3}`, `{"id":-1}`, `{"id":null,"flag":null}`, `{"id":"0x10"}`, `{"id":9223372036854775808}`,
		`[]`, `"x"`, `{}`, `{"id":1}{"id":2}`, "{\"flag\":\"\xff\"}", `{"name":"\u0000"}`, ``, `{"a":` + string(bytes.Repeat([]byte("["), 10000)),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req struct {
			ID     flexInt   `json:"id"`
			HintID flexInt   `json:"hint_id"`
			Flag   optString `json:"flag"`
			Name   optString `json:"name"`
		}
		r := httptest.NewRequest(http.MethodPost, "/api/submit", bytes.NewReader(body))
		w := httptest.NewRecorder()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		err := decode(w, r, &req)
		if err != nil {
			if game.KindOf(err) != game.KindInvalid {
				t.Fatalf("decode error of kind %v: %v", game.KindOf(err), err)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatal("accepted invalid UTF-8")
		}
		if (req.Flag.Set && !utf8.ValidString(req.Flag.V)) || (req.Name.Set && !utf8.ValidString(req.Name.V)) {
			t.Fatal("decoded invalid UTF-8")
		}
		if !req.ID.Set && req.ID.V != 0 {
			t.Fatal("unset id has a value")
		}
	})
}
