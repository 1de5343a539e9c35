package stats

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"
)

// TestRankOfMatchesGonum checks the rank convention against its oracle: on
// the samples 1..n, gonum's empirical quantile returns the rank itself.
func TestRankOfMatchesGonum(t *testing.T) {
	for n := 1; n <= 60; n++ {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(i + 1)
		}
		qs := []float64{0, 1, 0.5, 0.9, 0.99, 0.999, 0.1, 0.3, 0.7}
		for k := 0; k <= n; k++ {
			f := float64(k) / float64(n)
			qs = append(qs, f, math.Nextafter(f, 0), math.Nextafter(f, 1))
		}
		for _, q := range qs {
			if q < 0 || q > 1 {
				continue
			}
			want := stat.Quantile(q, stat.Empirical, xs, nil)
			if !assert.Equal(t, uint64(want), rankOf(q, uint64(n)), "n=%d q=%v", n, q) {
				return
			}
		}
	}
}

func TestMaxIndexBoundsMemory(t *testing.T) {
	for _, tc := range []struct {
		accuracy   float64
		maxBuckets int
	}{
		{DefaultRelativeAccuracy, 3000},
		{MinRelativeAccuracy, 150_000},
		{MaxRelativeAccuracy, 30},
	} {
		h := NewHistogram(tc.accuracy)
		assert.Less(t, h.maxIndex+1, tc.maxBuckets, "a=%v", tc.accuracy)
		assert.Equal(t, 0, h.index(1), "a=%v: 1 ns is bucket 0", tc.accuracy)
	}
}

// TestGrowthIsBoundedAndAmortised sweeps values over the whole range upwards
// and downwards: the bucket slice never exceeds the index range and is
// reallocated only a logarithmic number of times.
func TestGrowthIsBoundedAndAmortised(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values func(yield func(time.Duration))
	}{
		{"ascending", func(yield func(time.Duration)) {
			for v := 1.0; v < 2*float64(MaxValue); v *= 1.003 {
				yield(time.Duration(v))
			}
		}},
		{"descending", func(yield func(time.Duration)) {
			for v := 2 * float64(MaxValue); v >= 1; v /= 1.003 {
				yield(time.Duration(v))
			}
		}},
		{"alternating-outwards", func(yield func(time.Duration)) {
			for f := 1.0; f < 1e7; f *= 1.003 {
				yield(time.Duration(1e6 * f))
				yield(time.Duration(1e6 / f))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewDefaultHistogram()
			reallocs := 0
			var last *uint64
			tc.values(func(v time.Duration) {
				h.Record(v)
				if p := &h.counts[0]; p != last {
					reallocs++
					last = p
				}
			})
			require.Greater(t, h.Count(), uint64(5000))
			assert.LessOrEqual(t, len(h.counts), h.maxIndex+1)
			assert.GreaterOrEqual(t, h.base, 0)
			assert.LessOrEqual(t, reallocs, 30)
		})
	}
}

// TestRepresentativeWithinAccuracy checks the per-value bound behind every
// quantile: a bucket's representative is within a of each value in it.
func TestRepresentativeWithinAccuracy(t *testing.T) {
	for _, a := range []float64{MinRelativeAccuracy, 0.001, DefaultRelativeAccuracy, 0.05, MaxRelativeAccuracy} {
		h := NewHistogram(a)
		for v := 1.0; v <= float64(MaxValue); v = math.Max(v+1, v*1.0007) {
			d := time.Duration(v)
			rep := h.representative(h.index(d))
			rel := math.Abs(rep-float64(d)) / float64(d)
			if !assert.LessOrEqual(t, rel, a*(1+1e-9), "a=%v v=%d rep=%v", a, d, rep) {
				break
			}
		}
	}
}

func TestSeriesMemoryDependsOnBinsNotRecords(t *testing.T) {
	s := NewSeries(time.Second)
	for i := range int64(200_000) {
		s.Record(i*50_000, time.Duration(1e6+i%1000*1e3), true) // 10 s, latency 1..2 ms
	}
	require.Len(t, s.bins, 10)
	for _, b := range s.bins {
		// 1..2 ms spans ln(2)/ln(gamma) ~ 70 buckets; slack at most doubles it.
		assert.Less(t, len(b.Latency.counts), 200)
	}
}
