package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ctfg/ctfg/internal/emulate"
)

// emuRow prints one Markdown table row from an emulator run's
// metrics.json (see scripts/bench.sh for the header).
func emuRow(args []string) error {
	fs := flag.NewFlagSet("emurow", flag.ExitOnError)
	label := fs.String("label", "", "first cell of the row")
	path := fs.String("metrics", "", "metrics.json written by ctfg emulate --out")
	serverCPU := fs.Float64("server-cpu", 0, "CPU seconds the server used during the run")
	serverLat := fs.String("server-submit", "–", "server-side submit latency (from srvlat)")
	fs.Parse(args)
	b, err := os.ReadFile(*path)
	if err != nil {
		return err
	}
	var r emulate.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	lat := func(name string) string {
		e, ok := r.Endpoint(name)
		if !ok {
			return "–"
		}
		return fmt.Sprintf("%.1f / %.1f", e.P50MS, e.P99MS)
	}
	errs := "0"
	if n := r.ErrorCount(); n > 0 {
		var kinds []string
		for k, v := range r.Errors {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, v))
		}
		errs = fmt.Sprintf("**%d** (%s)", n, strings.Join(kinds, "; "))
	}
	if r.Resent > 0 {
		errs += fmt.Sprintf(", %d requests resent", r.Resent)
	}
	if r.WSConnectRetries > 0 {
		errs += fmt.Sprintf(", %d socket connects retried", r.WSConnectRetries)
	}
	delivery := fmt.Sprintf("%.0f / %.0f", r.EventDelay.P50MS, r.EventDelay.P99MS)
	if len(r.Instances) > 0 {
		delivery += fmt.Sprintf(" (cross-instance %.0f / %.0f)", r.EventDelayCross.P50MS, r.EventDelayCross.P99MS)
	}
	fmt.Printf("| %s | %s | %.2f s | %d | %.0f | %.0f | %s | %s | %s | %s | %.1f s | %.1f s | %d/%d |\n",
		*label, errs, r.WallSec, r.Flags, r.FlagsPerSec, r.SolvingRate,
		lat("POST /api/submit"), *serverLat, lat("POST /api/login"), delivery,
		r.CPUUserSec+r.CPUSystemSec, *serverCPU, r.PlayersDone, r.Players)
	return nil
}

// teamRatioTarget is issue 13's bound: team mode's submit p99 within
// this factor of individual mode's, measured in the same run.
const teamRatioTarget = 1.2

// teamRow prints one row of the team-mode table: an individual run and
// the same run in teams, errors and submit p99 side by side, and the
// ratio of the p99s against the target.
func teamRow(args []string) error {
	fs := flag.NewFlagSet("teamrow", flag.ExitOnError)
	label := fs.String("label", "", "first cell of the row")
	solo := fs.String("solo", "", "metrics.json of the individual run")
	team := fs.String("team", "", "metrics.json of the team run")
	soloSrv := fs.String("solo-server", "–", "server-side submit latency of the individual run (from srvlat)")
	teamSrv := fs.String("team-server", "–", "server-side submit latency of the team run (from srvlat)")
	fs.Parse(args)
	row, err := teamRowText(*label, *solo, *team, *soloSrv, *teamSrv)
	if err != nil {
		return err
	}
	fmt.Println(row)
	return nil
}

func teamRowText(label, soloPath, teamPath, soloSrv, teamSrv string) (string, error) {
	read := func(path string) (*emulate.Result, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var r emulate.Result
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &r, nil
	}
	solo, err := read(soloPath)
	if err != nil {
		return "", err
	}
	team, err := read(teamPath)
	if err != nil {
		return "", err
	}
	s, _ := solo.Endpoint("POST /api/submit")
	t, _ := team.Endpoint("POST /api/submit")
	verdict := "–"
	ratio := "–"
	if s.P99MS > 0 && t.P99MS > 0 {
		q := t.P99MS / s.P99MS
		ratio = fmt.Sprintf("%.2f", q)
		verdict = fmt.Sprintf("met (≤ %.1f)", teamRatioTarget)
		if q > teamRatioTarget {
			verdict = fmt.Sprintf("**missed** (> %.1f)", teamRatioTarget)
		}
	}
	if solo.ErrorCount() > 0 || team.ErrorCount() > 0 {
		verdict = "**missed** (errors)"
	}
	return fmt.Sprintf("| %s | %d / %d | %d / %d | %d / %d (%d already solved by a teammate) | %.1f / %.1f | %s | %s / %s | %s |",
		label, solo.ErrorCount(), team.ErrorCount(), solo.PlayersDone, team.PlayersDone,
		s.Count, t.Count, team.TeamSolved, s.P99MS, t.P99MS, ratio, soloSrv, teamSrv, verdict), nil
}

// Markers delimit the generated part of docs/BENCHMARKS.md; the text
// around them is written by hand.
const (
	beginMarker = "<!-- bench:begin (written by scripts/bench.sh; edits inside are lost) -->"
	endMarker   = "<!-- bench:end -->"
)

// splice replaces the generated section of a Markdown file, or inserts it
// after the first heading when the file has none yet.
func splice(args []string) error {
	fs := flag.NewFlagSet("splice", flag.ExitOnError)
	file := fs.String("file", "docs/BENCHMARKS.md", "Markdown file to update")
	section := fs.String("section", "", "file holding the new generated section")
	fs.Parse(args)
	doc, err := os.ReadFile(*file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	sec, err := os.ReadFile(*section)
	if err != nil {
		return err
	}
	out, err := spliceSection(doc, sec)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	return os.WriteFile(*file, out, 0o644)
}

func spliceSection(doc, sec []byte) ([]byte, error) {
	block := []byte(beginMarker + "\n" + strings.TrimSpace(string(sec)) + "\n" + endMarker)
	i := bytes.Index(doc, []byte(beginMarker))
	j := bytes.Index(doc, []byte(endMarker))
	switch {
	case i >= 0 && j > i:
		return append(append(append([]byte{}, doc[:i]...), block...), doc[j+len(endMarker):]...), nil
	case i >= 0 || j >= 0:
		return nil, errors.New("only one of the generated-section markers is present")
	}
	if len(doc) == 0 {
		return append([]byte("# Benchmarks\n\n"), append(block, '\n')...), nil
	}
	// After the title line.
	k := bytes.IndexByte(doc, '\n')
	if k < 0 {
		k = len(doc) - 1
	}
	var b bytes.Buffer
	b.Write(doc[:k+1])
	b.WriteString("\n")
	b.Write(block)
	b.WriteString("\n")
	b.Write(doc[k+1:])
	return b.Bytes(), nil
}

// srvLat prints, from a running ctfg's /metrics, the server-side latency
// of one route: the histogram bucket holding the 99th percentile and the
// share answered within 25 ms. The emulator's own figures include its
// queueing on the shared cores; these do not.
func srvLat(args []string) error {
	fs := flag.NewFlagSet("srvlat", flag.ExitOnError)
	url := fs.String("url", "", "base URL of the server")
	route := fs.String("route", "POST /api/submit", "route label")
	fs.Parse(args)
	resp, err := http.Get(*url + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	p99, within, n := routeLatency(string(body), *route, 0.025)
	if n == 0 {
		fmt.Println("–")
		return nil
	}
	fmt.Printf("≤ %s ms; %.1f %% ≤ 25 ms\n", p99, 100*within)
	return nil
}

// routeLatency reads the request-duration histogram of route (summed over
// status codes) and returns the upper bound of the bucket holding the
// 99th percentile (in ms, as text), the share of requests within limit
// seconds and the count.
func routeLatency(metrics, route string, limit float64) (string, float64, float64) {
	buckets := map[float64]float64{}
	for _, line := range strings.Split(metrics, "\n") {
		if !strings.HasPrefix(line, "ctfg_http_request_duration_seconds_bucket{") || !strings.Contains(line, `route="`+route+`"`) {
			continue
		}
		i := strings.Index(line, `le="`)
		j := strings.LastIndexByte(line, ' ')
		if i < 0 || j < 0 {
			continue
		}
		leText := line[i+4:]
		leText = leText[:strings.IndexByte(leText, '"')]
		le := math.Inf(1)
		if leText != "+Inf" {
			le, _ = strconv.ParseFloat(leText, 64)
		}
		v, _ := strconv.ParseFloat(line[j+1:], 64)
		buckets[le] += v
	}
	les := make([]float64, 0, len(buckets))
	for le := range buckets {
		les = append(les, le)
	}
	sort.Float64s(les)
	if len(les) == 0 {
		return "", 0, 0
	}
	total := buckets[les[len(les)-1]]
	if total == 0 {
		return "", 0, 0
	}
	p99 := "∞"
	for _, le := range les {
		if buckets[le] >= 0.99*total {
			if !math.IsInf(le, 1) {
				p99 = strconv.FormatFloat(le*1000, 'g', -1, 64)
			}
			break
		}
	}
	within := 0.0
	for _, le := range les {
		if le <= limit {
			within = buckets[le] / total
		}
	}
	return p99, within, total
}
