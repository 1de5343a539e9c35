package allocator

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/sim"
)

func at(d time.Duration) sim.Time { return sim.At(d) }

// TestPerLocalityDecayingRateHandComputed records counts across three
// rotations and checks the rates against a hand computation.
//
//	t=1m    300 requests from locality 0   -> window 0 (started at 0)
//	t=5m    600 from locality 1            -> rotation, window 1 starts at 5m
//	t=10m   150 from locality 0            -> rotation, window 2 starts at 10m
//	t=15m    30 from locality 1            -> rotation, window 3 starts at 15m
//	query at 17m30s: f = 2.5m/5m = 0.5, windows i = 0..3 weigh 0.8^(i+0.5):
//	  w0 = 0.8^0.5 = 0.894427191, w1 = 0.8^1.5 = 0.715541753,
//	  w2 = 0.8^2.5 = 0.572433402, w3 = 0.8^3.5 = 0.457946722
//	span  = 150 s·w0 + 300 s·(w1+w2+w3) = 134.164079 + 523.776563 = 657.940642 s
//	loc 0 = (150·w1 + 300·w3) / span = (107.331263 + 137.384017) / 657.940642 = 0.371941272 req/s
//	loc 1 = (30·w0 + 600·w2) / span  = (26.832816 + 343.460041) / 657.940642 = 0.562805873 req/s
//	since reset = 17m30s (never reset).
//
// (The common factor 0.8^0.5 cancels in each ratio; the rates depend on the
// 2.5 min since the rotation only through the current window's 150 s span.)
func TestPerLocalityDecayingRateHandComputed(t *testing.T) {
	rs := NewReplicaStats(3, 0, DefaultSettings())
	rs.RecordCount(0, 300, at(time.Minute))
	rs.RecordCount(1, 600, at(5*time.Minute))
	rs.RecordCount(0, 150, at(10*time.Minute))
	rs.RecordCount(1, 30, at(15*time.Minute))

	rates, age := rs.PerLocalityDecayingRate(nil, at(17*time.Minute+30*time.Second))
	require.Len(t, rates, 3)
	assert.InDelta(t, 0.371941272, rates[0], 1e-9)
	assert.InDelta(t, 0.562805873, rates[1], 1e-9)
	assert.Equal(t, 0.0, rates[2])
	assert.Equal(t, 17*time.Minute+30*time.Second, age)
}

// TestReplicaStatsSteadyRate: one request every 10 ms for 60 s is 100 req/s
// whatever the decay, since counts and span decay alike within a window.
func TestReplicaStatsSteadyRate(t *testing.T) {
	rs := NewReplicaStats(1, 0, DefaultSettings())
	for ts := time.Duration(0); ts < time.Minute; ts += 10 * time.Millisecond {
		rs.RecordCount(0, 1, at(ts))
	}
	rates, age := rs.PerLocalityDecayingRate(nil, at(time.Minute))
	assert.InDelta(t, 100, rates[0], 1e-6)
	assert.Equal(t, time.Minute, age)
}

// TestReplicaStatsLazyRotation checks CockroachDB's quirk: a long idle gap
// rotates the ring only once, and the new window starts at the access.
//
//	t=0: 100 requests into window 0. Query at t=20m: one rotation (20m ≥ 5m),
//	window 1 starts at 20m so f = 0; window 0 is now i=1 with weight 0.8 and
//	span 300 s·0.8 = 240 s; window 1 spans 0. Rate = 100·0.8 / 240 = 1/3 req/s.
func TestReplicaStatsLazyRotation(t *testing.T) {
	rs := NewReplicaStats(1, 0, DefaultSettings())
	rs.RecordCount(0, 100, 0)
	rates, _ := rs.PerLocalityDecayingRate(nil, at(20*time.Minute))
	assert.InDelta(t, 1.0/3, rates[0], 1e-12)
}

// TestReplicaStatsWindowsExpire: after six rotations the first window is
// reused and its counts are gone.
func TestReplicaStatsWindowsExpire(t *testing.T) {
	rs := NewReplicaStats(2, 0, DefaultSettings())
	rs.RecordCount(0, 100, 0)
	for k := 1; k <= 5; k++ {
		rs.RecordCount(1, 1, at(time.Duration(k)*5*time.Minute))
	}
	rates, _ := rs.PerLocalityDecayingRate(nil, at(25*time.Minute))
	require.Greater(t, rates[0], 0.0, "5 rotations: window 0 is still the oldest of 6")
	rates, _ = rs.PerLocalityDecayingRate(rates, at(30*time.Minute))
	assert.Equal(t, 0.0, rates[0], "6th rotation reuses window 0")
	assert.Greater(t, rates[1], 0.0)
}

func TestReplicaStatsReset(t *testing.T) {
	rs := NewReplicaStats(2, 0, DefaultSettings())
	for k := range 20 {
		rs.RecordCount(k%2, 10, at(time.Duration(k)*time.Minute))
	}
	rs.Reset(at(20 * time.Minute))
	rates, age := rs.PerLocalityDecayingRate(nil, at(20*time.Minute))
	assert.Equal(t, []float64{0, 0}, rates)
	assert.Equal(t, time.Duration(0), age)

	// After the reset only the current window counts: 60 requests in 30 s.
	rs.RecordCount(1, 60, at(20*time.Minute+10*time.Second))
	rates, age = rs.PerLocalityDecayingRate(rates, at(20*time.Minute+30*time.Second))
	assert.Equal(t, 0.0, rates[0])
	assert.InDelta(t, 2.0, rates[1], 1e-9)
	assert.Equal(t, 30*time.Second, age)
}

func TestReplicaStatsPanics(t *testing.T) {
	rs := NewReplicaStats(2, 0, DefaultSettings())
	assert.Panics(t, func() { rs.RecordCount(2, 1, 0) })
	assert.Panics(t, func() { rs.RecordCount(-1, 1, 0) })
	bad := DefaultSettings()
	bad.StatsWindows = 0
	assert.Panics(t, func() { NewReplicaStats(1, 0, bad) })
	assert.Panics(t, func() { NewReplicaStats(-1, 0, DefaultSettings()) })
}

// oracleStats is a literal port of CockroachDB's replicastats.ReplicaStats
// (maps keyed by locality, records activated and deactivated, time as
// time.Duration since the start), used as the naive oracle for the dense
// implementation.
type oracleStats struct {
	idx        int
	records    [6]map[int]float64
	active     [6]bool
	lastRotate time.Duration
	lastReset  time.Duration
}

func newOracle(now time.Duration) *oracleStats {
	o := &oracleStats{lastRotate: now, lastReset: now}
	for i := range o.records {
		o.records[i] = map[int]float64{}
	}
	o.active[0] = true
	return o
}

func (o *oracleStats) maybeRotate(now time.Duration) {
	if now-o.lastRotate >= replStatsRotateInterval {
		o.idx = (o.idx + 1) % len(o.records)
		o.records[o.idx] = map[int]float64{}
		o.active[o.idx] = true
		o.lastRotate = now
	}
}

const replStatsRotateInterval = 5 * time.Minute

func (o *oracleStats) record(loc int, n float64, now time.Duration) {
	o.maybeRotate(now)
	o.records[o.idx][loc] += n
}

func (o *oracleStats) rates(now time.Duration) (map[int]float64, time.Duration) {
	o.maybeRotate(now)
	timeSinceRotate := now - o.lastRotate
	fraction := float64(timeSinceRotate) / float64(replStatsRotateInterval)
	counts := map[int]float64{}
	var duration time.Duration
	for i := range o.records {
		idx := (o.idx + len(o.records) - i) % len(o.records)
		if !o.active[idx] {
			continue
		}
		decay := math.Pow(0.8, float64(i)+fraction)
		if i == 0 {
			duration += time.Duration(float64(timeSinceRotate) * decay)
		} else {
			duration += time.Duration(float64(replStatsRotateInterval) * decay)
		}
		for k, v := range o.records[idx] {
			counts[k] += v * decay
		}
	}
	if duration.Seconds() > 0 {
		for k := range counts {
			counts[k] /= duration.Seconds()
		}
	}
	return counts, now - o.lastReset
}

func (o *oracleStats) reset(now time.Duration) {
	for i := range o.records {
		o.records[i] = map[int]float64{}
		o.active[i] = false
	}
	o.active[o.idx] = true
	o.lastRotate = now
	o.lastReset = now
}

// TestReplicaStatsMatchesOracle drives the dense ReplicaStats and the map
// port with the same random sequence of records, gaps, queries and resets.
func TestReplicaStatsMatchesOracle(t *testing.T) { testMatchesOracle(t, 0) }

// TestReplicaStatsIdleFirstMatchesOracle is the oracle test with stats
// that are read, rotated and reset for a long while before their first
// count: they hold no counts until then (a scanner reads most ranges'
// stats in a big table before any request reaches them).
func TestReplicaStatsIdleFirstMatchesOracle(t *testing.T) { testMatchesOracle(t, 500) }

// TestReplicaStatsSize pins the size of stats that counted nothing.
func TestReplicaStatsSize(t *testing.T) {
	rs := NewReplicaStats(9, 0, DefaultSettings())
	rs.PerLocalityDecayingRate(nil, at(time.Hour))
	rs.Reset(at(2 * time.Hour))
	assert.Nil(t, rs.counts, "no counts before the first RecordCount")
	assert.LessOrEqual(t, unsafe.Sizeof(*rs), uintptr(72))
	rs.RecordCount(3, 1, at(3*time.Hour))
	assert.Len(t, rs.counts, 9*DefaultSettings().StatsWindows)
}

// testMatchesOracle drives stats and the oracle with the same random
// records, reads and resets; none records before step idle.
func testMatchesOracle(t *testing.T, idle int) {
	const numLoc = 4
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 0xa110c))
		rs := NewReplicaStats(numLoc, 0, DefaultSettings())
		o := newOracle(0)
		now := time.Duration(0)
		var buf []float64
		for step := range 2000 {
			switch x := r.IntN(100); {
			case x < 70 && step < idle:
			case x < 70:
				loc, n := r.IntN(numLoc), float64(1+r.IntN(5))
				rs.RecordCount(loc, n, sim.At(now))
				o.record(loc, n, now)
			case x < 95:
				var got []float64
				var gotAge time.Duration
				got, gotAge = rs.PerLocalityDecayingRate(buf, sim.At(now))
				buf = got
				want, wantAge := o.rates(now)
				require.Equal(t, wantAge, gotAge, "seed %d step %d", seed, step)
				for l := range numLoc {
					require.InDelta(t, want[l], got[l], 1e-9*(1+want[l]), "seed %d step %d loc %d", seed, step, l)
				}
			default:
				rs.Reset(sim.At(now))
				o.reset(now)
			}
			// Mostly short gaps, sometimes more than a rotation.
			if r.IntN(10) == 0 {
				now += time.Duration(r.Int64N(int64(12 * time.Minute)))
			} else {
				now += time.Duration(r.Int64N(int64(20 * time.Second)))
			}
		}
	}
}

func TestReplicaStatsAllocs(t *testing.T) {
	rs := NewReplicaStats(9, 0, DefaultSettings())
	dst := make([]float64, 9)
	now := time.Duration(0)
	allocs := testing.AllocsPerRun(1000, func() {
		now += 7 * time.Second // rotates now and then
		rs.RecordCount(int(now/time.Second)%9, 1, sim.At(now))
	})
	assert.Zero(t, allocs, "RecordCount")
	allocs = testing.AllocsPerRun(1000, func() {
		now += 7 * time.Second
		dst, _ = rs.PerLocalityDecayingRate(dst, sim.At(now))
	})
	assert.Zero(t, allocs, "PerLocalityDecayingRate with dst")
}

func BenchmarkRecordCount(b *testing.B) {
	rs := NewReplicaStats(9, 0, DefaultSettings())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rs.RecordCount(i%9, 1, sim.Time(i)*sim.Time(time.Millisecond))
	}
}
