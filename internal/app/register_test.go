package app_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
)

const newPassword = "lantern-quartz-81"

// TestRegisterSurvivesRestartAndReset: a registered account logs in again
// after a restart, keeps its progress, and outlives an admin reset (and
// the restart after it), which clears only its progress.
func TestRegisterSurvivesRestartAndReset(t *testing.T) {
	dir := ctftest.MustGameDir(t)
	srv := ctftest.MustServer(t, dir, ctftest.WithRegistration("open"))
	c := srv.NewClient()
	if status, body := c.Register(t, "survivor", newPassword, ""); status != 201 {
		t.Fatalf("register: %d %s", status, body)
	}
	c.Do(t, "POST", "/api/set-name", map[string]string{"name": "Survivor"})
	if status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}); status != 200 {
		t.Fatalf("submit: %d %s", status, body)
	}
	srv.Stop()

	srv = ctftest.MustServer(t, dir, ctftest.WithRegistration("open"))
	again := srv.MustLoginAs(t, "survivor", newPassword)
	if _, body := again.Do(t, "GET", "/api/me", nil); !strings.Contains(string(body), `"displayname":"Survivor"`) || !strings.Contains(string(body), `"total":100`) {
		t.Fatalf("after a restart: %s", body)
	}
	c.Base = srv.URL // the session from the registration is in the database
	if status, _ := c.Do(t, "GET", "/api/me", nil); status != 200 {
		t.Fatalf("the registration's session after a restart: %d", status)
	}
	if status, body := srv.NewClient().Register(t, "Survivor", newPassword, ""); status != 400 || !strings.Contains(string(body), "username_taken") {
		t.Fatalf("the name after a restart: %d %s", status, body)
	}
	if status, body := srv.NewClient().Do(t, "POST", "/admin/reset?confirm=yes", map[string]string{"token": ctftest.AdminToken}); status != 200 {
		t.Fatalf("reset: %d %s", status, body)
	}
	after := srv.MustLoginAs(t, "survivor", newPassword)
	if _, body := after.Do(t, "GET", "/api/me", nil); !strings.Contains(string(body), `"needs_name":true`) || !strings.Contains(string(body), `"total":0`) {
		t.Fatalf("after a reset: %s", body)
	}
	srv.Stop()

	// Closed now (the default): the account still logs in.
	srv = ctftest.MustServer(t, dir)
	srv.MustLoginAs(t, "survivor", newPassword)
	if status, body := srv.NewClient().Do(t, "POST", "/api/login", map[string]string{"username": "survivor", "password": "wrong-password-1"}); status != 401 {
		t.Fatalf("a wrong password: %d %s", status, body)
	}
}

// TestPostgresRegisterReachesEveryInstance: an account made on one
// instance is a player on the other as soon as its feed brings the
// register event, and logs in there; a proof issued by one instance is
// accepted by the other, once; two instances registering one name at
// once give it to one.
func TestPostgresRegisterReachesEveryInstance(t *testing.T) {
	dbURL := mustPostgresURL(t)
	dir := ctftest.MustGameDir(t)
	withPG := func(c *app.Config) { c.DatabaseURL = dbURL }
	a := ctftest.MustServer(t, dir, withPG, ctftest.WithRegistration("open"))
	b := ctftest.MustServer(t, dir, withPG, ctftest.WithRegistration("open"))

	onA := a.NewClient()
	if status, body := onA.Register(t, "traveller", newPassword, ""); status != 201 {
		t.Fatalf("register on A: %d %s", status, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := b.App.Engine.State().PlayerByUsername("traveller"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("instance B never folded the register event")
		}
		time.Sleep(10 * time.Millisecond)
	}
	onB := b.MustLoginAs(t, "traveller", newPassword)
	if status, body := onB.Do(t, "POST", "/api/set-name", map[string]string{"name": "Traveller"}); status != 200 {
		t.Fatalf("set-name on B: %d %s", status, body)
	}
	// A folds B's rename as it comes (a notification away).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		status, body := onA.Do(t, "GET", "/api/me", nil)
		if status == 200 && strings.Contains(string(body), `"displayname":"Traveller"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("me on A: %d %s", status, body)
		}
	}

	// A proof from A, spent on B, cannot be spent again on A.
	pow := onA.MustSolve(t)
	status, body := b.NewClient().Do(t, "POST", "/api/register", map[string]any{"username": "crossing", "password": newPassword, "pow": pow})
	if status != 201 {
		t.Fatalf("A's proof on B: %d %s", status, body)
	}
	status, body = a.NewClient().Do(t, "POST", "/api/register", map[string]any{"username": "crossing2", "password": newPassword, "pow": pow})
	if status != 400 || !strings.Contains(string(body), "pow_invalid") {
		t.Fatalf("the proof again on A: %d %s", status, body)
	}

	// One name, two instances, at once.
	pows := []map[string]any{onA.MustSolve(t), onA.MustSolve(t)}
	statuses := make([]int, 2)
	bodies := make([]string, 2)
	var wg sync.WaitGroup
	for i, srv := range []*ctftest.Server{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, b := srv.NewClient().Do(t, "POST", "/api/register", map[string]any{"username": "contested", "password": newPassword, "pow": pows[i]})
			statuses[i], bodies[i] = s, string(b)
		}()
	}
	wg.Wait()
	won := 0
	for i, s := range statuses {
		switch {
		case s == 201:
			won++
		case s != 400 || !strings.Contains(bodies[i], "username_taken"):
			t.Errorf("instance %d: %d %s", i, s, bodies[i])
		}
	}
	if won != 1 {
		t.Fatalf("%d instances registered the name: %v", won, statuses)
	}
	for _, srv := range []*ctftest.Server{a, b} {
		srv.MustLoginAs(t, "contested", newPassword)
	}
}
