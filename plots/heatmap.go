package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/regionsim/regionsim/scenarios"
)

// rttCell is one cell of the RTT heatmap: the median RTT in ms from
// Regions[Row] to Regions[Col].
type rttCell struct {
	Row, Col int
	From, To string
	Ms       float64
}

// rttData returns the cells of r's RTT matrix row by row. It returns an
// error wrapping ErrNoData if r has no regions or no matrix, and an error
// if the matrix is not len(Regions) × len(Regions).
func rttData(r *scenarios.Result) ([]rttCell, error) {
	n := len(r.Regions)
	if n == 0 || len(r.RTTMs) == 0 {
		return nil, fmt.Errorf("%w: no RTT matrix", ErrNoData)
	}
	if len(r.RTTMs) != n {
		return nil, fmt.Errorf("plots: rtt_ms has %d rows for %d regions", len(r.RTTMs), n)
	}
	var cells []rttCell
	for i, row := range r.RTTMs {
		if len(row) != n {
			return nil, fmt.Errorf("plots: rtt_ms[%d] has %d columns for %d regions", i, len(row), n)
		}
		for j, v := range row {
			cells = append(cells, rttCell{Row: i, Col: j, From: r.Regions[i], To: r.Regions[j], Ms: v})
		}
	}
	return cells, nil
}

// seqFill maps f in [0, 1] to a sequential blue scale from near white to
// dark blue, so darker always means slower, in colour and in grayscale.
func seqFill(f float64) color.RGBA {
	f = math.Min(math.Max(f, 0), 1)
	lo, hi := rgb(0xf0f4fa), rgb(0x08306b)
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*f)) }
	return color.RGBA{R: mix(lo.R, hi.R), G: mix(lo.G, hi.G), B: mix(lo.B, hi.B), A: 0xff}
}

// colourScale maps a value in ms to a fill: the square root of v/Max for
// RTTs (0 is white), or the position of v between Min and Max on a log
// scale for latencies that span decades.
type colourScale struct {
	Min, Max float64
	Log      bool
}

// frac returns v's position on the scale in [0, 1].
func (s colourScale) frac(v float64) float64 {
	if s.Log {
		if s.Max <= s.Min || v <= 0 {
			return 0
		}
		return math.Log(v/s.Min) / math.Log(s.Max/s.Min)
	}
	if s.Max <= 0 {
		return 0
	}
	return math.Sqrt(math.Max(v, 0) / s.Max)
}

func (s colourScale) fill(v float64) color.RGBA { return seqFill(s.frac(v)) }

// ticks returns the values labelled on the scale's bar.
func (s colourScale) ticks() []float64 {
	if s.Log {
		// Powers of ten, and the ends where they are not close to one.
		var out []float64
		for k := math.Ceil(math.Log10(s.Min)); k <= math.Floor(math.Log10(s.Max)); k++ {
			out = append(out, math.Pow(10, k))
		}
		far := func(v float64) bool {
			for _, t := range out {
				if math.Abs(s.frac(v)-s.frac(t)) < 0.12 {
					return false
				}
			}
			return true
		}
		if far(s.Min) {
			out = append([]float64{s.Min}, out...)
		}
		if far(s.Max) {
			out = append(out, s.Max)
		}
		return out
	}
	var out []float64
	for _, t := range (linearTicks{}).Ticks(0, s.Max) {
		if t.Label != "" {
			out = append(out, t.Value)
		}
	}
	return out
}

// rttFill maps v in [0, max] to the RTT heatmap's fill.
func rttFill(v, max float64) color.RGBA { return colourScale{Max: max}.fill(v) }

// heatCells draws the matrix cells, row 0 at the top, each with its value.
type heatCells struct {
	n     int
	cells []rttCell
	scale colourScale
}

func (h *heatCells) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	size := vg.Length(11)
	if h.n > 6 {
		size = 8
	}
	lbl := textStyle(size)
	lbl.XAlign, lbl.YAlign = draw.XCenter, draw.YCenter
	edge := draw.LineStyle{Color: color.White, Width: 1.5}
	for _, cell := range h.cells {
		x, y := float64(cell.Col), float64(h.n-1-cell.Row)
		r := vg.Rectangle{
			Min: vg.Point{X: trX(x - 0.5), Y: trY(y - 0.5)},
			Max: vg.Point{X: trX(x + 0.5), Y: trY(y + 0.5)},
		}
		fill := h.scale.fill(cell.Ms)
		fillRect(c, r, fill, edge, nil)
		lbl.Color = textOn(fill)
		text := fmtMs(cell.Ms) + " ms"
		if cell.Row == cell.Col {
			// The diagonal is not a region's RTT to itself but the RTT
			// between its availability zones.
			text += "\nbetween AZs"
		}
		c.FillText(lbl, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, text)
	}
}

// colourBarWidth is the width in points kept right of a heatmap's cells
// for its colour bar and the bar's labels.
const colourBarWidth vg.Length = 70

// colourBar draws a scale's colour bar at the right edge of the data area,
// from the bottom (Min or 0) to the top (Max), with labelled ticks in ms.
type colourBar struct {
	scale colourScale
	title string
}

func (b colourBar) Plot(c draw.Canvas, _ *plot.Plot) {
	x0 := c.Max.X - colourBarWidth + 14
	x1 := x0 + 12
	y0, y1 := c.Min.Y+10, c.Max.Y-24
	const steps = 64
	for i := 0; i < steps; i++ {
		f0, f1 := float64(i)/steps, float64(i+1)/steps
		r := vg.Rectangle{
			Min: vg.Point{X: x0, Y: y0 + (y1-y0)*vg.Length(f0)},
			Max: vg.Point{X: x1, Y: y0 + (y1-y0)*vg.Length(f1) + 0.3},
		}
		c.SetColor(seqFill(f0 + 0.5/steps))
		c.Fill(r.Path())
	}
	edge := draw.LineStyle{Color: rgb(0x555555), Width: 0.5}
	c.StrokeLine2(edge, x0, y0, x0, y1)
	c.StrokeLine2(edge, x1, y0, x1, y1)
	c.StrokeLine2(edge, x0, y0, x1, y0)
	c.StrokeLine2(edge, x0, y1, x1, y1)
	lbl := textStyle(8)
	lbl.YAlign = draw.YCenter
	for _, v := range b.scale.ticks() {
		y := y0 + (y1-y0)*vg.Length(b.scale.frac(v))
		c.StrokeLine2(edge, x1, y, x1+3, y)
		text := fmtMs(v)
		if v == math.Trunc(v) {
			text = fmtNum(v)
		}
		c.FillText(lbl, vg.Point{X: x1 + 5, Y: y}, text)
	}
	t := textStyle(8)
	t.XAlign = draw.XCenter
	c.FillText(t, vg.Point{X: (x0 + x1) / 2, Y: y1 + 8}, b.title)
}

// colourBarRoom returns the x axis units to add right of n columns so that
// the colour bar has colourBarWidth points of a data area about width
// points wide.
func colourBarRoom(n int, width vg.Length) float64 {
	f := float64(colourBarWidth / width)
	return float64(n) * f / (1 - f)
}

// RTTHeatmap charts r's median round-trip times between regions: a
// Regions × Regions grid, row = from, column = to, each cell shaded by its
// value (darker is slower, on a square-root scale shown by a colour bar)
// and labelled with it in ms. The diagonal is the
// RTT between zones of one region. The values are Result.RTTMs.
//
// It returns an error wrapping ErrNoData if r has no RTT matrix (a Result
// from before RTTMs existed), an error if the matrix does not match
// Regions, and an error if r is nil.
func RTTHeatmap(r *scenarios.Result) (*Chart, error) {
	if r == nil {
		return nil, fmt.Errorf("plots: nil Result")
	}
	return rttHeatmap(r, []*scenarios.Result{r})
}

// rttHeatmap is RTTHeatmap with a subtitle naming runs, which share r's
// matrix.
func rttHeatmap(r *scenarios.Result, runs []*scenarios.Result) (*Chart, error) {
	cells, err := rttData(r)
	if err != nil {
		return nil, err
	}
	n := len(r.Regions)
	hc := &heatCells{n: n, cells: cells}
	for _, c := range cells {
		hc.scale.Max = math.Max(hc.scale.Max, c.Ms)
	}
	rtt := r.RTT
	if rtt == "" {
		rtt = "unnamed"
	}
	title := fmt.Sprintf("Median round-trip time between regions (ms) · RTT source %s\n%s", rtt, subtitle(runs))
	p := newPlot()
	p.X.Label.Text = "to region"
	p.Y.Label.Text = "from region"
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5+colourBarRoom(n, Width-110)
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
	var xt, yt []plot.Tick
	for i, name := range r.Regions {
		xt = append(xt, plot.Tick{Value: float64(i), Label: name})
		yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: name})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	// Slant the column names when they would not fit side by side (the
	// row names take about a fifth of the width).
	var widest vg.Length
	for _, name := range r.Regions {
		widest = max(widest, p.X.Tick.Label.Width(name))
	}
	if widest+4 > (Width*0.8-colourBarWidth)/vg.Length(n) {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	}
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.Add(hc, colourBar{scale: hc.scale, title: "RTT ms"})
	return &Chart{Name: "rtt-heatmap", Title: title, Panels: []*plot.Plot{p}, Height: 480,
		Caption: "Median round-trip time from the row's region to the column's; the diagonal is the RTT between a region's availability zones. Colour bar: square-root scale."}, nil
}
