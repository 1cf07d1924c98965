package emulate

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// WriteFiles writes metrics.json and report.html into dir, creating it.
func (r *Result) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write metrics.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), []byte(r.HTML()), 0o644); err != nil {
		return fmt.Errorf("write report.html: %w", err)
	}
	return nil
}

// palette colours series in charts; chosen to stay distinct on a projector.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"}

// HTML renders a self-contained report: no scripts, no external files,
// charts as inline SVG.
func (r *Result) HTML() string {
	var b strings.Builder
	esc := html.EscapeString
	status, statusClass := "passed", "ok"
	if n := r.ErrorCount(); n > 0 {
		status, statusClass = fmt.Sprintf("failed with %d errors", n), "bad"
	}
	fmt.Fprintf(&b, `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>ctfg emulate: %d players</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}
.ok{color:#2a7a2a}.bad{color:#b00}
svg{background:#fff;border:1px solid #ddd;margin:.5em 0}
svg text{font:11px system-ui,sans-serif;fill:#333}
code{font-size:12px;word-break:break-all}
</style></head><body>
`, r.Players)
	teams := ""
	if r.TeamSize > 0 {
		teams = fmt.Sprintf(" in teams of %d", r.TeamSize)
	}
	fmt.Fprintf(&b, "<h1>ctfg emulate — %d players%s against %s</h1>\n", r.Players, teams, esc(r.URL))
	fmt.Fprintf(&b, "<p class=%q><strong>Run %s.</strong> %d of %d players solved everything.</p>\n", statusClass, esc(status), r.PlayersDone, r.Players)
	b.WriteString("<table>\n")
	kv := func(k, v string) { fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td></tr>\n", esc(k), esc(v)) }
	kv("started", r.Started.Format(time.RFC3339))
	kv("wall time", fmt.Sprintf("%.2f s", r.WallSec))
	kv("start jitter / think / in flight", fmt.Sprintf("%g s / %g ms / %d", r.JitterSec, r.ThinkMS, r.InFlight))
	kv("challenges", fmt.Sprint(r.Challenges))
	if r.TeamSize > 0 {
		kv("teams", fmt.Sprintf("%d teams of up to %d players; %d submissions answered already_solved (a teammate's solve)", r.Teams, r.TeamSize, r.TeamSolved))
	}
	kv("flags", fmt.Sprintf("%d (%.1f/s over the wall time, %.1f/s from first to last flag)", r.Flags, r.FlagsPerSec, r.SolvingRate))
	kv("hints bought", fmt.Sprint(r.Hints))
	kv("requests", fmt.Sprintf("%d (%.1f/s), %d resent on a closed kept-alive connection", r.Requests, r.RequestsPerSec, r.Resent))
	kv("scorestream", fmt.Sprintf("%d events in %d frames, %d reconnects, %d failed connection attempts retried, compression %s",
		r.EventsReceived, r.Frames, r.WSReconnects, r.WSConnectRetries, map[bool]string{true: "on", false: "off"}[r.WSCompression]))
	kv("emulator CPU", fmt.Sprintf("%.2f s user + %.2f s system (%.0f%% of one core, %d cores)", r.CPUUserSec, r.CPUSystemSec, r.CPUPercent, r.NumCPU))
	kv("seed", fmt.Sprint(r.Seed))
	b.WriteString("</table>\n")

	if len(r.Instances) > 0 {
		fmt.Fprintf(&b, "<h2>Instances</h2>\n<p>%d servers sharing one database; player i used instance i mod %d for everything. Sockets are the finished players' scorestreams; each should end with every emulated player's solves, wherever they were committed.</p>\n", len(r.Instances), len(r.Instances))
		b.WriteString("<table><tr><th>instance</th><th>URL</th><th>players (done)</th><th>flags</th><th>requests</th><th>failed requests</th><th>failed socket connects</th><th>sockets with every solve</th><th>fewest solves on a socket</th><th>live events received</th></tr>\n")
		for i, in := range r.Instances {
			cls := "ok"
			if in.SocketsComplete < in.Sockets || in.RequestErrors > 0 {
				cls = "bad"
			}
			fmt.Fprintf(&b, "<tr class=%q><td>%d</td><td>%s</td><td>%d (%d)</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d / %d</td><td>%d of %d</td><td>%d</td></tr>\n",
				cls, i+1, esc(in.URL), in.Players, in.PlayersDone, in.Flags, in.Requests, in.RequestErrors, in.WSConnectFailures,
				in.SocketsComplete, in.Sockets, in.SolvesSeenMin, in.SolvesExpected, in.EventsReceived)
		}
		b.WriteString("</table>\n")
	}

	if len(r.Errors) > 0 {
		b.WriteString("<h2>Errors by kind</h2>\n<table><tr><th>kind</th><th>count</th><th>first example</th></tr>\n")
		for _, k := range sortedErrorKinds(r.Errors) {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td style=\"text-align:left\"><code>%s</code></td></tr>\n", esc(k), r.Errors[k], esc(r.ErrorSamples[k]))
		}
		b.WriteString("</table>\n")
	}

	b.WriteString("<h2>Latency per endpoint (ms)</h2>\n<table><tr><th>endpoint</th><th>count</th><th>mean</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>\n")
	rows := append([]EndpointStats(nil), r.Endpoints...)
	rows = append(rows, EndpointStats{Name: "WS connect", LatencyStats: r.WSConnect}, EndpointStats{Name: "event delivery", LatencyStats: r.EventDelay})
	if len(r.Instances) > 0 {
		rows = append(rows, EndpointStats{Name: "event delivery (same instance)", LatencyStats: r.EventDelaySame},
			EndpointStats{Name: "event delivery (cross-instance)", LatencyStats: r.EventDelayCross})
	}
	for _, e := range rows {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td></tr>\n",
			esc(e.Name), e.Count, e.MeanMS, e.P50MS, e.P95MS, e.P99MS, e.MaxMS)
	}
	b.WriteString("</table>\n")
	b.WriteString(percentileChart(rows))

	b.WriteString("<h2>Latency over time</h2>\n")
	var p95, p99 []series
	for i, e := range r.Endpoints {
		c := palette[i%len(palette)]
		s95 := series{name: e.Name, color: c}
		s99 := series{name: e.Name, color: c}
		for _, tp := range e.Timeline {
			if tp.Count == 0 {
				continue
			}
			s95.pts = append(s95.pts, [2]float64{tp.T, tp.P95MS})
			s99.pts = append(s99.pts, [2]float64{tp.T, tp.P99MS})
		}
		p95, p99 = append(p95, s95), append(p99, s99)
	}
	b.WriteString(lineChart("p95 latency by endpoint", "seconds since start", "ms", p95))
	b.WriteString(lineChart("p99 latency by endpoint", "seconds since start", "ms", p99))

	b.WriteString("<h2>Throughput</h2>\n")
	flags := series{name: "flags/s", color: palette[2]}
	for _, tp := range r.Throughput {
		flags.pts = append(flags.pts, [2]float64{tp.T, tp.PerSec})
	}
	reqs := series{name: "requests/s", color: palette[0]}
	if len(r.Endpoints) > 0 {
		sum := map[float64]float64{}
		var ts []float64
		for _, e := range r.Endpoints {
			for _, tp := range e.Timeline {
				if _, ok := sum[tp.T]; !ok {
					ts = append(ts, tp.T)
				}
				sum[tp.T] += tp.PerSec
			}
		}
		sort.Float64s(ts)
		for _, t := range ts {
			reqs.pts = append(reqs.pts, [2]float64{t, sum[t]})
		}
	}
	b.WriteString(lineChart("requests and flags per second", "seconds since start", "per second", []series{reqs, flags}))
	fmt.Fprintf(&b, "<p>Timeline buckets are %g s wide. Latencies are measured by the emulator from request to fully read reply; event delivery is from the event's server timestamp (ms) to its receipt.</p>\n", r.BucketSec)
	b.WriteString("</body></html>\n")
	return b.String()
}

// series is one line of a chart.
type series struct {
	name  string
	color string
	pts   [][2]float64
}

const (
	chartW, chartH = 960, 320
	padL, padR     = 64, 190
	padT, padB     = 30, 40
)

// niceTicks returns about n round tick values covering [0, max].
func niceTicks(maxV float64, n int) []float64 {
	if maxV <= 0 || math.IsNaN(maxV) || math.IsInf(maxV, 0) {
		return []float64{0, 1}
	}
	raw := maxV / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	var step float64
	switch f := raw / mag; {
	case f <= 1:
		step = mag
	case f <= 2:
		step = 2 * mag
	case f <= 5:
		step = 5 * mag
	default:
		step = 10 * mag
	}
	var ticks []float64
	for i := 0; ; i++ {
		v := float64(i) * step
		ticks = append(ticks, v)
		if v >= maxV {
			break
		}
	}
	return ticks
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// lineChart draws series as an SVG line chart with linear axes from 0.
func lineChart(title, xLabel, yLabel string, ss []series) string {
	var maxX, maxY float64
	for _, s := range ss {
		for _, p := range s.pts {
			maxX, maxY = math.Max(maxX, p[0]), math.Max(maxY, p[1])
		}
	}
	xt, yt := niceTicks(maxX, 8), niceTicks(maxY, 5)
	xMax, yMax := xt[len(xt)-1], yt[len(yt)-1]
	pw, ph := float64(chartW-padL-padR), float64(chartH-padT-padB)
	px := func(x float64) float64 { return float64(padL) + x/xMax*pw }
	py := func(y float64) float64 { return float64(padT) + ph - y/yMax*ph }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`+"\n",
		chartW, chartH, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" style="font-weight:bold">%s</text>`+"\n", padL, html.EscapeString(title))
	for _, t := range yt {
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			padL, chartW-padR, y, y, padL-6, y+4, fmtTick(t))
	}
	for _, t := range xt {
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			x, x, padT, chartH-padB, x, chartH-padB+14, fmtTick(t))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`+"\n", padL, padT, pw, ph)
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">%s</text>`+"\n", float64(padL)+pw/2, chartH-6, html.EscapeString(xLabel))
	fmt.Fprintf(&b, `<text transform="translate(14 %.0f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", float64(padT)+ph/2, html.EscapeString(yLabel))
	for i, s := range ss {
		if len(s.pts) == 0 {
			continue
		}
		var pts strings.Builder
		for _, p := range s.pts {
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(p[0]), py(p[1]))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`+"\n", s.color, strings.TrimSpace(pts.String()))
		if len(s.pts) == 1 {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(s.pts[0][0]), py(s.pts[0][1]), s.color)
		}
		ly := padT + 10 + i*16
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="3" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			chartW-padR+12, ly-3, s.color, chartW-padR+30, ly+1, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// percentileChart draws p50/p95/p99 per endpoint as grouped horizontal
// bars on a logarithmic axis, since endpoints differ by orders of
// magnitude.
func percentileChart(rows []EndpointStats) string {
	var present []EndpointStats
	maxV := 0.0
	for _, e := range rows {
		if e.Count > 0 {
			present = append(present, e)
			maxV = math.Max(maxV, e.P99MS)
		}
	}
	if len(present) == 0 {
		return ""
	}
	const labelW, rowH, barH = 200, 42, 11
	h := padT + len(present)*rowH + padB
	minExp := -2.0 // 0.01 ms
	maxExp := math.Ceil(math.Log10(math.Max(maxV, 1)))
	pw := float64(chartW - labelW - 120)
	px := func(v float64) float64 {
		if v < math.Pow(10, minExp) {
			v = math.Pow(10, minExp)
		}
		return float64(labelW) + (math.Log10(v)-minExp)/(maxExp-minExp)*pw
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="latency percentiles per endpoint">`+"\n", chartW, h, chartW, h)
	fmt.Fprintf(&b, `<text x="10" y="18" style="font-weight:bold">latency percentiles per endpoint (ms, log scale)</text>`+"\n")
	for e := minExp; e <= maxExp; e++ {
		x := px(math.Pow(10, e))
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			x, x, padT, h-padB, x, h-padB+14, fmtTick(math.Pow(10, e)))
	}
	names := []string{"p50", "p95", "p99"}
	for i, e := range present {
		y := padT + i*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-8, y+rowH/2+4, html.EscapeString(e.Name))
		for j, v := range []float64{e.P50MS, e.P95MS, e.P99MS} {
			by := y + 4 + j*barH
			x1 := px(v)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %.2f ms</title></rect><text x="%.1f" y="%d">%.2f</text>`+"\n",
				labelW, by, math.Max(x1-float64(labelW), 1), barH-2, palette[j], html.EscapeString(e.Name), names[j], v, x1+4, by+barH-3, v)
		}
	}
	for j, n := range names {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="8" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			chartW-90, padT+j*16, palette[j], chartW-72, padT+j*16+8, n)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
