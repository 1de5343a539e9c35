package placement

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaxFailuresBeforeUnavailability(t *testing.T) {
	for voters, want := range map[int]int{1: 0, 2: 0, 3: 1, 4: 1, 5: 2, 6: 2, 7: 3} {
		assert.Equal(t, want, MaxFailuresBeforeUnavailability(voters), "voters=%d", voters)
	}
}

func TestNumVotersAndReplicas(t *testing.T) {
	tests := []struct {
		name                    string
		db                      Database
		wantVoters, wantReplica int
	}{
		{"not multi-region", Database{}, 3, 3},
		{"zone, 1 region", DefaultDatabase(regA), 3, 3},
		{"zone, 3 regions", DefaultDatabase(threeRegions...), 3, 5},
		{"zone, 5 regions", DefaultDatabase(fiveRegions...), 3, 7},
		{"zone restricted, 3 regions", dbWith(threeRegions, SurvivalZone, PlacementRestricted, ""), 3, 3},
		{"zone + secondary, 3 regions", dbWith(threeRegions, SurvivalZone, "", regB), 3, 5},
		{"region, 3 regions", dbWith(threeRegions, SurvivalRegion, "", ""), 5, 5},
		{"region + secondary, 3 regions", dbWith(threeRegions, SurvivalRegion, "", regB), 5, 5},
		{"region, 4 regions", dbWith(fourRegions, SurvivalRegion, "", ""), 5, 5},
		{"region + secondary, 4 regions", dbWith(fourRegions, SurvivalRegion, "", regB), 5, 6},
		{"region, 5 regions", dbWith(fiveRegions, SurvivalRegion, "", ""), 5, 6},
		{"region + secondary, 5 regions", dbWith(fiveRegions, SurvivalRegion, "", regB), 5, 7},
	}
	for _, tt := range tests {
		v, r := NumVotersAndReplicas(tt.db)
		assert.Equal(t, tt.wantVoters, v, tt.name)
		assert.Equal(t, tt.wantReplica, r, tt.name)
	}
}

func oneEach(regions ...string) []Constraint {
	out := make([]Constraint, len(regions))
	for i, r := range regions {
		out[i] = Constraint{Region: r, NumReplicas: 1}
	}
	return out
}

// TestSpecFor checks the synthesised zone configs (reference §1.2–1.3)
// field by field.
func TestSpecFor(t *testing.T) {
	zone := DefaultDatabase(threeRegions...)
	zoneSec := dbWith(threeRegions, SurvivalZone, "", regB)
	restricted := dbWith(threeRegions, SurvivalZone, PlacementRestricted, "")
	restrictedSec := dbWith(threeRegions, SurvivalZone, PlacementRestricted, regB)
	region := dbWith(threeRegions, SurvivalRegion, "", "")
	regionSec := dbWith(threeRegions, SurvivalRegion, "", regB)
	all3 := oneEach(threeRegions...)

	tests := []struct {
		name string
		db   Database
		loc  Locality
		home string
		want Spec
	}{
		{"RBT in primary inherits the database (ZONE)", zone, LocalityRegionalByTable, "",
			Spec{5, 3, all3, []Constraint{{regA, 0}}, []string{regA}, false, regA, nil}},
		{"empty locality = RBT in primary", zone, "", "",
			Spec{5, 3, all3, []Constraint{{regA, 0}}, []string{regA}, false, regA, nil}},
		{"RBT naming the primary = RBT in primary", zone, LocalityRegionalByTable, regA,
			Spec{5, 3, all3, []Constraint{{regA, 0}}, []string{regA}, false, regA, nil}},
		{"RBT IN non-primary (ZONE)", zone, LocalityRegionalByTable, regC,
			Spec{5, 3, all3, []Constraint{{regC, 0}}, []string{regC}, false, regC, nil}},
		{"RBT IN non-primary with secondary (ZONE)", zoneSec, LocalityRegionalByTable, regC,
			Spec{5, 3, all3, []Constraint{{regC, 0}}, []string{regC, regB}, false, regC, nil}},
		{"RBT IN the secondary (ZONE)", zoneSec, LocalityRegionalByTable, regB,
			Spec{5, 3, all3, []Constraint{{regB, 0}}, []string{regB}, false, regB, nil}},
		{"RBT (REGION)", region, LocalityRegionalByTable, "",
			Spec{5, 5, all3, []Constraint{{regA, 2}}, []string{regA}, false, regA, nil}},
		{"RBT (REGION + secondary)", regionSec, LocalityRegionalByTable, "",
			Spec{5, 5, all3, []Constraint{{regA, 2}, {regB, 2}}, []string{regA, regB}, false, regA, nil}},
		{"RBT IN the secondary (REGION + secondary)", regionSec, LocalityRegionalByTable, regB,
			Spec{5, 5, all3, []Constraint{{regB, 2}}, []string{regB}, false, regB, nil}},
		{"RBT IN C (REGION + secondary)", regionSec, LocalityRegionalByTable, regC,
			Spec{5, 5, all3, []Constraint{{regC, 2}, {regB, 2}}, []string{regC, regB}, false, regC, nil}},
		{"RBR partition in primary", zone, LocalityRegionalByRow, "",
			Spec{5, 3, all3, []Constraint{{regA, 0}}, []string{regA}, false, regA, nil}},
		{"RBR partition in B with secondary C", dbWith(threeRegions, SurvivalZone, "", regC), LocalityRegionalByRow, regB,
			Spec{5, 3, all3, []Constraint{{regB, 0}}, []string{regB, regC}, false, regB, nil}},
		{"RBR partition in C (REGION)", region, LocalityRegionalByRow, regC,
			Spec{5, 5, all3, []Constraint{{regC, 2}}, []string{regC}, false, regC, nil}},
		{"RBT (ZONE RESTRICTED)", restricted, LocalityRegionalByTable, "",
			Spec{3, 3, nil, []Constraint{{regA, 0}}, []string{regA}, false, regA, nil}},
		{"RBR partition in B (ZONE RESTRICTED)", restricted, LocalityRegionalByRow, regB,
			Spec{3, 3, nil, []Constraint{{regB, 0}}, []string{regB}, false, regB, nil}},
		{"GLOBAL (ZONE)", zone, LocalityGlobal, "",
			Spec{5, 3, all3, []Constraint{{regA, 0}}, []string{regA}, true, regA, nil}},
		{"GLOBAL (ZONE + secondary) inherits both lease preferences", zoneSec, LocalityGlobal, "",
			Spec{5, 3, all3, []Constraint{{regA, 0}}, []string{regA, regB}, true, regA, nil}},
		{"GLOBAL (REGION)", region, LocalityGlobal, regA,
			Spec{5, 5, all3, []Constraint{{regA, 2}}, []string{regA}, true, regA, nil}},
		{"GLOBAL (ZONE RESTRICTED) builds a DEFAULT config", restricted, LocalityGlobal, "",
			Spec{5, 3, all3, []Constraint{{regA, 0}}, []string{regA}, true, regA, nil}},
		{"GLOBAL (ZONE RESTRICTED + secondary) prefers the primary only", restrictedSec, LocalityGlobal, "",
			Spec{5, 3, all3, []Constraint{{regA, 0}}, []string{regA}, true, regA, nil}},
		{"REGION, 4 regions", dbWith(fourRegions, SurvivalRegion, "", ""), LocalityRegionalByTable, "",
			Spec{5, 5, oneEach(fourRegions...), []Constraint{{regA, 2}}, []string{regA}, false, regA, nil}},
		{"REGION, 5 regions", dbWith(fiveRegions, SurvivalRegion, "", ""), LocalityRegionalByTable, "",
			Spec{6, 5, oneEach(fiveRegions...), []Constraint{{regA, 2}}, []string{regA}, false, regA, nil}},
		{"none in a plain database", Database{}, LocalityNone, "",
			Spec{NumReplicas: 3, NumVoters: 3}},
		{"empty locality in a plain database = none", Database{}, "", "",
			Spec{NumReplicas: 3, NumVoters: 3}},
		{"none next to a multi-region database", region, LocalityNone, "",
			Spec{NumReplicas: 3, NumVoters: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SpecFor(tt.db, tt.loc, tt.home)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.NoError(t, got.Validate())
		})
	}
}

func TestSpecString(t *testing.T) {
	s, err := SpecFor(dbWith(threeRegions, SurvivalRegion, "", regB), LocalityGlobal, "")
	require.NoError(t, err)
	assert.Equal(t, "num_replicas=5 num_voters=5 "+
		"constraints={+region=us-east1: 1, +region=us-west1: 1, +region=europe-west1: 1} "+
		"voter_constraints={+region=us-east1: 2, +region=us-west1: 2} "+
		"lease_preferences=[[+region=us-east1], [+region=us-west1]] global_reads=true", s.String())
	s, err = SpecFor(dbWith(threeRegions, SurvivalZone, PlacementRestricted, ""), "", "")
	require.NoError(t, err)
	assert.Equal(t, "num_replicas=3 num_voters=3 constraints=[] voter_constraints=[+region=us-east1] "+
		"lease_preferences=[[+region=us-east1]]", s.String())
}

func TestSpecValidate(t *testing.T) {
	bad := []struct {
		name string
		spec Spec
	}{
		{"no voters", Spec{NumReplicas: 3}},
		{"more voters than replicas", Spec{NumReplicas: 3, NumVoters: 5}},
		{"count-0 conjunction with others", Spec{NumReplicas: 5, NumVoters: 3,
			VoterConstraints: []Constraint{{regA, 0}, {regB, 1}}}},
		{"constraints need more replicas than exist", Spec{NumReplicas: 3, NumVoters: 3,
			Constraints: oneEach(fourRegions...)}},
		{"voter constraints need more voters than exist", Spec{NumReplicas: 5, NumVoters: 3,
			VoterConstraints: []Constraint{{regA, 2}, {regB, 2}}}},
		{"region twice", Spec{NumReplicas: 5, NumVoters: 5, Constraints: oneEach(regA, regA)}},
		{"empty region", Spec{NumReplicas: 3, NumVoters: 3, Constraints: oneEach("")}},
		{"negative count", Spec{NumReplicas: 3, NumVoters: 3, Constraints: []Constraint{{regA, -1}}}},
		{"empty lease preference", Spec{NumReplicas: 3, NumVoters: 3, LeasePreferences: []string{""}}},
	}
	for _, tt := range bad {
		assert.ErrorIs(t, tt.spec.Validate(), ErrInvalid, tt.name)
	}
	assert.NoError(t, SystemSpec().Validate())
}
