package scenarios

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func smallSweep(t *testing.T) (*Scenario, SweepOptions) {
	t.Helper()
	return smallSweepOf(t, `{region: us-west1, rate: 40, table: kv, mix: {read: 0.5, write: 0.5}}`, 4)
}

// smallSweepOf is a sweep of region outages of a one-table, 3-region
// scenario with 2 AZs of 2 nodes, the given workload and seeds.
func smallSweepOf(t *testing.T, workload string, seeds int) (*Scenario, SweepOptions) {
	t.Helper()
	s, err := Parse([]byte(`
name: small
duration: 20s
warmup: 5s
topology: {rtt: crdb-demo, zones_per_region: 2, nodes_per_zone: 2}
database: {primary_region: us-east1}
tables:
  - {name: kv, locality: regional-by-table, ranges: 3}
workload:
  - `+workload+`
`), "small.yaml")
	require.NoError(t, err)
	opts := DefaultSweepOptions(s)
	opts.Seeds = seeds
	opts.FaultFor = 10 * time.Second
	opts.Duration = opts.MinDuration(s)
	opts.Kinds = []string{SweepRegion}
	return s, opts
}

// TestShardedSweepMergesToTheSweep: the parts of shards 0, 1 and 2 of 3,
// through JSON and merged in any order, give the unsharded sweep's bytes.
func TestShardedSweepMergesToTheSweep(t *testing.T) {
	s, opts := smallSweep(t)
	whole, err := Sweep(s, opts)
	require.NoError(t, err)
	want, err := json.Marshal(whole)
	require.NoError(t, err)

	plan, err := PlanSweep(s, opts)
	require.NoError(t, err)
	assert.Equal(t, (3+1)*2*4, plan.Runs(), "3 regions and a baseline, 2 goals, 4 seeds")
	var parts []*SweepPart
	for i := range 3 {
		p, err := plan.RunShard(Shard{i, 3}, opts)
		require.NoError(t, err)
		raw, err := json.Marshal(p)
		require.NoError(t, err)
		var back SweepPart
		require.NoError(t, json.Unmarshal(raw, &back))
		back.Header.Resolved = p.Header.Resolved // carried beside the part (report.SweepPartDocument)
		parts = append(parts, &back)
	}
	assert.Len(t, parts[0].Results, 11)
	assert.Len(t, parts[2].Results, 10)
	for _, order := range [][]int{{0, 1, 2}, {2, 0, 1}} {
		ps := []*SweepPart{parts[order[0]], parts[order[1]], parts[order[2]]}
		got, err := MergeSweepParts(ps)
		require.NoError(t, err)
		raw, err := json.Marshal(got)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(raw), "order %v", order)
	}

	// Parts that do not make one sweep are refused, naming the problem.
	_, err = MergeSweepParts(parts[:2])
	assert.ErrorContains(t, err, "shard 2/3 missing")
	_, err = MergeSweepParts([]*SweepPart{parts[0], parts[1], parts[1]})
	assert.ErrorContains(t, err, "shard 1/3 given twice")
	other := *parts[2]
	h := *other.Header
	h.Seeds = []uint64{9, 10, 11, 12}
	other.Header = &h
	_, err = MergeSweepParts([]*SweepPart{parts[0], parts[1], &other})
	assert.ErrorContains(t, err, "part 3 (shard 2/3) is of another sweep")
	_, err = plan.RunShard(Shard{3, 3}, opts)
	assert.ErrorContains(t, err, "index 3 is out of range [0, 2]")
}

// TestSweepShardEstimate: the shards' estimates add up to the sweep's, so
// --max-events judges a shard by the runs it makes.
func TestSweepShardEstimate(t *testing.T) {
	s, opts := smallSweep(t)
	whole, err := SweepEstimate(s, opts)
	require.NoError(t, err)
	var events, requests float64
	for i := range 3 {
		e, err := SweepShardEstimate(s, opts, Shard{i, 3})
		require.NoError(t, err)
		assert.Less(t, e.Events, whole.Events)
		events += e.Events
		requests += e.Requests
	}
	assert.InEpsilon(t, whole.Events, events, 1e-9)
	assert.InEpsilon(t, whole.Requests, requests, 1e-9)
	_, err = SweepShardEstimate(s, opts, Shard{5, 3})
	assert.Error(t, err)
}

// TestSweepBudgetIsPerRun: --max-events limits each run of a sweep, so a
// sweep is refused only when one run is over it, not the runs together.
func TestSweepBudgetIsPerRun(t *testing.T) {
	s, opts := smallSweep(t)
	e, err := SweepEstimate(s, opts)
	require.NoError(t, err)
	require.Greater(t, e.Events, e.RunEvents)
	between := Budget{MaxEvents: uint64(e.RunEvents) + 1}
	assert.NoError(t, e.Check(between), "every run fits, the sweep is larger")
	err = e.Check(Budget{MaxEvents: uint64(e.RunEvents) - 1})
	assert.ErrorContains(t, err, "the largest run would take")
}

// TestTrimForSweepKeepsWhatAssembleReads: a sweep assembled from its runs
// made in full (every option off, nothing trimmed) equals the one assembled
// from the runs as a sweep makes them (runOne: no critical paths, closed
// form or timelines, then trimForSweep), so neither drops anything a sweep
// reads; and the runs a sweep keeps lack the per-second series. The
// workload has stale reads, keyed writes and an application tier, so that
// every part of a Stat that PoolStats pools is there to lose.
func TestTrimForSweepKeepsWhatAssembleReads(t *testing.T) {
	s, opts := smallSweepOf(t, `{region: us-west1, rate: 60, table: kv, mix: {read: 0.4, write: 0.4, stale_read: 0.2},
     keys: 5, app: {region: us-west1, client_rtt: 2ms}}`, 2)
	plan, err := PlanSweep(s, opts)
	require.NoError(t, err)
	n := len(plan.Header.Seeds)
	var whole, swept []SweepRun
	var stale, contended, app bool
	for j := range plan.Runs() {
		job := plan.jobs[j/n]
		c := job.s.Clone()
		c.Seed = plan.Header.Seeds[j%n]
		r, err := RunWith(c, RunOptions{impactHistograms: true})
		require.NoError(t, err)
		require.NotEmpty(t, r.Timeline)
		require.NotEmpty(t, r.LoadTimeline)
		for _, st := range r.Stats {
			stale = stale || st.Staleness != nil
			contended = contended || st.Contention != nil
			app = app || st.App != nil
		}
		whole = append(whole, SweepRun{Index: j, Fault: job.fault, Survival: job.survival, Result: r})

		run, err := plan.runOne(j, opts)
		require.NoError(t, err)
		k := run.Result
		assert.Nil(t, k.Timeline)
		assert.Nil(t, k.TimelineCompleted)
		assert.Nil(t, k.LoadTimeline)
		assert.Nil(t, k.Traffic)
		if job.fault == nil {
			// A baseline's stats are pooled whole, but for what the sweep
			// skips (RunOptions.SkipExplain).
			want := slices.Clone(r.Stats)
			for i := range want {
				want[i].Attribution = nil
				want[i].ExpectedMs, want[i].ExpectedLowMs, want[i].ExpectedHighMs = 0, 0, 0
				want[i].Departs = false
			}
			assert.Equal(t, want, k.Stats)
		}
		swept = append(swept, run)
	}
	require.True(t, stale && contended && app, "the workload exercises staleness, contention and the app tier")
	a, err := plan.Assemble(whole)
	require.NoError(t, err)
	b, err := plan.Assemble(swept)
	require.NoError(t, err)
	ja, err := json.Marshal(a)
	require.NoError(t, err)
	jb, err := json.Marshal(b)
	require.NoError(t, err)
	assert.Equal(t, string(ja), string(jb))
}
