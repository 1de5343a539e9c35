package scenarios

import (
	"math"
	"slices"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/sim/stats"
)

// SlowThreshold is how long a request may take before a client counts it
// as having waited: ClientImpact.Slow counts the requests that failed or
// took longer, and a stretch without a successful response shorter than it
// is not unavailability (ClientImpact.UnavailableS).
const SlowThreshold = time.Second

// DefaultSurviveWithin is the longest unavailability, as a client saw it, a
// fault may cause and still count as survived: CockroachDB's failover
// target of a few seconds (reference §6.2, at most about 10 s for every
// modelled version) with margin; `--survive-within` overrides it.
const DefaultSurviveWithin = 15 * time.Second

// ClientImpact is what one fault did to the requests of one table × op ×
// client region, as those clients saw it. Times are seconds since the start
// of the run, latencies milliseconds.
type ClientImpact struct {
	// Fault names the fault; StartS and EndS are its window.
	Fault  string  `json:"fault"`
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// Table, Locality, Op and ClientRegion name the requests.
	Table        string `json:"table"`
	Locality     string `json:"locality"`
	Op           string `json:"op"`
	ClientRegion string `json:"client_region"`
	// Requests counts the requests the fault may have affected: those
	// issued from one timeline interval before it starts (in flight when it
	// starts) until one interval before the next fault starts, or the run
	// ends. Errors are those that failed, Slow those that failed or took
	// longer than SlowThreshold.
	Requests uint64 `json:"requests"`
	Errors   uint64 `json:"errors"`
	Slow     uint64 `json:"slow"`
	// UnavailableS is the longest stall of a range these requests
	// addressed that overlaps the fault (from its start until the next
	// fault starts, or the run ends): a stretch in which the range served
	// none of them, from the later of the last success and the issue of
	// the first request left waiting, to the next success (or the end of
	// the measured span when none came). Stalls shorter than SlowThreshold
	// count as 0. UnavailableFromS is when it began and UnavailableRange
	// the range (index within the table, as in Unavailability; -1 for
	// none). RangesUnavailable counts the ranges with a stall overlapping
	// the fault.
	UnavailableS      float64 `json:"unavailable_s"`
	UnavailableFromS  float64 `json:"unavailable_from_s"`
	UnavailableRange  int     `json:"unavailable_range"`
	RangesUnavailable int     `json:"ranges_unavailable"`
	// AfterS is when the after-failover window starts (StartS plus
	// SettleTime of the fault). During summarises the requests issued from
	// StartS to AfterS, After those issued from AfterS to EndS (by timeline
	// interval start), errors included.
	AfterS float64        `json:"after_failover_s"`
	During LatencySummary `json:"during"`
	After  LatencySummary `json:"after"`

	// DuringHistogram and AfterHistogram are the distributions behind
	// During and After, kept in the runs of a sweep for pooling over runs
	// (AggregateSweep) and carried by a sweep shard's part file; absent
	// elsewhere.
	DuringHistogram *stats.Histogram `json:"during_histogram,omitempty"`
	AfterHistogram  *stats.Histogram `json:"after_histogram,omitempty"`
}

// LatencySummary is a request count with its median and 99th percentile
// latency (ms); a zero count means no requests and zero latencies.
type LatencySummary struct {
	Count uint64  `json:"count"`  // requests, errors included
	P50Ms float64 `json:"p50_ms"` // median latency
	P99Ms float64 `json:"p99_ms"` // 99th percentile latency
}

// summarise returns h's LatencySummary (zero for nil or empty).
func summarise(h *stats.Histogram) LatencySummary {
	if h == nil || h.Count() == 0 {
		return LatencySummary{}
	}
	return LatencySummary{Count: h.Count(), P50Ms: ms(h.Quantile(0.5)), P99Ms: ms(h.Quantile(0.99))}
}

// SlowShare is the share of Requests that were slow (0 for none).
func (c *ClientImpact) SlowShare() float64 {
	if c.Requests == 0 {
		return 0
	}
	return float64(c.Slow) / float64(c.Requests)
}

// Survived reports whether the clients' unavailability stayed within
// bound.
func (c *ClientImpact) Survived(bound time.Duration) bool {
	return c.UnavailableS <= bound.Seconds()
}

// gap is one stall: a stretch in which a range served none of a series'
// requests while at least one of them waited, at least SlowThreshold long.
type gap struct{ from, to sim.Time }

// candidate is a stretch of at least SlowThreshold between two successful
// responses of one range (prev and next), and from, the earliest instant
// in it at which one of the series' requests was known to wait: a stall
// of next − from once no earlier evidence can come.
type candidate struct{ prev, from, next sim.Time }

// evidenceWindow is how long after a candidate's closing success its
// stall may still grow: a request that was waiting in it reports only
// when it ends, and one still waiting this long after the range served
// again is stuck for a reason of its own. It bounds the candidates a
// tracker holds to evidenceWindow / SlowThreshold.
const evidenceWindow = time.Minute

// noWait marks a stallTracker with no failed request since its last
// success.
const noWait = sim.Time(math.MaxInt64)

// stallTracker follows one series' requests to one range and logs its
// stalls. Between two successful responses the range served none of the
// requests; the stall is the part of that stretch in which a request was
// waiting: from the later of the earlier success and the issue of the
// first request that waited (it failed, or succeeded only at or after the
// later success), to the later success — time the clients spent waiting,
// not time they sent nothing. Failures followed by evidenceWindow without
// a request to the range end their stall at the last failure (quiet). Responses arrive in simulated-time order
// (the engine's), a request's issue time only with its response, so a
// stretch stays a candidate for evidenceWindow. Memory grows with the
// stalls and the candidates, never with the requests.
type stallTracker struct {
	lastOK     sim.Time    // the last successful response
	waiting    sim.Time    // earliest issue of a request failed since lastOK, or noWait
	waitEnd    sim.Time    // the latest of those failures
	candidates []candidate // a queue: the live ones are candidates[head:]
	head       int
	gaps       []gap
}

// quiet ends a stretch of failures that no request to the range followed
// for evidenceWindow before start: the clients stopped asking (they went
// elsewhere), so the range is not known to have stalled them after the
// last failure. The stretch is logged up to that failure.
func (g *stallTracker) quiet(start sim.Time) {
	if g.waiting == noWait || start.Sub(g.waitEnd) <= evidenceWindow {
		return
	}
	if from := max(g.lastOK, g.waiting); g.waitEnd.Sub(from) >= SlowThreshold {
		g.gaps = append(g.gaps, gap{from, g.waitEnd})
	}
	g.waiting = noWait
}

// evidence records that a request issued at start was unserved until it
// ended: it waited in every candidate stretch that closed after start.
func (g *stallTracker) evidence(start sim.Time) {
	for i := len(g.candidates) - 1; i >= g.head && g.candidates[i].next > start; i-- {
		c := &g.candidates[i]
		c.from = min(c.from, max(c.prev, start))
	}
}

// ok records a successful response at end to a request issued at start.
func (g *stallTracker) ok(start, end sim.Time) {
	g.quiet(start)
	for g.head < len(g.candidates) && end.Sub(g.candidates[g.head].next) > evidenceWindow {
		g.settle(g.candidates[g.head])
		g.head++
	}
	if end.Sub(g.lastOK) >= SlowThreshold {
		if g.head > 0 && len(g.candidates) == cap(g.candidates) {
			// Reuse the settled slots rather than grow.
			n := copy(g.candidates, g.candidates[g.head:])
			g.candidates, g.head = g.candidates[:n], 0
		}
		g.candidates = append(g.candidates, candidate{prev: g.lastOK, from: end, next: end})
		if g.waiting != noWait {
			g.evidence(g.waiting)
		}
	}
	g.evidence(start)
	g.lastOK = max(g.lastOK, end)
	g.waiting = noWait
}

// failed records a request issued at start that failed at end.
func (g *stallTracker) failed(start, end sim.Time) {
	g.quiet(start)
	g.evidence(start)
	g.waiting = min(g.waiting, start)
	g.waitEnd = max(g.waitEnd, end)
}

// settle logs c's stall if it is long enough.
func (g *stallTracker) settle(c candidate) {
	if c.next.Sub(c.from) >= SlowThreshold {
		g.gaps = append(g.gaps, gap{c.from, c.next})
	}
}

// close settles every candidate and ends an open stall at until (the end
// of the measured span): a request failed and no success came after it.
func (g *stallTracker) close(until sim.Time) {
	for _, c := range g.candidates[g.head:] {
		g.settle(c)
	}
	g.candidates, g.head = nil, 0
	g.quiet(until)
	if g.waiting != noWait {
		if from := max(g.lastOK, g.waiting); until.Sub(from) >= SlowThreshold {
			g.gaps = append(g.gaps, gap{from, until})
		}
		g.waiting = noWait
	}
}

// clientImpacts computes Result.Impact: one entry per fault (in order) ×
// series that recorded requests (in Stats order: table, op, client
// region). Requests count until the next fault starts (faults starting
// together share them), as in Result.FaultImpacts. keep keeps the
// during/after distributions (a sweep pools them; a run needs only their
// summaries).
func (s *Scenario) clientImpacts(res *Result, rec *recorder, keep bool) []ClientImpact {
	out := []ClientImpact{}
	if len(res.Faults) == 0 {
		return out
	}
	order := make([]int, 0, len(rec.series))
	for i := range rec.series {
		if rec.series[i].hist.Count() > 0 {
			order = append(order, i)
		}
	}
	rank := func(sr *series) int {
		return slices.IndexFunc(res.Stats, func(st Stat) bool {
			return st.Table == sr.table && st.Op == sr.op && st.ClientRegion == sr.region
		})
	}
	slices.SortStableFunc(order, func(a, b int) int { return rank(&rec.series[a]) - rank(&rec.series[b]) })
	width := TimelineInterval(s.Warmup + s.Duration).Seconds()
	for _, f := range res.Faults {
		until := math.Inf(1)
		for _, g := range res.Faults {
			if g.StartS > f.StartS {
				until = min(until, g.StartS)
			}
		}
		after := f.StartS + SettleTime(time.Duration((f.EndS-f.StartS)*float64(time.Second))).Seconds()
		for _, i := range order {
			sr := &rec.series[i]
			im := ClientImpact{
				Fault: f.Name, StartS: f.StartS, EndS: f.EndS,
				Table: sr.table, Locality: sr.locality, Op: sr.op, ClientRegion: sr.region,
				AfterS: after,
			}
			var during, afterH stats.Histogram
			for bi := range sr.timeline.Bins() {
				b := &sr.timeline.Bins()[bi]
				ts := sim.Time(b.Start).Seconds()
				if ts >= f.StartS-width && ts < until-width {
					im.Requests += b.Count
					im.Errors += b.Errors
					im.Slow += b.Slow
				}
				switch {
				case ts >= f.StartS && ts < after:
					during.Merge(&b.Latency)
				case ts >= after && ts < f.EndS:
					afterH.Merge(&b.Latency)
				}
			}
			im.UnavailableRange = -1
			for ri := range sr.stalls {
				down := false
				for _, gp := range sr.stalls[ri].gaps {
					if gp.from.Seconds() >= until || gp.to.Seconds() <= f.StartS {
						continue
					}
					down = true
					if d := gp.to.Sub(gp.from).Seconds(); d > im.UnavailableS {
						im.UnavailableS, im.UnavailableFromS, im.UnavailableRange = d, gp.from.Seconds(), ri
					}
				}
				if down {
					im.RangesUnavailable++
				}
			}
			im.During, im.After = summarise(&during), summarise(&afterH)
			if keep {
				im.DuringHistogram, im.AfterHistogram = &during, &afterH
			}
			out = append(out, im)
		}
	}
	return out
}

// FaultVerdict is whether one fault was survived: by every (table, client
// region) whose clients' unavailability stayed within Bound.
type FaultVerdict struct {
	Fault    string  `json:"fault"`            // the fault's name
	BoundS   float64 `json:"survive_within_s"` // the bound, seconds
	Survived bool    `json:"survived"`         // every (table, client region) within the bound
	// Worst is the impact with the longest unavailability (the first in
	// Result.Impact order among equals), or nil when the fault had no
	// measured requests.
	Worst *ClientImpact `json:"worst"`
	// Failed lists the (table, client region) pairs not survived, as
	// "table@region", in Impact order.
	Failed []string `json:"failed"`
}

// Verdicts returns one FaultVerdict per fault of impacts (in first
// appearance order) against bound; an empty list for none.
func Verdicts(impacts []ClientImpact, bound time.Duration) []FaultVerdict {
	out := []FaultVerdict{}
	for i := range impacts {
		im := &impacts[i]
		vi := slices.IndexFunc(out, func(v FaultVerdict) bool { return v.Fault == im.Fault })
		if vi < 0 {
			out = append(out, FaultVerdict{Fault: im.Fault, BoundS: bound.Seconds(), Survived: true, Failed: []string{}})
			vi = len(out) - 1
		}
		v := &out[vi]
		if v.Worst == nil || im.UnavailableS > v.Worst.UnavailableS {
			w := *im
			w.DuringHistogram, w.AfterHistogram = nil, nil
			v.Worst = &w
		}
		if !im.Survived(bound) {
			v.Survived = false
			if name := im.Table + "@" + im.ClientRegion; !slices.Contains(v.Failed, name) {
				v.Failed = append(v.Failed, name)
			}
		}
	}
	return out
}
