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

// received returns the publication time of the latest closed-timestamp
// update of node from that node to holds now, in either mode.
func (st *sideTransport) received(from, to topology.NodeID) sim.Time {
	if st.lazy {
		return st.lazyPub(from, to)
	}
	return st.pub[int(to)*len(st.m.cluster.Nodes)+int(from)]
}

// TestLazyClosedTSHandComputed: crdb-demo without jitter, n1 (us-east1-b)
// publishes at its phase p and every 200 ms; its updates take 33 ms to n5
// (us-west1, RTT 66 ms) and 1 ms to n2 (another zone of us-east1, RTT 2
// ms). So n5 holds tick k from p + 200k + 33 ms on, n2 from p + 200k + 1
// ms; before the first arrival it holds nothing (0). A follower's closed
// timestamp is that publication − 3 s, or + 800 ms (the lead) on a
// GLOBAL range. Each tick counts one 114-byte message (48-byte payload,
// 14 bytes of framing, 52 of TCP/IP headers) from n1's zone to each other
// zone.
func TestLazyClosedTSHandComputed(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	require.Equal(t, 66*time.Millisecond, h.m.cluster.MedianRTT(n1, n5))
	require.Equal(t, 2*time.Millisecond, h.m.cluster.MedianRTT(n1, n2))
	rbt := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	glob := h.table(TableDef{Name: "g", Locality: placement.LocalityGlobal,
		Layouts: []placement.RangeLayout{layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n1, true, "")}, Rows: 10})
	st := h.m.closed
	require.True(t, st.lazy)
	p := st.phase[n1]
	ms := sim.Time(time.Millisecond)
	for _, c := range []struct {
		at       sim.Time
		n5, n2   sim.Time
		ticksOut int64
	}{
		{p + ms - 1, 0, 0, 1},    // tick 0 is on its way to both
		{p + ms, 0, p, 1},        // reaches n2
		{p + 33*ms - 1, 0, p, 1}, // not yet n5
		{p + 33*ms, p, p, 1},     // reaches n5
		{p + 1000*ms + 33*ms - 1, p + 800*ms, p + 1000*ms, 6},        // tick 5 on its way to n5
		{p + 1000*ms + 33*ms, p + 1000*ms, p + 1000*ms, 6},           // and there
		{p + 4200*ms + 500*ms, p + 4600*ms, p + 4600*ms, 24},         // between ticks
		{p + 4200*ms + 800*ms + 32*ms, p + 4800*ms, p + 5000*ms, 26}, // tick 25 at n2 only
	} {
		h.e.RunUntil(c.at)
		assert.Equal(t, c.n5, st.received(n1, n5), "n5 at %v", c.at)
		assert.Equal(t, c.n2, st.received(n1, n2), "n2 at %v", c.at)
		assert.Equal(t, c.n5.Add(-3*time.Second), h.m.closedTS(&h.m.ranges[h.m.tables[rbt].Ranges[0]], n5))
		assert.Equal(t, c.n5.Add(800*time.Millisecond), h.m.closedTS(&h.m.ranges[h.m.tables[glob].Ranges[0]], n5))
		assert.Equal(t, c.at, h.m.closedTS(&h.m.ranges[h.m.tables[glob].Ranges[0]], n1).Add(-800*time.Millisecond), "the leaseholder closes now + lead")
		tr := h.m.Traffic()
		z1, z5 := h.m.cluster.Nodes[n1].Zone, h.m.cluster.Nodes[n5].Zone
		i := z1*tr.Zones + z5
		assert.Equal(t, uint64(c.ticksOut), tr.Msgs[MsgClosedTS][i], "n1's ticks at %v", c.at)
		assert.Equal(t, uint64(c.ticksOut)*114, tr.Bytes[MsgClosedTS][i])
	}
}

// sideOnly returns a model of the default (jittered) topology with only
// the side transport running, publishing every interval.
func sideOnly(t *testing.T, interval time.Duration, seed uint64) *Model {
	c, err := topology.Build(topology.DefaultConfig())
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.SideTransportInterval = interval
	m, err := New(sim.NewEngine(), c, cfg, seed, &countSink{})
	require.NoError(t, err)
	return m
}

// TestLazyClosedTSMatchesMessages: with jitter, the lazy side transport
// (lazyPub) and one sending every update as a message agree on every
// follower's latest publication and on the traffic, at every step of a
// run, also when the lazy one switches to messages midway (as a tracer
// makes it), without faults and with overlapping node crashes and two-way
// and one-way partitions — among them a crash that starts in the instant
// of a node's first tick, one that starts at a later tick, and one that
// ends at a tick. Intervals of 1 and 5 ms against one-way delays of tens
// of ms put many updates in flight on each link, so later ones often
// overtake earlier ones.
func TestLazyClosedTSMatchesMessages(t *testing.T) {
	for _, faults := range []bool{false, true} {
		for _, iv := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 200 * time.Millisecond} {
			lazyMatchesMessages(t, iv, faults)
		}
	}
}

func lazyMatchesMessages(t *testing.T, iv time.Duration, faults bool) {
	lazy, msgs, switched := sideOnly(t, iv, 3), sideOnly(t, iv, 3), sideOnly(t, iv, 3)
	msgs.ClosedTSMessages()
	require.False(t, msgs.closed.lazy)
	name := fmt.Sprintf("%v faults=%v", iv, faults)
	if faults {
		ph := lazy.closed.phase
		d := func(k int64) time.Duration { return time.Duration(k) * iv }
		at := func(n topology.NodeID, k int64) time.Duration { return time.Duration(ph[n]) + d(k) }
		fs := []Fault{
			{Name: "n2", At: d(400), For: d(300), Crash: []topology.NodeID{n2}},
			{Name: "east|europe", At: d(600), For: d(500), A: []topology.NodeID{n1, n2, n3}, B: []topology.NodeID{n7, n8, n9}},
			{Name: "n4->n1,n5", At: d(1500), For: d(400), A: []topology.NodeID{n4}, B: []topology.NodeID{n1, n5}, OneWay: true},
			{Name: "europe", At: d(1700), For: d(300), Crash: []topology.NodeID{n7, n8, n9}, Blackhole: true},
			{Name: "n5 at its first tick", At: at(n5, 0), For: d(100), Crash: []topology.NodeID{n5}},
			{Name: "n4 at its tick 2300", At: at(n4, 2300), For: d(50), Crash: []topology.NodeID{n4}},
			{Name: "n6 until its tick 2500", At: d(2400), For: at(n6, 2500) - d(2400), Crash: []topology.NodeID{n6}},
		}
		for _, m := range []*Model{lazy, msgs, switched} {
			for _, f := range fs {
				require.NoError(t, m.AddFault(f))
			}
		}
	}
	r := sim.NewRand(5, 5)
	n := len(lazy.cluster.Nodes)
	overtaken := 0
	var at sim.Time
	for step := range 300 {
		at = at.Add(time.Duration(r.Int64N(int64(20 * iv))))
		if step == 150 {
			switched.ClosedTSMessages()
			require.False(t, switched.closed.lazy)
		}
		for _, m := range []*Model{lazy, msgs, switched} {
			m.eng.RunUntil(at)
		}
		for from := range n {
			for to := range n {
				if from == to {
					continue
				}
				f, tt := topology.NodeID(from), topology.NodeID(to)
				want := msgs.closed.received(f, tt)
				require.Equal(t, want, lazy.closed.received(f, tt), "%v: %v -> %v at %v", name, f, tt, at)
				require.Equal(t, want, switched.closed.received(f, tt), "%v: %v -> %v at %v (switched)", name, f, tt, at)
				// Tick k arrived while tick k−1 has not: the answer is k
				// all the same.
				// (got holds the latest tick arrived plus one.)
				if k := lazy.closed.got[to*n+from] - 1; k > 0 && lazy.closed.tickTime(f, k-1).Add(lazy.closed.delay(f, tt, k-1)) > at {
					overtaken++
				}
			}
		}
		require.Equal(t, msgs.Traffic(), lazy.Traffic(), "%v: traffic at %v", name, at)
		require.Equal(t, msgs.Traffic(), switched.Traffic(), "%v: traffic at %v (switched)", name, at)
	}
	if !faults {
		assert.Less(t, lazy.eng.Events()*10, msgs.eng.Events(), "%v: the lazy transport dispatches no events (the replica scanners do)", name)
	}
	assert.Positive(t, switched.eng.Events(), "%v: after the switch, it does", name)
	if iv < 10*time.Millisecond {
		assert.Positive(t, overtaken, "%v: later ticks overtook earlier ones", name)
	}
}
