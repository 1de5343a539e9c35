package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/topology"
)

// Name returns the fault's label in results: its kind, target and start,
// e.g. "node n3 at 1m", "zone us-east1-b at 2m", "region us-east1 at 6m",
// "partition [us-east1] | [us-west1 europe-west1] at 8m" (a one-way
// partition shows "->" instead of "|", from Between[0] to Between[1]).
// Durations drop zero trailing units ("2m", "1h30m", "1m10s", "500ms").
func (f Fault) Name() string {
	if f.Kind != FaultPartition {
		return fmt.Sprintf("%s %s at %s", f.Kind, f.Target, ShortDuration(f.At))
	}
	sides := make([]string, len(f.Between))
	for i, g := range f.Between {
		sides[i] = "[" + strings.Join(g, " ") + "]"
	}
	sep := " | "
	if f.OneWay {
		sep = " -> "
	}
	return fmt.Sprintf("partition %s at %s", strings.Join(sides, sep), ShortDuration(f.At))
}

// ShortDuration formats d like time.Duration.String without zero trailing
// units: "2m" rather than "2m0s", "1h" rather than "1h0m0s".
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// faultNames returns the names of faults as results show them: Fault.Name,
// with " (2)", " (3)", … appended to a name that an earlier fault already
// has, so that every fault of a run has its own name.
func faultNames(faults []Fault) []string {
	names := make([]string, len(faults))
	seen := map[string]int{}
	for i, f := range faults {
		n := f.Name()
		seen[n]++
		if seen[n] > 1 {
			n = fmt.Sprintf("%s (%d)", n, seen[n])
		}
		names[i] = n
	}
	return names
}

// RaftFaults translates the scenario's validated faults into the failure
// model's faults on cluster c, in order: a node target "n3" is NodeID 2, a
// zone or a region crashes all its nodes, and each side of a partition is
// the union of the nodes of the regions, zones and nodes it lists. Names
// are as faultNames gives them. An error names the fault's field; it does
// not happen for a scenario that passed Validate.
func RaftFaults(faults []Fault, c *topology.Cluster) ([]raft.Fault, error) {
	names := faultNames(faults)
	out := make([]raft.Fault, len(faults))
	for i, f := range faults {
		rf := raft.Fault{Name: names[i], At: f.At, For: f.For, OneWay: f.OneWay}
		path := fmt.Sprintf("faults[%d]", i)
		switch f.Kind {
		case FaultNode, FaultZone, FaultRegion:
			nodes, ok := targetNodes(c, f.Kind, f.Target)
			if !ok {
				return nil, fieldErr(path+".target", "unknown %s %q", f.Kind, f.Target)
			}
			rf.Crash = append([]topology.NodeID(nil), nodes...)
			mode := f.Mode
			if mode == "" {
				mode = DefaultFaultMode(f.Kind)
			}
			rf.Blackhole = mode == FaultBlackhole
		case FaultPartition:
			if len(f.Between) != 2 {
				return nil, fieldErr(path+".between", "%d groups (want 2)", len(f.Between))
			}
			for side, group := range f.Between {
				var set []topology.NodeID
				for _, name := range group {
					nodes, ok := groupNodes(c, name)
					if !ok {
						return nil, fieldErr(fmt.Sprintf("%s.between[%d]", path, side), "unknown region, zone or node %q", name)
					}
					set = append(set, nodes...)
				}
				if side == 0 {
					rf.A = set
				} else {
					rf.B = set
				}
			}
		default:
			return nil, fieldErr(path+".kind", "unknown %q", f.Kind)
		}
		if err := rf.Validate(len(c.Nodes)); err != nil {
			return nil, &Error{Field: path, Err: err}
		}
		out[i] = rf
	}
	return out, nil
}

// targetNodes returns the nodes of the node, zone or region (by kind)
// named target.
func targetNodes(c *topology.Cluster, kind, target string) ([]topology.NodeID, bool) {
	switch kind {
	case FaultNode:
		if id, ok := nodeID(c, target); ok {
			return []topology.NodeID{id}, true
		}
	case FaultZone:
		if z := c.ZoneIndex(target); z >= 0 {
			return c.Zones[z].Nodes, true
		}
	case FaultRegion:
		if r := c.RegionIndex(target); r >= 0 {
			return c.RegionNodes(r), true
		}
	}
	return nil, false
}
