package topology

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func intp(n int) *int { return &n }

// unevenConfig is the schema's example of topology.region_sizes:
// us-east1 3 zones of 2 nodes, us-west1 2 zones of 1 node, europe-west1
// zones of 2, 1 and 1 nodes.
func unevenConfig() Config {
	cfg := DefaultConfig()
	cfg.Regions = []string{"us-east1", "us-west1", "europe-west1"}
	cfg.RegionSizes = map[string]RegionSize{
		"us-east1":     {Zones: intp(3), NodesPerZone: intp(2)},
		"us-west1":     {Zones: intp(2)},
		"europe-west1": {Nodes: []int{2, 1, 1}},
	}
	return cfg
}

func TestBuildUneven(t *testing.T) {
	c, err := Build(unevenConfig())
	require.NoError(t, err)
	// 6 + 2 + 4 nodes, numbered region by region, zone by zone.
	want := []string{
		"us-east1-a", "us-east1-a", "us-east1-b", "us-east1-b", "us-east1-c", "us-east1-c",
		"us-west1-a", "us-west1-b",
		"europe-west1-a", "europe-west1-a", "europe-west1-b", "europe-west1-c",
	}
	require.Len(t, c.Nodes, len(want))
	for i, n := range c.Nodes {
		assert.Equal(t, want[i], n.Locality.Zone, "n%d", i+1)
		assert.Equal(t, want[i], c.Zones[n.Zone].Name)
	}
	assert.Len(t, c.Zones, 3+2+3)
	assert.Len(t, c.Regions[1].Zones, 2)
	assert.Equal(t, []NodeID{8, 9, 10, 11}, c.RegionNodes(2))

	// Unnamed regions take the defaults.
	cfg := unevenConfig()
	delete(cfg.RegionSizes, "us-west1")
	c, err = Build(cfg)
	require.NoError(t, err)
	assert.Len(t, c.RegionNodes(1), 3)
	assert.Len(t, c.Regions[1].Zones, 3)

	// Without topology.regions the keys are checked against the preset's.
	cfg = unevenConfig()
	cfg.Regions = nil
	c, err = Build(cfg)
	require.NoError(t, err)
	assert.Len(t, c.Nodes, 12)
}

func TestRegionSizesValidate(t *testing.T) {
	tests := []struct {
		name string
		size RegionSize
		want string
	}{
		{"zero zones", RegionSize{Zones: intp(0)}, "topology.region_sizes.us-west1.zones: 0 is out of range [1, 26]"},
		{"too many zones", RegionSize{Zones: intp(27)}, "topology.region_sizes.us-west1.zones: 27 is out of range [1, 26]"},
		{"negative nodes", RegionSize{NodesPerZone: intp(-1)}, "topology.region_sizes.us-west1.nodes_per_zone: -1 is out of range [1, 100]"},
		{"zero in nodes", RegionSize{Nodes: []int{2, 0}}, "topology.region_sizes.us-west1.nodes[1]: 0 is out of range [1, 100]"},
		{"empty nodes", RegionSize{Nodes: []int{}}, "topology.region_sizes.us-west1.nodes: 0 zones is out of range [1, 26]"},
		{"zones and nodes disagree", RegionSize{Zones: intp(3), Nodes: []int{1, 1}}, "topology.region_sizes.us-west1.zones: 3 but nodes lists 2 zones"},
		{"both per-zone forms", RegionSize{NodesPerZone: intp(1), Nodes: []int{1}}, "topology.region_sizes.us-west1: nodes_per_zone and nodes are both set (want one)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := unevenConfig()
			cfg.RegionSizes["us-west1"] = tt.size
			err := cfg.Validate()
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			cfg.Regions = nil // the preset's regions: Build finds it
			_, err = Build(cfg)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}

	cfg := unevenConfig()
	cfg.RegionSizes["asia-east1"] = RegionSize{Zones: intp(1)}
	err := cfg.Validate()
	require.Error(t, err)
	assert.Equal(t, `topology.region_sizes: unknown region "asia-east1" (topology regions [us-east1 us-west1 europe-west1])`, err.Error())

	cfg = unevenConfig()
	cfg.RegionSizes["us-east1"] = RegionSize{Zones: intp(26), NodesPerZone: intp(100)}
	cfg.RegionSizes["us-west1"] = RegionSize{Zones: intp(26), NodesPerZone: intp(100)}
	err = cfg.Validate()
	require.Error(t, err)
	assert.Equal(t, "topology: region_sizes give 5204 nodes, which exceeds the limit of 4096", err.Error())
}
