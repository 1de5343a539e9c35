package stats_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/sim/stats"
)

func TestSeriesBinBoundaries(t *testing.T) {
	const w = int64(time.Second)
	for _, tc := range []struct {
		name      string
		at        int64
		wantStart int64
	}{
		{"zero", 0, 0},
		{"last-ns-of-bin-0", w - 1, 0},
		{"start-of-bin-1", w, w},
		{"last-ns-of-bin-1", 2*w - 1, w},
		{"start-of-bin-7", 7 * w, 7 * w},
		{"middle-of-bin-7", 7*w + w/2, 7 * w},
		{"negative-goes-to-bin-minus-1", -1, -w},
		{"exactly-minus-width", -w, -w},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stats.NewSeries(time.Second)
			s.Record(tc.at, time.Millisecond, true)
			bins := s.Bins()
			require.Len(t, bins, 1)
			assert.Equal(t, tc.wantStart, bins[0].Start)
			assert.Equal(t, uint64(1), bins[0].Count)
		})
	}
}

func TestSeriesGapsAreEmptyBins(t *testing.T) {
	s := stats.NewSeries(time.Second)
	s.Record(int64(4*time.Second), 2*time.Millisecond, true)
	s.Record(int64(1*time.Second), time.Millisecond, false)
	bins := s.Bins()
	require.Len(t, bins, 4, "bins 1..4")
	for i, b := range bins {
		assert.Equal(t, int64(i+1)*int64(time.Second), b.Start)
	}
	assert.Equal(t, []uint64{1, 0, 0, 1}, []uint64{bins[0].Count, bins[1].Count, bins[2].Count, bins[3].Count})
	assert.Equal(t, uint64(1), bins[0].Errors)
	assert.Zero(t, bins[1].Latency.Quantile(0.5), "an empty bin's quantiles are 0")
}

func TestSeriesErrorsKeepLatency(t *testing.T) {
	s := stats.NewSeries(time.Second)
	s.Record(0, 10*time.Millisecond, true)
	s.Record(1, 6*time.Second, false) // a timed-out request
	s.Record(2, 20*time.Millisecond, false)
	bins := s.Bins()
	require.Len(t, bins, 1)
	b := bins[0]
	assert.Equal(t, uint64(3), b.Count)
	assert.Equal(t, uint64(2), b.Errors)
	assert.Equal(t, b.Count, b.Latency.Count())
	assert.Equal(t, 6*time.Second, b.Latency.Max(), "an error's latency is recorded")
	assert.Equal(t, 10*time.Millisecond, b.Latency.Min())
}

type request struct {
	at      int64
	latency time.Duration
	ok      bool
}

// requests returns n requests starting in [0, span) with bimodal latencies,
// 5% of them errors, in random order (requests finish out of order).
func requests(r *rand.Rand, n int, span time.Duration) []request {
	lat := bimodal(r, n)
	out := make([]request, n)
	for i := range out {
		out[i] = request{at: r.Int64N(int64(span)), latency: lat[i], ok: r.Float64() >= 0.05}
	}
	return out
}

// TestSeriesMatchesNaiveOracle records requests in random time order and
// compares every bin with one built from that bin's requests alone.
func TestSeriesMatchesNaiveOracle(t *testing.T) {
	const width = 250 * time.Millisecond
	r := rand.New(rand.NewPCG(20, 0))
	reqs := requests(r, 20000, 10*time.Second)
	s := stats.NewSeries(width)
	for _, q := range reqs {
		s.Record(q.at, q.latency, q.ok)
	}

	type oracleBin struct {
		count, errors uint64
		h             stats.Histogram
	}
	oracle := map[int64]*oracleBin{}
	for _, q := range reqs {
		start := q.at / int64(width) * int64(width)
		b := oracle[start]
		if b == nil {
			b = &oracleBin{}
			oracle[start] = b
		}
		b.count++
		if !q.ok {
			b.errors++
		}
		b.h.Record(q.latency)
	}

	bins := s.Bins()
	require.Len(t, bins, 40)
	for i, b := range bins {
		require.Equal(t, int64(i)*int64(width), b.Start)
		o := oracle[b.Start]
		require.NotNil(t, o, "bin %d", i)
		assert.Equal(t, o.count, b.Count, "bin %d", i)
		assert.Equal(t, o.errors, b.Errors, "bin %d", i)
		assertHistogramsEqual(t, &o.h, &b.Latency)
	}
}

func TestSeriesMergeEqualsUnion(t *testing.T) {
	for seed := range uint64(5) {
		r := rand.New(rand.NewPCG(21, seed))
		reqs := requests(r, 5000, 20*time.Second)
		union := stats.NewSeries(time.Second)
		k := 2 + r.IntN(4)
		parts := make([]*stats.Series, k)
		for i := range parts {
			parts[i] = stats.NewSeries(time.Second)
		}
		for _, q := range reqs {
			union.Record(q.at, q.latency, q.ok)
			// Part 0 gets only late requests, so merging must prepend bins.
			p := r.IntN(k)
			if q.at < int64(10*time.Second) {
				p = 1 + r.IntN(k-1)
			}
			parts[p].Record(q.at, q.latency, q.ok)
		}
		merged := parts[0]
		for _, p := range parts[1:] {
			merged.Merge(p)
		}
		want, got := union.Bins(), merged.Bins()
		require.Equal(t, len(want), len(got))
		for i := range want {
			assert.Equal(t, want[i].Start, got[i].Start)
			assert.Equal(t, want[i].Count, got[i].Count)
			assert.Equal(t, want[i].Errors, got[i].Errors)
			assertHistogramsEqual(t, &want[i].Latency, &got[i].Latency)
		}
	}
}

// TestSeriesCloneIsIndependent clones a series (dense and sparse bins,
// errors, slow and ambiguous marks), checks that the clone holds the same
// bins, and that recording into either afterwards leaves the other as it
// was.
func TestSeriesCloneIsIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 1))
	s := stats.NewSeries(time.Second)
	for _, q := range requests(r, 3000, 10*time.Second) {
		s.Record(q.at, q.latency, q.ok)
		if !q.ok {
			s.MarkSlow(q.at)
			s.MarkAmbiguous(q.at)
		}
	}
	s.Record(int64(12*time.Second), time.Millisecond, true) // a sparse bin after a gap
	c := s.Clone()
	check := func(want, got []stats.Bin) {
		t.Helper()
		require.Equal(t, len(want), len(got))
		for i := range want {
			assert.Equal(t, []any{want[i].Start, want[i].Count, want[i].Errors, want[i].Ambiguous, want[i].Slow},
				[]any{got[i].Start, got[i].Count, got[i].Errors, got[i].Ambiguous, got[i].Slow})
			assertHistogramsEqual(t, &want[i].Latency, &got[i].Latency)
		}
	}
	check(s.Bins(), c.Bins())
	snapshot := stats.NewSeries(time.Second) // a copy that shares nothing, made without Clone
	snapshot.Merge(s)
	want := snapshot.Bins()
	for i := range 200 {
		c.Record(int64(i)*int64(50*time.Millisecond), time.Duration(i+1)*time.Millisecond, true)
	}
	check(want, s.Bins())
	s.Record(int64(time.Second), time.Hour, false)
	assert.NotEqual(t, s.Bins()[1].Count, c.Bins()[1].Count)
	assert.Equal(t, time.Hour, s.Bins()[1].Latency.Max())
	assert.Less(t, c.Bins()[1].Latency.Max(), time.Hour)
}

func TestSeriesMergeEmpty(t *testing.T) {
	a := stats.NewSeries(time.Second)
	a.Merge(stats.NewSeries(time.Second))
	assert.Nil(t, a.Bins())
	b := stats.NewSeries(time.Second)
	b.Record(int64(3*time.Second), time.Millisecond, true)
	a.Merge(b)
	require.Len(t, a.Bins(), 1)
	assert.Equal(t, int64(3*time.Second), a.Bins()[0].Start)
}

func TestSeriesPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"zero-width", func() { stats.NewSeries(0) }},
		{"negative-width", func() { stats.NewSeries(-time.Second) }},
		{"zero-value-record", func() { new(stats.Series).Record(0, time.Millisecond, true) }},
		{"merge-different-width", func() { stats.NewSeries(time.Second).Merge(stats.NewSeries(time.Minute)) }},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Panics(t, tc.fn) })
	}
}

func TestSeriesRecordInExistingBinDoesNotAllocate(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 0))
	lat := bimodal(r, 4096)
	s := stats.NewSeries(time.Second)
	for i, l := range lat { // warm-up: creates bins 0..2 and their bucket ranges
		s.Record(int64(i%3)*int64(time.Second)+int64(i), l, true)
	}
	require.Len(t, s.Bins(), 3)
	i := 0
	allocs := testing.AllocsPerRun(10000, func() {
		s.Record(int64(i%3)*int64(time.Second)+int64(i%1000), lat[i%len(lat)], i%7 != 0)
		i++
	})
	assert.Zero(t, allocs)
}

func BenchmarkSeriesRecord(b *testing.B) {
	r := rand.New(rand.NewPCG(23, 0))
	lat := bimodal(r, 1<<12)
	s := stats.NewSeries(time.Second)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// 1 M requests per simulated second, starting in time order.
		s.Record(int64(i)*1000, lat[i&(len(lat)-1)], true)
		i++
	}
}

func TestSeriesSlowCountsAndMerges(t *testing.T) {
	a, b := stats.NewSeries(time.Second), stats.NewSeries(time.Second)
	a.Record(int64(100*time.Millisecond), 2*time.Second, true)
	a.MarkSlow(int64(100 * time.Millisecond))
	a.Record(int64(200*time.Millisecond), time.Millisecond, true)
	b.Record(int64(1500*time.Millisecond), time.Millisecond, false)
	b.MarkSlow(int64(1500 * time.Millisecond))
	require.Len(t, a.Bins(), 1)
	assert.Equal(t, uint64(1), a.Bins()[0].Slow)
	a.Merge(b)
	require.Len(t, a.Bins(), 2)
	assert.Equal(t, []uint64{1, 1}, []uint64{a.Bins()[0].Slow, a.Bins()[1].Slow})
	// A bin cannot hold more slow requests than requests.
	assert.Panics(t, func() { b.MarkSlow(int64(1500 * time.Millisecond)) })
}
