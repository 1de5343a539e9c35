package raft

import (
	"encoding/binary"
	"reflect"
	"slices"

	"github.com/regionsim/regionsim/raft/allocator"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/raft/quorum"
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
//   - rangeLayout (here): where the replicas are, in a rangeShape shared
//     by the ranges placed alike; changed only by up-replication
//     (upreplicate.go), which gives the range its own shape first;
//   - rangeLease (lease.go): the leaseholder, transfers, the requests
//     waiting for a lease, and the gateways' range caches (these, with
//     a transfer's reason, behind a pointer allocated by the first move);
//   - rangeProgress (write.go): GLOBAL writes' timestamps per key;
//   - leader: the range's Raft leader, -1 while it has none (changed only
//     by elections and step-downs under failures);
//   - fail (failover.go): elections, lease acquisition and replacements
//     catching up by snapshot under failures, nil until a fault touches
//     the range (failover.state);
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

// rangeLayout is a range's identity and where its replicas are.
type rangeLayout struct {
	ID        RangeID
	Table     TableID
	Partition int32 // cluster region of an RBR partition, else -1
	// pos is the range's position in its partition's list
	// (Table.Partitions) in a REGIONAL BY ROW table, else in Table.Ranges.
	pos int32
	// rangeShape is where the replicas are: shared, read-only, by every
	// range of the model with the same layout and zone config (see
	// shapes.shapeOf), until up-replication gives the range its own
	// (ownShape).
	*rangeShape
	keys int
	// bytes is the range's data size (TableDef.RangeBytes).
	bytes int64
}

// rangeShape is the placement of a range's replicas. A table of 100,000
// ranges on 9 nodes is placed in a few dozen distinct ways, so ranges share
// their shape (issue #16: ranges scale linearly) rather than each holding
// its own lists; a shape is never changed once a range uses it, unless it
// is private (ownShape).
type rangeShape struct {
	Layout placement.Layout
	// Replicas lists voters first, then non-voters; a replica index i
	// (< NumVoters for a voter) names Replicas[i].
	Replicas  []topology.NodeID
	NumVoters int
	// Quorum is the number of durable voter appends, the leader's own
	// included, that commit a write: quorum.Size(NumVoters).
	Quorum      int
	GlobalReads bool
	// spec is the zone-config view the range was placed from.
	spec placement.Spec
	// private is set on a shape one range owns (ownShape): it may change
	// in place.
	private bool
	// reachBits caches, for failover epoch reachEpoch, which voters
	// (bit i: Layout.Voters[i]) reach a quorum of the voters
	// (failover.holderReaches).
	reachEpoch uint64
	reachBits  uint64
}

// newShape returns a private shape of layout l placed from spec, owning
// copies of the layout's replica lists.
func newShape(l placement.Layout, spec placement.Spec) *rangeShape {
	s := &rangeShape{Layout: l, spec: spec, NumVoters: len(l.Voters), Quorum: quorum.Size(len(l.Voters)),
		GlobalReads: l.GlobalReads, private: true}
	s.Layout.Voters = slices.Clone(l.Voters)
	s.Layout.NonVoters = slices.Clone(l.NonVoters)
	s.Replicas = append(append(make([]topology.NodeID, 0, len(l.Voters)+len(l.NonVoters)), l.Voters...), l.NonVoters...)
	return s
}

// ownShape gives r a private copy of its shape, which it may then change
// (up-replication replaces a replica); O(replicas) the first time, O(1)
// after.
func (r *rangeLayout) ownShape() {
	if !r.private {
		r.rangeShape = newShape(r.Layout, r.spec)
	}
}

// shapes interns the ranges' shapes: ranges with equal layouts placed from
// equal zone configs share one (shapeOf).
type shapes struct {
	byKey map[string]*rangeShape
	specs []placement.Spec // the distinct specs seen, indexed in keys
	// lastIn is the last spec looked up (if seen) and last its index in
	// specs.
	lastIn placement.Spec
	seen   bool
	last   int
	key    []byte
}

// shapeOf returns the shared shape of layout l placed from spec, creating
// it on first use. O(replicas), allocation-free for a known shape.
func (s *shapes) shapeOf(l *placement.Layout, spec *placement.Spec) *rangeShape {
	si := s.specIndex(spec)
	k := binary.AppendUvarint(s.key[:0], uint64(si))
	k = binary.AppendVarint(k, int64(l.Home))
	k = binary.AppendVarint(k, int64(l.Leaseholder))
	k = binary.AppendVarint(k, int64(l.MissingVoters))
	k = binary.AppendVarint(k, int64(l.MissingNonVoters))
	if l.GlobalReads {
		k = append(k, 1)
	} else {
		k = append(k, 0)
	}
	for _, list := range [][]topology.NodeID{l.Voters, l.NonVoters} {
		k = binary.AppendUvarint(k, uint64(len(list)))
		for _, n := range list {
			k = binary.AppendVarint(k, int64(n))
		}
	}
	k = binary.AppendUvarint(k, uint64(len(l.LeasePreferences)))
	for _, p := range l.LeasePreferences {
		k = binary.AppendVarint(k, int64(p))
	}
	s.key = k
	if sh, ok := s.byKey[string(k)]; ok {
		return sh
	}
	sh := newShape(*l, *spec)
	sh.Layout.LeasePreferences = slices.Clone(l.LeasePreferences)
	sh.private = false
	if s.byKey == nil {
		s.byKey = map[string]*rangeShape{}
	}
	s.byKey[string(k)] = sh
	return sh
}

// specIndex returns the index of spec among the distinct specs seen,
// adding it if new. Ranges of one table partition share their spec's
// lists (placement.PlaceTable), which is checked first; otherwise specs
// are compared by value.
func (s *shapes) specIndex(spec *placement.Spec) int {
	if s.seen && sameSpec(&s.lastIn, spec) {
		return s.last
	}
	s.lastIn, s.seen = *spec, true
	for i := range s.specs {
		if sameSpec(&s.specs[i], spec) || reflect.DeepEqual(s.specs[i], *spec) {
			s.last = i
			return i
		}
	}
	s.specs = append(s.specs, *spec)
	s.last = len(s.specs) - 1
	return s.last
}

// sameSpec reports whether a and b have equal fields and share their
// lists: a cheap sufficient test of equality.
func sameSpec(a, b *placement.Spec) bool {
	return a.NumReplicas == b.NumReplicas && a.NumVoters == b.NumVoters && a.GlobalReads == b.GlobalReads &&
		a.Home == b.Home && sameList(a.Constraints, b.Constraints) &&
		sameList(a.VoterConstraints, b.VoterConstraints) && sameList(a.LeasePreferences, b.LeasePreferences) &&
		sameList(a.Nodes, b.Nodes)
}

// sameList reports whether a and b are the same list (the same length and,
// if not empty, the same first element in memory).
func sameList[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
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
