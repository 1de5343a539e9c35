package raft

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// contention is a recorder that also hears keyed requests' latch waits
// (ContentionSink).
type contention struct {
	recorder
	wait   map[int64]float64 // tag -> wait in ms
	waited map[int64]bool
}

func (c *contention) Contended(tag int64, wait time.Duration, waited bool) {
	c.wait[tag] = wait.Seconds() * 1000
	c.waited[tag] = waited
}

func newContentionHarness(t *testing.T) (*harness, *contention) {
	e := sim.NewEngine()
	rec := &contention{
		recorder: recorder{lat: map[int64][]float64{}, ok: map[int64][]bool{}},
		wait:     map[int64]float64{}, waited: map[int64]bool{},
	}
	m, err := New(e, testCluster(t, "crdb-demo"), DefaultConfig(), 1, rec)
	require.NoError(t, err)
	return &harness{t: t, e: e, m: m, rec: &rec.recorder}, rec
}

// The latch of a 1PC write is held from its evaluation until it applies at
// the leaseholder: svc + quorum = 0.3 + (1 + 0.5 + 1) = 2.8 ms on the
// zone layout homed at n1. That is the key's service time: writes to one
// key complete at most one per 2.8 ms, whatever the offered rate.
const hold = svc + zoneOW + fsyncMs + zoneOW

// TestHotKeyGivesUpWithoutTimeout: 3,575 writers reach one row at once.
// Writer i would take the latch after i·2.8 ms; without a client timeout
// a request gives up once it has waited 10 s for rows (OverloadTimeout),
// so writers 0–3571 (9,998.8 ms at most) commit and 3572–3574 (10,001.6
// ms and more) fail when their wait reaches 10 s, seen one client hop
// later; with a 20-s client timeout all of them commit.
func TestHotKeyGivesUpWithoutTimeout(t *testing.T) {
	const n = 3575
	for _, timeout := range []time.Duration{0, 20 * time.Second} {
		h, rec := newContentionHarness(t)
		if timeout > 0 {
			cfg := DefaultConfig()
			cfg.ClientTimeout = timeout
			m, err := New(h.e, testCluster(t, "crdb-demo"), cfg, 1, rec)
			require.NoError(t, err)
			h.m = m
		}
		tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
		var tags [n]int64
		for i := range n {
			tags[i] = h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 0})
		}
		h.e.RunUntil(sim.At(60 * time.Second))
		giveUp := OverloadTimeout.Seconds() * 1000
		for i, tag := range tags {
			require.Len(t, h.rec.lat[tag], 1, "writer %d", i)
			wait := float64(i) * hold
			if timeout == 0 && wait >= giveUp {
				require.False(t, h.rec.ok[tag][0], "writer %d gives up", i)
				require.InDelta(t, cHop+giveUp+cHop, h.rec.lat[tag][0], 1e-6, "writer %d", i)
				require.InDelta(t, giveUp, rec.wait[tag], 1e-6, "writer %d wait", i)
				continue
			}
			require.True(t, h.rec.ok[tag][0], "writer %d commits (timeout %v)", i, timeout)
			require.InDelta(t, cHop+wait+hold+cHop, h.rec.lat[tag][0], 1e-6, "writer %d", i)
		}
		assert.Zero(t, h.m.QueuedOnRows())
		assert.Zero(t, h.m.latches.active(), "no latch outlives its writers")
	}
}

// TestGiveUpCountsParallelWaitsOnce: an insert's uniqueness checks wait
// at two rows at once (behind 1,071 writers each in us-west1 and
// europe-west1: about 3 s), then its write waits behind 2,882 writers in
// us-east1 (all done 8,069.8 ms after 10 s). Some part of it waits for
// about 8 s in all, under the 10-s give-up, so it commits, after 8,071.8
// ms; its parts' waits add up to 10,968 ms, which must not count (the
// checks waited together; summing them failed it after 7,100.9 ms).
func TestGiveUpCountsParallelWaitsOnce(t *testing.T) {
	const nA, nBC = 2882, 1071
	h, rec := newContentionHarness(t)
	tb := h.table(TableDef{Name: "users", Locality: placement.LocalityRegionalByRow, Layouts: rbrLayouts(), Rows: 30, UniqueChecks: true})
	for region, gw := range map[int]topology.NodeID{regionA: n1, regionB: n4, regionC: n7} {
		n := nBC
		if region == regionA {
			n = nA
		}
		for range n {
			h.at(10, Request{Op: OpWrite, Table: tb, Gateway: gw, Region: region, Keyed: true, Key: 0})
		}
	}
	insert := h.at(10.001, Request{Op: OpInsert, Table: tb, Gateway: n1, Keyed: true, Key: 0})
	h.e.RunUntil(sim.At(60 * time.Second))
	require.Len(t, h.rec.lat[insert], 1)
	t.Logf("insert: latency %.3f ms, waits %.3f ms", h.rec.lat[insert][0], rec.wait[insert])
	require.True(t, h.rec.ok[insert][0], "the insert commits")
	// The last us-east1 writer releases the row cHop + nA·hold after 10 s;
	// the insert's write takes it then and holds it one hold, and the
	// client hears a hop later: latency 0.2 + 8069.6 + 2.8 + 0.2 − 1 (it
	// was issued at 10.001 s) = 8071.8 ms.
	assert.InDelta(t, cHop+nA*hold+hold+cHop-1, h.rec.lat[insert][0], 1e-6, "it writes after the last writer")
	assert.Greater(t, rec.wait[insert], OverloadTimeout.Seconds()*1000, "its parts' waits add up to more than the give-up time")
}

func TestHotKeyWritesSerialise(t *testing.T) {
	const n = 5
	for _, tt := range []struct {
		name    string
		spacing float64 // ms between submissions
	}{
		{"all at once", 0},
		// Offered 500/s > 1/2.8 ms = 357/s: each writer waits 0.8 ms more
		// than the one before.
		{"every 2 ms", 2},
		// Offered 250/s: each has gone before the next arrives.
		{"every 4 ms", 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := newContentionHarness(t)
			tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
			var tags [n]int64
			var ends [n]float64
			h.rec.onComplete = func(tag int64, _, end sim.Time, _ bool) {
				for i, x := range tags {
					if x == tag {
						ends[i] = end.Sub(sim.At(10*time.Second)).Seconds() * 1000
					}
				}
			}
			for i := range n {
				tags[i] = h.at(10+float64(i)*tt.spacing/1000, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 0})
			}
			// An unkeyed write of the same row index never waits.
			free := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Key: 0})
			// Writer i reaches the leaseholder at 0.2 + i·spacing ms and
			// takes the latch when it arrives or when writer i-1 releases
			// it, whichever is later; it releases it 2.8 ms after.
			release := 0.0
			for i := range n {
				arrive := cHop + float64(i)*tt.spacing
				acquire := max(arrive, release)
				release = acquire + hold
				wait := acquire - arrive
				assert.InDelta(t, cHop+wait+hold+cHop, h.latency(tags[i]), 1e-6, "writer %d", i)
				assert.InDelta(t, wait, rec.wait[tags[i]], 1e-6, "writer %d wait", i)
				assert.Equal(t, wait > 0, rec.waited[tags[i]], "writer %d waited", i)
				assert.InDelta(t, release+cHop, ends[i], 1e-6, "writer %d end", i)
			}
			assert.InDelta(t, cHop+hold+cHop, h.latency(free), 1e-6)
			_, heard := rec.wait[free]
			assert.False(t, heard, "an unkeyed request reports no contention")
			// Throughput on the key: completions at least one commit
			// latency apart.
			for i := 1; i < n; i++ {
				assert.GreaterOrEqual(t, ends[i]-ends[i-1], hold-1e-9)
			}
			if tt.spacing < hold {
				assert.InDelta(t, float64(n-1)*hold, ends[n-1]-ends[0], 1e-6, "back to back: exactly 1/2.8 ms")
			}
			assert.Zero(t, h.m.latches.active(), "no latch outlives its writers")
		})
	}
}

func TestHotKeyWritersFromOtherRegions(t *testing.T) {
	// Writers from n1 (home) and n4 (us-west1, 33 ms away) on one key: the
	// n4 write reaches the leaseholder at 0.2 + 33 = 33.2 ms; a home write
	// submitted at 32 ms holds the latch from 32.2 to 35.0 ms, so the n4
	// write waits 1.8 ms and completes at 33.2 + 1.8 + 2.8 + 33 + 0.2.
	h, rec := newContentionHarness(t)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	home := h.at(10.032, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 7})
	west := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n4, Keyed: true, Key: 7})
	assert.InDelta(t, cHop+hold+cHop, h.latency(home), 1e-6)
	assert.InDelta(t, cHop+33+1.8+hold+33+cHop, h.latency(west), 1e-6)
	assert.InDelta(t, 1.8, rec.wait[west], 1e-6)
	assert.Zero(t, rec.wait[home])
}

func TestReadWaitsForInFlightWrite(t *testing.T) {
	h, rec := newContentionHarness(t)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	// The write holds key 3's latch at n1 from 10.0002 s to 10.0030 s.
	w := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	// A read of key 3 arriving at 10.0012 s waits 1.8 ms for it to apply,
	// then evaluates (0.3) and replies (0.2).
	r := h.at(10.001, Request{Op: OpRead, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	// Another key, a read after the write applied, and an unkeyed read
	// are not delayed.
	other := h.at(10.001, Request{Op: OpRead, Table: tb, Gateway: n1, Keyed: true, Key: 4})
	after := h.at(10.004, Request{Op: OpRead, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	unkeyed := h.at(10.001, Request{Op: OpRead, Table: tb, Gateway: n1, Key: 3})
	// A write never waits for a read (its timestamp is higher): a read at
	// 11 s and a write right behind it.
	r2 := h.at(11, Request{Op: OpRead, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	w2 := h.at(11, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	// A read behind two queued writes waits for both: writes at 12 s (two
	// at once), a read at 12.001 s arriving at 12.0012 s: the second write
	// releases at 12.0002 + 2·2.8 ms = 12.0058 s.
	h.at(12, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	h.at(12, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	r3 := h.at(12.001, Request{Op: OpRead, Table: tb, Gateway: n1, Keyed: true, Key: 3})

	assert.InDelta(t, cHop+hold+cHop, h.latency(w), 1e-6)
	assert.InDelta(t, cHop+1.8+svc+cHop, h.latency(r), 1e-6)
	assert.InDelta(t, 1.8, rec.wait[r], 1e-6)
	for _, tag := range []int64{other, after, unkeyed, r2} {
		assert.InDelta(t, cHop+svc+cHop, h.latency(tag), 1e-6)
	}
	assert.InDelta(t, cHop+hold+cHop, h.latency(w2), 1e-6)
	assert.InDelta(t, cHop+(0.2+2*hold-1.2)+svc+cHop, h.latency(r3), 1e-6)
	assert.Zero(t, h.m.latches.active())
}

func TestGlobalReadsKeepTheUncertaintyRule(t *testing.T) {
	// On a GLOBAL table a present-time read never waits for a write's
	// latch (the write's timestamp is in the future); it waits only when
	// the write lies in its uncertainty window, as without keys. Writes
	// still serialise, hidden by the commit wait.
	global := layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n4, n7}, n1, true, "")
	h, rec := newContentionHarness(t)
	tb := h.table(TableDef{Name: "g", Locality: placement.LocalityGlobal, Layouts: []placement.RangeLayout{global}, Rows: 10})
	w1 := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	w2 := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	during := h.at(10.001, Request{Op: OpRead, Table: tb, Gateway: n1, Keyed: true, Key: 3})
	uncertain := h.at(10.5, Request{Op: OpRead, Table: tb, Gateway: n4, Keyed: true, Key: 3})
	assert.InDelta(t, cHop+svc+cHop, h.latency(during), 1e-6)
	assert.InDelta(t, (cHop+800-500)+svc+cHop, h.latency(uncertain), 1e-6)
	assert.InDelta(t, cHop+800+cHop, h.latency(w1), 1e-6)
	assert.InDelta(t, cHop+800+cHop, h.latency(w2), 1e-6)
	assert.InDelta(t, hold, rec.wait[w2], 1e-6, "the second write waited for the first to apply")
}

// TestLatchTableOracle checks the open-addressing table against a map
// under random inserts and removes (collisions included: few slots).
func TestLatchTableOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tb latchTable
	oracle := map[[2]int32]int32{}
	for step := range 20000 {
		k := [2]int32{int32(r.IntN(4)), int32(r.IntN(40))}
		e, ok := oracle[k]
		require.Equal(t, ok, tb.lookup(RangeID(k[0]), k[1]) >= 0, "step %d", step)
		if ok {
			require.Equal(t, e, tb.lookup(RangeID(k[0]), k[1]))
			tb.remove(e)
			delete(oracle, k)
		} else {
			oracle[k] = tb.insert(RangeID(k[0]), k[1])
		}
		require.Equal(t, len(oracle), tb.active())
	}
	for k, e := range oracle {
		require.Equal(t, e, tb.lookup(RangeID(k[0]), k[1]))
	}
}

func TestLatchTableSteadyStateAllocatesNothing(t *testing.T) {
	var tb latchTable
	for i := range 64 {
		tb.insert(0, int32(i))
	}
	for i := range 64 {
		tb.remove(tb.lookup(0, int32(i)))
	}
	i := int32(0)
	allocs := testing.AllocsPerRun(1000, func() {
		e := tb.insert(RangeID(i%7), i)
		if tb.lookup(RangeID(i%7), i) != e {
			t.Fatal("lookup")
		}
		tb.remove(e)
		i++
	})
	assert.Zero(t, allocs)
}

func TestTxnIntentBlocksUntilResolved(t *testing.T) {
	// A keyed txn writes its named row on range 0 and a row on range 1
	// (TxnRanges 2, both ranges homed at n1). Its write to range 0 applies
	// at 10.0030 s and leaves an intent: the key stays locked until the
	// coordinator's EndTxn(COMMITTED) has reached n1 (0 ms from n1),
	// evaluated (0.3) and committed (2.5) after the txn ended at its
	// gateway (10.0030 s): until 10.0058 s. The client has its answer at
	// 10.0032 s.
	h, rec := newContentionHarness(t)
	two := []placement.RangeLayout{zoneLayoutA, zoneLayoutA}
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: two, Rows: 10, TxnRanges: 2})
	txn := h.at(10, Request{Op: OpTxn, Table: tb, Gateway: n1, Keyed: true, Key: 0})
	// A write of the row at 10.001 s (at n1 at 10.0012 s) waits 4.6 ms.
	w := h.at(10.001, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 0})
	// A read after the client's answer (at n1 at 10.0037 s) queues behind
	// the intent, which outlives the transaction's reply, and the write
	// waiting for it, which holds the latch from 10.0058 s to 10.0086 s:
	// it waits 4.9 ms.
	r := h.at(10.0035, Request{Op: OpRead, Table: tb, Gateway: n1, Keyed: true, Key: 0})
	// The row the txn wrote on range 1 (key 1 = range 1, key 0) does not
	// contend.
	other := h.at(10.001, Request{Op: OpRead, Table: tb, Gateway: n1, Keyed: true, Key: 1})
	assert.InDelta(t, cHop+hold+cHop, h.latency(txn), 1e-6)
	assert.InDelta(t, cHop+4.6+hold+cHop, h.latency(w), 1e-6)
	assert.InDelta(t, 4.6, rec.wait[w], 1e-6)
	assert.InDelta(t, cHop+4.9+svc+cHop, h.latency(r), 1e-6)
	assert.InDelta(t, cHop+svc+cHop, h.latency(other), 1e-6)
	assert.Zero(t, h.m.latches.active())
}

func TestTxnIntentOfARemoteCoordinator(t *testing.T) {
	// The txn's gateway is n4 (us-west1), 33 ms from the leaseholder n1:
	// its write applies at 10.0360 s, the txn ends at n4 at 10.0690 s, and
	// its EndTxn reaches n1 at 10.1020 s and applies at 10.1048 s. The
	// key was locked for 71.6 ms where a 1PC write holds it 2.8 ms. A write
	// from n1 at 10.05 s (at n1 at 10.0502 s) waits 54.6 ms.
	h, rec := newContentionHarness(t)
	two := []placement.RangeLayout{zoneLayoutA, zoneLayoutA}
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: two, Rows: 10, TxnRanges: 2})
	txn := h.at(10, Request{Op: OpTxn, Table: tb, Gateway: n4, Keyed: true, Key: 0})
	w := h.at(10.05, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 0})
	assert.InDelta(t, cHop+33+hold+33+cHop, h.latency(txn), 1e-6)
	assert.InDelta(t, 54.6, rec.wait[w], 1e-6)
	assert.InDelta(t, cHop+54.6+hold+cHop, h.latency(w), 1e-6)
	assert.Zero(t, h.m.latches.active())
}

func TestQueuedWriterLeavesAtItsTimeout(t *testing.T) {
	// With a 10 ms statement timeout, of 10 writes sent at once to one key
	// the first three finish in time (0.2 + 2.8·k + 0.2 ms, k = 1…3); the
	// fourth holds the latch from 8.6 ms and its client gives up at 10 ms
	// (its write still applies, at 11.4 ms); the other six leave the queue
	// at 10 ms and never evaluate. The seven clients hear of the timeout
	// one hop later, at 10.2 ms. Nothing stays behind.
	cfg := DefaultConfig()
	cfg.ClientTimeout = 10 * time.Millisecond
	e := sim.NewEngine()
	rec := &contention{recorder: recorder{lat: map[int64][]float64{}, ok: map[int64][]bool{}}, wait: map[int64]float64{}, waited: map[int64]bool{}}
	m, err := New(e, testCluster(t, "crdb-demo"), cfg, 1, rec)
	require.NoError(t, err)
	h := &harness{t: t, e: e, m: m, rec: &rec.recorder}
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	var tags []int64
	for range 10 {
		tags = append(tags, h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 0}))
	}
	// A write from n4 reaches n1 at 33.2 ms, 23.2 ms after its client gave
	// up, while a write sent at 31 ms holds the row (31.2 to 34.0 ms): its
	// context is cancelled, so it does not queue and never applies.
	late := h.at(10.031, Request{Op: OpWrite, Table: tb, Gateway: n1, Keyed: true, Key: 0})
	far := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n4, Keyed: true, Key: 0})
	var applied int
	h.m.onCommit = func(*Range, *partState) { applied++ }
	e.RunUntil(sim.At(20 * time.Second))
	for i, tag := range tags {
		require.Len(t, rec.lat[tag], 1)
		if i < 3 {
			assert.True(t, rec.ok[tag][0])
			assert.InDelta(t, cHop+float64(i+1)*hold+cHop, rec.lat[tag][0], 1e-6)
			continue
		}
		assert.False(t, rec.ok[tag][0], "writer %d timed out", i)
		assert.InDelta(t, 10+cHop, rec.lat[tag][0], 1e-6, "the client hears at the deadline + one hop")
	}
	assert.InDelta(t, cHop+hold+cHop, rec.lat[late][0], 1e-6)
	assert.False(t, rec.ok[far][0])
	assert.InDelta(t, 10+cHop, rec.lat[far][0], 1e-6)
	assert.Equal(t, 5, applied, "the queued writes and the late one never evaluated")
	assert.Zero(t, h.m.latches.active())
	assert.Equal(t, int(h.m.parts.len()), h.m.freeParts.len(), "every part slot is free again")
}
