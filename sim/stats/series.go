package stats

import (
	"fmt"
	"math/bits"
	"sync"
	"time"
)

// Bin is one interval of a Series: the requests that started in
// [Start, Start+width).
type Bin struct {
	// Start is the first instant of the bin in simulated nanoseconds; it is a
	// multiple of the series width.
	Start int64
	// Count is the number of requests recorded in the bin, errors included;
	// it always equals Latency.Count().
	Count uint64
	// Errors is the number of those requests recorded with ok == false.
	Errors uint64
	// Ambiguous is the number of those errors marked ambiguous
	// (MarkAmbiguous): the client cannot know whether the write took effect.
	Ambiguous uint64
	// Slow is the number of the bin's requests marked slow (MarkSlow): what
	// counts as slow is the caller's choice (regionsim: an error, or a
	// success slower than a threshold).
	Slow uint64
	// Latency holds the latencies of all the bin's requests, errors included;
	// the bin's p50 and p99 are Latency.Quantile(0.5) and Latency.Quantile(0.99).
	Latency Histogram
}

// Series is a time series of request outcomes in fixed-width bins of
// simulated time, for timelines: bin i covers [i*width, (i+1)*width)
// nanoseconds. Bins are created on demand and records may arrive in any time
// order. Memory is proportional to the number of bins from the earliest to
// the latest recorded instant, and within a bin to the spread of its
// latencies, never to the number of records.
//
// The zero Series is not usable; make one with NewSeries. A Series is not safe
// for concurrent use.
type Series struct {
	width  int64   // bin width in nanoseconds, > 0
	relAcc float64 // relative accuracy of the bins' histograms
	first  int64   // bin number of bins[0]
	bins   []Bin   // dense from first to the latest bin recorded
	expect int     // bins to make room for at the first record (Reserve)
}

// NewSeries returns an empty series with bins width nanoseconds wide whose
// histograms have DefaultRelativeAccuracy. It panics if width <= 0.
func NewSeries(width time.Duration) *Series {
	if width <= 0 {
		panic(fmt.Sprintf("stats: series width %v must be positive", width))
	}
	return &Series{width: int64(width), relAcc: DefaultRelativeAccuracy}
}

// Reserve makes room for n bins, allocated at the first record, so that a
// series expected to span n bins does not grow its bins one by one (a
// bin is some 200 bytes). It changes nothing else: the series still spans
// what it records.
func (s *Series) Reserve(n int) { s.expect = n }

// Width returns the width of each bin in nanoseconds.
func (s *Series) Width() time.Duration { return time.Duration(s.width) }

// Record adds one request that started at simulated instant at (nanoseconds)
// and took latency nanoseconds; ok == false counts it as an error, whose
// latency is recorded all the same. The request goes to bin floor(at/width).
// Recording into an existing bin costs O(1) (O(log 32) and an insertion
// into at most 32 entries while the bin is sparse) and allocates only when
// the bin's histogram meets a new latency range; a new bin costs amortised
// O(1) per bin spanned (O(bins) when it precedes every existing bin).
func (s *Series) Record(at int64, latency time.Duration, ok bool) {
	if s.width <= 0 {
		panic("stats: Record on a Series not made by NewSeries")
	}
	b := &s.bins[s.binIndex(floorDiv(at, s.width))]
	b.Count++
	if !ok {
		b.Errors++
	}
	b.Latency.Record(latency)
}

// RecordSample is Record with a latency whose bucket is computed
// (stats.NewSample), for recording one request into several histograms.
func (s *Series) RecordSample(at int64, latency Sample, ok bool) {
	if s.width <= 0 {
		panic("stats: Record on a Series not made by NewSeries")
	}
	b := &s.bins[s.binIndex(floorDiv(at, s.width))]
	b.Count++
	if !ok {
		b.Errors++
	}
	b.Latency.RecordSample(latency)
}

// MarkAmbiguous counts the error just recorded at instant at as ambiguous.
// It panics if that bin holds no more errors than ambiguous ones.
func (s *Series) MarkAmbiguous(at int64) {
	b := &s.bins[s.binIndex(floorDiv(at, s.width))]
	if b.Ambiguous >= b.Errors {
		panic("stats: MarkAmbiguous without an error to mark")
	}
	b.Ambiguous++
}

// MarkSlow counts the request just recorded at instant at as slow. It
// panics if that bin holds no more requests than slow ones.
func (s *Series) MarkSlow(at int64) {
	b := &s.bins[s.binIndex(floorDiv(at, s.width))]
	if b.Slow >= b.Count {
		panic("stats: MarkSlow without a request to mark")
	}
	b.Slow++
}

// binIndex returns the position in s.bins of bin number k, creating it and
// any empty bins between it and the existing ones.
func (s *Series) binIndex(k int64) int {
	if len(s.bins) == 0 {
		s.first = k
		if cap(s.bins) == 0 {
			s.bins = takeBins(s.expect)
		}
		s.appendBin(k)
		return 0
	}
	i := k - s.first
	switch {
	case i < 0:
		bins := make([]Bin, 0, max(int64(len(s.bins))-i, int64(s.expect)))
		for j := k; j < s.first; j++ {
			bins = append(bins, s.newBin(j))
		}
		s.bins = append(bins, s.bins...)
		s.first = k
		return 0
	case i >= int64(len(s.bins)):
		for j := s.first + int64(len(s.bins)); j <= k; j++ {
			s.appendBin(j)
		}
	}
	return int(i)
}

// appendBin appends the empty bin k (newBin) to s.bins. Within their
// capacity (a series whose bins came from binPools) the new bin keeps its
// sparse buckets in the storage the slot's earlier bin left there.
func (s *Series) appendBin(k int64) {
	n := len(s.bins)
	if n == cap(s.bins) {
		s.bins = append(s.bins, s.newBin(k))
		return
	}
	var like *Histogram
	if n > 0 {
		like = &s.bins[n-1].Latency
	}
	s.bins = s.bins[:n+1]
	old := s.bins[n].Latency.sparse
	s.bins[n] = s.newBinWith(k, like, old[:0:cap(old)])
}

// binPools keep the bins of released series (Release) for new ones (their
// sparse buckets' storage with them), and countPools the dense buckets of
// their histograms, both by size: a run allocated most of its memory for
// its timelines' bins, and runs follow one another (seeds, sweeps,
// comparisons, benchmarks). binPools[c] holds bin slices of a capacity of
// at least 1<<c, countPools[c] count slices of at least minPooled<<c.
var (
	binPools   [16]sync.Pool
	countPools [12]sync.Pool
)

// takeBins returns an empty bin slice with room for n bins (n rounded up
// to a power of two, so that a series reserving as many finds it again
// once released), released by an earlier series if one of that size or
// twice it is there (a larger one is left for a larger series); nil for
// n <= 0 with none released.
func takeBins(n int) []Bin {
	c := bits.Len(uint(max(n, 1) - 1)) // 1<<c >= n
	for d := c; d < min(c+2, len(binPools)); d++ {
		if p, _ := binPools[d].Get().(*[]Bin); p != nil {
			return (*p)[:0]
		}
	}
	if n <= 0 {
		return nil
	}
	return make([]Bin, 0, 1<<bits.Len(uint(n-1)))
}

// minPooled is the smallest dense bucket storage countPools keeps.
const minPooled = 64

// getCounts returns n zeroed counts, from countPools if one is there.
func getCounts(n int) []uint64 {
	c := max(0, bits.Len(uint(n-1))-bits.Len(minPooled-1)) // minPooled<<c >= n
	if c < len(countPools) {
		if p, _ := countPools[c].Get().(*[]uint64); p != nil {
			b := (*p)[:n]
			clear(b)
			return b
		}
		return make([]uint64, n, minPooled<<c)
	}
	return make([]uint64, n)
}

// putCounts gives b to countPools.
func putCounts(b []uint64) {
	if cap(b) < minPooled {
		return
	}
	c := bits.Len(uint(cap(b))) - bits.Len(minPooled) // minPooled<<c <= cap(b)
	if c < len(countPools) {
		countPools[c].Put(&b)
	}
}

// Release gives s's bins and the bucket storage of their histograms to
// later series to reuse; s must not be used again, nor anything read from
// it (Bins) before. What a histogram holds does not depend on the storage
// it reuses.
func (s *Series) Release() {
	for i := range s.bins {
		h := &s.bins[i].Latency
		putCounts(h.counts)
		h.counts = nil
	}
	if c := bits.Len(uint(cap(s.bins))) - 1; c >= 0 { // 1<<c <= cap
		bins := s.bins[:0]
		binPools[min(c, len(binPools)-1)].Put(&bins)
	}
	*s = Series{}
}

// newBin returns an empty bin k. Its histogram starts with the buckets of
// the series' nearest bin (the last, or the first when k precedes it) if
// that one is dense: neighbouring bins see much the same latencies, so the
// new one then allocates once instead of growing bucket by bucket as its
// latencies spread. After a sparse bin it starts sparse (Histogram.sparse).
// Lending only a busy neighbour's buckets, and letting every quiet bin
// start sparse, allocated less but ran slower (docs/decisions.md, "Sparse
// timeline bins"). What a histogram holds does not depend on the buckets it
// has allocated (nor on the storage it reuses: Release).
func (s *Series) newBin(k int64) Bin {
	var like *Histogram
	if n := len(s.bins); n > 0 {
		like = &s.bins[n-1].Latency
		if k < s.first {
			like = &s.bins[0].Latency
		}
	}
	return s.newBinWith(k, like, nil)
}

// newBinWith returns an empty bin k whose histogram starts with like's
// buckets if like is dense (nil: none), in storage from countPools, and
// keeps its sparse buckets in sparse (empty, any capacity).
func (s *Series) newBinWith(k int64, like *Histogram, sparse []sparseBucket) Bin {
	b := Bin{Start: k * s.width, Latency: makeHistogram(s.relAcc)}
	b.Latency.sparseOK = true
	b.Latency.sparse = sparse
	if like != nil && len(like.counts) > 0 && like.relAcc == b.Latency.relAcc {
		b.Latency.counts, b.Latency.base = getCounts(len(like.counts)), like.base
	}
	return b
}

// floorDiv returns floor(a/b) for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// Bins returns the bins in time order, from the earliest to the latest bin
// that received a record, including empty bins (Count 0) between them, or nil
// if nothing was recorded. The slice and the histograms in it belong to s:
// they are valid until the next call that modifies s and must not be
// modified. Bins takes O(1) time.
func (s *Series) Bins() []Bin { return s.bins }

// Merge adds every request recorded in other to s, bin by bin; the result is
// identical to a series that recorded the requests of both. other is not
// modified. Merge panics if the series differ in width or accuracy, a
// programmer error.
func (s *Series) Merge(other *Series) {
	if s.width != other.width || s.relAcc != other.relAcc {
		panic(fmt.Sprintf("stats: Merge of series with different width or accuracy (%v/%v and %v/%v)",
			time.Duration(s.width), s.relAcc, time.Duration(other.width), other.relAcc))
	}
	if len(other.bins) == 0 {
		return
	}
	s.binIndex(other.first)
	s.binIndex(other.first + int64(len(other.bins)) - 1)
	for j := range other.bins {
		o := &other.bins[j]
		b := &s.bins[other.first+int64(j)-s.first]
		b.Count += o.Count
		b.Errors += o.Errors
		b.Ambiguous += o.Ambiguous
		b.Slow += o.Slow
		b.Latency.Merge(&o.Latency)
	}
}

// Clone returns an independent copy of s: the same bins, each histogram
// copied (Histogram.Clone), in time linear in the buckets s holds.
func (s *Series) Clone() *Series {
	c := *s
	c.bins = make([]Bin, len(s.bins))
	for i := range s.bins {
		b := s.bins[i]
		b.Latency = *s.bins[i].Latency.Clone()
		c.bins[i] = b
	}
	return &c
}
