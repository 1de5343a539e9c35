package raft

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// TestReplyAheadWaitsForWhatTheReplyTeaches checks when a deciding
// reply is handled ahead (replyAhead): a read whose reply tells its
// gateway nothing new is reported when its replica sends the reply, and
// one that carries a lease newer than the gateway's range cache holds
// arrives as an event, so that the cache learns it at the arrival, not
// before. n1's lease goes to n2 at 10 s and back at 20 s; n4 (us-west1)
// sends nothing in between, so at 30 s its cache still names n1 under
// the first lease.
func TestReplyAheadWaitsForWhatTheReplyTeaches(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	h.m.SetTrafficMarks(0, time.Hour, sim.At(2*time.Hour)) // no mark near the reads
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.atTime(10, func() { require.True(t, h.m.TransferLease(0, n2, "away")) })
	h.atTime(20, func() { require.True(t, h.m.TransferLease(0, n1, "back")) })
	r := &h.m.ranges[0]
	var before cachedLease
	h.atTime(29, func() {
		before = r.cachedLease(n4)
		require.Equal(t, n1, r.Leaseholder)
		require.Less(t, before.seq, r.leaseSeq, "n4 has not seen the two transfers")
	})
	// Each read: client hop, n4 -> n1 (33 ms), evaluation, n1 -> n4,
	// client hop. The reply leaves n1 at 30 s + 33.5 ms and reaches n4
	// at 30 s + 66.5 ms.
	learns := h.at(30, Request{Op: OpRead, Table: tb, Gateway: n4})
	midway := sim.At(30*time.Second + 50*time.Millisecond)
	var mid cachedLease
	h.atTime(midway.Seconds(), func() { mid = r.cachedLease(n4) })
	knows := h.at(40, Request{Op: OpRead, Table: tb, Gateway: n4})
	reported := map[int64]sim.Time{}
	h.rec.onComplete = func(tag int64, _, _ sim.Time, _ bool) { reported[tag] = h.e.Now() }

	want := cHop + 33 + svc + 33 + cHop
	assert.InDelta(t, want, h.latency(learns), 1e-6)
	assert.InDelta(t, want, h.latency(knows), 1e-6)
	assert.Equal(t, before, mid, "the cache learns nothing while the reply is on its way")
	assert.Equal(t, cachedLease{lh: n1, seq: r.leaseSeq}, r.cachedLease(n4), "and learns the lease when it arrives")
	assert.Equal(t, sim.At(30*time.Second+msDur(cHop+33+svc+33)), reported[learns], "reported at the reply's arrival")
	assert.Equal(t, sim.At(40*time.Second+msDur(cHop+33+svc)), reported[knows], "reported as the reply leaves n1")
}

// TestReplyAheadOnlyBeforeTheDeadline checks that a reply due after its
// request's deadline is not handled ahead: with a 50 ms client timeout, a
// read from n4 (its reply leaves n1 at 33.5 ms and reaches n4 at
// 66.5 ms) fails at its deadline, while a read from n2, n1's zone (its reply
// reaches n2 at 2.5 ms), is reported as its reply leaves n1.
func TestReplyAheadOnlyBeforeTheDeadline(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClientTimeout = 50 * time.Millisecond
	h := newHarness(t, "crdb-demo", cfg)
	h.m.SetTrafficMarks(0, time.Hour, sim.At(2*time.Hour))
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	far := h.at(1, Request{Op: OpRead, Table: tb, Gateway: n4})
	near := h.at(2, Request{Op: OpRead, Table: tb, Gateway: n2})
	reported := map[int64]sim.Time{}
	h.rec.onComplete = func(tag int64, _, _ sim.Time, _ bool) { reported[tag] = h.e.Now() }
	h.e.RunUntil(sim.At(10 * time.Second))

	require.Len(t, h.rec.lat[far], 1)
	assert.Equal(t, Failed, h.rec.outcome[far])
	assert.InDelta(t, 50+cHop, h.rec.lat[far][0], 1e-6, "failed at its deadline (the error takes the client hop)")
	require.Len(t, h.rec.lat[near], 1)
	assert.Equal(t, OK, h.rec.outcome[near])
	assert.InDelta(t, cHop+zoneOW+svc+zoneOW+cHop, h.rec.lat[near][0], 1e-6)
	assert.Equal(t, sim.At(2*time.Second+msDur(cHop+zoneOW+svc)), reported[near], "reported as the reply leaves n1")
}

// TestFollowerRoundTripDecidedAsTheReplicaServes: a stale read from n4
// is served by n1, the leaseholder then, and its lease moves to n2 while
// the reply is on its way (the transfer starts at 10.040 s and commits
// 2.8 ms later; the reply travels from 10.0335 to 10.0665 s). Its round
// trip is the leaseholder's, CompGateway, whether the reply is handled
// ahead or arrives as an event (a trace makes every message one): what
// it was is decided as the replica serves, not as the reply arrives.
func TestFollowerRoundTripDecidedAsTheReplicaServes(t *testing.T) {
	for _, traced := range []bool{false, true} {
		t.Run(fmt.Sprintf("traced=%v", traced), func(t *testing.T) {
			h := newHarness(t, "crdb-demo", DefaultConfig())
			h.m.SetTrafficMarks(0, time.Hour, sim.At(2*time.Hour))
			if traced {
				h.m.SetTracer(func(TraceEvent) {})
			}
			voters := layout([]topology.NodeID{n1, n2, n3}, nil, n1, false, "")
			tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{voters}, Rows: 10})
			h.atTime(10.040, func() { require.True(t, h.m.TransferLease(0, n2, "test")) })
			tag := h.at(10, Request{Op: OpStaleRead, Table: tb, Gateway: n4})
			h.latency(tag)
			require.Equal(t, n2, h.m.ranges[0].Leaseholder, "the lease moved")
			h.checkPath(tag, wantPath{d: map[Component]float64{CompClient: 2 * cHop, CompGateway: 66, CompEval: svc}, served: regionA, ack: -1})
		})
	}
}

// TestWriteReplyAheadChangesNothing: a ZONE write from n4 commits at n1
// with n2's or n3's append (2.5 ms after its evaluation) and is reported
// as its reply leaves n1, while the third voter's append and both
// non-voters' are still on their way; they find the part done, and do
// what they would have done for it current: the same traffic, the same
// load on every node, as a traced run where the reply is an event.
func TestWriteReplyAheadChangesNothing(t *testing.T) {
	type out struct {
		lat      float64
		reported sim.Time
		traffic  Traffic
		load     []NodeLoad
	}
	run := func(traced bool) out {
		h := newHarness(t, "crdb-demo", DefaultConfig())
		h.m.SetTrafficMarks(0, time.Hour, sim.At(2*time.Hour))
		if traced {
			h.m.SetTracer(func(TraceEvent) {})
		}
		tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
		tag := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n4})
		var o out
		h.rec.onComplete = func(int64, sim.Time, sim.Time, bool) { o.reported = h.e.Now() }
		o.lat = h.latency(tag)
		o.traffic, o.load = h.m.Traffic(), h.m.NodeLoad()
		return o
	}
	ahead, traced := run(false), run(true)
	zoneQuorum := zoneOW + fsyncMs + zoneOW
	assert.InDelta(t, cHop+33+svc+zoneQuorum+33+cHop, ahead.lat, 1e-6)
	assert.Equal(t, sim.At(10*time.Second+msDur(cHop+33+svc+zoneQuorum)), ahead.reported, "reported as the reply leaves n1")
	assert.Equal(t, sim.At(10*time.Second+msDur(cHop+33+svc+zoneQuorum+33+cHop)), traced.reported, "traced: as the client's reply arrives, an event too")
	assert.Equal(t, traced.lat, ahead.lat)
	assert.Equal(t, traced.traffic, ahead.traffic)
	assert.Equal(t, traced.load, ahead.load)
}
