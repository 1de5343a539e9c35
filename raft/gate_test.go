package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// TestReleasedPartMayParkAgain: a lease transfer n1 -> n2 is in flight when
// n1's liveness record lapses, and a read at n2 waits there for the lease
// (needLease). The transfer commits while that acquisition is under way:
// releaseParked lets the read go on at n2, whose lease check (leaseGate)
// finds the acquisition still pending and parks it on the range again. It
// must wait for the acquisition, not be released again by the same loop
// (which then never ended), and the read completes.
func TestReleasedPartMayParkAgain(t *testing.T) {
	h := newFaultHarness(t, DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.fault(Fault{Name: "later", At: time.Hour, For: time.Minute, Crash: []topology.NodeID{n9}})
	var started bool
	h.atTime(10, func() { started = h.m.TransferLease(0, n2, "test") })
	var tag int64
	h.atTime(10.0005, func() {
		r := &h.m.ranges[0]
		h.m.fo.live.until[n1] = h.e.Now() // n1's liveness lapses
		h.m.learnLease(r, n2, n2, r.leaseSeq)
		h.tag++
		tag = h.tag
		h.m.Submit(Request{Op: OpRead, Table: tb, Gateway: n2}, tag)
	})
	h.e.SetEventLimit(1_000_000) // a loop through the engine fails here, not hangs
	h.e.RunUntil(sim.At(60 * time.Second))
	require.False(t, h.e.LimitReached())
	require.True(t, started)
	require.Contains(t, h.rec.ok, tag, "the read completes")
	assert.True(t, h.rec.ok[tag][0])
}

// TestRequestOverCutLinkNeverArrives: n4 -> n1 is cut one way (n1 -> n4
// still delivers) from 11 s. A read from gateway n4, whose range cache still
// names n1 (the lease moved to n2 at 10 s), is sent to n1 at 11.0001 s,
// before n4 knows its connection dead: it never reaches n1, so n1 neither
// checks the lease nor answers NotLeaseHolder; the gateway learns of the
// failure only from its RPC (seconds, not one round trip).
func TestRequestOverCutLinkNeverArrives(t *testing.T) {
	h := newFaultHarness(t, DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	var redirected bool
	h.atTime(10, func() { h.m.TransferLease(0, n2, "test") })
	h.fault(Fault{Name: "n4->n1", At: 11 * time.Second, For: 5 * time.Second, A: []topology.NodeID{n4}, B: []topology.NodeID{n1}, OneWay: true})
	tag := h.at(11.0001, Request{Op: OpRead, Table: tb, Gateway: n4})
	h.m.SetTracer(func(ev TraceEvent) {
		if ev.Req == tag && ev.Kind == "not-leaseholder" && ev.From == n1 {
			redirected = true
		}
	})
	h.e.RunUntil(sim.At(60 * time.Second))
	assert.False(t, redirected, "n1 never saw the request")
	assert.Greater(t, h.latency(tag), 1000.0, "the gateway waits for its RPC to fail")
}
