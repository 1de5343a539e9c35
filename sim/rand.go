package sim

import (
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
)

// NewRand returns the random stream number stream of a run seeded with seed:
// a PCG generator whose two state words are derived from seed and stream.
// Streams with different ids are statistically independent, and a stream's
// draws depend only on (seed, stream), never on what other components draw.
func NewRand(seed, stream uint64) *rand.Rand {
	return rand.New(NewSource(seed, stream))
}

// NewSource returns the source of NewRand(seed, stream): the same draws,
// from a concrete *rand.PCG, which a hot path can call without rand.Rand's
// interface (rand.New over it shares its state).
func NewSource(seed, stream uint64) *rand.PCG {
	return rand.NewPCG(mix(seed), mix(stream^0x9e3779b97f4a7c15))
}

// StreamID derives a stable stream id from a component name and an optional
// index ("network", 0; "client", 3). Adding a component with a new name does
// not shift the streams of existing ones.
func StreamID(name string, index int) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return mix(h.Sum64() + uint64(index))
}

// mix is SplitMix64's finaliser: a bijection that spreads nearby inputs
// (seeds 1, 2, 3, …) across the whole 64-bit space.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// IntN returns what rand.New(s).IntN(n) would, from the same state: a
// uniform int in [0, n), by the same multiply-and-reject (Lemire's) as
// math/rand/v2's 64-bit code, which its 32-bit code matches draw for draw.
// It calls s directly: the request generator's draws, several a request,
// then skip rand.Rand's interface call and its non-inlined uint64n. It
// panics if n <= 0.
func IntN(s *rand.PCG, n int) int {
	if n <= 0 {
		panic("sim: IntN: n <= 0")
	}
	u := uint64(n)
	if u&(u-1) == 0 { // a power of two: mask
		return int(s.Uint64() & (u - 1))
	}
	hi, lo := bits.Mul64(s.Uint64(), u)
	if lo < u {
		thresh := -u % u
		for lo < thresh {
			hi, lo = bits.Mul64(s.Uint64(), u)
		}
	}
	return int(hi)
}

// Float64 returns what rand.New(s).Float64() would: a uniform float64 in
// [0, 1) from one draw of s.
func Float64(s *rand.PCG) float64 { return float64(s.Uint64()<<11>>11) / (1 << 53) }
