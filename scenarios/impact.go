package scenarios

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// MaxSettle is the longest time a fault is given to fail over before its
// latency counts as "after failover" (see SettleTime).
const MaxSettle = 30 * time.Second

// SettleTime returns how long after a fault of length faultFor starts its
// "after failover" window begins: MaxSettle, or half the fault when the
// fault is shorter than 2 × MaxSettle, so that a short fault still has a
// window. Failover takes at most about 10 s for every modelled version
// (reference §6.2), so the window starts after it either way once a fault
// lasts 20 s or more.
func SettleTime(faultFor time.Duration) time.Duration {
	return min(MaxSettle, faultFor/2)
}

// FaultImpact is what a fault did to the tables of one locality in one
// run, computed from the Result alone (FaultImpacts). Times are seconds
// since the start of the run, latencies milliseconds.
type FaultImpact struct {
	// Fault names the fault (several names joined by " + " for faults
	// taken together); StartS and EndS are its window.
	Fault        string
	StartS, EndS float64
	// Locality is a table locality; Tables are the run's tables with it,
	// in scenario order, and Ranges their total range count.
	Locality string
	Tables   []string
	Ranges   int
	// RangesUnavailable counts the locality's ranges with an outage
	// during the fault. A range's unavailability is the sum of its outages'
	// durations during the fault; MaxUnavailableS and P99UnavailableS are
	// the largest and the 99th percentile (linear interpolation) over the
	// ranges that had an outage, 0 when none had.
	RangesUnavailable int
	MaxUnavailableS   float64
	P99UnavailableS   float64
	// Requests and Errors count the requests to the locality's tables
	// that the fault may have affected: those issued from one timeline
	// interval before the fault starts (requests in flight when it starts)
	// until one interval before the next fault starts, or the run ends
	// (requests slowed or failed by the recovery). Errors come back by the
	// time the client gives up (up to the 60 s circuit breaker), but
	// the timeline files them by the time they were issued.
	Requests, Errors uint64
	// AfterS is when the after-failover window starts: StartS plus
	// SettleTime of the fault; the window ends at EndS. The latencies below
	// are over the timeline intervals that start inside it, all tables of
	// the locality and all client regions: the median of the intervals'
	// p50 (p99), weighting each interval by its request count — a typical
	// interval's p50 (p99), which a few slow intervals do not move. Counts
	// are the requests in those intervals; a zero count means no data and
	// zero latencies.
	AfterS                 float64
	WriteCount             uint64
	WriteP50Ms, WriteP99Ms float64
	ReadCount              uint64
	ReadP50Ms, ReadP99Ms   float64
}

// FaultImpacts returns the impact of each of r's faults (in r.Faults order)
// on each table locality (in the order the localities first appear in
// r.Tables, then in r.Stats), read from r.Faults, r.Unavailability,
// r.Timeline, r.Tables and r.Stats. A fault's requests and errors run
// until the next fault starts (faults that start together share them). A
// run without faults has none.
func (r *Result) FaultImpacts() []FaultImpact {
	var out []FaultImpact
	for _, f := range r.Faults {
		until := math.Inf(1)
		for _, g := range r.Faults {
			if g.StartS > f.StartS {
				until = min(until, g.StartS)
			}
		}
		out = append(out, r.LocalityImpact([]string{f.Name}, f.StartS, f.EndS, until)...)
	}
	return out
}

// LocalityImpact returns, per table locality, the impact of the named faults taken
// together (outages of any of them count) over the window [startS, endS),
// with requests and errors counted until untilS (+Inf for the end of the
// run): see FaultImpact. It is how a sweep measures a pair of AZ outages
// that start and end together.
func (r *Result) LocalityImpact(faults []string, startS, endS, untilS float64) []FaultImpact {
	out, _ := r.impact(faults, startS, endS, untilS)
	return out
}

// afterPoints are one locality's timeline intervals in an after-failover
// window: p50 and p99 of writes and reads, weighted by request count.
type afterPoints struct {
	writeP50, writeP99, readP50, readP99 []weighted
}

// impact is Impact, also returning each locality's after-failover
// intervals (so that a sweep can pool them over runs).
func (r *Result) impact(faults []string, startS, endS, untilS float64) ([]FaultImpact, []afterPoints) {
	name := ""
	for i, f := range faults {
		if i > 0 {
			name += " + "
		}
		name += f
	}
	settle := SettleTime(time.Duration((endS - startS) * float64(time.Second))).Seconds()
	groups := r.localityGroups()
	out := make([]FaultImpact, len(groups))
	for i, g := range groups {
		out[i] = FaultImpact{Fault: name, StartS: startS, EndS: endS, Locality: g.locality,
			Tables: g.tables, Ranges: g.ranges, AfterS: startS + settle}
	}
	group := func(table string) int {
		return slices.IndexFunc(groups, func(g localityGroup) bool { return slices.Contains(g.tables, table) })
	}

	// Per range: the sum of its outages during the faults.
	type rangeKey struct {
		table string
		rng   int
	}
	down := map[rangeKey]float64{}
	var keys []rangeKey
	for _, u := range r.Unavailability {
		if !slices.Contains(faults, u.Fault) {
			continue
		}
		k := rangeKey{u.Table, u.Range}
		if _, ok := down[k]; !ok {
			keys = append(keys, k)
		}
		down[k] += u.EndS - u.StartS
	}
	perGroup := make([][]float64, len(groups))
	for _, k := range keys {
		if gi := group(k.table); gi >= 0 {
			perGroup[gi] = append(perGroup[gi], down[k])
		}
	}
	for gi, d := range perGroup {
		slices.Sort(d)
		out[gi].RangesUnavailable = len(d)
		if len(d) > 0 {
			out[gi].MaxUnavailableS = d[len(d)-1]
			out[gi].P99UnavailableS = Quantile(d, 0.99)
		}
	}

	width := r.TimelineSeconds
	if width <= 0 {
		width = 1
	}
	pts := make([]afterPoints, len(groups))
	for _, p := range r.Timeline {
		gi := group(p.Table)
		if gi < 0 {
			continue
		}
		im := &out[gi]
		if p.TS >= startS-width && p.TS < untilS-width {
			im.Requests += p.Count
			im.Errors += p.Errors
		}
		if p.TS < im.AfterS || p.TS >= endS || p.Count == 0 {
			continue
		}
		pt := &pts[gi]
		switch p.Op {
		case "write":
			im.WriteCount += p.Count
			pt.writeP50 = append(pt.writeP50, weighted{p.P50Ms, p.Count})
			pt.writeP99 = append(pt.writeP99, weighted{p.P99Ms, p.Count})
		case "read":
			im.ReadCount += p.Count
			pt.readP50 = append(pt.readP50, weighted{p.P50Ms, p.Count})
			pt.readP99 = append(pt.readP99, weighted{p.P99Ms, p.Count})
		}
	}
	for gi := range out {
		pt := pts[gi]
		// weightedMedian sorts: median on copies so pts keep input order.
		out[gi].WriteP50Ms = weightedMedian(slices.Clone(pt.writeP50))
		out[gi].WriteP99Ms = weightedMedian(slices.Clone(pt.writeP99))
		out[gi].ReadP50Ms = weightedMedian(slices.Clone(pt.readP50))
		out[gi].ReadP99Ms = weightedMedian(slices.Clone(pt.readP99))
	}
	return out, pts
}

// localityGroup is the tables of one locality.
type localityGroup struct {
	locality string
	tables   []string
	ranges   int
}

// localityGroups groups r's tables by locality: r.Tables first (scenario
// order), then tables only r.Stats names, then tables only
// r.Unavailability names (locality "unknown"; results written before
// Result.Tables existed).
func (r *Result) localityGroups() []localityGroup {
	var groups []localityGroup
	seen := map[string]bool{}
	add := func(table, locality string, ranges int) {
		if seen[table] {
			return
		}
		seen[table] = true
		i := slices.IndexFunc(groups, func(g localityGroup) bool { return g.locality == locality })
		if i < 0 {
			groups = append(groups, localityGroup{locality: locality})
			i = len(groups) - 1
		}
		groups[i].tables = append(groups[i].tables, table)
		groups[i].ranges += ranges
	}
	for _, t := range r.Tables {
		add(t.Name, t.Locality, t.Ranges)
	}
	for _, s := range r.Stats {
		add(s.Table, s.Locality, 0)
	}
	for _, u := range r.Unavailability {
		add(u.Table, "unknown", 0)
	}
	return groups
}

// weighted is a value with a weight (a request count).
type weighted struct {
	v float64
	w uint64
}

// weightedMedian returns the smallest value whose cumulative weight
// reaches half the total (values in ascending order, ties in input
// order), or 0 for no weight. It sorts ws.
func weightedMedian(ws []weighted) float64 {
	var total uint64
	for _, x := range ws {
		total += x.w
	}
	if total == 0 {
		return 0
	}
	slices.SortStableFunc(ws, func(a, b weighted) int { return cmp.Compare(a.v, b.v) })
	var sum uint64
	for _, x := range ws {
		sum += x.w
		if 2*sum >= total {
			return x.v
		}
	}
	return ws[len(ws)-1].v
}

// Quantile returns the q-quantile (q in [0, 1]) of the ascending values
// sorted by linear interpolation between closest ranks (the "type 7"
// estimator of R and NumPy's default), or NaN for no values.
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * q
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
