package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

// TestRegister: a registered player is in the state at once, plays, has
// their hash as password; csv names (any case) and taken names are
// refused; after a reset and a restart the account and its password are
// still there.
func TestRegister(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	ctx := context.Background()
	open := func() (*engine.Engine, *sqlite.DB) {
		t.Helper()
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		us := users(2)
		us[0].Username = "U0" // a csv name in capitals
		e, err := engine.Open(ctx, engine.Config{Store: db, Challenges: challenges(1), Users: us})
		if err != nil {
			t.Fatal(err)
		}
		return e, db
	}
	e, db := open()
	p, err := e.Register(ctx, "newbie", "$2a$04$hash")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := e.State().PlayerByUsername("newbie"); !ok || got.ID != p.ID || p.ID != 3 {
		t.Fatalf("player %+v, state %+v %v", p, got, ok)
	}
	if pw, ok, err := e.Password(ctx, p.ID); err != nil || !ok || pw != "$2a$04$hash" {
		t.Fatalf("Password: %q %v %v", pw, ok, err)
	}
	if pw, ok, err := e.Password(ctx, 1); err != nil || !ok || pw != "pw" {
		t.Fatalf("csv Password: %q %v %v", pw, ok, err)
	}
	if _, ok, err := e.Password(ctx, 99); ok || err != nil {
		t.Fatalf("unknown user: %v %v", ok, err)
	}
	for _, name := range []string{"u0", "u1", "newbie"} {
		if !e.UsernameTaken(name) {
			t.Errorf("UsernameTaken(%q) = false", name)
		}
		if _, err := e.Register(ctx, name, "$2a$04$x"); !errors.Is(err, game.ErrUsernameTaken) {
			t.Errorf("Register(%q): %v", name, err)
		}
	}
	if r, err := e.Submit(ctx, p.ID, 1, "f1"); err != nil || r.Outcome != engine.Correct {
		t.Fatalf("a registered player's solve: %+v %v", r, err)
	}
	if _, err := e.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got, ok := e.State().Player(p.ID); !ok || got.Score != 0 {
		t.Fatalf("after a reset: %+v %v", got, ok)
	}
	e.Close()
	db.Close()

	e, db = open()
	defer db.Close()
	defer e.Close()
	if got, ok := e.State().PlayerByUsername("newbie"); !ok || got.ID != p.ID {
		t.Fatalf("after a reset and a restart: %+v %v", got, ok)
	}
	if pw, ok, err := e.Password(ctx, p.ID); err != nil || !ok || pw != "$2a$04$hash" {
		t.Fatalf("Password after a restart: %q %v %v", pw, ok, err)
	}
	if !e.UsernameTaken("newbie") {
		t.Error("the name is free after a restart")
	}
}

// TestRegisterElsewhere: an account created behind the engine's back (as
// another instance would) reaches the state through the feed, and its
// password is read from the store once.
func TestRegisterElsewhere(t *testing.T) {
	e, db := mustEngine(t, 1, 1, nil)
	ctx := context.Background()
	id, err := db.CreateAccount(ctx, "remote", "$2a$04$remote")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Feed().Sync(ctx, 1<<62); err != nil {
		t.Fatal(err)
	}
	if p, ok := e.State().PlayerByUsername("remote"); !ok || p.ID != id {
		t.Fatalf("the feed did not add the player: %+v %v", p, ok)
	}
	if pw, ok, err := e.Password(ctx, id); err != nil || !ok || pw != "$2a$04$remote" {
		t.Fatalf("Password: %q %v %v", pw, ok, err)
	}
	db.Close() // cached now: no store needed
	if pw, ok, err := e.Password(ctx, id); err != nil || !ok || pw != "$2a$04$remote" {
		t.Fatalf("Password from the cache: %q %v %v", pw, ok, err)
	}
}
