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

// TestNonVoterAppendTakesItsCPU: a non-voter's append kept off the queue
// (pending.go) takes its node's CPU at its arrival, as its event would.
// Nodes have one CPU and a Raft entry costs 1 ms of it. A write to a ZONE
// range of A (leaseholder n1, non-voters n5 and n9) from n1 at 1 s is
// proposed at 1 s + 0.2 + 0.3 ms; its MsgApp reaches n5 33 ms later, at
// 1.0335 s, and holds n5's CPU until 1.0345 s. A read of a range whose
// leaseholder is n5, from n4 (another zone of B), submitted at 1.0328 s,
// reaches n5's CPU at 1.034 s and waits 0.5 ms for it (n5 settles its
// pending append when the read is admitted: the read's service time was
// drawn at the gateway, before the append arrived):
//
//	read: 0.2 + 1 + 0.5 (CPU wait) + 0.3 + 1 + 0.2 = 3.2 ms
//
// The same with every event queued (a tracer), and when a fault added
// at 1.01 s, while the MsgApp is on its way, turns the pending append
// back into its event (resumeAppendEvents).
func TestNonVoterAppendTakesItsCPU(t *testing.T) {
	for _, mode := range []string{"pending", "events", "fault"} {
		t.Run(mode, func(t *testing.T) {
			h, w, r := busyHarness(t, mode == "events")
			m, e := h.m, h.e
			h.at(1, Request{Op: OpWrite, Table: w, Gateway: n1})
			read := h.at(1.0328, Request{Op: OpRead, Table: r, Gateway: n4})
			e.RunUntil(sim.At(1010 * time.Millisecond))
			switch mode {
			case "pending":
				assert.Equal(t, 2, m.pend.n, "the MsgApps to n5 and n9 are pending")
			case "events":
				assert.Zero(t, m.pend.n)
			case "fault":
				require.Equal(t, 2, m.pend.n)
				h.fault(Fault{Name: "n8", At: 5 * time.Second, For: time.Second, Crash: []topology.NodeID{n8}})
				assert.Zero(t, m.pend.n, "a fault turns them back into events")
			}
			assert.InDelta(t, cHop+zoneOW+0.5+svc+zoneOW+cHop, h.latency(read), 1e-6)
			loads := m.NodeLoad()
			assert.Equal(t, []int64{1}, loads[n5].Appends[1:2], "n5 appended the write in the second second")
			assert.Zero(t, m.pend.n)
		})
	}
}

// busyHarness returns a harness of the hand-computed cluster with one CPU a
// node and 1 ms of Raft work an entry, traffic marks every second from 10
// s to 20 s, and two tables: w, a ZONE range of A (leaseholder n1,
// non-voters n5 and n9), and r, a range of B whose leaseholder is n5. With
// traced, every event is queued (a tracer keeps nothing pending).
func busyHarness(t *testing.T, traced bool) (h *harness, w, r TableID) {
	cfg := testClusterConfig("crdb-demo")
	cfg.VCPUs = 1
	cfg.RaftCPU = time.Millisecond
	h = newHarnessOn(t, buildTestCluster(t, cfg), DefaultConfig())
	m := h.m
	m.SetTrafficMarks(sim.At(10*time.Second), time.Second, sim.At(20*time.Second))
	if traced {
		m.SetTracer(func(TraceEvent) {})
	}
	w = h.table(TableDef{Name: "w", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	r = h.table(TableDef{Name: "r", Locality: placement.LocalityRegionalByTable,
		Layouts: []placement.RangeLayout{layout([]topology.NodeID{n4, n5, n6}, nil, n5, false, "")}, Rows: 10})
	return h, w, r
}

// TestPendingAppendPastAnUnreadMark: a run that sets marks but does not
// read the totals at one of them (SetTrafficMarks allows it). A write
// from n1 proposed 33.5 ms before 10 s has its MsgApp reach n5 just before
// the 10 s mark and its answer leave just after it (the 0.5 ms sync);
// nothing reads the totals at 10 s, and n5 is next used by a read at 11 s,
// when the append is made: its answer's bytes are counted then rather than
// by an append-done event in the past, and the totals read at 12 s are the
// traced run's, which queues every event. (Found by review: it panicked.)
func TestPendingAppendPastAnUnreadMark(t *testing.T) {
	var traffic [2]Traffic
	for k, traced := range []bool{false, true} {
		h, w, r := busyHarness(t, traced)
		h.at(10-0.0335-0.0002, Request{Op: OpWrite, Table: w, Gateway: n1})
		h.at(11, Request{Op: OpRead, Table: r, Gateway: n4})
		require.NotPanics(t, func() { h.e.RunUntil(sim.At(12 * time.Second)) })
		require.Equal(t, 2, h.rec.n)
		traffic[k] = h.m.Traffic()
	}
	assert.Equal(t, traffic[1], traffic[0])
}
