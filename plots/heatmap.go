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

// rttFill maps v in [0, max] to a sequential blue scale from near white to
// dark blue, so darker always means farther, in colour and in grayscale.
func rttFill(v, max float64) color.RGBA {
	f := 0.0
	if max > 0 {
		f = math.Sqrt(math.Min(math.Max(v/max, 0), 1))
	}
	lo, hi := rgb(0xf0f4fa), rgb(0x08306b)
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*f)) }
	return color.RGBA{R: mix(lo.R, hi.R), G: mix(lo.G, hi.G), B: mix(lo.B, hi.B), A: 0xff}
}

// heatCells draws the matrix cells, row 0 at the top, each with its value.
type heatCells struct {
	n     int
	cells []rttCell
	max   float64
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
		fill := rttFill(cell.Ms, h.max)
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

// RTTHeatmap charts r's median round-trip times between regions: a
// Regions × Regions grid, row = from, column = to, each cell shaded by its
// value (darker is slower) and labelled with it in ms. The diagonal is the
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
		hc.max = math.Max(hc.max, c.Ms)
	}
	rtt := r.RTT
	if rtt == "" {
		rtt = "unnamed"
	}
	title := fmt.Sprintf("Median round-trip time between regions (ms) · RTT source %s\n%s", rtt, subtitle(runs))
	p := newPlot()
	p.X.Label.Text = "to region"
	p.Y.Label.Text = "from region"
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
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
	if widest+4 > Width*0.8/vg.Length(n) {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	}
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.Add(hc)
	return &Chart{Name: "rtt-heatmap", Title: title, Panels: []*plot.Plot{p}, Height: 480}, nil
}
