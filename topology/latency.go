package topology

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Link classes at the start of LatencyModel.links; region pairs follow.
const (
	linkSelf = iota
	linkIntraZone
	linkInterZone
	linkRegions
)

// LatencyModel holds the RTT distribution of every pair of nodes of a
// Cluster and the node-local service-time and fsync distributions. It is
// built by Build, immutable afterwards, and safe for concurrent use (each
// caller passes its own random stream).
//
// Per-pair lookups are O(1): a node×node table (2 bytes per ordered pair)
// indexes a short list of distinct link distributions — the node itself
// (constant 0), two nodes of one zone, two zones of one region, and each
// ordered region pair.
type LatencyModel struct {
	source  string
	preset  bool
	jitter  string
	matrix  *Matrix // selected: regions in Cluster order
	links   []Dist
	table   []uint16 // n*n, row-major from×to → index into links
	n       int
	nr      int
	service Dist
	fsync   Dist
}

func newLatencyModel(c *Cluster, sel *Matrix, cfg Config) (*LatencyModel, error) {
	nr := len(c.Regions)
	if linkRegions+nr*nr > 1<<16 {
		return nil, fmt.Errorf("topology.regions: %d regions exceed the latency table's limit", nr)
	}
	m := &LatencyModel{
		source: cfg.RTT,
		preset: slices.Contains(PresetNames(), cfg.RTT),
		jitter: cfg.Jitter,
		matrix: sel,
		n:      len(c.Nodes),
		nr:     nr,
		links:  make([]Dist, linkRegions+nr*nr),
	}
	jitter := cfg.Jitter == JitterLognormal
	local := func(field string, p50 time.Duration, ratio float64, s Shape) (Dist, error) {
		if !jitter || p50 == 0 {
			return Constant(p50), nil
		}
		d, err := FitShape(p50, scale(p50, ratio), 0.99, s)
		if err != nil {
			return Dist{}, fmt.Errorf("topology.%s: %v: %w", field, p50, err)
		}
		return d, nil
	}
	net := Shape{Spike: DefaultSpike}
	var err error
	m.links[linkSelf] = Constant(0)
	if m.links[linkIntraZone], err = local("intra_zone_rtt", cfg.IntraZoneRTT, SameZoneP99Ratio, net); err != nil {
		return nil, err
	}
	if m.links[linkInterZone], err = local("inter_zone_rtt", cfg.InterZoneRTT, CrossZoneP99Ratio, net); err != nil {
		return nil, err
	}
	if m.service, err = local("service_time", cfg.ServiceTime, ServiceP99Ratio, Shape{}); err != nil {
		return nil, err
	}
	if m.fsync, err = local("fsync", cfg.Fsync, FsyncP99Ratio, Shape{}); err != nil {
		return nil, err
	}
	for i := 0; i < nr; i++ {
		for j := 0; j < nr; j++ {
			k := linkRegions + i*nr + j
			if i == j {
				m.links[k] = m.links[linkInterZone]
				continue
			}
			p, _ := sel.At(i, j) // Select guarantees every pair
			if !jitter {
				m.links[k] = Constant(p.P50)
				continue
			}
			tail, q := p.Tail()
			if tail == 0 {
				tail, q = DefaultTail(p.P50)
			}
			if m.links[k], err = FitLognormal(p.P50, tail, q); err != nil {
				return nil, fmt.Errorf("topology.rtt: %s -> %s: %w", sel.regions[i], sel.regions[j], err)
			}
		}
	}
	n := len(c.Nodes)
	m.table = make([]uint16, n*n)
	for a := range c.Nodes {
		na := &c.Nodes[a]
		for b := range c.Nodes {
			nb := &c.Nodes[b]
			var l int
			switch {
			case a == b:
				l = linkSelf
			case na.Zone == nb.Zone:
				l = linkIntraZone
			case na.Region == nb.Region:
				l = linkInterZone
			default:
				l = linkRegions + na.Region*nr + nb.Region
			}
			m.table[a*n+b] = uint16(l)
		}
	}
	return m, nil
}

// Source returns the RTT spec the model came from: a preset name or a CSV
// file path.
func (m *LatencyModel) Source() string { return m.source }

// IsPreset reports whether Source is a built-in preset name.
func (m *LatencyModel) IsPreset() bool { return m.preset }

// Jitter returns JitterNone or JitterLognormal.
func (m *LatencyModel) Jitter() string { return m.jitter }

// Matrix returns the RTT data of the cluster's regions, in Cluster.Regions
// order (shared, immutable).
func (m *LatencyModel) Matrix() *Matrix { return m.matrix }

// Link returns the RTT distribution between two nodes: constant 0 for a
// node and itself. O(1).
func (m *LatencyModel) Link(from, to NodeID) Dist {
	return m.links[m.table[int(from)*m.n+int(to)]]
}

// LinkClass returns the index, in LinkClasses, of the RTT distribution
// between two nodes: node pairs with the same class have the same link (a
// node and itself, one zone, two zones of a region, or a pair of regions),
// so that a caller can compute something per class, not per pair. O(1).
func (m *LatencyModel) LinkClass(from, to NodeID) int {
	return int(m.table[int(from)*m.n+int(to)])
}

// LinkClasses returns the link distributions LinkClass indexes, one per
// class (two classes may hold equal distributions: a region with itself
// and two zones of a region). Shared: do not modify.
func (m *LatencyModel) LinkClasses() []Dist { return m.links }

// RegionRTT returns the RTT distribution between regions i and j (indexes
// into Cluster.Regions); for i == j, the RTT between two zones of region i.
func (m *LatencyModel) RegionRTT(i, j int) Dist {
	if i < 0 || i >= m.nr || j < 0 || j >= m.nr {
		panic(fmt.Sprintf("topology: RegionRTT(%d, %d): region out of range [0, %d)", i, j, m.nr))
	}
	return m.links[linkRegions+i*m.nr+j]
}

// InterZone returns the RTT distribution between two zones of one region.
func (m *LatencyModel) InterZone() Dist { return m.links[linkInterZone] }

// IntraZone returns the RTT distribution between two nodes of one zone.
func (m *LatencyModel) IntraZone() Dist { return m.links[linkIntraZone] }

// OneWayIntraZone draws the one-way delay of a message between two nodes
// of one zone (half a sampled RTT of IntraZone), without copying the
// distribution: for a peer that is not a node (a client next to its
// gateway).
func (m *LatencyModel) OneWayIntraZone(r rand.Source) time.Duration {
	return m.links[linkIntraZone].sample(r) / 2
}

// Service returns the distribution of leaseholder evaluation time.
func (m *LatencyModel) Service() Dist { return m.service }

// Fsync returns the distribution of one Raft log append.
func (m *LatencyModel) Fsync() Dist { return m.fsync }

// OneWay draws the one-way delay of a message from one node to another:
// half a sampled RTT of their link; 0 from a node to itself. O(1),
// allocation-free; with jitter none it is exactly the link's p50/2 and
// consumes no randomness.
func (m *LatencyModel) OneWay(r rand.Source, from, to NodeID) time.Duration {
	// A node and itself are linkSelf, Constant(0), which draws nothing.
	// Small enough to inline: one call less per message.
	return m.links[m.table[int(from)*m.n+int(to)]].sample(r) / 2
}

// MedianRTT returns the p50 RTT between two nodes (0 for a node and
// itself). Deterministic; for planning and jitter-free tests.
func (m *LatencyModel) MedianRTT(from, to NodeID) time.Duration {
	return m.links[m.table[int(from)*m.n+int(to)]].p50
}

// SampleService draws one leaseholder evaluation time.
func (m *LatencyModel) SampleService(r rand.Source) time.Duration { return m.service.sample(r) }

// SampleFsync draws one Raft log append time.
func (m *LatencyModel) SampleFsync(r rand.Source) time.Duration { return m.fsync.sample(r) }

// OneWay draws the one-way delay of a message between two nodes; see
// LatencyModel.OneWay. It panics if c has no latency model (a layout from
// NewLayout rather than Build).
func (c *Cluster) OneWay(r rand.Source, from, to NodeID) time.Duration {
	return c.Latency.OneWay(r, from, to)
}

// MedianRTT returns the p50 RTT between two nodes; see
// LatencyModel.MedianRTT.
func (c *Cluster) MedianRTT(from, to NodeID) time.Duration { return c.Latency.MedianRTT(from, to) }

// RegionRTT returns the RTT distribution between regions i and j; see
// LatencyModel.RegionRTT.
func (c *Cluster) RegionRTT(i, j int) Dist { return c.Latency.RegionRTT(i, j) }

// SampleService draws one leaseholder evaluation time.
func (c *Cluster) SampleService(r rand.Source) time.Duration { return c.Latency.SampleService(r) }

// SampleFsync draws one Raft log append time.
func (c *Cluster) SampleFsync(r rand.Source) time.Duration { return c.Latency.SampleFsync(r) }
