package store

import (
	"fmt"
	"slices"
)

// CheckSubmissions returns an error for the first submission a backend
// must refuse (see Store.RecordSubmissions), without the guess: it may
// be a mistyped secret.
func CheckSubmissions(subs []Submission) error {
	for i, s := range subs {
		switch {
		case s.UserID <= 0:
			return fmt.Errorf("submission %d: invalid user id %d", i, s.UserID)
		case s.TS.IsZero():
			return fmt.Errorf("submission %d: no time", i)
		case !s.Result.Valid():
			return fmt.Errorf("submission %d: invalid result %q", i, s.Result)
		case s.Guess != "" && s.Result != ResultIncorrect:
			return fmt.Errorf("submission %d: a guess is kept only for an incorrect submission, not %s", i, s.Result)
		}
	}
	return nil
}

// NewestFirst sorts submissions read oldest first (a SubmissionFilter
// with After) into the order Submissions returns.
func NewestFirst(subs []Submission) { slices.Reverse(subs) }
