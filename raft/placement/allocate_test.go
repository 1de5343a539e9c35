package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/topology"
)

// split is an acceptable per-region count of voters and non-voters, in
// cluster region order.
type split struct{ voters, nonVoters []int }

// TestReference14 has one row per row of reference §1.4's table (3 regions
// × 3 AZs unless the row says otherwise; A = us-east1 is home/primary), plus
// the GLOBAL-under-RESTRICTED case the table mentions. Every row is
// allocated for many seeds, with 1 and 2 nodes per zone.
func TestReference14(t *testing.T) {
	tests := []struct {
		name        string
		regions     []string
		db          Database
		loc         Locality
		home        string
		wantSpec    string  // Spec.String()
		splits      []split // acceptable layouts, all of which must occur
		wantPrefs   []string
		wantLease   string // leaseholder region
		globalReads bool
	}{
		{
			name: "ZONE, DEFAULT", regions: threeRegions, db: DefaultDatabase(threeRegions...),
			wantSpec: "num_replicas=5 num_voters=3 constraints={+region=us-east1: 1, +region=us-west1: 1, " +
				"+region=europe-west1: 1} voter_constraints=[+region=us-east1] lease_preferences=[[+region=us-east1]]",
			splits:    []split{{[]int{3, 0, 0}, []int{0, 1, 1}}},
			wantPrefs: []string{regA}, wantLease: regA,
		},
		{
			name: "ZONE + secondary B", regions: threeRegions, db: dbWith(threeRegions, SurvivalZone, "", regB),
			wantSpec: "num_replicas=5 num_voters=3 constraints={+region=us-east1: 1, +region=us-west1: 1, " +
				"+region=europe-west1: 1} voter_constraints=[+region=us-east1] " +
				"lease_preferences=[[+region=us-east1], [+region=us-west1]]",
			splits:    []split{{[]int{3, 0, 0}, []int{0, 1, 1}}},
			wantPrefs: []string{regA, regB}, wantLease: regA,
		},
		{
			name: "ZONE, PLACEMENT RESTRICTED, RBT", regions: threeRegions,
			db: dbWith(threeRegions, SurvivalZone, PlacementRestricted, ""), loc: LocalityRegionalByTable,
			wantSpec: "num_replicas=3 num_voters=3 constraints=[] voter_constraints=[+region=us-east1] " +
				"lease_preferences=[[+region=us-east1]]",
			splits:    []split{{[]int{3, 0, 0}, []int{0, 0, 0}}},
			wantPrefs: []string{regA}, wantLease: regA,
		},
		{
			name: "ZONE, PLACEMENT RESTRICTED, RBR partition in B", regions: threeRegions,
			db: dbWith(threeRegions, SurvivalZone, PlacementRestricted, ""), loc: LocalityRegionalByRow, home: regB,
			wantSpec: "num_replicas=3 num_voters=3 constraints=[] voter_constraints=[+region=us-west1] " +
				"lease_preferences=[[+region=us-west1]]",
			splits:    []split{{[]int{0, 3, 0}, []int{0, 0, 0}}},
			wantPrefs: []string{regB}, wantLease: regB,
		},
		{
			name: "ZONE, PLACEMENT RESTRICTED, GLOBAL still gets non-voters", regions: threeRegions,
			db: dbWith(threeRegions, SurvivalZone, PlacementRestricted, ""), loc: LocalityGlobal,
			wantSpec: "num_replicas=5 num_voters=3 constraints={+region=us-east1: 1, +region=us-west1: 1, " +
				"+region=europe-west1: 1} voter_constraints=[+region=us-east1] " +
				"lease_preferences=[[+region=us-east1]] global_reads=true",
			splits:    []split{{[]int{3, 0, 0}, []int{0, 1, 1}}},
			wantPrefs: []string{regA}, wantLease: regA, globalReads: true,
		},
		{
			name: "REGION, DEFAULT", regions: threeRegions, db: dbWith(threeRegions, SurvivalRegion, "", ""),
			wantSpec: "num_replicas=5 num_voters=5 constraints={+region=us-east1: 1, +region=us-west1: 1, " +
				"+region=europe-west1: 1} voter_constraints={+region=us-east1: 2} lease_preferences=[[+region=us-east1]]",
			splits: []split{
				{[]int{2, 2, 1}, []int{0, 0, 0}},
				{[]int{2, 1, 2}, []int{0, 0, 0}},
			},
			wantPrefs: []string{regA}, wantLease: regA,
		},
		{
			name: "REGION + secondary B", regions: threeRegions, db: dbWith(threeRegions, SurvivalRegion, "", regB),
			wantSpec: "num_replicas=5 num_voters=5 constraints={+region=us-east1: 1, +region=us-west1: 1, " +
				"+region=europe-west1: 1} voter_constraints={+region=us-east1: 2, +region=us-west1: 2} " +
				"lease_preferences=[[+region=us-east1], [+region=us-west1]]",
			splits:    []split{{[]int{2, 2, 1}, []int{0, 0, 0}}},
			wantPrefs: []string{regA, regB}, wantLease: regA,
		},
		{
			name: "REGION with 4 regions", regions: fourRegions, db: dbWith(fourRegions, SurvivalRegion, "", ""),
			wantSpec: "num_replicas=5 num_voters=5 constraints={+region=us-east1: 1, +region=us-west1: 1, " +
				"+region=europe-west1: 1, +region=asia-east1: 1} voter_constraints={+region=us-east1: 2} " +
				"lease_preferences=[[+region=us-east1]]",
			splits:    []split{{[]int{2, 1, 1, 1}, []int{0, 0, 0, 0}}},
			wantPrefs: []string{regA}, wantLease: regA,
		},
		{
			name: "REGION with 5 regions", regions: fiveRegions, db: dbWith(fiveRegions, SurvivalRegion, "", ""),
			wantSpec: "num_replicas=6 num_voters=5 constraints={+region=us-east1: 1, +region=us-west1: 1, " +
				"+region=europe-west1: 1, +region=asia-east1: 1, +region=australia-southeast1: 1} " +
				"voter_constraints={+region=us-east1: 2} lease_preferences=[[+region=us-east1]]",
			splits: []split{ // 5 voters + 1 non-voter in the region left without a voter
				{[]int{2, 1, 1, 1, 0}, []int{0, 0, 0, 0, 1}},
				{[]int{2, 1, 1, 0, 1}, []int{0, 0, 0, 1, 0}},
				{[]int{2, 1, 0, 1, 1}, []int{0, 0, 1, 0, 0}},
				{[]int{2, 0, 1, 1, 1}, []int{0, 1, 0, 0, 0}},
			},
			wantPrefs: []string{regA}, wantLease: regA,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := SpecFor(tt.db, tt.loc, tt.home)
			require.NoError(t, err)
			require.Equal(t, tt.wantSpec, spec.String())
			for _, nodesPerZone := range []int{1, 2} {
				c := newCluster(t, tt.regions, 3, nodesPerZone)
				seen := make([]int, len(tt.splits))
				for seed := range uint64(64) {
					l, err := Allocate(c, spec, newRand(seed), nil)
					require.NoError(t, err)
					checkLayoutInvariants(t, c, spec, l)
					got := split{perRegion(c, l.Voters), perRegion(c, l.NonVoters)}
					i := slices.IndexFunc(tt.splits, func(s split) bool {
						return slices.Equal(s.voters, got.voters) && slices.Equal(s.nonVoters, got.nonVoters)
					})
					require.GreaterOrEqual(t, i, 0, "seed %d: unexpected layout %v", seed, got)
					seen[i]++
					assert.Equal(t, tt.wantPrefs, regionNames(c, l.LeasePreferences))
					assert.Equal(t, tt.wantLease, c.Nodes[l.Leaseholder].Locality.Region)
					assert.Equal(t, tt.globalReads, l.GlobalReads)
					assert.Equal(t, c.RegionIndex(spec.Home), l.Home)
				}
				for i, n := range seen {
					assert.Positive(t, n, "nodes/zone %d: layout %v never chosen in 64 seeds", nodesPerZone, tt.splits[i])
				}
			}
		})
	}
}

// TestRegionSurvivalSplit checks reference §10 rule 2: under REGION survival
// without a secondary region, which of B and C gets the second floating
// voter varies — across seeds, and across the ranges of one table where the
// replica-count tally balances the two.
func TestRegionSurvivalSplit(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	db := dbWith(threeRegions, SurvivalRegion, "", "")
	layouts, err := PlaceTable(c, db, TableSpec{Name: "t", Ranges: 60}, newRand(1), NewLoad(c))
	require.NoError(t, err)
	twoInB, twoInC := 0, 0
	for _, rl := range layouts {
		switch v := perRegion(c, rl.Voters); {
		case v[1] == 2:
			twoInB++
		case v[2] == 2:
			twoInC++
		}
	}
	t.Logf("60 ranges with a tally: B got 2 voters in %d, C in %d", twoInB, twoInC)
	assert.Equal(t, 60, twoInB+twoInC)
	assert.Positive(t, twoInB)
	assert.Positive(t, twoInC)
	assert.InDelta(t, twoInB, twoInC, 6, "the tally should balance B and C: %d vs %d", twoInB, twoInC)

	// Without a tally the choice is the seed's: both occur for some seed.
	spec, err := SpecFor(db, "", "")
	require.NoError(t, err)
	seen := map[int]bool{}
	for seed := range uint64(32) {
		l, err := Allocate(c, spec, newRand(seed), nil)
		require.NoError(t, err)
		v := perRegion(c, l.Voters)
		seen[v[1]] = true
	}
	assert.True(t, seen[1] && seen[2], "B got 1 and 2 voters across seeds: %v", seen)
}

// TestNoneLocality: default replication spreads 3 voters over 3 regions by
// diversity and has no lease preferences.
func TestNoneLocality(t *testing.T) {
	for _, db := range []Database{{}, dbWith(threeRegions, SurvivalRegion, "", regB)} {
		c := newCluster(t, threeRegions, 3, 2)
		spec, err := SpecFor(db, LocalityNone, "")
		require.NoError(t, err)
		leaseRegions := map[int]bool{}
		for seed := range uint64(64) {
			l, err := Allocate(c, spec, newRand(seed), nil)
			require.NoError(t, err)
			checkLayoutInvariants(t, c, spec, l)
			assert.Equal(t, []int{1, 1, 1}, perRegion(c, l.Voters))
			assert.Empty(t, l.NonVoters)
			assert.Empty(t, l.LeasePreferences)
			assert.Equal(t, -1, l.Home)
			leaseRegions[c.Nodes[l.Leaseholder].Region] = true
		}
		assert.Len(t, leaseRegions, 3, "without preferences the initial lease may be in any region")
	}
}

func TestSystemSpecSpreadsOverRegions(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	l, err := Allocate(c, SystemSpec(), newRand(3), nil)
	require.NoError(t, err)
	checkLayoutInvariants(t, c, SystemSpec(), l)
	v := perRegion(c, l.Voters)
	slices.Sort(v)
	assert.Equal(t, []int{1, 2, 2}, v, "5 replicas over 3 regions survive one region loss")
}

// TestLoadBalancesNodes: with several nodes per zone, the replica and lease
// tally spreads ranges evenly over the nodes of a zone.
func TestLoadBalancesNodes(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 3)
	load := NewLoad(c)
	_, err := PlaceTable(c, DefaultDatabase(threeRegions...), TableSpec{Name: "t", Ranges: 90}, newRand(5), load)
	require.NoError(t, err)
	for ri := range c.Regions {
		var replicas, leases []int
		for _, id := range c.RegionNodes(ri) {
			replicas = append(replicas, load.Replicas[id])
			leases = append(leases, load.Leases[id])
		}
		want := 30 // ZONE: 3 voters per range over A's 9 nodes
		wantLeases := 10
		if ri > 0 {
			want, wantLeases = 10, 0 // 1 non-voter per range over 9 nodes
		}
		for i := range replicas {
			assert.Equal(t, want, replicas[i], "region %s replicas %v", c.Regions[ri].Name, replicas)
			assert.Equal(t, wantLeases, leases[i], "region %s leases %v", c.Regions[ri].Name, leases)
		}
	}
}

// TestVoterDiversityOracle compares the voters Allocate picks with a brute
// force over every voter set that the constraints allow: the pairwise
// diversity of the chosen voters must be the maximum.
func TestVoterDiversityOracle(t *testing.T) {
	configs := []struct {
		regions []string
		db      Database
		loc     Locality
		home    string
	}{
		{threeRegions, DefaultDatabase(threeRegions...), "", ""},
		{threeRegions, dbWith(threeRegions, SurvivalRegion, "", ""), "", ""},
		{threeRegions, dbWith(threeRegions, SurvivalRegion, "", regB), LocalityRegionalByTable, regC},
		{fourRegions, dbWith(fourRegions, SurvivalRegion, "", ""), LocalityRegionalByRow, regD},
		{fourRegions, dbWith(fourRegions, SurvivalRegion, "", regC), "", ""},
		{fiveRegions, dbWith(fiveRegions, SurvivalRegion, "", ""), "", ""},
		{threeRegions, Database{}, LocalityNone, ""},
	}
	for _, cfg := range configs {
		for _, shape := range [][2]int{{3, 1}, {2, 2}} {
			zones := shape[0]
			c := newCluster(t, cfg.regions, zones, shape[1])
			spec, err := SpecFor(cfg.db, cfg.loc, cfg.home)
			require.NoError(t, err)
			best := bestVoterDiversity(c, spec)
			for seed := range uint64(8) {
				l, err := Allocate(c, spec, newRand(seed), nil)
				require.NoError(t, err)
				checkLayoutInvariants(t, c, spec, l)
				assert.Equal(t, best, pairwiseDiversity(c, l.Voters), "%s zones=%d seed=%d voters=%v", spec, zones, seed, l.Voters)
			}
		}
	}
}

func pairwiseDiversity(c *topology.Cluster, ids []topology.NodeID) float64 {
	sum := 0.0
	for i := range ids {
		for j := range i {
			sum += topology.DiversityScore(c.Nodes[ids[i]].Locality, c.Nodes[ids[j]].Locality)
		}
	}
	return sum
}

// bestVoterDiversity enumerates every NumVoters-subset of the nodes that
// satisfies the voter constraints and leaves enough non-voters to satisfy
// the replica constraints, and returns the largest pairwise diversity.
func bestVoterDiversity(c *topology.Cluster, spec Spec) float64 {
	best := -1.0
	var rec func(start int, chosen []topology.NodeID)
	rec = func(start int, chosen []topology.NodeID) {
		if len(chosen) == spec.NumVoters {
			v := perRegion(c, chosen)
			for _, k := range spec.VoterConstraints {
				ri := c.RegionIndex(k.Region)
				if (k.NumReplicas == 0 && v[ri] != len(chosen)) || v[ri] < k.NumReplicas {
					return
				}
			}
			missing := 0
			for _, k := range spec.Constraints {
				missing += max(0, k.NumReplicas-v[c.RegionIndex(k.Region)])
			}
			if missing > spec.NumReplicas-spec.NumVoters {
				return
			}
			best = max(best, pairwiseDiversity(c, chosen))
			return
		}
		for i := start; i < len(c.Nodes); i++ {
			rec(i+1, append(chosen, topology.NodeID(i)))
		}
	}
	rec(0, nil)
	return best
}

func TestAllocateUnsatisfiable(t *testing.T) {
	c3 := newCluster(t, threeRegions, 3, 1)
	zoneSpec, err := SpecFor(DefaultDatabase(threeRegions...), "", "")
	require.NoError(t, err)
	tests := []struct {
		name    string
		c       *topology.Cluster
		spec    Spec
		mention string
	}{
		{"constraint region not in cluster", c3,
			Spec{NumReplicas: 3, NumVoters: 3, Constraints: oneEach(regD)}, `"asia-east1"`},
		{"voter constraint region not in cluster", c3,
			Spec{NumReplicas: 3, NumVoters: 3, VoterConstraints: []Constraint{{regD, 0}}}, `"asia-east1"`},
		{"lease preference region not in cluster", c3,
			Spec{NumReplicas: 3, NumVoters: 3, LeasePreferences: []string{"mars"}}, `"mars"`},
		{"voter constraint region without a node", c3,
			Spec{NumReplicas: 3, NumVoters: 3, Constraints: []Constraint{{regA, 0}}, VoterConstraints: []Constraint{{regB, 0}}}, "no node satisfies"},
		{"REGION home:2 on a one-node region", newCluster(t, threeRegions, 1, 1),
			Spec{NumReplicas: 3, NumVoters: 3, VoterConstraints: []Constraint{{regA, 2}}}, "voter_constraints"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Allocate(tt.c, tt.spec, newRand(1), nil)
			require.ErrorIs(t, err, ErrUnsatisfiable)
			assert.Contains(t, err.Error(), tt.mention)
		})
	}
	_, err = Allocate(c3, Spec{NumReplicas: 3}, newRand(1), nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_ = zoneSpec
}

// TestAllocateUnderReplicated: a replica no node can take is left missing,
// as CockroachDB's allocator leaves it (AllocatorAddVoter fails and the
// range stays under-replicated), with the counts GetNeededVoters and
// GetNeededNonVoters aim for. Hand-computed:
//
//   - ZONE survival on 3 regions × 2 zones × 1 node: needed voters
//     min(3, 6 nodes) = 3, but the home region has 2 nodes → 2 voters
//     there, 1 missing; needed non-voters min(2, 6−3) = 2 → one in each
//     other region.
//   - The system spec (5 voters, 5 replicas) on one region of 2 nodes:
//     needed voters min(5, 2) = 2, made odd → 1, raised to 3; 2 nodes →
//     2 voters, 3 of the zone config's 5 missing; no non-voters asked.
func TestAllocateUnderReplicated(t *testing.T) {
	zoneSpec, err := SpecFor(DefaultDatabase(threeRegions...), "", "")
	require.NoError(t, err)
	c := newCluster(t, threeRegions, 2, 1)
	for seed := range uint64(4) {
		l, err := Allocate(c, zoneSpec, newRand(seed), nil)
		require.NoError(t, err)
		assert.Equal(t, []int{2, 0, 0}, perRegion(c, l.Voters))
		assert.Equal(t, []int{0, 1, 1}, perRegion(c, l.NonVoters))
		assert.Equal(t, 1, l.MissingVoters)
		assert.Equal(t, 0, l.MissingNonVoters)
		assert.True(t, l.UnderReplicated())
		assert.True(t, l.IsVoter(l.Leaseholder))
	}
	one := newCluster(t, []string{regA}, 2, 1)
	l, err := Allocate(one, SystemSpec(), newRand(1), nil)
	require.NoError(t, err)
	assert.Len(t, l.Voters, 2)
	assert.Empty(t, l.NonVoters)
	assert.Equal(t, 3, l.MissingVoters)
	assert.Equal(t, 0, l.MissingNonVoters)
}

// TestNeededCounts checks GetNeededVoters' and GetNeededNonVoters' rules
// by hand: the zone config's count when the cluster is big enough, else
// the node count made odd, at least 3, never above the zone config's.
func TestNeededCounts(t *testing.T) {
	for _, tt := range []struct{ voters, nodes, want int }{
		{3, 9, 3}, {5, 9, 5}, {5, 5, 5}, {5, 4, 3}, {5, 3, 3}, {5, 2, 3}, {5, 1, 3},
		{3, 1, 3}, {7, 6, 5}, {1, 1, 1}, {2, 9, 2}, {4, 3, 3},
	} {
		assert.Equal(t, tt.want, NeededVoters(tt.voters, tt.nodes), "num_voters=%d nodes=%d", tt.voters, tt.nodes)
	}
	assert.Equal(t, 2, NeededNonVoters(3, 2, 9))
	assert.Equal(t, 1, NeededNonVoters(3, 2, 4))
	assert.Equal(t, 0, NeededNonVoters(5, 2, 3))
}

// TestValidLeaseTargets checks reference §1.6 / §10 rule 4 on a
// REGION + secondary B layout (A:2, B:2, C:1) and a ZONE + secondary B
// layout (B holds only a non-voter).
func TestValidLeaseTargets(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	// Node IDs: A = n1..n3 (0..2), B = n4..n6 (3..5), C = n7..n9 (6..8).
	region := Layout{Home: 0, Voters: []topology.NodeID{0, 1, 3, 4, 6}, LeasePreferences: []int{0, 1}, Leaseholder: 0}
	zone := Layout{Home: 0, Voters: []topology.NodeID{0, 1, 2}, NonVoters: []topology.NodeID{3, 6},
		LeasePreferences: []int{0, 1}, Leaseholder: 0}
	none := Layout{Home: -1, Voters: []topology.NodeID{0, 3, 6}, Leaseholder: 3}
	dead := func(ids ...topology.NodeID) func(topology.NodeID) bool {
		return func(id topology.NodeID) bool { return !slices.Contains(ids, id) }
	}
	ids := func(v ...topology.NodeID) []topology.NodeID { return v }
	tests := []struct {
		name   string
		l      Layout
		isLive func(topology.NodeID) bool
		want   []topology.NodeID
	}{
		{"REGION all live: home voters only", region, nil, ids(0, 1)},
		{"REGION one home voter dead", region, dead(0), ids(1)},
		{"REGION home lost: secondary preference", region, dead(0, 1, 2), ids(3, 4)},
		{"REGION home and secondary lost: any live voter", region, dead(0, 1, 2, 3, 4, 5), ids(6)},
		{"REGION everything dead", region, dead(0, 1, 2, 3, 4, 5, 6, 7, 8), nil},
		{"ZONE all live", zone, nil, ids(0, 1, 2)},
		{"ZONE two home voters dead", zone, dead(1, 2), ids(0)},
		{"ZONE home lost: the B non-voter cannot take the lease", zone, dead(0, 1, 2), nil},
		{"no preferences: every live voter", none, dead(3), ids(0, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.l.ValidLeaseTargets(c, tt.isLive, nil)
			assert.Equal(t, tt.want, got)
			// Appends after what dst already holds.
			prefixed := tt.l.ValidLeaseTargets(c, tt.isLive, ids(99))
			assert.Equal(t, append(ids(99), tt.want...), prefixed)
		})
	}

	move := []struct {
		name    string
		l       Layout
		isLive  func(topology.NodeID) bool
		current topology.NodeID
		want    bool
	}{
		{"lease in home stays", region, nil, 1, false},
		{"lease in secondary moves home once home is live", region, nil, 3, true},
		{"lease in secondary stays while home is down", region, dead(0, 1, 2), 4, false},
		{"lease in C moves to the secondary while home is down", region, dead(0, 1, 2), 6, true},
		{"lease in C stays when no preferred voter is live", region, dead(0, 1, 2, 3, 4, 5), 6, false},
		{"dead leaseholder: nothing to transfer", region, dead(3), 3, false},
		{"no preferences: never", none, nil, 6, false},
	}
	for _, tt := range move {
		assert.Equal(t, tt.want, tt.l.ShouldMoveLease(c, tt.isLive, tt.current), tt.name)
	}
}

func TestValidLeaseTargetsNoAllocs(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	l := Layout{Voters: []topology.NodeID{0, 1, 3, 4, 6}, LeasePreferences: []int{0, 1}}
	buf := make([]topology.NodeID, 0, 8)
	isLive := func(id topology.NodeID) bool { return id != 0 }
	allocs := testing.AllocsPerRun(100, func() {
		buf = l.ValidLeaseTargets(c, isLive, buf[:0])
		_ = l.ShouldMoveLease(c, isLive, 3)
	})
	assert.Zero(t, allocs)
}

func TestLayoutHelpers(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	l := Layout{Home: 0, Voters: []topology.NodeID{0, 1, 2}, NonVoters: []topology.NodeID{3, 6},
		LeasePreferences: []int{0, 1}, Leaseholder: 1, GlobalReads: true}
	assert.True(t, l.IsVoter(2))
	assert.False(t, l.IsVoter(3))
	assert.True(t, l.HasReplica(3))
	assert.False(t, l.HasReplica(4))
	assert.Equal(t, "voters n1(us-east1-a) n2(us-east1-b) n3(us-east1-c); "+
		"non-voters n4(us-west1-a) n7(europe-west1-a); leaseholder n2; "+
		"lease preferences [us-east1 us-west1]; global reads", l.Describe(c))
	empty := Layout{Voters: []topology.NodeID{4}, Leaseholder: 4}
	assert.Equal(t, "voters n5(us-west1-b); non-voters none; leaseholder n5; lease preferences []", empty.Describe(c))
}

// TestDeterminism: the same seed gives the same layouts; the tally and the
// seed are the only inputs besides the configuration.
func TestDeterminism(t *testing.T) {
	c := newCluster(t, fourRegions, 3, 2)
	db := dbWith(fourRegions, SurvivalRegion, "", "")
	tables := []TableSpec{
		{Name: "rbt", Ranges: 7},
		{Name: "rbt-d", Locality: LocalityRegionalByTable, HomeRegion: regD, Ranges: 5},
		{Name: "rbr", Locality: LocalityRegionalByRow, Ranges: 13},
		{Name: "global", Locality: LocalityGlobal, Ranges: 3},
		{Name: "none", Locality: LocalityNone, Ranges: 4},
	}
	run := func(seed uint64) string {
		r, load := newRand(seed), NewLoad(c)
		out := ""
		for _, tbl := range tables {
			layouts, err := PlaceTable(c, db, tbl, r, load)
			require.NoError(t, err)
			for _, rl := range layouts {
				out += fmt.Sprintf("%s/%d/%s: %s\n", rl.Table, rl.Range, rl.Partition, rl.Describe(c))
			}
		}
		return out
	}
	a := run(42)
	assert.Equal(t, a, run(42))
	assert.NotEqual(t, a, run(43), "different seeds should give some different ties")

	// A nil Load is allowed and does not change determinism.
	spec, err := SpecFor(db, "", "")
	require.NoError(t, err)
	l1, err := Allocate(c, spec, rand.New(rand.NewPCG(9, 9)), nil)
	require.NoError(t, err)
	l2, err := Allocate(c, spec, rand.New(rand.NewPCG(9, 9)), nil)
	require.NoError(t, err)
	assert.Equal(t, l1, l2)
}

func TestAllocatePanicsWithoutRand(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	assert.Panics(t, func() { _, _ = Allocate(c, SystemSpec(), nil, nil) })
}

// TestNonVotersSpreadAmongAllReplicas: a non-voter is scored for diversity
// against every replica chosen before it, voters and non-voters
// (allocateTargetFromList over the range's existing replicas), so two
// non-voters constrained into one region of two AZs take one AZ each: by
// the voters alone every node there ties, and a tie is a random pick.
// Both paths: diversity scored per pair, and from the table a table's
// ranges share (diversityTable).
func TestNonVotersSpreadAmongAllReplicas(t *testing.T) {
	c := newCluster(t, []string{regA, regB}, 2, 2)
	spec := Spec{NumReplicas: 5, NumVoters: 3,
		VoterConstraints: []Constraint{{Region: regA}}, Constraints: []Constraint{{Region: regB, NumReplicas: 2}}}
	for _, tabulated := range []bool{false, true} {
		p, err := prepare(c, spec)
		require.NoError(t, err)
		if tabulated {
			p.div = diversityTable(c)
		}
		for seed := range uint64(64) {
			l, err := p.allocate(c, newRand(seed), nil)
			require.NoError(t, err)
			require.Len(t, l.NonVoters, 2)
			a, b := c.Nodes[l.NonVoters[0]], c.Nodes[l.NonVoters[1]]
			require.Equal(t, c.RegionIndex(regB), a.Region)
			require.Equal(t, c.RegionIndex(regB), b.Region)
			assert.NotEqual(t, a.Zone, b.Zone, "tabulated=%v seed=%d non-voters %v", tabulated, seed, l.NonVoters)
		}
	}
}

// TestZoneDiversityIsEveryPairsScore: the table a table's ranges share
// scores pairs of zones (diversityTable), and a pair of nodes reads its
// zones' cell; it must be topology.DiversityScore of the two nodes, for
// every ordered pair, a node with itself included, on even and uneven
// clusters (zones of one node, of several, regions of one zone).
func TestZoneDiversityIsEveryPairsScore(t *testing.T) {
	clusters := []*topology.Cluster{
		newCluster(t, []string{regA, regB, regC}, 3, 1),
		newCluster(t, []string{regA, regB}, 2, 3),
		newUneven(t, []string{regA, regB, regC}, []int{1, 3, 2}, []int{4}, []int{1, 1}),
	}
	for ci, c := range clusters {
		p, err := prepare(c, Spec{NumReplicas: 3, NumVoters: 3})
		require.NoError(t, err)
		p.div = diversityTable(c)
		for i := range c.Nodes {
			for j := range c.Nodes {
				want := topology.DiversityScore(c.Nodes[i].Locality, c.Nodes[j].Locality)
				require.Equal(t, want, p.diversity(c, i, topology.NodeID(j)), "cluster %d: n%d, n%d", ci, i, j)
			}
		}
	}
}
