package plots

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/regionsim/regionsim/scenarios"
)

// latGrid is the data of a latency heatmap: Rows client regions × Cols
// "table · op", P50[i][j] and P99[i][j] in ms, NaN where the client region
// has no requests for the column.
type latGrid struct {
	Rows, Cols []string
	P50, P99   [][]float64
}

// latData returns r's Stats as a latency grid: client regions in topology
// order, columns in Stats order (table, then op).
func latData(r *scenarios.Result) latGrid {
	var g latGrid
	var regions []string
	for _, s := range r.Stats {
		if s.Count == 0 {
			continue
		}
		if col := s.Table + " · " + s.Op; !slices.Contains(g.Cols, col) {
			g.Cols = append(g.Cols, col)
		}
		if !slices.Contains(regions, s.ClientRegion) {
			regions = append(regions, s.ClientRegion)
		}
	}
	g.Rows = regionOrder(r, regions)
	nan := func() [][]float64 {
		m := make([][]float64, len(g.Rows))
		for i := range m {
			m[i] = make([]float64, len(g.Cols))
			for j := range m[i] {
				m[i][j] = math.NaN()
			}
		}
		return m
	}
	g.P50, g.P99 = nan(), nan()
	for _, s := range r.Stats {
		if s.Count == 0 {
			continue
		}
		i, j := slices.Index(g.Rows, s.ClientRegion), slices.Index(g.Cols, s.Table+" · "+s.Op)
		g.P50[i][j], g.P99[i][j] = s.P50Ms, s.P99Ms
	}
	return g
}

// latCells draws a latency grid panel, row 0 at the top, each cell shaded
// on the shared colour scale and labelled with its value; empty cells are
// left white with a dash.
type latCells struct {
	vals  [][]float64
	scale colourScale
}

func (l latCells) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	lbl := textStyle(8)
	lbl.XAlign, lbl.YAlign = draw.XCenter, draw.YCenter
	edge := draw.LineStyle{Color: rgb(0xffffff), Width: 1.5}
	n := len(l.vals)
	for i, row := range l.vals {
		for j, v := range row {
			y := float64(n - 1 - i)
			r := vg.Rectangle{
				Min: vg.Point{X: trX(float64(j) - 0.5), Y: trY(y - 0.5)},
				Max: vg.Point{X: trX(float64(j) + 0.5), Y: trY(y + 0.5)},
			}
			text := "–"
			fill := rgb(0xffffff)
			if !math.IsNaN(v) {
				fill = l.scale.fill(v)
				text = fmtMs(v)
			}
			fillRect(c, r, fill, edge, nil)
			lbl.Color = textOn(fill)
			c.FillText(lbl, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, text)
		}
	}
}

// LatencyHeatmap charts r's latency per client region (rows, topology
// order) and table · op (columns, the Stats' order) as two heatmap panels,
// p50 on top and p99 below, shaded on one logarithmic colour scale shared
// by both panels and shown by a colour bar, each cell labelled in ms. The
// numbers are the Stats' P50Ms and P99Ms.
//
// It returns an error wrapping ErrNoData if r has no requests, and an
// error if r is nil.
func LatencyHeatmap(r *scenarios.Result) (*Chart, error) {
	if r == nil {
		return nil, fmt.Errorf("plots: nil Result")
	}
	g := latData(r)
	if len(g.Cols) == 0 {
		return nil, fmt.Errorf("%w: no requests", ErrNoData)
	}
	sc := colourScale{Min: math.Inf(1), Max: math.Inf(-1), Log: true}
	for _, m := range [][][]float64{g.P50, g.P99} {
		for _, row := range m {
			for _, v := range row {
				if v > 0 {
					sc.Min, sc.Max = min(sc.Min, v), max(sc.Max, v)
				}
			}
		}
	}
	if sc.Min > sc.Max {
		return nil, fmt.Errorf("%w: no positive latency", ErrNoData)
	}
	if sc.Max <= sc.Min {
		sc.Max = sc.Min * 1.01
	}
	nc, nr := len(g.Cols), len(g.Rows)
	var panels []*plot.Plot
	for k, vals := range [][][]float64{g.P50, g.P99} {
		p := newPlot()
		p.X.Min, p.X.Max = -0.5, float64(nc)-0.5+colourBarRoom(nc, Width-110)
		p.Y.Min, p.Y.Max = -0.5, float64(nr)-0.5
		p.X.Padding, p.Y.Padding = 0, 0
		p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
		var xt, yt []plot.Tick
		for j, col := range g.Cols {
			xt = append(xt, plot.Tick{Value: float64(j), Label: col})
		}
		for i, row := range g.Rows {
			yt = append(yt, plot.Tick{Value: float64(nr - 1 - i), Label: row})
		}
		p.X.Tick.Marker = plot.ConstantTicks(xt)
		p.Y.Tick.Marker = plot.ConstantTicks(yt)
		p.X.Tick.Label.Rotation = math.Pi / 5
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
		name := []string{"p50", "p99"}[k]
		p.Y.Label.Text = name + " · client region"
		p.Add(latCells{vals: vals, scale: sc}, colourBar{scale: sc, title: name + " ms"})
		panels = append(panels, p)
	}
	title := fmt.Sprintf("p50 and p99 latency (ms) by client region and table · op · %s\n%s",
		survivalLabel(r.Survival), subtitle([]*scenarios.Result{r}))
	height := 2*(110+vg.Length(nr)*26) + 50
	return &Chart{Name: "latency-heatmap", Title: title, Panels: panels, Height: min(max(height, 420), 1200),
		Caption: "p50 (top) and p99 (bottom) latency of each table · op as seen from each client region, on one logarithmic colour scale (darker is slower); a dash marks no requests."}, nil
}
