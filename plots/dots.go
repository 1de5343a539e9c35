package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/regionsim/regionsim/scenarios"
)

// barGroup is one group of bars: one op seen from one client region, with
// one bar per run.
type barGroup struct {
	Op, Region string
	Bars       []bar // Bars[i] is runs[i]'s bar
}

// bar is one run's p50 and p99 latency in ms for a group; OK is false when
// the run has no requests for the group.
type bar struct {
	OK       bool
	P50, P99 float64
}

// barData returns the bar groups of table: one per (op, client region) in
// the order of the runs' Stats (op, then client region), each with one bar
// per run taken from the Stats' P50Ms and P99Ms.
func barData(runs []*scenarios.Result, table string) []barGroup {
	var groups []barGroup
	find := func(op, region string) int {
		return slices.IndexFunc(groups, func(g barGroup) bool { return g.Op == op && g.Region == region })
	}
	for _, r := range runs {
		for _, s := range r.Stats {
			if s.Table == table && s.Count > 0 && find(s.Op, s.ClientRegion) < 0 {
				groups = append(groups, barGroup{Op: s.Op, Region: s.ClientRegion, Bars: make([]bar, len(runs))})
			}
		}
	}
	// Keep ops together even when a later run adds a pair: stable sort by
	// the op's first appearance.
	var ops []string
	for _, g := range groups {
		if !slices.Contains(ops, g.Op) {
			ops = append(ops, g.Op)
		}
	}
	slices.SortStableFunc(groups, func(a, b barGroup) int {
		return slices.Index(ops, a.Op) - slices.Index(ops, b.Op)
	})
	for i, r := range runs {
		for _, s := range r.Stats {
			if s.Table != table || s.Count == 0 {
				continue
			}
			groups[find(s.Op, s.ClientRegion)].Bars[i] = bar{OK: true, P50: s.P50Ms, P99: s.P99Ms}
		}
	}
	return groups
}

// dotRows draws one row per bar group and run: a dot at the run's p50
// (the run's colour and marker shape) and a whisker from it to a bar-shaped
// cap at its p99, labelled "p50 / p99" in ms; group 0 at the top, ops
// separated by rules.
type dotRows struct {
	groups []barGroup
	styles []seriesStyle
}

// groupY is the y coordinate of group g's centre.
func (h *dotRows) groupY(g int) float64 { return float64(len(h.groups) - 1 - g) }

// rowY is the y coordinate of run i's row within group g.
func (h *dotRows) rowY(g, i int) float64 {
	n := len(h.styles)
	thick := 0.8 / float64(n)
	return h.groupY(g) + 0.4 - (float64(i)+0.5)*thick
}

func (h *dotRows) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	lbl := textStyle(8)
	lbl.YAlign = draw.YCenter
	for g, grp := range h.groups {
		for i, b := range grp.Bars {
			if !b.OK {
				continue
			}
			st := h.styles[i]
			y := trY(h.rowY(g, i))
			x50, x99 := trX(b.P50), trX(b.P99)
			line := draw.LineStyle{Color: st.Color, Width: 1.4}
			c.StrokeLine2(line, x50, y, x99, y)
			c.StrokeLine2(line, x99, y-4, x99, y+4)
			c.DrawGlyph(st.glyph(3.5), vg.Point{X: x50, Y: y})
			backedText(c, lbl, vg.Point{X: max(x99, x50) + 5, Y: y}, fmtMs(b.P50)+" / "+fmtMs(b.P99))
		}
	}
	rule := draw.LineStyle{Color: rgb(0x888888), Width: 0.6}
	faint := draw.LineStyle{Color: rgb(0xe4e4e4), Width: 0.5}
	for g := 1; g < len(h.groups); g++ {
		y := trY(h.groupY(g) + 0.5)
		sty := faint
		if h.groups[g].Op != h.groups[g-1].Op {
			sty = rule
		}
		c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
	}
}

// capThumb is the legend thumbnail of a whisker cap.
type capThumb struct{ color color.Color }

func (t capThumb) Thumbnail(c *draw.Canvas) {
	y := (c.Min.Y + c.Max.Y) / 2
	sty := draw.LineStyle{Color: t.color, Width: 1.4}
	c.StrokeLine2(sty, c.Min.X, y, c.Max.X-2, y)
	c.StrokeLine2(sty, c.Max.X-2, y-4, c.Max.X-2, y+4)
}

// PercentileDots charts p50 and p99 latency of one table per client region
// and op: one group of rows per op × client region (ops in the Stats'
// order, separated by rules), one row per run within a group in run order
// — ZONE and REGION survival side by side for a Comparison. Each row is a
// dot at the run's p50 with a whisker to its p99, labelled "p50 / p99" in
// ms. Every row shares the figure's one x axis, fitted to the data
// (fitAxis: linear within a decade, else logarithmic, where a dot's
// position, unlike a bar's length, still reads true). The numbers are the
// Stats' P50Ms and P99Ms.
//
// It returns an error wrapping ErrNoData if no run has requests on table,
// and an error if runs is empty or holds a nil Result.
func PercentileDots(runs []*scenarios.Result, table string) (*Chart, error) {
	if err := checkRuns(runs); err != nil {
		return nil, err
	}
	groups := barData(runs, table)
	if len(groups) == 0 {
		return nil, fmt.Errorf("%w: no requests on table %q", ErrNoData, table)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range groups {
		for _, b := range g.Bars {
			for _, v := range []float64{b.P50, b.P99} {
				if b.OK && v > 0 {
					lo, hi = min(lo, v), max(hi, v)
				}
			}
		}
	}
	if lo > hi {
		return nil, fmt.Errorf("%w: no positive latency on table %q", ErrNoData, table)
	}
	title := fmt.Sprintf("Table %s · p50 (dot) and p99 (whisker end) latency (ms) by op and client region\n%s", table, subtitle(runs))
	p := newPlot()
	// Room right of the rightmost whisker for its label.
	unit := "latency (ms)"
	if hi/lo >= 10 {
		fitAxis(&p.X, lo, hi*3)
		unit = "latency (ms, log scale)"
	} else {
		fitAxis(&p.X, lo, hi+(hi-lo+hi*0.02)*0.45)
	}
	p.X.Label.Text = unit + " · dot p50, whisker to p99 · labels p50 / p99 ms"
	p.Y.Min, p.Y.Max = -0.5, float64(len(groups))-0.5
	p.Y.Padding, p.X.Padding = 0, 0
	h := &dotRows{groups: groups}
	for i := range runs {
		h.styles = append(h.styles, styleFor(i))
	}
	var ticks []plot.Tick
	for g, grp := range groups {
		ticks = append(ticks, plot.Tick{Value: h.groupY(g), Label: grp.Op + " · " + grp.Region})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Label.Text = "op · client region"
	grid := gridLines()
	grid.Horizontal.Color = nil
	p.Add(grid, h)

	labels := runLabels(runs)
	var legend []LegendEntry
	for i, st := range h.styles {
		legend = append(legend, LegendEntry{Text: labels[i] + " p50 … p99", Thumbs: []plot.Thumbnailer{
			capThumb{st.Color}, &plotter.Scatter{GlyphStyle: st.glyph(3.5)}}})
	}
	height := 110 + vg.Length(len(groups))*(8+vg.Length(len(runs))*14)
	return &Chart{Name: "dots-" + slug(table), Title: title, Panels: []*plot.Plot{p}, Legend: legend, Height: min(max(height, 260), 1200),
		Caption: "Per op and client region, one row per run: the dot is p50, the whisker ends at p99, the label reads p50 / p99 in ms. All rows share one x axis."}, nil
}
