package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
)

const goodPassword = "purple-otter-42"

// mustCode checks an answer's status and error code.
func mustCode(t *testing.T, what string, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus || !strings.Contains(string(body), `"error":"`+wantCode+`"`) {
		t.Errorf("%s: %d %s, want %d %s", what, status, body, wantStatus, wantCode)
	}
}

// TestRegistrationClosed: by default nothing changes: the app is told
// registration is closed, and no challenge or account is handed out.
func TestRegistrationClosed(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.NewClient()
	status, body := c.Do(t, "GET", "/api/registration", nil)
	if status != 200 || string(body) != `{"mode":"closed","pow_bits":0}`+"\n" {
		t.Fatalf("registration: %d %s", status, body)
	}
	status, body = c.Do(t, "GET", "/api/registration/challenge", nil)
	mustCode(t, "challenge", status, body, 403, "registration_closed")
	status, body = c.Do(t, "POST", "/api/register", map[string]any{"username": "newbie", "password": goodPassword, "pow": map[string]any{"nonce": "x", "counter": 1}})
	mustCode(t, "register", status, body, 403, "registration_closed")
	// An invite mode without a code is closed too.
	srv2 := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Registration = app.Registration{Mode: "invite", PoWBits: ctftest.TestPoWBits}
	})
	status, body = srv2.NewClient().Do(t, "GET", "/api/registration", nil)
	if status != 200 || !strings.Contains(string(body), `"mode":"closed"`) {
		t.Fatalf("invite without a code: %d %s", status, body)
	}
}

// TestRegisterOpen: a player creates an account, is logged in at once
// (needs a name), plays, logs out and in again with the new password.
func TestRegisterOpen(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), ctftest.WithRegistration("open"))
	c := srv.NewClient()
	status, body := c.Do(t, "GET", "/api/registration", nil)
	if status != 200 || string(body) != fmt.Sprintf(`{"mode":"open","pow_bits":%d}`, ctftest.TestPoWBits)+"\n" {
		t.Fatalf("registration: %d %s", status, body)
	}
	status, body = c.Register(t, "  NewBie ", goodPassword, "")
	if status != http.StatusCreated {
		t.Fatalf("register: %d %s", status, body)
	}
	got := ctftest.MustJSON(t, body)
	if got["username"] != "newbie" || got["displayname"] != nil || got["needs_name"] != true || !strings.Contains(fmt.Sprint(got["websocket_url"]), "/scorestream?token=") {
		t.Fatalf("register answer: %s", body)
	}
	status, body = c.Do(t, "GET", "/api/me", nil)
	if status != 200 || !strings.Contains(string(body), `"username":"newbie"`) || !strings.Contains(string(body), `"needs_name":true`) {
		t.Fatalf("me after registering: %d %s", status, body)
	}
	if status, body := c.Do(t, "POST", "/api/set-name", map[string]string{"name": "Newbie"}); status != 200 {
		t.Fatalf("set-name: %d %s", status, body)
	}
	if status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 || !strings.Contains(string(body), `"correct"`) {
		t.Fatalf("submit: %d %s", status, body)
	}
	if _, body := c.Do(t, "GET", "/api/scoreboard", nil); !strings.Contains(string(body), `"Newbie"`) {
		t.Fatalf("the scoreboard lacks the new player: %s", body)
	}
	if status, _ := c.Do(t, "POST", "/api/logout", nil); status != 200 && status != 204 {
		t.Fatalf("logout: %d", status)
	}
	again := srv.MustLoginAs(t, "newbie", goodPassword)
	if _, body := again.Do(t, "GET", "/api/me", nil); !strings.Contains(string(body), `"displayname":"Newbie"`) {
		t.Fatalf("me after logging in again: %s", body)
	}
	status, body = srv.NewClient().Do(t, "POST", "/api/login", map[string]string{"username": "newbie", "password": "not-the-password"})
	mustCode(t, "wrong password", status, body, 401, "invalid_credentials")
	// csv users are untouched.
	srv.MustLogin(t, "alice")
	srv.MustLogin(t, "carol")
}

// TestRegisterRefusals: every refusal has its code, and a refused
// request creates nothing.
func TestRegisterRefusals(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixMilli())
	now := func() time.Time { return time.UnixMilli(clock.Load()) }
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), ctftest.WithRegistration("open"), func(c *app.Config) { c.Now = now })
	c := srv.NewClient()
	if status, body := c.Register(t, "taken", goodPassword, ""); status != 201 {
		t.Fatalf("register: %d %s", status, body)
	}
	reg := func(username, password string, pow any) map[string]any {
		return map[string]any{"username": username, "password": password, "pow": pow}
	}
	fresh := func() map[string]any { return c.MustSolve(t) }
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"short username", reg("ab", goodPassword, fresh()), 400, "invalid_username"},
		{"long username", reg(strings.Repeat("a", 33), goodPassword, fresh()), 400, "invalid_username"},
		{"space", reg("new bie", goodPassword, fresh()), 400, "invalid_username"},
		{"unicode", reg("nëwbie", goodPassword, fresh()), 400, "invalid_username"},
		{"team prefix", reg("team.rocket", goodPassword, fresh()), 400, "invalid_username"},
		{"short password", reg("newbie", "short-pw", fresh()), 400, "weak_password"},
		{"common password", reg("newbie", "Password123", fresh()), 400, "weak_password"},
		{"username as password", reg("newbie.one", "NEWBIE.ONE", fresh()), 400, "weak_password"},
		{"too long password", reg("newbie", strings.Repeat("x1", 37), fresh()), 400, "weak_password"},
		{"csv user", reg("alice", goodPassword, fresh()), 400, "username_taken"},
		{"csv user in capitals", reg("ALICE", goodPassword, fresh()), 400, "username_taken"},
		{"registered", reg("Taken", goodPassword, fresh()), 400, "username_taken"},
		{"no pow", map[string]any{"username": "newbie", "password": goodPassword}, 400, "pow_invalid"},
		{"garbage pow", reg("newbie", goodPassword, map[string]any{"nonce": "v1.8.1.x.y", "counter": 1}), 400, "pow_invalid"},
		{"pow of wrong type", reg("newbie", goodPassword, "solved"), 400, "invalid_type"},
		{"negative counter", reg("newbie", goodPassword, map[string]any{"nonce": "x", "counter": -1}), 400, "invalid_type"},
		{"NONCE in capitals", reg("newbie", goodPassword, map[string]any{"NONCE": fresh()["nonce"], "counter": 1}), 400, "invalid_type"},
		{"no password", map[string]any{"username": "newbie", "pow": fresh()}, 400, "missing_parameters"},
		{"PASSWORD in capitals", map[string]any{"username": "newbie", "PASSWORD": goodPassword, "pow": fresh()}, 400, "key_case_mismatch"},
		{"malformed", `{"username":`, 400, "malformed_json"},
	} {
		status, body := c.Do(t, "POST", "/api/register", tc.body)
		mustCode(t, tc.name, status, body, tc.status, tc.code)
	}

	// A wrong counter (the first that fails).
	pow := fresh()
	var ch auth.PoWChallenge
	ch.Nonce, ch.Bits = pow["nonce"].(string), ctftest.TestPoWBits
	wrong := uint64(0)
	for auth.LeadingZeroBits(auth.PoWHash(ch.Nonce, wrong)) >= ch.Bits {
		wrong++
	}
	status, body := c.Do(t, "POST", "/api/register", reg("newbie", goodPassword, map[string]any{"nonce": ch.Nonce, "counter": wrong}))
	mustCode(t, "wrong counter", status, body, 400, "pow_invalid")

	// A proof is used once, even when the registration it came with
	// failed on a taken name; the counter may come as a string.
	pow = fresh()
	pow["counter"] = fmt.Sprint(pow["counter"])
	status, body = c.Do(t, "POST", "/api/register", reg("alice", goodPassword, pow))
	mustCode(t, "taken with a good proof", status, body, 400, "username_taken")
	status, body = c.Do(t, "POST", "/api/register", reg("newbie", goodPassword, pow))
	mustCode(t, "replayed proof", status, body, 400, "pow_invalid")

	// A proof past its expiry, by the server's clock.
	pow = fresh()
	clock.Add((auth.PoWLifetime + time.Second).Milliseconds())
	status, body = c.Do(t, "POST", "/api/register", reg("newbie", goodPassword, pow))
	mustCode(t, "expired proof", status, body, 400, "pow_expired")

	// Nothing of it created an account: the name is free.
	if status, body := c.Register(t, "newbie", goodPassword, ""); status != 201 {
		t.Fatalf("register after the refusals: %d %s", status, body)
	}
	// A JSON body and a same-site request, as the other POSTs.
	status, got := mustPost(t, c, "/api/register", `{"username":"other","password":"`+goodPassword+`"}`, ctype("text/plain"))
	if status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d %s", status, got)
	}
	powJSON, _ := json.Marshal(fresh())
	status, got = mustPost(t, c, "/api/register", `{"username":"other","password":"`+goodPassword+`","pow":`+string(powJSON)+`}`,
		http.Header{"Content-Type": {"application/json"}, "Sec-Fetch-Site": {"cross-site"}})
	if status != http.StatusForbidden || !strings.Contains(got, "cross_site") {
		t.Errorf("cross-site: %d %s", status, got)
	}
}

// TestRegisterInvite: in invite mode the code is required and compared.
func TestRegisterInvite(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), ctftest.WithRegistration("invite"))
	c := srv.NewClient()
	if _, body := c.Do(t, "GET", "/api/registration", nil); !strings.Contains(string(body), `"mode":"invite"`) {
		t.Fatalf("registration: %s", body)
	}
	status, body := c.Register(t, "invited", goodPassword, "")
	mustCode(t, "no code", status, body, 400, "invalid_code")
	status, body = c.Register(t, "invited", goodPassword, ctftest.RegistrationCode+"x")
	mustCode(t, "wrong code", status, body, 400, "invalid_code")
	status, body = c.Register(t, "invited", goodPassword, strings.ToUpper(ctftest.RegistrationCode))
	mustCode(t, "code in capitals", status, body, 400, "invalid_code")
	if status, body := c.Register(t, "invited", goodPassword, ctftest.RegistrationCode); status != 201 {
		t.Fatalf("right code: %d %s", status, body)
	}
}

// TestRegisterRateLimit: registrations are limited per client address,
// whatever their outcome (refused proofs and codes included), and a
// refused request gets to no check at all; the server's own failures
// are not charged.
func TestRegisterRateLimit(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), ctftest.WithRegistration("invite"), func(c *app.Config) {
		c.Limits.Register = httpapi.Limit{Burst: 3, Every: time.Hour}
	})
	c := srv.NewClient()
	if status, body := c.Register(t, "first", goodPassword, ctftest.RegistrationCode); status != 201 {
		t.Fatalf("register: %d %s", status, body)
	}
	status, body := c.Register(t, "second", goodPassword, "wrong")
	mustCode(t, "wrong code", status, body, 400, "invalid_code")
	status, body = c.Do(t, "POST", "/api/register", map[string]any{"username": "third", "password": goodPassword, "code": ctftest.RegistrationCode, "pow": map[string]any{"nonce": "bad", "counter": 0}})
	mustCode(t, "bad proof", status, body, 400, "pow_invalid")
	// The bucket is empty: even a perfect request is refused, and so is
	// a bad proof (it is not even checked).
	resp := c.Request(t, "POST", "/api/register", map[string]any{"username": "fourth", "password": goodPassword, "code": ctftest.RegistrationCode, "pow": c.MustSolve(t)}, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	status, body = c.Do(t, "POST", "/api/register", map[string]any{"username": "fifth", "password": goodPassword, "pow": map[string]any{"nonce": "bad", "counter": 0}})
	mustCode(t, "bad proof, limited", status, body, 429, "rate_limit_exceeded")
	// Rule checks come first and cost nothing.
	status, body = c.Register(t, "x", goodPassword, ctftest.RegistrationCode)
	mustCode(t, "invalid username, limited", status, body, 400, "invalid_username")
}

// TestRegisterHeldRequests: the address's tokens are taken before the
// costly work, so requests held in it (a slow bcrypt here) cannot
// together get more than the bucket holds: with two held, a third is
// refused at once; the two then finish.
func TestRegisterHeldRequests(t *testing.T) {
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	var hashed atomic.Int64
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), ctftest.WithRegistration("open"), func(c *app.Config) {
		c.Limits.Register = httpapi.Limit{Burst: 2, Every: time.Hour}
		c.Registration.Hash = func(string) (string, error) {
			hashed.Add(1)
			entered <- struct{}{}
			<-release
			return "$2a$04$held.hash.for.tests.only.000000000000000000000000000", nil
		}
	})
	c := srv.NewClient()
	pows := []map[string]any{c.MustSolve(t), c.MustSolve(t), c.MustSolve(t)}
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = c.Do(t, "POST", "/api/register", map[string]any{"username": fmt.Sprintf("held%d", i), "password": goodPassword, "pow": pows[i]})
		}()
	}
	for range 2 {
		select {
		case <-entered:
		case <-time.After(20 * time.Second):
			t.Fatal("the registrations did not reach the hash")
		}
	}
	status, body := c.Do(t, "POST", "/api/register", map[string]any{"username": "held2", "password": goodPassword, "pow": pows[2]})
	mustCode(t, "third while two are held", status, body, 429, "rate_limit_exceeded")
	close(release)
	wg.Wait()
	if statuses[0] != 201 || statuses[1] != 201 || hashed.Load() != 2 {
		t.Fatalf("held requests: %v, %d hashes", statuses, hashed.Load())
	}
}
