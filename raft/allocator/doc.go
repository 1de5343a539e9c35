// Package allocator decides when a range's lease moves for rebalancing, the
// way CockroachDB's allocator and lease/replicate queue do (reference §5,
// §10 rules 17–18). It owns three pure pieces of logic:
//
//   - ReplicaStats: the leaseholder's per-locality request counter with
//     decaying 5-minute windows (pkg/kv/kvserver/replicastats), recorded on
//     every request and read at each decision;
//   - ShouldTransferLease: follow-the-workload
//     (shouldTransferLeaseForAccessLocality and
//     loadBasedLeaseRebalanceScore), the lease-count convergence fallback,
//     the target choice and the store's minimum interval between
//     rebalancing transfers (pkg/kv/kvserver/allocator/allocatorimpl,
//     pkg/kv/kvserver/replicate_queue.go);
//   - ScanInterval: how often the replica scanner visits a replica, i.e.
//     how often the caller should ask (pkg/kv/kvserver/scanner.go,
//     pkg/server/config.go).
//
// Settings mirrors the cluster settings involved, with CockroachDB's
// defaults from DefaultSettings.
//
// The package schedules nothing and keeps no clock: simulated time comes in
// as sim.Time and every result is a value. The engine integration — the
// scanner events, mapping gateways to locality ids, calling
// placement.Layout.ValidLeaseTargets for the candidates (lease preferences
// are enforced there and by Layout.ShouldMoveLease, not here), the lease
// transfer itself (about one consensus round, rule 18) and Reset of the
// stats when the lease lands — belongs to the caller. RecordCount,
// PerLocalityDecayingRate with a destination slice and ShouldTransferLease
// allocate nothing.
//
// Randomness comes only from an optional *rand.Rand in Input; without one
// every result is a function of the inputs.
//
// Package allocator imports only the standard library and
// github.com/regionsim/regionsim/topology (Locality, DiversityScore,
// NodeID) and github.com/regionsim/regionsim/sim (Time). Its tests also use
// raft/placement (the Example builds candidates with ValidLeaseTargets) and
// testify.
package allocator
