package raft

import (
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rangeBytesBudget bounds what one Range costs in the model's range list
// (unsafe.Sizeof) and rangeHeapBudget what adding one costs on the heap
// before it is used: the Range itself, its lease-log entry and its place
// in the table's list (issue #16: 100,000 ranges per table in a few hundred
// MiB). A change that makes a range carry more, or allocate per range what
// only a used or faulted range needs, fails here.
const (
	rangeBytesBudget = 120 // 192 before the lease moves and the replacements moved out (2026-12-07)
	rangeHeapBudget  = 200
)

func TestRangeSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(Range{}), uintptr(rangeBytesBudget),
		"Range grew: keep rarely used state behind a lazily allocated pointer (see Range's doc)")
}

// inFlightBytesBudget bounds what one request in flight costs the model:
// its reqState and one partState (issue #14: a saturated cluster holds
// every request its CPUs will serve within the give-up time, about a
// million on the default cluster at 500× its rates). The structs are laid
// out without padding; a field that needs more belongs behind a lazily
// allocated pointer or in a side table.
const inFlightBytesBudget = 384

func TestInFlightRequestSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(reqState{})+unsafe.Sizeof(partState{}), uintptr(inFlightBytesBudget),
		"reqState + partState grew (%d + %d B)", unsafe.Sizeof(reqState{}), unsafe.Sizeof(partState{}))
}

// footprintLayouts are three placements of a ZONE-survival range homed in
// us-east1, as the allocator spreads leases and non-voters.
var footprintLayouts = []placement.RangeLayout{
	layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n1, false, ""),
	layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n4, n8}, n2, false, ""),
	layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n6, n7}, n3, false, ""),
}

// footprintTable returns a table definition of n ranges cycling through
// footprintLayouts.
func footprintTable(n int) TableDef {
	d := TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Rows: 10 * n}
	for i := range n {
		d.Layouts = append(d.Layouts, footprintLayouts[i%len(footprintLayouts)])
	}
	return d
}

func TestRangeHeapPerRange(t *testing.T) {
	const n = 30000
	h := newHarness(t, "gcp", DefaultConfig())
	d := footprintTable(n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h.m.ReserveRanges(n)
	h.table(d)
	runtime.GC()
	runtime.ReadMemStats(&after)
	perRange := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f heap bytes per range", perRange)
	assert.Less(t, perRange, float64(rangeHeapBudget), "heap bytes per added range")
	runtime.KeepAlive(d)
	runtime.KeepAlive(h)
}

// TestRangeStateIsLazy checks that a range nothing touched holds no
// request statistics, failover state, range cache or future-write table,
// and that ranges placed alike share their shape, while a used range has
// what it needs.
func TestRangeStateIsLazy(t *testing.T) {
	h := newHarness(t, "gcp", DefaultConfig())
	tb := h.table(footprintTable(300))
	tag := h.at(1, Request{Op: OpWrite, Table: tb, Gateway: n5, Range: 0})
	h.latency(tag)
	require.Len(t, h.m.shapes.byKey, len(footprintLayouts), "one shape per distinct placement")
	served := h.m.ranges[0]
	assert.NotNil(t, served.stats, "the leaseholder counted the request")
	untouched := 0
	for i := 1; i < len(h.m.ranges); i++ {
		r := &h.m.ranges[i]
		if r.stats != nil {
			continue // a scanner visit read them
		}
		untouched++
		assert.Nil(t, r.fail, "range %d: no fault touched it", i)
		assert.Nil(t, r.moved, "range %d: every gateway knows its initial lease", i)
		assert.Nil(t, r.writes.t, "range %d: no write", i)
		assert.Same(t, h.m.ranges[i%len(footprintLayouts)].rangeShape, r.rangeShape, "range %d", i)
	}
	t.Logf("%d of %d ranges untouched", untouched, len(h.m.ranges))
	assert.Greater(t, untouched, len(h.m.ranges)/2, "most ranges saw nothing")
}

// TestStatsDateFromTheTable checks that request statistics created at
// their first use date from the table's creation, as if created with it:
// their age (what gates a load-based lease transfer) is the table's.
func TestStatsDateFromTheTable(t *testing.T) {
	h := newHarness(t, "gcp", DefaultConfig())
	h.e.RunUntil(sim.At(time.Second))
	h.table(footprintTable(3))
	r := &h.m.ranges[1]
	h.e.RunUntil(sim.At(time.Second + time.Microsecond))
	require.Nil(t, r.stats, "nothing touched the range yet")
	rates, age := h.m.statsOf(r).PerLocalityDecayingRate(nil, h.e.Now())
	assert.Equal(t, time.Microsecond, age)
	assert.Equal(t, make([]float64, len(h.m.cluster.Zones)), rates)
}

// TestOwnShapeCopiesOnWrite checks that a range changing its replicas
// (up-replication) leaves the ranges it shared a shape with alone.
func TestOwnShapeCopiesOnWrite(t *testing.T) {
	h := newHarness(t, "gcp", DefaultConfig())
	h.table(footprintTable(6))
	a, b := &h.m.ranges[0], &h.m.ranges[3]
	require.Same(t, a.rangeShape, b.rangeShape)
	a.ownShape()
	a.Replicas[3] = n6
	a.Layout.NonVoters[0] = n6
	assert.NotSame(t, a.rangeShape, b.rangeShape)
	assert.Equal(t, []topology.NodeID{n1, n2, n3, n5, n9}, b.Replicas)
	assert.Equal(t, []topology.NodeID{n5, n9}, b.Layout.NonVoters)
	assert.Equal(t, []topology.NodeID{n5, n9}, footprintLayouts[0].NonVoters, "the caller's layout is untouched")
	own := a.rangeShape
	a.ownShape()
	assert.Same(t, own, a.rangeShape, "a private shape is not copied again")
}

// TestNextUnserved checks the unserved-range set against a walk over every
// id, including ids marked during the walk (found when above the cursor,
// as the walk would find them).
func TestNextUnserved(t *testing.T) {
	f := &failover{}
	assert.Equal(t, -1, f.nextUnserved(0), "empty")
	for _, id := range []RangeID{3, 63, 64, 200} {
		f.markUnserved(id)
	}
	var got []int
	for id := f.nextUnserved(0); id >= 0; id = f.nextUnserved(id + 1) {
		got = append(got, id)
		if id == 63 {
			f.markUnserved(10)  // below the cursor: not this walk's
			f.markUnserved(130) // above: found
		}
	}
	assert.Equal(t, []int{3, 63, 64, 130, 200}, got)
	assert.Equal(t, 10, f.nextUnserved(4))
	assert.Equal(t, -1, f.nextUnserved(201))
}
