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

// atTime schedules fn at simulated time ts (seconds).
func (h *harness) atTime(ts float64, fn func()) {
	when := sim.At(time.Duration(ts * float64(time.Second)))
	h.e.Schedule(when, h.e.Register(sim.HandlerFunc(func(*sim.Event) { fn() })), 0, 0)
}

func TestLeaseTransfer(t *testing.T) {
	// The transfer n1 -> n2 starts at 10 s: evaluation 0.3 ms, then one
	// consensus round at n1 (quorum 2 of 3: n2/n3 at 1 + 0.5 + 1 = 2.5 ms),
	// so it commits at 10 s + 2.8 ms; n2 applies it one hop later
	// (+1 ms) and serves from 10 s + 3.8 ms.
	zoneQuorum := zoneOW + fsyncMs + zoneOW
	commit := svc + zoneQuorum
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	var started bool
	h.atTime(10, func() { started = h.m.TransferLease(0, n2, "test") })

	// A read from us-west1 sent at 10 s reaches n1 after the transfer
	// committed: NotLeaseHolder at once (the lease check comes before
	// evaluation), back to the gateway, on to n2.
	late := h.at(10, Request{Op: OpRead, Table: tb, Gateway: n4})
	// A write from n1's zone at 10.001 s arrives during the transfer and
	// waits for it at n1 (until 2.8 ms), then goes to n2 (1 ms), which
	// evaluates and replicates it (0.3 + 2.5) and replies to n1 (1 ms).
	parked := h.at(10.001, Request{Op: OpWrite, Table: tb, Gateway: n1})
	// After the move, the us-west1 gateway's cache knows n2: a plain read.
	after := h.at(11, Request{Op: OpRead, Table: tb, Gateway: n4})

	assert.InDelta(t, cHop+33+(33+33)+svc+33+cHop, h.latency(late), 1e-6)
	// From its submission (1 ms in) to the commit (2.8 ms) it travels and
	// waits; then n1 -> n2, evaluation, replication, n2 -> n1, client hop.
	assert.InDelta(t, (commit-1.0)+zoneOW+svc+zoneQuorum+zoneOW+cHop, h.latency(parked), 1e-6)
	assert.InDelta(t, cHop+33+svc+33+cHop, h.latency(after), 1e-6)
	require.True(t, started)

	log := h.m.Leases()
	require.Len(t, log, 2)
	assert.Equal(t, LeaseEvent{At: 0, Range: 0, From: -1, To: n1, Reason: "initial"}, log[0])
	assert.Equal(t, LeaseEvent{At: sim.At(10*time.Second + time.Duration(commit*float64(time.Millisecond))), Range: 0, From: n1, To: n2, Reason: "test"}, log[1])
	assert.Equal(t, 0, h.m.LeaseCount(n1))
	assert.Equal(t, 1, h.m.LeaseCount(n2))
	assert.Equal(t, n2, h.m.Ranges()[0].Leaseholder)
}

func TestTransferLeaseRefusals(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	assert.False(t, h.m.TransferLease(0, n1, "x"), "already the leaseholder")
	assert.False(t, h.m.TransferLease(0, n5, "x"), "non-voters cannot hold leases")
	assert.True(t, h.m.TransferLease(0, n3, "x"))
	assert.False(t, h.m.TransferLease(0, n2, "x"), "one transfer at a time")
	h.e.RunUntil(sim.At(time.Second))
	assert.Equal(t, n3, h.m.Ranges()[0].Leaseholder)
	assert.True(t, h.m.TransferLease(0, n2, "x"), "possible again once the first committed")
}

func TestTransfersUnderLoadLoseNothing(t *testing.T) {
	sink := &countSink{done: map[int64]int{}}
	m := jitteryModel(t, sink, placement.SurvivalZone)
	d := &driver{m: m, e: m.eng, r: sim.NewRand(5, 5), tables: len(m.tables), nodes: 9, limit: 20000, gap: 100 * time.Microsecond}
	d.id = m.eng.Register(d)
	m.eng.Schedule(sim.At(time.Second), d.id, 0, 0)
	// Move every range's lease between its voters every 50 ms.
	r := sim.NewRand(6, 6)
	var mover sim.HandlerID
	transfers := 0
	mover = m.eng.Register(sim.HandlerFunc(func(*sim.Event) {
		for i := range m.ranges {
			v := m.ranges[i].Layout.Voters
			if m.TransferLease(RangeID(i), v[r.IntN(len(v))], "chaos") {
				transfers++
			}
		}
		if m.eng.Now() < sim.At(3*time.Second) {
			m.eng.After(50*time.Millisecond, mover, 0, 0)
		}
	}))
	m.eng.Schedule(sim.At(time.Second), mover, 0, 0)
	m.eng.RunUntil(sim.At(30 * time.Second))
	assert.Greater(t, transfers, 100)
	assert.Equal(t, int(d.limit), sink.n, "every request completes")
	for tag := int64(1); tag <= d.limit; tag++ {
		if !assert.Equal(t, 1, sink.done[tag], "request %d completes exactly once", tag) {
			break
		}
	}
	assert.Equal(t, int(m.parts.len()), m.freeParts.len(), "every part slot is free again")
	total := 0
	for n := range m.cluster.Nodes {
		total += m.LeaseCount(topology.NodeID(n))
	}
	assert.Equal(t, len(m.ranges), total, "one lease per range")
	for i := range m.ranges {
		assert.True(t, m.ranges[i].Layout.IsVoter(m.ranges[i].Leaseholder))
	}
}

// TestTransferLeaseRefusedWithoutRaftLeader: a leaseholder whose range has
// no Raft leader refuses to start a lease transfer (CockroachDB's
// AdminTransferLease: raftutil.ReplicaMayNeedSnapshot answers
// LocalReplicaNotLeader) and keeps serving reads under its lease; once a
// leader is elected the transfer goes ahead.
func TestTransferLeaseRefusedWithoutRaftLeader(t *testing.T) {
	h, _, events := disruptedHarness(t)
	tb := TableID(0)
	reads := h.probe(Request{Op: OpRead, Table: tb, Gateway: n1}, 5100*time.Millisecond, 6*time.Second, 10*time.Millisecond)
	var refused, started bool
	h.atTime(5.1, func() {
		require.Less(t, h.m.ranges[0].leader, topology.NodeID(0), "no leader yet: %v", *events)
		refused = !h.m.TransferLease(0, n2, "test")
	})
	h.atTime(15, func() {
		require.GreaterOrEqual(t, h.m.ranges[0].leader, topology.NodeID(0))
		started = h.m.TransferLease(0, n2, "test")
	})
	h.e.RunUntil(sim.At(25 * time.Second))
	assert.True(t, refused, "refused without a Raft leader")
	assert.True(t, started, "started once a leader is elected")
	assert.Equal(t, n2, h.m.ranges[0].Leaseholder)
	require.Len(t, reads.results, 90)
	for _, res := range reads.results {
		require.True(t, res.ok)
		assert.Less(t, res.end.Sub(res.start), 5*time.Millisecond, "a read at the leaseholder needs no leader (sent at %v)", res.start)
	}
}

// TestRedirectToNewLeaseholderTriedBefore: a request from gateway n3,
// whose range cache wrongly names n2, tries n2 (NotLeaseHolder naming
// n1), then n1, where it waits for the transfer n1 -> n2 under way. When
// the transfer commits it is redirected to n2 — which it tried in this
// DistSender round already, but under the old lease: the error names a
// newer lease, so DistSender moves n2 to the front and goes there at once
// (sendToReplicas, MoveToFront) instead of trying every other replica and
// backing off first. (A fault scheduled after the test makes the
// failover component, and with it DistSender's rounds, exist.)
func TestRedirectToNewLeaseholderTriedBefore(t *testing.T) {
	h := newFaultHarness(t, DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.fault(Fault{Name: "later", At: time.Hour, For: time.Second, Crash: []topology.NodeID{n9}})
	h.m.ranges[0].setCachedLease(n3, n2, h.m.ranges[0].cachedLease(n3).seq, len(h.m.cluster.Nodes))
	var steps []string
	h.m.SetTracer(func(ev TraceEvent) {
		if ev.Req == 1 {
			steps = append(steps, ev.String())
		}
	})
	h.atTime(5, func() { require.True(t, h.m.TransferLease(0, n2, "test")) })
	tag := h.at(4.998, Request{Op: OpRead, Table: tb, Gateway: n3})
	h.e.RunUntil(sim.At(6 * time.Second))
	require.Equal(t, n2, h.m.ranges[0].Leaseholder)
	assert.Contains(t, strings.Join(steps, "\n"), "wait req=1 r0 for the lease", "it waited for the transfer at n1")
	// n3 -> n2 -> n3 -> n1, which waits for the transfer to commit
	// (5.0028 s), -> n3 -> n2 -> n3: 8.1 ms, a few zone hops; before, a
	// round over the other regions' non-voters and a backoff (196 ms).
	assert.Less(t, h.latency(tag), 10.0, "ms\n%s", strings.Join(steps, "\n"))
}
