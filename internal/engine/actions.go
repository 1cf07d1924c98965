package engine

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// Outcome is the result of a flag submission or an award.
type Outcome int

// The outcomes of Submit and Award.
const (
	Incorrect Outcome = iota
	Correct
	AlreadySolved
	// Practice is a right flag after the end in practice mode: shown to
	// the player as solved, never scored.
	Practice
)

// SubmitResult is the answer to a flag submission.
type SubmitResult struct {
	Outcome Outcome
	Points  int   // points of the challenge, for Correct
	Total   int   // the player's score afterwards (not for Incorrect)
	Event   int64 // id of the committed event, for Correct
}

// Submit checks a flag guess of a player for a challenge and records a
// right one. The guess is trimmed of surrounding whitespace. Errors:
// game.ErrUnknownID, game.ErrLocked (requirements unmet),
// game.ErrUnknownUser.
func (e *Engine) Submit(ctx context.Context, userID int64, challengeID int, guess string) (SubmitResult, error) {
	res, c, err := e.judge(userID, challengeID, guess)
	if err != nil || res.Outcome != Correct {
		return res, err
	}
	return e.solve(ctx, userID, c, true)
}

// Judge is Submit without recording a solve: Correct means the guess is
// right and not yet recorded (Submit records it). It reads only memory,
// so a caller can rate-limit the guessing alone — reserve before Judge,
// refund unless Incorrect — without holding the reservation through the
// commit of a right flag.
func (e *Engine) Judge(userID int64, challengeID int, guess string) (SubmitResult, error) {
	res, _, err := e.judge(userID, challengeID, guess)
	return res, err
}

func (e *Engine) judge(userID int64, challengeID int, guess string) (SubmitResult, *game.Challenge, error) {
	// Outside the running window nothing is judged — except after the
	// end in practice mode; the committer checks again for a right flag.
	now := e.now()
	clockErr := e.st.Clock().Check(now)
	practice := clockErr == game.ErrEnded && e.cfg.Practice
	if clockErr != nil && !practice {
		return SubmitResult{}, nil, clockErr
	}
	c, err := e.challenge(challengeID, now, game.ErrUnknownID)
	if err != nil {
		return SubmitResult{}, nil, err
	}
	var locked, solved bool
	var total int
	sid, err := e.scorer(userID)
	if err != nil {
		return SubmitResult{}, nil, err
	}
	if !e.st.WithPlayer(sid, func(p *game.Player) {
		locked, solved, total = !p.Available(c), p.Solved(c.ID) || (practice && p.Practiced(c.ID)), p.Score
	}) {
		return SubmitResult{}, nil, game.ErrUnknownUser
	}
	if locked {
		return SubmitResult{}, nil, game.ErrLocked
	}
	if solved {
		return SubmitResult{Outcome: AlreadySolved, Total: total}, nil, nil
	}
	if !c.MatchFlag(strings.TrimSpace(guess)) {
		return SubmitResult{Outcome: Incorrect}, nil, nil
	}
	return SubmitResult{Outcome: Correct}, c, nil
}

// scorer returns who userID's solves and hints belong to (the team in team
// mode): game.ErrNoTeam for a player without one.
func (e *Engine) scorer(userID int64) (int64, error) {
	p, ok := e.st.Player(userID)
	switch {
	case !ok:
		return 0, game.ErrUnknownUser
	case p.Removed:
		return 0, game.ErrRemoved
	}
	sid := e.st.Scorer(userID)
	if sid == 0 {
		return 0, game.ErrNoTeam
	}
	return sid, nil
}

// challenge returns the challenge with that id if it is out at now (a
// challenge not yet released is unknown to players: unknown, the error
// for an id not in the game).
func (e *Engine) challenge(id int, now time.Time, unknown error) (*game.Challenge, error) {
	c, ok := e.st.Catalog().Get(id)
	if !ok || !e.st.Released(c, now) {
		return nil, unknown
	}
	return c, nil
}

// Award records a solve for a player as an external judge saw it: no flag
// and no requirement check. A judge's award is a solve, so it is refused
// outside the running window like a submission. Errors:
// game.ErrUnknownID, game.ErrUnknownUser, game.ErrNotStarted,
// game.ErrPaused, game.ErrEnded.
func (e *Engine) Award(ctx context.Context, username string, challengeID int) (SubmitResult, error) {
	now := e.now()
	if err := e.st.Clock().Check(now); err != nil {
		return SubmitResult{}, err
	}
	c, err := e.challenge(challengeID, now, game.ErrUnknownID)
	if err != nil {
		return SubmitResult{}, err
	}
	p, ok := e.st.PlayerByUsername(username)
	if !ok {
		return SubmitResult{}, game.ErrUnknownUser
	}
	return e.solve(ctx, p.ID, c, false)
}

func (e *Engine) solve(ctx context.Context, userID int64, c *game.Challenge, practice bool) (SubmitResult, error) {
	r, err := e.do(ctx, &op{kind: opSolve, userID: userID, chal: c, practice: practice})
	if err != nil {
		return SubmitResult{}, err
	}
	switch {
	case !r.inserted:
		return SubmitResult{Outcome: AlreadySolved, Total: r.total}, nil
	case r.practice:
		return SubmitResult{Outcome: Practice, Total: r.total, Event: r.ev.ID}, nil
	}
	// What the solve is worth once folded: its value and any first-blood
	// bonus.
	return SubmitResult{Outcome: Correct, Points: e.st.Worth(r.ev.UserID, c.ID), Total: r.total, Event: r.ev.ID}, nil
}

// HintResult is the answer to a hint purchase.
type HintResult struct {
	Text  string
	Total int
}

// BuyHint buys hint hintID of a challenge for a player. Errors:
// game.ErrUnknownChallenge, game.ErrUnknownHint, game.ErrLocked (challenge
// locked or an earlier hint not bought), game.ErrAlreadyPurchased,
// game.ErrInsufficientPoints, game.ErrUnknownUser.
func (e *Engine) BuyHint(ctx context.Context, userID int64, challengeID, hintID int) (HintResult, error) {
	now := e.now()
	if err := e.st.Clock().Check(now); err != nil {
		return HintResult{}, err
	}
	c, err := e.challenge(challengeID, now, game.ErrUnknownChallenge)
	if err != nil {
		return HintResult{}, err
	}
	sid, err := e.scorer(userID)
	if err != nil {
		return HintResult{}, err
	}
	if !e.st.WithPlayer(sid, func(p *game.Player) { _, err = p.CheckHint(c, hintID) }) {
		return HintResult{}, game.ErrUnknownUser
	}
	if err != nil {
		return HintResult{}, err
	}
	r, err := e.do(ctx, &op{kind: opHint, userID: userID, chal: c, hintID: hintID})
	if err != nil {
		return HintResult{}, err
	}
	if !r.inserted {
		return HintResult{}, game.ErrAlreadyPurchased
	}
	h, _, _ := c.Hint(hintID)
	return HintResult{Text: h.Text, Total: r.total}, nil
}

// SetName validates and sets a player's display name and returns it
// normalized. Errors: a KindInvalid *game.Error with a sentence for the
// player, game.ErrNameTaken, game.ErrUnknownUser.
func (e *Engine) SetName(ctx context.Context, userID int64, name string) (string, error) {
	n, err := game.ValidateName(name)
	if err != nil {
		return "", err
	}
	if e.st.DisplayName(userID) == n {
		return n, nil
	}
	if owner, taken := e.st.NameOwner(n); taken && owner != userID {
		return "", game.ErrNameTaken
	}
	if _, err := e.do(ctx, &op{kind: opRename, userID: userID, name: n}); err != nil {
		return "", err
	}
	return n, nil
}

// Logout announces that a login session of a player ended (its stored
// session is already deleted): session is the session's key in hex. Every
// instance's views drop the session when the feed brings the event —
// cached lookups and open scorestream sockets alike.
func (e *Engine) Logout(ctx context.Context, userID int64, session string) error {
	_, err := e.do(ctx, &op{kind: opLogout, userID: userID, name: session})
	return err
}

// Reset appends a reset event, which deletes every earlier event, display
// name, session and submission in the store, and returns how many events
// it removed. It returns once this instance's views have folded the
// reset; every other instance's views fold it when their feed brings it.
func (e *Engine) Reset(ctx context.Context) (int64, error) {
	r, err := e.do(ctx, &op{kind: opReset})
	return r.removed, err
}

// Clock returns the competition clock as this instance has folded it.
func (e *Engine) Clock() game.Clock { return e.st.Clock() }

// Now returns the engine's current time (its injected clock).
func (e *Engine) Now() time.Time { return e.now() }

// Pause pauses the game (a pause event) and returns the clock once every
// view has folded it; pausing a paused game changes nothing.
func (e *Engine) Pause(ctx context.Context) (game.Clock, error) {
	r, err := e.do(ctx, &op{kind: opPause})
	return r.clock, err
}

// Resume ends a pause (a resume event); resuming a running game changes
// nothing.
func (e *Engine) Resume(ctx context.Context) (game.Clock, error) {
	r, err := e.do(ctx, &op{kind: opResume})
	return r.clock, err
}

// SetClock changes the start and/or end live (a clock event): a field set
// to a time overrides the configured value, one set to zero clears the
// override. Errors: game.ErrStartNotBeforeEnd for a window that would
// not start before it ends (checked against the clock as folded).
func (e *Engine) SetClock(ctx context.Context, ch game.ClockChange) (game.Clock, error) {
	r, err := e.do(ctx, &op{kind: opClock, clock: ch})
	return r.clock, err
}

// Freeze freezes the scoreboard now (a freeze event): everyone but the
// admin keeps seeing the game as it stands, until Unfreeze. Freezing a
// frozen game writes nothing.
func (e *Engine) Freeze(ctx context.Context) (game.Clock, error) {
	r, err := e.do(ctx, &op{kind: opFreeze})
	return r.clock, err
}

// Unfreeze ends the freeze (an unfreeze event) and publishes the true
// board; the configured freeze time then no longer applies. Unfreezing a
// game that is not frozen writes nothing.
func (e *Engine) Unfreeze(ctx context.Context) (game.Clock, error) {
	r, err := e.do(ctx, &op{kind: opUnfreeze})
	return r.clock, err
}

// Frozen reports whether everyone but the admin sees a frozen game now.
func (e *Engine) Frozen() bool { return e.st.Frozen(e.now()) }

// Release releases a challenge with a release time now (a release
// event); one already out changes nothing. Errors:
// game.ErrUnknownChallenge.
func (e *Engine) Release(ctx context.Context, challengeID int) error {
	_, err := e.do(ctx, &op{kind: opRelease, chalID: challengeID})
	return err
}

// CreateTeam makes a team named name (display-name rules) with a fresh
// invite code and puts the player in it. Errors: game.ErrTeamsOff, a
// KindInvalid name error, game.ErrNameTaken, game.ErrAlreadyInTeam.
func (e *Engine) CreateTeam(ctx context.Context, playerID int64, name string) (int64, string, error) {
	if !e.st.TeamMode() {
		return 0, "", game.ErrTeamsOff
	}
	n, err := game.ValidateName(name)
	if err != nil {
		return 0, "", err
	}
	if _, taken := e.st.NameOwner(n); taken {
		return 0, "", game.ErrNameTaken
	}
	// The team's id comes from the players' sequence (see
	// game.TeamUsername); a name used before keeps its id.
	ids, err := e.cfg.Store.SyncUsers(ctx, []string{game.TeamUsername(game.NameKey(n))})
	if err != nil {
		return 0, "", fmt.Errorf("engine: new team: %w", err)
	}
	id := ids[game.TeamUsername(game.NameKey(n))]
	code := rand.Text()[:16]
	if _, err := e.do(ctx, &op{kind: opTeam, userID: playerID, team: id, name: n, code: code}); err != nil {
		return 0, "", err
	}
	return id, code, nil
}

// JoinTeam puts the player in the team with that invite code. Errors:
// game.ErrTeamsOff, game.ErrInvalidCode, game.ErrAlreadyInTeam,
// game.ErrTeamFull.
func (e *Engine) JoinTeam(ctx context.Context, playerID int64, code string) (int64, error) {
	if !e.st.TeamMode() {
		return 0, game.ErrTeamsOff
	}
	team, ok := e.st.TeamByCode(strings.ToUpper(strings.TrimSpace(code)))
	if !ok {
		return 0, game.ErrInvalidCode
	}
	_, err := e.do(ctx, &op{kind: opJoin, userID: playerID, team: team})
	return team, err
}

// Remove removes a player (who can then no longer log in or play) or
// disbands a team (its members are then without one); both leave the
// board at once, on every instance. Errors: game.ErrUnknownUser.
func (e *Engine) Remove(ctx context.Context, id int64) error {
	_, err := e.do(ctx, &op{kind: opRemove, userID: id})
	return err
}

// LeaveTeam takes the player out of their team; the team keeps its
// solves. Errors: game.ErrTeamsOff, game.ErrNotInTeam.
func (e *Engine) LeaveTeam(ctx context.Context, playerID int64) error {
	if !e.st.TeamMode() {
		return game.ErrTeamsOff
	}
	_, err := e.do(ctx, &op{kind: opJoin, userID: playerID})
	return err
}

// Rules returns the game's rules (configured times, reveal, bonus).
func (e *Engine) Rules() game.Rules { return e.cfg.Rules() }

// Announce appends an announcement (the message trimmed; challengeID 0
// for none) and returns it once this instance's views hold it. Errors:
// game.ErrAnnouncementEmpty, game.ErrAnnouncementTooLong,
// game.ErrUnknownChallenge for a challenge id not in the game.
func (e *Engine) Announce(ctx context.Context, message string, challengeID int) (game.Announcement, error) {
	m, err := game.ValidateAnnouncement(message)
	if err != nil {
		return game.Announcement{}, err
	}
	if challengeID != 0 {
		if _, ok := e.st.Catalog().Get(challengeID); !ok {
			return game.Announcement{}, game.ErrUnknownChallenge
		}
	}
	r, err := e.do(ctx, &op{kind: opAnnounce, name: m, chalID: challengeID})
	if err != nil {
		return game.Announcement{}, err
	}
	a, _ := r.ev.Announcement()
	return a, nil
}

// Reload replaces the challenges (developer mode). Solves already made
// keep the points they were committed with.
func (e *Engine) Reload(ctx context.Context, challenges []*game.Challenge) error {
	catalog, err := game.NewCatalog(challenges)
	if err != nil {
		return err
	}
	_, err = e.do(ctx, &op{kind: opReload, catalog: catalog})
	return err
}
