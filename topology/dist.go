package topology

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// DistKind is the family of a latency distribution.
type DistKind uint8

const (
	// KindConstant always yields the median (jitter "none").
	KindConstant DistKind = iota
	// KindLognormal is a shifted log-normal with a rare Pareto spike
	// (jitter "lognormal").
	KindLognormal
)

// String returns "constant" or "lognormal".
func (k DistKind) String() string {
	if k == KindLognormal {
		return "lognormal"
	}
	return "constant"
}

// Spike is the rare extra delay of a link, after the PBS mixtures (Bailis et
// al., VLDB 2012; latency-data §4.2): with probability Prob a draw gets an
// extra Pareto(Scale, Alpha) delay, capped at Max. The zero Spike is "no
// spikes".
type Spike struct {
	Prob  float64       // probability per draw, in [0, 0.05]
	Scale time.Duration // Pareto minimum xm (ns), > 0 when Prob > 0
	Alpha float64       // Pareto shape α, > 0 when Prob > 0
	Max   time.Duration // cap on one spike (ns), >= Scale when Prob > 0
}

// minSpikeProb is the smallest spike probability a draw can test (Sample:
// 32 bits of its word); a smaller one would never spike.
const minSpikeProb = 1.0 / (1 << 32)

// DefaultSpike is the spike component of every jittered network link:
// probability 0.1 %, Pareto xm = 1 ms, α = 1.5 (the PBS LNKD-DISK write tail
// is Pareto(xm 1.05 ms, α 1.51), latency-data §4.2), capped at 1 s (the
// largest outliers in latency-data §3/§4.1, Azure intra-region, are
// 0.4–1.1 s). Derived: over one hour of 1/s probes (3,600 draws, about 3.6
// spikes) the largest spike has median 1 ms·(1−0.5^(1/3.6))^(−1/1.5) ≈ 3.2 ms
// and a 1-in-100 value ≈ 50 ms, the order of magnitude of latency-data §4.1
// "(max − avg) median 1–4 ms, p99 up to 60 ms" over 1 h of pings. Measured
// on a 66 ms link with the default tail (TestSpikeOrderOfMagnitude): max −
// mean over 3,600 draws has median ≈ 6 ms (the body's own p99.97 contributes
// ≈ 5 ms of it) and 99th percentile ≈ 44 ms.
var DefaultSpike = Spike{Prob: 0.001, Scale: time.Millisecond, Alpha: 1.5, Max: time.Second}

// Validate reports whether s is usable.
func (s Spike) Validate() error {
	switch {
	case s.Prob == 0:
		return nil
	case !(s.Prob > 0 && s.Prob <= 0.05):
		return fmt.Errorf("topology: spike.prob: %v is out of range [0, 0.05]", s.Prob)
	case s.Prob < minSpikeProb:
		return fmt.Errorf("topology: spike.prob: %v is below %.3g (2^-32), the resolution of a draw's spike test; use 0 for no spikes", s.Prob, minSpikeProb)
	case s.Scale <= 0:
		return fmt.Errorf("topology: spike.scale: %v must be > 0", s.Scale)
	case !(s.Alpha > 0) || math.IsInf(s.Alpha, 0):
		return fmt.Errorf("topology: spike.alpha: %v must be > 0", s.Alpha)
	case s.Max < s.Scale:
		return fmt.Errorf("topology: spike.max: %v is below spike.scale %v", s.Max, s.Scale)
	}
	return nil
}

// Shape is the fixed part of a shifted log-normal fit: where the floor lies
// and the spike component. The two free parameters (μ, σ) are then fitted to
// a p50 and a tail percentile.
type Shape struct {
	// FloorGap is p50 − floor, the distance from the median down to the
	// smallest possible RTT; 0 selects DefaultFloorGap(p50, tail). Must be
	// < p50.
	FloorGap time.Duration
	// Spike is the rare extra delay; the zero Spike disables it.
	Spike Spike
}

// DefaultFloorGap returns the default p50 − floor of a link fitted to p50
// and a tail percentile: the tail's excess over the median, tail − p50,
// bounded by p50/2 (which keeps the floor positive on sub-ms links and is used
// when tail == p50).
//
// latency-data §4.3 suggests a floor "p50 minus ~0.1–0.5 ms" for 1-hour ping
// data, whose tail excess is of the same size. For links whose tail is a
// 1-year cloudping p90 (route drift, p90 − p50 median 5.2 ms, §4.1) a fixed
// 0.5 ms gap forces σ ≈ 2.4 and puts the modelled p99 of us-east-1 →
// ap-southeast-1 (p50 219.6, p90 230.3 ms) at 359 ms, which no data shows.
// With the gap equal to the excess, σ is the same for every link (ln 2 / z:
// 0.54 for a p90 fit, 0.30 for a p99 fit) and the tail scales with the
// measured spread: that link's p99 becomes ≈ 247 ms (derived).
func DefaultFloorGap(p50, tail time.Duration) time.Duration {
	gap := tail - p50
	if gap <= 0 || gap > p50/2 {
		gap = p50 / 2
	}
	return gap
}

// Shape ratios and defaults for links whose data has only a median. All are
// derived from latency-data.md as noted; none is a measured p99 of the link.
const (
	// DefaultP99Excess is p99 − p50 assumed for an inter-region link whose
	// data has only a p50 (derived, latency-data §4.1/§4.3): one hour of
	// 1/s pings shows an excess over the floor with mean 0.06–0.38 ms and
	// std-dev 0.43–0.52 ms (AWS/GCP medians over all pairs); a log-normal
	// with those moments has p99 − p50 ≈ 0.8–2.2 ms. The larger value, 2 ms,
	// is used. (The 1-year cloudping p90/p50 ratio, median 1.04, measures
	// route drift over months, §1; extrapolated to p99 it would put
	// us-east1↔us-west1 near 79 ms, above the 1-hour ping maximum of
	// 69.9–71.0 ms in §2.3.)
	DefaultP99Excess = 2 * time.Millisecond
	// SameZoneP99Ratio is p99/p50 of an RTT inside one availability zone:
	// Azure UK South same-AZ TCP echo p99/mean 1.43 (latency-data §3, §4.1),
	// mean taken as the p50 (derived).
	SameZoneP99Ratio = 1.43
	// CrossZoneP99Ratio is p99/p50 of an RTT between zones of one region:
	// Azure UK South cross-AZ p99/mean 1.85 (latency-data §3, §4.1), mean
	// taken as the p50 (derived).
	CrossZoneP99Ratio = 1.85
	// ServiceP99Ratio is p99/p50 of leaseholder evaluation: roachperf kv95
	// on one node, read p50 0.7 ms, p99 3.1–3.3 ms (cockroachdb#62998,
	// latency-data §6), i.e. 3.2/0.7 ≈ 4.57.
	ServiceP99Ratio = 3.2 / 0.7
	// FsyncP99Ratio is p99/p50 of a Raft log append: `cockroach debug
	// syncbench` at concurrency 1, p50 0.5 ms, p99 2.6 ms (cockroachdb#30213,
	// latency-data §6), i.e. 5.2.
	FsyncP99Ratio = 2.6 / 0.5
)

// DefaultTail returns the tail percentile assumed for an inter-region link
// whose data has only a p50: (p50 + DefaultP99Excess, 0.99).
func DefaultTail(p50 time.Duration) (time.Duration, float64) {
	return p50 + DefaultP99Excess, 0.99
}

// Dist is a latency distribution of one link or one local operation. It is a
// small value type; a log-normal one points to its sampling table, shared
// and immutable. The zero Dist is the constant 0.
//
// A KindLognormal Dist draws floor + exp(μ + σZ) with Z standard normal (the
// shifted log-normal of latency-data §4.3) and, with probability Spike.Prob,
// adds a Pareto spike. A KindConstant Dist always yields its median.
type Dist struct {
	kind   DistKind
	p50    time.Duration
	floor  float64 // ns
	mu     float64 // of ln(ns)
	sigma  float64
	spikeP float64
	xm     float64 // ns
	alpha  float64
	spikeM float64 // ns
	// spikeT is spikeP in units of 2^-32: a draw whose low 32 bits are
	// below it gets a spike (Sample).
	spikeT uint32
	// tab is the body's inverse CDF at the cell edges (bodyTable); nil
	// for a constant Dist and for a log-normal one with σ = 0, whose body
	// is the constant e^μ.
	tab *bodyTable
}

// The body of a log-normal Dist is drawn by inversion: a uniform u picks
// one of bodyCells cells of equal probability, and the draw is the body's
// quantile function interpolated linearly between the cell's edges, except
// in the exactCells outermost cells on each side, where the quantile is
// computed exactly (the function is steep there). One 64-bit draw gives
// the cell (its top bodyBits bits), the position in an inner cell (the
// next 20) and the spike decision (the low 32). Against the exact quantile,
// the interpolation errs by at most 0.23 % of the excess over the floor at
// σ = 1 (fsync's body has σ ≈ 0.96, links 0.3–0.54; 0.29 % at σ = 1.2,
// 0.30 % at 1.26), over in the last interpolated cells of the upper tail,
// under by up to 0.12 % in the lowest ones, and by 4e-5 at p99: below the
// latency histograms' 1 % accuracy. TestTableSamplerMatchesCDF checks 10^6
// draws against the exact CDF. It replaces a Gaussian draw and an
// exponential per sample, the largest cost of a draw on the request path
// (issue #16; docs/decisions.md, "Latency draws from a table per
// distribution").
const (
	bodyBits   = 12
	bodyCells  = 1 << bodyBits
	exactCells = 4
	fracBits   = 20
)

// bodyTable holds exp(μ + σ·Φ⁻¹(j/bodyCells)), the body's excess over the
// floor at each cell edge j (0 at j = 0; the last edge, +Inf, is never
// read: its cell is exact). float32 keeps a table in 16 KiB; its rounding,
// 6e-8 of the excess, is a fraction of a nanosecond on links of tens of
// milliseconds and tens of nanoseconds in the tail of a 300 ms link with a
// wide tail (95 ns with a 600 ms p90): far below the latency histograms'
// 1 % buckets.
type bodyTable [bodyCells + 1]float32

// newBodyTable tabulates the body of a log-normal with parameters mu and
// sigma: O(bodyCells) exponentials over the standard normal's quantiles at
// the cell edges, which every table shares (cellQuantiles).
func newBodyTable(mu, sigma float64) *bodyTable {
	t := new(bodyTable)
	z := cellQuantiles()
	for j := 1; j < bodyCells; j++ {
		t[j] = float32(math.Exp(mu + float64(sigma*z[j]))) // no fused multiply-add (spikeGrid)
	}
	t[bodyCells] = float32(math.Inf(1))
	return t
}

// cellQuantiles returns Φ⁻¹(j/bodyCells) for j in [1, bodyCells) (index 0
// unused), computed once per process: the inverse error function at 4,095
// points was 55 % of the cost of a table, paid again for every distinct
// link a topology fits (a 9-region cluster fits dozens).
var cellQuantiles = sync.OnceValue(func() *[bodyCells]float64 {
	z := new([bodyCells]float64)
	for j := 1; j < bodyCells; j++ {
		z[j] = normQuantile(float64(j) / bodyCells)
	}
	return z
})

// Constant returns the distribution that always yields d. It panics if d is
// negative.
func Constant(d time.Duration) Dist {
	if d < 0 {
		panic(fmt.Sprintf("topology: Constant(%v): negative duration", d))
	}
	return Dist{kind: KindConstant, p50: d}
}

// FitLognormal returns the shifted log-normal with DefaultSpike and the
// default floor (p50 − DefaultFloorGap(p50, tail)) whose complete mixture has
// median p50 and tailQuantile-quantile tail, e.g. (66ms, 68ms, 0.99) or
// (64.4ms, 69.3ms, 0.90). See FitShape.
func FitLognormal(p50, tail time.Duration, tailQuantile float64) (Dist, error) {
	return FitShape(p50, tail, tailQuantile, Shape{Spike: DefaultSpike})
}

// FitShape fits μ and σ so that the complete mixture — body and spike —
// has median p50 and the given tail at quantile tailQuantile in (0.5, 1).
// tail must be >= p50; tail == p50 gives σ = 0 (a constant body).
//
// The mixture CDF is F(x) = (1−p)·G(x) + p·H(x) with G the body CDF and H the
// CDF of body + spike. The fit solves G at the adjusted levels
// (q − p·H(x_q))/(1−p) for q = 0.5 and tailQuantile, starting from
// H = 0 (q/(1−p)) and iterating H to a fixed point; H is integrated
// numerically. Cost: O(iterations × 256) CDF evaluations.
func FitShape(p50, tail time.Duration, tailQuantile float64, s Shape) (Dist, error) {
	k := fitKey{p50, tail, tailQuantile, s}
	if d, ok := fits.Load(k); ok {
		return d.(Dist), nil
	}
	d, err := fitShape(p50, tail, tailQuantile, s)
	if err == nil && fitCount.Load() < maxFits {
		if old, loaded := fits.LoadOrStore(k, d); loaded {
			return old.(Dist), nil // fitted meanwhile by another goroutine: share its table
		}
		fitCount.Add(1)
	}
	return d, err
}

// fitKey is FitShape's arguments; fits memoises its successful fits (a
// pure function of them), so that building many clusters of one topology
// — regionsim advise validates thousands of configurations — fits each
// link, and builds its sampling table, once. It holds the distinct links
// of the topologies built, at most maxFits of them (16 KiB each, with the
// table): past that, as when a fuzzer validates thousands of made-up
// latencies, fits are computed each time and not kept.
type fitKey struct {
	p50, tail    time.Duration
	tailQuantile float64
	s            Shape
}

var (
	fits     sync.Map // fitKey → Dist
	fitCount atomic.Int64
)

const maxFits = 4096

// fitShape is FitShape without the memo.
func fitShape(p50, tail time.Duration, tailQuantile float64, s Shape) (Dist, error) {
	switch {
	case p50 <= 0:
		return Dist{}, fmt.Errorf("topology: fit: p50 %v must be > 0", p50)
	case tail < p50:
		return Dist{}, fmt.Errorf("topology: fit: tail %v is below p50 %v", tail, p50)
	case !(tailQuantile > 0.5 && tailQuantile < 1):
		return Dist{}, fmt.Errorf("topology: fit: tail quantile %v is out of range (0.5, 1)", tailQuantile)
	case s.FloorGap < 0 || s.FloorGap >= p50:
		return Dist{}, fmt.Errorf("topology: fit: floor gap %v is out of range [0, p50 %v)", s.FloorGap, p50)
	}
	if err := s.Spike.Validate(); err != nil {
		return Dist{}, err
	}
	gap := s.FloorGap
	if gap == 0 {
		gap = DefaultFloorGap(p50, tail)
	}
	if gap == 0 {
		// p50 = 1 ns: half of it rounds to 0, and a log-normal body
		// needs room above its floor (μ = ln 0).
		return Dist{}, fmt.Errorf("topology: fit: p50 %v is too small for a log-normal with a floor below it", p50)
	}
	d := Dist{kind: KindLognormal, p50: p50, floor: float64(p50 - gap)}
	if s.Spike.Prob > 0 {
		d.spikeP = s.Spike.Prob
		d.xm = float64(s.Spike.Scale)
		d.alpha = s.Spike.Alpha
		d.spikeM = float64(s.Spike.Max)
	}
	d.spikeT = uint32(math.Round(d.spikeP * (1 << 32))) // spikeP <= 0.05: no overflow
	d, err := fitBody(d, p50, tail, tailQuantile, gap)
	if err != nil {
		return Dist{}, err
	}
	if d.sigma > 0 {
		d.tab = newBodyTable(d.mu, d.sigma)
	}
	return d, nil
}

// fitBody sets d's μ and σ (fitShape, after the floor and spike).
func fitBody(d Dist, p50, tail time.Duration, tailQuantile float64, gap time.Duration) (Dist, error) {
	a := math.Log(float64(gap))
	if tail == p50 {
		d.mu = a
		return d, nil
	}
	b := math.Log(float64(tail) - d.floor)
	p := d.spikeP
	x50, xq := float64(p50), float64(tail)
	h50, hq := 0.0, 0.0
	var g50, gq spikeGrid
	if p > 0 {
		d.newSpikeGrid(x50, &g50)
		d.newSpikeGrid(xq, &gq)
	}
	for iter := 0; iter < 50; iter++ {
		l50 := (0.5 - p*h50) / (1 - p)
		lq := (tailQuantile - p*hq) / (1 - p)
		if !(lq < 1) {
			return Dist{}, fmt.Errorf("topology: fit: tail quantile %v is too close to 1 for spike probability %v", tailQuantile, p)
		}
		z50, zq := normQuantile(l50), normQuantile(lq)
		d.sigma = (b - a) / (zq - z50)
		d.mu = a - d.sigma*z50
		if p == 0 {
			break
		}
		n50, nq := d.spikeCDFOn(&g50), d.spikeCDFOn(&gq)
		if math.Abs(n50-h50) < 1e-12 && math.Abs(nq-hq) < 1e-12 {
			break
		}
		h50, hq = n50, nq
	}
	return d, nil
}

// Kind returns the distribution family.
func (d Dist) Kind() DistKind { return d.kind }

// Median returns the median the distribution was built or fitted for (for a
// fitted Dist, equal to Quantile(0.5) up to the numerical precision of the
// fit). Deterministic; use it for planning and jitter-free tests.
func (d Dist) Median() time.Duration { return d.p50 }

// Mean returns the mean of a draw, in closed form: the floor, plus the
// log-normal body's exp(μ + σ²/2), plus the spike's probability times the
// mean of a Pareto(xm, α) draw capped at Max, xm·(1 + ((Max/xm)^(1−α) −
// 1)/(1 − α)) (xm·(1 + ln(Max/xm)) for α = 1; the ratio keeps it finite
// at any α). The median for a constant Dist. It leaves out the sampler's
// cut of the body at about 8.2σ and its cap on a draw (maxDraw), which
// only a body of σ ≳ 6 reaches.
func (d Dist) Mean() time.Duration {
	if d.kind == KindConstant {
		return d.p50
	}
	m := d.floor + math.Exp(d.mu+d.sigma*d.sigma/2)
	if d.spikeP > 0 {
		xm, a, r := d.xm, d.alpha, d.spikeM/d.xm
		capped := xm * (1 + math.Log(r))
		if a != 1 {
			capped = xm * (1 + (math.Pow(r, 1-a)-1)/(1-a))
		}
		m += d.spikeP * capped
	}
	return time.Duration(math.Round(min(m, maxDraw)))
}

// Floor returns the smallest value a draw can take (ns): the median for a
// constant Dist.
func (d Dist) Floor() time.Duration {
	if d.kind == KindConstant {
		return d.p50
	}
	return time.Duration(d.floor)
}

// Params returns the log-normal parameters of the body (μ and σ of the log
// of the excess over the floor in ns) and the spike component; all zero for
// a constant Dist.
func (d Dist) Params() (mu, sigma float64, spike Spike) {
	if d.spikeP > 0 {
		spike = Spike{Prob: d.spikeP, Scale: time.Duration(d.xm), Alpha: d.alpha, Max: time.Duration(d.spikeM)}
	}
	return d.mu, d.sigma, spike
}

// Sample draws one value from r (a *rand.Rand, or its source itself: the
// request path passes its streams' *rand.PCG, whose calls the compiler can
// then devirtualise and inline). A constant Dist returns its median and
// consumes no randomness; a log-normal one consumes one Uint64, and one more
// for a draw in an outer cell (1 in 512; never for a constant body, σ = 0)
// or with a spike. O(1), allocation-free.
func (d Dist) Sample(r rand.Source) time.Duration { return d.sample(r) }

// sample is Sample without copying d (the hot path of LatencyModel.OneWay).
func (d *Dist) sample(r rand.Source) time.Duration {
	if d.kind == KindConstant {
		return d.p50
	}
	v := r.Uint64()
	j := v >> (64 - bodyBits)
	var x float64
	switch {
	case d.tab == nil:
		x = math.Exp(d.mu) // σ = 0: the body is a constant
	case j-exactCells < bodyCells-2*exactCells: // unsigned: an inner cell
		lo, hi := float64(d.tab[j]), float64(d.tab[j+1])
		f := float64(v>>(64-bodyBits-fracBits)&(1<<fracBits-1)) * (1.0 / (1 << fracBits))
		x = lo + (hi-lo)*f
	default:
		// An outer cell, exact. The position w in the cell comes from a
		// fresh word, so that the spike bits stay independent of it. The
		// upper cells go through Φ⁻¹(u) = −Φ⁻¹(1 − u): u itself could
		// round to 1, whose quantile is +Inf. (Both tails keep about 42
		// bits of w in the last cell: math.Erfcinv, behind normQuantile,
		// computes 1 − 2p itself.) The tail probability is held at 2⁻⁵³
		// or more, where Erfcinv is finite with room to spare (it first
		// gives ∓Inf at 2⁻⁵⁵): the body is cut at about 8.2σ, a mass of
		// 1e-16 per side.
		k := float64(r.Uint64() >> 11) // w = (k + 0.5)·2⁻⁵³, in (0, 1)
		var z float64
		if j < exactCells {
			z = normQuantile(max((float64(j)+(k+0.5)*(1.0/(1<<53)))*(1.0/bodyCells), 1.0/(1<<53)))
		} else {
			z = -normQuantile(max((float64(bodyCells-1-j)+((1<<53)-k-0.5)*(1.0/(1<<53)))*(1.0/bodyCells), 1.0/(1<<53)))
		}
		x = math.Exp(d.mu + d.sigma*z)
	}
	x += d.floor
	if uint32(v) < d.spikeT {
		// A spike: its Pareto draw comes from a fresh uniform.
		x += min(d.xm*math.Pow(1-unitFloat(r), -1/d.alpha), d.spikeM)
	}
	// Held below maxDraw, so that a fit of extreme spread (σ ≈ 9 for a
	// 60 s p90 over a 1 ms p50, which the RTT data allows) cannot overflow
	// a Duration into a negative delay.
	return time.Duration(min(x, maxDraw) + 0.5)
}

// unitFloat is rand.Rand's Float64 on r: a uniform in [0, 1) from one
// Uint64, the same value for the same draw.
func unitFloat(r rand.Source) float64 { return float64(r.Uint64()<<11>>11) / (1 << 53) }

// maxDraw is the largest draw (ns), 2^62 ns (146 years): a bound against
// overflow, not a model of anything.
const maxDraw = float64(1 << 62)

// CDF returns P(X <= x).
func (d Dist) CDF(x time.Duration) float64 {
	if d.kind == KindConstant {
		if x >= d.p50 {
			return 1
		}
		return 0
	}
	return d.cdf(float64(x))
}

// Quantile returns the q-quantile for q in [0, 1] (it panics otherwise):
// the median for a constant Dist; for a log-normal one, the smallest x with
// CDF(x) >= q found by bisection on the exact mixture CDF to within 1 ns
// (Quantile(0) is the floor; Quantile(1) is the body's 1−1e-15 quantile
// plus the spike cap, about the largest value: a draw's body reaches its
// 1−2⁻⁵³ quantile, 8.2σ against 7.9σ). O(60 × 256) operations; not for the
// hot path.
func (d Dist) Quantile(q float64) time.Duration {
	if !(q >= 0 && q <= 1) {
		panic(fmt.Sprintf("topology: Quantile(%v): q out of range [0, 1]", q))
	}
	if d.kind == KindConstant {
		return d.p50
	}
	lo := d.floor
	hi := d.floor + math.Exp(d.mu+d.sigma*normQuantile(1-1e-15))
	if d.spikeP > 0 {
		hi += d.spikeM
	}
	if q == 0 {
		return time.Duration(lo)
	}
	for hi-lo > 0.5 {
		mid := lo + (hi-lo)/2
		if d.cdf(mid) >= q {
			hi = mid
		} else {
			lo = mid
		}
	}
	return time.Duration(math.Round(hi))
}

// String describes the distribution, e.g. "constant 66ms" or
// "lognormal p50 66ms p99 68ms".
func (d Dist) String() string {
	if d.kind == KindConstant {
		return "constant " + d.p50.String()
	}
	return fmt.Sprintf("lognormal p50 %v p99 %v", d.p50, d.Quantile(0.99).Round(time.Microsecond))
}

// cdf is the mixture CDF at x ns.
func (d Dist) cdf(x float64) float64 {
	g := d.bodyCDF(x)
	if d.spikeP == 0 {
		return g
	}
	return (1-d.spikeP)*g + d.spikeP*d.spikeCDF(x)
}

// bodyCDF is P(floor + exp(μ+σZ) <= x).
func (d Dist) bodyCDF(x float64) float64 {
	y := x - d.floor
	if y <= 0 {
		return 0
	}
	return d.bodyCDFLog(math.Log(y))
}

// bodyCDFLog is bodyCDF at a point whose excess over the floor is
// positive, given as its logarithm ly.
func (d *Dist) bodyCDFLog(ly float64) float64 {
	if d.sigma == 0 {
		if ly >= d.mu {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc(-(ly-d.mu)/(d.sigma*math.Sqrt2))
}

// spikeCDF is H(x) = P(body + spike <= x) where spike = min(xm·W^(−1/α),
// max) with W uniform on (0, 1]:
//
//	H(x) = wc·G(x − max) + ∫_{max(w0, wc)}^1 G(x − xm·w^(−1/α)) dw
//
// with wc = (xm/max)^α (below it the spike is capped) and
// w0 = (xm/(x − floor))^α (below it G is 0). Composite Simpson, spikeSteps
// steps.
func (d Dist) spikeCDF(x float64) float64 {
	var g spikeGrid
	d.newSpikeGrid(x, &g)
	return d.spikeCDFOn(&g)
}

// spikeSteps is the number of Simpson steps of spikeCDF's integral.
const spikeSteps = 256

// spikeGrid is the part of spikeCDF at one x that does not depend on the
// body's μ and σ: where the integral starts, and the logarithm of each
// node's excess over the floor. fitBody evaluates H at the same two
// points at every iteration of its fixed point, with new μ and σ; with
// the grid built once per point, an iteration costs one Erfc per node
// instead of a Pow, a Log and an Erfc (fitting was most of the start-up
// of a 9-region run: dozens of distinct links). The values are those
// spikeCDF computed node by node before, bit for bit. The explicit
// float64 conversions round each product before its sum, so that no
// build fuses a multiply-add where another does not (Go fuses them on
// arm64 and at GOAMD64=v3, not at amd64's default v1, whose results they
// leave as they were).
type spikeGrid struct {
	zero     bool    // x − floor <= xm: H(x) = 0
	wc       float64 // (xm/max)^α
	capPos   bool    // x − max − floor > 0
	capLog   float64 // its logarithm, if capPos
	capOnly  bool    // the integral is empty (its lower end >= 1)
	lo, step float64
	pos      [spikeSteps + 1]bool    // node i's excess over the floor is > 0
	log      [spikeSteps + 1]float64 // its logarithm, where pos
}

// newSpikeGrid fills g for spikeCDF at x.
func (d *Dist) newSpikeGrid(x float64, g *spikeGrid) {
	*g = spikeGrid{}
	y := x - d.floor
	if y <= d.xm {
		g.zero = true
		return
	}
	g.wc = math.Pow(d.xm/d.spikeM, d.alpha)
	if yc := (x - d.spikeM) - d.floor; yc > 0 {
		g.capPos, g.capLog = true, math.Log(yc)
	}
	g.lo = max(math.Pow(d.xm/y, d.alpha), g.wc)
	if g.lo >= 1 {
		g.capOnly = true
		return
	}
	g.step = (1 - g.lo) / spikeSteps
	node := func(i int, w float64) {
		xi := x - float64(d.xm*math.Pow(w, -1/d.alpha))
		if yi := xi - d.floor; yi > 0 {
			g.pos[i], g.log[i] = true, math.Log(yi)
		}
	}
	node(0, g.lo)
	node(spikeSteps, 1)
	for i := 1; i < spikeSteps; i++ {
		node(i, g.lo+float64(float64(i)*g.step))
	}
}

// spikeCDFOn is spikeCDF at the point g was built for, with d's μ and σ.
func (d *Dist) spikeCDFOn(g *spikeGrid) float64 {
	if g.zero {
		return 0
	}
	f := func(i int) float64 {
		if !g.pos[i] {
			return 0
		}
		return d.bodyCDFLog(g.log[i])
	}
	capped := 0.0
	if g.capPos {
		capped = d.bodyCDFLog(g.capLog)
	}
	h := float64(g.wc * capped)
	if g.capOnly {
		return h
	}
	sum := f(0) + f(spikeSteps)
	for i := 1; i < spikeSteps; i++ {
		if i%2 == 1 {
			sum += float64(4 * f(i))
		} else {
			sum += float64(2 * f(i))
		}
	}
	return h + sum*g.step/3
}

// normQuantile is the standard normal quantile function Φ⁻¹(p).
func normQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
