// Package placement turns a multi-region database configuration and a table
// locality into concrete replica layouts, the way CockroachDB does it in two
// steps (reference §1):
//
//  1. Zone-config synthesis. SpecFor mirrors pkg/sql/regions/region_util.go:
//     from a Database (regions, primary and secondary region, survival goal,
//     placement policy) and a Locality (REGIONAL BY TABLE, REGIONAL BY ROW,
//     GLOBAL, or none) it derives a Spec — num_replicas, num_voters,
//     constraints, voter_constraints, lease_preferences and global_reads —
//     and refuses the configurations CockroachDB refuses (Validate, with
//     wrapped sentinel errors that name the field and the value). The
//     database's num_voters / num_replicas act as zone config extensions
//     and a table's (TableSpec.Spec) as its own zone config; super regions
//     confine the replicas of regional data homed in them
//     (AddConstraintsForSuperRegion).
//  2. Allocation. Allocate chooses concrete nodes of a topology.Cluster for a
//     Spec the way CockroachDB's allocator settles at steady state: replicas
//     required by constraints first, then the remaining voters and the
//     non-voters spread by locality diversity, then replica-count balance
//     across nodes (Load), then a draw from the caller's *rand.Rand. PlaceTable
//     does both steps for every range of a table.
//
// It also implements how lease preferences restrict which replicas may hold
// the lease (reference §1.6): Layout.ValidLeaseTargets and
// Layout.ShouldMoveLease. When a lease moves, and follow-the-workload, belong
// to raft/allocator.
//
// A Layout is plain data: node IDs of voters and non-voters, the lease
// preferences as region indexes of the cluster, the initial leaseholder and
// whether the range serves global reads. Nothing here keeps time or state
// between calls except the optional Load tally the caller owns.
//
// Randomness comes only from the *rand.Rand (math/rand/v2) passed in, so the
// same inputs and seed give the same layouts.
//
// Package placement imports only the standard library and
// github.com/regionsim/regionsim/topology (the layout types: Cluster, Node,
// NodeID, DiversityScore).
package placement
