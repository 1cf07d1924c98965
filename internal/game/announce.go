package game

import (
	"encoding/json"
	"strings"
)

// EventAnnouncement is a message from the admin to every player: Data is
// a JSON object {"message": text, "challenge_id": id or absent}. The
// text is stored as given (Markdown, rendered and sanitized by the web
// app).
const EventAnnouncement EventType = "announcement"

// MaxAnnouncementBytes bounds an announcement's message (after trimming).
const MaxAnnouncementBytes = 2000

// The errors of a bad announcement.
var (
	ErrAnnouncementEmpty   = NewError(KindInvalid, "message_required")
	ErrAnnouncementTooLong = NewError(KindInvalid, "message_too_long")
)

// Announcement is one folded announcement event.
type Announcement struct {
	ID          int64  `json:"id"`
	TS          int64  `json:"ts"` // Unix milliseconds
	Message     string `json:"message"`
	ChallengeID int    `json:"challenge_id,omitempty"`
}

type announcementData struct {
	Message     string `json:"message"`
	ChallengeID int    `json:"challenge_id,omitempty"`
}

// ValidateAnnouncement returns the message trimmed, or
// ErrAnnouncementEmpty / ErrAnnouncementTooLong.
func ValidateAnnouncement(message string) (string, error) {
	m := strings.TrimSpace(message)
	switch {
	case m == "":
		return "", ErrAnnouncementEmpty
	case len(m) > MaxAnnouncementBytes:
		return "", ErrAnnouncementTooLong
	}
	return m, nil
}

// NewAnnouncement returns the announcement event of a (validated)
// message; challengeID 0 is none.
func NewAnnouncement(message string, challengeID int, ts int64) Event {
	b, _ := json.Marshal(announcementData{Message: message, ChallengeID: challengeID}) // a string and an int: cannot fail
	return Event{Type: EventAnnouncement, Data: string(b), TS: ts}
}

// Announcement returns the announcement of an announcement event; ok is
// false for any other event or a Data this version cannot read.
func (ev Event) Announcement() (Announcement, bool) {
	var d announcementData
	if ev.Type != EventAnnouncement || json.Unmarshal([]byte(ev.Data), &d) != nil {
		return Announcement{}, false
	}
	return Announcement{ID: ev.ID, TS: ev.TS, Message: d.Message, ChallengeID: d.ChallengeID}, true
}
