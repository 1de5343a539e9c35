package scenarios

import (
	"fmt"
	"testing"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventSavingsChangeNothing checks the model's event savings — in
// fault-free runs the acknowledgements nothing reads (raft
// Model.ackMatters), the client's reply reported without an event
// (Model.finishAfter), and, in fault-free runs and between the faults of
// fault runs, the requests a workload submits ahead of their start
// (Model.SubmitAt, generator.scheduleArrival): a run with them has
// exactly the result of the same run scheduling every event (a trace turns
// the savings off), events apart, and dispatches fewer events. ZONE (3
// voters) and REGION (5 voters) survival, users-by-city's faults, and a
// mix of blackhole, partition, zone and region faults under keyed
// transactions and any-node gateways. (Submitting ahead may reorder
// events due at the same nanosecond as a request's gateway arrival; these
// seeds and durations have no such tie, see docs/decisions.md, "Requests
// submitted ahead".)
func TestEventSavingsChangeNothing(t *testing.T) {
	for _, survival := range []string{"zone", "region"} {
		t.Run(survival, func(t *testing.T) {
			s, err := Load("default")
			require.NoError(t, err)
			s, err = s.WithSurvival(survival)
			require.NoError(t, err)
			s.Duration = 20 * time.Second
			savingsChangeNothing(t, s)
		})
	}
	// Busy nodes: one CPU each, a millisecond of Raft work an entry and
	// slow syncs, so that evaluations and appends queue behind each other
	// and group commits batch. A non-voter's append made when its node is
	// next used (raft pending.go) must take the CPU, the sync and the
	// fsync draw its arrival event would have, and in the same order.
	t.Run("busy nodes", func(t *testing.T) {
		s, err := Load("default")
		require.NoError(t, err)
		s.Topology.VCPUs = 1
		s.Topology.RaftCPU = time.Millisecond
		s.Topology.Fsync = 2 * time.Millisecond
		s.Duration = 10 * time.Second
		require.NoError(t, s.Validate())
		res := savingsChangeNothing(t, s)
		var queue, perSync float64
		for _, n := range res.NodeLoad {
			queue = max(queue, n.QueueMean)
			perSync = max(perSync, n.AppendsPerSync)
		}
		assert.Greater(t, queue, 0.01, "evaluations wait for a CPU")
		assert.Greater(t, perSync, 1.2, "syncs take several appends")
		t.Logf("busiest node: %.3f evaluations waiting, %.2f appends a sync", queue, perSync)
	})
	// A fault run submits requests ahead between its faults' starts and
	// ends, while a workload's gateways are all up: users-by-city's
	// outages take two AZs and then the region of a workload's gateways.
	// They start and end 50 ms after a whole second here, where no
	// traffic mark (every second) keeps a window from crossing them.
	t.Run("faults", func(t *testing.T) {
		s, err := Load("users-by-city")
		require.NoError(t, err)
		for i := range s.Faults {
			s.Faults[i].At += 50 * time.Millisecond
		}
		savingsChangeNothing(t, s)
	})
	// Requests a crash fails at their gateway end in the order they
	// started, whatever slots submitting ahead gave them: in slot order,
	// seed 1 differed here (a transaction's intents are resolved as it
	// ends, and the order of the waiters they release matters).
	t.Run("mixed faults", func(t *testing.T) {
		for seed := 1; seed <= 3; seed++ {
			s, err := Parse([]byte(fmt.Sprintf(mixedFaults, seed)), "mixed-faults")
			require.NoError(t, err)
			t.Logf("seed %d", seed)
			savingsChangeNothing(t, s)
		}
	})
}

// savingsChangeNothing runs s with the model's event savings and with a
// tracer (which turns them off), and checks that the first dispatches
// fewer events and gives exactly the same result.
func savingsChangeNothing(t *testing.T, s *Scenario) *Result {
	t.Helper()
	pruned, err := RunWith(s, RunOptions{})
	require.NoError(t, err)
	all, err := RunWith(s, RunOptions{tracer: func(raft.TraceEvent) {}})
	require.NoError(t, err)
	assert.Less(t, pruned.Events, all.Events)
	t.Logf("events: %d with the savings, %d without", pruned.Events, all.Events)
	assert.Equal(t, resultJSON(t, all), resultJSON(t, pruned))
	return pruned
}

// mixedFaults is a scenario (its seed left to fill in) whose faults cross
// no traffic mark: a blackhole, a one-way partition, a zone and a region
// outage, under keyed transactions with a client timeout and a workload
// whose gateways are any node.
const mixedFaults = `
name: mixed-faults
seed: %d
duration: 40s
warmup: 5s
topology:
  rtt: crdb-demo
  regions: [us-east1, us-west1, europe-west1]
  zones_per_region: 3
  nodes_per_zone: 1
cockroach: {client_timeout: 4s}
database: {primary_region: us-east1, survival: region}
tables:
  - {name: kv, ranges: 20, rows: 2000}
  - {name: g, locality: global, ranges: 4, rows: 1000}
workload:
  - {region: us-east1, rate: 300, table: kv, mix: {read: 0.4, write: 0.3, txn: 0.3}, keys: 50, distribution: zipf}
  - {region: us-west1, rate: 200, table: kv, mix: {read: 0.5, write: 0.5}, gateway: any}
  - {region: europe-west1, rate: 150, table: g, mix: {read: 0.7, write: 0.3}}
faults:
  - {at: 8050ms, kind: node, target: n2, for: 6s, mode: blackhole}
  - {at: 12350ms, kind: partition, between: [[us-east1], [europe-west1]], for: 5s, one_way: true}
  - {at: 20125ms, kind: zone, target: us-west1-b, for: 7s}
  - {at: 30777ms, kind: region, target: europe-west1, for: 4s}
`
