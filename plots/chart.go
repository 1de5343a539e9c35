package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Width is the width of every chart in points (1/72 inch): 600 pt, which is
// WidthPx pixels in a PNG drawn at 192 dpi (2x a 96 dpi screen, sharp on
// high-density displays and when a doc scales it down).
const Width vg.Length = 600

// WidthPx is the width of every PNG chart in pixels.
const WidthPx = 1600

// dpi is the PNG resolution in dots per inch: Width at dpi is WidthPx.
const dpi = 192

// ErrNoData is returned (wrapped) by the chart functions when the input has
// nothing to draw for the requested chart, e.g. a lease timeline from an
// empty lease log. The writers skip such charts rather than write empty
// ones.
var ErrNoData = errors.New("plots: no data for this chart")

// formats are the file formats every chart is written in, in this order.
var formats = []string{"png", "svg"}

// Chart is one figure: one or more plots (panels) stacked vertically that
// share a legend drawn in a strip below them, Width wide and Height tall.
// A Chart owns its plots; drawing it does not change them, so a Chart can
// be rendered any number of times with identical output.
type Chart struct {
	// Name is the file name without extension, e.g. "cdf-users-read".
	Name string
	// Title is drawn centred above the panels, one line per "\n".
	Title string
	// Panels are drawn top to bottom with equal heights.
	Panels []*plot.Plot
	// Legend entries are laid out left to right below the panels, wrapping
	// to further rows as needed; none means no legend strip.
	Legend []LegendEntry
	// Height is the total height in points, legend strip included.
	Height vg.Length
	// Caption says in a sentence or two how to read the chart; the index
	// (IndexName) shows it under the chart's title.
	Caption string
}

// LegendEntry is one legend item: the thumbnails drawn on top of each
// other (e.g. a line and its marker) and the text after them.
type LegendEntry struct {
	Text   string
	Thumbs []plot.Thumbnailer
}

const (
	titleFontSize   vg.Length = 12
	titlePad        vg.Length = 10 // below the title
	legendFontSize  vg.Length = 10
	legendThumbW    vg.Length = 24
	legendGap       vg.Length = 6  // between thumbnail and text
	legendSpacing   vg.Length = 18 // between entries in a row
	legendRowHeight vg.Length = 16
	legendPad       vg.Length = 6 // above and below the strip
	yLabelPad       vg.Length = 4 // right of a y axis label
	chartMargin     vg.Length = 6 // around the whole figure
)

// legendRows splits the entries into rows that fit into width points.
func legendRows(entries []LegendEntry, width vg.Length) [][]LegendEntry {
	sty := textStyle(legendFontSize)
	var rows [][]LegendEntry
	var row []LegendEntry
	var used vg.Length
	for _, e := range entries {
		w := legendThumbW + legendGap + sty.Width(e.Text)
		if len(row) > 0 && used+legendSpacing+w > width {
			rows = append(rows, row)
			row, used = nil, 0
		}
		if len(row) > 0 {
			used += legendSpacing
		}
		row = append(row, e)
		used += w
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// legendHeight is the height of the legend strip for the entries.
func legendHeight(entries []LegendEntry, width vg.Length) vg.Length {
	rows := legendRows(entries, width)
	if len(rows) == 0 {
		return 0
	}
	return vg.Length(len(rows))*legendRowHeight + 2*legendPad
}

// drawLegend draws the entries centred in rows inside c, top down.
func drawLegend(c draw.Canvas, entries []LegendEntry) {
	sty := textStyle(legendFontSize)
	sty.YAlign = draw.YCenter
	width := c.Max.X - c.Min.X
	y := c.Max.Y - legendPad - legendRowHeight/2
	for _, row := range legendRows(entries, width) {
		var total vg.Length
		for i, e := range row {
			if i > 0 {
				total += legendSpacing
			}
			total += legendThumbW + legendGap + sty.Width(e.Text)
		}
		x := c.Min.X + (width-total)/2
		for _, e := range row {
			thumb := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: y - legendRowHeight/2 + 2},
				Max: vg.Point{X: x + legendThumbW, Y: y + legendRowHeight/2 - 2},
			}}
			for _, t := range e.Thumbs {
				t.Thumbnail(&thumb)
			}
			x += legendThumbW + legendGap
			c.FillText(sty, vg.Point{X: x, Y: y}, e.Text)
			x += sty.Width(e.Text) + legendSpacing
		}
		y -= legendRowHeight
	}
}

// draw draws the chart onto dc.
func (ch *Chart) draw(dc draw.Canvas) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	dc = draw.Crop(dc, chartMargin, -chartMargin, chartMargin, -chartMargin)
	if ch.Title != "" {
		sty := textStyle(titleFontSize)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		c := dc.Center()
		dc.FillText(sty, vg.Point{X: c.X, Y: dc.Max.Y}, ch.Title)
		dc.Max.Y -= sty.Height(ch.Title) + titlePad
	}
	if h := legendHeight(ch.Legend, dc.Max.X-dc.Min.X); h > 0 {
		strip := dc
		strip.Max.Y = strip.Min.Y + h
		drawLegend(strip, ch.Legend)
		dc.Min.Y += h
	}
	if len(ch.Panels) == 0 {
		return
	}
	// Equal tiles, with the data areas' left and right edges lined up so
	// that panels sharing an x axis read against each other. The y axis
	// labels are drawn here rather than by gonum/plot, whose padding for
	// a vertical label assumes a linear axis and, on a log axis, leaves a
	// band of empty space above the data.
	tiles := draw.Tiles{Rows: len(ch.Panels), Cols: 1, PadY: 10}
	panels := make([]*plot.Plot, len(ch.Panels))
	canvases := make([]draw.Canvas, len(ch.Panels))
	var labelW, left, right vg.Length
	for _, p := range ch.Panels {
		if p.Y.Label.Text != "" {
			labelW = max(labelW, p.Y.Label.TextStyle.Height(p.Y.Label.Text)+yLabelPad)
		}
	}
	for i, p := range ch.Panels {
		q := *p // shallow: shares the plotters, which drawing does not change
		q.Y.Label.Text = ""
		panels[i] = &q
		canvases[i] = draw.Crop(tiles.At(dc, 0, i), labelW, 0, 0, 0)
		data := q.DataCanvas(canvases[i])
		left = max(left, data.Min.X-canvases[i].Min.X)
		right = max(right, canvases[i].Max.X-data.Max.X)
	}
	for i, q := range panels {
		c := canvases[i]
		data := q.DataCanvas(c)
		c = draw.Crop(c, left-(data.Min.X-c.Min.X), -(right - (c.Max.X - data.Max.X)), 0, 0)
		q.Draw(c)
		if label := ch.Panels[i].Y.Label.Text; label != "" {
			sty := ch.Panels[i].Y.Label.TextStyle
			sty.Rotation = math.Pi / 2
			sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
			data = q.DataCanvas(c)
			c.FillText(sty, vg.Point{X: c.Min.X - labelW, Y: data.Center().Y}, label)
		}
	}
}

// Render draws the chart in format "png" (WidthPx pixels wide) or "svg" and
// returns the file's bytes. The output depends only on the chart: rendering
// the same chart twice gives identical bytes.
func (ch *Chart) Render(format string) ([]byte, error) {
	if ch == nil {
		return nil, errors.New("plots: Render of a nil Chart")
	}
	if ch.Height <= 0 {
		return nil, fmt.Errorf("plots: chart %q: height %v pt is not positive", ch.Name, ch.Height)
	}
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(Width, ch.Height), vgimg.UseDPI(dpi))}
	case "svg":
		c = vgsvg.New(Width, ch.Height)
	default:
		return nil, fmt.Errorf("plots: chart %q: unsupported format %q (want png or svg)", ch.Name, format)
	}
	ch.draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plots: chart %q: %s: %w", ch.Name, format, err)
	}
	return buf.Bytes(), nil
}

// Save writes the chart into the existing directory dir as Name.png and
// Name.svg and returns the two paths in that order.
func (ch *Chart) Save(dir string) ([]string, error) {
	var paths []string
	for _, f := range formats {
		b, err := ch.Render(f)
		if err != nil {
			return paths, err
		}
		p := filepath.Join(dir, ch.Name+"."+f)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return paths, fmt.Errorf("plots: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// fillThumb is a legend thumbnail: a filled box with an optional outline.
type fillThumb struct {
	Fill    color.Color
	Outline draw.LineStyle
	Hatch   *draw.LineStyle // diagonal hatching on top of the fill, if set
}

func (t fillThumb) Thumbnail(c *draw.Canvas) {
	r := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: c.Min.Y + 1}, Max: vg.Point{X: c.Max.X, Y: c.Max.Y - 1}}
	fillRect(*c, r, t.Fill, t.Outline, t.Hatch)
}

// fillRect fills r, hatches it if hatch is set, and outlines it if outline
// has a colour and width.
func fillRect(c draw.Canvas, r vg.Rectangle, fill color.Color, outline draw.LineStyle, hatch *draw.LineStyle) {
	if r.Max.X <= r.Min.X || r.Max.Y <= r.Min.Y {
		return
	}
	if fill != nil {
		c.SetColor(fill)
		c.Fill(r.Path())
	}
	if hatch != nil {
		hatchRect(c, r, *hatch, 5)
	}
	if outline.Color != nil && outline.Width > 0 {
		c.SetLineStyle(outline)
		c.Stroke(r.Path())
	}
}

// hatchRect strokes 45° lines spaced gap points apart across r, clipped to
// r.
func hatchRect(c draw.Canvas, r vg.Rectangle, sty draw.LineStyle, gap vg.Length) {
	w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	// Lines x - y = d for d from -h to w, in coordinates relative to r.Min.
	for d := -h + gap/2; d < w; d += gap {
		x0, y0 := d, vg.Length(0)
		if x0 < 0 {
			x0, y0 = 0, -d
		}
		x1, y1 := d+h, h
		if x1 > w {
			x1, y1 = w, w-d
		}
		c.StrokeLine2(sty, r.Min.X+x0, r.Min.Y+y0, r.Min.X+x1, r.Min.Y+y1)
	}
}
