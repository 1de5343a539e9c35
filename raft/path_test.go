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

// Path keeps the request's critical path for Complete to check and for the
// tests to read.
func (r *recorder) Path(tag int64, p *Path) {
	if r.paths == nil {
		r.paths = map[int64]Path{}
	}
	r.paths[tag], r.last = *p, *p
}

// checkPathSum panics unless path p of request tag sums to its latency:
// the invariant of critical-path attribution, checked by every test whose
// sink keeps paths (the hand-computed tests, the failure tests, the random
// request mixes).
func checkPathSum(tag int64, p Path, start, end sim.Time) {
	if got, want := p.Total(), end.Sub(start); got != want {
		panic(fmt.Sprintf("request %d: critical path sums to %v, latency %v: %v", tag, got, want, p.D))
	}
}

// msOf returns d in milliseconds.
func msOf(d time.Duration) float64 { return d.Seconds() * 1000 }

// msDur returns v milliseconds as a Duration (the hand-computed figures
// are in milliseconds).
func msDur(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// wantPath is a hand-computed critical path: milliseconds per component
// (the others 0), and the served and acknowledging regions.
type wantPath struct {
	d           map[Component]float64
	served, ack int
}

func (h *harness) checkPath(tag int64, want wantPath) {
	h.t.Helper()
	p, ok := h.rec.paths[tag]
	require.True(h.t, ok, "tag %d has a path", tag)
	for c := Component(0); c < NumComponents; c++ {
		assert.InDelta(h.t, want.d[c], msOf(p.D[c]), 1e-6, "%v", c)
	}
	assert.Equal(h.t, want.served, p.ServedRegion, "served region")
	assert.Equal(h.t, want.ack, p.AckRegion, "ack region")
}

// The hand-computed paths below run on the cluster of model_test.go: one
// way A–B 33 ms, A–C 32 ms, B–C 73 ms, 1 ms between zones, a client hop of
// 0.2 ms, evaluation 0.3 ms, fsync 0.5 ms.
func TestPathReadsAndWrites(t *testing.T) {
	tests := []struct {
		name    string
		layout  placement.RangeLayout
		op      Op
		gateway topology.NodeID
		want    wantPath
	}{
		// us-west1 -> leaseholder n1: 33 out, 0.3 evaluation, 33 back.
		{"read from us-west1", zoneLayoutA, OpRead, n4, wantPath{d: map[Component]float64{
			CompClient: 2 * cHop, CompGateway: 66, CompEval: svc}, served: regionA, ack: -1}},
		// ZONE write from us-west1: the quorum is n2's (or n3's) ack, 1 ms
		// each way, and its fsync 0.5 ms; the leader's own 0.5 ms append
		// came first.
		{"zone write from us-west1", zoneLayoutA, OpWrite, n4, wantPath{d: map[Component]float64{
			CompClient: 2 * cHop, CompGateway: 66, CompEval: svc, CompQuorum: 2, CompFsync: fsyncMs}, served: regionA, ack: regionA}},
		// REGION write (voters n1 n2 | n4 n5 | n7) from us-west1: the third
		// durable append of five is n7's in europe-west1, 32 ms each way +
		// 0.5 ms fsync (n4's would be 66.5 ms).
		{"region write from us-west1", regionLayoutA, OpWrite, n4, wantPath{d: map[Component]float64{
			CompClient: 2 * cHop, CompGateway: 66, CompEval: svc, CompQuorum: 64, CompFsync: fsyncMs}, served: regionA, ack: regionC}},
		// A single voter: the leader's own append is the quorum.
		{"single voter write from home", layout([]topology.NodeID{n1}, nil, n1, false, ""), OpWrite, n1, wantPath{d: map[Component]float64{
			CompClient: 2 * cHop, CompEval: svc, CompFsync: fsyncMs}, served: regionA, ack: regionA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "crdb-demo", DefaultConfig())
			tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{tt.layout}, Rows: 10})
			tag := h.at(10, Request{Op: tt.op, Table: tb, Gateway: tt.gateway})
			h.latency(tag)
			h.checkPath(tag, tt.want)
		})
	}
}

func TestPathGlobal(t *testing.T) {
	global := layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n4, n7}, n1, true, "")
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := h.table(TableDef{Name: "g", Locality: placement.LocalityGlobal, Layouts: []placement.RangeLayout{global}, Rows: 10})
	// Write from us-west1 at 10 s: it reaches n1 at 10.0332 s and takes
	// timestamp 10.8332 s; 0.3 + 2.5 + 33 ms later (10.0690 s) the reply is
	// at the gateway, which waits until 10.8332 s: 764.2 ms of commit wait
	// (800 − 35.8).
	write := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n4, Key: 3})
	// A read of the same key from n7 (europe-west1, non-voter) at 10.5 s:
	// read_ts 10.5002 s; the write's 10.8332 s lies in its uncertainty
	// window, so it waits 333 ms at n7 (from its arrival, 10.5002 s), then
	// evaluates.
	read := h.at(10.5, Request{Op: OpRead, Table: tb, Gateway: n7, Key: 3})
	// Another key: served at once by the local non-voter.
	other := h.at(10.5, Request{Op: OpRead, Table: tb, Gateway: n7, Key: 4})
	assert.InDelta(t, cHop+33+800+cHop, h.latency(write), 1e-6)
	h.checkPath(write, wantPath{d: map[Component]float64{
		CompClient: 2 * cHop, CompGateway: 66, CompEval: svc, CompQuorum: 2, CompFsync: fsyncMs,
		CompCommitWait: 800 - (33 + svc + 2 + fsyncMs)}, served: regionA, ack: regionA})
	h.checkPath(read, wantPath{d: map[Component]float64{
		CompClient: 2 * cHop, CompUncertainty: 10000 + cHop + 33 + 800 - (10500 + cHop), CompEval: svc}, served: regionC, ack: -1})
	h.checkPath(other, wantPath{d: map[Component]float64{CompClient: 2 * cHop, CompEval: svc}, served: regionC, ack: -1})
}

func TestPathFollowerReads(t *testing.T) {
	// A stale read from europe-west1 (n8) of a ZONE range with a
	// non-voter on n9: served by n9, 1 ms away, without the leaseholder.
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	tag := h.at(10, Request{Op: OpStaleRead, Table: tb, Gateway: n8})
	h.latency(tag)
	h.checkPath(tag, wantPath{d: map[Component]float64{
		CompClient: 2 * cHop, CompGatewayFollower: 2 * zoneOW, CompEval: svc}, served: regionC, ack: -1})
}

func TestPathRedirect(t *testing.T) {
	// A lease transfer n1 -> n2 at 10 s makes the gateway's range cache
	// stale: a read from n4 at 11 s goes to n1 (33 ms), is answered
	// NotLeaseHolder by the lease check before evaluation (33 ms back) and
	// sent on to n2 (33 + 0.3 + 33 ms). The wasted attempt is the redirect.
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.e.Schedule(sim.At(10*time.Second), h.e.Register(sim.HandlerFunc(func(*sim.Event) {
		require.True(t, h.m.TransferLease(h.m.tables[tb].Ranges[0], n2, "test"))
	})), 0, 0)
	tag := h.at(11, Request{Op: OpRead, Table: tb, Gateway: n4})
	// n2 is 1 ms from n1; from us-west1 both are 33 ms away.
	assert.InDelta(t, cHop+33+33+33+svc+33+cHop, h.latency(tag), 1e-6)
	h.checkPath(tag, wantPath{d: map[Component]float64{
		CompClient: 2 * cHop, CompRedirect: 33 + 33, CompGateway: 66, CompEval: svc}, served: regionA, ack: -1})
}

func TestPathTxnSlowestRangeDecides(t *testing.T) {
	// A transaction over two ranges from gateway n1: one led by n1 itself
	// (0.3 + 2.5 ms), one led by n7 in europe-west1 (32 + 0.3 + 2.5 + 32
	// ms). Parallel commits: the slower range is the critical path — its
	// round trip to europe-west1, its evaluation, its quorum (n8's ack, 1
	// ms each way, and n8's fsync, in europe-west1).
	layouts := []placement.RangeLayout{
		layout([]topology.NodeID{n1, n2, n3}, nil, n1, false, ""),
		layout([]topology.NodeID{n7, n8, n9}, nil, n7, false, ""),
	}
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: layouts, Rows: 20, TxnRanges: 2})
	tag := h.at(10, Request{Op: OpTxn, Table: tb, Gateway: n1})
	assert.InDelta(t, cHop+32+svc+2*zoneOW+fsyncMs+32+cHop, h.latency(tag), 1e-6)
	h.checkPath(tag, wantPath{d: map[Component]float64{
		CompClient: 2 * cHop, CompGateway: 64, CompEval: svc, CompQuorum: 2 * zoneOW, CompFsync: fsyncMs}, served: regionC, ack: regionC})
}

// TestClosePartAgainAtItsInstant: a part's open interval closed again at
// the instant it was opened gives nothing and drops the head and tail
// set for it, as the full computation would (the quick return taken then
// must not keep them for the next interval). The next 20 ms go to the
// open component, none to the dropped head's or tail's.
func TestClosePartAgainAtItsInstant(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	require.NotNil(t, h.m.pathSink)
	ms := func(v float64) sim.Time { return sim.At(msDur(v)) }
	pi := h.m.newPart()
	p := h.m.parts.at(pi)
	p.req = 0
	p.path.mark, p.path.cur = ms(10), CompEval
	h.m.headPart(pi, CompRedirect, 5*time.Millisecond)
	h.m.tailPart(pi, CompRetry, ms(10), 5*time.Millisecond)
	h.m.closePartAt(pi, ms(10))
	h.m.closePartAt(pi, ms(30))
	assert.Equal(t, 20*time.Millisecond, p.path.att[attemptSlot[CompEval]])
	w := h.m.partComps(&p.path)
	assert.Zero(t, w[waitSlot[CompRedirect]], "no head left")
	assert.Zero(t, w[waitSlot[CompRetry]], "no tail left")
}
