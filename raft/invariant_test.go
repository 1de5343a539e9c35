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

// countSink counts completions per tag.
type countSink struct {
	done map[int64]int
	n    int
	last Path // the critical path of the request Complete hears of next
}

// The test sinks keep paths: a signature that drifted from PathSink's would
// silently turn paths off (New finds the ability by type assertion).
var (
	_ PathSink = (*countSink)(nil)
	_ PathSink = (*recorder)(nil)
)

// Path keeps the request's critical path for Complete to check.
func (c *countSink) Path(_ int64, p *Path) { c.last = *p }

func (c *countSink) Complete(tag int64, _ RangeID, start, end sim.Time, _ Outcome) {
	checkPathSum(tag, c.last, start, end)
	if c.done != nil {
		c.done[tag]++
	}
	c.n++
}

// driver submits random requests of every op to every table.
type driver struct {
	m      *Model
	e      *sim.Engine
	id     sim.HandlerID
	r      interface{ IntN(int) int }
	tables int
	nodes  int
	sent   int64
	limit  int64
	gap    time.Duration
	// keys > 0 makes the requests keyed, on that many keys (latch.go).
	keys int
}

func (d *driver) Handle(*sim.Event) {
	d.sent++
	req := Request{
		Op: Op(d.r.IntN(int(numOps))), Table: TableID(d.r.IntN(d.tables)),
		Gateway: topology.NodeID(d.r.IntN(d.nodes)), Region: d.r.IntN(3),
		Range: d.r.IntN(10), Key: d.r.IntN(1000),
	}
	if d.keys > 0 {
		req.Keyed, req.Key = true, d.r.IntN(d.keys)
	}
	d.m.Submit(req, d.sent)
	if d.sent < d.limit {
		d.e.After(d.gap, d.id, 0, 0)
	}
}

func jitteryModel(t testing.TB, sink Sink, survival placement.Survival) *Model {
	return jitteryModelSeed(t, sink, survival, 7)
}

// jitteryModelSeed is jitteryModel with the model's seed.
func jitteryModelSeed(t testing.TB, sink Sink, survival placement.Survival, seed uint64) *Model {
	cfg := topology.DefaultConfig() // lognormal jitter
	c, err := topology.Build(cfg)
	require.NoError(t, err)
	e := sim.NewEngine()
	m, err := New(e, c, DefaultConfig(), seed, sink)
	require.NoError(t, err)
	db := placement.DefaultDatabase("us-east1", "us-west1", "europe-west1")
	db.Survival = survival
	r := sim.NewRand(7, sim.StreamID("placement", 0))
	load := placement.NewLoad(c)
	for _, ts := range []placement.TableSpec{
		{Name: "rbt", Locality: placement.LocalityRegionalByTable, Ranges: 4},
		{Name: "rbt-west", Locality: placement.LocalityRegionalByTable, HomeRegion: "us-west1", Ranges: 3},
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
	return m
}

func TestEveryRequestCompletesOnceAndStateDrains(t *testing.T) {
	for _, tc := range []struct {
		survival placement.Survival
		keys     int
		// vcpus > 0 saturates the nodes (10,000 requests/s against about
		// 2,000 evaluations/s per node) and timeout sheds what would
		// wait past it: CPU-queue shedding meets latches and intents.
		vcpus   int
		timeout time.Duration
		// seed is the model's; seeds 1 and 6 shed a transaction's part
		// served at its gateway as the transaction starts, which freed
		// the request while its other parts went on (startPart).
		seed uint64
	}{
		{placement.SurvivalZone, 0, 0, 0, 7}, {placement.SurvivalRegion, 0, 0, 0, 7},
		{placement.SurvivalZone, 30, 0, 0, 7}, {placement.SurvivalRegion, 300, 0, 0, 7},
		{placement.SurvivalZone, 30, 1, 5 * time.Millisecond, 7},
		{placement.SurvivalRegion, 0, 1, 20 * time.Millisecond, 7},
		{placement.SurvivalRegion, 0, 1, 20 * time.Millisecond, 1},
		{placement.SurvivalRegion, 0, 1, 20 * time.Millisecond, 6},
	} {
		survival := tc.survival
		sink := &countSink{done: map[int64]int{}}
		m := jitteryModelSeed(t, sink, survival, tc.seed)
		if tc.vcpus > 0 {
			m.cfg.ClientTimeout = tc.timeout
			for i := range m.cluster.Nodes {
				m.cluster.Nodes[i].VCPUs = tc.vcpus
			}
			m.q = newQueues(m.cluster)
		}
		d := &driver{m: m, e: m.eng, r: sim.NewRand(3, 3), tables: len(m.tables), nodes: 9, limit: 20000, gap: 100 * time.Microsecond, keys: tc.keys}
		d.id = m.eng.Register(d)
		m.eng.Schedule(sim.At(5*time.Second), d.id, 0, 0)
		m.eng.RunUntil(sim.At(30 * time.Second))
		require.Equal(t, d.limit, d.sent)
		assert.Equal(t, int(d.limit), sink.n, "%v: every request completes", survival)
		for tag := int64(1); tag <= d.limit; tag++ {
			if !assert.Equal(t, 1, sink.done[tag], "%v: request %d completes exactly once", survival, tag) {
				break
			}
		}
		assert.Equal(t, int(m.reqs.len()), m.freeReqs.len(), "%v: every request slot is free again", survival)
		assert.Equal(t, int(m.parts.len()), m.freeParts.len(), "%v: every part slot is free again", survival)
		seen := map[partID]bool{}
		for p := range m.freeParts.all() {
			assert.False(t, seen[p], "part %d freed twice", p)
			seen[p] = true
		}
		assert.Zero(t, m.latches.active(), "%v, %d keys: no latch or intent is left", survival, tc.keys)
		if tc.vcpus > 0 {
			shed := 0
			for _, l := range m.NodeLoad() {
				for _, k := range l.TimedOut {
					shed += int(k)
				}
			}
			assert.Positive(t, shed, "%v, %d keys: the CPU queues shed requests", survival, tc.keys)
		}
	}
}

func TestServingAllocatesNothing(t *testing.T) {
	sink := &countSink{}
	m := jitteryModel(t, sink, placement.SurvivalRegion)
	d := &driver{m: m, e: m.eng, r: sim.NewRand(3, 3), tables: len(m.tables), nodes: 9, limit: 1 << 62, gap: 100 * time.Microsecond}
	d.id = m.eng.Register(d)
	m.eng.Schedule(sim.At(5*time.Second), d.id, 0, 0)
	m.eng.RunUntil(sim.At(15 * time.Second)) // grow the slabs
	allocs := testing.AllocsPerRun(100000, func() { m.eng.Step() })
	assert.Zero(t, allocs)
}

// TestKeyedServingAllocatesNothing: with latches and intents on 3000 keys
// (about one in ten writes queues), serving still allocates nothing once
// the slabs and the latch table have grown.
func TestKeyedServingAllocatesNothing(t *testing.T) {
	sink := &countSink{}
	m := jitteryModel(t, sink, placement.SurvivalZone)
	d := &driver{m: m, e: m.eng, r: sim.NewRand(3, 3), tables: len(m.tables), nodes: 9, limit: 1 << 62, gap: 100 * time.Microsecond, keys: 3000}
	d.id = m.eng.Register(d)
	m.eng.Schedule(sim.At(5*time.Second), d.id, 0, 0)
	m.eng.RunUntil(sim.At(15 * time.Second))
	allocs := testing.AllocsPerRun(100000, func() { m.eng.Step() })
	assert.Zero(t, allocs)
	assert.Positive(t, m.latches.active(), "keys are in contention")
}

// BenchmarkModel measures simulated requests per wall second for a random
// mix of ops over all localities (REGION survival, lognormal jitter);
// keyed: the same on 3000 keys, with latches and intents.
func BenchmarkModel(b *testing.B) {
	b.Run("unkeyed", func(b *testing.B) { benchmarkModel(b, 0) })
	b.Run("keyed", func(b *testing.B) { benchmarkModel(b, 3000) })
}

func benchmarkModel(b *testing.B, keys int) {
	sink := &countSink{}
	m := jitteryModel(b, sink, placement.SurvivalRegion)
	d := &driver{m: m, e: m.eng, r: sim.NewRand(3, 3), tables: len(m.tables), nodes: 9, limit: 1 << 62, gap: 100 * time.Microsecond, keys: keys}
	d.id = m.eng.Register(d)
	m.eng.Schedule(0, d.id, 0, 0)
	m.eng.RunUntil(sim.At(2 * time.Second))
	b.ReportAllocs()
	b.ResetTimer()
	events0, done0 := m.eng.Events(), sink.n
	for i := 0; i < b.N; i++ {
		m.eng.Step()
	}
	b.ReportMetric(float64(m.eng.Events()-events0)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(sink.n-done0)/b.Elapsed().Seconds(), "sim-req/s")
}
