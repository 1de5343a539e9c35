package placement

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPartitionRanges(t *testing.T) {
	tests := []struct {
		ranges, partitions int
		want               []int
	}{
		{10, 3, []int{4, 3, 3}},
		{9, 3, []int{3, 3, 3}},
		{7, 2, []int{4, 3}},
		{3, 3, []int{1, 1, 1}},
		{2, 3, []int{1, 1, 1}},
		{0, 3, []int{1, 1, 1}},
		{5, 1, []int{5}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, PartitionRanges(tt.ranges, tt.partitions), "%d over %d", tt.ranges, tt.partitions)
	}
}

// TestPlaceTableRBR: each partition's ranges are homed in the partition's
// region — voters, lease preference and leaseholder there.
func TestPlaceTableRBR(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	for _, survival := range []Survival{SurvivalZone, SurvivalRegion} {
		db := dbWith(threeRegions, survival, "", "")
		layouts, err := PlaceTable(c, db, TableSpec{Name: "users", Locality: LocalityRegionalByRow, Ranges: 10}, newRand(1), NewLoad(c))
		require.NoError(t, err)
		require.Len(t, layouts, 10)
		wantPartition := []string{regA, regA, regA, regA, regB, regB, regB, regC, regC, regC}
		for i, rl := range layouts {
			assert.Equal(t, "users", rl.Table)
			assert.Equal(t, i, rl.Range)
			assert.Equal(t, wantPartition[i], rl.Partition)
			assert.Equal(t, wantPartition[i], rl.Spec.Home)
			home := c.RegionIndex(rl.Partition)
			assert.Equal(t, home, rl.Home)
			assert.Equal(t, []int{home}, rl.LeasePreferences)
			assert.Equal(t, home, c.Nodes[rl.Leaseholder].Region)
			checkLayoutInvariants(t, c, rl.Spec, rl.Layout)
			v := perRegion(c, rl.Voters)
			if survival == SurvivalZone {
				assert.Equal(t, 3, v[home])
				assert.Equal(t, []int{1, 1, 1}, perRegion(c, slices.Concat(rl.NonVoters, rl.Voters[:1])))
			} else {
				assert.Equal(t, 2, v[home])
			}
		}
	}
}

func TestPlaceTableRBTInNonPrimary(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	layouts, err := PlaceTable(c, DefaultDatabase(threeRegions...),
		TableSpec{Name: "west", Locality: LocalityRegionalByTable, HomeRegion: regB}, newRand(2), nil)
	require.NoError(t, err)
	require.Len(t, layouts, 1, "ranges 0 means one range")
	rl := layouts[0]
	assert.Equal(t, "", rl.Partition)
	assert.Equal(t, []int{0, 3, 0}, perRegion(c, rl.Voters))
	assert.Equal(t, []int{1, 0, 1}, perRegion(c, rl.NonVoters))
	assert.Equal(t, regB, c.Nodes[rl.Leaseholder].Locality.Region)
	assert.Equal(t, []int{1}, rl.LeasePreferences)
}

func TestPlaceTableGlobal(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	layouts, err := PlaceTable(c, dbWith(threeRegions, SurvivalZone, "", regC),
		TableSpec{Name: "promo", Locality: LocalityGlobal, Ranges: 4}, newRand(3), NewLoad(c))
	require.NoError(t, err)
	require.Len(t, layouts, 4)
	for _, rl := range layouts {
		assert.True(t, rl.GlobalReads)
		assert.True(t, rl.Spec.GlobalReads)
		assert.Equal(t, []int{3, 0, 0}, perRegion(c, rl.Voters))
		assert.Equal(t, []int{0, 1, 1}, perRegion(c, rl.NonVoters))
		assert.Equal(t, []int{0, 2}, rl.LeasePreferences)
		assert.Equal(t, regA, c.Nodes[rl.Leaseholder].Locality.Region)
	}
}

func TestPlaceTableFillsClusterRegions(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	layouts, err := PlaceTable(c, Database{Primary: regC, Survival: SurvivalRegion},
		TableSpec{Name: "t", Ranges: 2}, newRand(4), nil)
	require.NoError(t, err)
	for _, rl := range layouts {
		assert.Equal(t, 2, perRegion(c, rl.Voters)[2])
		assert.Equal(t, regC, c.Nodes[rl.Leaseholder].Locality.Region)
	}
}

func TestPlaceTableErrors(t *testing.T) {
	c := newCluster(t, threeRegions, 3, 1)
	_, err := PlaceTable(c, DefaultDatabase(fourRegions...), TableSpec{Name: "t"}, newRand(1), nil)
	require.ErrorIs(t, err, ErrUnsatisfiable)
	assert.Contains(t, err.Error(), `placement: table "t": range 0:`)
	assert.Contains(t, err.Error(), regD)

	_, err = PlaceTable(c, DefaultDatabase(threeRegions...), TableSpec{Name: "t", Locality: "rbr"}, newRand(1), nil)
	require.ErrorIs(t, err, ErrUnknownValue)
}
