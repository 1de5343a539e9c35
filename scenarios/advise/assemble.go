package advise

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// Assemble returns the plan's Result from every one of its runs, in any
// order (RunShard's, or parts read back): see AssembleRuns.
func (p *Plan) Assemble(runs []Run) (*Result, error) {
	return AssembleRuns(p.Header, p.Candidates, p.Jobs, runs)
}

// AssembleRuns returns the Result of a plan (its Header, Candidates and
// Jobs) from every one of its runs, in any order: per simulated candidate
// the stats of its run without faults pooled over the seeds and checked
// against every SLO of header.SLOs, each outage's runs aggregated
// (scenarios.AggregateSweep) and checked against the survival SLOs; then
// the ranking. It reads only those arguments, so runs read back from JSON
// give the same result as runs in memory.
func AssembleRuns(header *Result, cands []Candidate, jobs []Job, runs []Run) (*Result, error) {
	byIndex := make([]*scenarios.Result, len(jobs))
	for _, r := range runs {
		switch {
		case r.Index < 0 || r.Index >= len(jobs):
			return nil, fmt.Errorf("advise: run %d outside the plan's %d runs", r.Index, len(jobs))
		case byIndex[r.Index] != nil:
			return nil, fmt.Errorf("advise: run %d given twice", r.Index)
		case r.Result == nil:
			return nil, fmt.Errorf("advise: run %d has no result", r.Index)
		}
		byIndex[r.Index] = r.Result
	}
	for j, r := range byIndex {
		if r == nil {
			return nil, fmt.Errorf("advise: run %d of %d missing", j, len(jobs))
		}
	}
	slos, err := ParseAll(header.SLOs)
	if err != nil {
		return nil, err
	}
	within := time.Duration(math.Round(header.SurviveWithinS * 1e9))
	res := *header
	res.Candidates = nil
	simulated := map[int][]int{} // candidate → its jobs, in order
	for j, jb := range jobs {
		if jb.Candidate < 0 || jb.Candidate >= len(cands) {
			return nil, fmt.Errorf("advise: job %d names candidate %d of %d", j, jb.Candidate, len(cands))
		}
		simulated[jb.Candidate] = append(simulated[jb.Candidate], j)
	}
	for ci, c := range cands {
		cand := c
		cand.SLOs = slices.Clone(c.SLOs)
		if js, ok := simulated[ci]; ok {
			cand.SLOs, cand.MeanMs = judge(slos, within, len(header.Seeds), jobs, js, byIndex)
			cand.Status = Meets
			if len(cand.Missed()) > 0 {
				cand.Status = Misses
			}
		}
		if cand.Status == Meets {
			res.Meeting++
		}
		res.Candidates = append(res.Candidates, cand)
	}
	rank(res.Candidates)
	return &res, nil
}

// judge checks every SLO against a simulated candidate's runs (js, in
// plan order: the run without faults over the seeds, then each outage's)
// and returns the outcomes and the request-weighted mean latency of the
// run without faults.
func judge(slos []SLO, within time.Duration, seeds int, jobs []Job, js []int, runs []*scenarios.Result) ([]Outcome, float64) {
	base := make([]*scenarios.Result, seeds)
	for k := range seeds {
		base[k] = runs[js[k]]
	}
	pooled := *base[0]
	pooled.Stats = scenarios.PoolStats(base)
	pooled.Impact, pooled.Faults = nil, nil
	src := slo.FromResult(&pooled)
	var sum, n float64
	for _, st := range pooled.Stats {
		sum += st.MeanMs * float64(st.Count)
		n += float64(st.Count)
	}
	mean := 0.0
	if n > 0 {
		mean = roundMs(sum / n)
	}
	// The outages, each over its seeds.
	type outage struct {
		kind string
		c    scenarios.SweepCase
	}
	var outages []outage
	for i := seeds; i < len(js); i += seeds {
		jb := jobs[js[i]]
		rs := make([]*scenarios.Result, seeds)
		for k := range seeds {
			rs[k] = runs[js[i+k]]
		}
		outages = append(outages, outage{jb.Fault.Kind,
			scenarios.AggregateSweep(*jb.Fault, rs[0].Survival, rs, within)})
	}
	var out []Outcome
	for _, x := range slos {
		if x.Assertion != nil {
			a := x.Assertion
			o, err := src.Check(*a)
			if err != nil {
				// No request selected (an op a locality change removed):
				// nothing measured, nothing missed.
				out = append(out, Outcome{SLO: x.Expr, OK: true, Bound: a.Bound, Unit: string(a.Metric.Unit()),
					Where: "no requests", Source: SourceSimulated})
				continue
			}
			out = append(out, Outcome{SLO: x.Expr, OK: o.OK, Measured: o.Measured, Bound: a.Bound, Unit: string(o.Unit),
				Margin: round6(margin(a.Cmp, o.Measured, a.Bound)), Where: o.Where.String(), Source: SourceSimulated})
			continue
		}
		kind := scenarios.SweepRegion
		if x.Survive == SurviveZone {
			kind = scenarios.SweepZone
		}
		bound := within.Seconds()
		o := Outcome{SLO: x.Expr, OK: true, Bound: bound, Unit: string(slo.Seconds), Source: SourceSimulated, Where: "no stall"}
		for _, u := range outages {
			if u.kind != kind {
				continue
			}
			worst := u.c.Unavailable.Max
			if worst > o.Measured || (o.Where == "no stall" && u.c.Worst != nil) {
				o.Measured = worst
				o.Where = u.c.Name
				if w := u.c.Worst; w != nil {
					o.Where = slo.Where{Table: w.Table, Op: w.Op, ClientRegion: w.ClientRegion, Fault: u.c.Name}.String()
				}
			}
			if !u.c.Survived() {
				o.OK = false
			}
		}
		o.Measured = round6(o.Measured)
		o.Margin = round6(bound - o.Measured)
		out = append(out, o)
	}
	return out, mean
}

// margin is how far measured is inside bound under cmp (negative: outside).
func margin(c slo.Cmp, measured, bound float64) float64 {
	switch c {
	case slo.Greater, slo.GreaterEq:
		return measured - bound
	case slo.Equal:
		return -math.Abs(measured - bound)
	case slo.NotEqual:
		return math.Abs(measured - bound)
	}
	return bound - measured
}

// relativeMiss sums, over the outcomes that failed, how far each is past
// its bound relative to the bound (1 for a zero bound).
func relativeMiss(os []Outcome) float64 {
	sum := 0.0
	for _, o := range os {
		if o.OK {
			continue
		}
		if o.Bound > 0 {
			sum += -o.Margin / o.Bound
		} else {
			sum++
		}
	}
	return sum
}

// statusRank orders the statuses.
var statusRank = map[Status]int{Meets: 0, Misses: 1, Pruned: 2, NotSimulated: 3}

// rank sorts cs in rank order (see Result.Candidates) and numbers them.
func rank(cs []Candidate) {
	slices.SortStableFunc(cs, func(a, b Candidate) int {
		if c := cmp.Compare(statusRank[a.Status], statusRank[b.Status]); c != 0 {
			return c
		}
		switch a.Status {
		case Meets:
			if c := cmp.Compare(a.MeanMs, b.MeanMs); c != 0 {
				return c
			}
		case Misses, Pruned:
			if c := cmp.Compare(len(a.Missed()), len(b.Missed())); c != 0 {
				return c
			}
			if c := cmp.Compare(relativeMiss(a.SLOs), relativeMiss(b.SLOs)); c != 0 {
				return c
			}
		case NotSimulated:
			if c := cmp.Compare(a.ExpectedMeanMs, b.ExpectedMeanMs); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Index, b.Index)
	})
	for i := range cs {
		cs[i].Rank = i + 1
	}
}

// diff returns a − b rounded to the microsecond, or nil if either is NaN.
func diff(a, b float64) *float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return nil
	}
	d := math.Round((a-b)*1e3) / 1e3
	return &d
}

// zeroNaN returns v, or 0 for NaN.
func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return roundMs(v)
}

// round6 rounds v to 6 decimals (a microsecond in seconds, a nanosecond
// in milliseconds), so that differences print and serialise stably.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
