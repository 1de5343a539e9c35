package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/advise"
)

// KindAdvise is the Header.Kind of an AdviseDocument.
const KindAdvise = "advise"

// AdviseDocument is the JSON of `regionsim advise --format json`: the
// Header, every field of the advise.Result, and the scenario advised on.
type AdviseDocument struct {
	Header
	advise.Result
	// ResolvedScenario is the scenario as given, after flags and
	// defaults, as a scenario file; each candidate changes its database
	// and its tables' localities (Candidate.Config).
	ResolvedScenario *scenarios.Scenario `json:"resolved_scenario"`
}

// WriteAdvice writes r in format f: for table and Markdown, a summary of
// the search, the ranked candidates (one column per SLO with its margin:
// how far the worst figure is inside the bound, negative when it misses,
// a * when the closed form's floor decided it), the details of the SLOs of
// the top candidates and of those that miss, and the refusals; CSV has
// one row per candidate and SLO; JSON is an AdviseDocument (resolved is
// the scenario advised on).
func WriteAdvice(w io.Writer, r *advise.Result, resolved *scenarios.Scenario, f Format) error {
	if r == nil {
		return errors.New("report: nil advice")
	}
	var b bytes.Buffer
	switch f {
	case Table:
		writeKV(&b, adviceParams(r))
		b.WriteByte('\n')
		adviceGrid(r).writeText(&b)
		b.WriteByte('\n')
		for _, l := range adviceDetails(r) {
			b.WriteString(l + "\n")
		}
	case Markdown:
		fmt.Fprintf(&b, "## %s\n\n", mdEscapeLine("Advice for "+orDash(r.Scenario)))
		for _, kv := range adviceParams(r)[1:] {
			fmt.Fprintf(&b, "- %s: %s\n", kv[0], mdEscapeLine(kv[1]))
		}
		b.WriteByte('\n')
		adviceGrid(r).writeMarkdown(&b)
		b.WriteByte('\n')
		list := false
		for _, l := range adviceDetails(r) {
			if strings.HasPrefix(l, "  ") {
				b.WriteString("- " + mdEscapeLine(strings.TrimSpace(l)) + "\n")
				list = true
				continue
			}
			if list {
				b.WriteByte('\n')
			}
			b.WriteString(mdEscapeLine(l) + "\n\n")
			list = false
		}
	case CSV:
		if err := writeAdviceCSV(&b, r); err != nil {
			return err
		}
	case JSON:
		doc := AdviseDocument{Header: header(KindAdvise), Result: *r, ResolvedScenario: resolved}
		if doc.Candidates == nil {
			doc.Candidates = []advise.Candidate{}
		}
		return encodeJSON(w, doc, true)
	default:
		return formatError(string(f))
	}
	return write(w, &b)
}

// adviceParams is the header block: what was searched and how.
func adviceParams(r *advise.Result) [][2]string {
	kv := [][2]string{
		{"advise", r.Scenario},
		{"SLOs", strings.Join(r.SLOs, ", ")},
		{"design space", fmt.Sprintf("%d configurations: %d refused (by CockroachDB or the cluster's size), %d pruned by the closed form, %d simulated in %d runs, %d not simulated (past --max-simulated)",
			r.Enumerated, r.Refused, r.Pruned, r.Simulated, r.Runs, r.NotSimulated)},
		{"meet every SLO", strconv.Itoa(r.Meeting)},
		{"runs", fmt.Sprintf("%ss measured after %ss warmup, without faults; seeds %s", fmtNum(r.DurationS), fmtNum(r.WarmupS), seedList(r.Seeds))},
	}
	if len(r.FaultKinds) > 0 {
		kv = append(kv, [2]string{"outages", fmt.Sprintf("every %s down from %ss for %ss, in runs of %ss; survived when no client stalled over %ss",
			strings.Join(r.FaultKinds, " and every "), fmtNum(r.FaultAtS), fmtNum(r.FaultForS), fmtNum(r.FaultDurationS), fmtNum(r.SurviveWithinS))})
	}
	return kv
}

// adviceGrid is the ranked table.
func adviceGrid(r *advise.Result) *grid {
	g := &grid{cols: []column{{"rank", right}, {"status", left}, {"database", left}, {"localities", left},
		{"mean ms", right}, {"expected ms", right}}}
	for _, s := range r.SLOs {
		g.cols = append(g.cols, column{s, right})
	}
	g.cols = append(g.cols, column{"REGION-ZONE write ms", right})
	for _, c := range r.Candidates {
		mean := "-"
		if c.Status == advise.Meets || c.Status == advise.Misses {
			mean = fmtMs(c.MeanMs)
		}
		row := []string{strconv.Itoa(c.Rank), string(c.Status), c.Config.Database(), c.Config.Localities(), mean, fmtMs(c.ExpectedMeanMs)}
		for _, s := range r.SLOs {
			row = append(row, marginCell(c, s))
		}
		cost := "-"
		if c.RegionCostWriteMs != nil {
			cost = fmtDelta(*c.RegionCostWriteMs)
		}
		g.add(append(row, cost)...)
	}
	return g
}

// marginCell is a candidate's margin on one SLO: "+16.2ms", "-17.38s",
// "-44.4ms*" (the closed form's floor), or "-" when undecided.
func marginCell(c advise.Candidate, expr string) string {
	for _, o := range c.SLOs {
		if o.SLO != expr {
			continue
		}
		if o.Where == "no requests" {
			return "n/a"
		}
		s := fmtMargin(o.Margin, o.Unit)
		if o.Source == advise.SourceFloor {
			s += "*"
		}
		return s
	}
	return "-"
}

// fmtMargin writes a signed margin with its unit.
func fmtMargin(v float64, unit string) string {
	switch unit {
	case "ms":
		return fmtDelta(v) + "ms"
	case "s":
		s := strconv.FormatFloat(v, 'f', 2, 64)
		if v >= 0 {
			s = "+" + s
		}
		return s + "s"
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if v >= 0 {
		s = "+" + s
	}
	return s
}

// adviceDetails are the lines after the table: the notation, each
// simulated candidate's worst figures for the first few ranks, and the
// refusals.
func adviceDetails(r *advise.Result) []string {
	lines := []string{"margin: how far the worst figure is inside the SLO (negative: missed by that much); * the closed form's floor decided it (pruned, not simulated). REGION-ZONE write ms: what REGION survival (5 voters) costs these localities' writes over ZONE (3 voters), closed form."}
	shown := 0
	for _, c := range r.Candidates {
		if shown == 5 || (c.Status != advise.Meets && c.Status != advise.Misses) {
			break
		}
		shown++
		lines = append(lines, fmt.Sprintf("%d. %s (%s):", c.Rank, c.Config, c.Status))
		for _, o := range c.SLOs {
			verdict := "ok"
			if !o.OK {
				verdict = "MISSED by " + fmtMargin(-o.Margin, o.Unit)[1:]
			}
			lines = append(lines, fmt.Sprintf("  %s: %s, worst %s (%s)", o.SLO, verdict, fmtValue(o.Measured, o.Unit), o.Where))
		}
	}
	if len(r.Refusals) > 0 {
		lines = append(lines, "refused:")
		for _, f := range r.Refusals {
			lines = append(lines, fmt.Sprintf("  %d × %s (e.g. %s)", f.Count, strings.TrimPrefix(f.Reason, "scenarios: "), f.Example))
		}
	}
	return lines
}

// fmtValue writes a measured value with its unit.
func fmtValue(v float64, unit string) string {
	switch unit {
	case "ms":
		return fmtMs(v) + "ms"
	case "s":
		return fmtSec(v) + "s"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

var adviceCSVHeader = []string{"scenario", "rank", "status", "survival", "primary_region", "secondary_region", "num_voters", "localities",
	"mean_ms", "expected_mean_ms", "region_cost_write_ms", "region_cost_ms", "slo", "ok", "measured", "bound", "unit", "margin", "where", "source"}

// writeAdviceCSV writes one row per candidate and SLO outcome (one with
// empty SLO fields for a candidate without any).
func writeAdviceCSV(b *bytes.Buffer, r *advise.Result) error {
	cw := csv.NewWriter(b)
	_ = cw.Write(adviceCSVHeader)
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return fmtFull(*v)
	}
	for _, c := range r.Candidates {
		head := []string{r.Scenario, strconv.Itoa(c.Rank), string(c.Status), c.Config.Survival, c.Config.Primary, c.Config.Secondary,
			strconv.Itoa(c.Config.Voters), c.Config.Localities(), fmtFull(c.MeanMs), fmtFull(c.ExpectedMeanMs),
			opt(c.RegionCostWriteMs), opt(c.RegionCostMs)}
		if len(c.SLOs) == 0 {
			_ = cw.Write(append(head, "", "", "", "", "", "", "", ""))
			continue
		}
		for _, o := range c.SLOs {
			_ = cw.Write(append(append([]string{}, head...), o.SLO, strconv.FormatBool(o.OK), fmtFull(o.Measured), fmtFull(o.Bound),
				o.Unit, fmtFull(o.Margin), o.Where, o.Source))
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}
