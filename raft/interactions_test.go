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

// TestLatchGrantedWriteShedByCPUQueue: a write granted its row's latch by
// grantLatch is shed at once by a saturated CPU queue (1 vCPU, 40 reads
// queued, 10 ms client timeout). Shedding releases the latch inside
// grantLatch; the entry must be settled before (it was removed twice and
// the latch table's probe loop never ended). Both writes complete once
// and no latch is left.
func TestLatchGrantedWriteShedByCPUQueue(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClientTimeout = 10 * time.Millisecond
	h := newHarness(t, "crdb-demo", cfg)
	h.withVCPUs(1)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	w1 := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 0})
	w2 := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 0})
	for range 40 {
		h.at(10.0025, Request{Op: OpRead, Table: tb, Gateway: n1, Key: 3})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.e.RunUntil(sim.At(20 * time.Second))
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		panic("hang")
	}
	require.Len(t, h.rec.lat[w1], 1)
	require.Len(t, h.rec.lat[w2], 1)
	assert.Equal(t, []bool{true}, h.rec.ok[w1])
	assert.Equal(t, []bool{false}, h.rec.ok[w2], "shed: it would wait past its timeout")
	assert.Zero(t, h.m.latches.active())
	assert.Zero(t, h.m.QueuedOnRows())
}

// TestTxnRetryPassesItsOwnIntent: a keyed transaction's write applies and
// leaves its intent, its reply is lost (n1–n4 cut for 1 s), and
// DistSender retries it: the retry meets its own transaction's intent,
// which does not make it wait (it waited forever: the intent is resolved
// only when the transaction ends).
func TestTxnRetryPassesItsOwnIntent(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	two := []placement.RangeLayout{zoneLayoutA, zoneLayoutA}
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: two, Rows: 10, TxnRanges: 2})
	h.fault(Fault{Name: "cut", At: 10040 * time.Millisecond, For: time.Second, A: []topology.NodeID{n1}, B: []topology.NodeID{n4}})
	txn := h.at(10, Request{Op: OpTxn, Table: tb, Gateway: n4, Keyed: true, Key: 0})
	h.e.RunUntil(sim.At(120 * time.Second))
	require.Len(t, h.rec.lat[txn], 1)
	assert.Equal(t, []bool{true}, h.rec.ok[txn])
	assert.Zero(t, h.m.latches.active())
	assert.Zero(t, h.m.QueuedOnRows())
}

// TestDeadlineInCPUWaitIsNoEvaluation: ten reads reach one CPU at once
// (0.3 ms each) with a 2 ms client timeout. Read i starts at 0.2 + 0.3·i
// ms after its gateway (0.2 ms away) got it; reads 6–9 would start at or
// after the deadline and never evaluate: their paths have no evaluation,
// all CPU wait (1.8 ms) and the client hops (0.4 ms); every path sums to
// its latency.
func TestDeadlineInCPUWaitIsNoEvaluation(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClientTimeout = 2 * time.Millisecond
	h := newHarness(t, "crdb-demo", cfg)
	h.withVCPUs(1)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Rows: 30, Layouts: []placement.RangeLayout{zoneLayoutA}})
	var tags []int64
	for range 10 {
		tags = append(tags, h.at(10, Request{Op: OpRead, Table: tb, Gateway: n1}))
	}
	h.e.RunUntil(sim.At(20 * time.Second))
	for i, tag := range tags {
		p := h.rec.paths[tag]
		assert.InDelta(t, h.rec.lat[tag][0], msOf(p.Total()), 1e-9, "read %d", i)
		if i >= 6 {
			assert.Equal(t, []bool{false}, h.rec.ok[tag], "read %d", i)
			assert.Zero(t, p.D[CompEval], "read %d", i)
			assert.InDelta(t, 1.8, msOf(p.D[CompCPUWait]), 1e-9, "read %d", i)
		}
	}
}

// TestShedRequestLeavesLatchQueue: a keyed transaction's part on range 1
// is shed by n2's saturated CPU while its keyed part on range 0 waits for
// the row's latch: the failed transaction's waiting part leaves the queue
// (it used to be granted later and commit a write for a request already
// failed), and its wait is reported before it completes.
func TestShedRequestLeavesLatchQueue(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClientTimeout = 10 * time.Millisecond
	h, rec := newContentionHarness(t)
	h.m.cfg.ClientTimeout = cfg.ClientTimeout
	for i := range h.m.cluster.Nodes {
		h.m.cluster.Nodes[i].VCPUs = 1
	}
	h.m.q = newQueues(h.m.cluster)
	lh2 := layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n2, false, "")
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA, lh2}, Rows: 10, TxnRanges: 2})
	h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 0}) // holds key 0 of range 0
	for range 40 {
		h.at(10.0005, Request{Op: OpRead, Table: tb, Gateway: n2, Range: 1}) // 10 ms of work at n2
	}
	txn := h.at(10.0001, Request{Op: OpTxn, Table: tb, Gateway: n1, Keyed: true, Key: 0})
	var commits []float64
	h.m.onCommit = func(r *Range, p *partState) {
		if p.req != noReq && h.m.reqs.at(p.req).op == OpTxn {
			commits = append(commits, h.e.Now().Sub(sim.At(10*time.Second)).Seconds()*1000)
		}
	}
	h.e.RunUntil(sim.At(20 * time.Second))
	assert.Equal(t, []bool{false}, h.rec.ok[txn])
	assert.Empty(t, commits, "no write of the failed transaction commits")
	assert.True(t, rec.waited[txn])
	assert.Zero(t, h.m.latches.active())
}

// TestKeyedWriteSequencesWhenLeaseArrives: a keyed write reaches n2 while
// n1 still holds the lease (n2's gateway cache is stale), evaluates there
// without a latch, and the lease moves to n2 before its evaluation ends:
// it sequences on its row's latch before it is served, so that it and the
// next write to the row are serialised: one of them waits for the other
// (it was served around the latch, and neither waited).
func TestKeyedWriteSequencesWhenLeaseArrives(t *testing.T) {
	h, rec := newContentionHarness(t)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.atTime(10, func() { require.True(t, h.m.TransferLease(0, n2, "test")) })
	h.atTime(10.002, func() { // n2's gateway cache names n2 (stale from an earlier lease)
		r := &h.m.ranges[0]
		r.setCachedLease(n2, n2, r.cachedLease(n2).seq, len(h.m.cluster.Nodes))
	})
	w1 := h.at(10.0025, Request{Op: OpWrite, Table: tb, Gateway: n2, Keyed: true, Key: 0})
	w2 := h.at(10.0038, Request{Op: OpWrite, Table: tb, Gateway: n2, Keyed: true, Key: 0})
	unlatched := 0
	h.atTime(10.0045, func() {
		for i := range h.m.parts.len() {
			p := h.m.parts.at(i)
			if p.req != noReq && p.kind == partWrite && p.appending && !p.commit && p.latch == 0 && h.m.reqs.at(p.req).keyed {
				unlatched++
			}
		}
	})
	h.e.RunUntil(sim.At(20 * time.Second))
	assert.Zero(t, unlatched, "no keyed write replicates without its latch")
	assert.Equal(t, []bool{true}, h.rec.ok[w1])
	assert.Equal(t, []bool{true}, h.rec.ok[w2])
	assert.True(t, rec.waited[w1] != rec.waited[w2], "one write waits for the other (w1 %v, w2 %v)", rec.waited[w1], rec.waited[w2])
	assert.Zero(t, h.m.latches.active())
}
