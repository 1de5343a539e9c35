package plots

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/sim/stats"
)

// markQuantiles are the quantiles marked on every CDF line.
var markQuantiles = []float64{0.5, 0.9, 0.99, 0.999}

// cdfSeries is one line of a latency CDF chart: one run's latency for one
// table and op, merged over client regions.
type cdfSeries struct {
	Run   int         // index of the run in the chart's input
	Label string      // legend text
	Count uint64      // requests behind the line
	Steps plotter.XYs // (latency ms, cumulative fraction), drawn as a post-step line
	Marks plotter.XYs // (q-quantile ms, q) for q in markQuantiles, on the line
	// FromPercentiles is set when no histogram was available and Steps were
	// built from the Stats' reported percentiles (see LatencyCDF).
	FromPercentiles bool
}

// nsToMs converts nanoseconds to milliseconds without rounding, so a point
// maps back to its histogram value exactly.
func nsToMs(d time.Duration) float64 { return float64(d) / 1e6 }

// tableOpStats returns r's stats for table and op with at least one
// request, in r's order.
func tableOpStats(r *scenarios.Result, table, op string) []*scenarios.Stat {
	var out []*scenarios.Stat
	for i := range r.Stats {
		if s := &r.Stats[i]; s.Table == table && s.Op == op && s.Count > 0 {
			out = append(out, s)
		}
	}
	return out
}

// mergedLatency returns a new histogram holding every client region's
// latency for the stats, or nil if any stat lacks its histogram or the
// histograms differ in accuracy (they cannot be merged).
func mergedLatency(sel []*scenarios.Stat) *stats.Histogram {
	var h *stats.Histogram
	for _, s := range sel {
		switch {
		case s.Latency == nil:
			return nil
		case h == nil:
			h = s.Latency.Clone()
		case h.RelativeAccuracy() != s.Latency.RelativeAccuracy():
			return nil
		default:
			h.Merge(s.Latency)
		}
	}
	if h == nil || h.Count() == 0 {
		return nil
	}
	return h
}

// histCDF returns the step points and quantile marks of h's CDF in ms: one
// point per non-empty bucket from h.CDF(), preceded by (Min, 0) where the
// curve starts, so h.Quantile(y) is x (in ns) for every point. Points at
// latency 0 cannot be drawn on a log axis and are left out.
func histCDF(h *stats.Histogram) (steps, marks plotter.XYs) {
	for _, p := range h.CDF() {
		if p.Value <= 0 {
			continue
		}
		if len(steps) == 0 && h.Min() > 0 {
			steps = append(steps, plotter.XY{X: nsToMs(h.Min()), Y: 0})
		}
		steps = append(steps, plotter.XY{X: nsToMs(p.Value), Y: p.Fraction})
	}
	for _, q := range markQuantiles {
		if v := h.Quantile(q); v > 0 {
			marks = append(marks, plotter.XY{X: nsToMs(v), Y: q})
		}
	}
	return steps, marks
}

// percentileCDF approximates the merged CDF of the stats from their
// reported percentiles: each stat's requests are placed at its p50 (50%),
// p90 (40%), p99 (9%), p99.9 (0.9%) and max (0.1%), i.e. every request is
// rounded up to the next reported percentile, and the stats are mixed by
// request count. For a single stat the points are exactly (p50, 0.5),
// (p90, 0.9), (p99, 0.99), (p99.9, 0.999) and (max, 1), after a start point
// (p50, 0).
func percentileCDF(sel []*scenarios.Stat) (steps, marks plotter.XYs) {
	fractions := []float64{0.5, 0.9, 0.99, 0.999, 1}
	pct := func(s *scenarios.Stat) []float64 { return []float64{s.P50Ms, s.P90Ms, s.P99Ms, s.P999Ms, s.MaxMs} }
	var total float64
	var xs []float64
	for _, s := range sel {
		total += float64(s.Count)
		for _, v := range pct(s) {
			if v > 0 {
				xs = append(xs, v)
			}
		}
	}
	if total == 0 || len(xs) == 0 {
		return nil, nil
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	// y(x) = sum over stats of share * F(x), F(x) being the largest reported
	// fraction whose percentile is <= x (each request rounded up to the
	// next reported percentile).
	steps = plotter.XYs{{X: xs[0], Y: 0}}
	for _, x := range xs {
		var y float64
		for _, s := range sel {
			f := 0.0
			for i, v := range pct(s) {
				if v > 0 && v <= x {
					f = max(f, fractions[i])
				}
			}
			y += float64(s.Count) / total * f
		}
		steps = append(steps, plotter.XY{X: x, Y: y})
	}
	steps[len(steps)-1].Y = 1
	for _, q := range markQuantiles {
		for _, p := range steps[1:] {
			if p.Y >= q-1e-12 {
				marks = append(marks, plotter.XY{X: p.X, Y: q})
				break
			}
		}
	}
	return steps, marks
}

// statsSeries returns the CDF line of the stats, merged, or false if
// they have no requests to draw.
func statsSeries(label string, sel []*scenarios.Stat) (cdfSeries, bool) {
	s := cdfSeries{Label: label}
	for _, st := range sel {
		s.Count += st.Count
	}
	if h := mergedLatency(sel); h != nil {
		s.Steps, s.Marks = histCDF(h)
	} else {
		s.Steps, s.Marks = percentileCDF(sel)
		s.FromPercentiles = true
	}
	return s, len(s.Steps) > 0
}

// cdfData returns one line per run that has requests for table and op, in
// run order.
func cdfData(runs []*scenarios.Result, table, op string) []cdfSeries {
	labels := runLabels(runs)
	var out []cdfSeries
	for i, r := range runs {
		sel := tableOpStats(r, table, op)
		if len(sel) == 0 {
			continue
		}
		if s, ok := statsSeries(labels[i], sel); ok {
			s.Run = i
			out = append(out, s)
		}
	}
	return out
}

// cdfRegionData returns one line per client region of r with requests for
// table and op, in regionOrder; Run is the line's index.
func cdfRegionData(r *scenarios.Result, table, op string) []cdfSeries {
	sel := tableOpStats(r, table, op)
	var names []string
	for _, s := range sel {
		if !slices.Contains(names, s.ClientRegion) {
			names = append(names, s.ClientRegion)
		}
	}
	var out []cdfSeries
	for _, name := range regionOrder(r, names) {
		var mine []*scenarios.Stat
		for _, s := range sel {
			if s.ClientRegion == name {
				mine = append(mine, s)
			}
		}
		if s, ok := statsSeries("clients in "+name, mine); ok {
			s.Run = len(out)
			out = append(out, s)
		}
	}
	return out
}

// checkRuns returns an error if there are no runs or any is nil.
func checkRuns(runs []*scenarios.Result) error {
	if len(runs) == 0 {
		return errors.New("plots: no results")
	}
	for i, r := range runs {
		if r == nil {
			return fmt.Errorf("plots: result %d is nil", i)
		}
	}
	return nil
}

// LatencyCDF charts the latency distribution of one table and op: latency
// (x, ms) against the percentile of requests completed within it (y), one
// line per run — typically one per survival goal, from a Comparison — with
// every client region's requests merged. The y axis is a percentile axis
// (percentileScale): −log10(1 − p), ticks at 50, 90, 99, 99.9 and 99.99 and
// the maximum at the top, so the tail that decides a design is not squeezed
// into the top pixels. The x axis is fitted to the data (fitAxis): linear
// when the lines span less than a decade, else logarithmic. Lines differ by
// colour, dash pattern and marker shape; markers sit at p50, p90, p99 and
// p99.9 and are labelled with their values, and the legend repeats them.
//
// Each line is drawn from the runs' Stat.Latency histograms (cloned and
// merged; the inputs are not modified), so every step is one of the merged
// histogram's quantiles. When a run's stats lack histograms, as in a Result
// decoded from JSON, the line falls back to the stats' reported p50, p90,
// p99, p99.9 and max (requests rounded up to the next reported percentile,
// client regions mixed by request count), and its legend says "from
// percentiles".
//
// It returns an error wrapping ErrNoData if no run has requests for table
// and op, and an error if runs is empty or holds a nil Result.
func LatencyCDF(runs []*scenarios.Result, table, op string) (*Chart, error) {
	if err := checkRuns(runs); err != nil {
		return nil, err
	}
	series := cdfData(runs, table, op)
	if len(series) == 0 {
		return nil, fmt.Errorf("%w: no %s requests on table %q", ErrNoData, op, table)
	}
	title := fmt.Sprintf("Table %s · %s latency CDF (ms), all client regions\n%s", table, op, subtitle(runs))
	ch := cdfChart("cdf-"+slug(table)+"-"+slug(op), title, series)
	ch.Caption = "Latency (x) within which a share of requests (y, percentile) completed, one line per run, client regions merged. " + cdfCaption
	return ch, nil
}

// cdfCaption is the part of a CDF's caption that explains the axes.
const cdfCaption = "The y axis stretches the tail (log of 1 − p): p50, p90, p99, p99.9 and p99.99 are equally spaced and the top is the maximum. Markers are labelled in ms; a percentile is marked only with enough requests behind it (p99 needs 100, p99.9 1000)."

// LatencyCDFByRegion is LatencyCDF for one run with one line per client
// region (in topology order) instead of one per run.
func LatencyCDFByRegion(r *scenarios.Result, table, op string) (*Chart, error) {
	if r == nil {
		return nil, errors.New("plots: nil Result")
	}
	series := cdfRegionData(r, table, op)
	if len(series) == 0 {
		return nil, fmt.Errorf("%w: no %s requests on table %q", ErrNoData, op, table)
	}
	title := fmt.Sprintf("Table %s · %s latency CDF (ms) by client region · %s\n%s",
		table, op, survivalLabel(r.Survival), subtitle([]*scenarios.Result{r}))
	ch := cdfChart("cdf-regions-"+slug(table)+"-"+slug(op), title, series)
	ch.Caption = "Latency (x) within which a share of requests (y, percentile) completed, one line per client region. " + cdfCaption
	return ch, nil
}

// minRequests returns how many requests a q-quantile needs to be more than
// the maximum: 1/(1 − q), rounded up (2 for p50, 100 for p99, 1000 for
// p99.9).
func minRequests(q float64) uint64 {
	return uint64(math.Ceil(1/(1-q) - 1e-9))
}

// drawnMarks returns the marks of s that it has enough requests for
// (minRequests).
func drawnMarks(s cdfSeries) plotter.XYs {
	var out plotter.XYs
	for _, m := range s.Marks {
		if s.Count >= minRequests(m.Y) {
			out = append(out, m)
		}
	}
	return out
}

// cdfChart draws CDF lines on a percentile y axis.
func cdfChart(name, title string, series []cdfSeries) *Chart {
	p := newPlot()
	setPercentileAxis(&p.Y)
	p.Y.Label.Text = "percentile (scale: log of 1 − p)"
	var all []plotter.XYs
	for _, s := range series {
		all = append(all, s.Steps)
	}
	lo, hi, _ := minMaxX(all...)
	unit := "latency (ms)"
	if fitAxis(&p.X, lo, hi) {
		unit = "latency (ms, log scale)"
	}
	p.X.Label.Text = unit + " · markers at p50, p90, p99, p99.9"
	p.Add(gridLines())

	var legend []LegendEntry
	var labels pointLabels
	for _, s := range series {
		st := styleFor(s.Run)
		line := &plotter.Line{XYs: s.Steps, StepStyle: plotter.PostStep, LineStyle: st.line(1.6)}
		marks := &plotter.Scatter{XYs: drawnMarks(s), GlyphStyle: st.glyph(3.5)}
		p.Add(line, marks)
		text := s.Label + " · " + strconv.FormatUint(s.Count, 10) + " requests"
		for _, m := range s.Marks {
			if s.Count < minRequests(m.Y) {
				text += " · p" + pctLabel(m.Y) + " needs " + strconv.FormatUint(minRequests(m.Y), 10)
				continue
			}
			text += " · p" + pctLabel(m.Y) + " " + fmtMs(m.X)
			labels.labels = append(labels.labels, pointLabel{X: m.X, Y: m.Y, Text: fmtMs(m.X), sty: st})
		}
		if s.FromPercentiles {
			text += " (from percentiles)"
		}
		legend = append(legend, LegendEntry{Text: text, Thumbs: []plot.Thumbnailer{line, marks}})
	}
	p.Add(labels)
	return &Chart{Name: name, Title: title, Panels: []*plot.Plot{p}, Legend: legend, Height: 480}
}
