package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/advise"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// Environment variables a batch engine sets to tell each task of an array
// its index, read by --shard auto/N.
const (
	// envK8sIndex is set in every pod of a Kubernetes Indexed Job
	// (completionMode: Indexed) to its completion index, 0 … completions-1.
	envK8sIndex = "JOB_COMPLETION_INDEX"
	// envSlurmIndex is set in every task of a Slurm job array to its
	// array index; envSlurmMin to the array's smallest index, which
	// --shard subtracts so that --array=1-N works as well as 0-(N-1).
	envSlurmIndex = "SLURM_ARRAY_TASK_ID"
	envSlurmMin   = "SLURM_ARRAY_TASK_MIN"
)

// shardHelp explains --shard in the sweep's help.
const shardHelp = `Sharding: --shard i/N runs only the i-th (0-based) of N deterministic slices
of the sweep's runs (run j goes to slice j mod N) and writes that part as
JSON, to stdout or, with --out DIR, to DIR/sweep-part-i-of-N.json (other
parts there are left alone). 'regionsim merge' of the N parts prints
exactly what the unsharded sweep prints. --shard auto/N takes i from the
batch engine's environment: JOB_COMPLETION_INDEX (a Kubernetes Indexed
Job) or SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN (a Slurm job array).`

// parseShard parses --shard: "i/N", or "auto/N" with i from getenv (the
// batch engine's index variables).
func parseShard(spec string, getenv func(string) string) (scenarios.Shard, error) {
	is, ns, ok := strings.Cut(spec, "/")
	if !ok {
		return scenarios.Shard{}, badInputf("--shard %q: want i/N (slice i of N, 0-based) or auto/N", spec)
	}
	n, err := strconv.Atoi(ns)
	if err != nil {
		return scenarios.Shard{}, badInputf("--shard %q: N %q is not a whole number", spec, ns)
	}
	var i int
	if is == "auto" {
		if i, err = shardFromEnv(getenv); err != nil {
			return scenarios.Shard{}, badInputf("--shard %s: %v", spec, err)
		}
	} else if i, err = strconv.Atoi(is); err != nil {
		return scenarios.Shard{}, badInputf("--shard %q: i %q is not a whole number (or auto)", spec, is)
	}
	sh := scenarios.Shard{Index: i, Of: n}
	if err := sh.Validate(); err != nil {
		var se *scenarios.Error
		if errors.As(err, &se) {
			err = se.Err
		}
		return scenarios.Shard{}, badInputf("--shard %s: %v", spec, err)
	}
	return sh, nil
}

// shardFromEnv returns the task index a batch engine set in the
// environment.
func shardFromEnv(getenv func(string) string) (int, error) {
	if v := getenv(envK8sIndex); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%s=%q is not a whole number", envK8sIndex, v)
		}
		return i, nil
	}
	if v := getenv(envSlurmIndex); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%s=%q is not a whole number", envSlurmIndex, v)
		}
		if m := getenv(envSlurmMin); m != "" {
			lo, err := strconv.Atoi(m)
			if err != nil {
				return 0, fmt.Errorf("%s=%q is not a whole number", envSlurmMin, m)
			}
			i -= lo
		}
		return i, nil
	}
	return 0, fmt.Errorf("auto needs %s (Kubernetes Indexed Job) or %s (Slurm job array) in the environment; neither is set", envK8sIndex, envSlurmIndex)
}

// shardFlags parses --shard if given (auto/N from the batch engine's
// environment) and refuses the flags a part cannot honour: a part is JSON
// for merge, which takes --format, --charts and --assert. With a shard,
// --out names the directory the part goes to (its value is returned and
// taken out of f, so that load does not treat it as an output set).
func (f *runFlags) shardFlags(fs *pflag.FlagSet, spec string) (sh *scenarios.Shard, partDir string, err error) {
	if !fs.Changed("shard") {
		return nil, "", nil
	}
	v, err := parseShard(spec, os.Getenv)
	if err != nil {
		return nil, "", err
	}
	switch {
	case len(f.asserts) > 0:
		return nil, "", badInputf("--assert with --shard: a part holds some runs only; pass --assert to regionsim merge")
	case fs.Changed("format") && f.format != "json":
		return nil, "", badInputf("--format %s with --shard: a part is JSON, for regionsim merge, which takes --format", f.format)
	case fs.Changed("charts"):
		return nil, "", badInputf("--charts with --shard: pass it to regionsim merge, which draws them")
	}
	partDir, f.out = f.out, ""
	return &v, partDir, nil
}

// writePart writes a part as JSON (write) to stdout, or with dir set to
// dir/KIND-part-i-of-N.json (writeAtomically), noting the file on notes.
func writePart(dir, kind string, sh scenarios.Shard, stdout, notes io.Writer, write func(io.Writer) error) error {
	if dir == "" {
		return write(stdout)
	}
	return writeAtomically(filepath.Join(dir, fmt.Sprintf("%s-part-%d-of-%d.json", kind, sh.Index, sh.Of)), notes, write)
}

// writeAtomically writes path through a temporary file beside it renamed
// into place, so that a reader never sees a partial file, creating the
// directory, and notes the file on notes.
func writeAtomically(path string, notes io.Writer, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return badInputf("--out: %v", err)
	}
	tmp, err := os.CreateTemp(dir, ".part-*")
	if err != nil {
		return badInputf("--out: %v", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	fmt.Fprintf(notes, "wrote %s\n", path)
	return nil
}

// mergeExamples run in order: the two shards, then the merges.
const mergeExamples = `  regionsim sweep default --kinds region --seeds 2 --duration 5s --shard 0/2 --out parts
  regionsim sweep default --kinds region --seeds 2 --duration 5s --shard 1/2 --out parts
  regionsim merge parts
  regionsim merge parts/sweep-part-0-of-2.json parts/sweep-part-1-of-2.json --format json`

func newMergeCmd(stdout, stderr io.Writer) *cobra.Command {
	f := runFlags{stderr: stderr, afterFailover: true}
	c := &cobra.Command{
		Use:   "merge PART|DIR...",
		Short: "combine the parts of a sharded sweep or run --seeds (--shard i/N) into its result",
		Long: `Read the N parts written by 'regionsim sweep … --shard i/N' (or by 'regionsim
run … --seeds K --shard i/N', or 'regionsim advise … --shard i/N') for i = 0 …
N-1 (files, or directories whose sweep-part-*.json, seeds-part-*.json or
advise-part-*.json files are read) and print the result
exactly as the unsharded command prints it, in any --format, with --out,
--charts and --assert as for that command. The parts must come from one
sweep or run (same scenario, flags and binary's schema) and cover every
shard once; otherwise merge names the part that does not fit and exits 2.`,
		Example: mergeExamples,
		Args:    cobra.MinimumNArgs(1),
	}
	fs := c.Flags()
	fs.StringVar(&f.format, "format", "table", "output format: table, csv, json or markdown")
	fs.StringVar(&f.out, "out", "", "also write into this directory what the unsharded command's --out writes (a sweep: sweep.json, sweep.csv, scenario.yaml, the chart; run --seeds: result.json, the CSVs, histograms.jsonl, scenario.yaml)")
	fs.BoolVar(&f.force, "force", false, "let --out replace a directory that holds other files than a previous output set")
	fs.Var(&f.charts, "charts", "charts --out writes: summary, all, or none")
	fs.BoolVar(&f.quiet, "quiet", false, "nothing on stderr but errors and --assert results")
	fs.Var(&f.asserts, "assert", "SLO assertion "+slo.Grammar+", as for sweep; repeatable; exit 3 if one fails")
	c.RunE = func(_ *cobra.Command, args []string) error {
		format, err := report.ParseFormat(f.format)
		if err != nil {
			return badInputf("--format: %v", err)
		}
		if err := checkOut(f.out, f.force); err != nil {
			return err
		}
		parts, seedParts, adviseParts, err := readParts(args)
		if err != nil {
			return err
		}
		if len(adviseParts) > 0 {
			return f.mergeAdvice(stdout, adviseParts, format)
		}
		if len(seedParts) > 0 {
			return f.mergeSeeds(stdout, stderr, seedParts, format)
		}
		res, err := scenarios.MergeSweepParts(parts)
		if err != nil {
			return badInput(err)
		}
		return f.writeSweep(stdout, stderr, res, format)
	}
	return c
}

// readParts reads the parts named by args: files, and the *-part-*.json
// files of directories (in name order). Every part must be of one kind.
func readParts(args []string) ([]*scenarios.SweepPart, []*scenarios.SeedsPart, []*advise.Part, error) {
	var files []string
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, nil, nil, badInput(err)
		}
		if !info.IsDir() {
			files = append(files, a)
			continue
		}
		var found []string
		for _, pattern := range []string{"sweep-part-*.json", "seeds-part-*.json", "advise-part-*.json"} {
			m, err := filepath.Glob(filepath.Join(a, pattern))
			if err != nil {
				return nil, nil, nil, badInput(err)
			}
			found = append(found, m...)
		}
		if len(found) == 0 {
			return nil, nil, nil, badInputf("%s: no sweep-part-*.json, seeds-part-*.json or advise-part-*.json files in the directory", a)
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	var sweeps []*scenarios.SweepPart
	var seeds []*scenarios.SeedsPart
	var advice []*advise.Part
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			return nil, nil, nil, badInput(err)
		}
		p, err := report.ReadPart(fh)
		fh.Close()
		if err != nil {
			return nil, nil, nil, badInputf("%s: %v", name, err)
		}
		switch {
		case p.Sweep != nil:
			p.Sweep.Source = name
			sweeps = append(sweeps, p.Sweep)
		case p.Seeds != nil:
			p.Seeds.Source = name
			seeds = append(seeds, p.Seeds)
		default:
			p.Advise.Source = name
			advice = append(advice, p.Advise)
		}
		kinds := 0
		for _, n := range []int{len(sweeps), len(seeds), len(advice)} {
			if n > 0 {
				kinds++
			}
		}
		if kinds > 1 {
			return nil, nil, nil, badInputf("%s: parts of a sweep, a run --seeds and an advise search cannot be merged together", name)
		}
	}
	return sweeps, seeds, advice, nil
}
