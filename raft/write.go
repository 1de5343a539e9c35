package raft

import (
	"fmt"
	"slices"

	"github.com/regionsim/regionsim/raft/quorum"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file is the write path. A write goes from the gateway to the
// leaseholder (its Raft leader), is evaluated there (lease.go, evalDone),
// and replicated: the leader appends to its own log while sending MsgApp to
// every other replica; each follower fsyncs and acknowledges; the write
// commits at a quorum of durable voter appends, the leader's own included,
// and the leaseholder replies (reference §7, §10 rules 9–12). GLOBAL writes
// carry a future timestamp and the gateway commit-waits until its clock
// passes it (reference §3.2). Inserts into REGIONAL BY ROW tables check
// uniqueness in every other partition first; transactions write several
// ranges in parallel and commit with parallel commits.

// rangeProgress is a range's replication progress (a replacement's
// snapshot is the failover state's: rangeFailover.readyAt).
type rangeProgress struct {
	// writes holds, per key, the latest committed write with a future
	// timestamp (GLOBAL ranges only), for uncertainty waits.
	writes futureWrites
}

// startWrite starts a single-row write (1PC) at the gateway.
func (m *Model) startWrite(ri reqID) {
	s := m.reqs.at(ri)
	m.startPart(ri, s.rng, m.routeLH(ri, s.rng), partWrite)
}

// startInsert starts an insert: on a REGIONAL BY ROW table with
// uniqueness checks, a check of every other partition first (partReply
// sends the write once they have all answered).
func (m *Model) startInsert(ri reqID) {
	s := m.reqs.at(ri)
	t := &m.tables[s.table]
	if t.Partitions != nil && t.UniqueChecks && countPartitions(t) > 1 {
		s.phase = phaseChecks
		for reg := range t.Partitions {
			if reg == int(s.region) || len(t.Partitions[reg]) == 0 {
				continue
			}
			rng := m.partitionRange(t, int(m.ranges[s.rng].Partition), reg, s.rng)
			m.startPart(ri, rng, m.routeLH(ri, rng), partCheck)
			if s.done {
				return // shed at once: start no more parts (startPart)
			}
		}
		return
	}
	m.startWrite(ri)
}

// startTxn writes TxnRanges consecutive ranges (of the row's partition for
// REGIONAL BY ROW tables) in parallel; with parallel commits the
// transaction is done when every write is (the slowest range decides).
func (m *Model) startTxn(ri reqID) {
	s := m.reqs.at(ri)
	t := &m.tables[s.table]
	ranges := t.Ranges
	if t.Partitions != nil {
		ranges = t.Partitions[s.region]
	}
	first := m.indexOf(ranges, s.rng)
	for k := 0; k < min(t.TxnRanges, len(ranges)); k++ {
		rng := ranges[(first+k)%len(ranges)]
		m.startPart(ri, rng, m.routeLH(ri, rng), partWrite)
		if s.done {
			return // shed at once: start no more parts (startPart)
		}
	}
}

func countPartitions(t *Table) int {
	n := 0
	for _, p := range t.Partitions {
		if len(p) > 0 {
			n++
		}
	}
	return n
}

// replicate starts the consensus round of a write (or lease transfer) the
// leaseholder p.node has evaluated: its own append, and MsgApp to every
// other replica at once, voters and non-voters.
func (m *Model) replicate(pi partID) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	m.closePart(pi)
	m.onPart(pi, CompQuorum)
	p.appending = true
	m.noteProposal(r, pi)
	reproposal := p.prop != 0 // it proposed before: it has a proposal state
	pr := m.propFor(p)
	if pr.proposedAt == 0 {
		pr.proposedAt = m.eng.Now()
	}
	if reproposal {
		// The pending appends of the part's earlier proposal that
		// arrived before now answer its node, not this one's (doAppend).
		for _, n := range r.Replicas[r.NumVoters:] {
			m.settle(n)
		}
	}
	pr.repGen, pr.repNode = p.gen, p.node
	pr.term = m.fo.proposerTerm(r, p.node)
	if m.fo != nil && r.leader < 0 {
		// No Raft leader: the proposal waits in the proposal buffer and is
		// re-proposed once one is elected (reproposeOrReject).
		p.held = true
		m.onPart(pi, CompLeaderWait)
		if m.tracer != nil {
			m.traceStep(pi, "no-leader", "the proposal waits for an election")
		}
		m.fo.proposeWithoutLeader(r, p.node)
		m.fo.armBreaker(r, pr.proposedAt)
		return
	}
	p.held = false
	if m.fo != nil && !m.fo.reachesQuorum(p.node, r.Layout.Voters) {
		m.fo.armBreaker(r, pr.proposedAt)
	}
	pr.index = m.fo.proposed(r)
	pr.rep = m.netSrc[p.node].Uint64()
	pr.ndecided = 0
	local := m.syncAppend(p.node)
	m.ackMatters(p, r, -1, m.eng.Now().Add(local))
	m.sendPart(local, kLocalAppended, pi, 0)
	app := m.msgAppBytes(pi)
	for i, n := range r.Replicas {
		if n == p.node {
			continue
		}
		m.appendAt(pi, i, n, m.pairHalf(pr.rep, pairReplica+uint64(i), p.node, n)+m.wire(MsgRaft, p.node, n, app))
	}
}

// localAppended runs when the leader's own append is durable.
func (m *Model) localAppended(pi partID) {
	if p := m.parts.at(pi); m.fo.up(p.node) {
		p.local = true
		r := &m.ranges[p.rng]
		pr := m.propOf(p)
		m.fo.appended(r, r.replicaIndex(p.node), pr.term, pr.index)
		m.voterAppended(pi, -1)
	}
	m.maybeFreePart(pi)
}

// appendDone runs when replica i has received and fsynced MsgApp: it
// acknowledges to the leader.
func (m *Model) appendDone(pi partID, i int) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	to := r.Replicas[i]
	if !m.fo.linkOK(p.node, to) || r.catchingUp(i, m.eng.Now()) {
		// Not delivered, or a replacement still receiving its snapshot.
		m.maybeFreePart(pi)
		return
	}
	pr := m.propOf(p)
	if !m.fo.acceptAppend(r, i, pr.term) {
		// An append from an old term, which the follower rejects: the
		// proposal may be stuck.
		m.fo.armBreaker(r, pr.proposedAt)
		m.maybeFreePart(pi)
		return
	}
	m.fo.appended(r, i, pr.term, pr.index)
	m.fo.heardLeader(r, i, p.node)
	d := m.pairHalf(pr.rep, pairReplica+uint64(i), p.node, to) + m.wire(MsgRaft, to, p.node, msgAppRespBytes()) // the leader (p.node) started it
	if !m.ackMatters(p, r, i, m.eng.Now().Add(d)) {
		return // counted on the wire above; nothing reads its arrival
	}
	m.sendPart(d, kAck, pi, i)
}

// maxTrackedQuorum is the largest quorum whose arrivals ackMatters tracks
// (7 voters); ranges with more voters schedule every acknowledgement.
const maxTrackedQuorum = 4

// ackMatters reports whether the durable append of replica index i of
// part p's proposal (-1: the leader's own), arriving at the leader at t,
// can change anything, and records its arrival. In a run with faults
// (m.fo set) or a trace every acknowledgement matters: links fail and
// proposals are re-sent to the replicas that have not acknowledged
// (resendUnacked), and traces show every message. Without them every
// scheduled arrival happens, so a non-voter's acknowledgement (it only
// marks the replica acknowledged) and a voter's due after a quorum of
// arrivals already scheduled (they run first, at an equal instant too,
// being scheduled earlier) change nothing: the commit, its instant and the
// acknowledgement that decided it (the critical path) are those of the
// quorum. The bytes of every acknowledgement are counted when it is sent
// (appendDone), so traffic is unchanged; only the engine's event count
// drops.
func (m *Model) ackMatters(p *partState, r *Range, i int, t sim.Time) bool {
	if m.fo != nil || m.tracer != nil {
		return true
	}
	if i >= r.NumVoters {
		return false
	}
	q := quorum.Size(r.NumVoters)
	if q > maxTrackedQuorum {
		return true
	}
	pr := m.propFor(p)
	n := int(pr.ndecided)
	if n >= q && pr.decided[q-1] <= t {
		return false
	}
	j := min(n, q-1)
	for j > 0 && pr.decided[j-1] > t {
		pr.decided[j] = pr.decided[j-1]
		j--
	}
	pr.decided[j] = t
	if n < q {
		pr.ndecided++
	}
	return true
}

// staleAppend runs when an append of part pi's proposal arrives after the
// attempt that proposed it is over (the request has its answer, or went
// elsewhere): nobody waits for it any more, but Raft still appends the
// entry — the leader sends MsgApp to every follower whatever becomes of the
// client — so the replica's log grows as the real one would, which is what
// elections compare. Only the part's latest proposal is known; a message of
// an earlier one is dropped (a later proposal's append supersedes it).
func (m *Model) staleAppend(pi partID, gen int32, i int, kind sim.Kind) {
	p := m.parts.at(pi)
	if kind == kAppendDone {
		m.staleAck(pi, i)
	}
	pr := m.propOf(p)
	if m.fo == nil || p.rng == noRange || gen != pr.repGen {
		return
	}
	r := &m.ranges[p.rng]
	if kind == kLocalAppended {
		if m.fo.up(pr.repNode) {
			m.fo.appended(r, r.replicaIndex(pr.repNode), pr.term, pr.index)
		}
		return
	}
	if i >= len(r.Replicas) || !m.fo.linkOK(pr.repNode, r.Replicas[i]) ||
		r.catchingUp(i, m.eng.Now()) || !m.fo.acceptAppend(r, i, pr.term) {
		return
	}
	m.fo.appended(r, i, pr.term, pr.index)
	m.fo.heardLeader(r, i, pr.repNode)
}

// ackReceived runs when replica i's MsgAppResp reaches the leader.
func (m *Model) ackReceived(pi partID, i int) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	bit := uint32(1) << uint(i)
	if !m.fo.linkOK(r.Replicas[i], p.node) || p.acked&bit != 0 {
		m.maybeFreePart(pi)
		return
	}
	p.acked |= bit
	if i < r.NumVoters {
		m.voterAppended(pi, i)
	}
	m.maybeFreePart(pi)
}

// voterAppended counts one durable voter append, replica index i's (-1:
// the leader's own); at quorum the write commits and the leaseholder
// replies.
func (m *Model) voterAppended(pi partID, i int) {
	p := m.parts.at(pi)
	p.acks++
	r := &m.ranges[p.rng]
	if p.commit || !quorum.Committed(r.NumVoters, int(p.acks)) {
		return
	}
	if m.fo != nil && r.leader < 0 {
		// The range lost its leader while the proposal was out: nothing
		// commits without one. It goes out again once one is elected.
		m.holdPart(pi)
		return
	}
	p.commit = true
	// The command applies (or is rejected at apply): its latches go.
	m.applied(pi)
	if p.leaseSeq != r.leaseSeq {
		// The lease changed since the command was evaluated: it is
		// rejected when it applies (CockroachDB's lease sequence check).
		m.rejectProposal(pi, "rejected at apply: proposed under an earlier lease")
		return
	}
	if m.onCommit != nil {
		m.onCommit(r, p)
	}
	if p.kind == partLease {
		m.applyTransfer(pi)
		return
	}
	if r.GlobalReads {
		r.writes.put(m.reqs.at(p.req).key, p.writeTS, m.eng.Now())
	}
	m.commitPath(pi, i)
	m.replyToGateway(pi)
}

// commitWait holds a GLOBAL write's reply at the gateway until its clock
// passes the commit timestamp (reference §3.2).
func (m *Model) commitWait(ri reqID) {
	m.stepReq(ri, CompCommitWait)
	m.send(m.reqs.at(ri).commitTS.Sub(m.eng.Now()), kCommitWaitDone, ri)
}

// resendUnacked re-sends MsgApp to the replicas of r that have not
// acknowledged a pending write, after a fault ends (Raft's reproposals and
// heartbeats catch followers up).
func (m *Model) resendUnacked(r *Range) {
	for _, pi := range m.pendingProposals(r) {
		p := m.parts.at(pi)
		if p.rng != r.ID || p.commit || p.stage != stageAtReplica || !p.appending {
			continue
		}
		if !m.fo.up(p.node) {
			continue
		}
		for j, n := range r.Replicas {
			if n == p.node || p.acked&(1<<uint(j)) != 0 {
				continue
			}
			m.appendAt(pi, j, n, m.pairHalf(m.propOf(p).rep, pairReplica+uint64(j), p.node, n)+m.wire(MsgRaft, p.node, n, m.msgAppBytes(pi)))
		}
	}
}

// rejectProposal fails the pending proposal of part pi, which can no
// longer apply (an earlier lease, or a deposed leader's old term): a write
// gets a NotLeaseHolderError and DistSender retries it at the current
// leaseholder; a lease transfer is abandoned and the requests waiting for
// it go to the current leaseholder.
func (m *Model) rejectProposal(pi partID, why string) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	if m.tracer != nil {
		m.traceStep(pi, "proposal-rejected", why)
	}
	if p.kind == partLease {
		m.partDone(pi)
		if r.transferring && p.leaseSeq == r.leaseSeq {
			// It was the transfer under way (a transfer proposed under an
			// earlier lease is not: another may be under way now).
			r.transferring = false
			m.releaseParked(r, r.Leaseholder)
		}
		return
	}
	m.redirect(pi, r.Leaseholder, p.kind)
}

// rejectStaleProposalsAt rejects the write proposals pending at node n of r
// that were proposed under an earlier lease: n has just caught up with the
// lease, and they would be rejected when they applied.
func (m *Model) rejectStaleProposalsAt(r *Range, n topology.NodeID) {
	for _, pi := range m.pendingProposals(r) {
		p := m.parts.at(pi)
		if p.rng != r.ID || p.node != n || p.stage != stageAtReplica || !p.appending || p.commit || p.leaseSeq == r.leaseSeq {
			continue
		}
		p.nextGen() // its appends and acks are void
		p.appending, p.held = false, false
		m.rejectProposal(pi, "proposed under an earlier lease")
	}
}

// proposalsOf reports whether the breaker of proposer node n of r is the
// one at (at < 0: the range's breaker, which stands for every replica that
// knows the current lease; a replica that missed a lease change has its
// own, leaseview.go).
func (m *Model) proposalsOf(r *Range, n, at topology.NodeID) bool {
	if at >= 0 {
		return n == at
	}
	return !m.fo.behind(r, n)
}

// oldestProposal returns when r's oldest write proposal still pending at
// a live replica whose breaker is at's (proposalsOf) was made, or 0 if
// there is none.
func (m *Model) oldestProposal(r *Range, at topology.NodeID) sim.Time {
	var oldest sim.Time
	for _, pi := range m.pendingProposals(r) {
		p := m.parts.at(pi)
		if p.rng != r.ID || p.stage != stageAtReplica || !p.appending || p.commit || !m.fo.up(p.node) || !m.proposalsOf(r, p.node, at) {
			continue
		}
		if at := m.propOf(p).proposedAt; oldest == 0 || at < oldest {
			oldest = at
		}
	}
	return oldest
}

// failProposals fails the write proposals pending at r's live replicas when
// its breaker trips: their requests get ReplicaUnavailableError, and a
// write's outcome is ambiguous (the proposal may still apply).
func (m *Model) failProposals(r *Range, at topology.NodeID) {
	for _, pi := range m.pendingProposals(r) {
		p := m.parts.at(pi)
		if p.rng != r.ID || p.stage != stageAtReplica || !p.appending || p.commit || !m.fo.up(p.node) || !m.proposalsOf(r, p.node, at) {
			continue
		}
		p.nextGen() // its appends and acks are void
		p.appending, p.held = false, false
		if p.req != noReq && p.kind == partWrite {
			m.reqs.at(p.req).ambiguous = true
		}
		if p.kind == partLease {
			m.rejectProposal(pi, "replica circuit breaker tripped")
			continue
		}
		m.failPart(pi)
	}
}

// holdProposals voids the in-flight appends of r's pending proposals when
// the range loses its Raft leader to a restart: proposals it had not
// committed are lost with its memory, and their proposers re-propose them
// once a leader is elected (reproposeOrReject, from becomeLeader).
func (m *Model) holdProposals(r *Range) {
	for _, pi := range m.pendingProposals(r) {
		p := m.parts.at(pi)
		if p.rng != r.ID || p.stage != stageAtReplica || !p.appending || p.commit {
			continue
		}
		m.holdPart(pi)
	}
}

// holdPart makes part pi's proposal wait for a Raft leader: its in-flight
// messages are void, and it is re-proposed once a leader is elected.
func (m *Model) holdPart(pi partID) {
	p := m.parts.at(pi)
	p.nextGen()
	m.closePart(pi)
	m.onPart(pi, CompLeaderWait)
	p.acks, p.acked, p.local, p.held = 0, 0, false, true
	if m.tracer != nil {
		m.traceStep(pi, "no-leader", "the proposal waits for an election")
	}
}

// noteProposal records that part pi has a proposal out on range r, for
// pendingProposals. Only runs with faults scan for pending proposals (and
// have a failover component); without them nothing is recorded.
func (m *Model) noteProposal(r *Range, pi partID) {
	if m.fo == nil {
		return
	}
	st := m.fo.state(r)
	st.proposals = append(st.proposals, pi)
	if len(st.proposals) > 2*st.proposalsLive+64 {
		m.compactProposals(st, r.ID)
	}
}

// pendingProposals returns, in part order, every part that may have a
// proposal pending on range r: each part whose range is r and that has
// appending set, and perhaps others (callers check their own conditions).
// It is the scan over every part that it replaces, restricted to those
// that proposed on r: the faults' and elections' handlers ask for one
// range's proposals, and a run with thousands of requests polling other
// ranges made that scan a fifth of its time. The slice is the caller's:
// what it does to the parts may record new proposals meanwhile. Only the
// failover component calls it, so noteProposal has recorded every
// proposal (a range without failover state has had none).
func (m *Model) pendingProposals(r *Range) []partID {
	var ids []partID
	if r.fail != nil {
		m.compactProposals(r.fail, r.ID)
		ids = slices.Clone(r.fail.proposals)
	}
	if m.checkIndexes {
		m.checkProposals(r, ids)
	}
	return ids
}

// compactProposals drops from st.proposals the parts that are no longer
// proposing on range rng (done, freed, reused or re-sent) and the repeats,
// and sorts it by part.
func (m *Model) compactProposals(st *rangeFailover, rng RangeID) {
	live := st.proposals[:0]
	for _, pi := range st.proposals {
		if p := m.parts.at(pi); p.rng == rng && p.appending {
			live = append(live, pi)
		}
	}
	slices.Sort(live)
	live = slices.Compact(live)
	st.proposals, st.proposalsLive = live, len(live)
}

// reproposeOrReject handles the pending proposals of range r whose
// proposer has learned of a newer Raft term (an election, or a healed
// partition), and those held while r had no leader, once it has one: the
// valid leaseholder re-proposes them at its new term (CockroachDB's
// refreshProposalsLocked); any other proposer's are rejected and their
// requests retry at the leaseholder.
func (m *Model) reproposeOrReject(r *Range) {
	for _, pi := range m.pendingProposals(r) {
		p := m.parts.at(pi)
		if p.rng != r.ID || p.stage != stageAtReplica || !p.appending || p.commit {
			continue
		}
		known, ok := m.fo.knownTerm(r, p.node)
		switch {
		case p.held && r.leader < 0:
			continue // still no leader
		case p.held:
			// A leader at last: out it goes (or is rejected).
		case ok && known <= m.propOf(p).term:
			continue
		}
		if ok && p.node == r.Leaseholder && m.fo.leaseValid(r) {
			p.nextGen() // the old proposal's messages are void
			p.acks, p.acked, p.local = 0, 0, false
			if m.tracer != nil {
				m.traceStep(pi, "repropose", fmt.Sprintf("at term %d", known))
			}
			m.replicate(pi)
			continue
		}
		m.rejectProposal(pi, "its proposer learned of a newer term")
	}
}
