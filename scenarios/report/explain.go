package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// KindExplain is the Header.Kind of an ExplainDocument.
const KindExplain = "explain"

// ExplainDocument is the JSON of `regionsim explain --format json`: the
// Header, the run it explains (scenario, seed, survival goal), the Stats
// the filter selected, each with its Attribution and without its
// histograms, and the scenario the run simulated.
type ExplainDocument struct {
	Header
	// Scenario names the scenario run.
	Scenario string `json:"scenario"`
	// Seeds is the run's seed, as a list so that every kind of document
	// has one.
	Seeds []uint64 `json:"seeds"`
	// Survival is the run's survival goal: zone, region, or none without
	// multi-region SQL.
	Survival string `json:"survival"`
	// Stats are the selected table × op × client region rows with
	// requests, in the run's order; their histograms are left out.
	Stats []scenarios.Stat `json:"stats"`
	// ResolvedScenario is the scenario the run simulated, after flags and
	// defaults, as a scenario file: `regionsim explain` of it repeats the
	// run.
	ResolvedScenario *scenarios.Scenario `json:"resolved_scenario"`
}

// WriteExplain renders the critical-path attribution of stats (from run r)
// in format f to w: Table (and Markdown, the same text in a code block)
// prints per Stat its percentiles and, at p50 and at p99, the requests of
// that latency and the components of their latency, largest first, with
// their share and mean ms; JSON an ExplainDocument (stats without their
// histograms). CSV is an error wrapping ErrUnknownFormat.
func WriteExplain(w io.Writer, r *scenarios.Result, stats []scenarios.Stat, f Format) error {
	var b bytes.Buffer
	switch f {
	case Table, Markdown:
		if f == Markdown {
			b.WriteString("```\n")
		}
		writeExplainText(&b, r, stats)
		if f == Markdown {
			b.WriteString("```\n")
		}
	case JSON:
		doc := ExplainDocument{
			Header: header(KindExplain), Scenario: r.Scenario, Seeds: []uint64{r.Seed}, Survival: r.Survival,
			Stats: make([]scenarios.Stat, len(stats)), ResolvedScenario: r.Resolved,
		}
		for i, st := range stats {
			st.Latency = nil
			if st.Staleness != nil {
				z := *st.Staleness
				z.Histogram = nil
				st.Staleness = &z
			}
			doc.Stats[i] = st
		}
		return encodeJSON(w, doc, true)
	case CSV:
		return fmt.Errorf("report: explain: format csv: %w (want table, json or markdown)", ErrUnknownFormat)
	default:
		return formatError(string(f))
	}
	return write(w, &b)
}

// writeExplainText writes the text form of WriteExplain.
func writeExplainText(b *bytes.Buffer, r *scenarios.Result, stats []scenarios.Stat) {
	survival := r.Survival + " survival"
	if r.Survival == "none" || r.Survival == "" {
		survival = "no survival goal"
	}
	fmt.Fprintf(b, "%s, seed %d, %s: what set each latency (critical path of every request)\n", r.Scenario, r.Seed, survival)
	for i := range stats {
		st := &stats[i]
		b.WriteString("\n")
		fmt.Fprintf(b, "%s (%s) %s from %s: %d requests, %d errors; p50 %s ms", st.Table, st.Locality, st.Op, st.ClientRegion,
			st.Count, st.Errors, fmtMs(st.P50Ms))
		if st.ExpectedMs > 0 {
			fmt.Fprintf(b, " (expected %s", fmtMs(st.ExpectedMs))
			if st.Departs {
				b.WriteString(", departs")
			}
			b.WriteString(")")
		}
		fmt.Fprintf(b, ", p99 %s ms\n", fmtMs(st.P99Ms))
		a := st.Attribution
		if a == nil {
			b.WriteString("  no attribution (no request, or a pooled result)\n")
			continue
		}
		if a.P50 != nil {
			b.WriteString("  " + explainSentence("p50", a.P50) + "\n")
		}
		if a.P99 != nil {
			b.WriteString("  " + explainSentence("p99", a.P99) + "\n")
		}
		for _, at := range []struct {
			name string
			a    *scenarios.AttributionAt
		}{{"p50", a.P50}, {"p99", a.P99}} {
			if at.a == nil {
				continue
			}
			b.WriteString("\n")
			if at.name == "p99" && a.P50 != nil && at.a.LowMs == a.P50.LowMs {
				b.WriteString("  at p99: the same requests as at p50\n")
				continue
			}
			fmt.Fprintf(b, "  at %s: %s of %s–%s ms, mean %s ms\n", at.name, plural(int(at.a.Requests), "request"),
				fmtMs(at.a.LowMs), fmtMs(at.a.HighMs), fmtMs(at.a.MeanMs))
			g := grid{cols: []column{{"share", right}, {"ms", right}, {"component", left}, {"region", left}}}
			hidden := 0
			for _, cs := range at.a.Components {
				if fmtMs(cs.Ms) == "0.00" {
					hidden++ // below 5 µs a request: noise in a table (JSON has it)
					continue
				}
				g.add(fmtShare(cs.Share), fmtMs(cs.Ms), cs.Label, orDash(cs.Region))
			}
			var t bytes.Buffer
			g.writeText(&t)
			for _, line := range strings.SplitAfter(t.String(), "\n") {
				if line != "" {
					b.WriteString("    " + line)
				}
			}
			if hidden > 0 {
				fmt.Fprintf(b, "    (and %s under 0.005 ms a request)\n", plural(hidden, "more component"))
			}
		}
	}
}

// explainSentence says in one line what made up the latency at a
// percentile: its components of at least 5 % ("p99: 49 % gateway→leaseholder
// us-east1, 47 % quorum ack from europe-west1"), or the largest when none is.
func explainSentence(name string, a *scenarios.AttributionAt) string {
	var parts []string
	for i, cs := range a.Components {
		if cs.Share < 0.05 && i > 0 {
			break
		}
		s := fmtShare(cs.Share) + " " + cs.Label
		if cs.Region != "" {
			switch cs.Component {
			case "quorum_ack":
				s += " from " + cs.Region
			case "fsync", "evaluation":
				s += " at " + cs.Region
			default:
				s += " " + cs.Region
			}
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("%s (%s ms): %s", name, fmtMs(a.MeanMs), strings.Join(parts, ", "))
}

// fmtShare formats a share in [0, 1] as a percentage with one decimal:
// "50.3 %".
func fmtShare(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + " %" }
