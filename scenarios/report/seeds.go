package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// Document kinds of runs over several seeds (run --seeds, compare
// --seeds).
const (
	KindSeeds        = "seeds"
	KindCompareSeeds = "compare-seeds"
)

// SeedsDocument is the JSON of `regionsim run --seeds N` with N > 1: the
// Header, the summary over the seeds (pooled stats with confidence
// intervals), every seed's run, and the scenario run.
type SeedsDocument struct {
	Header
	scenarios.SeedSummary
	// Runs are the seeds' results, in seed order, each as in a run
	// document (with its latency histograms, which pool exactly).
	Runs []scenarios.Result `json:"runs"`
	// ResolvedScenario is the scenario run, with the first seed.
	ResolvedScenario *scenarios.Scenario `json:"resolved_scenario"`
}

// SeedComparison is `regionsim compare --seeds N`: each configuration
// over the same seeds, and the difference of the second from the first
// with paired intervals.
type SeedComparison struct {
	// Configs summarise each configuration (ZONE, then REGION survival).
	Configs []scenarios.SeedSummary `json:"configs"`
	// Deltas are the last configuration minus the first, per table × op
	// × client region and percentile, paired by seed.
	Deltas []scenarios.SeedDelta `json:"deltas"`
	// Skipped says why a configuration was left out.
	Skipped []string `json:"skipped"`
	// Runs are every configuration's results, configuration-major, then
	// in seed order.
	Runs []scenarios.Result `json:"runs"`
	// Resolved is the scenario compared (not serialised here; the
	// document carries it as resolved_scenario).
	Resolved *scenarios.Scenario `json:"-"`
}

// CompareSeedsDocument is the JSON of `regionsim compare --seeds N`.
type CompareSeedsDocument struct {
	Header
	// Scenario names the scenario compared.
	Scenario string `json:"scenario"`
	// Seeds are the seeds every configuration ran.
	Seeds []uint64 `json:"seeds"`
	SeedComparison
	// ResolvedScenario is the scenario compared, as in CompareDocument.
	ResolvedScenario *scenarios.Scenario `json:"resolved_scenario"`
}

// seedsNote explains the ± of the seed tables.
func seedsNote(conf float64, seeds int) string {
	return fmt.Sprintf("Values are of every seed's requests together (histograms merged). ± is the half-width of the %s confidence interval of the mean of the %d seeds' values (Student t over independent replications; docs/output.md); a value without one had too few requests in some seed for its percentile (p99 needs %d, p99.9 %d).",
		pct(conf), seeds, scenarios.MinRequestsFor(0.99), scenarios.MinRequestsFor(0.999))
}

func pct(conf float64) string { return strconv.FormatFloat(conf*100, 'f', -1, 64) + " %" }

// fmtCI formats a value with its interval's half-width: "62.92 ± 0.05",
// or the value alone without an interval.
func fmtCI(v float64, iv *scenarios.Interval, format func(float64) string) string {
	if iv == nil {
		return format(v)
	}
	return format(v) + " ± " + fmtHalf(iv.HalfWidth())
}

// fmtHalf formats a half-width to two significant decimals' worth: "0.05",
// "1.2", "13".
func fmtHalf(h float64) string {
	switch {
	case h >= 10:
		return strconv.FormatFloat(h, 'f', 0, 64)
	case h >= 1:
		return strconv.FormatFloat(h, 'f', 1, 64)
	}
	return strconv.FormatFloat(h, 'f', 2, 64)
}

func seedsParams(s *scenarios.SeedSummary) [][2]string {
	kv := [][2]string{{"scenario", orDash(s.Scenario)}, {"survival", orDash(s.Survival)}}
	if s.Variant != "" {
		kv = append(kv, [2]string{"variant", s.Variant})
	}
	return append(kv, [2]string{"seeds", seedList(s.Seeds)}, [2]string{"confidence", pct(s.Confidence)})
}

// seedList formats seeds: "1–8 (8 runs)" when consecutive, else listed.
func seedList(seeds []uint64) string {
	if len(seeds) == 0 {
		return "-"
	}
	consecutive := true
	for i := 1; i < len(seeds); i++ {
		consecutive = consecutive && seeds[i] == seeds[i-1]+1
	}
	if consecutive && len(seeds) > 2 {
		return fmt.Sprintf("%d–%d (%d runs)", seeds[0], seeds[len(seeds)-1], len(seeds))
	}
	parts := make([]string, len(seeds))
	for i, s := range seeds {
		parts[i] = fmtUint(s)
	}
	return strings.Join(parts, ", ")
}

// seedsGrid is the pooled stats with intervals.
func seedsGrid(s *scenarios.SeedSummary) *grid {
	g := &grid{cols: []column{
		{"table", left}, {"locality", left}, {"op", left}, {"client region", left},
		{"count", right}, {"errors", right}, {"mean ms", right}, {"p50 ms", right},
		{"p90 ms", right}, {"p99 ms", right}, {"p99.9 ms", right},
	}}
	for i, st := range s.Stats {
		if i > 0 && st.Table != s.Stats[i-1].Table {
			g.gap()
		}
		g.add(st.Table, st.Locality, st.Op, st.ClientRegion, fmtUint(st.Count), fmtUint(st.Errors),
			fmtCI(st.MeanMs, st.MeanCI, fmtMs), fmtCI(st.P50Ms, st.P50CI, fmtMs), fmtCI(st.P90Ms, st.P90CI, fmtMs),
			fmtCI(st.P99Ms, st.P99CI, fmtMs), fmtCI(st.P999Ms, st.P999CI, fmtMs))
	}
	return g
}

// seedFaultsGrid is each fault's outage and errors with intervals; ok is
// false without faults.
func seedFaultsGrid(s *scenarios.SeedSummary) (*grid, bool) {
	if len(s.Faults) == 0 {
		return nil, false
	}
	g := &grid{cols: []column{{"fault", left}, {"locality", left}, {"max unavail s", right}, {"errors", right}}}
	for _, f := range s.Faults {
		g.add(f.Fault, f.Locality, fmtCI(f.MaxUnavailableS, f.MaxUnavailableCI, fmtSec),
			fmtCI(f.Errors, f.ErrorsCI, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }))
	}
	return g, true
}

// WriteSeeds renders a summary over seeds in format f to w, in one Write
// (but JSON whose runs list many lease events, as WriteResult):
// the pooled stats with the half-width of each interval (Table, Markdown),
// every value with its interval's bounds (CSV, one row per table × op ×
// client region), or a SeedsDocument with runs (JSON). Errors are as for
// WriteResult.
func WriteSeeds(w io.Writer, s *scenarios.SeedSummary, runs []*scenarios.Result, resolved *scenarios.Scenario, f Format) error {
	if s == nil {
		return errors.New("report: nil seed summary")
	}
	var b bytes.Buffer
	switch f {
	case Table, Markdown:
		writeSeedsText(&b, s, f == Markdown, 2)
	case CSV:
		if err := writeSeedsCSV(&b, []scenarios.SeedSummary{*s}); err != nil {
			return err
		}
	case JSON:
		d := SeedsDocument{Header: header(KindSeeds), SeedSummary: *s, Runs: normalisedRuns(runs), ResolvedScenario: resolved}
		return encodeRunsJSON(w, &d, d.Runs)
	default:
		return formatError(string(f))
	}
	return write(w, &b)
}

func normalisedRuns(runs []*scenarios.Result) []scenarios.Result {
	out := make([]scenarios.Result, len(runs))
	for i, r := range runs {
		out[i] = normalised(r)
	}
	return out
}

// writeSeedsText writes one summary as text or Markdown (level: the
// Markdown heading level).
func writeSeedsText(b *bytes.Buffer, s *scenarios.SeedSummary, md bool, level int) {
	g := seedsGrid(s)
	fg, faults := seedFaultsGrid(s)
	note := seedsNote(s.Confidence, len(s.Seeds))
	if !md {
		writeKV(b, seedsParams(s))
		b.WriteByte('\n')
		g.writeText(b)
		if faults {
			b.WriteString("\nfaults, per table locality:\n")
			fg.writeText(b)
		}
		b.WriteString("\n" + note + "\n")
		return
	}
	fmt.Fprintf(b, "%s %s\n\n", strings.Repeat("#", level), mdEscapeLine(fmt.Sprintf("%s · %s · %d seeds", orDash(s.Scenario), configLabel(*s), len(s.Seeds))))
	for _, kv := range seedsParams(s)[len(seedsParams(s))-2:] {
		fmt.Fprintf(b, "- %s: %s\n", kv[0], mdEscapeLine(kv[1]))
	}
	b.WriteByte('\n')
	g.writeMarkdown(b)
	if faults {
		b.WriteString("\nFaults, per table locality:\n\n")
		fg.writeMarkdown(b)
	}
	b.WriteString("\n" + mdEscapeLine(note) + "\n")
}

// writeSeedsCSV writes one row per summary × table × op × client region:
// the pooled values and every interval's bounds (empty without one).
func writeSeedsCSV(b *bytes.Buffer, sums []scenarios.SeedSummary) error {
	cw := csv.NewWriter(b)
	head := []string{"scenario", "survival", "seeds", "confidence", "table", "locality", "op", "client_region", "runs", "count", "errors"}
	for _, p := range []string{"mean", "p50", "p90", "p99", "p999"} {
		head = append(head, p+"_ms", p+"_ci_lo_ms", p+"_ci_hi_ms")
	}
	_ = cw.Write(head)
	for _, s := range sums {
		for _, st := range s.Stats {
			row := []string{s.Scenario, s.Survival, strconv.Itoa(len(s.Seeds)), fmtFull(s.Confidence),
				st.Table, st.Locality, st.Op, st.ClientRegion, strconv.Itoa(st.Runs), fmtUint(st.Count), fmtUint(st.Errors)}
			for _, p := range []struct {
				v  float64
				iv *scenarios.Interval
			}{{st.MeanMs, st.MeanCI}, {st.P50Ms, st.P50CI}, {st.P90Ms, st.P90CI}, {st.P99Ms, st.P99CI}, {st.P999Ms, st.P999CI}} {
				lo, hi := "", ""
				if p.iv != nil {
					lo, hi = fmtFull(p.iv.Lo), fmtFull(p.iv.Hi)
				}
				row = append(row, fmtFull(p.v), lo, hi)
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

// WriteSeedComparison renders a comparison over seeds in format f to w, in
// one Write (but JSON whose runs list many lease events, as WriteResult):
// each configuration's summary, then the difference of the
// last from the first per table × op × client region at p50 and p99 with
// its paired interval ("no difference" when the interval holds zero), and
// how much wider the intervals would be without common random numbers.
// CSV has one row per delta; JSON is a CompareSeedsDocument.
func WriteSeedComparison(w io.Writer, c *SeedComparison, f Format) error {
	if c == nil {
		return errors.New("report: nil seed comparison")
	}
	var b bytes.Buffer
	switch f {
	case Table, Markdown:
		md := f == Markdown
		for i := range c.Configs {
			if i > 0 && !md {
				b.WriteString("\n")
			}
			writeSeedsText(&b, &c.Configs[i], md, 2)
			if md {
				b.WriteByte('\n')
			}
		}
		for _, s := range c.Skipped {
			fmt.Fprintf(&b, "\nskipped: %s\n", s)
		}
		if len(c.Configs) > 1 {
			writeDeltasText(&b, c, md)
		}
	case CSV:
		if err := writeDeltasCSV(&b, c); err != nil {
			return err
		}
	case JSON:
		d := CompareSeedsDocument{Header: header(KindCompareSeeds), Seeds: []uint64{}, SeedComparison: *c, ResolvedScenario: c.Resolved}
		if d.Skipped == nil {
			d.Skipped = []string{}
		}
		if len(c.Configs) > 0 {
			d.Scenario, d.Seeds = c.Configs[0].Scenario, c.Configs[0].Seeds
		}
		d.Runs = slices.Clone(c.Runs) // the document's own: its lease lists are spliced
		return encodeRunsJSON(w, &d, d.Runs)
	default:
		return formatError(string(f))
	}
	return write(w, &b)
}

// deltaCell formats a delta for the table: "+62.92 ± 0.05", or "no
// difference (± 0.02)" when the interval holds zero.
func deltaCell(d scenarios.SeedDelta) string {
	if d.CI == nil {
		return fmtDelta(d.DeltaMs)
	}
	if !d.Significant() {
		return "no difference (± " + fmtHalf(d.CI.HalfWidth()) + ")"
	}
	return fmtDelta(d.DeltaMs) + " ± " + fmtHalf(d.CI.HalfWidth())
}

// configLabel names a configuration: "REGION", "ZONE voters=5".
func configLabel(s scenarios.SeedSummary) string {
	l := strings.ToUpper(orDash(s.Survival))
	if s.Variant != "" {
		l += " " + s.Variant
	}
	return l
}

func writeDeltasText(b *bytes.Buffer, c *SeedComparison, md bool) {
	first, last := c.Configs[0], c.Configs[len(c.Configs)-1]
	name := configLabel(last) + " − " + configLabel(first)
	g := &grid{cols: []column{{"table", left}, {"op", left}, {"client region", left}, {"p50 Δ ms", right}, {"p99 Δ ms", right}}}
	type row struct{ p50, p99 *scenarios.SeedDelta }
	var keys []string
	rows := map[string]*row{}
	var ratios []float64
	for i := range c.Deltas {
		d := &c.Deltas[i]
		k := d.Table + "\x00" + d.Op + "\x00" + d.ClientRegion
		if rows[k] == nil {
			rows[k] = &row{}
			keys = append(keys, k)
		}
		switch d.Percentile {
		case "p50":
			rows[k].p50 = d
		case "p99":
			rows[k].p99 = d
		}
		if d.CI != nil && d.UnpairedCI != nil && d.CI.HalfWidth() > 0 {
			ratios = append(ratios, d.UnpairedCI.HalfWidth()/d.CI.HalfWidth())
		}
	}
	prev := ""
	for _, k := range keys {
		r := rows[k]
		if r.p50 == nil || r.p99 == nil {
			continue
		}
		if prev != "" && r.p50.Table != prev {
			g.gap()
		}
		prev = r.p50.Table
		g.add(r.p50.Table, r.p50.Op, r.p50.ClientRegion, deltaCell(*r.p50), deltaCell(*r.p99))
	}
	note := fmt.Sprintf("Δ is %s, the mean over the seeds of each seed's difference; ± is the half-width of its paired %s interval: both configurations ran the same seeds, so the same arrivals (common random numbers).",
		name, pct(first.Confidence))
	if len(ratios) > 0 {
		slices.Sort(ratios)
		note += fmt.Sprintf(" Unpaired, the median interval would be %.1f× as wide.", ratios[len(ratios)/2])
	}
	note += fmt.Sprintf(" With many rows, about one in %.0f shows a difference by chance.", 1/(1-first.Confidence))
	if md {
		fmt.Fprintf(b, "## %s\n\n", mdEscapeLine(name+", per table, op and client region"))
		g.writeMarkdown(b)
		b.WriteString("\n" + mdEscapeLine(note) + "\n")
		return
	}
	fmt.Fprintf(b, "\n%s, per table, op and client region:\n", name)
	g.writeText(b)
	b.WriteString("\n" + note + "\n")
}

func writeDeltasCSV(b *bytes.Buffer, c *SeedComparison) error {
	cw := csv.NewWriter(b)
	_ = cw.Write([]string{"scenario", "from", "to", "seeds", "confidence", "table", "op", "client_region", "percentile",
		"runs", "delta_ms", "ci_lo_ms", "ci_hi_ms", "unpaired_ci_lo_ms", "unpaired_ci_hi_ms", "significant"})
	if len(c.Configs) > 1 {
		first, last := c.Configs[0], c.Configs[len(c.Configs)-1]
		bounds := func(iv *scenarios.Interval) (string, string) {
			if iv == nil {
				return "", ""
			}
			return fmtFull(iv.Lo), fmtFull(iv.Hi)
		}
		for _, d := range c.Deltas {
			lo, hi := bounds(d.CI)
			ulo, uhi := bounds(d.UnpairedCI)
			_ = cw.Write([]string{first.Scenario, configLabel(first), configLabel(last), strconv.Itoa(len(first.Seeds)), fmtFull(first.Confidence),
				d.Table, d.Op, d.ClientRegion, d.Percentile, strconv.Itoa(d.Runs), fmtFull(d.DeltaMs), lo, hi, ulo, uhi,
				strconv.FormatBool(d.Significant())})
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

// SeedsFiles returns the files of `run --seeds` output set: result.json
// (the SeedsDocument), stats.csv (WriteSeeds' CSV), the per-seed CSV
// tables of ResultCSVs (every seed's rows, led by its seed), and
// scenario.yaml.
func SeedsFiles(s *scenarios.SeedSummary, runs []*scenarios.Result, resolved *scenarios.Scenario) []File {
	files := []File{
		{"result.json", func(w io.Writer) error { return WriteSeeds(w, s, runs, resolved, JSON) }},
		{"stats.csv", func(w io.Writer) error { return WriteSeeds(w, s, runs, resolved, CSV) }},
	}
	flat := make([]scenarios.Result, len(runs))
	for i, r := range runs {
		flat[i] = *r
	}
	for _, t := range ResultCSVs {
		files = append(files, File{t.Name, func(w io.Writer) error { return writeTable(w, t, flat, nil) }})
	}
	files = append(files, histogramsFile(flat))
	return appendScenarioFile(files, resolved)
}

// SeedComparisonFiles returns the files of `compare --seeds`: result.json
// (the CompareSeedsDocument), stats.csv (every configuration's pooled
// stats with intervals), deltas.csv (WriteSeedComparison's CSV) and
// scenario.yaml.
func SeedComparisonFiles(c *SeedComparison) []File {
	files := []File{
		{"result.json", func(w io.Writer) error { return WriteSeedComparison(w, c, JSON) }},
		{"stats.csv", func(w io.Writer) error {
			var b bytes.Buffer
			if err := writeSeedsCSV(&b, c.Configs); err != nil {
				return err
			}
			return write(w, &b)
		}},
		{"deltas.csv", func(w io.Writer) error { return WriteSeedComparison(w, c, CSV) }},
		histogramsFile(c.Runs),
	}
	return appendScenarioFile(files, c.Resolved)
}
