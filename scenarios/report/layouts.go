package report

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/topology"
)

// WriteLayouts renders where every table's replicas are: the database's
// multi-region settings and super regions (if it is multi-region), then
// per table its locality and zone-config view (naming the super region a
// home region belongs to), the count of voters and non-voters per region,
// and one row per range with its leaseholder, voters and non-voters (node
// and zone). db is the resolved database (scenarios.Scenario.
// ResolvedDatabase) and layouts scenarios.Scenario.Place's output.
func WriteLayouts(w io.Writer, c *topology.Cluster, db placement.Database, tables []scenarios.Table, layouts [][]placement.RangeLayout) error {
	var b bytes.Buffer
	writeDatabase(&b, db)
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
			in := ""
			if name, _ := db.SuperRegionOf(l.Spec.Home); name != "" && !l.Spec.GlobalReads && l.Spec.Home != "" {
				in = " (super region " + name + ")"
			}
			if l.Partition != "" {
				fmt.Fprintf(&b, "  zone config of partition %s%s: %s\n", l.Partition, in, spec)
			} else {
				fmt.Fprintf(&b, "  zone config%s: %s\n", in, spec)
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

// writeDatabase renders db's multi-region settings, its replica-count
// overrides and its super regions (members in CockroachDB's order, sorted),
// one line each; nothing for a database without multi-region SQL and no
// overrides.
func writeDatabase(b *bytes.Buffer, db placement.Database) {
	var parts []string
	if db.MultiRegion() {
		parts = append(parts, "regions "+strings.Join(db.Regions, ", "), "primary "+db.Primary)
		if db.Secondary != "" {
			parts = append(parts, "secondary "+db.Secondary)
		}
		parts = append(parts, db.Survival.String()+" survival", db.Placement.String()+" placement")
	}
	if db.NumVoters != nil {
		parts = append(parts, fmt.Sprintf("num_voters %d", *db.NumVoters))
	}
	if db.NumReplicas != nil {
		parts = append(parts, fmt.Sprintf("num_replicas %d", *db.NumReplicas))
	}
	if len(parts) == 0 {
		return
	}
	fmt.Fprintf(b, "\nDatabase: %s\n", strings.Join(parts, "; "))
	for _, name := range slices.Sorted(maps.Keys(db.SuperRegions)) {
		fmt.Fprintf(b, "  super region %s: %s\n", name, strings.Join(slices.Sorted(slices.Values(db.SuperRegions[name])), ", "))
	}
}

// SuperRegionsSection is the "super_regions" section of a topology
// listing: one row per super region of db (super_region, regions), by
// name; false when db has none.
func SuperRegionsSection(db placement.Database) (Section, bool) {
	sec := Section{Name: "super_regions", Columns: []string{"super_region", "regions"}}
	for _, name := range slices.Sorted(maps.Keys(db.SuperRegions)) {
		sec.Rows = append(sec.Rows, []any{name, slices.Sorted(slices.Values(db.SuperRegions[name]))})
	}
	return sec, len(sec.Rows) > 0
}
