package scenarios

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
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
