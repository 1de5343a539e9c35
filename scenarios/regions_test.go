package scenarios_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
)

// TestRegionRenames: --rtt of another provider maps each region to its
// nearest, every reference follows (cities, row shares, zones of faults),
// and a region without a counterpart is an error that says what to name.
func TestRegionRenames(t *testing.T) {
	s, err := scenarios.LoadUnvalidated("users-by-city")
	require.NoError(t, err)
	o := scenarios.Overrides{RTT: "gcp"}
	renames, err := s.RegionRenames(o)
	require.NoError(t, err)
	var got []string
	for _, r := range renames {
		got = append(got, r.String())
		assert.True(t, r.Located)
		assert.Less(t, r.Km, 1000.0)
	}
	assert.Equal(t, []string{"eu-central-1→europe-west3", "eu-west-3→europe-west1", "us-east-2→us-east4"}, got)
	require.NoError(t, s.Override(o))
	assert.Equal(t, []string{"europe-west3", "europe-west1", "us-east4"}, s.Topology.Regions)
	assert.Equal(t, "europe-west3", s.Database.Primary)
	users := s.Tables[0]
	assert.Equal(t, "europe-west3", users.DefaultRegion)
	assert.Equal(t, "europe-west1", users.CityRegions["paris"])
	assert.Equal(t, "us-east4", users.CityRegions["boston"])
	assert.Equal(t, "europe-west3-c", s.Faults[1].Target)
	assert.Equal(t, "europe-west3", s.Faults[2].Target)
	assert.Equal(t, "us-east4", s.Workload[2].Region)

	// Same provider, or no RTT change: nothing to rename.
	s, err = scenarios.LoadUnvalidated("users-by-city")
	require.NoError(t, err)
	for _, o := range []scenarios.Overrides{{}, {RTT: "seed-blog"}, {RTT: "aws"}, {Survival: "zone"}} {
		renames, err := s.RegionRenames(o)
		require.NoError(t, err)
		assert.Empty(t, renames, "%+v", o)
	}

	// --regions: the scenario's regions not in the list take the list's new
	// ones in order; row shares follow.
	d, err := scenarios.LoadUnvalidated("default")
	require.NoError(t, err)
	d.Tables[0].RowRegions = map[string]float64{"us-east1": 0.5, "us-west1": 0.25, "europe-west1": 0.25}
	o = scenarios.Overrides{RTT: "gcp", Regions: []string{"us-west1", "europe-west2", "us-east4"}}
	renames, err = d.RegionRenames(o)
	require.NoError(t, err)
	require.Len(t, renames, 2)
	assert.Equal(t, "us-east1→europe-west2", renames[0].String(), "by position, not by distance")
	assert.Equal(t, "europe-west1→us-east4", renames[1].String())
	require.NoError(t, d.Override(o))
	assert.Equal(t, map[string]float64{"europe-west2": 0.5, "us-west1": 0.25, "us-east4": 0.25}, d.Tables[0].RowRegions)
	assert.Equal(t, "us-west1", d.Database.Primary)
}

func TestRegionRenamesErrors(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "lab.csv")
	require.NoError(t, os.WriteFile(csv, []byte("lab-a,lab-b,10\nlab-a,lab-c,20\nlab-b,lab-c,30\nlab-a,lab-d,5\n"), 0o644))
	s, err := scenarios.LoadUnvalidated("default")
	require.NoError(t, err)
	before := s.Clone()
	for _, tc := range []struct {
		rtt      string
		unmapped []string
		suggest  []string
	}{
		{csv, []string{"us-east1", "us-west1", "europe-west1"}, []string{"lab-a", "lab-b", "lab-c"}},
	} {
		err := s.Override(scenarios.Overrides{RTT: tc.rtt})
		require.Error(t, err)
		assert.ErrorIs(t, err, scenarios.ErrInvalid)
		var rme *scenarios.RegionMapError
		require.True(t, errors.As(err, &rme), "%v", err)
		assert.Equal(t, tc.unmapped, rme.Unmapped)
		assert.Equal(t, tc.suggest, rme.Suggest)
		assert.Equal(t, []string{"us-east1", "us-west1", "europe-west1"}, rme.Regions)
		assert.Contains(t, err.Error(), "topology.rtt: ")
		assert.Contains(t, err.Error(), "name 3 of its regions instead, primary first (e.g. lab-a,lab-b,lab-c; it has lab-a, lab-b, lab-c, lab-d)")
		assert.Equal(t, before, s, "unchanged on error")
	}
	// Two regions whose nearest is the same one: the second is not mapped.
	ubc, err := scenarios.LoadUnvalidated("users-by-city")
	require.NoError(t, err)
	ubc.Topology.RTT, ubc.Topology.Regions = "aws", []string{"eu-west-2", "eu-west-1", "us-east-2"}
	renames, err := ubc.RegionRenames(scenarios.Overrides{RTT: "gcp"})
	var rme *scenarios.RegionMapError
	require.True(t, errors.As(err, &rme), "%v", err)
	assert.Nil(t, renames)
	assert.Equal(t, []string{"eu-west-1"}, rme.Unmapped, "London and Dublin are both nearest to europe-west2 (London)")
	assert.Equal(t, []string{"europe-west2", "us-east1", "us-east4"}, rme.Suggest, "the mapped ones, then gcp's first default region")
}

// Run a built-in scenario on another provider's RTTs: its regions, and
// everything that names them, move to the nearest regions of the preset.
func ExampleScenario_RegionRenames() {
	s, err := scenarios.LoadUnvalidated("users-by-city")
	if err != nil {
		fmt.Println(err)
		return
	}
	o := scenarios.Overrides{RTT: "azure"}
	renames, err := s.RegionRenames(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(renames)
	if err := s.Override(o); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Topology.Regions, s.Tables[0].CityRegions["paris"], s.Faults[0].Target)
	// Output:
	// [eu-central-1→germanywestcentral eu-west-3→francecentral us-east-2→eastus]
	// [germanywestcentral francecentral eastus] francecentral germanywestcentral-b
}
