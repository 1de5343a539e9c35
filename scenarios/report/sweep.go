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
)

// WriteSweep renders a sweep in format f to w, in one Write.
//
// Table and Markdown print the sweep's parameters, then one row per fault ×
// survival goal: whether it survived ("yes" when every client's stalls
// stayed within the bound in every run, "no" when in none, else "k/N"
// runs), each run's longest client stall over the runs (min, mean, max,
// seconds) and the client that stalled longest; then the clients that did
// not survive, one row per fault × survival × table × op × client region;
// then, with ZONE and REGION both swept, the verdict (Verdict). Notes
// define the columns. CSV has one row per fault × survival × client with
// every field in full precision; JSON is a SweepDocument: the Header,
// the SweepResult with nil lists as [], and r.Resolved. Errors are as
// for WriteResult.
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
		if g, ok := sweepFailedGrid(r, true); ok {
			b.WriteString("\nclients that did not survive:\n")
			g.writeText(&b)
		}
		b.WriteByte('\n')
		for _, n := range sweepNotes(r) {
			b.WriteString(n + "\n")
		}
		if r.Verdict != nil {
			b.WriteByte('\n')
			writeVerdictText(&b, *r.Verdict)
		}
	case CSV:
		if err := writeSweepCSV(&b, r); err != nil {
			return err
		}
	case JSON:
		return encodeJSON(w, sweepDocument(r), true)
	case Markdown:
		fmt.Fprintf(&b, "## %s\n\n", mdEscapeLine("Sweep of "+orDash(r.Scenario)))
		for _, kv := range sweepParams(r)[1:] {
			fmt.Fprintf(&b, "- %s: %s\n", kv[0], mdEscapeLine(kv[1]))
		}
		b.WriteByte('\n')
		sweepGrid(r, false).writeMarkdown(&b)
		if g, ok := sweepFailedGrid(r, false); ok {
			b.WriteString("\nClients that did not survive:\n\n")
			g.writeMarkdown(&b)
		}
		b.WriteByte('\n')
		b.WriteString(mdEscapeLine(strings.Join(sweepNotes(r), " ")) + "\n")
		if r.Verdict != nil {
			b.WriteByte('\n')
			writeVerdictMarkdown(&b, *r.Verdict, 3)
		}
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
		{"runs", fmt.Sprintf("%s s measured after %s s warmup", fmtNum(r.DurationS), fmtNum(r.WarmupS))},
		{"fault", fmt.Sprintf("%s at %s s for %s s; after failover from %s s", strings.Join(r.Kinds, ", "),
			fmtNum(r.FaultAtS), fmtNum(r.FaultForS), fmtNum(r.AfterS))},
		{"survived", fmt.Sprintf("no client stalled more than %s s", fmtNum(r.SurviveWithinS))},
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
		fmt.Sprintf("survived: yes when no client (table, op, client region) stalled more than %s s in any run, k/N when", fmtNum(r.SurviveWithinS)),
		"in k of N runs, no when in none. stall: a stretch in which a range served none of a client's requests",
		"while one waited (failed or slow requests), from the fault's start until the run ended.",
		"unavail: each run's longest stall (s), over the runs; worst: the client and range behind the longest.",
		"slow: requests that failed or took over 1 s, issued from the fault's start. errors: failed requests.",
		fmt.Sprintf("after p50/p99: requests issued from %s s until the fault ended, all runs pooled.", fmtNum(r.AfterS)),
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

// worstCell names the client behind a case's longest stall.
func worstCell(w *scenarios.SweepWorst) string {
	if w == nil {
		return "-"
	}
	return fmt.Sprintf("%s %s @%s (range %d, seed %d)", w.Table, w.Op, w.ClientRegion, w.Range, w.Seed)
}

// sweepGrid is the table of a sweep, a row per fault × survival goal;
// grouped (plain text) prints each fault on its first row only and
// separates faults by a blank line.
func sweepGrid(r *scenarios.SweepResult, grouped bool) *grid {
	g := &grid{cols: []column{
		{"fault", left}, {"survival", left}, {"survived", left},
		{"unavail min s", right}, {"mean s", right}, {"max s", right},
		{"errors", right}, {"worst", left},
	}}
	for ci, c := range r.Cases {
		fault := c.Name
		if grouped && ci > 0 {
			if r.Cases[ci-1].Name == c.Name {
				fault = ""
			} else {
				g.gap()
			}
		}
		var errs uint64
		for _, cl := range c.Clients {
			errs += cl.Errors
		}
		g.add(fault, c.Survival, survivedCell(c.SurvivedRuns, c.Runs),
			fmtSec(c.Unavailable.Min), fmtSec(c.Unavailable.Mean), fmtSec(c.Unavailable.Max),
			fmtUint(errs), worstCell(c.Worst))
	}
	return g
}

// sweepFailedGrid lists the clients that did not survive some run, a row
// per fault × survival × table × op × client region; false when none.
func sweepFailedGrid(r *scenarios.SweepResult, grouped bool) (*grid, bool) {
	g := &grid{cols: []column{
		{"fault", left}, {"survival", left}, {"table", left}, {"op", left}, {"client region", left},
		{"survived", left}, {"unavail max s", right}, {"slow %", right}, {"errors", right},
		{"after p50 ms", right}, {"after p99 ms", right},
	}}
	any := false
	prev := ""
	for _, c := range r.Cases {
		for _, cl := range c.Clients {
			if cl.Survived() {
				continue
			}
			fault, survival := c.Name, c.Survival
			if grouped && prev == c.Name+"/"+c.Survival {
				fault, survival = "", ""
			}
			prev = c.Name + "/" + c.Survival
			any = true
			g.add(fault, survival, cl.Table, cl.Op, cl.ClientRegion, survivedCell(cl.SurvivedRuns, cl.Runs),
				fmtSec(cl.Unavailable.Max), fmtPct(cl.Slow, cl.Requests), fmtUint(cl.Errors),
				countedMs(cl.After.Count, cl.After.P50Ms), countedMs(cl.After.Count, cl.After.P99Ms))
		}
	}
	return g, any
}

// fmtPct is k/n as a percentage with one decimal, "-" for n = 0.
func fmtPct(k, n uint64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(k)/float64(n), 'f', 1, 64)
}

// sweepCSVHeader is the CSV header of WriteSweep.
var sweepCSVHeader = []string{
	"scenario", "crdb_version", "rtt", "fault_at_s", "fault_for_s", "survive_within_s",
	"fault", "kind", "targets", "survival", "table", "locality", "op", "client_region",
	"runs", "survived_runs", "requests", "errors", "slow",
	"unavailable_min_s", "unavailable_mean_s", "unavailable_p99_s", "unavailable_max_s",
	"during_count", "during_p50_ms", "during_p99_ms", "after_count", "after_p50_ms", "after_p99_ms",
}

func writeSweepCSV(b *bytes.Buffer, r *scenarios.SweepResult) error {
	cw := csv.NewWriter(b)
	_ = cw.Write(sweepCSVHeader)
	for _, c := range r.Cases {
		for _, cl := range c.Clients {
			_ = cw.Write([]string{
				r.Scenario, r.CRDBVersion, r.RTT, fmtFull(r.FaultAtS), fmtFull(r.FaultForS), fmtFull(r.SurviveWithinS),
				c.Name, c.Kind, strings.Join(c.Targets, " "), c.Survival, cl.Table, cl.Locality, cl.Op, cl.ClientRegion,
				fmt.Sprint(cl.Runs), fmt.Sprint(cl.SurvivedRuns), fmtUint(cl.Requests), fmtUint(cl.Errors), fmtUint(cl.Slow),
				fmtFull(cl.Unavailable.Min), fmtFull(cl.Unavailable.Mean), fmtFull(cl.Unavailable.P99), fmtFull(cl.Unavailable.Max),
				fmtUint(cl.During.Count), fmtFull(cl.During.P50Ms), fmtFull(cl.During.P99Ms),
				fmtUint(cl.After.Count), fmtFull(cl.After.P50Ms), fmtFull(cl.After.P99Ms),
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
	out.Survivals, out.Skipped, out.Kinds = orEmpty(r.Survivals), orEmpty(r.Skipped), orEmpty(r.Kinds)
	if out.Seeds == nil {
		out.Seeds = []uint64{}
	}
	out.Baselines = append([]scenarios.SweepBaseline{}, r.Baselines...)
	for i := range out.Baselines {
		if out.Baselines[i].Stats == nil {
			out.Baselines[i].Stats = []scenarios.Stat{}
		}
	}
	out.Cases = make([]scenarios.SweepCase, len(r.Cases))
	for i, c := range r.Cases {
		c.Targets = orEmpty(c.Targets)
		c.Failed = orEmpty(c.Failed)
		if c.Clients == nil {
			c.Clients = []scenarios.SweepClient{}
		}
		out.Cases[i] = c
	}
	return out
}
