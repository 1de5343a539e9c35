package raft

import (
	"github.com/regionsim/regionsim/sim"
)

// This file is the replica circuit breaker: a range whose write proposals
// are stuck trips it, requests that would wait there fail at once, and a
// probe resets it (kvserver's replica circuit breaker; docs/model.md).

// breakerTripped reports whether r's replica circuit breaker has tripped:
// requests that would wait there for the lease fail at once.
func (f *failover) breakerTripped(r *Range) bool { return f != nil && r.fail != nil && r.fail.tripped }

// armBreaker starts r's breaker timer, unless one runs, to fire
// ReplicaCircuitBreakerThreshold after since: called when a request starts
// waiting for the lease, and when a write proposal may be stuck (proposed
// with no leader or no reachable quorum, refused for its term, or pending
// when a fault starts).
func (f *failover) armBreaker(r *Range, since sim.Time) {
	if f == nil {
		return
	}
	st := f.state(r)
	if st.breakerArmed || st.tripped {
		return
	}
	st.breakerArmed = true
	st.breakerGen++
	f.eng.Schedule(max(f.eng.Now(), since.Add(ReplicaCircuitBreakerThreshold)), f.id, kBreaker, rangeGenArg(r.ID, st.breakerGen))
}

// breakerFires checks r's oldest pending proposal — a request waiting for
// the lease, or a write at a live replica — when the threshold may have
// passed: once it is ReplicaCircuitBreakerThreshold old the breaker trips
// (refreshProposalsLocked): the requests waiting at live replicas fail
// with ReplicaUnavailableError (a write already proposed, ambiguously: it
// may still apply), and so do new ones, until a probe finds the range able
// to serve. If nothing is that old the timer waits for the oldest.
func (f *failover) breakerFires(id RangeID, gen int32) {
	r := &f.m.ranges[id]
	st := f.state(r)
	if gen != st.breakerGen {
		return
	}
	st.breakerArmed = false
	oldest := f.m.oldestProposal(r, -1)
	if st.stuckSince != 0 && (oldest == 0 || st.stuckSince < oldest) {
		oldest = st.stuckSince
	}
	switch {
	case oldest == 0:
		return // nothing pending
	case f.eng.Now().Sub(oldest) < ReplicaCircuitBreakerThreshold:
		f.armBreaker(r, oldest)
		return
	}
	st.tripped = true
	f.note(r.Leaseholder, "breaker", "r%d: replica circuit breaker trips after %v", r.ID, ReplicaCircuitBreakerThreshold)
	f.m.failParked(r)
	f.m.failProposals(r, -1)
	f.eng.After(f.m.leaseAcquireTimeout, f.id, kBreakerProbe, rangeGenArg(r.ID, st.breakerGen))
}

// probe runs while r's breaker is tripped. CockroachDB's breaker sends a
// probe through the replica (replica_circuit_breaker.go sendProbe): a
// request that needs the lease and one consensus round. It succeeds — the
// breaker resets — once the range has a valid lease, a leader and a
// quorum; else it asks for the lease like any request, and tries again
// when its lease wait times out (RangeLeaseAcquireTimeout).
func (f *failover) probe(id RangeID, gen int32) {
	r := &f.m.ranges[id]
	st := f.state(r)
	if gen != st.breakerGen || !st.tripped {
		return
	}
	if f.leaseValid(r) && r.leader >= 0 {
		st.tripped, st.stuckSince = false, 0
		st.breakerGen++
		f.note(r.Leaseholder, "breaker-reset", "r%d: the probe succeeds", r.ID)
		return
	}
	if !f.leaseHolderOK(r) {
		f.tryAcquire(r)
	}
	f.eng.After(f.m.leaseAcquireTimeout, f.id, kBreakerProbe, rangeGenArg(r.ID, st.breakerGen))
}
