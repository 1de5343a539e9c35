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

// endSink keeps each request's end and outcome by tag.
type endSink struct {
	end map[int64]sim.Time
	ok  map[int64]bool
}

func (s *endSink) Complete(tag int64, _ RangeID, start, end sim.Time, o Outcome) {
	s.end[tag], s.ok[tag] = end, o == OK
}

// crnRun runs random requests of every op on every locality (REGION
// survival, lognormal jitter, 3 regions × 3 zones × 2 nodes) from 1 s to
// 40 s, with fault f if it is not nil, and returns every request's end.
func crnRun(t *testing.T, f *Fault) *endSink {
	cfg := topology.DefaultConfig()
	cfg.NodesPerZone = 2
	c, err := topology.Build(cfg)
	require.NoError(t, err)
	sink := &endSink{end: map[int64]sim.Time{}, ok: map[int64]bool{}}
	e := sim.NewEngine()
	m, err := New(e, c, DefaultConfig(), 11, sink)
	require.NoError(t, err)
	db := placement.DefaultDatabase("us-east1", "us-west1", "europe-west1")
	db.Survival = placement.SurvivalRegion
	r := sim.NewRand(11, sim.StreamID("placement", 0))
	load := placement.NewLoad(c)
	for _, ts := range []placement.TableSpec{
		{Name: "rbt", Locality: placement.LocalityRegionalByTable, Ranges: 4},
		{Name: "rbr", Locality: placement.LocalityRegionalByRow, Ranges: 9},
		{Name: "global", Locality: placement.LocalityGlobal, Ranges: 2},
		{Name: "none", Locality: placement.LocalityNone, Ranges: 3},
	} {
		layouts, err := placement.PlaceTable(c, db, ts, r, load)
		require.NoError(t, err)
		_, err = m.AddTable(TableDef{Name: ts.Name, Locality: ts.Locality, Layouts: layouts, Rows: 1000,
			UniqueChecks: true, LocalityOptimizedSearch: true})
		require.NoError(t, err)
	}
	if f != nil {
		require.NoError(t, m.AddFault(*f))
	}
	d := &driver{m: m, e: e, r: sim.NewRand(11, 5), tables: len(m.tables), nodes: len(c.Nodes), limit: 39000, gap: time.Millisecond}
	d.id = e.Register(d)
	e.Schedule(sim.At(time.Second), d.id, 0, 0)
	e.RunUntil(sim.At(200 * time.Second))
	require.Len(t, sink.end, int(d.limit), "every request ends")
	return sink
}

// TestCommonRandomNumbers: the failover component draws from its own
// stream and the request path's streams are per node, so a run with a
// fault matches the fault-free run request for request — same end instant,
// same outcome — for every request that completes before the fault starts.
func TestCommonRandomNumbers(t *testing.T) {
	const at = 30 * time.Second
	base := crnRun(t, nil)
	cfg := topology.DefaultConfig()
	cfg.NodesPerZone = 2
	c, err := topology.Build(cfg)
	require.NoError(t, err)
	zone := c.Zones[c.ZoneIndex("us-east1-a")].Nodes
	require.Len(t, zone, 2)
	faults := map[string]Fault{
		"node":   {Name: "node", At: at, For: 5 * time.Second, Crash: zone[:1]},
		"zone":   {Name: "zone us-east1-a", At: at, For: 5 * time.Second, Crash: zone},
		"region": {Name: "region us-east1", At: at, For: 5 * time.Second, Crash: c.RegionNodes(c.RegionIndex("us-east1"))},
	}
	for _, name := range []string{"node", "zone", "region"} {
		t.Run(name, func(t *testing.T) {
			f := faults[name]
			got := crnRun(t, &f)
			before, after, changed := 0, 0, 0
			for tag, end := range base.end {
				if end < sim.At(at) {
					before++
					if !assert.Equal(t, end, got.end[tag], "request %d end", tag) ||
						!assert.Equal(t, base.ok[tag], got.ok[tag], "request %d outcome", tag) {
						return
					}
					continue
				}
				after++
				if got.end[tag] != end || got.ok[tag] != base.ok[tag] {
					changed++
				}
			}
			for tag, end := range got.end {
				if end < sim.At(at) {
					require.Less(t, base.end[tag], sim.At(at), "request %d ends before the fault only with it", tag)
				}
			}
			assert.Greater(t, before, 25000, "requests completed before the fault")
			assert.Greater(t, changed, after/10, "the fault changes what follows it (%d of %d)", changed, after)
			t.Logf("%s: %d requests identical before the fault; %d of %d after it changed", name, before, changed, after)
		})
	}
}
