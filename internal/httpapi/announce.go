package httpapi

import (
	"net/http"
)

// Announcements: the admin's POST /admin/api/announcements (bearer token
// or dashboard session) and everyone's GET /api/announcements. Each
// announcement is also a scorestream frame.

// handleAnnouncements is GET /api/announcements: every announcement since
// the last reset, newest last. It needs a session exactly when
// /api/scoreboard does.
func (s *Server) handleAnnouncements(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, ok := s.boardViewer(w, r); !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"announcements": s.cfg.Engine.State().Announcements()})
}

// handleAdminAnnounce is POST /admin/api/announcements {"message": text,
// "challenge_id": id (optional)}: 400 message_required for a blank
// message, message_too_long past 2,000 bytes (after trimming),
// unknown_challenge for a challenge not in the game.
func (s *Server) handleAdminAnnounce(w http.ResponseWriter, r *http.Request) {
	if !s.adminAPIAuth(w, r) {
		return
	}
	var req struct {
		Message     string `json:"message"`
		ChallengeID int    `json:"challenge_id"`
	}
	if err := decode(w, r, &req); err != nil {
		s.failDecode(w, r, err)
		return
	}
	a, err := s.cfg.Engine.Announce(r.Context(), req.Message, req.ChallengeID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The text is not logged: it is public, but long and the log is not
	// the place for it.
	s.log.Warn("admin announcement", "id", a.ID, "bytes", len(a.Message), "challenge_id", a.ChallengeID, "request_id", requestID(r), "addr", s.clientAddr(r))
	writeJSON(w, http.StatusOK, a)
}
