package closedform

import (
	"cmp"
	"slices"
	"time"
)

// Atom is one latency of a discrete distribution and its probability.
type Atom struct {
	Latency time.Duration
	P       float64
}

// Dist is a discrete latency distribution: atoms whose probabilities sum
// to 1. A jitter-free request path is one atom or a few.
type Dist []Atom

// Point returns the distribution that is d with certainty.
func Point(d time.Duration) Dist { return Dist{{d, 1}} }

// normal drops atoms of probability 0.
func (d Dist) normal() Dist {
	return slices.DeleteFunc(d, func(a Atom) bool { return a.P <= 0 })
}

// Mixture is a weighted mixture of distributions: every request a workload
// can issue, each with its probability. The zero value is empty.
type Mixture struct {
	atoms  []Atom
	total  float64
	sorted bool
	// at indexes atoms by latency, so that a mixture of many requests
	// holds one atom per distinct latency.
	at map[time.Duration]int
}

// Add mixes in distribution d with weight w (w ≤ 0 is ignored).
func (x *Mixture) Add(d Dist, w float64) {
	if w <= 0 {
		return
	}
	if x.at == nil {
		x.at = make(map[time.Duration]int, len(x.atoms))
		for i, a := range x.atoms {
			x.at[a.Latency] = i
		}
	}
	for _, a := range d {
		x.total += a.P * w
		if i, ok := x.at[a.Latency]; ok {
			x.atoms[i].P += a.P * w
			continue
		}
		x.at[a.Latency] = len(x.atoms)
		x.atoms = append(x.atoms, Atom{a.Latency, a.P * w})
		x.sorted = false
	}
}

// Empty reports whether nothing has been mixed in.
func (x *Mixture) Empty() bool { return x.total <= 0 }

// sort orders the atoms by latency, merging equal ones.
func (x *Mixture) sort() {
	if x.sorted {
		return
	}
	slices.SortFunc(x.atoms, func(a, b Atom) int { return cmp.Compare(a.Latency, b.Latency) })
	out := x.atoms[:0]
	for _, a := range x.atoms {
		if n := len(out); n > 0 && out[n-1].Latency == a.Latency {
			out[n-1].P += a.P
			continue
		}
		out = append(out, a)
	}
	x.atoms, x.sorted = out, true
	x.at = nil // positions changed: rebuilt on the next Add
}

// Quantile returns the q-quantile of the mixture with the convention of
// sim/stats.Histogram (gonum's empirical rank): the smallest latency whose
// cumulative probability reaches q. It returns 0 for an empty mixture.
// A cumulative probability within 1e-9 of q counts as reaching it, so that
// rounding in the weights does not move a median that sits exactly on a
// boundary. O(atoms · log atoms) the first time, O(atoms) after.
func (x *Mixture) Quantile(q float64) time.Duration {
	if x.Empty() {
		return 0
	}
	x.sort()
	cum := 0.0
	for _, a := range x.atoms {
		cum += a.P / x.total
		if cum >= q-1e-9 {
			return a.Latency
		}
	}
	return x.atoms[len(x.atoms)-1].Latency
}

// Atoms returns the mixture's distinct latencies in increasing order with
// their probabilities (normalised to sum to 1).
func (x *Mixture) Atoms() Dist {
	x.sort()
	out := make(Dist, len(x.atoms))
	for i, a := range x.atoms {
		out[i] = Atom{a.Latency, a.P / x.total}
	}
	return out
}
