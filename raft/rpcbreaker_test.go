package raft

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// breakerRun cuts n1 (the leaseholder of a ZONE range n1, n2, n3) off
// from the gateway n3 only, from 10 s for the given time: n1 stays live
// (it reaches the liveness range's leaseholder n2), so its lease stays
// valid and every replica n3 asks names it. It returns the trace of
// request req (sent from n3 at at) and of n3's connection to n1.
func breakerRun(t *testing.T, version string, cut time.Duration, at float64, until time.Duration) (reqEvents, connEvents []TraceEvent) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Version = version
	h := newFaultHarness(t, cfg)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.fault(Fault{Name: "n1|n3", At: 10 * time.Second, For: cut, A: []topology.NodeID{n1}, B: []topology.NodeID{n3}})
	keepLivenessLeaseOff(h, n1)
	tag := h.at(at, Request{Op: OpRead, Table: tb, Gateway: n3})
	h.m.SetTracer(func(ev TraceEvent) {
		switch {
		case ev.Req == tag:
			reqEvents = append(reqEvents, ev)
		case ev.From == n3 && ev.To == n3 && strings.HasPrefix(ev.Kind, "rpc-") && strings.HasPrefix(ev.Detail, "n1 "):
			connEvents = append(connEvents, ev)
		}
	})
	h.e.RunUntil(sim.At(until))
	return reqEvents, connEvents
}

// TestRPCBreakerFailsFast: 24.3 and 25.2 (rpc/peer.go). n3's heartbeat
// to n1 fails 6 s after its last ping (the ping phase puts that in
// (15 s, 16 s]) and trips the breaker. A read from n3 at 20 s finds the
// connection unhealthy, so the transport tries the healthy replicas
// first (splitHealthy): n3 itself evaluates it first, not n1. Every
// replica answers NotLeaseHolder naming n1; the dial to n1 that the
// redirect asks for fails at once (the breaker is tripped) — never an RPC
// error after a dial timeout — and DistSender goes on to the next replica
// and backs off between rounds: the request waits, but costs nothing
// beyond its rounds.
func TestRPCBreakerFailsFast(t *testing.T) {
	for _, v := range []string{"24.3", "25.2"} {
		req, conn := breakerRun(t, v, time.Minute, 20, 30*time.Second)
		require.NotEmpty(t, conn, v)
		assert.Equal(t, "rpc-breaker", conn[0].Kind, v)
		assert.Contains(t, conn[0].Detail, "tripped", v)
		assert.Greater(t, conn[0].At, sim.At(15*time.Second), v)
		assert.LessOrEqual(t, conn[0].At, sim.At(16*time.Second), v)
		var tries, failFast, rpcErrors int
		for _, ev := range req {
			switch ev.Kind {
			case "not-leaseholder":
				// Each try ends so, at the lease check, before evaluation.
				if tries == 0 {
					assert.Equal(t, n3, ev.From, "%s: the first try is at a healthy replica, the gateway itself: %v", v, ev)
				}
				tries++
			case "eval":
				assert.NotEqual(t, n1, ev.To, "%s: nothing is sent to n1: %v", v, ev)
			case "rpc-fail-fast":
				failFast++
			case "rpc-error":
				rpcErrors++
			}
		}
		// One fail-fast per round: rounds 50 ms, 100 ms, … 1 s apart
		// (±15 %) over 10 s make at least 10.
		assert.GreaterOrEqual(t, failFast, 10, v)
		assert.GreaterOrEqual(t, tries, 10, v)
		assert.Zero(t, rpcErrors, v)
	}
}

// TestOldRPCBreakerHalfOpen: 22.2 and 23.1's nodedialer breaker trips on
// a failed dial only. After n3's heartbeat to n1 fails, the first send to
// n1 dials it and waits out the dial timeout (4 s on 23.1, 6 s on 22.2:
// 2 × NetworkTimeout); that trips the breaker. From then on, sends to n1
// fail fast except one trial dial each time the breaker's backoff has
// passed (500 ms ×1.5 per failure, at most 1 s, ±50 %): consecutive RPC
// errors of the request are at least a dial timeout plus 250 ms apart,
// and the request's rounds in between fail fast.
func TestOldRPCBreakerHalfOpen(t *testing.T) {
	for _, tc := range []struct {
		version string
		dial    time.Duration
	}{{"22.2", 6 * time.Second}, {"23.1", 4 * time.Second}} {
		req, conn := breakerRun(t, tc.version, time.Minute, 20, 45*time.Second)
		require.NotEmpty(t, conn, tc.version)
		assert.Equal(t, "rpc-unhealthy", conn[0].Kind, tc.version)
		var errs []sim.Time
		var failFast, tries int
		for _, ev := range req {
			switch ev.Kind {
			case "not-leaseholder":
				if tries++; tries == 1 {
					// n3 then redirects it to n1 (MoveToFront), which
					// it dials: the breaker has not tripped yet.
					assert.Equal(t, n3, ev.From, "%s: the healthy replicas first: %v", tc.version, ev)
				}
			case "rpc-error":
				errs = append(errs, ev.At)
			case "rpc-fail-fast":
				failFast++
			}
		}
		require.GreaterOrEqual(t, len(errs), 2, tc.version)
		for i := 1; i < len(errs); i++ {
			assert.GreaterOrEqual(t, errs[i].Sub(errs[i-1]), tc.dial+250*time.Millisecond, "%s: %v", tc.version, errs)
		}
		assert.Positive(t, failFast, tc.version)
		var trips int
		for _, ev := range conn {
			if ev.Kind == "rpc-breaker" && strings.Contains(ev.Detail, "tripped") {
				trips++
			}
		}
		assert.Equal(t, len(errs), trips, "%s: each failed dial trips (or backs off) the breaker", tc.version)
	}
}

// TestRPCBreakerResetsAfterProbe: 24.3, n1 cut off from n3 from 10 s to
// 20 s. The breaker trips at T in (15 s, 16 s] and its probe dials at
// once; n1 does not answer, the SYN is retransmitted at T+1 s and T+3 s,
// and the dial times out at T+4 s (in (19 s, 20 s]). The probe dials
// again at once (the attempt took longer than the 1-s heartbeat
// interval); its first SYN is lost too, but the retransmission at T+5 s
// (after 20 s) gets through: the connection and its first heartbeat take
// two round trips (2 × 2 ms), and the breaker resets at T+5 s+4 ms. A
// read from n3 at 25 s then goes to the leaseholder n1 first.
func TestRPCBreakerResetsAfterProbe(t *testing.T) {
	req, conn := breakerRun(t, "24.3", 10*time.Second, 25, 30*time.Second)
	require.Len(t, conn, 2, "%v", conn)
	trip, reset := conn[0], conn[1]
	assert.Contains(t, trip.Detail, "tripped")
	require.Greater(t, trip.At, sim.At(15*time.Second))
	require.LessOrEqual(t, trip.At, sim.At(16*time.Second))
	assert.Contains(t, reset.Detail, "reset")
	assert.Equal(t, trip.At.Add(5*time.Second+4*time.Millisecond), reset.At)
	var first TraceEvent
	for _, ev := range req {
		if ev.Kind == "eval" {
			first = ev
			break
		}
	}
	assert.Equal(t, n1, first.To, "the first try goes to the leaseholder: %v", first)
	last := req[len(req)-1]
	assert.Equal(t, "client-reply", last.Kind)
	assert.Equal(t, "ok", last.Detail)
}
