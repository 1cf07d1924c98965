package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/ctftest"
	"github.com/ctfg/ctfg/internal/httpapi"
)

// The tests here attack the rate limits the way a black-box client did:
// raw TCP requests that send their headers and all but the last byte of
// the body, held until every one of them is inside its handler, then
// released together. A limit that is checked first and charged after the
// answer lets every one of them through; a reservation does not.

// heldRequest is an HTTP request on its own connection, sent except for
// the last byte of its body.
type heldRequest struct {
	conn net.Conn
	last string
	r    *bufio.Reader
}

// MustHold connects to srv and sends method path with the headers and all
// of body but its last byte.
func MustHold(tb testing.TB, srv *ctftest.Server, method, path string, header http.Header, body string) *heldRequest {
	tb.Helper()
	if body == "" {
		tb.Fatal("MustHold needs a body to hold back")
	}
	u, err := url.Parse(srv.URL)
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", method, path, u.Host, len(body))
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.WriteString(body[:len(body)-1])
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(conn, b.String()); err != nil {
		tb.Fatalf("write: %v", err)
	}
	return &heldRequest{conn: conn, last: body[len(body)-1:], r: bufio.NewReader(conn)}
}

// release sends the last byte.
func (h *heldRequest) release(tb testing.TB) {
	tb.Helper()
	if _, err := io.WriteString(h.conn, h.last); err != nil {
		tb.Fatalf("release: %v", err)
	}
}

// heldOutcome is one held request's answer.
type heldOutcome struct {
	status     int
	body       string
	retryAfter string
}

// MustRace holds every request until n server goroutines are inside
// handler (a method of httpapi.Server, e.g. "handleSubmit", waiting for
// the rest of a body), then releases them all at once and returns the
// answers.
func MustRace(tb testing.TB, handler string, reqs []*heldRequest) []heldOutcome {
	tb.Helper()
	waitInHandler(tb, handler, len(reqs))
	for _, h := range reqs {
		h.release(tb)
	}
	out := make([]heldOutcome, len(reqs))
	var wg sync.WaitGroup
	for i, h := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.ReadResponse(h.r, nil)
			if err != nil {
				out[i].body = err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			out[i] = heldOutcome{resp.StatusCode, string(b), resp.Header.Get("Retry-After")}
		}()
	}
	wg.Wait()
	return out
}

// waitInHandler waits until at least n goroutines have handler on their
// stack. The server runs in this process, so its goroutines are ours to
// inspect: this is the synchronization point "every request is in the
// handler, reading its body" without guessing at a sleep.
func waitInHandler(tb testing.TB, handler string, n int) {
	tb.Helper()
	frame := "httpapi.(*Server)." + handler + "("
	buf := make([]byte, 8<<20)
	deadline := time.Now().Add(20 * time.Second)
	for {
		stacks := string(buf[:runtime.Stack(buf, true)])
		if got := strings.Count(stacks, frame); got >= n {
			return
		} else if time.Now().After(deadline) {
			tb.Fatalf("only %d of %d requests reached %s", got, n, handler)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countStatus tallies the answers by status.
func countStatus(out []heldOutcome) map[int]int {
	m := map[int]int{}
	for _, o := range out {
		m[o.status]++
	}
	return m
}

// sessionHeader is the Cookie header of a logged-in client.
func sessionHeader(tb testing.TB, srv *ctftest.Server, c *ctftest.Client) http.Header {
	tb.Helper()
	u, _ := url.Parse(srv.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == httpapi.SessionCookie {
			return http.Header{"Cookie": {ck.Name + "=" + ck.Value}, "Content-Type": {"application/json"}}
		}
	}
	tb.Fatal("client has no session")
	return nil
}

// MustBcryptGameDir is the test game plus "zed", whose password
// "zed-password" is stored as a bcrypt hash of cost.
func MustBcryptGameDir(tb testing.TB, cost int) string {
	tb.Helper()
	dir := ctftest.MustGameDir(tb)
	h, err := bcrypt.GenerateFromPassword([]byte("zed-password"), cost)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "credentials.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "zed,%s\n", h); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// metricValue reads one series from GET /metrics ("" labels for none).
func metricValue(tb testing.TB, srv *ctftest.Server, series string) float64 {
	tb.Helper()
	status, body := srv.NewClient().Do(tb, "GET", "/metrics", nil)
	if status != http.StatusOK {
		tb.Fatalf("metrics: %d", status)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatalf("metric %s: %v", series, err)
			}
			return f
		}
	}
	tb.Fatalf("no metric %s", series)
	return 0
}

// TestHeldSubmitsCannotOutrunTheLimit: 60 wrong guesses held and released
// together get exactly the burst (10) answered, the rest 429 with a
// Retry-After. Before reservations, every one of them was answered.
func TestHeldSubmitsCannotOutrunTheLimit(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Limits.Submit = httpapi.Limit{Burst: 10, Every: time.Hour} // no refill during the test
	})
	c := srv.MustLogin(t, "alice")
	hdr := sessionHeader(t, srv, c)
	const n = 60
	reqs := make([]*heldRequest, n)
	for i := range reqs {
		reqs[i] = MustHold(t, srv, "POST", "/api/submit", hdr, fmt.Sprintf(`{"id":1,"flag":"flag{guess-%d}"}`, i))
	}
	out := MustRace(t, "handleSubmit", reqs)
	incorrect := 0
	for _, o := range out {
		switch {
		case o.status == 200 && strings.Contains(o.body, `"incorrect"`):
			incorrect++
		case o.status == 429:
			if o.retryAfter == "" {
				t.Errorf("429 without Retry-After")
			}
		default:
			t.Errorf("unexpected answer %d %s", o.status, o.body)
		}
	}
	if incorrect != 10 {
		t.Fatalf("%d of %d concurrent wrong guesses were checked, want the burst of 10 (%v)", incorrect, n, countStatus(out))
	}
	if got := metricValue(t, srv, `ctfg_rate_limited_total{limiter="submit"}`); got != n-10 {
		t.Errorf("submit 429s counted %v, want %d", got, n-10)
	}
}

// TestCorrectFlagNeverCostsAToken: with one token left, right flags,
// already-solved flags and requests that are not guesses (unknown or
// locked challenge, bad body) take nothing: the tenth wrong guess is
// still answered, the eleventh is not.
func TestCorrectFlagNeverCostsAToken(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Limits.Submit = httpapi.Limit{Burst: 10, Every: time.Hour}
	})
	c := srv.MustLogin(t, "bob")
	for i := range 9 {
		if status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 3, "flag": "nope"}); status != 200 || !strings.Contains(string(body), "incorrect") {
			t.Fatalf("wrong guess %d: %d %s", i, status, body)
		}
	}
	runScenarios(t, c, []scenario{
		{"locked", "POST", "/api/submit", map[string]any{"id": 2, "flag": "flag{second}"}, nil, 403, []string{"locked"}},
		{"unknown id", "POST", "/api/submit", map[string]any{"id": 99, "flag": "x"}, nil, 400, nil},
		{"bad body", "POST", "/api/submit", `{"id":`, nil, 400, nil},
		{"missing flag", "POST", "/api/submit", map[string]any{"id": 1}, nil, 400, nil},
		{"correct", "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}, nil, 200, []string{`"correct"`}},
		{"already", "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"}, nil, 200, []string{`"already_solved"`}},
		{"already, wrong flag", "POST", "/api/submit", map[string]any{"id": 1, "flag": "nope"}, nil, 200, []string{`"already_solved"`}},
		{"now unlocked", "POST", "/api/submit", map[string]any{"id": 2, "flag": "flag{second}"}, nil, 200, []string{`"correct"`}},
		{"case-insensitive", "POST", "/api/submit", map[string]any{"id": 3, "flag": " ctf{CASE} "}, nil, 200, []string{`"correct"`}},
		{"tenth wrong guess", "POST", "/api/submit", map[string]any{"id": 4, "flag": "nope"}, nil, 200, []string{`"incorrect"`}},
		{"empty bucket", "POST", "/api/submit", map[string]any{"id": 4, "flag": "flag{once}"}, nil, 429, []string{"rate_limit_exceeded"}},
	})
}

// TestHeldLoginsBoundBcrypt: 40 wrong passwords for one bcrypt account,
// held and released together, get exactly the per-user burst (10) of
// password checks — 10 bcrypt compares, 10 × 401 — and 30 × 429. Before,
// all 40 were checked (seconds of CPU per round) and none refused.
func TestHeldLoginsBoundBcrypt(t *testing.T) {
	// Cost 6 takes milliseconds (hundreds under -race), far longer than
	// releasing 40 requests: checked-then-charged limits lose this race.
	srv := ctftest.MustServer(t, MustBcryptGameDir(t, 6), func(c *app.Config) {
		c.Limits.LoginUser = httpapi.Limit{Burst: 10, Every: time.Hour}
	})
	hdr := http.Header{"Content-Type": {"application/json"}}
	const n = 40
	reqs := make([]*heldRequest, n)
	for i := range reqs {
		reqs[i] = MustHold(t, srv, "POST", "/api/login", hdr, fmt.Sprintf(`{"username":"zed","password":"guess-%d"}`, i))
	}
	before := srv.App.Passwords.BcryptCompares()
	out := MustRace(t, "handleLogin", reqs)
	compares := srv.App.Passwords.BcryptCompares() - before
	counts := countStatus(out)
	if counts[401] != 10 || counts[429] != n-10 {
		t.Fatalf("answers %v, want 10 × 401 and %d × 429", counts, n-10)
	}
	if compares != 10 {
		t.Fatalf("%d bcrypt compares for %d held wrong passwords, want 10", compares, n)
	}
	for _, o := range out {
		if o.status == 429 && o.retryAfter == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if got := metricValue(t, srv, `ctfg_rate_limited_total{limiter="login_user"}`); got != n-10 {
		t.Errorf("login_user 429s counted %v, want %d", got, n-10)
	}
	if got := metricValue(t, srv, `ctfg_logins_total{result="failed"}`); got != 10 {
		t.Errorf("failed logins counted %v, want 10", got)
	}
	// The right password needs a token too: locked until one refills.
	c := srv.NewClient()
	if status, _ := c.Do(t, "POST", "/api/login", map[string]string{"username": "zed", "password": "zed-password"}); status != 429 {
		t.Fatalf("right password on an empty per-user bucket: %d, want 429", status)
	}
}

// TestValidLoginsAreNeverCharged: concurrent right passwords for one
// account (a team sharing it), within the burst, all get in and leave the
// buckets as they found them.
func TestValidLoginsAreNeverCharged(t *testing.T) {
	srv := ctftest.MustServer(t, MustBcryptGameDir(t, bcrypt.MinCost), func(c *app.Config) {
		c.Limits.LoginUser = httpapi.Limit{Burst: 3, Every: time.Hour}
		c.Limits.LoginAddr = httpapi.Limit{Burst: 3, Every: time.Hour}
	})
	for round := range 5 {
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := srv.NewClient()
				if status, body := c.Do(t, "POST", "/api/login", map[string]string{"username": "zed", "password": "zed-password"}); status != 200 {
					t.Errorf("round %d: %d %s", round, status, body)
				}
			}()
		}
		wg.Wait()
	}
	// Both buckets are still full: three failures are answered 401.
	c := srv.NewClient()
	for i := range 3 {
		if status, _ := c.Do(t, "POST", "/api/login", map[string]string{"username": "zed", "password": "nope"}); status != 401 {
			t.Fatalf("failure %d after 15 good logins: %d, want 401", i, status)
		}
	}
}

// TestLoginWhileAddressBucketEmpty: SPEC §6 — successful logins are not
// throttled. After one person behind a shared address has used up its
// per-address bucket, the rest of the room still logs in with the right
// password. What guessing from there can still do is bounded: one check
// per username with no recent failures (a failure costs its whole bucket),
// from a spare bucket the size of the address's.
func TestLoginWhileAddressBucketEmpty(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Limits.LoginAddr = httpapi.Limit{Burst: 3, Every: time.Hour}
		c.Limits.LoginUser = httpapi.Limit{Burst: 10, Every: time.Hour}
	})
	login := func(user, pw string) (int, string) {
		t.Helper()
		resp := srv.NewClient().Request(t, "POST", "/api/login", map[string]string{"username": user, "password": pw}, nil)
		var b strings.Builder
		ioCopy(&b, resp)
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	// Someone guesses at dave's account until the address is refused.
	for i := range 3 {
		if st, _ := login("dave", fmt.Sprintf("guess-%d", i)); st != 401 {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	// dave has recent failures: no more checks from this address.
	if st, ra := login("dave", "guess-3"); st != 429 || ra == "" {
		t.Fatalf("guess at dave on an empty address bucket: %d Retry-After %q, want 429", st, ra)
	}
	// The room logs in, bcrypt account included, again and again.
	for range 3 {
		for _, u := range []string{"alice", "bob", "carol"} {
			if st, _ := login(u, ctftest.Players[u]); st != 200 {
				t.Fatalf("%s with the right password while the address bucket is empty: %d, want 200", u, st)
			}
		}
	}
	if got := metricValue(t, srv, `ctfg_rate_limited_total{limiter="login_addr"}`); got != 1 {
		t.Errorf("login_addr 429s counted %v, want 1", got)
	}
	// A wrong password there costs the username its whole bucket: erin,
	// who typed hers wrong, waits for a full refill; no second check.
	if st, _ := login("erin", "typo"); st != 401 {
		t.Fatalf("erin's typo: %d, want 401", st)
	}
	if st, _ := login("erin", "erin-pw"); st != 429 {
		t.Fatalf("erin again at once: %d, want 429", st)
	}
	// Spraying usernames: the spare bucket (3, one used by erin) bounds it.
	for i := range 2 {
		if st, _ := login(fmt.Sprintf("ghost%d", i), "x"); st != 401 {
			t.Fatalf("spray %d: %d, want 401", i, st)
		}
	}
	if st, _ := login("ghost9", "x"); st != 429 {
		t.Fatalf("spray past the spare bucket: %d, want 429", st)
	}
}

// TestFailedLoginTimingHidesUsernames: in a game with bcrypt accounts a
// wrong password costs one bcrypt compare whether the username is
// unknown, a plain-text account or a bcrypt account (counted, not timed);
// in a game without, nothing costs a bcrypt compare.
func TestFailedLoginTimingHidesUsernames(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.NewClient()
	pw := srv.App.Passwords
	for _, tc := range []struct {
		user, password string
		status         int
		compares       int64
	}{
		{"mallory", "x", 401, 1},
		{"carol", "x", 401, 1},
		{"alice", "x", 401, 1},
		{"carol", "carol-pw", 200, 1},
		{"carol", "carol-pw", 200, 0}, // remembered
		{"carol", "x", 401, 1},        // still a real compare after a login
		{"alice", "alice-pw", 200, 0},
	} {
		before := pw.BcryptCompares()
		status, _ := c.Do(t, "POST", "/api/login", map[string]string{"username": tc.user, "password": tc.password})
		if got := pw.BcryptCompares() - before; status != tc.status || got != tc.compares {
			t.Errorf("%s/%s: %d with %d bcrypt compares, want %d with %d", tc.user, tc.password, status, got, tc.status, tc.compares)
		}
	}

	// A plain-text game stays fast.
	dir := ctftest.MustGameDir(t)
	creds := "username,password\nalice,alice-pw\nbob,bob-pw\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials.csv"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := ctftest.MustServer(t, dir)
	pc := plain.NewClient()
	for _, u := range []string{"mallory", "alice", "bob"} {
		pc.Do(t, "POST", "/api/login", map[string]string{"username": u, "password": "x"})
	}
	if n := plain.App.Passwords.BcryptCompares(); n != 0 {
		t.Fatalf("plain-text game ran %d bcrypt compares", n)
	}
}

// TestHeldAdminTokensCannotOutrunTheLimit: 40 wrong admin tokens held and
// released together, on the dashboard login and on the old reset
// endpoint, get at most the admin burst checked; the right token is never
// charged.
func TestHeldAdminTokensCannotOutrunTheLimit(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t), func(c *app.Config) {
		c.Limits.Admin = httpapi.Limit{Burst: 10, Every: time.Hour}
		c.TrustProxy = true // one address per phase
	})
	const n = 40
	phase := func(addr, handler string, hold func(i int, h http.Header) *heldRequest) {
		t.Helper()
		reqs := make([]*heldRequest, n)
		for i := range reqs {
			reqs[i] = hold(i, http.Header{"X-Forwarded-For": {addr}})
		}
		out := MustRace(t, handler, reqs)
		counts := countStatus(out)
		if counts[401] != 10 || counts[429] != n-10 {
			t.Fatalf("%s: answers %v, want 10 × 401 and %d × 429", handler, counts, n-10)
		}
		for _, o := range out {
			if o.status == 429 && o.retryAfter == "" {
				t.Fatalf("%s: 429 without Retry-After", handler)
			}
		}
	}
	phase("198.51.100.1", "handleAdminLogin", func(i int, h http.Header) *heldRequest {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		return MustHold(t, srv, "POST", "/admin/login", h, url.Values{"token": {fmt.Sprintf("wrong-%d", i)}}.Encode())
	})
	phase("198.51.100.2", "handleReset", func(i int, h http.Header) *heldRequest {
		h.Set("Content-Type", "application/json")
		return MustHold(t, srv, "POST", "/admin/reset?confirm=yes", h, fmt.Sprintf(`{"token":"wrong-%d"}`, i))
	})
	phase("198.51.100.3", "handleReset", func(i int, h http.Header) *heldRequest {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		return MustHold(t, srv, "POST", "/admin/reset", h, url.Values{"token": {fmt.Sprintf("wrong-%d", i)}, "confirm": {"yes"}}.Encode())
	})
	if got := metricValue(t, srv, `ctfg_rate_limited_total{limiter="admin"}`); got != 3*(n-10) {
		t.Errorf("admin 429s counted %v, want %d", got, 3*(n-10))
	}

	// The right token costs nothing: nine failures, then right tokens
	// (an unconfirmed reset with the right token included), and the
	// tenth failure is still answered.
	c := srv.NewClient()
	from := http.Header{"X-Forwarded-For": {"198.51.100.4"}}
	post := func(token string) int {
		resp := c.Request(t, "POST", "/admin/reset", map[string]string{"token": token}, from)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 9 {
		if st := post(fmt.Sprintf("wrong-%d", i)); st != 401 {
			t.Fatalf("failure %d: %d", i, st)
		}
	}
	for range 5 {
		if st := post(ctftest.AdminToken); st != 400 { // right token, no confirm
			t.Fatalf("right token without confirm: %d, want 400", st)
		}
	}
	if st := post("wrong-9"); st != 401 {
		t.Fatalf("tenth failure after right tokens: %d, want 401", st)
	}
	if st := post(ctftest.AdminToken); st != 429 {
		t.Fatalf("empty bucket: %d, want 429", st)
	}
}

// TestRoomLogsInAtOnceOnBcrypt: a room behind one address logging in all
// at once on bcrypt accounts gets in, every one. Each check holds its
// reservations while bcrypt runs, so without the per-address turn-taking
// the checks in flight would empty the address's buckets (5 + 5 spare
// here) and refuse honest logins for each other's sake.
func TestRoomLogsInAtOnceOnBcrypt(t *testing.T) {
	const n = 30
	dir := ctftest.MustGameDir(t)
	creds := "username,password\n"
	for i := range n {
		h, err := bcrypt.GenerateFromPassword([]byte(fmt.Sprintf("room-pw-%d", i)), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		creds += fmt.Sprintf("room%d,%s\n", i, h)
	}
	if err := os.WriteFile(filepath.Join(dir, "credentials.csv"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := ctftest.MustServer(t, dir, func(c *app.Config) {
		c.Limits.LoginAddr = httpapi.Limit{Burst: 5, Every: time.Hour}
	})
	hdr := http.Header{"Content-Type": {"application/json"}}
	reqs := make([]*heldRequest, n)
	for i := range reqs {
		reqs[i] = MustHold(t, srv, "POST", "/api/login", hdr, fmt.Sprintf(`{"username":"room%d","password":"room-pw-%d"}`, i, i))
	}
	out := MustRace(t, "handleLogin", reqs)
	if counts := countStatus(out); counts[200] != n {
		t.Fatalf("a room of %d logging in at once: %v, want all 200", n, counts)
	}
	if got := srv.App.Passwords.BcryptCompares(); got != n {
		t.Errorf("%d bcrypt compares for %d first logins", got, n)
	}
}
