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

// TestMissedProbeRepliesDecideNothing: a locality-optimized read from n1
// that misses locally probes us-west1 (leaseholder n4, 33 ms away) and
// europe-west1 (n7, 32 ms). The reply of the probe that misses decides
// nothing, whenever it arrives, and is handled as it leaves; the reply
// that finds the row is then the request's only pending part:
//   - row in us-west1: n7's miss leaves at cHop+svc+32+svc and is counted
//     off then, so n4's hit, leaving at cHop+svc+33+svc, is reported as
//     it leaves;
//   - row in europe-west1: n7's hit leaves first, while n4's miss is
//     still pending, so it is an event and reported as it arrives
//     (cHop+svc+32+svc+32); n4's miss, after it, frees its part as it
//     leaves.
//
// The latencies are those of TestRegionalByRow, and a traced run (every
// reply an event) reports each at its client's reply.
func TestMissedProbeRepliesDecideNothing(t *testing.T) {
	for _, tt := range []struct {
		name         string
		region       int
		want, report float64 // ms after 10 s
	}{
		{"row in us-west1", regionB, cHop + svc + (33 + svc + 33) + cHop, cHop + svc + 33 + svc},
		{"row in europe-west1", regionC, cHop + svc + (32 + svc + 32) + cHop, cHop + svc + 32 + svc + 32},
	} {
		for _, traced := range []bool{false, true} {
			h := newHarness(t, "crdb-demo", DefaultConfig())
			h.m.SetTrafficMarks(0, time.Hour, sim.At(2*time.Hour)) // no mark near the read
			if traced {
				h.m.SetTracer(func(TraceEvent) {})
			}
			tb := h.table(TableDef{Name: "users", Locality: placement.LocalityRegionalByRow, Layouts: rbrLayouts(), Rows: 30,
				LocalityOptimizedSearch: true})
			tag := h.at(10, Request{Op: OpRead, Table: tb, Gateway: n1, Region: tt.region})
			var reported sim.Time
			h.rec.onComplete = func(int64, sim.Time, sim.Time, bool) { reported = h.e.Now() }
			assert.InDelta(t, tt.want, h.latency(tag), 1e-6, "%s traced=%v", tt.name, traced)
			report := tt.report
			if traced {
				report = tt.want
			}
			assert.Equal(t, sim.At(10*time.Second+msDur(report)), reported, "%s traced=%v", tt.name, traced)
		}
	}
}

// TestMissedProbeReplyWaitsForWhatItTeaches: as
// TestMissedProbeRepliesDecideNothing's first case, but europe-west1's
// lease went to n8 and back to n7 before the read, which n1's cache has
// not seen: n7's miss teaches n1 the newer lease, so it is an event, and
// the cache learns it only as the reply arrives. n4's hit, leaving while
// n7's reply is pending, is an event too: reported as it arrives.
func TestMissedProbeReplyWaitsForWhatItTeaches(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	h.m.SetTrafficMarks(0, time.Hour, sim.At(2*time.Hour)) // no mark near the read
	tb := h.table(TableDef{Name: "users", Locality: placement.LocalityRegionalByRow, Layouts: rbrLayouts(), Rows: 30,
		LocalityOptimizedSearch: true})
	const c = RangeID(2) // europe-west1's partition
	h.atTime(1, func() { require.True(t, h.m.TransferLease(c, n8, "away")) })
	h.atTime(2, func() { require.True(t, h.m.TransferLease(c, n7, "back")) })
	r := &h.m.ranges[c]
	var before cachedLease
	h.atTime(9, func() {
		before = r.cachedLease(n1)
		require.Equal(t, n7, r.Leaseholder)
		require.Less(t, before.seq, r.leaseSeq, "n1 has not seen the two transfers")
	})
	tag := h.at(10, Request{Op: OpRead, Table: tb, Gateway: n1, Region: regionB})
	var mid cachedLease
	sent := 10*time.Second + msDur(cHop+svc+32+svc) // n7's miss leaves
	h.atTime((sent + 16*time.Millisecond).Seconds(), func() { mid = r.cachedLease(n1) })
	var reported sim.Time
	h.rec.onComplete = func(int64, sim.Time, sim.Time, bool) { reported = h.e.Now() }
	assert.InDelta(t, cHop+svc+(33+svc+33)+cHop, h.latency(tag), 1e-6)
	assert.Equal(t, before, mid, "the cache learns nothing while the reply is on its way")
	assert.Equal(t, cachedLease{lh: n7, seq: r.leaseSeq}, r.cachedLease(n1), "and learns the lease when it arrives")
	assert.Equal(t, sim.At(10*time.Second+msDur(cHop+svc+33+svc+33)), reported, "n4's hit reported as it arrives")
}

// TestMissedProbeReplyAfterTheDeadlineWaits: with a 50 ms client timeout,
// a locality-optimized read from n1 that misses locally is cut short by
// its deadline while both remote probes are out: the miss's reply leaves
// at about 34 ms and would arrive at about 67, after the deadline. It is
// not handled ahead: the request cut short still holds both probes, and
// its critical path (cutShort, from the part at the head of its list) is the
// traced run's, for the row in either region.
func TestMissedProbeReplyAfterTheDeadlineWaits(t *testing.T) {
	for _, region := range []int{regionB, regionC} {
		paths := map[bool]Path{}
		for _, traced := range []bool{false, true} {
			cfg := DefaultConfig()
			cfg.ClientTimeout = 50 * time.Millisecond
			h := newHarness(t, "crdb-demo", cfg)
			h.m.SetTrafficMarks(0, time.Hour, sim.At(2*time.Hour)) // no mark near the read
			if traced {
				h.m.SetTracer(func(TraceEvent) {})
			}
			tb := h.table(TableDef{Name: "users", Locality: placement.LocalityRegionalByRow, Layouts: rbrLayouts(), Rows: 30,
				LocalityOptimizedSearch: true})
			tag := h.at(10, Request{Op: OpRead, Table: tb, Gateway: n1, Region: region})
			h.e.RunUntil(sim.At(20 * time.Second))
			require.Len(t, h.rec.lat[tag], 1)
			assert.Equal(t, Failed, h.rec.outcome[tag])
			assert.InDelta(t, 50+cHop, h.rec.lat[tag][0], 1e-6, "failed at its deadline")
			p, ok := h.rec.paths[tag]
			require.True(t, ok)
			paths[traced] = p
		}
		assert.Equal(t, paths[true], paths[false], "region %d: the path of the request cut short", region)
	}
}

// TestMissedProbeOfAKeyedReadWithoutTimeoutWaits: without a client
// timeout a keyed request's deadline is the row-wait give-up, which a
// part that joins a row's queue starts later (startLatchGiveUp); a probe
// counted off before it fires would change the path of the request it
// cuts short (cutShort). So a keyed read's missed probe stays an event:
// as in TestMissedProbeRepliesDecideNothing's first case, n7's miss is
// pending when n4's hit leaves, and the hit is reported as it arrives.
func TestMissedProbeOfAKeyedReadWithoutTimeoutWaits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClientTimeout = 0
	h := newHarness(t, "crdb-demo", cfg)
	h.m.SetTrafficMarks(0, time.Hour, sim.At(2*time.Hour)) // no mark near the read
	tb := h.table(TableDef{Name: "users", Locality: placement.LocalityRegionalByRow, Layouts: rbrLayouts(), Rows: 30,
		LocalityOptimizedSearch: true})
	tag := h.at(10, Request{Op: OpRead, Table: tb, Gateway: n1, Region: regionB, Keyed: true, Key: 0})
	var reported sim.Time
	h.rec.onComplete = func(int64, sim.Time, sim.Time, bool) { reported = h.e.Now() }
	assert.InDelta(t, cHop+svc+(33+svc+33)+cHop, h.latency(tag), 1e-6)
	assert.Equal(t, sim.At(10*time.Second+msDur(cHop+svc+33+svc+33)), reported, "n4's hit reported as it arrives")
}
