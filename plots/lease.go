package plots

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/regionsim/regionsim/scenarios"
)

// leaseTrack is one range's lease history.
type leaseTrack struct {
	Range    int
	Segments []leaseSegment
}

// leaseSegment is a span of time (seconds since the start of the run)
// during which one region held the range's lease, from one lease event to
// the range's next (or to the end of the chart).
type leaseSegment struct {
	StartS, EndS         float64
	Region, Zone, Reason string
}

// runEnd returns the end of r's run in seconds since its start, at least
// the last lease event and fault end.
func runEnd(r *scenarios.Result) float64 {
	end := r.WarmupSeconds + r.SimulatedSeconds
	for _, l := range r.Leases {
		end = max(end, l.TS)
	}
	for _, f := range r.Faults {
		end = max(end, f.EndS)
	}
	return end
}

// leaseData returns table's lease log as one track per range in ascending
// range order. Each event starts a segment that lasts until the range's
// next event (events of one range ordered by time, ties in log order) or
// until runEnd: one segment per event, zero-length ones included.
func leaseData(r *scenarios.Result, table string) []leaseTrack {
	var events []scenarios.LeaseEvent
	for _, l := range r.Leases {
		if l.Table == table {
			events = append(events, l)
		}
	}
	slices.SortStableFunc(events, func(a, b scenarios.LeaseEvent) int {
		return cmp.Or(cmp.Compare(a.Range, b.Range), cmp.Compare(a.TS, b.TS))
	})
	end := runEnd(r)
	var tracks []leaseTrack
	for i, e := range events {
		if len(tracks) == 0 || tracks[len(tracks)-1].Range != e.Range {
			tracks = append(tracks, leaseTrack{Range: e.Range})
		}
		segEnd := end
		if i+1 < len(events) && events[i+1].Range == e.Range {
			segEnd = events[i+1].TS
		}
		t := &tracks[len(tracks)-1]
		t.Segments = append(t.Segments, leaseSegment{StartS: e.TS, EndS: segEnd, Region: e.Region, Zone: e.Zone, Reason: e.Reason})
	}
	return tracks
}

// leaseTracks draws one horizontal track per range, track 0 at the top,
// each segment filled with its region's colour and named when it is wide
// enough for the name.
type leaseTracks struct {
	tracks  []leaseTrack
	regions []string // fill i is regionFills[i]
	// replaced[range] lists when the range had a replica replaced
	// (up-replication), drawn as a marker on its track.
	replaced map[int][]float64
}

// replacedGlyph marks a replica replaced by up-replication: a dark
// triangle on a white one, visible on every region fill.
var (
	replacedGlyph     = draw.GlyphStyle{Color: rgb(0x111111), Radius: 3.5, Shape: draw.PyramidGlyph{}}
	replacedGlyphHalo = draw.GlyphStyle{Color: rgb(0xffffff), Radius: 5.5, Shape: draw.PyramidGlyph{}}
)

func (l *leaseTracks) fill(region string) int {
	return slices.Index(l.regions, region) % len(regionFills)
}

func (l *leaseTracks) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	lbl := textStyle(7)
	lbl.XAlign, lbl.YAlign = draw.XCenter, draw.YCenter
	sep := draw.LineStyle{Color: rgb(0xffffff), Width: 1}
	n := len(l.tracks)
	for ti, t := range l.tracks {
		yc := float64(n - 1 - ti)
		y0, y1 := trY(yc-0.4), trY(yc+0.4)
		for _, s := range t.Segments {
			x0, x1 := trX(s.StartS), trX(s.EndS)
			fill := regionFills[l.fill(s.Region)]
			r := vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1}}
			fillRect(c, r, fill, draw.LineStyle{}, nil)
			c.StrokeLine2(sep, x0, y0, x0, y1)
			if x1-x0 > lbl.Width(s.Region)+6 && y1-y0 >= lbl.Font.Size {
				lbl.Color = textOn(fill)
				c.FillText(lbl, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, s.Region)
			}
		}
		for _, at := range l.replaced[t.Range] {
			pt := vg.Point{X: trX(at), Y: trY(yc)}
			c.DrawGlyph(replacedGlyphHalo, pt)
			c.DrawGlyph(replacedGlyph, pt)
		}
	}
}

// LeaseTimeline charts which region holds each of table's ranges' leases
// over time (seconds since the start of the run), from Result.Leases: one
// horizontal track per range, segments filled by region (a legend maps
// fills to regions, and segments wide enough carry the region's name),
// with Result.Faults windows shaded.
//
// A lease log in which nothing moves gives no chart rather than a chart of
// still bars: LeaseTimeline returns an error wrapping ErrNoData when table
// has no lease events, or none after each range's first and no replica
// replaced, and the writers then skip the chart. It returns an error if r is nil.
func LeaseTimeline(r *scenarios.Result, table string) (*Chart, error) {
	if r == nil {
		return nil, fmt.Errorf("plots: nil Result")
	}
	tracks := leaseData(r, table)
	if len(tracks) == 0 {
		return nil, fmt.Errorf("%w: no lease events for table %q", ErrNoData, table)
	}
	var names []string
	for _, t := range tracks {
		for _, s := range t.Segments {
			if !slices.Contains(names, s.Region) {
				names = append(names, s.Region)
			}
		}
	}
	lt := &leaseTracks{tracks: tracks, regions: regionOrder(r, names), replaced: replacedTimes(r, table)}
	changes := 0 // lease events after each range's first
	for _, t := range tracks {
		changes += len(t.Segments) - 1
	}
	if changes == 0 && len(lt.replaced) == 0 {
		return nil, fmt.Errorf("%w: no lease of table %q moves", ErrNoData, table)
	}
	title := fmt.Sprintf("Table %s · leaseholder region per range over time (%s, %s)\n%s",
		table, plural(len(tracks), "range"), plural(changes, "lease change"), subtitle([]*scenarios.Result{r}))
	p := newPlot()
	p.X.Min, p.X.Max = 0, runEnd(r)
	p.X.Label.Text = "time since start of run (" + setTimeAxis(&p.X) + ")"
	p.Y.Label.Text = "range"
	trackH := min(max(400/vg.Length(len(tracks)), 6), 18)
	p.Y.Min, p.Y.Max = -0.5, float64(len(tracks))-0.5
	// Keep the top free for the fault labels.
	if room := faultHeadroom(r.Faults, p.X.Min, p.X.Max, Width-90); room > 0 {
		p.Y.Max += float64(room / trackH)
	}
	p.Y.Padding, p.X.Padding = 0, 0
	every := max(1, (len(tracks)+29)/30) // at most about 30 range labels
	var ticks []plot.Tick
	for i, t := range tracks {
		tk := plot.Tick{Value: float64(len(tracks) - 1 - i)}
		if i%every == 0 {
			tk.Label = strconv.Itoa(t.Range)
		}
		ticks = append(ticks, tk)
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Add(lt, faultBands{windows: r.Faults, label: true})

	var legend []LegendEntry
	for _, name := range lt.regions {
		legend = append(legend, LegendEntry{Text: name, Thumbs: []plot.Thumbnailer{
			fillThumb{Fill: regionFills[lt.fill(name)], Outline: draw.LineStyle{Color: rgb(0x555555), Width: 0.5}},
		}})
	}
	if len(lt.replaced) > 0 {
		legend = append(legend, LegendEntry{Text: "replica replaced (up-replication)", Thumbs: []plot.Thumbnailer{glyphThumb{replacedGlyph}}})
	}
	if len(r.Faults) > 0 {
		legend = append(legend, faultLegend())
	}
	return &Chart{
		Name:    "leases-" + slug(table),
		Title:   title,
		Panels:  []*plot.Plot{p},
		Legend:  legend,
		Height:  min(max(130+vg.Length(len(tracks))*trackH, 260), 1200),
		Caption: "Which region holds each range's lease over time; drawn only when a lease moves or a replica is replaced.",
	}, nil
}

// replacedTimes returns, per range of table, when it had a replica
// replaced (Result.Replacements), in log order.
func replacedTimes(r *scenarios.Result, table string) map[int][]float64 {
	out := map[int][]float64{}
	for _, rp := range r.Replacements {
		if rp.Table == table {
			out[rp.Range] = append(out[rp.Range], rp.TS)
		}
	}
	return out
}

// glyphThumb is a legend thumbnail of one glyph.
type glyphThumb struct{ style draw.GlyphStyle }

// Thumbnail draws the glyph in the middle of c.
func (g glyphThumb) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(g.style, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2})
}

// plural returns "n noun" with an "s" unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
