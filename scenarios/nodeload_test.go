package scenarios

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/sim/offheap"
)

// scaledDefault is the default built-in with every workload rate times f,
// run for warmup 2 s and duration d.
func scaledDefault(t *testing.T, f float64, d time.Duration) *Scenario {
	t.Helper()
	s, err := Load("default")
	require.NoError(t, err)
	for i := range s.Workload {
		s.Workload[i].Rate *= f
	}
	s.Warmup, s.Duration = 2*time.Second, d
	require.NoError(t, s.Validate())
	return s
}

func findStat(t *testing.T, r *Result, table, op, region string) Stat {
	t.Helper()
	for _, st := range r.Stats {
		if st.Table == table && st.Op == op && st.ClientRegion == region {
			return st
		}
	}
	t.Fatalf("no stat %s.%s@%s", table, op, region)
	return Stat{}
}

// TestWriteP99GrowsWithRateUntilSaturation scales the default scenario's
// rates: the us-east1 leaseholders' CPUs (8 each) go from 19 % busy to
// about 90 %, and the p99 of a local write grows at every step as its
// evaluation and Raft processing queue (steps of 19, 75 and 90 %: between
// 56 and 75 % the p99 of 7,000 writes grows by about 2 %, one histogram
// bucket, which a seed's noise can undo); at 150 times the rate the nodes
// are saturated, which the result reports (timeouts in the CPU queues,
// failed requests), and the run still ends.
func TestWriteP99GrowsWithRateUntilSaturation(t *testing.T) {
	if testing.Short() {
		t.Skip("about a million requests per run")
	}
	var prev float64
	// Durations give each rate some 3,000 local accounts writes or more,
	// so that their p99 is not sampling noise.
	for _, c := range []struct {
		f float64
		d time.Duration
	}{{10, 40 * time.Second}, {40, 10 * time.Second}, {48, 10 * time.Second}} {
		f := c.f
		r, err := Run(scaledDefault(t, f, c.d))
		require.NoError(t, err)
		w := findStat(t, r, "accounts", "write", "us-east1")
		east := r.RegionLoad[0]
		t.Logf("rate x%g: accounts write p50 %.3f p99 %.3f ms; us-east1 cpu mean %.3f peak %.3f", f, w.P50Ms, w.P99Ms, east.CPUUtilMean, east.CPUUtilPeak)
		assert.Greater(t, w.P99Ms, prev, "rate x%g", f)
		assert.Zero(t, east.Saturated, "rate x%g", f)
		assert.Zero(t, w.Errors)
		prev = w.P99Ms
	}
	// Three times what us-east1 can serve: its queues grow by 2 s of work
	// a second, and requests time out from 5 s on.
	r, err := Run(scaledDefault(t, 150, 10*time.Second))
	require.NoError(t, err)
	east := r.RegionLoad[0]
	w := findStat(t, r, "accounts", "write", "us-east1")
	t.Logf("rate x150: accounts write p50 %.3f p99 %.3f ms, %d of %d failed; us-east1 cpu mean %.3f, %d timed out",
		w.P50Ms, w.P99Ms, w.Errors, w.Count, east.CPUUtilMean, east.TimedOut)
	assert.Equal(t, 3, east.Saturated, "every us-east1 node saturated")
	assert.Greater(t, east.TimedOut, int64(0))
	assert.Greater(t, east.CPUUtilMean, 0.99)
	assert.Greater(t, w.Errors, uint64(0), "requests that waited out the 10 s timeout failed")
	assert.LessOrEqual(t, w.MaxMs, 10_000+70.0, "none waits longer than the timeout (plus its hops)")
}

// azScenario is one region of 3 AZs (1 node each, 2 vCPUs, no jitter)
// serving reads (90 %) and writes of a table homed there at rate req/s;
// AZ a fails at 25 s until the end (55 s).
func azScenario(t *testing.T, rate float64) *Scenario {
	t.Helper()
	s, err := Parse([]byte(fmt.Sprintf(`
name: az-capacity
duration: 50s
warmup: 5s
topology:
  rtt: crdb-demo
  regions: [us-east1, us-west1, europe-west1]
  jitter: none
  vcpus: 2
database: {primary_region: us-east1, survival: zone}
tables:
  - {name: t, locality: regional-by-table, ranges: 30, rows: 30000}
workload:
  - {region: us-east1, table: t, rate: %g, mix: {read: 0.9, write: 0.1}}
faults:
  - {at: 25s, kind: zone, target: us-east1-a, for: 30s}
`, rate)), "az.yaml")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	return s
}

// survivors returns the mean CPU utilisation of n2 and n3 (us-east1's
// AZs b and c) over the intervals starting in [from, to) seconds, their
// busiest interval's, and the median over those intervals of the read
// p99 (by issue time).
func survivors(r *Result, from, to float64) (util, peak, p99 float64) {
	k := 0
	for _, p := range r.LoadTimeline {
		if p.TS >= from && p.TS < to && (p.Node == "n2" || p.Node == "n3") {
			util += p.CPUUtil
			peak = max(peak, p.CPUUtil)
			k++
		}
	}
	var p99s []float64
	for _, p := range r.Timeline {
		if p.TS >= from && p.TS < to && p.Op == "read" {
			p99s = append(p99s, p.P99Ms)
		}
	}
	slices.Sort(p99s)
	return util / float64(k), peak, p99s[len(p99s)/2]
}

// TestZoneOutageRaisesSurvivorsUtilisation fails one AZ of a 3-AZ region.
// Each node holds a voter of every range and a third of the leases; each
// request costs its leaseholder one evaluation (0.5 ms) and each write
// every replica one Raft entry (0.25 ms). Per node and request/s that is
// 0.5/3 + 0.1·0.25 = 0.19167 ms of CPU before the fault, and once the
// dead node's leases have moved to the two survivors 0.5/2 + 0.025 =
// 0.275 ms: a rise of 1.4348 (the evaluations' 3/2, diluted by the Raft
// work every voter did already). At 45 % before, the survivors run at
// 64.6 % after, and the read p99 grows with the queueing; at 70 % they
// would need 100.4 %: they saturate, which the result reports.
func TestZoneOutageRaisesSurvivorsUtilisation(t *testing.T) {
	if testing.Short() {
		t.Skip("two runs of 300,000 requests")
	}
	const perReq = (0.5/3 + 0.1*0.25) / 1000 // CPU seconds per request/s and node, before
	const rise = (0.5/2 + 0.1*0.25) / (0.5/3 + 0.1*0.25)
	assert.InDelta(t, 1.4348, rise, 1e-4)
	for _, before := range []float64{0.45, 0.70} {
		rate := before * 2 / perReq // 2 vCPUs
		r, err := Run(azScenario(t, rate))
		require.NoError(t, err)
		// Before: [5 s, 25 s); after: from 37 s to the end. Failover
		// takes under 10 s, and the requests it held up, a third of
		// 10 s of load, then reach the survivors at once: they are busy
		// a few seconds with that backlog (every node reports
		// saturated), then settle.
		u0, _, p0 := survivors(r, 5, 25)
		u1, peak, p1 := survivors(r, 37, 55)
		t.Logf("%.0f %% (%.0f req/s): survivors' CPU %.3f -> %.3f (x%.3f), read p99 %.3f -> %.3f ms",
			100*before, rate, u0, u1, u1/u0, p0, p1)
		assert.InDelta(t, before, u0, 0.02, "before the fault")
		assert.Greater(t, p1, p0, "the read p99 grows")
		var sat int
		for _, nl := range r.NodeLoad {
			if nl.Saturated {
				sat++
			}
		}
		if before*rise < 0.9 {
			assert.InEpsilon(t, before*rise, u1, 0.04, "survivors' utilisation after")
			assert.Less(t, peak, 0.9, "settled after the backlog")
			continue
		}
		// Saturated: they serve what they can (utilisation near 1: the
		// rise is capped at 1/0.7 = 1.43) and the rest waits or times out.
		assert.Greater(t, u1, 0.97)
		assert.Greater(t, u1/u0, 1.38)
		assert.Greater(t, sat, 0, "a survivor reported saturated")
		assert.Greater(t, p1, 10*p0, "the read p99 grows by the queue")
	}
}

// TestSaturationMemoryIsBounded offers the default scenario, on nodes of
// one vCPU, ten times what its us-east1 nodes can serve (they saturate
// near 6.5 times the default rates) for 40 simulated seconds — four times
// the 10 s a request waits for a CPU before it gives up, so the queues
// reach their steady state. Requests a queue will not serve in time fail
// at once, so the live heap stays bounded by what the CPUs serve within
// the timeout, whatever the offered load. The peak heap is sampled at
// every progress step.
func TestSaturationMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("two million requests")
	}
	s := scaledDefault(t, 65, 40*time.Second)
	s.Topology.VCPUs = 1
	require.NoError(t, s.Validate())
	r, peak := runMeasuringHeap(t, s)
	east := r.RegionLoad[0]
	t.Logf("x65 on 1 vCPU: %d requests, us-east1 cpu mean %.3f, %d timed out; peak heap %d MiB", r.Requests, east.CPUUtilMean, east.TimedOut, peak>>20)
	assert.Equal(t, 3, east.Saturated)
	assert.Greater(t, east.TimedOut, int64(r.Requests/4), "most of us-east1's load times out")
	assert.Less(t, peak, uint64(500<<20), "peak heap under 500 MiB")

	// The estimate knows the cluster is saturated: most requests are shed
	// at a few events each, and what is in flight is what the CPUs serve
	// within the give-up time. So the run is not refused, and the
	// estimate is still above what it took.
	est, err := s.Estimate()
	require.NoError(t, err)
	require.NoError(t, est.Check(Budget{MaxEvents: DefaultMaxEvents, MaxMemory: DefaultMaxMemory}))
	assert.Greater(t, est.MemoryBytes, float64(peak), "estimated memory")
	assert.Greater(t, est.Events, float64(r.Events), "estimated events")
	assert.Less(t, est.Events, 3*float64(r.Events), "estimated events")
	s.Topology.VCPUs = 0 // no CPU queue: nothing is shed
	require.NoError(t, s.Validate())
	unqueued, err := s.Estimate()
	require.NoError(t, err)
	assert.Less(t, est.PeakInFlight, unqueued.PeakInFlight, "saturated CPUs bound the requests in flight")
	assert.Less(t, est.Events, unqueued.Events/2, "shed requests cost a few events")
	t.Logf("estimate %s; without CPU queues %s", est, unqueued)
}

// TestVCPUsPerRegion: topology.vcpus for every node, region_sizes vcpus
// for a region's nodes; both reach the result. Out-of-range values are
// bad input naming the field and the value.
func TestVCPUsPerRegion(t *testing.T) {
	s, err := Parse([]byte(`
duration: 2s
warmup: 0s
topology: {vcpus: 4, region_sizes: {us-west1: {vcpus: 16}, europe-west1: {vcpus: 0}}}
tables: [{name: t}]
workload: [{region: us-east1, rate: 10, table: t, mix: {read: 1}}]
`), "vcpus.yaml")
	require.NoError(t, err)
	r, err := Run(s)
	require.NoError(t, err)
	var got []int
	for _, nl := range r.NodeLoad {
		got = append(got, nl.VCPUs)
	}
	assert.Equal(t, []int{4, 4, 4, 16, 16, 16, 0, 0, 0}, got)

	for _, tt := range []struct{ topo, want string }{
		{"{vcpus: -1}", "topology.vcpus: -1 is out of range [0, 1024]"},
		{"{vcpus: 2000}", "topology.vcpus: 2000 is out of range [0, 1024]"},
		{"{region_sizes: {us-west1: {vcpus: 1025}}}", "topology.region_sizes.us-west1.vcpus: 1025 is out of range [0, 1024]"},
		{"{raft_cpu: -1ms}", "topology.raft_cpu: -1ms is out of range [0s, 10s]"},
	} {
		_, err := Parse([]byte("topology: "+tt.topo+"\ntables: [{name: t}]\nworkload: [{region: us-east1, rate: 1, table: t, mix: {read: 1}}]\n"), "bad.yaml")
		require.Error(t, err, tt.topo)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// TestCPUWaitIsAttributed: with 2 CPUs per node and the us-east1 nodes
// about 70 % busy (no fault: azScenario's fault starts at 25 s, the run
// is cut before it), evaluations queue, and the critical path names the
// wait: at p99 a read's path has cpu_wait, at the leaseholder, and every
// bucket's components sum to its mean.
func TestCPUWaitIsAttributed(t *testing.T) {
	s := azScenario(t, 7000)
	s.Faults = nil
	s.Duration = 10 * time.Second
	require.NoError(t, s.Validate())
	res, err := run(s, RunOptions{checks: true})
	require.NoError(t, err)
	a := findStat(t, res, "t", "read", "us-east1").Attribution
	require.NotNil(t, a)
	wait, sum := 0.0, 0.0
	for _, c := range a.P99.Components {
		sum += c.Ms
		if c.Component == "cpu_wait" {
			wait += c.Ms
		}
	}
	assert.InDelta(t, a.P99.MeanMs, sum, 0.01)
	assert.Greater(t, wait, 0.0, "%+v", a.P99.Components)
}

// TestEstimateOfUnevenSaturation: cheap reads saturate us-east1's nodes
// and costly writes us-west1's. The estimate works out saturation per
// node, so it stays above the run's events and peak heap (pooled over
// the cluster, the cheap reads' spare count made it fall below both).
func TestEstimateOfUnevenSaturation(t *testing.T) {
	if testing.Short() {
		t.Skip("half a million requests")
	}
	s, err := Parse([]byte(`
duration: 8s
warmup: 2s
topology: {vcpus: 1, region_sizes: {us-east1: {vcpus: 8}}, raft_cpu: 10ms}
database: {regions: [us-east1, us-west1, europe-west1], primary_region: us-east1, placement: restricted}
tables:
  - {name: hot, locality: regional-by-table, home_region: us-east1, ranges: 30}
  - {name: heavy, locality: regional-by-table, home_region: us-west1, ranges: 30}
workload:
  - {region: us-east1, rate: 65000, table: hot, mix: {read: 1}}
  - {region: us-west1, rate: 20000, table: heavy, mix: {write: 1}}
`), "uneven.yaml")
	require.NoError(t, err)
	est, err := s.Estimate()
	require.NoError(t, err)
	r, peak := runMeasuringHeap(t, s)
	for _, rl := range r.RegionLoad[:2] {
		assert.Positive(t, rl.Saturated, "%s is saturated", rl.Region)
	}
	assert.Greater(t, est.Events, float64(r.Events), "estimated events")
	assert.Greater(t, est.MemoryBytes, float64(peak), "estimated memory")
	t.Logf("estimate %s; ran %d events, peak heap %d MiB", est, r.Events, peak>>20)
}

// TestEstimateOfFollowerReadHotSpot: us-east1's nodes run near their
// limit; GLOBAL reads from us-west1 go to us-west1's own replicas, which
// have CPUs to spare. An estimate that spread the follower reads over
// every replica put them on us-east1's busy nodes too and counted most of
// them shed, below the run; they go to the nearest replicas.
func TestEstimateOfFollowerReadHotSpot(t *testing.T) {
	if testing.Short() {
		t.Skip("half a million requests")
	}
	s, err := Parse([]byte(`
duration: 3s
warmup: 1s
topology: {vcpus: 1, region_sizes: {us-west1: {vcpus: 64}}}
database: {regions: [us-east1, us-west1, europe-west1], primary_region: us-east1}
tables:
  - {name: hot, locality: regional-by-table, home_region: us-east1, ranges: 30}
  - {name: g, locality: global, ranges: 30}
workload:
  - {region: us-east1, rate: 4500, table: hot, mix: {read: 1}}
  - {region: us-west1, rate: 100000, table: g, mix: {read: 1}}
`), "hotspot.yaml")
	require.NoError(t, err)
	est, err := s.Estimate()
	require.NoError(t, err)
	r, err := Run(s)
	require.NoError(t, err)
	assert.Greater(t, est.Events, float64(r.Events), "estimated events")
	t.Logf("estimate %s; ran %d events", est, r.Events)
}

// TestServedSharesFixedPoint: a node whose CPUs take the appends of the
// writes it serves, capacity 1, evaluations 1 and appends a per served
// write: the served share f solves f = (1 - a f) / 1. For a < 1 the
// iteration converges to it; beyond, it oscillates, and the even iterates
// stay above it (never the 0 that damped averaging once returned).
func TestServedSharesFixedPoint(t *testing.T) {
	for _, a := range []float64{0.5, 1, 3.5, 4, 8, 48} {
		l := offered{peak: 1, evalAt: []float64{1}, appends: []appendAt{{0, 0, a}}}
		f, saturated := servedShares([]offered{l}, []float64{1}, func(l *offered) float64 { return l.peak })
		fixed := 1 / (1 + a)
		assert.True(t, saturated[0], "a=%v", a)
		assert.GreaterOrEqual(t, f[0], fixed-1e-9, "a=%v: at or above the fixed point", a)
		assert.LessOrEqual(t, f[0], 1.0, "a=%v", a)
		if a < 1 {
			assert.InDelta(t, fixed, f[0], 1e-6, "a=%v: converges", a)
		}
	}
}

// runMeasuringHeap runs s and returns its result and the highest heap in
// use, with the request state mapped off the heap, the run's progress
// reports saw (after a collection at its start).
func runMeasuringHeap(t *testing.T, s *Scenario) (*Result, uint64) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	var peak uint64
	r, err := RunWithProgress(s, func(done, total time.Duration) {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc+offheap.Bytes())
	})
	require.NoError(t, err)
	return r, peak
}

// TestEstimateMemoryAtManyRanges checks the memory estimate of a run
// whose ranges, not its requests, take the memory: default with 20,000
// ranges per table, without faults and with a zone outage (which keeps
// the per-range client stall trackers). The estimate stays above the
// heap the run used, and within a few times it: it once counted a
// kilobyte per range and every range's request counts, and refused a
// 145 MiB run of 100,000 ranges per table at --max-memory 1GiB
// (1,820 MiB estimated).
func TestEstimateMemoryAtManyRanges(t *testing.T) {
	if testing.Short() {
		t.Skip("60,000 ranges")
	}
	zone := []Fault{{At: 5 * time.Second, Kind: "zone", Target: "us-east1-b", For: 5 * time.Second}}
	for _, v := range []struct {
		name   string
		faults []Fault
		// copies of users' workloads: 4 gives 48 series over its ranges,
		// each with a stall tracker per range under faults
		users int
	}{{"no faults", nil, 1}, {"zone outage", zone, 1}, {"zone outage, 48 series on users", zone, 4}} {
		s, err := Load("default")
		require.NoError(t, err)
		s.Warmup, s.Duration = 2*time.Second, 10*time.Second
		for i := range s.Tables {
			s.Tables[i].Ranges = 20000
		}
		for range v.users - 1 {
			for _, w := range s.Workload {
				if w.Table == "users" {
					s.Workload = append(s.Workload, w)
				}
			}
		}
		s.Faults = v.faults
		require.NoError(t, s.Validate())
		est, err := s.Estimate()
		require.NoError(t, err)
		r, peak := runMeasuringHeap(t, s)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc) // with the result built
		runtime.KeepAlive(r)
		t.Logf("%s: estimated %d MiB, peak heap %d MiB", v.name, int(est.MemoryBytes)>>20, peak>>20)
		assert.Greater(t, est.MemoryBytes, float64(peak), v.name)
		assert.Less(t, est.MemoryBytes, 5*float64(peak+estRuntimeBytes), v.name)
	}
}
