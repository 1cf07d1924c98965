package emulate

import (
	"errors"
	"sync"
)

// Every socket of a run receives the same live frames: the server encodes
// each frame once for all of them. Parsing each distinct frame once, and
// only counting its events per socket, keeps the emulator's CPU for
// driving the server — at 2,000 players the parse was a quarter of it.

// parsedFrame is the outcome of parsing one live frame.
type parsedFrame struct {
	events   []streamEvent // in frame order; shared, never modified
	snapshot bool          // the frame holds a snapshot (decoded apart)
	err      error         // the frame is malformed
}

// frameCacheGen is how many frames one generation of the cache holds;
// two generations are kept, so a frame stays findable while the slowest
// socket catches up with the rest.
const frameCacheGen = 1024

// frameCache maps a frame's bytes to its parse.
type frameCache struct {
	mu        sync.RWMutex
	cur, prev map[string]*parsedFrame
}

func (c *frameCache) get(frame []byte) *parsedFrame {
	c.mu.RLock()
	pf, ok := c.cur[string(frame)]
	if !ok {
		pf, ok = c.prev[string(frame)]
	}
	c.mu.RUnlock()
	if ok {
		return pf
	}
	pf = parseFrame(frame)
	if pf.snapshot {
		return pf // one per connection: not worth keeping
	}
	c.mu.Lock()
	if c.cur == nil || len(c.cur) >= frameCacheGen {
		c.prev, c.cur = c.cur, make(map[string]*parsedFrame, frameCacheGen)
	}
	c.cur[string(frame)] = pf
	c.mu.Unlock()
	return pf
}

// parseFrame parses a frame with the allocation-free frame parser.
func parseFrame(frame []byte) *parsedFrame {
	var p frameParser
	pf := &parsedFrame{}
	err := p.parse(frame, func(ev *streamEvent) { pf.events = append(pf.events, *ev) })
	switch {
	case errors.Is(err, errSnapshot):
		pf.snapshot = true
	case err != nil:
		pf.err = err
	}
	return pf
}
