package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/regionsim/regionsim/plots"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/scenarios/slo"
	"github.com/regionsim/regionsim/topology"
)

// runFlags are the flags shared by run, compare and sweep.
type runFlags struct {
	o    scenarios.Overrides
	seed uint64
	// duration, warmup and maxOffset hold their flags; load applies
	// those given (zero included).
	duration, warmup, maxOffset time.Duration
	format                      string
	out                         string
	force                       bool
	charts                      plots.ChartSet // --charts: which charts --out writes
	// maxEvents and maxMemory hold --max-events and --max-memory; load
	// parses them into budget. dryRun is --dry-run.
	maxEvents, maxMemory string
	budget               scenarios.Budget
	dryRun               bool
	// dropFaults makes load remove the scenario's faults before applying
	// the overrides (sweep replaces them, so a shorter --duration must not
	// trip over them); dropped counts them.
	dropFaults bool
	dropped    int
	// quiet turns off the progress line and every note on stderr (the
	// files --out wrote, regions mapped to another RTT spec's): only
	// errors and --assert results remain. stderr receives the progress
	// line.
	quiet  bool
	stderr io.Writer
	// asserts are the --assert expressions, parsed; afterFailover is set
	// by sweep, which keeps only p50 and p99 after failover (slo.Scope).
	asserts       assertFlag
	afterFailover bool
	// voters, zones and nodes hold --voters, --zones-per-region and
	// --nodes-per-zone; load applies those given.
	voters, zones, nodes int
	// estimateLabel, if set, names what --dry-run estimates (a sweep's
	// runs) instead of the scenario, survival and seed.
	estimateLabel string
}

// notes returns where notes go: stderr, or nowhere with --quiet.
func (f *runFlags) notes() io.Writer {
	if f.quiet || f.stderr == nil {
		return io.Discard
	}
	return f.stderr
}

func (f *runFlags) bind(fs *pflag.FlagSet, survival bool) {
	if survival {
		fs.StringVar(&f.o.Survival, "survival", "", "survival goal: zone or region (default: the scenario's)")
	}
	fs.StringVar(&f.o.RTT, "rtt", "", "RTT preset (see 'regionsim presets') or CSV file from,to,p50_ms[,p99_ms] (default: the scenario's); scenario regions it lacks are mapped to its nearest")
	fs.StringSliceVar(&f.o.Regions, "regions", nil, "regions to use, comma-separated, primary first (default: the scenario's); a scenario region not listed is replaced by the next new one")
	fs.DurationVar(&f.duration, "duration", 0, "measured simulated time, after warmup (default: the scenario's)")
	fs.DurationVar(&f.warmup, "warmup", 0, "simulated time before measuring (default: the scenario's)")
	fs.Uint64Var(&f.seed, "seed", 0, "random seed (default: the scenario's)")
	fs.DurationVar(&f.maxOffset, "max-offset", 0, "cockroach --max-offset: GLOBAL-table lead and uncertainty (default: the scenario's, 500ms unless set)")
	fs.StringVar(&f.o.CRDBVersion, "crdb-version", "", "CockroachDB version whose timers and lease type are modelled: 22.2, 23.1, 24.3 or 25.2")
	fs.StringVar(&f.o.Jitter, "jitter", "", "latency jitter: none or lognormal (default: the scenario's)")
	fs.IntVar(&f.zones, "zones-per-region", 0, "availability zones per region (default: the scenario's)")
	fs.IntVar(&f.nodes, "nodes-per-zone", 0, "nodes per availability zone (default: the scenario's)")
	fs.IntVar(&f.voters, "voters", 0, "num_voters of every regional and global table (database.num_voters, as CockroachDB's zone config extensions set it: voters stay where the survival goal puts them, at least 3 for zone and 5 for region survival; the non-voters stay too)")
	fs.StringVar(&f.format, "format", "table", "output format: table, csv, json or markdown")
	fs.StringVar(&f.out, "out", "", "also write result.json, stats.csv, faults.csv, unavailability.csv, impact.csv, timeline.csv, timeline_completed.csv, histograms.jsonl, scenario.yaml (the resolved scenario) and every chart (PNG and SVG) into this directory; a previous run's set there is replaced")
	fs.Var(&f.charts, "charts", "charts --out writes: summary (the handful a design doc needs), all, or none; PNG (2x) and SVG, with an index README.md")
	fs.BoolVar(&f.force, "force", false, "let --out replace a directory that holds other files than a previous run's output")
	fs.StringVar(&f.maxEvents, "max-events", fmt.Sprint(scenarios.DefaultMaxEvents), "refuse a run estimated to dispatch more engine events, and stop one that does (0: no limit)")
	fs.StringVar(&f.maxMemory, "max-memory", "4GiB", "refuse a run estimated to need more memory, and stop one that uses more (e.g. 512MiB, 8GiB; 0: no limit)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the estimated requests, events, time and memory of the run(s) and exit")
	fs.BoolVar(&f.quiet, "quiet", false, "nothing on stderr but errors and --assert results: no progress line (there is none either when stderr is not a terminal), no notes, no list of the files --out wrote")
	fs.Var(&f.asserts, "assert", "SLO assertion "+slo.Grammar+", e.g. 'users.write.p99<150ms'; repeatable; exit 3 if one fails (see Assertions above)")
}

// load resolves the positional scenario argument and the overrides.
func (f *runFlags) load(fs *pflag.FlagSet) (*scenarios.Scenario, report.Format, error) {
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return nil, "", badInputf("--format: %v", err)
	}
	if fs.NArg() > 1 {
		return nil, "", badInputf("unexpected argument %q (one scenario at a time)", fs.Arg(1))
	}
	name := "default"
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	// Flags apply before the scenario is validated: a --duration may make
	// room for a fault that the scenario's own duration does not.
	if scenarios.IsSQLPath(name) {
		return nil, "", badInputf("%s: a .sql file declares the database and tables but no workload; "+
			"write a scenario YAML with `sql: %s` and a workload: section and run that "+
			"('regionsim topology %s' shows the placement)", name, filepath.Base(name), name)
	}
	s, err := loadScenario(name)
	if err != nil {
		return nil, "", badInput(err)
	}
	noteSkippedSQL(f.notes(), fs.Name(), s)
	if fs.Changed("seed") {
		f.o.Seed = &f.seed
	}
	if fs.Changed("duration") {
		f.o.Duration = &f.duration
	}
	if fs.Changed("warmup") {
		f.o.Warmup = &f.warmup
	}
	if fs.Changed("max-offset") {
		f.o.MaxOffset = &f.maxOffset
	}
	if fs.Changed("voters") {
		f.o.Voters = &f.voters
	}
	if fs.Changed("zones-per-region") {
		f.o.ZonesPerRegion = &f.zones
	}
	if fs.Changed("nodes-per-zone") {
		f.o.NodesPerZone = &f.nodes
	}
	if err := checkOut(f.out, f.force); err != nil {
		return nil, "", err
	}
	if f.budget.MaxEvents, err = parseCount(f.maxEvents); err != nil {
		return nil, "", badInputf("--max-events: %v", err)
	}
	if f.budget.MaxMemory, err = parseSize(f.maxMemory); err != nil {
		return nil, "", badInputf("--max-memory: %v", err)
	}
	if f.budget.MaxMemory > 0 && f.budget.MaxMemory < 1<<20 {
		// A bare number is bytes; no run fits in less than a MiB, so this
		// is a unit left out, not a limit.
		return nil, "", badInputf("--max-memory: %q is %d bytes, less than 1 MiB: give a unit (e.g. %sMiB), or 0 for no limit",
			f.maxMemory, f.budget.MaxMemory, strings.TrimSpace(f.maxMemory))
	}
	if f.budget.MaxMemory > 0 {
		// The garbage collector works harder as the limit nears; the run
		// itself stops if the process passes it.
		debug.SetMemoryLimit(int64(min(f.budget.MaxMemory, math.MaxInt64)))
	}
	if f.dropFaults {
		f.dropped = len(s.Faults)
		s.Faults = nil
	}
	renames, err := s.RegionRenames(f.o)
	if err != nil {
		return nil, "", f.overrideError(fs, s, err)
	}
	if err := s.Override(f.o); err != nil {
		return nil, "", f.overrideError(fs, s, err)
	}
	noteRenames(f.notes(), fs.Name(), f.o, renames)
	if err := f.checkAssertScope(s, fs.Name()); err != nil {
		return nil, "", err
	}
	return s, format, nil
}

// regionMapInput returns, for a *scenarios.RegionMapError in err, the
// input error that says which regions to pass with --regions; else nil.
func regionMapInput(err error) error {
	var rme *scenarios.RegionMapError
	if !errors.As(err, &rme) {
		return nil
	}
	return badInputf("--rtt %s: it lacks the scenario's regions %s and has no distinct region within %.0f km of %s (or they have no known location); pass the %d regions to use, primary first: e.g. --regions %s (%s has %s)",
		rme.RTT, strings.Join(rme.Regions, ", "), topology.NearestMaxKm, strings.Join(rme.Unmapped, ", "),
		len(rme.Regions), strings.Join(rme.Suggest, ","), rme.RTT, strings.Join(rme.Have, ", "))
}

// noteSkippedSQL says on w, in one line, which statements of the
// scenario's DDL were skipped because they cannot change placement, if any.
func noteSkippedSQL(w io.Writer, command string, s *scenarios.Scenario) {
	if sk := s.SQLSkipped(); len(sk) > 0 {
		fmt.Fprintf(w, "regionsim %s: sql: skipped %d statements that cannot change placement: %s\n", command, len(sk), strings.Join(sk, ", "))
	}
}

// noteRenames says on w, in one line, which regions of the scenario the
// overrides o replaced (Scenario.RegionRenames), if any.
func noteRenames(w io.Writer, command string, o scenarios.Overrides, renames []scenarios.RegionRename) {
	if len(renames) == 0 {
		return
	}
	names := make([]string, len(renames))
	for i, r := range renames {
		names[i] = r.String()
		if r.Located {
			names[i] += fmt.Sprintf(" (%.0f km)", r.Km)
		}
	}
	what := "--regions: replaced the scenario's regions not in the list, in order"
	if len(o.Regions) == 0 {
		what = fmt.Sprintf("--rtt %s: mapped the scenario's regions it lacks to its nearest", o.RTT)
	}
	fmt.Fprintf(w, "regionsim %s: %s: %s\n", command, what, strings.Join(names, ", "))
}

// overrideError names the flags behind a scenario error that they caused:
// a fault that no longer fits in a run shortened by --duration or --warmup
// says which, and how long the faults need.
func (f *runFlags) overrideError(fs *pflag.FlagSet, s *scenarios.Scenario, err error) error {
	if e := regionMapInput(err); e != nil {
		return e
	}
	if !errors.Is(err, scenarios.ErrEndsAfterRun) || !(fs.Changed("duration") || fs.Changed("warmup")) {
		return badInput(err)
	}
	warmup, given := s.Warmup, ""
	if fs.Changed("warmup") {
		warmup = f.warmup
		given = fmt.Sprintf("--warmup %v ", f.warmup)
	}
	if fs.Changed("duration") {
		given += fmt.Sprintf("--duration %v ", f.duration)
	}
	return badInputf("%s: %v; the scenario's faults need --duration %v or more",
		strings.TrimSpace(given), err, s.FaultsEnd()-warmup)
}

const scenarioHelp = `SCENARIO is a built-in scenario name (see 'regionsim scenarios'), a YAML
scenario file, or - to read the YAML from standard input; the default is
the built-in "default". Flags override the scenario's settings.`

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	f := runFlags{stderr: stderr}
	var within time.Duration
	c := scenarioCommand("run", "simulate a scenario: latency per table, op and client region", `Simulate one scenario and print, per table, op and client region, the
request count, errors and latency percentiles in milliseconds.

A scenario with faults also gets, per fault, whether it was survived: no
client (table x op x client region) stalled longer than --survive-within,
where a stall is a stretch in which a range the client uses served none of
its requests while one of them waited; then every client that stalled, with
its slow share, errors and latency during and after failover (from
min(30 s, half the fault) after the fault starts to its end); then a
summary per fault and table locality of the ranges that lost service.

`+scenarioHelp+"\n\n"+seedsHelp+"\n\n"+assertHelp, runExamples)
	fs := c.Flags()
	f.bind(fs, true)
	fs.DurationVar(&within, "survive-within", scenarios.DefaultSurviveWithin, "longest stall a client may see for a fault to count as survived")
	var nSeeds int
	seedsFlag(fs, &nSeeds)
	var shard string
	fs.StringVar(&shard, "shard", "", "with --seeds: run only slice i of N of the seeds and write that part (JSON) for 'regionsim merge': i/N, or auto/N to take i from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID")
	c.RunE = func(*cobra.Command, []string) error {
		if err := checkSurviveWithin(within); err != nil {
			return err
		}
		sh, partDir, err := f.shardFlags(fs, shard)
		if err != nil {
			return err
		}
		s, format, err := f.load(fs)
		if err != nil {
			return err
		}
		if sh != nil {
			return f.runSeedsShard(stdout, s, *sh, nSeeds, within, partDir)
		}
		if nSeeds != 1 {
			return f.runSeedsCommand(stdout, stderr, s, format, nSeeds, within)
		}
		if stop, err := f.preflight(stdout, s); stop || err != nil {
			return err
		}
		res, err := f.timedRun(s)
		if err != nil {
			return err
		}
		res.Judge(within)
		// The run's model is garbage now: collecting it before the output
		// builds its buffers lets them reuse its memory rather than grow
		// the process (a run with 100,000 ranges per table otherwise peaked
		// at up to 330 MB instead of 270 MB with --format json; a small run
		// pays nothing measurable).
		runtime.GC()
		if err := report.WriteResult(stdout, res, format); err != nil {
			return err
		}
		if err := writeOut(f.out, f.force, f.notes(), report.ResultFiles(res),
			func(dir string) ([]string, error) { return plots.WriteResult(dir, res, f.charts) }); err != nil {
			return err
		}
		return f.evalAsserts(stderr, slo.FromResult(res))
	}
	return c
}

func newCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	f := runFlags{stderr: stderr}
	var within time.Duration
	var vary string
	c := scenarioCommand("compare", "simulate a scenario under ZONE and REGION survival (or other variants), side by side", `Simulate a scenario under ZONE and under REGION survival and print both
result tables, then each table x op x client region side by side with the
REGION - ZONE delta of every percentile (ms). A database with fewer than
3 regions cannot survive a region: compare runs ZONE and says so.

--vary FIELD=A,B,... runs one variant per value instead, in that order, each
later one with its delta from the first: voters=3,5 sets num_voters of
every regional and global table (as --voters does) under the scenario's
survival goal; gateway=nearest-healthy,any sets every workload's gateway
mode; max_staleness=5s,10s the bound of every workload's bounded reads;
survival=zone,region is the default comparison.

With faults in the scenario, compare ends with the verdict: per table, the
faults under which REGION keeps more of its client regions served than
ZONE (and the reverse), judged by each client's longest stall (a stretch
in which a range it uses served none of its requests while one waited)
against --survive-within; the unavailability each saves; what REGION costs
in latency per op and client region (whole runs, faults included); and a
paragraph that says it in words.

`+scenarioHelp+"\n\n"+seedsHelp+"\n\n"+assertHelp, compareExamples)
	fs := c.Flags()
	f.bind(fs, false)
	fs.DurationVar(&within, "survive-within", scenarios.DefaultSurviveWithin, "longest stall a client may see for a fault to count as survived (the verdict)")
	var nSeeds int
	seedsFlag(fs, &nSeeds)
	fs.StringVar(&vary, "vary", "", "run one variant per value of FIELD=A,B,...: voters=3,5 (num_voters), gateway=local,any, max_staleness=5s,10s, or survival=zone,region (the default)")
	c.RunE = func(*cobra.Command, []string) error {
		if err := checkSurviveWithin(within); err != nil {
			return err
		}
		field, values, err := parseVary(vary)
		if err != nil {
			return err
		}
		s, format, err := f.load(fs)
		if err != nil {
			return err
		}
		if field == "survival" && !s.ResolvedDatabase().MultiRegion() {
			return badInputf("scenario %q has no multi-region database (no table uses a multi-region locality), so there is no survival goal to compare", s.Name)
		}
		var variants []*scenarios.Scenario
		var labels []string
		var skipped []string
		for _, value := range values {
			v, err := s.WithSetting(field, value)
			if err != nil {
				if field == "survival" && value == "region" && vary == "" {
					skipped = append(skipped, "region survival: "+strings.TrimPrefix(err.Error(), "scenarios: "))
					continue
				}
				if field != "survival" {
					return badInputf("--vary %s=%s: %v", field, value, strings.TrimPrefix(err.Error(), "scenarios: "))
				}
				return badInput(err)
			}
			variants = append(variants, v)
			if field != "survival" {
				labels = append(labels, field+"="+value)
			} else {
				labels = append(labels, "")
			}
		}
		if nSeeds != 1 {
			return f.compareSeedsCommand(stdout, stderr, s, variants, labels, skipped, format, nSeeds, within)
		}
		if stop, err := f.preflight(stdout, variants...); stop || err != nil {
			return err
		}
		cmp := scenarios.Comparison{Resolved: s.Resolved(), Skipped: skipped}
		runs, err := f.runAll(s.Name, variants)
		if err != nil {
			return err
		}
		for i, res := range runs {
			res.Variant = labels[i]
			res.Judge(within)
			cmp.Runs = append(cmp.Runs, *res)
		}
		if v, ok := scenarios.ComparisonVerdict(&cmp, within); ok {
			cmp.Verdict = &v
		}
		if err := report.WriteComparison(stdout, &cmp, format); err != nil {
			return err
		}
		if err := writeOut(f.out, f.force, f.notes(), report.ComparisonFiles(&cmp),
			func(dir string) ([]string, error) { return plots.WriteComparison(dir, &cmp, f.charts) }); err != nil {
			return err
		}
		return f.evalAsserts(stderr, slo.FromComparison(&cmp))
	}
	return c
}

// timedRun runs a scenario, shows a progress line on a terminal for runs
// longer than a second (unless --quiet), and fills in the wall time.
func (f *runFlags) timedRun(s *scenarios.Scenario) (*scenarios.Result, error) {
	start := time.Now()
	var progress func(done, total time.Duration)
	shown := false
	if !f.quiet && f.stderr != nil && isTerminal(f.stderr) {
		progress = func(done, total time.Duration) {
			if time.Since(start) < time.Second {
				return
			}
			shown = true
			fmt.Fprintf(f.stderr, "\rsimulating %s (%s survival): %3.0f%% of %v simulated", s.Name,
				s.ResolvedDatabase().Survival, 100*done.Seconds()/total.Seconds(), total)
		}
	}
	res, err := scenarios.RunWith(s, scenarios.RunOptions{Progress: progress, Budget: f.budget})
	if shown {
		fmt.Fprint(f.stderr, "\r\033[K")
	}
	if errors.Is(err, scenarios.ErrInvalid) || errors.Is(err, scenarios.ErrUnsupported) {
		return nil, badInput(err)
	}
	if err != nil {
		return nil, err
	}
	res.WallSeconds = time.Since(start).Seconds()
	return res, nil
}

// runAll runs the variants of scenario name in parallel (one per core),
// with a progress line on a terminal (unless --quiet), each run timed.
func (f *runFlags) runAll(name string, variants []*scenarios.Scenario) ([]*scenarios.Result, error) {
	o := scenarios.SeedsOptions{Budget: f.budget, Clock: time.Now}
	if !f.quiet && f.stderr != nil && isTerminal(f.stderr) {
		o.Progress = func(done, total int) {
			fmt.Fprintf(f.stderr, "\rsimulating %s: %d/%d runs", name, done, total)
			if done == total {
				fmt.Fprint(f.stderr, "\r\033[K")
			}
		}
	}
	runs, err := scenarios.RunAll(variants, o)
	if errors.Is(err, scenarios.ErrInvalid) || errors.Is(err, scenarios.ErrUnsupported) {
		return nil, badInput(err)
	}
	return runs, err
}

// preflight estimates the runs of the scenarios ss: with --dry-run it
// prints the estimates and reports stop; otherwise it refuses (exit 2) a run
// whose estimate exceeds the budget.
func (f *runFlags) preflight(stdout io.Writer, ss ...*scenarios.Scenario) (stop bool, err error) {
	var ests []scenarios.Estimate
	for _, s := range ss {
		est, err := s.Estimate()
		if err != nil {
			return false, badInput(err)
		}
		ests = append(ests, est)
	}
	return f.checkEstimates(stdout, ss, ests)
}

// checkEstimates prints (--dry-run) or checks the estimates of the runs of
// ss.
func (f *runFlags) checkEstimates(stdout io.Writer, ss []*scenarios.Scenario, ests []scenarios.Estimate) (bool, error) {
	for i, est := range ests {
		if f.dryRun {
			s := ss[i]
			survival := s.ResolvedDatabase().Survival.String() + " survival"
			if !s.ResolvedDatabase().MultiRegion() {
				survival = "no survival goal"
			}
			if n := s.Database.NumVoters; n != nil {
				survival += fmt.Sprintf(", num_voters %d", *n)
			}
			if f.estimateLabel != "" {
				fmt.Fprintf(stdout, "%s: %s\n", f.estimateLabel, est)
				continue
			}
			fmt.Fprintf(stdout, "%s (%s, seed %d): %s\n", s.Name, survival, s.Seed, est)
			continue
		}
		if err := est.Check(f.budget); err != nil {
			return false, badInput(err)
		}
	}
	if f.dryRun {
		fmt.Fprintf(stdout, "limits: --max-events %d, --max-memory %d MiB (0: none)\n", f.budget.MaxEvents, f.budget.MaxMemory>>20)
	}
	return f.dryRun, nil
}

// checkSurviveWithin refuses a --survive-within that is not positive.
func checkSurviveWithin(d time.Duration) error {
	if d <= 0 {
		return badInputf("--survive-within: %v (want > 0)", d)
	}
	return nil
}

// parseVary parses compare's --vary FIELD=A,B,...; the empty flag is the
// default comparison, survival=zone,region.
func parseVary(flag string) (field string, values []string, err error) {
	if flag == "" {
		return "survival", []string{"zone", "region"}, nil
	}
	field, list, ok := strings.Cut(flag, "=")
	if !ok || list == "" {
		return "", nil, badInputf("--vary %q: want FIELD=A,B,... (e.g. voters=3,5)", flag)
	}
	if !slices.Contains(scenarios.VaryFields, field) {
		return "", nil, badInputf("--vary %q: cannot vary %q (want one of %s)", flag, field, strings.Join(scenarios.VaryFields, ", "))
	}
	values = strings.Split(list, ",")
	for i, v := range values {
		if v == "" {
			return "", nil, badInputf("--vary %q: value %d is empty", flag, i+1)
		}
		if slices.Contains(values[:i], v) {
			return "", nil, badInputf("--vary %q: %s=%s is listed twice", flag, field, v)
		}
	}
	return field, values, nil
}
