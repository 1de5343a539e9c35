package advise

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
)

// small is a small topology for the exhaustive cross-check: 3 regions ×
// 3 AZs × 1 node on the crdb-demo RTTs with jitter, one table read and
// written from us-east1 only, and short runs.
const small = `
name: small
seed: 7
duration: 10s
warmup: 3s
topology:
  rtt: crdb-demo
  regions: [us-east1, us-west1, europe-west1]
database:
  primary_region: us-east1
tables:
  - name: kv
    ranges: 2
workload:
  - {region: us-east1, table: kv, rate: 40, mix: {read: 0.8, write: 0.2}}
`

func loadSmall(t *testing.T) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Parse([]byte(small), "small")
	require.NoError(t, err)
	return s
}

// smallOptions are short outages for the small topology: at 5 s, for
// twice the survival bound.
func smallOptions(s *scenarios.Scenario) Options {
	o := DefaultOptions(s)
	o.FaultAt = 5 * time.Second
	return o
}

func adviseSmall(t *testing.T, exprs []string, o Options) *Result {
	t.Helper()
	s := loadSmall(t)
	slos, err := ParseAll(exprs)
	require.NoError(t, err)
	require.NoError(t, CheckScope(s, slos))
	p, err := NewPlan(s, slos, o)
	require.NoError(t, err)
	res, err := p.RunAll()
	require.NoError(t, err)
	return res
}

// TestExhaustiveCrossCheck simulates every configuration of the small
// topology's design space (no pruning, no cap) and checks that advise,
// pruning with the closed form, ranks the same configuration first, and
// that every configuration it pruned misses, when simulated, the SLO the
// closed form said it misses.
func TestExhaustiveCrossCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates every configuration")
	}
	exprs := []string{"read.p99<20ms", "write.p99<100ms", "survive=region"}
	s := loadSmall(t)
	pruned := adviseSmall(t, exprs, smallOptions(s))
	o := smallOptions(s)
	o.NoPrune, o.MaxSimulated = true, 0
	all := adviseSmall(t, exprs, o)

	// 4 localities (RBT in 3 regions, GLOBAL) × 3 primaries × 3
	// secondaries × (zone with 3 voters, region with 5), and none with 3
	// or 5: 74 accepted; zone with 5 voters (3 nodes a region) and region
	// with 3 are refused: 72.
	assert.Equal(t, 4*3*3*2*2+2, all.Enumerated)
	assert.Equal(t, 72, all.Refused)
	assert.Equal(t, 74, all.Simulated)
	assert.Equal(t, 0, all.Pruned)
	require.Equal(t, all.Enumerated, pruned.Enumerated)
	assert.Greater(t, pruned.Pruned, 0, "the closed form prunes")
	assert.Less(t, pruned.Runs, all.Runs)

	require.NotNil(t, all.Top())
	require.Equal(t, Meets, all.Top().Status, "some configuration meets every SLO")
	assert.Equal(t, all.Top().Config, pruned.Top().Config, "advise's top is the exhaustive search's")
	assert.Equal(t, all.Meeting, pruned.Meeting, "pruning drops no configuration that meets the SLOs")
	// The hand-derived winner set: only RBT in us-east1 reads locally and
	// only REGION survival outlives a region outage.
	for _, c := range all.Candidates[:all.Meeting] {
		assert.Equal(t, "region", c.Config.Survival)
		assert.Equal(t, "RBT(us-east1)", c.Config.Tables[0].Short())
	}

	byIndex := map[int]Candidate{}
	for _, c := range all.Candidates {
		byIndex[c.Index] = c
	}
	for _, c := range pruned.Candidates {
		full := byIndex[c.Index]
		switch c.Status {
		case Pruned:
			assert.Equal(t, Misses, full.Status, "pruned %s", c.Config)
			assert.NotEmpty(t, c.Missed(), "pruned %s", c.Config)
			for _, o := range c.SLOs {
				assert.Equal(t, SourceFloor, o.Source)
				for _, f := range full.SLOs {
					if f.SLO == o.SLO && f.Where != "no requests" {
						assert.LessOrEqual(t, o.Measured, f.Measured*(1+scenarios.DepartureTolerance),
							"%s: %s: the floor %v is above the simulated %v", c.Config, o.SLO, o.Measured, f.Measured)
					}
				}
				if o.OK {
					continue
				}
				for _, f := range full.SLOs {
					if f.SLO == o.SLO {
						assert.False(t, f.OK, "%s: %s pruned, but the run meets it (%v)", c.Config, o.SLO, f.Measured)
					}
				}
			}
		case Meets, Misses:
			assert.Equal(t, full.Status, c.Status, "%s", c.Config)
			assert.Equal(t, full.SLOs, c.SLOs, "%s: the same runs", c.Config)
		}
	}
}

// TestDeterministic checks that the result does not depend on the
// parallelism, and that shards assembled give the whole.
func TestDeterministic(t *testing.T) {
	exprs := []string{"read.p99<20ms", "write.p99<100ms", "survive=region"}
	s := loadSmall(t)
	o := smallOptions(s)
	o.Parallelism = 1
	one := adviseSmall(t, exprs, o)
	o.Parallelism = 4
	four := adviseSmall(t, exprs, o)
	assert.Equal(t, one, four)

	slos, err := ParseAll(exprs)
	require.NoError(t, err)
	p, err := NewPlan(s, slos, o)
	require.NoError(t, err)
	var runs []Run
	for i := range 3 {
		part, err := p.RunShard(i, 3)
		require.NoError(t, err)
		runs = append(runs, part...)
	}
	// Any order.
	runs[0], runs[len(runs)-1] = runs[len(runs)-1], runs[0]
	merged, err := p.Assemble(runs)
	require.NoError(t, err)
	assert.Equal(t, one, merged)
	_, err = p.Assemble(runs[1:])
	assert.ErrorContains(t, err, "missing")

	// Parts through JSON, merged in any order, give the same result.
	var parts []*Part
	for _, i := range []int{2, 0, 1} {
		pt, err := p.RunPart(scenarios.Shard{Index: i, Of: 3})
		require.NoError(t, err)
		data, err := json.Marshal(pt)
		require.NoError(t, err)
		var back Part
		require.NoError(t, json.Unmarshal(data, &back))
		back.Source = fmt.Sprintf("part-%d", i)
		parts = append(parts, &back)
	}
	merged, err = MergeParts(parts)
	require.NoError(t, err)
	assert.Equal(t, one, merged)
	_, err = MergeParts(parts[:2])
	assert.ErrorContains(t, err, "shard 1/3 missing")
	_, err = MergeParts(append(parts, parts[0]))
	assert.ErrorContains(t, err, "given twice (part-2)")
	other := *parts[1]
	other.Plan = &Result{Scenario: "other"}
	_, err = MergeParts([]*Part{parts[0], &other, parts[2]})
	assert.ErrorContains(t, err, "another search")
}
