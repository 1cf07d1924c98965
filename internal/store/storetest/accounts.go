package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// accountTests are the behaviours of self-registered accounts and
// one-time values.
var accountTests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"Accounts", testAccounts},
	{"AccountsReset", testAccountsReset},
	{"AccountsConcurrent", testAccountsConcurrent},
	{"InstancesAccounts", testInstancesAccounts},
	{"UseOnce", testUseOnce},
	{"UseOnceConcurrent", testUseOnceConcurrent},
}

// testHash stands for a bcrypt hash: the store keeps it as it is.
func testHash(username string) string { return "$2a$04$hash.of." + username }

// MustCreateAccount creates an account and fails the test on error.
func MustCreateAccount(tb testing.TB, s store.Store, username string) int64 {
	tb.Helper()
	id, err := s.CreateAccount(context.Background(), username, testHash(username))
	if err != nil {
		tb.Fatalf("CreateAccount(%q): %v", username, err)
	}
	return id
}

func mustAccounts(tb testing.TB, s store.Store) []game.User {
	tb.Helper()
	as, err := s.Accounts(context.Background())
	if err != nil {
		tb.Fatalf("Accounts: %v", err)
	}
	return as
}

// testAccounts: an account gets the next user id, its hash and its
// register event; a name held by any user, in any case, is refused; csv
// users have no account hash; SyncUsers goes on after accounts, and a
// csv name equal to an account's takes the account's id; all of it
// survives a reopen.
func testAccounts(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	ids, err := s.SyncUsers(ctx, []string{"Alice", "bob"})
	if err != nil {
		t.Fatal(err)
	}
	id := MustCreateAccount(t, s, "newbie")
	if id != max(ids["Alice"], ids["bob"])+1 {
		t.Fatalf("account id %d, want the next after %v", id, ids)
	}
	for _, name := range []string{"alice", "ALICE", "Bob", "NEWBIE", "newbie"} {
		if _, err := s.CreateAccount(ctx, name, testHash(name)); !errors.Is(err, game.ErrUsernameTaken) {
			t.Errorf("CreateAccount(%q): %v, want game.ErrUsernameTaken", name, err)
		}
	}
	for _, bad := range [][2]string{{"", "h"}, {"x", ""}, {"  ", "h"}} {
		if _, err := s.CreateAccount(ctx, bad[0], bad[1]); err == nil || errors.Is(err, game.ErrUsernameTaken) {
			t.Errorf("CreateAccount(%q, %q): %v, want an input error", bad[0], bad[1], err)
		}
	}
	evs := MustEvents(t, s, 0)
	if len(evs) != 1 || evs[0].Type != game.EventRegister || evs[0].UserID != id || evs[0].Name != "newbie" || evs[0].TS == 0 {
		t.Fatalf("events: %+v, want one register event of %d", evs, id)
	}
	if h, err := s.AccountHash(ctx, id); err != nil || h != testHash("newbie") {
		t.Errorf("AccountHash: %q %v", h, err)
	}
	for _, other := range []int64{ids["Alice"], id + 100} {
		if _, err := s.AccountHash(ctx, other); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AccountHash(%d): %v, want store.ErrNotFound", other, err)
		}
	}
	// An account's player plays like anyone.
	if r := MustAppend(t, s, solve(id, 1, 100, 5), rename(id, "Newbie", 6)); !r[0].Inserted || !r[1].Inserted {
		t.Fatalf("events of an account: %+v", r)
	}
	more, err := s.SyncUsers(ctx, []string{"Alice", "bob", "carol", "newbie"})
	if err != nil {
		t.Fatal(err)
	}
	if more["carol"] != id+1 || more["newbie"] != id {
		t.Errorf("SyncUsers after an account: %v (account %d)", more, id)
	}
	id2 := MustCreateAccount(t, s, "second")
	if id2 != id+2 {
		t.Errorf("second account id %d, want %d", id2, id+2)
	}
	want := []game.User{{ID: id, Username: "newbie", Password: testHash("newbie")}, {ID: id2, Username: "second", Password: testHash("second")}}
	if got := mustAccounts(t, s); !slices.Equal(got, want) {
		t.Errorf("Accounts: %+v, want %+v", got, want)
	}
	s.Close()
	s = open(t)
	if got := mustAccounts(t, s); !slices.Equal(got, want) {
		t.Errorf("Accounts after reopen: %+v, want %+v", got, want)
	}
	if _, err := s.CreateAccount(ctx, "second", "h"); !errors.Is(err, game.ErrUsernameTaken) {
		t.Errorf("after reopen: %v", err)
	}
}

// testAccountsReset: a reset deletes the accounts' sessions and every
// game event, never the accounts nor their register events (every
// instance, and every restart, must go on finding the players); the
// count of removed events leaves them out.
func testAccountsReset(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	id := MustCreateAccount(t, s, "keeper")
	if err := s.CreateSession(ctx, []byte("keeper-session"), id); err != nil {
		t.Fatal(err)
	}
	MustAppend(t, s, solve(id, 1, 100, 5))
	if removed := MustReset(t, s, 10); removed != 1 {
		t.Fatalf("the reset removed %d events, want the solve only", removed)
	}
	evs := MustEvents(t, s, 0)
	if len(evs) != 2 || evs[0].Type != game.EventRegister || evs[0].UserID != id || evs[1].Type != game.EventReset {
		t.Fatalf("after a reset: %+v, want the register event and the reset", evs)
	}
	if _, err := s.SessionUser(ctx, []byte("keeper-session")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the account's session survived a reset: %v", err)
	}
	if got := mustAccounts(t, s); len(got) != 1 || got[0].ID != id {
		t.Fatalf("a reset deleted an account: %+v", got)
	}
	if h, err := s.AccountHash(ctx, id); err != nil || h != testHash("keeper") {
		t.Errorf("AccountHash after a reset: %q %v", h, err)
	}
	if _, err := s.CreateAccount(ctx, "keeper", "h"); !errors.Is(err, game.ErrUsernameTaken) {
		t.Errorf("the name is free again after a reset: %v", err)
	}
	// A second reset keeps it too.
	if removed := MustReset(t, s, 20); removed != 0 {
		t.Errorf("the second reset removed %d events", removed)
	}
	if evs := MustEvents(t, s, 0); len(evs) != 2 || evs[0].Type != game.EventRegister {
		t.Errorf("after a second reset: %+v", evs)
	}
}

// testAccountsConcurrent: of many registrations of one name at once,
// exactly one wins; registrations of distinct names racing SyncUsers get
// distinct ids, and their register events are in the log in id order.
func testAccountsConcurrent(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	const n = 8
	won := make([]bool, n)
	parallel(t, n, func(i int) error {
		_, err := s.CreateAccount(ctx, "popular", testHash("popular"))
		if errors.Is(err, game.ErrUsernameTaken) {
			return nil
		}
		won[i] = err == nil
		return err
	})
	if c := count(won); c != 1 {
		t.Fatalf("%d registrations of one name won, want 1", c)
	}
	ids := make([]int64, n)
	parallel(t, n+1, func(i int) error {
		if i == n {
			_, err := s.SyncUsers(ctx, []string{"csv1", "csv2"})
			return err
		}
		var err error
		ids[i], err = s.CreateAccount(ctx, fmt.Sprintf("racer%d", i), testHash("racer"))
		return err
	})
	all, err := s.SyncUsers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]string{}
	for name, id := range all {
		if prev, dup := seen[id]; dup {
			t.Fatalf("id %d given to %s and %s", id, prev, name)
		}
		seen[id] = name
	}
	for i, id := range ids {
		if seen[id] != fmt.Sprintf("racer%d", i) {
			t.Errorf("racer%d got id %d, which is %q", i, id, seen[id])
		}
	}
	evs := MustEvents(t, s, 0)
	if len(evs) != n+1 {
		t.Fatalf("%d register events, want %d", len(evs), n+1)
	}
	for _, ev := range evs {
		if ev.Type != game.EventRegister || seen[ev.UserID] != ev.Name {
			t.Errorf("register event %+v does not match its user %q", ev, seen[ev.UserID])
		}
	}
}

// testInstancesAccounts: two instances registering one name at once: one
// wins; each instance reads the other's account, its hash and its event.
func testInstancesAccounts(t *testing.T, open Opener) {
	ss := openN(t, open, 2)
	ctx := context.Background()
	ids := make([]int64, 2)
	errs := make([]error, 2)
	parallel(t, 2, func(i int) error {
		ids[i], errs[i] = ss[i].CreateAccount(ctx, "shared", testHash(fmt.Sprint(i)))
		if errors.Is(errs[i], game.ErrUsernameTaken) {
			return nil
		}
		return errs[i]
	})
	winner := 0
	if errs[0] != nil {
		winner = 1
	}
	if errs[1-winner] == nil {
		t.Fatal("both instances registered the name")
	}
	other := ss[1-winner]
	if h, err := other.AccountHash(ctx, ids[winner]); err != nil || h != testHash(fmt.Sprint(winner)) {
		t.Errorf("the other instance reads hash %q, %v", h, err)
	}
	evs := MustEvents(t, other, 0)
	if len(evs) != 1 || evs[0].Type != game.EventRegister || evs[0].UserID != ids[winner] {
		t.Errorf("the other instance reads events %+v", evs)
	}
	id2 := MustCreateAccount(t, other, "next")
	if id2 != ids[winner]+1 {
		t.Errorf("the next account on the other instance got id %d, want %d", id2, ids[winner]+1)
	}
}

// testUseOnce: a key is accepted once until it expires, then again; an
// expired key is forgotten; keys are independent; it survives a reopen
// and a reset.
func testUseOnce(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	use := func(key string, expires, now time.Time) bool {
		t.Helper()
		ok, err := s.UseOnce(ctx, key, expires, now)
		if err != nil {
			t.Fatalf("UseOnce(%q): %v", key, err)
		}
		return ok
	}
	exp := t0.Add(10 * time.Minute)
	if !use("a", exp, t0) || use("a", exp, t0.Add(time.Minute)) || !use("b", exp, t0) {
		t.Fatal("a key is accepted exactly once, independently of others")
	}
	MustReset(t, s, t0.UnixMilli())
	s.Close()
	s = open(t)
	if use("a", exp, t0.Add(2*time.Minute)) {
		t.Error("a used key was accepted again after a reset and a reopen")
	}
	// At its expiry the key is forgotten (the caller refuses expired
	// values itself).
	if !use("a", exp.Add(10*time.Minute), exp) {
		t.Error("an expired key is still held")
	}
	if _, err := s.UseOnce(ctx, "", exp, t0); err == nil {
		t.Error("an empty key was accepted")
	}
	d, ok := s.(store.Dumper)
	if !ok {
		return
	}
	dump, err := d.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dump.UsedOnce) != 1 || dump.UsedOnce[0].Key != "a" {
		t.Errorf("expired keys are not forgotten: %+v", dump.UsedOnce)
	}
}

// testUseOnceConcurrent: of many uses of one key at once, one is new.
func testUseOnceConcurrent(t *testing.T, open Opener) {
	ss := openN(t, open, 2)
	const n = 10
	fresh := make([]bool, n)
	parallel(t, n, func(i int) error {
		var err error
		fresh[i], err = ss[i%2].UseOnce(context.Background(), "nonce", t0.Add(time.Hour), t0)
		return err
	})
	if c := count(fresh); c != 1 {
		t.Fatalf("%d uses of one key were new, want 1", c)
	}
}
