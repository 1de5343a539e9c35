package raft

import (
	"github.com/regionsim/regionsim/raft/allocator"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// TableID names a table added to a Model.
type TableID int32

// TableDef describes a table to add to a Model.
type TableDef struct {
	Name     string
	Locality placement.Locality
	// Layouts holds one entry per range, as placement.PlaceTable returns
	// them; for REGIONAL BY ROW tables each names its partition region.
	Layouts []placement.RangeLayout
	// Rows is the number of rows (keys) in the table, spread evenly over
	// its ranges; GLOBAL reads wait on future writes to the same key.
	Rows int
	// UniqueChecks makes REGIONAL BY ROW inserts check every other region's
	// partition first (reference §7; false when the key is exempt).
	UniqueChecks bool
	// LocalityOptimizedSearch makes REGIONAL BY ROW reads look the row up
	// without its region: local partition first, then every remote
	// partition in parallel (reference §7, §10 rule 8). When false, reads
	// go straight to the row's partition.
	LocalityOptimizedSearch bool
	// TxnRanges is how many ranges one OpTxn writes (default 3).
	TxnRanges int
	// RangeBytes is the size of each range's data in bytes, what a
	// snapshot to a replacement replica moves; 0 means DefaultRangeBytes.
	RangeBytes int64
}

// Table is a table of a Model.
type Table struct {
	Name        string
	Locality    placement.Locality
	GlobalReads bool
	Ranges      []RangeID // in layout order
	// Partitions[r] lists the ranges of the partition homed in cluster
	// region r (REGIONAL BY ROW only; nil elsewhere).
	Partitions   [][]RangeID
	UniqueChecks bool
	LOS          bool
	TxnRanges    int
	// added is when the table was added: its ranges' request statistics
	// start then (see statsOf).
	added sim.Time
}

// Range is one range of a table. Its state is split by the concern that
// owns it, each part declared next to the code that changes it:
//
//   - rangeLayout (here): where the replicas are; changed only by
//     up-replication (upreplicate.go);
//   - rangeLease (lease.go): the leaseholder, transfers, the requests
//     waiting for a lease, and the gateways' range caches;
//   - rangeProgress (write.go): replication progress — replicas still
//     catching up by snapshot, GLOBAL writes' timestamps per key;
//   - leader: the range's Raft leader, -1 while it has none (changed only
//     by elections and step-downs under failures);
//   - fail (failover.go): elections and lease acquisition under failures,
//     nil until a fault touches the range (failover.state);
//   - stats: the leaseholder's request-locality statistics, read by the
//     allocator (follow.go, raft/allocator); nil until first used (statsOf).
type Range struct {
	rangeLayout
	rangeLease
	rangeProgress
	leader topology.NodeID
	fail   *rangeFailover
	stats  *allocator.ReplicaStats
}

// rangeLayout is where a range's replicas are.
type rangeLayout struct {
	ID        RangeID
	Table     TableID
	Partition int // cluster region of an RBR partition, else -1
	Layout    placement.Layout
	// Replicas lists voters first, then non-voters; a replica index i
	// (< NumVoters for a voter) names Replicas[i].
	Replicas  []topology.NodeID
	NumVoters int
	// Quorum is the number of durable voter appends, the leader's own
	// included, that commit a write: quorum.Size(NumVoters).
	Quorum      int
	GlobalReads bool
	keys        int
	// bytes is the range's data size (TableDef.RangeBytes).
	bytes int64
	// spec is the zone-config view the range was placed from.
	spec placement.Spec
}

// replicaIndex returns n's index in r.Replicas, or -1.
func (r *rangeLayout) replicaIndex(n topology.NodeID) int {
	for i, x := range r.Replicas {
		if x == n {
			return i
		}
	}
	return -1
}

// replicaBit returns the bit of node n among r's replicas (0 if n holds
// none).
func (r *rangeLayout) replicaBit(n topology.NodeID) uint32 {
	if i := r.replicaIndex(n); i >= 0 {
		return 1 << uint(i)
	}
	return 0
}

// statsOf returns r's request statistics, creating them on first use.
//
// CockroachDB gives every replica its stats when it is created; here they
// are created when first touched — the first request the leaseholder
// serves, the first scanner visit that reads them, or a lease move that
// resets them — as if created when the table was added. Stats that nothing
// has touched have rotated no window (rotation is lazy, on access) and
// counted nothing, so stats created at the first touch with the table's
// creation time as their start are the same stats: the results are
// unchanged, and the ranges that see no request before the run ends (most
// of them in a table of 100,000 ranges) hold no counts (issue #16).
func (m *Model) statsOf(r *Range) *allocator.ReplicaStats {
	if r.stats == nil {
		r.stats = allocator.NewReplicaStats(len(m.cluster.Zones), m.tables[r.Table].added, m.cfg.Allocator)
	}
	return r.stats
}
