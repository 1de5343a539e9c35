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

// safetyRun drives random requests through random crashes and partitions
// (some one way) and checks, at every applied write, that the node that
// acknowledges it holds the lease it was proposed under and that a quorum
// of distinct voters appended it. It returns the number of applied writes.
func safetyRun(t *testing.T, version string, survival placement.Survival, seed uint64) int {
	cfg := topology.DefaultConfig()
	c, err := topology.Build(cfg)
	require.NoError(t, err)
	rc := DefaultConfig()
	rc.Version = version
	sink := &countSink{done: map[int64]int{}}
	e := sim.NewEngine()
	m, err := New(e, c, rc, seed, sink)
	require.NoError(t, err)
	db := placement.DefaultDatabase("us-east1", "us-west1", "europe-west1")
	db.Survival = survival
	r := sim.NewRand(seed, sim.StreamID("placement", 0))
	load := placement.NewLoad(c)
	for _, ts := range []placement.TableSpec{
		{Name: "rbt", Locality: placement.LocalityRegionalByTable, Ranges: 3},
		{Name: "none", Locality: placement.LocalityNone, Ranges: 3},
		{Name: "global", Locality: placement.LocalityGlobal, Ranges: 1},
	} {
		layouts, err := placement.PlaceTable(c, db, ts, r, load)
		require.NoError(t, err)
		_, err = m.AddTable(TableDef{Name: ts.Name, Locality: ts.Locality, Layouts: layouts, Rows: 100})
		require.NoError(t, err)
	}
	fr := sim.NewRand(seed, 99)
	for i := 0; i < 8; i++ {
		f := Fault{Name: fmt.Sprint(i), At: time.Duration(2+fr.IntN(40)) * time.Second, For: time.Duration(1+fr.IntN(20)) * time.Second}
		if fr.IntN(2) == 0 {
			// A node cut off from some or all of the others.
			f.A = []topology.NodeID{topology.NodeID(fr.IntN(9))}
			for n := range 9 {
				if topology.NodeID(n) != f.A[0] && fr.IntN(3) > 0 {
					f.B = append(f.B, topology.NodeID(n))
				}
			}
			f.OneWay = fr.IntN(4) == 0
			if len(f.B) == 0 {
				continue
			}
		} else {
			f.Crash = []topology.NodeID{topology.NodeID(fr.IntN(9))}
		}
		require.NoError(t, m.AddFault(f))
	}
	applied := 0
	m.CheckInvariants()
	check := m.onCommit
	m.onCommit = func(r *Range, p *partState) {
		applied++
		check(r, p)
	}
	d := &driver{m: m, e: e, r: sim.NewRand(seed, 5), tables: len(m.tables), nodes: 9, limit: 20000, gap: 2 * time.Millisecond}
	d.id = e.Register(d)
	e.Schedule(sim.At(time.Second), d.id, 0, 0)
	e.RunUntil(sim.At(300 * time.Second))
	require.Equal(t, int(d.limit), sink.n, "every request ends")
	for tag := int64(1); tag <= d.limit; tag++ {
		require.Equal(t, 1, sink.done[tag], "request %d ends exactly once", tag)
	}
	assert.Equal(t, int(m.parts.len()), m.freeParts.len(), "no part is left behind")
	require.NoError(t, m.Audit())
	return applied
}

// TestAcknowledgedWritesOnlyByTheirLeaseholder: after a partition heals,
// a deposed leaseholder's pending proposals must not commit (followers that
// know a newer term reject its appends; the proposal is rejected at apply
// if the lease changed), and the requests retry at the current leaseholder.
func TestAcknowledgedWritesOnlyByTheirLeaseholder(t *testing.T) {
	for _, version := range []string{"23.1", "25.2"} {
		for _, survival := range []placement.Survival{placement.SurvivalZone, placement.SurvivalRegion} {
			for seed := uint64(1); seed <= 15; seed++ {
				applied := safetyRun(t, version, survival, seed)
				require.Greater(t, applied, 1000)
			}
		}
	}
}
