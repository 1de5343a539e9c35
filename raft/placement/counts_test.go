package placement

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/topology"
)

func ptr(n int) *int { return &n }

// perZone counts ids per cluster zone.
func perZone(c *topology.Cluster, ids []topology.NodeID) map[string]int {
	out := map[string]int{}
	for _, id := range ids {
		out[c.Nodes[id].Locality.Zone]++
	}
	return out
}

// TestReplicaCounts: num_voters / num_replicas overrides, database-level
// (zone config extensions: not below the survival goal's counts) and
// table-level (a plain zone config: only zonepb's rules).
func TestReplicaCounts(t *testing.T) {
	tests := []struct {
		name           string
		db             Database
		table          TableSpec
		voters, repls  int
		voterCons      string
		constraintsStr string
	}{
		{"zone, database num_voters 5: the 2 non-voters stay",
			withCounts(DefaultDatabase(threeRegions...), ptr(5), nil), TableSpec{}, 5, 7,
			"[+region=us-east1]", "{+region=us-east1: 1, +region=us-west1: 1, +region=europe-west1: 1}"},
		{"zone, num_voters 5 num_replicas 5: every replica votes",
			withCounts(DefaultDatabase(threeRegions...), ptr(5), ptr(5)), TableSpec{}, 5, 5, "[+region=us-east1]", ""},
		{"zone, num_replicas 7: 4 non-voters",
			withCounts(DefaultDatabase(threeRegions...), nil, ptr(7)), TableSpec{}, 3, 7, "[+region=us-east1]", ""},
		{"region, num_voters 7 keeps home:2",
			withCounts(dbWith(threeRegions, SurvivalRegion, "", ""), ptr(7), nil), TableSpec{}, 7, 7, "{+region=us-east1: 2}", ""},
		{"table override wins over the database's",
			withCounts(DefaultDatabase(threeRegions...), ptr(5), nil), TableSpec{NumVoters: ptr(3)}, 3, 5, "[+region=us-east1]", ""},
		{"table zone config may go below the goal (override_multi_region_zone_config)",
			dbWith(threeRegions, SurvivalRegion, "", ""), TableSpec{NumVoters: ptr(3)}, 3, 5, "{+region=us-east1: 2}", ""},
		{"region, table num_replicas 6: the survival goal's 5 voters and a non-voter",
			dbWith(threeRegions, SurvivalRegion, "", ""), TableSpec{NumReplicas: ptr(6)}, 5, 6, "{+region=us-east1: 2}", ""},
		{"fields inherit one by one: database num_voters, table num_replicas",
			withCounts(DefaultDatabase(threeRegions...), ptr(5), nil), TableSpec{NumReplicas: ptr(9)}, 5, 9, "[+region=us-east1]", ""},
		{"none: num_replicas 5 makes 5 voters",
			DefaultDatabase(threeRegions...), TableSpec{Locality: LocalityNone, NumReplicas: ptr(5)}, 5, 5, "[]", "[]"},
		{"none: num_voters 5 raises num_replicas with it",
			DefaultDatabase(threeRegions...), TableSpec{Locality: LocalityNone, NumVoters: ptr(5)}, 5, 5, "[]", "[]"},
		{"none: num_voters 1 of 3 replicas",
			DefaultDatabase(threeRegions...), TableSpec{Locality: LocalityNone, NumVoters: ptr(1)}, 1, 3, "[]", "[]"},
		{"none ignores a multi-region database's counts",
			withCounts(DefaultDatabase(threeRegions...), ptr(5), nil), TableSpec{Locality: LocalityNone}, 3, 3, "[]", "[]"},
		{"none takes a plain database's counts",
			withCounts(Database{}, nil, ptr(5)), TableSpec{Locality: LocalityNone}, 5, 5, "[]", "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.table.Spec(tt.db, "")
			require.NoError(t, err)
			assert.Equal(t, tt.voters, s.NumVoters)
			assert.Equal(t, tt.repls, s.NumReplicas)
			assert.Equal(t, tt.voterCons, formatConstraints(s.VoterConstraints))
			if tt.constraintsStr != "" {
				assert.Equal(t, tt.constraintsStr, formatConstraints(s.Constraints))
			}
		})
	}
}

func withCounts(db Database, voters, replicas *int) Database {
	db.NumVoters, db.NumReplicas = voters, replicas
	return db
}

// TestReplicaCountRefusals: what CockroachDB refuses, with its message.
func TestReplicaCountRefusals(t *testing.T) {
	mr := DefaultDatabase(threeRegions...)
	region := dbWith(threeRegions, SurvivalRegion, "", "")
	regionSecondary := dbWith(threeRegions, SurvivalRegion, "", regB)
	tests := []struct {
		name    string
		db      Database
		table   TableSpec
		mention []string
	}{
		{"database num_voters 0", withCounts(mr, ptr(0), nil), TableSpec{},
			[]string{"database.num_voters: 0", "at least one voting replica is required"}},
		{"table num_voters -1", mr, TableSpec{NumVoters: ptr(-1)},
			[]string{"num_voters: -1", "at least one voting replica is required"}},
		{"num_voters 2", mr, TableSpec{NumVoters: ptr(2)},
			[]string{"num_voters: 2", "at least 3 voting replicas are required for multi-replica configurations"}},
		{"num_replicas 0", mr, TableSpec{Locality: LocalityNone, NumReplicas: ptr(0)},
			[]string{"num_replicas: 0", "at least one replica is required"}},
		{"num_replicas 2", mr, TableSpec{Locality: LocalityNone, NumReplicas: ptr(2)},
			[]string{"num_replicas: 2", "at least 3 replicas are required for multi-replica configurations"}},
		{"num_voters > num_replicas", mr, TableSpec{NumVoters: ptr(7), NumReplicas: ptr(5)},
			[]string{"num_voters: 7 with num_replicas 5", "num_voters cannot be greater than num_replicas"}},
		{"num_replicas below the voters", dbWith(threeRegions, SurvivalRegion, "", ""), TableSpec{NumReplicas: ptr(4)},
			[]string{"num_replicas: 4 with num_voters 5", "num_voters cannot be greater than num_replicas"}},
		{"database num_voters > num_replicas", withCounts(mr, ptr(7), ptr(6)), TableSpec{},
			[]string{"database.num_voters: 7 with num_replicas 6", "num_voters cannot be greater than num_replicas"}},
		{"extension below the region goal", withCounts(region, ptr(3), nil), TableSpec{},
			[]string{"database.num_voters: 3", "zone config extension cannot set num_voters 3 that is lower than the one required for the survival goal: 5 with goal region"}},
		{"extension num_replicas below the zone goal", withCounts(mr, nil, ptr(4)), TableSpec{},
			[]string{"database.num_replicas: 4", "cannot set num_replicas 4 that is lower than the one required for the survival goal: 5 with goal zone"}},
		{"voter constraints over num_voters", regionSecondary, TableSpec{NumVoters: ptr(3)},
			[]string{"the number of replicas specified in voter_constraints (4) cannot be greater than the number of voters configured for the zone (3)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.table.Spec(tt.db, "")
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "placement: "), err.Error())
			for _, m := range tt.mention {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
	// Database-level refusals are Validate's too.
	require.ErrorIs(t, withCounts(region, ptr(3), nil).Validate(), ErrReplicaCount)
	require.ErrorIs(t, withCounts(Database{}, ptr(0), nil).Validate(), ErrReplicaCount)
}

// TestZoneFiveVotersLayout: ZONE survival with num_voters 5 on 3 regions ×
// 3 AZs × 2 nodes: the 5 voters are in the home region over its 3 AZs
// (2, 2, 1: diversity), the 2 non-voters in the other regions.
func TestZoneFiveVotersLayout(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 2)
	db := withCounts(DefaultDatabase(threeRegions...), ptr(5), nil)
	layouts, err := PlaceTable(c, db, TableSpec{Name: "t", Ranges: 6}, newRand(1), NewLoad(c))
	require.NoError(t, err)
	for _, l := range layouts {
		assert.Equal(t, []int{5, 0, 0}, perRegion(c, l.Voters))
		assert.Equal(t, []int{0, 1, 1}, perRegion(c, l.NonVoters))
		counts := slices.Sorted(func(yield func(int) bool) {
			for _, n := range perZone(c, l.Voters) {
				if !yield(n) {
					return
				}
			}
		})
		assert.Equal(t, []int{1, 2, 2}, counts, "voters per AZ")
		assert.Equal(t, 0, c.Nodes[l.Leaseholder].Region)
	}
	// With num_replicas 5 as well, CockroachDB turns the non-voters into
	// voters the voter constraint keeps home: the other regions hold none
	// and the range violates its constraints, which the allocator accepts.
	db.NumReplicas = ptr(5)
	layouts, err = PlaceTable(c, db, TableSpec{Name: "t", Ranges: 2}, newRand(1), NewLoad(c))
	require.NoError(t, err)
	for _, l := range layouts {
		assert.Equal(t, []int{5, 0, 0}, perRegion(c, l.Voters))
		assert.Empty(t, l.NonVoters)
	}
	// Five voters need five nodes in the home region: with three, the
	// allocator places three and leaves the range under-replicated; the
	// non-voters (num_replicas 5+2) stay one in each other region.
	small := newCluster(t, threeRegions, 3, 1)
	layouts, err = PlaceTable(small, withCounts(DefaultDatabase(threeRegions...), ptr(5), nil), TableSpec{Name: "t"}, newRand(1), nil)
	require.NoError(t, err)
	for _, l := range layouts {
		assert.Equal(t, []int{3, 0, 0}, perRegion(small, l.Voters))
		assert.Equal(t, []int{0, 1, 1}, perRegion(small, l.NonVoters))
		assert.Equal(t, 2, l.MissingVoters)
		assert.Equal(t, 0, l.MissingNonVoters)
	}
}

// TestNoneFiveReplicas: a table of locality none with num_replicas 5 on 3
// regions: 5 voters, spread 2-2-1 over the regions and over distinct AZs
// (diversity), no non-voters, no lease preference.
func TestNoneFiveReplicas(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	layouts, err := PlaceTable(c, Database{}, TableSpec{Name: "t", Locality: LocalityNone, NumReplicas: ptr(5), Ranges: 9},
		newRand(1), NewLoad(c))
	require.NoError(t, err)
	for _, l := range layouts {
		require.Len(t, l.Voters, 5)
		assert.Empty(t, l.NonVoters)
		assert.Empty(t, l.LeasePreferences)
		got := slices.Sorted(slices.Values(perRegion(c, l.Voters)))
		assert.Equal(t, []int{1, 2, 2}, got)
		for _, n := range perZone(c, l.Voters) {
			assert.Equal(t, 1, n, "one voter per AZ")
		}
	}
}

// superDB is 5 regions, primary us-east1, with the super region "pacific"
// = {us-west1, asia-east1, australia-southeast1}; europe-west1 and the
// primary are in none.
func superDB(survival Survival) Database {
	db := dbWith(fiveRegions, survival, "", "")
	db.SuperRegions = map[string][]string{"pacific": {regB, regD, regE}}
	return db
}

// TestSuperRegionSpecs: the zone configs AddConstraintsForSuperRegion
// synthesises, by hand. Super region regions sort as asia-east1,
// australia-southeast1, us-west1.
func TestSuperRegionSpecs(t *testing.T) {
	tests := []struct {
		name     string
		db       Database
		table    TableSpec
		home     string
		want     string
		inside   bool // every constrained region is in the home's super region
		restrict bool // the constraints place every replica
	}{
		// ZONE: 3 voters + (3−1) = 5 replicas; home reserves the 3 voters,
		// the other 2 regions one each.
		{"zone rbt in member", superDB(SurvivalZone), TableSpec{Locality: LocalityRegionalByTable}, regB,
			"num_replicas=5 num_voters=3 constraints={+region=asia-east1: 1, +region=australia-southeast1: 1, +region=us-west1: 3} voter_constraints=[+region=us-west1] lease_preferences=[[+region=us-west1]]",
			true, true},
		// REGION: 5 voters, max(2 + 2, 5) = 5 replicas spread evenly:
		// 5/3 = 1 each, the 2 extra to home and the first other region.
		{"region rbt in member", superDB(SurvivalRegion), TableSpec{Locality: LocalityRegionalByTable}, regE,
			"num_replicas=5 num_voters=5 constraints={+region=asia-east1: 2, +region=australia-southeast1: 2, +region=us-west1: 1} voter_constraints={+region=australia-southeast1: 2} lease_preferences=[[+region=australia-southeast1]]",
			true, true},
		{"region rbr partition in member", superDB(SurvivalRegion), TableSpec{Locality: LocalityRegionalByRow}, regB,
			"num_replicas=5 num_voters=5 constraints={+region=asia-east1: 2, +region=australia-southeast1: 1, +region=us-west1: 2} voter_constraints={+region=us-west1: 2} lease_preferences=[[+region=us-west1]]",
			true, true},
		{"zone rbr partition in member, num_voters 5", withCounts(superDB(SurvivalZone), ptr(5), nil), TableSpec{Locality: LocalityRegionalByRow}, regD,
			"num_replicas=7 num_voters=5 constraints={+region=asia-east1: 5, +region=australia-southeast1: 1, +region=us-west1: 1} voter_constraints=[+region=asia-east1] lease_preferences=[[+region=asia-east1]]",
			true, true},
		{"zone restricted: all 3 at home", func() Database { db := superDB(SurvivalZone); db.Placement = PlacementRestricted; return db }(),
			TableSpec{Locality: LocalityRegionalByTable}, regD,
			"num_replicas=3 num_voters=3 constraints={+region=asia-east1: 3} voter_constraints=[+region=asia-east1] lease_preferences=[[+region=asia-east1]]",
			true, true},
		// Outside the super region: the database's config.
		{"rbt in a non-member", superDB(SurvivalZone), TableSpec{Locality: LocalityRegionalByTable}, regC,
			"num_replicas=7 num_voters=3 constraints={+region=us-east1: 1, +region=us-west1: 1, +region=europe-west1: 1, +region=asia-east1: 1, +region=australia-southeast1: 1} voter_constraints=[+region=europe-west1] lease_preferences=[[+region=europe-west1]]",
			false, false},
		// RBT without a home region is homed in the primary: in a super
		// region, confined to it (ZoneConfigForMultiRegionTable).
		{"rbt in the primary, a member", func() Database {
			db := superDB(SurvivalZone)
			db.SuperRegions = map[string][]string{"americas": {regA, regB, regC}}
			return db
		}(), TableSpec{Locality: LocalityRegionalByTable}, "",
			"num_replicas=5 num_voters=3 constraints={+region=europe-west1: 1, +region=us-east1: 3, +region=us-west1: 1} voter_constraints=[+region=us-east1] lease_preferences=[[+region=us-east1]]",
			true, true},
		// GLOBAL ignores super regions, even with the primary in one.
		{"global with the primary in a super region", func() Database {
			db := superDB(SurvivalZone)
			db.SuperRegions = map[string][]string{"americas": {regA, regB, regC}}
			return db
		}(), TableSpec{Locality: LocalityGlobal}, "",
			"num_replicas=7 num_voters=3 constraints={+region=us-east1: 1, +region=us-west1: 1, +region=europe-west1: 1, +region=asia-east1: 1, +region=australia-southeast1: 1} voter_constraints=[+region=us-east1] lease_preferences=[[+region=us-east1]] global_reads=true",
			false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.db.Validate())
			s, err := tt.table.Spec(tt.db, tt.home)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.String())
			_, members := tt.db.SuperRegionOf(s.Home)
			sum := 0
			for _, c := range s.Constraints {
				sum += c.NumReplicas
				if tt.inside {
					assert.Contains(t, members, c.Region)
				}
			}
			assert.Equal(t, tt.restrict, sum == s.NumReplicas, "constraints place every replica")
		})
	}
}

// TestSuperRegionPlacement: on a 5-region cluster every replica of a
// regional table or partition homed in a super region's member stays in
// the super region, for every locality; GLOBAL tables and data homed
// outside keep a replica in every region.
func TestSuperRegionPlacement(t *testing.T) {
	c := newCluster(t, fiveRegions, 3, 1)
	members := []int{1, 3, 4} // us-west1, asia-east1, australia-southeast1
	for _, survival := range []Survival{SurvivalZone, SurvivalRegion} {
		db := superDB(survival)
		load := NewLoad(c)
		for _, tt := range []struct {
			table TableSpec
			homed []string // partitions or home restricted to the super region
		}{
			{TableSpec{Name: "rbt-member", Locality: LocalityRegionalByTable, HomeRegion: regD, Ranges: 4}, []string{regD}},
			{TableSpec{Name: "rbt-primary", Locality: LocalityRegionalByTable, Ranges: 4}, nil},
			{TableSpec{Name: "rbr", Locality: LocalityRegionalByRow, Ranges: 10}, []string{regB, regD, regE}},
			{TableSpec{Name: "global", Locality: LocalityGlobal, Ranges: 4}, nil},
		} {
			layouts, err := PlaceTable(c, db, tt.table, newRand(3), load)
			require.NoError(t, err, "%s %s", survival, tt.table.Name)
			for _, l := range layouts {
				home := l.Spec.Home
				all := slices.Concat(l.Voters, l.NonVoters)
				inSuper := slices.Contains(tt.homed, home)
				for _, id := range all {
					if inSuper {
						assert.Contains(t, members, c.Nodes[id].Region, "%s %s range %d: %s outside the super region",
							survival, tt.table.Name, l.Range, id)
					}
				}
				if !inSuper {
					for r := range c.Regions {
						assert.Positive(t, perRegion(c, all)[r], "%s %s range %d: a replica in every region", survival, tt.table.Name, l.Range)
					}
				}
				assert.Equal(t, home, c.Regions[c.Nodes[l.Leaseholder].Region].Name)
				if survival == SurvivalZone {
					assert.Len(t, l.Voters, 3)
					assert.Equal(t, 3, perRegion(c, l.Voters)[c.RegionIndex(home)])
				} else {
					assert.Len(t, l.Voters, 5)
					assert.GreaterOrEqual(t, perRegion(c, l.Voters)[c.RegionIndex(home)], 2)
				}
			}
		}
	}
}

func TestSuperRegionRefusals(t *testing.T) {
	with := func(survival Survival, secondary string, srs map[string][]string) Database {
		db := dbWith(fiveRegions, survival, "", secondary)
		db.SuperRegions = srs
		return db
	}
	tests := []struct {
		name    string
		db      Database
		mention []string
	}{
		{"unknown region", with("", "", map[string][]string{"eu": {regC, "eu-west-9"}}),
			[]string{`database.super_regions.eu[1]: "eu-west-9"`, "region eu-west-9 not part of database"}},
		{"region in two super regions", with("", "", map[string][]string{"a": {regB, regC}, "b": {regD, regC}}),
			[]string{`database.super_regions.b[1]: "europe-west1"`, "region europe-west1 is already part of super region a"}},
		{"region twice in one", with("", "", map[string][]string{"a": {regB, regB}}),
			[]string{`database.super_regions.a[1]`, "duplicate region us-west1 found in super region a"}},
		{"empty super region", with("", "", map[string][]string{"a": {}}),
			[]string{"database.super_regions.a", "no regions found within super region a"}},
		{"region survival with 2 regions", with(SurvivalRegion, "", map[string][]string{"a": {regB, regC}}),
			[]string{"database.super_regions.a", "super region a only has 2 region(s): at least 3 regions are required for surviving a region failure"}},
		{"secondary outside the primary's super region", with("", regD, map[string][]string{"a": {regA, regB}}),
			[]string{"database.secondary_region", "the secondary region must be in the same super region as the current primary region"}},
		{"secondary in a super region, primary in none", with("", regD, map[string][]string{"a": {regD, regE}}),
			[]string{"database.secondary_region", "the secondary region can not be in a super region, unless the primary is also within a super region"}},
		{"not multi-region", Database{SuperRegions: map[string][]string{"a": {regA}}},
			[]string{"database.super_regions", "database must be multi-region to support super regions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.db.Validate()
			require.Error(t, err)
			for _, m := range tt.mention {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
	// A secondary in the primary's super region is fine; so is ZONE with a
	// 2-region super region.
	require.NoError(t, with("", regB, map[string][]string{"a": {regA, regB}}).Validate())
	require.NoError(t, with(SurvivalRegion, regB, map[string][]string{"a": {regA, regB, regC}}).Validate())
}
