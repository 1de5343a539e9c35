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

// TestHomeAZsDownNoRedialOfDeadPeers is the reproducer of gateways that
// re-dialled blackholed nodes during a failover: homeAZsDownRegion
// (failover_stall_test.go), whose range 2 has voters in the blackholed
// us-east1-a and -b. Before the RPC circuit breakers, a request's later
// DistSender rounds dialled n1 or n2 again once the 1-s skip lapsed and
// paid the dial timeout (4 s) each time: with seed 10, gateway n3's
// requests to range 2 took up to 14 s although the range had recovered at
// about 35 s. Now a gateway whose connection to a peer failed orders it
// last (splitHealthy) and, while its breaker is tripped, fails a dial to
// it at once; the breaker's probe dials it in the background.
//
// The bounds, on 24.3 (the default): every gateway's heartbeat to n1 and
// n2 has failed by 36 s (30 s + the 6-s heartbeat timeout; the ping
// phase only makes it earlier), so from then on no request sends to them
// — they are ordered last and their breakers fail dials at once. A
// request sent from 36 s on, once range 2 has its new lease, is served
// by the first healthy replica it tries or by the leaseholder that one
// names: a few round trips (≤ 146 ms each with crdb-demo's RTTs) plus at
// most one DistSender backoff (≤ 1.15 s): 2 s. A request sent during the
// outage ends at most one lease-wait timeout (RangeLeaseAcquireTimeout,
// 4 s: a request parked at a replica whose acquisition fails gives up
// after it) plus that 2 s after the range recovered — never a dial
// timeout (4 s each) more per round, as before.
func TestHomeAZsDownNoRedialOfDeadPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("12 runs of 170 s")
	}
	const rng = raft.RangeID(2)
	fault := sim.At(30 * time.Second)
	known := sim.At(36 * time.Second)
	for seed := uint64(1); seed <= 12; seed++ {
		s, err := Parse([]byte(homeAZsDownRegion), "home-azs-down.yaml")
		require.NoError(t, err)
		s.Seed = seed
		require.NoError(t, s.Validate())
		var recovered sim.Time
		type reply struct{ sent, at sim.Time }
		var replies []reply
		failed := 0
		_, err = run(s, RunOptions{checks: true, tracer: func(ev raft.TraceEvent) {
			switch {
			case ev.Kind == "lease" && recovered == 0 && strings.HasPrefix(ev.Detail, "r2:") && strings.HasSuffix(ev.Detail, "(failover)"):
				recovered = ev.At
			case ev.Kind == "client-reply" && ev.Range == rng && ev.Sent >= fault:
				replies = append(replies, reply{ev.Sent, ev.At})
				if ev.Detail != "ok" {
					failed++
				}
			}
		}})
		require.NoError(t, err)
		// (With some seeds range 2's lease is not in the lost zones:
		// recovered stays 0.)
		require.Greater(t, len(replies), 5000, "seed %d: the workload reaches range 2", seed)
		settled := max(known, recovered)
		var worstLate, worstEnd time.Duration
		var worstLateAt sim.Time
		for _, r := range replies {
			if r.sent >= settled {
				if d := r.at.Sub(r.sent); d > worstLate {
					worstLate, worstLateAt = d, r.sent
				}
			} else {
				worstEnd = max(worstEnd, r.at.Sub(settled))
			}
		}
		t.Logf("seed %d: range 2 recovered at %v; %d requests from %v, %d failed; sent from %v: worst %v (sent at %v); sent before: done by %v + %v",
			seed, recovered, len(replies), fault, failed, settled, worstLate, worstLateAt, settled, worstEnd)
		assert.Zero(t, failed, "seed %d: no request to range 2 fails", seed)
		assert.LessOrEqual(t, worstLate, 2*time.Second, "seed %d: the slowest request to range 2 sent from %v (at %v)", seed, settled, worstLateAt)
		assert.LessOrEqual(t, worstEnd, 6*time.Second, "seed %d: requests sent during the outage end soon after it", seed)
	}
}
