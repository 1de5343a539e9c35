package scenarios_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
)

// boundedYAML is issue #13's case on a jitter-free cluster: clients in
// us-west1 read tables homed in us-east1 (ZONE: a non-voter in us-west1)
// while us-west1 is cut off from 20 s to 40 s.
const boundedYAML = `
name: bounded
duration: 40s
warmup: 10s
topology: {rtt: crdb-demo, regions: [us-east1, us-west1, europe-west1], jitter: none}
database: {primary_region: us-east1}
tables:
  - {name: bounded, locality: regional-by-table, ranges: 4}
  - {name: unbounded, locality: regional-by-table, ranges: 4}
workload:
  - {region: us-west1, table: bounded, rate: 50, mix: {bounded_read: 0.5, stale_read: 0.5},
     bounded_read: {max_staleness: 10s}}
  - {region: us-west1, table: unbounded, rate: 50, mix: {bounded_read: 1}}
faults:
  - {at: 20s, kind: partition, between: [[us-west1], [us-east1, europe-west1]], for: 20s}
`

func statOf(t *testing.T, r *scenarios.Result, table, op string) scenarios.Stat {
	t.Helper()
	for _, st := range r.Stats {
		if st.Table == table && st.Op == op {
			return st
		}
	}
	t.Fatalf("no %s %s stat", table, op)
	return scenarios.Stat{}
}

// TestBoundedReadStalenessInRun: stale reads are served exactly 4.2 s
// behind their statement time; bounded reads with a 10 s bound never more
// than 10 s behind — during the partition they wait for the leaseholder
// instead — while unbounded ones keep answering from the cut-off replica,
// up to the partition's length behind.
func TestBoundedReadStalenessInRun(t *testing.T) {
	s, err := scenarios.Parse([]byte(boundedYAML), "bounded.yaml")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	r, err := scenarios.Run(s)
	require.NoError(t, err)

	stale := statOf(t, r, "bounded", "stale_read")
	require.NotNil(t, stale.Staleness)
	assert.Equal(t, stale.Count-stale.Errors, stale.Staleness.Reads)
	assert.InDelta(t, 4.2, stale.Staleness.MaxS, 1e-9, "follower_read_timestamp(): statement time − 4.2 s")
	assert.InDelta(t, 4.2, stale.Staleness.P50S, 4.2*0.01, "within the histogram's 1 %")

	bounded := statOf(t, r, "bounded", "bounded_read")
	require.NotNil(t, bounded.Staleness)
	assert.LessOrEqual(t, bounded.Staleness.MaxS, 10.0)
	assert.Greater(t, bounded.Staleness.MaxS, 9.0, "reads near the bound still served locally")
	assert.Greater(t, bounded.P99Ms, 1000.0, "some waited for the partition to heal")

	unbounded := statOf(t, r, "unbounded", "bounded_read")
	require.NotNil(t, unbounded.Staleness)
	assert.Greater(t, unbounded.Staleness.MaxS, 20.0, "served from the cut-off replica all along")
	assert.Less(t, unbounded.P99Ms, 2.0, "always local")

	for _, st := range r.Stats {
		if st.Op != "stale_read" && st.Op != "bounded_read" {
			assert.Nil(t, st.Staleness, "%s %s", st.Table, st.Op)
		}
	}

	// Same scenario and seed: the same result.
	again, err := scenarios.Run(s)
	require.NoError(t, err)
	again.WallSeconds = r.WallSeconds
	assert.Equal(t, r, again)
}

// TestBoundedReadYAML: the bound parses (nearest_only included) and is
// strict about its fields.
func TestBoundedReadYAML(t *testing.T) {
	s, err := scenarios.Parse([]byte(`
tables: [{name: kv}]
workload: [{region: us-east1, table: kv, rate: 5, mix: {bounded_read: 1}, bounded_read: {max_staleness: 1m30s, nearest_only: true}}]
`), "b.yaml")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	assert.Equal(t, &scenarios.BoundedRead{MaxStaleness: 90e9, NearestOnly: true}, s.Workload[0].BoundedRead)

	_, err = scenarios.Parse([]byte(`
tables: [{name: kv}]
workload: [{region: us-east1, table: kv, rate: 5, mix: {bounded_read: 1}, bounded_read: {max_stalenes: 10s}}]
`), "b.yaml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_stalenes")
}
