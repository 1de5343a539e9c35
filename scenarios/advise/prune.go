package advise

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/closedform"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// This file is the closed-form stage: for a configured scenario, every
// figure an SLO can select (table × op × client region) with the
// distribution of its requests' latencies on a fault-free cluster at the
// initial placement, each latency draw at its median (Expected) and at
// its floor (Low). Low is the fastest jitter can make a request (no draw
// of a link, an evaluation or a log append is below its floor; faults,
// contention and retries only add time), so a figure whose Low already
// misses a latency bound misses it in any run: the candidate is pruned.

// figure is one table × op × client region of a configured scenario.
type figure struct {
	table, op, region string
	// n is the number of requests a run measures (rate × share × span).
	n float64
	// expected and low mix every workload entry's requests of the figure,
	// each weighted by its request count.
	expected, low closedform.Mixture
}

// closedForm returns the figures of the validated scenario v, in
// workload order, and whether they bound its runs from below: not when a
// table has locality none, whose leases follow the workload away from
// their initial place (the closed form's departure, docs/model.md).
func closedForm(v *scenarios.Scenario) ([]*figure, bool, error) {
	placed, err := v.Place()
	if err != nil {
		return nil, false, err
	}
	if u := v.UnderReplication(placed); len(u) > 0 {
		// CockroachDB would run it with fewer replicas than it asks for
		// (e.g. 5 ZONE voters in a region of 3 nodes): the same layout
		// as a smaller configuration, so advise does not offer it.
		return nil, false, fmt.Errorf("under-replicated: %s", u[0])
	}
	ex := v.Expectations(placed)
	bounds := true
	for _, t := range v.Tables {
		if t.Locality == "none" {
			bounds = false
		}
	}
	type key struct{ table, op, region string }
	index := map[key]*figure{}
	var out []*figure
	for wi, w := range v.Workload {
		reqs := requests(v, w)
		for _, os := range w.OpShares() {
			x := ex[wi][os.Op]
			if x == nil {
				continue
			}
			k := key{w.Table, os.Op.String(), w.Region}
			f, ok := index[k]
			if !ok {
				f = &figure{table: k.table, op: k.op, region: k.region}
				index[k] = f
				out = append(out, f)
			}
			n := reqs * os.Share
			f.n += n
			f.expected.Add(x.Expected.Atoms(), n)
			f.low.Add(x.Low.Atoms(), n)
		}
	}
	return out, bounds, nil
}

// requests returns how many requests workload entry w issues in v's
// measured span: its rate (schedule or profile) integrated from the end of
// the warmup for the duration.
func requests(v *scenarios.Scenario, w scenarios.Workload) float64 {
	from, to := v.Warmup, v.Warmup+v.Duration
	rate, steps, err := w.RateSchedule(to)
	if err != nil {
		return 0
	}
	total := 0.0
	at := time.Duration(0)
	for _, st := range append(slices.Clone(steps), scenarios.Step{At: to, Rate: 0}) {
		lo, hi := max(at, from), min(st.At, to)
		if hi > lo {
			total += rate * (hi - lo).Seconds()
		}
		at, rate = st.At, st.Rate
	}
	return total
}

// rankNoise is δ = 3·√(q(1−q)/n): three standard deviations of the
// empirical CDF of n samples at quantile q (the share of samples below
// the q-quantile is binomial); 1 for n < 1.
func rankNoise(q, n float64) float64 {
	if n < 1 {
		return 1
	}
	return 3 * math.Sqrt(q*(1-q)/n)
}

// quantileOf returns the quantile a latency metric reads (max: 1), and
// false for the mean and other metrics.
func quantileOf(m slo.Metric) (float64, bool) {
	switch m {
	case slo.P50:
		return 0.5, true
	case slo.P90:
		return 0.9, true
	case slo.P99:
		return 0.99, true
	case slo.P999:
		return 0.999, true
	case slo.Max:
		// The largest of the samples is at least their p99.9.
		return 0.999, true
	}
	return 0, false
}

// floorOf returns the smallest value metric m (a latency) of f can take
// in a run of f.n requests, in milliseconds, and false for a metric the
// closed form does not bound: the q-quantile of Low at q − δ (sampling
// may put up to δ more of the requests on faster paths than the mixture's
// weights, at three standard deviations; the max is at least the
// p99.9), the mean of Low less three standard errors.
func (f *figure) floorOf(m slo.Metric) (float64, bool) {
	if f.low.Empty() {
		return 0, false
	}
	if q, ok := quantileOf(m); ok {
		return roundMs(msOf(f.low.Quantile(max(0, q-rankNoise(q, f.n))))), true
	}
	if m != slo.Mean || f.n < 1 {
		return 0, false
	}
	mean, sd := moments(f.low.Atoms())
	return roundMs(max(0, mean-3*sd/math.Sqrt(f.n))), true
}

// moments returns the mean and standard deviation of d, in milliseconds.
func moments(d closedform.Dist) (mean, sd float64) {
	for _, a := range d {
		mean += a.P * msOf(a.Latency)
	}
	for _, a := range d {
		x := msOf(a.Latency) - mean
		sd += a.P * x * x
	}
	return mean, math.Sqrt(sd)
}

// roundMs rounds milliseconds to the microsecond, like Result's figures.
func roundMs(v float64) float64 { return math.Round(v*1e3) / 1e3 }

// msOf converts a duration to milliseconds.
func msOf(d time.Duration) float64 { return float64(d) / 1e6 }

// selects reports whether assertion a selects figure f.
func selects(a *slo.Assertion, f *figure) bool {
	return (a.Table == "" || a.Table == f.table) && (a.Op == "" || a.Op == f.op) && (a.Region == "" || a.Region == f.region)
}

// floorMiss checks a latency assertion against the figures' floors: it
// returns the outcome of the worst selected figure (its floor as Measured)
// and whether the floor alone makes a fail, beyond the histogram's
// relative accuracy (scenarios.DepartureTolerance). Only < and <= bounds
// are checked; ok is false when nothing could be decided.
func floorMiss(a *slo.Assertion, figs []*figure) (o Outcome, miss, ok bool) {
	if !a.Metric.Latency() || (a.Cmp != slo.Less && a.Cmp != slo.LessEq) {
		return Outcome{}, false, false
	}
	for _, f := range figs {
		if !selects(a, f) {
			continue
		}
		v, has := f.floorOf(a.Metric)
		if !has {
			continue
		}
		if !ok || v > o.Measured {
			o = Outcome{SLO: a.Expr, Measured: v, Bound: a.Bound, Unit: string(slo.Milliseconds), Source: SourceFloor,
				Where: slo.Where{Table: f.table, Op: f.op, ClientRegion: f.region}.String()}
			ok = true
		}
	}
	if !ok {
		return Outcome{}, false, false
	}
	lowest := o.Measured * (1 - scenarios.DepartureTolerance)
	miss = lowest >= a.Bound && a.Cmp == slo.Less || lowest > a.Bound
	o.OK = !miss
	o.Margin = round6(a.Bound - o.Measured)
	return o, miss, true
}

// expectedMeans returns the request-weighted mean of the figures' expected
// latencies, in milliseconds, over every op and over the writes (write,
// insert, txn; NaN without any).
func expectedMeans(figs []*figure) (all, writes float64) {
	var sum, n, wsum, wn float64
	for _, f := range figs {
		mean, _ := moments(f.expected.Atoms())
		sum += mean * f.n
		n += f.n
		if isWrite(f.op) {
			wsum += mean * f.n
			wn += f.n
		}
	}
	all, writes = math.NaN(), math.NaN()
	if n > 0 {
		all = sum / n
	}
	if wn > 0 {
		writes = wsum / wn
	}
	return all, writes
}

// isWrite reports whether op writes.
func isWrite(op string) bool {
	return op == raft.OpWrite.String() || op == raft.OpInsert.String() || op == raft.OpTxn.String()
}
