// Command fanout load-tests the scorestream hub over loopback.
//
// By default it starts a hub in a child process (itself with -serve), so
// that the server's memory is measured alone, then:
//
//  1. opens -clients sockets (10,000) and reports the server's heap and
//     RSS per socket;
//  2. publishes -rounds events (20), one at a time, and reports the
//     delivery latency of every event to every socket (p50/p99/max) and
//     of each whole broadcast;
//  3. closes them and lets -storm clients (2,000) connect at the same
//     instant, reporting the time until each has its snapshot.
//
// The hub serves a synthetic game of 500 players, 30 challenges and
// 10,000 events. Usage: go run ./internal/stream/cmd/fanout [-clients N]
// [-rounds N] [-storm N] [-inproc].
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ctfg/ctfg/internal/stream"
	"github.com/ctfg/ctfg/internal/stream/synth"
	"github.com/gorilla/websocket"
)

func main() {
	var (
		serve    = flag.Bool("serve", false, "run the hub and print its address (used by the driver)")
		inproc   = flag.Bool("inproc", false, "run the hub in this process (memory figures then include the clients)")
		clients  = flag.Int("clients", 10000, "sockets for the memory and broadcast phases")
		rounds   = flag.Int("rounds", 20, "broadcast rounds")
		storm    = flag.Int("storm", 2000, "clients in the connect storm; 0 skips it")
		compress = flag.Bool("compress", true, "clients negotiate permessage-deflate, as browsers do")
		dialPar  = flag.Int("dial-parallel", 200, "concurrent dials while opening the sockets")
		profile  = flag.String("cpuprofile", "", "write the hub's CPU profile to this file")
	)
	flag.Parse()
	raiseFileLimit()
	if *serve {
		if err := runServer(*profile); err != nil {
			fmt.Fprintln(os.Stderr, "fanout server:", err)
			os.Exit(1)
		}
		return
	}
	d := &driver{clients: *clients, rounds: *rounds, storm: *storm, compress: *compress, dialPar: *dialPar, profile: *profile}
	if err := d.run(*inproc); err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
}

// raiseFileLimit lifts RLIMIT_NOFILE to its hard limit: every socket is a
// file descriptor, on both ends.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	l.Cur = l.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}

// server is the hub under test plus two control endpoints.
type server struct {
	hub    *stream.Hub
	src    *gameSource
	mu     sync.Mutex // one publisher, ids in order
	nextID int64

	latMu sync.Mutex
	lat   []time.Duration // server side: fan-out until written to every socket
}

func newServer() *server {
	snap := synth.Game(synth.Params{Players: 500, Challenges: 30, Events: 10000, Seed: 1})
	s := &server{src: &gameSource{snap: snap}, nextID: snap.LastID}
	s.hub = stream.NewHub(stream.Config{
		KeepAlive:    15 * time.Second,
		PingTimeout:  45 * time.Second,
		WriteTimeout: 10 * time.Second,
		QueueLen:     64,
		Coalesce:     50 * time.Millisecond,
		Metrics: stream.MetricsFuncs{OnBroadcast: func(d time.Duration) {
			s.latMu.Lock()
			s.lat = append(s.lat, d)
			s.latMu.Unlock()
		}},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}, s.src, func(_ context.Context, tok string) (stream.Viewer, bool) {
		return stream.Viewer{PlayerID: 1}, tok == "bench"
	})
	return s
}

// gameSource is the synthetic game, advanced by each published event the
// way the engine's state is: the snapshot moves on, so it is rebuilt.
type gameSource struct {
	mu   sync.Mutex
	snap stream.Snapshot
}

func (g *gameSource) Snapshot() stream.Snapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.snap
}

func (g *gameSource) apply(e stream.Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.snap.LastID = e.ID
	evs := append(append([]stream.Event(nil), g.snap.Events...), e)
	g.snap.Events = evs[max(0, len(evs)-50):]
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /scorestream", s.hub)
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.nextID++
		e := stream.Event{ID: s.nextID, Type: "score", PlayerID: 42, DisplayName: "Benchmarker",
			TS: time.Now().UnixMilli(), ChallengeID: 3, Challenge: "The Suspect's Age", Points: 150}
		s.src.apply(e)
		s.hub.Publish(e)
		s.mu.Unlock()
		fmt.Fprintf(w, "%d", e.ID)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(s.stats())
	})
	return mux
}

// stats are the server's memory figures, taken after a GC.
type stats struct {
	Clients    int    `json:"clients"`
	Goroutines int    `json:"goroutines"`
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
	RSS        uint64 `json:"rss"`
	LastID     int64  `json:"last_id"` // of the game
	// Broadcasts are the hub's own figures: from fan-out until the frame
	// was written to every socket.
	Broadcasts []time.Duration `json:"broadcasts"`
}

func (s *server) stats() stats {
	st := readStats(s.hub.Clients())
	s.latMu.Lock()
	st.Broadcasts = append(st.Broadcasts, s.lat...)
	s.latMu.Unlock()
	s.mu.Lock()
	st.LastID = s.nextID
	s.mu.Unlock()
	return st
}

func readStats(clients int) stats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return stats{Clients: clients, Goroutines: runtime.NumGoroutine(), HeapInuse: m.HeapInuse,
		StackInuse: m.StackInuse, Sys: m.Sys, RSS: rss()}
}

// rss reads the resident set size from /proc (Linux).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func runServer(profile string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	s := newServer()
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("ADDR %s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// The driver closes our stdin when it is done (or dies).
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	go func() { _ = srv.Serve(ln) }()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.hub.Shutdown(sctx)
	return srv.Shutdown(sctx)
}

type driver struct {
	clients, rounds, storm, dialPar int
	compress                        bool
	addr                            string
	inproc                          *server
	next                            int64 // id of the last event published
	profile                         string
}

func (d *driver) run(inproc bool) error {
	if inproc {
		s := newServer()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		go func() { _ = http.Serve(ln, s.handler()) }()
		d.addr, d.inproc = ln.Addr().String(), s
	} else {
		stop, err := d.startChild()
		if err != nil {
			return err
		}
		defer stop()
	}
	fmt.Printf("hub at %s (%s), GOMAXPROCS %d\n", d.addr, map[bool]string{true: "same process", false: "child process"}[inproc], runtime.GOMAXPROCS(0))

	base, err := d.stats()
	if err != nil {
		return err
	}
	d.next = base.LastID
	// Phase 1: open the sockets.
	start := time.Now()
	conns, err := d.open(d.clients)
	if err != nil {
		return err
	}
	fmt.Printf("opened %d sockets in %v\n", len(conns), time.Since(start).Round(time.Millisecond))
	st, err := d.stats()
	if err != nil {
		return err
	}
	per := func(a, b uint64) float64 { return float64(int64(a)-int64(b)) / float64(max(1, d.clients)) / 1024 }
	fmt.Printf("server with %d sockets: RSS %.1f MB (%.1f KB/socket over the idle %.1f MB), heap %.1f MB (%.1f KB/socket), stacks %.1f MB, goroutines %d\n",
		st.Clients, mb(st.RSS), per(st.RSS, base.RSS), mb(base.RSS), mb(st.HeapInuse), per(st.HeapInuse, base.HeapInuse),
		mb(st.StackInuse), st.Goroutines)

	// Phase 2: broadcasts.
	if err := d.broadcast(conns); err != nil {
		return err
	}
	st, _ = d.stats()
	if b := st.Broadcasts; len(b) > 0 {
		slices.Sort(b)
		fmt.Printf("server side (fan-out until written to every socket): p50 %v max %v\n", ms(pct(b, 50)), ms(b[len(b)-1]))
	}
	fmt.Printf("server after the broadcasts: RSS %.1f MB, heap %.1f MB, goroutines %d, clients %d\n",
		mb(st.RSS), mb(st.HeapInuse), st.Goroutines, st.Clients)
	for _, c := range conns {
		c.conn.Close()
	}
	if d.storm == 0 {
		return nil
	}
	// Let the hub notice the closes before the storm.
	for i := 0; i < 100; i++ {
		if st, err := d.stats(); err == nil && st.Clients == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return d.connectStorm()
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func (d *driver) startChild() (func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve", "-cpuprofile", d.profile)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		stop()
		return nil, fmt.Errorf("child did not report its address: %q %v", line, err)
	}
	d.addr = strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
	return stop, nil
}

func (d *driver) stats() (stats, error) {
	if d.inproc != nil {
		return d.inproc.stats(), nil
	}
	resp, err := http.Get("http://" + d.addr + "/stats")
	if err != nil {
		return stats{}, err
	}
	defer resp.Body.Close()
	var s stats
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

func (d *driver) dialer() *websocket.Dialer {
	return &websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 256, EnableCompression: d.compress,
		HandshakeTimeout: 30 * time.Second}
}

// benchConn is one client: its reader goroutine reports each event id
// with the time it arrived.
type benchConn struct {
	conn *websocket.Conn
}

// open dials n sockets, dialPar at a time, each reading its snapshot
// before it counts as open, then starts their readers.
func (d *driver) open(n int) ([]*benchConn, error) {
	url := "ws://" + d.addr + "/scorestream?token=bench"
	conns := make([]*benchConn, n)
	var firstErr error
	var mu sync.Mutex
	sem := make(chan struct{}, d.dialPar)
	var wg sync.WaitGroup
	for i := range conns {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			conn, _, err := d.dialer().Dial(url, nil)
			if err == nil {
				_, _, err = conn.ReadMessage()
			}
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("socket %d: %w", i, err)
				}
				mu.Unlock()
				return
			}
			conns[i] = &benchConn{conn: conn}
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		for _, c := range conns {
			if c != nil {
				c.conn.Close()
			}
		}
		return nil, firstErr
	}
	return conns, nil
}

func (d *driver) broadcast(conns []*benchConn) error {
	// Each reader stores when its event arrived; the last one of a round
	// signals. No shared channel: the load generator shares the two cores
	// with the server and should cost as little as possible.
	var (
		want    atomic.Int64 // the event id of the round
		arrived atomic.Int64
		done    = make(chan struct{}, 1)
		bad     atomic.Int64
	)
	at := make([]atomic.Int64, len(conns))
	for i, c := range conns {
		go func() {
			for {
				_, data, err := c.conn.ReadMessage()
				if err != nil {
					return
				}
				now := time.Now().UnixNano()
				id := firstID(data)
				if id != want.Load() {
					bad.Store(id)
					continue
				}
				at[i].Store(now)
				if arrived.Add(1) == int64(len(conns)) {
					done <- struct{}{}
				}
			}
		}()
	}
	var all, whole []time.Duration
	for r := 0; r < d.rounds; r++ {
		time.Sleep(200 * time.Millisecond) // past the coalescing window: each round is its own frame
		arrived.Store(0)
		want.Store(d.peekNext())
		t0 := time.Now()
		resp, err := http.Post("http://"+d.addr+"/publish", "text/plain", nil)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if id, err := strconv.ParseInt(string(body), 10, 64); err != nil || id != want.Load() {
			return fmt.Errorf("publish: %q, want id %d", body, want.Load())
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			return fmt.Errorf("round %d: %d of %d sockets received the event (stray id %d)", r, arrived.Load(), len(conns), bad.Load())
		}
		var last time.Duration
		for i := range at {
			l := time.Duration(at[i].Load() - t0.UnixNano())
			all = append(all, l)
			last = max(last, l)
		}
		whole = append(whole, last)
	}
	slices.Sort(all)
	slices.Sort(whole)
	fmt.Printf("broadcast to %d sockets, %d rounds: delivery p50 %v p99 %v max %v; whole broadcast p50 %v max %v\n",
		len(conns), d.rounds, ms(pct(all, 50)), ms(pct(all, 99)), ms(all[len(all)-1]), ms(pct(whole, 50)), ms(whole[len(whole)-1]))
	return nil
}

// peekNext returns the id the next publish will get.
func (d *driver) peekNext() int64 {
	d.next++
	return d.next
}

// firstID reads the id of the first event of a frame ([{"id":N,...).
func firstID(frame []byte) int64 {
	const prefix = `[{"id":`
	if !bytes.HasPrefix(frame, []byte(prefix)) {
		return -1
	}
	var id int64
	for _, ch := range frame[len(prefix):] {
		if ch < '0' || ch > '9' {
			break
		}
		id = id*10 + int64(ch-'0')
	}
	return id
}

func (d *driver) connectStorm() error {
	url := "ws://" + d.addr + "/scorestream?token=bench"
	n := d.storm
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	conns := make([]*websocket.Conn, n)
	var ready, wg sync.WaitGroup
	gate := make(chan struct{})
	for i := 0; i < n; i++ {
		ready.Add(1)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			dl := d.dialer()
			ready.Done()
			<-gate
			t0 := time.Now()
			conn, _, err := dl.Dial(url, nil)
			if err == nil {
				conns[i] = conn
				_, _, err = conn.ReadMessage()
			}
			lat[i], errs[i] = time.Since(t0), err
		}(i)
	}
	ready.Wait()
	start := time.Now()
	close(gate)
	wg.Wait()
	total := time.Since(start)
	nerr := 0
	var firstErr error
	for _, err := range errs {
		if err != nil {
			nerr++
			firstErr = cmpOr(firstErr, err)
		}
	}
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	slices.Sort(lat)
	fmt.Printf("connect storm of %d: all snapshots in %v; per client p50 %v p99 %v max %v; errors %d\n",
		n, ms(total), ms(pct(lat, 50)), ms(pct(lat, 99)), ms(lat[n-1]), nerr)
	if firstErr != nil {
		return errors.Join(errors.New("connect storm"), firstErr)
	}
	return nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
