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

// erlangCWait is the mean time a job waits in an M/M/k queue with arrival
// rate lambda and service rate mu per server (Erlang's C formula):
// P(wait) / (k·mu − lambda).
func erlangCWait(k int, lambda, mu float64) float64 {
	a := lambda / mu // offered load in Erlangs
	rho := a / float64(k)
	term, sum := 1.0, 0.0 // a^i / i!
	for i := 0; i < k; i++ {
		sum += term
		term *= a / float64(i+1)
	}
	last := term / (1 - rho) // a^k / k! / (1 − rho)
	pWait := last / (sum + last)
	return pWait / (float64(k)*mu - lambda)
}

func TestErlangCWait(t *testing.T) {
	// Hand-computed: M/M/1 waits rho/(mu − lambda); M/M/2 with a = 1
	// (rho 0.5) has P(wait) = (1/2 / 0.5) / (1 + 1 + 1) = 1/3, so the wait
	// is 1/3 / (2 − 1) = 1/3 of a service time.
	assert.InDelta(t, 0.8/(1-0.8), erlangCWait(1, 0.8, 1), 1e-12)
	assert.InDelta(t, 1.0/3, erlangCWait(2, 1, 1), 1e-12)
}

// TestCPUQueueMatchesErlangC offers a node's CPU queue Poisson arrivals
// with exponential service times and compares the mean wait with the
// M/M/k closed form at utilisations 0.5, 0.8 and 0.95.
func TestCPUQueueMatchesErlangC(t *testing.T) {
	if testing.Short() {
		t.Skip("long run")
	}
	const mean = 500 * time.Microsecond
	mu := 1 / mean.Seconds()
	for _, k := range []int{1, 8} {
		for _, rho := range []float64{0.5, 0.8, 0.95} {
			lambda := rho * float64(k) * mu
			r := rand.New(rand.NewPCG(7, uint64(k)))
			q := make(cpuQueue, k)
			const jobs, warm = 6_000_000, 200_000
			var now sim.Time
			var waited time.Duration
			for i := range jobs {
				now = now.Add(time.Duration(r.ExpFloat64() / lambda * 1e9))
				j, start := q.next(now)
				q[j] = start.Add(time.Duration(r.ExpFloat64() * float64(mean)))
				if i >= warm {
					waited += start.Sub(now)
				}
			}
			got := waited.Seconds() / (jobs - warm)
			want := erlangCWait(k, lambda, mu)
			t.Logf("k=%d rho=%.2f: mean wait %.4f ms, Erlang C %.4f ms (%+.1f %%)", k, rho, got*1e3, want*1e3, 100*(got/want-1))
			assert.InEpsilon(t, want, got, 0.05, "k=%d rho=%.2f", k, rho)
		}
	}
}

// TestGroupCommit appends to one node's log at hand-picked instants with a
// 0.5 ms sync: an append made while a sync is in flight waits for the
// next one, which every append until it starts shares.
func TestGroupCommit(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	ms := func(f float64) sim.Time { return sim.At(msDur(f)) }
	// at (ms) -> durable (ms)
	cases := []struct{ at, durable float64 }{
		{10.0, 10.5}, // idle disk: a sync of its own [10, 10.5)
		{10.1, 11.0}, // one in flight: the next sync [10.5, 11)
		{10.2, 11.0}, // shares it
		{10.5, 11.0}, // arrives as it starts: joins it
		{10.7, 11.5}, // [10.5, 11) in flight: the sync after, [11, 11.5)
		{12.0, 12.5}, // idle again
	}
	got := make([]float64, len(cases))
	for i, c := range cases {
		h.e.Schedule(ms(c.at), h.e.Register(sim.HandlerFunc(func(*sim.Event) {
			got[i] = (h.e.Now().Add(h.m.syncAppend(n1))).Milliseconds()
		})), 0, 0)
	}
	h.e.RunUntil(ms(20))
	for i, c := range cases {
		assert.InDelta(t, c.durable, got[i], 1e-9, "append at %v ms", c.at)
	}
	l := h.m.NodeLoad()[n1]
	assert.Equal(t, []int64{6}, l.Appends)
	assert.Equal(t, []int64{4}, l.Syncs, "syncs [10, 10.5), [10.5, 11), [11, 11.5), [12, 12.5)")
	require.Len(t, l.DiskBusy, 1)
	assert.Equal(t, 2*time.Millisecond, l.DiskBusy[0])
	// Each append also charged n1's CPUs with one Raft entry.
	assert.Equal(t, 6*topology.DefaultRaftCPU, l.CPUBusy[0])
}

// withVCPUs gives the harness's nodes k CPUs each.
func (h *harness) withVCPUs(k int) {
	for i := range h.m.cluster.Nodes {
		h.m.cluster.Nodes[i].VCPUs = k
	}
	h.m.q = newQueues(h.m.cluster)
}

// TestCPUQueueOnTheReadPath sends three reads to one leaseholder at the
// same instant on nodes of 2 CPUs: two are evaluated at once, the third
// waits one service time for a CPU.
func TestCPUQueueOnTheReadPath(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	h.withVCPUs(2)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Rows: 30, Layouts: []placement.RangeLayout{
		layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n1, false, ""),
	}})
	req := Request{Op: OpRead, Table: tb, Gateway: n1}
	tags := []int64{h.at(10, req), h.at(10, req), h.at(10, req)}
	alone := cHop + svc + cHop // gateway = leaseholder
	h.e.RunUntil(sim.At(20 * time.Second))
	var lat []float64
	for _, tag := range tags {
		require.Len(t, h.rec.lat[tag], 1)
		lat = append(lat, h.rec.lat[tag][0])
	}
	assert.InDeltaSlice(t, []float64{alone, alone, alone + svc}, lat, 1e-6)
	l := h.m.NodeLoad()[n1]
	assert.Equal(t, 900*time.Microsecond, l.CPUBusy[10], "three evaluations of 0.3 ms")
	assert.Equal(t, 300*time.Microsecond, l.Waiting[10], "the third waited 0.3 ms")
}

// TestCPUQueueTimeout: on a node of 1 CPU a read arriving behind more
// work than its client's timeout fails at that timeout, and the node
// counts it.
func TestCPUQueueTimeout(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ClientTimeout = 2 * time.Millisecond
	h := newHarness(t, "crdb-demo", cfg)
	h.withVCPUs(1)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Rows: 30, Layouts: []placement.RangeLayout{
		layout([]topology.NodeID{n1, n2, n3}, []topology.NodeID{n5, n9}, n1, false, ""),
	}})
	req := Request{Op: OpRead, Table: tb, Gateway: n1}
	// Ten reads at once, arriving 0.2 ms after issue: read i starts after
	// i·0.3 ms and replies at 0.2 + (i+1)·0.3 + 0.2 ms, before the 2 ms
	// timeout for i ≤ 4. Reads 5 and 6 start before it (1.7, 2.0 ms) and
	// are evaluated, but the client has given up; reads 7–9 would start
	// after it (2.3 ms …): they never take a CPU. Every failed read's
	// client learns at the timeout plus a client hop (finish).
	var tags []int64
	for range 10 {
		tags = append(tags, h.at(10, req))
	}
	h.e.RunUntil(sim.At(20 * time.Second))
	for i, tag := range tags {
		require.Len(t, h.rec.lat[tag], 1)
		if i <= 4 {
			assert.True(t, h.rec.ok[tag][0], "read %d", i)
			assert.InDelta(t, cHop+float64(i+1)*svc+cHop, h.rec.lat[tag][0], 1e-6, "read %d", i)
			continue
		}
		assert.False(t, h.rec.ok[tag][0], "read %d", i)
		assert.InDelta(t, 2.0+cHop, h.rec.lat[tag][0], 1e-6, "read %d fails at the timeout", i)
	}
	l := h.m.NodeLoad()[n1]
	assert.Equal(t, int64(3), l.TimedOut[10], "reads 7–9")
	assert.Equal(t, 7*300*time.Microsecond, l.CPUBusy[10], "reads 0–6 evaluated")
}

// earliestFree is the CPU choice cpuQueue.next made before it stopped at
// the first idle CPU: the CPU free first, the lowest index among ties.
func earliestFree(q cpuQueue, now sim.Time) (j int, start sim.Time) {
	for i := 1; i < len(q); i++ {
		if q[i] < q[j] {
			j = i
		}
	}
	return j, max(now, q[j])
}

// TestCPUQueueFirstIdleEqualsEarliestFree: taking the first CPU idle at
// the arrival gives every job the start time taking the CPU free first
// does, though the CPUs chosen differ: two queues driven side by side by
// the same arrivals (ties on a coarse time grid, zero-length jobs,
// give-ups that occupy nothing, restarts that clamp every CPU to now)
// always agree on the start.
func TestCPUQueueFirstIdleEqualsEarliestFree(t *testing.T) {
	differ, calls := 0, 0
	for seed := range uint64(2000) {
		r := rand.New(rand.NewPCG(seed, 99))
		k := 1 + r.IntN(5)
		a, b := make(cpuQueue, k), make(cpuQueue, k)
		var now sim.Time
		grid := time.Duration(1 + r.IntN(3))
		for step := range 400 {
			now = now.Add(time.Duration(r.IntN(3)) * grid)
			switch op := r.IntN(20); op {
			case 0: // the node restarts
				for j := range a {
					a[j], b[j] = min(a[j], now), min(b[j], now)
				}
			default:
				ja, sa := earliestFree(a, now)
				jb, sb := b.next(now)
				require.Equal(t, sa, sb, "seed %d step %d: %v %v", seed, step, a, b)
				calls++
				if ja != jb {
					differ++
				}
				if op == 1 { // the job gives up: nothing occupies a CPU
					continue
				}
				d := time.Duration(r.IntN(5)) * grid
				a[ja], b[jb] = sa.Add(d), sb.Add(d)
			}
		}
	}
	assert.Greater(t, differ, calls/10, "the choices differ often, so the test exercises the difference")
}

// TestNodeBinsAreTheSeries holds the bins a node's load is kept in
// (nodeBins, queues.spread and queues.count) to one slice per series grown
// to the last interval it touches, the NodeLoad they stand for: random
// spans — empty ones, ones within an interval, ones ending or starting on
// an interval's edge, ones crossing several — and counts, for series
// touched, touched late or never (nil), compared whole.
func TestNodeBinsAreTheSeries(t *testing.T) {
	const width = time.Second
	spreadRef := func(s []time.Duration, from, to sim.Time) []time.Duration {
		for from < to {
			b := int(int64(from) / int64(width))
			end := min(to, sim.Time(int64(b+1)*int64(width)))
			for len(s) <= b {
				s = append(s, 0)
			}
			s[b] += end.Sub(from)
			from = end
		}
		return s
	}
	countRef := func(s []int64, at sim.Time) []int64 {
		b := int(int64(at) / int64(width))
		for len(s) <= b {
			s = append(s, 0)
		}
		s[b]++
		return s
	}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 11))
		q := &queues{width: width, load: make([]nodeBins, 1)}
		var want NodeLoad
		spans := [numLoadSpans]*[]time.Duration{&want.CPUBusy, &want.DiskBusy, &want.Waiting}
		counts := [numLoadCounts]*[]int64{&want.TimedOut, &want.Appends, &want.Syncs}
		for range r.IntN(40) {
			at := sim.Time(r.Int64N(int64(8 * width)))
			if r.IntN(4) == 0 {
				at = sim.Time(int64(r.IntN(8)) * int64(width)) // on an edge
			}
			if r.IntN(2) == 0 {
				s := spanSeries(r.IntN(int(numLoadSpans)))
				to := at.Add(time.Duration(r.Int64N(int64(3 * width))))
				if r.IntN(5) == 0 {
					to = at // empty
				}
				q.spread(0, s, at, to)
				*spans[s] = spreadRef(*spans[s], at, to)
				continue
			}
			c := countSeries(r.IntN(int(numLoadCounts)))
			q.count(0, c, at)
			*counts[c] = countRef(*counts[c], at)
		}
		require.Equal(t, want, q.load[0].nodeLoad(), "seed %d", seed)
	}
}
