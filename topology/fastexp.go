package topology

import "math"

// expTableBits sets the size of exp2Table: 2^expTableBits entries.
const expTableBits = 8

// exp2Table[i] is 2^(i/2^expTableBits), correctly rounded to float64 (to
// within math.Exp2's accuracy, < 1 ulp).
var exp2Table = func() (t [1 << expTableBits]float64) {
	for i := range t {
		t[i] = math.Exp2(float64(i) / (1 << expTableBits))
	}
	return t
}()

// Constants of fastExp: N/ln 2 and ln 2/N split in a high part with its
// low bits cleared (fdlibm's split: k·ln2HiN is exact for |k| < 2^21) and the rest
// (Cody–Waite reduction), and 1.5·2^52, which rounds a float64 of
// magnitude below 2^51 to an integer when added.
const (
	expInvLn2N = (1 << expTableBits) / math.Ln2
	expLn2HiN  = 6.93147180369123816490e-01 / (1 << expTableBits) // 0x3fe62e42fee00000: 32 significant bits
	expLn2LoN  = 1.90821492927058770002e-10 / (1 << expTableBits)
	expShifter = 0x1.8p52
)

// fastExp returns e^y to within about 2 ulp (relative error < 5e-16) for
// every y, in about a third of math.Exp's time on amd64: y = k·ln2/N + r
// with N = 2^expTableBits and |r| <= ln2/(2N), e^y = 2^(k/N)·e^r with
// 2^(k/N) from exp2Table and the exponent bits, e^r from its degree-4
// Taylor polynomial (truncation error r^5/120 < 4e-17). Outside
// (-700, 700), and for NaN, it is math.Exp. A latency draw rounds
// floor + e^y to whole nanoseconds, so fastExp and math.Exp give the same
// draw unless the exact value lies within ~1e-8 ns of a half nanosecond
// (TestFastExpMatchesExp).
func fastExp(y float64) float64 {
	if !(y > -700 && y < 700) {
		return math.Exp(y)
	}
	kf := y*expInvLn2N + expShifter
	k := int64(math.Float64bits(kf)) // low bits hold k (two's complement)
	kf -= expShifter
	r := (y - kf*expLn2HiN) - kf*expLn2LoN
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24))))
	t := exp2Table[k&(1<<expTableBits-1)]
	// 2^(k>>bits) times t: add to t's exponent (no overflow inside ±700).
	e := uint64(k>>expTableBits) << 52
	return math.Float64frombits(math.Float64bits(t)+e) * p
}
