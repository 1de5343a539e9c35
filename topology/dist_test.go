package topology

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"
)

// draws returns n sorted samples of d as float64 nanoseconds.
func draws(d Dist, seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(d.Sample(r))
	}
	slices.Sort(xs)
	return xs
}

// fitCase is one fit of a test: FitShape(p50, tail, q, shape).
type fitCase struct {
	name      string
	p50, tail time.Duration
	q         float64
	shape     Shape
}

// linkFits are fits of the shapes the presets and defaults make: links of
// every length with the default spike, p90 and p99 tails, the node-local
// fsync without a spike, and a floor gap set by hand.
var linkFits = []fitCase{
	{"crdb-demo link, default tail", ms(66), ms(68), 0.99, Shape{Spike: DefaultSpike}},
	{"long link, default tail", ms(146), ms(148), 0.99, Shape{Spike: DefaultSpike}},
	{"aws p90 link", 64_432 * time.Microsecond, 69_267 * time.Microsecond, 0.90, Shape{Spike: DefaultSpike}},
	{"short p90 link", 12_150 * time.Microsecond, 14_556 * time.Microsecond, 0.90, Shape{Spike: DefaultSpike}},
	{"cross-AZ", time.Millisecond, 1850 * time.Microsecond, 0.99, Shape{Spike: DefaultSpike}},
	{"same-AZ", 200 * time.Microsecond, 286 * time.Microsecond, 0.99, Shape{Spike: DefaultSpike}},
	{"fsync, no spike", 500 * time.Microsecond, 2600 * time.Microsecond, 0.99, Shape{}},
	{"wide floor gap", ms(10), ms(30), 0.99, Shape{FloorGap: ms(5), Spike: DefaultSpike}},
}

func TestFitReproducesQuantiles(t *testing.T) {
	for _, tt := range linkFits {
		t.Run(tt.name, func(t *testing.T) {
			d, err := FitShape(tt.p50, tt.tail, tt.q, tt.shape)
			require.NoError(t, err)
			assert.Equal(t, KindLognormal, d.Kind())
			assert.Equal(t, tt.p50, d.Median())
			gap := tt.shape.FloorGap
			if gap == 0 {
				gap = DefaultFloorGap(tt.p50, tt.tail)
			}
			assert.Equal(t, tt.p50-gap, d.Floor())

			// Analytic (numerical) quantiles of the complete mixture.
			assert.InDelta(t, float64(tt.p50), float64(d.Quantile(0.5)), 1e-4*float64(tt.p50))
			assert.InDelta(t, float64(tt.tail), float64(d.Quantile(tt.q)), 1e-4*float64(tt.tail))
			assert.InDelta(t, 0.5, d.CDF(tt.p50), 1e-6)
			assert.InDelta(t, tt.q, d.CDF(tt.tail), 1e-6)

			// Empirical quantiles over 1e5 draws within 2 %.
			xs := draws(d, 1, 100_000)
			assert.InEpsilon(t, float64(tt.p50), stat.Quantile(0.5, stat.Empirical, xs, nil), 0.02)
			assert.InEpsilon(t, float64(tt.tail), stat.Quantile(tt.q, stat.Empirical, xs, nil), 0.02)
			assert.GreaterOrEqual(t, xs[0], float64(d.Floor()))
		})
	}
}

// TestSpikeOrderOfMagnitude checks the claim on DefaultSpike: over one hour
// of 1/s probes of an inter-region link, max − mean has a median of a few ms
// and a 99th percentile of tens of ms (latency-data §4.1).
func TestSpikeOrderOfMagnitude(t *testing.T) {
	d, err := FitLognormal(ms(66), ms(68), 0.99)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(3, 4))
	const hours = 400
	excess := make([]float64, hours)
	for h := range excess {
		var sum, maxv float64
		for range 3600 {
			x := float64(d.Sample(r))
			sum += x
			maxv = max(maxv, x)
		}
		excess[h] = (maxv - sum/3600) / 1e6
	}
	slices.Sort(excess)
	med := stat.Quantile(0.5, stat.Empirical, excess, nil)
	p99 := stat.Quantile(0.99, stat.Empirical, excess, nil)
	t.Logf("max-mean over 1h: median %.1f ms, p99 %.1f ms", med, p99)
	assert.Greater(t, med, 1.0)
	assert.Less(t, med, 8.0)
	assert.Greater(t, p99, 10.0)
	assert.Less(t, p99, 200.0)
}

func TestFitErrors(t *testing.T) {
	tests := []struct {
		name      string
		p50, tail time.Duration
		q         float64
		shape     Shape
		want      string
	}{
		{"zero p50", 0, ms(1), 0.99, Shape{}, "topology: fit: p50 0s must be > 0"},
		{"tail below p50", ms(10), ms(9), 0.99, Shape{}, "topology: fit: tail 9ms is below p50 10ms"},
		{"quantile too low", ms(10), ms(12), 0.5, Shape{}, "topology: fit: tail quantile 0.5 is out of range (0.5, 1)"},
		{"quantile 1", ms(10), ms(12), 1, Shape{}, "out of range (0.5, 1)"},
		{"quantile NaN", ms(10), ms(12), math.NaN(), Shape{}, "out of range (0.5, 1)"},
		{"floor gap too big", ms(10), ms(12), 0.99, Shape{FloorGap: ms(10)}, "topology: fit: floor gap 10ms is out of range [0, p50 10ms)"},
		{"quantile beyond spike", ms(10), ms(12), 0.9995, Shape{Spike: DefaultSpike}, "too close to 1 for spike probability 0.001"},
		{"spike prob", ms(10), ms(12), 0.99, Shape{Spike: Spike{Prob: 0.5, Scale: 1, Alpha: 1, Max: 1}}, "topology: spike.prob: 0.5 is out of range [0, 0.05]"},
		{"spike scale", ms(10), ms(12), 0.99, Shape{Spike: Spike{Prob: 0.01, Alpha: 1, Max: 1}}, "topology: spike.scale: 0s must be > 0"},
		{"spike alpha", ms(10), ms(12), 0.99, Shape{Spike: Spike{Prob: 0.01, Scale: 1, Max: 1}}, "topology: spike.alpha: 0 must be > 0"},
		{"spike max", ms(10), ms(12), 0.99, Shape{Spike: Spike{Prob: 0.01, Scale: ms(2), Alpha: 1, Max: ms(1)}}, "topology: spike.max: 1ms is below spike.scale 2ms"},
		{"p50 of 1 ns", 1, 2, 0.99, Shape{}, "topology: fit: p50 1ns is too small for a log-normal with a floor below it"},
		{"spike prob below resolution", ms(10), ms(12), 0.99, Shape{Spike: Spike{Prob: 1e-12, Scale: 1, Alpha: 1, Max: 1}}, "topology: spike.prob: 1e-12 is below 2.33e-10 (2^-32)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FitShape(tt.p50, tt.tail, tt.q, tt.shape)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestFitTailEqualsP50(t *testing.T) {
	d, err := FitShape(ms(10), ms(10), 0.99, Shape{})
	require.NoError(t, err)
	xs := draws(d, 1, 1000)
	assert.Equal(t, float64(ms(10)), xs[0])
	assert.Equal(t, float64(ms(10)), xs[len(xs)-1])
	assert.Equal(t, ms(10), d.Quantile(0.99))
}

func TestConstant(t *testing.T) {
	d := Constant(ms(33))
	r := rand.New(rand.NewPCG(1, 1))
	before := *r
	for range 100 {
		assert.Equal(t, ms(33), d.Sample(r))
	}
	assert.Equal(t, before, *r, "a constant Dist consumes no randomness")
	assert.Equal(t, ms(33), d.Median())
	assert.Equal(t, ms(33), d.Quantile(0.99))
	assert.Equal(t, ms(33), d.Floor())
	assert.Equal(t, 1.0, d.CDF(ms(33)))
	assert.Equal(t, 0.0, d.CDF(ms(33)-1))
	assert.Equal(t, "constant 33ms", d.String())
	assert.Equal(t, time.Duration(0), Dist{}.Sample(r), "zero Dist is the constant 0")
	assert.Panics(t, func() { Constant(-1) })
	assert.Panics(t, func() { d.Quantile(1.5) })
}

func TestDistDeterministicAndAllocFree(t *testing.T) {
	d, err := FitLognormal(ms(66), ms(68), 0.99)
	require.NoError(t, err)
	a, b := draws(d, 42, 1000), draws(d, 42, 1000)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, draws(d, 43, 1000))

	r := rand.New(rand.NewPCG(1, 2))
	allocs := testing.AllocsPerRun(1000, func() { _ = d.Sample(r) })
	assert.Zero(t, allocs)
	mu, sigma, spike := d.Params()
	assert.Equal(t, DefaultSpike, spike)
	assert.Greater(t, sigma, 0.0)
	assert.False(t, math.IsNaN(mu))
	assert.Equal(t, "lognormal p50 66ms p99 68ms", d.String())
}

func TestDefaults(t *testing.T) {
	assert.Equal(t, ms(2), DefaultFloorGap(ms(66), ms(68)), "gap = tail excess")
	assert.Equal(t, ms(10.7), DefaultFloorGap(ms(219.6), ms(230.3)))
	assert.Equal(t, 100*time.Microsecond, DefaultFloorGap(200*time.Microsecond, 400*time.Microsecond), "bounded by p50/2")
	assert.Equal(t, ms(33), DefaultFloorGap(ms(66), ms(66)), "tail == p50: p50/2")
	tail, q := DefaultTail(ms(66))
	assert.Equal(t, ms(68), tail)
	assert.Equal(t, 0.99, q)
	require.NoError(t, DefaultSpike.Validate())
	assert.NoError(t, Spike{}.Validate())
}

// TestTableSamplerMatchesCDF checks the table sampler against the exact
// mixture CDF (Dist.CDF): over 10^6 draws of each link shape the model
// fits, the Kolmogorov–Smirnov distance stays below its 0.1 % critical
// value (1.95/√n), and the share of draws beyond the exact 0.999 and
// 0.9999 quantiles — the outer cells and the spike — is within four
// binomial standard deviations of 10^-3 and 10^-4.
func TestTableSamplerMatchesCDF(t *testing.T) {
	shapes := []fitCase{
		{"crdb-demo link", ms(66), ms(68), 0.99, Shape{Spike: DefaultSpike}},
		{"aws p90 link", 64_432 * time.Microsecond, 69_267 * time.Microsecond, 0.90, Shape{Spike: DefaultSpike}},
		{"cross-AZ", time.Millisecond, 1850 * time.Microsecond, 0.99, Shape{Spike: DefaultSpike}},
		{"fsync (σ ≈ 0.96)", 500 * time.Microsecond, 2600 * time.Microsecond, 0.99, Shape{}},
		{"capped floor gap (σ ≈ 1.26)", ms(10), ms(30), 0.90, Shape{Spike: DefaultSpike}},
	}
	const n = 1_000_000
	for i, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			d, err := FitShape(sh.p50, sh.tail, sh.q, sh.shape)
			require.NoError(t, err)
			xs := draws(d, uint64(100+i), n)
			// The distance at 2,000 points, the draws' k/2000 quantiles
			// (the exact CDF with a spike costs a numerical integral).
			ks := 0.0
			for k := range 2000 {
				x := xs[k*n/2000]
				below := sort.SearchFloat64s(xs, x)      // draws < x
				atMost := sort.SearchFloat64s(xs, x+0.5) // draws <= x (whole ns)
				ks = max(ks, math.Abs(float64(atMost)/n-d.CDF(time.Duration(x))),
					math.Abs(float64(below)/n-d.CDF(time.Duration(x)-1)))
			}
			assert.Less(t, ks, 1.95/math.Sqrt(n), "Kolmogorov–Smirnov distance at 2,000 points")
			for _, p := range []float64{1e-3, 1e-4} {
				q := float64(d.Quantile(1 - p))
				beyond := n - sort.SearchFloat64s(xs, q+0.5)
				sd := math.Sqrt(n * p * (1 - p))
				assert.InDelta(t, n*p, float64(beyond), 4*sd, "draws beyond the exact %v quantile", 1-p)
			}
		})
	}
}

// seqSource is a rand.Source that returns its values in order.
type seqSource []uint64

func (s *seqSource) Uint64() uint64 {
	v := (*s)[0]
	*s = (*s)[1:]
	return v
}

// TestTableSamplerDraws pins the sampler's use of one 64-bit draw by hand:
// the top 12 bits pick the cell, the next 20 the position in it, the low 32
// the spike; an outer cell takes a second draw for its position.
func TestTableSamplerDraws(t *testing.T) {
	d, err := FitLognormal(ms(66), ms(68), 0.99)
	require.NoError(t, err)
	noSpike := uint64(d.spikeT) // the low 32 bits at the threshold: no spike
	draw := func(vs ...uint64) time.Duration {
		src := seqSource(vs)
		x := d.Sample(rand.New(&src))
		assert.Empty(t, src, "every value consumed")
		return x
	}
	// Cell 2048 starts at the median of the body: floor + e^μ.
	body50 := d.floor + math.Exp(d.mu)
	assert.Equal(t, time.Duration(body50+0.5), draw(2048<<52|noSpike))
	// Halfway through cell 2048: the mean of its edges.
	mid := d.floor + (float64(d.tab[2048])+float64(d.tab[2049]))/2
	assert.Equal(t, time.Duration(mid+0.5), draw(2048<<52|1<<51|noSpike))
	// The last cell is exact: the quantile at (4095 + 1/2)/4096 from the
	// second draw's 53 bits (here one half).
	u := (4095 + 0.5) / 4096.0
	exact := d.floor + math.Exp(d.mu+d.sigma*normQuantile(u))
	assert.InDelta(t, exact, float64(draw(4095<<52|noSpike, 1<<63)), 1)
	// Low bits below the threshold: a spike, whose Pareto draw takes the
	// next value: Float64 of 1<<52 (it reads the low 53 bits) is one
	// half, so the spike is xm·0.5^(−1/α).
	spike := d.xm * math.Pow(0.5, -1/d.alpha)
	assert.Equal(t, time.Duration(body50+spike+0.5), draw(2048<<52|(noSpike-1), 1<<52))

	// The edges of the exact cells: 0–3 and 4092–4095 take a second word
	// (draw checks that both are consumed), 4 and 4091 are interpolated
	// from one.
	exactAt := func(u float64) time.Duration {
		return time.Duration(d.floor + math.Exp(d.mu+d.sigma*normQuantile(u)) + 0.5)
	}
	for _, j := range []uint64{3, 4092} {
		assert.InDelta(t, float64(exactAt((float64(j)+0.5)/4096)), float64(draw(j<<52|noSpike, 1<<63)), 1, "cell %d", j)
	}
	for _, j := range []uint64{4, 4091} {
		assert.Equal(t, time.Duration(d.floor+float64(d.tab[j])+0.5), draw(j<<52|noSpike), "cell %d", j)
	}
	// The extreme words of the extreme cells stay finite: the last cell's
	// largest position is computed as a quantile of 1 − u near 0 (u itself
	// would round to 1, whose quantile is +Inf), and both tails are held
	// at a probability of 2⁻⁵³, about 8.2σ from the median.
	z := normQuantile(1.0 / (1 << 53))
	require.InDelta(t, -8.2, z, 0.05)
	top := draw(4095<<52|noSpike, math.MaxUint64)
	assert.Equal(t, time.Duration(d.floor+math.Exp(d.mu-d.sigma*z)+0.5), top)
	assert.Greater(t, top, exactAt(1-1e-9))
	bottom := draw(0|noSpike, 0)
	assert.Equal(t, time.Duration(d.floor+math.Exp(d.mu+d.sigma*z)+0.5), bottom)
	// One step into the tail from the edges: still ordered, still finite.
	assert.Less(t, draw(4095<<52|noSpike, math.MaxUint64-1<<11), top+1)
	assert.Greater(t, draw(4095<<52|noSpike, 1<<62), exactAt(1-1.0/4096))
}

// TestConstantBodyIsExact checks that a fit with tail == p50 (σ = 0) draws
// exactly its median, also where the floor gap is not a float32 (the body
// is not tabulated then), and consumes one word per draw.
func TestConstantBodyIsExact(t *testing.T) {
	p50 := 100_000_001 * time.Nanosecond // gap p50/2 = 50,000,000 ns, above 2^24
	d, err := FitShape(p50, p50, 0.99, Shape{})
	require.NoError(t, err)
	assert.Nil(t, d.tab)
	r := rand.New(rand.NewPCG(5, 6))
	for range 10_000 {
		require.Equal(t, p50, d.Sample(r))
	}
	src := seqSource{4095 << 52, 1 << 63}
	assert.Equal(t, p50, d.Sample(rand.New(&src)))
	assert.Len(t, src, 1, "one word: no exact-cell draw for a constant body")
}

// TestExtremeSpreadNeverOverflows draws from the widest fit the RTT data
// allows, a 60 s p90 over a 1 ms p50 (σ ≈ 9), whose far tail once
// overflowed a Duration into negative delays (801 of 2·10⁶ draws): every
// draw now lies between the floor and maxDraw.
func TestExtremeSpreadNeverOverflows(t *testing.T) {
	d, err := FitLognormal(time.Millisecond, time.Minute, 0.90)
	require.NoError(t, err)
	_, sigma, _ := d.Params()
	require.Greater(t, sigma, 8.0)
	r := rand.New(rand.NewPCG(9, 10))
	capped, outside := 0, 0
	for range 2_000_000 {
		switch x := d.Sample(r); {
		case x < d.Floor() || x > time.Duration(maxDraw):
			outside++
		case x == time.Duration(maxDraw):
			capped++
		}
	}
	assert.Zero(t, outside, "draws below the floor or above maxDraw")
	assert.Positive(t, capped, "the far tail reaches the cap")
}

// TestMean holds Dist.Mean's closed form to the mean of 10⁶ draws: the
// link fits (bodies of several widths, the default spike a tiny share of
// the mean), a body without a table (tail = p50, σ = 0), and spikes large
// enough to matter — capped (α = 1.2: the cap moves the spike's mean from
// 6 ms to 3.7 ms), α = 1, and α = 100, where the power of xm in
// nanoseconds would overflow — and to the median for a constant.
func TestMean(t *testing.T) {
	tests := append(slices.Clone(linkFits), []fitCase{
		{"no table (tail = p50)", ms(1), ms(1), 0.99, Shape{Spike: DefaultSpike}},
		{"capped spike", ms(1), ms(2), 0.90, Shape{Spike: Spike{Prob: 0.05, Scale: ms(1), Alpha: 1.2, Max: ms(50)}}},
		{"alpha 1", ms(1), ms(2), 0.90, Shape{Spike: Spike{Prob: 0.05, Scale: ms(1), Alpha: 1, Max: ms(50)}}},
		{"alpha 100", ms(1), ms(2), 0.90, Shape{Spike: Spike{Prob: 0.05, Scale: ms(1), Alpha: 100, Max: time.Second}}},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := FitShape(tt.p50, tt.tail, tt.q, tt.shape)
			require.NoError(t, err)
			// Within five standard errors of the sample mean (the spike's
			// heavy tail makes them wide), plus 1e-4 of the mean for the
			// table's interpolation.
			xs := draws(d, 3, 1_000_000)
			mean, sd := stat.MeanStdDev(xs, nil)
			assert.InDelta(t, mean, float64(d.Mean()), 5*sd/math.Sqrt(float64(len(xs)))+1e-4*mean)
		})
	}
	assert.Equal(t, ms(7), Constant(ms(7)).Mean())
}

// TestOneWayIntraZone: a one-way delay inside a zone is half a draw of
// IntraZone, from the same word of the same stream.
func TestOneWayIntraZone(t *testing.T) {
	c, err := Build(Config{RTT: "crdb-demo", Regions: []string{"us-east1", "us-west1", "europe-west1"},
		ZonesPerRegion: 3, NodesPerZone: 1, Jitter: "lognormal"})
	require.NoError(t, err)
	a, b := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		require.Equal(t, c.Latency.IntraZone().Sample(a)/2, c.Latency.OneWayIntraZone(b))
	}
}

// The samplers draw from a rand.Source (the request path passes a
// *rand.PCG) and take the spike's uniform with unitFloat: it must be
// rand.Rand's Float64 on the same draw, or passing the source instead of a
// rand.Rand over it would change every spike.
func TestUnitFloatIsRandFloat64(t *testing.T) {
	a, b := rand.NewPCG(3, 5), rand.NewPCG(3, 5)
	r := rand.New(a)
	for i := range 100000 {
		require.Equal(t, r.Float64(), unitFloat(b), "draw %d", i)
	}
	d, err := FitLognormal(80*time.Millisecond, 120*time.Millisecond, 0.99)
	require.NoError(t, err)
	c, e := rand.NewPCG(9, 1), rand.NewPCG(9, 1)
	rc := rand.New(c)
	for i := range 100000 {
		require.Equal(t, d.Sample(rc), d.Sample(e), "sample %d", i)
	}
}

// directSpikeCDF is spikeCDF computed node by node, each node's Pow, Log
// and Erfc at once: what spikeGrid splits in two.
func directSpikeCDF(d Dist, x float64) float64 {
	body := func(x float64) float64 {
		y := x - d.floor
		if y <= 0 {
			return 0
		}
		if d.sigma == 0 {
			if math.Log(y) >= d.mu {
				return 1
			}
			return 0
		}
		return 0.5 * math.Erfc(-(math.Log(y)-d.mu)/(d.sigma*math.Sqrt2))
	}
	y := x - d.floor
	if y <= d.xm {
		return 0
	}
	wc := math.Pow(d.xm/d.spikeM, d.alpha)
	h := float64(wc * body(x-d.spikeM))
	lo := max(math.Pow(d.xm/y, d.alpha), wc)
	if lo >= 1 {
		return h
	}
	step := (1 - lo) / spikeSteps
	f := func(w float64) float64 { return body(x - float64(d.xm*math.Pow(w, -1/d.alpha))) }
	sum := f(lo) + f(1)
	for i := 1; i < spikeSteps; i++ {
		if i%2 == 1 {
			sum += float64(4 * f(lo+float64(float64(i)*step)))
		} else {
			sum += float64(2 * f(lo+float64(float64(i)*step)))
		}
	}
	return h + sum*step/3
}

// TestSpikeGridIsDirect holds the grid fitBody reuses across its
// iterations to the direct computation, bit for bit: at points below the
// floor, in the body, past the spike's cap, for the fitted μ and σ and for
// others (an iteration's), and σ = 0. So is every body table to the
// quantiles computed one by one.
func TestSpikeGridIsDirect(t *testing.T) {
	for _, tt := range linkFits {
		d, err := FitShape(tt.p50, tt.tail, tt.q, tt.shape)
		require.NoError(t, err)
		for _, mul := range []float64{0, 0.5, 1, 2, 40, 1e3} {
			x := d.floor + mul*float64(tt.p50)
			var g spikeGrid
			d.newSpikeGrid(x, &g)
			for _, ms := range [][2]float64{{d.mu, d.sigma}, {d.mu + 0.3, d.sigma * 0.7}, {d.mu - 1, d.sigma * 1.5}, {d.mu, 0}} {
				e := d
				e.mu, e.sigma = ms[0], ms[1]
				want := directSpikeCDF(e, x)
				assert.Equal(t, math.Float64bits(want), math.Float64bits(e.spikeCDFOn(&g)), "%s at %v×p50, μ %v σ %v", tt.name, mul, ms[0], ms[1])
				assert.Equal(t, math.Float64bits(want), math.Float64bits(e.spikeCDF(x)))
			}
		}
		if d.tab != nil {
			for j := 1; j < bodyCells; j++ {
				want := float32(math.Exp(d.mu + float64(d.sigma*normQuantile(float64(j)/bodyCells))))
				if d.tab[j] != want {
					t.Fatalf("%s: table cell %d is %v, want %v", tt.name, j, d.tab[j], want)
				}
			}
		}
	}
}
