package scenarios

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/sim/offheap"
)

// rollingRestart is the reproducer of the panics on valid input: a client
// timeout of 1 s and the nodes of us-east1 restarted one after another,
// n1 twice, each for 300 ms, under 500 requests/s. Before attempts had
// explicit stages, a part waiting to retry got a second live event when
// its last-tried node crashed again, and the orphan later acted on a
// reused request slot ("part replied twice", "abandoning part after its
// reply", index out of range).
const rollingRestart = `
name: rolling-restart
duration: 30s
warmup: 0s
cockroach: {client_timeout: 1s}
tables:
  - {name: t, ranges: 10}
workload:
  - {region: us-east1, rate: 500, table: t}
faults:
  - {at: 4.6s, kind: node, target: n1, for: 300ms}
  - {at: 5.1s, kind: node, target: n2, for: 300ms}
  - {at: 5.6s, kind: node, target: n3, for: 300ms}
  - {at: 9.1s, kind: node, target: n1, for: 300ms}
`

func TestRollingRestartRunsClean(t *testing.T) {
	s, err := Parse([]byte(rollingRestart), "rolling-restart.yaml")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	n := 1000
	if testing.Short() {
		n = 100
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	results, err := RunSeeds(s, seeds, 0)
	require.NoError(t, err)
	for i, res := range results {
		var count uint64
		for _, st := range res.Stats {
			count += st.Count
		}
		require.Equal(t, res.Requests, count, "seed %d: every measured request is counted once", seeds[i])
		require.Greater(t, count, uint64(12000), fmt.Sprint("seed ", seeds[i]))
	}
}

// TestPartitionOutagesHaveTheirTrueDurations: us-east1 cut off from the
// other regions for 40 s (ZONE survival, every voter in us-east1). The
// leaseholders keep their quorum but cannot renew their liveness, so their
// epoch leases become invalid when their records expire — 6 s after their
// last heartbeat, which came within 3 s before the cut — and stay invalid
// until their first heartbeat after the partition heals (within 3 s, plus
// the liveness write). Outages were once recorded only when a fault
// started, and this one was missed.
func TestPartitionOutagesHaveTheirTrueDurations(t *testing.T) {
	s, err := Parse([]byte(`
name: partition
duration: 60s
warmup: 10s
tables:
  - {name: accounts, locality: regional-by-table, ranges: 10}
workload:
  - {region: us-east1, rate: 300, table: accounts, mix: {read: 0.5, write: 0.5}}
faults:
  - {at: 20s, kind: partition, between: [[us-east1], [us-west1, europe-west1]], for: 40s}
`), "partition.yaml")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	res, err := Run(s)
	require.NoError(t, err)
	down := map[int]bool{}
	for _, u := range res.Unavailability {
		down[u.Range] = true
		assert.GreaterOrEqual(t, u.StartS, 20.0+6-3, "range %d: liveness expires 3–6 s after the cut", u.Range)
		assert.LessOrEqual(t, u.StartS, 20.0+6+0.2, "range %d", u.Range)
		assert.Greater(t, u.EndS, 60.0, "range %d: until the partition heals", u.Range)
		assert.LessOrEqual(t, u.EndS, 60.0+3+0.2, "range %d: and the leaseholder heartbeats again", u.Range)
	}
	assert.Len(t, down, 10, "every range of the table is down")
	im := res.FaultImpacts()
	require.Len(t, im, 1)
	assert.Equal(t, 10, im[0].RangesUnavailable)
}

// TestTinyRateRuns: a rate so small that the first arrival lies beyond any
// simulated time once overflowed the arrival gap ("event scheduled before
// now").
func TestTinyRateRuns(t *testing.T) {
	s, err := Parse([]byte("duration: 10s\ntables: [{name: t}]\nworkload: [{region: us-east1, rate: 1e-300, table: t}]\n"), "tiny.yaml")
	require.NoError(t, err)
	res, err := Run(s)
	require.NoError(t, err)
	assert.Zero(t, res.Requests)
}

// TestPanicBecomesInternalError: a panic inside a run comes back as an
// *InternalError naming the scenario and seed, not a crash.
func TestPanicBecomesInternalError(t *testing.T) {
	s, err := Parse([]byte("duration: 5s\ntables: [{name: t}]\nworkload: [{region: us-east1, rate: 10, table: t}]\n"), "p.yaml")
	require.NoError(t, err)
	_, err = RunWithProgress(s, func(done, total time.Duration) { panic("broken") })
	var bug *InternalError
	require.ErrorAs(t, err, &bug)
	assert.Equal(t, "p", bug.Scenario)
	assert.Equal(t, uint64(1), bug.Seed)
	assert.Equal(t, "broken", bug.Panic)
	assert.NotEmpty(t, bug.Stack)
}

// TestCapacityBecomesABudgetStop: a model asked to hold more in flight
// than its slabs can (raft.CapacityError) stops its run with an input
// error, as a run over its budget does, not as a bug.
func TestCapacityBecomesABudgetStop(t *testing.T) {
	s, err := Parse([]byte("duration: 5s\ntables: [{name: t}]\nworkload: [{region: us-east1, rate: 10, table: t}]\n"), "p.yaml")
	require.NoError(t, err)
	_, err = RunWithProgress(s, func(done, total time.Duration) { panic(raft.CapacityError{What: "parts", Most: 8}) })
	require.ErrorIs(t, err, ErrInvalid)
	var bug *InternalError
	assert.False(t, errors.As(err, &bug), "not a bug")
	assert.Contains(t, err.Error(), `scenario "p" stopped: more than 8 parts in flight at once`)
}

// TestEstimateKnowsTheModelsCapacity: a run estimated to hold more
// requests in flight than the model can (raft.MaxInFlight) is refused
// before it starts, whatever its memory budget: here 2 M requests/s that
// a zone outage and a 10 s client timeout keep waiting.
func TestEstimateKnowsTheModelsCapacity(t *testing.T) {
	s, err := Parse([]byte("duration: 10s\ncockroach: {client_timeout: 10s}\ntables: [{name: t}]\n"+
		"workload: [{region: us-east1, rate: 2000000, table: t}]\nfaults: [{at: 5s, kind: zone, target: us-east1-b, for: 1s}]\n"), "huge.yaml")
	require.NoError(t, err)
	est, err := s.Estimate()
	require.NoError(t, err)
	require.Greater(t, est.PeakInFlight, float64(raft.MaxInFlight))
	err = est.Check(Budget{})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "more than the 8388608 the model holds")
	est.PeakInFlight = raft.MaxInFlight
	assert.NoError(t, est.Check(Budget{}), "at the most it holds")
}

// TestRunReturnsMappedState: a run keeps its requests' state and its
// event queue off the heap while it goes (where the system maps memory)
// once they are large — here, default at 20 times its rates on one vCPU
// per node queues tens of thousands of requests — and returns the mapping
// however it ends: finished, stopped by its budget, or by a panic.
func TestRunReturnsMappedState(t *testing.T) {
	before := offheap.Bytes()
	s := scaledDefault(t, 20, time.Second)
	s.Topology.VCPUs = 1
	require.NoError(t, s.Validate())
	var during uint64
	_, err := RunWithProgress(s, func(done, total time.Duration) { during = max(during, offheap.Bytes()) })
	require.NoError(t, err)
	assert.Equal(t, before, offheap.Bytes(), "finished")
	if offheap.Supported {
		assert.Greater(t, during, before, "mapped while running")
	}
	_, err = RunWith(s, RunOptions{Budget: Budget{MaxEvents: 100_000}})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, before, offheap.Bytes(), "stopped by the budget")
	_, err = RunWithProgress(s, func(done, total time.Duration) { panic("broken") })
	var bug *InternalError
	require.ErrorAs(t, err, &bug)
	assert.Equal(t, before, offheap.Bytes(), "stopped by a panic")
}

// TestBudgetStopsARun: a run that dispatches more events than its budget
// stops there with an input error naming the limit; the estimate of the
// built-in scenarios is of the right size (within a factor of 3 of the
// events they dispatch).
func TestBudgetStopsARun(t *testing.T) {
	s, err := Load("default")
	require.NoError(t, err)
	_, err = RunWith(s, RunOptions{Budget: Budget{MaxEvents: 10_000}})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "after 10000 events: over --max-events 10000")
	for _, name := range []string{"default", "movr", "users-by-city"} {
		s, err := Load(name)
		require.NoError(t, err)
		est, err := s.Estimate()
		require.NoError(t, err)
		res, err := Run(s)
		require.NoError(t, err)
		ratio := est.Events / float64(res.Events)
		assert.True(t, ratio > 1.0/3 && ratio < 3, "%s: estimated %.3g events, ran %d", name, est.Events, res.Events)
		assert.Less(t, float64(res.Requests), est.Requests, name)
		require.NoError(t, est.Check(Budget{MaxEvents: DefaultMaxEvents, MaxMemory: DefaultMaxMemory}), name)
	}
}

// TestHugeGlobalTableFitsInMemory: a GLOBAL table of 10^9 rows once needed
// a timestamp per row (8 GB); GLOBAL ranges now remember only writes whose
// timestamp is still in the future.
func TestHugeGlobalTableFitsInMemory(t *testing.T) {
	s, err := Parse([]byte("duration: 10s\ntables: [{name: t, locality: global, rows: 1e9}]\nworkload: [{region: us-east1, rate: 500, table: t, mix: {read: 0.5, write: 0.5}}]\n"), "global.yaml")
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Run(s)
	require.NoError(t, err)
	runtime.ReadMemStats(&after)
	assert.Greater(t, res.Requests, uint64(4000))
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(200<<20), "bytes allocated by the run")
}

// TestReplacementsInResult: replicas of a node down past
// server.time_until_store_dead are replaced, and the result says so.
func TestReplacementsInResult(t *testing.T) {
	s, err := Parse([]byte(`
duration: 6m
warmup: 0s
topology: {nodes_per_zone: 2}
tables: [{name: t, ranges: 3}]
workload: [{region: us-east1, rate: 5, table: t, mix: {write: 1}}]
faults: [{at: 10s, kind: node, target: n3, for: 5m30s}]
`), "replace.yaml")
	require.NoError(t, err)
	res, err := Run(s)
	require.NoError(t, err)
	require.NotEmpty(t, res.Replacements)
	for _, rp := range res.Replacements {
		assert.Equal(t, "n3", rp.From)
		assert.InDelta(t, 10+300, rp.TS, 1e-9)
		assert.Equal(t, "t", rp.Table)
	}
}

// TestEstimateFromASampleOfRanges: the estimate of tables larger than
// estimateSample ranges, made from the tables placed scaled down, is
// within 2 % of the one made from every range (default and users-by-city,
// whose faults reach a share of the ranges, with 20,000 ranges per table;
// and a table of 40,000 ranges placed after one of 4,000 confined to three
// of six nodes, the zone with those three failing: the second table's
// first ranges avoid them, its whole does not).
func TestEstimateFromASampleOfRanges(t *testing.T) {
	if testing.Short() {
		t.Skip("places 60,000 ranges")
	}
	var cases []*Scenario
	for _, name := range []string{"default", "users-by-city"} {
		s, err := LoadUnvalidated(name)
		require.NoError(t, err)
		for i := range s.Tables {
			s.Tables[i].Ranges = 20_000
		}
		cases = append(cases, s)
	}
	uneven, err := ParseUnvalidated([]byte(`name: uneven
duration: 10m
warmup: 0s
topology: {regions: [us-east1], zones_per_region: 2, nodes_per_zone: 3}
tables:
  - {name: a, ranges: 4000, nodes: [n4, n5, n6]}
  - {name: b, ranges: 40000}
workload: [{region: us-east1, rate: 2000, table: b, mix: {read: 0.5, write: 0.5}}]
faults: [{at: 1m, kind: zone, target: us-east1-b, for: 5m}]
`), "uneven")
	require.NoError(t, err)
	cases = append(cases, uneven)
	for _, s := range cases {
		require.NoError(t, s.Validate(), s.Name)
		sampled, err := s.Estimate()
		require.NoError(t, err)
		all, err := s.estimate(0)
		require.NoError(t, err)
		assert.Equal(t, all.Requests, sampled.Requests, s.Name)
		assert.InEpsilon(t, all.Events, sampled.Events, 0.02, s.Name)
		assert.InEpsilon(t, all.PeakInFlight, sampled.PeakInFlight, 0.02, s.Name)
		assert.InEpsilon(t, all.MemoryBytes, sampled.MemoryBytes, 0.02, s.Name)
		t.Logf("%s: %s (sampled) against %s", s.Name, sampled, all)
	}
}
