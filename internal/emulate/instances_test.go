package emulate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

func TestParseURLs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"http://127.0.0.1:8080", []string{"http://127.0.0.1:8080"}},
		{"http://127.0.0.1:8080/", []string{"http://127.0.0.1:8080"}},
		{"http://a:1,https://b:2/", []string{"http://a:1", "https://b:2"}},
		{" http://a:1 , http://b:2", []string{"http://a:1", "http://b:2"}},
		{"http://a:1,http://a:1", []string{"http://a:1", "http://a:1"}}, // duplicates allowed
		{"http://a:1/ctf", []string{"http://a:1/ctf"}},
	} {
		got, err := ParseURLs(c.in)
		if err != nil {
			t.Errorf("ParseURLs(%q): %v", c.in, err)
			continue
		}
		var s []string
		for _, u := range got {
			s = append(s, u.String())
		}
		if strings.Join(s, " ") != strings.Join(c.want, " ") {
			t.Errorf("ParseURLs(%q) = %v, want %v", c.in, s, c.want)
		}
	}
	for in, want := range map[string]string{
		"":                        "empty",
		"http://a:1,":             "entry 2",
		",http://a:1":             "entry 1",
		"http://a:1,,http://b:2":  "entry 2",
		"http://a:1,127.0.0.1:2":  `http(s) URL like http://127.0.0.1:8080, got "127.0.0.1:2"`,
		"http://a:1,ftp://b:2":    `got "ftp://b:2"`,
		"http://a:1,http://":      `got "http://"`,
		"http://a:1;http://b:2/x": "http(s) URL", // a semicolon is no separator: one bad host
	} {
		if _, err := ParseURLs(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseURLs(%q): error %v, want one mentioning %q", in, err, want)
		}
	}
}

// mustMultiRunner builds a runner over urls with n players who use the
// plain-text credentials uN/pN and one challenge.
func mustMultiRunner(t *testing.T, urls string, n int) *runner {
	t.Helper()
	var users []game.User
	for i := range n {
		users = append(users, game.User{Username: fmt.Sprintf("u%d", i+1), Password: fmt.Sprintf("p%d", i+1)})
	}
	chs := []*game.Challenge{{ID: 1, Title: "a", Points: 100, Flag: "^a$", TestFlag: "a"}}
	r, err := newRunner(Config{URL: urls, Players: n, Users: users, Challenges: chs, RequestTimeout: 5 * time.Second, SettleTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoundRobinAssignment(t *testing.T) {
	r := mustMultiRunner(t, "http://a:1,https://b:2,http://a:1", 7)
	if !r.multi() || r.urlList() != "http://a:1,https://b:2,http://a:1" {
		t.Fatalf("multi %v, list %q", r.multi(), r.urlList())
	}
	hosts := []string{"a:1", "b:2", "a:1"}
	for i := range 7 {
		p := newPlayer(r, i, 0)
		if p.inst.idx != i%3 || p.inst.base.Host != hosts[i%3] {
			t.Errorf("player %d on instance %d (%s), want %d (%s)", i, p.inst.idx, p.inst.base.Host, i%3, hosts[i%3])
		}
		// Its scorestream goes to its own instance whatever host the
		// server named, with the scheme that matches the instance's.
		want := map[string]string{"a:1": "ws://a:1/scorestream?token=T", "b:2": "wss://b:2/scorestream?token=T"}[hosts[i%3]]
		if got := p.streamURL("wss://balancer.example/scorestream?token=T"); got != want {
			t.Errorf("player %d: stream URL %q, want %q", i, got, want)
		}
	}
	for i, want := range []int{3, 2, 2} {
		if got := r.instances[i].players; got != want {
			t.Errorf("instance %d has %d players, want %d", i+1, got, want)
		}
	}
	// One URL: one instance, and the server's scorestream URL is kept.
	one := mustMultiRunner(t, "http://a:1/", 2)
	p := newPlayer(one, 1, 0)
	if one.multi() || p.inst.idx != 0 || one.urlList() != "http://a:1" {
		t.Fatalf("single URL: multi %v, instance %d, list %q", one.multi(), p.inst.idx, one.urlList())
	}
	if got := p.streamURL("wss://balancer.example/scorestream?token=T"); got != "wss://balancer.example/scorestream?token=T" {
		t.Errorf("single URL rewrote the stream URL to %q", got)
	}
}

// Delivery is split by the instance of the event's player: the receiving
// socket's own, another, or unknown (only in the total).
func TestDelaySplitByInstance(t *testing.T) {
	r := mustMultiRunner(t, "http://a:1,http://b:2", 2)
	p0, p1 := newPlayer(r, 0, 0), newPlayer(r, 1, 0)
	r.pidInst.set(10, p0.inst.idx)
	r.pidInst.set(11, p1.inst.idx)
	r.pidInst.set(1<<40, p1.inst.idx) // beyond the dense table
	s := newStreamClient(p0)
	if err := s.handle([]byte(`[{"type":"snapshot","last_id":0,"frozen":false,"players":[],"series":[],"events":[]}]`), time.Now()); err != nil {
		t.Fatal(err)
	}
	ts := time.Now().UnixMilli()
	ev := func(id int, pid int64) string {
		return fmt.Sprintf(`{"id":%d,"type":"score","player_id":%d,"displayname":"x","ts":%d,"challenge_id":1,"challenge":"a","points":100}`, id, pid, ts)
	}
	frame := "[" + ev(1, 10) + "," + ev(2, 11) + "," + ev(3, 1<<40) + "," + ev(4, 99) + "]"
	if err := s.handle([]byte(frame), time.Now().Add(5*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(r.errs) != 0 {
		t.Fatalf("errors %v %v", r.errs, r.samples)
	}
	all, same, cross := r.delay.stats(), r.delaySame.stats(), r.delayCross.stats()
	if all.Count != 4 || same.Count != 1 || cross.Count != 2 || cross.P50MS < 4 {
		t.Fatalf("delivery all %+v same %+v cross %+v", all, same, cross)
	}
	if got := p0.inst.events.Load(); got != 4 {
		t.Errorf("instance 1 counted %d live events, want 4", got)
	}
	if _, ok := r.pidInst.get(12); ok {
		t.Errorf("unknown player id has an instance")
	}
}

// finishedPlayers makes n finished players of r with ids 10, 11, … and
// one solve each, as the end-of-run checks see them.
func finishedPlayers(r *runner, n int) []*player {
	var ps []*player
	for i := range n {
		p := newPlayer(r, i, 0)
		p.loggedIn, p.finished = true, true
		p.playerID, p.solves, p.expected = int64(10+i), 1, 100
		ps = append(ps, p)
	}
	return ps
}

// A socket that misses an event committed elsewhere is an error that names
// its instance, and the instance's tally shows it.
func TestCheckStreamsPerInstance(t *testing.T) {
	for _, urls := range []string{"http://a:1,http://b:2", "http://a:1"} {
		r := mustMultiRunner(t, urls, 4)
		players := finishedPlayers(r, 4)
		for i, p := range players {
			p.stream = newStreamClient(p)
			p.stream.synced = true
			for _, b := range players {
				// Player 3 (on instance 2 of two) never got player 0's solve.
				if !(i == 3 && b.playerID == 10) {
					p.stream.addSolve(b.playerID)
				}
			}
		}
		r.checkStreams(players, r.scorers(players), make([][]standing, len(r.instances)), -1)
		kind := "stream: missed or duplicated solves"
		if r.multi() {
			kind += " (instance 2)"
		}
		if r.errorsTotal.Load() != 1 || r.errs[kind] != 1 {
			t.Fatalf("%s: errors %v, want one %q", urls, r.errs, kind)
		}
		if !r.multi() {
			if st := r.instanceStats(); st != nil {
				t.Errorf("single URL has instance stats %+v", st)
			}
			continue
		}
		if s := r.samples[kind]; !strings.Contains(s, "u4's scorestream on instance 2 (http://b:2) counted 0 solves of player_id 10 on instance 1 (http://a:1), who has 1") {
			t.Errorf("sample %q does not say where", s)
		}
		st := r.instanceStats()
		if st[0].Sockets != 2 || st[0].SocketsComplete != 2 || st[0].SolvesSeenMin != 4 || st[0].SolvesExpected != 4 {
			t.Errorf("instance 1: %+v", st[0])
		}
		if st[1].Sockets != 2 || st[1].SocketsComplete != 1 || st[1].SolvesSeenMin != 3 {
			t.Errorf("instance 2: %+v", st[1])
		}
		if line := st[1].summaryLine(); !strings.Contains(line, "1/2 sockets got all 4 solves (fewest 3)") {
			t.Errorf("summary line %q", line)
		}
	}
}

// boardServer answers /api/scoreboard like ctfg with every player of ps
// having solved the one challenge, at last_id 7, except that the first
// stale answers show last_id 5 and no solves (an instance that has not
// yet applied events committed elsewhere). stale < 0 stays stale forever.
func boardServer(t *testing.T, ps []*player, stale int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := calls.Add(1)
		fresh := stale >= 0 && n > int64(stale)
		var rows []map[string]any
		for i, p := range ps {
			row := map[string]any{"rank": i + 1, "player_id": p.playerID, "displayname": p.name, "score": 0, "solves": 0, "last_solve_ts": 0}
			if fresh {
				row["score"], row["solves"] = p.expected, p.solves
			}
			rows = append(rows, row)
		}
		last := 5
		if fresh {
			last = 7
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{"players": rows, "last_id": last})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// With several instances the final scoreboards are read from each; one
// that lags behind the others is read again until it has caught up, and
// one that never does is reported under its instance.
func TestFinalBoardsWaitForLaggingInstance(t *testing.T) {
	for _, c := range []struct {
		name   string
		stale  int
		errors bool
	}{{"catches up", 3, false}, {"never catches up", -1, true}} {
		t.Run(c.name, func(t *testing.T) {
			// The servers need the players (for the board) and the players
			// the servers' URLs: build the runner first on placeholders.
			placeholder := mustMultiRunner(t, "http://a:1,http://b:2", 2)
			ps := finishedPlayers(placeholder, 2)
			a, aCalls := boardServer(t, ps, 0)
			b, bCalls := boardServer(t, ps, c.stale)
			r := mustMultiRunner(t, a.URL+","+b.URL, 2)
			r.cfg.SettleTimeout = 500 * time.Millisecond
			r.runID = placeholder.runID
			players := finishedPlayers(r, 2)
			ctx := context.Background()
			t0 := time.Now()
			boards, lastID := r.finalBoards(ctx, players, r.scorers(players))
			for i, bd := range boards {
				if bd != nil {
					r.checkBoard(r.scorers(players), bd, r.instances[i])
				}
			}
			if aCalls.Load() != 1 {
				t.Errorf("the up-to-date instance was read %d times, want 1", aCalls.Load())
			}
			if lastID != 7 || boards[0] == nil || boards[1] == nil {
				t.Fatalf("last_id %d, boards %v", lastID, boards)
			}
			if !c.errors {
				if r.errorsTotal.Load() != 0 || bCalls.Load() != 4 {
					t.Fatalf("errors %v after %d reads of the lagging instance, want none after 4", r.errs, bCalls.Load())
				}
				return
			}
			if d := time.Since(t0); d < r.cfg.SettleTimeout || d > r.cfg.SettleTimeout+2*time.Second {
				t.Errorf("gave up after %v, settle timeout %v", d, r.cfg.SettleTimeout)
			}
			if r.errs["scoreboard: wrong score (instance 2)"] != 2 || r.errorsTotal.Load() != 2 {
				t.Fatalf("errors %v, want 2 × wrong score on instance 2", r.errs)
			}
			if s := r.samples["scoreboard: wrong score (instance 2)"]; !strings.HasPrefix(s, "/api/scoreboard on instance 2 ("+b.URL+"): ") {
				t.Errorf("sample %q", s)
			}
		})
	}
}

// The single-URL summary is exactly what it was before instances existed;
// a multi-instance one adds the instance lines and the split delivery, in
// metrics.json and report.html too.
func TestSummaryWithAndWithoutInstances(t *testing.T) {
	const single = `ctfg emulate: FAILED (3 errors)
  server          http://127.0.0.1:1
  players         1 done of 2 (jitter 0s, think 0ms, 0 in flight, 0 challenges, scorestream compression off)
  wall time       2.00s
  flags           3 (1.5/s over the wall time; 0.0/s in the 0.00s from first to last), hints 0
  requests        0 (0.0/s), 0 resent on a closed kept-alive connection
  scorestream     0 events in 0 frames, 0 reconnects, 0 failed connection attempts retried
  emulator CPU    0.00s user + 0.00s system = 0% of one core (0 cores)

latency (ms)
                       count  mean   p50   p95   p99   max
     POST /api/submit     30  1.00  1.00  2.00  5.00  9.00
  GET /api/challenges      5  0.20  0.10  0.30  0.40  0.50
           WS connect      2  0.00  3.00  0.00  0.00  0.00
       event delivery      6  0.00  1.00  0.00  0.00  0.00

errors by kind
       2  POST /api/submit: HTTP 500
          e.g. POST /api/submit {"id":1} → 500 <b>
       1  stream: <missed>
`
	res := testResult()
	var sb strings.Builder
	if err := res.WriteSummary(&sb); err != nil {
		t.Fatal(err)
	}
	if sb.String() != single {
		t.Errorf("single-URL summary changed:\n%s", sb.String())
	}
	data, _ := json.Marshal(res)
	for _, absent := range []string{"instances", "event_delay_same_instance", "event_delay_cross_instance"} {
		if strings.Contains(string(data), absent) {
			t.Errorf("single-URL metrics.json has %q", absent)
		}
	}
	if strings.Contains(res.HTML(), "Instances") {
		t.Errorf("single-URL report has an instances table")
	}

	res.URL = "http://127.0.0.1:1,http://127.0.0.1:2"
	res.EventDelaySame = LatencyStats{Count: 2, MeanMS: 1, P50MS: 1, P95MS: 1, P99MS: 1, MaxMS: 1}
	res.EventDelayCross = LatencyStats{Count: 4, MeanMS: 2.5, P50MS: 2, P95MS: 3, P99MS: 3.5, MaxMS: 4}
	res.Instances = []InstanceStats{
		{URL: "http://127.0.0.1:1", Players: 1, PlayersDone: 1, Flags: 2, Requests: 40, Sockets: 1, SocketsComplete: 1, SolvesExpected: 3, SolvesSeenMin: 3, EventsReceived: 3},
		{URL: "http://127.0.0.1:2", Players: 1, Flags: 1, Requests: 30, RequestErrors: 2, Sockets: 1, SolvesExpected: 3, SolvesSeenMin: 2, EventsReceived: 2},
	}
	sb.Reset()
	_ = res.WriteSummary(&sb)
	for _, want := range []string{
		"  server          http://127.0.0.1:1,http://127.0.0.1:2 (2 instances; player i uses instance i mod 2)\n",
		"  instance 1      http://127.0.0.1:1: 1 players (1 done), 2 flags, 40 requests (0 failed), 0 failed socket connects; 1/1 sockets got all 3 solves (fewest 3), 3 live events\n",
		"  instance 2      http://127.0.0.1:2: 1 players (0 done), 1 flags, 30 requests (2 failed), 0 failed socket connects; 0/1 sockets got all 3 solves (fewest 2), 2 live events\n  emulator CPU",
		"event delivery (same instance)      2  1.00  1.00  1.00  1.00  1.00\n",
		"event delivery (cross-instance)      4  2.50  2.00  3.00  3.50  4.00\n",
	} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("multi-instance summary lacks %q:\n%s", want, sb.String())
		}
	}
	dir := t.TempDir()
	if err := res.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	var back Result
	data, _ = os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Instances) != 2 || back.Instances[1].SolvesSeenMin != 2 || back.EventDelayCross.P99MS != 3.5 || back.EventDelaySame.Count != 2 {
		t.Errorf("metrics.json round trip: %+v %+v %+v", back.Instances, back.EventDelaySame, back.EventDelayCross)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, want := range []string{"<h2>Instances</h2>", `<tr class="bad"><td>2</td><td>http://127.0.0.1:2</td>`, "event delivery (cross-instance)</td><td>4</td><td>2.50</td>"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
