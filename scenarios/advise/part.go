package advise

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/regionsim/regionsim/scenarios"
)

// Part is one shard of a plan's runs (Plan.RunPart): the plan as plain
// data and the runs j of it with j % Shard.Of == Shard.Index. MergeParts
// of every shard gives what Plan.RunAll gives.
type Part struct {
	// Plan is the plan's Header (the Result without candidates).
	Plan *Result `json:"plan"`
	// Candidates and Jobs are the plan's (Plan.Candidates, Plan.Jobs).
	Candidates []Candidate `json:"candidates"`
	Jobs       []Job       `json:"jobs"`
	// Shard is the slice of the runs this part holds.
	Shard scenarios.Shard `json:"shard"`
	// Top is how many candidates the command that wrote it prints (0:
	// all), for merge to print the same.
	Top int `json:"top"`
	// Runs are the shard's runs.
	Runs []Run `json:"runs"`
	// Resolved is the scenario advised on (as in the unsharded JSON).
	Resolved *scenarios.Scenario `json:"resolved_scenario"`
	// Source names the file the part was read from, for messages.
	Source string `json:"-"`
}

// RunPart makes shard sh's runs and returns them as a part.
func (p *Plan) RunPart(sh scenarios.Shard) (*Part, error) {
	if err := sh.Validate(); err != nil {
		return nil, err
	}
	runs, err := p.RunShard(sh.Index, sh.Of)
	if err != nil {
		return nil, err
	}
	if runs == nil {
		runs = []Run{}
	}
	return &Part{Plan: p.Header, Candidates: p.Candidates, Jobs: p.Jobs, Shard: sh, Runs: runs}, nil
}

func (pt *Part) name(i int) string {
	if pt.Source != "" {
		return pt.Source
	}
	return fmt.Sprintf("part %d", i+1)
}

// key is the JSON of what every part of one plan shares.
func (pt *Part) key() ([]byte, error) {
	return json.Marshal(struct {
		Plan       *Result
		Candidates []Candidate
		Jobs       []Job
		Top        int
		Resolved   *scenarios.Scenario
	}{pt.Plan, pt.Candidates, pt.Jobs, pt.Top, pt.Resolved})
}

// MergeParts assembles the Result of a plan from its parts, one per
// shard, in any order. Parts of different plans (scenario, SLOs, flags or
// build differ), a shard given twice or missing, or a run of another
// shard are errors naming the part.
func MergeParts(parts []*Part) (*Result, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("advise parts: no parts")
	}
	first := parts[0]
	if first.Plan == nil {
		return nil, fmt.Errorf("advise parts: %s has no plan", first.name(0))
	}
	want, err := first.key()
	if err != nil {
		return nil, err
	}
	if err := first.Shard.Validate(); err != nil {
		return nil, fmt.Errorf("advise parts: %s: %w", first.name(0), err)
	}
	seen := make([]bool, first.Shard.Of)
	var runs []Run
	for i, pt := range parts {
		if pt.Plan == nil {
			return nil, fmt.Errorf("advise parts: %s has no plan", pt.name(i))
		}
		if err := pt.Shard.Validate(); err != nil {
			return nil, fmt.Errorf("advise parts: %s: %w", pt.name(i), err)
		}
		if pt.Shard.Of != first.Shard.Of {
			return nil, fmt.Errorf("advise parts: %s is shard %v, %s shard %v", pt.name(i), pt.Shard, first.name(0), first.Shard)
		}
		if key, err := pt.key(); err != nil {
			return nil, err
		} else if !bytes.Equal(key, want) {
			return nil, fmt.Errorf("advise parts: %s (shard %v) is of another search than %s (scenario, SLOs or flags differ)", pt.name(i), pt.Shard, first.name(0))
		}
		if seen[pt.Shard.Index] {
			return nil, fmt.Errorf("advise parts: shard %v given twice (%s)", pt.Shard, pt.name(i))
		}
		seen[pt.Shard.Index] = true
		for _, r := range pt.Runs {
			if r.Index%pt.Shard.Of != pt.Shard.Index {
				return nil, fmt.Errorf("advise parts: %s (shard %v) holds run %d of another shard", pt.name(i), pt.Shard, r.Index)
			}
		}
		runs = append(runs, pt.Runs...)
	}
	if missing := slices.Index(seen, false); missing >= 0 {
		return nil, fmt.Errorf("advise parts: shard %d/%d missing (%d of %d parts given)", missing, first.Shard.Of, len(parts), first.Shard.Of)
	}
	return AssembleRuns(first.Plan, first.Candidates, first.Jobs, runs)
}
