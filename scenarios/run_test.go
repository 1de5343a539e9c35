package scenarios

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/sim/stats"
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
		// By completion: the same requests, none in an interval before the
		// measured span (a request completes after it was issued).
		timeline = 0
		var errs, wantErrs uint64
		for _, p := range res.TimelineCompleted {
			timeline += p.Count
			errs += p.Errors
			assert.GreaterOrEqual(t, p.TS, res.WarmupSeconds)
		}
		for _, p := range res.Timeline {
			wantErrs += p.Errors
		}
		assert.Equal(t, sum, timeline, "%s: the completion timeline accounts for every measured request", name)
		assert.Equal(t, wantErrs, errs, name)
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

// TestTimelineBinsByStartAndByCompletion files hand-made requests with the
// recorder: Timeline puts each in the interval it was issued in,
// TimelineCompleted in the one it completed in.
func TestTimelineBinsByStartAndByCompletion(t *testing.T) {
	s := shortBuiltin(t, "default")
	rec := &recorder{from: 0, until: sim.Time(10 * time.Second), series: []series{{
		table: "t", op: "write", region: "r",
		timeline: stats.NewSeries(time.Second), crossOut: stats.NewSeries(time.Second), crossIn: stats.NewSeries(time.Second), byCompletion: true,
	}}}
	at := func(s float64) sim.Time { return sim.Time(s * float64(time.Second)) }
	// Issued at 1.9 s, 2.0 s and 2.5 s; the first stalls 3 s (a failover)
	// and ends at 4.9 s, the second fails at 2.2 s, the third takes 50 ms.
	rec.Complete(0, 0, at(1.9), at(4.9), raft.OK)
	rec.Complete(0, 0, at(2.0), at(2.2), raft.Ambiguous)
	rec.Complete(0, 0, at(2.5), at(2.55), raft.OK)
	res := s.result(rec, sim.NewEngine())
	type bin struct {
		TS                       float64
		Count, Errors, Ambiguous uint64
	}
	got := func(pts []TimelinePoint) []bin {
		var out []bin
		for _, p := range pts {
			out = append(out, bin{p.TS, p.Count, p.Errors, p.Ambiguous})
		}
		return out
	}
	require.Equal(t, []bin{{1, 1, 0, 0}, {2, 2, 1, 1}}, got(res.Timeline))
	require.Equal(t, []bin{{2, 2, 1, 1}, {4, 1, 0, 0}}, got(res.TimelineCompleted))
	// The 3 s request is in interval 1 by start and 4 by completion; the
	// histograms keep 1% relative accuracy.
	assert.InEpsilon(t, 3000, res.Timeline[0].P99Ms, 0.01)
	assert.InEpsilon(t, 3000, res.TimelineCompleted[1].P99Ms, 0.01)
	assert.InEpsilon(t, 200, res.TimelineCompleted[0].P99Ms, 0.01)
	// A second result of the recorder has the same points.
	again := s.result(rec, sim.NewEngine())
	assert.Equal(t, res.Timeline, again.Timeline)
	assert.Equal(t, res.TimelineCompleted, again.TimelineCompleted)
}

// TestTimelinePointsFollowTheSeries: both timelines list their points
// series by series, each series once and in the same order, and are sized
// exactly.
func TestTimelinePointsFollowTheSeries(t *testing.T) {
	res, err := Run(shortBuiltin(t, "default"))
	require.NoError(t, err)
	type key struct{ table, op, region string }
	order := func(pts []TimelinePoint) []key {
		var out []key
		for _, p := range pts {
			if k := (key{p.Table, p.Op, p.ClientRegion}); len(out) == 0 || out[len(out)-1] != k {
				out = append(out, k)
			}
		}
		return out
	}
	var stats []key
	for _, st := range res.Stats {
		stats = append(stats, key{st.Table, st.Op, st.ClientRegion})
	}
	require.Greater(t, len(stats), 3)
	assert.ElementsMatch(t, stats, order(res.Timeline), "each series once")
	assert.Equal(t, order(res.Timeline), order(res.TimelineCompleted))
	assert.Equal(t, len(res.Timeline), cap(res.Timeline))
	assert.Equal(t, len(res.TimelineCompleted), cap(res.TimelineCompleted))
	// Without timelines, nothing is reserved for them.
	s := shortBuiltin(t, "default")
	skipped, err := RunWith(s, RunOptions{SkipTimelines: true})
	require.NoError(t, err)
	assert.Zero(t, cap(skipped.Timeline))
	assert.Zero(t, cap(skipped.TimelineCompleted))
}

// TestResultJSONCarriesMergeableHistograms: every stat's latency
// distribution survives the JSON of a Result exactly, so runs read back
// from result.json pool to the same percentiles as in memory.
func TestResultJSONCarriesMergeableHistograms(t *testing.T) {
	s := shortBuiltin(t, "default")
	a, err := Run(s)
	require.NoError(t, err)
	s.Seed++
	b, err := Run(s)
	require.NoError(t, err)
	var back []*Result
	for _, r := range []*Result{a, b} {
		raw, err := json.Marshal(r)
		require.NoError(t, err)
		var x Result
		require.NoError(t, json.Unmarshal(raw, &x))
		for i, st := range x.Stats {
			require.NotNil(t, st.Latency, "%s %s %s", st.Table, st.Op, st.ClientRegion)
			assert.Equal(t, r.Stats[i].Latency.Count(), st.Latency.Count())
			assert.Equal(t, r.Stats[i].Latency.Quantile(0.99), st.Latency.Quantile(0.99))
		}
		back = append(back, &x)
	}
	want, err := json.Marshal(PoolStats([]*Result{a, b}))
	require.NoError(t, err)
	got, err := json.Marshal(PoolStats(back))
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}
