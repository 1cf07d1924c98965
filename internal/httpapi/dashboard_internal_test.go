package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/sqlite"
	"github.com/ctfg/ctfg/internal/stream"
	"github.com/ctfg/ctfg/internal/views"
)

func score(id, user int64, chal int, ts time.Time) game.Event {
	return game.Event{ID: id, Type: game.EventScore, UserID: user, ChallengeID: chal, Points: 10, TS: ts.UnixMilli()}
}

func TestAdminSessionsExpireAndAreBounded(t *testing.T) {
	var a adminSessions
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	tok := a.create(t0)
	sess, ok := a.get(tok, t0.Add(adminSessionTTL-time.Second), false)
	if !ok || len(sess.csrf) < 32 || sess.csrf == tok {
		t.Fatalf("fresh session: %v %+v", ok, sess)
	}
	for _, bad := range []string{"", tok + "x", tok[:len(tok)-1], sess.csrf} {
		if _, ok := a.get(bad, t0, false); ok {
			t.Errorf("token %q accepted", bad)
		}
	}
	a.setFlash(tok, "hello")
	if s, _ := a.get(tok, t0, true); s.flash != "hello" {
		t.Errorf("flash %q", s.flash)
	}
	if s, _ := a.get(tok, t0, true); s.flash != "" {
		t.Errorf("flash shown twice")
	}
	if _, ok := a.get(tok, t0.Add(adminSessionTTL), false); ok {
		t.Error("session alive after its TTL")
	}
	// Many logins: the oldest go, the newest stay.
	var toks []string
	for i := range maxAdminSessions + 10 {
		toks = append(toks, a.create(t0.Add(time.Duration(i)*time.Second)))
	}
	if len(a.m) != maxAdminSessions {
		t.Errorf("%d sessions kept, want %d", len(a.m), maxAdminSessions)
	}
	now := t0.Add(time.Hour)
	if _, ok := a.get(toks[0], now, false); ok {
		t.Error("the oldest session survived the cap")
	}
	if _, ok := a.get(toks[len(toks)-1], now, false); !ok {
		t.Error("the newest session was dropped")
	}
	a.end(toks[len(toks)-1])
	if _, ok := a.get(toks[len(toks)-1], now, false); ok {
		t.Error("ended session still valid")
	}
}

func TestFormatters(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for secs, want := range map[int64]string{59: "0m 59s", 3600: "1h 0m", 90061: "1d 1h 1m"} {
		if got := formatUptime(secs); got != want {
			t.Errorf("formatUptime(%d) = %q, want %q", secs, got, want)
		}
	}
	if got := formatClock(time.Date(2025, 5, 1, 13, 4, 5, 0, time.UTC).UnixMilli()); got != "13:04:05 UTC" {
		t.Errorf("formatClock = %q", got)
	}
	if retryAfterSeconds(1500*time.Millisecond) != "2" || retryAfterSeconds(0) != "1" {
		t.Error("retryAfterSeconds does not round up to whole seconds")
	}
}

// benchSource is the app's AdminSource over real parts.
type benchSource struct {
	db    *sqlite.DB
	hub   *stream.Hub
	stats *views.SolveStats
	start time.Time
}

func (b benchSource) Online() (int, int)          { return b.hub.Players(), b.hub.Clients() }
func (b benchSource) StorageSize() (int64, int64) { return b.db.Size(), b.db.WALSize() }
func (b benchSource) Submissions(ctx context.Context, f store.SubmissionFilter) ([]store.Submission, error) {
	return b.db.Submissions(ctx, f)
}
func (b benchSource) Solves(now time.Time) views.SolveSummary { return b.stats.Summary(now) }
func (b benchSource) Version() string                         { return "bench" }
func (b benchSource) Started() time.Time                      { return b.start }

// mustBigGame builds a server over a real database with players players
// who each set a name and solve solvesEach of challenges challenges, plus
// wrong wrong guesses.
func mustBigGame(tb testing.TB, players, challenges, solvesEach, wrong int) *Server {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	chals := make([]*game.Challenge, challenges)
	for i := range chals {
		chals[i] = &game.Challenge{ID: i + 1, Title: fmt.Sprintf("Challenge %d", i+1), Category: "Misc", Points: 100, Flag: "^x$"}
	}
	users := make([]game.User, players)
	names := make([]string, players)
	for i := range users {
		names[i] = fmt.Sprintf("player%d", i)
		users[i] = game.User{Username: names[i], Password: "pw"}
	}
	ids, err := db.SyncUsers(ctx, names)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	var evs []game.Event
	var gs []store.Submission
	flush := func() {
		if _, err := db.Append(ctx, evs); err != nil {
			tb.Fatal(err)
		}
		if err := db.RecordSubmissions(ctx, gs); err != nil {
			tb.Fatal(err)
		}
		evs, gs = evs[:0], gs[:0]
	}
	for i, name := range names {
		id := ids[name]
		evs = append(evs, game.Event{Type: game.EventRename, UserID: id, Name: fmt.Sprintf("Player %d", i), TS: now.UnixMilli()})
		for k := range solvesEach {
			ts := now.Add(-time.Duration((i*solvesEach+k)%900) * time.Second)
			evs = append(evs, game.Event{Type: game.EventScore, UserID: id, ChallengeID: (i*7+k)%challenges + 1, Points: 100, TS: ts.UnixMilli()})
		}
		for range wrong / players {
			gs = append(gs, store.Submission{UserID: id, Challenge: i%challenges + 1, Result: store.ResultIncorrect, Address: "198.51.100.4", Guess: "flag{not-quite}", TS: now})
		}
		if len(evs) >= 4000 {
			flush()
		}
	}
	flush()
	stats := views.NewSolveStats()
	if err := db.Events(ctx, 0, func(ev game.Event) error { stats.Apply([]game.Event{ev}); return nil }); err != nil {
		tb.Fatal(err)
	}
	eng, err := engine.Open(ctx, engine.Config{Store: db, Challenges: chals, Users: users})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(eng.Close)
	hub := stream.NewHub(stream.Config{}, nil, nil)
	return New(Config{Engine: eng, AdminToken: "t", Admin: benchSource{db: db, hub: hub, stats: stats, start: now}})
}

// BenchmarkAdminStats computes the dashboard's data, uncached, for 5,000
// players (all active, 5 solves each) and 100 challenges, with 20,000
// wrong guesses stored.
func BenchmarkAdminStats(b *testing.B) {
	s := mustBigGame(b, 5000, 100, 5, 20000)
	ctx := context.Background()
	st := s.computeStats(ctx, time.Now())
	if st.PlayersActive != 5000 || st.Solves != 25000 || len(st.Challenges) != 100 || len(st.Wrong) != dashboardWrong {
		b.Fatalf("setup: active %d, solves %d, challenges %d, wrong %d", st.PlayersActive, st.Solves, len(st.Challenges), len(st.Wrong))
	}
	b.ResetTimer()
	for b.Loop() {
		s.computeStats(ctx, time.Now())
	}
}

// BenchmarkAdminStatsRequest is GET /admin/api/stats as a logged-in
// admin polls it: cached stats, encoded to JSON.
func BenchmarkAdminStatsRequest(b *testing.B) {
	s := mustBigGame(b, 5000, 100, 5, 20000)
	tok := s.dash.sessions.create(time.Now())
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/admin/api/stats", nil)
		req.AddCookie(&http.Cookie{Name: AdminCookie, Value: tok})
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkAdminDashboard is GET /admin as an admin opens it in a game of
// 3,000 players (all active, 5 solves each) and 100 challenges: the
// whole page rendered with the first page of the players list, and with
// a search that scans every name.
func BenchmarkAdminDashboard(b *testing.B) {
	s := mustBigGame(b, 3000, 100, 5, 6000)
	tok := s.dash.sessions.create(time.Now())
	for _, bc := range []struct{ name, query, want string }{
		{"first page", "", "3000 players · page 1 of 60"},
		{"search", "?q=" + url.QueryEscape("PLAYER 29"), "111 matching players · page 1 of 3"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			get := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", "/admin"+bc.query, nil)
				req.AddCookie(&http.Cookie{Name: AdminCookie, Value: tok})
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				return w
			}
			if w := get(); w.Code != 200 || !strings.Contains(w.Body.String(), bc.want) {
				b.Fatalf("%d, want %q in the page", w.Code, bc.want)
			}
			b.ResetTimer()
			for b.Loop() {
				if w := get(); w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
