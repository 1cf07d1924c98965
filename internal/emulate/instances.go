package emulate

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// instance is one server of the run. Several ctfg instances can share one
// database behind a load balancer; the emulator then plays player i
// against instance i mod n for everything (page, API, scorestream), as a
// sticky balancer would, so that events committed on one instance must
// reach sockets on the others through the shared event log.
type instance struct {
	idx     int // 0-based position in the --url list
	base    *url.URL
	players int // players assigned to it (set before the run starts)

	requests   atomic.Int64
	reqFailed  atomic.Int64 // transport errors and HTTP ≥ 400
	wsFailed   atomic.Int64 // scorestream connection attempts that failed
	flags      atomic.Int64 // correct flags it acknowledged
	events     atomic.Int64 // live events its sockets applied
	playersRun atomic.Int64 // players that finished everything
}

// ParseURLs splits a comma-separated list of server base URLs, as --url
// takes it, and checks each is an absolute http(s) URL. A trailing slash
// is dropped; the same URL may appear more than once (two "instances"
// that are one server, which tests use).
func ParseURLs(list string) ([]*url.URL, error) {
	if strings.TrimSpace(list) == "" {
		return nil, errors.New("--url is empty")
	}
	parts := strings.Split(list, ",")
	out := make([]*url.URL, 0, len(parts))
	for i, raw := range parts {
		s := strings.TrimSpace(raw)
		if s == "" {
			return nil, fmt.Errorf("--url: entry %d of %q is empty", i+1, list)
		}
		u, err := url.Parse(strings.TrimRight(s, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--url must be an http(s) URL like http://127.0.0.1:8080, got %q", s)
		}
		out = append(out, u)
	}
	return out, nil
}

// instanceFor is the round-robin assignment: player i (0-based) uses
// instance i mod n.
func instanceFor(player, n int) int { return player % n }

// multi tells whether the run spreads players over several instances;
// only then is event delivery split by where the event was committed.
func (r *runner) multi() bool { return len(r.instances) > 1 }

// urlList is the run's --url as a canonical comma-separated list.
func (r *runner) urlList() string {
	s := make([]string, len(r.instances))
	for i, in := range r.instances {
		s[i] = in.base.String()
	}
	return strings.Join(s, ",")
}

// streamURL points a websocket_url the server handed out at the player's
// own instance when there are several: a server configured with a public
// scorestream URL (the balancer's) would otherwise send the socket
// elsewhere and the same/cross-instance split would be wrong. With one
// URL the server's answer is used as is.
func (p *player) streamURL(raw string) string {
	if !p.r.multi() {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Scheme = "ws"
	if p.inst.base.Scheme == "https" {
		u.Scheme = "wss"
	}
	u.Host = p.inst.base.Host
	return u.String()
}

// playerInstances maps server player ids to the instance their player
// uses. Scorestream readers look up every event's player, thousands of
// times per event at scale, so small ids live in a dense array of atomics
// and only unusually large ones in a map.
type playerInstances struct {
	dense    []atomic.Int32 // instance index + 1; 0 means unknown
	overflow sync.Map       // int64 → int
}

func newPlayerInstances(size int) *playerInstances {
	return &playerInstances{dense: make([]atomic.Int32, size)}
}

// set records that player id pid plays on instance idx. It happens before
// the player's first submission, so before any event of pid exists.
func (m *playerInstances) set(pid int64, idx int) {
	if pid >= 0 && pid < int64(len(m.dense)) {
		m.dense[pid].Store(int32(idx) + 1)
		return
	}
	m.overflow.Store(pid, idx)
}

// get returns the instance of player id pid, if it is an emulated player.
func (m *playerInstances) get(pid int64) (int, bool) {
	if pid >= 0 && pid < int64(len(m.dense)) {
		v := m.dense[pid].Load()
		return int(v) - 1, v != 0
	}
	v, ok := m.overflow.Load(pid)
	if !ok {
		return 0, false
	}
	return v.(int), true
}

// InstanceStats is what one instance of a multi-instance run served and
// how completely its sockets received the events committed on every
// instance.
type InstanceStats struct {
	URL     string `json:"url"`
	Players int    `json:"players"`
	// PlayersDone finished everything on this instance.
	PlayersDone int   `json:"players_done"`
	Flags       int64 `json:"flags"`
	Requests    int64 `json:"requests"`
	// RequestErrors are requests that failed in transport or got HTTP ≥ 400.
	RequestErrors int64 `json:"request_errors"`
	// WSConnectFailures are failed scorestream connection attempts.
	WSConnectFailures int64 `json:"ws_connect_failures"`
	// EventsReceived are live events its sockets applied (not counting
	// what snapshots summarized).
	EventsReceived int64 `json:"events_received"`
	// Sockets are the finished players' scorestreams checked at the end;
	// SocketsComplete of them had every solve of every emulated player.
	Sockets         int `json:"sockets"`
	SocketsComplete int `json:"sockets_complete"`
	// SolvesExpected is the emulated players' solves, committed on any
	// instance, that each socket should end up with (through its snapshot
	// or live events); SolvesSeenMin is the fewest of them any of this
	// instance's sockets had.
	SolvesExpected int64 `json:"solves_expected"`
	SolvesSeenMin  int64 `json:"solves_seen_min"`
}

// instanceCheck accumulates the end-of-run socket check of one instance.
type instanceCheck struct {
	sockets, complete int
	expected, minSeen int64
}

func (c *instanceCheck) add(seen int64, complete bool) {
	if c.sockets == 0 || seen < c.minSeen {
		c.minSeen = seen
	}
	c.sockets++
	if complete {
		c.complete++
	}
}

// instanceKind qualifies an error kind with the instance it concerns, so
// that a multi-instance run's errors say which server fell short; with
// one URL kinds stay as they always were.
func (r *runner) instanceKind(kind string, in *instance) string {
	if !r.multi() || in == nil {
		return kind
	}
	return fmt.Sprintf("%s (instance %d)", kind, in.idx+1)
}

// where names the instance for error details, " on instance 2
// (http://…)", and is empty with one URL.
func (in *instance) where(r *runner) string {
	if !r.multi() || in == nil {
		return ""
	}
	return fmt.Sprintf(" on instance %d (%s)", in.idx+1, in.base)
}

func (r *runner) instanceStats() []InstanceStats {
	if !r.multi() {
		return nil
	}
	out := make([]InstanceStats, len(r.instances))
	for i, in := range r.instances {
		c := r.checks[i]
		out[i] = InstanceStats{
			URL: in.base.String(), Players: in.players, PlayersDone: int(in.playersRun.Load()),
			Flags: in.flags.Load(), Requests: in.requests.Load(), RequestErrors: in.reqFailed.Load(),
			WSConnectFailures: in.wsFailed.Load(), EventsReceived: in.events.Load(),
			Sockets: c.sockets, SocketsComplete: c.complete, SolvesExpected: c.expected, SolvesSeenMin: c.minSeen,
		}
	}
	return out
}

// summaryLine is the instance's line in the text summary.
func (s InstanceStats) summaryLine() string {
	return fmt.Sprintf("%s: %d players (%d done), %d flags, %d requests (%d failed), %d failed socket connects; %d/%d sockets got all %d solves (fewest %d), %d live events",
		s.URL, s.Players, s.PlayersDone, s.Flags, s.Requests, s.RequestErrors, s.WSConnectFailures,
		s.SocketsComplete, s.Sockets, s.SolvesExpected, s.SolvesSeenMin, s.EventsReceived)
}
