package emulate

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

func TestBucketIndexRoundTrip(t *testing.T) {
	for _, sub := range []uint{3, 6} {
		prev := -1
		for _, v := range []uint64{0, 1, 7, 8, 63, 64, 65, 127, 128, 1000, 123456, 1 << 30, maxHistMicros} {
			i := bucketIndex(v, sub)
			low, width := bucketBounds(i, sub)
			if v < low || v >= low+width {
				t.Fatalf("sub %d: %d landed in bucket %d = [%d,%d)", sub, v, i, low, low+width)
			}
			if i < prev {
				t.Fatalf("sub %d: bucket index not monotonic at %d", sub, v)
			}
			prev = i
		}
		if got := bucketIndex(maxHistMicros, sub); got >= len(newHistogram(sub).counts) {
			t.Fatalf("sub %d: max value index %d out of range", sub, got)
		}
	}
}

// The histogram's percentiles must agree with exact sorted-sample
// percentiles within its resolution.
func TestHistogramMatchesSortedSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := newHistogram(6)
	var sample []float64
	for range 100000 {
		// Log-normal-ish latencies between ~50 µs and a few seconds.
		us := math.Exp(rng.NormFloat64()*1.5 + 7)
		d := time.Duration(us * float64(time.Microsecond))
		h.record(d)
		sample = append(sample, float64(micros(d)))
	}
	slices.Sort(sample)
	st := h.stats()
	if st.Count != uint64(len(sample)) {
		t.Fatalf("count %d, want %d", st.Count, len(sample))
	}
	exact := func(p float64) float64 { return sample[int(math.Ceil(p*float64(len(sample))))-1] / 1000 }
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"p50", st.P50MS, exact(0.50)},
		{"p95", st.P95MS, exact(0.95)},
		{"p99", st.P99MS, exact(0.99)},
		{"max", st.MaxMS, sample[len(sample)-1] / 1000},
	} {
		if rel := math.Abs(c.got-c.want) / c.want; rel > 0.02 {
			t.Errorf("%s = %.3f ms, exact %.3f ms (%.1f%% off)", c.name, c.got, c.want, rel*100)
		}
	}
	var sum float64
	for _, v := range sample {
		sum += v
	}
	if mean := sum / float64(len(sample)) / 1000; math.Abs(st.MeanMS-mean) > 0.001 {
		t.Errorf("mean %.4f, want %.4f", st.MeanMS, mean)
	}
}

func TestHistogramEmptyAndRecordDoesNotAllocate(t *testing.T) {
	h := newHistogram(6)
	if st := h.stats(); st != (LatencyStats{}) {
		t.Fatalf("empty stats = %+v", st)
	}
	if n := testing.AllocsPerRun(1000, func() { h.record(1234 * time.Microsecond) }); n != 0 {
		t.Fatalf("record allocates %.1f times", n)
	}
	h.record(-time.Second) // clock steps must not underflow
	if h.stats().MaxMS != 1.234 {
		t.Fatalf("max = %v", h.stats().MaxMS)
	}
}

func TestTimelinePoints(t *testing.T) {
	start := time.Unix(1000, 0)
	tl := newTimeline(start)
	for i := range 10 {
		tl.record(start.Add(time.Duration(i)*time.Second+time.Millisecond), 10*time.Millisecond, i == 3)
		tl.record(start.Add(time.Duration(i)*time.Second+2*time.Millisecond), 30*time.Millisecond, false)
	}
	tl.record(start.Add(-time.Second), time.Millisecond, false)   // before the start: first slot
	tl.record(start.Add(1000*time.Hour), time.Millisecond, false) // far beyond: last slot, no panic
	pts := tl.points(10*time.Second, 20)
	if len(pts) != 6 {
		t.Fatalf("%d points, want 6: %+v", len(pts), pts)
	}
	if pts[0].Count != 5 || pts[0].PerSec != 2.5 || pts[0].T != 0 || pts[1].T != 2 {
		t.Fatalf("first points %+v", pts[:2])
	}
	if pts[1].Errors != 1 {
		t.Fatalf("errors of second bucket = %d", pts[1].Errors)
	}
	if pts[1].MaxMS != 30 || pts[1].MeanMS != 20 {
		t.Fatalf("bucket stats %+v", pts[1])
	}
	if pts[5].Count != 0 || pts[5].PerSec != 0 {
		t.Fatalf("last bucket %+v", pts[5])
	}
	fine := tl.points(2*time.Second, 1)
	if len(fine) != 21 || fine[0].Count != 3 || fine[1].Count != 0 || fine[10].Count != 2 || fine[10].PerSec != 20 {
		t.Fatalf("100 ms points %+v", fine)
	}
	for _, c := range []struct {
		dur  time.Duration
		want int
	}{{time.Second, 1}, {14 * time.Second, 1}, {15 * time.Second, 10}, {200 * time.Second, 20}, {time.Hour, 320}} {
		if got := bucketSlots(c.dur); got != c.want {
			t.Errorf("bucketSlots(%v) = %d, want %d", c.dur, got, c.want)
		}
	}
}

func TestCheckObjectShapes(t *testing.T) {
	for _, c := range []struct {
		body   string
		fields []field
		ok     bool
	}{
		{`{"displayname":null,"needs_name":true,"websocket_url":"ws://x/scorestream?token=a"}`, loginShape, true},
		{`{"displayname":"A","needs_name":false,"websocket_url":"ws://x"}`, loginShape, true},
		{`{"needs_name":true,"websocket_url":"ws://x"}`, loginShape, false},
		{`{"displayname":1,"needs_name":true,"websocket_url":"ws://x"}`, loginShape, false},
		{`{"displayname":"A","needs_name":"no","websocket_url":"ws://x"}`, loginShape, false},
		{`{"result":"correct","points":1.5}`, []field{req("points", kInt)}, false},
		{`{"result":"correct","points":100}`, []field{req("points", kInt)}, true},
		{`[1]`, resultShape, false},
		{`null`, resultShape, false},
		{`{"text":"x","result":"ok"}`, hintReplyShape, false},
	} {
		_, err := checkObject([]byte(c.body), c.fields...)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok %v", c.body, err, c.ok)
		}
	}
}

func TestParseChallenges(t *testing.T) {
	list, err := parseChallenges([]byte(`[{"id":1,"title":"A","category":"c","difficulty":"easy","points":100,"solved":false,
		"description":"d","hints":[{"id":2,"cost":5},{"id":1,"cost":0,"text":"t"}],"content":null}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != 1 || list[0].Points != 100 || len(list[0].Hints) != 2 {
		t.Fatalf("parsed %+v", list)
	}
	if h, ok := nextHint(list[0], nil); !ok || h.ID != 2 || h.Cost != 5 {
		t.Fatalf("next hint %+v %v", h, ok)
	}
	for _, bad := range []string{
		`{}`, `null`,
		`[{"id":1,"title":"A","category":"c","difficulty":"easy","points":100,"solved":false,"description":"d","hints":[]}]`, // no content
		`[{"id":"1","title":"A","category":"c","difficulty":"easy","points":100,"solved":false,"description":"d","hints":[],"content":""}]`,
		`[{"id":1,"title":"A","category":"c","difficulty":"easy","points":100,"solved":false,"description":"d","hints":[{"id":1}],"content":""}]`,
	} {
		if _, err := parseChallenges([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// The listing cache answers repeated bytes with the first parse and never
// remembers a malformed listing.
func TestListCache(t *testing.T) {
	var c listCache
	body := []byte(`[{"id":1,"title":"A","category":"c","difficulty":"easy","points":100,"solved":false,"description":"d","hints":[],"content":null}]`)
	a, err := c.parse(body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.parse(append([]byte(nil), body...))
	if err != nil || &a[0] != &b[0] {
		t.Fatalf("second parse of the same bytes not served from the cache: %v", err)
	}
	bad := []byte(`[{"id":"1"}]`)
	for range 2 {
		if _, err := c.parse(bad); err == nil {
			t.Fatal("malformed listing accepted")
		}
	}
	if len(c.m) != 1 {
		t.Errorf("cache holds %d listings, want 1", len(c.m))
	}
}

func testGame() map[int]*game.Challenge {
	return map[int]*game.Challenge{
		1: {ID: 1, Title: "one", Points: 100, Hints: []game.Hint{{ID: 1, Cost: 10}}},
		2: {ID: 2, Title: "two", Points: 200, Requirements: []int{1}},
		3: {ID: 3, Title: "three", Points: 300, Requirements: []int{1, 2}},
	}
}

func TestCheckListing(t *testing.T) {
	byID := testGame()
	h := []listedHint{{ID: 1, Cost: 10}}
	for _, c := range []struct {
		name  string
		list  []listedChallenge
		known map[int]bool
		kind  string
	}{
		{"start", []listedChallenge{{ID: 1, Title: "one", Points: 100, Hints: h}}, nil, ""},
		{"unlocked", []listedChallenge{{ID: 1, Title: "one", Points: 100, Solved: true, Hints: h}, {ID: 2, Title: "two", Points: 200}}, map[int]bool{1: true}, ""},
		{"missing", []listedChallenge{{ID: 1, Title: "one", Points: 100, Solved: true, Hints: h}}, nil, "available challenge missing"},
		{"locked", []listedChallenge{{ID: 1, Title: "one", Points: 100, Hints: h}, {ID: 2, Title: "two", Points: 200}}, nil, "locked challenge listed"},
		{"unknown", []listedChallenge{{ID: 9}}, nil, "unknown challenge"},
		{"points", []listedChallenge{{ID: 1, Title: "one", Points: 99, Hints: h}}, nil, "challenge differs"},
		{"hints", []listedChallenge{{ID: 1, Title: "one", Points: 100}}, nil, "challenge differs"},
		{"not shown", []listedChallenge{{ID: 1, Title: "one", Points: 100, Hints: h}}, map[int]bool{1: true}, "solve not shown"},
		{"dup", []listedChallenge{{ID: 1, Title: "one", Points: 100, Hints: h}, {ID: 1, Title: "one", Points: 100, Hints: h}}, nil, "duplicate challenge"},
	} {
		kind, err := checkListing(c.list, byID, c.known)
		if kind != c.kind || (err == nil) != (c.kind == "") {
			t.Errorf("%s: kind %q err %v, want %q", c.name, kind, err, c.kind)
		}
	}
}

// collect parses frame and returns copies of its events.
func collect(p *frameParser, frame string) ([]streamEvent, error) {
	var out []streamEvent
	err := p.parse([]byte(frame), func(ev *streamEvent) { out = append(out, *ev) })
	return out, err
}

func TestFrameParser(t *testing.T) {
	var p frameParser
	frame := `[{"id":124,"type":"score","player_id":7,"displayname":"Al\"ice","ts":1700000000000,"challenge_id":3,"challenge":"The Suspect's Age","points":150,"extra":{"a":[1,2,{"b":null}]}},
	 {"id":125,"type":"hint","player_id":7,"displayname":"Alice","ts":1700000000100,"challenge_id":3,"challenge":"x","hint_id":1,"points":-15},
	 {"id":126,"type":"rename","player_id":7,"displayname":"Alice B","ts":1700000000200},
	 {"type":"system","event":"reset","logout":true}]`
	events, err := collect(&p, frame)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 4 {
		t.Fatalf("%d events", len(events))
	}
	e := events[0]
	if e.ID != 124 || e.Type != "score" || e.PlayerID != 7 || e.TS != 1700000000000 || e.ChallengeID != 3 || e.Points != 150 {
		t.Fatalf("score event %+v", e)
	}
	if events[1].Points != -15 || events[1].HintID != 1 || events[3].Event != "reset" {
		t.Fatalf("events %+v", events)
	}
	for i := range events {
		if err := events[i].checkShape(); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
	}
	// The fast parser must agree with encoding/json on what it reads.
	var std []map[string]any
	if err := json.Unmarshal([]byte(frame), &std); err != nil {
		t.Fatal(err)
	}
	for i, m := range std {
		if id, ok := m["id"].(float64); ok && int64(id) != events[i].ID {
			t.Errorf("event %d id %d, encoding/json %v", i, events[i].ID, id)
		}
	}

	if _, err := collect(&p, `[{"type":"snapshot","last_id":3,"players":[{"a":1}],"series":[],"events":[]}]`); err != errSnapshot {
		t.Fatalf("snapshot frame: %v", err)
	}
	if events, err := collect(&p, " [ ] "); err != nil || len(events) != 0 {
		t.Fatalf("empty frame: %v %d", err, len(events))
	}
	for _, bad := range []string{``, `{}`, `[1]`, `[{"id":1}`, `[{"id":1}] x`, `[{"id":"x}]`, `[{"id":tru}]`} {
		if _, err := collect(&p, bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestFieldIndex(t *testing.T) {
	for i, f := range evFieldNames {
		if got := fieldIndex([]byte(f.name)); got != i {
			t.Errorf("fieldIndex(%q) = %d, want %d", f.name, got, i)
		}
	}
	if fieldIndex([]byte("nope")) != -1 {
		t.Error("unknown key found")
	}
}

func TestEventShape(t *testing.T) {
	var p frameParser
	for _, c := range []struct {
		frame string
		ok    bool
	}{
		{`[{"id":1,"type":"score","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","points":1}]`, true},
		{`[{"id":1,"type":"score","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c"}]`, false},              // no points
		{`[{"id":1.5,"type":"score","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","points":1}]`, false}, // float id
		{`[{"id":"1","type":"score","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","points":1}]`, false}, // string id
		{`[{"id":1,"type":"hint","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","points":-1}]`, false},   // no hint_id
		{`[{"id":1,"type":"hint","player_id":7,"displayname":"A","ts":1,"challenge_id":3,"challenge":"c","hint_id":1,"points":5}]`, false},
		{`[{"id":1,"type":"bogus"}]`, false},
		{`[{"id":1,"type":"rename","player_id":7,"displayname":null,"ts":1}]`, false},
	} {
		events, err := collect(&p, c.frame)
		if err != nil || len(events) != 1 {
			t.Fatalf("%s: %v", c.frame, err)
		}
		err = events[0].checkShape()
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok %v", c.frame, err, c.ok)
		}
	}
}

func TestParseDoesNotAllocatePerEvent(t *testing.T) {
	frame := []byte(`[{"id":124,"type":"score","player_id":7,"displayname":"Alice","ts":1700000000000,"challenge_id":3,"challenge":"T","points":150},{"id":125,"type":"score","player_id":8,"displayname":"Bob","ts":1700000000000,"challenge_id":3,"challenge":"T","points":150}]`)
	var p frameParser
	var ids int64
	sum := func(ev *streamEvent) { ids += ev.ID }
	if n := testing.AllocsPerRun(100, func() { _ = p.parse(frame, sum) }); n != 0 {
		t.Fatalf("parse allocates %.1f times per frame", n)
	}
	if ids != 101*(124+125) {
		t.Fatalf("events seen: id sum %d", ids)
	}
}

func TestSnapshotApply(t *testing.T) {
	r := &runner{cfg: Config{Players: 3}, errs: map[string]int{}, samples: map[string]string{}, delay: newShardedHistogram(6, 2)}
	s := newStreamClient(&player{r: r})
	snap := `[{"type":"snapshot","last_id":10,
	  "players":[{"rank":1,"player_id":2,"displayname":"B","score":300,"solves":2,"last_solve_ts":5},{"rank":2,"player_id":1,"displayname":"A","score":90,"solves":1,"last_solve_ts":4}],
	  "series":[{"player_id":2,"displayname":"B","points":[[1,100],[5,300]]}],
	  "events":[{"id":10,"type":"score","player_id":2,"displayname":"B","ts":5,"challenge_id":2,"challenge":"two","points":200}]}]`
	if err := s.handle([]byte(snap), time.Now()); err != nil {
		t.Fatal(err)
	}
	// An event already in the snapshot is ignored; later ones count once.
	ev := func(id, pid int, pts int) string {
		return `{"id":` + itoa(id) + `,"type":"score","player_id":` + itoa(pid) + `,"displayname":"x","ts":1,"challenge_id":1,"challenge":"c","points":` + itoa(pts) + `}`
	}
	_ = s.handle([]byte("["+ev(10, 2, 200)+","+ev(11, 1, 100)+"]"), time.Now())
	_ = s.handle([]byte("["+ev(11, 1, 100)+","+ev(12, 5000000, 7)+"]"), time.Now())
	if len(r.errs) != 0 {
		t.Fatalf("errors %v %v", r.errs, r.samples)
	}
	if s.solvesOf(1) != 2 || s.solvesOf(2) != 2 || s.solvesOf(5000000) != 1 || s.solvesOf(3) != 0 {
		t.Fatalf("counts 1:%d 2:%d big:%d", s.solvesOf(1), s.solvesOf(2), s.solvesOf(5000000))
	}
	if s.sumSolves != 5 || s.sumScore != 497 || s.lastID.Load() != 12 {
		t.Fatalf("sums %d %d last %d", s.sumSolves, s.sumScore, s.lastID.Load())
	}
	// A snapshot with a wrong standing is a shape error.
	s2 := newStreamClient(&player{r: r})
	_ = s2.handle([]byte(`[{"type":"snapshot","last_id":1,"players":[{"player_id":"x"}],"series":[],"events":[]}]`), time.Now())
	if r.errs["stream: wrong snapshot shape"] != 1 {
		t.Fatalf("errors %v", r.errs)
	}
	// Events before any snapshot are a deviation.
	_ = s2.handle([]byte("["+ev(3, 1, 1)+"]"), time.Now())
	if r.errs["stream: event before snapshot"] != 1 {
		t.Fatalf("errors %v", r.errs)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestFindAssets(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:8080/")
	page := `<!doctype html><link rel="stylesheet" href="/assets/app.1a2b.css"><link rel=icon href=/images/favicon.png>
	<script type="module" src='/assets/app.3c4d.js'></script><script src="js/old.js"></script>
	<a href="https://cdn.example.com/assets/x.js">x</a><script src="//evil.example/js/y.js"></script>
	<link href="/css/site.css?v=2"><link href="/assets/app.1a2b.css">`
	got := findAssets([]byte(page), base)
	want := []string{"/assets/app.1a2b.css", "/assets/app.3c4d.js", "/js/old.js", "/css/site.css?v=2"}
	if !slices.Equal(got, want) {
		t.Fatalf("assets %q, want %q", got, want)
	}
}

func TestDisplayNamesAreValidAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for n := 1; n <= 12000; n++ {
		name := displayName("aaaa0f", n)
		v, err := game.ValidateName(name)
		if err != nil || v != name {
			t.Fatalf("player %d: name %q invalid: %v", n, name, err)
		}
		if seen[game.NameKey(name)] {
			t.Fatalf("name %q repeats", name)
		}
		seen[game.NameKey(name)] = true
	}
}

func TestRedact(t *testing.T) {
	for _, s := range []string{
		`{"websocket_url":"ws://h/scorestream?token=SECRET123"}`,
		`password=SECRET123&x=1`,
		`{"password": "SECRET123"}`,
	} {
		if got := redact(s); strings.Contains(got, "SECRET123") {
			t.Errorf("redact(%s) = %s", s, got)
		}
	}
}

func testResult() *Result {
	tp := []TimePoint{{T: 0, Count: 10, PerSec: 10, P50MS: 1, P95MS: 2, P99MS: 3, MaxMS: 4}, {T: 1, Count: 20, PerSec: 20, P50MS: 1.5, P95MS: 2.5, P99MS: 5, MaxMS: 9}}
	return &Result{
		URL: "http://127.0.0.1:1", Players: 2, PlayersDone: 1, WallSec: 2, Flags: 3, FlagsPerSec: 1.5,
		Errors:       map[string]int{"POST /api/submit: HTTP 500": 2, "stream: <missed>": 1},
		ErrorSamples: map[string]string{"POST /api/submit: HTTP 500": `POST /api/submit {"id":1} → 500 <b>`},
		Endpoints: []EndpointStats{
			{Name: "POST /api/submit", LatencyStats: LatencyStats{Count: 30, MeanMS: 1, P50MS: 1, P95MS: 2, P99MS: 5, MaxMS: 9}, Timeline: tp},
			{Name: "GET /api/challenges", LatencyStats: LatencyStats{Count: 5, MeanMS: 0.2, P50MS: 0.1, P95MS: 0.3, P99MS: 0.4, MaxMS: 0.5}, Timeline: tp[:1]},
		},
		WSConnect:  LatencyStats{Count: 2, P50MS: 3},
		EventDelay: LatencyStats{Count: 6, P50MS: 1},
		Throughput: tp, BucketSec: 1,
	}
}

func TestReportIsSelfContained(t *testing.T) {
	res := testResult()
	page := res.HTML()
	for _, bad := range []string{"<script", "http://", "https://cdn", "src="} {
		if bad == "http://" {
			// Only the SVG namespace and the escaped server URL may appear.
			page2 := strings.ReplaceAll(page, "http://www.w3.org/2000/svg", "")
			page2 = strings.ReplaceAll(page2, "http://127.0.0.1:1", "")
			if strings.Contains(page2, bad) {
				t.Errorf("report refers to an external URL")
			}
			continue
		}
		if strings.Contains(page, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	if n := strings.Count(page, "<svg"); n != 4 {
		t.Errorf("%d charts, want 4", n)
	}
	for _, want := range []string{"failed with 3 errors", "stream: &lt;missed&gt;", "→ 500 &lt;b&gt;", "POST /api/submit", "polyline"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	res := testResult()
	if err := res.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Errors["POST /api/submit: HTTP 500"] != 2 || len(back.Endpoints) != 2 || back.Endpoints[0].P99MS != 5 || len(back.Endpoints[0].Timeline) != 2 {
		t.Fatalf("metrics.json round trip: %+v", back)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := res.WriteSummary(&sb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FAILED (3 errors)", "POST /api/submit", "event delivery", "e.g. POST /api/submit"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sb.String())
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		max  float64
		last float64
	}{{0, 1}, {7.3, 8}, {95, 100}, {1234, 1500}, {0.042, 0.05}} {
		ticks := niceTicks(c.max, 5)
		if ticks[0] != 0 || math.Abs(ticks[len(ticks)-1]-c.last) > 1e-9 || ticks[len(ticks)-1] < c.max {
			t.Errorf("niceTicks(%v) = %v", c.max, ticks)
		}
	}
}

func TestNewRunnerRejectsBadConfig(t *testing.T) {
	users := []game.User{{Username: "u", Password: "p"}}
	chs := []*game.Challenge{{ID: 1, Title: "a", Flag: "^a$", TestFlag: "a"}}
	for name, cfg := range map[string]Config{
		"no players":   {URL: "http://127.0.0.1:1", Players: 0, Users: users, Challenges: chs},
		"too many":     {URL: "http://127.0.0.1:1", Players: 2, Users: users, Challenges: chs},
		"bad url":      {URL: "127.0.0.1:1", Players: 1, Users: users, Challenges: chs},
		"no testflag":  {URL: "http://127.0.0.1:1", Players: 1, Users: users, Challenges: []*game.Challenge{{ID: 1}}},
		"bcrypt":       {URL: "http://127.0.0.1:1", Players: 1, Users: []game.User{{Username: "u", Password: "$2a$10$abcdefghijklmnopqrstuv"}}, Challenges: chs},
		"negative":     {URL: "http://127.0.0.1:1", Players: 1, Users: users, Challenges: chs, Jitter: -1},
		"unknown reqs": {URL: "http://127.0.0.1:1", Players: 1, Users: users, Challenges: []*game.Challenge{{ID: 1, TestFlag: "a", Requirements: []int{2}}}},
	} {
		if _, err := newRunner(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// BenchmarkHandleFrame measures what one socket spends per live frame of
// 40 score events, the average coalescing seen at 2,000 players.
func BenchmarkHandleFrame(b *testing.B) {
	r := &runner{cfg: Config{Players: 2000}, errs: map[string]int{}, samples: map[string]string{}, delay: newShardedHistogram(6, 8)}
	s := newStreamClient(&player{r: r})
	s.synced = true
	var frame strings.Builder
	frame.WriteString("[")
	for i := range 40 {
		if i > 0 {
			frame.WriteString(",")
		}
		frame.WriteString(`{"id":` + strconv.Itoa(i+1) + `,"type":"score","player_id":` + strconv.Itoa(i*37%2000) + `,"displayname":"emu 0a1b2c 1234","ts":1700000000000,"challenge_id":3,"challenge":"The Suspect's Age","points":150}`)
	}
	frame.WriteString("]")
	data := []byte(frame.String())
	now := time.Now()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s.lastID.Store(0)
		_ = s.handle(data, now)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*40), "ns/event")
}

func TestFrameParserEscapes(t *testing.T) {
	var p frameParser
	frame := `[{"displayname":"back\\","challenge":"q\"uote\\\"","id":5,"type":"rename","player_id":1,"ts":2}]`
	events, err := collect(&p, frame)
	if err != nil || len(events) != 1 || events[0].ID != 5 || events[0].Type != "rename" {
		t.Fatalf("events %+v, err %v", events, err)
	}
	if _, err := collect(&p, `[{"displayname":"open\"}]`); err == nil {
		t.Fatal("accepted an unterminated string")
	}
}

// Live frames are parsed once per distinct bytes; snapshots and malformed
// frames keep their meaning.
func TestFrameCache(t *testing.T) {
	var c frameCache
	live := []byte(`[{"id":7,"type":"score","player_id":2,"displayname":"b","ts":1,"challenge_id":1,"challenge":"one","points":100}]`)
	a := c.get(live)
	b := c.get(append([]byte(nil), live...))
	if a != b || a.err != nil || a.snapshot || len(a.events) != 1 || a.events[0].ID != 7 || a.events[0].PlayerID != 2 {
		t.Fatalf("live frame: %+v / %+v", a, b)
	}
	snap := []byte(`[{"type":"snapshot","last_id":7,"players":[],"series":[],"events":[]}]`)
	if pf := c.get(snap); !pf.snapshot {
		t.Fatalf("snapshot not recognised: %+v", pf)
	}
	if pf := c.get([]byte(`[{"id":`)); pf.err == nil {
		t.Fatal("malformed frame parsed without error")
	}
	if _, ok := c.cur[string(snap)]; ok {
		t.Error("snapshot kept in the cache")
	}
	// Generations bound the cache.
	for i := range 3 * frameCacheGen {
		c.get(fmt.Appendf(nil, `[{"id":%d,"type":"rename","player_id":1,"displayname":"x","ts":1}]`, i))
	}
	if n := len(c.cur) + len(c.prev); n > 2*frameCacheGen {
		t.Errorf("cache holds %d frames", n)
	}
}

// A server may close a kept-alive connection just as the next request goes
// out on it. The emulator resends idempotent API calls then, as browsers
// do, and counts them; other requests fail as before.
func TestResendOnClosedKeepAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// Each connection answers one request with a kept-alive 200, then
	// closes without a word once the next request has arrived.
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				body := `{"result":"ok"}`
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				br.Peek(1) // the next request: drop it with the connection
			}()
		}
	}()
	users := []game.User{{Username: "u", Password: "p"}}
	chs := []*game.Challenge{{ID: 1, Title: "a", Flag: "^a$", TestFlag: "a"}}
	r, err := newRunner(Config{URL: "http://" + ln.Addr().String(), Players: 1, Users: users, Challenges: chs, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := newPlayer(r, 0, 0)
	ctx := context.Background()
	for i := range 3 {
		if rep := p.do(ctx, epSubmit, "POST", "/api/submit", map[string]any{"id": 1, "flag": "a"}, false); rep == nil || rep.status != 200 {
			t.Fatalf("submit %d failed: %v", i, r.errs)
		}
	}
	if got := r.resent.Load(); got != 2 {
		t.Errorf("%d submissions resent, want 2 (each after the first met a closed connection)", got)
	}
	// Logins are not idempotent: a closed connection is an error.
	p.do(ctx, epLogin, "POST", "/api/login", map[string]string{"username": "u", "password": "p"}, false)
	if r.errorsTotal.Load() != 1 {
		t.Errorf("login on a closed connection: %d errors, want 1 (%v)", r.errorsTotal.Load(), r.errs)
	}
	for k, v := range r.samples {
		if strings.Contains(v, "password") && strings.Contains(v, `"p"`) {
			t.Errorf("error sample %q holds the password: %s", k, v)
		}
	}
}
