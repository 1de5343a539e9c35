package topology

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"empty rtt", func(c *Config) { c.RTT = "" }, "topology.rtt: empty (want a preset name or a CSV file path)"},
		{"empty region", func(c *Config) { c.Regions = []string{"us-east1", ""} }, "topology.regions[1]: empty name"},
		{"duplicate region", func(c *Config) { c.Regions = []string{"us-east1", "us-west1", "us-east1"} }, `topology.regions[2]: "us-east1" is listed twice`},
		{"zero zones", func(c *Config) { c.ZonesPerRegion = 0 }, "topology.zones_per_region: 0 is out of range [1, 26]"},
		{"too many zones", func(c *Config) { c.ZonesPerRegion = 27 }, "topology.zones_per_region: 27 is out of range [1, 26]"},
		{"zero nodes", func(c *Config) { c.NodesPerZone = 0 }, "topology.nodes_per_zone: 0 is out of range [1, 100]"},
		{"too many nodes", func(c *Config) { c.NodesPerZone = 101 }, "topology.nodes_per_zone: 101 is out of range [1, 100]"},
		{"negative inter-zone", func(c *Config) { c.InterZoneRTT = -time.Millisecond }, "topology.inter_zone_rtt: -1ms is out of range [0s, 10s]"},
		{"huge intra-zone", func(c *Config) { c.IntraZoneRTT = time.Minute }, "topology.intra_zone_rtt: 1m0s is out of range [0s, 10s]"},
		{"negative service", func(c *Config) { c.ServiceTime = -1 }, "topology.service_time: -1ns is out of range [0s, 10s]"},
		{"negative fsync", func(c *Config) { c.Fsync = -time.Microsecond }, "topology.fsync: -1µs is out of range [0s, 10s]"},
		{"unknown jitter", func(c *Config) { c.Jitter = "gaussian" }, `topology.jitter: unknown "gaussian" (want none or lognormal)`},
		{"empty jitter", func(c *Config) { c.Jitter = "" }, `topology.jitter: unknown "" (want none or lognormal)`},
		{"too many nodes in total", func(c *Config) {
			c.Regions = []string{"a", "b", "c"}
			c.ZonesPerRegion, c.NodesPerZone = 26, 100
		}, "topology: 3 regions x 26 zones x 100 nodes = 7800 nodes exceeds the limit of 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mod(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			_, err = Build(cfg)
			require.Error(t, err, "Build validates too")
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	partial := filepath.Join(dir, "partial.csv")
	require.NoError(t, os.WriteFile(partial, []byte("a,b,10\nb,c,20\n"), 0o644))
	invalid := filepath.Join(dir, "invalid.csv")
	require.NoError(t, os.WriteFile(invalid, []byte("a,b,10\na,b,x\n"), 0o644))

	tests := []struct {
		name    string
		rtt     string
		regions []string
		target  error
		want    string
	}{
		{"unknown preset", "aws-us", nil, ErrUnknownPreset, `topology.rtt: "aws-us" is neither a preset`},
		{"invalid csv", invalid, nil, ErrInvalidCSV, `line 2: p50_ms: "x" is not a number of milliseconds`},
		{"unknown region", "crdb-demo", []string{"us-east1", "us-east4"}, ErrUnknownRegion, `topology.regions[1]: unknown region "us-east4" in rtt "crdb-demo" (have us-east1, us-west1, europe-west1)`},
		{"missing pair (default regions of a csv)", partial, nil, ErrMissingPair, `has no RTT from "a" to "c"`},
		{"missing pair", partial, []string{"c", "a"}, ErrMissingPair, `has no RTT from "c" to "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.RTT, cfg.Regions = tt.rtt, tt.regions
			_, err := Build(cfg)
			require.ErrorIs(t, err, tt.target)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestBuildDefault(t *testing.T) {
	c, err := Build(DefaultConfig())
	require.NoError(t, err)
	require.Len(t, c.Nodes, 9)
	require.Len(t, c.Zones, 9)
	require.Len(t, c.Regions, 3)
	wantZones := []string{
		"us-east1-a", "us-east1-b", "us-east1-c",
		"us-west1-a", "us-west1-b", "us-west1-c",
		"europe-west1-a", "europe-west1-b", "europe-west1-c",
	}
	for i, n := range c.Nodes {
		assert.Equal(t, NodeID(i), n.ID)
		assert.Equal(t, "n"+string(rune('1'+i)), n.ID.String())
		assert.Equal(t, wantZones[i], n.Locality.Zone)
		assert.Equal(t, i/3, n.Region)
	}
	assert.Equal(t, "region=us-east1,zone=us-east1-a", c.Nodes[0].Locality.String())
	lm := c.Latency
	require.NotNil(t, lm)
	assert.Equal(t, "crdb-demo", lm.Source())
	assert.True(t, lm.IsPreset())
	assert.Equal(t, JitterLognormal, lm.Jitter())
	assert.Equal(t, []string{"us-east1", "us-west1", "europe-west1"}, lm.Matrix().Regions())

	// Medians follow the layout: self 0, same zone, same region, regions.
	assert.Equal(t, time.Duration(0), c.MedianRTT(0, 0))
	assert.Equal(t, time.Millisecond, c.MedianRTT(0, 1))
	assert.Equal(t, ms(66), c.MedianRTT(0, 3))
	assert.Equal(t, ms(64), c.MedianRTT(8, 2))
	assert.Equal(t, ms(146), c.MedianRTT(5, 6))
	assert.Equal(t, ms(66), c.RegionRTT(0, 1).Median())
	assert.Equal(t, time.Millisecond, c.RegionRTT(2, 2).Median())
	assert.Equal(t, KindLognormal, c.RegionRTT(0, 1).Kind())
	assert.Panics(t, func() { c.RegionRTT(0, 3) })
	assert.Equal(t, 500*time.Microsecond, lm.Service().Median())
	assert.Equal(t, 500*time.Microsecond, lm.Fsync().Median())
	assert.InEpsilon(t, float64(2600*time.Microsecond), float64(lm.Fsync().Quantile(0.99)), 1e-3)
	assert.InEpsilon(t, float64(1850*time.Microsecond), float64(lm.InterZone().Quantile(0.99)), 1e-3)
	assert.InEpsilon(t, float64(286*time.Microsecond), float64(lm.IntraZone().Quantile(0.99)), 1e-3)
	assert.InEpsilon(t, float64(ms(68)), float64(c.RegionRTT(0, 1).Quantile(0.99)), 1e-3)
}

func TestBuildIntraZone(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Jitter = JitterNone
	cfg.ZonesPerRegion, cfg.NodesPerZone = 2, 2
	cfg.Regions = []string{"europe-west1", "us-east1"}
	c, err := Build(cfg)
	require.NoError(t, err)
	require.Len(t, c.Nodes, 8)
	assert.Equal(t, "europe-west1-b", c.Nodes[2].Locality.Zone)
	assert.Equal(t, 200*time.Microsecond, c.MedianRTT(0, 1))
	assert.Equal(t, time.Millisecond, c.MedianRTT(1, 2))
	assert.Equal(t, ms(64), c.MedianRTT(3, 4))
	assert.Equal(t, ms(64), c.MedianRTT(7, 0))
}

func TestJitterNoneIsExact(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Jitter = JitterNone
	c, err := Build(cfg)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 1))
	before := *r
	for a := range c.Nodes {
		for b := range c.Nodes {
			from, to := NodeID(a), NodeID(b)
			want := c.MedianRTT(from, to) / 2
			for range 10 {
				require.Equal(t, want, c.OneWay(r, from, to), "%v->%v", from, to)
			}
		}
	}
	assert.Equal(t, ms(33), c.OneWay(r, 0, 3))
	assert.Equal(t, ms(73), c.OneWay(r, 6, 4))
	assert.Equal(t, 500*time.Microsecond, c.OneWay(r, 0, 1))
	assert.Equal(t, time.Duration(0), c.OneWay(r, 4, 4))
	assert.Equal(t, 500*time.Microsecond, c.SampleService(r))
	assert.Equal(t, 500*time.Microsecond, c.SampleFsync(r))
	assert.Equal(t, before, *r, "jitter none consumes no randomness")
	assert.Equal(t, KindConstant, c.RegionRTT(0, 2).Kind())
}

func TestZeroLocalRTTs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.InterZoneRTT, cfg.IntraZoneRTT, cfg.ServiceTime, cfg.Fsync = 0, 0, 0, 0
	cfg.NodesPerZone = 2
	c, err := Build(cfg)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 1))
	assert.Equal(t, time.Duration(0), c.OneWay(r, 0, 1))
	assert.Equal(t, time.Duration(0), c.OneWay(r, 0, 2))
	assert.Equal(t, time.Duration(0), c.SampleFsync(r))
	assert.Equal(t, KindConstant, c.Latency.InterZone().Kind())
}

func TestOneWayLognormal(t *testing.T) {
	c, err := Build(DefaultConfig())
	require.NoError(t, err)
	sample := func(seed uint64) []time.Duration {
		r := rand.New(rand.NewPCG(seed, 9))
		out := make([]time.Duration, 0, 2000)
		for i := range 2000 {
			out = append(out, c.OneWay(r, NodeID(i%9), NodeID((i/9)%9)))
			out = append(out, c.SampleService(r), c.SampleFsync(r))
		}
		return out
	}
	a := sample(5)
	assert.Equal(t, a, sample(5), "same seed, same draws")
	assert.NotEqual(t, a, sample(6))

	r := rand.New(rand.NewPCG(1, 2))
	var sum time.Duration
	for range 10_000 {
		d := c.OneWay(r, 0, 3)
		require.GreaterOrEqual(t, d, c.RegionRTT(0, 1).Floor()/2)
		sum += d
	}
	mean := sum / 10_000
	assert.InDelta(t, float64(ms(33)), float64(mean), float64(ms(1)))
	assert.Equal(t, time.Duration(0), c.OneWay(r, 2, 2))
}

func TestOneWayAllocatesNothing(t *testing.T) {
	for _, j := range []string{JitterNone, JitterLognormal} {
		cfg := DefaultConfig()
		cfg.Jitter = j
		c, err := Build(cfg)
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(1, 2))
		var i int
		allocs := testing.AllocsPerRun(10_000, func() {
			_ = c.OneWay(r, NodeID(i%9), NodeID(i/9%9))
			_ = c.SampleService(r)
			_ = c.SampleFsync(r)
			i++
		})
		assert.Zero(t, allocs, j)
	}
}

func TestBuildCSVRegionsDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "two.csv")
	require.NoError(t, os.WriteFile(path, []byte("# my lab\nlab-east,lab-west,40,55\n"), 0o644))
	cfg := DefaultConfig()
	cfg.RTT = path
	c, err := Build(cfg)
	require.NoError(t, err)
	assert.Equal(t, "lab-east", c.Regions[0].Name)
	assert.Equal(t, "lab-west", c.Regions[1].Name)
	assert.False(t, c.Latency.IsPreset())
	assert.InEpsilon(t, float64(ms(55)), float64(c.RegionRTT(1, 0).Quantile(0.99)), 1e-3)
}

func BenchmarkOneWay(b *testing.B) {
	c, err := Build(DefaultConfig())
	require.NoError(b, err)
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	var i int
	for b.Loop() {
		_ = c.OneWay(r, NodeID(i%9), NodeID(i/9%9))
		i++
	}
}
