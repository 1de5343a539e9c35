package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// verdictGrids are the two tables of a Verdict: per table, the faults
// whose outcome depends on the survival goal (and those neither
// survives), and the latency REGION costs per op and client region.
func verdictGrids(v scenarios.Verdict, grouped bool) (faults, cost *grid) {
	faults = &grid{cols: []column{
		{"table", left}, {"fault", left}, {"better", left},
		{"unserved under zone", left}, {"unserved under region", left},
		{"zone unavail s", right}, {"region unavail s", right}, {"region saves s", right},
	}}
	cost = &grid{cols: []column{
		{"table", left}, {"op", left}, {"client region", left},
		{"zone p50 ms", right}, {"region p50 ms", right}, {"Δp50 ms", right},
		{"zone p99 ms", right}, {"region p99 ms", right}, {"Δp99 ms", right},
	}}
	for _, t := range v.Tables {
		first := true
		name := func() string {
			if grouped && !first {
				return ""
			}
			first = false
			return t.Table
		}
		for _, set := range []struct {
			label string
			gains []scenarios.FaultGain
		}{{"region", t.Buys}, {"zone", t.Loses}, {"neither", t.Neither}} {
			for _, g := range set.gains {
				faults.add(name(), g.Fault, set.label, regionsCell(g.ZoneFailed), regionsCell(g.RegionFailed),
					fmtSec(g.ZoneUnavailableS), fmtSec(g.RegionUnavailableS), fmtSec(g.SavedS))
			}
		}
		if first {
			faults.add(name(), "-", "-", "survives every fault under both", "", "", "", "")
		}
		first = true
		for _, c := range t.Cost {
			cost.add(name(), c.Op, c.ClientRegion, fmtMs(c.ZoneP50Ms), fmtMs(c.RegionP50Ms), fmtDelta(c.DeltaP50Ms),
				fmtMs(c.ZoneP99Ms), fmtMs(c.RegionP99Ms), fmtDelta(c.DeltaP99Ms))
		}
	}
	return faults, cost
}

// regionsCell lists client regions, "-" for none.
func regionsCell(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ",")
}

// wrap breaks s into lines of at most width characters at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func writeVerdictText(b *bytes.Buffer, v scenarios.Verdict) {
	faults, cost := verdictGrids(v, true)
	fmt.Fprintf(b, "verdict: REGION vs ZONE survival over %s (survived: no client stalled more than %s s)\n",
		plural(v.Faults, "fault"), fmtNum(v.SurviveWithinS))
	b.WriteString("faults that leave some client region of a table unserved (stalled past the bound):\n")
	faults.writeText(b)
	b.WriteString("\nwhat REGION costs (Δ: region minus zone):\n")
	cost.writeText(b)
	b.WriteByte('\n')
	for _, l := range wrap(v.Summary, 100) {
		b.WriteString(l + "\n")
	}
}

func writeVerdictMarkdown(b *bytes.Buffer, v scenarios.Verdict, level int) {
	faults, cost := verdictGrids(v, false)
	fmt.Fprintf(b, "%s Verdict: REGION vs ZONE survival\n\n", strings.Repeat("#", level))
	fmt.Fprintf(b, "%s\n\n", mdEscapeLine(v.Summary))
	fmt.Fprintf(b, "Faults that leave some client region of a table unserved (a stall over %s s):\n\n", fmtNum(v.SurviveWithinS))
	faults.writeMarkdown(b)
	b.WriteString("\nWhat REGION costs (Δ: region minus zone):\n\n")
	cost.writeMarkdown(b)
}
