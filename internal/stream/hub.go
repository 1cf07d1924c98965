// Package stream is the scorestream hub: it accepts WebSocket clients at
// GET /scorestream, gives each a bounded snapshot (or the events it missed),
// fans committed events out to all of them, keeps them alive with pings
// and drops the ones that cannot keep up. A publisher never waits for a
// client: every client has a bounded queue, and a full queue closes the
// client, which then resumes with since=<last id>.
//
// The wire protocol is docs/API.md, section "Scorestream".
package stream

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults used for zero fields of Config.
const (
	DefaultWriteTimeout   = 10 * time.Second // per frame
	DefaultQueueLen       = 64               // frames per client
	DefaultReplayLen      = 10000            // events kept for resume
	DefaultSnapshotEvents = 50               // events in a snapshot
	DefaultMaxMessage     = 4096             // bytes per inbound frame
)

const (
	// maxFrameEvents caps the events in one frame so that a burst (or a
	// long resume) never becomes one huge message.
	maxFrameEvents = 500
	// snapshotTTL bounds how long an encoded snapshot is reused while no
	// event arrives; events invalidate it at once.
	snapshotTTL = 2 * time.Second
	// closeGrace is how long a client has to answer our close frame.
	closeGrace = 2 * time.Second
	// readBufferSize is small because clients only send tiny frames; it
	// is most of a socket's fixed memory.
	readBufferSize = 512
	// writeBufferSize is the pooled buffer for the rare unprepared write.
	writeBufferSize = 4096
	// compressMin is the smallest frame sent compressed to clients that
	// negotiated permessage-deflate (browsers do): the snapshot and large
	// bursts shrink 3-5 times, while the small event frames are not worth
	// it. A shared frame is compressed once for all clients.
	compressMin = 2048
)

// Source gives a consistent view of the game: Players and Series reflect
// every event up to LastID and none after it. It is called without any
// hub lock held.
type Source interface {
	Snapshot() Snapshot
}

// Viewer is who a token belongs to (PlayerID 0 = anonymous public-board
// viewer).
type Viewer struct {
	PlayerID int64
	// Session is an opaque key of the login session the token was issued
	// to ("" for none); CloseSession closes the sockets opened with it.
	// Never logged.
	Session string
}

// Authenticate validates a scorestream token: its signature and expiry,
// and that its session still exists. It runs on every connect, so it must
// be cheap, and it must not log the token.
type Authenticate func(ctx context.Context, token string) (Viewer, bool)

// Config configures a Hub. Zero durations and sizes take the defaults
// above, except KeepAlive, PingTimeout and Coalesce, where 0 turns the
// feature off.
type Config struct {
	KeepAlive      time.Duration // --ws-keepalive-interval; 0 disables pings
	PingTimeout    time.Duration // --ws-ping-timeout: no pong or other read within it closes the client; 0 = never
	WriteTimeout   time.Duration // per frame; a client that cannot take a frame in time is dropped
	QueueLen       int           // frames buffered per client before it is dropped
	Coalesce       time.Duration // least time between frames, to batch bursts (e.g. 50ms; grows with the audience, see coalesceWindow); 0 = none
	ReplayLen      int           // events kept in memory for resume with since
	SnapshotEvents int           // events in a snapshot
	AllowedOrigins []string      // e.g. "https://ctf.example.org"; empty = any origin
	LogPingLatency bool          // -L: log ping→pong latency
	MaxMessage     int64         // inbound message cap in bytes, on the wire and once inflated
	Logger         *slog.Logger
	Now            func() time.Time // for ping latency; socket deadlines use the real clock
	Metrics        Metrics          // optional
}

// Hub is the scorestream server. Its methods are safe for concurrent use.
type Hub struct {
	cfg      Config
	src      Source
	auth     Authenticate
	log      *slog.Logger
	metrics  Metrics
	upgrader websocket.Upgrader
	origins  map[string]bool
	resetPM  *websocket.PreparedMessage

	// fanMu orders fan-out against connects: a client registered under it
	// gets every frame flushed after, and none before, lastSent. Lock
	// order: fanMu, then pubMu, then a client's mu.
	fanMu    sync.Mutex
	clients  map[*client]struct{}
	lastSent int64 // id of the last event handed to the clients
	closed   bool
	gen      uint64 // bumped by Reset, invalidates cached snapshots
	conns    sync.WaitGroup

	// pubMu guards what Publish touches, so that publishing never waits
	// for a fan-out over thousands of clients.
	pubMu          sync.Mutex
	ring           *ring
	lastID         int64 // id of the last event published
	pending        []Event
	flushScheduled bool
	nextFlush      time.Time
	timer          *time.Timer

	snapMu sync.Mutex // one snapshot build at a time; the rest reuse it
	snap   *cachedSnapshot

	// dedicatedWriters gives every socket a writer goroutine for its
	// whole life instead of one that runs only while there is something
	// to write. Kept for BenchmarkFanout, which compares the two.
	dedicatedWriters bool
}

type cachedSnapshot struct {
	gen    uint64
	lastID int64
	at     time.Time
	frame  *frame
}

// NewHub returns a hub serving snapshots from src and accepting the
// tokens auth accepts.
func NewHub(cfg Config, src Source, auth Authenticate) *Hub {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.ReplayLen <= 0 {
		cfg.ReplayLen = DefaultReplayLen
	}
	if cfg.SnapshotEvents <= 0 {
		cfg.SnapshotEvents = DefaultSnapshotEvents
	}
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = DefaultMaxMessage
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Hub{
		cfg:     cfg,
		src:     src,
		auth:    auth,
		log:     cfg.Logger,
		metrics: cfg.Metrics,
		clients: make(map[*client]struct{}),
		ring:    newRing(cfg.ReplayLen),
	}
	if h.metrics == nil {
		h.metrics = noMetrics{}
	}
	if len(cfg.AllowedOrigins) > 0 {
		h.origins = make(map[string]bool, len(cfg.AllowedOrigins))
		for _, o := range cfg.AllowedOrigins {
			h.origins[normalizeOrigin(o)] = true
		}
	}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  readBufferSize,
		WriteBufferSize: writeBufferSize,
		WriteBufferPool: &sync.Pool{},
		// Compression keeps no per-socket state in gorilla (no context
		// takeover, pooled compressors); see compressMin.
		EnableCompression: true,
		// The origin was checked before the upgrade (see ServeHTTP).
		CheckOrigin: func(*http.Request) bool { return true },
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(resetFrame))
	if err != nil {
		panic("stream: prepare reset frame: " + err.Error()) // a constant: cannot fail
	}
	h.resetPM = pm
	return h
}

// ServeHTTP upgrades GET /scorestream?token=…[&since=…] to a scorestream
// socket. The origin and the token are checked before the upgrade: 403 for
// an origin outside the allow-list, 401 for a missing or bad token, 400
// for a since that is not a number, 503 after Shutdown.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !h.originAllowed(r.Header.Get("Origin")) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	q := r.URL.Query()
	var viewer Viewer
	ok := false
	tok := q.Get("token")
	if tok != "" && h.auth != nil {
		viewer, ok = h.auth(r.Context(), tok)
	}
	if !ok {
		http.Error(w, "missing or invalid token", http.StatusUnauthorized)
		return
	}
	since, hasSince := int64(0), false
	if s := q.Get("since"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			http.Error(w, "since must be an event id", http.StatusBadRequest)
			return
		}
		// since=0 (or less) is a client that has nothing: it gets a snapshot.
		since, hasSince = v, v > 0
	}
	h.fanMu.Lock()
	closed := h.closed
	h.fanMu.Unlock()
	if closed {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}

	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered the request already.
		h.log.Debug("scorestream: upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := &client{h: h, conn: conn, viewer: viewer, addr: r.RemoteAddr}
	if !h.attach(c, since, hasSince) {
		return
	}
	if viewer.Session != "" {
		// A logout between the check above and the registration found no
		// socket to close; now CloseSession would find this one.
		if _, ok := h.auth(r.Context(), tok); !ok {
			h.closeClients(func(x *client) bool { return x == c }, websocket.CloseNormalClosure, "logout", ReasonLogout)
		}
	}
	// Read on a fresh goroutine and let this one return: net/http's
	// per-connection state (buffers, request, response) then becomes
	// garbage instead of living as long as the socket.
	go func() {
		defer h.conns.Done()
		c.readLoop()
	}()
}

// attach registers c and prepares its first frames: the events it missed
// when since is given and still in the ring, else a snapshot.
//
// The snapshot is taken after registration and outside the hub's locks
// (the Source may take the engine's lock, and the engine may publish while
// holding it). Registration fixes lastSent: c receives every frame flushed
// after it. A snapshot with LastID ≥ lastSent therefore leaves no gap, and
// the frames c receives with ids ≤ LastID are filtered out per client
// (minID), so there is no duplicate either. A Source lagging behind
// lastSent is patched from the ring.
func (h *Hub) attach(c *client, since int64, hasSince bool) bool {
	h.fanMu.Lock()
	if h.closed {
		h.fanMu.Unlock()
		_ = c.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		c.conn.Close()
		return false
	}
	h.conns.Add(1)
	h.clients[c] = struct{}{}
	n := len(h.clients)
	sent, gen := h.lastSent, h.gen
	var replay []Event
	resume, upToDate := false, false
	if hasSince {
		h.pubMu.Lock()
		if h.ring.covers(since) {
			resume = true
			replay = h.ring.between(since, sent)
			upToDate = since >= h.lastID // nothing published after since, not even pending
		}
		h.pubMu.Unlock()
	}
	h.fanMu.Unlock()
	h.metrics.ClientsConnected(n)

	var initial []*frame
	minID := sent
	if resume {
		minID = max(since, sent)
		initial = h.rawFrames(replay)
		if len(initial) == 0 && upToDate {
			// Nothing was missed: an empty frame still tells the client
			// its socket is live (browsers show "Reconnecting…" until the
			// first frame), without a snapshot's cost. (Events published
			// but not yet flushed reach it with the next flush instead.)
			if f, err := newFrame(kindRaw, []byte("[]"), nil); err == nil {
				initial = append(initial, f)
			}
		}
	} else {
		sf, last := h.snapshotFrame(sent, gen)
		if sf != nil {
			initial = append(initial, sf)
		}
		if last < sent {
			h.pubMu.Lock()
			var gap []Event
			if h.ring.covers(last) {
				gap = h.ring.between(last, sent)
			}
			h.pubMu.Unlock()
			if gap == nil {
				h.log.Warn("scorestream: snapshot older than the published events and not in the replay buffer",
					"snapshot_last_id", last, "published_id", sent)
			}
			initial = append(initial, h.rawFrames(gap)...)
		}
		minID = max(last, sent)
	}
	h.log.Debug("scorestream: connected", "player_id", c.viewer.PlayerID, "remote", c.addr,
		"resume", resume, "clients", n)
	c.start(initial, minID)
	return true
}

// snapshotFrame returns the encoded snapshot for a client registered when
// lastSent was sent, and the snapshot's LastID. It reuses the last one
// while it still covers sent, so a connect storm builds it once.
func (h *Hub) snapshotFrame(sent int64, gen uint64) (*frame, int64) {
	h.snapMu.Lock()
	defer h.snapMu.Unlock()
	if s := h.snap; s != nil && s.gen == gen && s.lastID >= sent && time.Since(s.at) < snapshotTTL {
		return s.frame, s.lastID
	}
	var snap Snapshot
	if h.src != nil {
		snap = h.src.Snapshot()
	}
	if k := h.cfg.SnapshotEvents; len(snap.Events) > k {
		snap.Events = snap.Events[len(snap.Events)-k:]
	}
	snap.Announcements = trimAnnouncements(snap.Announcements)
	b, err := encodeSnapshotFrame(snap)
	if err != nil {
		h.log.Error("scorestream: snapshot", "err", err)
		return nil, snap.LastID
	}
	f, err := newFrame(kindRaw, b, nil)
	if err != nil {
		h.log.Error("scorestream: snapshot", "err", err)
		return nil, snap.LastID
	}
	h.snap = &cachedSnapshot{gen: gen, lastID: snap.LastID, at: time.Now(), frame: f}
	return f, snap.LastID
}

// rawFrames encodes evs for one client.
func (h *Hub) rawFrames(evs []Event) []*frame {
	var out []*frame
	for len(evs) > 0 {
		k := min(len(evs), maxFrameEvents)
		b, err := encodeEvents(evs[:k])
		if err == nil {
			var f *frame
			if f, err = newFrame(kindRaw, b, nil); err == nil {
				out = append(out, f)
			}
		}
		if err != nil {
			h.log.Error("scorestream: encode", "err", err)
		}
		evs = evs[k:]
	}
	return out
}

// Publish hands committed events, in id order, to every client. It never
// waits for a client: the frames are encoded once and fanned out on
// another goroutine, immediately or, with Coalesce, at most Coalesce after
// the previous frame. Events whose id is not above the last published one
// are dropped.
func (h *Hub) Publish(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	for _, e := range evs {
		if e.ID <= h.lastID {
			h.log.Warn("scorestream: event out of order dropped", "id", e.ID, "last_id", h.lastID)
			continue
		}
		h.lastID = e.ID
		h.ring.push(e)
		h.pending = append(h.pending, e)
	}
	if h.flushScheduled || len(h.pending) == 0 {
		return
	}
	h.flushScheduled = true
	wait := time.Until(h.nextFlush)
	if h.cfg.Coalesce <= 0 || wait <= 0 {
		go h.flush()
		return
	}
	if h.timer == nil {
		h.timer = time.AfterFunc(wait, h.flush)
	} else {
		h.timer.Reset(wait)
	}
}

// Every frame costs one write system call per socket (about 10 µs on a
// small VM), so under a sustained burst the frames per second must shrink
// as the audience grows or the fan-out eats the server: the window between
// frames grows by coalescePerClient per socket, up to maxCoalesce. An
// event after a quiet spell still goes out at once.
const (
	coalescePerClient = 40 * time.Microsecond
	maxCoalesce       = 250 * time.Millisecond
)

// coalesceWindow is the least time between two frames with n clients.
func (h *Hub) coalesceWindow(n int) time.Duration {
	if h.cfg.Coalesce <= 0 {
		return 0
	}
	return max(h.cfg.Coalesce, min(time.Duration(n)*coalescePerClient, maxCoalesce))
}

// flush fans the pending events out to every client.
func (h *Hub) flush() {
	h.fanMu.Lock()
	h.pubMu.Lock()
	evs := h.pending
	h.pending = nil
	h.flushScheduled = false
	h.nextFlush = time.Now().Add(h.coalesceWindow(len(h.clients)))
	h.pubMu.Unlock()
	if len(evs) == 0 || h.closed {
		h.fanMu.Unlock()
		return
	}
	if len(h.clients) == 0 {
		// Nobody to tell (at start-up the whole log passes through here):
		// the ring holds the events for resumes, nothing need be encoded.
		h.lastSent = evs[len(evs)-1].ID
		h.fanMu.Unlock()
		return
	}
	var frames []*frame
	for rest := evs; len(rest) > 0; {
		k := min(len(rest), maxFrameEvents)
		b, err := encodeEvents(rest[:k])
		var f *frame
		if err == nil {
			f, err = newFrame(kindEvents, b, rest[:k])
		}
		if err != nil {
			h.log.Error("scorestream: encode", "err", err)
		} else {
			frames = append(frames, f)
		}
		rest = rest[k:]
	}
	var dropped []*client
	for _, f := range frames {
		for c := range h.clients {
			f.refs.Add(1)
			switch c.enqueue(f) {
			case enqueued:
			case overflowed:
				f.release(h)
				delete(h.clients, c)
				dropped = append(dropped, c)
			default:
				f.release(h)
			}
		}
	}
	h.lastSent = evs[len(evs)-1].ID
	n := len(h.clients)
	h.fanMu.Unlock()

	for _, f := range frames {
		f.release(h) // the reference held during fan-out
	}
	for _, c := range dropped {
		h.metrics.ClientDropped(ReasonOverflow)
		h.log.Info("scorestream: client too slow, dropped", "player_id", c.viewer.PlayerID, "remote", c.addr)
		c.shut("")
	}
	if len(dropped) > 0 {
		h.metrics.ClientsConnected(n)
	}
}

// Resnapshot sends every client a fresh snapshot — the true board at an
// unfreeze — and returns its LastID: events up to it are in it, so the
// caller publishes only later ones. Frames still queued for a client are
// superseded (its minID moves to the snapshot), and a resume from before
// the snapshot gets a snapshot too.
func (h *Hub) Resnapshot() int64 {
	h.fanMu.Lock()
	h.gen++
	gen := h.gen
	h.fanMu.Unlock()
	h.snapMu.Lock()
	h.snap = nil
	h.snapMu.Unlock()
	f, last := h.snapshotFrame(0, gen)

	h.fanMu.Lock()
	h.pubMu.Lock()
	if last > h.lastID {
		h.lastID = last
	}
	h.ring.clear(h.lastID)
	h.pending = nil
	h.pubMu.Unlock()
	h.lastSent = max(h.lastSent, last)
	var dropped []*client
	if f != nil && !h.closed {
		for c := range h.clients {
			f.refs.Add(1)
			switch c.enqueueSnapshot(f, last) {
			case enqueued:
			case overflowed:
				f.release(h)
				delete(h.clients, c)
				dropped = append(dropped, c)
			default:
				f.release(h)
			}
		}
	}
	n := len(h.clients)
	h.fanMu.Unlock()
	for _, c := range dropped {
		h.metrics.ClientDropped(ReasonOverflow)
		c.shut("")
	}
	if len(dropped) > 0 {
		h.metrics.ClientsConnected(n)
	}
	h.log.Info("scorestream: new snapshot to every client", "last_id", last, "clients", n)
	return last
}

// Reset tells every client {"type":"system","event":"reset","logout":true},
// closes them and forgets the replay buffer, so that nobody resumes into
// the old game. Call it after the game state has been reset.
func (h *Hub) Reset() {
	h.fanMu.Lock()
	h.pubMu.Lock()
	h.ring.clear(h.lastID)
	h.pending = nil
	h.pubMu.Unlock()
	h.gen++
	victims := h.takeClientsLocked(ReasonReset)
	h.fanMu.Unlock()

	h.snapMu.Lock()
	h.snap = nil
	h.snapMu.Unlock()
	reset := &frame{kind: kindRaw, pm: h.resetPM}
	for _, c := range victims {
		c.closeWith(websocket.CloseNormalClosure, "reset", reset)
	}
	h.log.Info("scorestream: reset", "clients_closed", len(victims))
}

// Shutdown refuses new sockets, closes every socket with 1001 (going
// away) and waits until they are gone or ctx ends, then closes what is
// left without ceremony.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.fanMu.Lock()
	h.closed = true
	victims := h.takeClientsLocked(ReasonShutdown)
	h.fanMu.Unlock()

	h.pubMu.Lock()
	if h.timer != nil {
		h.timer.Stop()
	}
	h.pubMu.Unlock()
	for _, c := range victims {
		c.closeWith(websocket.CloseGoingAway, "server shutting down", nil)
	}
	done := make(chan struct{})
	go func() {
		h.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range victims {
			c.shut("")
		}
		return errors.Join(errors.New("stream: shutdown"), ctx.Err())
	}
}

// CloseSession closes every socket opened with a token of session (see
// Viewer.Session), after its logout; their tokens no longer connect.
// It returns how many sockets it closed.
func (h *Hub) CloseSession(session string) int {
	if session == "" {
		return 0
	}
	return h.closeClients(func(c *client) bool { return c.viewer.Session == session },
		websocket.CloseNormalClosure, "logout", ReasonLogout)
}

// closeClients forgets the clients match selects and closes them with
// code and text, counting them as dropped for reason. It scans every
// client, which is fine for something as rare as a logout.
func (h *Hub) closeClients(match func(*client) bool, code int, text, reason string) int {
	var victims []*client
	h.fanMu.Lock()
	for c := range h.clients {
		if match(c) {
			victims = append(victims, c)
			delete(h.clients, c)
		}
	}
	n := len(h.clients)
	h.fanMu.Unlock()
	for _, c := range victims {
		h.metrics.ClientDropped(reason)
		c.closeWith(code, text, nil)
	}
	if len(victims) > 0 {
		h.metrics.ClientsConnected(n)
	}
	return len(victims)
}

// takeClientsLocked empties the client set, counting every client as
// dropped for reason. h.fanMu must be held.
func (h *Hub) takeClientsLocked(reason string) []*client {
	out := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		out = append(out, c)
		h.metrics.ClientDropped(reason)
	}
	clear(h.clients)
	if len(out) > 0 {
		h.metrics.ClientsConnected(0)
	}
	return out
}

// remove forgets c; the first to remove a client reports why.
func (h *Hub) remove(c *client, reason string) {
	h.fanMu.Lock()
	_, ok := h.clients[c]
	delete(h.clients, c)
	n := len(h.clients)
	h.fanMu.Unlock()
	if !ok {
		return
	}
	h.metrics.ClientDropped(reason)
	h.metrics.ClientsConnected(n)
	h.log.Debug("scorestream: disconnected", "player_id", c.viewer.PlayerID, "remote", c.addr, "reason", reason)
}

// Clients returns the number of connected sockets.
func (h *Hub) Clients() int {
	h.fanMu.Lock()
	defer h.fanMu.Unlock()
	return len(h.clients)
}

// LastID returns the id of the last event published (0 before any).
func (h *Hub) LastID() int64 {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	return h.lastID
}

func (h *Hub) originAllowed(origin string) bool {
	if h.origins == nil || origin == "" {
		// No allow-list, or not a browser: browsers always send Origin
		// on WebSocket handshakes, and the token still has to be valid.
		return true
	}
	return h.origins[normalizeOrigin(origin)]
}

func normalizeOrigin(o string) string {
	return strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/")
}
