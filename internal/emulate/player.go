package emulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// maxBody bounds what the emulator reads of one reply (bytes).
const maxBody = 32 << 20

// maxAttempts bounds the submissions of one challenge by one player, so a
// wrong testflag or a misbehaving server cannot loop forever.
const maxAttempts = 3

// player is one emulated browser. Its fields are owned by its own
// goroutine; the scorestream reader has its own state in streamClient.
type player struct {
	r      *runner
	idx    int
	inst   *instance // the server this player uses for everything
	user   game.User
	offset time.Duration
	client *http.Client
	rng    *mrand.Rand
	name   string

	loggedIn bool
	playerID int64
	wsURL    string
	// acct is what the server has acknowledged of the score: the
	// player's own, or in team mode the team's, shared by its members.
	acct   *account
	team   *team // team mode: the player's team
	stream *streamClient
	over   bool // solvingOver was called

	finished bool  // solved everything and passed the final checks
	solves   int   // final number of solved challenges
	expected int64 // final expected score
}

func newPlayer(r *runner, idx int, offset time.Duration) *player {
	jar, _ := cookiejar.New(nil) // never fails without options
	p := &player{
		r: r, idx: idx, inst: r.instances[instanceFor(idx, len(r.instances))], user: r.cfg.Users[idx], offset: offset,
		client: &http.Client{Transport: r.transport, Jar: jar, Timeout: r.cfg.RequestTimeout},
		rng:    mrand.New(mrand.NewPCG(r.cfg.Seed, uint64(idx)+1)),
	}
	p.name = displayName(r.runID, idx+1)
	p.inst.players++
	return p
}

// displayName builds a unique, valid display name for player n of a run.
func displayName(runID string, n int) string {
	name := fmt.Sprintf("emu %s %d", runID, n)
	if _, err := game.ValidateName(name); err != nil {
		// Only a long run of one digit can make it invalid; split it.
		name = fmt.Sprintf("emu %s %d-%d", runID, n/1000, n%1000)
	}
	return name
}

// reply is one HTTP response, fully read.
type reply struct {
	status int
	body   []byte
	header http.Header
	desc   string // "METHOD path", for messages
}

// do sends one request and measures it. A transport failure is counted
// and returns nil.
func (p *player) do(ctx context.Context, ep endpoint, method, path string, body any, discard bool) *reply {
	var rd io.Reader
	var reqText string
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
		if ep != epLogin { // never keep a password in an error sample
			reqText = " " + string(b)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, p.inst.base.String()+path, rd)
	if err != nil {
		p.r.fail("bad request", err.Error())
		return nil
	}
	req.Header.Set("User-Agent", "ctfg-emulate")
	if discard {
		// Asking for gzip explicitly keeps the transport from inflating
		// the reply: a browser would, but on a shared load machine the
		// emulator's CPU is better spent driving the server than
		// decompressing assets it throws away.
		req.Header.Set("Accept-Encoding", "gzip")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	p.r.requests.Add(1)
	p.inst.requests.Add(1)
	// Which connection carried a failed request tells a server that
	// closed a kept-alive connection from one that refused a new one.
	var conn httptrace.GotConnInfo
	conns := 0
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { conn = i; conns++ },
	}))
	if ep == epSubmit || ep == epHint || ep == epSetName {
		// These requests are idempotent by the API's contract (a repeated
		// flag is "already solved", a hint is never charged twice, a name
		// is set again). Saying so lets the transport resend one that met
		// a kept-alive connection the server had just closed, as browsers
		// do (RFC 9112 §9.3.1); such resends are counted, not hidden.
		req.Header.Set("Idempotency-Key", strconv.FormatInt(p.r.requests.Load(), 36))
	}
	t0 := time.Now()
	resp, err := p.client.Do(req)
	var data []byte
	if err == nil {
		if discard {
			_, err = io.Copy(io.Discard, resp.Body)
		} else {
			data, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
		}
		resp.Body.Close()
	}
	d := time.Since(t0)
	if conns > 1 {
		p.r.resent.Add(int64(conns - 1))
	}
	gotConn := conns > 0
	if err != nil {
		p.r.record(ep, d, true)
		p.inst.reqFailed.Add(1)
		if ctx.Err() == nil {
			how := "before a connection was made"
			switch {
			case gotConn && conn.Reused:
				how = fmt.Sprintf("on a reused connection from %v idle for %v", conn.Conn.LocalAddr(), conn.IdleTime.Round(time.Millisecond))
			case gotConn:
				how = fmt.Sprintf("on a new connection from %v", conn.Conn.LocalAddr())
			}
			p.r.fail(ep.String()+": transport error", fmt.Sprintf("%s %s%s: %v (%s, after %v)", method, path, reqText, err, how, d.Round(time.Millisecond)))
		}
		return nil
	}
	p.r.record(ep, d, resp.StatusCode >= 400)
	if resp.StatusCode >= 400 {
		p.inst.reqFailed.Add(1)
	}
	return &reply{status: resp.StatusCode, body: data, header: resp.Header, desc: method + " " + path + reqText}
}

// expect checks a reply's status and, for JSON endpoints, its headers.
// Unexpected statuses are counted under a kind that names the endpoint,
// the status and the error code.
func (p *player) expect(ep endpoint, rep *reply, status int, authed bool) bool {
	if rep == nil {
		return false
	}
	if rep.status != status {
		kind := fmt.Sprintf("%s: HTTP %d", ep, rep.status)
		if obj, err := checkObject(rep.body, errorShape...); err == nil {
			kind += " " + str(obj, "error")
		}
		p.r.fail(kind, fmt.Sprintf("%s → %d %s", rep.desc, rep.status, abbreviate(rep.body, 300)))
		return false
	}
	if ep != epPage && ep != epAsset {
		if ct := rep.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			p.r.fail(ep.String()+": wrong Content-Type", fmt.Sprintf("%s → Content-Type %q", rep.desc, ct))
		}
		if authed && !strings.Contains(rep.header.Get("Cache-Control"), "no-store") {
			p.r.fail(ep.String()+": no Cache-Control: no-store", fmt.Sprintf("%s → Cache-Control %q", rep.desc, rep.header.Get("Cache-Control")))
		}
	}
	return true
}

// shapeErr counts a reply that does not have the contract's shape.
func (p *player) shapeErr(ep endpoint, rep *reply, err error) {
	p.r.fail(ep.String()+": wrong shape", fmt.Sprintf("%s → %d %s: %v", rep.desc, rep.status, abbreviate(rep.body, 300), err))
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// run plays the whole game as one browser would.
func (p *player) run(ctx context.Context) {
	defer p.solvingOver()
	if !sleep(ctx, p.offset) {
		return
	}
	if !p.loadPage(ctx) || !p.login(ctx) || !p.makeTeam(ctx) || !p.fetchMe(ctx, true) || !p.setName(ctx) {
		return
	}
	p.stream = newStreamClient(p)
	// Like the web app, retry a failed first connection with a fresh URL;
	// without any scorestream the player still plays (the failure is
	// already counted).
	if p.stream.open(ctx, p.wsURL) || p.stream.reconnect(ctx, errors.New("first connection failed")) {
		go p.stream.readLoop(ctx)
	} else {
		p.stream = nil
	}
	list, ok := p.solveAll(ctx)
	if !ok {
		return
	}
	p.finish(ctx, list)
}

// assetRE finds src= and href= attribute values in HTML.
var assetRE = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)

// findAssets returns the same-origin /assets/, /css/ and /js/ paths an
// HTML page references, each once, in order.
func findAssets(html []byte, base *url.URL) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range assetRE.FindAllSubmatch(html, -1) {
		ref := string(m[1]) + string(m[2]) + string(m[3])
		u, err := url.Parse(strings.TrimSpace(ref))
		if err != nil {
			continue
		}
		abs := base.ResolveReference(u)
		if abs.Host != base.Host || abs.Scheme != base.Scheme {
			continue
		}
		path := abs.EscapedPath()
		if !strings.HasPrefix(path, "/assets/") && !strings.HasPrefix(path, "/css/") && !strings.HasPrefix(path, "/js/") {
			continue
		}
		if abs.RawQuery != "" {
			path += "?" + abs.RawQuery
		}
		if !seen[path] {
			seen[path] = true
			out = append(out, path)
		}
	}
	return out
}

// loadPage fetches / and every asset it references.
func (p *player) loadPage(ctx context.Context) bool {
	rep := p.do(ctx, epPage, "GET", "/", nil, false)
	if !p.expect(epPage, rep, 200, false) {
		return false
	}
	if ct := rep.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		p.r.fail("GET /: not HTML", fmt.Sprintf("GET / → Content-Type %q", ct))
	}
	assets := findAssets(rep.body, &url.URL{Scheme: p.inst.base.Scheme, Host: p.inst.base.Host, Path: "/"})
	if len(assets) == 0 {
		p.r.fail("GET /: no assets referenced", "GET / → "+abbreviate(rep.body, 300))
	}
	for _, a := range assets {
		rep := p.do(ctx, epAsset, "GET", a, nil, true)
		if !p.expect(epAsset, rep, 200, false) {
			return false
		}
	}
	return true
}

// login logs in and remembers the scorestream URL.
func (p *player) login(ctx context.Context) bool {
	body := map[string]string{"username": p.user.Username, "password": p.user.Password}
	var rep *reply
	for attempt := 0; ; attempt++ {
		rep = p.do(ctx, epLogin, "POST", "/api/login", body, false)
		if rep == nil || rep.status != http.StatusTooManyRequests || attempt == 2 {
			break
		}
		p.expect(epLogin, rep, 200, false) // counts the 429: logins that succeed must not be throttled
		if !sleep(ctx, time.Second) {
			return false
		}
	}
	if !p.expect(epLogin, rep, 200, false) {
		return false
	}
	obj, err := checkObject(rep.body, loginShape...)
	if err != nil {
		p.shapeErr(epLogin, rep, err)
		return false
	}
	if !p.checkWSURL(epLogin, rep, str(obj, "websocket_url")) {
		return false
	}
	if len(p.client.Jar.Cookies(p.inst.base)) == 0 {
		p.r.fail("POST /api/login: no session cookie", "POST /api/login → 200 without a cookie the browser would keep")
		return false
	}
	p.wsURL = p.streamURL(str(obj, "websocket_url"))
	p.loggedIn = true
	p.r.loggedIn.Add(1)
	return true
}

func (p *player) checkWSURL(ep endpoint, rep *reply, u string) bool {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "ws" && pu.Scheme != "wss") || pu.Query().Get("token") == "" {
		p.shapeErr(ep, rep, fmt.Errorf("websocket_url is not a ws(s) URL with a token"))
		return false
	}
	return true
}

// fetchMe reads /api/me; at the start it learns the player id and the
// initial total.
func (p *player) fetchMe(ctx context.Context, first bool) bool {
	rep := p.do(ctx, epMe, "GET", "/api/me", nil, false)
	if !p.expect(epMe, rep, 200, true) {
		return false
	}
	obj, err := checkObject(rep.body, meShape...)
	if err != nil {
		p.shapeErr(epMe, rep, err)
		return false
	}
	if u := str(obj, "username"); u != p.user.Username {
		p.shapeErr(epMe, rep, fmt.Errorf("username %q, logged in as %q", u, p.user.Username))
		return false
	}
	if !p.checkWSURL(epMe, rep, str(obj, "websocket_url")) {
		return false
	}
	if first {
		p.playerID = integer(obj, "player_id")
		if p.r.pidInst != nil {
			p.r.pidInst.set(p.playerID, p.inst.idx)
		}
		if p.r.teamMode() {
			return p.joinTeam(rep, obj, integer(obj, "total"))
		}
		if _, ok := obj["team_id"]; ok {
			p.r.fail("GET /api/me: the server plays in teams", fmt.Sprintf("%s → %s: run with --team-size", rep.desc, abbreviate(rep.body, 200)))
			return false
		}
		p.acct = newAccount(integer(obj, "total"), len(p.r.instances), false, p.inst.idx)
		return true
	}
	if id := integer(obj, "player_id"); id != p.playerID {
		p.shapeErr(epMe, rep, fmt.Errorf("player_id changed from %d to %d", p.playerID, id))
	}
	if p.team != nil && integer(obj, "team_id") != p.team.id {
		p.r.fail("GET /api/me: team changed", fmt.Sprintf("%s → %s, expected team_id %d", rep.desc, abbreviate(rep.body, 200), p.team.id))
	}
	if str(obj, "displayname") != p.name || boolean(obj, "needs_name") {
		p.r.fail("GET /api/me: display name not kept", fmt.Sprintf("%s → %s, expected displayname %q", rep.desc, abbreviate(rep.body, 200), p.name))
	}
	if t := integer(obj, "total"); t != p.expected {
		p.r.fail("GET /api/me: wrong total", fmt.Sprintf("%s → total %d, expected %d (points %d − hints)", rep.desc, t, p.expected, p.r.maxPoints))
	}
	return true
}

// setName chooses the player's unique display name.
func (p *player) setName(ctx context.Context) bool {
	for attempt := 0; attempt < 3; attempt++ {
		rep := p.do(ctx, epSetName, "POST", "/api/set-name", map[string]string{"name": p.name}, false)
		if rep != nil && rep.status == http.StatusConflict {
			p.expect(epSetName, rep, 200, true) // counts it: run names are unique
			p.name = fmt.Sprintf("%s %c", p.name, 'a'+attempt)
			continue
		}
		if !p.expect(epSetName, rep, 200, true) {
			return false
		}
		obj, err := checkObject(rep.body, setNameShape...)
		if err != nil {
			p.shapeErr(epSetName, rep, err)
			return false
		}
		if str(obj, "result") != "ok" || str(obj, "displayname") != p.name {
			p.shapeErr(epSetName, rep, fmt.Errorf("want result ok and displayname %q", p.name))
			return false
		}
		return true
	}
	return false
}

// subResult is the outcome of one submission, sent back to the player's
// main loop.
type subResult struct {
	id  int
	rep *reply
}

// launchState is what the player knew when it sent a submission: every
// solve acknowledged by then is ordered before it, while solves and hints
// that complete during its flight may land on either side.
type launchState struct {
	total, spent int64
}

// solveAll submits every available challenge's testflag, refreshing the
// list after each solve so that prerequisites unlock, until everything is
// solved. It returns the final listing.
func (p *player) solveAll(ctx context.Context) ([]listedChallenge, bool) {
	cfg := p.r.cfg
	results := make(chan subResult, len(cfg.Challenges)+cfg.InFlight)
	pending := map[int]launchState{}
	attempts := map[int]int{}
	known := map[int]bool{} // solves acknowledged to this player
	inflight, idle, listFailures := 0, 0, 0

	launch := func(id int) {
		c := p.r.byID[id]
		var think time.Duration
		if cfg.Think > 0 {
			think = cfg.Think/2 + time.Duration(p.rng.Int64N(int64(cfg.Think)+1))
		}
		pending[id] = p.acct.launch(int64(c.Points), p.inst.idx)
		attempts[id]++
		inflight++
		go func() {
			var rep *reply
			if sleep(ctx, think) {
				rep = p.do(ctx, epSubmit, "POST", "/api/submit", map[string]any{"id": id, "flag": c.TestFlag}, false)
			}
			results <- subResult{id: id, rep: rep}
		}()
	}
	receive := func() bool {
		res := <-results
		c := p.r.byID[res.id]
		at := pending[res.id]
		delete(pending, res.id)
		p.acct.land(int64(c.Points))
		inflight--
		return p.handleSubmit(res, c, known, at)
	}

	for {
		if ctx.Err() != nil {
			return nil, false
		}
		list, ok := p.listChallenges(ctx, known)
		if !ok {
			listFailures++
			if listFailures >= maxAttempts {
				for inflight > 0 {
					receive()
				}
				return nil, false
			}
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		if allSolved(list, len(cfg.Challenges)) {
			for inflight > 0 {
				receive()
			}
			return list, true
		}
		p.maybeBuyHint(ctx, list)

		var queue []int
		for _, c := range list {
			if _, inFlight := pending[c.ID]; !c.Solved && !inFlight && attempts[c.ID] < maxAttempts {
				queue = append(queue, c.ID)
			}
		}
		progressed := false
		for {
			for inflight < cfg.InFlight && len(queue) > 0 {
				launch(queue[0])
				queue = queue[1:]
			}
			if inflight == 0 {
				break
			}
			if receive() {
				progressed = true
				break // a solve may unlock more: refresh the list
			}
		}
		if !progressed && inflight == 0 && len(queue) == 0 {
			idle++
			if idle >= maxAttempts {
				p.r.fail("player stuck", fmt.Sprintf("%s cannot make progress: %d of %d challenges solved, nothing left to try", p.user.Username, countSolved(list), len(cfg.Challenges)))
				return nil, false
			}
		} else {
			idle = 0
		}
		if !sleep(ctx, cfg.Think) {
			return nil, false
		}
	}
}

// handleSubmit checks one submission's reply; it reports a new solve.
func (p *player) handleSubmit(res subResult, c *game.Challenge, known map[int]bool, at launchState) bool {
	rep := res.rep
	if !p.expect(epSubmit, rep, 200, true) {
		return false
	}
	obj, err := checkObject(rep.body, resultShape...)
	if err != nil {
		p.shapeErr(epSubmit, rep, err)
		return false
	}
	switch result := str(obj, "result"); result {
	case "correct":
		if err := checkFields(obj, []field{req("points", kInt), req("total", kInt)}); err != nil {
			p.shapeErr(epSubmit, rep, err)
			return false
		}
		if pts := integer(obj, "points"); pts != int64(c.Points) {
			p.r.fail("POST /api/submit: wrong points", fmt.Sprintf("%s → points %d, challenge %d is worth %d", rep.desc, pts, c.ID, c.Points))
		}
		lo, hi, n := p.acct.solved(c.ID, int64(c.Points), at, p.inst.idx)
		if t := integer(obj, "total"); t < lo || t > hi {
			p.r.fail("POST /api/submit: wrong total", fmt.Sprintf("%s → total %d, expected %d..%d", rep.desc, t, lo, hi))
		}
		if n > 1 {
			// Two members sending one flag at once make one solve.
			p.r.fail("POST /api/submit: correct twice for one challenge", fmt.Sprintf("%s → correct again (%d correct replies%s)", rep.desc, n, p.teamWhere()))
		}
		known[c.ID] = true
		p.r.flags.Add(1)
		p.inst.flags.Add(1)
		p.r.flagSeen(time.Now())
		return true
	case "already_solved":
		if p.team != nil {
			// A teammate's solve landed between this player's listing and
			// its submission: what the web app shows a member too.
			p.r.teamSolved.Add(1)
			known[c.ID] = true
			return true
		}
		p.r.fail("POST /api/submit: already_solved for an unsolved challenge", fmt.Sprintf("%s → %s", rep.desc, abbreviate(rep.body, 200)))
		known[c.ID] = true
		return true
	default:
		p.r.fail("POST /api/submit: testflag not accepted", fmt.Sprintf("%s → %s", rep.desc, abbreviate(rep.body, 200)))
		return false
	}
}

// listChallenges fetches and checks /api/challenges.
func (p *player) listChallenges(ctx context.Context, known map[int]bool) ([]listedChallenge, bool) {
	rep := p.do(ctx, epChallenges, "GET", "/api/challenges", nil, false)
	if !p.expect(epChallenges, rep, 200, true) {
		return nil, false
	}
	list, err := p.r.lists.parse(rep.body)
	if err != nil {
		p.shapeErr(epChallenges, rep, err)
		return nil, false
	}
	if kind, err := checkListing(list, p.r.byID, known); err != nil {
		p.r.fail("GET /api/challenges: "+kind, fmt.Sprintf("%s: %v", p.user.Username, err))
		return nil, false
	}
	return list, true
}

// checkListing verifies a challenge listing against the game: only known
// challenges with their titles and points, exactly those whose
// requirements the listing itself shows solved, and every solve the player
// was told about marked solved. It returns an error kind and the details.
func checkListing(list []listedChallenge, byID map[int]*game.Challenge, known map[int]bool) (string, error) {
	listed := make(map[int]*listedChallenge, len(list))
	for i := range list {
		lc := &list[i]
		c, ok := byID[lc.ID]
		if !ok {
			return "unknown challenge", fmt.Errorf("challenge %d is not in challenges.json", lc.ID)
		}
		if listed[lc.ID] != nil {
			return "duplicate challenge", fmt.Errorf("challenge %d listed twice", lc.ID)
		}
		listed[lc.ID] = lc
		if lc.Title != c.Title || lc.Points != c.Points {
			return "challenge differs", fmt.Errorf("challenge %d listed as %q (%d points), challenges.json has %q (%d)", lc.ID, lc.Title, lc.Points, c.Title, c.Points)
		}
		if len(lc.Hints) != len(c.Hints) {
			return "challenge differs", fmt.Errorf("challenge %d lists %d hints, challenges.json has %d", lc.ID, len(lc.Hints), len(c.Hints))
		}
		for _, h := range lc.Hints {
			if ch, _, ok := c.Hint(h.ID); !ok || ch.Cost != h.Cost {
				return "challenge differs", fmt.Errorf("challenge %d lists hint %d costing %d, not as in challenges.json", lc.ID, h.ID, h.Cost)
			}
		}
	}
	for _, c := range byID {
		open := true
		for _, req := range c.Requirements {
			if lc := listed[req]; lc == nil || !lc.Solved {
				open = false
				break
			}
		}
		switch lc := listed[c.ID]; {
		case open && lc == nil:
			return "available challenge missing", fmt.Errorf("challenge %d is not listed although its requirements %v are solved", c.ID, c.Requirements)
		case !open && lc != nil:
			return "locked challenge listed", fmt.Errorf("challenge %d is listed although its requirements %v are not all solved", c.ID, c.Requirements)
		case known[c.ID] && (lc == nil || !lc.Solved):
			return "solve not shown", fmt.Errorf("challenge %d was acknowledged as solved but is not listed as solved", c.ID)
		}
	}
	return "", nil
}

func allSolved(list []listedChallenge, n int) bool {
	return len(list) == n && countSolved(list) == n
}

func countSolved(list []listedChallenge) int {
	n := 0
	for _, c := range list {
		if c.Solved {
			n++
		}
	}
	return n
}

// nextHint returns the first hint of c, in purchase order, neither shown
// bought in the listing nor in bought (hints bought in this run, which the
// listing of a team's member may not show yet).
func nextHint(c listedChallenge, bought map[[2]int]bool) (listedHint, bool) {
	hs := append([]listedHint(nil), c.Hints...)
	sort.Slice(hs, func(i, j int) bool { return hs[i].ID < hs[j].ID })
	for _, h := range hs {
		if h.Text == nil && !bought[[2]int{c.ID, h.ID}] {
			return h, true
		}
	}
	return listedHint{}, false
}

// maybeBuyHint now and then buys the next hint of an unsolved challenge,
// only when the acknowledged total covers its cost. A team's members buy
// one at a time (account.hintMu).
func (p *player) maybeBuyHint(ctx context.Context, list []listedChallenge) {
	if p.r.cfg.HintChance <= 0 || p.rng.Float64() >= p.r.cfg.HintChance {
		return
	}
	a := p.acct
	a.hintMu.Lock()
	defer a.hintMu.Unlock()
	for _, c := range list {
		if c.Solved {
			continue
		}
		h, ok := a.nextHint(c)
		through, total := a.canBuyThrough(p.inst.idx)
		if !through {
			return // a teammate on the team's buying instance buys
		}
		if !ok || int64(h.Cost) > total {
			continue
		}
		at := a.buy(int64(h.Cost), p.inst.idx)
		rep := p.do(ctx, epHint, "POST", "/api/hint", map[string]int{"id": c.ID, "hint_id": h.ID}, false)
		if rep == nil {
			// The purchase may or may not have happened; assume it did so
			// that later purchases stay affordable.
			a.paid(c.ID, h.ID, int64(h.Cost), at)
			return
		}
		if rep.status == http.StatusPaymentRequired {
			a.refused()
			p.r.fail("POST /api/hint: 402 although affordable", fmt.Sprintf("%s → 402 %s; acknowledged total was %d, cost %d", rep.desc, abbreviate(rep.body, 200), total, h.Cost))
			return
		}
		if !p.expect(epHint, rep, 200, true) {
			a.refused()
			return
		}
		obj, err := checkObject(rep.body, hintReplyShape...)
		if err != nil || str(obj, "result") != "ok" {
			a.refused()
			p.shapeErr(epHint, rep, fmt.Errorf("want result ok, text, total: %v", err))
			return
		}
		lo, hi := a.paid(c.ID, h.ID, int64(h.Cost), at)
		if t := integer(obj, "total"); t < lo || t > hi {
			p.r.fail("POST /api/hint: wrong total", fmt.Sprintf("%s → total %d, expected %d..%d", rep.desc, t, lo, hi))
		}
		p.r.hints.Add(1)
		return
	}
}

// finish checks the end state: the expected score everywhere. In team
// mode a member's purchase can change the team's score until every member
// is done, so each waits for all players to stop solving and checks the
// team's score against a fresh listing.
func (p *player) finish(ctx context.Context, list []listedChallenge) {
	if p.team != nil {
		p.solvingOver()
		select {
		case <-p.r.allOver:
		case <-ctx.Done():
			return
		}
		// The listing again, now that the team's score is final; on
		// several instances, until this one has folded what the others
		// committed.
		deadline := time.Now().Add(p.r.cfg.SettleTimeout)
		for {
			var ok bool
			if list, ok = p.listChallenges(ctx, nil); !ok {
				return
			}
			caughtUp := allSolved(list, len(p.r.cfg.Challenges)) && listedScore(list) == p.acct.acknowledged()
			if caughtUp || !p.r.multi() || time.Now().After(deadline) || !sleep(ctx, 50*time.Millisecond) {
				break
			}
		}
		if !allSolved(list, len(p.r.cfg.Challenges)) {
			p.r.fail("team: solve not shown", fmt.Sprintf("%s: the team's listing shows %d of %d challenges solved", p.user.Username, countSolved(list), len(p.r.cfg.Challenges)))
			return
		}
	}
	expected := listedScore(list)
	p.expected = expected
	p.solves = len(list)
	if p.team == nil || p.team.check(expected, len(list)) {
		if total := p.acct.acknowledged(); total != expected {
			p.r.fail("score: replies disagree with listing", fmt.Sprintf("%s: totals from replies end at %d, the listing gives %d", p.who(), total, expected))
		}
	}
	if !p.fetchMe(ctx, false) {
		return
	}
	p.finished = true
	if p.team != nil {
		p.team.finish()
	}
	p.r.done.Add(1)
	p.inst.playersRun.Add(1)
}

// listedScore is the score a listing shows: the points of its solved
// challenges minus the cost of its bought hints.
func listedScore(list []listedChallenge) int64 {
	var score int64
	for _, c := range list {
		if c.Solved {
			score += int64(c.Points)
		}
		for _, h := range c.Hints {
			if h.Text != nil {
				score -= int64(h.Cost)
			}
		}
	}
	return score
}

// scoreboard fetches /api/scoreboard for the end-of-run checks.
func (p *player) scoreboard(ctx context.Context) ([]standing, int64, bool) {
	rep := p.do(ctx, epScoreboard, "GET", "/api/scoreboard", nil, false)
	if !p.expect(epScoreboard, rep, 200, true) {
		return nil, 0, false
	}
	board, lastID, err := parseScoreboard(rep.body)
	if err != nil {
		p.shapeErr(epScoreboard, rep, err)
		return nil, 0, false
	}
	return board, lastID, true
}
