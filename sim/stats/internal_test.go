package stats

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

// TestSparseHistogramAnswersAsDense: a histogram kept sparse (a timeline
// bin's) answers every question as a dense one that recorded the same
// values — quantiles, CDF, buckets, JSON, Count/Sum/Min/Max — before and
// after it turns dense, and merges either way (sparse into dense, dense
// into sparse, sparse into sparse) to what one histogram of both holds.
func TestSparseHistogramAnswersAsDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func() time.Duration {
		switch rng.IntN(10) {
		case 0:
			return 0
		case 1:
			return MaxValue + time.Duration(rng.IntN(10))
		}
		return time.Duration(math.Exp(rng.Float64() * 25)) // 1 ns to 72 s
	}
	same := func(t *testing.T, want, got *Histogram, what string) {
		t.Helper()
		require.Equal(t, want.Count(), got.Count(), what)
		require.Equal(t, want.Sum(), got.Sum(), what)
		require.Equal(t, want.Min(), got.Min(), what)
		require.Equal(t, want.Max(), got.Max(), what)
		for q := 0.0; q <= 1; q += 0.001 {
			require.Equal(t, want.Quantile(q), got.Quantile(q), "%s q=%v", what, q)
		}
		require.Equal(t, want.CDF(), got.CDF(), what)
		type bucket struct {
			lo, hi time.Duration
			n      uint64
		}
		var wb, gb []bucket
		want.ForEachBucket(func(lo, hi time.Duration, n uint64) { wb = append(wb, bucket{lo, hi, n}) })
		got.ForEachBucket(func(lo, hi time.Duration, n uint64) { gb = append(gb, bucket{lo, hi, n}) })
		require.Equal(t, wb, gb, what)
		wj, err := want.MarshalJSON()
		require.NoError(t, err)
		gj, err := got.MarshalJSON()
		require.NoError(t, err)
		require.JSONEq(t, string(wj), string(gj), what)
	}
	sparse := func() *Histogram {
		h := makeHistogram(DefaultRelativeAccuracy)
		h.sparseOK = true
		return &h
	}
	for _, n := range []int{0, 1, 2, 5, 20, sparseMax, sparseMax + 1, 100, 1000} {
		dense, sp := NewHistogram(DefaultRelativeAccuracy), sparse()
		other, otherSp := NewHistogram(DefaultRelativeAccuracy), sparse()
		for range n {
			v := draw()
			dense.Record(v)
			sp.RecordSample(NewSample(v))
			w := draw()
			other.Record(w)
			otherSp.Record(w)
		}
		what := fmt.Sprintf("n=%d", n)
		if n <= sparseMax/2 {
			require.Empty(t, sp.counts, "%s: still sparse", what)
		}
		same(t, dense, sp, what)
		same(t, dense, sp.Clone(), what+" clone")

		both := dense.Clone()
		both.Merge(other)
		for _, c := range []struct {
			name     string
			dst, src *Histogram
		}{
			{"sparse into dense", dense.Clone(), otherSp},
			{"dense into sparse", sp.Clone(), other},
			{"sparse into sparse", sp.Clone(), otherSp},
		} {
			c.dst.Merge(c.src)
			same(t, both, c.dst, what+" "+c.name)
		}
		sp.Reset()
		dense.Reset()
		v := draw()
		sp.Record(v)
		dense.Record(v)
		same(t, dense, sp, what+" after Reset")
	}
}

// TestSparseBoundary: a sparse histogram holds exactly sparseMax distinct
// buckets and turns dense at the next one, with the same answers.
func TestSparseBoundary(t *testing.T) {
	h := makeHistogram(DefaultRelativeAccuracy)
	h.sparseOK = true
	dense := NewHistogram(DefaultRelativeAccuracy)
	for i := range sparseMax + 1 {
		v := time.Duration(math.Pow(1.1, float64(i+100))) // 2% buckets: each its own
		h.Record(v)
		h.Record(v)
		dense.Record(v)
		dense.Record(v)
		if i < sparseMax {
			require.Len(t, h.sparse, i+1)
			require.Empty(t, h.counts)
		}
	}
	assert.Empty(t, h.sparse, "dense after sparseMax buckets")
	assert.NotEmpty(t, h.counts)
	assert.Equal(t, dense.CDF(), h.CDF())
}

// TestSeriesBinsStartLikeTheirNeighbour: a new bin starts sparse after a
// sparse bin, and with its neighbour's buckets after a dense one.
func TestSeriesBinsStartLikeTheirNeighbour(t *testing.T) {
	s := NewSeries(time.Second)
	sec := int64(time.Second)
	// Bin 0: two requests, sparse; bin 1 too.
	s.Record(0, time.Millisecond, true)
	s.Record(0, time.Second, true)
	s.Record(sec, time.Millisecond, true)
	assert.Empty(t, s.bins[0].Latency.counts)
	assert.Empty(t, s.bins[1].Latency.counts)
	assert.Len(t, s.bins[1].Latency.sparse, 1)
	// Bin 2: spread over 40 buckets (dense); bin 3 borrows its buckets.
	for i := range 40 {
		s.Record(2*sec, time.Duration(math.Pow(1.1, float64(i+100))), true)
	}
	require.NotEmpty(t, s.bins[2].Latency.counts)
	s.Record(3*sec, time.Millisecond, true)
	assert.Empty(t, s.bins[3].Latency.sparse)
	assert.Len(t, s.bins[3].Latency.counts, len(s.bins[2].Latency.counts))
	assert.Equal(t, time.Millisecond, s.bins[3].Latency.Quantile(0.5))
}

// TestSeriesReserve: a series makes room for the bins it was told of at
// its first record, and keeps it when a bin comes in front.
func TestSeriesReserve(t *testing.T) {
	s := NewSeries(time.Second)
	s.Reserve(100)
	assert.Zero(t, cap(s.bins), "nothing before the first record")
	s.Record(5*int64(time.Second), time.Millisecond, true)
	assert.GreaterOrEqual(t, cap(s.bins), 100)
	s.Record(3*int64(time.Second), time.Millisecond, true) // in front
	assert.Len(t, s.bins, 3)
	assert.GreaterOrEqual(t, cap(s.bins), 100)
}

// TestReleasedBinsGoBySize: series take released bin slices of the size
// they reserve, whatever the order of release (a small slice released
// last does not hide the big ones).
func TestReleasedBinsGoBySize(t *testing.T) {
	made := func(n int) *Series {
		s := NewSeries(time.Second)
		s.Reserve(n)
		s.Record(0, time.Millisecond, true)
		return s
	}
	for try := 0; try < 20; try++ {
		var big []*Bin
		var series []*Series
		for range 4 {
			s := made(100)
			big = append(big, &s.bins[:1][0])
			series = append(series, s)
		}
		for _, s := range series {
			s.Release()
		}
		made(4).Release()
		small := made(4)
		require.Less(t, cap(small.bins), 100, "the small series takes the small slice")
		reused := 0
		for range 4 {
			s := made(100)
			require.GreaterOrEqual(t, cap(s.bins), 100)
			if slices.Contains(big, &s.bins[:1][0]) {
				reused++
			}
		}
		if reused == 4 {
			return
		}
	}
	t.Fatal("the released big slices were not all reused in 20 tries")
}

// TestSparseGrowsByFours: a sparse histogram's bucket list grows 4, 8,
// 16, 32, then turns dense.
func TestSparseGrowsByFours(t *testing.T) {
	h := makeHistogram(DefaultRelativeAccuracy)
	h.sparseOK = true
	var caps []int
	for i := range sparseMax {
		h.Record(time.Duration(math.Pow(1.1, float64(i+100)))) // each its own bucket
		if len(caps) == 0 || caps[len(caps)-1] != cap(h.sparse) {
			caps = append(caps, cap(h.sparse))
		}
	}
	assert.Equal(t, []int{4, 8, 16, 32}, caps)
}

// TestReleasedStorageIsReusedClean: a series made after another is
// released reuses its bins and bucket storage (sync.Pool may drop them,
// so the test tries a few times) and answers as histograms recorded
// afresh.
func TestReleasedStorageIsReusedClean(t *testing.T) {
	sec := int64(time.Second)
	reused := 0
	for try := 0; try < 20 && reused == 0; try++ {
		a := NewSeries(time.Second)
		a.Reserve(5)
		for i := range 5000 { // dense bins, every count set
			a.Record(int64(i%5)*sec+int64(i), time.Duration(1+i%700)*10*time.Microsecond, i%3 == 0)
		}
		a.MarkSlow(4 * sec)
		first := &a.Bins()[0]
		require.NotEmpty(t, first.Latency.counts)
		a.Release()
		b := NewSeries(time.Second)
		b.Reserve(5)
		want := make([]Histogram, 5)
		for i := range 300 { // other latencies, fewer of them
			v := time.Duration(1+i%50) * 3 * time.Microsecond
			b.Record(int64(i%5)*sec, v, true)
			want[i%5].Record(v)
		}
		bins := b.Bins()
		if &bins[0] == first {
			reused++
		}
		require.Len(t, bins, 5)
		for i := range bins {
			assert.Equal(t, []uint64{60, 0, 0}, []uint64{bins[i].Count, bins[i].Errors, bins[i].Slow})
			assert.Equal(t, want[i].CDF(), bins[i].Latency.CDF(), "bin %d", i)
			assert.Equal(t, want[i].Sum(), bins[i].Latency.Sum(), "bin %d", i)
		}
	}
	require.NotZero(t, reused, "the released bins were never reused")
	// Sparse bins reuse their slots' bucket lists, emptied.
	reused = 0
	for try := 0; try < 20 && reused == 0; try++ {
		a := NewSeries(time.Second)
		a.Reserve(4)
		for i := range 40 {
			a.Record(int64(i%4)*sec, time.Duration(i+1)*time.Millisecond, true) // 10 buckets a bin
		}
		first := &a.Bins()[1]
		require.NotEmpty(t, first.Latency.sparse)
		list := &first.Latency.sparse[:1][0]
		a.Release()
		b := NewSeries(time.Second)
		b.Reserve(4)
		var want [4]Histogram
		for i := range 8 {
			v := time.Duration(100+i) * time.Second
			b.Record(int64(i%4)*sec, v, true)
			want[i%4].Record(v)
		}
		bins := b.Bins()
		if len(bins[1].Latency.sparse) > 0 && &bins[1].Latency.sparse[0] == list {
			reused++
		}
		for i := range bins {
			assert.Equal(t, want[i].CDF(), bins[i].Latency.CDF(), "bin %d", i)
		}
	}
	require.NotZero(t, reused, "the released bucket lists were never reused")
	// Dense storage from the pool comes back zeroed.
	dirty := make([]uint64, 100, 128)
	for i := range dirty {
		dirty[i] = 7
	}
	putCounts(dirty)
	got := getCounts(90)
	assert.Len(t, got, 90)
	assert.GreaterOrEqual(t, cap(got), 90)
	assert.Zero(t, slices.Max(got))
}

// TestBucketTableIsTheLogarithm checks the default accuracy's bucket
// table against the logarithm it stands for: at every boundary and its
// neighbours, every value below 100,000, a million values spread
// log-uniformly up to MaxValue, and MaxValue.
func TestBucketTableIsTheLogarithm(t *testing.T) {
	h := &defaultBuckets
	check := func(v time.Duration) bool {
		if v < 1 || v > MaxValue {
			return true
		}
		return assert.Equal(t, h.logIndex(v), defaultIdx.of(v), "v=%d", v)
	}
	for i := 1; i < len(defaultIdx.lo); i++ {
		b := defaultIdx.lo[i]
		for _, v := range []time.Duration{b - 2, b - 1, b, b + 1, b + 2} {
			if !check(v) {
				return
			}
		}
	}
	for v := time.Duration(1); v < 100000; v++ {
		if !check(v) {
			return
		}
	}
	r := rand.New(rand.NewPCG(5, 9))
	for range 1000000 {
		if !check(time.Duration(math.Exp(r.Float64() * math.Log(float64(MaxValue))))) {
			return
		}
	}
	check(MaxValue)
	assert.Equal(t, h.maxIndex, len(defaultIdx.lo)-1)
}
