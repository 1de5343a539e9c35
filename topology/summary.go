package topology

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteSummary prints the resolved topology for people (the `regionsim
// topology` command): regions, zones and nodes with their locality strings;
// the inter-region RTT matrix from the data (p50 and the tail percentile
// where the data has one) and, with lognormal jitter, the modelled p99 of
// every link; the RTTs inside a region and the node-local times; and where
// the numbers come from. Columns are aligned with spaces.
func (c *Cluster) WriteSummary(w io.Writer) error {
	ew := &bytes.Buffer{}
	fmt.Fprintf(ew, "Topology: %s, %s, %s\n\n", counted(len(c.Regions), "region"), counted(len(c.Zones), "zone"), counted(len(c.Nodes), "node"))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tZONE\tNODE\tLOCALITY")
	for _, reg := range c.Regions {
		for zi, z := range reg.Zones {
			zone := c.Zones[z]
			for ni, id := range zone.Nodes {
				rname, zname := "", ""
				if zi == 0 && ni == 0 {
					rname = reg.Name
				}
				if ni == 0 {
					zname = zone.Name
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", rname, zname, id, c.Nodes[id].Locality)
			}
		}
	}
	tw.Flush()
	lm := c.Latency
	if lm == nil {
		fmt.Fprintln(ew, "\n(no latency model)")
		return writeTrimmed(w, ew.String())
	}
	m := lm.matrix
	jitter := lm.jitter == JitterLognormal

	// Data matrix.
	tailName := m.tailName()
	what := "p50"
	if tailName != "" {
		what = "p50 / " + tailName
	}
	fmt.Fprintf(ew, "\nRTT between regions, ms: %s from rtt %q", what, lm.source)
	if tailName == "" {
		fmt.Fprint(ew, " (the data has no tail percentile)")
	}
	fmt.Fprintln(ew)
	mirrored := false
	writeMatrix(ew, m.regions, func(i, j int) string {
		p, _ := m.At(i, j)
		s := fmtMs1(p.P50)
		if t, _ := p.Tail(); t > 0 {
			s += " / " + fmtMs1(t)
		}
		if p.Mirrored {
			s += "*"
			mirrored = true
		}
		return s
	})
	if mirrored {
		fmt.Fprintln(ew, "* the data gives only the reverse direction; the same values are used")
	}

	// Modelled tails.
	if jitter {
		fmt.Fprintf(ew, "\nModelled RTT p99, ms (jitter lognormal: shifted log-normal fitted to p50 and %s", orDefault(tailName))
		fmt.Fprintf(ew, ", plus %.1f%% Pareto spikes >= %v)\n", DefaultSpike.Prob*100, DefaultSpike.Scale)
		writeMatrix(ew, m.regions, func(i, j int) string { return fmtMs1(lm.RegionRTT(i, j).Quantile(0.99)) })
	} else {
		fmt.Fprintln(ew, "\nJitter none: every hop takes its p50; one-way delay = RTT/2.")
	}

	// Local links and node-local work.
	fmt.Fprintln(ew)
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	if jitter {
		fmt.Fprintln(tw, "WITHIN A REGION\tP50\tP99 (MODEL)\tSHAPE")
	} else {
		fmt.Fprintln(tw, "WITHIN A REGION\tP50\t\t")
	}
	row := func(label string, d Dist, shape string) {
		if jitter && d.Kind() == KindLognormal {
			fmt.Fprintf(tw, "  %s\t%v\t%v\t%s\n", label, d.Median(), d.Quantile(0.99).Round(time.Microsecond), shape)
		} else {
			fmt.Fprintf(tw, "  %s\t%v\t\t\n", label, d.Median())
		}
	}
	row("between zones", lm.InterZone(), "p99/p50 1.85 (Azure cross-AZ)")
	row("inside a zone", lm.IntraZone(), "p99/p50 1.43 (Azure same-AZ)")
	fmt.Fprintln(tw, "ON A NODE\t\t\t")
	row("service time", lm.service, "p99/p50 4.57 (kv95 read, #62998)")
	row("fsync", lm.fsync, "p99/p50 5.2 (syncbench, #30213)")
	tw.Flush()

	// Sources.
	fmt.Fprintln(ew)
	if lm.preset {
		for _, p := range Presets() {
			if p.Name == lm.source {
				fmt.Fprintf(ew, "Source: preset %s: %s\n  %s\n", p.Name, p.Description, p.Source)
			}
		}
	} else {
		fmt.Fprintf(ew, "Source: file %s\n", lm.source)
		var srcs []string
		for k, p := range m.pairs {
			if m.known[k] && p.Source != "" && !slices.Contains(srcs, p.Source) {
				srcs = append(srcs, p.Source)
			}
		}
		slices.Sort(srcs)
		for _, s := range srcs {
			fmt.Fprintf(ew, "  %s\n", s)
		}
	}
	return writeTrimmed(w, ew.String())
}

// writeTrimmed writes s with trailing spaces removed from every line (the
// padding tabwriter leaves after a line's last column).
func writeTrimmed(w io.Writer, s string) error {
	var b strings.Builder
	for line := range strings.Lines(s) {
		b.WriteString(strings.TrimRight(line, " \n"))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMatrix prints a region×region table whose off-diagonal cells come
// from cell(i, j) and whose diagonal is "-".
func writeMatrix(w io.Writer, regions []string, cell func(i, j int) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "FROM \\ TO\t%s\t\n", strings.Join(regions, "\t"))
	for i, from := range regions {
		cells := make([]string, len(regions))
		for j := range regions {
			if i == j {
				cells[j] = "-"
			} else {
				cells[j] = cell(i, j)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t\n", from, strings.Join(cells, "\t"))
	}
	tw.Flush()
}

// orDefault names the tail a link was fitted to.
func orDefault(tailName string) string {
	if tailName == "" {
		return "p99 = p50 + " + DefaultP99Excess.String()
	}
	return tailName + " (p99 = p50 + " + DefaultP99Excess.String() + " where missing)"
}

// fmtMs1 formats a duration as milliseconds rounded to 0.1 ms ("66",
// "64.4").
func fmtMs1(d time.Duration) string {
	return strconv.FormatFloat(math.Round(float64(d)/1e5)/10, 'f', -1, 64)
}

// counted returns "n word", with an s unless n is 1.
func counted(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
