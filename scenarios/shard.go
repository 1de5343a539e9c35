package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Shard names one of Of deterministic slices of a list of runs: slice
// Index (0-based) holds the runs j with j % Of == Index, so every slice
// gets its share of every fault, goal and seed.
type Shard struct {
	Index int `json:"index"` // 0 ≤ Index < Of
	Of    int `json:"of"`    // the number of slices, ≥ 1
}

// MaxShards bounds Shard.Of.
const MaxShards = 100_000

// Validate checks 0 <= Index < Of <= MaxShards; errors are *Error
// wrapping ErrInvalid with Field "shard".
func (sh Shard) Validate() error {
	if sh.Of < 1 || sh.Of > MaxShards {
		return fieldErr("shard", "%d slices is out of range [1, %d]", sh.Of, MaxShards)
	}
	if sh.Index < 0 || sh.Index >= sh.Of {
		return fieldErr("shard", "index %d is out of range [0, %d]", sh.Index, sh.Of-1)
	}
	return nil
}

// String formats sh as "i/N".
func (sh Shard) String() string { return fmt.Sprintf("%d/%d", sh.Index, sh.Of) }

// SweepPart is one shard's share of a sweep (SweepPlan.RunShard): the
// plan's header, the number of runs in the plan, and the shard's runs.
// MergeSweepParts of every shard's part gives exactly the SweepResult of
// the whole sweep.
type SweepPart struct {
	// Header is the sweep's SweepResult without baselines, cases and
	// verdict; every part of one sweep carries the same.
	Header *SweepResult `json:"sweep"`
	// Shard is which slice of the runs this part holds.
	Shard Shard `json:"shard"`
	// Runs is the number of runs of the whole sweep.
	Runs int `json:"runs_total"`
	// Results are the shard's runs, by index.
	Results []SweepRun `json:"runs"`
	// Source names the part in MergeSweepParts' errors (its file); empty
	// means "part K", its position.
	Source string `json:"-"`
}

// name is how errors name part i (0-based) of a merge.
func (p *SweepPart) name(i int) string {
	if p.Source != "" {
		return p.Source
	}
	return fmt.Sprintf("part %d", i+1)
}

// RunShard makes shard sh's runs of the plan (in parallel,
// opts.Parallelism; opts.Progress and Budget apply too, the rest of opts
// is the plan's) and returns them as a part.
func (p *SweepPlan) RunShard(sh Shard, opts SweepOptions) (*SweepPart, error) {
	if err := sh.Validate(); err != nil {
		return nil, err
	}
	runs, err := p.run(p.indexes(sh.Index, sh.Of), opts)
	if err != nil {
		return nil, err
	}
	if runs == nil {
		runs = []SweepRun{}
	}
	return &SweepPart{Header: p.Header, Shard: sh, Runs: p.Runs(), Results: runs}, nil
}

// MergeSweepParts assembles the parts of one sweep, one per shard in any
// order, into the SweepResult the unsharded sweep gives. The parts must
// agree on the sweep (the same header, scenario and number of shards and
// runs) and hold every shard exactly once; otherwise the error names the
// part (by position in parts) that does not fit.
func MergeSweepParts(parts []*SweepPart) (*SweepResult, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("sweep parts: no parts")
	}
	first := parts[0]
	if first.Header == nil {
		return nil, fmt.Errorf("sweep parts: %s has no sweep header", first.name(0))
	}
	want, err := headerKey(first)
	if err != nil {
		return nil, err
	}
	seen := make([]bool, first.Shard.Of)
	var runs []SweepRun
	for i, p := range parts {
		if p.Header == nil {
			return nil, fmt.Errorf("sweep parts: %s has no sweep header", p.name(i))
		}
		if err := p.Shard.Validate(); err != nil {
			return nil, fmt.Errorf("sweep parts: %s: %w", p.name(i), err)
		}
		if p.Shard.Of != first.Shard.Of || p.Runs != first.Runs {
			return nil, fmt.Errorf("sweep parts: %s is shard %v of a sweep of %d runs, %s shard %v of %d runs",
				p.name(i), p.Shard, p.Runs, first.name(0), first.Shard, first.Runs)
		}
		if key, err := headerKey(p); err != nil {
			return nil, err
		} else if !bytes.Equal(key, want) {
			return nil, fmt.Errorf("sweep parts: %s (shard %v) is of another sweep than %s (scenario, options or seeds differ)", p.name(i), p.Shard, first.name(0))
		}
		if seen[p.Shard.Index] {
			return nil, fmt.Errorf("sweep parts: shard %v given twice (%s)", p.Shard, p.name(i))
		}
		seen[p.Shard.Index] = true
		for _, r := range p.Results {
			if r.Index%p.Shard.Of != p.Shard.Index {
				return nil, fmt.Errorf("sweep parts: %s (shard %v) holds run %d of another shard", p.name(i), p.Shard, r.Index)
			}
		}
		runs = append(runs, p.Results...)
	}
	if missing := slices.Index(seen, false); missing >= 0 {
		return nil, fmt.Errorf("sweep parts: shard %d/%d missing (%d of %d parts given)", missing, first.Shard.Of, len(parts), first.Shard.Of)
	}
	return assemble(first.Header, runs, first.Runs)
}

// headerKey is the JSON of a part's header and resolved scenario, which
// every part of one sweep shares.
func headerKey(p *SweepPart) ([]byte, error) {
	h := *p.Header
	h.Baselines, h.Cases, h.Verdict = nil, nil, nil
	b, err := json.Marshal(struct {
		H *SweepResult
		S *Scenario
	}{&h, h.Resolved})
	if err != nil {
		return nil, fmt.Errorf("sweep parts: %w", err)
	}
	return b, nil
}

// SeedsPart is one shard's share of a run over several seeds (`run
// --seeds N --shard i/N`): every seed of the run, which shard, and the
// shard's runs. MergeSeedsParts of every shard's part gives the runs of
// the unsharded `run --seeds N`, in seed order.
type SeedsPart struct {
	// Seeds are every seed of the whole run, in order; run j has seed
	// Seeds[j] and belongs to shard j % Of.
	Seeds []uint64 `json:"seeds"`
	// Shard is which slice of the runs this part holds.
	Shard Shard `json:"shard"`
	// Results are the shard's runs, by index into Seeds.
	Results []SeedRun `json:"runs"`
	// Resolved is the scenario run (carried by the part's document).
	Resolved *Scenario `json:"-"`
	// Source names the part in MergeSeedsParts' errors (its file).
	Source string `json:"-"`
}

// SeedRun is one run of a run over several seeds: its index into the
// seeds, and its result.
type SeedRun struct {
	Index  int     `json:"index"`
	Result *Result `json:"result"`
}

// SeedsShard returns the indexes into seeds of shard sh's runs.
func SeedsShard(seeds []uint64, sh Shard) []int {
	var out []int
	for j := sh.Index; j < len(seeds); j += sh.Of {
		out = append(out, j)
	}
	return out
}

// MergeSeedsParts returns the runs of the parts of one run over several
// seeds, one part per shard in any order, in seed order. The parts must
// agree on the seeds, the number of shards and the scenario, and hold
// every shard once, each run in its own shard and with its seed.
func MergeSeedsParts(parts []*SeedsPart) ([]*Result, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("seed parts: no parts")
	}
	name := func(p *SeedsPart, i int) string {
		if p.Source != "" {
			return p.Source
		}
		return fmt.Sprintf("part %d", i+1)
	}
	first := parts[0]
	key := func(p *SeedsPart) ([]byte, error) { return json.Marshal(struct{ S *Scenario }{p.Resolved}) }
	want, err := key(first)
	if err != nil {
		return nil, err
	}
	out := make([]*Result, len(first.Seeds))
	seen := make([]bool, first.Shard.Of)
	for i, p := range parts {
		if err := p.Shard.Validate(); err != nil {
			return nil, fmt.Errorf("seed parts: %s: %w", name(p, i), err)
		}
		got, err := key(p)
		if err != nil {
			return nil, err
		}
		if p.Shard.Of != first.Shard.Of || !slices.Equal(p.Seeds, first.Seeds) || !bytes.Equal(got, want) {
			return nil, fmt.Errorf("seed parts: %s (shard %v) is of another run than %s (scenario, seeds or shard count differ)", name(p, i), p.Shard, name(first, 0))
		}
		if seen[p.Shard.Index] {
			return nil, fmt.Errorf("seed parts: shard %v given twice (%s)", p.Shard, name(p, i))
		}
		seen[p.Shard.Index] = true
		for _, r := range p.Results {
			switch {
			case r.Index < 0 || r.Index >= len(out) || r.Index%p.Shard.Of != p.Shard.Index:
				return nil, fmt.Errorf("seed parts: %s (shard %v) holds run %d of another shard", name(p, i), p.Shard, r.Index)
			case r.Result == nil || r.Result.Seed != first.Seeds[r.Index]:
				return nil, fmt.Errorf("seed parts: %s: run %d is not of seed %d", name(p, i), r.Index, first.Seeds[r.Index])
			case out[r.Index] != nil:
				return nil, fmt.Errorf("seed parts: %s: run %d given twice", name(p, i), r.Index)
			}
			out[r.Index] = r.Result
		}
	}
	if missing := slices.Index(seen, false); missing >= 0 {
		return nil, fmt.Errorf("seed parts: shard %d/%d missing (%d of %d parts given)", missing, first.Shard.Of, len(parts), first.Shard.Of)
	}
	for j, r := range out {
		if r == nil {
			return nil, fmt.Errorf("seed parts: the run of seed %d is missing", first.Seeds[j])
		}
	}
	return out, nil
}
