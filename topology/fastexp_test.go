package topology

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestFastExpMatchesExp checks fastExp against math.Exp: relative error
// below 5e-16 over the range latency draws use and beyond, exact at 0,
// math.Exp's values at the edges; and that the draws of a fitted link
// rounded to whole nanoseconds are the same as with math.Exp.
func TestFastExpMatchesExp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	for i := 0; i < 1_000_000; i++ {
		y := (r.Float64()*2 - 1) * 690
		if i%2 == 0 {
			y = r.Float64()*40 - 5 // ln of 7 ns .. 2e17 ns
		}
		want := math.Exp(y)
		rel := math.Abs(fastExp(y)-want) / want
		worst = math.Max(worst, rel)
	}
	assert.Less(t, worst, 5e-16, "worst relative error")
	assert.Equal(t, 1.0, fastExp(0))
	for _, y := range []float64{-800, 800, math.Inf(1), math.Inf(-1)} {
		assert.Equal(t, math.Exp(y), fastExp(y), "y=%v", y)
	}
	assert.True(t, math.IsNaN(fastExp(math.NaN())))

	d, err := FitLognormal(66*time.Millisecond, 68*time.Millisecond, 0.99)
	assert.NoError(t, err)
	r1, r2 := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
	differ := 0
	for i := 0; i < 1_000_000; i++ {
		got := d.sample(r1)
		x := d.floor + math.Exp(d.mu+d.sigma*r2.NormFloat64())
		if u := r2.Float64(); u < d.spikeP {
			x += min(d.xm*math.Pow(1-u/d.spikeP, -1/d.alpha), d.spikeM)
		}
		if got != time.Duration(x+0.5) {
			differ++
		}
	}
	assert.LessOrEqual(t, differ, 1, "draws that round differently of 10^6")
}

func BenchmarkExp(b *testing.B) {
	ys := make([]float64, 1024)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range ys {
		ys[i] = 10 + r.NormFloat64()
	}
	b.Run("math", func(b *testing.B) {
		s := 0.0
		for i := 0; i < b.N; i++ {
			s += math.Exp(ys[i&1023])
		}
		sink = s
	})
	b.Run("fast", func(b *testing.B) {
		s := 0.0
		for i := 0; i < b.N; i++ {
			s += fastExp(ys[i&1023])
		}
		sink = s
	})
}

var sink float64
