package plots

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// tableOp is one table and op.
type tableOp struct{ Table, Op string }

// tablesAndOps returns the tables and (table, op) pairs with requests in
// the runs' Stats and Timelines, in first-appearance order (the Stats are
// sorted by table in scenario order and op in model order, so this is the
// scenario's order).
func tablesAndOps(runs []*scenarios.Result) (tables []string, pairs []tableOp) {
	add := func(table, op string) {
		if !slices.Contains(tables, table) {
			tables = append(tables, table)
		}
		if to := (tableOp{table, op}); !slices.Contains(pairs, to) {
			pairs = append(pairs, to)
		}
	}
	for _, r := range runs {
		for _, s := range r.Stats {
			if s.Count > 0 {
				add(s.Table, s.Op)
			}
		}
	}
	for _, r := range runs {
		pts, _ := timelinePoints(r)
		for _, t := range pts {
			if t.Count > 0 {
				add(t.Table, t.Op)
			}
		}
	}
	// Keep each table's pairs together even if a timeline adds an op late.
	slices.SortStableFunc(pairs, func(a, b tableOp) int {
		return slices.Index(tables, a.Table) - slices.Index(tables, b.Table)
	})
	return tables, pairs
}

// leaseTables returns the tables in r's lease log that are not in tables,
// in first-appearance order.
func leaseTables(r *scenarios.Result, tables []string) []string {
	var out []string
	for _, l := range r.Leases {
		if !slices.Contains(tables, l.Table) && !slices.Contains(out, l.Table) {
			out = append(out, l.Table)
		}
	}
	return out
}

// ChartSet says which charts the writers write.
type ChartSet int

const (
	// ChartsSummary is the handful of charts a design doc needs: per table
	// the p50/p99 dot plot and the CDF of its slowest op (highest p99),
	// that op's timeline when the run has faults, lease charts where leases
	// move, the latency heatmap and the RTT heatmap. It is the zero value.
	ChartsSummary ChartSet = iota
	// ChartsAll is every chart: also a CDF per table and op, per-region
	// CDFs, and every timeline, overlaid and per run.
	ChartsAll
	// ChartsNone writes no chart and no index.
	ChartsNone
)

var chartSetNames = []string{"summary", "all", "none"}

// String returns "summary", "all" or "none".
func (c ChartSet) String() string {
	if c < 0 || int(c) >= len(chartSetNames) {
		return "ChartSet(" + strconv.Itoa(int(c)) + ")"
	}
	return chartSetNames[c]
}

// Set parses "summary", "all" or "none" into c (a flag.Value and
// pflag.Value).
func (c *ChartSet) Set(s string) error {
	i := slices.Index(chartSetNames, s)
	if i < 0 {
		return fmt.Errorf("unknown chart set %q (want summary, all or none)", s)
	}
	*c = ChartSet(i)
	return nil
}

// Type names the flag's value type in pflag's usage text.
func (c *ChartSet) Type() string { return "summary|all|none" }

// IndexName is the index file the writers write last into the output
// directory: every chart written, in order, with its caption.
const IndexName = "README.md"

// writer saves charts into one directory and collects the paths.
type writer struct {
	dir    string
	names  []string // chart names written so far
	charts []*Chart // charts written so far, for the index
	paths  []string
}

// save writes the chart made by build, with suffix appended to its name
// if not empty; an ErrNoData result is skipped. A name already written
// (two table names that differ only in characters a file name cannot
// hold) gets "-2", "-3", ... appended.
func (w *writer) save(suffix string, build func() (*Chart, error)) error {
	ch, err := build()
	if errors.Is(err, ErrNoData) {
		return nil
	}
	if err != nil {
		return err
	}
	if suffix != "" {
		ch.Name += "-" + suffix
	}
	name := ch.Name
	for i := 2; slices.Contains(w.names, name); i++ {
		name = ch.Name + "-" + strconv.Itoa(i)
	}
	ch.Name = name
	w.names = append(w.names, name)
	w.charts = append(w.charts, ch)
	paths, err := ch.Save(w.dir)
	w.paths = append(w.paths, paths...)
	return err
}

// index writes IndexName: a Markdown page with a heading, then per chart
// its caption, the PNG and a link to the SVG. It does nothing when no chart
// was written.
func (w *writer) index(heading string) error {
	if len(w.charts) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\nEvery chart of this output set, PNG (2x) shown, SVG linked; written by regionsim.\n", heading)
	for _, ch := range w.charts {
		title := strings.ReplaceAll(ch.Title, "\n", " — ")
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", ch.Name, title)
		if ch.Caption != "" {
			fmt.Fprintf(&b, "%s\n\n", ch.Caption)
		}
		fmt.Fprintf(&b, "![%s](%s.png)\n\n[SVG](%s.svg)\n", strings.ReplaceAll(title, "]", ")"), ch.Name, ch.Name)
	}
	p := filepath.Join(w.dir, IndexName)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	w.paths = append(w.paths, p)
	return nil
}

func newWriter(dir string) (*writer, error) {
	if dir == "" {
		return nil, errors.New("plots: empty output directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	return &writer{dir: dir}, nil
}

// slowestOps returns, per table, the (table, op) pair with the highest p99
// over the runs' Stats (the first on a tie), in table order.
func slowestOps(runs []*scenarios.Result, tables []string, pairs []tableOp) []tableOp {
	var out []tableOp
	for _, t := range tables {
		best, bestP99 := tableOp{}, -1.0
		for _, to := range pairs {
			if to.Table != t {
				continue
			}
			p99 := 0.0
			for _, r := range runs {
				for _, s := range tableOpStats(r, to.Table, to.Op) {
					p99 = max(p99, s.P99Ms)
				}
			}
			if p99 > bestP99 {
				best, bestP99 = to, p99
			}
		}
		if bestP99 >= 0 {
			out = append(out, best)
		}
	}
	return out
}

// hasFaults reports whether any run has a fault window.
func hasFaults(runs []*scenarios.Result) bool {
	for _, r := range runs {
		if len(r.Faults) > 0 {
			return true
		}
	}
	return false
}

// write writes the set's charts of runs (one Result, or a Comparison's
// runs), then the index.
func (w *writer) write(runs []*scenarios.Result, set ChartSet) error {
	tables, pairs := tablesAndOps(runs)
	slow := slowestOps(runs, tables, pairs)
	cdfPairs, tlPairs := slow, slow
	if set == ChartsAll {
		cdfPairs, tlPairs = pairs, pairs
	} else if !hasFaults(runs) {
		tlPairs = nil
	}
	var suffixes []string
	if len(runs) > 1 {
		suffixes = runSlugs(runs)
	} else {
		suffixes = []string{""}
	}
	save := w.save
	for _, to := range cdfPairs {
		if err := save("", func() (*Chart, error) {
			if len(runs) == 1 { // one run: a line per client region
				ch, err := LatencyCDFByRegion(runs[0], to.Table, to.Op)
				if err == nil {
					ch.Name = "cdf-" + slug(to.Table) + "-" + slug(to.Op)
				}
				return ch, err
			}
			return LatencyCDF(runs, to.Table, to.Op)
		}); err != nil {
			return err
		}
	}
	if set == ChartsAll && len(runs) > 1 {
		for i, r := range runs {
			for _, to := range pairs {
				if err := save(suffixes[i], func() (*Chart, error) { return LatencyCDFByRegion(r, to.Table, to.Op) }); err != nil {
					return err
				}
			}
		}
	}
	for _, t := range tables {
		if err := save("", func() (*Chart, error) { return PercentileDots(runs, t) }); err != nil {
			return err
		}
	}
	for _, to := range tlPairs {
		if err := save("", func() (*Chart, error) {
			if len(runs) == 1 {
				return LatencyOverTime(runs[0], to.Table, to.Op)
			}
			return LatencyOverTimeCompare(runs, to.Table, to.Op)
		}); err != nil {
			return err
		}
	}
	if set == ChartsAll && len(runs) > 1 {
		for i, r := range runs {
			for _, to := range pairs {
				if err := save(suffixes[i], func() (*Chart, error) { return LatencyOverTime(r, to.Table, to.Op) }); err != nil {
					return err
				}
			}
		}
	}
	for i, r := range runs {
		for _, t := range append(slices.Clone(tables), leaseTables(r, tables)...) {
			if err := save(suffixes[i], func() (*Chart, error) { return LeaseTimeline(r, t) }); err != nil {
				return err
			}
		}
	}
	for i, r := range runs {
		if err := save(suffixes[i], func() (*Chart, error) { return LatencyHeatmap(r) }); err != nil {
			return err
		}
	}
	for i, r := range runs {
		if err := save(suffixes[i], func() (*Chart, error) { return NodeLoadOverTime(r) }); err != nil {
			return err
		}
	}
	same := true
	for _, r := range runs[1:] {
		same = same && sameRTT(runs[0], r)
	}
	for i, r := range runs {
		suffix := suffixes[i]
		shown := []*scenarios.Result{r}
		if same {
			if i > 0 {
				break
			}
			suffix, shown = "", runs
		}
		if err := save(suffix, func() (*Chart, error) { return rttHeatmap(r, shown) }); err != nil {
			return err
		}
	}
	return w.index("regionsim charts · " + subtitle(runs))
}

// WriteResult writes the set's charts of one run into dir (created if
// missing) as PNG and SVG, then the index (IndexName), and returns the
// paths written, in this order, each chart PNG then SVG, the index last:
//
//	cdf-TABLE-OP        latency CDF, a line per client region (LatencyCDFByRegion)
//	dots-TABLE          p50/p99 dot plot per table (PercentileDots)
//	timeline-TABLE-OP   latency over time (LatencyOverTime)
//	leases-TABLE        lease timeline per table whose leases move (LeaseTimeline)
//	latency-heatmap     p50 and p99 by client region and table · op (LatencyHeatmap)
//	node-load           CPU utilisation and queue per node over time (NodeLoadOverTime)
//	rtt-heatmap         median RTT between regions (RTTHeatmap)
//
// ChartsAll writes a CDF and a timeline per table and op; ChartsSummary a
// CDF per table for its slowest op (highest p99), and that op's timeline
// only when the run has faults; ChartsNone nothing. Tables and ops come in
// the order of r.Stats (scenario order); TABLE and OP are the names made
// file-safe. Charts with no data are skipped. On error the paths written
// so far are returned with it. It returns an error for a nil r or a dir
// that cannot be created or written.
func WriteResult(dir string, r *scenarios.Result, set ChartSet) ([]string, error) {
	if r == nil {
		return nil, errors.New("plots: nil Result")
	}
	if set == ChartsNone {
		return nil, nil
	}
	w, err := newWriter(dir)
	if err != nil {
		return nil, err
	}
	err = w.write([]*scenarios.Result{r}, set)
	return w.paths, err
}

// WriteComparison writes the set's charts of a comparison into dir
// (created if missing) as PNG and SVG, then the index, and returns the
// paths written, each chart PNG then SVG, the index last. The CDFs (a line
// per run), dot plots and timelines (runs overlaid) show all runs together
// (cdf-TABLE-OP, dots-TABLE, timeline-TABLE-OP); with ChartsAll come also
// per run a CDF per client region (cdf-regions-TABLE-OP-RUN) and a timeline
// (timeline-TABLE-OP-RUN), RUN being e.g. "zone" or "region". Lease charts
// and latency heatmaps are per run (leases-TABLE-RUN,
// latency-heatmap-RUN); the RTT heatmap comes last, once (rtt-heatmap) if
// every run has the same regions and matrix, else per run. Charts with no
// data are skipped; a comparison without runs writes nothing. It returns
// an error for a nil c or a dir that cannot be created or written.
func WriteComparison(dir string, c *scenarios.Comparison, set ChartSet) ([]string, error) {
	if c == nil {
		return nil, errors.New("plots: nil Comparison")
	}
	if set == ChartsNone {
		return nil, nil
	}
	w, err := newWriter(dir)
	if err != nil {
		return nil, err
	}
	if len(c.Runs) == 0 {
		return nil, nil
	}
	runs := make([]*scenarios.Result, len(c.Runs))
	for i := range c.Runs {
		runs[i] = &c.Runs[i]
	}
	err = w.write(runs, set)
	return w.paths, err
}

// sameRTT reports whether a and b have the same regions and RTT matrix.
func sameRTT(a, b *scenarios.Result) bool {
	if !slices.Equal(a.Regions, b.Regions) || len(a.RTTMs) != len(b.RTTMs) || a.RTT != b.RTT {
		return false
	}
	for i := range a.RTTMs {
		if !slices.Equal(a.RTTMs[i], b.RTTMs[i]) {
			return false
		}
	}
	return true
}
