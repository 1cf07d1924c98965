package httpapi_test

import (
	"testing"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// TestSetNameLookalikes: through a real server, a taken name's lookalikes
// are refused as taken (409) or as invalid (400 with a sentence), reserved
// words spelled with lookalikes are refused, names from other scripts are
// accepted, and the name kept is the NFKC form.
func TestSetNameLookalikes(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	alice, bob, carol := srv.MustLogin(t, "alice"), srv.MustLogin(t, "bob"), srv.MustLogin(t, "carol")
	setName := func(what, name string, status int, want ...string) scenario {
		return scenario{what, "POST", "/api/set-name", map[string]string{"name": name}, nil, status, want}
	}
	runScenarios(t, alice, []scenario{setName("original", "Champion", 200, `"displayname":"Champion"`)})
	runScenarios(t, bob, []scenario{
		setName("fullwidth", "Ｃｈａｍｐｉｏｎ", 409, `name_taken`),
		setName("Cyrillic a", "Ch\u0430mpion", 409, `name_taken`),
		setName("Cyrillic capitals", "\u0421\u041d\u0410\u041c\u0420\u0406\u041eN", 409, `name_taken`),
		setName("Greek", "Ch\u03b1mpi\u03bfn", 409, `name_taken`),
		setName("mathematical bold", "𝐂𝐡𝐚𝐦𝐩𝐢𝐨𝐧", 409, `name_taken`),
		setName("rn for m", "Charnpion", 409, `name_taken`),
		setName("Hangul filler", "Champion\u3164", 400, `{"error":"Display name may not contain invisible characters`),
		setName("zero-width space", "Champ\u200bion", 400, `invisible characters`),
		setName("bidi override", "\u202enoipmahC", 400, `invisible characters`),
		setName("stacked marks", "Champion\u0301\u0301\u0301", 400, `only letters`),
		setName("Cyrillic Admin", "\u0410dmin", 400, `may not contain \"admin\"`),
		setName("fullwidth ADMIN", "ＡＤＭＩＮ", 400, `may not contain \"admin\"`),
		setName("fullwidth root", "ｒｏｏｔ", 400, `may not contain \"root\"`),
		setName("long s", "ſyſtem", 400, `may not contain \"system\"`),
		setName("double-struck", "𝔸𝕕𝕞𝕚𝕟", 400, `may not contain \"admin\"`),
		setName("Greek name", "Ελένη", 200, `"displayname":"Ελένη"`),
	})
	runScenarios(t, carol, []scenario{
		setName("stored as NFKC", "Ｃａｒｏｌ ﬁnal", 200, `"displayname":"Carol final"`),
		setName("other script", "李小龙", 200, `"displayname":"李小龙"`),
		setName("Greek taken", "ΕΛΈΝΗ", 409, `name_taken`),
	})
	// Once alice leaves the name, a lookalike of it is free, stored plain.
	runScenarios(t, alice, []scenario{setName("rename", "Runner Up", 200)})
	runScenarios(t, bob, []scenario{setName("freed", "Ｃｈａｍｐｉｏｎ", 200, `"displayname":"Champion"`)})
}
