package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"time"
)

// HistogramJSON is the JSON form of a Histogram (Histogram.MarshalJSON): everything needed to
// redraw its CDF and to merge it exactly with another of the same relative
// accuracy. Bucket i (FirstBucket + k, counted by Counts[k]) holds the
// values v in nanoseconds with gamma^(i-1) < v <= gamma^i, where gamma =
// (1+a)/(1-a) for the relative accuracy a; its representative value is
// 2*gamma^i/(gamma+1) ns. Values <= 0 are counted in Zeros. Two
// histograms of one accuracy merge by adding counts bucket by bucket and
// Zeros, Count and Sum, and taking the smaller Min and larger Max.
type HistogramJSON struct {
	// RelativeAccuracy is a: every quantile is within a factor [1-a, 1+a]
	// of the exact sample quantile; only histograms of equal a merge.
	RelativeAccuracy float64 `json:"relative_accuracy"`
	// Count is the number of values, Zeros plus the bucket counts.
	Count uint64 `json:"count"`
	// Zeros counts the values <= 0 ns.
	Zeros uint64 `json:"zeros"`
	// SumNs is the exact sum of the values in nanoseconds, a decimal
	// string because it may exceed 2^53 (and 2^64).
	SumNs string `json:"sum_ns"`
	// MinNs and MaxNs are the smallest and largest value, nanoseconds (0
	// when Count is 0).
	MinNs int64 `json:"min_ns"`
	MaxNs int64 `json:"max_ns"`
	// FirstBucket is the index i of the bucket Counts[0] counts; bucket i
	// holds the values gamma^(i-1) < v <= gamma^i ns, gamma = (1+a)/(1-a).
	FirstBucket int `json:"first_bucket"`
	// Counts are the values per bucket from FirstBucket on, up to the last
	// non-empty bucket (empty when every value is in Zeros).
	Counts []uint64 `json:"counts"`
}

// MarshalJSON encodes h in its documented, exactly mergeable form (see
// UnmarshalJSON): the relative accuracy, Count, Zeros, the exact Sum, Min,
// Max, and the counts of the buckets from the first to the last non-empty
// one.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	out := HistogramJSON{
		RelativeAccuracy: h.RelativeAccuracy(), Count: h.count, Zeros: h.zeros,
		SumNs: h.sumString(), MinNs: int64(h.min), MaxNs: int64(h.max), Counts: []uint64{},
	}
	if lo, hi := h.used(); lo >= 0 {
		out.FirstBucket = h.base + lo
		out.Counts = h.counts[lo : hi+1]
	}
	if sp := h.sparse; len(sp) > 0 {
		out.FirstBucket = sp[0].idx
		out.Counts = make([]uint64, sp[len(sp)-1].idx-sp[0].idx+1)
		for _, b := range sp {
			out.Counts[b.idx-sp[0].idx] = b.n
		}
	}
	return json.Marshal(out)
}

// sumString returns the exact 128-bit sum in decimal.
func (h *Histogram) sumString() string {
	if h.sumHi == 0 {
		return fmt.Sprint(h.sumLo)
	}
	s := new(big.Int).SetUint64(h.sumHi)
	s.Lsh(s, 64)
	s.Add(s, new(big.Int).SetUint64(h.sumLo))
	return s.String()
}

// UnmarshalJSON decodes the form MarshalJSON writes into h, replacing its
// contents. It checks the form's consistency (an accuracy NewHistogram
// accepts, bucket indexes within [0, index(MaxValue)], Count equal to
// Zeros plus the bucket counts, Min <= Max within [0, MaxValue]) and
// returns an error naming the field that breaks it.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var in HistogramJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	a := in.RelativeAccuracy
	if !(a >= MinRelativeAccuracy && a <= MaxRelativeAccuracy) {
		return fmt.Errorf("histogram: relative_accuracy %v outside [%v, %v]", a, MinRelativeAccuracy, MaxRelativeAccuracy)
	}
	var out Histogram
	out.init(a)
	if len(in.Counts) > 0 && (in.FirstBucket < 0 || in.FirstBucket+len(in.Counts)-1 > out.maxIndex) {
		return fmt.Errorf("histogram: buckets %d..%d outside [0, %d]", in.FirstBucket, in.FirstBucket+len(in.Counts)-1, out.maxIndex)
	}
	n := in.Zeros
	for _, c := range in.Counts {
		if n+c < n {
			return fmt.Errorf("histogram: counts overflow")
		}
		n += c
	}
	if n != in.Count {
		return fmt.Errorf("histogram: count %d is not zeros plus the bucket counts (%d)", in.Count, n)
	}
	if in.Count > 0 && (in.MinNs < 0 || in.MinNs > in.MaxNs || time.Duration(in.MaxNs) > MaxValue) {
		return fmt.Errorf("histogram: min_ns %d and max_ns %d are not 0 <= min <= max <= %d", in.MinNs, in.MaxNs, int64(MaxValue))
	}
	sum, ok := new(big.Int).SetString(in.SumNs, 10)
	if !ok || sum.Sign() < 0 || sum.BitLen() > 128 {
		return fmt.Errorf("histogram: sum_ns %q is not a non-negative 128-bit integer", in.SumNs)
	}
	lo := new(big.Int).And(sum, new(big.Int).SetUint64(math.MaxUint64))
	out.sumLo, out.sumHi = lo.Uint64(), new(big.Int).Rsh(sum, 64).Uint64()
	if len(in.Counts) > 0 {
		out.counts, out.base = append([]uint64(nil), in.Counts...), in.FirstBucket
	}
	out.zeros, out.count = in.Zeros, in.Count
	out.min, out.max = time.Duration(in.MinNs), time.Duration(in.MaxNs)
	*h = out
	return nil
}
