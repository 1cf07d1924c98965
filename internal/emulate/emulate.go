// Package emulate is ctfg's load emulator: it plays N players against a
// running server the way browsers do (page and assets, login, display
// name, scorestream, challenges, hints, flags) and checks every reply
// against the contract in docs/API.md while it measures. Deviations are
// counted by kind; a clean run has none.
package emulate

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/gamefile"
)

// Defaults of the command line (the old emulator's think times).
const (
	DefaultThink          = 100 * time.Millisecond // mean pause before a submission, and between rounds
	DefaultInFlight       = 3                      // submissions in flight per player
	DefaultHintChance     = 0.25                   // chance per round of buying the next affordable hint
	DefaultRequestTimeout = 30 * time.Second       // per HTTP request and WebSocket handshake
	DefaultSettleTimeout  = 30 * time.Second       // wait for every scorestream to see the last event
)

// Config describes one emulation run. Zero durations mean "none" (Jitter
// 0 is a true thundering herd, Think 0 removes every pause); zero
// InFlight, RequestTimeout and SettleTimeout take their defaults.
type Config struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:8080, or a
	// comma-separated list of the base URLs of several instances that
	// share one database (see ParseURLs); player i then uses the
	// (i mod n)-th for everything.
	URL string
	// Players is how many players to emulate; they use the first Players
	// entries of Users.
	Players int
	// Jitter spreads the players' start times uniformly over [0, Jitter].
	Jitter time.Duration
	// Think is the mean pause before each submission (drawn uniformly from
	// [Think/2, 3·Think/2]) and the pause between rounds.
	Think time.Duration
	// InFlight bounds the submissions one player has outstanding.
	InFlight int
	// HintChance is the probability, each round, that a player buys the
	// next hint of an unsolved challenge when it can afford it.
	HintChance float64
	// Users are the credentials (plain-text passwords).
	Users []game.User
	// Challenges are the game's challenges; every one needs a TestFlag.
	Challenges []*game.Challenge
	// RequestTimeout bounds each HTTP request and WebSocket handshake.
	RequestTimeout time.Duration
	// SettleTimeout bounds the wait, after the last solve, for every
	// scorestream to receive the last event; with several instances it
	// also bounds, before that, the wait for every instance's scoreboard
	// to catch up with the others.
	SettleTimeout time.Duration
	// ProgressInterval is how often progress is written; 0 means twice a
	// second on a terminal and every 5 seconds otherwise.
	ProgressInterval time.Duration
	// NoCompression turns off permessage-deflate on the scorestream,
	// which browsers negotiate by default.
	NoCompression bool
	// Seed makes think times, hint choices and start offsets repeatable;
	// 0 picks a random seed.
	Seed uint64
	// TeamSize > 0 plays a server in team mode (docs/API.md, "Teams")
	// whose teams have at most this many emulated members: each player's
	// team is the one /api/me names (checked against Users' Team when
	// set); teams, not players, must end on the scoreboard and every
	// scorestream, and a teammate's "already_solved" is an answer like
	// any other. 0 plays individuals.
	TeamSize int
	// MakeTeams (with TeamSize) has the players make their teams through
	// the API, as people do when credentials.csv names no teams: the
	// first of each TeamSize consecutive players makes a team (POST
	// /api/teams) and the others join it with its invite code (POST
	// /api/teams/join) before playing. The server must play in teams
	// (CTFG_TEAM_SIZE of at least TeamSize, or registration), and the
	// players must have no team yet.
	MakeTeams bool
}

// DefaultConfig returns the command line's defaults for url and players.
func DefaultConfig(url string, players int) Config {
	return Config{
		URL: url, Players: players, Think: DefaultThink, InFlight: DefaultInFlight,
		HintChance: DefaultHintChance, RequestTimeout: DefaultRequestTimeout,
		SettleTimeout: DefaultSettleTimeout,
	}
}

// endpoint numbers the things whose latency is measured.
type endpoint int

const (
	epPage endpoint = iota
	epAsset
	epLogin
	epMe
	epSetName
	epChallenges
	epSubmit
	epHint
	epScoreboard
	epWSConnect
	epTeam
	numEndpoints
)

var endpointNames = [numEndpoints]string{
	"GET /", "GET assets", "POST /api/login", "GET /api/me", "POST /api/set-name",
	"GET /api/challenges", "POST /api/submit", "POST /api/hint", "GET /api/scoreboard",
	"WS /scorestream connect", "POST /api/teams[/join]",
}

func (e endpoint) String() string { return endpointNames[e] }

// runner is the shared state of one run.
type runner struct {
	cfg       Config
	instances []*instance
	byID      map[int]*game.Challenge
	maxPoints int64
	runID     string
	start     time.Time
	transport *http.Transport
	dialer    *websocket.Dialer

	lat      [numEndpoints]*histogram
	timeline [numEndpoints]*timeline
	flagLine *timeline
	delay    *shardedHistogram
	// With several instances, delay split by whether the event was
	// committed on the receiving socket's instance; pidInst knows each
	// emulated player's instance.
	delaySame, delayCross *shardedHistogram
	pidInst               *playerInstances
	checks                []instanceCheck // end-of-run socket check, per instance

	// Team mode: the teams by id, each emulated player's team id (for
	// the scorestream's "by"), and the submissions a teammate's solve
	// made "already_solved".
	// invites are the invite codes of the teams the players make
	// (MakeTeams), by group of TeamSize consecutive players.
	invites    []*invite
	teamsMu    sync.Mutex
	teams      map[int64]*team
	pidTeam    *playerInstances
	teamSolved atomic.Int64
	// solvingLeft counts the players still solving; allOver is closed
	// when it reaches 0 (see player.finish).
	solvingLeft atomic.Int64
	allOver     chan struct{}

	loggedIn    atomic.Int64
	socketsOpen atomic.Int64
	flags       atomic.Int64
	hints       atomic.Int64
	requests    atomic.Int64
	done        atomic.Int64
	errorsTotal atomic.Int64
	reconnects  atomic.Int64
	resent      atomic.Int64 // requests resent after a kept-alive connection closed
	wsRetries   atomic.Int64 // scorestream connection attempts that failed and were retried
	events      atomic.Int64
	frames      atomic.Int64

	mu         sync.Mutex
	errs       map[string]int
	samples    map[string]string
	snapShot   atomic.Int64 // snapshots whose standings got a full shape check
	lists      listCache
	frameCache frameCache

	// firstFlag and lastFlag (Unix ns) bound the solving phase, whose
	// rate is the throughput figure: the wall time also holds page loads,
	// logins and the final scorestream settling.
	firstFlag, lastFlag atomic.Int64
}

// flagSeen records one correct flag acknowledged at t.
func (r *runner) flagSeen(t time.Time) {
	r.flagLine.record(t, 0, false)
	ns := t.UnixNano()
	r.firstFlag.CompareAndSwap(0, ns)
	for {
		last := r.lastFlag.Load()
		if ns <= last || r.lastFlag.CompareAndSwap(last, ns) {
			return
		}
	}
}

// maxSampleLen bounds one stored error sample.
const maxSampleLen = 600

var secretRE = regexp.MustCompile(`((?:token|password|session)[^=:"]*["]?\s*[=:]\s*"?)[^"&\s,}]+`)

// redact removes tokens and passwords from text meant for a report.
func redact(s string) string {
	return secretRE.ReplaceAllString(s, "${1}REDACTED")
}

// fail counts one deviation of the given kind and keeps the first detail
// of each kind as a sample.
func (r *runner) fail(kind, detail string) {
	r.errorsTotal.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs[kind]++
	if _, ok := r.samples[kind]; !ok && len(r.samples) < 100 {
		d := redact(detail)
		if len(d) > maxSampleLen {
			d = d[:maxSampleLen] + "…"
		}
		r.samples[kind] = d
	}
}

// Run plays cfg.Players players against the server at cfg.URL until every
// one has solved every challenge (or ctx ends), writing progress to
// progress (nil for none). It returns an error only when the run could
// not start; deviations seen during the run are in Result.Errors.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Result, error) {
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	nofile := raiseFileLimit(uint64(cfg.Players)*4 + 1024)
	user0, sys0 := cpuTime()

	stopProgress := r.startProgress(progress)
	players := r.play(ctx)
	r.settle(ctx, players)
	stopProgress()

	wall := time.Since(r.start)
	user1, sys1 := cpuTime()
	res := r.result(wall, user1-user0, sys1-sys0, nofile)
	r.transport.CloseIdleConnections()
	return res, nil
}

func newRunner(cfg Config) (*runner, error) {
	if cfg.Players < 1 {
		return nil, errors.New("players must be at least 1")
	}
	if cfg.Players > len(cfg.Users) {
		return nil, fmt.Errorf("%d players asked for but only %d credentials", cfg.Players, len(cfg.Users))
	}
	if len(cfg.Challenges) == 0 {
		return nil, errors.New("no challenges")
	}
	if cfg.Jitter < 0 || cfg.Think < 0 {
		return nil, errors.New("jitter and think must not be negative")
	}
	if cfg.HintChance < 0 || cfg.HintChance > 1 {
		return nil, errors.New("hint chance must be between 0 and 1")
	}
	if cfg.TeamSize < 0 {
		return nil, errors.New("team size must not be negative")
	}
	if cfg.MakeTeams && cfg.TeamSize == 0 {
		return nil, errors.New("making teams needs a team size")
	}
	bases, err := ParseURLs(cfg.URL)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, byID: map[int]*game.Challenge{}, errs: map[string]int{}, samples: map[string]string{},
		teams: map[int64]*team{}, allOver: make(chan struct{})}
	r.solvingLeft.Store(int64(cfg.Players))
	if cfg.MakeTeams {
		r.invites = make([]*invite, (cfg.Players+cfg.TeamSize-1)/cfg.TeamSize)
		for i := range r.invites {
			r.invites[i] = &invite{ready: make(chan struct{})}
		}
	}
	if r.teamMode() {
		r.pidTeam = newPlayerInstances(cfg.Players*4 + 4096)
	}
	for i, b := range bases {
		r.instances = append(r.instances, &instance{idx: i, base: b})
	}
	r.checks = make([]instanceCheck, len(r.instances))
	for _, c := range cfg.Challenges {
		if c.TestFlag == "" {
			return nil, fmt.Errorf("challenge %d has no testflag; the emulator cannot solve it", c.ID)
		}
		if _, dup := r.byID[c.ID]; dup {
			return nil, fmt.Errorf("duplicate challenge id %d", c.ID)
		}
		r.byID[c.ID] = c
		r.maxPoints += int64(c.Points)
	}
	for _, c := range cfg.Challenges {
		for _, req := range c.Requirements {
			if _, ok := r.byID[req]; !ok {
				return nil, fmt.Errorf("challenge %d requires unknown challenge %d", c.ID, req)
			}
		}
	}
	for _, u := range cfg.Users[:cfg.Players] {
		if gamefile.IsBcryptHash(u.Password) {
			return nil, fmt.Errorf("the password of %q is a bcrypt hash; the emulator needs plain-text credentials", u.Username)
		}
	}
	if r.cfg.InFlight <= 0 {
		r.cfg.InFlight = DefaultInFlight
	}
	if r.cfg.RequestTimeout <= 0 {
		r.cfg.RequestTimeout = DefaultRequestTimeout
	}
	if r.cfg.SettleTimeout <= 0 {
		r.cfg.SettleTimeout = DefaultSettleTimeout
	}
	if r.cfg.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		r.cfg.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	var id [3]byte
	_, _ = rand.Read(id[:])
	r.runID = hex.EncodeToString(id[:])

	// One transport for every player, as one machine full of browsers
	// would share the network; enough idle connections per host that a
	// player's connection is never closed just to be reopened.
	conns := cfg.Players*r.cfg.InFlight + 64
	dial := (&net.Dialer{Timeout: r.cfg.RequestTimeout, KeepAlive: 30 * time.Second}).DialContext
	r.transport = &http.Transport{
		Proxy:                 nil, // load tests talk to the server directly
		DialContext:           dial,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   r.cfg.RequestTimeout,
		ResponseHeaderTimeout: r.cfg.RequestTimeout,
		ForceAttemptHTTP2:     false,
	}
	r.dialer = &websocket.Dialer{
		NetDialContext:    dial,
		HandshakeTimeout:  r.cfg.RequestTimeout,
		ReadBufferSize:    4096,
		WriteBufferSize:   1024,
		EnableCompression: !r.cfg.NoCompression,
	}
	r.start = time.Now()
	for e := range numEndpoints {
		r.lat[e] = newHistogram(6)
		r.timeline[e] = newTimeline(r.start)
	}
	r.flagLine = newTimeline(r.start)
	r.delay = newShardedHistogram(6, 8)
	if r.multi() {
		r.delaySame = newShardedHistogram(6, 8)
		r.delayCross = newShardedHistogram(6, 8)
		r.pidInst = newPlayerInstances(cfg.Players*4 + 4096)
	}
	return r, nil
}

// record notes one measured operation.
func (r *runner) record(e endpoint, d time.Duration, failed bool) {
	r.lat[e].record(d)
	r.timeline[e].record(time.Now(), d, failed)
}

// play runs every player to completion and returns them.
func (r *runner) play(ctx context.Context) []*player {
	rng := mrand.New(mrand.NewPCG(r.cfg.Seed, 0x9e3779b97f4a7c15))
	players := make([]*player, r.cfg.Players)
	for i := range players {
		var offset time.Duration
		if r.cfg.Jitter > 0 {
			offset = time.Duration(rng.Int64N(int64(r.cfg.Jitter) + 1))
		}
		players[i] = newPlayer(r, i, offset)
	}
	// Every player is ready before the gate opens, so with Jitter 0 they
	// all hit the server at the same instant.
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range players {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			p.run(ctx)
		}()
	}
	close(gate)
	wg.Wait()
	return players
}

// settle checks the final scoreboards, waits for every scorestream to
// catch up with the last event, closes the sockets and checks what each
// saw.
func (r *runner) settle(ctx context.Context, players []*player) {
	sc := r.scorers(players)
	boards, lastID := r.finalBoards(ctx, players, sc)
	for i, b := range boards {
		if b != nil {
			r.checkBoard(sc, b, r.instances[i])
		}
	}

	if lastID >= 0 {
		deadline := time.Now().Add(r.cfg.SettleTimeout)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			behind := 0
			for _, p := range players {
				if s := p.stream; s != nil && !s.stopped.Load() && s.lastID.Load() < lastID {
					behind++
				}
			}
			if behind == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, p := range players {
		if p.stream != nil {
			p.stream.close()
		}
	}
	for _, p := range players {
		if p.stream != nil {
			<-p.stream.done
		}
	}
	if ctx.Err() != nil {
		r.fail("interrupted", "the run was interrupted before it finished")
		return
	}
	r.checkStreams(players, sc, boards, lastID)
}

// finalBoards fetches /api/scoreboard from each instance through its
// first logged-in player and returns the boards (nil where the fetch
// failed) and the highest last_id among them. With several instances an
// instance may not have applied the latest events committed on the others
// yet, so those behind the highest last_id, or disagreeing with what the
// players were acknowledged, are fetched again until they catch up or
// SettleTimeout passes; whatever remains is then reported as an error.
func (r *runner) finalBoards(ctx context.Context, players []*player, sc []scorer) ([][]standing, int64) {
	n := len(r.instances)
	boards := make([][]standing, n)
	ids := make([]int64, n)
	readers := make([]*player, n)
	for _, p := range players {
		if p.loggedIn && readers[p.inst.idx] == nil {
			readers[p.inst.idx] = p
		}
	}
	var lastID int64 = -1
	for i, p := range readers {
		if p == nil {
			continue
		}
		if b, id, ok := p.scoreboard(ctx); ok {
			boards[i], ids[i] = b, id
			lastID = max(lastID, id)
		}
	}
	if !r.multi() {
		return boards, lastID
	}
	deadline := time.Now().Add(r.cfg.SettleTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		lagging := false
		for i, p := range readers {
			if boards[i] == nil || (ids[i] >= lastID && len(r.boardMismatches(sc, boards[i])) == 0) {
				continue
			}
			lagging = true
			b, id, ok := p.scoreboard(ctx)
			if !ok {
				// Counted already; asking again would only repeat it.
				boards[i] = nil
				continue
			}
			boards[i], ids[i] = b, id
			lastID = max(lastID, id)
		}
		if !lagging {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return boards, lastID
}

// boardMismatch is one way a final scoreboard disagrees with a player.
type boardMismatch struct{ kind, detail string }

// boardMismatches compares a final scoreboard with what each player (or
// team) earned.
func (r *runner) boardMismatches(sc []scorer, board []standing) []boardMismatch {
	byID := make(map[int64]standing, len(board))
	for _, s := range board {
		byID[s.PlayerID] = s
	}
	var out []boardMismatch
	for _, p := range sc {
		s, ok := byID[p.id]
		switch {
		case !ok:
			out = append(out, boardMismatch{"scoreboard: " + r.scorerNoun() + " missing", fmt.Sprintf("player_id %d (%s) is not on /api/scoreboard", p.id, p.who)})
		case s.Score != p.expected:
			out = append(out, boardMismatch{"scoreboard: wrong score", fmt.Sprintf("player_id %d: scoreboard says %d, expected %d", p.id, s.Score, p.expected)})
		case s.Solves != len(r.cfg.Challenges):
			out = append(out, boardMismatch{"scoreboard: wrong solves", fmt.Sprintf("player_id %d: scoreboard says %d solves, expected %d", p.id, s.Solves, len(r.cfg.Challenges))})
		case s.DisplayName != p.name:
			out = append(out, boardMismatch{"scoreboard: wrong displayname", fmt.Sprintf("player_id %d: scoreboard says %q, expected %q", p.id, s.DisplayName, p.name)})
		}
	}
	return out
}

// scorerNoun is what scores: "player", or "team" in team mode.
func (r *runner) scorerNoun() string {
	if r.teamMode() {
		return "team"
	}
	return "player"
}

// checkBoard counts every disagreement of instance in's final scoreboard
// with what the players earned.
func (r *runner) checkBoard(sc []scorer, board []standing, in *instance) {
	for _, m := range r.boardMismatches(sc, board) {
		detail := m.detail
		if r.multi() {
			detail = "/api/scoreboard" + in.where(r) + ": " + detail
		}
		r.fail(r.instanceKind(m.kind, in), detail)
	}
}

// checkStreams verifies that every scorestream saw every player's (in
// team mode every team's) solves, wherever they were committed: for each
// scorer, the count of its solves in the snapshot plus the score events
// after it (deduplicated by id) must equal its final solve count, and the
// sums over everyone must match the final scoreboard of the socket's
// instance. It also tallies, per instance, how many sockets ended up
// complete.
func (r *runner) checkStreams(players []*player, sc []scorer, boards [][]standing, lastID int64) {
	type totals struct{ solves, score int64 }
	sums := make([]totals, len(boards))
	for i, board := range boards {
		for _, s := range board {
			sums[i].solves += int64(s.Solves)
			sums[i].score += s.Score
		}
	}
	var expected int64
	for _, b := range sc {
		expected += int64(b.solves)
	}
	for i := range r.checks {
		r.checks[i].expected = expected
	}
	for _, a := range players {
		s := a.stream
		if s == nil || !a.finished {
			continue
		}
		in := a.inst
		var seen int64
		for _, b := range sc {
			seen += int64(min(s.solvesOf(b.id), b.solves))
		}
		ok := r.checkStream(a, sc, boards[in.idx] != nil, sums[in.idx].solves, sums[in.idx].score, lastID)
		r.checks[in.idx].add(seen, ok)
	}
}

// checkStream checks player a's scorestream at the end of the run and
// reports whether it had everything.
func (r *runner) checkStream(a *player, sc []scorer, haveBoard bool, boardSolves, boardScore, lastID int64) bool {
	s, in := a.stream, a.inst
	where := in.where(r)
	if !s.synced {
		r.fail(r.instanceKind("stream: no snapshot", in), fmt.Sprintf("%s's scorestream%s never delivered a snapshot", a.user.Username, where))
		return false
	}
	if lastID >= 0 && s.lastID.Load() < lastID {
		r.fail(r.instanceKind("stream: behind at end", in), fmt.Sprintf("%s's scorestream%s stopped at event %d, the scoreboard is at %d after %s", a.user.Username, where, s.lastID.Load(), lastID, r.cfg.SettleTimeout))
		return false
	}
	missed := 0
	var example string
	for _, b := range sc {
		if got := s.solvesOf(b.id); got != b.solves {
			missed++
			if example == "" {
				example = fmt.Sprintf("%s's scorestream%s counted %d solves of player_id %d%s, who has %d", a.user.Username, where, got, b.id, b.inst.where(r), b.solves)
			}
		}
	}
	if missed > 0 {
		r.fail(r.instanceKind("stream: missed or duplicated solves", in), fmt.Sprintf("%s (and %d other %ss)", example, missed-1, r.scorerNoun()))
		return false
	}
	if haveBoard && (s.sumSolves != boardSolves || s.sumScore != boardScore) {
		r.fail(r.instanceKind("stream: totals differ from scoreboard", in), fmt.Sprintf("%s's scorestream%s sums to %d solves / %d points, the scoreboard to %d / %d", a.user.Username, where, s.sumSolves, s.sumScore, boardSolves, boardScore))
		return false
	}
	return true
}

// sortedErrorKinds lists error kinds by count, largest first.
func sortedErrorKinds(m map[string]int) []string {
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if m[kinds[i]] != m[kinds[j]] {
			return m[kinds[i]] > m[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	return kinds
}

// goroutines is reported so readers can see the emulator's own footprint.
func goroutines() int { return runtime.NumGoroutine() }
