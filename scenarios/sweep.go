package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/regionsim/regionsim/raft/placement"
)

// DefaultSweepSeeds is how many seeds a sweep runs per fault and survival
// goal unless told otherwise.
const DefaultSweepSeeds = 3

// MaxSweepSeeds bounds SweepOptions.Seeds.
const MaxSweepSeeds = 10_000

// SweepOptions configures Sweep. DefaultSweepOptions fills them for a
// scenario; the zero value is not valid (Seeds and FaultFor must be set).
type SweepOptions struct {
	// Seeds is how many runs each fault × survival goal gets, with seeds
	// s.Seed, s.Seed+1, …; in [1, MaxSweepSeeds].
	Seeds int
	// FaultAt is when the swept fault starts, since the start of the run
	// (warmup included); >= 0.
	FaultAt time.Duration
	// FaultFor is how long it lasts; > 0, and FaultAt+FaultFor is within
	// the run.
	FaultFor time.Duration
	// Pairs adds, for every region, every pair of its AZs down together.
	Pairs bool
	// Parallelism is how many runs go at once; 0 means GOMAXPROCS. Results
	// do not depend on it.
	Parallelism int
	// Progress, if set, is called after each run with the runs done and
	// the total, from one goroutine at a time.
	Progress func(done, total int)
	// Budget limits each run (see RunOptions.Budget).
	Budget Budget
}

// DefaultSweepOptions returns the options of a sweep of s: DefaultSweepSeeds
// seeds, the fault at warmup + 20 % of the duration, lasting 50 % of the
// duration, no AZ pairs, every core.
func DefaultSweepOptions(s *Scenario) SweepOptions {
	return SweepOptions{
		Seeds:    DefaultSweepSeeds,
		FaultAt:  s.Warmup + s.Duration/5,
		FaultFor: s.Duration / 2,
	}
}

// Validate checks o against the validated scenario s. Errors are *Error
// wrapping ErrInvalid whose Field is "sweep.seeds", "sweep.fault_at" or
// "sweep.fault_for".
func (o SweepOptions) Validate(s *Scenario) error {
	switch {
	case o.Seeds < 1 || o.Seeds > MaxSweepSeeds:
		return fieldErr("sweep.seeds", "%d is out of range [1, %d]", o.Seeds, MaxSweepSeeds)
	case o.FaultAt < 0:
		return fieldErr("sweep.fault_at", "%v (want >= 0)", o.FaultAt)
	case o.FaultFor <= 0:
		return fieldErr("sweep.fault_for", "%v (want > 0)", o.FaultFor)
	case o.FaultAt > s.end():
		return fieldErr("sweep.fault_at", "%v is after the end of the run (warmup %v + duration %v)",
			o.FaultAt, s.Warmup, s.Duration)
	case o.FaultFor > s.end()-o.FaultAt:
		return fieldErr("sweep.fault_for", "%v from %v ends after the run (warmup %v + duration %v)",
			o.FaultFor, o.FaultAt, s.Warmup, s.Duration)
	}
	return nil
}

// SweepResult is the output of Sweep: plain data with a JSON contract.
// Times are seconds, latencies milliseconds.
type SweepResult struct {
	Scenario    string   `json:"scenario"`     // the scenario's name
	CRDBVersion string   `json:"crdb_version"` // the CockroachDB version modelled
	RTT         string   `json:"rtt"`          // preset name or CSV path
	Seeds       []uint64 `json:"seeds"`        // every case runs each of these seeds
	// FaultAtS and FaultForS are the swept fault's start and length;
	// AfterS is when its after-failover window starts (FaultAtS +
	// SettleTime).
	FaultAtS  float64 `json:"fault_at_s"`
	FaultForS float64 `json:"fault_for_s"`
	AfterS    float64 `json:"after_failover_s"`
	// Survivals are the survival goals swept ("none" for a database
	// without multi-region SQL); Skipped says why a goal was left out.
	Survivals []string `json:"survivals"`
	Skipped   []string `json:"skipped"`
	// ReplacedFaults is how many faults the scenario had; the sweep
	// replaced them with the swept fault.
	ReplacedFaults int `json:"replaced_faults"`
	// Cases are the faults × survival goals, fault-major, in the order
	// of SweepFaults.
	Cases []SweepCase `json:"cases"`

	// Resolved is the scenario swept, after flags and defaults, without
	// faults (each run has only the swept fault), with the first seed
	// (Sweep sets it; nil in a SweepResult built by hand).
	Resolved *Scenario `json:"-"`
}

// SweepFault is one fault a sweep injects: a single AZ, a pair of AZs of
// one region, or a region.
type SweepFault struct {
	// Name is "zone us-east1-b", "zones us-east1-a + us-east1-b" or
	// "region us-east1".
	Name string `json:"fault"`
	// Kind is "zone", "zone-pair" or "region"; Targets the zones or the
	// region.
	Kind    string   `json:"kind"`
	Targets []string `json:"targets"`
}

// SweepCase is one fault under one survival goal over every seed.
type SweepCase struct {
	SweepFault
	Survival string `json:"survival"` // zone, region, or none
	// Runs is the number of seeds run; SurvivedRuns those in which no
	// measured request failed.
	Runs         int `json:"runs"`
	SurvivedRuns int `json:"survived_runs"`
	// Unavailable spreads, over the runs, each run's longest range
	// unavailability of any table (0 in a run without outages).
	Unavailable Spread `json:"unavailable_s"`
	// Localities break the case down by table locality, in table order.
	Localities []SweepLocality `json:"localities"`
}

// Survived reports whether no measured request failed in any run.
func (c *SweepCase) Survived() bool { return c.SurvivedRuns == c.Runs }

// SweepLocality is one table locality under one fault and survival goal,
// over every seed.
type SweepLocality struct {
	Locality string   `json:"locality"`
	Tables   []string `json:"tables"` // the tables of that locality, in table order
	Ranges   int      `json:"ranges"` // their range count
	// SurvivedRuns counts the runs in which no measured request to these
	// tables failed (whole run, Stats errors).
	Runs         int `json:"runs"`
	SurvivedRuns int `json:"survived_runs"`
	// Requests and Errors sum, over the runs, the measured requests to
	// the locality's tables and those that failed (Stats): the swept fault
	// is a run's only fault, so every error is its doing.
	Requests uint64 `json:"requests"`
	Errors   uint64 `json:"errors"`
	// RangesUnavailable is the most ranges of the locality that lost
	// service in one run.
	RangesUnavailable int `json:"ranges_unavailable"`
	// Unavailable spreads, over the runs, each run's longest range
	// unavailability (FaultImpact.MaxUnavailableS).
	Unavailable Spread `json:"unavailable_s"`
	// WriteCount, WriteP50Ms and WriteP99Ms are the writes after failover
	// (FaultImpact), pooled over the runs: the count-weighted median of the
	// intervals' p50 and p99. A zero count means no writes were measured.
	WriteCount uint64  `json:"write_count"`
	WriteP50Ms float64 `json:"write_p50_ms"`
	WriteP99Ms float64 `json:"write_p99_ms"`
}

// Survived reports whether no request to the locality failed in any run.
func (l *SweepLocality) Survived() bool { return l.SurvivedRuns == l.Runs }

// Spread summarises one value over runs (seconds): smallest, mean, 99th
// percentile (linear interpolation) and largest.
type Spread struct {
	Min  float64 `json:"min"`  // seconds
	Mean float64 `json:"mean"` // seconds
	P99  float64 `json:"p99"`  // seconds
	Max  float64 `json:"max"`  // seconds
}

// spreadOf returns the Spread of vs (sorted in place); zero for none.
func spreadOf(vs []float64) Spread {
	if len(vs) == 0 {
		return Spread{}
	}
	slices.Sort(vs)
	sum := 0.0
	for _, v := range vs {
		sum += v
	}
	return Spread{Min: vs[0], Mean: sum / float64(len(vs)), P99: Quantile(vs, 0.99), Max: vs[len(vs)-1]}
}

// SweepFaults returns the faults a sweep of the validated scenario s
// injects, in cluster order: every AZ, then with pairs every pair of AZs
// of one region (region by region), then every region.
func SweepFaults(s *Scenario, pairs bool) []SweepFault {
	c := s.Cluster()
	var out []SweepFault
	for _, z := range c.Zones {
		out = append(out, SweepFault{Name: "zone " + z.Name, Kind: "zone", Targets: []string{z.Name}})
	}
	if pairs {
		for _, r := range c.Regions {
			for i, a := range r.Zones {
				for _, b := range r.Zones[i+1:] {
					za, zb := c.Zones[a].Name, c.Zones[b].Name
					out = append(out, SweepFault{Name: "zones " + za + " + " + zb, Kind: "zone-pair", Targets: []string{za, zb}})
				}
			}
		}
	}
	for _, r := range c.Regions {
		out = append(out, SweepFault{Name: "region " + r.Name, Kind: "region", Targets: []string{r.Name}})
	}
	return out
}

// faults returns the scenario faults of f starting at at for length.
func (f SweepFault) faults(at, length time.Duration) []Fault {
	kind := FaultZone
	if f.Kind == "region" {
		kind = FaultRegion
	}
	out := make([]Fault, len(f.Targets))
	for i, t := range f.Targets {
		out[i] = Fault{At: at, Kind: kind, Target: t, For: length}
	}
	return out
}

// sweepSurvivals returns the survival goals a sweep of s runs, each with a
// validated copy of s, and notes on the goals it leaves out.
func sweepSurvivals(s *Scenario) (goals []string, variants []*Scenario, skipped []string, err error) {
	if !s.ResolvedDatabase().MultiRegion() {
		return []string{"none"}, []*Scenario{s.Clone()},
			[]string{"zone and region survival: the database has no multi-region SQL (no table uses a multi-region locality); runs use default replication"}, nil
	}
	for _, goal := range []string{string(placement.SurvivalZone), string(placement.SurvivalRegion)} {
		v, err := s.WithSurvival(goal)
		if err != nil {
			if goal == string(placement.SurvivalRegion) {
				skipped = append(skipped, "region survival: "+strings.TrimPrefix(err.Error(), "scenarios: "))
				continue
			}
			return nil, nil, nil, err
		}
		goals = append(goals, goal)
		variants = append(variants, v)
	}
	return goals, variants, skipped, nil
}

// Sweep runs the validated scenario s once per fault of SweepFaults ×
// survival goal × seed, every run in parallel (opts.Parallelism), each run
// with the scenario's faults replaced by the swept fault, and aggregates
// the runs of each fault × survival goal with AggregateSweep. ZONE and
// REGION survival are swept for a multi-region database (REGION only where
// the database allows it; SweepResult.Skipped says otherwise), the
// scenario as is for one without. Runs are deterministic, so the result
// does not depend on parallelism. An invalid opts gives an *Error (see
// SweepOptions.Validate); a run's error is returned joined with the
// others.
func Sweep(s *Scenario, opts SweepOptions) (*SweepResult, error) {
	if s.Cluster() == nil {
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	if err := opts.Validate(s); err != nil {
		return nil, err
	}
	replaced := len(s.Faults)
	s = s.Clone()
	s.Faults = nil
	goals, variants, skipped, err := sweepSurvivals(s)
	if err != nil {
		return nil, err
	}
	faults := SweepFaults(s, opts.Pairs)
	res := &SweepResult{
		Scenario: s.Name, CRDBVersion: s.Cockroach.Version, RTT: s.Topology.RTT,
		FaultAtS: opts.FaultAt.Seconds(), FaultForS: opts.FaultFor.Seconds(),
		AfterS:    (opts.FaultAt + SettleTime(opts.FaultFor)).Seconds(),
		Survivals: goals, Skipped: skipped, ReplacedFaults: replaced,
		Resolved: s.Resolved(),
	}
	if res.Skipped == nil {
		res.Skipped = []string{}
	}
	for i := range opts.Seeds {
		res.Seeds = append(res.Seeds, s.Seed+uint64(i))
	}
	// One validated scenario per case; jobs are case-major, then seed.
	type sweepCase struct {
		fault    SweepFault
		survival string
		s        *Scenario
	}
	var cases []sweepCase
	for _, f := range faults {
		for gi, goal := range goals {
			v := variants[gi].Clone()
			v.Faults = f.faults(opts.FaultAt, opts.FaultFor)
			if err := v.Validate(); err != nil {
				return nil, err
			}
			cases = append(cases, sweepCase{f, goal, v})
		}
	}
	n := opts.Seeds
	start, end := opts.FaultAt.Seconds(), (opts.FaultAt + opts.FaultFor).Seconds()
	results, err := runParallel(len(cases)*n, opts.Parallelism, opts.Progress, func(j int) (*Result, error) {
		c := cases[j/n].s.Clone()
		c.Seed = res.Seeds[j%n]
		r, err := RunWith(c, RunOptions{Budget: opts.Budget})
		if err != nil {
			return nil, fmt.Errorf("%s, %s survival, seed %d: %w", cases[j/n].fault.Name, cases[j/n].survival, c.Seed, err)
		}
		trimForSweep(r, start, end)
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	for ci, c := range cases {
		res.Cases = append(res.Cases, AggregateSweep(c.fault, c.survival, results[ci*n:(ci+1)*n]))
	}
	return res, nil
}

// trimForSweep drops what AggregateSweep does not read from r: latency
// histograms, the lease log and lease shares, the resolved scenario, and
// the timeline intervals outside the fault window [startS, endS).
func trimForSweep(r *Result, startS, endS float64) {
	for i := range r.Stats {
		r.Stats[i].Latency = nil
	}
	r.Leases, r.LeaseShare, r.Resolved = nil, nil, nil
	width := max(r.TimelineSeconds, 1e-9)
	r.Timeline = slices.DeleteFunc(r.Timeline, func(p TimelinePoint) bool {
		return p.TS >= endS || p.TS+width <= startS
	})
	r.Timeline = slices.Clip(r.Timeline)
}

// AggregateSweep summarises the runs (one per seed) of fault f under
// survival goal survival. Each run is measured over the window of all its
// faults taken together (earliest start to latest end of r.Faults) with
// Result.Impact; a run with no faults counts as unaffected. A run
// survived when no measured request failed (r.Stats errors); the
// unavailability of a run is its longest range unavailability. Reads only
// Result fields.
func AggregateSweep(f SweepFault, survival string, runs []*Result) SweepCase {
	c := SweepCase{SweepFault: f, Survival: survival, Runs: len(runs)}
	var longest []float64
	type acc struct {
		loc                SweepLocality
		longest            []float64
		writeP50, writeP99 []weighted
	}
	var accs []*acc
	find := func(locality string) *acc {
		for _, a := range accs {
			if a.loc.Locality == locality {
				return a
			}
		}
		a := &acc{loc: SweepLocality{Locality: locality, Tables: []string{}}}
		accs = append(accs, a)
		return a
	}
	for _, r := range runs {
		names := make([]string, len(r.Faults))
		start, end := math.Inf(1), math.Inf(-1)
		for i, fw := range r.Faults {
			names[i] = fw.Name
			start, end = min(start, fw.StartS), max(end, fw.EndS)
		}
		if len(names) == 0 {
			start, end = 0, 0
		}
		errs, reqs := map[string]uint64{}, map[string]uint64{}
		for _, st := range r.Stats {
			errs[st.Locality] += st.Errors
			reqs[st.Locality] += st.Count
		}
		survived := true
		runLongest := 0.0
		impacts, pts := r.impact(names, start, end, math.Inf(1))
		for ii, im := range impacts {
			a := find(im.Locality)
			a.loc.Runs++
			for _, t := range im.Tables {
				if !slices.Contains(a.loc.Tables, t) {
					a.loc.Tables = append(a.loc.Tables, t)
				}
			}
			a.loc.Ranges = max(a.loc.Ranges, im.Ranges)
			if errs[im.Locality] == 0 {
				a.loc.SurvivedRuns++
			} else {
				survived = false
			}
			a.loc.Requests += reqs[im.Locality]
			a.loc.Errors += errs[im.Locality]
			a.loc.RangesUnavailable = max(a.loc.RangesUnavailable, im.RangesUnavailable)
			a.longest = append(a.longest, im.MaxUnavailableS)
			runLongest = max(runLongest, im.MaxUnavailableS)
			// Pool the intervals, not the per-run medians.
			a.loc.WriteCount += im.WriteCount
			a.writeP50 = append(a.writeP50, pts[ii].writeP50...)
			a.writeP99 = append(a.writeP99, pts[ii].writeP99...)
		}
		if survived {
			c.SurvivedRuns++
		}
		longest = append(longest, runLongest)
	}
	c.Unavailable = spreadOf(longest)
	for _, a := range accs {
		a.loc.Unavailable = spreadOf(a.longest)
		a.loc.WriteP50Ms = weightedMedian(a.writeP50)
		a.loc.WriteP99Ms = weightedMedian(a.writeP99)
		c.Localities = append(c.Localities, a.loc)
	}
	if c.Localities == nil {
		c.Localities = []SweepLocality{}
	}
	return c
}
