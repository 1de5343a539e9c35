package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/sim/stats"
)

// File is one file of an output set (the CLI's --out): its name and how
// to write it. Write renders in memory and writes once, like WriteResult
// (whose JSON with a long lease list goes out in several writes).
type File struct {
	Name  string
	Write func(w io.Writer) error
}

// ResultFiles returns the files of a run's output set, in this order:
// result.json (the RunDocument), stats.csv (WriteResult's CSV), one CSV per
// entry of ResultCSVs (faults.csv, unavailability.csv, impact.csv,
// timeline.csv, timeline_completed.csv), histograms.jsonl (WriteHistograms)
// and scenario.yaml (r.Resolved as a scenario file) when r has a resolved
// scenario. The CSV tables are written even when empty (a header only), so
// a set always has the same files.
func ResultFiles(r *scenarios.Result) []File {
	files := []File{
		{"result.json", func(w io.Writer) error { return WriteResult(w, r, JSON) }},
		{"stats.csv", func(w io.Writer) error { return WriteResult(w, r, CSV) }},
	}
	for _, t := range ResultCSVs {
		files = append(files, File{t.Name, func(w io.Writer) error {
			return writeTable(w, t, []scenarios.Result{*r}, nil)
		}})
	}
	files = append(files, histogramsFile([]scenarios.Result{*r}))
	return appendScenarioFile(files, r.Resolved)
}

// ComparisonFiles returns the files of a comparison's output set: as
// ResultFiles, with every run's rows in each CSV, led by the run's label
// (a "run" column, as in WriteComparison's CSV), and scenario.yaml for
// c.Resolved.
func ComparisonFiles(c *scenarios.Comparison) []File {
	files := []File{
		{"result.json", func(w io.Writer) error { return WriteComparison(w, c, JSON) }},
		{"stats.csv", func(w io.Writer) error { return WriteComparison(w, c, CSV) }},
	}
	labels := runLabels(c.Runs)
	for _, t := range ResultCSVs {
		files = append(files, File{t.Name, func(w io.Writer) error {
			return writeTable(w, t, c.Runs, labels)
		}})
	}
	files = append(files, histogramsFile(c.Runs))
	return appendScenarioFile(files, c.Resolved)
}

// SweepFiles returns the files of a sweep's output set: sweep.json (the
// SweepDocument), sweep.csv, and scenario.yaml for r.Resolved.
func SweepFiles(r *scenarios.SweepResult) []File {
	files := []File{
		{"sweep.json", func(w io.Writer) error { return WriteSweep(w, r, JSON) }},
		{"sweep.csv", func(w io.Writer) error { return WriteSweep(w, r, CSV) }},
	}
	return appendScenarioFile(files, r.Resolved)
}

// appendScenarioFile adds scenario.yaml for s, if not nil.
func appendScenarioFile(files []File, s *scenarios.Scenario) []File {
	if s == nil {
		return files
	}
	return append(files, File{"scenario.yaml", func(w io.Writer) error { return WriteScenario(w, s) }})
}

// WriteScenario writes s as a YAML scenario file (scenarios.Scenario.YAML)
// under a comment saying what it is, in one Write: `regionsim
// run` of the file repeats the run it came from.
func WriteScenario(w io.Writer, s *scenarios.Scenario) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The scenario %q as regionsim %s ran it: flags and defaults applied.\n", s.Name, ToolVersion())
	b.WriteString("# `regionsim run` of this file repeats the run (seed included).\n")
	y, err := s.YAML()
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	b.Write(y)
	return write(w, &b)
}

// CSVTable is one CSV table of a run's output set beyond stats.csv: the file
// name, the header (every measured column names its unit: _s seconds since
// the start of the run or a length in seconds, _ms milliseconds) and the
// rows of one run. Every row starts with the run's scenario, seed and
// survival goal. Adding a CSV to the set is adding a Table to
// ResultCSVs.
type CSVTable struct {
	Name   string
	Header []string
	Rows   func(r *scenarios.Result) [][]string
}

// ResultCSVs are the CSV tables of a run's output set, in file order.
var ResultCSVs = []CSVTable{
	{
		// The fault summary: Result.FaultImpacts.
		Name: "faults.csv",
		Header: []string{"fault", "start_s", "end_s", "locality", "tables", "ranges",
			"ranges_unavailable", "max_unavailable_s", "p99_unavailable_s", "requests", "errors",
			"after_failover_s", "write_count", "write_p50_ms", "write_p99_ms",
			"read_count", "read_p50_ms", "read_p99_ms"},
		Rows: faultRows,
	},
	{
		// Every range's loss of service: Result.Unavailability.
		Name:   "unavailability.csv",
		Header: []string{"fault", "table", "range", "start_s", "end_s", "duration_s", "phases_s"},
		Rows:   unavailabilityRows,
	},
	{
		// What each fault did to each table × op × client region, as
		// those clients saw it: Result.Impact.
		Name: "impact.csv",
		Header: []string{"fault", "start_s", "end_s", "table", "locality", "op", "client_region",
			"requests", "errors", "slow", "unavailable_s", "unavailable_from_s", "unavailable_range",
			"ranges_unavailable", "after_failover_s", "during_count", "during_p50_ms", "during_p99_ms",
			"after_count", "after_p50_ms", "after_p99_ms"},
		Rows: impactRows,
	},
	{
		// Counts and latencies per interval: Result.Timeline.
		Name: "timeline.csv",
		Header: []string{"t_s", "interval_s", "table", "op", "client_region",
			"count", "errors", "ambiguous", "p50_ms", "p99_ms"},
		Rows: func(r *scenarios.Result) [][]string { return timelineRows(r, r.Timeline) },
	},
	{
		// The same requests by the interval they completed in:
		// Result.TimelineCompleted.
		Name: "timeline_completed.csv",
		Header: []string{"t_s", "interval_s", "table", "op", "client_region",
			"count", "errors", "ambiguous", "p50_ms", "p99_ms"},
		Rows: func(r *scenarios.Result) [][]string { return timelineRows(r, r.TimelineCompleted) },
	},
	{
		// Bytes per region pair (scope region) and per pair of zones of
		// one region (scope zone), and their cost: Result.Traffic.
		Name: "traffic.csv",
		Header: []string{"scope", "from", "to", "bytes", "bytes_per_s", "messages", "raft_bytes", "kv_bytes",
			"closedts_bytes", "snapshot_bytes", "client_bytes", "provider", "usd_per_gb", "usd_per_month"},
		Rows: trafficRows,
	},
}

// runColumns lead every row of a CSVTable.
var runColumns = []string{"scenario", "seed", "survival"}

// writeTable writes t's header and the rows of every run, each row led by
// runColumns and, with labels, by the run's label (a "run" column).
func writeTable(w io.Writer, t CSVTable, runs []scenarios.Result, labels []string) error {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	head := slices.Concat(runColumns, t.Header)
	if labels != nil {
		head = append([]string{"run"}, head...)
	}
	_ = cw.Write(head) // errors are kept by cw and read at the end
	for i := range runs {
		r := &runs[i]
		lead := []string{r.Scenario, fmtUint(r.Seed), r.Survival}
		if labels != nil {
			lead = append([]string{labels[i]}, lead...)
		}
		for _, row := range t.Rows(r) {
			_ = cw.Write(slices.Concat(lead, row))
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv %s: %w", t.Name, err)
	}
	return write(w, &b)
}

func faultRows(r *scenarios.Result) [][]string {
	var rows [][]string
	for _, im := range r.FaultImpacts() {
		rows = append(rows, []string{
			im.Fault, fmtFull(im.StartS), fmtFull(im.EndS), im.Locality, strings.Join(im.Tables, " "),
			fmt.Sprint(im.Ranges), fmt.Sprint(im.RangesUnavailable),
			fmtNs(im.MaxUnavailableS), fmtNs(im.P99UnavailableS), fmtUint(im.Requests), fmtUint(im.Errors),
			fmtFull(im.AfterS), fmtUint(im.WriteCount), fmtFull(im.WriteP50Ms), fmtFull(im.WriteP99Ms),
			fmtUint(im.ReadCount), fmtFull(im.ReadP50Ms), fmtFull(im.ReadP99Ms),
		})
	}
	return rows
}

func unavailabilityRows(r *scenarios.Result) [][]string {
	rows := make([][]string, 0, len(r.Unavailability))
	for _, u := range r.Unavailability {
		rows = append(rows, []string{
			u.Fault, u.Table, fmt.Sprint(u.Range), fmtFull(u.StartS), fmtFull(u.EndS),
			fmtNs(u.EndS - u.StartS), phaseCell(u.Phases, u.PhaseOrder),
		})
	}
	return rows
}

// phaseCell lists the phases in the order they came (as fmtPhases does),
// "name=seconds" separated by ";", seconds to the nanosecond:
// "liveness=2;detect=3.1".
func phaseCell(p map[string]float64, order []string) string {
	if len(order) == 0 {
		order = phaseOrder
	}
	var names []string
	for _, k := range order {
		if _, ok := p[k]; ok && !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	for _, k := range sortedKeys(p) {
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + fmtNs(p[k])
	}
	return strings.Join(parts, ";")
}

func impactRows(r *scenarios.Result) [][]string {
	rows := make([][]string, 0, len(r.Impact))
	for _, c := range r.Impact {
		rows = append(rows, []string{
			c.Fault, fmtFull(c.StartS), fmtFull(c.EndS), c.Table, c.Locality, c.Op, c.ClientRegion,
			fmtUint(c.Requests), fmtUint(c.Errors), fmtUint(c.Slow),
			fmtNs(c.UnavailableS), fmtFull(c.UnavailableFromS), fmt.Sprint(c.UnavailableRange),
			fmt.Sprint(c.RangesUnavailable), fmtFull(c.AfterS),
			fmtUint(c.During.Count), fmtFull(c.During.P50Ms), fmtFull(c.During.P99Ms),
			fmtUint(c.After.Count), fmtFull(c.After.P50Ms), fmtFull(c.After.P99Ms),
		})
	}
	return rows
}

func timelineRows(r *scenarios.Result, pts []scenarios.TimelinePoint) [][]string {
	rows := make([][]string, 0, len(pts))
	for _, p := range pts {
		rows = append(rows, []string{
			fmtFull(p.TS), fmtFull(r.TimelineSeconds), p.Table, p.Op, p.ClientRegion,
			fmtUint(p.Count), fmtUint(p.Errors), fmtUint(p.Ambiguous), fmtFull(p.P50Ms), fmtFull(p.P99Ms),
		})
	}
	return rows
}

// fmtNs formats seconds computed from simulated times (a difference, a sum
// of differences) rounded to the nanosecond, the resolution of simulated
// time, so that 5.7286 s does not print as 5.728600000000003.
func fmtNs(v float64) string { return fmtFull(math.Round(v*1e9) / 1e9) }

// HistogramLine is one line of histograms.jsonl: one run's latency
// histogram of one table × op × client region, in the exactly mergeable
// form of stats[].histogram (stats.HistogramJSON).
type HistogramLine struct {
	Scenario     string           `json:"scenario"`
	Seed         uint64           `json:"seed"`
	Survival     string           `json:"survival"`
	Variant      string           `json:"variant,omitempty"`
	Table        string           `json:"table"`
	Op           string           `json:"op"`
	ClientRegion string           `json:"client_region"`
	Histogram    *stats.Histogram `json:"histogram"`
}

// WriteHistograms writes every stat's histogram of runs as JSON lines
// (HistogramLine), run by run in Stats order, in one Write: a sidecar a
// notebook streams to redraw CDFs or merge runs without reading the whole
// result.
func WriteHistograms(w io.Writer, runs []scenarios.Result) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for i := range runs {
		r := &runs[i]
		for _, st := range r.Stats {
			if st.Latency == nil {
				continue
			}
			if err := enc.Encode(HistogramLine{Scenario: r.Scenario, Seed: r.Seed, Survival: r.Survival, Variant: r.Variant,
				Table: st.Table, Op: st.Op, ClientRegion: st.ClientRegion, Histogram: st.Latency}); err != nil {
				return fmt.Errorf("report: json: %w", err)
			}
		}
	}
	return write(w, &b)
}

// histogramsFile is histograms.jsonl of runs.
func histogramsFile(runs []scenarios.Result) File {
	return File{"histograms.jsonl", func(w io.Writer) error { return WriteHistograms(w, runs) }}
}
