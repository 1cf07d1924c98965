package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// The cluster tests run three real ctfg processes (this test binary
// re-executed, see startChild) on one fresh PostgreSQL database and talk
// to them as browsers do: cookies, JSON requests, scorestream sockets.
// The processes share nothing but the database, so whatever one instance
// learns of another's writes came through the event log.
//
// One cluster serves every subtest, in order: starting three race-built
// processes costs seconds, and the scenarios use disjoint players. The
// reset comes after the scenarios whose state it would clear, and the
// kill -9 last, since it takes an instance away.

// clusterChallenges is the cluster's game: five open challenges, two of
// them with a 60-point hint, so that a player holding 100 points can buy
// exactly one of those hints.
const clusterChallenges = `[
  {"id": 1, "title": "One", "category": "Web", "difficulty": "Easy", "points": 100,
   "description": "One.", "flag": "^flag\\{c1\\}$", "testflag": "flag{c1}"},
  {"id": 2, "title": "Two", "category": "Web", "difficulty": "Easy", "points": 100,
   "description": "Two.", "flag": "^flag\\{c2\\}$", "testflag": "flag{c2}",
   "hints": [{"id": 1, "text": "Two's hint.", "cost": 60}]},
  {"id": 3, "title": "Three", "category": "Web", "difficulty": "Easy", "points": 100,
   "description": "Three.", "flag": "^flag\\{c3\\}$", "testflag": "flag{c3}",
   "hints": [{"id": 1, "text": "Three's hint.", "cost": 60}]},
  {"id": 4, "title": "Four", "category": "Misc", "difficulty": "Easy", "points": 50,
   "description": "Four.", "flag": "^flag\\{c4\\}$", "testflag": "flag{c4}"},
  {"id": 5, "title": "Five", "category": "Misc", "difficulty": "Easy", "points": 50,
   "description": "Five.", "flag": "^flag\\{c5\\}$", "testflag": "flag{c5}"}
]`

// flagOf is challenge id's right flag in clusterChallenges.
func flagOf(id int) string { return fmt.Sprintf("flag{c%d}", id) }

// clusterPlayers is how many players p0… the cluster's game has.
const clusterPlayers = 60

// node is one ctfg instance in a child process.
type node struct {
	name string
	cmd  *exec.Cmd
	url  string // http://127.0.0.1:port
	logs ctftest.LogBuffer
	dead atomic.Bool
}

type cluster struct {
	dbURL string
	nodes []*node
}

// mustCluster starts n instances of one game on a new database. They are
// stopped (SIGTERM, then SIGKILL) when the test ends, before the database
// is dropped; their logs are shown if the test failed.
func mustCluster(t *testing.T, n int) *cluster {
	t.Helper()
	c := &cluster{dbURL: mustPostgresURL(t)}
	dir := ctftest.MustGameDir(t)
	ctftest.MustWritePlayers(t, dir, clusterPlayers)
	if err := os.WriteFile(filepath.Join(dir, "challenges.json"), []byte(clusterChallenges), 0o600); err != nil {
		t.Fatal(err)
	}
	// Registered first, so that instances started before one that fails
	// to start are stopped too.
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			nd.stop()
		}
		for _, nd := range c.nodes {
			logs := nd.logs.String()
			if strings.Contains(logs, pgPassword) || strings.Contains(logs, ctftest.AdminToken) {
				t.Errorf("instance %s logged a secret", nd.name)
			}
			if t.Failed() {
				var warn []string
				for _, l := range strings.Split(logs, "\n") {
					if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
						warn = append(warn, l)
					}
				}
				t.Logf("warnings and errors of instance %s:\n%s", nd.name, strings.Join(warn, "\n"))
			}
		}
	})
	for i := range n {
		nd := &node{name: string(rune('A' + i))}
		// Debug logs, into the suite's log audit: no secret in any line.
		nd.cmd, nd.url = startChild(t, dir, io.MultiWriter(&nd.logs, ctftest.AuditWriter()), "--database", c.dbURL, "--log-level", "debug")
		c.nodes = append(c.nodes, nd)
	}
	return c
}

// stop ends the instance gracefully, or kills it after a few seconds.
func (nd *node) stop() {
	if nd.dead.Swap(true) {
		return
	}
	nd.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { nd.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		nd.cmd.Process.Kill()
		<-done
	}
}

// kill is kill -9.
func (nd *node) kill(t *testing.T) {
	t.Helper()
	nd.dead.Store(true)
	if err := nd.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	nd.cmd.Wait()
}

// wsURL is stream URL u (from websocket_url) pointed at this instance.
func (nd *node) wsURL(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Host = strings.TrimPrefix(nd.url, "http://")
	return p.String()
}

// db opens a connection to the cluster's database for the test to read
// the log itself.
func (c *cluster) db(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// wireIDs returns the ids of the logged events after `after` that the
// scorestream carries (solves, hints, renames), in order.
func wireIDs(t *testing.T, db *pgx.Conn, after int64) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.Query(ctx, `SELECT id FROM events WHERE id > $1 AND type IN ('score', 'hint', 'rename') ORDER BY id`, after)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// player is one player's browser: one cookie jar for every instance
// (cookies ignore the port, so the session cookie A set goes to B and C
// too, as behind a load balancer).
type player struct {
	name string
	id   int64
	hc   *http.Client
}

func newPlayer(name string) *player {
	// ctftest's client: the log audit learns the cookies and tokens it
	// receives.
	return &player{name: name, hc: (&ctftest.Server{}).NewClient().HTTP}
}

// call sends a request with a JSON body (nil for none) to an instance.
// It does not fail the test, so goroutines may use it.
func (p *player) call(nd *node, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, nd.url+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// must is call, failing the test unless the status is want.
func (p *player) must(t *testing.T, nd *node, method, path string, body any, want int) []byte {
	t.Helper()
	status, b, err := p.call(nd, method, path, body)
	if err != nil {
		t.Fatalf("%s: %s %s on %s: %v", p.name, method, path, nd.name, err)
	}
	if status != want {
		t.Fatalf("%s: %s %s on %s: %d %s, want %d", p.name, method, path, nd.name, status, b, want)
	}
	return b
}

// mustLogin logs player pN in through nd and learns its id.
func mustLogin(t *testing.T, nd *node, n int) *player {
	t.Helper()
	p := newPlayer(fmt.Sprintf("p%d", n))
	p.must(t, nd, "POST", "/api/login", map[string]string{"username": p.name, "password": fmt.Sprintf("pw%d", n)}, 200)
	p.id = int64(ctftest.MustJSON(t, p.must(t, nd, "GET", "/api/me", nil, 200))["player_id"].(float64))
	return p
}

// streamURL is the player's websocket_url as nd hands it out.
func (p *player) streamURL(t *testing.T, nd *node) string {
	t.Helper()
	return ctftest.MustJSON(t, p.must(t, nd, "GET", "/api/me", nil, 200))["websocket_url"].(string)
}

// item is one element of a scorestream frame.
type item struct {
	Type        string `json:"type"`
	ID          int64  `json:"id"`
	LastID      int64  `json:"last_id"`
	PlayerID    int64  `json:"player_id"`
	ChallengeID int    `json:"challenge_id"`
	Points      int    `json:"points"`
	Event       string `json:"event"`
}

// watcher is a scorestream socket read on a goroutine of its own; it
// records everything it receives, across reconnections.
type watcher struct {
	mu        sync.Mutex
	url       string // the URL of the current connection
	conn      *websocket.Conn
	snapshots []int64 // last_id of every snapshot received
	ids       []int64 // ids of the events received, in arrival order
	at        map[int64]time.Time
	evs       map[int64]item
	raw       []string // frames that were not snapshots or events
	ended     error    // why the current connection's reading stopped
	changed   chan struct{}
}

// dialWatcher connects to a scorestream URL; the first frame it then
// reads is the snapshot (or, with since, the missed events).
func dialWatcher(t *testing.T, u string) *watcher {
	t.Helper()
	w := &watcher{at: map[int64]time.Time{}, evs: map[int64]item{}, changed: make(chan struct{})}
	w.dial(t, u)
	t.Cleanup(func() { w.close() })
	return w
}

func (w *watcher) dial(t *testing.T, u string) {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial the scorestream: %d %v", status, err)
	}
	w.mu.Lock()
	w.url, w.conn, w.ended = u, conn, nil
	w.mu.Unlock()
	go w.read(conn)
}

func (w *watcher) read(conn *websocket.Conn) {
	for {
		_, msg, err := conn.ReadMessage()
		now := time.Now()
		w.mu.Lock()
		if err != nil {
			w.ended = err
		} else {
			var items []item
			if json.Unmarshal(msg, &items) != nil || len(items) == 0 {
				w.raw = append(w.raw, string(msg))
			}
			for _, it := range items {
				switch {
				case it.Type == "snapshot":
					w.snapshots = append(w.snapshots, it.LastID)
				case it.ID != 0:
					w.ids = append(w.ids, it.ID)
					w.evs[it.ID] = it
					if _, seen := w.at[it.ID]; !seen {
						w.at[it.ID] = now
					}
				default:
					w.raw = append(w.raw, string(msg))
				}
			}
		}
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (w *watcher) close() {
	w.mu.Lock()
	conn := w.conn
	w.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// await waits until cond (called with w locked) holds; false at the
// deadline.
func (w *watcher) await(timeout time.Duration, cond func(w *watcher) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		ok, ch := cond(w), w.changed
		w.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// last is the id of the last event received, else the last snapshot's.
func (w *watcher) last() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastLocked()
}

func (w *watcher) lastLocked() int64 {
	var last int64
	if n := len(w.snapshots); n > 0 {
		last = w.snapshots[n-1]
	}
	if n := len(w.ids); n > 0 {
		last = max(last, w.ids[n-1])
	}
	return last
}

// mustSnapshot waits for the watcher's first snapshot and returns its
// last_id.
func (w *watcher) mustSnapshot(t *testing.T) int64 {
	t.Helper()
	if !w.await(10*time.Second, func(w *watcher) bool { return len(w.snapshots) > 0 }) {
		t.Fatal("no snapshot within 10 s")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.snapshots[0]
}

// mustSeeExactly waits until the watcher has seen id `upto` and then
// checks that the events it saw after its first snapshot are exactly
// want: nothing missing, nothing twice, in order, and no second snapshot.
func (w *watcher) mustSeeExactly(t *testing.T, name string, want []int64) {
	t.Helper()
	upto := int64(0)
	if len(want) > 0 {
		upto = want[len(want)-1]
	}
	if !w.await(15*time.Second, func(w *watcher) bool { return w.lastLocked() >= upto }) {
		t.Errorf("%s: reached id %d within 15 s, want %d", name, w.last(), upto)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.snapshots) != 1 {
		t.Errorf("%s: %d snapshots (last ids %v), want the first one only", name, len(w.snapshots), w.snapshots)
	}
	got := w.ids
	if !slices.Equal(got, want) {
		t.Errorf("%s: saw %d events, the log has %d after its snapshot: missing %v, unexpected or repeated %v",
			name, len(got), len(want), missing(want, got), extra(want, got))
	}
}

// missing returns the ids of want not in got.
func missing(want, got []int64) []int64 {
	var out []int64
	for _, id := range want {
		if !slices.Contains(got, id) {
			out = append(out, id)
		}
	}
	return out
}

// extra returns the ids of got beyond want: not in it, or repeated.
func extra(want, got []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range got {
		if seen[id] || !slices.Contains(want, id) {
			out = append(out, id)
		}
		seen[id] = true
	}
	return out
}

// awaitCond retries check until it returns "" or the timeout passes, and
// returns its last complaint. The instances fold each other's events
// asynchronously: what one acknowledged, another shows a little later.
func awaitCond(timeout time.Duration, check func() string) string {
	deadline := time.Now().Add(timeout)
	for {
		msg := check()
		if msg == "" || time.Now().After(deadline) {
			return msg
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// standing is p's row on nd's /api/scoreboard.
func standing(p *player, nd *node) (solves, score int, msg string) {
	status, b, err := p.call(nd, "GET", "/api/scoreboard", nil)
	if err != nil || status != 200 {
		return 0, 0, fmt.Sprintf("scoreboard on %s: %d %v", nd.name, status, err)
	}
	var sb struct {
		Players []struct {
			PlayerID int64 `json:"player_id"`
			Score    int   `json:"score"`
			Solves   int   `json:"solves"`
		} `json:"players"`
	}
	if err := json.Unmarshal(b, &sb); err != nil {
		return 0, 0, err.Error()
	}
	for _, s := range sb.Players {
		if s.PlayerID == p.id {
			return s.Solves, s.Score, ""
		}
	}
	return 0, 0, fmt.Sprintf("%s not on the scoreboard of %s", p.name, nd.name)
}

// percentile returns the p-th percentile (0–100) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test in -short mode")
	}
	start := time.Now()
	c := mustCluster(t, 3)
	t.Logf("3 instances up in %v", time.Since(start).Round(time.Millisecond))
	a, b, cc := c.nodes[0], c.nodes[1], c.nodes[2]
	db := c.db(t)

	// A solve on A reaches sockets opened through B and C, each within a
	// bound; the latency from the submit to the frame is measured.
	t.Run("SolveReachesOtherInstances", func(t *testing.T) {
		onB, onC := dialWatcher(t, mustLogin(t, b, 0).streamURL(t, b)), dialWatcher(t, mustLogin(t, cc, 1).streamURL(t, cc))
		onB.mustSnapshot(t)
		onC.mustSnapshot(t)
		var lat []time.Duration
		for i := 2; i < 12; i++ {
			p := mustLogin(t, a, i)
			for _, chal := range []int{4, 5} {
				// Spaced beyond the hub's 50 ms coalescing window, so
				// that each solve measures delivery, not batching.
				time.Sleep(60 * time.Millisecond)
				sent := time.Now()
				if body := p.must(t, a, "POST", "/api/submit", map[string]any{"id": chal, "flag": flagOf(chal)}, 200); !strings.Contains(string(body), `"correct"`) {
					t.Fatalf("solve on A: %s", body)
				}
				for _, w := range []*watcher{onB, onC} {
					var arrived time.Time
					ok := w.await(5*time.Second, func(w *watcher) bool {
						for id, ev := range w.evs {
							if ev.Type == "score" && ev.PlayerID == p.id && ev.ChallengeID == chal {
								arrived = w.at[id]
								return true
							}
						}
						return false
					})
					if !ok {
						t.Fatalf("%s's solve of %d did not reach a socket on another instance within 5 s", p.name, chal)
					}
					lat = append(lat, arrived.Sub(sent))
				}
			}
		}
		p50, worst := percentile(lat, 50), slices.Max(lat)
		t.Logf("cross-instance delivery, submit on A to frame on B/C: %d samples, p50 %v, p90 %v, max %v",
			len(lat), p50.Round(10*time.Microsecond), percentile(lat, 90).Round(10*time.Microsecond), worst.Round(10*time.Microsecond))
		// The feed polls every second even without a wake-up, so every
		// frame comes within about that; a median near half of it would
		// mean the notifications do not work and only the poll does.
		if worst > 3*time.Second || p50 > 300*time.Millisecond {
			t.Fatalf("cross-instance delivery: p50 %v, slowest %v", p50, worst)
		}
	})

	// 600 identical right submissions of one player, through A, B and C
	// with one session cookie: one solve, whatever instance wins.
	t.Run("ConcurrentSolveAcrossInstances", func(t *testing.T) {
		p := mustLogin(t, a, 12)
		const n = 600
		var wg sync.WaitGroup
		var mu sync.Mutex
		counts := map[string]int{}
		gate := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				status, body, err := p.call(c.nodes[i%3], "POST", "/api/submit", map[string]any{"id": 1, "flag": flagOf(1)})
				var res struct{ Result string }
				json.Unmarshal(body, &res)
				key := res.Result
				if err != nil || status != 200 {
					key = fmt.Sprintf("%d %v %s", status, err, body)
				}
				mu.Lock()
				counts[key]++
				mu.Unlock()
			}()
		}
		close(gate)
		wg.Wait()
		if counts["correct"] != 1 || counts["already_solved"] != n-1 {
			t.Fatalf("results: %v", counts)
		}
		for _, nd := range c.nodes {
			if msg := awaitCond(5*time.Second, func() string {
				solves, score, msg := standing(p, nd)
				if msg == "" && (solves != 1 || score != 100) {
					msg = fmt.Sprintf("scoreboard of %s: %d solves, score %d", nd.name, solves, score)
				}
				return msg
			}); msg != "" {
				t.Fatal(msg)
			}
		}
	})

	// Hint purchases race across instances: a player whose 100 points pay
	// for one 60-point hint buys one, whichever hints are asked for.
	t.Run("HintRaceAcrossInstances", func(t *testing.T) {
		for _, tc := range []struct {
			n     int
			hints [][2]int // (challenge, hint) asked for, round-robin
		}{
			{13, [][2]int{{2, 1}, {3, 1}}}, // two different hints
			{14, [][2]int{{2, 1}}},         // the same hint
		} {
			p := mustLogin(t, a, tc.n)
			p.must(t, a, "POST", "/api/submit", map[string]any{"id": 1, "flag": flagOf(1)}, 200)
			// Every instance knows the points first, so that each one's
			// own check lets the purchase through to the database.
			for _, nd := range c.nodes {
				if msg := awaitCond(5*time.Second, func() string {
					if _, score, msg := standing(p, nd); msg != "" || score != 100 {
						return fmt.Sprintf("%s on %s: score %d %s", p.name, nd.name, score, msg)
					}
					return ""
				}); msg != "" {
					t.Fatal(msg)
				}
			}
			const n = 30
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[int]int{}
			var totals []float64
			gate := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-gate
					h := tc.hints[i%len(tc.hints)]
					status, body, err := p.call(c.nodes[i%3], "POST", "/api/hint", map[string]any{"id": h[0], "hint_id": h[1]})
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						statuses[-1]++
						return
					}
					statuses[status]++
					if status == 200 {
						var res struct{ Total float64 }
						json.Unmarshal(body, &res)
						totals = append(totals, res.Total)
					}
				}()
			}
			close(gate)
			wg.Wait()
			// 400 already_purchased, 402 insufficient_points, 429.
			if statuses[200] != 1 || statuses[200]+statuses[400]+statuses[402]+statuses[429] != n {
				t.Fatalf("%s: statuses %v, want one 200 and refusals", p.name, statuses)
			}
			if totals[0] != 40 {
				t.Fatalf("%s: total after the purchase %v, want 40", p.name, totals[0])
			}
			var bought int
			if err := db.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE type = 'hint' AND user_id = $1`, p.id).Scan(&bought); err != nil || bought != 1 {
				t.Fatalf("%s: %d hint events in the log (%v), want 1", p.name, bought, err)
			}
			for _, nd := range c.nodes {
				if msg := awaitCond(5*time.Second, func() string {
					if _, score, msg := standing(p, nd); msg != "" || score != 40 {
						return fmt.Sprintf("%s on %s: score %d %s", p.name, nd.name, score, msg)
					}
					return ""
				}); msg != "" {
					t.Fatal(msg)
				}
			}
		}
	})

	// Guessing budgets are shared: wrong flags of one player and failed
	// logins of one username, round-robin over the instances, get one
	// instance's burst (10) and then 429.
	t.Run("GuessBudgetIsShared", func(t *testing.T) {
		p := mustLogin(t, a, 15)
		const n = 30
		begin := time.Now()
		counts := map[string]int{}
		for i := range n {
			status, body, err := p.call(c.nodes[i%3], "POST", "/api/submit", map[string]any{"id": 2, "flag": "flag{wrong}"})
			if err != nil {
				t.Fatal(err)
			}
			if status == 200 {
				var res struct{ Result string }
				json.Unmarshal(body, &res)
				counts[res.Result]++
			} else {
				counts[strconv.Itoa(status)]++
			}
		}
		// One token comes back every 2 s: a slow run earns a few more.
		allowed := 10 + int(time.Since(begin)/(2*time.Second))
		if counts["incorrect"] < 10 || counts["incorrect"] > allowed || counts["incorrect"]+counts["429"] != n {
			t.Fatalf("wrong guesses round-robin over 3 instances: %v, want 10 incorrect (at most %d) and the rest 429", counts, allowed)
		}

		guesser := newPlayer("guesser")
		begin = time.Now()
		logins := map[int]int{}
		for i := range n {
			status, _, err := guesser.call(c.nodes[i%3], "POST", "/api/login", map[string]string{"username": "p16", "password": "wrong"})
			if err != nil {
				t.Fatal(err)
			}
			logins[status]++
		}
		// The username's bucket: 10, then one every 6 s.
		allowed = 10 + int(time.Since(begin)/(6*time.Second))
		if logins[401] < 10 || logins[401] > allowed || logins[401]+logins[429] != n {
			t.Fatalf("failed logins of one username over 3 instances: %v, want 10 checked (at most %d) and the rest 429", logins, allowed)
		}
	})

	// The LISTEN connections die mid-run: the feeds catch up by query,
	// and sockets on B see each of A's events once.
	t.Run("NotificationConnectionKilled", func(t *testing.T) {
		w1, w2 := dialWatcher(t, mustLogin(t, b, 17).streamURL(t, b)), dialWatcher(t, mustLogin(t, b, 18).streamURL(t, b))
		since1, since2 := w1.mustSnapshot(t), w2.mustSnapshot(t)
		var solvers []*player
		for i := 19; i < 29; i++ {
			solvers = append(solvers, mustLogin(t, a, i))
		}
		var acked atomic.Int64
		errc := make(chan error, 1)
		go func() {
			for _, chal := range []int{1, 2, 3, 4, 5} {
				for _, p := range solvers {
					status, body, err := p.call(a, "POST", "/api/submit", map[string]any{"id": chal, "flag": flagOf(chal)})
					if err != nil || status != 200 || !strings.Contains(string(body), `"correct"`) {
						errc <- fmt.Errorf("%s solving %d on A: %d %v %s", p.name, chal, status, err, body)
						return
					}
					acked.Add(1)
					time.Sleep(5 * time.Millisecond) // a steady stream, not one burst
				}
			}
			errc <- nil
		}()
		killed := 0
		for _, at := range []int64{10, 25} {
			for acked.Load() < at {
				select {
				case err := <-errc:
					t.Fatalf("solves ended before the kill at %d: %v", at, err)
				case <-time.After(time.Millisecond):
				}
			}
			var k int
			err := db.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE application_name = 'ctfg-listen' AND query ILIKE 'LISTEN%' AND datname = current_database() AND pid <> pg_backend_pid()`).Scan(&k)
			if err != nil {
				t.Fatal(err)
			}
			killed += k
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if killed < 3 {
			t.Fatalf("terminated %d LISTEN connections, want at least one per instance", killed)
		}
		t.Logf("terminated %d LISTEN connections during %d solves", killed, acked.Load())
		want := wireIDs(t, db, since1)
		if len(want) < 50 {
			t.Fatalf("the log has %d events after the snapshot, want the 50 solves", len(want))
		}
		w1.mustSeeExactly(t, "first socket on B", want)
		w2.mustSeeExactly(t, "second socket on B", wireIDs(t, db, since2))
		// And every instance listens again.
		if msg := awaitCond(10*time.Second, func() string {
			var n int
			db.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ctfg-listen' AND query ILIKE 'LISTEN%' AND datname = current_database()`).Scan(&n)
			if n != 3 {
				return fmt.Sprintf("%d LISTEN connections, want 3", n)
			}
			return ""
		}); msg != "" {
			t.Fatal(msg)
		}
	})

	// A reset on C logs out the players of A and B: reset frame and
	// close on their sockets, 401 for their cookies and their old stream
	// tokens, on every instance.
	t.Run("ResetLogsOutEverywhere", func(t *testing.T) {
		pa, pb := mustLogin(t, a, 29), mustLogin(t, b, 30)
		urlA, urlB := pa.streamURL(t, a), pb.streamURL(t, b)
		wa, wb := dialWatcher(t, urlA), dialWatcher(t, urlB)
		wa.mustSnapshot(t)
		wb.mustSnapshot(t)
		judge := newPlayer("judge")
		judge.must(t, cc, "POST", "/admin/reset?confirm=yes", map[string]string{"token": ctftest.AdminToken}, 200)
		const resetFrame = `[{"type":"system","event":"reset","logout":true}]`
		for name, w := range map[string]*watcher{"socket on A": wa, "socket on B": wb} {
			if !w.await(10*time.Second, func(w *watcher) bool { return w.ended != nil }) {
				t.Fatalf("%s still open 10 s after the reset", name)
			}
			w.mu.Lock()
			raw, ended := w.raw, w.ended
			w.mu.Unlock()
			if !slices.Equal(raw, []string{resetFrame}) {
				t.Fatalf("%s received %q, want the reset frame", name, raw)
			}
			var ce *websocket.CloseError
			if !errors.As(ended, &ce) || ce.Code != websocket.CloseNormalClosure {
				t.Fatalf("%s ended with %v, want a normal close", name, ended)
			}
		}
		for _, p := range []*player{pa, pb} {
			for _, nd := range c.nodes {
				for _, path := range []string{"/api/me", "/api/challenges"} {
					if status, body, err := p.call(nd, "GET", path, nil); err != nil || status != 401 {
						t.Fatalf("%s's old cookie on %s %s: %d %v %s, want 401", p.name, nd.name, path, status, err, body)
					}
				}
			}
		}
		for _, u := range []string{urlA, urlB} {
			for _, nd := range c.nodes {
				_, resp, err := websocket.DefaultDialer.Dial(nd.wsURL(t, u), nil)
				if err == nil || resp == nil || resp.StatusCode != 401 {
					t.Fatalf("a stream token from before the reset on %s: %v, want 401", nd.name, err)
				}
			}
		}
		if n := len(wireIDs(t, db, 0)); n != 0 {
			t.Fatalf("%d game events survive the reset", n)
		}
	})

	// kill -9 of A while 30 players submit through all three: the
	// players carry on through B and C with the same cookies, no
	// acknowledged solve is lost, and A's sockets resume on a survivor
	// with since=<last id> without gap or duplicate.
	t.Run("KillOneInstanceUnderLoad", func(t *testing.T) {
		var watchers []*watcher
		var homes []int
		for j := range 9 {
			nd := c.nodes[j%3]
			w := dialWatcher(t, mustLogin(t, nd, 30+j).streamURL(t, nd))
			w.mustSnapshot(t)
			watchers, homes = append(watchers, w), append(homes, j%3)
		}
		var players []*player
		for i := range 30 {
			players = append(players, mustLogin(t, c.nodes[i%3], i))
		}
		type solve struct {
			p    *player
			chal int
		}
		var mu sync.Mutex
		var acked []solve
		var switched atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, len(players))
		for i, p := range players {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := i % 3
				for _, chal := range []int{1, 4, 5, 2, 3} {
					for tries := 0; ; tries++ {
						nd := c.nodes[at]
						status, body, err := p.call(nd, "POST", "/api/submit", map[string]any{"id": chal, "flag": flagOf(chal)})
						if err == nil && status == 200 {
							if strings.Contains(string(body), `"correct"`) {
								mu.Lock()
								acked = append(acked, solve{p, chal})
								mu.Unlock()
							}
							break
						}
						if err == nil || !nd.dead.Load() || tries == 3 {
							errs <- fmt.Errorf("%s solving %d on %s: %d %v %s", p.name, chal, nd.name, status, err, body)
							return
						}
						// The instance is gone: on to the next one, with
						// the same cookie, as a balancer would.
						at = (at + 1) % 3
						switched.Add(1)
					}
					// Read the board between solves, as browsers do.
					p.call(c.nodes[at], "GET", "/api/scoreboard", nil)
				}
			}()
		}
		for deadline := time.Now().Add(20 * time.Second); ; {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= 50 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d solves acknowledged within 20 s", n)
			}
			time.Sleep(time.Millisecond)
		}
		a.kill(t)
		mu.Lock()
		t.Logf("A killed with %d of 150 solves acknowledged", len(acked))
		mu.Unlock()

		// A's sockets notice and resume on a survivor from the last id
		// they saw, with the same stream token.
		resumedAt := map[int]int{}
		for j, w := range watchers {
			if homes[j] != 0 {
				continue
			}
			if !w.await(10*time.Second, func(w *watcher) bool { return w.ended != nil }) {
				t.Fatalf("socket %d on A still open 10 s after kill -9", j)
			}
			// Any instance verifies the token: the secret is shared.
			w.mu.Lock()
			old := w.url
			w.mu.Unlock()
			w.mu.Lock()
			resumedAt[j] = len(w.ids)
			w.mu.Unlock()
			survivor := c.nodes[1+j%2]
			w.dial(t, survivor.wsURL(t, old)+"&since="+strconv.FormatInt(w.last(), 10))
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("%d requests switched instance after the kill", switched.Load())

		// Nothing acknowledged is missing on either survivor.
		for _, nd := range []*node{b, cc} {
			for _, s := range acked {
				if msg := awaitCond(5*time.Second, func() string {
					status, body, err := s.p.call(nd, "GET", "/api/challenges", nil)
					if err != nil || status != 200 {
						return fmt.Sprintf("challenges of %s on %s: %d %v", s.p.name, nd.name, status, err)
					}
					var chals []struct {
						ID     int  `json:"id"`
						Solved bool `json:"solved"`
					}
					json.Unmarshal(body, &chals)
					for _, ch := range chals {
						if ch.ID == s.chal && ch.Solved {
							return ""
						}
					}
					return fmt.Sprintf("acknowledged solve of %d by %s missing on %s", s.chal, s.p.name, nd.name)
				}); msg != "" {
					t.Fatal(msg)
				}
			}
		}
		if n := len(wireIDs(t, db, 0)); n != 150 {
			t.Errorf("the log has %d solves, want 150", n)
		}
		for j, w := range watchers {
			w.mu.Lock()
			since := w.snapshots[0]
			w.mu.Unlock()
			w.mustSeeExactly(t, fmt.Sprintf("socket %d (on %s)", j, c.nodes[homes[j]].name), wireIDs(t, db, since))
			if n, ok := resumedAt[j]; ok {
				w.mu.Lock()
				t.Logf("socket %d: %d events from A, %d after resuming on %s", j, n, len(w.ids)-n, c.nodes[1+j%2].name)
				w.mu.Unlock()
			}
		}
	})
}
