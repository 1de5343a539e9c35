package stats

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"
)

// DefaultRelativeAccuracy is the relative accuracy of a Histogram made by
// NewDefaultHistogram or declared as a zero value: every quantile is within
// 0.5% of the exact sample quantile (plus rounding to whole nanoseconds).
const DefaultRelativeAccuracy = 0.005

// MinRelativeAccuracy and MaxRelativeAccuracy bound the relative accuracy
// accepted by NewHistogram. The lower bound caps memory: at
// MinRelativeAccuracy a histogram spanning every value from 1 ns to MaxValue
// holds about 150,000 buckets (1.2 MB); at DefaultRelativeAccuracy about 3,000
// buckets (24 KB).
const (
	MinRelativeAccuracy = 0.0001
	MaxRelativeAccuracy = 0.5
)

// MaxValue is the largest latency a Histogram distinguishes, 10^13 ns (about
// 2h47m). Larger values are recorded as MaxValue; values <= 0 are recorded as
// 0 in a separate zero bucket. Together these bound a histogram's bucket
// range for any input.
const MaxValue time.Duration = 1e13

// minAllocBuckets is the size of the first bucket slice a histogram allocates,
// centred on the first value: 64 buckets span a factor of about 1.9 at the
// default accuracy.
const minAllocBuckets = 64

// Histogram is a streaming latency histogram in the style of DDSketch:
// values in nanoseconds are counted in logarithmic buckets, bucket i holding
// the values v with gamma^(i-1) < v <= gamma^i, where
// gamma = (1+a)/(1-a) for the relative accuracy a. Count, Sum, Min and Max are
// kept exactly alongside.
//
// The counts live in one dense slice covering the bucket indexes seen so far
// plus growth slack; it grows geometrically, so once the range of values is
// established Record allocates nothing. (A timeline bin's histogram keeps
// its first non-empty buckets as a short sorted list instead: see sparse.)
// Indexes are bounded by MaxValue, so memory is bounded for any input (see
// MinRelativeAccuracy).
//
// The zero Histogram is an empty histogram with DefaultRelativeAccuracy, ready
// to use, so histograms can be fields or slice elements of larger structs.
// Copying a non-empty Histogram by value shares its bucket storage (which a
// later Record into either changes); use Clone for an independent copy. A
// Histogram is not safe for concurrent use.
type Histogram struct {
	relAcc    float64 // a; 0 in the zero value until first use
	lnGamma   float64 // ln(gamma)
	invLn     float64 // 1 / ln(gamma)
	repFactor float64 // 2/(gamma+1): bucket i's representative is gamma^i * repFactor
	maxIndex  int     // index of the bucket holding MaxValue

	counts []uint64 // counts[i] is the count of bucket base+i
	base   int      // bucket index of counts[0]
	// sparse holds the non-empty buckets in ascending order instead of
	// counts, in a histogram allowed to (sparseOK: a timeline bin) that has
	// not yet seen more than sparseMax distinct buckets and was not given
	// dense buckets to start with (Series.newBin lends a dense
	// neighbour's). A bin of a few dozen requests, spread from a
	// millisecond to a minute, would otherwise hold a dense slice of
	// hundreds of buckets (docs/decisions.md, "Sparse timeline bins").
	// What it answers does not depend on the form.
	sparse   []sparseBucket
	sparseOK bool

	zeros uint64 // records of values <= 0
	count uint64 // all records, including zeros
	sumLo uint64 // low 64 bits of the exact sum of recorded (clamped) values
	sumHi uint64 // high 64 bits of that sum
	min   time.Duration
	max   time.Duration
}

// NewHistogram returns an empty histogram whose quantiles are within relative
// error relAccuracy of the exact sample quantiles (plus rounding to whole
// nanoseconds). It panics if relAccuracy is outside
// [MinRelativeAccuracy, MaxRelativeAccuracy].
func NewHistogram(relAccuracy float64) *Histogram {
	h := &Histogram{}
	h.init(relAccuracy)
	return h
}

// NewDefaultHistogram returns an empty histogram with
// DefaultRelativeAccuracy; it behaves exactly like new(Histogram).
func NewDefaultHistogram() *Histogram { return NewHistogram(DefaultRelativeAccuracy) }

// sparseBucket is one non-empty bucket of a sparse histogram.
type sparseBucket struct {
	idx int
	n   uint64
}

// sparseMax is the most buckets a sparse histogram holds before it turns
// dense. Measured (docs/decisions.md, "Sparse timeline bins"): 128 left a
// sweep's bins allocating a third less again, but made default 4.6 %
// slower, its busier bins searching some 60 buckets on every record.
const sparseMax = 32

// makeHistogram returns an empty histogram value with the given accuracy
// (of DefaultRelativeAccuracy, a copy of defaultBuckets' parameters: a
// timeline makes one per bin, and init takes two logarithms).
func makeHistogram(relAccuracy float64) Histogram {
	if d := &defaultBuckets; relAccuracy == DefaultRelativeAccuracy {
		return Histogram{relAcc: d.relAcc, lnGamma: d.lnGamma, invLn: d.invLn, repFactor: d.repFactor, maxIndex: d.maxIndex}
	}
	return newParams(relAccuracy)
}

func (h *Histogram) init(relAccuracy float64) {
	if !(relAccuracy >= MinRelativeAccuracy && relAccuracy <= MaxRelativeAccuracy) {
		panic(fmt.Sprintf("stats: relative accuracy %v outside [%v, %v]",
			relAccuracy, MinRelativeAccuracy, MaxRelativeAccuracy))
	}
	gamma := (1 + relAccuracy) / (1 - relAccuracy)
	h.relAcc = relAccuracy
	h.lnGamma = math.Log(gamma)
	h.invLn = 1 / h.lnGamma
	h.repFactor = 2 / (gamma + 1)
	h.maxIndex = h.logIndex(MaxValue)
}

// ensureInit gives a zero-value histogram the default accuracy.
func (h *Histogram) ensureInit() {
	if h.relAcc == 0 {
		h.init(DefaultRelativeAccuracy)
	}
}

// RelativeAccuracy returns the histogram's relative accuracy a: quantiles are
// within a factor [1-a, 1+a] of the exact sample quantile.
func (h *Histogram) RelativeAccuracy() float64 {
	if h.relAcc == 0 {
		return DefaultRelativeAccuracy
	}
	return h.relAcc
}

// index returns the bucket index of v, which must be in [1, MaxValue]:
// ceil(ln v / ln gamma), by table at DefaultRelativeAccuracy (defaultIdx).
func (h *Histogram) index(v time.Duration) int {
	if h.invLn == defaultBuckets.invLn && defaultIdx.lo != nil {
		return defaultIdx.of(v)
	}
	return h.logIndex(v)
}

// logIndex is index computed: ceil(ln v / ln gamma).
func (h *Histogram) logIndex(v time.Duration) int {
	return int(math.Ceil(math.Log(float64(v)) * h.invLn))
}

// bucketTable gives the bucket index of defaultBuckets, the one every
// request's latency is filed under (NewSample), without a logarithm: the
// same index logIndex computes, by table. logIndex is non-decreasing in v
// on [1, MaxValue] (the logarithms of neighbouring integers up to 1e13
// differ by at least 1e-13, some 28 ulps of ln 1e13, and math.Log errs by
// less than one; scaling and ceil keep the order), so bucket i holds the
// integers from lo[i] (the least v with logIndex(v) >= i) below lo[i+1].
// start[k] is the index of the least value of key k: v itself below 128,
// else the top seven bits of v and its bit length (a span of 1/64 to
// 1/128 of v, where buckets are 1 % wide), from which the lookup (of)
// steps over at most a few boundaries. TestBucketTableIsTheLogarithm checks it against
// logIndex around every boundary and at a million other values.
type bucketTable struct {
	lo    []time.Duration // lo[i] for i in [0, maxIndex]
	start []int32
}

// defaultIdx is defaultBuckets' table.
var defaultIdx = newBucketTable(&defaultBuckets)

// tableKey returns v's key in bucketTable.start.
func tableKey(v time.Duration) int {
	l := bits.Len64(uint64(v))
	if l <= 7 {
		return int(v)
	}
	return (l-7)*64 + int(v>>(l-7))
}

// newBucketTable builds h's table: each boundary from its value
// exp((i-1) ln gamma), moved to the exact integer by logIndex itself.
func newBucketTable(h *Histogram) bucketTable {
	t := bucketTable{lo: make([]time.Duration, h.maxIndex+1)}
	for i := 1; i <= h.maxIndex; i++ {
		c := time.Duration(math.Exp(float64(i-1) * h.lnGamma))
		c = min(max(c, 1), MaxValue)
		for c > 1 && h.logIndex(c-1) >= i {
			c--
		}
		for c < MaxValue && h.logIndex(c) < i {
			c++
		}
		t.lo[i] = max(c, t.lo[i-1])
	}
	t.start = make([]int32, tableKey(MaxValue)+1)
	for k := range t.start {
		least := time.Duration(k)
		if k >= 128 {
			l := k/64 + 6 // the bit length of the key's values
			least = time.Duration(k-(l-7)*64) << (l - 7)
		}
		if least >= 1 {
			t.start[k] = int32(h.logIndex(min(least, MaxValue)))
		}
	}
	return t
}

// of returns the bucket index of v in [1, MaxValue].
func (t *bucketTable) of(v time.Duration) int {
	i := int(t.start[tableKey(v)])
	for i+1 < len(t.lo) && t.lo[i+1] <= v {
		i++
	}
	return i
}

// representative returns bucket i's representative value in nanoseconds,
// 2*gamma^i/(gamma+1), which is within relative error a of every value in the
// bucket.
func (h *Histogram) representative(i int) float64 {
	return math.Exp(float64(i)*h.lnGamma) * h.repFactor
}

// Record adds one latency v in nanoseconds. Values <= 0 are counted in the
// zero bucket as 0 and values above MaxValue as MaxValue, also for Sum, Min
// and Max. Record allocates only when v falls outside the bucket range
// allocated so far (or, sparse, meets a new bucket); it takes O(1) time
// (a search of at most sparseMax buckets while sparse).
func (h *Histogram) Record(v time.Duration) {
	if h.relAcc == 0 {
		h.init(DefaultRelativeAccuracy)
	}
	v = clamp(v)
	idx := 0
	if v > 0 {
		idx = h.index(v)
	}
	h.record(v, idx)
}

// clamp maps v to [0, MaxValue], as Record stores it.
func clamp(v time.Duration) time.Duration {
	return min(max(v, 0), MaxValue)
}

// record adds v, already clamped, whose bucket index is idx (unused when
// v is 0).
func (h *Histogram) record(v time.Duration, idx int) {
	if v == 0 {
		h.zeros++
	} else if i := idx - h.base; uint(i) < uint(len(h.counts)) {
		h.counts[i]++
	} else {
		h.add(idx, 1)
	}
	if h.count == 0 || v < h.min {
		h.min = v
	}
	if h.count == 0 || v > h.max {
		h.max = v
	}
	h.count++
	var carry uint64
	h.sumLo, carry = bits.Add64(h.sumLo, uint64(v), 0)
	h.sumHi += carry
}

// Sample is one latency with its bucket at DefaultRelativeAccuracy
// computed once (NewSample), so that recording it into several histograms
// (a run's, its timeline bins') takes one logarithm. The zero Sample is the
// latency 0.
type Sample struct {
	v   time.Duration // clamped to [0, MaxValue]
	idx int           // bucket index at DefaultRelativeAccuracy (0 when v is 0)
}

// defaultBuckets is a histogram of DefaultRelativeAccuracy, whose index
// function NewSample uses (the very computation Record does).
var defaultBuckets = newParams(DefaultRelativeAccuracy)

// newParams returns an empty histogram with the given accuracy, its
// parameters computed.
func newParams(relAccuracy float64) Histogram {
	var h Histogram
	h.init(relAccuracy)
	return h
}

// NewSample returns latency v (ns) ready to record, clamped as Record
// clamps it. O(1).
func NewSample(v time.Duration) Sample {
	v = clamp(v)
	if v == 0 {
		return Sample{}
	}
	return Sample{v: v, idx: defaultIdx.of(v)}
}

// Value returns the latency s holds (ns, clamped to [0, MaxValue]).
func (s Sample) Value() time.Duration { return s.v }

// RecordSample adds s: the same as Record(s.Value()), without computing
// the bucket again when h has DefaultRelativeAccuracy (the zero
// Histogram's). O(1).
func (h *Histogram) RecordSample(s Sample) {
	if h.relAcc == 0 {
		h.init(DefaultRelativeAccuracy)
	}
	if h.relAcc != DefaultRelativeAccuracy {
		h.Record(s.v)
		return
	}
	h.record(s.v, s.idx)
}

// add adds n to bucket idx, in the sparse form while the histogram may and
// does keep it, else in the dense one (growing it as needed).
func (h *Histogram) add(idx int, n uint64) {
	if h.sparseOK && len(h.counts) == 0 {
		// A binary search, written out: this is the record path of every
		// sparse bin.
		sp := h.sparse
		k, hi := 0, len(sp)
		for k < hi {
			if m := int(uint(k+hi) >> 1); sp[m].idx < idx {
				k = m + 1
			} else {
				hi = m
			}
		}
		if k < len(sp) && sp[k].idx == idx {
			sp[k].n += n
			return
		}
		if len(sp) < sparseMax {
			if len(sp) == cap(sp) {
				// Grown 4, 8, 16, 32 (append's first steps, 1 and 2,
				// cost a bin with a few requests two allocations more).
				sp = append(make([]sparseBucket, 0, min(max(4, 2*len(sp)), sparseMax)), sp...)
			}
			h.sparse = slices.Insert(sp, k, sparseBucket{idx, n})
			return
		}
		h.densify()
	}
	h.grow(idx)
	h.counts[idx-h.base] += n
}

// densify moves a sparse histogram's buckets into the dense form.
func (h *Histogram) densify() {
	if len(h.sparse) == 0 {
		return
	}
	sp := h.sparse
	h.sparse = nil
	h.grow(sp[0].idx)
	h.grow(sp[len(sp)-1].idx)
	for _, b := range sp {
		h.counts[b.idx-h.base] += b.n
	}
}

// grow reallocates the bucket slice so that it covers bucket idx, adding
// slack of half the new span in the direction of growth (clamped to
// [0, maxIndex]), so the number of reallocations is logarithmic in the range.
func (h *Histogram) grow(idx int) {
	var lo, hi int
	if len(h.counts) == 0 {
		lo = idx - minAllocBuckets/2
		hi = lo + minAllocBuckets - 1
	} else {
		lo, hi = h.base, h.base+len(h.counts)-1
		switch {
		case idx < lo:
			lo = idx - (hi-idx+1)/2
		case idx > hi:
			hi = idx + (idx-lo+1)/2
		default:
			return
		}
	}
	lo = max(lo, 0)
	hi = min(hi, h.maxIndex)
	counts := make([]uint64, hi-lo+1)
	if len(h.counts) > 0 {
		copy(counts[h.base-lo:], h.counts)
	}
	h.counts, h.base = counts, lo
}

// Count returns the number of recorded values, including those <= 0.
func (h *Histogram) Count() uint64 { return h.count }

// Sum returns the exact sum of the recorded values in nanoseconds (after the
// clamping described at Record), saturating at math.MaxInt64 ns (292 years).
func (h *Histogram) Sum() time.Duration {
	if h.sumHi != 0 || h.sumLo > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(h.sumLo)
}

// Mean returns the arithmetic mean of the recorded values in nanoseconds,
// rounded to the nearest nanosecond, or 0 for an empty histogram.
func (h *Histogram) Mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	sum := float64(h.sumHi)*0x1p64 + float64(h.sumLo)
	return time.Duration(math.Round(sum / float64(h.count)))
}

// Min returns the smallest recorded value in nanoseconds (exact, after the
// clamping described at Record), or 0 for an empty histogram.
func (h *Histogram) Min() time.Duration { return h.min }

// Max returns the largest recorded value in nanoseconds (exact, after the
// clamping described at Record), or 0 for an empty histogram.
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the q-quantile of the recorded values in nanoseconds, for
// q in [0, 1], with the rank convention of gonum's
// stat.Quantile(q, stat.Empirical, sorted, nil): the sample of 1-based rank
// r = max(1, ceil(q*Count())) in ascending order, i.e. the smallest sample x
// such that the fraction of samples <= x is >= q.
//
// The result is the representative value of the bucket holding that sample,
// within relative error RelativeAccuracy of it (plus rounding to whole
// nanoseconds), clamped into [Min, Max]. The first and last ranks are exact:
// Quantile(0) returns Min and Quantile(1) returns Max. Quantile returns 0 for
// an empty histogram and panics if q is outside [0, 1]. It takes time linear
// in the number of buckets.
func (h *Histogram) Quantile(q float64) time.Duration {
	if !(q >= 0 && q <= 1) {
		panic(fmt.Sprintf("stats: quantile %v outside [0, 1]", q))
	}
	if h.count == 0 {
		return 0
	}
	return h.valueAtRank(rankOf(q, h.count))
}

// Quantiles returns Quantile(lo) and Quantile(hi), lo <= hi, from one pass
// over the buckets rather than two (a run's timeline points each report a
// median and a 99th percentile). It panics as Quantile does, and if lo > hi.
func (h *Histogram) Quantiles(lo, hi float64) (time.Duration, time.Duration) {
	if !(lo >= 0 && lo <= hi && hi <= 1) {
		panic(fmt.Sprintf("stats: quantiles %v, %v not ascending in [0, 1]", lo, hi))
	}
	if h.count == 0 {
		return 0, 0
	}
	r1, r2 := rankOf(lo, h.count), rankOf(hi, h.count)
	if r2 <= h.zeros {
		return h.bucketValue(-1, r1), h.bucketValue(-1, r2)
	}
	var v1 time.Duration
	found := r1 <= h.zeros
	if found {
		v1 = h.bucketValue(-1, r1)
	}
	cum := h.zeros
	at := func(idx int, n uint64) (time.Duration, bool) {
		cum += n
		if !found && cum >= r1 {
			v1, found = h.bucketValue(idx, r1), true
		}
		if cum >= r2 {
			return h.bucketValue(idx, r2), true
		}
		return 0, false
	}
	for _, b := range h.sparse {
		if v2, ok := at(b.idx, b.n); ok {
			return v1, v2
		}
	}
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		if v2, ok := at(h.base+i, c); ok {
			return v1, v2
		}
	}
	panic("stats: histogram bucket counts do not add up to Count")
}

// rankOf returns the 1-based rank of the q-quantile among n samples, computed
// exactly as gonum's empirical quantile does: the smallest integer r >= 1 with
// float64(r) >= q*float64(n).
func rankOf(q float64, n uint64) uint64 {
	r := uint64(math.Ceil(q * float64(n)))
	return min(max(r, 1), n)
}

// valueAtRank returns the value Quantile reports for 1-based rank r in
// [1, Count()].
func (h *Histogram) valueAtRank(r uint64) time.Duration {
	if r <= h.zeros {
		return h.bucketValue(-1, r)
	}
	cum := h.zeros
	for _, b := range h.sparse {
		cum += b.n
		if cum >= r {
			return h.bucketValue(b.idx, r)
		}
	}
	for i, c := range h.counts {
		cum += c
		if cum >= r {
			return h.bucketValue(h.base+i, r)
		}
	}
	panic("stats: histogram bucket counts do not add up to Count")
}

// bucketValue returns the value reported for rank r when the sample of that
// rank lies in bucket idx (-1 for the zero bucket): Min for rank 1, Max for
// the last rank, otherwise the bucket's representative clamped into
// [Min, Max].
func (h *Histogram) bucketValue(idx int, r uint64) time.Duration {
	switch {
	case r <= 1:
		return h.min
	case r >= h.count:
		return h.max
	case idx < 0:
		return 0
	}
	v := time.Duration(math.Round(h.representative(idx)))
	return min(max(v, h.min), h.max)
}

// CDFPoint is one step of a histogram's empirical cumulative distribution.
type CDFPoint struct {
	// Value is the latency in nanoseconds reported for the samples of this
	// bucket: Quantile(Fraction) == Value, and so does Quantile(q) for every
	// q in (previous Fraction, Fraction] (up to floating-point rounding of
	// q*Count within a few ulps of the previous Fraction).
	Value time.Duration
	// Count is the number of samples in this bucket and all lower buckets.
	Count uint64
	// Fraction is Count/total, the cumulative fraction in (0, 1]; it is
	// lowered by at most a few ulps where needed so that Quantile(Fraction)
	// returns exactly Value. The last point's Fraction is 1.
	Fraction float64
}

// CDF returns the cumulative distribution of the recorded values, one point
// per non-empty bucket (the zero bucket first) in ascending order of Value,
// or nil for an empty histogram. The points are the histogram's quantiles:
// Quantile(p.Fraction) == p.Value for every point p, and the last point's
// Value is Max. The first point's Value is the lowest bucket's
// representative, which is Min only when that bucket holds a single sample
// (Quantile(0) is always Min). CDF allocates the returned slice
// and takes time linear in the number of buckets.
func (h *Histogram) CDF() []CDFPoint {
	if h.count == 0 {
		return nil
	}
	var pts []CDFPoint
	n := float64(h.count)
	add := func(idx int, cum uint64) {
		f := float64(cum) / n
		for math.Ceil(f*n) > float64(cum) {
			f = math.Nextafter(f, 0)
		}
		pts = append(pts, CDFPoint{Value: h.bucketValue(idx, cum), Count: cum, Fraction: f})
	}
	cum := h.zeros
	if h.zeros > 0 {
		add(-1, cum)
	}
	for _, b := range h.sparse {
		cum += b.n
		add(b.idx, cum)
	}
	for i, c := range h.counts {
		if c > 0 {
			cum += c
			add(h.base+i, cum)
		}
	}
	return pts
}

// ForEachBucket calls fn for every non-empty bucket in ascending order with
// the bucket's bounds in nanoseconds and its count: the bucket holds the
// recorded values v with lo < v <= hi (to within floating-point rounding at
// the edges). The zero bucket, holding the values <= 0, comes first with
// lo == hi == 0. It takes time linear in the number of buckets and allocates
// nothing.
func (h *Histogram) ForEachBucket(fn func(lo, hi time.Duration, count uint64)) {
	if h.zeros > 0 {
		fn(0, 0, h.zeros)
	}
	bucket := func(idx int, c uint64) {
		lo := time.Duration(math.Exp(float64(idx-1) * h.lnGamma))
		hi := time.Duration(math.Exp(float64(idx) * h.lnGamma))
		fn(lo, hi, c)
	}
	for _, b := range h.sparse {
		bucket(b.idx, b.n)
	}
	for i, c := range h.counts {
		if c > 0 {
			bucket(h.base+i, c)
		}
	}
}

// Merge adds every value recorded in other to h. The result is identical
// (bucket counts, Count, Sum, Min, Max, and so every quantile) to a histogram
// that recorded the values of both. other is not modified. Merge panics if
// the two histograms have different relative accuracy, a programmer error.
func (h *Histogram) Merge(other *Histogram) {
	h.ensureInit()
	if a, b := h.RelativeAccuracy(), other.RelativeAccuracy(); a != b {
		panic(fmt.Sprintf("stats: Merge of histograms with different relative accuracy (%v and %v)", a, b))
	}
	if other.count == 0 {
		return
	}
	for _, b := range other.sparse {
		h.add(b.idx, b.n)
	}
	lo, hi := other.used()
	if lo >= 0 {
		h.densify()
		h.grow(other.base + lo)
		h.grow(other.base + hi)
		for i := lo; i <= hi; i++ {
			h.counts[other.base+i-h.base] += other.counts[i]
		}
	}
	if h.count == 0 || other.min < h.min {
		h.min = other.min
	}
	if h.count == 0 || other.max > h.max {
		h.max = other.max
	}
	h.zeros += other.zeros
	h.count += other.count
	var carry uint64
	h.sumLo, carry = bits.Add64(h.sumLo, other.sumLo, 0)
	h.sumHi += other.sumHi + carry
}

// used returns the first and last index into h.counts of a non-empty
// bucket, or -1, -1 when every value is in the zero bucket (or none, or
// h is sparse).
func (h *Histogram) used() (lo, hi int) {
	// From each end: the buckets between are not read (a grown histogram
	// has room for half its range again on the side it grew).
	for lo = 0; lo < len(h.counts) && h.counts[lo] == 0; lo++ {
	}
	if lo == len(h.counts) {
		return -1, -1
	}
	for hi = len(h.counts) - 1; h.counts[hi] == 0; hi-- {
	}
	return lo, hi
}

// Reset empties h, keeping its accuracy and its bucket storage so that
// recording the same range again allocates nothing.
func (h *Histogram) Reset() {
	clear(h.counts)
	h.sparse = h.sparse[:0]
	h.zeros, h.count, h.sumLo, h.sumHi, h.min, h.max = 0, 0, 0, 0, 0, 0
}

// Clone returns an independent copy of h.
func (h *Histogram) Clone() *Histogram {
	c := *h
	c.counts = append([]uint64(nil), h.counts...)
	c.sparse = slices.Clone(h.sparse)
	return &c
}
