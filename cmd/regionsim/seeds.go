package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// seedsHelp explains --seeds in the help of run and compare.
const seedsHelp = `Seeds: --seeds N (N > 1) runs the scenario with seeds SEED … SEED+N-1 in
parallel on every core and prints every table x op x client region over all
of them: the percentiles of every seed's requests together (histograms
merged exactly), each with ± the half-width of the 95 % confidence interval
of the mean of the seeds' values (Student t over independent replications;
a run's requests depend on each other, its seeds do not), and each fault's
outage and errors the same way. compare --seeds runs every configuration
with the same seeds and prints each difference with its paired interval
("no difference" when it holds zero); sharing seeds gives the
configurations the same arrivals, so the paired interval is narrower than
an unpaired one (the note says by how much). With --seeds, an --assert must
hold in every seed's run.`

// seedsFlag binds --seeds on run and compare.
func seedsFlag(fs *pflag.FlagSet, n *int) {
	fs.IntVar(n, "seeds", 1, fmt.Sprintf("runs with seeds SEED, SEED+1, …, in parallel, pooled, with confidence intervals (see Seeds above; at most %d)", scenarios.MaxSeeds))
}

// seedsOf returns the n seeds from first, refusing n out of range.
func seedsOf(first uint64, n int) ([]uint64, error) {
	if n < 1 || n > scenarios.MaxSeeds {
		return nil, badInputf("--seeds: %d is out of range [1, %d]", n, scenarios.MaxSeeds)
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = first + uint64(i)
	}
	return out, nil
}

// runSeeds runs s once per seed in parallel, with a progress line on a
// terminal (unless --quiet), each run timed and judged against within.
func (f *runFlags) runSeeds(s *scenarios.Scenario, seeds []uint64, within time.Duration) ([]*scenarios.Result, error) {
	o := scenarios.SeedsOptions{Budget: f.budget, Clock: time.Now}
	if !f.quiet && f.stderr != nil && isTerminal(f.stderr) {
		o.Progress = func(done, total int) {
			fmt.Fprintf(f.stderr, "\rsimulating %s (%s survival): %d/%d seeds", s.Name, s.ResolvedDatabase().Survival, done, total)
			if done == total {
				fmt.Fprint(f.stderr, "\r\033[K")
			}
		}
	}
	runs, err := scenarios.RunSeedsWith(s, seeds, o)
	if errors.Is(err, scenarios.ErrInvalid) || errors.Is(err, scenarios.ErrUnsupported) {
		return nil, badInput(err)
	}
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		r.Judge(within)
	}
	return runs, nil
}

// preflightSeeds estimates every variant's runs (once per seed) and, like
// preflight, prints them with --dry-run or refuses a run over budget.
func (f *runFlags) preflightSeeds(stdout io.Writer, n int, ss ...*scenarios.Scenario) (bool, error) {
	var all []*scenarios.Scenario
	for _, s := range ss {
		for i := range n {
			c := s.Clone()
			c.Seed = s.Seed + uint64(i)
			all = append(all, c)
		}
	}
	return f.preflight(stdout, all...)
}

// runSeedsCommand is run --seeds N with N > 1.
func (f *runFlags) runSeedsCommand(stdout, stderr io.Writer, s *scenarios.Scenario, format report.Format, n int, within time.Duration) error {
	seeds, err := seedsOf(s.Seed, n)
	if err != nil {
		return err
	}
	if stop, err := f.preflightSeeds(stdout, n, s); stop || err != nil {
		return err
	}
	runs, err := f.runSeeds(s, seeds, within)
	if err != nil {
		return err
	}
	sum := scenarios.SummariseSeeds(runs, scenarios.DefaultConfidence)
	if err := report.WriteSeeds(stdout, &sum, runs, s.Resolved(), format); err != nil {
		return err
	}
	if err := writeOut(f.out, f.force, f.notes(), report.SeedsFiles(&sum, runs, s.Resolved()), nil); err != nil {
		return err
	}
	return f.evalAsserts(stderr, slo.FromRuns("run", runs))
}

// compareSeedsCommand is compare --seeds N with N > 1, over the variants
// (labels as compare sets them).
func (f *runFlags) compareSeedsCommand(stdout, stderr io.Writer, s *scenarios.Scenario, variants []*scenarios.Scenario,
	labels, skipped []string, format report.Format, n int, within time.Duration) error {
	seeds, err := seedsOf(s.Seed, n)
	if err != nil {
		return err
	}
	if stop, err := f.preflightSeeds(stdout, n, variants...); stop || err != nil {
		return err
	}
	c := report.SeedComparison{Skipped: skipped, Resolved: s.Resolved()}
	var sets [][]*scenarios.Result
	for i, v := range variants {
		runs, err := f.runSeeds(v, seeds, within)
		if err != nil {
			return err
		}
		for _, r := range runs {
			r.Variant = labels[i]
			c.Runs = append(c.Runs, *r)
		}
		sets = append(sets, runs)
		c.Configs = append(c.Configs, scenarios.SummariseSeeds(runs, scenarios.DefaultConfidence))
	}
	c.Deltas = []scenarios.SeedDelta{}
	if len(sets) > 1 {
		c.Deltas = scenarios.CompareSeeds(sets[0], sets[len(sets)-1], scenarios.DefaultConfidence)
	}
	if err := report.WriteSeedComparison(stdout, &c, format); err != nil {
		return err
	}
	if err := writeOut(f.out, f.force, f.notes(), report.SeedComparisonFiles(&c), nil); err != nil {
		return err
	}
	var all []*scenarios.Result
	for _, set := range sets {
		all = append(all, set...)
	}
	return f.evalAsserts(stderr, slo.FromRuns("compare", all))
}

// runSeedsShard is run --seeds N --shard i/M: the shard's seeds only,
// written as a part for merge.
func (f *runFlags) runSeedsShard(stdout io.Writer, s *scenarios.Scenario, sh scenarios.Shard, n int, within time.Duration, dir string) error {
	seeds, err := seedsOf(s.Seed, n)
	if err != nil {
		return err
	}
	idx := scenarios.SeedsShard(seeds, sh)
	mine := make([]uint64, len(idx))
	for k, j := range idx {
		mine[k] = seeds[j]
	}
	var ss []*scenarios.Scenario
	for _, seed := range mine {
		c := s.Clone()
		c.Seed = seed
		ss = append(ss, c)
	}
	if stop, err := f.preflight(stdout, ss...); stop || err != nil {
		return err
	}
	runs, err := f.runSeeds(s, mine, within)
	if err != nil {
		return err
	}
	part := &scenarios.SeedsPart{Seeds: seeds, Shard: sh, Results: []scenarios.SeedRun{}, Resolved: s.Resolved()}
	for k, j := range idx {
		part.Results = append(part.Results, scenarios.SeedRun{Index: j, Result: runs[k]})
	}
	return writePart(dir, "seeds", sh, stdout, f.notes(), func(w io.Writer) error { return report.WriteSeedsPart(w, part) })
}

// mergeSeeds is merge of run --seeds parts: what run --seeds prints.
func (f *runFlags) mergeSeeds(stdout, stderr io.Writer, parts []*scenarios.SeedsPart, format report.Format) error {
	runs, err := scenarios.MergeSeedsParts(parts)
	if err != nil {
		return badInput(err)
	}
	sum := scenarios.SummariseSeeds(runs, scenarios.DefaultConfidence)
	resolved := parts[0].Resolved
	if err := report.WriteSeeds(stdout, &sum, runs, resolved, format); err != nil {
		return err
	}
	if err := writeOut(f.out, f.force, f.notes(), report.SeedsFiles(&sum, runs, resolved), nil); err != nil {
		return err
	}
	return f.evalAsserts(stderr, slo.FromRuns("run", runs))
}
