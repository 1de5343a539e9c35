package placement

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/topology"
)

// newUneven builds a cluster whose regions have their own zones and nodes:
// zoneNodes[r][z] nodes in zone z of regions[r].
func newUneven(t testing.TB, regions []string, zoneNodes ...[]int) *topology.Cluster {
	t.Helper()
	c, err := topology.NewUnevenLayout(regions, zoneNodes)
	require.NoError(t, err)
	return c
}

// zonesOf returns the zone name of each of ids, in order.
func zonesOf(c *topology.Cluster, ids []topology.NodeID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = c.Nodes[id].Locality.Zone
	}
	return out
}

// TestUnevenZoneSurvival: ZONE survival keeps the 3 voters in the home
// region and spreads them over its zones by diversity
// (diversityAllocateScore); with fewer zones than voters a zone takes a
// second voter, and a one-zone region puts them on 3 nodes of that zone.
// Non-voters go one to each other region, whatever its shape.
func TestUnevenZoneSurvival(t *testing.T) {
	// us-east1: zones a, b of 2 nodes (n1 n2 | n3 n4); us-west1: one zone of
	// 3 nodes (n5 n6 n7); europe-west1: zones of 2, 1, 1 nodes (n8 n9 | n10 | n11).
	c := newUneven(t, threeRegions, []int{2, 2}, []int{3}, []int{2, 1, 1})
	tests := []struct {
		home      string
		wantZones []string // sorted zone of each voter
	}{
		{regA, []string{"us-east1-a", "us-east1-a", "us-east1-b"}},
		{regB, []string{"us-west1-a", "us-west1-a", "us-west1-a"}},
		{regC, []string{"europe-west1-a", "europe-west1-b", "europe-west1-c"}},
	}
	for _, tt := range tests {
		t.Run(tt.home, func(t *testing.T) {
			db := DefaultDatabase(threeRegions...)
			spec, err := SpecFor(db, LocalityRegionalByRow, tt.home)
			require.NoError(t, err)
			bothWays := map[string]bool{}
			for seed := range uint64(32) {
				l, err := Allocate(c, spec, newRand(seed), nil)
				require.NoError(t, err)
				checkLayoutInvariants(t, c, spec, l)
				got := zonesOf(c, l.Voters)
				slices.Sort(got)
				if tt.home == regA {
					// Which zone takes the second voter is a tie.
					bothWays[got[1]] = true
					got[0], got[1], got[2] = "us-east1-a", "us-east1-a", "us-east1-b"
				}
				assert.Equal(t, tt.wantZones, got, "seed %d: %s", seed, l.Describe(c))
				nv := perRegion(c, l.NonVoters)
				home := c.RegionIndex(tt.home)
				for r := range c.Regions {
					want := 1
					if r == home {
						want = 0
					}
					assert.Equal(t, want, nv[r], "seed %d: non-voters in %s", seed, c.Regions[r].Name)
				}
				assert.Equal(t, tt.home, c.Nodes[l.Leaseholder].Locality.Region)
			}
			if tt.home == regA {
				assert.Len(t, bothWays, 2, "either zone takes the second voter across seeds")
			}
		})
	}
}

// TestUnevenRegionSurvival: REGION survival on us-east1 (one zone of 3
// nodes), us-west1 (one node) and europe-west1 (3 zones of 1 node): 2
// voters in the home region (voter_constraints), then the 3 others by
// diversity against the voters so far. us-west1's single node scores
// 1+1+1 = 3 against {A, A, C} where a second europe-west1 node scores
// 1+1+0.5 = 2.5, so every layout is A:2 (one zone) B:1 C:2 (two zones) —
// never B:2, which needs a node B does not have.
func TestUnevenRegionSurvival(t *testing.T) {
	c := newUneven(t, threeRegions, []int{3}, []int{1}, []int{1, 1, 1})
	spec, err := SpecFor(dbWith(threeRegions, SurvivalRegion, "", ""), "", "")
	require.NoError(t, err)
	for seed := range uint64(32) {
		l, err := Allocate(c, spec, newRand(seed), nil)
		require.NoError(t, err)
		checkLayoutInvariants(t, c, spec, l)
		assert.Equal(t, []int{2, 1, 2}, perRegion(c, l.Voters), "seed %d: %s", seed, l.Describe(c))
		assert.Empty(t, l.NonVoters)
		assert.Contains(t, l.Voters, topology.NodeID(3), "us-west1's only node n4")
		zones := zonesOf(c, l.Voters)
		assert.NotEqual(t, zones[3], zones[4], "seed %d: europe-west1 voters share a zone", seed)
		assert.Equal(t, regA, c.Nodes[l.Leaseholder].Locality.Region)
	}
}

// TestUnevenVoterDiversityOracle is TestVoterDiversityOracle on uneven
// shapes: the greedy pass reaches the best pairwise diversity a brute-force
// search finds, every layout keeps the invariants, and a spec no subset of
// nodes satisfies is placed under-replicated (or, without a single voter,
// fails with ErrUnsatisfiable).
func TestUnevenVoterDiversityOracle(t *testing.T) {
	shapes := [][][]int{
		{{2, 2}, {3}, {2, 1, 1}},
		{{3}, {1}, {1, 1, 1}},
		{{1, 1, 1}, {1, 2}, {4}},
		{{1, 1, 1, 1}, {2}, {1, 1}, {3}},
	}
	for _, shape := range shapes {
		regions := threeRegions
		if len(shape) == 4 {
			regions = fourRegions
		}
		c := newUneven(t, regions, shape...)
		configs := []struct {
			db   Database
			loc  Locality
			home string
		}{
			{DefaultDatabase(regions...), "", ""},
			{DefaultDatabase(regions...), LocalityRegionalByRow, regB},
			{dbWith(regions, SurvivalRegion, "", ""), "", ""},
			{dbWith(regions, SurvivalRegion, "", regC), LocalityRegionalByRow, regB},
			{Database{}, LocalityNone, ""},
		}
		for _, cfg := range configs {
			spec, err := SpecFor(cfg.db, cfg.loc, cfg.home)
			require.NoError(t, err)
			best := bestVoterDiversity(c, spec)
			for seed := range uint64(8) {
				l, err := Allocate(c, spec, newRand(seed), nil)
				if best < 0 { // e.g. ZONE survival homed in a region of 1 node
					if err == nil {
						assert.True(t, l.UnderReplicated(), "%v %s: %+v", shape, spec, l)
					} else {
						require.ErrorIs(t, err, ErrUnsatisfiable, "%v %s", shape, spec)
					}
					continue
				}
				require.NoError(t, err, "%v %s", shape, spec)
				checkLayoutInvariants(t, c, spec, l)
				assert.Equal(t, best, pairwiseDiversity(c, l.Voters), "%v %s seed=%d voters=%v", shape, spec, seed, l.Voters)
			}
		}
	}
}
