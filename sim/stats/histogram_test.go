package stats_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"github.com/regionsim/regionsim/sim/stats"
)

// lognormal returns n samples with the given median and log-space sigma.
func lognormal(r *rand.Rand, n int, median time.Duration, sigma float64) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(math.Round(float64(median) * math.Exp(sigma*r.NormFloat64())))
	}
	return out
}

// bimodal returns n samples: 70% near 1 ms (a local read), 30% near 140 ms
// (a cross-region round trip).
func bimodal(r *rand.Rand, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		median, sigma := time.Millisecond, 0.2
		if r.Float64() < 0.3 {
			median, sigma = 140*time.Millisecond, 0.1
		}
		out[i] = time.Duration(math.Round(float64(median) * math.Exp(sigma*r.NormFloat64())))
	}
	return out
}

// sortedFloats returns the samples as ascending float64 nanoseconds, the
// input gonum's stat.Quantile expects.
func sortedFloats(samples []time.Duration) []float64 {
	xs := make([]float64, len(samples))
	for i, v := range samples {
		xs[i] = float64(v)
	}
	slices.Sort(xs)
	return xs
}

func record(h *stats.Histogram, samples []time.Duration) {
	for _, v := range samples {
		h.Record(v)
	}
}

// relErrBound is the documented bound on a quantile's relative error for
// accuracy a at value want: a, plus rounding to whole nanoseconds.
func relErrBound(a, want float64) float64 { return a*(1+1e-9) + 0.5/want }

// assertQuantileClose checks h.Quantile(q) against the exact empirical
// quantile of the sorted samples, computed by gonum.
func assertQuantileClose(t *testing.T, h *stats.Histogram, sorted []float64, q float64) {
	t.Helper()
	want := stat.Quantile(q, stat.Empirical, sorted, nil)
	got := float64(h.Quantile(q))
	if want == 0 {
		assert.Zero(t, got, "q=%v", q)
		return
	}
	rel := math.Abs(got-want) / want
	assert.LessOrEqual(t, rel, relErrBound(h.RelativeAccuracy(), want),
		"q=%v: histogram %v, exact %v", q, time.Duration(got), time.Duration(want))
}

func TestHistogramQuantileMatchesGonum(t *testing.T) {
	for _, tc := range []struct {
		name     string
		samples  func(r *rand.Rand) []time.Duration
		accuracy float64
	}{
		{"lognormal-70ms", func(r *rand.Rand) []time.Duration { return lognormal(r, 1e5, 70*time.Millisecond, 0.5) }, stats.DefaultRelativeAccuracy},
		{"bimodal-1ms-140ms", func(r *rand.Rand) []time.Duration { return bimodal(r, 1e5) }, stats.DefaultRelativeAccuracy},
		{"lognormal-wide-a=0.001", func(r *rand.Rand) []time.Duration { return lognormal(r, 2e4, 5*time.Millisecond, 3) }, 0.001},
		{"bimodal-a=0.05", func(r *rand.Rand) []time.Duration { return bimodal(r, 2e4) }, 0.05},
		{"microseconds-a=0.01", func(r *rand.Rand) []time.Duration { return lognormal(r, 2e4, 3*time.Microsecond, 1) }, 0.01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			samples := tc.samples(r)
			sorted := sortedFloats(samples)
			h := stats.NewHistogram(tc.accuracy)
			record(h, samples)

			require.Equal(t, uint64(len(samples)), h.Count())
			for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
				want := stat.Quantile(q, stat.Empirical, sorted, nil)
				if tc.accuracy <= 0.005 {
					// The project-wide contract: within 1% of the exact quantile.
					assert.InEpsilon(t, want, float64(h.Quantile(q)), 0.01, "q=%v", q)
				}
				assertQuantileClose(t, h, sorted, q)
			}
			for range 50 {
				assertQuantileClose(t, h, sorted, r.Float64())
			}
			assert.Equal(t, time.Duration(sorted[0]), h.Min())
			assert.Equal(t, time.Duration(sorted[len(sorted)-1]), h.Max())
			assert.Equal(t, h.Min(), h.Quantile(0))
			assert.Equal(t, h.Max(), h.Quantile(1), "Quantile(1) is the exact Max")

			var sum time.Duration
			for _, v := range samples {
				sum += v
			}
			assert.Equal(t, sum, h.Sum())
			assert.InDelta(t, stat.Mean(sorted, nil), float64(h.Mean()), 1, "mean within 1 ns")
		})
	}
}

// TestHistogramSmallSamples checks the rank convention where it is visible:
// samples at least a factor 1.5 apart, so choosing a neighbouring rank would
// miss by far more than the accuracy.
func TestHistogramSmallSamples(t *testing.T) {
	for _, n := range []int{1, 2, 7} {
		r := rand.New(rand.NewPCG(3, uint64(n)))
		samples := make([]time.Duration, n)
		for i := range samples {
			samples[i] = time.Duration(float64(time.Millisecond) * math.Pow(1.5, float64(i)))
		}
		r.Shuffle(n, func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })
		sorted := sortedFloats(samples)
		h := stats.NewDefaultHistogram()
		record(h, samples)

		qs := []float64{0, 1, 0.5, 0.9, 0.99, 0.999, 1e-12, 1 - 1e-12}
		for k := 1; k <= n; k++ {
			f := float64(k) / float64(n)
			qs = append(qs, f, math.Nextafter(f, 0), math.Nextafter(f, 1), f-1e-9, f+1e-9)
		}
		for _, q := range qs {
			if q < 0 || q > 1 {
				continue
			}
			assertQuantileClose(t, h, sorted, q)
		}
		assert.Equal(t, time.Duration(sorted[0]), h.Quantile(0), "n=%d", n)
		assert.Equal(t, time.Duration(sorted[n-1]), h.Quantile(1), "n=%d", n)
		if n == 1 {
			assert.Equal(t, samples[0], h.Quantile(0.5), "a single sample is every quantile")
		}
		if n == 2 {
			assert.Equal(t, h.Min(), h.Quantile(0.5), "n=2: median is rank 1")
			assert.Equal(t, h.Max(), h.Quantile(0.5000001), "n=2: just above the median is rank 2")
		}
	}
}

func TestHistogramConstantSamples(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value time.Duration
		want  time.Duration // every quantile, Min, Max and Mean
	}{
		{"70ms", 70 * time.Millisecond, 70 * time.Millisecond},
		{"1ns", 1, 1},
		{"zero", 0, 0},
		{"negative-clamped-to-zero", -5 * time.Millisecond, 0},
		{"max-value", stats.MaxValue, stats.MaxValue},
		{"above-max-clamped", stats.MaxValue + time.Hour, stats.MaxValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := stats.NewDefaultHistogram()
			for range 1000 {
				h.Record(tc.value)
			}
			require.Equal(t, uint64(1000), h.Count())
			for _, q := range []float64{0, 0.001, 0.5, 0.9, 0.99, 0.999, 1} {
				assert.Equal(t, tc.want, h.Quantile(q), "q=%v", q)
			}
			assert.Equal(t, tc.want, h.Min())
			assert.Equal(t, tc.want, h.Max())
			assert.Equal(t, tc.want, h.Mean())
			assert.Equal(t, 1000*tc.want, h.Sum())
		})
	}
}

func TestHistogramEmpty(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    *stats.Histogram
	}{
		{"new", stats.NewDefaultHistogram()},
		{"zero-value", new(stats.Histogram)},
		{"reset", func() *stats.Histogram {
			h := stats.NewHistogram(0.01)
			h.Record(time.Second)
			h.Reset()
			return h
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			assert.Zero(t, h.Count())
			assert.Zero(t, h.Quantile(0.5))
			assert.Zero(t, h.Quantile(1))
			assert.Zero(t, h.Min())
			assert.Zero(t, h.Max())
			assert.Zero(t, h.Mean())
			assert.Zero(t, h.Sum())
			assert.Nil(t, h.CDF())
			h.ForEachBucket(func(lo, hi time.Duration, count uint64) {
				t.Errorf("empty histogram has bucket (%v, %v] count %d", lo, hi, count)
			})
		})
	}
}

func TestHistogramZeroValueIsDefault(t *testing.T) {
	samples := lognormal(rand.New(rand.NewPCG(4, 0)), 1000, 10*time.Millisecond, 1)
	var zero stats.Histogram
	require.Equal(t, stats.DefaultRelativeAccuracy, zero.RelativeAccuracy())
	record(&zero, samples)
	def := stats.NewDefaultHistogram()
	record(def, samples)
	assertHistogramsEqual(t, def, &zero)
}

func TestHistogramClamping(t *testing.T) {
	h := stats.NewDefaultHistogram()
	for _, v := range []time.Duration{-time.Second, 0, 1, time.Millisecond, stats.MaxValue + 1, math.MaxInt64} {
		h.Record(v)
	}
	assert.Equal(t, uint64(6), h.Count())
	assert.Equal(t, time.Duration(0), h.Min(), "negative values are recorded as 0")
	assert.Equal(t, stats.MaxValue, h.Max(), "values above MaxValue are recorded as MaxValue")
	assert.Equal(t, 1+time.Millisecond+2*stats.MaxValue, h.Sum())
	assert.Equal(t, time.Duration(0), h.Quantile(2.0/6), "two zeros: rank 2 is 0")
	assert.Equal(t, time.Duration(1), h.Quantile(3.0/6))
	var buckets []uint64
	h.ForEachBucket(func(_, _ time.Duration, count uint64) { buckets = append(buckets, count) })
	assert.Equal(t, []uint64{2, 1, 1, 2}, buckets, "zero bucket, 1 ns, 1 ms, MaxValue")
}

// TestHistogramSumDoesNotOverflow records more than 2^64 ns in total, in
// Record and in Merge: the sum is kept in 128 bits, so Mean stays exact and
// Sum saturates.
func TestHistogramSumDoesNotOverflow(t *testing.T) {
	const n = 1_000_000 // n*MaxValue is between 2^63 and 2^64
	require.Greater(t, n*float64(stats.MaxValue), float64(math.MaxInt64))
	require.Less(t, n*float64(stats.MaxValue), 0x1p64)
	a, b := stats.NewDefaultHistogram(), stats.NewDefaultHistogram()
	for range n {
		a.Record(stats.MaxValue)
		b.Record(stats.MaxValue)
	}
	b.Record(0)
	b.Record(0)
	assert.Equal(t, time.Duration(math.MaxInt64), a.Sum(), "Sum saturates")
	assert.Equal(t, stats.MaxValue, a.Mean())

	merged := a.Clone()
	merged.Merge(b) // the low 64 bits carry in Merge
	recorded := a.Clone()
	for range n {
		recorded.Record(stats.MaxValue) // and in Record
	}
	recorded.Record(0)
	recorded.Record(0)
	want := time.Duration(math.Round(2 * n * float64(stats.MaxValue) / (2*n + 2)))
	assert.Equal(t, want, merged.Mean(), "merged")
	assert.Equal(t, want, recorded.Mean(), "recorded")
	assertHistogramsEqual(t, recorded, merged)
}

func TestHistogramPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"accuracy-zero", func() { stats.NewHistogram(0) }},
		{"accuracy-negative", func() { stats.NewHistogram(-0.01) }},
		{"accuracy-too-fine", func() { stats.NewHistogram(stats.MinRelativeAccuracy / 2) }},
		{"accuracy-too-coarse", func() { stats.NewHistogram(0.6) }},
		{"accuracy-NaN", func() { stats.NewHistogram(math.NaN()) }},
		{"quantile-negative", func() { stats.NewDefaultHistogram().Quantile(-0.1) }},
		{"quantile-above-one", func() { stats.NewDefaultHistogram().Quantile(1.1) }},
		{"quantile-NaN", func() { stats.NewDefaultHistogram().Quantile(math.NaN()) }},
		{"merge-different-accuracy", func() { stats.NewHistogram(0.01).Merge(stats.NewHistogram(0.02)) }},
		{"merge-zero-value-into-other-accuracy", func() { stats.NewHistogram(0.01).Merge(new(stats.Histogram)) }},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Panics(t, tc.fn) })
	}
}

func TestHistogramAccuracyBoundsAccepted(t *testing.T) {
	for _, a := range []float64{stats.MinRelativeAccuracy, stats.DefaultRelativeAccuracy, stats.MaxRelativeAccuracy} {
		h := stats.NewHistogram(a)
		h.Record(1)
		h.Record(time.Second)
		h.Record(stats.MaxValue)
		assert.Equal(t, a, h.RelativeAccuracy())
		assert.Equal(t, uint64(3), h.Count())
	}
}

// bucket is one entry of ForEachBucket, for comparing histograms.
type bucket struct {
	lo, hi time.Duration
	count  uint64
}

func bucketsOf(h *stats.Histogram) []bucket {
	var out []bucket
	h.ForEachBucket(func(lo, hi time.Duration, count uint64) { out = append(out, bucket{lo, hi, count}) })
	return out
}

// assertHistogramsEqual checks that two histograms hold the same data: bucket
// counts, Count, Sum, Min, Max, and so every quantile and CDF point.
func assertHistogramsEqual(t *testing.T, want, got *stats.Histogram) {
	t.Helper()
	assert.Equal(t, bucketsOf(want), bucketsOf(got), "buckets")
	assert.Equal(t, want.Count(), got.Count(), "Count")
	assert.Equal(t, want.Sum(), got.Sum(), "Sum")
	assert.Equal(t, want.Mean(), got.Mean(), "Mean")
	assert.Equal(t, want.Min(), got.Min(), "Min")
	assert.Equal(t, want.Max(), got.Max(), "Max")
	assert.Equal(t, want.RelativeAccuracy(), got.RelativeAccuracy(), "RelativeAccuracy")
	for i := 0; i <= 1000; i++ {
		q := float64(i) / 1000
		if !assert.Equal(t, want.Quantile(q), got.Quantile(q), "Quantile(%v)", q) {
			break
		}
	}
	assert.Equal(t, want.CDF(), got.CDF(), "CDF")
}

func TestHistogramMergeEqualsUnion(t *testing.T) {
	for seed := range uint64(12) {
		r := rand.New(rand.NewPCG(5, seed))
		samples := append(bimodal(r, 5000), lognormal(r, 5000, 30*time.Millisecond, 2)...)
		// Values in the zero bucket and above MaxValue must merge too.
		samples = append(samples, 0, -time.Millisecond, stats.MaxValue*2, 1)
		r.Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })

		union := stats.NewDefaultHistogram()
		record(union, samples)

		k := 2 + r.IntN(4) // 2..5 parts
		parts := make([]*stats.Histogram, k)
		for i := range parts {
			parts[i] = stats.NewDefaultHistogram()
		}
		for _, v := range samples {
			parts[r.IntN(k)].Record(v)
		}

		// Merge into an existing part and into an empty zero value: different
		// growth histories must give the same data.
		into := parts[0].Clone()
		var fresh stats.Histogram
		fresh.Merge(parts[0])
		for _, p := range parts[1:] {
			into.Merge(p)
			fresh.Merge(p)
		}
		assertHistogramsEqual(t, union, into)
		assertHistogramsEqual(t, union, &fresh)
	}
}

func TestHistogramMergeEmpty(t *testing.T) {
	h := stats.NewDefaultHistogram()
	record(h, []time.Duration{time.Millisecond, time.Second})
	want := h.Clone()
	h.Merge(stats.NewDefaultHistogram())
	h.Merge(new(stats.Histogram))
	assertHistogramsEqual(t, want, h)

	empty := stats.NewDefaultHistogram()
	empty.Merge(h)
	assertHistogramsEqual(t, h, empty)
}

func TestHistogramMergeSelfDoubles(t *testing.T) {
	samples := lognormal(rand.New(rand.NewPCG(6, 0)), 2000, time.Millisecond, 1)
	h := stats.NewDefaultHistogram()
	record(h, samples)
	h.Merge(h)
	want := stats.NewDefaultHistogram()
	record(want, samples)
	record(want, samples)
	assertHistogramsEqual(t, want, h)
}

func TestHistogramCloneIsIndependent(t *testing.T) {
	h := stats.NewDefaultHistogram()
	record(h, []time.Duration{time.Millisecond, 2 * time.Millisecond})
	before := bucketsOf(h)
	c := h.Clone()
	assertHistogramsEqual(t, h, c)
	c.Record(time.Second)
	c.Record(time.Millisecond)
	assert.Equal(t, uint64(4), c.Count())
	assert.Equal(t, uint64(2), h.Count())
	assert.Equal(t, 2*time.Millisecond, h.Max())
	assert.Equal(t, before, bucketsOf(h), "recording into the clone leaves the original's buckets alone")
}

func TestHistogramResetThenReuse(t *testing.T) {
	samples := lognormal(rand.New(rand.NewPCG(7, 0)), 5000, 20*time.Millisecond, 1)
	h := stats.NewDefaultHistogram()
	record(h, lognormal(rand.New(rand.NewPCG(7, 1)), 5000, time.Second, 1))
	h.Reset()
	record(h, samples)
	want := stats.NewDefaultHistogram()
	record(want, samples)
	assertHistogramsEqual(t, want, h)
}

// TestHistogramCDFPointsAreQuantiles checks the contract charts rely on: each
// CDF point's Value is the histogram's quantile at its Fraction and at every
// q between the previous point's Fraction and its own.
func TestHistogramCDFPointsAreQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 0))
	for _, tc := range []struct {
		name    string
		samples []time.Duration
	}{
		{"lognormal", lognormal(r, 20000, 70*time.Millisecond, 0.5)},
		{"bimodal-with-zeros", append(bimodal(r, 20000), 0, 0, -1)},
		{"n=1", []time.Duration{42 * time.Millisecond}},
		{"n=3-odd-counts", []time.Duration{time.Millisecond, time.Millisecond, 5 * time.Millisecond}},
		{"n=49", lognormal(r, 49, time.Millisecond, 1)},
		// The lowest bucket holds two samples: its point is the bucket's
		// representative, not Min (seen in a real run: 64.691306 vs 64.414065 ms).
		{"shared-lowest-bucket", []time.Duration{64414065, 64500000, 70 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := stats.NewDefaultHistogram()
			record(h, tc.samples)
			pts := h.CDF()
			require.NotEmpty(t, pts)
			if pts[0].Count == 1 {
				assert.Equal(t, h.Min(), pts[0].Value, "a lone lowest sample is the first point")
			}
			assert.Equal(t, h.Min(), h.Quantile(0))
			last := pts[len(pts)-1]
			assert.Equal(t, h.Max(), last.Value, "last point is Max")
			assert.Equal(t, 1.0, last.Fraction)
			assert.Equal(t, h.Count(), last.Count)

			prevF, prevV, prevC := 0.0, time.Duration(math.MinInt64), uint64(0)
			var sum uint64
			h.ForEachBucket(func(_, _ time.Duration, count uint64) { sum += count })
			require.Equal(t, h.Count(), sum)
			for i, p := range pts {
				assert.Greater(t, p.Fraction, prevF, "point %d fraction increases", i)
				assert.Greater(t, p.Count, prevC, "point %d count increases", i)
				assert.GreaterOrEqual(t, p.Value, prevV, "point %d value does not decrease", i)
				assert.InDelta(t, float64(p.Count)/float64(h.Count()), p.Fraction, 1e-15)
				assert.Equal(t, p.Value, h.Quantile(p.Fraction), "point %d: Quantile(Fraction)", i)
				// Rank 1 is the exact Min, so below 1/n the first point of a
				// shared lowest bucket gives way to Min; from rank 2 on the
				// point is every quantile up to its Fraction.
				lo := prevF
				if i == 0 && p.Count > 1 {
					lo = 1 / float64(h.Count())
				}
				assert.Equal(t, p.Value, h.Quantile((lo+p.Fraction)/2), "point %d: Quantile(mid)", i)
				assert.Equal(t, p.Value, h.Quantile(lo+(p.Fraction-lo)*1e-6), "point %d: Quantile just above previous", i)
				prevF, prevV, prevC = p.Fraction, p.Value, p.Count
			}
		})
	}
}

// TestHistogramBucketBounds checks that ForEachBucket reports bounds that
// contain the recorded value and are at most a factor gamma apart.
func TestHistogramBucketBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 0))
	values := []time.Duration{1, 2, 3, 100, time.Microsecond, time.Millisecond, time.Second, stats.MaxValue}
	for range 200 {
		values = append(values, time.Duration(math.Exp(r.Float64()*math.Log(float64(stats.MaxValue))))+1)
	}
	for _, a := range []float64{0.001, stats.DefaultRelativeAccuracy, 0.05} {
		gamma := (1 + a) / (1 - a)
		for _, v := range values {
			h := stats.NewHistogram(a)
			h.Record(v)
			b := bucketsOf(h)
			require.Len(t, b, 1)
			// lo and hi are truncated to whole nanoseconds: allow 1 ns.
			assert.LessOrEqual(t, b[0].lo, v, "a=%v v=%d", a, v)
			assert.GreaterOrEqual(t, b[0].hi+1, v, "a=%v v=%d", a, v)
			if v > 1000 {
				// Truncation moves the ratio by at most 1/lo each way.
				assert.InEpsilon(t, gamma, float64(b[0].hi)/float64(b[0].lo), 2.5/float64(b[0].lo), "a=%v v=%d", a, v)
			}
		}
	}
}

func TestHistogramRecordDoesNotAllocate(t *testing.T) {
	samples := bimodal(rand.New(rand.NewPCG(10, 0)), 10000)
	t.Run("pointer", func(t *testing.T) {
		h := stats.NewDefaultHistogram()
		record(h, samples) // warm-up: establishes the bucket range
		i := 0
		allocs := testing.AllocsPerRun(10000, func() {
			h.Record(samples[i%len(samples)])
			i++
		})
		assert.Zero(t, allocs)
	})
	t.Run("value-in-struct", func(t *testing.T) {
		type recorder struct {
			name string
			lat  [2]stats.Histogram
		}
		rec := &recorder{name: "reads"}
		for _, v := range samples {
			rec.lat[v&1].Record(v)
		}
		i := 0
		allocs := testing.AllocsPerRun(10000, func() {
			v := samples[i%len(samples)]
			rec.lat[v&1].Record(v)
			i++
		})
		assert.Zero(t, allocs)
	})
	t.Run("after-reset", func(t *testing.T) {
		h := stats.NewDefaultHistogram()
		record(h, samples)
		h.Reset()
		i := 0
		allocs := testing.AllocsPerRun(10000, func() {
			h.Record(samples[i%len(samples)])
			i++
		})
		assert.Zero(t, allocs)
	})
}

func BenchmarkHistogramRecord(b *testing.B) {
	samples := bimodal(rand.New(rand.NewPCG(11, 0)), 1<<12)
	h := stats.NewDefaultHistogram()
	record(h, samples)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.Record(samples[i&(len(samples)-1)])
		i++
	}
}

func BenchmarkHistogramQuantile(b *testing.B) {
	h := stats.NewDefaultHistogram()
	record(h, bimodal(rand.New(rand.NewPCG(12, 0)), 1e5))
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Quantile(0.99)
	}
}

// TestRecordSampleEqualsRecord checks that recording stats.NewSample(v) gives
// the histogram Record(v) gives, bucket for bucket, at the default accuracy
// (the bucket computed once) and at another (computed again), edges
// included.
func TestRecordSampleEqualsRecord(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	vals := []time.Duration{-5, 0, 1, 2, 999, stats.MaxValue, stats.MaxValue + 1, 1 << 62}
	for i := 0; i < 100_000; i++ {
		vals = append(vals, time.Duration(math.Exp(r.Float64()*30)))
	}
	for _, acc := range []float64{stats.DefaultRelativeAccuracy, 0.01} {
		a, b := stats.NewHistogram(acc), stats.NewHistogram(acc)
		var zero stats.Histogram // the zero value takes the default accuracy
		for _, v := range vals {
			a.Record(v)
			b.RecordSample(stats.NewSample(v))
			if acc == stats.DefaultRelativeAccuracy {
				zero.RecordSample(stats.NewSample(v))
			}
		}
		assert.Equal(t, a, b, "accuracy %v", acc)
		if acc == stats.DefaultRelativeAccuracy {
			assert.Equal(t, a, &zero)
		}
	}
	assert.Equal(t, stats.MaxValue, stats.NewSample(stats.MaxValue+1).Value())
	assert.Equal(t, time.Duration(0), stats.NewSample(-1).Value())
}

// TestQuantilesEqualQuantile checks that Quantiles' one pass gives what
// two calls of Quantile give, on dense histograms and on a timeline's
// sparse bins, with zeros, small and large counts, and every kind of pair.
func TestQuantilesEqualQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	qs := []float64{0, 1e-9, 0.1, 0.5, 0.5000001, 0.9, 0.99, 0.999, 1 - 1e-12, 1}
	check := func(name string, h *stats.Histogram) {
		for i, lo := range qs {
			for _, hi := range qs[i:] {
				a, b := h.Quantiles(lo, hi)
				assert.Equal(t, h.Quantile(lo), a, "%s: lo %v (hi %v)", name, lo, hi)
				assert.Equal(t, h.Quantile(hi), b, "%s: hi %v (lo %v)", name, hi, lo)
			}
		}
	}
	check("empty", stats.NewDefaultHistogram())
	for _, n := range []int{1, 2, 3, 10, 50, 1000} {
		for _, zeros := range []int{0, 1, n / 2, n} {
			samples := append(lognormal(r, n, time.Millisecond, 1.5), make([]time.Duration, zeros)...)
			h := stats.NewDefaultHistogram()
			record(h, samples)
			check(fmt.Sprintf("dense n=%d zeros=%d", n, zeros), h)
			s := stats.NewSeries(time.Second)
			for _, v := range samples {
				s.Record(0, v, true)
			}
			check(fmt.Sprintf("bin n=%d zeros=%d", n, zeros), &s.Bins()[0].Latency)
		}
	}
	assert.Panics(t, func() { stats.NewDefaultHistogram().Quantiles(0.9, 0.5) })
}
