package scenarios

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func shortBuiltin(t *testing.T, name string) *Scenario {
	t.Helper()
	s, err := Load(name)
	require.NoError(t, err)
	for _, w := range s.Workload {
		if len(w.Schedule) > 0 {
			return s // keep the run long enough for its schedule
		}
	}
	if len(s.Faults) > 0 {
		return s // keep the run long enough for its faults
	}
	require.NoError(t, s.Override(Overrides{Duration: new(5 * time.Second), Warmup: new(time.Second)}))
	return s
}

func TestRunIsDeterministicAcrossParallelism(t *testing.T) {
	s := shortBuiltin(t, "default")
	seeds := []uint64{1, 2, 3, 4}
	one, err := RunSeeds(s, seeds, 1)
	require.NoError(t, err)
	two, err := RunSeeds(s, seeds, 2)
	require.NoError(t, err)
	for i := range seeds {
		a, err := json.Marshal(one[i])
		require.NoError(t, err)
		b, err := json.Marshal(two[i])
		require.NoError(t, err)
		assert.JSONEq(t, string(a), string(b), "seed %d", seeds[i])
		assert.Equal(t, seeds[i], one[i].Seed)
	}
	assert.NotEqual(t, one[0].Stats[0].MeanMs, one[1].Stats[0].MeanMs, "different seeds should differ")
	assert.NotEqual(t, one[0].Requests, one[1].Requests, "different seeds should differ")
}

func TestRunCompletesEveryMeasuredRequest(t *testing.T) {
	for _, name := range BuiltinNames() {
		s := shortBuiltin(t, name)
		res, err := Run(s)
		require.NoError(t, err, name)
		var sum uint64
		for _, st := range res.Stats {
			sum += st.Count
			assert.Equal(t, st.Count, st.Latency.Count())
			assert.LessOrEqual(t, st.P50Ms, st.P90Ms)
			assert.LessOrEqual(t, st.P90Ms, st.P99Ms)
			assert.LessOrEqual(t, st.P99Ms, st.P999Ms)
			assert.LessOrEqual(t, st.P999Ms, st.MaxMs)
		}
		assert.Equal(t, res.Requests, sum, name)
		var timeline uint64
		for _, p := range res.Timeline {
			timeline += p.Count
			assert.GreaterOrEqual(t, p.TS, res.WarmupSeconds)
			assert.Less(t, p.TS, res.WarmupSeconds+res.SimulatedSeconds)
		}
		assert.Equal(t, sum, timeline, "%s: the timeline accounts for every measured request", name)
		// Poisson arrivals: the measured count is close to rate x duration.
		var rate float64
		for _, w := range s.Workload {
			rate += w.Rate
		}
		if len(s.Workload[0].Schedule) == 0 && s.Workload[0].Profile == nil {
			want := rate * s.Duration.Seconds()
			assert.InDelta(t, want, float64(sum), 5*sqrt(want), name)
		}
	}
}

func sqrt(x float64) float64 {
	z := x
	for i := 0; i < 50; i++ {
		z = (z + x/z) / 2
	}
	return z
}
