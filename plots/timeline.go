package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/regionsim/regionsim/scenarios"
)

// regionSeries is one client region's latency over time for a table and
// op: (interval start s, latency ms) per Timeline entry. A percentile is
// drawn only for intervals with enough requests for it (minRequests: 2 for
// p50, 100 for p99); the others' values are kept apart as Sparse points,
// drawn as hollow markers off the line, and a line breaks where one was
// left out, so no line segment joins across a sparse interval.
type regionSeries struct {
	Region   string
	P50, P99 []plotter.XYs // line segments, in time order
	// Sparse50 and Sparse99 are the intervals with too few requests for the
	// percentile (but at least one) that could not be merged.
	Sparse50, Sparse99 plotter.XYs
	// Merged99 are runs of consecutive sparse p99 intervals merged until
	// they hold 100 requests (see mergedBin).
	Merged99 []mergedBin
}

// mergedBin is consecutive Timeline intervals of one client region, each
// with too few requests for a p99, that together hold enough (N >=
// minRequests(0.99)). The Result has only each interval's p99, not its
// latencies, so the merged p99 cannot be computed; but the p99 of a union
// of samples lies between the smallest and the largest of the parts' p99s
// (at any x below every part's p99 each part, hence the union, has less
// than 99% of its requests; at the largest, each has at least 99%). The
// bin is drawn as that range: a box from the first interval's start to the
// last one's end, Lo to Hi ms.
type mergedBin struct {
	FromS, ToS float64 // start of the first and of the last interval, s
	Lo, Hi     float64 // smallest and largest of the intervals' p99s, ms
	N          uint64  // requests in the intervals
}

// sparseRun collects consecutive sparse p99 intervals and merges them.
type sparseRun struct {
	pts       plotter.XYs
	countsPer []uint64 // requests in each of pts' intervals
}

// flush merges the run's intervals into mergedBins of enough requests,
// front to back; intervals left over at the end (too few together) stay
// sparse points.
func (s *sparseRun) flush(out *regionSeries) {
	need := minRequests(0.99)
	start := 0
	var n uint64
	for i := range s.pts {
		n += s.countsPer[i]
		if n >= need {
			b := mergedBin{FromS: s.pts[start].X, ToS: s.pts[i].X, Lo: math.Inf(1), Hi: math.Inf(-1), N: n}
			for _, p := range s.pts[start : i+1] {
				b.Lo, b.Hi = min(b.Lo, p.Y), max(b.Hi, p.Y)
			}
			out.Merged99 = append(out.Merged99, b)
			start, n = i+1, 0
		}
	}
	out.Sparse99 = append(out.Sparse99, s.pts[start:]...)
	*s = sparseRun{}
}

// flat returns the points of the segments in order.
func flat(segs []plotter.XYs) plotter.XYs {
	var out plotter.XYs
	for _, s := range segs {
		out = append(out, s...)
	}
	return out
}

// regionOrder returns the client regions of r in topology order
// (r.Regions), followed by any others in first-appearance order of names.
func regionOrder(r *scenarios.Result, names []string) []string {
	var out []string
	for _, n := range r.Regions {
		if slices.Contains(names, n) {
			out = append(out, n)
		}
	}
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// timelinePoints returns the timeline the charts draw: r.TimelineCompleted
// (requests by the interval they completed in) and true, or for a Result
// without it (an older result.json) r.Timeline (by request start) and
// false.
func timelinePoints(r *scenarios.Result) ([]scenarios.TimelinePoint, bool) {
	if len(r.TimelineCompleted) > 0 {
		return r.TimelineCompleted, true
	}
	return r.Timeline, false
}

// timelineData returns the timeline (timelinePoints) of table and op as
// one series per client region (in regionOrder), each point one timeline
// entry in log order. Entries without requests or with a non-positive percentile (which
// a log axis cannot show) are left out of that percentile's line; entries
// with fewer requests than the percentile needs go to its Sparse points.
func timelineData(r *scenarios.Result, table, op string) []regionSeries {
	pts, _ := timelinePoints(r)
	var names []string
	for _, t := range pts {
		if t.Table == table && t.Op == op && !slices.Contains(names, t.ClientRegion) {
			names = append(names, t.ClientRegion)
		}
	}
	var out []regionSeries
	for _, name := range regionOrder(r, names) {
		s := regionSeries{Region: name}
		var open50, open99 bool // whether the last segment is still open
		add := func(segs *[]plotter.XYs, sparse *plotter.XYs, open *bool, t scenarios.TimelinePoint, v, q float64) {
			switch {
			case v <= 0 || t.Count == 0:
				*open = false
			case t.Count < minRequests(q):
				*sparse = append(*sparse, plotter.XY{X: t.TS, Y: v})
				*open = false
			default:
				if !*open {
					*segs = append(*segs, nil)
					*open = true
				}
				(*segs)[len(*segs)-1] = append((*segs)[len(*segs)-1], plotter.XY{X: t.TS, Y: v})
			}
		}
		var run sparseRun
		for _, t := range pts {
			if t.Table != table || t.Op != op || t.ClientRegion != name {
				continue
			}
			add(&s.P50, &s.Sparse50, &open50, t, t.P50Ms, 0.5)
			var sparse plotter.XYs
			add(&s.P99, &sparse, &open99, t, t.P99Ms, 0.99)
			if len(sparse) > 0 {
				run.pts = append(run.pts, sparse[0])
				run.countsPer = append(run.countsPer, t.Count)
			} else if t.Count > 0 && t.P99Ms > 0 {
				run.flush(&s) // a full interval ends the run
			}
		}
		run.flush(&s)
		if len(s.P50)+len(s.P99)+len(s.Sparse50)+len(s.Sparse99)+len(s.Merged99) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// interval returns the Timeline interval in seconds: the smallest positive
// gap between consecutive points of one series, or 1 if there is none.
func interval(series []regionSeries) float64 {
	iv := math.Inf(1)
	for _, s := range series {
		for _, pts := range [][]plotter.XYs{s.P50, s.P99, {s.Sparse50}, {s.Sparse99}} {
			all := flat(pts)
			slices.SortFunc(all, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
			for i := 1; i < len(all); i++ {
				if d := all[i].X - all[i-1].X; d > 1e-9 {
					iv = min(iv, d)
				}
			}
		}
	}
	if math.IsInf(iv, 1) {
		return 1
	}
	return iv
}

// faultBands shades fault windows across the data area and, if labelled,
// writes each fault's name at the top of its band, stacking names that
// would overlap.
type faultBands struct {
	windows []scenarios.FaultWindow
	label   bool
}

var (
	faultFill = color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0x40}
	faultEdge = draw.LineStyle{Color: rgb(0x555555), Width: 0.6, Dashes: []vg.Length{3, 2}}
)

func (f faultBands) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	lbl := textStyle(8)
	lbl.YAlign = draw.YTop
	var rowEnds []vg.Length // right end of the last label in each row
	for _, w := range f.windows {
		if w.EndS < plt.X.Min || w.StartS > plt.X.Max {
			continue
		}
		x0 := max(trX(max(w.StartS, plt.X.Min)), c.Min.X)
		x1 := min(trX(min(w.EndS, plt.X.Max)), c.Max.X)
		r := vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: max(x1, x0+1), Y: c.Max.Y}}
		c.SetColor(faultFill)
		c.Fill(r.Path())
		c.StrokeLine2(faultEdge, x0, c.Min.Y, x0, c.Max.Y)
		c.StrokeLine2(faultEdge, r.Max.X, c.Min.Y, r.Max.X, c.Max.Y)
		if !f.label {
			continue
		}
		width := lbl.Width(w.Name)
		tx := min(x0+2, c.Max.X-width-2)
		row := labelRow(&rowEnds, tx, width)
		ty := c.Max.Y - 2 - vg.Length(row)*faultRowHeight
		backedText(c, lbl, vg.Point{X: tx, Y: ty}, w.Name)
	}
}

// faultRowHeight is the height of one row of fault labels in points.
const faultRowHeight vg.Length = 10

// labelRow returns the first row whose last label ends left of x (with a
// gap) and records a label of width w at x in it.
func labelRow(rowEnds *[]vg.Length, x, w vg.Length) int {
	row := 0
	for row < len(*rowEnds) && (*rowEnds)[row] > x-4 {
		row++
	}
	if row == len(*rowEnds) {
		*rowEnds = append(*rowEnds, 0)
	}
	(*rowEnds)[row] = x + w
	return row
}

// faultHeadroom returns the height in points that the labels of the fault
// windows within [xmin, xmax] s need at the top of a data area about
// dataWidth points wide, so that the caller can keep it free of data.
func faultHeadroom(windows []scenarios.FaultWindow, xmin, xmax float64, dataWidth vg.Length) vg.Length {
	if xmax <= xmin {
		return 0
	}
	lbl := textStyle(8)
	var rowEnds []vg.Length
	for _, w := range windows {
		if w.EndS < xmin || w.StartS > xmax {
			continue
		}
		width := lbl.Width(w.Name)
		x := vg.Length((max(w.StartS, xmin)-xmin)/(xmax-xmin)) * dataWidth
		labelRow(&rowEnds, min(x+2, dataWidth-width-2), width)
	}
	if len(rowEnds) == 0 {
		return 0
	}
	return vg.Length(len(rowEnds))*faultRowHeight + 4
}

// faultLegend is the legend entry for shaded fault windows.
func faultLegend() LegendEntry {
	return LegendEntry{Text: "fault window", Thumbs: []plot.Thumbnailer{fillThumb{Fill: faultFill, Outline: faultEdge}}}
}

// tlLine is one line of a timeline chart: a client region's series, in
// one run's style.
type tlLine struct {
	label string
	style seriesStyle
	s     regionSeries
}

// LatencyOverTime charts p50 (top panel) and p99 (bottom panel) latency in
// ms (log scale) per Timeline interval for one table and op, one line per
// client region (colour, dash pattern and marker shape per region), against
// time since the start of the run (h:mm:ss once a run lasts 10 minutes).
// Intervals are binned by request start, as Result.Timeline is, and the x
// axis says so. An interval is drawn on a percentile's line only when it
// holds enough requests for that percentile (minRequests: p99 needs 100);
// others are hollow markers labelled "sparse" in the legend, and the line
// breaks there. Result.Faults windows are shaded and named in both panels.
//
// It returns an error wrapping ErrNoData if the timeline has no requests
// for table and op, and an error if r is nil.
func LatencyOverTime(r *scenarios.Result, table, op string) (*Chart, error) {
	if r == nil {
		return nil, fmt.Errorf("plots: nil Result")
	}
	series := timelineData(r, table, op)
	if len(series) == 0 {
		return nil, fmt.Errorf("%w: no %s timeline on table %q", ErrNoData, op, table)
	}
	var lines []tlLine
	for i, s := range series {
		lines = append(lines, tlLine{label: "clients in " + s.Region, style: styleFor(i), s: s})
	}
	runs := []*scenarios.Result{r}
	iv := timelineInterval(r, series)
	title := fmt.Sprintf("Table %s · %s latency over time (ms, per %s interval)\n%s",
		table, op, fmtSpan(iv), subtitle(runs))
	return timelineChart("timeline-"+slug(table)+"-"+slug(op), title, lines, r.Faults, iv, binnedBy(runs)), nil
}

// binnedBy names what the timeline charts of runs bin requests by: their
// completion, unless a run carries only the start-time timeline.
func binnedBy(runs []*scenarios.Result) string {
	for _, r := range runs {
		if _, done := timelinePoints(r); !done && len(r.Timeline) > 0 {
			return "binned by request start"
		}
	}
	return "binned by request completion"
}

// LatencyOverTimeCompare is LatencyOverTime with every run on the same
// axes — ZONE and REGION survival overlaid — one line per run and client
// region: colour and marker shape by run, dash pattern by client region.
// The fault windows are the first run's (a Comparison's runs share their
// faults). It returns an error wrapping ErrNoData if no run has a timeline
// for table and op, and an error if runs is empty or holds a nil Result.
func LatencyOverTimeCompare(runs []*scenarios.Result, table, op string) (*Chart, error) {
	if err := checkRuns(runs); err != nil {
		return nil, err
	}
	labels := runLabels(runs)
	var lines []tlLine
	var all []regionSeries
	for i, r := range runs {
		series := timelineData(r, table, op)
		all = append(all, series...)
		for k, s := range series {
			st := styleFor(i)
			st.Dashes = styleFor(k).Dashes
			lines = append(lines, tlLine{label: strings.TrimSuffix(labels[i], " survival") + " · " + s.Region, style: st, s: s})
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%w: no %s timeline on table %q", ErrNoData, op, table)
	}
	iv := timelineInterval(runs[0], all)
	title := fmt.Sprintf("Table %s · %s latency over time (ms, per %s interval), runs overlaid\n%s",
		table, op, fmtSpan(iv), subtitle(runs))
	return timelineChart("timeline-"+slug(table)+"-"+slug(op), title, lines, runs[0].Faults, iv, binnedBy(runs)), nil
}

// timelineInterval is r.TimelineSeconds or, for a Result without the
// field, the interval inferred from the points.
func timelineInterval(r *scenarios.Result, series []regionSeries) float64 {
	if r.TimelineSeconds > 0 {
		return r.TimelineSeconds
	}
	return interval(series)
}

// fmtSpan formats a length of time in seconds for a title: "1 s", "0.5 s".
func fmtSpan(s float64) string { return strconv.FormatFloat(s, 'g', 3, 64) + " s" }

// sparseGlyph is the hollow marker of an interval with too few requests for
// its percentile, in the line's colour.
func sparseGlyph(st seriesStyle) draw.GlyphStyle {
	return draw.GlyphStyle{Color: st.Color, Radius: 2.5, Shape: draw.RingGlyph{}}
}

// timelineChart draws the p50 and p99 panels of lines.
// binning labels the x axis ("binned by request completion").
func timelineChart(name, title string, lines []tlLine, faults []scenarios.FaultWindow, iv float64, binning string) *Chart {
	xlo, xhi := math.Inf(1), math.Inf(-1)
	anySparse, anyMerged := false, false
	for _, l := range lines {
		for _, pts := range []plotter.XYs{flat(l.s.P50), flat(l.s.P99), l.s.Sparse50, l.s.Sparse99} {
			for _, p := range pts {
				xlo, xhi = min(xlo, p.X), max(xhi, p.X+iv)
			}
		}
		for _, b := range l.s.Merged99 {
			xlo, xhi = min(xlo, b.FromS), max(xhi, b.ToS+iv)
		}
		anySparse = anySparse || len(l.s.Sparse50)+len(l.s.Sparse99) > 0
		anyMerged = anyMerged || len(l.s.Merged99) > 0
	}
	for _, w := range faults {
		xlo, xhi = min(xlo, w.StartS), max(xhi, w.EndS)
	}
	const panelDataHeight = 180 // points, about, for a 560 pt chart
	top, bottom := newPlot(), newPlot()
	panels := []struct {
		p      *plot.Plot
		name   string
		get    func(regionSeries) []plotter.XYs
		sparse func(regionSeries) plotter.XYs
		need   uint64
	}{
		{top, "p50", func(s regionSeries) []plotter.XYs { return s.P50 }, func(s regionSeries) plotter.XYs { return s.Sparse50 }, minRequests(0.5)},
		{bottom, "p99", func(s regionSeries) []plotter.XYs { return s.P99 }, func(s regionSeries) plotter.XYs { return s.Sparse99 }, minRequests(0.99)},
	}
	for _, pn := range panels {
		p := pn.p
		p.X.Min, p.X.Max = xlo, xhi
		p.X.Label.Text = "time since start of run (" + setTimeAxis(&p.X) + ") · " + binning
		p.Y.Label.Text = pn.name + " latency (ms, log scale)"
		if pn.need > 2 {
			p.Y.Label.Text = pn.name + " (ms, log) · bins ≥ " + strconv.FormatUint(pn.need, 10) + " requests"
		}
		var ys []plotter.XYs
		for _, l := range lines {
			ys = append(ys, flat(pn.get(l.s)), pn.sparse(l.s))
			if pn.need > 2 {
				for _, b := range l.s.Merged99 {
					ys = append(ys, plotter.XYs{{X: b.FromS, Y: b.Lo}, {X: b.ToS, Y: b.Hi}})
				}
			}
		}
		lo, hi, ok := minMaxY(ys...)
		if !ok {
			lo, hi = 1, 10
		}
		setLogAxis(&p.Y, lo, hi)
		// Keep the top of the panel free for the fault labels: stretch the
		// log axis so that the headroom is above the data.
		if room := faultHeadroom(faults, xlo, xhi, Width-90); room > 0 {
			f := math.Min(float64(room)/panelDataHeight, 0.5)
			p.Y.Max = p.Y.Min * math.Pow(p.Y.Max/p.Y.Min, 1/(1-f))
		}
		p.Add(gridLines(), faultBands{windows: faults, label: true})
		for i, l := range lines {
			for _, seg := range pn.get(l.s) {
				line := &plotter.Line{XYs: seg, LineStyle: l.style.line(1.2)}
				p.Add(line)
			}
			if pts := flat(pn.get(l.s)); len(pts) > 0 {
				p.Add(&plotter.Scatter{XYs: thin(pts, 15, i, len(lines)), GlyphStyle: l.style.glyph(2.5)})
			}
			if pn.need > 2 && len(l.s.Merged99) > 0 {
				p.Add(mergedBoxes{bins: l.s.Merged99, iv: iv, style: l.style})
			}
			if sp := pn.sparse(l.s); len(sp) > 0 {
				p.Add(&plotter.Scatter{XYs: sp, GlyphStyle: sparseGlyph(l.style)})
			}
		}
	}
	var legend []LegendEntry
	for _, l := range lines {
		legend = append(legend, LegendEntry{Text: l.label, Thumbs: []plot.Thumbnailer{
			&plotter.Line{LineStyle: l.style.line(1.2)}, &plotter.Scatter{GlyphStyle: l.style.glyph(2.5)},
		}})
	}
	if anyMerged {
		legend = append(legend, LegendEntry{Text: "sparse bins merged to ≥ 100 requests: their p99 lies between the caps",
			Thumbs: []plot.Thumbnailer{rangeThumb{rgb(0x444444)}}})
	}
	if anySparse {
		legend = append(legend, LegendEntry{Text: "sparse bin: too few requests for the percentile (value shown, not a p99)",
			Thumbs: []plot.Thumbnailer{glyphThumb{sparseGlyph(seriesStyle{Color: rgb(0x444444)})}}})
	}
	if len(faults) > 0 {
		legend = append(legend, faultLegend())
	}
	return &Chart{Name: name, Title: title, Panels: []*plot.Plot{top, bottom}, Legend: legend, Height: 580,
		Caption: "p50 (top) and p99 (bottom) latency per interval, requests binned by when they started (a request that waits out a failover counts where it began). " +
			"A bin is drawn on a percentile's line only with enough requests for it (p99: 100). Consecutive bins with fewer are merged until they hold 100 and drawn as the range their p99 must lie in (caps); hollow rings are bins left over, whose value is not that percentile. Shaded: fault windows."}
}

// mergedBoxes draws merged bins in a line's colour as a range: a vertical
// bar from the smallest to the largest of the intervals' p99s at the
// merged span's middle, with caps across the span (first interval's start
// to the last one's end, iv s later). No fill, so that overlapping ranges
// of several client regions stay readable.
type mergedBoxes struct {
	bins  []mergedBin
	iv    float64
	style seriesStyle
}

func (m mergedBoxes) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	bar := draw.LineStyle{Color: m.style.Color, Width: 1.6}
	cap := draw.LineStyle{Color: m.style.Color, Width: 0.9}
	for _, b := range m.bins {
		x0, x1 := trX(b.FromS)+1, trX(b.ToS+m.iv)-1
		y0, y1 := trY(b.Lo), trY(b.Hi)
		xm := (x0 + x1) / 2
		c.StrokeLine2(bar, xm, y0, xm, max(y1, y0+1))
		c.StrokeLine2(cap, x0, y0, x1, y0)
		c.StrokeLine2(cap, x0, y1, x1, y1)
	}
}

// thin returns about n evenly spaced points of pts (all of them if there
// are at most n), for markers that identify a line without cluttering it.
// Series k of m starts k/m of a step later, so that lines on top of each
// other still show every series' markers.
func thin(pts plotter.XYs, n, k, m int) plotter.XYs {
	if len(pts) <= n {
		return pts
	}
	step := (len(pts) + n - 1) / n
	var out plotter.XYs
	for i := k * step / max(m, 1); i < len(pts); i += step {
		out = append(out, pts[i])
	}
	return out
}

// rangeThumb is the legend thumbnail of a merged bin's range.
type rangeThumb struct{ color color.Color }

func (t rangeThumb) Thumbnail(c *draw.Canvas) {
	x0, x1 := c.Min.X+4, c.Max.X-4
	xm := (x0 + x1) / 2
	c.StrokeLine2(draw.LineStyle{Color: t.color, Width: 1.6}, xm, c.Min.Y, xm, c.Max.Y)
	c.StrokeLine2(draw.LineStyle{Color: t.color, Width: 0.9}, x0, c.Min.Y, x1, c.Min.Y)
	c.StrokeLine2(draw.LineStyle{Color: t.color, Width: 0.9}, x0, c.Max.Y, x1, c.Max.Y)
}
