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

// demand submits a request every gap to a random range of one table, from a
// gateway chosen by the current simulated time.
type demand struct {
	m       *Model
	id      sim.HandlerID
	r       interface{ IntN(int) int }
	table   TableID
	ranges  int
	gap     time.Duration
	gateway func(now sim.Time) topology.NodeID
	n       int64
}

func (d *demand) Handle(*sim.Event) {
	d.n++
	d.m.Submit(Request{Op: OpRead, Table: d.table, Gateway: d.gateway(d.m.eng.Now()), Range: d.r.IntN(d.ranges)}, d.n)
	d.m.eng.After(d.gap, d.id, 0, 0)
}

// bgRanges is the size of an idle background table that gives every store
// a realistic lease count (10 each): follow-the-workload weighs request
// locality against lease-count balance, and with a handful of leases in the
// cluster the counts dominate, as they do in CockroachDB.
const bgRanges = 90

// noneTable adds the idle background table (one voter per region, leases
// spread evenly over the 9 stores) and then a table without lease
// preferences: six ranges with voters n1 (us-east1), n4 (us-west1),
// n7 (europe-west1) and leases two per region. It returns the second.
func noneTable(t *testing.T, h *harness) TableID {
	var bg []placement.RangeLayout
	for i := range bgRanges {
		// Zone (i/3)%3 of every region; the lease in region i%3: each of
		// the 9 stores leads 10 ranges.
		z := topology.NodeID((i / 3) % 3)
		voters := []topology.NodeID{z, 3 + z, 6 + z}
		bg = append(bg, layout(voters, nil, voters[i%3], false, ""))
	}
	h.table(TableDef{Name: "bg", Locality: placement.LocalityNone, Layouts: bg, Rows: bgRanges})
	var layouts []placement.RangeLayout
	for _, lh := range []topology.NodeID{n1, n4, n7, n1, n4, n7} {
		layouts = append(layouts, layout([]topology.NodeID{n1, n4, n7}, nil, lh, false, ""))
	}
	return h.table(TableDef{Name: "kv", Locality: placement.LocalityNone, Layouts: layouts, Rows: 600})
}

// kvRanges returns the ranges of the table noneTable returned.
func kvRanges(h *harness) []Range { return h.m.Ranges()[bgRanges:] }

// moves returns the lease moves (not initial acquisitions) of kv's ranges.
func moves(h *harness) []LeaseEvent {
	var out []LeaseEvent
	for _, ev := range h.m.Leases() {
		if ev.From >= 0 && ev.Range >= bgRanges {
			out = append(out, ev)
		}
	}
	return out
}

func startDemand(h *harness, tb TableID, gap time.Duration, gw func(sim.Time) topology.NodeID) {
	d := &demand{m: h.m, r: sim.NewRand(9, 9), table: tb, ranges: 6, gap: gap, gateway: gw}
	d.id = h.e.Register(d)
	h.e.Schedule(0, d.id, 0, 0)
}

func regionOf(h *harness, n topology.NodeID) int { return h.m.cluster.Nodes[n].Region }

func TestFollowTheWorkloadMovesLeasesToTheDemand(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := noneTable(t, h)
	// All requests come through n5 (us-west1-b), 60 req/s.
	startDemand(h, tb, time.Second/60, func(sim.Time) topology.NodeID { return n5 })
	h.e.RunUntil(sim.At(3 * time.Minute))

	// Bound: stats must be 30 s old (MinLeaseTransferStatsDuration); then
	// the store's scanner reaches the replica within one pass: n1 and n7
	// hold 30 background + 6 kv replicas, visited one a second
	// (ScanInterval clamps 10min/36 to 1 s), so a pass takes 36 s; a store
	// moves at most one lease a second (min_lease_transfer_interval), and a
	// transfer commits within a cross-region consensus round (< 0.2 s).
	passes := len(h.m.scan.stores[n1].replicas)
	require.Equal(t, 36, passes)
	bound := 30*time.Second + time.Duration(passes)*time.Second + time.Second + 200*time.Millisecond
	mv := moves(h)
	for _, ev := range mv {
		assert.Equal(t, n4, ev.To, "leases move to the us-west1 voter")
		assert.Equal(t, "follow-the-workload", ev.Reason)
		assert.GreaterOrEqual(t, ev.At, sim.At(30*time.Second), "not before the stats are 30 s old")
		assert.LessOrEqual(t, ev.At, sim.At(bound), "within one scanner pass after 30 s")
	}
	assert.Len(t, mv, 4, "the 4 leases outside us-west1 move, once each")
	for _, r := range kvRanges(h) {
		assert.Equal(t, n4, r.Leaseholder)
	}
	assert.Len(t, h.m.Leases(), bgRanges+6+4, "idle background leases stay put")
}

func TestFollowTheWorkloadBalancedDemandDoesNotThrash(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := noneTable(t, h)
	gws := []topology.NodeID{n2, n5, n8}
	i := 0
	startDemand(h, tb, time.Second/30, func(sim.Time) topology.NodeID { i++; return gws[i%3] })
	h.e.RunUntil(sim.At(time.Hour))
	assert.Len(t, h.m.Leases(), bgRanges+6, "balanced demand and balanced leases: no transfers in an hour")
}

func TestFollowTheWorkloadFollowsShiftingDemand(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := noneTable(t, h)
	// Demand moves every 8 hours: us-east1, then us-west1, then
	// europe-west1 (gateways n2, n5, n8).
	gws := []topology.NodeID{n2, n5, n8}
	startDemand(h, tb, time.Second/2, func(now sim.Time) topology.NodeID {
		return gws[int(now.Sub(0)/(8*time.Hour))%3]
	})
	for shift, want := range []int{regionA, regionB, regionC} {
		h.e.RunUntil(sim.At(time.Duration(shift+1)*8*time.Hour - time.Minute))
		for _, r := range kvRanges(h) {
			assert.Equal(t, want, regionOf(h, r.Leaseholder), "shift %d: range %d's lease follows the demand", shift, r.ID)
		}
	}
	// Each shift moves the leases that are elsewhere, once: no thrashing.
	assert.Len(t, moves(h), 4+6+6)
}

func TestMultiRegionLeasesStayHome(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	// REGION survival, homed in us-east1 (A:2, B:2, C:1): lease preference
	// [us-east1]. All demand comes from us-west1, which holds two voters.
	l := layout([]topology.NodeID{n1, n2, n4, n5, n7}, nil, n1, false, "")
	l.LeasePreferences = []int{regionA}
	l.Home = regionA
	var layouts []placement.RangeLayout
	for range 6 {
		layouts = append(layouts, l)
	}
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: layouts, Rows: 600})
	startDemand(h, tb, time.Second/60, func(sim.Time) topology.NodeID { return n5 })
	h.e.RunUntil(sim.At(10 * time.Minute))
	for _, ev := range h.m.Leases() {
		require.Equal(t, regionA, regionOf(h, ev.To), "lease of range %d moved out of its home region: %+v", ev.Range, ev)
	}
}

func TestMeanLeasesOverCandidateStores(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	// Leases: n1 holds 2 (the ZONE ranges), n4 holds 1 (the spread range).
	zone := layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n1, false, "")
	spread := layout([]topology.NodeID{n1, n4, n7}, nil, n4, false, "")
	h.table(TableDef{Name: "z", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zone, zone}, Rows: 10})
	h.table(TableDef{Name: "s", Locality: placement.LocalityNone, Layouts: []placement.RangeLayout{spread}, Rows: 10})
	rs := h.m.Ranges()
	// All voters in us-east1: the mean over its 3 stores, 2 leases / 3.
	assert.InDelta(t, 2.0/3, h.m.meanLeases(&rs[0]), 1e-12)
	// Voters in every region: the mean over all 9 stores, 3 leases / 9.
	assert.InDelta(t, 3.0/9, h.m.meanLeases(&rs[2]), 1e-12)
}
