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

// TestSubmitAheadIsSubmitAtItsStart submits a ZONE write from us-west1
// and a read from another zone of the home region at 0 s, ahead of their
// starts at 10 s and 10.5 s (SubmitAt), with a client timeout: each starts
// at its own instant, takes the hand-computed latency of a request
// submitted then, and has the same critical path.
//
//	write: 0.2 + 33 + 0.3 + (1 + 0.5 + 1) + 33 + 0.2 = 69.2 ms
//	read:  0.2 + 1 + 0.3 + 1 + 0.2 = 2.7 ms
func TestSubmitAheadIsSubmitAtItsStart(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClientTimeout = 5 * time.Second
	h := newHarness(t, "crdb-demo", cfg)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	starts := map[int64]sim.Time{}
	h.rec.onComplete = func(tag int64, start, _ sim.Time, _ bool) { starts[tag] = start }
	h.m.SubmitAt(Request{Op: OpWrite, Table: tb, Gateway: n4}, 1, sim.At(10*time.Second))
	h.m.SubmitAt(Request{Op: OpRead, Table: tb, Gateway: n2}, 2, sim.At(10500*time.Millisecond))
	assert.InDelta(t, cHop+33+svc+(zoneOW+fsyncMs+zoneOW)+33+cHop, h.latency(1), 1e-6)
	assert.InDelta(t, cHop+zoneOW+svc+zoneOW+cHop, h.latency(2), 1e-6)
	assert.Equal(t, sim.At(10*time.Second), starts[1])
	assert.Equal(t, sim.At(10500*time.Millisecond), starts[2])
	h.checkPath(1, wantPath{d: map[Component]float64{
		CompClient: 2 * cHop, CompGateway: 66, CompEval: svc, CompQuorum: 2, CompFsync: fsyncMs}, served: regionA, ack: regionA})
	assert.Panics(t, func() { h.m.SubmitAt(Request{Op: OpRead, Table: tb, Gateway: n1}, 3, sim.At(time.Second)) },
		"a start before now")
}

// TestSubmitAheadTimesOutFromItsStart submits, ahead of its start at 10 s,
// a write whose range has lost its quorum from 5 s on (SubmitAt itself
// does not ask CanSubmitAhead), and the same write with Submit at 10 s in
// a second model: both fail at the same instant, the start plus the 2 s
// client timeout plus the client's hop (12.0002 s), not 2 s after the
// early one was submitted.
func TestSubmitAheadTimesOutFromItsStart(t *testing.T) {
	ends := make([]sim.Time, 2)
	for i, ahead := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.ClientTimeout = 2 * time.Second
		h := newHarness(t, "crdb-demo", cfg)
		tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
		h.fault(Fault{Name: "n2 n3", At: 5 * time.Second, For: time.Minute, Crash: []topology.NodeID{n2, n3}})
		var start sim.Time
		h.rec.onComplete = func(_ int64, s, e sim.Time, _ bool) { start, ends[i] = s, e }
		req := Request{Op: OpWrite, Table: tb, Gateway: n1}
		if ahead {
			h.tag++
			h.m.SubmitAt(req, h.tag, sim.At(10*time.Second))
		} else {
			h.at(10, req)
		}
		h.e.RunUntil(sim.At(30 * time.Second))
		require.Equal(t, 1, h.rec.n)
		assert.False(t, h.rec.ok[1][0])
		assert.Equal(t, sim.At(10*time.Second), start)
	}
	assert.Equal(t, sim.At(12*time.Second+200*time.Microsecond), ends[0])
	assert.Equal(t, ends[1], ends[0])
}

// TestCanSubmitAhead checks when a request may be submitted before its
// start: not across a traffic mark (the client's bytes would fall in the
// wrong interval), not before now, not with a tracer, not across the
// instant a fault starts or ends (inclusive); without marks set, never.
func TestCanSubmitAhead(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	at := func(ms int) sim.Time { return sim.At(time.Duration(ms) * time.Millisecond) }
	assert.False(t, h.m.CanSubmitAhead(at(5)), "without marks every instant may hold one")
	h.m.SetTrafficMarks(at(1000), time.Second, at(10_000))
	assert.True(t, h.m.CanSubmitAhead(at(0)))
	// The first mark reads the totals after the events at 1 s: a request
	// starting then is counted in it either way, one starting later is
	// not.
	assert.True(t, h.m.CanSubmitAhead(at(1000)))
	assert.False(t, h.m.CanSubmitAhead(at(1001)))
	h.e.RunUntil(at(1200))
	assert.True(t, h.m.CanSubmitAhead(at(2000)))
	assert.False(t, h.m.CanSubmitAhead(at(2001)))
	h.e.RunUntil(at(2000))
	assert.False(t, h.m.CanSubmitAhead(at(2001)), "the mark at now reads after this instant's events")
	assert.False(t, h.m.CanSubmitAhead(at(1100)), "before now")
	assert.True(t, h.m.CanSubmitAhead(at(2000)), "now itself")
	h.m.SetTracer(func(TraceEvent) {})
	assert.False(t, h.m.CanSubmitAhead(at(2000)), "a tracer")
	h.m.SetTracer(nil)
	assert.True(t, h.m.CanSubmitAhead(at(2000)))
	h.fault(Fault{Name: "n9", At: 5 * time.Second, For: time.Second, Crash: []topology.NodeID{n9}})
	assert.True(t, h.m.CanSubmitAhead(at(2000)), "a fault later")
	h.e.RunUntil(at(4990))
	assert.True(t, h.m.CanSubmitAhead(at(4999)))
	assert.False(t, h.m.CanSubmitAhead(at(5000)), "the fault starts at its start")
	h.e.RunUntil(at(5000))
	assert.False(t, h.m.CanSubmitAhead(at(5100)), "it started now")
	h.e.RunUntil(at(5001))
	assert.True(t, h.m.CanSubmitAhead(at(5999)), "during the fault")
	assert.False(t, h.m.CanSubmitAhead(at(6000)), "the fault ends at its end")
	h.e.RunUntil(at(6001))
	assert.True(t, h.m.CanSubmitAhead(at(6100)), "after it")
}
