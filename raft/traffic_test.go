package raft

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// Wire sizes of the messages of one 256-byte write, spelled out term by
// term from the constants' definitions in traffic.go (every message fits
// one TCP segment, so it carries 52 bytes of TCP/IP headers and 14 of
// gRPC/HTTP/2 framing):
const (
	// MsgApp: RaftMessageRequest 32 + raftpb.Message 24 + Entry 14 +
	// command prefix 9 + RaftCommand 110 + Pebble batch header 12 + record
	// 4 + key 24 + MVCC suffix 10 + value header 5 + value 256.
	handMsgApp = 32 + 24 + 14 + 9 + 110 + 12 + 4 + 24 + 10 + 5 + 256 + 14 + 52 // 566
	// MsgAppResp: RaftMessageRequest 32 + raftpb.Message 24.
	handAck = 32 + 24 + 14 + 52 // 122
	// BatchRequest of a write: HEADERS 19 + kvpb.Header 160 + request
	// field 4 + key 24 + EndTxn 40 + value field 4 + value header 5 +
	// value 256.
	handBatchWrite = 19 + 160 + 4 + 24 + 40 + 4 + 5 + 256 + 14 + 52 // 578
	// Its BatchResponse: HEADERS and trailers 38 + response header 80.
	handReplyWrite = 38 + 80 + 14 + 52 // 184
)

// trafficHarness is a harness whose cluster's links between regions carry
// bandwidth (empty: unlimited).
func trafficHarness(t *testing.T, bandwidth string, cfg Config) *harness {
	t.Helper()
	tc := topology.DefaultConfig()
	tc.Jitter = topology.JitterNone
	tc.InterZoneRTT = 2 * time.Millisecond
	tc.IntraZoneRTT = 400 * time.Microsecond
	tc.ServiceTime = 300 * time.Microsecond
	tc.Fsync = 500 * time.Microsecond
	tc.Bandwidth = bandwidth
	c, err := topology.Build(tc)
	require.NoError(t, err)
	e := sim.NewEngine()
	rec := &recorder{lat: map[int64][]float64{}, ok: map[int64][]bool{}}
	m, err := New(e, c, cfg, 1, rec)
	require.NoError(t, err)
	return &harness{t: t, e: e, m: m, rec: rec}
}

// regionBytes sums kind k's bytes from region a to region b.
func regionBytes(m *Model, tr *Traffic, k MsgKind, a, b int) uint64 {
	var sum uint64
	for zf, f := range m.cluster.Zones {
		for zt, to := range m.cluster.Zones {
			if f.Region == a && to.Region == b {
				sum += tr.Bytes[k][zf*tr.Zones+zt]
			}
		}
	}
	return sum
}

func TestTrafficOfOneWrite(t *testing.T) {
	require.EqualValues(t, 566, handMsgApp)
	zoneLayout := zoneLayoutA                                                                // voters n1 n2 n3, non-voters n5 (B) n9 (C), LH n1
	regionLayout := regionLayoutA                                                            // voters n1 n2 (A), n4 n5 (B), n7 (C), LH n1
	global := layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n4, n7}, n1, true, "") // GLOBAL: as ZONE
	type pair struct{ a, b int }
	tests := []struct {
		name    string
		layout  placement.RangeLayout
		gateway topology.NodeID
		// raft and kv bytes per directed region pair; every other pair 0.
		raft, kv map[pair]uint64
		// copies is how many messages carrying the value cross regions.
		copies int
	}{
		{
			// MsgApp to the non-voters n5 and n9; their acks back. The acks
			// arrive after the write has replied (they are not waited for)
			// and are counted all the same.
			name: "ZONE, client in home region", layout: zoneLayout, gateway: n1,
			raft:   map[pair]uint64{{regionA, regionB}: handMsgApp, {regionB, regionA}: handAck, {regionA, regionC}: handMsgApp, {regionC, regionA}: handAck},
			copies: 2,
		},
		{
			name: "REGION, client in home region", layout: regionLayout, gateway: n1,
			raft:   map[pair]uint64{{regionA, regionB}: 2 * handMsgApp, {regionB, regionA}: 2 * handAck, {regionA, regionC}: handMsgApp, {regionC, regionA}: handAck},
			copies: 3,
		},
		{
			// The statement's BatchRequest crosses from B with the value.
			name: "REGION, client in us-west1", layout: regionLayout, gateway: n4,
			raft:   map[pair]uint64{{regionA, regionB}: 2 * handMsgApp, {regionB, regionA}: 2 * handAck, {regionA, regionC}: handMsgApp, {regionC, regionA}: handAck},
			kv:     map[pair]uint64{{regionB, regionA}: handBatchWrite, {regionA, regionB}: handReplyWrite},
			copies: 4,
		},
		{
			name: "ZONE, client in us-west1", layout: zoneLayout, gateway: n4,
			raft:   map[pair]uint64{{regionA, regionB}: handMsgApp, {regionB, regionA}: handAck, {regionA, regionC}: handMsgApp, {regionC, regionA}: handAck},
			kv:     map[pair]uint64{{regionB, regionA}: handBatchWrite, {regionA, regionB}: handReplyWrite},
			copies: 3,
		},
		{
			name: "GLOBAL, client in home region", layout: global, gateway: n1,
			raft:   map[pair]uint64{{regionA, regionB}: handMsgApp, {regionB, regionA}: handAck, {regionA, regionC}: handMsgApp, {regionC, regionA}: handAck},
			copies: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := trafficHarness(t, "", DefaultConfig())
			tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{tt.layout}, Rows: 10})
			tag := h.at(10, Request{Op: OpWrite, Table: tb, Gateway: tt.gateway, ValueBytes: 256})
			h.latency(tag)
			tr := h.m.Traffic()
			copies := 0
			for a := range 3 {
				for b := range 3 {
					if a == b {
						continue
					}
					assert.Equal(t, tt.raft[pair{a, b}], regionBytes(h.m, &tr, MsgRaft, a, b), "raft %d->%d", a, b)
					assert.Equal(t, tt.kv[pair{a, b}], regionBytes(h.m, &tr, MsgBatch, a, b), "kv %d->%d", a, b)
					assert.Zero(t, regionBytes(h.m, &tr, MsgClient, a, b), "client %d->%d", a, b)
					copies += int(regionBytes(h.m, &tr, MsgRaft, a, b) / handMsgApp)
					copies += int(regionBytes(h.m, &tr, MsgBatch, a, b) / handBatchWrite)
				}
			}
			assert.Equal(t, tt.copies, copies)
			// Inside the home region: MsgApp to the other home voters and
			// their acks, one pair per other AZ holding one.
			homeVoters := 0
			for _, v := range tt.layout.Voters {
				if v != n1 && h.m.cluster.Nodes[v].Region == regionA {
					homeVoters++
				}
			}
			assert.EqualValues(t, homeVoters*(handMsgApp+handAck), regionBytes(h.m, &tr, MsgRaft, regionA, regionA))
			// The client's statement (76 bytes of Bind/Execute/Sync, the
			// value's parameter 4 + 256, TCP/IP 52) and its result (27 +
			// 52) stay in the gateway's zone.
			z := h.m.cluster.Nodes[tt.gateway].Zone
			assert.EqualValues(t, 76+4+256+52+27+52, tr.Bytes[MsgClient][z*tr.Zones+z])
		})
	}
}

func TestTrafficOfOneRead(t *testing.T) {
	// A consistent read from us-west1 of the ZONE layout: the BatchRequest
	// (19 + 160 + 4 + 24, framing 66) goes to n1, the response (38 + 80,
	// value header 5 and value 256, framing 66) comes back.
	h := trafficHarness(t, "", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.latency(h.at(10, Request{Op: OpRead, Table: tb, Gateway: n4, ValueBytes: 256}))
	tr := h.m.Traffic()
	assert.EqualValues(t, 19+160+4+24+66, regionBytes(h.m, &tr, MsgBatch, regionB, regionA))
	assert.EqualValues(t, 38+80+5+256+66, regionBytes(h.m, &tr, MsgBatch, regionA, regionB))
	assert.Zero(t, regionBytes(h.m, &tr, MsgRaft, regionA, regionB))
}

func TestClosedTimestampTraffic(t *testing.T) {
	// Every node publishes every 200 ms to every other node, from a phase
	// in [0, 200 ms): 50 publications each in [0, 10 s). From A's 3 nodes
	// to B's 3 nodes: 3 × 3 × 50 messages of 48 + 14 + 52 = 114 bytes.
	h := trafficHarness(t, "", DefaultConfig())
	h.e.RunUntil(sim.At(10*time.Second) - 1)
	tr := h.m.Traffic()
	assert.EqualValues(t, 3*3*50*114, regionBytes(h.m, &tr, MsgClosedTS, regionA, regionB))
	// Inside region A: 3 × 2 ordered pairs of nodes.
	assert.EqualValues(t, 3*2*50*114, regionBytes(h.m, &tr, MsgClosedTS, regionA, regionA))
}

func TestBandwidthSerialisesALink(t *testing.T) {
	// Links between regions at 1 Mbps = 125,000 bytes/s: a message of b
	// bytes takes b/125 ms to send. A 256-byte write from us-west1 (n4) to
	// the ZONE layout homed in A:
	//   client hop 0.2; the BatchRequest (578 B) is sent in 4.624 ms and
	//   takes 33 ms; evaluation 0.3 ms. At the end of evaluation (t0) n1
	//   sends MsgApp to n5 in B (566 B): the link A->B is busy until
	//   t0 + 4.528. The write commits at t0 + 2.5 (zone quorum) and its
	//   reply (184 B, 1.472 ms) queues behind the MsgApp: it leaves at
	//   t0 + 4.528 + 1.472 = t0 + 6.0, takes 33 ms, then the client hop.
	cfg := DefaultConfig()
	// Publications once a minute, from phases the test avoids.
	cfg.SideTransportInterval = time.Minute
	h := trafficHarness(t, "1Mbps", cfg)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	at := quietSecond(h)
	tag := h.at(at, Request{Op: OpWrite, Table: tb, Gateway: n4, ValueBytes: 256})
	want := cHop + 578.0/125 + 33 + svc + 566.0/125 + 184.0/125 + 33 + cHop
	assert.InDelta(t, 77.324, want, 1e-9)
	h.e.RunUntil(sim.At(70 * time.Second))
	require.Len(t, h.rec.lat[tag], 1)
	assert.InDelta(t, want, h.rec.lat[tag][0], 1e-6)

	// The same write on unlimited links: no transmission time, the reply
	// leaves at commit.
	h2 := trafficHarness(t, "", cfg)
	tb2 := h2.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	tag2 := h2.at(at, Request{Op: OpWrite, Table: tb2, Gateway: n4, ValueBytes: 256})
	h2.e.RunUntil(sim.At(70 * time.Second))
	assert.InDelta(t, cHop+33+svc+(zoneOW+fsyncMs+zoneOW)+33+cHop, h2.rec.lat[tag2][0], 1e-6)
}

// quietSecond returns a time in seconds at which no side-transport
// publication happens for the next 2 s: the middle of the widest gap
// between the nodes' first publications (interval one minute).
func quietSecond(h *harness) float64 {
	ph := slices.Clone(h.m.closed.phase)
	slices.Sort(ph)
	ph = append(ph, ph[0].Add(time.Minute))
	best, at := time.Duration(0), sim.Time(0)
	for i := 1; i < len(ph); i++ {
		if g := ph[i].Sub(ph[i-1]); g > best {
			best, at = g, ph[i-1]
		}
	}
	require.Greater(h.t, best, 4*time.Second)
	return at.Add(time.Second).Sub(0).Seconds()
}

func TestSnapshotTime(t *testing.T) {
	// A 10 MiB range: 10,485,760 bytes in ⌈10485760 / 1448⌉ = 7242
	// segments of 52 header bytes, plus one gRPC frame (14 + 52): 10,862,410
	// bytes on the wire.
	const wire = 10485760 + 7242*52 + 14 + 52
	tests := []struct {
		name      string
		bandwidth string
		want      time.Duration
	}{
		// Paced at kv.snapshot_rebalance.max_rate, 32 MiB/s: 0.3125 s.
		{"unlimited link", "", 312500 * time.Microsecond},
		// A 1 Gbps link (125 MB/s) is faster than the pacing: still 0.3125 s.
		{"1Gbps", "1Gbps", 312500 * time.Microsecond},
		// 1 Mbps: the link decides, wire / 125,000 B/s = 86.89928 s.
		{"1Mbps", "1Mbps", 86899280 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := trafficHarness(t, tt.bandwidth, DefaultConfig())
			tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10, RangeBytes: 10 << 20})
			r := &h.m.ranges[h.m.tables[tb].Ranges[0]]
			assert.Equal(t, tt.want, h.m.snapshot(r, n4))
			tr := h.m.Traffic()
			assert.EqualValues(t, wire, regionBytes(h.m, &tr, MsgSnapshot, regionA, regionB))
			if tt.bandwidth == "1Mbps" {
				// A message sent after it waits for the snapshot to leave.
				assert.Equal(t, tt.want+time.Duration(114*8000), h.m.transmit(regionA, regionB, 114))
			}
		})
	}
}

func TestDefaultRangeSnapshotKeepsTwoSeconds(t *testing.T) {
	// 64 MiB at 32 MiB/s: the 2 s regionsim used before range sizes.
	h := trafficHarness(t, "", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	r := &h.m.ranges[h.m.tables[tb].Ranges[0]]
	assert.Equal(t, 2*time.Second, h.m.snapshot(r, n4))
}

func TestTrafficAndBandwidthAllocateNothing(t *testing.T) {
	// Writes from us-west1 over 1 Gbps links: once the slabs have grown,
	// counting bytes and queueing on the links allocates nothing.
	h := trafficHarness(t, "1Gbps", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{regionLayoutA}, Rows: 10})
	req := Request{Op: OpWrite, Table: tb, Gateway: n4, ValueBytes: 256}
	step := func() {
		h.m.Submit(req, 1)
		h.e.RunUntil(h.e.Now().Add(300 * time.Millisecond))
	}
	for range 50 {
		step()
	}
	assert.Zero(t, testing.AllocsPerRun(100, step))
}

func TestLargeValueTakesTransmissionTime(t *testing.T) {
	// A 1 MiB write on the REGION layout (voters n1 n2 | n4 n5 | n7, LH
	// n1) over 100 Mbps links (12.5 MB/s). MsgApp: 1,048,820 bytes of
	// payload (the 566-byte message's terms with the value 1,048,576),
	// + 14 framing = 1,048,834 in ⌈1048834 / 1448⌉ = 725 segments of 52
	// header bytes: 1,086,534 bytes, sent in 86.92272 ms. n7's is alone on
	// A->C; n4's and n5's share A->B (n5's waits for n4's). Quorum is the
	// third durable append: own 0.5, n2 2.5, then n7 at
	// 32 + 86.92272 + 0.5 + 32 + 122 B / 12.5 MB/s (0.00976 ms).
	cfg := DefaultConfig()
	cfg.SideTransportInterval = time.Minute
	h := trafficHarness(t, "100Mbps", cfg)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{regionLayoutA}, Rows: 10})
	at := quietSecond(h)
	tag := h.at(at, Request{Op: OpWrite, Table: tb, Gateway: n1, ValueBytes: 1 << 20})
	tx := 1086534.0 / 12.5e3 // ms
	require.InDelta(t, 86.92272, tx, 1e-9)
	want := cHop + svc + (32 + tx + fsyncMs + 32 + 122.0/12.5e3) + cHop
	h.e.RunUntil(sim.At(70 * time.Second))
	require.Len(t, h.rec.lat[tag], 1)
	assert.InDelta(t, want, h.rec.lat[tag][0], 1e-6)
}

// TestMarkIn checks, by hand, which spans a traffic mark separates: marks
// at 10 s, then every 2 s to 15 s, and 15 s itself (10, 12, 14, 15).
func TestMarkIn(t *testing.T) {
	m := &Model{}
	s := func(v float64) sim.Time { return sim.Time(v * float64(time.Second)) }
	assert.True(t, m.markIn(s(1), s(1.1)), "no marks set: every span may be read")
	m.SetTrafficMarks(s(10), 2*time.Second, s(15))
	for _, c := range []struct {
		a, b float64
		want bool
	}{
		{1, 9.999, false},     // before the first mark
		{9.5, 10, false},      // ends at the mark: counted at 10 either way, before its read
		{9.5, 10.001, true},   // 10 is read between the two
		{10, 10.5, true},      // sent after the read at 10, counted before it
		{10.001, 11.9, false}, // between 10 and 12
		{12.5, 14, false},
		{13.9, 14.2, true},
		{14.2, 15, false},
		{14.2, 15.1, true}, // the end
		{15, 15.3, true},
		{15.001, 40, false}, // after the end: never read
		{11, 100, true},
	} {
		assert.Equal(t, c.want, m.markIn(s(c.a), s(c.b)), "[%v, %v)", c.a, c.b)
	}
}

// TestMarkBeforeIsMarkInFromNow checks the cursor of markBefore against
// markIn over a clock that only advances: an end on a mark and off one, a
// single mark (first = end), an interval longer than the span, marks set
// again mid-run, and b before, at and after marks.
func TestMarkBeforeIsMarkInFromNow(t *testing.T) {
	s := func(v float64) sim.Time { return sim.Time(v * float64(time.Second)) }
	for _, c := range []struct{ first, every, end float64 }{{10, 2, 15}, {10, 2, 16}, {10, 2, 10}, {10, 30, 15}, {0.5, 0.25, 3}} {
		first, end := c.first, c.end
		m := &Model{eng: sim.NewEngine()}
		assert.True(t, m.markBefore(s(1)), "no marks set: every span may be read")
		m.SetTrafficMarks(s(first), time.Duration(c.every*float64(time.Second)), s(end))
		r := rand.New(rand.NewPCG(uint64(end*100+first), 1))
		for now := 0.0; now < 20; now += r.Float64() * 0.7 {
			m.eng.RunUntil(s(now))
			if now > 12 && now < 12.7 {
				// Marks set again, from a first mark in the past.
				m.SetTrafficMarks(s(first), time.Duration(c.every*float64(time.Second)), s(end))
			}
			for _, b := range []float64{now, now + 0.001, now + r.Float64()*3, float64(int(now) + 1), first, first + c.every, end, 100} {
				if b < now {
					continue
				}
				require.Equal(t, m.markIn(s(now), s(b)), m.markBefore(s(b)), "%+v: [%v, %v)", c, now, b)
			}
		}
	}
}
