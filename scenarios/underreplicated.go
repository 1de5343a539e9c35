package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/topology"
)

// shortfall is one way a table's ranges fall short of their zone config:
// how many replicas of each kind were placed and asked for, whether ZONE
// survival pins the voters in a home region of homeNodes nodes, and which
// homes (in first-seen order) and how many ranges fall short this way.
type shortfall struct {
	voters, wantVoters       int
	nonVoters, wantNonVoters int
	pinnedHome               bool
	homeNodes, homeZones     int
	homes                    []string
	ranges                   int
}

// underReplication describes the ranges of table t that the allocator left
// under-replicated (placement.Layout.MissingVoters, MissingNonVoters), ""
// when every range is fully replicated: how many ranges, what they hold
// against what their zone config asks for, and how to give the cluster the
// nodes they need. CockroachDB accepts such a zone config and serves the
// range with the replicas it has (a quorum of the voters placed), so a run
// goes on; the note keeps a comparison from looking free.
func (s *Scenario) underReplication(c *topology.Cluster, t Table, layouts []placement.RangeLayout) string {
	var groups []shortfall
	for i := range layouts {
		l := &layouts[i]
		if !l.UnderReplicated() {
			continue
		}
		sf := shortfall{
			voters: len(l.Voters), wantVoters: len(l.Voters) + l.MissingVoters,
			nonVoters: len(l.NonVoters), wantNonVoters: len(l.NonVoters) + l.MissingNonVoters,
		}
		if ri := c.RegionIndex(l.Spec.Home); ri >= 0 {
			vc := l.Spec.VoterConstraints
			sf.pinnedHome = len(vc) == 1 && vc[0].NumReplicas == 0 && vc[0].Region == l.Spec.Home
			if sf.pinnedHome {
				sf.homeNodes, sf.homeZones = len(c.RegionNodes(ri)), len(c.Regions[ri].Zones)
			}
		}
		j := slices.IndexFunc(groups, func(g shortfall) bool {
			return g.voters == sf.voters && g.wantVoters == sf.wantVoters && g.nonVoters == sf.nonVoters &&
				g.wantNonVoters == sf.wantNonVoters && g.pinnedHome == sf.pinnedHome &&
				g.homeNodes == sf.homeNodes && g.homeZones == sf.homeZones
		})
		if j < 0 {
			groups = append(groups, sf)
			j = len(groups) - 1
		}
		g := &groups[j]
		g.ranges++
		if h := l.Spec.Home; h != "" && !slices.Contains(g.homes, h) {
			g.homes = append(g.homes, h)
		}
	}
	if len(groups) == 0 {
		return ""
	}
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		p := fmt.Sprintf("%d of %d ranges hold %d of %d voters", g.ranges, len(layouts), g.voters, g.wantVoters)
		if g.wantNonVoters > 0 {
			p += fmt.Sprintf(" and %d of %d non-voters", g.nonVoters, g.wantNonVoters)
		}
		if g.voters < g.wantVoters && g.pinnedHome && g.homeNodes < g.wantVoters {
			hint := fmt.Sprintf("raise topology.nodes_per_zone, e.g. --nodes-per-zone %d", (g.wantVoters+g.homeZones-1)/g.homeZones)
			for _, h := range g.homes {
				if _, ok := s.Topology.RegionSizes[h]; ok {
					hint = "give the home region more nodes in topology.region_sizes"
				}
			}
			where := "the home region " + g.homes[0] + ", which has"
			if len(g.homes) > 1 {
				where = "each home region (" + strings.Join(g.homes, ", ") + "), each of which has"
			}
			p += fmt.Sprintf(" (zone survival keeps all %d voters in %s %d nodes: %s)", g.wantVoters, where, g.homeNodes, hint)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ") + ". No node can take the rest, so CockroachDB's allocator leaves them under-replicated: they run with the replicas placed (a write needs a quorum of the voters placed)"
}

// UnderReplication returns, for each table of the scenario whose placed
// ranges (placed, indexed like Tables, as Place returns them) fall short
// of their zone config, one line "table NAME under-replicated: …" saying
// how (TableInfo.UnderReplicated); none when every range is fully
// replicated. The scenario must be validated.
func (s *Scenario) UnderReplication(placed [][]placement.RangeLayout) []string {
	var out []string
	c := s.Cluster()
	for ti, t := range s.Tables {
		if ti < len(placed) {
			if note := s.underReplication(c, t, placed[ti]); note != "" {
				out = append(out, "table "+t.Name+" under-replicated: "+note)
			}
		}
	}
	return out
}
