package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// pctTop is the top of a percentile axis: the fraction 1 − 10^-4.5, half a
// decade of 1 − p above p99.99. A CDF's last point (fraction 1, the
// maximum) is drawn there and the tick there reads "max".
const pctTop = 1 - 3.1622776601683795e-05

// pctTicks are the labelled ticks of a percentile axis, as fractions.
var pctTicks = []float64{0, 0.5, 0.9, 0.99, 0.999, 0.9999}

// percentileScale is a plot.Normalizer for a cumulative fraction p in
// [0, 1]: it maps p to −log10(1 − p), so that p50, p90, p99, p99.9 and
// p99.99 are equally spaced and the tail gets most of the height. Fractions
// above pctTop (the maximum, p = 1) are drawn at pctTop.
type percentileScale struct{}

// tailDepth returns −log10(1 − p) for p clamped to [0, pctTop].
func tailDepth(p float64) float64 {
	return -math.Log10(1 - math.Min(math.Max(p, 0), pctTop))
}

// Normalize implements plot.Normalizer.
func (percentileScale) Normalize(lo, hi, p float64) float64 {
	a, b := tailDepth(lo), tailDepth(hi)
	if b <= a {
		return 0
	}
	return (tailDepth(p) - a) / (b - a)
}

// percentileAxisTicks labels a percentile axis at pctTicks ("50", "99.9")
// and pctTop ("max"), with unlabelled ticks at 10, 20, … 80 below p90.
type percentileAxisTicks struct{}

func (percentileAxisTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for i := 1; i <= 8; i++ {
		if i != 5 {
			ticks = append(ticks, plot.Tick{Value: float64(i) / 10})
		}
	}
	for _, p := range pctTicks {
		ticks = append(ticks, plot.Tick{Value: p, Label: pctLabel(p)})
	}
	ticks = append(ticks, plot.Tick{Value: pctTop, Label: "max"})
	var out []plot.Tick
	for _, t := range ticks {
		if t.Value >= lo-1e-12 && t.Value <= hi+1e-12 {
			out = append(out, t)
		}
	}
	return out
}

// pctLabel formats a fraction as a percentile: 0.999 is "99.9".
func pctLabel(p float64) string {
	return strconv.FormatFloat(math.Round(p*1e6)/1e4, 'f', -1, 64)
}

// setPercentileAxis makes a a percentile axis from 0 to pctTop.
func setPercentileAxis(a *plot.Axis) {
	a.Min, a.Max = 0, pctTop
	a.Scale = percentileScale{}
	a.Tick.Marker = percentileAxisTicks{}
	a.Padding = 0
}

// fitAxis makes a an axis that spans [lo, hi] (both > 0) closely: a
// logarithmic one (setLogAxis) when the data span a decade or more, else a
// linear one padded by 4% of the span on each side and widened to whole
// tick steps, so that 800–836 ms is drawn on 795–840 and not on 700–1000.
// It reports whether the axis is logarithmic.
func fitAxis(a *plot.Axis, lo, hi float64) (log bool) {
	if hi/lo >= 10 {
		setLogAxis(a, lo, hi)
		return true
	}
	span := hi - lo
	if span <= 0 {
		span = math.Max(math.Abs(hi)*0.1, 1e-3)
	}
	pad := span * 0.04
	step := niceStep(span + 2*pad)
	a.Min = math.Floor((lo-pad)/step*2) * step / 2
	a.Max = math.Ceil((hi+pad)/step*2) * step / 2
	if lo >= 0 {
		a.Min = math.Max(a.Min, 0)
	}
	a.Scale = plot.LinearScale{}
	a.Tick.Marker = linearTicks{}
	a.Padding = 0
	return false
}

// niceStep is the labelled step linearTicks chooses for a span.
func niceStep(span float64) float64 {
	step := math.Pow(10, math.Floor(math.Log10(span/10)))
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(m*step) <= 10 {
			return step * m
		}
	}
	return step * 10
}

// pointLabel is a text to draw next to a data point, in a colour.
type pointLabel struct {
	X, Y float64
	Text string
	sty  seriesStyle
}

// pointLabels draws labels right of their points, each moved down (then
// up) by whole label heights until it overlaps no label drawn before it,
// over a translucent white box.
type pointLabels struct{ labels []pointLabel }

func (l pointLabels) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	sty := textStyle(8)
	sty.YAlign = draw.YCenter
	var placed []vg.Rectangle
	overlaps := func(r vg.Rectangle) bool {
		for _, p := range placed {
			if r.Min.X < p.Max.X && p.Min.X < r.Max.X && r.Min.Y < p.Max.Y && p.Min.Y < r.Max.Y {
				return true
			}
		}
		return false
	}
	for _, lb := range l.labels {
		w, h := sty.Width(lb.Text)+2, sty.Height(lb.Text)+1
		x, y := trX(lb.X)+5, trY(lb.Y)
		if x+w > c.Max.X {
			x = trX(lb.X) - 5 - w
		}
		var r vg.Rectangle
		for k := 0; k < 40; k++ {
			dy := vg.Length((k+1)/2) * h
			if k%2 == 1 {
				dy = -dy
			}
			r = vg.Rectangle{Min: vg.Point{X: x, Y: y + dy - h/2}, Max: vg.Point{X: x + w, Y: y + dy + h/2}}
			if !overlaps(r) && r.Min.Y >= c.Min.Y && r.Max.Y <= c.Max.Y {
				break
			}
		}
		placed = append(placed, r)
		sty.Color = lb.sty.Color
		backedText(c, sty, vg.Point{X: r.Min.X + 1, Y: (r.Min.Y + r.Max.Y) / 2}, lb.Text)
	}
}

// clockFrom is the run length in seconds from which time axes read
// h:mm:ss instead of seconds.
const clockFrom = 600

// setTimeAxis sets a's ticks for seconds since the start of a run, from
// a.Min and a.Max: plain seconds for a short run, h:mm:ss ticks once the
// axis spans clockFrom seconds. It returns the unit for the axis label.
func setTimeAxis(a *plot.Axis) string {
	if a.Max-a.Min < clockFrom {
		a.Tick.Marker = linearTicks{}
		return "s"
	}
	a.Tick.Marker = clockTicks{}
	return "h:mm:ss"
}

// clockTicks labels a time axis in seconds as h:mm:ss, every 1, 2, 5, 10,
// 15 or 30 minutes or 1, 2, 3, 6 or 12 hours, at most 8 labels, with an
// unlabelled tick halfway.
type clockTicks struct{}

func (clockTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return nil
	}
	step := 43200.0
	for _, s := range []float64{60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200} {
		if (hi-lo)/s <= 8 {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo / step * 2); i*step/2 <= hi+1e-9; i++ {
		v := i * step / 2
		t := plot.Tick{Value: v}
		if int(i)%2 == 0 {
			t.Label = fmtClock(v)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// fmtClock formats seconds as h:mm:ss.
func fmtClock(s float64) string {
	n := int64(math.Round(s))
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return sign + strconv.FormatInt(n/3600, 10) + ":" + twoDigits(n/60%60) + ":" + twoDigits(n%60)
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
