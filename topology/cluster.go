package topology

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NodeID identifies a node of a Cluster. IDs are dense indexes starting at 0
// (Cluster.Nodes[id]); they print as CockroachDB's 1-based "n1", "n2", ….
type NodeID int32

// String returns the CockroachDB-style name of the node, "n<id+1>".
func (id NodeID) String() string { return "n" + strconv.Itoa(int(id)+1) }

// NodeByName returns the node named name ("n1" … "nN", as NodeID.String
// prints it), and false if c has no such node.
func (c *Cluster) NodeByName(name string) (NodeID, bool) {
	rest, ok := strings.CutPrefix(name, "n")
	if !ok || rest == "" || rest[0] == '0' || rest[0] == '+' || rest[0] == '-' {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > len(c.Nodes) {
		return 0, false
	}
	return NodeID(n - 1), true
}

// Locality is a node's position in the failure-domain hierarchy, the
// equivalent of `cockroach start --locality=region=R,zone=Z`.
type Locality struct {
	Region string
	Zone   string
}

// String renders the locality the way CockroachDB prints it:
// "region=us-east1,zone=us-east1-a".
func (l Locality) String() string { return "region=" + l.Region + ",zone=" + l.Zone }

// DiversityScore returns how different two localities are, as
// CockroachDB's Locality.DiversityScore does for tiers region,zone
// (reference §1.4, pkg/roachpb/metadata.go): 1 for different regions,
// 0.5 for the same region but different zones, 0 for the same zone.
func DiversityScore(a, b Locality) float64 {
	switch {
	case a.Region != b.Region:
		return 1
	case a.Zone != b.Zone:
		return 0.5
	default:
		return 0
	}
}

// Node is one CockroachDB node (one store) of the simulated cluster.
type Node struct {
	ID       NodeID
	Region   int // index into Cluster.Regions
	Zone     int // index into Cluster.Zones
	Locality Locality
	// VCPUs is the node's CPU count (topology vcpus, or its region's
	// region_sizes vcpus); 0: no CPU queue.
	VCPUs int
}

// Zone is an availability zone: a failure domain inside a region.
type Zone struct {
	Name   string
	Region int      // index into Cluster.Regions
	Nodes  []NodeID // in ID order
}

// Region is a cloud region holding one or more zones.
type Region struct {
	Name  string
	Zones []int // indexes into Cluster.Zones, in name order
}

// Cluster is the resolved physical layout of a simulated cluster: regions,
// zones and nodes, plus the latency model between them. A Cluster is plain
// data once built and is not modified by a simulation run; which nodes are up
// at a given instant is tracked separately.
type Cluster struct {
	Regions []Region
	Zones   []Zone
	Nodes   []Node
	Latency *LatencyModel
	// bandwidth[a*len(Regions)+b] is the capacity of the directed link
	// from region a to region b in bytes per second, 0 for unlimited; nil
	// when no link is limited (Build fills it).
	bandwidth []float64
	// VCPUs is the default CPU count of a node (Config.VCPUs; 0: no CPU
	// queue; Node.VCPUs is each node's) and RaftCPU the CPU time of one
	// Raft entry at a replica (Config.RaftCPU).
	VCPUs   int
	RaftCPU time.Duration
}

// RegionIndex returns the index of the named region, or -1.
func (c *Cluster) RegionIndex(name string) int {
	for i := range c.Regions {
		if c.Regions[i].Name == name {
			return i
		}
	}
	return -1
}

// ZoneIndex returns the index of the named zone, or -1.
func (c *Cluster) ZoneIndex(name string) int {
	for i := range c.Zones {
		if c.Zones[i].Name == name {
			return i
		}
	}
	return -1
}

// RegionNodes returns the IDs of the nodes in region r, zone by zone.
func (c *Cluster) RegionNodes(r int) []NodeID {
	var ids []NodeID
	for _, z := range c.Regions[r].Zones {
		ids = append(ids, c.Zones[z].Nodes...)
	}
	return ids
}

// NewLayout builds the regions, zones and nodes of a cluster without a
// latency model: zonesPerRegion zones named "<region>-a", "<region>-b", … in
// every region, each with nodesPerZone nodes. Node IDs are assigned region by
// region, zone by zone, so n1–n3 are the first region's nodes in the default
// 3x3x1 layout (as in `cockroach demo --global`).
func NewLayout(regions []string, zonesPerRegion, nodesPerZone int) (*Cluster, error) {
	if zonesPerRegion < 1 || zonesPerRegion > 26 {
		return nil, fmt.Errorf("topology: zones_per_region: %d is out of range [1, 26]", zonesPerRegion)
	}
	if nodesPerZone < 1 || nodesPerZone > 100 {
		return nil, fmt.Errorf("topology: nodes_per_zone: %d is out of range [1, 100]", nodesPerZone)
	}
	zoneNodes := make([][]int, len(regions))
	for i := range zoneNodes {
		zoneNodes[i] = make([]int, zonesPerRegion)
		for z := range zoneNodes[i] {
			zoneNodes[i][z] = nodesPerZone
		}
	}
	return NewUnevenLayout(regions, zoneNodes)
}

// NewUnevenLayout is NewLayout with a shape per region: zoneNodes[r][z] is
// the number of nodes (1–100) of zone z (1–26 zones) of regions[r], so
// regions may differ in zones and zones in nodes (Config.RegionSizes).
// Zones are named and node IDs assigned as in NewLayout.
func NewUnevenLayout(regions []string, zoneNodes [][]int) (*Cluster, error) {
	if len(regions) == 0 {
		return nil, fmt.Errorf("topology: regions: empty list")
	}
	if len(zoneNodes) != len(regions) {
		return nil, fmt.Errorf("topology: %d regions but %d region shapes", len(regions), len(zoneNodes))
	}
	c := &Cluster{}
	seen := make(map[string]bool, len(regions))
	for ri, name := range regions {
		if name == "" {
			return nil, fmt.Errorf("topology: regions[%d]: empty name", ri)
		}
		if seen[name] {
			return nil, fmt.Errorf("topology: regions[%d]: %q is listed twice", ri, name)
		}
		seen[name] = true
		if n := len(zoneNodes[ri]); n < 1 || n > 26 {
			return nil, fmt.Errorf("topology: region %s: %d zones is out of range [1, 26]", name, n)
		}
		reg := Region{Name: name}
		for zi, nodes := range zoneNodes[ri] {
			if nodes < 1 || nodes > 100 {
				return nil, fmt.Errorf("topology: zone %s-%c: %d nodes is out of range [1, 100]", name, 'a'+zi, nodes)
			}
			zone := Zone{Name: fmt.Sprintf("%s-%c", name, 'a'+zi), Region: ri}
			for ni := 0; ni < nodes; ni++ {
				id := NodeID(len(c.Nodes))
				zone.Nodes = append(zone.Nodes, id)
				c.Nodes = append(c.Nodes, Node{
					ID: id, Region: ri, Zone: len(c.Zones),
					Locality: Locality{Region: name, Zone: zone.Name},
				})
			}
			reg.Zones = append(reg.Zones, len(c.Zones))
			c.Zones = append(c.Zones, zone)
		}
		c.Regions = append(c.Regions, reg)
	}
	if len(c.Nodes) > MaxNodes {
		return nil, fmt.Errorf("topology: %d nodes exceeds the limit of %d", len(c.Nodes), MaxNodes)
	}
	return c, nil
}
