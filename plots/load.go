package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/regionsim/regionsim/scenarios"
)

// maxNodeLines is the most nodes NodeLoadOverTime draws a line each for;
// a larger cluster gets a line per region (the mean of its nodes).
const maxNodeLines = 12

// loadLine is one line of NodeLoadOverTime: a node, or a region's mean.
type loadLine struct {
	label      string
	style      seriesStyle
	cpu, queue plotter.XYs
}

// loadLines returns r's load timeline as a line per node (regions'
// nodes in order), or per region for a cluster of more than maxNodeLines
// nodes. A line's colour is its region's; a node's dash pattern and
// marker tell it from the others of its region.
func loadLines(r *scenarios.Result) []loadLine {
	perNode := len(r.NodeLoad) <= maxNodeLines
	index := map[string]int{}
	var lines []loadLine
	key := func(n scenarios.NodeLoad) (string, string) {
		if perNode {
			return n.Node, n.Node + " (" + n.Zone + ")"
		}
		return n.Region, n.Region + " (mean of its nodes)"
	}
	nodes := map[string]int{} // node -> line
	count := map[int]float64{}
	regions := map[string]int{} // region -> its index, in order of appearance
	inRegion := map[string]int{}
	for _, n := range r.NodeLoad {
		k, label := key(n)
		i, ok := index[k]
		if !ok {
			if _, ok := regions[n.Region]; !ok {
				regions[n.Region] = len(regions)
			}
			st := styleFor(regions[n.Region])
			if perNode {
				shape := styleFor(inRegion[n.Region])
				st.Dashes, st.Glyph = shape.Dashes, shape.Glyph
				inRegion[n.Region]++
			}
			i = len(lines)
			index[k] = i
			lines = append(lines, loadLine{label: label, style: st})
		}
		nodes[n.Node] = i
		count[i]++
	}
	last := map[int]float64{}
	for _, p := range r.LoadTimeline {
		i, ok := nodes[p.Node]
		if !ok {
			continue
		}
		l := &lines[i]
		if len(l.cpu) == 0 || last[i] != p.TS {
			l.cpu = append(l.cpu, plotter.XY{X: p.TS})
			l.queue = append(l.queue, plotter.XY{X: p.TS})
			last[i] = p.TS
		}
		l.cpu[len(l.cpu)-1].Y += 100 * p.CPUUtil / count[i]
		l.queue[len(l.queue)-1].Y += p.Queue / count[i]
	}
	return lines
}

// NodeLoadOverTime charts each node's CPU utilisation (top panel, % of its
// vCPUs per load interval: evaluations and Raft processing) and the mean
// number of evaluations waiting for a CPU (bottom panel), against time
// since the start of the run, one line per node — per region (the mean of
// its nodes) in a cluster of more than 12. Result.Faults windows are
// shaded: after a fault the survivors' lines rise by the load they took
// over. It returns an error wrapping ErrNoData for a result without a load
// timeline, and an error if r is nil.
func NodeLoadOverTime(r *scenarios.Result) (*Chart, error) {
	if r == nil {
		return nil, fmt.Errorf("plots: nil Result")
	}
	lines := loadLines(r)
	if len(lines) == 0 || len(r.LoadTimeline) == 0 {
		return nil, fmt.Errorf("%w: no load timeline", ErrNoData)
	}
	iv := r.LoadIntervalSeconds
	xlo, xhi := 0.0, 0.0
	for _, l := range lines {
		for _, p := range l.cpu {
			xhi = max(xhi, p.X+iv)
		}
	}
	for _, w := range r.Faults {
		xhi = max(xhi, w.EndS)
	}
	top, bottom := newPlot(), newPlot()
	qmax := 0.0
	for _, l := range lines {
		for _, p := range l.queue {
			qmax = max(qmax, p.Y)
		}
	}
	for pi, p := range []*plot.Plot{top, bottom} {
		p.X.Min, p.X.Max = xlo, xhi
		p.X.Label.Text = "time since start of run (" + setTimeAxis(&p.X) + ")"
		p.Add(gridLines(), faultBands{windows: r.Faults, label: pi == 0})
		for i, l := range lines {
			pts := l.cpu
			if pi == 1 {
				pts = l.queue
			}
			st := l.style
			p.Add(&plotter.Line{XYs: pts, LineStyle: st.line(1.2)})
			p.Add(&plotter.Scatter{XYs: thin(pts, 15, i, len(lines)), GlyphStyle: st.glyph(2.5)})
		}
	}
	top.Y.Min, top.Y.Max = 0, 115 // room above 100 % for the fault labels
	top.Y.Label.Text = "CPU utilisation (% of vCPUs)"
	bottom.Y.Min, bottom.Y.Max = 0, max(1, qmax*1.1)
	bottom.Y.Label.Text = "evaluations waiting for a CPU (mean)"
	var legend []LegendEntry
	for _, l := range lines {
		st := l.style
		legend = append(legend, LegendEntry{Text: l.label, Thumbs: []plot.Thumbnailer{
			&plotter.Line{LineStyle: st.line(1.2)}, &plotter.Scatter{GlyphStyle: st.glyph(2.5)},
		}})
	}
	if len(r.Faults) > 0 {
		legend = append(legend, faultLegend())
	}
	lo, hi := r.NodeLoad[0].VCPUs, r.NodeLoad[0].VCPUs
	for _, n := range r.NodeLoad {
		lo, hi = min(lo, n.VCPUs), max(hi, n.VCPUs)
	}
	vcpus := fmt.Sprintf("%d vCPUs per node", lo)
	switch {
	case lo != hi:
		vcpus = fmt.Sprintf("%d–%d vCPUs per node", lo, hi)
	case lo == 0:
		vcpus = "no CPU queue"
	}
	title := fmt.Sprintf("Node CPU load over time (per %s interval, %s)\n%s", fmtSpan(iv), vcpus, subtitle([]*scenarios.Result{r}))
	return &Chart{Name: "node-load", Title: title, Panels: []*plot.Plot{top, bottom}, Legend: legend, Height: 580,
		Caption: "CPU utilisation of each node per interval (evaluations and Raft processing over its vCPUs; 100 % is saturated) and the mean number of evaluations queued for a CPU. " +
			"Shaded: fault windows; a failed node drops to 0 and the survivors rise by the leases and gateways they took over."}, nil
}
