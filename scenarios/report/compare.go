package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// WriteComparison renders the runs of c in format f to w, in one Write.
//
// Table and Markdown print one block per run (as WriteResult does, headed by
// the run's label) and then a side-by-side section: for every table × op ×
// client region key found in any run, one line per run with its p50, p90,
// p99 and p99.9 and, for every run after the first, the difference from the
// first run (later minus first, in ms). A key a run lacks shows "-". Keys
// keep the order of the runs' Stats: the first run's order, with keys only
// later runs have inserted after the key that precedes them there.
//
// Each run's label is its survival goal, followed by every other parameter
// that differs between the runs (the --vary setting, scenario, CockroachDB version, RTT source,
// max offset, seed, simulated and warmup seconds); labels that would still
// be equal get " #N", the run's 1-based position.
//
// CSV has one row per key × run, with a run label column, the columns of
// WriteResult's CSV, and delta_p50_ms, delta_p90_ms, delta_p99_ms and
// delta_p999_ms against the first run (empty on the first run's rows and
// where either run lacks the key or counted no requests for it); a run
// lacking the key has empty count and latency cells. CSV floats are in full
// precision (the shortest decimal that parses back to the same float64);
// deltas are first rounded to the nanosecond (six decimals of a ms), the
// resolution of simulated time, so that 1.2 - 1.1 shows as 0.1 rather than
// 0.09999999999999987.
//
// JSON is a CompareDocument: the Header, the scenario's name and seeds,
// "runs": [Result, ...] normalised as in WriteResult, and c.Resolved.
// Errors are as for WriteResult.
func WriteComparison(w io.Writer, c *scenarios.Comparison, f Format) error {
	if c == nil {
		return errors.New("report: nil comparison")
	}
	var b bytes.Buffer
	switch f {
	case Table:
		writeComparisonTable(&b, c.Runs)
		for _, sk := range c.Skipped {
			fmt.Fprintf(&b, "\nskipped: %s\n", sk)
		}
		if c.Verdict != nil {
			b.WriteByte('\n')
			writeVerdictText(&b, *c.Verdict)
		}
	case CSV:
		if err := writeComparisonCSV(&b, c.Runs); err != nil {
			return err
		}
	case JSON:
		d := compareDocument(c)
		return encodeRunsJSON(w, &d, d.Runs)
	case Markdown:
		writeComparisonMarkdown(&b, c.Runs)
		for _, sk := range c.Skipped {
			fmt.Fprintf(&b, "\nSkipped: %s\n", mdEscapeLine(sk))
		}
		if c.Verdict != nil {
			b.WriteByte('\n')
			writeVerdictMarkdown(&b, *c.Verdict, 3)
		}
	default:
		return formatError(string(f))
	}
	return write(w, &b)
}

// labelField is a run parameter that can tell runs apart in a label.
type labelField struct {
	value func(r *scenarios.Result) string // the parameter, comparable
	show  func(v string) string            // how the label shows it
}

// labelFields are the parameters after survival that labels may show, in
// label order.
var labelFields = []labelField{
	{func(r *scenarios.Result) string { return r.Variant }, orDash},
	{func(r *scenarios.Result) string { return r.Scenario }, orDash},
	{func(r *scenarios.Result) string { return r.CRDBVersion }, func(v string) string { return "v" + orDash(v) }},
	{func(r *scenarios.Result) string { return r.RTT }, func(v string) string { return "rtt=" + orDash(v) }},
	{func(r *scenarios.Result) string { return fmtNum(r.MaxOffsetMs) }, func(v string) string { return "offset=" + v + "ms" }},
	{func(r *scenarios.Result) string { return fmtUint(r.Seed) }, func(v string) string { return "seed=" + v }},
	{func(r *scenarios.Result) string { return fmtNum(r.SimulatedSeconds) }, func(v string) string { return "sim=" + v + "s" }},
	{func(r *scenarios.Result) string { return fmtNum(r.WarmupSeconds) }, func(v string) string { return "warmup=" + v + "s" }},
}

// runLabels returns a short, unique label per run: its survival goal and
// every labelField whose value differs between the runs.
func runLabels(runs []scenarios.Result) []string {
	labels := make([]string, len(runs))
	for i := range runs {
		labels[i] = orDash(runs[i].Survival)
	}
	for _, f := range labelFields {
		differs := false
		for i := range runs {
			differs = differs || f.value(&runs[i]) != f.value(&runs[0])
		}
		if !differs {
			continue
		}
		for i := range runs {
			labels[i] += " " + f.show(f.value(&runs[i]))
		}
	}
	seen := map[string]int{}
	for _, l := range labels {
		seen[l]++
	}
	for i, l := range labels {
		if seen[l] > 1 {
			labels[i] = fmt.Sprintf("%s #%d", l, i+1)
		}
	}
	return labels
}

// statKey matches a Stat across runs.
type statKey struct {
	table, op, client string
}

func keyOf(s *scenarios.Stat) statKey { return statKey{s.Table, s.Op, s.ClientRegion} }

// matched is the side-by-side view of runs: the merged keys and, per run,
// each key's Stat (the first with that key in the run).
type matched struct {
	keys  []statKey
	stats []map[statKey]*scenarios.Stat
}

// match merges the keys of runs in Stats order: the first run's keys in its
// order, and each later run's new keys inserted after the key that precedes
// them in that run (at the front when none does). O(keys²), which is fine
// for the few hundred keys a scenario has.
func match(runs []scenarios.Result) matched {
	m := matched{stats: make([]map[statKey]*scenarios.Stat, len(runs))}
	for ri := range runs {
		byKey := map[statKey]*scenarios.Stat{}
		m.stats[ri] = byKey
		pos := -1 // index in m.keys after which a new key goes
		for si := range runs[ri].Stats {
			s := &runs[ri].Stats[si]
			k := keyOf(s)
			if _, dup := byKey[k]; dup {
				continue
			}
			byKey[k] = s
			if i := slices.Index(m.keys, k); i >= 0 {
				pos = i
				continue
			}
			pos++
			m.keys = slices.Insert(m.keys, pos, k)
		}
	}
	return m
}

// locality returns the locality of key k in the first run that has it.
func (m *matched) locality(k statKey) string {
	for _, byKey := range m.stats {
		if s := byKey[k]; s != nil {
			return s.Locality
		}
	}
	return ""
}

// percentiles returns the p50, p90, p99 and p99.9 of s in ms.
func percentiles(s *scenarios.Stat) [4]float64 {
	return [4]float64{s.P50Ms, s.P90Ms, s.P99Ms, s.P999Ms}
}

// deltas returns later's percentiles minus first's, and false when either is
// missing or counted no requests.
func deltas(first, later *scenarios.Stat) ([4]float64, bool) {
	if first == nil || later == nil || first.Count == 0 || later.Count == 0 {
		return [4]float64{}, false
	}
	a, b := percentiles(first), percentiles(later)
	var d [4]float64
	for i := range d {
		d[i] = b[i] - a[i]
	}
	return d, true
}

// sideBySide returns the side-by-side grid. With grouped set (plain text),
// a key's table, op and client region print on its first run's line only
// and tables are separated by a blank line; Markdown repeats them.
func sideBySide(runs []scenarios.Result, labels []string, grouped bool) *grid {
	cols := []column{
		{"table", left}, {"op", left}, {"client region", left}, {"run", left},
		{"p50 ms", right}, {"p90 ms", right}, {"p99 ms", right}, {"p99.9 ms", right},
	}
	if len(runs) > 1 {
		cols = append(cols, column{"Δp50 ms", right}, column{"Δp90 ms", right},
			column{"Δp99 ms", right}, column{"Δp99.9 ms", right})
	}
	g := &grid{cols: cols}
	m := match(runs)
	for ki, k := range m.keys {
		if grouped && ki > 0 && k.table != m.keys[ki-1].table {
			g.gap()
		}
		first := m.stats[0][k]
		for ri := range runs {
			row := []string{k.table, k.op, k.client, labels[ri]}
			if grouped && ri > 0 {
				row[0], row[1], row[2] = "", "", ""
			}
			s := m.stats[ri][k]
			if s == nil || s.Count == 0 {
				row = append(row, "-", "-", "-", "-")
			} else {
				for _, v := range percentiles(s) {
					row = append(row, fmtMs(v))
				}
			}
			if len(runs) > 1 {
				d, ok := deltas(first, s)
				switch {
				case ri == 0:
					row = append(row, "", "", "", "")
				case !ok:
					row = append(row, "-", "-", "-", "-")
				default:
					for _, v := range d {
						row = append(row, fmtDelta(v))
					}
				}
			}
			g.add(row...)
		}
	}
	return g
}

// scenarioNames returns the distinct scenario names of runs in order.
func scenarioNames(runs []scenarios.Result) string {
	var names []string
	for i := range runs {
		if n := orDash(runs[i].Scenario); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

// deltaNote explains the delta columns.
func deltaNote(labels []string) string {
	if len(labels) < 2 {
		return "latencies in ms"
	}
	return fmt.Sprintf("latencies in ms, Δ = run minus run 1 (%s)", labels[0])
}

func writeComparisonTable(b *bytes.Buffer, runs []scenarios.Result) {
	if len(runs) == 0 {
		b.WriteString("comparison of 0 runs\n")
		return
	}
	labels := runLabels(runs)
	fmt.Fprintf(b, "comparison of %s of %s: %s\n", plural(len(runs), "run"),
		scenarioNames(runs), strings.Join(labels, " | "))
	for i := range runs {
		fmt.Fprintf(b, "\n== run %d of %d: %s ==\n\n", i+1, len(runs), labels[i])
		writeResultTable(b, &runs[i])
	}
	fmt.Fprintf(b, "\n== side by side: %s ==\n\n", deltaNote(labels))
	g := sideBySide(runs, labels, true)
	if len(g.rows) == 0 {
		b.WriteString("no requests measured\n")
		return
	}
	g.writeText(b)
	for i := range runs {
		if n := len(underReplicatedWarnings(&runs[i])); n > 0 {
			fmt.Fprintf(b, "warning: %s: %s under-replicated (see run %d): it runs with the replicas placed, not the ones it asks for\n", labels[i], plural(n, "table"), i+1)
		}
	}
	writeCostTable(b, runs, labels)
}

func writeComparisonMarkdown(b *bytes.Buffer, runs []scenarios.Result) {
	if len(runs) == 0 {
		b.WriteString("## Comparison of 0 runs\n")
		return
	}
	labels := runLabels(runs)
	fmt.Fprintf(b, "## Comparison of %s\n\n", mdEscapeLine(scenarioNames(runs)))
	fmt.Fprintf(b, "%s: %s.\n", capitalise(plural(len(runs), "run")), mdEscapeLine(strings.Join(labels, ", ")))
	for i := range runs {
		b.WriteByte('\n')
		writeResultMarkdown(b, &runs[i], 3, fmt.Sprintf("Run %d: %s", i+1, labels[i]))
	}
	b.WriteString("\n### Side by side\n\n")
	fmt.Fprintf(b, "%s.\n\n", mdEscapeLine(capitalise(deltaNote(labels))))
	g := sideBySide(runs, labels, false)
	if len(g.rows) == 0 {
		b.WriteString("No requests measured.\n")
		return
	}
	g.writeMarkdown(b)
	writeCostMarkdown(b, runs, labels, 3)
}

// comparisonCSVHeader returns the CSV header of WriteComparison.
func comparisonCSVHeader() []string {
	h := append([]string{"run"}, resultCSVHeader...)
	return append(h, "delta_p50_ms", "delta_p90_ms", "delta_p99_ms", "delta_p999_ms")
}

func writeComparisonCSV(b *bytes.Buffer, runs []scenarios.Result) error {
	labels := runLabels(runs)
	m := match(runs)
	cw := csv.NewWriter(b)
	_ = cw.Write(comparisonCSVHeader()) // errors are kept by cw and read at the end
	for _, k := range m.keys {
		first := m.stats[0][k]
		for ri := range runs {
			r := &runs[ri]
			s := m.stats[ri][k]
			row := []string{labels[ri], r.Scenario, fmtUint(r.Seed), r.Survival, r.CRDBVersion,
				k.table, m.locality(k), k.op, k.client}
			if s == nil {
				row = append(row, make([]string, len(resultCSVHeader)-8)...) // the stat cells
			} else {
				row = append(row, statCells(s)...)
			}
			if d, ok := deltas(first, s); ok && ri > 0 {
				for _, v := range d {
					row = append(row, fmtFull(math.Round(v*1e6)/1e6))
				}
			} else {
				row = append(row, "", "", "", "")
			}
			_ = cw.Write(row)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}
