package game

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestAnnouncementFold: announcements fold in order with their ids, times
// and challenge ids, a snapshot carries the latest RecentAnnouncements,
// and a reset clears them.
func TestAnnouncementFold(t *testing.T) {
	cat, err := NewCatalog(nil)
	if err != nil {
		t.Fatal(err)
	}
	st := NewState(cat, nil)
	a := NewAnnouncement("Flag format fixed", 3, 100)
	a.ID = 1
	b := NewAnnouncement("Lunch at noon", 0, 200)
	b.ID = 2
	st.Apply(a, b, Event{ID: 3, Type: "announcement", Data: "not json"})
	want := []Announcement{{ID: 1, TS: 100, Message: "Flag format fixed", ChallengeID: 3}, {ID: 2, TS: 200, Message: "Lunch at noon"}}
	if got := st.Announcements(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Announcements() = %+v, want %+v", got, want)
	}
	for i := 0; i < RecentAnnouncements+5; i++ {
		ev := NewAnnouncement(fmt.Sprint("n", i), 0, int64(300+i))
		ev.ID = int64(10 + i)
		st.Apply(ev)
	}
	snap := st.TakeSnapshot(10, time.Time{})
	if len(snap.Announcements) != RecentAnnouncements || snap.Announcements[len(snap.Announcements)-1].Message != fmt.Sprint("n", RecentAnnouncements+4) {
		t.Fatalf("snapshot announcements: %d, last %+v", len(snap.Announcements), snap.Announcements[len(snap.Announcements)-1])
	}
	if n := len(st.Announcements()); n != RecentAnnouncements+7 {
		t.Fatalf("%d announcements kept, want all %d", n, RecentAnnouncements+7)
	}
	st.Apply(Event{ID: 100, Type: EventReset})
	if got := st.Announcements(); len(got) != 0 {
		t.Fatalf("after reset: %+v", got)
	}
	if snap := st.TakeSnapshot(10, time.Time{}); len(snap.Announcements) != 0 {
		t.Fatalf("snapshot after reset: %+v", snap.Announcements)
	}
}

func TestValidateAnnouncement(t *testing.T) {
	if m, err := ValidateAnnouncement("  **hi**\n"); err != nil || m != "**hi**" {
		t.Fatalf("got %q, %v", m, err)
	}
	if _, err := ValidateAnnouncement(" \n\t"); !errors.Is(err, ErrAnnouncementEmpty) {
		t.Fatalf("blank: %v", err)
	}
	if _, err := ValidateAnnouncement(strings.Repeat("é", MaxAnnouncementBytes/2)); err != nil {
		t.Fatalf("exactly the limit: %v", err)
	}
	if _, err := ValidateAnnouncement(strings.Repeat("x", MaxAnnouncementBytes+1)); !errors.Is(err, ErrAnnouncementTooLong) {
		t.Fatalf("one byte over: %v", err)
	}
}
