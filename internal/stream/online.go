package stream

import "slices"

// Players returns how many distinct players have at least one open
// scorestream socket. Anonymous public-board viewers (player 0) are not
// players. Only the copy of the ids happens under the fan-out lock; the
// counting happens after it is released, so fan-out waits O(sockets) of
// copying at most. Callers such as the admin dashboard cache the answer
// rather than ask on every event.
func (h *Hub) Players() int {
	h.fanMu.Lock()
	ids := make([]int64, 0, len(h.clients))
	for c := range h.clients {
		if id := c.viewer.PlayerID; id != 0 {
			ids = append(ids, id)
		}
	}
	h.fanMu.Unlock()
	slices.Sort(ids)
	return len(slices.Compact(ids))
}
