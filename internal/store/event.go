package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ctfg/ctfg/internal/game"
)

// maxTypeLen bounds an event type; types are short words.
const maxTypeLen = 32

// CheckEvent refuses an event every backend refuses, before any
// transaction starts, with a clearer message than a constraint error.
// Types other than the known ones are accepted (a newer ctfg may write
// them) if they are lowercase identifiers; Data must be empty or JSON.
func CheckEvent(ev game.Event) error {
	if err := checkType(ev.Type); err != nil {
		return err
	}
	switch ev.Type {
	case game.EventScore, game.EventHint, game.EventRename:
		if ev.UserID <= 0 {
			return fmt.Errorf("invalid user id %d", ev.UserID)
		}
		if ev.Type == game.EventRename && game.NameKey(ev.Name) == "" {
			return errors.New("rename without a name")
		}
	case game.EventReset:
		if ev.UserID != 0 {
			return fmt.Errorf("reset with user id %d: a reset belongs to no player", ev.UserID)
		}
	default:
		if ev.UserID < 0 {
			return fmt.Errorf("invalid user id %d", ev.UserID)
		}
	}
	if ev.Data != "" && !json.Valid([]byte(ev.Data)) {
		return errors.New("data is not JSON")
	}
	return nil
}

func checkType(t game.EventType) error {
	if t == "" {
		return errors.New("event without a type")
	}
	if len(t) > maxTypeLen {
		return fmt.Errorf("event type longer than %d bytes", maxTypeLen)
	}
	for i, c := range []byte(t) {
		if !(c >= 'a' && c <= 'z' || c == '_' || (i > 0 && c >= '0' && c <= '9')) {
			return fmt.Errorf("event type %q is not a lowercase identifier", t)
		}
	}
	return nil
}
