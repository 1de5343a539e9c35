package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/topology"
)

// WriteLayouts renders where every table's replicas are: per table its
// locality and zone-config view, the count of voters and non-voters per
// region, and one row per range with its leaseholder, voters and
// non-voters (node and zone). layouts is scenarios.Scenario.Place's output.
func WriteLayouts(w io.Writer, c *topology.Cluster, tables []scenarios.Table, layouts [][]placement.RangeLayout) error {
	var b bytes.Buffer
	node := func(n topology.NodeID) string { return n.String() + " (" + c.Nodes[n].Locality.Zone + ")" }
	list := func(ns []topology.NodeID) string {
		parts := make([]string, len(ns))
		for i, n := range ns {
			parts[i] = node(n)
		}
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, ", ")
	}
	for ti, t := range tables {
		ls := layouts[ti]
		fmt.Fprintf(&b, "\nTable %s (%s), %s\n", t.Name, t.Locality, plural(len(ls), "range"))
		// One zone config per partition (REGIONAL BY ROW) or per table.
		seen := map[string]bool{}
		for _, l := range ls {
			spec := l.Spec.String()
			if seen[spec] {
				continue
			}
			seen[spec] = true
			if l.Partition != "" {
				fmt.Fprintf(&b, "  zone config of partition %s: %s\n", l.Partition, spec)
			} else {
				fmt.Fprintf(&b, "  zone config: %s\n", spec)
			}
		}
		voters := make([]int, len(c.Regions))
		nonVoters := make([]int, len(c.Regions))
		leases := make([]int, len(c.Regions))
		for _, l := range ls {
			for _, v := range l.Voters {
				voters[c.Nodes[v].Region]++
			}
			for _, v := range l.NonVoters {
				nonVoters[c.Nodes[v].Region]++
			}
			leases[c.Nodes[l.Leaseholder].Region]++
		}
		per := &grid{cols: []column{{"region", left}, {"voters", right}, {"non-voters", right}, {"leases", right}}}
		for r, reg := range c.Regions {
			per.add(reg.Name, fmt.Sprint(voters[r]), fmt.Sprint(nonVoters[r]), fmt.Sprint(leases[r]))
		}
		per.writeText(&b)
		g := &grid{cols: []column{{"range", right}, {"partition", left}, {"leaseholder", left}, {"voters", left}, {"non-voters", left}}}
		for _, l := range ls {
			g.add(fmt.Sprint(l.Range), orDash(l.Partition), node(l.Leaseholder), list(l.Voters), list(l.NonVoters))
		}
		b.WriteString("\n")
		g.writeText(&b)
	}
	_, err := w.Write(b.Bytes())
	return err
}
