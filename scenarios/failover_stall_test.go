package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/sim"
)

// homeAZsDownRegion is homeAZsDown (clientimpact_test.go) with REGION
// survival, the reproducer of a range that failed over and then stalled
// for a minute: a REGIONAL BY TABLE table homed in us-east1, zones
// us-east1-a and -b blackholed at 30 s for 2 min, no jitter. Range 1
// (voters n1 us-east1-a, n3 us-east1-c, n5, n8, n9; lease on n1) fails
// over to n8 at 35.4 s. Right then n5, whose liveness view briefly
// showed the leader n8 dead (the liveness range lost its lease holder in
// us-east1-a, so n8's record lapsed until its next heartbeat),
// campaigned; its vote request deposed n8 but lost (n8's writes had
// reached the others meanwhile). No other voter ever campaigned, the
// lease-preference scanner started a transfer back home that could not
// commit without a leader, every request at n8 waited for it, and only
// the circuit breaker (60 s later) ended the stall.
// homeAZsDownRegion is homeAZsDown (clientimpact_test.go) under REGION
// survival.
var homeAZsDownRegion = strings.Replace(homeAZsDown, "survival: zone", "survival: region", 1)

// TestHomeAZsDownRangeServesAfterFailover: once range 1 has failed over,
// its 4 live voters of 5 serve it. The deposed leader and the voters that
// learned the new term campaign again within an election timeout, a
// voter is elected, the lease goes home to n3 (us-east1-c) by lease
// preference before 40 s, and every request to range 1 sent from 40 s
// on succeeds within 2 s (gateways that cached the blackholed n1 learn
// the lease from the first answer they get); the replica circuit breaker
// never trips.
func TestHomeAZsDownRangeServesAfterFailover(t *testing.T) {
	s, err := Parse([]byte(homeAZsDownRegion), "home-azs-down.yaml")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	const rng = raft.RangeID(1)
	from := sim.At(40 * time.Second)
	var n, failed, slow int
	var worst time.Duration
	var worstAt sim.Time
	var trips, leases []raft.TraceEvent
	_, err = run(s, RunOptions{checks: true, tracer: func(ev raft.TraceEvent) {
		switch {
		case ev.Kind == "client-reply" && ev.Range == rng && ev.Sent >= from:
			n++
			if ev.Detail != "ok" {
				failed++
			}
			d := ev.At.Sub(ev.Sent)
			if d > 2*time.Second {
				slow++
			}
			if d > worst {
				worst, worstAt = d, ev.Sent
			}
		case ev.Kind == "breaker" && ev.Req < 0 && strings.HasPrefix(ev.Detail, "r1:"):
			trips = append(trips, ev)
		case ev.Kind == "lease" && strings.HasPrefix(ev.Detail, "r1:"):
			leases = append(leases, ev)
		}
	}})
	require.NoError(t, err)
	t.Logf("range 1 from %v: %d requests, %d failed, %d over 2 s, worst %v (sent at %v); leases %v",
		from, n, failed, slow, worst, worstAt, leases)
	require.Greater(t, n, 5000, "the workload reaches range 1")
	assert.Zero(t, failed, "no request to range 1 sent after the failover fails")
	assert.Empty(t, trips, "no replica circuit breaker trips")
	assert.Zero(t, slow, "requests to range 1 over 2 s; the worst took %v (sent at %v)", worst, worstAt)
	require.Len(t, leases, 2, "a failover, then home by preference: %v", leases)
	assert.Equal(t, "n8", leases[0].To.String(), "%v", leases[0])
	assert.Equal(t, "n3", leases[1].To.String(), "%v", leases[1])
	assert.Less(t, leases[1].At, from, "the lease is home before 40 s")
}
