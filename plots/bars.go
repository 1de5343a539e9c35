package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
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

// barStyle is how one run's bars look: p99 as a light, hatched bar with
// the run's colour as outline, p50 as a solid bar in the run's colour drawn
// over it.
type barStyle struct{ run seriesStyle }

func (b barStyle) p50Fill() color.Color { return b.run.Color }
func (b barStyle) p99Fill() color.Color { return tint(b.run.Color, 0.75) }
func (b barStyle) outline() draw.LineStyle {
	return draw.LineStyle{Color: b.run.Color, Width: 0.8}
}
func (b barStyle) hatch() *draw.LineStyle {
	return &draw.LineStyle{Color: tint(b.run.Color, 0.35), Width: 0.6}
}

// hbars draws horizontal bar groups on a log x axis, group 0 at the top.
// Bars start at the left edge of the data area.
type hbars struct {
	groups []barGroup
	styles []barStyle
}

// groupY is the y coordinate of group g's centre.
func (h *hbars) groupY(g int) float64 { return float64(len(h.groups) - 1 - g) }

func (h *hbars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	n := len(h.styles)
	thick := 0.8 / float64(n)
	lbl := textStyle(8)
	lbl.YAlign = draw.YCenter
	x := func(v float64) vg.Length {
		return trX(math.Max(v, plt.X.Min))
	}
	for g, grp := range h.groups {
		for i, b := range grp.Bars {
			if !b.OK {
				continue
			}
			top := h.groupY(g) + 0.4 - float64(i)*thick
			y0, y1 := trY(top-thick+0.04), trY(top-0.04)
			st := h.styles[i]
			p99 := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: y0}, Max: vg.Point{X: x(b.P99), Y: y1}}
			fillRect(c, p99, st.p99Fill(), st.outline(), st.hatch())
			p50 := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: y0}, Max: vg.Point{X: x(b.P50), Y: y1}}
			fillRect(c, p50, st.p50Fill(), st.outline(), nil)
			text := fmtMs(b.P50) + " / " + fmtMs(b.P99)
			backedText(c, lbl, vg.Point{X: p99.Max.X + 3, Y: (y0 + y1) / 2}, text)
		}
	}
	// Separate the ops with a rule.
	rule := draw.LineStyle{Color: rgb(0x888888), Width: 0.6}
	for g := 1; g < len(h.groups); g++ {
		if h.groups[g].Op != h.groups[g-1].Op {
			y := trY(h.groupY(g) + 0.5)
			c.StrokeLine2(rule, c.Min.X, y, c.Max.X, y)
		}
	}
}

// PercentileBars charts p50 and p99 latency of one table per client
// region and op: one group of horizontal bars per op × client region (ops
// in the Stats' order, separated by rules), one bar per run within a
// group in run order — ZONE and REGION survival side by side for a
// Comparison. Each bar is the run's p99 (light, hatched, outlined) with the
// p50 (solid) drawn over it, and is labelled "p50 / p99" in ms. The x axis
// is logarithmic because local reads (about 1 ms) and cross-region writes
// (hundreds of ms) share a chart. The numbers are the Stats' P50Ms and
// P99Ms.
//
// It returns an error wrapping ErrNoData if no run has requests on table,
// and an error if runs is empty or holds a nil Result.
func PercentileBars(runs []*scenarios.Result, table string) (*Chart, error) {
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
	title := fmt.Sprintf("Table %s · p50 and p99 latency (ms) by op and client region\n%s", table, subtitle(runs))
	p := newPlot()
	// Room right of the longest bar for its label: about 0.8 decade.
	setLogAxis(&p.X, lo*0.8, hi*6)
	p.X.Label.Text = "latency (ms, log scale) · bar labels: p50 / p99 ms"
	p.Y.Min, p.Y.Max = -0.5, float64(len(groups))-0.5
	p.Y.Padding = 0
	p.X.Padding = 0
	h := &hbars{groups: groups}
	for i := range runs {
		h.styles = append(h.styles, barStyle{styleFor(i)})
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
		legend = append(legend,
			LegendEntry{Text: labels[i] + " p50", Thumbs: []plot.Thumbnailer{fillThumb{Fill: st.p50Fill(), Outline: st.outline()}}},
			LegendEntry{Text: labels[i] + " p99", Thumbs: []plot.Thumbnailer{fillThumb{Fill: st.p99Fill(), Outline: st.outline(), Hatch: st.hatch()}}},
		)
	}
	height := 110 + vg.Length(len(groups))*(8+vg.Length(len(runs))*14)
	return &Chart{Name: "bars-" + slug(table), Title: title, Panels: []*plot.Plot{p}, Legend: legend, Height: min(max(height, 260), 1200)}, nil
}
