package raft

import (
	"fmt"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file holds what each replica knows of its range's lease under
// failures. A lease change is a Raft command, and a replica knows the
// lease it has applied: CockroachDB's lease check reads the replica's own
// state (Replica.leaseStatusAtRLocked reads r.mu.state.Lease, set when the
// replica applies a lease command, replica_proposal.go leasePostApply). A
// replica cut off from the Raft leader when the lease moved keeps judging
// requests by the lease it applied last, until it catches up: it redirects
// to the old holder while that lease looks valid, and once it has expired
// it asks for the lease itself. Its lease request is a proposal it cannot
// commit, so its own replica circuit breaker trips after
// ReplicaCircuitBreakerThreshold (replica_circuit_breaker.go), and its
// requests then fail with ReplicaUnavailableError until a probe commits.
// A replica that knows the current lease but judges it expired by its own
// copy of the holder's liveness record (gossip.go), and cannot reach a
// leader that would refuse its request, waits on a request of its own in
// the same way.
//
// The range's failover state keeps, per replica, the lease it applied
// and its own request and breaker (rangeFailover.views) while some
// replica lags, waits on a request of its own or has its breaker open; a
// range without any keeps none, and the request path then judges the
// range's lease as before.

// replicaLease is one replica's own lease state: the lease it applied
// last, its own pending lease request, and its replica circuit breaker.
type replicaLease struct {
	lh    topology.NodeID
	seq   uint32
	epoch uint32
	// stuckSince is when the replica's own lease request (which it cannot
	// commit while it is cut off from the leader) began, or 0.
	stuckSince sim.Time
	// tripped is set while the replica's own breaker is open: from
	// ReplicaCircuitBreakerThreshold after stuckSince until a probe
	// through it succeeds.
	tripped bool
}

// learn makes v the lease cur, applied: a request of its own waiting on
// an older lease is over (its breaker, if open, stays so until a probe).
func (v *replicaLease) learn(cur replicaLease) {
	v.lh, v.seq, v.epoch, v.stuckSince = cur.lh, cur.seq, cur.epoch, 0
}

// currentLease is the lease range r has now, as a replica that applied
// it knows it.
func currentLease(r *Range) replicaLease {
	return replicaLease{lh: r.Leaseholder, seq: r.leaseSeq, epoch: r.leaseEpoch}
}

// replicaView returns the own lease state of node n's replica of r when n
// has not applied r's current lease or its own breaker is open; nil when n
// knows the current lease (the request path then judges the range's
// lease).
func (f *failover) replicaView(r *Range, n topology.NodeID) *replicaLease {
	if v := f.viewAt(r, n); v != nil && (v.seq != r.leaseSeq || v.tripped) {
		return v
	}
	return nil
}

// viewAt returns node n's entry in r's per-replica lease states, or nil
// if r keeps none (or n holds no replica of r).
func (f *failover) viewAt(r *Range, n topology.NodeID) *replicaLease {
	if f == nil || r.fail == nil || r.fail.views == nil {
		return nil
	}
	i := r.replicaIndex(n)
	if i < 0 || i >= len(r.fail.views) {
		return nil
	}
	return &r.fail.views[i]
}

// behind reports whether node n's replica of r has not applied r's
// current lease.
func (f *failover) behind(r *Range, n topology.NodeID) bool {
	v := f.replicaView(r, n)
	return v != nil && v.seq != r.leaseSeq
}

// ownWaitAt reports whether the parts waiting on r at node n wait on n's
// own lease request (n missed a lease change, or found the lease expired
// in its own copy of the holder's liveness record), not on the range's
// acquisition.
func (f *failover) ownWaitAt(r *Range, n topology.NodeID) bool {
	v := f.viewAt(r, n)
	return v != nil && (v.seq != r.leaseSeq || v.stuckSince != 0)
}

// ownView returns node n's own lease state for r, creating the range's
// per-replica states (every replica knowing the current lease) if needed.
func (f *failover) ownView(r *Range, n topology.NodeID) *replicaLease {
	st := f.state(r)
	if st.views == nil {
		st.views = make([]replicaLease, len(r.Replicas))
		for i := range st.views {
			st.views[i] = currentLease(r)
		}
	}
	return &st.views[r.replicaIndex(n)]
}

// followsLeader reports whether node n's replica of r follows a Raft
// leader (exchanges messages with it both ways): a proposal it makes gets
// through.
func (f *failover) followsLeader(r *Range, n topology.NodeID) bool {
	return r.leader >= 0 && f.hearsLog(r.leader, n)
}

// stillStuck reports whether replica i of r still waits on a lease request
// of its own: it has not applied the current lease, or its request cannot
// reach a leader (which would refuse it, the lease being valid).
func (f *failover) stillStuck(r *Range, i int) bool {
	n := r.Replicas[i]
	return r.fail.views[i].seq != r.leaseSeq || n != r.Leaseholder && !f.followsLeader(r, n)
}

// hearsLog reports whether node n's replica of r follows src, the
// replica that appends the log (the Raft leader): they exchange messages
// both ways, as a replica learns the leader's term (spreadTerm), so that a
// replica that applies a lease also learns the term that rejects what it
// proposed before.
func (f *failover) hearsLog(src, n topology.NodeID) bool {
	return n == src || f.linkOK(src, n) && f.linkOK(n, src)
}

// leaseApplied runs when r's lease changed (moveLease) from old: the
// replicas the Raft leader reaches apply the new lease (the leader
// appends every command; a transfer's proposer, the old holder, stands
// for it in the model, and a transfer to a replica it does not reach is
// refused, TransferLease); the others keep the lease they applied last. A
// replica that was waiting for an acquisition it can no longer see keeps
// waiting, on a lease request of its own whose start is taken to be the
// range's (st.stuckSince: the first request that waited for the lease at
// any replica, so its breaker may trip a few seconds early).
func (f *failover) leaseApplied(r *Range, old replicaLease) {
	src := r.leader
	if src < 0 {
		src = r.Leaseholder
	}
	if r.fail == nil || r.fail.views == nil {
		all := true
		for _, n := range r.Replicas {
			if !f.hearsLog(src, n) {
				all = false
				break
			}
		}
		if all {
			return // every replica knows the new lease: no state kept
		}
	}
	st := f.state(r)
	if st.views == nil {
		st.views = make([]replicaLease, len(r.Replicas))
		for i := range st.views {
			st.views[i] = old
		}
	}
	cur := currentLease(r)
	for i, n := range r.Replicas {
		v := &st.views[i]
		if f.hearsLog(src, n) {
			v.learn(cur)
			continue
		}
		if !f.up(n) {
			continue // a crashed replica catches up when it is back (catchUpLeases)
		}
		f.note(n, "lease-missed", "r%d: %v does not apply the lease of %v (seq %d): it knows %v's (seq %d)",
			r.ID, n, cur.lh, cur.seq, v.lh, v.seq)
		if v.stuckSince != 0 {
			continue
		}
		// Its breaker watches what it has pending: requests waiting on
		// the acquisition it can no longer see (now on a lease request of
		// its own), and write proposals it made under its lease that
		// cannot commit (refreshProposalsLocked).
		var since sim.Time
		if f.m.parkedAt(r, n) {
			since = st.stuckSince
			if since == 0 {
				since = f.eng.Now()
			}
		}
		if at := f.m.oldestProposal(r, n); at != 0 && (since == 0 || at < since) {
			since = at
		}
		if since != 0 {
			f.stuck(r, i, since)
		}
	}
	f.compactViews(r)
}

// stuck records that replica i of r has had a lease request of its own
// pending since since, and arms its breaker's timer.
func (f *failover) stuck(r *Range, i int, since sim.Time) {
	v := &r.fail.views[i]
	v.stuckSince = since
	f.eng.Schedule(max(f.eng.Now(), since.Add(ReplicaCircuitBreakerThreshold)), f.id, kReplicaBreaker, rangeReplicaArg(r.ID, i))
}

// compactViews drops r's per-replica lease states once every replica
// knows the current lease, none waits on a request of its own and no
// replica's own breaker is open.
func (f *failover) compactViews(r *Range) {
	st := r.fail
	if st == nil || st.views == nil {
		return
	}
	for i := range st.views {
		if v := &st.views[i]; v.seq != r.leaseSeq || v.tripped || v.stuckSince != 0 {
			return
		}
	}
	st.views = nil
}

// catchUpLeases lets every replica of r that missed a lease change and
// now follows the Raft leader apply the current lease (the leader's next
// append or heartbeat brings the log, modelled as at once, as terms are
// in spreadTerm), and ends the own lease request of a replica that knows
// the current lease and now reaches the leader (which refuses it). The
// requests that waited there check the lease again, and an open breaker's
// probe commits one round later. Called when a fault ends and when a
// leader is elected.
func (f *failover) catchUpLeases(r *Range) {
	if r.fail == nil || r.fail.views == nil {
		return
	}
	cur := currentLease(r)
	for i, n := range r.Replicas {
		v := &r.fail.views[i]
		switch {
		case v.seq != cur.seq:
			if !f.followsLeader(r, n) {
				continue
			}
			v.learn(cur)
			f.note(n, "lease-applied", "r%d: %v catches up: the lease is %v's (seq %d)", r.ID, n, cur.lh, cur.seq)
			// What it proposed under the lease it knew is rejected when
			// it applies (lease sequence): rejected now, its writes retry.
			f.m.rejectStaleProposalsAt(r, n)
		case v.stuckSince != 0 && !f.stillStuck(r, i):
			// Its own lease request reaches the leader at last, which
			// refuses it (the lease is valid): the requests waiting on it
			// check the lease again.
			v.stuckSince = 0
			f.note(n, "lease-request-refused", "r%d: %v's lease request reaches the leader %v: the lease is %v's", r.ID, n, r.leader, cur.lh)
		default:
			continue
		}
		if v.tripped && r.leader >= 0 {
			// Its breaker's probe, a proposal stuck while it was cut
			// off, now reaches the leader and commits: a round trip to
			// the leader and a consensus round.
			d := f.c.MedianRTT(n, r.leader) + f.quorumRTT(r.leader, r.Layout.Voters)
			f.eng.After(d, f.id, kReplicaProbe, rangeReplicaArg(r.ID, i))
		}
		f.m.releaseParkedAt(r, n)
	}
	f.compactViews(r)
}

// replaced is told that replica i of r is a new one, caught up by a
// snapshot from the leader: it knows the current lease.
func (f *failover) replaced(r *Range, i int) {
	if r.fail != nil && r.fail.views != nil {
		r.fail.views[i] = currentLease(r)
		f.compactViews(r)
	}
}

// viewUnexpired reports whether lease v, which node n's replica applied,
// still looks valid to it: by n's copy of its holder's liveness record
// (or store-liveness support; gossip.go), unexpired and, for an epoch
// lease, still of the lease's epoch (kvserver LeaseStatus: a lease of an
// older epoch is expired).
func (f *failover) viewUnexpired(n topology.NodeID, v *replicaLease) bool {
	until, epoch := f.livenessSeenBy(n, v.lh)
	return until > f.eng.Now() && (f.timers.leaderLeases || epoch == v.epoch)
}

// requestOwnLease is called when a request reached replica n of r, which
// finds the lease it knows expired (it missed a lease change, or its copy
// of the holder's liveness record has expired) and reaches no leader: n
// proposes a lease request it cannot commit, and its breaker's clock
// starts with the first such request.
func (f *failover) requestOwnLease(r *Range, n topology.NodeID, v *replicaLease) {
	if v.stuckSince != 0 {
		return
	}
	i := r.replicaIndex(n)
	f.note(n, "lease-request", "r%d: %v asks for the lease; the one it knows (%v's, seq %d) has expired", r.ID, n, v.lh, v.seq)
	f.stuck(r, i, f.eng.Now())
}

// replicaBreakerFires runs ReplicaCircuitBreakerThreshold after replica i
// of r began waiting on a lease request of its own: if it still waits
// (stillStuck), its breaker trips: the requests waiting there fail with
// ReplicaUnavailableError, and so do new ones that would wait, until a
// probe succeeds.
func (f *failover) replicaBreakerFires(id RangeID, i int) {
	r := &f.m.ranges[id]
	st := r.fail
	if st == nil || st.views == nil || i >= len(st.views) {
		return
	}
	v := &st.views[i]
	if v.tripped || v.stuckSince == 0 || f.eng.Now().Sub(v.stuckSince) < ReplicaCircuitBreakerThreshold || !f.stillStuck(r, i) {
		return // caught up, or a later spell with a timer of its own
	}
	v.tripped = true
	n := r.Replicas[i]
	f.note(n, "breaker", "r%d: %v's replica circuit breaker trips after %v", r.ID, n, ReplicaCircuitBreakerThreshold)
	f.m.failParkedAt(r, n)
	f.m.failProposals(r, n)
	f.eng.After(f.m.leaseAcquireTimeout, f.id, kReplicaProbe, rangeReplicaArg(r.ID, i))
}

// replicaProbe runs while replica i of r has its own breaker open. The
// probe is a ProbeRequest through the replica, which needs no lease, only
// its proposal to commit (replica_circuit_breaker.go sendProbe): it
// succeeds once the replica hears a leader that reaches a quorum. It runs
// when the replica catches up (catchUpLeases, one proposal's time later),
// and every RangeLeaseAcquireTimeout while the breaker is open.
func (f *failover) replicaProbe(id RangeID, i int) {
	r := &f.m.ranges[id]
	st := r.fail
	if st == nil || st.views == nil || i >= len(st.views) || !st.views[i].tripped {
		return
	}
	v := &st.views[i]
	n := r.Replicas[i]
	if l := r.leader; v.seq == r.leaseSeq && l >= 0 && f.hearsLog(l, n) && f.linkOK(n, l) && f.reachesQuorum(l, r.Layout.Voters) {
		v.tripped, v.stuckSince = false, 0
		f.note(r.Replicas[i], "breaker-reset", "r%d: %v's probe succeeds", r.ID, r.Replicas[i])
		f.compactViews(r)
		return
	}
	f.eng.After(f.m.leaseAcquireTimeout, f.id, kReplicaProbe, rangeReplicaArg(r.ID, i))
}

// ownLeaseGate is leaseGate at a replica with a lease state of its own
// (replicaView): it redirects to the holder of the lease it knows while
// that lease is held elsewhere and looks valid in its copy of the
// liveness records; otherwise, with its own breaker open, it fails the
// part fast, and else asks for the lease itself (a non-voter cannot: it
// answers NotLeaseHolderError without a holder) and the part waits on
// that request.
func (m *Model) ownLeaseGate(pi partID, r *Range, v *replicaLease) {
	p := m.parts.at(pi)
	switch {
	case v.lh != p.node && m.fo.viewUnexpired(p.node, v):
		// A lease held elsewhere that looks valid: NotLeaseHolderError at
		// once, whatever its breaker (a request consults the breaker only
		// while it waits: redirectOnOrAcquireLeaseForRequest).
		if v.seq != r.leaseSeq && m.tracer != nil {
			m.traceStep(pi, "stale-lease", fmt.Sprintf("%v has not applied lease seq %d; it names %v (seq %d)", p.node, r.leaseSeq, v.lh, v.seq))
		}
		m.redirectAs(pi, v.lh, v.seq, p.kind)
	case v.tripped:
		m.failPart(pi)
	case !r.Layout.IsVoter(p.node):
		p.tried |= r.replicaBit(p.node)
		m.answerNotLeaseholder(pi)
	default:
		m.park(r, pi)
		m.fo.requestOwnLease(r, p.node, v)
	}
}

// ownLeaseWait is leaseGate at a replica that knows the current lease but
// finds it expired in its copy of the holder's liveness record: a voter
// asks for the lease itself and the part waits on that request (a
// non-voter answers NotLeaseHolderError without a holder).
func (m *Model) ownLeaseWait(pi partID, r *Range) {
	p := m.parts.at(pi)
	if m.fo.followsLeader(r, p.node) {
		// Its lease request would reach the leader and be refused, the
		// lease being valid (from 23.1 a follower that knows its leader
		// does not propose it but answers NotLeaseHolderError naming the
		// leader, maybeRejectUnsafeProposalLocked; before, the proposal
		// is forwarded and rejected). Simplified: the answer names the
		// leaseholder (usually the leader; one hop less otherwise), and
		// the leader itself, whose copy of the records shows the lease
		// expired, redirects too rather than asking (only where the
		// liveness leaseholder sits on the lease's side of a cut the
		// leader's quorum does not).
		m.redirect(pi, r.Leaseholder, p.kind)
		return
	}
	if !r.Layout.IsVoter(p.node) {
		p.tried |= r.replicaBit(p.node)
		m.answerNotLeaseholder(pi)
		return
	}
	v := m.fo.ownView(r, p.node)
	m.park(r, pi)
	m.fo.requestOwnLease(r, p.node, v)
}

// parkedAt reports whether a part waits on r at node n.
func (m *Model) parkedAt(r *Range, n topology.NodeID) bool {
	for q := r.parked; q != noPart; q = m.parts.at(q).next {
		if m.parts.at(q).node == n {
			return true
		}
	}
	return false
}

// failParkedAt fails every part waiting on r at node n: n's own breaker
// tripped.
func (m *Model) failParkedAt(r *Range, n topology.NodeID) {
	for q := r.parked; q != noPart; {
		next := m.parts.at(q).next
		if m.parts.at(q).node == n {
			m.unpark(q)
			m.parts.at(q).stage = stageAtReplica
			m.failPart(q)
		}
		q = next
	}
}

// releaseParkedAt lets the parts waiting on r at node n go on, n having
// caught up with the lease: its pending lease request is rejected, and
// each part checks the lease again there (by an arrival event at this
// instant), which serves it, redirects it or makes it wait as the lease n
// now knows says.
func (m *Model) releaseParkedAt(r *Range, n topology.NodeID) {
	for q := r.parked; q != noPart; {
		next := m.parts.at(q).next
		if m.parts.at(q).node == n {
			m.unpark(q)
			m.sendToReplicaAt(q, 0, true)
		}
		q = next
	}
}

// crashedViews forgets the own lease requests and breakers of r's
// replicas on crashed nodes: they were in the process's memory (a
// blackholed node's process keeps them).
func (f *failover) crashedViews(r *Range) {
	if r.fail == nil || r.fail.views == nil {
		return
	}
	for i, n := range r.Replicas {
		if !f.up(n) && f.hard[n] {
			r.fail.views[i].stuckSince, r.fail.views[i].tripped = 0, false
		}
	}
	f.compactViews(r)
}
