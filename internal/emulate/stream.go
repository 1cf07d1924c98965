package emulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// streamClient is one player's scorestream connection. Its reader
// goroutine owns every field below mu's; the runner reads them only after
// done is closed.
type streamClient struct {
	p *player
	r *runner

	mu      sync.Mutex // guards conn and closing against the reader's reconnects
	conn    *websocket.Conn
	closing bool

	done    chan struct{}
	stopped atomic.Bool
	lastID  atomic.Int64

	// Reader-owned state.
	synced      bool  // a snapshot has been applied
	resumed     bool  // reconnected with since=, so events may come first
	liveAfter   int64 // Unix ms; earlier events are replays, not timed
	counts      []uint16
	overflow    map[int64]int
	denseMax    int64
	sumSolves   int64
	sumScore    int64
	frame       []byte // the frame being applied, for error samples
	lastConnErr string // why the latest connection attempt failed
	now         int64  // receipt time of the frame being applied, Unix µs
	fresh       int64  // events of that frame not seen before
	reset       bool   // that frame held a reset
}

func newStreamClient(p *player) *streamClient {
	s := &streamClient{p: p, r: p.r, done: make(chan struct{}), overflow: map[int64]int{}}
	// Player ids are small integers in practice; a dense array indexed by
	// id keeps thousands of streams' per-player counts cheap.
	s.denseMax = int64(p.r.cfg.Players)*4 + 4096
	s.lastID.Store(-1)
	return s
}

// open dials the scorestream and measures the handshake.
func (s *streamClient) open(ctx context.Context, wsURL string) bool {
	h := http.Header{}
	h.Set("Origin", s.p.inst.base.Scheme+"://"+s.p.inst.base.Host)
	h.Set("User-Agent", "ctfg-emulate")
	t0 := time.Now()
	conn, resp, err := s.r.dialer.DialContext(ctx, wsURL, h)
	d := time.Since(t0)
	s.r.record(epWSConnect, d, err != nil)
	if err != nil {
		if ctx.Err() == nil {
			// Not an error yet: like the web app, the caller retries with
			// backoff, and only giving up is one ("reconnect failed").
			detail := err.Error()
			if resp != nil {
				detail = fmt.Sprintf("handshake → HTTP %d", resp.StatusCode)
			}
			s.lastConnErr = redact(wsURL) + ": " + detail
			s.r.wsRetries.Add(1)
			s.p.inst.wsFailed.Add(1)
		}
		return false
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		conn.Close()
		return false
	}
	s.conn = conn
	s.mu.Unlock()
	s.liveAfter = time.Now().UnixMilli()
	s.r.socketsOpen.Add(1)
	return true
}

// close ends the connection politely; the reader then exits.
func (s *streamClient) close() {
	s.mu.Lock()
	s.closing = true
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		return
	}
	_ = conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	conn.Close()
}

func (s *streamClient) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// readLoop reads frames until the run closes the socket, reconnecting
// (with a fresh URL and since=) when the server drops it.
func (s *streamClient) readLoop(ctx context.Context) {
	defer close(s.done)
	defer s.stopped.Store(true)
	for {
		err := s.readFrames()
		s.r.socketsOpen.Add(-1)
		if s.isClosing() || ctx.Err() != nil || errors.Is(err, errReset) {
			return
		}
		s.r.reconnects.Add(1)
		if !s.reconnect(ctx, err) {
			return
		}
	}
}

var errReset = errors.New("reset")

// frameBufs lends frame buffers to the sockets' readers: a socket needs
// one only while it reads and applies a frame, so thousands of sockets
// share about as many buffers as there are cores instead of each keeping
// one the size of the largest frame it ever saw.
var frameBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer returned to the pool (bytes); a
// rare huge snapshot's buffer is left to the collector.
const maxPooledBuffer = 4 << 20

func (s *streamClient) readFrames() error {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	for {
		_, rd, err := conn.NextReader()
		if err != nil {
			return err
		}
		buf := frameBufs.Get().(*bytes.Buffer)
		buf.Reset()
		if _, err = buf.ReadFrom(rd); err == nil {
			err = s.handle(buf.Bytes(), time.Now())
		}
		s.frame = nil // the buffer goes back to the pool
		if buf.Cap() <= maxPooledBuffer {
			frameBufs.Put(buf)
		}
		if err != nil {
			return err
		}
	}
}

// reconnect fetches a fresh URL from /api/me and resumes after the last
// event seen, trying a few times with backoff.
func (s *streamClient) reconnect(ctx context.Context, cause error) bool {
	backoff := 100 * time.Millisecond
	for attempt := 0; attempt < 5; attempt++ {
		if !sleep(ctx, backoff) || s.isClosing() {
			return false
		}
		backoff *= 2
		rep := s.p.do(ctx, epMe, "GET", "/api/me", nil, false)
		if rep == nil || rep.status != 200 {
			continue
		}
		obj, err := checkObject(rep.body, meShape...)
		if err != nil {
			continue
		}
		u, err := url.Parse(s.p.streamURL(str(obj, "websocket_url")))
		if err != nil {
			continue
		}
		if s.synced {
			q := u.Query()
			q.Set("since", strconv.FormatInt(s.lastID.Load(), 10))
			u.RawQuery = q.Encode()
			s.resumed = true
		}
		if s.open(ctx, u.String()) {
			return true
		}
	}
	if ctx.Err() == nil && !s.isClosing() {
		s.r.fail("WS /scorestream: reconnect failed", fmt.Sprintf("%s's scorestream dropped (%v) and could not reconnect; last attempt: %s", s.p.user.Username, cause, s.lastConnErr))
	}
	return false
}

// handle applies one frame.
func (s *streamClient) handle(frame []byte, now time.Time) error {
	s.r.frames.Add(1)
	s.now, s.fresh, s.reset, s.frame = now.UnixMicro(), 0, false, frame
	pf := s.r.frameCache.get(frame)
	if pf.snapshot {
		if len(pf.events) > 0 {
			s.r.fail("stream: snapshot not alone in its frame", abbreviate(frame, 300))
			return nil
		}
		s.applySnapshot(frame)
		return nil
	}
	for i := range pf.events {
		s.apply(&pf.events[i])
	}
	s.r.events.Add(s.fresh)
	if s.r.multi() {
		s.p.inst.events.Add(s.fresh)
	}
	if pf.err != nil {
		s.r.fail("stream: malformed frame", fmt.Sprintf("%v: %s", pf.err, abbreviate(frame, 300)))
	}
	if s.reset {
		return errReset
	}
	return nil
}

// apply takes one event of a live frame; ev is shared with every other
// socket that received the frame and must not be modified.
func (s *streamClient) apply(ev *streamEvent) {
	if err := ev.checkShape(); err != nil {
		s.r.fail("stream: wrong event shape", fmt.Sprintf("%v: %s", err, abbreviate(s.frame, 300)))
		return
	}
	if s.r.teamMode() {
		if err := ev.checkTeamShape(); err != nil {
			s.r.fail("stream: wrong event shape", fmt.Sprintf("%v: %s", err, abbreviate(s.frame, 300)))
			return
		}
	}
	if ev.Type == "system" {
		if ev.Event == "reset" && !s.reset {
			s.r.fail("stream: reset during the run", "the server sent a reset event")
			s.reset = true
		}
		return
	}
	if !s.synced && !s.resumed {
		s.r.fail("stream: event before snapshot", abbreviate(s.frame, 300))
		return
	}
	if ev.ID <= s.lastID.Load() {
		return // already applied (the snapshot or an earlier frame had it)
	}
	s.lastID.Store(ev.ID)
	s.fresh++
	switch ev.Type {
	case "score":
		s.addSolve(ev.PlayerID)
		s.sumSolves++
		s.sumScore += ev.Points
	case "hint":
		s.sumScore += ev.Points
	}
	// In team mode a solve or hint is the team's (player_id) and made by
	// a member (by): an emulated member's must be its own team's.
	who := ev.PlayerID
	if ev.By != 0 {
		who = ev.By
		if s.r.pidTeam != nil {
			if t, ok := s.r.pidTeam.get(ev.By); ok && int64(t) != ev.PlayerID {
				s.r.fail("stream: by is not a member of the team", fmt.Sprintf("event %d: by %d is in team %d, not player_id %d", ev.ID, ev.By, t, ev.PlayerID))
			}
		}
	}
	// The delay is the scoreboard's: from a player's event to the screen.
	if ev.TS >= s.liveAfter && playerEvent(ev.Type) {
		d := time.Duration(s.now-ev.TS*1000) * time.Microsecond
		s.r.delay.record(s.p.idx, d)
		// With several instances, split by where the event was committed:
		// its player's (the member's, for a team) instance (events of
		// players outside the run count only in the total).
		if s.r.pidInst != nil {
			if from, ok := s.r.pidInst.get(who); ok {
				if from == s.p.inst.idx {
					s.r.delaySame.record(s.p.idx, d)
				} else {
					s.r.delayCross.record(s.p.idx, d)
				}
			}
		}
	}
}

func (s *streamClient) addSolve(pid int64) { s.addSolves(pid, 1) }

// addSolves counts n solves of player pid.
func (s *streamClient) addSolves(pid int64, n int) {
	if pid >= 0 && pid < s.denseMax {
		if pid >= int64(len(s.counts)) {
			n := max(2*int64(len(s.counts)), pid+1, 64)
			s.counts = append(s.counts, make([]uint16, min(n, s.denseMax)-int64(len(s.counts)))...)
		}
		s.counts[pid] += uint16(n)
		return
	}
	s.overflow[pid] += n
}

// solvesOf returns how many solves of player pid this stream has seen.
func (s *streamClient) solvesOf(pid int64) int {
	if pid >= 0 && pid < int64(len(s.counts)) {
		return int(s.counts[pid])
	}
	return s.overflow[pid]
}

// snapshotMsg is the scorestream's first frame (docs/API.md); the server
// sends another one at the unfreeze, which replaces everything too.
type snapshotMsg struct {
	Type          string          `json:"type"`
	LastID        *int64          `json:"last_id"`
	Players       []standing      `json:"players"`
	Series        json.RawMessage `json:"series"`
	Events        json.RawMessage `json:"events"`
	Announcements json.RawMessage `json:"announcements"` // optional
	Frozen        *bool           `json:"frozen"`        // optional
}

// fullShapeChecks bounds how many snapshots get a member-by-member check
// of every standing and series; the rest are checked by typed decoding,
// which costs a fraction at thousands of sockets.
const fullShapeChecks = 50

// applySnapshot replaces the stream's view with a snapshot.
func (s *streamClient) applySnapshot(frame []byte) {
	var msgs []snapshotMsg
	if err := json.Unmarshal(frame, &msgs); err != nil {
		s.r.fail("stream: wrong snapshot shape", fmt.Sprintf("%v: %s", err, abbreviate(frame, 300)))
		return
	}
	if len(msgs) != 1 {
		s.r.fail("stream: snapshot not alone in its frame", abbreviate(frame, 300))
		return
	}
	m := msgs[0]
	if err := checkSnapshot(&m, s.r.snapShot.Add(1) <= fullShapeChecks, frame); err != nil {
		s.r.fail("stream: wrong snapshot shape", fmt.Sprintf("%v: %s", err, abbreviate(frame, 300)))
		return
	}
	clear(s.counts)
	clear(s.overflow)
	s.sumSolves, s.sumScore = 0, 0
	for _, st := range m.Players {
		s.addSolves(st.PlayerID, st.Solves)
		s.sumSolves += int64(st.Solves)
		s.sumScore += st.Score
	}
	s.lastID.Store(*m.LastID)
	s.synced = true
}

// checkSnapshotAnnouncements verifies a snapshot's announcements: absent
// (an older server), or an array of announcement events.
func checkSnapshotAnnouncements(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	if k, _ := kindOf(raw); k != kArray {
		return errors.New("snapshot announcements is not an array")
	}
	var p frameParser
	var annErr error
	i := 0
	err := p.parse(raw, func(ev *streamEvent) {
		if annErr == nil {
			if err := ev.checkShape(); err != nil {
				annErr = fmt.Errorf("snapshot announcements[%d]: %w", i, err)
			} else if ev.Type != "announcement" {
				annErr = fmt.Errorf("snapshot announcements[%d] has type %q", i, ev.Type)
			}
		}
		i++
	})
	if err != nil {
		return fmt.Errorf("snapshot announcements: %w", err)
	}
	return annErr
}

// checkSnapshot verifies a decoded snapshot; full also checks every
// standing and series member by member.
func checkSnapshot(m *snapshotMsg, full bool, frame []byte) error {
	if m.Type != "snapshot" || m.LastID == nil || m.Players == nil {
		return errors.New("snapshot needs type, last_id and players")
	}
	if k, _ := kindOf(m.Series); k != kArray {
		return errors.New("snapshot series is not an array")
	}
	if k, _ := kindOf(m.Events); k != kArray {
		return errors.New("snapshot events is not an array")
	}
	var p frameParser
	var evErr error
	i := 0
	err := p.parse(m.Events, func(ev *streamEvent) {
		if evErr == nil {
			if err := ev.checkShape(); err != nil {
				evErr = fmt.Errorf("snapshot events[%d]: %w", i, err)
			} else if ev.ID > *m.LastID {
				evErr = fmt.Errorf("snapshot events[%d] has id %d after last_id %d", i, ev.ID, *m.LastID)
			}
		}
		i++
	})
	if err != nil {
		return fmt.Errorf("snapshot events: %w", err)
	}
	if evErr != nil {
		return evErr
	}
	if err := checkSnapshotAnnouncements(m.Announcements); err != nil {
		return err
	}
	if !full {
		return nil
	}
	var raw []struct {
		Players []map[string]json.RawMessage `json:"players"`
		Series  []map[string]json.RawMessage `json:"series"`
	}
	if err := json.Unmarshal(frame, &raw); err != nil || len(raw) != 1 {
		return fmt.Errorf("snapshot: %v", err)
	}
	for i, st := range raw[0].Players {
		if err := checkFields(st, snapshotStandingShape); err != nil {
			return fmt.Errorf("snapshot players[%d]: %w", i, err)
		}
	}
	for i, se := range raw[0].Series {
		if err := checkFields(se, []field{req("player_id", kInt), req("displayname", kString), req("points", kArray)}); err != nil {
			return fmt.Errorf("snapshot series[%d]: %w", i, err)
		}
		var pts [][]int64
		if err := json.Unmarshal(se["points"], &pts); err != nil {
			return fmt.Errorf("snapshot series[%d].points: %v", i, err)
		}
		for j, pt := range pts {
			if len(pt) != 2 {
				return fmt.Errorf("snapshot series[%d].points[%d] is not [ts, score]", i, j)
			}
		}
	}
	return nil
}
