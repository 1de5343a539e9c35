package plots

import (
	"errors"
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

// sweepGroup is one swept fault with one bar per survival goal (nil when
// the goal has no case for the fault).
type sweepGroup struct {
	Fault string
	Cases []*scenarios.SweepCase // Cases[i] is survivals[i]'s case
}

// sweepData groups the cases of r by fault (first-appearance order) and
// survival goal (r.Survivals order, then any other goal in the cases).
func sweepData(r *scenarios.SweepResult) (groups []sweepGroup, survivals []string) {
	survivals = slices.Clone(r.Survivals)
	for _, c := range r.Cases {
		if !slices.Contains(survivals, c.Survival) {
			survivals = append(survivals, c.Survival)
		}
	}
	for i := range r.Cases {
		c := &r.Cases[i]
		g := slices.IndexFunc(groups, func(x sweepGroup) bool { return x.Fault == c.Name })
		if g < 0 {
			groups = append(groups, sweepGroup{Fault: c.Name, Cases: make([]*scenarios.SweepCase, len(survivals))})
			g = len(groups) - 1
		}
		groups[g].Cases[slices.Index(survivals, c.Survival)] = c
	}
	return groups, survivals
}

// sweepStyles are the bar fills per survival goal: dark solid, light
// hatched, mid solid — distinct in grayscale.
var sweepStyles = []struct {
	fill  color.Color
	hatch *draw.LineStyle
}{
	{rgb(0x1b3a6b), nil},
	{tint(rgb(0xd95f02), 0.55), &draw.LineStyle{Color: rgb(0x8a3c01), Width: 0.6}},
	{rgb(0x1b9e77), nil},
	{rgb(0xd9d9d9), &draw.LineStyle{Color: rgb(0x555555), Width: 0.6}},
}

// sweepBars draws the sweep's horizontal bars: the mean unavailability
// over seeds, a whisker from min to max, and a label.
type sweepBars struct {
	groups []sweepGroup
	n      int // bars per group
}

func (s *sweepBars) groupY(g int) float64 { return float64(len(s.groups) - 1 - g) }

func (s *sweepBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	thick := 0.8 / float64(s.n)
	lbl := textStyle(8)
	lbl.YAlign = draw.YCenter
	edge := draw.LineStyle{Color: color.Black, Width: 0.6}
	whisker := draw.LineStyle{Color: color.Black, Width: 1}
	for g, grp := range s.groups {
		for i, cs := range grp.Cases {
			if cs == nil {
				continue
			}
			top := s.groupY(g) + 0.4 - float64(i)*thick
			y0, y1 := trY(top-thick+0.05), trY(top-0.05)
			mid := (y0 + y1) / 2
			st := sweepStyles[i%len(sweepStyles)]
			u := cs.Unavailable
			bar := vg.Rectangle{Min: vg.Point{X: trX(0), Y: y0}, Max: vg.Point{X: trX(u.Mean), Y: y1}}
			fillRect(c, bar, st.fill, edge, st.hatch)
			// Whisker min–max with end caps, only when the seeds differ.
			x0, x1 := trX(u.Min), trX(u.Max)
			if x1-x0 > 0.5 {
				cap := (y1 - y0) * 0.3
				c.StrokeLine2(whisker, x0, mid, x1, mid)
				c.StrokeLine2(whisker, x0, mid-cap, x0, mid+cap)
				c.StrokeLine2(whisker, x1, mid-cap, x1, mid+cap)
			}
			text := sweepLabel(cs)
			backedText(c, lbl, vg.Point{X: max(x1, bar.Max.X) + 4, Y: mid}, text)
		}
	}
	rule := draw.LineStyle{Color: rgb(0xbbbbbb), Width: 0.5}
	for g := 1; g < len(s.groups); g++ {
		y := trY(s.groupY(g) + 0.5)
		c.StrokeLine2(rule, c.Min.X, y, c.Max.X, y)
	}
}

// sweepLabel is a bar's label: the survival goal (so that a zero-length
// bar is still told apart), the mean and the range, and the runs that
// did not survive (a client stalled past the bound): "ZONE 121.2 s
// (120.3–123.0) · not survived 3/3".
func sweepLabel(c *scenarios.SweepCase) string {
	u := c.Unavailable
	text := strings.TrimSuffix(survivalLabel(c.Survival), " survival") + " " + fmtSec1(u.Mean) + " s"
	if u.Max-u.Min >= 0.05 {
		text += " (" + fmtSec1(u.Min) + "–" + fmtSec1(u.Max) + ")"
	}
	if c.Runs > 0 && !c.Survived() {
		text += fmt.Sprintf(" · not survived %d/%d", c.Runs-c.SurvivedRuns, c.Runs)
	}
	return text
}

// fmtSec1 formats seconds to one decimal.
func fmtSec1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// SweepUnavailability charts a sweep: one group of horizontal bars per
// swept fault (in the sweep's order), one bar per survival goal (ZONE dark
// and solid, REGION light and hatched). A bar's length is the mean over
// seeds of each run's longest client stall (any table, op and client
// region), its whisker spans the runs' min to max, and its label gives the
// mean, the range, and the runs not survived. A dashed line marks the fault's length:
// a bar that reaches it was down for the whole outage. The numbers are
// SweepCase.Unavailable.
//
// It returns an error wrapping ErrNoData for a sweep without cases and an
// error for a nil r.
func SweepUnavailability(r *scenarios.SweepResult) (*Chart, error) {
	if r == nil {
		return nil, errors.New("plots: nil SweepResult")
	}
	groups, survivals := sweepData(r)
	if len(groups) == 0 {
		return nil, fmt.Errorf("%w: a sweep without cases", ErrNoData)
	}
	hi := r.FaultForS
	for _, c := range r.Cases {
		hi = max(hi, c.Unavailable.Max)
	}
	if hi <= 0 {
		hi = 1
	}
	p := newPlot()
	p.X.Min, p.X.Max = 0, hi*1.75 // room for the labels right of the bars
	p.X.Tick.Marker = linearTicks{}
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Label.Text = "unavailability (s): mean over seeds of each run's longest client stall · whisker: min–max"
	p.Y.Min, p.Y.Max = -0.5, float64(len(groups))-0.5
	p.Y.Label.Text = "fault"
	bars := &sweepBars{groups: groups, n: len(survivals)}
	var ticks []plot.Tick
	for g, grp := range groups {
		ticks = append(ticks, plot.Tick{Value: bars.groupY(g), Label: grp.Fault})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	grid := gridLines()
	grid.Horizontal.Color = nil
	p.Add(grid)
	var legend []LegendEntry
	if r.FaultForS > 0 {
		limit := &plotter.Line{
			XYs:       plotter.XYs{{X: r.FaultForS, Y: p.Y.Min}, {X: r.FaultForS, Y: p.Y.Max}},
			LineStyle: draw.LineStyle{Color: rgb(0x666666), Width: 1, Dashes: []vg.Length{5, 3}},
		}
		p.Add(limit)
		legend = append(legend, LegendEntry{Text: "fault length " + fmtNum(r.FaultForS) + " s", Thumbs: []plot.Thumbnailer{limit}})
	}
	p.Add(bars)
	for i, sv := range survivals {
		st := sweepStyles[i%len(sweepStyles)]
		legend = append(legend, LegendEntry{Text: survivalLabel(sv), Thumbs: []plot.Thumbnailer{
			fillThumb{Fill: st.fill, Outline: draw.LineStyle{Color: color.Black, Width: 0.6}, Hatch: st.hatch},
		}})
	}
	seeds := make([]string, len(r.Seeds))
	for i, s := range r.Seeds {
		seeds[i] = strconv.FormatUint(s, 10)
	}
	title := fmt.Sprintf("Unavailability per fault and survival goal\nscenario %s · fault at %s s for %s s · seeds %s",
		r.Scenario, fmtNum(r.FaultAtS), fmtNum(r.FaultForS), strings.Join(seeds, ", "))
	height := 120 + vg.Length(len(groups))*(6+vg.Length(len(survivals))*14)
	return &Chart{Name: "sweep-unavailability", Title: title, Panels: []*plot.Plot{p}, Legend: legend,
		Caption: "Per swept fault and survival goal: the mean over seeds of each run's longest client stall, whisker min–max; the dashed line is the fault's length.",
		Height:  min(max(height, 260), 1200)}, nil
}

// linearTicks labels a linear axis from 0 every 1, 2 or 5 × 10^k, choosing
// the step that gives at most 10 labels, with an unlabelled tick halfway.
type linearTicks struct{}

func (linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return nil
	}
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/10)))
	for _, m := range []float64{1, 2, 5, 10} {
		if (hi-lo)/(m*step) <= 10 {
			step *= m
			break
		}
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for i := math.Ceil(lo / step * 2); i*step/2 <= hi*(1+1e-12); i++ {
		v := i * step / 2
		t := plot.Tick{Value: v}
		if int(i)%2 == 0 {
			t.Label = strconv.FormatFloat(v, 'f', decimals, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// fmtNum formats a parameter exactly, without trailing zeros.
func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// WriteSweep writes the charts of a sweep into dir (created if missing) as
// PNG and SVG, then the index (IndexName), and returns the paths written:
// sweep-unavailability (SweepUnavailability), skipped when the sweep has
// no cases; ChartsSummary and ChartsAll are the same, ChartsNone writes
// nothing. It returns an
// error for a nil r or a dir that cannot be created or written.
func WriteSweep(dir string, r *scenarios.SweepResult, set ChartSet) ([]string, error) {
	if r == nil {
		return nil, errors.New("plots: nil SweepResult")
	}
	if set == ChartsNone {
		return nil, nil
	}
	w, err := newWriter(dir)
	if err != nil {
		return nil, err
	}
	if err := w.save("", func() (*Chart, error) { return SweepUnavailability(r) }); err != nil {
		return w.paths, err
	}
	err = w.index("regionsim sweep charts · scenario " + r.Scenario)
	return w.paths, err
}
