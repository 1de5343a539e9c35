package scenarios

import (
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim/stats"
	"github.com/regionsim/regionsim/topology"
)

// DefaultSweepSeeds is how many seeds a sweep runs per fault and survival
// goal unless told otherwise.
const DefaultSweepSeeds = 3

// MaxSweepSeeds bounds SweepOptions.Seeds.
const MaxSweepSeeds = 10_000

// DefaultSweepFaultFor is how long a swept fault lasts unless told
// otherwise: long enough that a lasting outage (a range without a quorum,
// a client region without a gateway) cannot pass for a failover, which
// takes at most about 10 s (reference §6.2), nor hide under the 60 s
// circuit breaker.
const DefaultSweepFaultFor = 2 * time.Minute

// SweepRecovery is how long a sweep's runs go on after the swept fault
// ends unless told otherwise, so that the recovery (liveness, elections,
// leases moving back) is measured too.
const SweepRecovery = 30 * time.Second

// Sweep fault kinds (SweepFault.Kind).
const (
	SweepZone      = "zone"
	SweepZonePair  = "zone-pair"
	SweepRegion    = "region"
	SweepNode      = "node"
	SweepPartition = "partition"
)

// SweepKinds lists the kinds a sweep can inject, in the order it injects
// them; DefaultSweepKinds those it injects unless told otherwise.
var (
	SweepKinds        = []string{SweepZone, SweepZonePair, SweepRegion, SweepNode, SweepPartition}
	DefaultSweepKinds = []string{SweepZone, SweepRegion, SweepNode, SweepPartition}
)

// SweepOptions configures Sweep. DefaultSweepOptions fills them for a
// scenario; the zero value is not valid (Seeds, FaultFor and Kinds must be
// set).
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
	// Duration is the measured span of every run (after the scenario's
	// warmup); 0 keeps the scenario's.
	Duration time.Duration
	// Kinds are the fault kinds swept, a subset of SweepKinds.
	Kinds []string
	// SurviveWithin is the longest stall a client may see for a fault to
	// count as survived; 0 means DefaultSurviveWithin.
	SurviveWithin time.Duration
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
// seeds, DefaultSweepKinds, the fault at warmup + 20 % of the duration
// lasting DefaultSweepFaultFor, and runs long enough for the fault and
// SweepRecovery after it (the scenario's duration when longer).
func DefaultSweepOptions(s *Scenario) SweepOptions {
	o := SweepOptions{
		Seeds:    DefaultSweepSeeds,
		FaultAt:  s.Warmup + s.Duration/5,
		FaultFor: DefaultSweepFaultFor,
		Kinds:    slices.Clone(DefaultSweepKinds),
	}
	o.Duration = o.MinDuration(s)
	return o
}

// MinDuration returns the measured span the runs need: the scenario's
// duration when the fault ends within it, else long enough to hold the
// fault and SweepRecovery after it.
func (o SweepOptions) MinDuration(s *Scenario) time.Duration {
	if o.FaultAt+o.FaultFor <= s.Warmup+s.Duration {
		return s.Duration
	}
	return o.FaultAt + o.FaultFor + SweepRecovery - s.Warmup
}

// surviveWithin returns the bound in effect.
func (o SweepOptions) surviveWithin() time.Duration {
	if o.SurviveWithin > 0 {
		return o.SurviveWithin
	}
	return DefaultSurviveWithin
}

// Validate checks o against the validated scenario s. Errors are *Error
// wrapping ErrInvalid whose Field is "sweep.seeds", "sweep.fault_at",
// "sweep.fault_for", "sweep.duration", "sweep.kinds" or
// "sweep.survive_within".
func (o SweepOptions) Validate(s *Scenario) error {
	dur := s.Duration
	if o.Duration > 0 {
		dur = o.Duration
	}
	end := s.Warmup + dur
	switch {
	case o.Seeds < 1 || o.Seeds > MaxSweepSeeds:
		return fieldErr("sweep.seeds", "%d is out of range [1, %d]", o.Seeds, MaxSweepSeeds)
	case o.Duration < 0:
		return fieldErr("sweep.duration", "%v (want > 0)", o.Duration)
	case o.SurviveWithin < 0:
		return fieldErr("sweep.survive_within", "%v (want > 0)", o.SurviveWithin)
	case o.FaultAt < 0:
		return fieldErr("sweep.fault_at", "%v (want >= 0)", o.FaultAt)
	case o.FaultFor <= 0:
		return fieldErr("sweep.fault_for", "%v (want > 0)", o.FaultFor)
	case o.FaultAt > end:
		return fieldErr("sweep.fault_at", "%v is after the end of the run (warmup %v + duration %v)",
			o.FaultAt, s.Warmup, dur)
	case o.FaultFor > end-o.FaultAt:
		return fieldErr("sweep.fault_for", "%v from %v ends after the run (warmup %v + duration %v)",
			o.FaultFor, o.FaultAt, s.Warmup, dur)
	case len(o.Kinds) == 0:
		return fieldErr("sweep.kinds", "none (want some of %s)", strings.Join(SweepKinds, ", "))
	}
	for _, k := range o.Kinds {
		if !slices.Contains(SweepKinds, k) {
			return fieldErr("sweep.kinds", "unknown kind %q (want some of %s)", k, strings.Join(SweepKinds, ", "))
		}
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
	// SettleTime); DurationS the measured span of every run, after
	// WarmupS.
	FaultAtS  float64 `json:"fault_at_s"`
	FaultForS float64 `json:"fault_for_s"`
	AfterS    float64 `json:"after_failover_s"`
	WarmupS   float64 `json:"warmup_s"`
	DurationS float64 `json:"duration_s"`
	// SurviveWithinS is the longest stall a client may see for a fault to
	// count as survived (ClientImpact.Survived).
	SurviveWithinS float64 `json:"survive_within_s"`
	// Kinds are the fault kinds swept.
	Kinds []string `json:"kinds"`
	// Survivals are the survival goals swept ("none" for a database
	// without multi-region SQL); Skipped says why a goal was left out.
	Survivals []string `json:"survivals"`
	Skipped   []string `json:"skipped"`
	// ReplacedFaults is how many faults the scenario had; the sweep
	// replaced them with the swept fault.
	ReplacedFaults int `json:"replaced_faults"`
	// Baselines are the latencies without a fault, one per survival goal
	// (in Survivals order), over the same seeds: what each goal costs.
	Baselines []SweepBaseline `json:"baselines"`
	// Cases are the faults × survival goals, fault-major, in the order
	// of SweepFaults.
	Cases []SweepCase `json:"cases"`
	// Verdict is what REGION survival buys over ZONE and costs, when both
	// were swept (SweepVerdict); null otherwise.
	Verdict *Verdict `json:"verdict"`

	// Resolved is the scenario swept, after flags and defaults, without
	// faults (each run has only the swept fault), with the first seed
	// (Sweep sets it; nil in a SweepResult built by hand).
	Resolved *Scenario `json:"-"`
}

// SweepBaseline is one survival goal's latencies without a fault: Stats
// pooled over the seeds (every run's requests in one distribution).
type SweepBaseline struct {
	Survival string `json:"survival"` // the survival goal: zone, region, or none
	Stats    []Stat `json:"stats"`    // per table, op and client region, every seed's requests together
}

// SweepFault is one fault a sweep injects: a single AZ, a pair of AZs of
// one region, a region, a node, or a region cut off from the others.
type SweepFault struct {
	// Name is "zone us-east1-b", "zones us-east1-a + us-east1-b",
	// "region us-east1", "node n3" or "partition us-east1".
	Name string `json:"fault"`
	// Kind is one of SweepKinds; Targets the zones, the region or the
	// node (a partition's region, cut off from every other region).
	Kind    string   `json:"kind"`
	Targets []string `json:"targets"`
}

// SweepCase is one fault under one survival goal over every seed.
type SweepCase struct {
	SweepFault
	Survival string `json:"survival"` // zone, region, or none
	// Runs is the number of seeds run; SurvivedRuns those in which every
	// client's stalls stayed within the bound (SweepResult.SurviveWithinS).
	Runs         int `json:"runs"`
	SurvivedRuns int `json:"survived_runs"`
	// Unavailable spreads, over the runs, each run's longest client stall
	// (0 in a run without one).
	Unavailable Spread `json:"unavailable_s"`
	// Worst is the client with the longest stall over every run, with
	// the seed of that run; nil when no client stalled.
	Worst *SweepWorst `json:"worst"`
	// Failed lists the (table, client region) pairs, as "table@region",
	// that did not survive in some run, in Clients order.
	Failed []string `json:"failed"`
	// Clients break the case down by table × op × client region, in the
	// runs' Stats order.
	Clients []SweepClient `json:"clients"`
}

// Survived reports whether every client survived in every run.
func (c *SweepCase) Survived() bool { return c.SurvivedRuns == c.Runs }

// SweepWorst names the longest client stall of a case.
type SweepWorst struct {
	Table        string  `json:"table"`
	Op           string  `json:"op"`
	ClientRegion string  `json:"client_region"`
	Seed         uint64  `json:"seed"`          // the run's seed
	UnavailableS float64 `json:"unavailable_s"` // the stall, seconds
	// Range is the range that stalled (index within the table).
	Range int `json:"range"`
}

// SweepClient is one table × op × client region under one fault and
// survival goal, over every seed.
type SweepClient struct {
	Table        string `json:"table"`
	Locality     string `json:"locality"`
	Op           string `json:"op"`
	ClientRegion string `json:"client_region"`
	// Runs counts the runs with these requests; SurvivedRuns those in
	// which their longest stall stayed within the bound.
	Runs         int `json:"runs"`
	SurvivedRuns int `json:"survived_runs"`
	// Unavailable spreads, over the runs, the longest stall
	// (ClientImpact.UnavailableS).
	Unavailable Spread `json:"unavailable_s"`
	// Requests, Errors and Slow sum ClientImpact's over the runs.
	Requests uint64 `json:"requests"`
	Errors   uint64 `json:"errors"`
	Slow     uint64 `json:"slow"`
	// During and After pool the runs' requests during and after failover
	// (ClientImpact.During, After) into one distribution each.
	During LatencySummary `json:"during"`
	After  LatencySummary `json:"after"`
}

// Survived reports whether these clients survived in every run.
func (c *SweepClient) Survived() bool { return c.SurvivedRuns == c.Runs }

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

// SweepFaults returns the faults of the given kinds a sweep of the
// validated scenario s injects, in this order: every AZ, every pair of
// AZs of one region (region by region), every region, every node, every
// region cut off from the others (with two regions or more).
func SweepFaults(s *Scenario, kinds []string) []SweepFault {
	c := s.Cluster()
	var out []SweepFault
	if slices.Contains(kinds, SweepZone) {
		for _, z := range c.Zones {
			out = append(out, SweepFault{Name: "zone " + z.Name, Kind: SweepZone, Targets: []string{z.Name}})
		}
	}
	if slices.Contains(kinds, SweepZonePair) {
		for _, r := range c.Regions {
			for i, a := range r.Zones {
				for _, b := range r.Zones[i+1:] {
					za, zb := c.Zones[a].Name, c.Zones[b].Name
					out = append(out, SweepFault{Name: "zones " + za + " + " + zb, Kind: SweepZonePair, Targets: []string{za, zb}})
				}
			}
		}
	}
	if slices.Contains(kinds, SweepRegion) {
		for _, r := range c.Regions {
			out = append(out, SweepFault{Name: "region " + r.Name, Kind: SweepRegion, Targets: []string{r.Name}})
		}
	}
	if slices.Contains(kinds, SweepNode) {
		for i := range c.Nodes {
			n := fmt.Sprintf("n%d", i+1)
			out = append(out, SweepFault{Name: "node " + n, Kind: SweepNode, Targets: []string{n}})
		}
	}
	if slices.Contains(kinds, SweepPartition) && len(c.Regions) > 1 {
		for _, r := range c.Regions {
			out = append(out, SweepFault{Name: "partition " + r.Name, Kind: SweepPartition, Targets: []string{r.Name}})
		}
	}
	return out
}

// faults returns the scenario faults of f starting at at for length, on
// cluster c (a partition cuts f's region off from every other region).
func (f SweepFault) faults(c *topology.Cluster, at, length time.Duration) []Fault {
	switch f.Kind {
	case SweepPartition:
		var others []string
		for _, r := range c.Regions {
			if r.Name != f.Targets[0] {
				others = append(others, r.Name)
			}
		}
		return []Fault{{At: at, Kind: FaultPartition, For: length, Between: [][]string{{f.Targets[0]}, others}}}
	case SweepNode:
		return []Fault{{At: at, Kind: FaultNode, Target: f.Targets[0], For: length}}
	}
	kind := FaultZone
	if f.Kind == SweepRegion {
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

// sweepJob is one fault (none for a baseline) under one survival goal: a
// validated scenario to run once per seed.
type sweepJob struct {
	fault    *SweepFault
	survival string
	s        *Scenario
}

// sweepPlan returns what Sweep(s, opts) runs: per survival goal a baseline
// without faults, then every fault × goal, fault-major; the goals; and the
// notes on goals left out. s must be validated and opts valid for it.
func sweepPlan(s *Scenario, opts SweepOptions) (jobs []sweepJob, goals, skipped []string, err error) {
	base := s.Clone()
	base.Faults = nil
	if opts.Duration > 0 {
		base.Duration = opts.Duration
	}
	goals, variants, skipped, err := sweepSurvivals(base)
	if err != nil {
		return nil, nil, nil, err
	}
	for gi, goal := range goals {
		jobs = append(jobs, sweepJob{nil, goal, variants[gi]})
	}
	for _, f := range SweepFaults(base, opts.Kinds) {
		for gi, goal := range goals {
			v := variants[gi].Clone()
			v.Faults = f.faults(base.Cluster(), opts.FaultAt, opts.FaultFor)
			if err := v.Validate(); err != nil {
				return nil, nil, nil, err
			}
			jobs = append(jobs, sweepJob{&f, goal, v})
		}
	}
	return jobs, goals, skipped, nil
}

// Sweep runs the validated scenario s once per fault of SweepFaults ×
// survival goal × seed, and once per goal × seed without a fault (the
// baselines), every run in parallel (opts.Parallelism), each with the
// scenario's faults replaced by the swept fault and its measured span
// opts.Duration; it aggregates the runs of each fault × survival goal with
// AggregateSweep. ZONE and REGION survival are swept for a multi-region
// database (REGION only where the database allows it;
// SweepResult.Skipped says otherwise), the scenario as is for one without.
// Runs are deterministic, so the result does not depend on parallelism.
// An invalid opts gives an *Error (see SweepOptions.Validate); a run's
// error is returned joined with the others. Sweep is PlanSweep, every run
// of the plan, and Assemble, which it does a fault × goal at a time as the
// runs come in; a sharded sweep runs the same plan in parts
// (SweepPlan.RunShard) and merges them (MergeSweepParts).
func Sweep(s *Scenario, opts SweepOptions) (*SweepResult, error) {
	p, err := PlanSweep(s, opts)
	if err != nil {
		return nil, err
	}
	// Each fault × goal is aggregated as soon as its last seed's run is
	// done, and its runs are dropped, so that a sweep holds the runs of
	// the groups under way (the runs go in plan order, a group's seeds one
	// after another: at most a group per worker) rather than all of them.
	// The aggregate of a group depends only on its runs in seed order, so
	// the result is Assemble's.
	n := len(p.Header.Seeds)
	total := p.Runs()
	runs := make([]SweepRun, total)
	left := make([]int, total/n)
	for g := range left {
		left[g] = n
	}
	groups := make([]sweepGroup, total/n)
	bound := time.Duration(math.Round(p.Header.SurviveWithinS * 1e9))
	var mu sync.Mutex
	err = Parallel(total, opts.Parallelism, opts.Progress, func(j int) (err error) {
		run, err := p.runOne(j, opts)
		if err != nil {
			return err
		}
		g := j / n
		mu.Lock()
		runs[j] = run
		left[g]--
		last := left[g] == 0
		mu.Unlock()
		if !last {
			return nil
		}
		// Every seed of group g is in; no other goroutine touches its
		// slots any more.
		group := make([]*SweepRun, n)
		for k := range group {
			group[k] = &runs[g*n+k]
		}
		defer func() {
			// On a worker goroutine, a bug in the aggregation would
			// escape the CLI's handler: it is an error, as a run's is.
			if v := recover(); v != nil {
				err = &InternalError{Scenario: p.Header.Scenario, Seed: p.Header.Seeds[0], Panic: v, Stack: debug.Stack()}
			}
		}()
		groups[g], err = aggregateGroup(group, bound)
		clear(runs[g*n : (g+1)*n])
		return err
	})
	if err != nil {
		return nil, err
	}
	return finishSweep(p.Header, groups), nil
}

// SweepPlan is the list of runs a sweep makes (PlanSweep): run j is job
// j / seeds (a survival goal's baseline, then every fault × goal,
// fault-major) with seed number j % seeds.
type SweepPlan struct {
	// Header is the SweepResult without Baselines, Cases and Verdict.
	Header *SweepResult
	jobs   []sweepJob
	opts   SweepOptions
}

// PlanSweep validates opts against s (validating s first if needed) and
// returns the runs a sweep of s makes.
func PlanSweep(s *Scenario, opts SweepOptions) (*SweepPlan, error) {
	if s.Cluster() == nil {
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	if err := opts.Validate(s); err != nil {
		return nil, err
	}
	jobs, goals, skipped, err := sweepPlan(s, opts)
	if err != nil {
		return nil, err
	}
	bound := opts.surviveWithin()
	// The scenario swept: without faults, with the runs' duration.
	base := s.Clone()
	base.Faults = nil
	if opts.Duration > 0 {
		base.Duration = opts.Duration
	}
	if err := base.Validate(); err != nil {
		return nil, err
	}
	res := &SweepResult{
		Scenario: s.Name, CRDBVersion: s.Cockroach.Version, RTT: s.Topology.RTT,
		FaultAtS: opts.FaultAt.Seconds(), FaultForS: opts.FaultFor.Seconds(),
		AfterS:  (opts.FaultAt + SettleTime(opts.FaultFor)).Seconds(),
		WarmupS: s.Warmup.Seconds(), DurationS: jobs[0].s.Duration.Seconds(),
		SurviveWithinS: bound.Seconds(), Kinds: slices.Clone(opts.Kinds),
		Survivals: goals, Skipped: skipped, ReplacedFaults: len(s.Faults),
		Resolved: base.Resolved(),
	}
	if res.Skipped == nil {
		res.Skipped = []string{}
	}
	for i := range opts.Seeds {
		res.Seeds = append(res.Seeds, s.Seed+uint64(i))
	}
	return &SweepPlan{Header: res, jobs: jobs, opts: opts}, nil
}

// Runs returns how many runs the plan makes.
func (p *SweepPlan) Runs() int { return len(p.jobs) * len(p.Header.Seeds) }

// indexes returns the runs of shard i of n: every j with j % n == i, so
// that each shard gets a share of every fault and goal.
func (p *SweepPlan) indexes(i, n int) []int {
	var out []int
	for j := i; j < p.Runs(); j += n {
		out = append(out, j)
	}
	return out
}

// run makes the runs idx of the plan, in parallel (opts.Parallelism),
// and returns them in idx order, each trimmed to what a sweep reads.
func (p *SweepPlan) run(idx []int, opts SweepOptions) ([]SweepRun, error) {
	out := make([]SweepRun, len(idx))
	err := Parallel(len(idx), opts.Parallelism, opts.Progress, func(k int) error {
		var err error
		out[k], err = p.runOne(idx[k], opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// runOne makes run j of the plan and returns it trimmed to what a sweep
// reads.
func (p *SweepPlan) runOne(j int, opts SweepOptions) (SweepRun, error) {
	n := len(p.Header.Seeds)
	job := p.jobs[j/n]
	c := job.s.Clone()
	c.Seed = p.Header.Seeds[j%n]
	// A sweep reads no critical path, closed-form expectation or timeline
	// (SkipExplain, SkipTimelines; trimForSweep would drop them).
	r, err := RunWith(c, RunOptions{Budget: opts.Budget, impactHistograms: true, SkipExplain: true, SkipTimelines: true})
	if err != nil {
		name := "no fault"
		if job.fault != nil {
			name = job.fault.Name
		}
		return SweepRun{}, fmt.Errorf("%s, %s survival, seed %d: %w", name, job.survival, c.Seed, err)
	}
	trimForSweep(r, job.fault == nil)
	return SweepRun{Index: j, Fault: job.fault, Survival: job.survival, Result: r}, nil
}

// SweepRun is one run of a sweep: its index in the plan, the fault (nil
// for a baseline) and survival goal it ran, and its result trimmed to what
// a sweep reads.
type SweepRun struct {
	Index    int         `json:"index"`
	Fault    *SweepFault `json:"fault"`
	Survival string      `json:"survival"`
	Result   *Result     `json:"result"`
}

// Assemble returns the plan's SweepResult from every one of its runs (in
// any order): per survival goal the baseline's Stats pooled over the
// seeds, per fault × goal AggregateSweep of its seeds' runs, and the
// verdict. It reads only the runs' index and result, so runs read back
// from JSON (MergeSweepParts) give the same result as runs in memory.
func (p *SweepPlan) Assemble(runs []SweepRun) (*SweepResult, error) {
	return assemble(p.Header, runs, p.Runs())
}

// assemble is Assemble for a plan's header and run count.
func assemble(header *SweepResult, runs []SweepRun, total int) (*SweepResult, error) {
	n := len(header.Seeds)
	if n == 0 || total%n != 0 {
		return nil, fmt.Errorf("sweep: %d runs do not divide into %d seeds", total, n)
	}
	byIndex := make([]*SweepRun, total)
	for i := range runs {
		r := &runs[i]
		switch {
		case r.Index < 0 || r.Index >= total:
			return nil, fmt.Errorf("sweep: run %d outside the plan's %d runs", r.Index, total)
		case byIndex[r.Index] != nil:
			return nil, fmt.Errorf("sweep: run %d given twice", r.Index)
		case r.Result == nil:
			return nil, fmt.Errorf("sweep: run %d has no result", r.Index)
		}
		byIndex[r.Index] = r
	}
	for j, r := range byIndex {
		if r == nil {
			return nil, fmt.Errorf("sweep: run %d of %d missing", j, total)
		}
	}
	bound := time.Duration(math.Round(header.SurviveWithinS * 1e9))
	groups := make([]sweepGroup, total/n)
	for g := range groups {
		var err error
		if groups[g], err = aggregateGroup(byIndex[g*n:(g+1)*n], bound); err != nil {
			return nil, err
		}
	}
	return finishSweep(header, groups), nil
}

// sweepGroup is one group of a sweep's runs (a fault, or none, under one
// survival goal, over the seeds) aggregated: a baseline or a case.
type sweepGroup struct {
	baseline *SweepBaseline
	c        *SweepCase
}

// aggregateGroup aggregates the runs of one group, one per seed in seed
// order: a baseline's stats pooled (PoolStats), or AggregateSweep of a
// fault's runs judged against bound.
func aggregateGroup(group []*SweepRun, bound time.Duration) (sweepGroup, error) {
	results := make([]*Result, len(group))
	first := group[0]
	for k, r := range group {
		results[k] = r.Result
		if r.Survival != first.Survival || (r.Fault == nil) != (first.Fault == nil) ||
			(r.Fault != nil && r.Fault.Name != first.Fault.Name) {
			return sweepGroup{}, fmt.Errorf("sweep: runs %d and %d belong to one fault and goal but differ", first.Index, r.Index)
		}
	}
	if first.Fault == nil {
		return sweepGroup{baseline: &SweepBaseline{Survival: first.Survival, Stats: PoolStats(results)}}, nil
	}
	c := AggregateSweep(*first.Fault, first.Survival, results, bound)
	return sweepGroup{c: &c}, nil
}

// finishSweep returns header's sweep with the groups' baselines and cases,
// in plan order, and its verdict.
func finishSweep(header *SweepResult, groups []sweepGroup) *SweepResult {
	res := *header
	res.Baselines, res.Cases, res.Verdict = nil, nil, nil
	for _, g := range groups {
		if g.baseline != nil {
			res.Baselines = append(res.Baselines, *g.baseline)
		} else {
			res.Cases = append(res.Cases, *g.c)
		}
	}
	if v, ok := SweepVerdict(&res); ok {
		res.Verdict = &v
	}
	return &res
}

// trimForSweep drops what a sweep does not read from r (Assemble reads a
// run's Seed, Stats and Impact): the lease log, lease shares and resolved
// scenario, the per-second series (timelines and node load), the traffic,
// and unless keepLatency the latency histograms. A sweep keeps each run
// until its fault × goal is aggregated, a shard writes it whole into its
// part, so what is left is what a run costs a sweep in memory and a part
// in size: the series were about 85 % of it (docs/decisions.md, "A sweep
// keeps what it reads").
func trimForSweep(r *Result, keepLatency bool) {
	if !keepLatency {
		for i := range r.Stats {
			r.Stats[i].Latency = nil
			if st := r.Stats[i].Staleness; st != nil {
				st.Histogram = nil
			}
			if c := r.Stats[i].Contention; c != nil {
				c.Histogram = nil
			}
		}
	}
	r.Leases, r.LeaseShare, r.Resolved = nil, nil, nil
	r.Timeline, r.TimelineCompleted, r.LoadTimeline, r.Traffic = nil, nil, nil, nil
}

// PoolStats returns the Stats of runs of one scenario pooled: per table ×
// op × client region (in the first run's order, then new keys in order
// met), counts and errors summed and the latency (and staleness and
// contention) distributions merged, so that the percentiles are those of every run's
// requests together. A stat without its distribution (Latency nil)
// contributes its counts only.
func PoolStats(runs []*Result) []Stat {
	type key struct{ table, op, region string }
	var out []Stat
	var hists, stale, cont []*stats.Histogram
	var waited []uint64
	var apps []*AppLatency
	index := map[key]int{}
	for _, r := range runs {
		for _, st := range r.Stats {
			k := key{st.Table, st.Op, st.ClientRegion}
			i, ok := index[k]
			if !ok {
				i = len(out)
				index[k] = i
				out = append(out, Stat{Table: st.Table, Locality: st.Locality, Op: st.Op, ClientRegion: st.ClientRegion})
				hists = append(hists, stats.NewDefaultHistogram())
				stale = append(stale, stats.NewDefaultHistogram())
				cont = append(cont, stats.NewDefaultHistogram())
				waited = append(waited, 0)
				apps = append(apps, st.App)
			}
			o := &out[i]
			o.Count += st.Count
			o.Errors += st.Errors
			o.Ambiguous += st.Ambiguous
			o.MaxOKMs = max(o.MaxOKMs, st.MaxOKMs)
			if st.Latency != nil {
				hists[i].Merge(st.Latency)
			}
			if st.Staleness != nil && st.Staleness.Histogram != nil {
				stale[i].Merge(st.Staleness.Histogram)
			}
			if c := st.Contention; c != nil && c.Histogram != nil {
				cont[i].Merge(c.Histogram)
				waited[i] += c.Waited
			}
		}
	}
	for i := range out {
		h := hists[i]
		o := &out[i]
		o.Latency = h
		o.Staleness = summariseStaleness(stale[i])
		o.Contention = summariseContention(cont[i], waited[i])
		if h.Count() == 0 {
			continue
		}
		if a := apps[i]; a != nil {
			o.App = appLatency(a.Region, time.Duration(math.Round(a.ClientRTTMs*1e6)), h)
		}
		o.MeanMs, o.P50Ms, o.P90Ms = ms(h.Mean()), ms(h.Quantile(0.5)), ms(h.Quantile(0.9))
		o.P99Ms, o.P999Ms, o.MaxMs = ms(h.Quantile(0.99)), ms(h.Quantile(0.999)), ms(h.Max())
	}
	if out == nil {
		out = []Stat{}
	}
	return out
}

// AggregateSweep summarises the runs (one per seed) of fault f under
// survival goal survival, from each run's Impact: per table × op × client
// region the longest stall over the run's faults (faults that start
// together, such as an AZ pair, share one window), judged against bound.
// A run without faults counts as unaffected. Reads only Result fields.
func AggregateSweep(f SweepFault, survival string, runs []*Result, bound time.Duration) SweepCase {
	c := SweepCase{SweepFault: f, Survival: survival, Runs: len(runs), Failed: []string{}, Clients: []SweepClient{}}
	type key struct{ table, op, region string }
	type acc struct {
		longest       []float64
		during, after *stats.Histogram
	}
	index := map[key]int{}
	var accs []acc
	var longest []float64
	for _, r := range runs {
		// Per key, the run's impact entry with the longest stall.
		worst := map[key]*ClientImpact{}
		var order []key
		for i := range r.Impact {
			im := &r.Impact[i]
			k := key{im.Table, im.Op, im.ClientRegion}
			if w, ok := worst[k]; !ok {
				worst[k] = im
				order = append(order, k)
			} else if im.UnavailableS > w.UnavailableS {
				worst[k] = im
			}
		}
		survived, runLongest := true, 0.0
		for _, k := range order {
			im := worst[k]
			i, ok := index[k]
			if !ok {
				i = len(c.Clients)
				index[k] = i
				c.Clients = append(c.Clients, SweepClient{Table: im.Table, Locality: im.Locality, Op: im.Op, ClientRegion: im.ClientRegion})
				accs = append(accs, acc{during: stats.NewDefaultHistogram(), after: stats.NewDefaultHistogram()})
			}
			cl, a := &c.Clients[i], &accs[i]
			cl.Runs++
			if im.Survived(bound) {
				cl.SurvivedRuns++
			} else {
				survived = false
				if name := im.Table + "@" + im.ClientRegion; !slices.Contains(c.Failed, name) {
					c.Failed = append(c.Failed, name)
				}
			}
			cl.Requests += im.Requests
			cl.Errors += im.Errors
			cl.Slow += im.Slow
			a.longest = append(a.longest, im.UnavailableS)
			if im.DuringHistogram != nil {
				a.during.Merge(im.DuringHistogram)
			}
			if im.AfterHistogram != nil {
				a.after.Merge(im.AfterHistogram)
			}
			runLongest = max(runLongest, im.UnavailableS)
			if im.UnavailableS > 0 && (c.Worst == nil || im.UnavailableS > c.Worst.UnavailableS) {
				c.Worst = &SweepWorst{Table: im.Table, Op: im.Op, ClientRegion: im.ClientRegion,
					Seed: r.Seed, UnavailableS: im.UnavailableS, Range: im.UnavailableRange}
			}
		}
		if survived {
			c.SurvivedRuns++
		}
		longest = append(longest, runLongest)
	}
	c.Unavailable = spreadOf(longest)
	for i := range c.Clients {
		c.Clients[i].Unavailable = spreadOf(accs[i].longest)
		c.Clients[i].During = summarise(accs[i].during)
		c.Clients[i].After = summarise(accs[i].after)
	}
	// Failed in Clients order.
	slices.SortStableFunc(c.Failed, func(a, b string) int {
		first := func(name string) int {
			return slices.IndexFunc(c.Clients, func(cl SweepClient) bool { return cl.Table+"@"+cl.ClientRegion == name })
		}
		return first(a) - first(b)
	})
	return c
}
