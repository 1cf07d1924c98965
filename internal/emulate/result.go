package emulate

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// EndpointStats is the latency of one endpoint over the run.
type EndpointStats struct {
	Name string `json:"name"`
	LatencyStats
	// Timeline is the endpoint's latency and rate over the run.
	Timeline []TimePoint `json:"timeline,omitempty"`
}

// Result is what a run measured and found. Durations are in the units
// their names say; JSON field names are metrics.json's.
type Result struct {
	// URL is the server's base URL or, with several instances, their base
	// URLs separated by commas.
	URL         string  `json:"url"`
	Players     int     `json:"players"`
	PlayersDone int     `json:"players_done"`
	JitterSec   float64 `json:"jitter_s"`
	ThinkMS     float64 `json:"think_ms"`
	InFlight    int     `json:"in_flight"`
	Challenges  int     `json:"challenges"`
	Seed        uint64  `json:"seed"`
	// TeamSize is --team-size: 0 when players score, else the game is
	// played in teams of at most that many emulated members. Teams is the
	// number of teams the players were in; TeamSolved counts submissions
	// answered "already_solved" because a teammate had solved the
	// challenge first. Flags are then the teams' solves.
	TeamSize   int   `json:"team_size,omitempty"`
	Teams      int   `json:"teams,omitempty"`
	TeamSolved int64 `json:"already_solved_by_teammate,omitempty"`
	// WSCompression tells whether the sockets negotiated permessage-deflate.
	WSCompression bool      `json:"ws_compression"`
	Started       time.Time `json:"started"`
	WallSec       float64   `json:"wall_s"`
	Flags         int64     `json:"flags"`
	FlagsPerSec   float64   `json:"flags_per_s"`
	// SolvingSec is from the first to the last correct flag; SolvingRate
	// is the flags per second within it (the throughput of the solving
	// phase, without page loads, logins and the final settling).
	SolvingSec     float64 `json:"solving_s"`
	SolvingRate    float64 `json:"solving_flags_per_s"`
	Hints          int64   `json:"hints"`
	Requests       int64   `json:"requests"`
	RequestsPerSec float64 `json:"requests_per_s"`

	// Errors counts deviations by kind; a clean run has none.
	Errors map[string]int `json:"errors"`
	// ErrorSamples holds the first detail seen of each kind (secrets
	// redacted).
	ErrorSamples map[string]string `json:"error_samples,omitempty"`

	Endpoints []EndpointStats `json:"endpoints"`
	// WSConnect is the scorestream handshake time.
	WSConnect LatencyStats `json:"ws_connect"`
	// EventDelay is from an event's server ts to its receipt by a client
	// (ms resolution; both clocks are this machine's when the server is
	// local).
	EventDelay     LatencyStats `json:"event_delay"`
	EventsReceived int64        `json:"events_received"`
	Frames         int64        `json:"frames"`
	WSReconnects   int64        `json:"ws_reconnects"`
	// Resent counts idempotent requests the HTTP transport sent again
	// because the kept-alive connection they went out on had been closed
	// by the server before any answer (what browsers do too).
	Resent int64 `json:"resent_requests"`
	// WSConnectRetries counts scorestream connection attempts that failed
	// and were tried again (a player whose attempts all fail is an error).
	WSConnectRetries int64 `json:"ws_connect_retries"`
	// Throughput is correct flags per second over the run.
	Throughput []TimePoint `json:"throughput"`
	// BucketSec is the width of every timeline bucket.
	BucketSec float64 `json:"bucket_s"`

	// EventDelaySame and EventDelayCross split EventDelay in a
	// multi-instance run by where the event was committed: on the
	// receiving socket's own instance (its player's) or on another. Events
	// of players outside the run are only in EventDelay. Absent with one
	// URL.
	EventDelaySame  LatencyStats `json:"event_delay_same_instance,omitzero"`
	EventDelayCross LatencyStats `json:"event_delay_cross_instance,omitzero"`
	// Instances describes each server of a multi-instance run, in --url
	// order (player i used instance i mod n); absent with one URL.
	Instances []InstanceStats `json:"instances,omitempty"`

	CPUUserSec   float64 `json:"cpu_user_s"`
	CPUSystemSec float64 `json:"cpu_system_s"`
	// CPUPercent is the emulator's CPU time over wall time, per core.
	CPUPercent float64 `json:"cpu_percent_of_one_core"`
	NumCPU     int     `json:"num_cpu"`
	FileLimit  uint64  `json:"file_limit"`
}

// ErrorCount is the total number of deviations.
func (r *Result) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// Endpoint returns the stats of the named endpoint, e.g. "POST /api/submit".
func (r *Result) Endpoint(name string) (EndpointStats, bool) {
	for _, e := range r.Endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return EndpointStats{}, false
}

func (r *runner) result(wall time.Duration, cpuUser, cpuSys time.Duration, nofile uint64) *Result {
	width := bucketSlots(wall)
	res := &Result{
		URL: r.urlList(), Players: r.cfg.Players, PlayersDone: int(r.done.Load()),
		JitterSec: r.cfg.Jitter.Seconds(), ThinkMS: float64(r.cfg.Think) / float64(time.Millisecond),
		InFlight: r.cfg.InFlight, Challenges: len(r.cfg.Challenges), Seed: r.cfg.Seed,
		WSCompression: !r.cfg.NoCompression,
		TeamSize:      r.cfg.TeamSize, Teams: r.teamCount(), TeamSolved: r.teamSolved.Load(),
		Started: r.start, WallSec: wall.Seconds(),
		Flags: r.flags.Load(), Hints: r.hints.Load(), Requests: r.requests.Load(),
		Errors: map[string]int{}, ErrorSamples: map[string]string{},
		WSConnect:      r.lat[epWSConnect].stats(),
		EventDelay:     r.delay.stats(),
		EventsReceived: r.events.Load(), Frames: r.frames.Load(), WSReconnects: r.reconnects.Load(),
		Resent:     r.resent.Load(),
		Throughput: r.flagLine.points(wall, width), BucketSec: (time.Duration(width) * slotDur).Seconds(),
		CPUUserSec: cpuUser.Seconds(), CPUSystemSec: cpuSys.Seconds(),
		NumCPU: runtime.NumCPU(), FileLimit: nofile,
	}
	if r.multi() {
		res.EventDelaySame, res.EventDelayCross = r.delaySame.stats(), r.delayCross.stats()
		res.Instances = r.instanceStats()
	}
	if wall > 0 {
		res.FlagsPerSec = float64(res.Flags) / wall.Seconds()
		res.RequestsPerSec = float64(res.Requests) / wall.Seconds()
		res.CPUPercent = 100 * (cpuUser + cpuSys).Seconds() / wall.Seconds()
	}
	if first, last := r.firstFlag.Load(), r.lastFlag.Load(); last > first {
		res.SolvingSec = time.Duration(last - first).Seconds()
		res.SolvingRate = float64(res.Flags-1) / res.SolvingSec
	}
	r.mu.Lock()
	for k, v := range r.errs {
		res.Errors[k] = v
	}
	for k, v := range r.samples {
		res.ErrorSamples[k] = v
	}
	r.mu.Unlock()
	for e := range numEndpoints {
		st := r.lat[e].stats()
		if st.Count == 0 || e == epWSConnect {
			continue
		}
		res.Endpoints = append(res.Endpoints, EndpointStats{
			Name: e.String(), LatencyStats: st, Timeline: r.timeline[e].points(wall, width),
		})
	}
	return res
}

// WriteSummary prints the human summary of a run.
func (r *Result) WriteSummary(w io.Writer) error {
	var b strings.Builder
	status := "OK"
	if n := r.ErrorCount(); n > 0 {
		status = fmt.Sprintf("FAILED (%d errors)", n)
	}
	fmt.Fprintf(&b, "ctfg emulate: %s\n", status)
	if n := len(r.Instances); n > 0 {
		fmt.Fprintf(&b, "  server          %s (%d instances; player i uses instance i mod %d)\n", r.URL, n, n)
	} else {
		fmt.Fprintf(&b, "  server          %s\n", r.URL)
	}
	fmt.Fprintf(&b, "  players         %d done of %d (jitter %gs, think %gms, %d in flight, %d challenges, scorestream compression %s)\n",
		r.PlayersDone, r.Players, r.JitterSec, r.ThinkMS, r.InFlight, r.Challenges, map[bool]string{true: "on", false: "off"}[r.WSCompression])
	if r.TeamSize > 0 {
		fmt.Fprintf(&b, "  teams           %d teams of up to %d players; %d submissions answered already_solved (a teammate's solve)\n", r.Teams, r.TeamSize, r.TeamSolved)
	}
	fmt.Fprintf(&b, "  wall time       %.2fs\n", r.WallSec)
	fmt.Fprintf(&b, "  flags           %d (%.1f/s over the wall time; %.1f/s in the %.2fs from first to last), hints %d\n",
		r.Flags, r.FlagsPerSec, r.SolvingRate, r.SolvingSec, r.Hints)
	fmt.Fprintf(&b, "  requests        %d (%.1f/s), %d resent on a closed kept-alive connection\n", r.Requests, r.RequestsPerSec, r.Resent)
	fmt.Fprintf(&b, "  scorestream     %d events in %d frames, %d reconnects, %d failed connection attempts retried\n", r.EventsReceived, r.Frames, r.WSReconnects, r.WSConnectRetries)
	for i, in := range r.Instances {
		fmt.Fprintf(&b, "  %-16s%s\n", fmt.Sprintf("instance %d", i+1), in.summaryLine())
	}
	fmt.Fprintf(&b, "  emulator CPU    %.2fs user + %.2fs system = %.0f%% of one core (%d cores)\n",
		r.CPUUserSec, r.CPUSystemSec, r.CPUPercent, r.NumCPU)
	b.WriteString("\nlatency (ms)\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tcount\tmean\tp50\tp95\tp99\tmax\t")
	row := func(name string, s LatencyStats) {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", name, s.Count, s.MeanMS, s.P50MS, s.P95MS, s.P99MS, s.MaxMS)
	}
	for _, e := range r.Endpoints {
		row(e.Name, e.LatencyStats)
	}
	row("WS connect", r.WSConnect)
	row("event delivery", r.EventDelay)
	if len(r.Instances) > 0 {
		row("event delivery (same instance)", r.EventDelaySame)
		row("event delivery (cross-instance)", r.EventDelayCross)
	}
	tw.Flush()
	if len(r.Errors) > 0 {
		b.WriteString("\nerrors by kind\n")
		for _, k := range sortedErrorKinds(r.Errors) {
			fmt.Fprintf(&b, "  %6d  %s\n", r.Errors[k], k)
			if s := r.ErrorSamples[k]; s != "" {
				fmt.Fprintf(&b, "          e.g. %s\n", s)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// startProgress writes one status line while the run goes: refreshed in
// place twice a second on a terminal, a new line every few seconds
// otherwise. The returned function stops it.
func (r *runner) startProgress(w io.Writer) func() {
	if w == nil {
		return func() {}
	}
	tty := isTerminal(w)
	every := r.cfg.ProgressInterval
	if every <= 0 {
		every = 5 * time.Second
		if tty {
			every = 500 * time.Millisecond
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				line := r.progressLine()
				if tty {
					fmt.Fprintf(w, "\r%s\x1b[K", line)
				} else {
					fmt.Fprintln(w, line)
				}
			case <-stop:
				if tty {
					fmt.Fprintf(w, "\r%s\x1b[K\n", r.progressLine())
				}
				return
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
	}
}

func (r *runner) progressLine() string {
	// In team mode each team solves each challenge once; teams appear as
	// their members log in.
	scorers := int64(r.cfg.Players)
	if r.teamMode() {
		scorers = int64(r.teamCount())
	}
	return fmt.Sprintf("%6.1fs  logged in %d/%d  sockets %d  flags %d/%d  done %d  events %d  errors %d  goroutines %d",
		time.Since(r.start).Seconds(), r.loggedIn.Load(), r.cfg.Players, r.socketsOpen.Load(),
		r.flags.Load(), scorers*int64(len(r.cfg.Challenges)), r.done.Load(),
		r.events.Load(), r.errorsTotal.Load(), goroutines())
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
