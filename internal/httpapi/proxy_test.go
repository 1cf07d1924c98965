package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
)

// Behind a trusted proxy, per-address limits key on the address the proxy
// appended to X-Forwarded-For; entries a client forges before it do not
// buy fresh buckets.
func TestTrustedProxyAddressCannotBeForged(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.TrustProxy = true
		c.Limits.LoginAddr = httpapi.Limit{Burst: 3, Every: time.Hour}
	})
	c := srv.NewClient()
	fail := func(forged, real string) int {
		// Different usernames, so only the per-address limit can trip.
		resp := c.Request(t, "POST", "/api/login", fmt.Sprintf(`{"username":"nobody%s","password":"x"}`, forged),
			http.Header{"X-Forwarded-For": {forged + ", " + real}})
		resp.Body.Close()
		return resp.StatusCode
	}
	// Three failures drain the address's bucket, three more its spare
	// bucket (open to usernames with no failures, as each of these is).
	for i := range 6 {
		if st := fail(fmt.Sprintf("10.0.0.%d", i), "198.51.100.7"); st != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i, st)
		}
	}
	if st := fail("10.9.9.9", "198.51.100.7"); st != http.StatusTooManyRequests {
		t.Fatalf("a forged first address escaped the limit: %d, want 429", st)
	}
	// Another real client behind the same proxy has its own bucket.
	if st := fail("10.0.0.1", "198.51.100.8"); st != http.StatusUnauthorized {
		t.Fatalf("another client: %d, want 401", st)
	}
}
