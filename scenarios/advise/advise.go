package advise

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/regionsim/regionsim/scenarios"
)

// Defaults of Options.
const (
	// DefaultMaxSimulated is how many candidates Plan simulates at most:
	// with loose SLOs thousands of configurations pass the closed form,
	// and those beyond it are ranked by the closed form only.
	DefaultMaxSimulated = 100
	// DefaultSeeds is how many seeds each run of a candidate gets.
	DefaultSeeds = 1
)

// Options configure Plan. DefaultOptions fills them; the zero value is not
// valid.
type Options struct {
	// Seeds is how many runs (seeds s.Seed, s.Seed+1, …) each candidate's
	// baseline and each outage get; their requests are pooled; >= 1.
	Seeds int
	// SurviveWithin is the longest stall a client may see for an outage to
	// count as survived (scenarios.DefaultSurviveWithin); > 0.
	SurviveWithin time.Duration
	// FaultAt and FaultFor place the outage of a survival SLO's runs, from
	// the start of the run (warmup included); FaultFor must exceed
	// SurviveWithin, or a lasting outage would pass for a failover.
	FaultAt, FaultFor time.Duration
	// MaxSimulated bounds the candidates simulated (DefaultMaxSimulated):
	// past it, those with the lowest closed-form mean latency are
	// simulated, the rest ranked by the closed form. 0 means no bound.
	MaxSimulated int
	// Goals, if not empty, are the survival goals searched (zone, region,
	// none): the configurations of other goals are left out, not counted.
	Goals []string
	// NoPrune simulates every configuration, pruning none (the exhaustive
	// search the pruned one is checked against).
	NoPrune bool
	// Parallelism is how many closed forms or runs go at once; 0 means
	// GOMAXPROCS. Results do not depend on it.
	Parallelism int
	// Progress, if set, is called after each run with the runs done and
	// the total, from one goroutine at a time; ClosedFormProgress likewise
	// after each configuration's closed form (NewPlan).
	Progress, ClosedFormProgress func(done, total int)
	// Budget limits each run (scenarios.RunOptions.Budget).
	Budget scenarios.Budget
}

// DefaultOptions returns the options for the validated scenario s: one
// seed, the sweep's survival bound (scenarios.DefaultSurviveWithin) and
// outage start (warmup + 20 % of the duration), and an outage of
// DefaultFaultFor(bound).
func DefaultOptions(s *scenarios.Scenario) Options {
	o := scenarios.DefaultSweepOptions(s)
	return Options{Seeds: DefaultSeeds, SurviveWithin: scenarios.DefaultSurviveWithin,
		FaultAt: o.FaultAt, FaultFor: DefaultFaultFor(scenarios.DefaultSurviveWithin), MaxSimulated: DefaultMaxSimulated}
}

// DefaultFaultFor is how long an outage lasts for a survival bound of
// within: twice the bound, so that a range that stays without a quorum
// stalls its clients for twice what they may bear, while a failover
// (about 10 s at most, reference §6.2) ends within it. The sweep's 2
// minutes also keep a lasting outage from hiding under the 60 s circuit
// breaker; here a stall is a stall whether requests wait or fail fast, and
// the shorter outage makes each run about half as long.
func DefaultFaultFor(within time.Duration) time.Duration { return 2 * within }

// Validate checks o. Errors are *scenarios.Error wrapping
// scenarios.ErrInvalid whose Field is advise.seeds, advise.survive_within,
// advise.fault_at, advise.fault_for or advise.max_simulated.
func (o Options) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &scenarios.Error{Field: field, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case o.Seeds < 1 || o.Seeds > scenarios.MaxSweepSeeds:
		return bad("advise.seeds", "%d is out of range [1, %d]", o.Seeds, scenarios.MaxSweepSeeds)
	case o.SurviveWithin <= 0:
		return bad("advise.survive_within", "%v (want > 0)", o.SurviveWithin)
	case o.FaultAt < 0:
		return bad("advise.fault_at", "%v (want >= 0)", o.FaultAt)
	case o.FaultFor <= o.SurviveWithin:
		return bad("advise.fault_for", "%v is not longer than the survival bound %v: a lasting outage would count as survived", o.FaultFor, o.SurviveWithin)
	case o.MaxSimulated < 0:
		return bad("advise.max_simulated", "%d (want >= 0)", o.MaxSimulated)
	}
	return nil
}

// Status is where a candidate ended.
type Status string

// The statuses, in rank order.
const (
	// Meets: simulated, and every SLO held.
	Meets Status = "meets"
	// Misses: simulated, and some SLO did not hold.
	Misses Status = "misses"
	// Pruned: not simulated, because the closed form's floor already
	// misses a latency SLO.
	Pruned Status = "pruned"
	// NotSimulated: passed the closed form, but past Options.MaxSimulated.
	NotSimulated Status = "not simulated"
)

// Sources of an Outcome's measured value.
const (
	// SourceSimulated: the runs' pooled figure (latency SLOs: the run
	// without faults; survival: the longest stall over the outages).
	SourceSimulated = "simulated"
	// SourceFloor: the closed form with every latency draw at its floor,
	// less sampling noise (the fastest any run can be).
	SourceFloor = "closed-form floor"
)

// Outcome is one SLO checked for one candidate.
type Outcome struct {
	// SLO is the expression as given.
	SLO string `json:"slo"`
	// OK reports whether it held.
	OK bool `json:"ok"`
	// Measured is the worst selected figure in Unit (latency: ms; survival:
	// the longest client stall, s); Bound the SLO's bound in Unit.
	Measured float64 `json:"measured"`
	Bound    float64 `json:"bound"`
	Unit     string  `json:"unit"`
	// Margin is how far the worst figure is inside the bound, in Unit:
	// Bound − Measured for an upper bound (negative: missed by that much),
	// Measured − Bound for a lower bound.
	Margin float64 `json:"margin"`
	// Where names the worst figure: table, op and client region, and the
	// outage for a survival SLO.
	Where string `json:"where"`
	// Source is SourceSimulated or SourceFloor.
	Source string `json:"source"`
}

// Candidate is one configuration of the design space that CockroachDB
// accepts, with what became of it.
type Candidate struct {
	// Rank is the position in Result.Candidates, from 1.
	Rank int `json:"rank"`
	// Index is the position in Enumerate's order.
	Index  int    `json:"index"`
	Config Config `json:"config"`
	Status Status `json:"status"`
	// MeanMs is the request-weighted mean latency of every op in the run
	// without faults (simulated candidates; 0 otherwise); ExpectedMeanMs
	// the same from the closed form (NaN-free: 0 without requests).
	MeanMs         float64 `json:"mean_ms"`
	ExpectedMeanMs float64 `json:"expected_mean_ms"`
	// RegionCostWriteMs is what REGION survival costs the writes (write,
	// insert, txn) of this configuration's localities, primary and
	// secondary region: the closed form's request-weighted mean write
	// latency under REGION (num_voters 5) less under ZONE (num_voters 3);
	// null when either is refused or there are no writes.
	RegionCostWriteMs *float64 `json:"region_cost_write_ms"`
	// RegionCostMs is the same over every op.
	RegionCostMs *float64 `json:"region_cost_ms"`
	// SLOs are the SLOs in the order given: for a pruned candidate only
	// the latency SLOs with an upper bound, checked against the closed
	// form's floor (Source SourceFloor).
	SLOs []Outcome `json:"slos"`
}

// Missed returns the outcomes that did not hold.
func (c *Candidate) Missed() []Outcome {
	var out []Outcome
	for _, o := range c.SLOs {
		if !o.OK {
			out = append(out, o)
		}
	}
	return out
}

// Refusal counts the configurations refused with one message.
type Refusal struct {
	// Reason is the validation message (CockroachDB's rule or the
	// cluster's size).
	Reason string `json:"reason"`
	// Count is how many configurations it refused; Example names one.
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// Result is the output of advise: plain data with a JSON contract.
type Result struct {
	// Scenario is the scenario's name; SLOs the SLOs as given.
	Scenario string   `json:"scenario"`
	SLOs     []string `json:"slos"`
	// Seeds are the seeds every run of a candidate used.
	Seeds []uint64 `json:"seeds"`
	// DurationS and WarmupS are the measured span and warmup of the runs
	// without faults (s); FaultDurationS the measured span of the outage
	// runs, FaultAtS and FaultForS their outage (s).
	DurationS      float64 `json:"duration_s"`
	WarmupS        float64 `json:"warmup_s"`
	FaultDurationS float64 `json:"fault_duration_s"`
	FaultAtS       float64 `json:"fault_at_s"`
	FaultForS      float64 `json:"fault_for_s"`
	// SurviveWithinS is the survival bound (s); FaultKinds the outages a
	// survival SLO runs (zone: every AZ; region: every region).
	SurviveWithinS float64  `json:"survive_within_s"`
	FaultKinds     []string `json:"fault_kinds"`
	// Enumerated counts the design space; Refused the configurations
	// refused (by reason in Refusals); Pruned those the closed form rules
	// out; Simulated those run; NotSimulated those past MaxSimulated;
	// Meeting those that meet every SLO. Runs counts the simulation runs.
	Enumerated   int       `json:"enumerated"`
	Refused      int       `json:"refused"`
	Refusals     []Refusal `json:"refusals"`
	Pruned       int       `json:"pruned"`
	Simulated    int       `json:"simulated"`
	NotSimulated int       `json:"not_simulated"`
	Meeting      int       `json:"meeting"`
	Runs         int       `json:"runs"`
	// Candidates are ranked: those that meet every SLO by MeanMs (then
	// enumeration order), then those that miss by the number of SLOs
	// missed and the sum of their relative misses, then the pruned ones
	// likewise (by the closed form), then those not simulated by
	// ExpectedMeanMs.
	Candidates []Candidate `json:"candidates"`
}

// Top returns the best candidate, or nil without any.
func (r *Result) Top() *Candidate {
	if len(r.Candidates) == 0 {
		return nil
	}
	return &r.Candidates[0]
}

// candidate is a Config that validated, during planning.
type candidate struct {
	index  int
	config Config
	// s is the configured scenario; kept only for the candidates
	// simulated (thousands of clusters otherwise stay in memory).
	s *scenarios.Scenario
	// floor are the latency SLOs checked against the closed form's floor;
	// pruned if one missed.
	floor            []Outcome
	pruned           bool
	expMean, expWrit float64
}

// Job is one run of a plan: a candidate's run without faults (Fault nil)
// or under one outage, with one seed.
type Job struct {
	// Candidate is the index in Plan.Candidates of the candidate run.
	Candidate int `json:"candidate"`
	// Fault is the outage; nil for the run without faults.
	Fault *scenarios.SweepFault `json:"fault"`
	// Seed is the index in Result.Seeds of the run's seed.
	Seed int `json:"seed"`
}

// Plan is what advise runs (NewPlan): the candidates and their runs.
// Header, Candidates and Jobs are plain data: with the runs (RunShard's,
// from any process) they are all Assemble reads.
type Plan struct {
	// Header is the Result without Candidates.
	Header *Result
	// Candidates are the configurations CockroachDB accepts, in
	// enumeration order, before any run: the pruned ones with their
	// floors, those past MaxSimulated NotSimulated, those to simulate
	// with Status "".
	Candidates []Candidate
	// Jobs are the runs of the simulated candidates, candidate-major: the
	// run without faults, then every outage, each over the seeds.
	Jobs  []Job
	opts  Options
	cands []*candidate
	// faultDuration is the measured span of the outage runs.
	faultDuration time.Duration
	// costs maps a twin key to its expected means under zone and region.
	costs map[string]*[2][2]float64
}

// NewPlan enumerates the design space of the validated scenario s,
// validates and computes the closed form of every configuration (in
// parallel), prunes and picks the candidates to simulate, and returns the
// runs to make. slos must have passed CheckScope.
func NewPlan(s *scenarios.Scenario, slos []SLO, opts Options) (*Plan, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	// The configurations of the goals searched, and those of the other
	// goals that the REGION-vs-ZONE cost compares with (not counted).
	configs := Enumerate(s)
	searched := make([]bool, len(configs))
	for i, c := range configs {
		searched[i] = len(opts.Goals) == 0 || slices.Contains(opts.Goals, c.Survival)
		if !searched[i] && !isTwin(c) {
			configs[i].Survival = ""
		}
	}
	type planned struct {
		c      *candidate
		refuse string
	}
	out := make([]planned, len(configs))
	err := scenarios.Parallel(len(configs), opts.Parallelism, opts.ClosedFormProgress, func(i int) error {
		if configs[i].Survival == "" {
			return nil
		}
		v, err := configs[i].Apply(s)
		if err != nil {
			if errors.Is(err, scenarios.ErrInvalid) || errors.Is(err, scenarios.ErrUnsupported) {
				out[i].refuse = err.Error()
				return nil
			}
			return err
		}
		figs, bounds, err := closedForm(v)
		if err != nil {
			out[i].refuse = err.Error()
			return nil
		}
		c := &candidate{index: i, config: configs[i], s: v}
		c.expMean, c.expWrit = expectedMeans(figs)
		if bounds && !opts.NoPrune {
			for _, x := range slos {
				if x.Assertion == nil {
					continue
				}
				if o, miss, ok := floorMiss(x.Assertion, figs); ok {
					c.floor = append(c.floor, o)
					c.pruned = c.pruned || miss
				}
			}
		}
		out[i].c = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	p := &Plan{opts: opts, costs: map[string]*[2][2]float64{}}
	h := &Result{Scenario: s.Name, Refusals: []Refusal{},
		DurationS: s.Duration.Seconds(), WarmupS: s.Warmup.Seconds(),
		SurviveWithinS: opts.SurviveWithin.Seconds(), FaultKinds: []string{}}
	for _, x := range slos {
		h.SLOs = append(h.SLOs, x.Expr)
		switch x.Survive {
		case SurviveRegion:
			h.FaultKinds = appendNew(h.FaultKinds, scenarios.SweepRegion)
		case SurviveZone:
			h.FaultKinds = appendNew(h.FaultKinds, scenarios.SweepZone)
		}
	}
	for i := range opts.Seeds {
		h.Seeds = append(h.Seeds, s.Seed+uint64(i))
	}
	for i, pl := range out {
		if !searched[i] {
			if pl.c != nil {
				p.noteCost(pl.c)
			}
			continue
		}
		h.Enumerated++
		if pl.c == nil {
			h.Refused++
			k := slices.IndexFunc(h.Refusals, func(r Refusal) bool { return r.Reason == pl.refuse })
			if k < 0 {
				h.Refusals = append(h.Refusals, Refusal{Reason: pl.refuse, Example: configs[i].String()})
				k = len(h.Refusals) - 1
			}
			h.Refusals[k].Count++
			continue
		}
		p.cands = append(p.cands, pl.c)
		p.noteCost(pl.c)
	}
	// The candidates to simulate: every one the closed form keeps, the
	// lowest expected mean latency first when there are too many.
	var keep []int
	for i, c := range p.cands {
		if c.pruned {
			h.Pruned++
			continue
		}
		keep = append(keep, i)
	}
	if opts.MaxSimulated > 0 && len(keep) > opts.MaxSimulated {
		slices.SortStableFunc(keep, func(a, b int) int { return cmp.Compare(p.cands[a].expMean, p.cands[b].expMean) })
		h.NotSimulated = len(keep) - opts.MaxSimulated
		keep = keep[:opts.MaxSimulated]
		slices.Sort(keep)
	}
	h.Simulated = len(keep)
	for i, c := range p.cands {
		if !slices.Contains(keep, i) {
			c.s = nil
		}
	}
	// The outage runs: long enough for the outage and the sweep's
	// recovery after it.
	sw := scenarios.SweepOptions{FaultAt: opts.FaultAt, FaultFor: opts.FaultFor}
	p.faultDuration = sw.MinDuration(s)
	h.FaultAtS, h.FaultForS, h.FaultDurationS = opts.FaultAt.Seconds(), opts.FaultFor.Seconds(), p.faultDuration.Seconds()
	if len(h.FaultKinds) == 0 {
		h.FaultAtS, h.FaultForS, h.FaultDurationS = 0, 0, 0
	}
	for _, ci := range keep {
		faults := []*scenarios.SweepFault{nil}
		if len(h.FaultKinds) > 0 {
			for _, f := range scenarios.SweepFaults(p.cands[ci].s, h.FaultKinds) {
				faults = append(faults, &f)
			}
		}
		for _, f := range faults {
			for k := range opts.Seeds {
				p.Jobs = append(p.Jobs, Job{Candidate: ci, Fault: f, Seed: k})
			}
		}
	}
	h.Runs = len(p.Jobs)
	p.Header = h
	for i, c := range p.cands {
		cand := Candidate{Index: c.index, Config: c.config, ExpectedMeanMs: zeroNaN(c.expMean)}
		if k := p.costs[twinKey(c.config)]; k != nil && c.config.Survival != SurvivalNone {
			cand.RegionCostMs = diff(k[1][0], k[0][0])
			cand.RegionCostWriteMs = diff(k[1][1], k[0][1])
		}
		switch {
		case c.pruned:
			cand.Status, cand.SLOs = Pruned, c.floor
		case !slices.Contains(keep, i):
			cand.Status = NotSimulated
		}
		p.Candidates = append(p.Candidates, cand)
	}
	return p, nil
}

// twinKey identifies a configuration up to its survival goal and voters.
func twinKey(c Config) string {
	return c.Primary + "/" + c.Secondary + "/" + c.Localities()
}

// isTwin reports whether c is one of the configurations the
// REGION-vs-ZONE cost compares: zone with 3 voters, region with 5
// (CockroachDB's defaults).
func isTwin(c Config) bool {
	return c.Survival == "zone" && c.Voters == 3 || c.Survival == "region" && c.Voters == 5
}

// noteCost records c's expected means if it is one of the twins.
func (p *Plan) noteCost(c *candidate) {
	if !isTwin(c.config) {
		return
	}
	g := 0
	if c.config.Survival == "region" {
		g = 1
	}
	k := twinKey(c.config)
	if p.costs[k] == nil {
		p.costs[k] = &[2][2]float64{{math.NaN(), math.NaN()}, {math.NaN(), math.NaN()}}
	}
	p.costs[k][g] = [2]float64{c.expMean, c.expWrit}
}

// SetProgress sets the function RunShard and RunAll call after each run
// with the runs done and the total (Options.Progress).
func (p *Plan) SetProgress(progress func(done, total int)) { p.opts.Progress = progress }

// Runs returns how many runs the plan makes.
func (p *Plan) Runs() int { return len(p.Jobs) }

// Run is one run of a plan: its index and its result, trimmed to what
// advise reads.
type Run struct {
	Index  int               `json:"index"`
	Result *scenarios.Result `json:"result"`
}

// RunAll makes every run of the plan, in parallel, and assembles the
// result.
func (p *Plan) RunAll() (*Result, error) {
	runs, err := p.RunShard(0, 1)
	if err != nil {
		return nil, err
	}
	return p.Assemble(runs)
}

// RunShard makes the runs j of the plan with j % n == i, in parallel
// (Options.Parallelism), and returns them in index order.
func (p *Plan) RunShard(i, n int) ([]Run, error) {
	if n < 1 || i < 0 || i >= n {
		return nil, fmt.Errorf("advise: shard %d of %d", i, n)
	}
	var idx []int
	for j := i; j < len(p.Jobs); j += n {
		idx = append(idx, j)
	}
	out := make([]Run, len(idx))
	err := scenarios.Parallel(len(idx), p.opts.Parallelism, p.opts.Progress, func(k int) error {
		j := idx[k]
		r, err := p.run(j)
		if err != nil {
			return err
		}
		out[k] = Run{Index: j, Result: r}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// run makes run j.
func (p *Plan) run(j int) (*scenarios.Result, error) {
	jb := p.Jobs[j]
	c := p.cands[jb.Candidate]
	v := c.s.Clone()
	v.Seed = p.Header.Seeds[jb.Seed]
	name := "no fault"
	if f := jb.Fault; f != nil {
		name = f.Name
		v.Duration = p.faultDuration
		kind := scenarios.FaultZone
		if f.Kind == scenarios.SweepRegion {
			kind = scenarios.FaultRegion
		}
		for _, t := range f.Targets {
			v.Faults = append(v.Faults, scenarios.Fault{At: p.opts.FaultAt, Kind: kind, Target: t, For: p.opts.FaultFor})
		}
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("%s, %s, %s: %w", c.config, name, "validate", err)
		}
	}
	// Advise reads no run's critical path, closed-form expectation (it
	// ranks by its own closed form) or timeline.
	r, err := scenarios.RunWith(v, scenarios.RunOptions{Budget: p.opts.Budget, SkipExplain: true, SkipTimelines: true})
	if err != nil {
		return nil, fmt.Errorf("%s, %s, seed %d: %w", c.config, name, v.Seed, err)
	}
	r.Leases, r.LeaseShare, r.Resolved = nil, nil, nil
	r.Timeline, r.TimelineCompleted, r.Unavailability = nil, nil, nil
	r.LoadTimeline, r.Traffic = nil, nil
	if jb.Fault != nil {
		for i := range r.Stats {
			r.Stats[i].Latency = nil
		}
	}
	return r, nil
}

func appendNew[T comparable](xs []T, x T) []T {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}
