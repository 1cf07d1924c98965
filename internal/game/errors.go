package game

import "errors"

// Kind classifies an error for the caller; the HTTP layer maps each kind
// to one status code in one place.
type Kind int

// The error kinds.
const (
	KindInternal        Kind = iota // anything unexpected: hidden from users
	KindInvalid                     // malformed or unknown input: 400
	KindUnauthorized                // no or bad credentials: 401
	KindPaymentRequired             // not enough points: 402
	KindForbidden                   // not allowed yet (locked): 403
	KindNotFound                    // unknown user or resource: 404
	KindConflict                    // taken or duplicate: 409
	KindRateLimited                 // too many requests: 429
	KindUnavailable                 // feature not configured: 503
	KindUnsupported                 // body in a format the API does not read: 415
)

// Error is a rule violation. Code is the machine-readable string sent to
// clients as {"error": Code}; for display names it is a human sentence,
// as in the old engine.
type Error struct {
	Kind Kind
	Code string
}

func (e *Error) Error() string { return e.Code }

// NewError builds an *Error.
func NewError(kind Kind, code string) *Error { return &Error{Kind: kind, Code: code} }

// The rule errors returned by State, with the codes of the old engine.
var (
	ErrUnknownID          = NewError(KindInvalid, "unknown_id")
	ErrUnknownChallenge   = NewError(KindInvalid, "unknown_challenge")
	ErrUnknownHint        = NewError(KindInvalid, "unknown_hint")
	ErrMissingParameters  = NewError(KindInvalid, "missing_parameters")
	ErrAlreadyPurchased   = NewError(KindInvalid, "already_purchased")
	ErrInsufficientPoints = NewError(KindPaymentRequired, "insufficient_points")
	ErrLocked             = NewError(KindForbidden, "locked")
	ErrUnknownUser        = NewError(KindNotFound, "unknown_user")
	ErrNameTaken          = NewError(KindConflict, "name_taken")
	ErrRateLimited        = NewError(KindRateLimited, "rate_limit_exceeded")
)

// KindOf returns the kind of err: that of the first *Error in its chain,
// or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}
