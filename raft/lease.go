package raft

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file holds leases as the request path sees them: the lease check a
// replica makes before it evaluates a request (and again after), lease
// transfers (a Raft command, reference §10 rule 18), the requests that
// wait while a lease moves, the gateways' range caches, and the lease log.
// Acquiring a lost lease after a failure is the failover component's
// (failover.go).

// rangeLease is a range's lease state.
type rangeLease struct {
	Leaseholder topology.NodeID
	// leaseSeq counts the lease's changes of holder (CockroachDB's lease
	// sequence): a command proposed under an older lease is rejected when
	// it applies.
	leaseSeq uint32
	// leaseEpoch is the holder's liveness epoch the (epoch) lease carries.
	leaseEpoch uint32
	// leaseStart is when Leaseholder may start serving: a transfer's target
	// serves once it has applied the transfer command.
	leaseStart sim.Time
	// transferring is set while a lease transfer is being replicated;
	// requests reaching the old leaseholder wait in parked and are
	// redirected when it commits.
	transferring bool
	transferTo   topology.NodeID
	// parked heads the list (through partState.next) of the parts waiting
	// at the range for a lease transfer or acquisition.
	parked    partID
	initialLH topology.NodeID
	// moved holds what a range needs once its lease has moved or is being
	// moved: nil for most ranges of a big table for the whole run, which
	// keeps a Range small (issue #16: 100,000 ranges per table).
	moved *leaseMoves
}

// leaseMoves is the lease state of a range whose lease has moved, or whose
// gateways learnt of a lease other than the initial one.
type leaseMoves struct {
	// cache[g] is the lease gateway g believes in (DistSender's range
	// cache): a NotLeaseHolderError naming the holder, or a successful
	// answer from a holder of a newer lease, corrects it (gateway.go
	// learnLease). It is nil while every gateway believes in the initial
	// lease, held by initialLH with sequence 0 (cachedLease).
	cache []cachedLease
	// transferReason is the reason of the transfer under way
	// (transferring).
	transferReason string
}

// moves returns l's lease-move state, creating it at first use.
func (l *rangeLease) moves() *leaseMoves {
	if l.moved == nil {
		l.moved = &leaseMoves{}
	}
	return l.moved
}

// cachedLease is a gateway's range cache entry: the lease of sequence seq
// is held by lh.
type cachedLease struct {
	lh  topology.NodeID
	seq uint32
}

// initLease gives the range its initial leaseholder lh, known to every
// gateway.
func (l *rangeLease) initLease(lh topology.NodeID) {
	l.Leaseholder = lh
	l.initialLH = lh
	l.parked = noPart
}

// cachedLease returns the lease gateway g believes the range has.
func (l *rangeLease) cachedLease(g topology.NodeID) cachedLease {
	if l.moved == nil || l.moved.cache == nil {
		return cachedLease{lh: l.initialLH}
	}
	return l.moved.cache[g]
}

// setCachedLease makes gateway g believe that the lease of sequence seq is
// held by lh; nodes is the cluster's node count. The cache is allocated
// at its first change.
func (l *rangeLease) setCachedLease(g, lh topology.NodeID, seq uint32, nodes int) {
	if l.moved == nil || l.moved.cache == nil {
		if lh == l.initialLH && seq == 0 {
			return
		}
		mv := l.moves()
		mv.cache = make([]cachedLease, nodes)
		for i := range mv.cache {
			mv.cache[i].lh = l.initialLH
		}
	}
	l.moved.cache[g] = cachedLease{lh: lh, seq: seq}
}

// LeaseEvent is one entry of the lease log: the lease of range Range moved
// from From to To (From is -1 for the initial lease) at At, for Reason.
type LeaseEvent struct {
	At     sim.Time
	Range  RangeID
	From   topology.NodeID
	To     topology.NodeID
	Reason string
}

// Leases returns the lease log, oldest first.
func (m *Model) Leases() []LeaseEvent { return m.leases }

// LeaseCount returns how many leases node n holds.
func (m *Model) LeaseCount(n topology.NodeID) int { return m.leaseCount[n] }

// leaseGate is the lease check a replica makes before it evaluates a part
// that needs the leaseholder (reads, writes, checks): CockroachDB's
// Replica.executeReadOnlyBatch / executeWriteBatch check the lease
// (redirectOnOrAcquireLease, checkExecutionCanProceed) after sequencing
// and before evaluation, so a request that is not served here costs no
// evaluation. The one valid leaseholder passes it; elsewhere the part is
// redirected (NotLeaseHolderError), during a transfer it waits, where the
// lease has lapsed it waits for the failover component to acquire it, and
// behind an open replica circuit breaker it fails fast. A part that
// reaches the transfer's target before the target has applied the lease
// waits for it and then evaluates, for svc (drawn afresh when 0). It
// reports whether the part passed; if not, it has been dealt with.
func (m *Model) leaseGate(pi partID, svc time.Duration) bool {
	p := m.parts.at(pi)
	if !p.kind.servedByLeaseholder() {
		return true
	}
	r := &m.ranges[p.rng]
	if r.fail != nil {
		if v := m.fo.replicaView(r, p.node); v != nil {
			// The replica missed a lease change, or its own breaker is
			// open: it judges by what it knows (leaseview.go).
			m.ownLeaseGate(pi, r, v)
			return false
		}
	}
	switch {
	case p.node == r.Leaseholder && r.transferring:
		// The lease is being handed over: wait for the transfer to
		// commit, then be redirected to the new leaseholder.
		m.park(r, pi)
		return false
	case p.node != r.Leaseholder:
		if !m.fo.leaseUnexpired(r) {
			// The old lease has expired: this replica asks for it.
			m.needLease(pi)
			return false
		}
		if !m.fo.leaseUnexpiredAt(r, p.node) {
			// It has expired in this replica's copy of the holder's
			// liveness record only (gossip does not reach it): it asks
			// for the lease itself, a request that cannot succeed while
			// the lease is valid (leaseview.go).
			m.ownLeaseWait(pi, r)
			return false
		}
		// While the lease looks valid (its holder's liveness has not
		// expired, whether or not the holder is up), a replica answers
		// NotLeaseHolderError naming it: back to the gateway, which
		// updates its range cache and goes on (DistSender polls).
		m.redirect(pi, r.Leaseholder, p.kind)
		return false
	case !m.fo.leaseValid(r):
		m.needLease(pi)
		return false
	case m.fo.breakerTripped(r):
		// The replica's breaker is open: fail fast
		// (ReplicaUnavailableError) until its probe succeeds.
		m.failPart(pi)
		return false
	case m.eng.Now() < r.leaseStart:
		// The transfer's target has not applied it yet.
		if svc <= 0 {
			svc = m.service(p.node)
		}
		m.onPart(pi, CompLeaseWait)
		m.evaluate(pi, r.leaseStart.Sub(m.eng.Now()), svc)
		return false
	}
	return true
}

// evalDone runs when the replica p.node has evaluated part pi. It passed
// the lease check before it evaluated (leaseGate); the check is made again,
// as the lease may have moved while it queued for a CPU and evaluated
// (the later evaluation then draws a new service time). A read is then
// answered, a write replicated.
func (m *Model) evalDone(pi partID) {
	p := m.parts.at(pi)
	if p.kind.servedByLeaseholder() {
		r := &m.ranges[p.rng]
		if !m.leaseGate(pi, 0) {
			return
		}
		if p.unlatched {
			// A keyed part that evaluated here before this replica held
			// the lease, without its row's latch: it sequences now (and
			// evaluates again once the latch is its), so that no write
			// is served around the latch.
			p.unlatched = false
			m.latchArrive(pi)
			return
		}
		if m.onServe != nil {
			m.onServe(r, p.node)
		}
		m.fo.served(r)
		// The leaseholder records the request's gateway locality
		// (replicastats RecordCount, reference §5.2).
		m.statsOf(r).RecordCount(m.cluster.Nodes[m.reqs.at(p.req).gateway].Zone, 1, m.eng.Now())
		p.leaseSeq = r.leaseSeq
	}
	if p.kind == partWrite || p.kind == partLease {
		m.replicate(pi)
		return
	}
	m.replyToGateway(pi)
}

// needLease handles a leaseholder-only part that found no valid lease at
// replica p.node: a voter parks it and asks the failover component for the
// lease (acquired lazily, by the first request that needs it); a non-voter
// answers NotLeaseHolder without a hint and the gateway tries another
// replica.
func (m *Model) needLease(pi partID) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	if !r.Layout.IsVoter(p.node) {
		p.tried |= r.replicaBit(p.node)
		m.answerNotLeaseholder(pi)
		return
	}
	if m.fo.breakerTripped(r) {
		m.failPart(pi)
		return
	}
	m.park(r, pi)
	m.fo.requestLease(r, p.node)
}

// failPart answers part pi with ReplicaUnavailableError from its replica's
// tripped circuit breaker: the request fails.
func (m *Model) failPart(pi partID) {
	p := m.parts.at(pi)
	if m.tracer != nil {
		m.traceStep(pi, "breaker", "ReplicaUnavailableError")
	}
	p.failed = true
	m.dropLatch(pi)
	m.replyToGateway(pi)
}

// TransferLease starts moving range rng's lease to target, a voter, for
// reason. The leaseholder proposes the transfer as a Raft command: it costs
// one consensus round, during which requests reaching the old leaseholder
// wait; once it commits they are redirected, and the target serves from when
// it has applied the command (one hop later). It reports false, doing
// nothing, if a transfer is under way, target is not a voter or already
// the leaseholder, or the range has no Raft leader.
//
// The last refusal is CockroachDB's: AdminTransferLease starts a transfer
// only if the leaseholder can show that the target does not need a Raft
// snapshot (raftutil.ReplicaMayNeedSnapshot), which only the Raft leader
// can (LocalReplicaNotLeader otherwise; the lease queue's
// excludeReplicasInNeedOfSnapshots drops every target for the same
// reason), so a range without a leader keeps its lease and serves under
// it until one is elected. The model lets the leaseholder stand for the
// leader whenever the range has one (CockroachDB moves leadership to the
// leaseholder within a tick), so it refuses a leaderless range, and a
// target the leader cannot exchange messages with: the leader's progress
// for it is in StateProbe (the transport reported it unreachable), which
// ReplicaMayNeedSnapshot counts as needing one. Such a target could not
// apply the transfer either (leaseview.go).
func (m *Model) TransferLease(rng RangeID, target topology.NodeID, reason string) bool {
	r := &m.ranges[rng]
	if r.transferring || target == r.Leaseholder || !r.Layout.IsVoter(target) {
		return false
	}
	if m.fo != nil && (r.leader < 0 || !(m.fo.linkOK(r.leader, target) && m.fo.linkOK(target, r.leader))) {
		if m.tracer != nil {
			why := "no Raft leader"
			if r.leader >= 0 {
				why = fmt.Sprintf("the leader %v does not reach it", r.leader)
			}
			m.traceNote(r.Leaseholder, "transfer-refused", fmt.Sprintf("r%d: to %v (%s): %s, the target may need a snapshot", r.ID, target, reason, why))
		}
		return false
	}
	r.transferring, r.transferTo, r.moves().transferReason = true, target, reason
	pi := m.newPart()
	p := m.parts.at(pi)
	p.rng, p.node, p.from, p.kind, p.stage = rng, r.Leaseholder, r.Leaseholder, partLease, stageAtReplica
	p.leaseSeq = r.leaseSeq
	m.evaluate(pi, 0, m.service(r.Leaseholder))
	return true
}

// applyTransfer runs when a lease transfer commits at the old leaseholder.
func (m *Model) applyTransfer(pi partID) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	from, to := r.Leaseholder, r.transferTo
	r.transferring = false
	m.moveLease(r, to, r.moved.transferReason)
	r.leaseStart = m.eng.Now().Add(m.oneWay(from, to))
	m.partDone(pi)
	m.fo.leaseTransferred(r)
	// Requests that waited at the old leaseholder are told where the lease
	// went.
	m.releaseParked(r, to)
}

// moveLease gives range r's lease to node to, for reason: the lease log,
// the stores' lease counts, and the range's request statistics, which
// restart with the new lease (so it cannot move again for
// MinLeaseTransferStatsDuration, reference §5.2).
func (m *Model) moveLease(r *Range, to topology.NodeID, reason string) {
	from := r.Leaseholder
	old := replicaLease{lh: from, seq: r.leaseSeq, epoch: r.leaseEpoch}
	r.Leaseholder = to
	r.leaseSeq++
	r.leaseEpoch = m.fo.epochOf(to)
	m.statsOf(r).Reset(m.eng.Now())
	m.leaseCount[from]--
	m.leaseCount[to]++
	m.leases = append(m.leases, LeaseEvent{At: m.eng.Now(), Range: r.ID, From: from, To: to, Reason: reason})
	if m.tracer != nil {
		m.traceNote(to, "lease", fmt.Sprintf("r%d: %v -> %v (%s)", r.ID, from, to, reason))
	}
	if m.fo != nil {
		// The replicas that do not hear the leader keep the old lease.
		m.fo.leaseApplied(r, old)
	}
}

// park makes part pi wait on range r (for a lease transfer or acquisition).
func (m *Model) park(r *Range, pi partID) {
	m.dropLatch(pi)
	p := m.parts.at(pi)
	if p.parkedOn != noRange {
		panic(fmt.Sprintf("raft: part %d parked twice", pi))
	}
	if m.tracer != nil {
		m.traceStep(pi, "wait", "for the lease")
	}
	p.stage = stageParked
	m.closePart(pi)
	m.onPart(pi, CompLeaseWait)
	p.inFlight++
	p.parkedOn, p.prev, p.next = r.ID, noPart, r.parked
	if r.parked != noPart {
		m.parts.at(r.parked).prev = pi
	}
	r.parked = pi
	// The request's context times out after RangeLeaseAcquireTimeout
	// (replica_range_lease.go, redirectOnOrAcquireLeaseForRequest).
	p.nextGen()
	m.sendPart(m.leaseAcquireTimeout, kLeaseWaitOver, pi, 0)
}

// leaseWaitOver runs when part pi has waited RangeLeaseAcquireTimeout for
// its range's lease at replica p.node: the replica answers
// NotLeaseHolderError naming no holder ("lease acquisition canceled
// because context canceled"), and the gateway tries the next replica. The
// acquisition itself goes on (a simplification: CockroachDB cancels it when
// its last waiter leaves, and the next request starts another).
func (m *Model) leaseWaitOver(pi partID) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	if m.tracer != nil {
		m.traceStep(pi, "lease-wait-over", fmt.Sprintf("after %v: NotLeaseHolder, no holder", m.leaseAcquireTimeout))
	}
	m.unpark(pi)
	p.stage = stageAtReplica
	p.tried |= r.replicaBit(p.node)
	m.answerNotLeaseholder(pi)
}

// answerNotLeaseholder sends part pi's NotLeaseHolderError naming no
// holder back to its gateway, which tries the next replica; if the reply
// cannot reach the gateway (a cut link), the gateway's RPC fails instead.
func (m *Model) answerNotLeaseholder(pi partID) {
	p := m.parts.at(pi)
	gw := m.reqs.at(p.req).gateway
	if !m.fo.linkOK(p.node, gw) {
		m.dropped(pi)
		return
	}
	m.toGateway(pi, stageRetry, m.hopBack(pi, p.node, gw, wireBytes(notLeaseholderBytes)), kRetry, CompRedirect)
}

// unpark removes part pi from its range's wait list; its wait timer, if
// still pending, becomes stale.
func (m *Model) unpark(pi partID) {
	p := m.parts.at(pi)
	m.closePart(pi)
	r := &m.ranges[p.parkedOn]
	if p.prev != noPart {
		m.parts.at(p.prev).next = p.next
	} else {
		r.parked = p.next
	}
	if p.next != noPart {
		m.parts.at(p.next).prev = p.prev
	}
	p.parkedOn, p.prev, p.next = noRange, noPart, noPart
	p.inFlight--
	p.nextGen()
}

// failParked fails every part waiting on r at a live replica (its circuit
// breaker tripped).
func (m *Model) failParked(r *Range) {
	for q := r.parked; q != noPart; {
		next := m.parts.at(q).next
		if n := m.parts.at(q).node; m.fo.up(n) && !m.fo.ownWaitAt(r, n) {
			m.unpark(q)
			m.parts.at(q).stage = stageAtReplica
			m.failPart(q)
		}
		q = next
	}
}

// bounceParked answers every part waiting on r with a NotLeaseHolderError
// naming no holder: the lease request they waited on failed, and their
// gateways retry.
func (m *Model) bounceParked(r *Range) {
	for q := r.parked; q != noPart; {
		next := m.parts.at(q).next
		if p := m.parts.at(q); !m.fo.ownWaitAt(r, p.node) {
			m.unpark(q)
			p.stage = stageAtReplica
			p.tried |= r.replicaBit(p.node)
			m.answerNotLeaseholder(q)
		}
		q = next
	}
}

// releaseParked lets every part waiting on r go on: one waiting at the
// leaseholder lh itself checks the lease again and evaluates there (its
// wait in redirectOnOrAcquireLeaseForRequest is over), by an arrival event
// at this instant — the check may park it on r again, and it must then
// wait for the next release, not loop here; the others are redirected to
// lh.
func (m *Model) releaseParked(r *Range, lh topology.NodeID) {
	for q := r.parked; q != noPart; {
		next := m.parts.at(q).next
		switch n := m.parts.at(q).node; {
		case m.fo.ownWaitAt(r, n):
			// A replica that missed the lease change, or found it expired
			// in its own copy of the holder's liveness record, keeps
			// waiting on its own lease request (leaseview.go).
		case n == lh:
			m.unpark(q)
			if m.tracer != nil {
				m.traceStep(q, "lease-ready", "evaluates at the new leaseholder")
			}
			m.sendToReplicaAt(q, 0, true)
		default:
			m.unpark(q)
			m.redirect(q, lh, m.parts.at(q).kind)
		}
		q = next
	}
}
