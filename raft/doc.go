// Package raft models CockroachDB's replication layer: ranges and their
// replicas (voters and non-voters), Raft log replication and quorum commit,
// leases (epoch, expiration and leader leases) with node and store liveness,
// elections, lease transfers and closed timestamps; request serving at a
// replica (leaseholder reads, follower reads, GLOBAL reads and future-time
// writes with commit-wait) and routing from a gateway, as DistSender does.
//
// Where things are:
//
//   - model.go: Model, tables, the request path's handler (one event
//     switch), request and part slabs, the request path's random streams;
//   - gateway.go: a request at its gateway, DistSender routing, retries,
//     backoff and deadlines (request.go: the request path's types;
//     rpcbreaker.go, rpc.go: connection health and RPC circuit breakers);
//   - read.go: the read path (leaseholder, follower, GLOBAL and
//     locality-optimized reads);
//   - write.go: the write path (replication, quorum commit, commit wait,
//     inserts with uniqueness checks, parallel-commit transactions);
//   - lease.go: the lease check at a replica, lease transfers, waiting
//     requests, the lease log;
//   - latch.go: contention among keyed requests — per-row latches at the
//     leaseholder (spanlatch) and transactions' intents (lock table);
//   - closedts.go: the closed-timestamp side transport (its own handler);
//   - follow.go: the replica scanners — lease preferences and
//     follow-the-workload (its own handler);
//   - failover.go: the failover path — faults, outages and their phases
//     (the failover component, its own handler, nil without faults);
//     acquire.go: lease acquisition under failures; breaker.go: the
//     replica circuit breaker; liveness.go: node liveness and the
//     liveness range; upreplicate.go: replacing dead replicas;
//     election.go: Raft elections as messages; term.go: terms and who
//     hears a leader;
//   - path.go: critical-path attribution — each request's latency split
//     into the hops and waits that set it (Path, PathSink);
//   - ids.go: typed ids and the one encoding of event arguments;
//     range.go: Range, split by concern; trace.go: message traces;
//   - traffic.go: the bytes of every message, counted where it is sent,
//     link bandwidth (a FIFO per directed region link) and snapshot sizes.
//
// Sub-packages: raft/quorum decides majorities (pure functions);
// raft/placement compiles multi-region SQL configuration into zone configs
// and replica layouts (reference §1); raft/allocator holds the pure
// lease-rebalancing rule, decaying request stats and scanner pace
// (reference §5); raft/closedform computes the latency each request path
// has on a jitter-free, fault-free cluster without simulating it (it does
// not import raft, so this package's hand-computed tests check their
// expected values against it).
//
// Protocol logic is written as state machines stepped by messages and timers
// on the sim engine; nodes are not goroutines. Package raft may import sim,
// sim/stats, topology and its own sub-packages, never scenarios, plots or
// cmd.
package raft
