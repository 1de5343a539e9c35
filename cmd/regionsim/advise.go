package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/advise"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/scenarios/slo"
)

const adviseExamples = `  regionsim advise default --slo 'accounts.write.p99<100ms' --slo 'promo_codes.read.p90<20ms' --slo 'users.read.p50<5ms' --goals zone --duration 5s
  regionsim advise default --slo 'accounts.write.p99<100ms' --slo 'promo_codes.read.p90<20ms' --slo 'users.read.p50<5ms' --goals zone --duration 5s --top 3 --format markdown
  regionsim advise default --slo 'accounts.write.p99<100ms' --slo 'promo_codes.read.p90<20ms' --slo 'users.read.p50<5ms' --goals zone --duration 5s --shard 0/2 --out advise-parts   # half the runs, for merge
  regionsim advise default --slo 'read.p99<20ms' --slo 'survive=region' --dry-run   # the plan: what is refused, pruned and run`

// adviseFlagOf maps the fields of advise.Options' errors to flags.
var adviseFlagOf = map[string]string{
	"advise.seeds":          "--seeds",
	"advise.survive_within": "--survive-within",
	"advise.fault_at":       "--fault-at",
	"advise.fault_for":      "--fault-for",
	"advise.max_simulated":  "--max-simulated",
}

// sloFlag is --slo, repeatable, parsed as the flag is.
type sloFlag []advise.SLO

func (s *sloFlag) String() string {
	var exprs []string
	for _, x := range *s {
		exprs = append(exprs, x.Expr)
	}
	return strings.Join(exprs, ", ")
}

func (s *sloFlag) Set(expr string) error {
	x, err := advise.Parse(expr)
	var se *slo.Error
	if errors.As(err, &se) {
		return se.Err
	}
	if err != nil {
		return err
	}
	*s = append(*s, x)
	return nil
}

func (s *sloFlag) Type() string { return "SLO" }

func newAdviseCmd(stdout, stderr io.Writer) *cobra.Command {
	f := runFlags{stderr: stderr, dropFaults: true}
	var slos sloFlag
	var seeds, maxSim, top int
	var within, faultAt, faultFor time.Duration
	var goals []string
	c := scenarioCommand("advise", "search the multi-region design space for the configurations that meet SLOs, ranked", `Enumerate the configurations of the scenario's database and tables: survival
goal (zone, region) x primary region x secondary region (none or another)
x num_voters (3, 5) x each table's locality (REGIONAL BY TABLE in each
region, REGIONAL BY ROW for a table the scenario declares so, GLOBAL), and
the database without multi-region SQL (every table locality none, 3 or 5
replicas). The configurations CockroachDB refuses (fewer than 5 voters
under REGION survival, say) or the cluster cannot place are counted, not
run. The closed form (the jitter-free latency of every request path)
prunes the rest: a configuration is not simulated when, with every link,
evaluation and log append at its fastest possible value, a latency SLO
still fails, less what sampling could move the percentile (three standard
deviations) and the histogram's 1 % accuracy. The others are simulated:
one run without faults for the latency SLOs, and for survive=zone|region
one run per AZ or region down (for --fault-for from --fault-at): survived
when no client (table x op x client region) stalled longer than
--survive-within. The scenario's own faults are dropped.

Prints the ranked configurations: first those that meet every SLO, by the
mean latency of all their requests; then those that miss, by the number
of SLOs missed and by how far; then the pruned ones. One column per SLO
gives the margin: how far the worst figure is inside the bound, negative
when missed, * when the closed form decided it. REGION-ZONE write ms is
what REGION survival costs the configuration's writes (closed form).

An SLO (--slo, repeatable) is

  [TABLE.][OP.]METRIC[@CLIENT_REGION] CMP VALUE    e.g. read.p99<20ms,
                                                 users.write.p99<150ms
  survive=zone | survive=region

with METRIC and VALUE as for 'regionsim run --assert' (p50 p90 p99 p999 max
mean, errors, error_rate, ...). A malformed SLO exits 2 before anything
runs. Exit status 3 when no configuration meets every SLO.

Runs are short by default (the scenario's duration; --duration 30s or
--seeds 3 give tighter percentiles). The runs of every candidate go in
parallel on every core; the output does not depend on how many.

Sharding: --shard i/N makes only the runs j with j mod N = i and writes
them, with the plan, as a part (JSON) to stdout or, with --out DIR, to
DIR/advise-part-i-of-N.json; 'regionsim merge' of the N parts prints
exactly what the unsharded advise prints. Every shard repeats the closed-
form stage, which is deterministic. --shard auto/N takes i from
JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID, as for sweep.

`+scenarioHelp, adviseExamples)
	fs := c.Flags()
	fs.Var(&slos, "slo", "SLO "+advise.Grammar+", e.g. 'read.p99<20ms' or 'survive=region'; repeatable, at least one")
	fs.StringSliceVar(&goals, "goals", []string{"zone", "region", "none"}, "survival goals to search, comma-separated: zone, region, none (no multi-region SQL)")
	fs.IntVar(&seeds, "seeds", advise.DefaultSeeds, "runs per candidate and outage, seeds SEED, SEED+1, ... (their requests pooled)")
	fs.IntVar(&maxSim, "max-simulated", advise.DefaultMaxSimulated, "simulate at most this many candidates, those with the lowest closed-form mean latency (0: all)")
	fs.IntVar(&top, "top", 20, "print the first N ranked configurations (0: all); the counts cover every one")
	fs.DurationVar(&within, "survive-within", scenarios.DefaultSurviveWithin, "longest stall a client may see for an outage to count as survived")
	fs.DurationVar(&faultAt, "fault-at", 0, "when each outage starts, from the start of the run (default: warmup + 20% of the duration)")
	fs.DurationVar(&faultFor, "fault-for", 0, "how long each outage lasts (default: twice --survive-within)")
	var shard string
	fs.StringVar(&shard, "shard", "", "run only slice i of N of the runs and write that part (JSON) for 'regionsim merge': i/N, or auto/N (see Sharding above); --out DIR puts it in DIR/advise-part-i-of-N.json")
	f.bind(fs, false)
	for _, name := range []string{"out", "charts", "force", "assert", "voters"} {
		_ = fs.MarkHidden(name)
	}
	fs.Lookup("duration").Usage = "measured simulated time of the runs without faults, after warmup (default: the scenario's)"
	c.RunE = func(*cobra.Command, []string) error {
		sh, partDir, err := f.shardFlags(fs, shard)
		if err != nil {
			return err
		}
		for _, name := range []string{"out", "charts", "force", "assert", "voters"} {
			if fs.Changed(name) && (name != "out" || sh == nil) {
				return badInputf("--%s: advise does not take it (--slo states the SLOs; --voters is searched)", name)
			}
		}
		if len(slos) == 0 {
			return badInputf("--slo: none given; advise needs at least one, e.g. --slo 'read.p99<20ms' or --slo survive=region")
		}
		for _, g := range goals {
			if !slices.Contains([]string{"zone", "region", "none"}, g) {
				return badInputf("--goals: unknown goal %q (want zone, region or none)", g)
			}
		}
		if top < 0 {
			return badInputf("--top: %d (want >= 0)", top)
		}
		s, format, err := f.load(fs)
		if err != nil {
			return err
		}
		if err := advise.CheckScope(s, slos); err != nil {
			return badInput(err)
		}
		o := advise.DefaultOptions(s)
		o.Seeds, o.SurviveWithin, o.MaxSimulated, o.Goals = seeds, within, maxSim, goals
		o.FaultFor = advise.DefaultFaultFor(within)
		if fs.Changed("fault-at") {
			o.FaultAt = faultAt
		}
		if fs.Changed("fault-for") {
			o.FaultFor = faultFor
		}
		o.Budget = f.budget
		if !f.quiet && isTerminal(stderr) {
			o.ClosedFormProgress = func(done, total int) {
				if done%500 == 0 || done == total {
					fmt.Fprintf(stderr, "\radvise: closed form of %d/%d configurations", done, total)
				}
				if done == total {
					fmt.Fprintln(stderr)
				}
			}
		}
		plan, err := advise.NewPlan(s, slos, o)
		if err != nil {
			var se *scenarios.Error
			if errors.As(err, &se) {
				if flag, ok := adviseFlagOf[se.Field]; ok {
					return badInputf("%s: %v", flag, se.Err)
				}
			}
			return err
		}
		if f.dryRun {
			h := plan.Header
			fmt.Fprintf(stdout, "advise %s: %d configurations: %d refused, %d pruned by the closed form, %d to simulate in %d runs, %d past --max-simulated\n",
				s.Name, h.Enumerated, h.Refused, h.Pruned, h.Simulated, h.Runs, h.NotSimulated)
			return nil
		}
		if sh != nil {
			part, err := plan.RunPart(*sh)
			if err != nil {
				return err
			}
			part.Top, part.Resolved = top, s.Resolved()
			return writePart(partDir, "advise", *sh, stdout, f.notes(), func(w io.Writer) error { return report.WriteAdvisePart(w, part) })
		}
		if !f.quiet && isTerminal(stderr) {
			plan.SetProgress(func(done, total int) {
				fmt.Fprintf(stderr, "\radvise: %d/%d runs", done, total)
				if done == total {
					fmt.Fprintln(stderr)
				}
			})
		}
		res, err := plan.RunAll()
		if err != nil {
			if errors.Is(err, scenarios.ErrInvalid) {
				return badInput(err)
			}
			return err
		}
		return writeAdvice(stdout, res, s.Resolved(), top, format)
	}
	return c
}

// writeAdvice prints the first top candidates of res (all for 0) and
// returns noneMeets when no configuration meets every SLO (advise,
// merge).
func writeAdvice(stdout io.Writer, res *advise.Result, resolved *scenarios.Scenario, top int, format report.Format) error {
	shown := *res
	if top > 0 && len(shown.Candidates) > top {
		shown.Candidates = shown.Candidates[:top]
	}
	if err := report.WriteAdvice(stdout, &shown, resolved, format); err != nil {
		return err
	}
	if res.Meeting == 0 {
		return noneMeets{}
	}
	return nil
}

// mergeAdvice is merge of advise parts: what the unsharded advise prints.
func (f *runFlags) mergeAdvice(stdout io.Writer, parts []*advise.Part, format report.Format) error {
	switch {
	case len(f.asserts) > 0:
		return badInputf("--assert: advise parts take no assertions (their --slo are the SLOs)")
	case f.out != "":
		return badInputf("--out: advise writes no output set; redirect the output instead")
	}
	res, err := advise.MergeParts(parts)
	if err != nil {
		return badInput(err)
	}
	return writeAdvice(stdout, res, parts[0].Resolved, parts[0].Top, format)
}

// noneMeets is advise's result when no configuration meets every SLO:
// exit status 3, as a failed assertion.
type noneMeets struct{}

func (noneMeets) Error() string { return "no configuration meets every SLO" }
func (noneMeets) Unwrap() error { return assertFailed{1, 1} }
