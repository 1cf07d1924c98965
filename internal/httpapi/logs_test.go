package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
)

// TestLogsHoldNoSecrets plays every kind of request with debug logging and
// checks that no password, token, session cookie or flag guess appears in
// the log.
func TestLogsHoldNoSecrets(t *testing.T) {
	var logs ctftest.LogBuffer
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	c := srv.MustLogin(t, "alice")
	srv.MustLogin(t, "carol")
	c.Do(t, "POST", "/api/login", map[string]string{"username": "bob", "password": "wrong-password-xyz"})
	_, me := c.Do(t, "GET", "/api/me", nil)
	wsURL := ctftest.MustJSON(t, me)["websocket_url"].(string)
	token := wsURL[strings.Index(wsURL, "token=")+len("token="):]
	c.Do(t, "GET", "/scorestream?token="+token, nil)
	c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "guess-not-right-123"})
	c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	judge := srv.NewClient()
	judge.Request(t, "POST", "/api/award", map[string]any{"username": "bob", "id": 1}, http.Header{"Authorization": {"Bearer " + ctftest.APIToken}}).Body.Close()
	judge.Request(t, "POST", "/api/award", map[string]any{"username": "bob", "id": 1}, http.Header{"Authorization": {"Bearer wrong-api-token-777"}}).Body.Close()
	judge.Do(t, "POST", "/admin/reset?confirm=yes", map[string]string{"token": "wrong-admin-token-888"})
	var session string
	for _, ck := range c.HTTP.Jar.Cookies(mustURL(t, srv.URL)) {
		session = ck.Value
	}
	judge.Do(t, "POST", "/admin/reset?confirm=yes", map[string]string{"token": ctftest.AdminToken})
	out := logs.String()
	if !strings.Contains(out, "route=\"POST /api/submit\"") {
		t.Fatalf("the access log is missing: %s", out)
	}
	secrets := []string{ctftest.APIToken, ctftest.AdminToken, "alice-pw", "carol-pw", "wrong-password-xyz", "guess-not-right-123", "flag{warm}",
		"wrong-api-token-777", "wrong-admin-token-888", token, session}
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("log contains a secret %q", s)
		}
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
