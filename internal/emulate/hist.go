package emulate

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram is a log-linear (HDR-style) latency histogram in microseconds:
// values below 2^subBits µs are exact, larger ones fall in buckets whose
// width is 1/2^subBits of their magnitude, so every percentile is within
// about 1.6 % of the truth. Recording is a handful of atomic adds and never
// allocates, which matters at tens of thousands of requests per second.
type histogram struct {
	subBits uint
	counts  []atomic.Uint64
	n       atomic.Uint64
	sum     atomic.Uint64 // µs
	max     atomic.Uint64 // µs
}

// maxHistMicros clamps recorded values (µs); about 12 days.
const maxHistMicros = 1<<40 - 1

func newHistogram(subBits uint) *histogram {
	sub := 1 << subBits
	return &histogram{subBits: subBits, counts: make([]atomic.Uint64, (41-int(subBits))*sub)}
}

func bucketIndex(v uint64, subBits uint) int {
	sub := uint64(1) << subBits
	if v < sub {
		return int(v)
	}
	shift := uint(bits.Len64(v)) - subBits - 1
	top := v >> shift
	return int(uint64(shift+1)*sub + top - sub)
}

// bucketBounds returns the smallest value of bucket i and its width.
func bucketBounds(i int, subBits uint) (low, width uint64) {
	sub := 1 << subBits
	if i < sub {
		return uint64(i), 1
	}
	shift := uint(i/sub - 1)
	top := uint64(i%sub + sub)
	return top << shift, 1 << shift
}

func micros(d time.Duration) uint64 {
	if d < 0 {
		return 0
	}
	v := uint64(d / time.Microsecond)
	if v > maxHistMicros {
		v = maxHistMicros
	}
	return v
}

// record adds one observation.
func (h *histogram) record(d time.Duration) {
	v := micros(d)
	h.counts[bucketIndex(v, h.subBits)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// merge adds o's observations to h; both must have the same resolution.
func (h *histogram) merge(o *histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
}

// LatencyStats summarizes a latency distribution in milliseconds.
type LatencyStats struct {
	Count  uint64  `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// stats computes the summary of what was recorded so far.
func (h *histogram) stats() LatencyStats {
	n := h.n.Load()
	if n == 0 {
		return LatencyStats{}
	}
	counts := make([]uint64, len(h.counts))
	var total uint64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	maxV := h.max.Load()
	q := func(p float64) float64 {
		return float64(quantile(counts, total, p, h.subBits, maxV)) / 1000
	}
	return LatencyStats{
		Count:  n,
		MeanMS: float64(h.sum.Load()) / float64(n) / 1000,
		P50MS:  q(0.50),
		P95MS:  q(0.95),
		P99MS:  q(0.99),
		MaxMS:  float64(maxV) / 1000,
	}
}

// quantile returns the value (µs) at quantile p of a bucketed
// distribution: the midpoint of the bucket holding the rank, capped at the
// largest value seen.
func quantile(counts []uint64, total uint64, p float64, subBits uint, maxV uint64) uint64 {
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p * float64(total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			low, width := bucketBounds(i, subBits)
			v := low + (width-1)/2
			if v > maxV {
				v = maxV
			}
			return v
		}
	}
	return maxV
}

// timeline keeps one coarse histogram per 100 ms slot of the run, so
// reports can draw latency and throughput over time. Slots live in chunks
// allocated on first use behind a fixed array of pointers, so recording
// needs no lock and an idle hour costs nothing.
type timeline struct {
	start  time.Time
	chunks []atomic.Pointer[timeChunk]
}

const (
	// slotDur is the finest time resolution of a timeline.
	slotDur = 100 * time.Millisecond
	// timelineSubBits gives the per-slot histograms about 12 % resolution,
	// plenty for a chart.
	timelineSubBits = 3
	// maxTimeline bounds the timeline; later observations land in the last
	// slot.
	maxTimeline = 6 * time.Hour
	chunkSlots  = 1024
	maxSlots    = int(maxTimeline / slotDur)
)

type timeChunk [chunkSlots]atomic.Pointer[timeBucket]

type timeBucket struct {
	hist   *histogram
	errors atomic.Uint64
}

func newTimeline(start time.Time) *timeline {
	return &timeline{start: start, chunks: make([]atomic.Pointer[timeChunk], (maxSlots+chunkSlots-1)/chunkSlots)}
}

// slot returns the bucket of slot i, creating it when create is set.
func (t *timeline) slot(i int, create bool) *timeBucket {
	ch := t.chunks[i/chunkSlots].Load()
	if ch == nil {
		if !create {
			return nil
		}
		t.chunks[i/chunkSlots].CompareAndSwap(nil, new(timeChunk))
		ch = t.chunks[i/chunkSlots].Load()
	}
	p := &ch[i%chunkSlots]
	b := p.Load()
	if b == nil && create {
		p.CompareAndSwap(nil, &timeBucket{hist: newHistogram(timelineSubBits)})
		b = p.Load()
	}
	return b
}

// record adds one observation that finished at time at.
func (t *timeline) record(at time.Time, d time.Duration, failed bool) {
	i := min(max(int(at.Sub(t.start)/slotDur), 0), maxSlots-1)
	b := t.slot(i, true)
	b.hist.record(d)
	if failed {
		b.errors.Add(1)
	}
}

// TimePoint is one bucket of a time series.
type TimePoint struct {
	// T is the bucket's start in seconds since the run began.
	T      float64 `json:"t"`
	Count  uint64  `json:"count"`
	Errors uint64  `json:"errors,omitempty"`
	// PerSec is Count divided by the bucket width.
	PerSec float64 `json:"per_sec"`
	MeanMS float64 `json:"mean_ms,omitempty"`
	P50MS  float64 `json:"p50_ms,omitempty"`
	P95MS  float64 `json:"p95_ms,omitempty"`
	P99MS  float64 `json:"p99_ms,omitempty"`
	MaxMS  float64 `json:"max_ms,omitempty"`
}

// bucketSlots picks how many slots make one reported bucket so that a
// run of length dur gives at most about 150 points.
func bucketSlots(dur time.Duration) int {
	n := int(dur/slotDur) + 1
	w := 1
	for n/w > 150 {
		switch {
		case w < 10:
			w = 10 // whole seconds from here on
		default:
			w *= 2
		}
	}
	return w
}

// points summarizes the timeline over [0, dur) in buckets of width slots.
func (t *timeline) points(dur time.Duration, width int) []TimePoint {
	width = max(width, 1)
	last := min(int(dur/slotDur)+1, maxSlots)
	var out []TimePoint
	for s := 0; s < last; s += width {
		merged := newHistogram(timelineSubBits)
		var errs uint64
		for k := s; k < s+width && k < last; k++ {
			if b := t.slot(k, false); b != nil {
				errs += b.errors.Load()
				merged.merge(b.hist)
			}
		}
		st := merged.stats()
		secs := (time.Duration(min(width, last-s)) * slotDur).Seconds()
		out = append(out, TimePoint{
			T: (time.Duration(s) * slotDur).Seconds(), Count: st.Count, Errors: errs,
			PerSec: float64(st.Count) / secs,
			MeanMS: st.MeanMS, P50MS: st.P50MS, P95MS: st.P95MS, P99MS: st.P99MS, MaxMS: st.MaxMS,
		})
	}
	return out
}

// shardedHistogram spreads a histogram that thousands of goroutines record
// into over several shards, so they do not all contend for the same cache
// lines; stats merges them.
type shardedHistogram struct {
	shards []*histogram
}

func newShardedHistogram(subBits uint, n int) *shardedHistogram {
	s := &shardedHistogram{shards: make([]*histogram, n)}
	for i := range s.shards {
		s.shards[i] = newHistogram(subBits)
	}
	return s
}

// record adds one observation to the shard picked by key.
func (s *shardedHistogram) record(key int, d time.Duration) {
	s.shards[uint(key)%uint(len(s.shards))].record(d)
}

func (s *shardedHistogram) stats() LatencyStats {
	m := newHistogram(s.shards[0].subBits)
	for _, h := range s.shards {
		m.merge(h)
	}
	return m.stats()
}
