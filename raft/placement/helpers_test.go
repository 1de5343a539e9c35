package placement

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/topology"
)

// Region names of the default test cluster; A is home/primary in reference
// §1.4's notation.
const (
	regA = "us-east1"
	regB = "us-west1"
	regC = "europe-west1"
	regD = "asia-east1"
	regE = "australia-southeast1"
)

var (
	threeRegions = []string{regA, regB, regC}
	fourRegions  = []string{regA, regB, regC, regD}
	fiveRegions  = []string{regA, regB, regC, regD, regE}
)

func newCluster(t testing.TB, regions []string, zonesPerRegion, nodesPerZone int) *topology.Cluster {
	t.Helper()
	c, err := topology.NewLayout(regions, zonesPerRegion, nodesPerZone)
	require.NoError(t, err)
	return c
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x706c6163)) }

func dbWith(regions []string, survival Survival, placement Placement, secondary string) Database {
	db := DefaultDatabase(regions...)
	db.Survival, db.Placement, db.Secondary = survival, placement, secondary
	return db
}

// perRegion counts ids per cluster region.
func perRegion(c *topology.Cluster, ids []topology.NodeID) []int {
	out := make([]int, len(c.Regions))
	for _, id := range ids {
		out[c.Nodes[id].Region]++
	}
	return out
}

// regionNames maps region indexes to names.
func regionNames(c *topology.Cluster, idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, c.Regions[i].Name)
	}
	return out
}

// checkLayoutInvariants checks what every layout must satisfy, independently
// of how Allocate works: distinct nodes, counts, constraints, voters of one
// region on distinct zones while the region has zones to spare, and a
// leaseholder that is a valid lease target.
func checkLayoutInvariants(t *testing.T, c *topology.Cluster, spec Spec, l Layout) {
	t.Helper()
	all := slices.Concat(l.Voters, l.NonVoters)
	require.Len(t, l.Voters, spec.NumVoters, "voters")
	require.Len(t, all, spec.NumReplicas, "replicas")
	seen := map[topology.NodeID]bool{}
	for _, id := range all {
		require.False(t, seen[id], "node %s used twice", id)
		seen[id] = true
	}
	require.True(t, slices.IsSorted(l.Voters))
	require.True(t, slices.IsSorted(l.NonVoters))
	voters, replicas := perRegion(c, l.Voters), perRegion(c, all)
	for _, k := range spec.Constraints {
		require.GreaterOrEqual(t, replicas[c.RegionIndex(k.Region)], k.NumReplicas, "constraint %s", k)
	}
	for _, k := range spec.VoterConstraints {
		ri := c.RegionIndex(k.Region)
		if k.NumReplicas == 0 {
			require.Equal(t, spec.NumVoters, voters[ri], "voter constraint %s", k)
		} else {
			require.GreaterOrEqual(t, voters[ri], k.NumReplicas, "voter constraint %s", k)
		}
	}
	for ri := range c.Regions {
		zones := map[int]int{}
		for _, id := range l.Voters {
			if c.Nodes[id].Region == ri {
				zones[c.Nodes[id].Zone]++
			}
		}
		if voters[ri] <= len(c.Regions[ri].Zones) {
			require.Len(t, zones, voters[ri], "voters of region %s share a zone: %v", c.Regions[ri].Name, l.Voters)
		}
	}
	require.Contains(t, l.ValidLeaseTargets(c, nil, nil), l.Leaseholder)
	require.Equal(t, spec.GlobalReads, l.GlobalReads)
}
