package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/game"
)

// FuzzDecodeRegister feeds arbitrary bodies to the decoder of POST
// /api/register and the nonce parser behind it. Neither may panic; the
// decoder refuses with a 400 code only; an accepted body is valid JSON
// with sound top-level keys, and a proof it accepted has a nonce of
// valid UTF-8 and a counter the body really holds, given exactly as
// "counter" next to a string "nonce".
func FuzzDecodeRegister(f *testing.F) {
	for _, seed := range []string{
		`{"username":"newbie","password":"purple-otter-42","pow":{"nonce":"v1.18.1700000600000.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA","counter":123}}`,
		`{"username":"a","password":"b","code":"c","pow":{"nonce":"n","counter":"77"}}`,
		`{"pow":{"nonce":"n","counter":-1}}`, `{"pow":{"nonce":"n","counter":1e3}}`, `{"pow":{"nonce":"n","counter":18446744073709551616}}`,
		`{"pow":{"NONCE":"n","counter":1}}`, `{"pow":{"nonce":1,"counter":1}}`, `{"pow":null}`, `{"pow":[]}`, `{"pow":"x"}`,
		`{"pow":{"nonce":"n","nonce":"m","counter":1}}`, `{"POW":{}}`, `{"pow":{},"pow":{}}`, "{\"pow\":{\"nonce\":\"\xff\",\"counter\":1}}",
		`{"pow":{"nonce":"\ud800","counter":"0"}}`, `{"pow":{"nonce":"n","counter":" 1"}}`, `{"pow":{"nonce":"n","counter":"+1"}}`,
	} {
		f.Add([]byte(seed))
	}
	fields := jsonFields(reflect.TypeOf(&registerRequest{}))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req registerRequest
		r := httptest.NewRequest(http.MethodPost, "/api/register", bytes.NewReader(body))
		w := httptest.NewRecorder()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		err := decode(w, r, &req)
		if err != nil {
			if game.KindOf(err) != game.KindInvalid {
				t.Fatalf("decode error of kind %v: %v", game.KindOf(err), err)
			}
			return
		}
		if !json.Valid(body) || !utf8.Valid(body) {
			t.Fatalf("accepted %q", body)
		}
		if ok, why := keysOK(body, fields); !ok {
			t.Fatalf("accepted %q: %v", body, why)
		}
		if !req.PoW.Set {
			if req.PoW.Nonce != "" || req.PoW.Counter != 0 {
				t.Fatalf("an unset proof has values: %+v", req.PoW)
			}
			return
		}
		if !utf8.ValidString(req.PoW.Nonce) {
			t.Fatalf("decoded an invalid UTF-8 nonce from %q", body)
		}
		var raw struct {
			PoW map[string]any `json:"pow"`
		}
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&raw); err != nil {
			t.Fatalf("accepted %q, which does not hold an object pow: %v", body, err)
		}
		if _, ok := raw.PoW["nonce"].(string); !ok {
			t.Fatalf("accepted %q without a string nonce", body)
		}
		if c := raw.PoW["counter"]; c == nil || fmtCounter(c) != req.PoW.Counter {
			t.Fatalf("counter %d decoded from %q", req.PoW.Counter, body)
		}
		if _, err := auth.ParseNonce(req.PoW.Nonce); err != nil && !errors.Is(err, auth.ErrPoWInvalid) {
			t.Fatalf("ParseNonce: %v", err)
		}
	})
}

// fmtCounter reads the counter as the reference: a JSON number or a
// string, in decimal.
func fmtCounter(v any) uint64 {
	var s string
	switch c := v.(type) {
	case json.Number:
		s = c.String()
	case string:
		s = c
	}
	var n uint64
	for _, ch := range []byte(s) {
		n = n*10 + uint64(ch-'0')
	}
	return n
}
