package scenarios

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeanInterval(t *testing.T) {
	// Hand-computed: mean 3, s = √2.5, t(0.975, 4) = 2.776445.
	m, iv, ok := MeanInterval([]float64{1, 2, 3, 4, 5}, 0.95)
	require.True(t, ok)
	assert.Equal(t, 3.0, m)
	h := 2.776445 * math.Sqrt(2.5) / math.Sqrt(5)
	assert.InDelta(t, 3-h, iv.Lo, 1e-5)
	assert.InDelta(t, 3+h, iv.Hi, 1e-5)
	_, _, ok = MeanInterval([]float64{7}, 0.95)
	assert.False(t, ok, "one seed has no interval")

	// Welch: a = {1, 2, 3} (var 1), b = {4, 6, 8} (var 4): diff 4,
	// se = √(1/3 + 4/3), df = (5/3)² / ((1/3)²/2 + (4/3)²/2) = 2.9412.
	d, wiv, ok := WelchInterval([]float64{1, 2, 3}, []float64{4, 6, 8}, 0.95)
	require.True(t, ok)
	assert.Equal(t, 4.0, d)
	se := math.Sqrt(5.0 / 3)
	assert.InDelta(t, 4-tQuantile(0.95, 2.9411765)*se, wiv.Lo, 1e-6)
	assert.InDelta(t, 3.1824463, tQuantile(0.95, 3), 1e-6, "t(0.975, 3)")
}

// serviceOnly is a scenario whose read latency has a known law: one zone,
// no network delay inside it, so a read takes exactly the leaseholder's
// service time, a log-normal fitted to the configured p50 and p99.
const serviceOnly = `
name: service-only
duration: 2s
warmup: 100ms
topology: {rtt: crdb-demo, regions: [us-east1], zones_per_region: 1, nodes_per_zone: 3, intra_zone_rtt: 0s, jitter: lognormal}
tables:
  - {name: kv, ranges: 1}
workload:
  - {region: us-east1, rate: 1000, table: kv, mix: {read: 1}}
`

// TestSeedIntervalCoverage: over 200 repetitions of 5 seeds each, the 95%
// interval of the read p99 covers the true p99 of the service-time law in
// 90–99% of them.
func TestSeedIntervalCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 runs")
	}
	s, err := Parse([]byte(serviceOnly), "service-only.yaml")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	truth := ms(s.Cluster().Latency.Service().Quantile(0.99))
	require.InDelta(t, 0.5*3.2/0.7, truth, 0.01, "the fitted p99 is the configured one")

	const reps, k = 200, 5
	seeds := make([]uint64, reps*k)
	for i := range seeds {
		seeds[i] = uint64(1000 + i)
	}
	runs, err := RunSeeds(s, seeds, 0)
	require.NoError(t, err)
	covered := 0
	var widths float64
	for r := range reps {
		sum := SummariseSeeds(runs[r*k:(r+1)*k], DefaultConfidence)
		require.Len(t, sum.Stats, 1)
		st := sum.Stats[0]
		require.NotNil(t, st.P99CI)
		require.Greater(t, st.Count, uint64(k*1800), "about 2000 reads per seed")
		if st.P99CI.Contains(truth) {
			covered++
		}
		widths += st.P99CI.HalfWidth()
	}
	t.Logf("true p99 %.4f ms; covered %d of %d; mean half-width %.4f ms", truth, covered, reps, widths/reps)
	assert.GreaterOrEqual(t, covered, reps*90/100)
	assert.LessOrEqual(t, covered, reps*99/100)
}

// TestSummariseSeeds pools the seeds exactly and puts each seed's
// percentile inside the spread the interval is built from.
func TestSummariseSeeds(t *testing.T) {
	s := shortBuiltin(t, "default")
	runs, err := RunSeeds(s, []uint64{1, 2, 3}, 0)
	require.NoError(t, err)
	sum := SummariseSeeds(runs, DefaultConfidence)
	assert.Equal(t, []uint64{1, 2, 3}, sum.Seeds)
	pooled := PoolStats(runs)
	require.Len(t, sum.Stats, len(pooled))
	for i, st := range sum.Stats {
		assert.Equal(t, pooled[i].P99Ms, st.P99Ms)
		var n uint64
		for _, r := range runs {
			n += r.Stats[i].Count
		}
		assert.Equal(t, n, st.Count, "every seed's requests")
		assert.Equal(t, 3, st.Runs)
		require.NotNil(t, st.P50CI)
		mean := (runs[0].Stats[i].P50Ms + runs[1].Stats[i].P50Ms + runs[2].Stats[i].P50Ms) / 3
		assert.InDelta(t, mean, (st.P50CI.Lo+st.P50CI.Hi)/2, 1e-9)
	}
}

// TestCompareSeedsPairs: b − a per seed, and common random numbers make
// the paired interval of a near-identical pair of configurations far
// narrower than the unpaired one.
func TestCompareSeedsPairs(t *testing.T) {
	s := shortBuiltin(t, "default")
	require.NoError(t, s.Override(Overrides{Duration: new(3 * time.Second)}))
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	a, err := RunSeeds(s, seeds, 0)
	require.NoError(t, err)
	// The same configuration: every paired difference is 0.
	d := CompareSeeds(a, a, DefaultConfidence)
	require.NotEmpty(t, d)
	for _, x := range d {
		assert.Zero(t, x.DeltaMs)
		require.NotNil(t, x.CI)
		assert.Zero(t, x.CI.HalfWidth())
		assert.False(t, x.Significant())
	}
	zone, err := s.WithSurvival("zone")
	require.NoError(t, err)
	region, err := s.WithSurvival("region")
	require.NoError(t, err)
	za, err := RunSeeds(zone, seeds, 0)
	require.NoError(t, err)
	rb, err := RunSeeds(region, seeds, 0)
	require.NoError(t, err)
	d = CompareSeeds(za, rb, DefaultConfidence)
	found := false
	for _, x := range d {
		if x.Table == "accounts" && x.Op == "write" && x.Percentile == "p50" {
			found = true
			assert.True(t, x.Significant(), "REGION adds a cross-region quorum to writes: %+v", x)
			assert.Greater(t, x.DeltaMs, 20.0)
			assert.Equal(t, len(seeds), x.Runs)
		}
	}
	assert.True(t, found)
}

// TestRunAllEqualsSequentialRuns: RunAll returns, in order, the results
// one Run of each scenario gives, whatever its parallelism.
func TestRunAllEqualsSequentialRuns(t *testing.T) {
	var ss []*Scenario
	for _, survival := range []string{"zone", "region"} {
		s, err := Load("default")
		require.NoError(t, err)
		s.Duration = 2 * time.Second
		v, err := s.WithSetting("survival", survival)
		require.NoError(t, err)
		ss = append(ss, v)
	}
	var want []*Result
	for _, s := range ss {
		r, err := Run(s)
		require.NoError(t, err)
		want = append(want, r)
	}
	for _, p := range []int{1, 2} {
		got, err := RunAll(ss, SeedsOptions{Parallelism: p})
		require.NoError(t, err)
		require.Len(t, got, len(want))
		for i := range want {
			assert.Equal(t, want[i].Survival, got[i].Survival)
			assert.Equal(t, want[i].Events, got[i].Events)
			assert.Equal(t, want[i].Stats, got[i].Stats, "parallelism %d run %d", p, i)
		}
	}
}
