package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/regionsim/regionsim/scenarios"
)

// regionSeries is one client region's latency over time for a table and
// op: (interval start s, latency ms) per Timeline entry.
type regionSeries struct {
	Region   string
	P50, P99 plotter.XYs
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

// timelineData returns the Timeline of table and op as one series per
// client region (in regionOrder), each point one Timeline entry in log
// order. Entries without requests or with a non-positive percentile (which
// a log axis cannot show) are left out of that percentile's line.
func timelineData(r *scenarios.Result, table, op string) []regionSeries {
	var names []string
	for _, t := range r.Timeline {
		if t.Table == table && t.Op == op && !slices.Contains(names, t.ClientRegion) {
			names = append(names, t.ClientRegion)
		}
	}
	var out []regionSeries
	for _, name := range regionOrder(r, names) {
		s := regionSeries{Region: name}
		for _, t := range r.Timeline {
			if t.Table != table || t.Op != op || t.ClientRegion != name || t.Count == 0 {
				continue
			}
			if t.P50Ms > 0 {
				s.P50 = append(s.P50, plotter.XY{X: t.TS, Y: t.P50Ms})
			}
			if t.P99Ms > 0 {
				s.P99 = append(s.P99, plotter.XY{X: t.TS, Y: t.P99Ms})
			}
		}
		if len(s.P50)+len(s.P99) > 0 {
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
		for i := 1; i < len(s.P99); i++ {
			if d := s.P99[i].X - s.P99[i-1].X; d > 1e-9 {
				iv = min(iv, d)
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

// LatencyOverTime charts p50 (top panel) and p99 (bottom panel) latency in
// ms (log scale) per Timeline interval for one table and op, one line per
// client region (colour, dash pattern and marker shape per region), against
// seconds since the start of the run. Result.Faults windows are shaded and
// named in both panels. The points are the Result.Timeline entries.
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
	iv := r.TimelineSeconds
	if iv <= 0 { // a Result without the field: infer it from the points
		iv = interval(series)
	}
	var xs []plotter.XYs
	for _, s := range series {
		xs = append(xs, s.P50, s.P99)
	}
	xlo, xhi := math.Inf(1), math.Inf(-1)
	for _, s := range xs {
		for _, p := range s {
			xlo, xhi = min(xlo, p.X), max(xhi, p.X+iv)
		}
	}
	for _, w := range r.Faults {
		xlo, xhi = min(xlo, w.StartS), max(xhi, w.EndS)
	}
	const panelDataHeight = 180 // points, about, for a 560 pt chart
	ivText := strconv.FormatFloat(iv, 'g', 3, 64) + " s"
	title := fmt.Sprintf("Table %s · %s latency over time (ms, per %s interval)\n%s",
		table, op, ivText, subtitle([]*scenarios.Result{r}))
	top, bottom := newPlot(), newPlot()
	panels := []struct {
		p    *plot.Plot
		name string
		get  func(regionSeries) plotter.XYs
	}{
		{top, "p50", func(s regionSeries) plotter.XYs { return s.P50 }},
		{bottom, "p99", func(s regionSeries) plotter.XYs { return s.P99 }},
	}
	var legend []LegendEntry
	for _, pn := range panels {
		p := pn.p
		p.X.Min, p.X.Max = xlo, xhi
		p.X.Label.Text = "time since start of run (s)"
		p.Y.Label.Text = pn.name + " latency (ms, log scale)"
		var ys []plotter.XYs
		for _, s := range series {
			ys = append(ys, pn.get(s))
		}
		lo, hi, ok := minMaxY(ys...)
		if !ok {
			lo, hi = 1, 10
		}
		setLogAxis(&p.Y, lo, hi)
		// Keep the top of the panel free for the fault labels: stretch the
		// log axis so that the headroom is above the data.
		if room := faultHeadroom(r.Faults, xlo, xhi, Width-90); room > 0 {
			f := math.Min(float64(room)/panelDataHeight, 0.5)
			p.Y.Max = p.Y.Min * math.Pow(p.Y.Max/p.Y.Min, 1/(1-f))
		}
		p.Add(gridLines(), faultBands{windows: r.Faults, label: true})
		for i, s := range series {
			st := styleFor(i)
			pts := pn.get(s)
			if len(pts) == 0 {
				continue
			}
			line := &plotter.Line{XYs: pts, LineStyle: st.line(1.2)}
			marks := &plotter.Scatter{XYs: thin(pts, 15, i, len(series)), GlyphStyle: st.glyph(2.5)}
			p.Add(line, marks)
		}
	}
	for i, s := range series {
		st := styleFor(i)
		legend = append(legend, LegendEntry{Text: "clients in " + s.Region, Thumbs: []plot.Thumbnailer{
			&plotter.Line{LineStyle: st.line(1.2)}, &plotter.Scatter{GlyphStyle: st.glyph(2.5)},
		}})
	}
	if len(r.Faults) > 0 {
		legend = append(legend, faultLegend())
	}
	return &Chart{
		Name:   "timeline-" + slug(table) + "-" + slug(op),
		Title:  title,
		Panels: []*plot.Plot{top, bottom},
		Legend: legend,
		Height: 560,
	}, nil
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
