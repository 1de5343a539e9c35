package stats

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramJSONRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, acc := range []float64{DefaultRelativeAccuracy, 0.01, MinRelativeAccuracy} {
		h := NewHistogram(acc)
		for range 5000 {
			h.Record(time.Duration(r.ExpFloat64() * 3e6))
		}
		h.Record(0)
		h.Record(MaxValue * 2) // clamped
		b, err := json.Marshal(h)
		require.NoError(t, err)
		var back Histogram
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, h.Count(), back.Count())
		assert.Equal(t, h.Sum(), back.Sum())
		assert.Equal(t, h.Min(), back.Min())
		assert.Equal(t, h.Max(), back.Max())
		assert.Equal(t, h.RelativeAccuracy(), back.RelativeAccuracy())
		for _, q := range []float64{0, 0.001, 0.5, 0.9, 0.99, 0.999, 1} {
			assert.Equal(t, h.Quantile(q), back.Quantile(q), "q=%v", q)
		}
		b2, err := json.Marshal(&back)
		require.NoError(t, err)
		assert.Equal(t, string(b), string(b2), "the form is canonical")
	}
}

// TestHistogramJSONMergesExactly: merging decoded histograms gives the
// bytes of merging the originals, in either order, and of one histogram
// that recorded every value.
func TestHistogramJSONMergesExactly(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var a, b, all Histogram
	for i := range 20000 {
		v := time.Duration(r.NormFloat64()*1e6 + 60e6)
		if i%3 == 0 {
			v = time.Duration(r.ExpFloat64() * 1e9)
		}
		all.Record(v)
		if i%2 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	decode := func(h *Histogram) *Histogram {
		raw, err := json.Marshal(h)
		require.NoError(t, err)
		var out Histogram
		require.NoError(t, json.Unmarshal(raw, &out))
		return &out
	}
	ab, ba := decode(&a), decode(&b)
	ab.Merge(decode(&b))
	ba.Merge(decode(&a))
	want, err := json.Marshal(&all)
	require.NoError(t, err)
	for _, m := range []*Histogram{ab, ba} {
		got, err := json.Marshal(m)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}
}

func TestHistogramJSONSumBeyond64Bits(t *testing.T) {
	var h Histogram
	for range 2_000_000 {
		h.Record(MaxValue) // 2e6 × 1e13 ns = 2e19 > 2^64
	}
	raw, err := json.Marshal(&h)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"sum_ns":"20000000000000000000"`)
	var back Histogram
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, h.sumHi, back.sumHi)
	assert.Equal(t, h.sumLo, back.sumLo)
}

func TestHistogramJSONRejectsInconsistentInput(t *testing.T) {
	for in, want := range map[string]string{
		`{"relative_accuracy":0.9,"count":0,"zeros":0,"sum_ns":"0","counts":[]}`:                                               "relative_accuracy",
		`{"relative_accuracy":0.005,"count":3,"zeros":0,"sum_ns":"3","min_ns":1,"max_ns":1,"first_bucket":0,"counts":[2]}`:     "count 3",
		`{"relative_accuracy":0.005,"count":1,"zeros":0,"sum_ns":"x","min_ns":1,"max_ns":1,"first_bucket":0,"counts":[1]}`:     "sum_ns",
		`{"relative_accuracy":0.005,"count":1,"zeros":0,"sum_ns":"1","min_ns":1,"max_ns":1,"first_bucket":-1,"counts":[1]}`:    "buckets",
		`{"relative_accuracy":0.005,"count":1,"zeros":0,"sum_ns":"1","min_ns":5,"max_ns":1,"first_bucket":0,"counts":[1]}`:     "min_ns",
		`{"relative_accuracy":0.005,"count":1,"zeros":0,"sum_ns":"-1","min_ns":1,"max_ns":1,"first_bucket":0,"counts":[1]}`:    "sum_ns",
		`{"relative_accuracy":0.005,"count":1,"zeros":0,"sum_ns":"1","min_ns":1,"max_ns":1,"first_bucket":99999,"counts":[1]}`: "buckets",
	} {
		var h Histogram
		err := json.Unmarshal([]byte(in), &h)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}
