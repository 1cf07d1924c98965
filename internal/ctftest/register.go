package ctftest

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/auth"
	"golang.org/x/crypto/bcrypt"
)

// RegistrationCode is the invite code of WithRegistration("invite").
const RegistrationCode = "invite-code-for-tests-4e1b9d"

// TestPoWBits is the proof-of-work difficulty of test servers: real
// work, a few hundred hashes.
const TestPoWBits = 8

// WithRegistration opens self-registration on a test server ("open" or
// "invite", with RegistrationCode), with an easy proof of work and
// bcrypt's minimum cost.
func WithRegistration(mode string) func(*app.Config) {
	return func(c *app.Config) {
		c.Registration = app.Registration{Mode: mode, PoWBits: TestPoWBits, Cost: bcrypt.MinCost}
		if mode == "invite" {
			c.Registration.Code = RegistrationCode
		}
	}
}

// MustSolve fetches a registration challenge and solves it: the "pow"
// object of POST /api/register.
func (c *Client) MustSolve(tb testing.TB) map[string]any {
	tb.Helper()
	status, body := c.Do(tb, "GET", "/api/registration/challenge", nil)
	if status != http.StatusOK {
		tb.Fatalf("registration challenge: %d %s", status, body)
	}
	var ch auth.PoWChallenge
	if err := json.Unmarshal(body, &ch); err != nil {
		tb.Fatalf("registration challenge: %v: %s", err, body)
	}
	return map[string]any{"nonce": ch.Nonce, "counter": auth.SolvePoW(ch)}
}

// Register solves a challenge and registers username (code "" sends
// none); it returns the status and body of POST /api/register.
func (c *Client) Register(tb testing.TB, username, password, code string) (int, []byte) {
	tb.Helper()
	req := map[string]any{"username": username, "password": password, "pow": c.MustSolve(tb)}
	if code != "" {
		req["code"] = code
	}
	return c.Do(tb, "POST", "/api/register", req)
}
