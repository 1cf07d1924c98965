package app_test

import (
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/version"
)

// TestVersionShown: with no version in the config, the server reads its
// build's (what ctfg --version prints) and shows that same string in the
// start-up log line, in ctfg_build_info and on the admin dashboard.
func TestVersionShown(t *testing.T) {
	want := version.Get().String()
	var logs ctftest.LogBuffer
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Version = ""
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})

	// Serve logs its start-up line before it accepts connections.
	if got := sample(mustScrape(t, srv.URL+"/metrics", ""), "ctfg_build_info", map[string]string{"version": want}); got != 1 {
		t.Errorf("ctfg_build_info{version=%q} = %v", want, got)
	}
	if !strings.Contains(logs.String(), `msg=listening version="`+want+`"`) {
		t.Errorf("start-up log line without version %q: %s", want, logs.String())
	}

	admin := srv.NewClient()
	form := url.Values{"token": {ctftest.AdminToken}}.Encode()
	admin.Request(t, "POST", "/admin/login", form, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}).Body.Close()
	status, body := admin.Do(t, "GET", "/admin/api/stats", nil)
	var stats httpapi.AdminStats
	if status != http.StatusOK || json.Unmarshal(body, &stats) != nil || stats.Version != want {
		t.Errorf("admin stats: %d version %q, want %q: %s", status, stats.Version, want, body)
	}
	status, page := admin.Do(t, "GET", "/admin", nil)
	if status != http.StatusOK || !strings.Contains(string(page), `<span id="version">`+template.HTMLEscapeString(want)+`</span>`) {
		t.Errorf("/admin does not show version %q: %d %.2000s", want, status, page)
	}
}
