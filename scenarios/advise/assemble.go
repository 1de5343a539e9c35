package advise

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// Assemble returns the plan's Result from every one of its runs, in any
// order (RunShard's, or parts read back): per simulated candidate the
// baseline's stats pooled over the seeds and checked against every
// latency SLO, each outage's runs aggregated (scenarios.AggregateSweep)
// and checked against the survival SLOs; then the ranking.
func (p *Plan) Assemble(runs []Run) (*Result, error) {
	byIndex := make([]*scenarios.Result, len(p.jobs))
	for _, r := range runs {
		switch {
		case r.Index < 0 || r.Index >= len(p.jobs):
			return nil, fmt.Errorf("advise: run %d outside the plan's %d runs", r.Index, len(p.jobs))
		case byIndex[r.Index] != nil:
			return nil, fmt.Errorf("advise: run %d given twice", r.Index)
		case r.Result == nil:
			return nil, fmt.Errorf("advise: run %d has no result", r.Index)
		}
		byIndex[r.Index] = r.Result
	}
	for j, r := range byIndex {
		if r == nil {
			return nil, fmt.Errorf("advise: run %d of %d missing", j, len(p.jobs))
		}
	}
	res := *p.Header
	res.Candidates = nil
	simulated := map[int][]int{} // candidate → its jobs, in order
	for j, jb := range p.jobs {
		simulated[jb.ci] = append(simulated[jb.ci], j)
	}
	for ci, c := range p.cands {
		cand := Candidate{Index: c.index, Config: c.config, ExpectedMeanMs: zeroNaN(c.expMean)}
		if k := p.costs[twinKey(c.config)]; k != nil && c.config.Survival != SurvivalNone {
			cand.RegionCostMs = diff(k[1][0], k[0][0])
			cand.RegionCostWriteMs = diff(k[1][1], k[0][1])
		}
		jobs, ok := simulated[ci]
		switch {
		case c.pruned:
			cand.Status = Pruned
			cand.SLOs = c.floor
		case !ok:
			cand.Status = NotSimulated
		default:
			cand.SLOs, cand.MeanMs = p.judge(jobs, byIndex)
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

// judge checks every SLO against a simulated candidate's runs (jobs, in
// plan order: the baseline's seeds, then each outage's) and returns the
// outcomes and the baseline's request-weighted mean latency.
func (p *Plan) judge(jobs []int, runs []*scenarios.Result) ([]Outcome, float64) {
	seeds := len(p.Header.Seeds)
	base := make([]*scenarios.Result, seeds)
	for k := range seeds {
		base[k] = runs[jobs[k]]
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
	for i := seeds; i < len(jobs); i += seeds {
		jb := p.jobs[jobs[i]]
		rs := make([]*scenarios.Result, seeds)
		for k := range seeds {
			rs[k] = runs[jobs[i+k]]
		}
		outages = append(outages, outage{jb.fault.Kind,
			scenarios.AggregateSweep(*jb.fault, rs[0].Survival, rs, p.opts.SurviveWithin)})
	}
	var out []Outcome
	for _, x := range p.slos {
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
		bound := p.opts.SurviveWithin.Seconds()
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
