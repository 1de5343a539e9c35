package plots

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

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
		for _, t := range r.Timeline {
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

// writer saves charts into one directory and collects the paths.
type writer struct {
	dir   string
	names []string // chart names written so far
	paths []string
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
	paths, err := ch.Save(w.dir)
	w.paths = append(w.paths, paths...)
	return err
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

// perRun writes the charts that show one run at a time — latency over
// time per table and op, lease timelines per table — with suffix in the
// file names.
func (w *writer) perRun(r *scenarios.Result, tables []string, pairs []tableOp, suffix string) error {
	for _, to := range pairs {
		if err := w.save(suffix, func() (*Chart, error) { return LatencyOverTime(r, to.Table, to.Op) }); err != nil {
			return err
		}
	}
	for _, t := range append(slices.Clone(tables), leaseTables(r, tables)...) {
		if err := w.save(suffix, func() (*Chart, error) { return LeaseTimeline(r, t) }); err != nil {
			return err
		}
	}
	return nil
}

// WriteResult writes every chart of one run into dir (created if missing)
// as PNG and SVG, and returns the paths written, in this order, each chart
// PNG then SVG:
//
//	cdf-TABLE-OP        latency CDF per table and op (LatencyCDF)
//	bars-TABLE          p50/p99 bars per table (PercentileBars)
//	timeline-TABLE-OP   latency over time per table and op (LatencyOverTime)
//	leases-TABLE        lease timeline per table (LeaseTimeline)
//	rtt-heatmap         median RTT between regions (RTTHeatmap)
//
// Tables and ops come in the order of r.Stats (scenario order); TABLE and
// OP are the names made file-safe. Charts with no data — no timeline, an
// empty lease log, no RTT matrix — are skipped. On error the paths written
// so far are returned with it. It returns an error for a nil r or a dir
// that cannot be created or written.
func WriteResult(dir string, r *scenarios.Result) ([]string, error) {
	if r == nil {
		return nil, errors.New("plots: nil Result")
	}
	w, err := newWriter(dir)
	if err != nil {
		return nil, err
	}
	runs := []*scenarios.Result{r}
	tables, pairs := tablesAndOps(runs)
	if err := w.shared(runs, tables, pairs); err != nil {
		return w.paths, err
	}
	if err := w.perRun(r, tables, pairs, ""); err != nil {
		return w.paths, err
	}
	err = w.save("", func() (*Chart, error) { return RTTHeatmap(r) })
	return w.paths, err
}

// shared writes the charts that show all runs together: CDFs per table and
// op, bars per table.
func (w *writer) shared(runs []*scenarios.Result, tables []string, pairs []tableOp) error {
	for _, to := range pairs {
		if err := w.save("", func() (*Chart, error) { return LatencyCDF(runs, to.Table, to.Op) }); err != nil {
			return err
		}
	}
	for _, t := range tables {
		if err := w.save("", func() (*Chart, error) { return PercentileBars(runs, t) }); err != nil {
			return err
		}
	}
	return nil
}

// WriteComparison writes every chart of a comparison into dir (created if
// missing) as PNG and SVG and returns the paths written, each chart PNG
// then SVG. The CDFs and bars show all runs together (cdf-TABLE-OP,
// bars-TABLE); the timelines and lease timelines show one run each and
// carry the run's name (timeline-TABLE-OP-RUN, leases-TABLE-RUN, RUN being
// e.g. "zone" or "region"), all of the first run's before the second's; the
// RTT heatmap comes last, once (rtt-heatmap) if every run has the same
// regions and matrix, else per run (rtt-heatmap-RUN). Charts with no data
// are skipped; a comparison without runs writes nothing. It returns an
// error for a nil c or a dir that cannot be created or written.
func WriteComparison(dir string, c *scenarios.Comparison) ([]string, error) {
	if c == nil {
		return nil, errors.New("plots: nil Comparison")
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
	tables, pairs := tablesAndOps(runs)
	if err := w.shared(runs, tables, pairs); err != nil {
		return w.paths, err
	}
	slugs := runSlugs(runs)
	for i, r := range runs {
		if err := w.perRun(r, tables, pairs, slugs[i]); err != nil {
			return w.paths, err
		}
	}
	same := true
	for _, r := range runs[1:] {
		same = same && sameRTT(runs[0], r)
	}
	for i, r := range runs {
		suffix := slugs[i]
		if same {
			if i > 0 {
				break
			}
			suffix = ""
		}
		shown := []*scenarios.Result{r}
		if same {
			shown = runs
		}
		if err := w.save(suffix, func() (*Chart, error) { return rttHeatmap(r, shown) }); err != nil {
			return w.paths, err
		}
	}
	return w.paths, nil
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
