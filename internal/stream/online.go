package stream

// Players returns how many distinct players have at least one open
// scorestream socket. Anonymous public-board viewers (player 0) are not
// players. It walks the connected clients under the fan-out lock, so it
// costs O(sockets); callers such as the admin dashboard cache the answer
// rather than ask on every event.
func (h *Hub) Players() int {
	h.fanMu.Lock()
	defer h.fanMu.Unlock()
	seen := make(map[int64]struct{}, len(h.clients))
	for c := range h.clients {
		if id := c.viewer.PlayerID; id != 0 {
			seen[id] = struct{}{}
		}
	}
	return len(seen)
}
