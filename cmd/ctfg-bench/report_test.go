package main

import (
	"strings"
	"testing"
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
