// Package raft models CockroachDB's replication layer: ranges and their
// replicas (voters and non-voters), Raft log replication and quorum commit,
// leases (epoch, expiration and leader leases) with node and store liveness,
// elections, lease transfers and closed timestamps; request serving at a
// replica (leaseholder reads, follower reads, GLOBAL reads and future-time
// writes with commit-wait) and routing from a gateway, as DistSender does.
//
// Failures (crashes, partitions, liveness, elections, lease failover,
// DistSender retries, up-replication) and the replica scanner that enforces
// lease preferences and follows the workload live here too.
//
// Sub-packages: raft/placement compiles multi-region SQL configuration into
// zone configs and replica layouts (reference §1); raft/allocator holds the
// pure lease-rebalancing rule, decaying request stats and scanner pace
// (reference §5).
//
// Protocol logic is written as state machines stepped by messages and timers
// on the sim engine; nodes are not goroutines. Package raft may import sim,
// sim/stats, topology and its own sub-packages, never scenarios, plots or
// cmd.
package raft
