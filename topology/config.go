package topology

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Jitter modes of Config.Jitter.
const (
	// JitterNone makes every hop take exactly its p50 (as `cockroach demo`
	// injects a constant one-way delay, latency-data §5).
	JitterNone = "none"
	// JitterLognormal draws every hop from a shifted log-normal with a rare
	// spike, fitted per link (see Dist and FitLognormal).
	JitterLognormal = "lognormal"
)

// MaxNodes is the largest cluster Build accepts. The latency model keeps a
// node×node table of 2 bytes per ordered pair (32 MiB at MaxNodes).
const MaxNodes = 4096

// maxVCPUs bounds Config.VCPUs.
const maxVCPUs = 1024

// maxLocalDuration bounds the intra-region RTTs and node-local times.
const maxLocalDuration = 10 * time.Second

// Config is the `topology:` section of a scenario. The YAML decoder and the
// CLI flags fill the same struct; start from DefaultConfig.
type Config struct {
	// RTT is a preset name (see Presets) or the path of a CSV file
	// `from,to,p50_ms[,p99_ms]` (see ParseCSV).
	RTT string `yaml:"rtt"`
	// Regions selects and orders the matrix's regions, primary first; empty
	// means the preset's default regions (or all regions of a CSV file).
	Regions []string `yaml:"regions"`
	// ZonesPerRegion is the number of availability zones per region, 1–26.
	ZonesPerRegion int `yaml:"zones_per_region"`
	// NodesPerZone is the number of nodes per zone, 1–100.
	NodesPerZone int `yaml:"nodes_per_zone"`
	// RegionSizes overrides ZonesPerRegion and NodesPerZone for the regions
	// it names (keys are topology regions), so that regions may differ in
	// zones and zones in nodes; a region it does not name gets the two
	// defaults. Empty means every region is alike.
	RegionSizes map[string]RegionSize `yaml:"region_sizes,omitempty"`
	// InterZoneRTT is the p50 RTT between two zones of one region; 0 means
	// no delay.
	InterZoneRTT time.Duration `yaml:"inter_zone_rtt"`
	// IntraZoneRTT is the p50 RTT between two nodes of one zone; 0 means no
	// delay.
	IntraZoneRTT time.Duration `yaml:"intra_zone_rtt"`
	// Jitter is JitterNone or JitterLognormal.
	Jitter string `yaml:"jitter"`
	// ServiceTime is the p50 of leaseholder evaluation of one request.
	ServiceTime time.Duration `yaml:"service_time"`
	// Fsync is the p50 of one Raft log append (WAL sync) on a node.
	Fsync time.Duration `yaml:"fsync"`
	// Bandwidth is the capacity of every link between two regions, in each
	// direction ("1Gbps"; see ParseBandwidth): a message between regions
	// then takes bytes/bandwidth to send, after the messages queued before
	// it on that directed link. Empty means unlimited: no transmission time.
	Bandwidth string `yaml:"bandwidth,omitempty"`
	// Links overrides Bandwidth for the region pairs it names.
	Links []Link `yaml:"links,omitempty"`
	// VCPUs is the number of CPUs of every node, 0–1024: the servers of
	// the node's CPU queue, which serves evaluations (ServiceTime) and
	// Raft processing (RaftCPU) first come, first served. 0 means no CPU
	// queue: every evaluation starts when it arrives (no limit on
	// concurrency, as before queues were modelled).
	VCPUs int `yaml:"vcpus"`
	// RaftCPU is the CPU time one replica spends appending and applying
	// one Raft entry (a write or a lease transfer), off the request's
	// critical path (CockroachDB acknowledges a command before applying
	// it); 0 means Raft processing costs no CPU.
	RaftCPU time.Duration `yaml:"raft_cpu"`
}

// RegionSize is the shape of one region in topology.region_sizes
// (Config.RegionSizes). Fields left out take topology.zones_per_region and
// topology.nodes_per_zone.
type RegionSize struct {
	// Zones is the number of availability zones of the region, 1–26; unset
	// means len(Nodes) if Nodes is given, else topology.zones_per_region.
	Zones *int `yaml:"zones,omitempty"`
	// NodesPerZone is the number of nodes in each zone of the region,
	// 1–100; unset means topology.nodes_per_zone.
	NodesPerZone *int `yaml:"nodes_per_zone,omitempty"`
	// Nodes lists the number of nodes of each zone of the region, zone a
	// first, each 1–100 (e.g. [2, 1, 1]); it sets the number of zones and
	// cannot be combined with NodesPerZone. Empty means NodesPerZone.
	Nodes []int `yaml:"nodes,omitempty"`
	// VCPUs is the CPU count of the region's nodes, 0–1024; unset means
	// topology.vcpus.
	VCPUs *int `yaml:"vcpus,omitempty"`
}

// zoneNodes returns the node count of each zone of a region of size s in a
// cluster whose defaults are zones and perZone; field prefixes its errors
// ("topology.region_sizes.us-east1").
func (s RegionSize) zoneNodes(field string, zones, perZone int) ([]int, error) {
	if s.VCPUs != nil && (*s.VCPUs < 0 || *s.VCPUs > maxVCPUs) {
		return nil, fmt.Errorf("%s.vcpus: %d is out of range [0, %d]", field, *s.VCPUs, maxVCPUs)
	}
	if s.Nodes != nil {
		if s.NodesPerZone != nil {
			return nil, fmt.Errorf("%s: nodes_per_zone and nodes are both set (want one)", field)
		}
		if len(s.Nodes) < 1 || len(s.Nodes) > 26 {
			return nil, fmt.Errorf("%s.nodes: %d zones is out of range [1, 26]", field, len(s.Nodes))
		}
		if s.Zones != nil && *s.Zones != len(s.Nodes) {
			return nil, fmt.Errorf("%s.zones: %d but nodes lists %d zones", field, *s.Zones, len(s.Nodes))
		}
		for i, n := range s.Nodes {
			if n < 1 || n > 100 {
				return nil, fmt.Errorf("%s.nodes[%d]: %d is out of range [1, 100]", field, i, n)
			}
		}
		return slices.Clone(s.Nodes), nil
	}
	if s.Zones != nil {
		if zones = *s.Zones; zones < 1 || zones > 26 {
			return nil, fmt.Errorf("%s.zones: %d is out of range [1, 26]", field, zones)
		}
	}
	if s.NodesPerZone != nil {
		if perZone = *s.NodesPerZone; perZone < 1 || perZone > 100 {
			return nil, fmt.Errorf("%s.nodes_per_zone: %d is out of range [1, 100]", field, perZone)
		}
	}
	out := make([]int, zones)
	for i := range out {
		out[i] = perZone
	}
	return out, nil
}

// ZoneNodes returns, for each of regions in order, the number of nodes of
// each of its zones: RegionSizes where it names the region, else
// ZonesPerRegion zones of NodesPerZone nodes. It fails, naming the field
// and value, on a size out of range or a RegionSizes key not in regions.
func (c Config) ZoneNodes(regions []string) ([][]int, error) {
	for _, name := range slices.Sorted(maps.Keys(c.RegionSizes)) {
		if !slices.Contains(regions, name) {
			return nil, fmt.Errorf("topology.region_sizes: unknown region %q (topology regions %v)", name, regions)
		}
	}
	out := make([][]int, len(regions))
	total := 0
	for i, name := range regions {
		zn, err := c.RegionSizes[name].zoneNodes("topology.region_sizes."+name, c.ZonesPerRegion, c.NodesPerZone)
		if err != nil {
			return nil, err
		}
		out[i] = zn
		for _, n := range zn {
			total += n
		}
	}
	if total > MaxNodes && len(c.RegionSizes) > 0 {
		return nil, fmt.Errorf("topology: region_sizes give %d nodes, which exceeds the limit of %d", total, MaxNodes)
	}
	return out, nil
}

// DefaultConfig returns the DESIGN.md defaults: the crdb-demo preset and its
// three regions, 3 zones per region, 1 node per zone, 1 ms between zones
// (AWS cross-AZ median 1.02 ms, latency-data §3), 200 µs inside a zone
// (GCP/AWS same-AZ 0.07–0.4 ms, §3), lognormal jitter, 500 µs service time
// (single-row read p50 0.5–0.7 ms, §6) and 500 µs fsync (syncbench p50
// 0.5 ms, §6).
func DefaultConfig() Config {
	return Config{
		RTT:            "crdb-demo",
		ZonesPerRegion: 3,
		NodesPerZone:   1,
		InterZoneRTT:   time.Millisecond,
		IntraZoneRTT:   200 * time.Microsecond,
		Jitter:         JitterLognormal,
		ServiceTime:    500 * time.Microsecond,
		Fsync:          500 * time.Microsecond,
		VCPUs:          DefaultVCPUs,
		RaftCPU:        DefaultRaftCPU,
	}
}

// DefaultVCPUs is the CPU count of a node, 8 (issue #14's default; the
// reference gives no machine size).
const DefaultVCPUs = 8

// DefaultRaftCPU is the CPU time of appending and applying one Raft entry
// at a replica: a single-node write's p50 (1.4 ms) minus a point read's
// (0.65 ms, the middle of 0.6–0.7) minus the WAL fsync's (0.5 ms),
// latency-data §6 (derived). The rest of a write's work — evaluation — is
// ServiceTime, as a read's is.
const DefaultRaftCPU = 250 * time.Microsecond

// Validate checks the fields that need no file access; Build also resolves
// the RTT spec and the regions. Errors name the field and the value, e.g.
// "topology.zones_per_region: 0 is out of range [1, 26]".
func (c Config) Validate() error {
	if c.RTT == "" {
		return fmt.Errorf("topology.rtt: empty (want a preset name or a CSV file path)")
	}
	for i, r := range c.Regions {
		if r == "" {
			return fmt.Errorf("topology.regions[%d]: empty name", i)
		}
		for j := 0; j < i; j++ {
			if c.Regions[j] == r {
				return fmt.Errorf("topology.regions[%d]: %q is listed twice", i, r)
			}
		}
	}
	if c.ZonesPerRegion < 1 || c.ZonesPerRegion > 26 {
		return fmt.Errorf("topology.zones_per_region: %d is out of range [1, 26]", c.ZonesPerRegion)
	}
	if c.NodesPerZone < 1 || c.NodesPerZone > 100 {
		return fmt.Errorf("topology.nodes_per_zone: %d is out of range [1, 100]", c.NodesPerZone)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"inter_zone_rtt", c.InterZoneRTT},
		{"intra_zone_rtt", c.IntraZoneRTT},
		{"service_time", c.ServiceTime},
		{"fsync", c.Fsync},
		{"raft_cpu", c.RaftCPU},
	} {
		if f.d < 0 || f.d > maxLocalDuration {
			return fmt.Errorf("topology.%s: %v is out of range [0s, %v]", f.name, f.d, maxLocalDuration)
		}
	}
	if c.VCPUs < 0 || c.VCPUs > maxVCPUs {
		return fmt.Errorf("topology.vcpus: %d is out of range [0, %d]", c.VCPUs, maxVCPUs)
	}
	switch c.Jitter {
	case JitterNone, JitterLognormal:
	default:
		return fmt.Errorf("topology.jitter: unknown %q (want %s or %s)", c.Jitter, JitterNone, JitterLognormal)
	}
	if err := c.validateBandwidth(); err != nil {
		return err
	}
	if len(c.Regions) > 0 {
		if _, err := c.ZoneNodes(c.Regions); err != nil {
			return err
		}
	}
	if n := len(c.Regions) * c.ZonesPerRegion * c.NodesPerZone; n > MaxNodes && len(c.RegionSizes) == 0 {
		return fmt.Errorf("topology: %d regions x %d zones x %d nodes = %d nodes exceeds the limit of %d",
			len(c.Regions), c.ZonesPerRegion, c.NodesPerZone, n, MaxNodes)
	}
	return nil
}

// Build resolves cfg into a Cluster: it validates cfg, loads the RTT matrix
// (LoadRTT), selects and orders the regions (Matrix.Select), lays out zones
// and nodes (NewLayout) and fits the latency model (one Dist per region
// pair, inter-zone and intra-zone link, service time and fsync). Errors wrap
// ErrUnknownPreset, ErrInvalidCSV, ErrUnknownRegion or ErrMissingPair where
// they apply.
func Build(cfg Config) (*Cluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := LoadRTT(cfg.RTT)
	if err != nil {
		return nil, err
	}
	regions := cfg.Regions
	if len(regions) == 0 {
		regions = m.DefaultRegions()
	}
	zoneNodes, err := cfg.ZoneNodes(regions)
	if err != nil {
		return nil, err
	}
	if n := len(regions) * cfg.ZonesPerRegion * cfg.NodesPerZone; n > MaxNodes && len(cfg.RegionSizes) == 0 {
		return nil, fmt.Errorf("topology: %d regions x %d zones x %d nodes = %d nodes exceeds the limit of %d",
			len(regions), cfg.ZonesPerRegion, cfg.NodesPerZone, n, MaxNodes)
	}
	sel, err := m.Select(regions)
	if err != nil {
		return nil, err
	}
	c, err := NewUnevenLayout(regions, zoneNodes)
	if err != nil {
		return nil, err
	}
	lm, err := newLatencyModel(c, sel, cfg)
	if err != nil {
		return nil, err
	}
	c.Latency = lm
	if err := c.buildBandwidth(cfg); err != nil {
		return nil, err
	}
	c.VCPUs, c.RaftCPU = cfg.VCPUs, cfg.RaftCPU
	for i := range c.Nodes {
		c.Nodes[i].VCPUs = cfg.VCPUs
		if v := cfg.RegionSizes[c.Regions[c.Nodes[i].Region].Name].VCPUs; v != nil {
			c.Nodes[i].VCPUs = *v
		}
	}
	return c, nil
}

// scale multiplies a duration by a ratio, rounding to the nanosecond.
func scale(d time.Duration, ratio float64) time.Duration {
	return time.Duration(math.Round(float64(d) * ratio))
}
