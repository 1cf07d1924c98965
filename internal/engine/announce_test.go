package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// TestAnnounce: an announcement is committed with its id, time, trimmed
// message and challenge, folded before Announce returns, and a bad one
// (blank, unknown challenge) writes nothing.
func TestAnnounce(t *testing.T) {
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	e := mustClockEngine(t, newTestClock(now), time.Time{}, time.Time{})
	ctx := context.Background()
	a, err := e.Announce(ctx, "  Hint for *one* is out \n", 1)
	if err != nil {
		t.Fatal(err)
	}
	want := game.Announcement{ID: a.ID, TS: now.UnixMilli(), Message: "Hint for *one* is out", ChallengeID: 1}
	if a.ID == 0 || a != want {
		t.Fatalf("Announce = %+v, want %+v", a, want)
	}
	if got := e.State().Announcements(); len(got) != 1 || got[0] != want {
		t.Fatalf("folded: %+v", got)
	}
	if _, err := e.Announce(ctx, " ", 0); !errors.Is(err, game.ErrAnnouncementEmpty) {
		t.Fatalf("blank: %v", err)
	}
	if _, err := e.Announce(ctx, "x", 99); !errors.Is(err, game.ErrUnknownChallenge) {
		t.Fatalf("unknown challenge: %v", err)
	}
	if n := len(e.State().Announcements()); n != 1 {
		t.Fatalf("%d announcements after refusals, want 1", n)
	}
}
