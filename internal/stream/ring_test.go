package stream

import (
	"slices"
	"testing"
)

func ringIDs(evs []Event) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func TestRing(t *testing.T) {
	r := newRing(4)
	if r.covers(0) {
		t.Fatal("empty ring covers")
	}
	// Ids with a gap (a rolled-back id is never used).
	for _, id := range []int64{10, 11, 13} {
		r.push(Event{ID: id})
	}
	for since, want := range map[int64]bool{8: false, 9: true, 10: true, 12: true, 13: true, 14: false} {
		if got := r.covers(since); got != want {
			t.Errorf("covers(%d) = %v before eviction", since, got)
		}
	}
	if got := ringIDs(r.between(10, 13)); !slices.Equal(got, []int64{11, 13}) {
		t.Fatalf("between(10,13) = %v", got)
	}
	if got := ringIDs(r.between(10, 11)); !slices.Equal(got, []int64{11}) {
		t.Fatalf("between(10,11) = %v", got)
	}
	for _, id := range []int64{14, 15, 16} {
		r.push(Event{ID: id})
	}
	// Holds 13..16; 11 was evicted last.
	if got := ringIDs(r.between(0, 100)); !slices.Equal(got, []int64{13, 14, 15, 16}) {
		t.Fatalf("contents %v", got)
	}
	for since, want := range map[int64]bool{10: false, 11: true, 12: true, 16: true, 17: false} {
		if got := r.covers(since); got != want {
			t.Errorf("covers(%d) = %v after eviction", since, got)
		}
	}
	if r.last() != 16 {
		t.Fatalf("last %d", r.last())
	}
	r.clear(16)
	if r.covers(16) || r.last() != 0 || r.between(0, 100) != nil {
		t.Fatal("clear left events")
	}
	// After a reset at 16, the old game's ids are not resumable, even the
	// one just before the first new event.
	r.push(Event{ID: 17})
	if r.covers(16) || !r.covers(17) {
		t.Fatal("resume across a reset")
	}
}
