package scenarios

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/sim/stats"
)

// TestJoinedTimelinesEqualDirectOnes records the same requests — many in
// one bin, some crossing one or several bin edges, ending at an edge,
// errors, ambiguous ones and slow ones — into a series as a run does (each
// request once while it stays in its bin, joined at the end) and into two
// series recorded directly by start and by end, and finds every bin by
// start alike, and every point by completion.
func TestJoinedTimelinesEqualDirectOnes(t *testing.T) {
	const width = time.Second
	split := series{table: "t", op: "read", region: "r", byCompletion: true,
		timeline: stats.NewSeries(width), crossOut: stats.NewSeries(width), crossIn: stats.NewSeries(width)}
	byStart, byEnd := stats.NewSeries(width), stats.NewSeries(width)
	r := rand.New(rand.NewPCG(1, 2))
	outcomes := []raft.Outcome{raft.OK, raft.OK, raft.OK, raft.Failed, raft.Ambiguous}
	crossed := 0
	for i := range 20_000 {
		start := sim.Time(r.Int64N(int64(30 * time.Second)))
		lat := time.Duration(r.ExpFloat64() * float64(20*time.Millisecond))
		switch i % 50 {
		case 0:
			lat = time.Duration(r.Int64N(int64(5 * time.Second))) // across several edges
		case 1:
			lat = time.Duration(int64(width) - int64(start)%int64(width)) // ends on the next edge
		}
		end := start.Add(lat)
		if int64(start)/int64(width) != int64(end)/int64(width) {
			crossed++
		}
		o := outcomes[r.IntN(len(outcomes))]
		sample := stats.NewSample(lat)
		split.recordTimelines(start, end, sample, o)
		recordSample(byStart, int64(start), sample, o)
		recordSample(byEnd, int64(end), sample, o)
	}
	require.Greater(t, crossed, 500, "enough requests cross a bin edge")
	var scratch stats.Histogram
	completed := split.joinTimelines(&scratch, nil)
	assert.Nil(t, split.crossIn, "joined")
	assert.Empty(t, split.joinTimelines(&scratch, nil), "a no-op once done")
	got, want := split.timeline.Bins(), byStart.Bins()
	require.Equal(t, len(want), len(got))
	for i := range want {
		g, w := &got[i], &want[i]
		assert.Equal(t, []any{w.Start, w.Count, w.Errors, w.Ambiguous, w.Slow},
			[]any{g.Start, g.Count, g.Errors, g.Ambiguous, g.Slow}, "bin %d", i)
		assert.Equal(t, []any{w.Latency.Count(), w.Latency.Sum(), w.Latency.Min(), w.Latency.Max()},
			[]any{g.Latency.Count(), g.Latency.Sum(), g.Latency.Min(), g.Latency.Max()}, "bin %d", i)
		assert.Equal(t, w.Latency.CDF(), g.Latency.CDF(), "bin %d", i)
	}
	// By completion, only the points are kept: each bin's count, errors
	// and quantiles as the series recorded directly by end has them.
	direct := series{table: split.table, op: split.op, region: split.region}
	assert.Equal(t, direct.appendPoints(nil, byEnd), completed)
}
