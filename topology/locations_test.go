package topology_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/topology"
)

// TestRegionLocations: every region of every preset has a location.
func TestRegionLocations(t *testing.T) {
	for _, name := range topology.PresetNames() {
		m, err := topology.LoadPreset(name)
		require.NoError(t, err)
		for _, r := range m.Regions() {
			l, ok := topology.RegionLocation(r)
			if assert.True(t, ok, "%s: %s has no location", name, r) {
				assert.NotEmpty(t, l.Place, r)
				assert.True(t, l.Lat >= -90 && l.Lat <= 90 && l.Lon >= -180 && l.Lon <= 180, r)
			}
		}
	}
	_, ok := topology.RegionLocation("mars-north1")
	assert.False(t, ok)
}

func TestDistanceKm(t *testing.T) {
	frankfurt, _ := topology.RegionLocation("eu-central-1")
	paris, _ := topology.RegionLocation("eu-west-3")
	sydney, _ := topology.RegionLocation("ap-southeast-2")
	assert.InDelta(t, 479, topology.DistanceKm(frankfurt, paris), 5)
	assert.InDelta(t, topology.DistanceKm(frankfurt, paris), topology.DistanceKm(paris, frankfurt), 1e-9)
	assert.Zero(t, topology.DistanceKm(paris, paris))
	assert.InDelta(t, 16500, topology.DistanceKm(frankfurt, sydney), 100)
}

// TestNearestRegion maps the regions of the built-in scenarios onto each
// cloud preset, and refuses regions with no counterpart close enough.
func TestNearestRegion(t *testing.T) {
	regions := func(preset string) []string {
		m, err := topology.LoadPreset(preset)
		require.NoError(t, err)
		return m.Regions()
	}
	for _, tc := range []struct {
		preset string
		want   map[string]string
	}{
		{"aws", map[string]string{"us-east1": "us-east-1", "us-west1": "us-west-2", "europe-west1": "eu-west-3"}},
		{"azure", map[string]string{"us-east1": "eastus2", "us-west1": "westus2", "europe-west1": "westeurope",
			"eu-central-1": "germanywestcentral", "eu-west-3": "francecentral", "us-east-2": "eastus"}},
		{"gcp", map[string]string{"eu-central-1": "europe-west3", "eu-west-3": "europe-west1", "us-east-2": "us-east4",
			"us-east-1": "us-east4", "eu-west-1": "europe-west2"}},
	} {
		for from, want := range tc.want {
			got, km, ok := topology.NearestRegion(from, regions(tc.preset))
			require.True(t, ok, "%s → %s", from, tc.preset)
			assert.Equal(t, want, got, "%s → %s (%.0f km)", from, tc.preset, km)
			assert.Less(t, km, topology.NearestMaxKm)
		}
	}
	_, _, ok := topology.NearestRegion("asia-south1", regions("azure"))
	assert.False(t, ok, "Mumbai is thousands of km from every azure region of the preset")
	_, _, ok = topology.NearestRegion("lab-a", regions("aws"))
	assert.False(t, ok, "no location")
	_, _, ok = topology.NearestRegion("us-east1", []string{"lab-a", "lab-b"})
	assert.False(t, ok, "no candidate with a location")
	got, km, ok := topology.NearestRegion("us-east-1", []string{"us-east-1", "eastus"})
	assert.True(t, ok)
	assert.Equal(t, "us-east-1", got)
	assert.Zero(t, km)
}
