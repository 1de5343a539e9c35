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

// The hand-computed tests below run on the crdb-demo matrix without jitter:
// us-east1 (A: n1–n3), us-west1 (B: n4–n6), europe-west1 (C: n7–n9), one
// node per zone, one-way delays A–B 33 ms, A–C 32 ms, B–C 73 ms; between
// zones of a region 1 ms one way; a client sits in its gateway's zone,
// 0.2 ms one way away. Evaluation takes 0.3 ms and a log append 0.5 ms.
const (
	cHop    = 0.2 // client <-> gateway, one way
	zoneOW  = 1.0 // between zones of one region, one way
	svc     = 0.3
	fsyncMs = 0.5
)

// Node ids (0-based) of the test cluster.
const (
	n1 topology.NodeID = iota
	n2
	n3
	n4
	n5
	n6
	n7
	n8
	n9
)

const (
	regionA = 0
	regionB = 1
	regionC = 2
)

func testCluster(t *testing.T, rtt string) *topology.Cluster {
	t.Helper()
	return buildTestCluster(t, testClusterConfig(rtt))
}

// testClusterConfig is the topology of the hand-computed tests (above) on
// matrix rtt, for a test that changes something else of it first.
func testClusterConfig(rtt string) topology.Config {
	cfg := topology.DefaultConfig()
	cfg.RTT = rtt
	cfg.Jitter = topology.JitterNone
	cfg.InterZoneRTT = 2 * time.Millisecond
	cfg.IntraZoneRTT = 400 * time.Microsecond
	cfg.ServiceTime = 300 * time.Microsecond
	cfg.Fsync = 500 * time.Microsecond
	return cfg
}

// buildTestCluster builds cfg, a testClusterConfig: 9 nodes.
func buildTestCluster(t *testing.T, cfg topology.Config) *topology.Cluster {
	t.Helper()
	c, err := topology.Build(cfg)
	require.NoError(t, err)
	require.Len(t, c.Nodes, 9)
	return c
}

// recorder is a Sink that keeps every completion.
type recorder struct {
	served     map[int64]served    // tag -> statement time and read timestamp
	lat        map[int64][]float64 // tag -> latencies in ms
	outcome    map[int64]Outcome   // tag -> outcome of its last completion
	ok         map[int64][]bool
	n          int
	onComplete func(tag int64, start, end sim.Time, ok bool)
	// paths holds each tag's last critical path (Path comes just before
	// Complete, which checks that it sums to the latency).
	paths map[int64]Path
	last  Path
}

// served is what a StalenessSink hears of a stale or bounded read.
type served struct{ stmt, readTS sim.Time }

func (r *recorder) Served(tag int64, stmt, readTS sim.Time) {
	if r.served == nil {
		r.served = map[int64]served{}
	}
	r.served[tag] = served{stmt, readTS}
}

func (r *recorder) Complete(tag int64, _ RangeID, start, end sim.Time, o Outcome) {
	checkPathSum(tag, r.last, start, end)
	ok := o == OK
	if r.outcome == nil {
		r.outcome = map[int64]Outcome{}
	}
	r.outcome[tag] = o
	r.lat[tag] = append(r.lat[tag], end.Sub(start).Seconds()*1000)
	r.ok[tag] = append(r.ok[tag], ok)
	r.n++
	if r.onComplete != nil {
		r.onComplete(tag, start, end, ok)
	}
}

type harness struct {
	t      *testing.T
	e      *sim.Engine
	m      *Model
	rec    *recorder
	tag    int64
	probes map[int64]*probe
}

func newHarness(t *testing.T, rtt string, cfg Config) *harness {
	return newHarnessOn(t, testCluster(t, rtt), cfg)
}

// newHarnessOn is newHarness on cluster c.
func newHarnessOn(t *testing.T, c *topology.Cluster, cfg Config) *harness {
	e := sim.NewEngine()
	rec := &recorder{lat: map[int64][]float64{}, ok: map[int64][]bool{}}
	m, err := New(e, c, cfg, 1, rec)
	require.NoError(t, err)
	return &harness{t: t, e: e, m: m, rec: rec}
}

func layout(voters, nonVoters []topology.NodeID, lh topology.NodeID, global bool, partition string) placement.RangeLayout {
	return placement.RangeLayout{Partition: partition, Layout: placement.Layout{
		Voters: voters, NonVoters: nonVoters, Leaseholder: lh, GlobalReads: global,
	}}
}

func (h *harness) table(d TableDef) TableID {
	id, err := h.m.AddTable(d)
	require.NoError(h.t, err)
	return id
}

// at submits req at simulated time t (seconds) and returns its tag.
func (h *harness) at(ts float64, req Request) int64 {
	h.tag++
	tag := h.tag
	when := sim.At(time.Duration(ts * float64(time.Second)))
	h.e.Schedule(when, h.e.Register(sim.HandlerFunc(func(*sim.Event) { h.m.Submit(req, tag) })), 0, 0)
	return tag
}

// latency runs the simulation to its end and returns the single latency
// recorded for tag, in ms.
func (h *harness) latency(tag int64) float64 {
	h.e.RunUntil(sim.At(60 * time.Second))
	require.Len(h.t, h.rec.lat[tag], 1, "tag %d completed once", tag)
	assert.True(h.t, h.rec.ok[tag][0])
	return h.rec.lat[tag][0]
}

// The §1.4 layouts, made explicit so the expected latencies are exact.
var (
	zoneLayoutA = layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n1, false, "")
	// REGION survival: A:2, B:2, C:1.
	regionLayoutA = layout([]topology.NodeID{n1, n2, n4, n5, n7}, nil, n1, false, "")
)

func TestRegionalByTableReadsAndWrites(t *testing.T) {
	// Quorum latency at the leaseholder n1:
	//   ZONE: 2 of {own fsync 0.5, n2 1+0.5+1, n3 1+0.5+1} = 2.5 ms.
	//   REGION: 3 of {0.5, n2 2.5, n4 33+0.5+33, n5 66.5, n7 32+0.5+32} = 64.5 ms:
	//   the RTT to the nearest other region holding a voter (C, 64 ms) + fsync.
	zoneQuorum := zoneOW + fsyncMs + zoneOW
	regionQuorum := 32 + fsyncMs + 32
	tests := []struct {
		name    string
		layout  placement.RangeLayout
		op      Op
		gateway topology.NodeID
		want    float64
	}{
		{"zone read, gateway is leaseholder", zoneLayoutA, OpRead, n1, cHop + svc + cHop},
		{"zone read, other zone of home region", zoneLayoutA, OpRead, n2, cHop + zoneOW + svc + zoneOW + cHop},
		{"zone read from us-west1", zoneLayoutA, OpRead, n4, cHop + 33 + svc + 33 + cHop},
		{"zone read from europe-west1", zoneLayoutA, OpRead, n7, cHop + 32 + svc + 32 + cHop},
		{"zone write from home", zoneLayoutA, OpWrite, n1, cHop + svc + zoneQuorum + cHop},
		{"zone write from us-west1", zoneLayoutA, OpWrite, n4, cHop + 33 + svc + zoneQuorum + 33 + cHop},
		{"zone write from europe-west1", zoneLayoutA, OpWrite, n7, cHop + 32 + svc + zoneQuorum + 32 + cHop},
		{"region read from home", regionLayoutA, OpRead, n1, cHop + svc + cHop},
		{"region read from us-west1", regionLayoutA, OpRead, n4, cHop + 33 + svc + 33 + cHop},
		{"region read from europe-west1", regionLayoutA, OpRead, n8, cHop + 32 + svc + 32 + cHop},
		{"region write from home", regionLayoutA, OpWrite, n1, cHop + svc + regionQuorum + cHop},
		{"region write from us-west1", regionLayoutA, OpWrite, n4, cHop + 33 + svc + regionQuorum + 33 + cHop},
		{"region write from europe-west1", regionLayoutA, OpWrite, n7, cHop + 32 + svc + regionQuorum + 32 + cHop},
		// With the 2 floating voters in C instead, the nearest other voter
		// region is still C: same write latency.
		{"region write, C holds 2 voters", layout([]topology.NodeID{n1, n2, n4, n7, n8}, nil, n1, false, ""), OpWrite, n1, cHop + svc + regionQuorum + cHop},
		// Homed in us-west1 (RBT IN us-west1), REGION survival: the nearest
		// other voter region from B is A (66 ms).
		{"region write homed in us-west1", layout([]topology.NodeID{n1, n4, n5, n7, n8}, nil, n4, false, ""), OpWrite, n4, cHop + svc + (33 + fsyncMs + 33) + cHop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "crdb-demo", DefaultConfig())
			tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{tt.layout}, Rows: 10})
			req := Request{Op: tt.op, Table: tb, Gateway: tt.gateway}
			assert.InDelta(t, tt.want, h.closedForm(req), 1e-6, "closed form")
			tag := h.at(10, req)
			assert.InDelta(t, tt.want, h.latency(tag), 1e-6)
		})
	}
}

func TestGlobalTable(t *testing.T) {
	global := layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n4, n7}, n1, true, "")
	zoneQuorum := zoneOW + fsyncMs + zoneOW
	tests := []struct {
		name      string
		maxOffset time.Duration
		op        Op
		gateway   topology.NodeID
		want      float64
	}{
		// Writes: timestamp = arrival at the leaseholder + lead; the gateway
		// commit-waits until its clock passes it: lead + OW(g->LH) + 2 client hops.
		{"write from home, 500ms offset", 500 * time.Millisecond, OpWrite, n1, cHop + 800 + cHop},
		{"write from us-west1, 500ms offset", 500 * time.Millisecond, OpWrite, n4, cHop + 33 + 800 + cHop},
		{"write from home, 250ms offset", 250 * time.Millisecond, OpWrite, n1, cHop + 550 + cHop},
		{"write from europe-west1, 250ms offset", 250 * time.Millisecond, OpWrite, n7, cHop + 32 + 550 + cHop},
		// Present-time reads are served by the nearest replica, voter or not.
		{"read from home", 500 * time.Millisecond, OpRead, n1, cHop + svc + cHop},
		{"read from us-west1 (non-voter)", 500 * time.Millisecond, OpRead, n4, cHop + svc + cHop},
		{"read from europe-west1, other zone", 500 * time.Millisecond, OpRead, n8, cHop + zoneOW + svc + zoneOW + cHop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.MaxOffset = tt.maxOffset
			h := newHarness(t, "crdb-demo", cfg)
			tb := h.table(TableDef{Name: "g", Locality: placement.LocalityGlobal, Layouts: []placement.RangeLayout{global}, Rows: 10})
			req := Request{Op: tt.op, Table: tb, Gateway: tt.gateway, Key: 3}
			assert.InDelta(t, tt.want, h.closedForm(req), 1e-6, "closed form")
			tag := h.at(10, req)
			assert.InDelta(t, tt.want, h.latency(tag), 1e-6)
		})
	}
	// The write commits well before its timestamp: the wait is what costs.
	assert.Less(t, cHop+33+svc+zoneQuorum+33+cHop, 800.0)
}

func TestGlobalReadWaitsOutUncertainFutureWrite(t *testing.T) {
	global := layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n4, n7}, n1, true, "")
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := h.table(TableDef{Name: "g", Locality: placement.LocalityGlobal, Layouts: []placement.RangeLayout{global}, Rows: 10})
	// Write to key 3 from n1 at 10 s: timestamp 10.0002 + 0.8 = 10.8002 s,
	// committed at the leaseholder at 10.0030 s.
	h.at(10, Request{Op: OpWrite, Table: tb, Gateway: n1, Key: 3})
	// Read of key 3 from n4 at 10.5 s: read_ts 10.5002 s; the write lies in
	// (read_ts, read_ts + 500 ms], so the reader waits until 10.8002 s, then
	// evaluates (0.3 ms) and replies (0.2 ms): 300.7 ms.
	same := h.at(10.5, Request{Op: OpRead, Table: tb, Gateway: n4, Key: 3})
	// A read of another key is not delayed.
	other := h.at(10.5, Request{Op: OpRead, Table: tb, Gateway: n4, Key: 4})
	// A read after the write's timestamp is not delayed either.
	after := h.at(10.9, Request{Op: OpRead, Table: tb, Gateway: n4, Key: 3})
	// A read whose uncertainty window ends before the write's timestamp
	// ignores it (read_ts 10.2002 + 0.5 < 10.8002).
	before := h.at(10.2, Request{Op: OpRead, Table: tb, Gateway: n4, Key: 3})
	// Wait from the read's start (10.5 s) to the write's timestamp
	// (10 s + cHop + 800 ms), then evaluate and reply.
	assert.InDelta(t, (cHop+800-500)+svc+cHop, h.latency(same), 1e-6)
	assert.InDelta(t, cHop+svc+cHop, h.latency(other), 1e-6)
	assert.InDelta(t, cHop+svc+cHop, h.latency(after), 1e-6)
	assert.InDelta(t, cHop+svc+cHop, h.latency(before), 1e-6)
}

func TestStaleReadsServedLocally(t *testing.T) {
	for _, op := range []Op{OpStaleRead, OpBoundedRead} {
		for _, gw := range []topology.NodeID{n1, n5, n9} {
			t.Run(fmt.Sprintf("%v from %v", op, gw), func(t *testing.T) {
				h := newHarness(t, "crdb-demo", DefaultConfig())
				tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
				req := Request{Op: op, Table: tb, Gateway: gw}
				tag := h.at(10, req)
				// n1 is the leaseholder, n5 and n9 hold the non-voters.
				assert.InDelta(t, cHop+svc+cHop, h.closedForm(req), 1e-6, "closed form")
				assert.InDelta(t, cHop+svc+cHop, h.latency(tag), 1e-6)
			})
		}
	}
}

func TestStaleReadForwardedWhenClosedTimestampLags(t *testing.T) {
	// Regions 1.5 s apart one way: a follower's closed timestamp is at most
	// now − 1.5 s − 3 s, older than follower_read_timestamp() (now − 4.2 s),
	// so the follower refuses and DistSender retries at the leaseholder.
	// A bounded-staleness read is still served locally.
	path := t.TempDir() + "/far.csv"
	require.NoError(t, writeFile(path, "a,b,3000\na,c,3000\nb,c,3000\n"))
	h := newHarness(t, path, DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	staleReq := Request{Op: OpStaleRead, Table: tb, Gateway: n5}
	boundedReq := Request{Op: OpBoundedRead, Table: tb, Gateway: n5}
	stale := h.at(10, staleReq)
	bounded := h.at(10, boundedReq)
	assert.InDelta(t, cHop+1500+svc+1500+cHop, h.closedForm(staleReq), 1e-6, "closed form")
	assert.InDelta(t, cHop+svc+cHop, h.closedForm(boundedReq), 1e-6, "closed form")
	assert.InDelta(t, cHop+1500+svc+1500+cHop, h.latency(stale), 1e-6)
	assert.InDelta(t, cHop+svc+cHop, h.latency(bounded), 1e-6)
}

func rbrLayouts() []placement.RangeLayout {
	// ZONE survival partitions: voters in their region, leaseholder in zone
	// a, a non-voter in each other region.
	return []placement.RangeLayout{
		layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n1, false, "us-east1"),
		layout([]topology.NodeID{n4, n5, n6}, []topology.NodeID{n2, n8}, n4, false, "us-west1"),
		layout([]topology.NodeID{n7, n8, n9}, []topology.NodeID{n3, n6}, n7, false, "europe-west1"),
	}
}

func TestRegionalByRow(t *testing.T) {
	zoneQuorum := zoneOW + fsyncMs + zoneOW
	tests := []struct {
		name    string
		los     bool
		checks  bool
		op      Op
		gateway topology.NodeID
		region  int
		want    float64
	}{
		{"local row, LOS", true, false, OpRead, n1, regionA, cHop + svc + cHop},
		// LOS miss: local probe (0.3 ms), then B (33+0.3+33) and C
		// (32+0.3+32) in parallel; the row lives in B, so B's answer wins.
		{"remote row in us-west1, LOS", true, false, OpRead, n1, regionB, cHop + svc + (33 + svc + 33) + cHop},
		{"remote row in europe-west1, LOS", true, false, OpRead, n1, regionC, cHop + svc + (32 + svc + 32) + cHop},
		{"remote row from us-west1, LOS", true, false, OpRead, n4, regionC, cHop + svc + (73 + svc + 73) + cHop},
		{"remote row, region in query", false, false, OpRead, n1, regionB, cHop + 33 + svc + 33 + cHop},
		{"local write", true, false, OpWrite, n1, regionA, cHop + svc + zoneQuorum + cHop},
		{"remote write", true, false, OpWrite, n1, regionC, cHop + 32 + svc + zoneQuorum + 32 + cHop},
		// Inserts are homed in the gateway's region; uniqueness checks read
		// every other partition first (B 66.3, C 64.3 in parallel).
		{"insert with uniqueness checks", true, true, OpInsert, n1, regionC, cHop + (33 + svc + 33) + svc + zoneQuorum + cHop},
		{"insert with checks from europe-west1", true, true, OpInsert, n7, regionA, cHop + (73 + svc + 73) + svc + zoneQuorum + cHop},
		{"insert, exempt key", true, false, OpInsert, n1, regionC, cHop + svc + zoneQuorum + cHop},
		{"stale read of a remote row", true, false, OpStaleRead, n9, regionA, cHop + svc + cHop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "crdb-demo", DefaultConfig())
			tb := h.table(TableDef{Name: "users", Locality: placement.LocalityRegionalByRow, Layouts: rbrLayouts(), Rows: 30,
				LocalityOptimizedSearch: tt.los, UniqueChecks: tt.checks})
			req := Request{Op: tt.op, Table: tb, Gateway: tt.gateway, Region: tt.region}
			assert.InDelta(t, tt.want, h.closedForm(req), 1e-6, "closed form")
			tag := h.at(10, req)
			assert.InDelta(t, tt.want, h.latency(tag), 1e-6)
		})
	}
}

func TestTxnParallelCommits(t *testing.T) {
	// Three ranges homed in us-east1 with leaseholders in zones a, b, c.
	layouts := []placement.RangeLayout{
		layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n1, false, ""),
		layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n2, false, ""),
		layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n3, false, ""),
	}
	zoneQuorum := zoneOW + fsyncMs + zoneOW
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: layouts, Rows: 30, TxnRanges: 3})
	homeReq := Request{Op: OpTxn, Table: tb, Gateway: n1}
	remoteReq := Request{Op: OpTxn, Table: tb, Gateway: n4}
	singleReq := Request{Op: OpWrite, Table: tb, Gateway: n1, Range: 1}
	assert.InDelta(t, cHop+(zoneOW+svc+zoneQuorum+zoneOW)+cHop, h.closedForm(homeReq), 1e-6, "closed form")
	assert.InDelta(t, cHop+(33+svc+zoneQuorum+33)+cHop, h.closedForm(remoteReq), 1e-6, "closed form")
	assert.InDelta(t, cHop+(zoneOW+svc+zoneQuorum+zoneOW)+cHop, h.closedForm(singleReq), 1e-6, "closed form")
	home := h.at(10, homeReq)
	remote := h.at(10, remoteReq)
	single := h.at(10, singleReq)
	// One consensus round per range, all in parallel: the slowest range
	// (leaseholder in another zone: 1 + 0.3 + 2.5 + 1) decides.
	assert.InDelta(t, cHop+(zoneOW+svc+zoneQuorum+zoneOW)+cHop, h.latency(home), 1e-6)
	assert.InDelta(t, cHop+(33+svc+zoneQuorum+33)+cHop, h.latency(remote), 1e-6)
	assert.InDelta(t, cHop+(zoneOW+svc+zoneQuorum+zoneOW)+cHop, h.latency(single), 1e-6)
}

func TestNonVotersDoNotCountTowardsQuorum(t *testing.T) {
	// Voters n1 (LH), n7, n8 and non-voters n2, n3 in the leaseholder's
	// region: the non-voters' fast acks must not commit the write; the
	// quorum is the leader + the nearer of n7/n8 (32+0.5+32).
	l := layout([]topology.NodeID{n1, n7, n8}, []topology.NodeID{n2, n3}, n1, false, "")
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityNone, Layouts: []placement.RangeLayout{l}, Rows: 10})
	req := Request{Op: OpWrite, Table: tb, Gateway: n1}
	assert.InDelta(t, cHop+svc+(32+fsyncMs+32)+cHop, h.closedForm(req), 1e-6, "closed form")
	tag := h.at(10, req)
	assert.InDelta(t, cHop+svc+(32+fsyncMs+32)+cHop, h.latency(tag), 1e-6)
}

func TestGlobalReadsLeadAndStaleness(t *testing.T) {
	cfg := DefaultConfig()
	assert.Equal(t, 800*time.Millisecond, cfg.GlobalReadsLead())
	assert.Equal(t, 4200*time.Millisecond, cfg.FollowerReadStaleness())
	cfg.MaxOffset = 250 * time.Millisecond
	assert.Equal(t, 550*time.Millisecond, cfg.GlobalReadsLead())
	cfg.SideTransportInterval = 50 * time.Millisecond
	cfg.MaxOffset = 500 * time.Millisecond
	assert.Equal(t, 770*time.Millisecond, cfg.GlobalReadsLead(), "raft-propagation dominated (policy_test)")
	cfg.GlobalReadsLeadOverride = 123 * time.Millisecond
	assert.Equal(t, 123*time.Millisecond, cfg.GlobalReadsLead())
}
