package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctfg/ctfg/internal/emulate"
)

func TestSpliceSection(t *testing.T) {
	doc := []byte("# Benchmarks\n\nhand-written intro\n")
	once, err := spliceSection(doc, []byte("first run\n"))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := spliceSection(once, []byte("second run"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(twice)
	if strings.Contains(s, "first run") || !strings.Contains(s, "second run") || !strings.Contains(s, "hand-written intro") {
		t.Fatalf("splice kept the wrong text:\n%s", s)
	}
	if strings.Count(s, beginMarker) != 1 || strings.Count(s, endMarker) != 1 || !strings.HasPrefix(s, "# Benchmarks\n") {
		t.Fatalf("markers or title wrong:\n%s", s)
	}
	if _, err := spliceSection([]byte("# B\n"+beginMarker+"\n"), []byte("x")); err == nil {
		t.Error("a lone marker was accepted")
	}
}

func TestRouteLatency(t *testing.T) {
	m := `# HELP x
ctfg_http_request_duration_seconds_bucket{code="200",route="POST /api/submit",le="0.01"} 90
ctfg_http_request_duration_seconds_bucket{code="200",route="POST /api/submit",le="0.025"} 98
ctfg_http_request_duration_seconds_bucket{code="200",route="POST /api/submit",le="0.05"} 99
ctfg_http_request_duration_seconds_bucket{code="200",route="POST /api/submit",le="+Inf"} 100
ctfg_http_request_duration_seconds_bucket{code="429",route="POST /api/submit",le="0.01"} 0
ctfg_http_request_duration_seconds_bucket{code="429",route="POST /api/submit",le="0.025"} 0
ctfg_http_request_duration_seconds_bucket{code="429",route="POST /api/submit",le="0.05"} 1
ctfg_http_request_duration_seconds_bucket{code="429",route="POST /api/submit",le="+Inf"} 1
ctfg_http_request_duration_seconds_bucket{code="200",route="GET /api/me",le="+Inf"} 7
`
	p99, within, n := routeLatency(m, "POST /api/submit", 0.025)
	if n != 101 || p99 != "50" || within < 0.97 || within > 0.971 {
		t.Fatalf("p99 %s, within %.3f, n %v", p99, within, n)
	}
	if _, _, n := routeLatency(m, "POST /api/hint", 0.025); n != 0 {
		t.Fatal("counted a route that is absent")
	}
}

// A team-mode row shows both runs side by side and judges the p99 ratio
// against the 1.2× target, and any error as a miss.
func TestTeamRow(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, r emulate.Result) string {
		b, _ := json.Marshal(r)
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	submit := func(n uint64, p99 float64) []emulate.EndpointStats {
		return []emulate.EndpointStats{{Name: "POST /api/submit", LatencyStats: emulate.LatencyStats{Count: n, P99MS: p99}}}
	}
	solo := write("solo.json", emulate.Result{Players: 200, PlayersDone: 200, Endpoints: submit(3000, 20)})
	team := write("team.json", emulate.Result{Players: 200, PlayersDone: 200, TeamSize: 4, TeamSolved: 900, Endpoints: submit(3900, 23)})
	slow := write("slow.json", emulate.Result{Players: 200, PlayersDone: 200, TeamSize: 4, Endpoints: submit(3900, 30)})
	bad := write("bad.json", emulate.Result{Players: 200, PlayersDone: 199, TeamSize: 4, Errors: map[string]int{"x": 1}, Endpoints: submit(3900, 10)})
	for _, c := range []struct {
		team, want string
	}{
		{team, "| 200 players | 0 / 0 | 200 / 200 | 3000 / 3900 (900 already solved by a teammate) | 20.0 / 23.0 | 1.15 | a / b | met (≤ 1.2) |"},
		{slow, "| 1.50 | a / b | **missed** (> 1.2) |"},
		{bad, "| 200 players | 0 / 1 | 200 / 199 |"},
	} {
		row, err := teamRowText("200 players", solo, c.team, "a", "b")
		if err != nil || !strings.Contains(row, c.want) {
			t.Errorf("row %q (%v), want it to contain %q", row, err, c.want)
		}
	}
	if row, _ := teamRowText("x", solo, bad, "a", "b"); !strings.HasSuffix(row, "| **missed** (errors) |") {
		t.Errorf("a run with errors: %q", row)
	}
}
