package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// WriteSweep renders a sweep in format f to w, in one Write.
//
// Table and Markdown print the sweep's parameters, then one row per fault ×
// survival goal × table locality: whether it survived ("yes" when no
// request to the locality failed in any run, "no" when requests failed in
// every run, else "k/N" runs), the unavailability over the runs (min, mean,
// p99 and max of each run's longest range outage, seconds), the most
// ranges down in one run, the errors summed over the runs, and write p50
// and p99 after failover (ms, "-" without writes). Notes define the
// columns. CSV has one row per fault × survival × locality with every
// field in full precision; JSON is a SweepDocument: the Header, the
// SweepResult with nil lists as [], and r.Resolved.
// Errors are as for WriteResult.
func WriteSweep(w io.Writer, r *scenarios.SweepResult, f Format) error {
	if r == nil {
		return errors.New("report: nil sweep result")
	}
	var b bytes.Buffer
	switch f {
	case Table:
		writeKV(&b, sweepParams(r))
		b.WriteByte('\n')
		sweepGrid(r, true).writeText(&b)
		b.WriteByte('\n')
		for _, n := range sweepNotes(r) {
			b.WriteString(n + "\n")
		}
	case CSV:
		if err := writeSweepCSV(&b, r); err != nil {
			return err
		}
	case JSON:
		if err := writeJSON(&b, sweepDocument(r)); err != nil {
			return err
		}
	case Markdown:
		fmt.Fprintf(&b, "## %s\n\n", mdEscapeLine("Sweep of "+orDash(r.Scenario)))
		for _, kv := range sweepParams(r)[1:] {
			fmt.Fprintf(&b, "- %s: %s\n", kv[0], mdEscapeLine(kv[1]))
		}
		b.WriteByte('\n')
		sweepGrid(r, false).writeMarkdown(&b)
		b.WriteByte('\n')
		b.WriteString(mdEscapeLine(strings.Join(sweepNotes(r), " ")) + "\n")
	default:
		return formatError(string(f))
	}
	return write(w, &b)
}

// sweepParams are the header lines of a sweep.
func sweepParams(r *scenarios.SweepResult) [][2]string {
	seeds := make([]string, len(r.Seeds))
	for i, s := range r.Seeds {
		seeds[i] = fmtUint(s)
	}
	kv := [][2]string{
		{"scenario", orDash(r.Scenario)},
		{"crdb version", orDash(r.CRDBVersion)},
		{"rtt", orDash(r.RTT)},
		{"seeds", strings.Join(seeds, ", ")},
		{"fault", fmt.Sprintf("at %s s for %s s; after failover from %s s", fmtNum(r.FaultAtS), fmtNum(r.FaultForS), fmtNum(r.AfterS))},
		{"survival", strings.Join(r.Survivals, ", ")},
	}
	if r.ReplacedFaults > 0 {
		kv = append(kv, [2]string{"replaced", fmt.Sprintf("the scenario's %s (each run has only the swept fault)", plural(r.ReplacedFaults, "fault"))})
	}
	for _, s := range r.Skipped {
		kv = append(kv, [2]string{"skipped", s})
	}
	return kv
}

// sweepNotes define the columns.
func sweepNotes(r *scenarios.SweepResult) []string {
	return []string{
		"survived: yes when no request to the locality failed in any run, k/N when none failed in k of N runs,",
		"no when requests failed in every run; requests that waited out an outage count as served.",
		"unavail: each run's longest range outage (s), over the runs. ranges down: the most in one run.",
		"errors: failed requests, all runs (the swept fault is each run's only fault).",
		fmt.Sprintf("write p50/p99: writes issued from %s s until the fault ended; the median of the interval", fmtNum(r.AfterS)),
		"p50s (p99s) weighted by requests, all runs pooled.",
	}
}

// survivedCell is "yes", "no" or "k/N".
func survivedCell(k, n int) string {
	switch {
	case k == n:
		return "yes"
	case k == 0:
		return "no"
	}
	return fmt.Sprintf("%d/%d", k, n)
}

// sweepGrid is the table of a sweep; grouped (plain text) prints each
// fault and survival goal on its first row only and separates faults by a
// blank line.
func sweepGrid(r *scenarios.SweepResult, grouped bool) *grid {
	g := &grid{cols: []column{
		{"fault", left}, {"survival", left}, {"locality", left}, {"tables", left},
		{"survived", left},
		{"unavail min s", right}, {"mean s", right}, {"p99 s", right}, {"max s", right},
		{"ranges down", right}, {"errors", right},
		{"write p50 ms", right}, {"write p99 ms", right},
	}}
	for ci, c := range r.Cases {
		for li, l := range c.Localities {
			fault, survival := c.Name, c.Survival
			if grouped {
				if li > 0 {
					fault, survival = "", ""
				} else if ci > 0 && r.Cases[ci-1].Name == c.Name {
					fault = ""
				} else if ci > 0 {
					g.gap()
				}
			}
			g.add(fault, survival, orDash(l.Locality), orDash(strings.Join(l.Tables, ",")),
				survivedCell(l.SurvivedRuns, l.Runs),
				fmtSec(l.Unavailable.Min), fmtSec(l.Unavailable.Mean), fmtSec(l.Unavailable.P99), fmtSec(l.Unavailable.Max),
				fmt.Sprintf("%d/%d", l.RangesUnavailable, l.Ranges), fmtUint(l.Errors),
				countedMs(l.WriteCount, l.WriteP50Ms), countedMs(l.WriteCount, l.WriteP99Ms))
		}
	}
	return g
}

// sweepCSVHeader is the CSV header of WriteSweep.
var sweepCSVHeader = []string{
	"scenario", "crdb_version", "rtt", "fault_at_s", "fault_for_s",
	"fault", "kind", "targets", "survival", "locality", "tables", "ranges",
	"runs", "survived_runs", "requests", "errors", "ranges_unavailable",
	"unavailable_min_s", "unavailable_mean_s", "unavailable_p99_s", "unavailable_max_s",
	"write_count", "write_p50_ms", "write_p99_ms",
}

func writeSweepCSV(b *bytes.Buffer, r *scenarios.SweepResult) error {
	cw := csv.NewWriter(b)
	_ = cw.Write(sweepCSVHeader)
	for _, c := range r.Cases {
		for _, l := range c.Localities {
			_ = cw.Write([]string{
				r.Scenario, r.CRDBVersion, r.RTT, fmtFull(r.FaultAtS), fmtFull(r.FaultForS),
				c.Name, c.Kind, strings.Join(c.Targets, " "), c.Survival, l.Locality,
				strings.Join(l.Tables, " "), fmt.Sprint(l.Ranges),
				fmt.Sprint(l.Runs), fmt.Sprint(l.SurvivedRuns), fmtUint(l.Requests), fmtUint(l.Errors),
				fmt.Sprint(l.RangesUnavailable),
				fmtFull(l.Unavailable.Min), fmtFull(l.Unavailable.Mean), fmtFull(l.Unavailable.P99), fmtFull(l.Unavailable.Max),
				fmtUint(l.WriteCount), fmtFull(l.WriteP50Ms), fmtFull(l.WriteP99Ms),
			})
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

// normalisedSweep returns a copy of r whose nil lists are empty, so that
// JSON shows [] rather than null. r is not modified.
func normalisedSweep(r *scenarios.SweepResult) scenarios.SweepResult {
	out := *r
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	out.Survivals, out.Skipped = orEmpty(r.Survivals), orEmpty(r.Skipped)
	if out.Seeds == nil {
		out.Seeds = []uint64{}
	}
	out.Cases = make([]scenarios.SweepCase, len(r.Cases))
	for i, c := range r.Cases {
		c.Targets = orEmpty(c.Targets)
		if c.Localities == nil {
			c.Localities = []scenarios.SweepLocality{}
		} else {
			c.Localities = slices.Clone(c.Localities) // empty stays a list
			for j := range c.Localities {
				c.Localities[j].Tables = orEmpty(c.Localities[j].Tables)
			}
		}
		out.Cases[i] = c
	}
	return out
}
