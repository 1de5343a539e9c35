package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/regionsim/regionsim/plots"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// sweepFlagOf maps the fields of scenarios.SweepOptions' errors to flags.
var sweepFlagOf = map[string]string{
	"sweep.seeds":     "--seeds",
	"sweep.fault_at":  "--fault-at",
	"sweep.fault_for": "--fault-for",
}

func runSweep(args []string, stdout, stderr io.Writer) error {
	f := runFlags{dropFaults: true, perLocality: true, stderr: stderr}
	var seeds int
	var faultAt, faultFor time.Duration
	var pairs bool
	fs := newFlags("sweep", stdout, `Run the scenario once per single-AZ outage and once per region outage
(with --pairs, also every pair of AZs of one region), each under ZONE and
under REGION survival (REGION only where the database allows it; the output
says when it is skipped), over --seeds seeds in parallel on every core.
Any faults: in the scenario are replaced by the swept fault.

Prints, per fault x survival goal x table locality: survived (yes when no
request to the locality failed), the unavailability over the seeds (min,
mean, p99 and max of each run's longest range outage, s), the most ranges
down, errors, and write p50/p99 after failover (ms; writes issued from
min(30 s, half the fault) after the fault starts until it ends).

`+scenarioHelp+"\n\n"+sweepAssertHelp)
	fs.IntVar(&seeds, "seeds", scenarios.DefaultSweepSeeds, "runs per fault and survival goal, with seeds SEED, SEED+1, ...")
	fs.DurationVar(&faultAt, "fault-at", 0, "when the swept fault starts, from the start of the run (default: warmup + 20% of the duration)")
	fs.DurationVar(&faultFor, "fault-for", 0, "how long the swept fault lasts (default: 50% of the duration)")
	fs.BoolVar(&pairs, "pairs", false, "also sweep every pair of AZs of one region down together")
	f.bind(fs, false)
	fs.Lookup("seed").Usage = "first seed (default: the scenario's)"
	fs.Lookup("out").Usage = "also write sweep.json, sweep.csv and the unavailability chart (PNG and SVG) into this directory"
	fs.Lookup("assert").Usage = "SLO assertion " + slo.Grammar + ", e.g. 'errors==0'; repeatable; exit 3 if one fails (see Assertions above)"
	if err := parse(fs, args); err != nil {
		return err
	}
	s, format, err := f.load(fs)
	if err != nil {
		return err
	}
	opts := scenarios.DefaultSweepOptions(s)
	opts.Seeds, opts.Pairs = seeds, pairs
	if fs.Changed("fault-at") {
		opts.FaultAt = faultAt
	}
	if fs.Changed("fault-for") {
		opts.FaultFor = faultFor
	}
	if err := opts.Validate(s); err != nil {
		return sweepInputError(err)
	}
	opts.Budget = f.budget
	est, err := scenarios.SweepEstimate(s, opts)
	if err != nil {
		return sweepInputError(err)
	}
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
	res, err := scenarios.Sweep(s, opts)
	if err != nil {
		if errors.Is(err, scenarios.ErrInvalid) {
			return sweepInputError(err)
		}
		return err
	}
	res.ReplacedFaults = f.dropped
	if err := report.WriteSweep(stdout, res, format); err != nil {
		return err
	}
	if err := writeSweepOut(f.out, f.force, f.notes(), res); err != nil {
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

// writeSweepOut writes sweep.json, sweep.csv and the charts into dir, if
// set, and names the files on stderr.
func writeSweepOut(dir string, force bool, stderr io.Writer, res *scenarios.SweepResult) error {
	return writeOut(dir, force, stderr, "sweep.json", "sweep.csv",
		func(w io.Writer, fm report.Format) error { return report.WriteSweep(w, res, fm) },
		func(dir string) ([]string, error) { return plots.WriteSweep(dir, res) })
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
