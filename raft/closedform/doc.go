// Package closedform computes, without simulating, the latency a request
// would see on a jitter-free, fault-free cluster: every message takes half
// its link's median RTT, every evaluation and log append its median, and
// nothing waits on anything else. It is the analytic twin of package raft's
// request path (gateway.go, read.go, write.go, closedts.go): the client hop,
// DistSender's routing (the leaseholder, or the nearest replica for follower
// reads), evaluation, the quorum of durable voter appends, GLOBAL writes'
// commit wait, follower reads served locally when the closed timestamp
// covers them (or redirected to the leaseholder when it lags),
// locality-optimized search and uniqueness checks on REGIONAL BY ROW tables,
// and parallel commits over several ranges (reference §3, §4, §7, §10).
//
// A request's latency is a Dist: one value in most paths, two where a
// mechanism mixes (a follower whose closed timestamp lags part of the time
// sends the read on to the leaseholder). Mixture accumulates the Dists of
// every request a workload can issue, each with its probability, and
// returns their median: the figure the jitter-free simulation's p50 must
// equal (scenarios checks it for every built-in scenario). Hand-computed
// tests in raft use the same functions.
//
// It imports topology, raft/placement and raft/quorum, never raft itself, so
// that package raft's tests can use it; raft.Config.ClosedForm converts the
// model's settings.
package closedform
