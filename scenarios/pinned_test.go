package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/topology"
)

// TestPinnedNodes checks that tables.nodes, workload.gateways and
// cockroach.liveness_nodes take effect: every evaluation happens on the
// table's nodes, every request enters at the named gateway, and when the
// liveness range's leaseholder (the first liveness node) crashes, another
// liveness node takes its lease.
func TestPinnedNodes(t *testing.T) {
	s, err := Parse([]byte(`
name: pinned
duration: 40s
warmup: 2s
topology: {rtt: crdb-demo, regions: [us-east1], zones_per_region: 1, nodes_per_zone: 6}
cockroach: {liveness_nodes: [n1, n2, n3]}
tables: [{name: kv, ranges: 20, nodes: [n4, n5, n6]}]
workload: [{region: us-east1, table: kv, rate: 200, mix: {read: 0.5, write: 0.5}, gateways: [n2]}]
faults: [{at: 10s, kind: node, target: n1, for: 20s}]
`), "pinned.yaml")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	name := func(n topology.NodeID) string { return n.String() }
	var evals, requests int
	var livenessLeases []string
	_, err = run(s, RunOptions{tracer: func(ev raft.TraceEvent) {
		switch ev.Kind {
		case "eval":
			evals++
			assert.Contains(t, []string{"n4", "n5", "n6"}, name(ev.To), "%v", ev)
		case "request":
			requests++
			assert.Equal(t, "n2", name(ev.To), "%v", ev)
		case "liveness-lease":
			livenessLeases = append(livenessLeases, name(ev.To))
		}
	}})
	require.NoError(t, err)
	assert.Greater(t, evals, 1000)
	assert.Greater(t, requests, 1000)
	require.NotEmpty(t, livenessLeases, "n1's crash moves the liveness lease")
	for _, n := range livenessLeases {
		assert.Contains(t, []string{"n2", "n3"}, n)
	}
}
