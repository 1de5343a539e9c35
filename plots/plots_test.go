package plots

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"image"
	_ "image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotter"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/sim/stats"
)

var outDir = flag.String("out", "", "also write the charts of the test inputs into this directory, to look at them")

var (
	cmpOnce sync.Once
	cmpRes  *scenarios.Comparison
	cmpErr  error
)

// realComparison runs the built-in default scenario for 5 simulated
// seconds under ZONE and REGION survival, like `regionsim compare`.
func realComparison(t *testing.T) *scenarios.Comparison {
	t.Helper()
	cmpOnce.Do(func() {
		s, err := scenarios.Load("default")
		if err != nil {
			cmpErr = err
			return
		}
		if err := s.Override(scenarios.Overrides{Duration: new(5 * time.Second), Warmup: new(time.Second)}); err != nil {
			cmpErr = err
			return
		}
		c := &scenarios.Comparison{}
		for _, goal := range []string{"zone", "region"} {
			v, err := s.WithSurvival(goal)
			if err != nil {
				cmpErr = err
				return
			}
			r, err := scenarios.Run(v)
			if err != nil {
				cmpErr = err
				return
			}
			c.Runs = append(c.Runs, *r)
		}
		cmpRes = c
	})
	require.NoError(t, cmpErr)
	return cmpRes
}

func runPtrs(c *scenarios.Comparison) []*scenarios.Result {
	out := make([]*scenarios.Result, len(c.Runs))
	for i := range c.Runs {
		out[i] = &c.Runs[i]
	}
	return out
}

// handBuilt is a small Result with what real runs do not have yet: fault
// windows, lease moves, and a latency spike during a fault. Its Stats have
// no histograms, as after a JSON round trip.
func handBuilt() *scenarios.Result {
	r := &scenarios.Result{
		Scenario: "handmade", Seed: 7, Survival: "region", CRDBVersion: "24.3", RTT: "crdb-demo",
		WarmupSeconds: 10, SimulatedSeconds: 110,
		Regions: []string{"us-east1", "us-west1", "europe-west1"},
		RTTMs:   [][]float64{{1, 66, 64}, {66, 1, 146}, {64, 146, 1}},
		Faults: []scenarios.FaultWindow{
			{Name: "region us-east1 at 40s", StartS: 40, EndS: 70},
			{Name: "zone us-west1-b at 45s", StartS: 45, EndS: 55},
			{Name: "partition at 95s", StartS: 95, EndS: 100},
		},
		Stats: []scenarios.Stat{
			{Table: "users", Locality: "regional-by-row", Op: "read", ClientRegion: "us-east1", Count: 1000,
				P50Ms: 1.5, P90Ms: 2, P99Ms: 60, P999Ms: 70, MaxMs: 6100},
			{Table: "users", Locality: "regional-by-row", Op: "read", ClientRegion: "us-west1", Count: 3000,
				P50Ms: 1.6, P90Ms: 4, P99Ms: 140, P999Ms: 150, MaxMs: 160},
			{Table: "users", Locality: "regional-by-row", Op: "write", ClientRegion: "us-east1", Count: 200,
				P50Ms: 66, P90Ms: 70, P99Ms: 3000, P999Ms: 6000, MaxMs: 6120},
		},
		Leases: []scenarios.LeaseEvent{
			{TS: 0, Range: 2, Table: "users", Region: "us-west1", Zone: "us-west1-a", Reason: "initial"},
			{TS: 0, Range: 1, Table: "users", Region: "us-east1", Zone: "us-east1-a", Reason: "initial"},
			{TS: 46, Range: 1, Table: "users", Region: "us-west1", Zone: "us-west1-b", Reason: "failover"},
			{TS: 80, Range: 1, Table: "users", Region: "us-east1", Zone: "us-east1-b", Reason: "preference"},
			{TS: 0, Range: 3, Table: "users", Region: "europe-west1", Zone: "europe-west1-c", Reason: "initial"},
			{TS: 0, Range: 1, Table: "accounts", Region: "us-east1", Zone: "us-east1-c", Reason: "initial"},
			{TS: 60, Range: 2, Table: "users", Region: "europe-west1", Zone: "europe-west1-a", Reason: "follow-the-workload"},
		},
	}
	for ts := 10.0; ts < 120; ts++ {
		for i, reg := range r.Regions {
			p50, p99, n := 1.5+float64(i)*60, 70+float64(i)*70, uint64(150)
			if ts >= 40 && ts < 50 {
				// Few requests start while the region is down: too few for a p99.
				p50, p99, n = 3000+float64(i)*100, 6100, 20
			}
			r.Timeline = append(r.Timeline, scenarios.TimelinePoint{
				TS: ts, Table: "users", Op: "write", ClientRegion: reg, Count: n, P50Ms: p50, P99Ms: p99,
			})
		}
	}
	return r
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(m.Run())
}

// TestLookAt writes every chart of the test inputs into -out, if given.
func TestLookAt(t *testing.T) {
	if *outDir == "" {
		t.Skip("no -out directory")
	}
	c := realComparison(t)
	_, err := WriteComparison(filepath.Join(*outDir, "compare"), c, ChartsAll)
	require.NoError(t, err)
	_, err = WriteResult(filepath.Join(*outDir, "run"), &c.Runs[0], ChartsAll)
	require.NoError(t, err)
	_, err = WriteResult(filepath.Join(*outDir, "handmade"), handBuilt(), ChartsAll)
	require.NoError(t, err)
}

func TestCDFPointsAreHistogramQuantiles(t *testing.T) {
	runs := runPtrs(realComparison(t))
	_, pairs := tablesAndOps(runs)
	require.NotEmpty(t, pairs)
	for _, to := range pairs {
		series := cdfData(runs, to.Table, to.Op)
		require.Len(t, series, len(runs), "%v", to)
		for _, s := range series {
			r := runs[s.Run]
			var want *stats.Histogram
			var count uint64
			for _, st := range r.Stats {
				if st.Table == to.Table && st.Op == to.Op {
					require.NotNil(t, st.Latency)
					before := st.Latency.Count()
					if want == nil {
						want = stats.NewDefaultHistogram()
					}
					want.Merge(st.Latency)
					count += st.Count
					assert.Equal(t, before, st.Latency.Count(), "input histogram modified")
				}
			}
			require.False(t, s.FromPercentiles)
			assert.Equal(t, count, s.Count)
			assert.Equal(t, want.Count(), s.Count)
			require.GreaterOrEqual(t, len(s.Steps), 3)
			first, last := s.Steps[0], s.Steps[len(s.Steps)-1]
			assert.Equal(t, plotter.XY{X: nsToMs(want.Min()), Y: 0}, first)
			assert.Equal(t, plotter.XY{X: nsToMs(want.Max()), Y: 1}, last)
			for i, p := range s.Steps {
				assert.Equal(t, p.X, nsToMs(want.Quantile(p.Y)), "%v run %d point %d: Quantile(%v)", to, s.Run, i, p.Y)
				if i > 0 {
					assert.Greater(t, p.X, s.Steps[i-1].X-1e-12)
					assert.GreaterOrEqual(t, p.Y, s.Steps[i-1].Y)
				}
			}
			require.Len(t, s.Marks, len(markQuantiles))
			for i, q := range markQuantiles {
				assert.Equal(t, plotter.XY{X: nsToMs(want.Quantile(q)), Y: q}, s.Marks[i])
			}
		}
	}
}

// xys returns the points (v[0], v[1]), (v[2], v[3]), ...
func xys(v ...float64) plotter.XYs {
	var out plotter.XYs
	for i := 0; i+1 < len(v); i += 2 {
		out = append(out, plotter.XY{X: v[i], Y: v[i+1]})
	}
	return out
}

func TestCDFFallbackUsesPercentiles(t *testing.T) {
	r := handBuilt()
	// One client region: the reported percentiles exactly.
	s := cdfData([]*scenarios.Result{r}, "users", "write")
	require.Len(t, s, 1)
	assert.True(t, s[0].FromPercentiles)
	assert.Equal(t, xys(66, 0, 66, 0.5, 70, 0.9, 3000, 0.99, 6000, 0.999, 6120, 1), s[0].Steps)
	assert.Equal(t, xys(66, 0.5, 70, 0.9, 3000, 0.99, 6000, 0.999), s[0].Marks)

	// Two client regions mixed by count (1000 and 3000 requests).
	s = cdfData([]*scenarios.Result{r}, "users", "read")
	require.Len(t, s, 1)
	assert.Equal(t, uint64(4000), s[0].Count)
	steps := s[0].Steps
	assert.Equal(t, plotter.XY{X: 1.5, Y: 0}, steps[0])
	assert.InDelta(t, 0.5*1000/4000.0, steps[1].Y, 1e-12) // p50 of us-east1
	assert.Equal(t, 1.5, steps[1].X)
	assert.InDelta(t, 0.5, steps[2].Y, 1e-12) // p50 of us-west1 adds 1500
	assert.Equal(t, 1.6, steps[2].X)
	assert.Equal(t, plotter.XY{X: 6100, Y: 1}, steps[len(steps)-1])
	for i := 1; i < len(steps); i++ {
		assert.Greater(t, steps[i].X, steps[i-1].X-1e-12)
		assert.Greater(t, steps[i].Y, steps[i-1].Y)
	}

	// A run that lacks histograms falls back even if another run has them.
	runs := runPtrs(realComparison(t))
	stripped := *runs[1]
	stripped.Stats = slices.Clone(stripped.Stats)
	for i := range stripped.Stats {
		stripped.Stats[i].Latency = nil
	}
	s = cdfData([]*scenarios.Result{runs[0], &stripped}, "users", "read")
	require.Len(t, s, 2)
	assert.False(t, s[0].FromPercentiles)
	assert.True(t, s[1].FromPercentiles)
	ch, err := LatencyCDF([]*scenarios.Result{runs[0], &stripped}, "users", "read")
	require.NoError(t, err)
	assert.Contains(t, ch.Legend[1].Text, "from percentiles")
}

func TestCDFNoData(t *testing.T) {
	runs := runPtrs(realComparison(t))
	_, err := LatencyCDF(runs, "users", "no-such-op")
	assert.ErrorIs(t, err, ErrNoData)
	_, err = LatencyCDF(nil, "users", "read")
	assert.Error(t, err)
	_, err = LatencyCDF([]*scenarios.Result{runs[0], nil}, "users", "read")
	assert.Error(t, err)
}

func TestBarHeightsEqualStats(t *testing.T) {
	runs := runPtrs(realComparison(t))
	tables, _ := tablesAndOps(runs)
	require.Equal(t, []string{"users", "accounts", "promo_codes"}, tables)
	for _, table := range tables {
		groups := barData(runs, table)
		seen := 0
		for i, r := range runs {
			for _, s := range r.Stats {
				if s.Table != table {
					continue
				}
				seen++
				g := slices.IndexFunc(groups, func(g barGroup) bool { return g.Op == s.Op && g.Region == s.ClientRegion })
				require.GreaterOrEqual(t, g, 0, "%s %s %s", table, s.Op, s.ClientRegion)
				assert.Equal(t, bar{OK: true, P50: s.P50Ms, P99: s.P99Ms}, groups[g].Bars[i])
			}
		}
		bars := 0
		for _, g := range groups {
			for _, b := range g.Bars {
				if b.OK {
					bars++
				}
			}
		}
		assert.Equal(t, seen, bars, table)
		// Groups are op-major in Stats order.
		assert.Equal(t, groups[0].Op, runs[0].Stats[slices.IndexFunc(runs[0].Stats, func(s scenarios.Stat) bool { return s.Table == table })].Op)
	}
	// A run without a group's stat has an empty bar there.
	one := handBuilt()
	two := handBuilt()
	two.Stats = two.Stats[:1]
	groups := barData([]*scenarios.Result{one, two}, "users")
	require.Len(t, groups, 3)
	assert.Equal(t, []bar{{true, 1.5, 60}, {true, 1.5, 60}}, groups[0].Bars)
	assert.Equal(t, []bar{{true, 66, 3000}, {}}, groups[2].Bars)
	_, err := PercentileDots([]*scenarios.Result{one}, "nothing")
	assert.ErrorIs(t, err, ErrNoData)
}

func TestTimelinePointsEqualTimeline(t *testing.T) {
	for _, r := range []*scenarios.Result{&realComparison(t).Runs[1], handBuilt()} {
		_, pairs := tablesAndOps([]*scenarios.Result{r})
		for _, to := range pairs {
			series := timelineData(r, to.Table, to.Op)
			var want []scenarios.TimelinePoint
			pts, _ := timelinePoints(r)
			for _, p := range pts {
				if p.Table == to.Table && p.Op == to.Op {
					want = append(want, p)
				}
			}
			if len(want) == 0 {
				assert.Empty(t, series)
				continue
			}
			n := 0
			for _, s := range series {
				p50, p99 := flat(s.P50), flat(s.P99)
				n += len(p50) + len(s.Sparse50)
				var i50, i99, s50, s99 int
				for _, p := range want {
					if p.ClientRegion != s.Region || p.Count == 0 {
						continue
					}
					// Every point on a line has the requests its percentile
					// needs; the others are sparse points, not on the line.
					if p.Count >= 2 {
						require.Less(t, i50, len(p50))
						assert.Equal(t, plotter.XY{X: p.TS, Y: p.P50Ms}, p50[i50])
						i50++
					} else {
						assert.Equal(t, plotter.XY{X: p.TS, Y: p.P50Ms}, s.Sparse50[s50])
						s50++
					}
					if p.P99Ms <= 0 {
						continue
					}
					if p.Count >= 100 {
						require.Less(t, i99, len(p99))
						assert.Equal(t, plotter.XY{X: p.TS, Y: p.P99Ms}, p99[i99])
						i99++
					} else if s99 < len(s.Sparse99) && s.Sparse99[s99] == (plotter.XY{X: p.TS, Y: p.P99Ms}) {
						s99++
					} else {
						// Not drawn as a p99: inside a merged bin's range.
						in := slices.ContainsFunc(s.Merged99, func(b mergedBin) bool {
							return b.FromS <= p.TS && p.TS <= b.ToS && b.Lo <= p.P99Ms && p.P99Ms <= b.Hi
						})
						assert.True(t, in, "%v: sparse bin at %v s neither sparse nor merged", to, p.TS)
					}
				}
				assert.Equal(t, i50, len(p50))
				assert.Equal(t, i99, len(p99))
				assert.Equal(t, s99, len(s.Sparse99))
				for _, b := range s.Merged99 {
					assert.GreaterOrEqual(t, b.N, uint64(100), "a merged bin holds the requests a p99 needs")
				}
			}
			nz := 0
			for _, p := range want {
				if p.Count > 0 {
					nz++
				}
			}
			assert.Equal(t, nz, n, "%v", to)
		}
	}
	r := handBuilt()
	series := timelineData(r, "users", "write")
	require.Len(t, series, 3)
	assert.Equal(t, []string{"us-east1", "us-west1", "europe-west1"}, []string{series[0].Region, series[1].Region, series[2].Region})
	assert.Equal(t, 1.0, interval(series))
	// The fault's 10 bins of 20 requests are sparse for p99, and break its
	// line in two; they merge into two bins of 5 (100 requests each), whose
	// p99 lies in the range of the parts'. p50 needs 2 requests and stays
	// whole.
	for _, s := range series {
		assert.Empty(t, s.Sparse99)
		assert.Equal(t, []mergedBin{{FromS: 40, ToS: 44, Lo: 6100, Hi: 6100, N: 100}, {FromS: 45, ToS: 49, Lo: 6100, Hi: 6100, N: 100}}, s.Merged99)
		assert.Len(t, s.P99, 2)
		assert.Len(t, s.P50, 1)
		assert.Empty(t, s.Sparse50)
	}
	_, err := LatencyOverTime(r, "users", "read")
	assert.ErrorIs(t, err, ErrNoData)
}

func TestHeatmapCellsEqualRTT(t *testing.T) {
	r := &realComparison(t).Runs[0]
	cells, err := rttData(r)
	require.NoError(t, err)
	require.Len(t, cells, len(r.Regions)*len(r.Regions))
	for _, c := range cells {
		assert.Equal(t, r.RTTMs[c.Row][c.Col], c.Ms)
		assert.Equal(t, r.Regions[c.Row], c.From)
		assert.Equal(t, r.Regions[c.Col], c.To)
	}
	bad := handBuilt()
	bad.RTTMs[1] = bad.RTTMs[1][:2]
	_, err = RTTHeatmap(bad)
	assert.ErrorContains(t, err, "rtt_ms[1] has 2 columns for 3 regions")
	bad.RTTMs = bad.RTTMs[:2]
	_, err = RTTHeatmap(bad)
	assert.ErrorContains(t, err, "2 rows for 3 regions")
	bad.RTTMs = nil
	_, err = RTTHeatmap(bad)
	assert.ErrorIs(t, err, ErrNoData)
}

func TestLeaseSegmentsMatchLog(t *testing.T) {
	r := handBuilt()
	end := 120.0 // warmup + simulated
	assert.Equal(t, []leaseTrack{
		{Range: 1, Segments: []leaseSegment{
			{0, 46, "us-east1", "us-east1-a", "initial"},
			{46, 80, "us-west1", "us-west1-b", "failover"},
			{80, end, "us-east1", "us-east1-b", "preference"},
		}},
		{Range: 2, Segments: []leaseSegment{
			{0, 60, "us-west1", "us-west1-a", "initial"},
			{60, end, "europe-west1", "europe-west1-a", "follow-the-workload"},
		}},
		{Range: 3, Segments: []leaseSegment{{0, end, "europe-west1", "europe-west1-c", "initial"}}},
	}, leaseData(r, "users"))
	assert.Equal(t, []leaseTrack{{Range: 1, Segments: []leaseSegment{{0, end, "us-east1", "us-east1-c", "initial"}}}},
		leaseData(r, "accounts"))
	ch, err := LeaseTimeline(r, "users")
	require.NoError(t, err)
	assert.Contains(t, ch.Title, "3 ranges, 3 lease changes")
	assert.Equal(t, []string{"us-east1", "us-west1", "europe-west1", "fault window"}, legendTexts(ch))
	// A lease that never moves gives no chart.
	_, err = LeaseTimeline(r, "accounts")
	assert.ErrorIs(t, err, ErrNoData)

	// Up-replication: a marker per replaced replica on its range's track.
	r.Replacements = []scenarios.Replacement{
		{TS: 70, Table: "users", Range: 2, From: "n4", To: "n5", Voter: true},
		{TS: 70, Table: "accounts", Range: 1, From: "n4", To: "n6"},
		{TS: 90, Table: "users", Range: 2, From: "n7", To: "n8"},
	}
	ch, err = LeaseTimeline(r, "users")
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east1", "us-west1", "europe-west1", "replica replaced (up-replication)", "fault window"}, legendTexts(ch))
	ch, err = LeaseTimeline(r, "accounts")
	require.NoError(t, err, "a replaced replica is worth a chart")
	assert.Contains(t, ch.Title, "1 range, 0 lease changes")
	assert.Equal(t, map[int][]float64{2: {70, 90}}, replacedTimes(r, "users"))
}

func legendTexts(ch *Chart) []string {
	var out []string
	for _, e := range ch.Legend {
		out = append(out, e.Text)
	}
	return out
}

func TestEmptyLeaseLogGivesNoChart(t *testing.T) {
	r := handBuilt()
	r.Leases = nil
	_, err := LeaseTimeline(r, "users")
	assert.ErrorIs(t, err, ErrNoData)
	paths, err := WriteResult(t.TempDir(), r, ChartsAll)
	require.NoError(t, err)
	for _, p := range paths {
		assert.NotContains(t, filepath.Base(p), "leases")
	}
}

// checkFiles asserts that every path is a valid PNG WidthPx wide or a valid
// SVG, of sensible size.
func checkFiles(t *testing.T, paths []string) {
	t.Helper()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Greater(t, len(b), 500, p)
		assert.Less(t, len(b), 2<<20, p)
		switch filepath.Ext(p) {
		case ".md":
			assert.Equal(t, IndexName, filepath.Base(p))
			checkIndex(t, p, paths)
		case ".png":
			cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
			require.NoError(t, err, p)
			assert.Equal(t, "png", format, p)
			assert.Equal(t, WidthPx, cfg.Width, p)
			assert.GreaterOrEqual(t, cfg.Height, 300, p)
			assert.LessOrEqual(t, cfg.Height, 3200, p)
		case ".svg":
			assert.True(t, bytes.HasPrefix(b, []byte("<?xml")) || bytes.HasPrefix(b, []byte("<svg")), p)
			assert.NoError(t, parseXML(b), p)
			assert.Contains(t, string(b), "<svg", p)
		default:
			t.Errorf("unexpected file %s", p)
		}
	}
}

// checkIndex asserts that the index shows every chart among paths, PNG
// and SVG, with a caption.
func checkIndex(t *testing.T, index string, paths []string) {
	t.Helper()
	b, err := os.ReadFile(index)
	require.NoError(t, err)
	text := string(b)
	for _, p := range paths {
		name := filepath.Base(p)
		switch filepath.Ext(p) {
		case ".png":
			assert.Contains(t, text, "]("+name+")", "index shows %s", name)
		case ".svg":
			assert.Contains(t, text, "[SVG]("+name+")", "index links %s", name)
		}
	}
	assert.Equal(t, strings.Count(text, "\n## "), strings.Count(text, "![")+0, "one image per chart")
}

func parseXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// names returns the base names of paths.
func names(paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, filepath.Base(p))
	}
	return out
}

// both returns name.png and name.svg for every name.
func both(ns ...string) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n+".png", n+".svg")
	}
	return out
}

func TestWriteComparison(t *testing.T) {
	c := realComparison(t)
	dir := filepath.Join(t.TempDir(), "charts") // created by the writer
	paths, err := WriteComparison(dir, c, ChartsAll)
	require.NoError(t, err)
	var want []string
	ops := map[string][]string{
		"users":       {"read", "write", "stale_read", "insert"},
		"accounts":    {"read", "write", "txn"},
		"promo_codes": {"read", "write", "bounded_read"},
	}
	tables := []string{"users", "accounts", "promo_codes"}
	for _, tb := range tables {
		for _, op := range ops[tb] {
			want = append(want, both("cdf-"+tb+"-"+op)...)
		}
	}
	runs := []string{"zone", "region"}
	var cdfs, dots, tls []string
	for _, run := range runs {
		for _, tb := range tables {
			for _, op := range ops[tb] {
				cdfs = append(cdfs, both("cdf-regions-"+tb+"-"+op+"-"+run)...)
				tls = append(tls, both("timeline-"+tb+"-"+op+"-"+run)...)
			}
		}
	}
	for _, tb := range tables {
		dots = append(dots, both("dots-"+tb)...)
	}
	want = append(want, cdfs...)
	want = append(want, dots...)
	for _, tb := range tables { // overlaid timelines
		for _, op := range ops[tb] {
			want = append(want, both("timeline-"+tb+"-"+op)...)
		}
	}
	want = append(want, tls...)
	for i, run := range runs {
		// Lease charts only where leases move.
		for _, tb := range tables {
			if _, err := LeaseTimeline(&c.Runs[i], tb); err == nil {
				want = append(want, both("leases-"+tb+"-"+run)...)
			}
		}
	}
	want = append(want, both("latency-heatmap-zone", "latency-heatmap-region", "node-load-zone", "node-load-region", "rtt-heatmap")...)
	want = append(want, IndexName)
	assert.Equal(t, want, names(paths))
	for _, p := range paths {
		assert.Equal(t, dir, filepath.Dir(p))
	}
	checkFiles(t, paths)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, len(paths), "files in dir")
}

func TestWriteResultHandBuilt(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteResult(dir, handBuilt(), ChartsAll)
	require.NoError(t, err)
	assert.Equal(t, append(both("cdf-users-read", "cdf-users-write", "dots-users", "timeline-users-write",
		"leases-users", "latency-heatmap", "rtt-heatmap"), IndexName), names(paths))
	checkFiles(t, paths)

	// The summary: per table the CDF of its slowest op (users write: p99
	// 3000 ms), its timeline as the run has faults, and the rest.
	paths, err = WriteResult(t.TempDir(), handBuilt(), ChartsSummary)
	require.NoError(t, err)
	assert.Equal(t, append(both("cdf-users-write", "dots-users", "timeline-users-write",
		"leases-users", "latency-heatmap", "rtt-heatmap"), IndexName), names(paths))
	paths, err = WriteResult(t.TempDir(), handBuilt(), ChartsNone)
	require.NoError(t, err)
	assert.Empty(t, paths)
}

func TestChartSetFlag(t *testing.T) {
	var c ChartSet
	assert.Equal(t, ChartsSummary, c, "the zero value is the summary")
	require.NoError(t, c.Set("all"))
	assert.Equal(t, ChartsAll, c)
	assert.Equal(t, "all", c.String())
	require.NoError(t, c.Set("none"))
	assert.Equal(t, ChartsNone, c)
	assert.Error(t, c.Set("some"))
}

func TestWriteDistinctNames(t *testing.T) {
	r := handBuilt()
	r.Stats = append(r.Stats, r.Stats[0])
	r.Stats[len(r.Stats)-1].Table = "Users" // same file name as "users"
	r.Timeline, r.Leases, r.RTTMs = nil, nil, nil
	paths, err := WriteResult(t.TempDir(), r, ChartsAll)
	require.NoError(t, err)
	assert.Equal(t, append(both("cdf-users-read", "cdf-users-write", "cdf-users-read-2", "dots-users", "dots-users-2", "latency-heatmap"), IndexName), names(paths))
}

func TestWriteIsDeterministic(t *testing.T) {
	c := realComparison(t)
	hb := handBuilt()
	write := func() map[string][]byte {
		dir := t.TempDir()
		p1, err := WriteResult(filepath.Join(dir, "a"), hb, ChartsAll)
		require.NoError(t, err)
		runs := runPtrs(c)
		ch, err := LatencyCDF(runs, "users", "write")
		require.NoError(t, err)
		p2, err := ch.Save(dir)
		require.NoError(t, err)
		ch, err = PercentileDots(runs, "accounts")
		require.NoError(t, err)
		p3, err := ch.Save(dir)
		require.NoError(t, err)
		out := map[string][]byte{}
		for _, p := range slices.Concat(p1, p2, p3) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			rel, err := filepath.Rel(dir, p)
			require.NoError(t, err)
			out[rel] = b
		}
		return out
	}
	a, b := write(), write()
	require.Equal(t, len(a), len(b))
	svgs := 0
	for name, data := range a {
		if strings.HasSuffix(name, ".svg") {
			svgs++
		}
		assert.True(t, bytes.Equal(data, b[name]), "%s differs between two writes", name)
	}
	assert.Equal(t, 9, svgs)
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := WriteResult(dir, nil, ChartsAll)
	assert.Error(t, err)
	_, err = WriteComparison(dir, nil, ChartsAll)
	assert.Error(t, err)
	_, err = WriteResult("", handBuilt(), ChartsAll)
	assert.Error(t, err)

	// A directory under a regular file can be neither created nor written,
	// even by root.
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	paths, err := WriteResult(filepath.Join(file, "charts"), handBuilt(), ChartsAll)
	assert.Error(t, err)
	assert.Empty(t, paths)
	_, err = WriteComparison(filepath.Join(file, "charts"), realComparison(t), ChartsAll)
	assert.Error(t, err)

	ch, err := RTTHeatmap(handBuilt())
	require.NoError(t, err)
	_, err = ch.Save(filepath.Join(dir, "missing"))
	assert.Error(t, err)
	_, err = ch.Render("gif")
	assert.ErrorContains(t, err, `unsupported format "gif"`)

	for _, f := range []func() (*Chart, error){
		func() (*Chart, error) { return LatencyOverTime(nil, "users", "read") },
		func() (*Chart, error) { return LeaseTimeline(nil, "users") },
		func() (*Chart, error) { return RTTHeatmap(nil) },
		func() (*Chart, error) { return PercentileDots(nil, "users") },
	} {
		_, err := f()
		assert.Error(t, err)
		assert.NotErrorIs(t, err, ErrNoData)
	}

	// Nothing to draw is not an error.
	paths, err = WriteComparison(filepath.Join(dir, "empty"), &scenarios.Comparison{}, ChartsAll)
	assert.NoError(t, err)
	assert.Empty(t, paths)
	paths, err = WriteResult(filepath.Join(dir, "empty2"), &scenarios.Result{Scenario: "empty"}, ChartsAll)
	assert.NoError(t, err)
	assert.Empty(t, paths)
}

func TestTitlesNameScenarioSurvivalSeedUnits(t *testing.T) {
	runs := runPtrs(realComparison(t))
	cdf, err := LatencyCDF(runs, "users", "read")
	require.NoError(t, err)
	bars, err := PercentileDots(runs, "users")
	require.NoError(t, err)
	tl, err := LatencyOverTime(runs[0], "users", "read")
	require.NoError(t, err)
	hm, err := RTTHeatmap(runs[0])
	require.NoError(t, err)
	for _, ch := range []*Chart{cdf, bars, tl, hm} {
		title := ch.Title
		assert.Contains(t, title, "scenario default", ch.Name)
		assert.Contains(t, title, "seed 1", ch.Name)
		assert.Contains(t, title, "(ms", ch.Name)
		assert.Contains(t, title, "survival ZONE", ch.Name)
	}
	assert.Contains(t, cdf.Title, "survival ZONE vs REGION")
	lt := legendTexts(cdf)
	require.Len(t, lt, 2)
	assert.True(t, strings.HasPrefix(lt[0], "ZONE survival · "+u(runs[0], "users", "read")+" requests · p50 "), lt[0])
	assert.True(t, strings.HasPrefix(lt[1], "REGION survival · "+u(runs[1], "users", "read")+" requests · p50 "), lt[1])
}

// u returns the request count of table and op in r as text.
func u(r *scenarios.Result, table, op string) string {
	var n uint64
	for _, s := range r.Stats {
		if s.Table == table && s.Op == op {
			n += s.Count
		}
	}
	return strconv.FormatUint(n, 10)
}

func TestRunLabelsAndSlugs(t *testing.T) {
	a, b := handBuilt(), handBuilt()
	a.Survival, b.Survival = "zone", "region"
	assert.Equal(t, []string{"ZONE survival", "REGION survival"}, runLabels([]*scenarios.Result{a, b}))
	assert.Equal(t, []string{"zone", "region"}, runSlugs([]*scenarios.Result{a, b}))
	b.Survival, b.Seed = "zone", 8
	assert.Equal(t, []string{"ZONE survival, seed 7", "ZONE survival, seed 8"}, runLabels([]*scenarios.Result{a, b}))
	assert.Equal(t, []string{"zone-seed-7", "zone-seed-8"}, runSlugs([]*scenarios.Result{a, b}))
	b.Seed = 7
	assert.Equal(t, []string{"ZONE survival (run 1)", "ZONE survival (run 2)"}, runLabels([]*scenarios.Result{a, b}))
	assert.Equal(t, "no survival goal", survivalLabel("none"))
	assert.Equal(t, "my-table_1", slug("My Table_1"))
	assert.Equal(t, "x", slug("///"))
	assert.Equal(t, "a-b", slug("a/../b"))
}

func TestLogAxis(t *testing.T) {
	for _, tc := range []struct{ v, floor, ceil float64 }{
		{0.73, 0.5, 1}, {1, 1, 1}, {1.6, 1, 2}, {3, 2, 5}, {68.7, 50, 100}, {834, 500, 1000}, {5000, 5000, 5000},
	} {
		assert.InDelta(t, tc.floor, niceLogFloor(tc.v), 1e-12, "floor %v", tc.v)
		assert.InDelta(t, tc.ceil, niceLogCeil(tc.v), 1e-12, "ceil %v", tc.v)
	}
	var labels []string
	for _, tk := range (logTicks{}).Ticks(0.5, 200) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	assert.Equal(t, []string{"0.5", "1", "2", "5", "10", "20", "50", "100", "200"}, labels)
	labels = nil
	for _, tk := range (logTicks{}).Ticks(0.1, 100000) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	assert.Equal(t, []string{"0.1", "1", "10", "100", "1000", "10000", "100000"}, labels)
	assert.Equal(t, "0.003", tickLabel(3, -3))
	assert.Equal(t, "1.67", fmtMs(1.666))
	assert.Equal(t, "68.7", fmtMs(68.692))
	assert.Equal(t, "834", fmtMs(834.2))
	assert.False(t, math.IsNaN(niceLogCeil(1e-3)))
}

func TestPercentileAxis(t *testing.T) {
	var sc percentileScale
	at := func(p float64) float64 { return sc.Normalize(0, pctTop, p) }
	assert.Equal(t, 0.0, at(0))
	assert.InDelta(t, 1, at(pctTop), 1e-12)
	assert.InDelta(t, 1, at(1), 1e-12, "the maximum is drawn at the top")
	// p50, p90, p99, p99.9, p99.99 are equally spaced: one decade of 1 − p each.
	step := at(0.99) - at(0.9)
	assert.Greater(t, step, 0.2)
	for _, pair := range [][2]float64{{0.9, 0.99}, {0.99, 0.999}, {0.999, 0.9999}} {
		assert.InDelta(t, step, at(pair[1])-at(pair[0]), 1e-9, "%v", pair)
	}
	// p99.9 has its own labelled tick, apart from its neighbours by a
	// decade of 1 − p (about 60 points on a 270-point data area).
	ticks := (percentileAxisTicks{}).Ticks(0, pctTop)
	labels := map[string]float64{}
	for _, tk := range ticks {
		if tk.Label != "" {
			labels[tk.Label] = tk.Value
		}
	}
	assert.Equal(t, map[string]float64{"0": 0, "50": 0.5, "90": 0.9, "99": 0.99, "99.9": 0.999, "99.99": 0.9999, "max": pctTop}, labels)
	assert.Greater(t, at(0.999)-at(0.99), 0.2)
	assert.Greater(t, at(0.9999)-at(0.999), 0.2)

	ch, err := LatencyCDF(runPtrs(realComparison(t)), "users", "read")
	require.NoError(t, err)
	assert.IsType(t, percentileScale{}, ch.Panels[0].Y.Scale)
}

func TestFitAxis(t *testing.T) {
	p := newPlot()
	assert.False(t, fitAxis(&p.X, 800, 836))
	assert.GreaterOrEqual(t, p.X.Min, 790.0)
	assert.LessOrEqual(t, p.X.Min, 800.0)
	assert.GreaterOrEqual(t, p.X.Max, 836.0)
	assert.LessOrEqual(t, p.X.Max, 850.0)
	assert.True(t, fitAxis(&p.X, 1.5, 140))
	assert.Equal(t, 1.0, p.X.Min)
	assert.Equal(t, 200.0, p.X.Max)
}

func TestCDFMarksNeedRequests(t *testing.T) {
	assert.Equal(t, []uint64{2, 10, 100, 1000}, []uint64{minRequests(0.5), minRequests(0.9), minRequests(0.99), minRequests(0.999)})
	s := cdfSeries{Count: 280, Marks: xys(66, 0.5, 70, 0.9, 71, 0.99, 73, 0.999)}
	assert.Equal(t, xys(66, 0.5, 70, 0.9, 71, 0.99), drawnMarks(s))
	s.Count = 99
	assert.Equal(t, xys(66, 0.5, 70, 0.9), drawnMarks(s))
}

func TestCDFByRegion(t *testing.T) {
	r := &realComparison(t).Runs[0]
	series := cdfRegionData(r, "users", "read")
	var want []string
	for _, s := range r.Stats {
		if s.Table == "users" && s.Op == "read" && s.Count > 0 {
			want = append(want, "clients in "+s.ClientRegion)
			i := slices.IndexFunc(series, func(c cdfSeries) bool { return c.Label == "clients in "+s.ClientRegion })
			require.GreaterOrEqual(t, i, 0)
			assert.Equal(t, s.Count, series[i].Count)
			require.Len(t, series[i].Marks, len(markQuantiles))
			assert.Equal(t, nsToMs(s.Latency.Quantile(0.99)), series[i].Marks[2].X)
		}
	}
	assert.Len(t, series, len(want))
	ch, err := LatencyCDFByRegion(r, "users", "read")
	require.NoError(t, err)
	assert.Equal(t, "cdf-regions-users-read", ch.Name)
	_, err = LatencyCDFByRegion(r, "users", "nope")
	assert.ErrorIs(t, err, ErrNoData)
}

func TestTimelineMergesSparseBins(t *testing.T) {
	r := &scenarios.Result{Scenario: "m", TimelineSeconds: 1}
	for i, n := range []uint64{150, 60, 30, 20, 150, 40} {
		r.Timeline = append(r.Timeline, scenarios.TimelinePoint{TS: float64(i), Table: "t", Op: "read",
			ClientRegion: "a", Count: n, P50Ms: 1, P99Ms: float64(10 * (i + 1))})
	}
	s := timelineData(r, "t", "read")
	require.Len(t, s, 1)
	assert.Equal(t, []plotter.XYs{xys(0, 10), xys(4, 50)}, s[0].P99)
	// 60+30+20 = 110 requests: one merged bin, p99 within 20–40 ms.
	assert.Equal(t, []mergedBin{{FromS: 1, ToS: 3, Lo: 20, Hi: 40, N: 110}}, s[0].Merged99)
	// 40 requests at the end, nothing to merge with: sparse, not a p99.
	assert.Equal(t, xys(5, 60), s[0].Sparse99)
	ch, err := LatencyOverTime(r, "t", "read")
	require.NoError(t, err)
	assert.Contains(t, strings.Join(legendTexts(ch), "|"), "sparse bins merged")
	assert.Contains(t, strings.Join(legendTexts(ch), "|"), "sparse bin: too few")
}

func TestLatencyHeatmapEqualsStats(t *testing.T) {
	r := &realComparison(t).Runs[1]
	g := latData(r)
	n := 0
	for _, s := range r.Stats {
		if s.Count == 0 {
			continue
		}
		i, j := slices.Index(g.Rows, s.ClientRegion), slices.Index(g.Cols, s.Table+" · "+s.Op)
		require.GreaterOrEqual(t, i, 0)
		require.GreaterOrEqual(t, j, 0)
		assert.Equal(t, s.P50Ms, g.P50[i][j])
		assert.Equal(t, s.P99Ms, g.P99[i][j])
		n++
	}
	assert.Equal(t, len(g.Rows)*len(g.Cols), n, "every cell from one stat")
	assert.Equal(t, r.Regions, g.Rows)
	ch, err := LatencyHeatmap(r)
	require.NoError(t, err)
	assert.Len(t, ch.Panels, 2)

	// The hand-built run has no writes from us-west1: an empty cell.
	g = latData(handBuilt())
	assert.True(t, math.IsNaN(g.P99[1][1]))

	// Colour scales: log ticks at powers of ten and the far ends; linear
	// from 0.
	assert.Equal(t, []float64{1.5, 10, 100, 1000}, colourScale{Min: 1.5, Max: 3000, Log: true}.ticks()[:4])
	assert.InDelta(t, 1, colourScale{Min: 1.5, Max: 3000, Log: true}.frac(3000), 1e-12)
	assert.Equal(t, 0.0, colourScale{Max: 146}.frac(0))
	assert.Equal(t, 1.0, colourScale{Max: 146}.frac(146))
}

func TestClockAxis(t *testing.T) {
	assert.Equal(t, "0:00:00", fmtClock(0))
	assert.Equal(t, "1:01:05", fmtClock(3665))
	var labels []string
	for _, tk := range (clockTicks{}).Ticks(0, 3600) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	assert.Equal(t, []string{"0:00:00", "0:10:00", "0:20:00", "0:30:00", "0:40:00", "0:50:00", "1:00:00"}, labels)
	p := newPlot()
	p.X.Min, p.X.Max = 0, 120
	assert.Equal(t, "s", setTimeAxis(&p.X), "a short run keeps seconds")
	p.X.Max = 7200
	assert.Equal(t, "h:mm:ss", setTimeAxis(&p.X))
}

// TestTimelineDrawsCompletionBins: the timeline charts draw
// TimelineCompleted and say so on the time axis; a Result without it (an
// older result.json) falls back to Timeline, labelled by request start.
func TestTimelineDrawsCompletionBins(t *testing.T) {
	r := &scenarios.Result{Scenario: "c", TimelineSeconds: 1}
	for i := range 3 {
		// By start, the slow requests sit in the interval before the
		// fault (issued at 19 s); by completion, in the one they ended in.
		r.Timeline = append(r.Timeline, scenarios.TimelinePoint{TS: float64(19 + i), Table: "t", Op: "write",
			ClientRegion: "a", Count: 200, P50Ms: 5, P99Ms: []float64{3000, 6, 6}[i]})
		r.TimelineCompleted = append(r.TimelineCompleted, scenarios.TimelinePoint{TS: float64(19 + i), Table: "t", Op: "write",
			ClientRegion: "a", Count: 200, P50Ms: 5, P99Ms: []float64{6, 6, 3000}[i]})
	}
	s := timelineData(r, "t", "write")
	require.Len(t, s, 1)
	assert.Equal(t, []plotter.XYs{xys(19, 6, 20, 6, 21, 3000)}, s[0].P99)
	ch, err := LatencyOverTime(r, "t", "write")
	require.NoError(t, err)
	assert.Contains(t, ch.Panels[1].X.Label.Text, "binned by request completion")

	r.TimelineCompleted = nil
	s = timelineData(r, "t", "write")
	assert.Equal(t, []plotter.XYs{xys(19, 3000, 20, 6, 21, 6)}, s[0].P99)
	ch, err = LatencyOverTime(r, "t", "write")
	require.NoError(t, err)
	assert.Contains(t, ch.Panels[1].X.Label.Text, "binned by request start")
}
