package stream

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

type frameKind uint8

const (
	kindEvents frameKind = iota // live events, filtered by the client's minID
	kindRaw                     // sent as is: snapshot, resume, reset
	kindPing                    // a ping control frame, payload made when written
)

// frame is one message for clients, encoded once and shared by all.
type frame struct {
	kind        frameKind
	pm          *websocket.PreparedMessage
	events      []Event // kindEvents: for the rare client that needs a subset
	first, last int64   // kindEvents: id range
	size        int     // bytes of JSON
	born        time.Time
	refs        atomic.Int32 // live frames: clients that still have to write it
}

var pingFrame = &frame{kind: kindPing}

func newFrame(kind frameKind, data []byte, evs []Event) (*frame, error) {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		return nil, err
	}
	f := &frame{kind: kind, pm: pm, events: evs, size: len(data)}
	if kind == kindEvents {
		f.first, f.last = evs[0].ID, evs[len(evs)-1].ID
		f.born = time.Now()
		f.refs.Store(1) // held by the fan-out until it has reached every client
	}
	return f, nil
}

// release drops one reference to a live frame; the last one reports how
// long the frame took to reach everybody.
func (f *frame) release(h *Hub) {
	if f.kind == kindEvents && f.refs.Add(-1) == 0 {
		h.metrics.BroadcastLatency(time.Since(f.born))
	}
}

type enqueueResult uint8

const (
	enqueued enqueueResult = iota
	overflowed
	skipped // the client is closing
)

// client is one socket. The HTTP handler's goroutine reads from it; a
// writer goroutine runs only while there is something to write, so an
// idle socket costs one goroutine.
type client struct {
	h         *Hub
	conn      *websocket.Conn
	viewer    Viewer
	addr      string
	closeSent atomic.Bool // our close frame is out: reads no longer extend the deadline

	mu        sync.Mutex
	initial   []*frame // written before the queue: snapshot or resume
	queue     []*frame
	spare     []*frame // the previous queue's storage, reused
	ready     bool     // initial frames are set; writing may start
	running   bool     // a writer goroutine is active
	dead      bool     // socket closed
	closeCode int      // non-zero: send this close frame once the queue is written
	closeText string
	closeDone bool
	minID     int64 // live events with id ≤ minID are already known to the client
	pingTimer *time.Timer
	wake      chan struct{} // dedicated writer only
}

// start hands the client its first frames and lets it write.
func (c *client) start(initial []*frame, minID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return
	}
	if c.closeCode == 0 {
		c.initial = initial
		c.minID = minID
		if ka := c.h.cfg.KeepAlive; ka > 0 {
			c.pingTimer = time.AfterFunc(ka, c.pingTick)
		}
	}
	if c.h.dedicatedWriters {
		c.wake = make(chan struct{}, 1)
		go c.writeLoop()
	}
	c.ready = true
	c.kickLocked()
}

// writeLoop is the alternative design measured by BenchmarkFanout: one
// writer goroutine for the socket's whole life.
func (c *client) writeLoop() {
	for range c.wake {
		c.drain()
		c.mu.Lock()
		done := c.dead || c.closeDone
		c.mu.Unlock()
		if done {
			return
		}
	}
}

// enqueue adds a live frame unless the queue is full. Called with the
// hub's fanMu held: it must not block.
func (c *client) enqueue(f *frame) enqueueResult { return c.enqueueAfter(f, 0) }

// enqueueSnapshot queues a snapshot frame that supersedes every live
// event up to minID (those still queued are then skipped when written).
func (c *client) enqueueSnapshot(f *frame, minID int64) enqueueResult {
	return c.enqueueAfter(f, minID)
}

func (c *client) enqueueAfter(f *frame, minID int64) enqueueResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.closeCode != 0 {
		return skipped
	}
	if len(c.queue) >= c.h.cfg.QueueLen {
		return overflowed
	}
	c.queue = append(c.queue, f)
	c.minID = max(c.minID, minID)
	c.kickLocked()
	return enqueued
}

func (c *client) kickLocked() {
	if c.wake != nil {
		select {
		case c.wake <- struct{}{}:
		default:
		}
		return
	}
	if c.ready && !c.running && !c.dead && (len(c.initial) > 0 || len(c.queue) > 0 || (c.closeCode != 0 && !c.closeDone)) {
		c.running = true
		go c.drain()
	}
}

func (c *client) pingTick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.closeCode != 0 {
		return
	}
	c.queue = append(c.queue, pingFrame)
	c.kickLocked()
	c.pingTimer.Reset(c.h.cfg.KeepAlive)
}

// drain writes queued frames until the queue is empty, then exits.
func (c *client) drain() {
	for {
		c.mu.Lock()
		if c.dead {
			c.running = false
			c.mu.Unlock()
			return
		}
		var batch []*frame
		switch {
		case len(c.initial) > 0:
			batch, c.initial = c.initial, nil
		case len(c.queue) > 0:
			batch, c.queue, c.spare = c.queue, c.spare[:0], nil
		}
		if len(batch) == 0 {
			code, text := c.closeCode, c.closeText
			sendClose := code != 0 && !c.closeDone
			c.closeDone = c.closeDone || sendClose
			c.running = false
			c.mu.Unlock()
			if sendClose {
				c.writeClose(code, text)
			}
			return
		}
		minID := c.minID
		c.mu.Unlock()

		for i, f := range batch {
			err := c.write(f, minID)
			f.release(c.h)
			batch[i] = nil
			if err != nil {
				for _, rest := range batch[i+1:] {
					rest.release(c.h)
				}
				clear(batch)
				c.h.log.Debug("scorestream: write failed", "player_id", c.viewer.PlayerID, "remote", c.addr, "err", err)
				c.shut(ReasonWriteError)
				return
			}
		}
		c.mu.Lock()
		if c.spare == nil && cap(batch) <= 4*c.h.cfg.QueueLen {
			c.spare = batch[:0]
		}
		c.mu.Unlock()
	}
}

func (c *client) write(f *frame, minID int64) error {
	deadline := time.Now().Add(c.h.cfg.WriteTimeout)
	switch f.kind {
	case kindPing:
		var p [8]byte
		binary.BigEndian.PutUint64(p[:], uint64(c.h.cfg.Now().UnixNano()))
		return c.conn.WriteControl(websocket.PingMessage, p[:], deadline)
	case kindEvents:
		if f.last <= minID {
			return nil
		}
		if f.first <= minID {
			// The client's snapshot already holds the start of this frame.
			var evs []Event
			for _, e := range f.events {
				if e.ID > minID {
					evs = append(evs, e)
				}
			}
			b, err := encodeEvents(evs)
			if err != nil {
				return err
			}
			_ = c.conn.SetWriteDeadline(deadline)
			c.conn.EnableWriteCompression(len(b) >= compressMin)
			return c.conn.WriteMessage(websocket.TextMessage, b)
		}
	}
	_ = c.conn.SetWriteDeadline(deadline)
	c.conn.EnableWriteCompression(f.size >= compressMin)
	return c.conn.WritePreparedMessage(f.pm)
}

// closeWith replaces whatever is queued with last (if any) and a close
// frame, and lets the client answer before the socket is closed. The hub
// has already forgotten the client.
func (c *client) closeWith(code int, text string, last *frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.closeCode != 0 {
		return
	}
	c.closeCode, c.closeText = code, text
	for _, f := range c.queue {
		f.release(c.h)
	}
	clear(c.queue)
	c.queue = c.queue[:0]
	c.initial = nil
	if last != nil {
		c.queue = append(c.queue, last)
	}
	if c.pingTimer != nil {
		c.pingTimer.Stop()
	}
	c.ready = true
	c.kickLocked()
}

func (c *client) writeClose(code int, text string) {
	c.closeSent.Store(true)
	err := c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(closeGrace))
	if err != nil {
		c.shut("")
		return
	}
	// The reader ends when the client answers, or at this deadline.
	_ = c.conn.SetReadDeadline(time.Now().Add(closeGrace))
}

// shut closes the socket at once and forgets the client. reason is
// reported unless someone already removed the client ("" = already
// reported).
func (c *client) shut(reason string) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	c.dead = true
	q := c.queue
	c.queue, c.initial = nil, nil
	t := c.pingTimer
	c.kickLocked() // a dedicated writer notices and exits
	c.mu.Unlock()
	for _, f := range q {
		f.release(c.h)
	}
	if t != nil {
		t.Stop()
	}
	if reason != "" {
		c.h.remove(c, reason)
	}
	c.conn.Close()
}

// readLoop reads and discards client frames until the socket fails. It
// answers pings, and every read (a pong included) proves the client alive
// for another PingTimeout.
func (c *client) readLoop() {
	conn := c.conn
	conn.SetReadLimit(c.h.cfg.MaxMessage)
	c.extendRead()
	conn.SetPongHandler(func(data string) error {
		c.extendRead()
		if c.h.cfg.LogPingLatency && len(data) == 8 {
			sent := int64(binary.BigEndian.Uint64([]byte(data)))
			d := c.h.cfg.Now().Sub(time.Unix(0, sent))
			c.h.log.Info("scorestream: ping latency", "player_id", c.viewer.PlayerID, "remote", c.addr,
				"latency_ms", float64(d.Microseconds())/1000)
		}
		return nil
	})
	conn.SetPingHandler(func(data string) error {
		c.extendRead()
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.h.cfg.WriteTimeout))
		var ne net.Error
		if errors.Is(err, websocket.ErrCloseSent) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil
		}
		return err
	})
	for {
		_, r, err := conn.NextReader()
		if err == nil {
			c.extendRead()
			err = c.discard(r)
		}
		if err != nil {
			c.shut(c.readReason(err))
			return
		}
	}
}

// errInflatedTooBig is a client message that inflates past MaxMessage.
var errInflatedTooBig = errors.New("stream: inflated message over the read limit")

// discard reads a client message and throws it away. gorilla's read limit
// counts the bytes on the wire, so a compressed frame under the limit can
// inflate a thousand times (4 KB of deflate is 4 MB of text): the inflated
// bytes are capped here too, and a message over the cap is closed with
// 1009 after at most MaxMessage+1 bytes (plus one flate window) inflated.
func (c *client) discard(r io.Reader) error {
	limit := c.h.cfg.MaxMessage
	n, err := io.Copy(io.Discard, io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		_ = c.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseMessageTooBig, ""), time.Now().Add(c.h.cfg.WriteTimeout))
		return errInflatedTooBig
	}
	return nil
}

func (c *client) extendRead() {
	if c.closeSent.Load() {
		return
	}
	if t := c.h.cfg.PingTimeout; t > 0 {
		_ = c.conn.SetReadDeadline(time.Now().Add(t))
	}
}

func (c *client) readReason(err error) string {
	var ne net.Error
	switch {
	case c.closeSent.Load():
		return ReasonClosed // we closed it; the hub already counted why
	case errors.Is(err, websocket.ErrReadLimit), errors.Is(err, errInflatedTooBig):
		return ReasonTooBig
	case errors.As(err, &ne) && ne.Timeout():
		return ReasonPingTimeout
	default:
		return ReasonClosed
	}
}
