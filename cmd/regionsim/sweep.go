package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/regionsim/regionsim/plots"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// sweepFlagOf maps the fields of scenarios.SweepOptions' errors to flags.
var sweepFlagOf = map[string]string{
	"sweep.seeds":          "--seeds",
	"sweep.fault_at":       "--fault-at",
	"sweep.fault_for":      "--fault-for",
	"sweep.kinds":          "--kinds",
	"sweep.survive_within": "--survive-within",
	"sweep.duration":       "--duration",
}

func newSweepCmd(stdout, stderr io.Writer) *cobra.Command {
	f := runFlags{dropFaults: true, afterFailover: true, stderr: stderr}
	var seeds int
	var faultAt, faultFor, within time.Duration
	var pairs bool
	var kinds []string
	var shard string
	c := scenarioCommand("sweep", "every single AZ and region outage under ZONE and REGION survival: availability per fault", `Run the scenario once per fault of --kinds (by default every AZ, every
region and every node down, and every region cut off from the others by a
partition; --pairs adds every pair of AZs of one region), each under ZONE
and under REGION survival (REGION only where the database allows it; the
output says when it is skipped), plus once per goal without a fault, over
--seeds seeds in parallel on every core. Any faults: in the scenario are
replaced by the swept fault. The fault lasts 2 minutes by default; runs
too short to hold it are lengthened to hold it and 30 s of recovery.

A client is a table x op x client region. Its stall is a stretch in which a
range served none of its requests while one of them waited (failed or was
slow). A fault is survived when no client stalled longer than
--survive-within (default 15 s, a failover's budget) in any run.

Prints one row per fault x survival goal: survived (yes, no, or k/N runs),
each run's longest stall over the seeds (min, mean, max, s), errors and the
client that stalled longest; then every client that did not survive, with
its slow share, errors and latency after failover (ms; requests issued from
min(30 s, half the fault) after the fault starts until it ends); then the
verdict: per table, the faults REGION survives and ZONE does not (and the
reverse) with the unavailability each saves, what REGION costs in latency
per op and client region (runs without a fault), and a paragraph that says
it in words.

`+scenarioHelp+"\n\n"+shardHelp+"\n\n"+sweepAssertHelp, sweepExamples)
	fs := c.Flags()
	fs.IntVar(&seeds, "seeds", scenarios.DefaultSweepSeeds, "runs per fault and survival goal, with seeds SEED, SEED+1, ...")
	fs.DurationVar(&faultAt, "fault-at", 0, "when the swept fault starts, from the start of the run (default: warmup + 20% of the duration)")
	fs.DurationVar(&faultFor, "fault-for", scenarios.DefaultSweepFaultFor, "how long the swept fault lasts (half of --duration when a --duration given leaves no room for the default)")
	fs.StringSliceVar(&kinds, "kinds", scenarios.DefaultSweepKinds, "fault kinds to sweep, comma-separated: "+strings.Join(scenarios.SweepKinds, ", "))
	fs.BoolVar(&pairs, "pairs", false, "also sweep every pair of AZs of one region down together (kind zone-pair)")
	fs.DurationVar(&within, "survive-within", scenarios.DefaultSurviveWithin, "longest stall a client may see for a fault to count as survived")
	fs.StringVar(&shard, "shard", "", "run only slice i of N of the runs and write that part (JSON) for 'regionsim merge': i/N, or auto/N to take i from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID (see Sharding above)")
	f.bind(fs, false)
	fs.Lookup("seed").Usage = "first seed (default: the scenario's)"
	fs.Lookup("duration").Usage = "measured simulated time of every run, after warmup (default: the scenario's; when the fault would end after it, long enough for the fault and 30 s after it)"
	fs.Lookup("out").Usage = "also write sweep.json, sweep.csv, scenario.yaml (the resolved scenario) and the unavailability chart (PNG and SVG) into this directory"
	fs.Lookup("assert").Usage = "SLO assertion " + slo.Grammar + ", e.g. 'errors==0'; repeatable; exit 3 if one fails (see Assertions above)"
	c.RunE = func(*cobra.Command, []string) error {
		sh, partDir, err := f.shardFlags(fs, shard)
		if err != nil {
			return err
		}
		s, format, err := f.load(fs)
		if err != nil {
			return err
		}
		opts := scenarios.DefaultSweepOptions(s)
		if err := checkSurviveWithin(within); err != nil {
			return err
		}
		opts.Seeds, opts.Kinds, opts.SurviveWithin = seeds, kinds, within
		if pairs && !slices.Contains(opts.Kinds, scenarios.SweepZonePair) {
			opts.Kinds = append(opts.Kinds, scenarios.SweepZonePair)
		}
		if fs.Changed("fault-at") {
			opts.FaultAt = faultAt
		}
		switch {
		case fs.Changed("fault-for"):
			opts.FaultFor = faultFor
		case fs.Changed("duration") && opts.FaultAt+opts.FaultFor > s.Warmup+s.Duration:
			// A short run asked for: a fault of half of it, as it fits.
			opts.FaultFor = s.Duration / 2
		}
		if fs.Changed("duration") {
			opts.Duration = s.Duration
		} else {
			opts.Duration = opts.MinDuration(s)
		}
		if err := opts.Validate(s); err != nil {
			return sweepInputError(err)
		}
		opts.Budget = f.budget
		whole := scenarios.Shard{Index: 0, Of: 1}
		if sh != nil {
			whole = *sh
		}
		est, err := scenarios.SweepShardEstimate(s, opts, whole)
		if err != nil {
			return sweepInputError(err)
		}
		f.estimateLabel = fmt.Sprintf("sweep of %s (%d seeds from %d", s.Name, opts.Seeds, s.Seed)
		if sh != nil {
			f.estimateLabel += ", shard " + sh.String()
		}
		f.estimateLabel += ", every run together)"
		if stop, err := f.checkEstimates(stdout, []*scenarios.Scenario{s}, []scenarios.Estimate{est}); stop || err != nil {
			return err
		}
		if !f.quiet && isTerminal(stderr) {
			opts.Progress = func(done, total int) {
				fmt.Fprintf(stderr, "\rsweep: %d/%d runs", done, total)
				if done == total {
					fmt.Fprintln(stderr)
				}
			}
		}
		if sh != nil {
			plan, err := scenarios.PlanSweep(s, opts)
			if err != nil {
				return sweepInputError(err)
			}
			plan.Header.ReplacedFaults = f.dropped
			part, err := plan.RunShard(*sh, opts)
			if err != nil {
				return err
			}
			return writePart(partDir, "sweep", *sh, stdout, f.notes(), func(w io.Writer) error { return report.WriteSweepPart(w, part) })
		}
		res, err := scenarios.Sweep(s, opts)
		if err != nil {
			if errors.Is(err, scenarios.ErrInvalid) {
				return sweepInputError(err)
			}
			return err
		}
		res.ReplacedFaults = f.dropped
		return f.writeSweep(stdout, stderr, res, format)
	}
	return c
}

// writeSweep prints a sweep's result (sweep, merge), writes --out and
// checks --assert.
func (f *runFlags) writeSweep(stdout, stderr io.Writer, res *scenarios.SweepResult, format report.Format) error {
	if err := report.WriteSweep(stdout, res, format); err != nil {
		return err
	}
	if err := writeSweepOut(f.out, f.force, f.notes(), res, f.charts); err != nil {
		return err
	}
	return f.evalAsserts(stderr, slo.FromSweep(res))
}

// sweepInputError names the flag behind a sweep option's error.
func sweepInputError(err error) error {
	var se *scenarios.Error
	if errors.As(err, &se) {
		if flag, ok := sweepFlagOf[se.Field]; ok {
			return badInputf("%s: %v", flag, se.Err)
		}
	}
	return badInput(err)
}

// writeSweepOut writes sweep.json, sweep.csv, scenario.yaml and the charts
// into dir, if set, and names the files on stderr.
func writeSweepOut(dir string, force bool, stderr io.Writer, res *scenarios.SweepResult, charts plots.ChartSet) error {
	return writeOut(dir, force, stderr, report.SweepFiles(res),
		func(dir string) ([]string, error) { return plots.WriteSweep(dir, res, charts) })
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
