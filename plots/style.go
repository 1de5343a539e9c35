package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/regionsim/regionsim/scenarios"
)

// sans is the typeface of every chart's text.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// textStyle returns a black sans-serif text style of the given size in
// points, left and bottom aligned.
func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(sans, size),
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns an untitled plot with the package's fonts (the Chart
// carries the title). It does not change any gonum/plot global.
func newPlot() *plot.Plot {
	p := plot.New()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 10)
		a.Tick.Label.Font = font.From(sans, 9)
	}
	return p
}

// seriesStyle tells one data series from another by colour, dash pattern
// and marker shape, so that series stay distinct in grayscale.
type seriesStyle struct {
	Color  color.RGBA
	Dashes []vg.Length
	Glyph  draw.GlyphDrawer
}

// seriesStyles are used in order: series i gets seriesStyles[i mod len].
// Neighbouring colours differ in lightness as well as hue.
var seriesStyles = []seriesStyle{
	{rgb(0x1b3a6b), nil, draw.CircleGlyph{}},                         // dark blue, solid, disc
	{rgb(0xd95f02), []vg.Length{7, 3}, draw.TriangleGlyph{}},         // orange, dashed, triangle
	{rgb(0x1b9e77), []vg.Length{2, 2}, draw.SquareGlyph{}},           // teal, dotted, square
	{rgb(0x7570b3), []vg.Length{8, 3, 2, 3}, draw.CrossGlyph{}},      // purple, dash-dot, cross
	{rgb(0xa6761d), []vg.Length{12, 4}, draw.PlusGlyph{}},            // brown, long dash, plus
	{rgb(0x666666), []vg.Length{4, 2, 4, 2, 1, 2}, draw.RingGlyph{}}, // grey, dash-dash-dot, ring
}

func styleFor(i int) seriesStyle { return seriesStyles[i%len(seriesStyles)] }

// line returns the line style of the series, width in points.
func (s seriesStyle) line(width vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: s.Color, Width: width, Dashes: s.Dashes}
}

// glyph returns the marker style of the series, radius in points.
func (s seriesStyle) glyph(radius vg.Length) draw.GlyphStyle {
	return draw.GlyphStyle{Color: s.Color, Radius: radius, Shape: s.Glyph}
}

// regionFills are the fills of regions in the lease timeline, chosen to
// alternate dark and light so that neighbours differ in grayscale too.
var regionFills = []color.RGBA{
	rgb(0x2c5d8f), // dark blue
	rgb(0xfdb863), // light orange
	rgb(0x5a9e4b), // mid green
	rgb(0xd9d9d9), // light grey
	rgb(0x8c2d04), // dark brown
	rgb(0xb2abd2), // light purple
	rgb(0x1b1b1b), // near black
	rgb(0xf7e27e), // pale yellow
}

// labelBg is the translucent white behind text drawn over data or grid.
var labelBg = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xd0}

// backedText draws txt at `at` in style sty over a translucent white box
// (labelBg) one point larger than the text, so labels stay readable over
// data, grid lines and shading.
func backedText(c draw.Canvas, sty text.Style, at vg.Point, txt string) {
	r := sty.Rectangle(txt)
	bg := vg.Rectangle{
		Min: vg.Point{X: at.X + r.Min.X - 1, Y: at.Y + r.Min.Y - 1},
		Max: vg.Point{X: at.X + r.Max.X + 1, Y: at.Y + r.Max.Y + 1},
	}
	c.SetColor(labelBg)
	c.Fill(bg.Path())
	c.FillText(sty, at, txt)
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// tint mixes c with white; f is the share of white in [0, 1].
func tint(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(math.Round(float64(v) + (255-float64(v))*f)) }
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xff}
}

// luminance returns the relative lightness of c in [0, 1] (Rec. 601
// weights), used to pick black or white text on a fill.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 0xffff
}

// textOn returns black or white, whichever reads better on fill.
func textOn(fill color.Color) color.Color {
	if luminance(fill) < 0.5 {
		return color.White
	}
	return color.Black
}

// survivalLabel is how a Result's survival goal reads in titles and legends.
func survivalLabel(s string) string {
	switch s {
	case "zone", "region":
		return strings.ToUpper(s) + " survival"
	case "", "none":
		return "no survival goal"
	}
	return s + " survival"
}

// distinct returns the distinct values of f over runs, in first-appearance
// order.
func distinct(runs []*scenarios.Result, f func(*scenarios.Result) string) []string {
	var out []string
	for _, r := range runs {
		if v := f(r); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func seedOf(r *scenarios.Result) string { return strconv.FormatUint(r.Seed, 10) }

// subtitle is the second title line of every chart: which scenario, survival
// goals and seeds the chart shows.
func subtitle(runs []*scenarios.Result) string {
	goals := distinct(runs, func(r *scenarios.Result) string {
		return strings.TrimSuffix(survivalLabel(r.Survival), " survival")
	})
	seeds := distinct(runs, seedOf)
	name := "seed"
	if len(seeds) > 1 {
		name = "seeds"
	}
	return fmt.Sprintf("scenario %s · survival %s · %s %s",
		strings.Join(distinct(runs, func(r *scenarios.Result) string { return r.Scenario }), " vs "),
		strings.Join(goals, " vs "), name, strings.Join(seeds, ", "))
}

// runLabels names each run for legends: its survival goal, plus whichever of
// scenario, seed, CockroachDB version and RTT source tell the runs apart.
// Runs that no field tells apart are numbered.
func runLabels(runs []*scenarios.Result) []string {
	fields := []struct {
		get    func(*scenarios.Result) string
		prefix string
	}{
		{func(r *scenarios.Result) string { return r.Scenario }, ""},
		{seedOf, "seed "},
		{func(r *scenarios.Result) string { return r.CRDBVersion }, "v"},
		{func(r *scenarios.Result) string { return r.RTT }, "rtt "},
	}
	labels := make([]string, len(runs))
	for i, r := range runs {
		labels[i] = survivalLabel(r.Survival)
	}
	for _, f := range fields {
		if len(distinct(runs, f.get)) < 2 {
			continue
		}
		for i, r := range runs {
			labels[i] += ", " + f.prefix + f.get(r)
		}
	}
	dup := make([]bool, len(labels))
	for i := range labels {
		for j := range labels {
			dup[i] = dup[i] || (i != j && labels[i] == labels[j])
		}
	}
	for i := range labels {
		if dup[i] {
			labels[i] += fmt.Sprintf(" (run %d)", i+1)
		}
	}
	return labels
}

// slug turns s into a file-name component: lower case ASCII letters, digits
// and '_' kept, every run of other characters replaced by one '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "x"
	}
	return out
}

// runSlugs names each run in file names ("zone", "region", "zone-seed-2"),
// unique among runs.
func runSlugs(runs []*scenarios.Result) []string {
	labels := runLabels(runs)
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = slug(strings.ReplaceAll(l, " survival", ""))
	}
	return out
}

// logTicks marks a logarithmic axis with ticks at every integer multiple
// of a power of ten, labelled at 1, 2 and 5 times powers of ten; at powers
// of ten only when the axis spans more than four decades, and at every
// tick when it spans less than 1.3 decades.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	k0 := int(math.Floor(math.Log10(lo)))
	k1 := int(math.Ceil(math.Log10(hi)))
	span := math.Log10(hi / lo)
	sparse, dense := span > 4, span < 1.3
	var ticks []plot.Tick
	for k := k0; k <= k1; k++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow10(k)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || dense || (!sparse && (m == 2 || m == 5)) {
				t.Label = tickLabel(m, k)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// tickLabel formats m·10^k without floating-point noise.
func tickLabel(m, k int) string {
	if k >= 0 {
		return strconv.Itoa(m) + strings.Repeat("0", k)
	}
	return strconv.FormatFloat(float64(m)*math.Pow10(k), 'f', -k, 64)
}

// niceLogFloor returns the largest m·10^k <= v with m in ms (ascending,
// within [1, 10)); v must be > 0.
func niceLogFloor(v float64, ms ...float64) float64 {
	if len(ms) == 0 {
		ms = steps125
	}
	k := math.Floor(math.Log10(v))
	for i := len(ms) - 1; i >= 0; i-- {
		if x := ms[i] * math.Pow(10, k); x <= v*(1+1e-12) {
			return x
		}
	}
	return ms[len(ms)-1] * math.Pow(10, k-1)
}

// niceLogCeil returns the smallest m·10^k >= v with m in ms (ascending,
// within [1, 10)) or m = 10; v must be > 0.
func niceLogCeil(v float64, ms ...float64) float64 {
	if len(ms) == 0 {
		ms = steps125
	}
	k := math.Floor(math.Log10(v))
	for _, m := range append(slices.Clone(ms), 10) {
		if x := m * math.Pow(10, k); x >= v*(1-1e-12) {
			return x
		}
	}
	return math.Pow(10, k+1)
}

var (
	steps125  = []float64{1, 2, 5}
	steps1to9 = []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
)

// setLogAxis makes a a logarithmic axis spanning at least [lo, hi] (both
// > 0), widened to 1-2-5 steps, or for data within one decade widened by
// 10% and to whole multiples of a power of ten, so that narrow data does
// not shrink into a sliver.
func setLogAxis(a *plot.Axis, lo, hi float64) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{}
	if hi/lo < 10 {
		a.Min, a.Max = niceLogFloor(lo/1.1, steps1to9...), niceLogCeil(hi*1.1, steps1to9...)
	} else {
		a.Min, a.Max = niceLogFloor(lo), niceLogCeil(hi)
	}
	if a.Max <= a.Min {
		a.Max = niceLogCeil(a.Min*1.01, steps1to9...)
	}
}

// fmtMs formats a latency in milliseconds with three significant digits
// (no exponent).
func fmtMs(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// minMaxX returns the smallest and largest X over series, ignoring
// non-positive values; ok is false if there is none.
func minMaxX(series ...plotter.XYs) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s {
			if p.X > 0 {
				lo, hi = min(lo, p.X), max(hi, p.X)
			}
		}
	}
	return lo, hi, lo <= hi
}

// minMaxY is minMaxX for Y.
func minMaxY(series ...plotter.XYs) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s {
			if p.Y > 0 {
				lo, hi = min(lo, p.Y), max(hi, p.Y)
			}
		}
	}
	return lo, hi, lo <= hi
}

// gridLines returns light grid lines at the major ticks of both axes.
func gridLines() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = rgb(0xdddddd)
	g.Horizontal.Color = rgb(0xdddddd)
	g.Vertical.Width, g.Horizontal.Width = 0.5, 0.5
	return g
}
