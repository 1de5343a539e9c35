package scenarios

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/sim"
)

// drawCounts draws n keys from w's key set and counts them by key.
func drawCounts(t *testing.T, w Workload, n int) []float64 {
	t.Helper()
	k := newKeySet(w, sim.NewRand(7, sim.StreamID("workload/keys", 0)))
	require.NotNil(t, k)
	counts := make([]float64, w.Keys)
	for range n {
		x := k.draw()
		require.True(t, x >= 0 && x < int(w.Keys), "key %d out of [0, %d)", x, w.Keys)
		counts[x]++
	}
	return counts
}

// assertShares checks observed counts against expected probabilities p
// with a chi-square test over the keys (cells with an expected count below
// 5 pooled): the statistic must stay below the 0.999 quantile of its
// distribution (Wilson–Hilferty approximation), so a wrong law fails and a
// right one passes but once in a thousand seeds.
func assertShares(t *testing.T, counts, p []float64) {
	t.Helper()
	n := 0.0
	for _, c := range counts {
		n += c
	}
	chi, cells, poolObs, poolExp := 0.0, 0, 0.0, 0.0
	for i := range counts {
		e := n * p[i]
		if e < 5 {
			poolObs += counts[i]
			poolExp += e
			continue
		}
		chi += (counts[i] - e) * (counts[i] - e) / e
		cells++
	}
	if poolExp > 0 {
		chi += (poolObs - poolExp) * (poolObs - poolExp) / poolExp
		cells++
	}
	df := float64(cells - 1)
	z := 3.09 // the 0.999 quantile of the standard normal
	bound := df * math.Pow(1-2/(9*df)+z*math.Sqrt(2/(9*df)), 3)
	assert.Less(t, chi, bound, "chi-square over %d cells", cells)
}

func TestKeySetZipf(t *testing.T) {
	for _, s := range []float64{0, 1.5, 3} {
		w := Workload{Keys: 1000, Distribution: DistributionZipf, ZipfExponent: s}
		exp := s
		if exp == 0 {
			exp = DefaultZipfExponent
		}
		p := make([]float64, w.Keys)
		sum := 0.0
		for k := range p {
			p[k] = math.Pow(float64(k+1), -exp)
			sum += p[k]
		}
		for k := range p {
			p[k] /= sum
		}
		counts := drawCounts(t, w, 200000)
		assertShares(t, counts, p)
		// The hottest key is key 0: 18 % of the draws at s = 1.1.
		if s == 0 {
			assert.InDelta(t, 0.179, counts[0]/200000, 0.003)
		}
	}
}

func TestKeySetUniformAndHot(t *testing.T) {
	uniform := make([]float64, 50)
	for k := range uniform {
		uniform[k] = 1.0 / 50
	}
	assertShares(t, drawCounts(t, Workload{Keys: 50}, 100000), uniform)
	// hot_share 0.2 over hot_keys 2: keys 0 and 1 get 10 % each, the other
	// 48 keys share 80 %.
	hot := make([]float64, 50)
	for k := range hot {
		hot[k] = 0.8 / 48
		if k < 2 {
			hot[k] = 0.1
		}
	}
	assertShares(t, drawCounts(t, Workload{Keys: 50, HotShare: 0.2, HotKeys: 2}, 100000), hot)
	// hot_keys left out: one hot key.
	one := make([]float64, 10)
	for k := range one {
		one[k] = 0.5 / 9
	}
	one[0] = 0.5
	assertShares(t, drawCounts(t, Workload{Keys: 10, HotShare: 0.5}, 100000), one)
	assert.Nil(t, newKeySet(Workload{}, nil), "no keys: no key set")
}

// TestKeySetStreamIsItsOwn: the key set draws only from the stream it is
// given, so the same seed and stream give the same keys.
func TestKeySetStreamIsItsOwn(t *testing.T) {
	w := Workload{Keys: 1000, Distribution: DistributionZipf}
	a := newKeySet(w, sim.NewRand(1, sim.StreamID("workload/keys", 3)))
	b := newKeySet(w, sim.NewRand(1, sim.StreamID("workload/keys", 3)))
	c := newKeySet(w, sim.NewRand(1, sim.StreamID("workload/keys", 4)))
	same, differ := true, false
	for range 1000 {
		x, y, z := a.draw(), b.draw(), c.draw()
		same = same && x == y
		differ = differ || x != z
	}
	assert.True(t, same)
	assert.True(t, differ)
}

// keysRE matches the keys FuzzRun's generator gives some workloads.
var keysRE = regexp.MustCompile(`, keys: \d+`)

// TestKeyedScenariosKeepInvariants runs generated scenarios (FuzzRun's
// generator: every locality and op, faults of every kind, client
// timeouts) with every workload concentrated on 2 keys, so that latches
// and intents meet failovers, redirects, lease transfers and timeouts,
// with the model's invariant checks on: no panic, every request ends
// once, no latch or intent left behind by a finished run's requests
// beyond those still resolving, and no storm of events.
func TestKeyedScenariosKeepInvariants(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 200 scenarios")
	}
	r := rand.New(rand.NewPCG(14, 3))
	ran, waited := 0, uint64(0)
	for i := range 200 {
		shape := make([]byte, 40)
		for j := range shape {
			shape[j] = byte(r.IntN(256))
		}
		text := keysRE.ReplaceAllString(genScenario(shape), "") // the generator's own keys
		text = strings.ReplaceAll(text, "mix: {", "keys: 2, mix: {")
		s, err := Parse([]byte(text), "keyed.yaml")
		if err != nil {
			continue // the generator may write what validation refuses
		}
		s.Seed = uint64(i)
		ran++
		res, err := run(s, RunOptions{checks: true, Budget: Budget{MaxEvents: 10_000_000}})
		require.NoError(t, err, "scenario %d:\n%s", i, text)
		var count uint64
		for _, st := range res.Stats {
			count += st.Count
		}
		require.Equal(t, res.Requests, count, "scenario %d", i)
		for _, st := range res.Stats {
			if st.Contention != nil {
				waited += st.Contention.Waited
			}
		}
	}
	t.Logf("%d scenarios ran, %d requests waited for a latch or an intent", ran, waited)
	assert.GreaterOrEqual(t, ran, 100)
	assert.Positive(t, waited)
}
