package raft

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/regionsim/regionsim/raft/quorum"
	"github.com/regionsim/regionsim/topology"
)

// CheckInvariants makes the model check its safety invariants as it runs,
// for tests and fuzzing, and panic with a description at the first
// violation (an engine invariant broken is a bug, not an input error):
//
//   - a request is served only by its range's one leaseholder, while the
//     lease is valid and no outage of the range is open;
//   - a write (or lease transfer) applies only at the leaseholder of the
//     lease it was proposed under, while the range has a Raft leader,
//     backed by a quorum of durable appends from distinct voters, the
//     leader's own included;
//   - every range has exactly one leaseholder (checked by Audit);
//   - the index of pending proposals holds every part that proposes on
//     its range (pendingProposals, checked at every use against a scan of
//     every part).
//
// Requests end exactly once by construction: a request finishes once
// (finish panics otherwise) and its client reply is its only completion.
func (m *Model) CheckInvariants() {
	m.onServe = m.checkServe
	m.onCommit = m.checkApply
	m.checkIndexes = true
}

// checkProposals panics unless ids, pendingProposals's answer for r,
// holds every part that proposes on r.
func (m *Model) checkProposals(r *Range, ids []partID) {
	for i := range m.parts.len() {
		pi := partID(i)
		if p := m.parts.at(pi); p.rng == r.ID && p.appending && !slices.Contains(ids, pi) {
			panic(fmt.Sprintf("raft invariant: r%d: part %d proposes but is not in its index %v (t=%v)", r.ID, pi, ids, m.eng.Now()))
		}
	}
}

func (m *Model) checkServe(r *Range, n topology.NodeID) {
	switch {
	case n != r.Leaseholder:
		panic(fmt.Sprintf("raft invariant: r%d served at %v, leaseholder %v (t=%v)", r.ID, n, r.Leaseholder, m.eng.Now()))
	case !m.fo.leaseValid(r):
		panic(fmt.Sprintf("raft invariant: r%d served at %v without a valid lease (t=%v)", r.ID, n, m.eng.Now()))
	case r.fail != nil && r.fail.open >= 0:
		panic(fmt.Sprintf("raft invariant: r%d served at %v during its open outage from %v (t=%v)",
			r.ID, n, m.fo.outages[r.fail.open].Start, m.eng.Now()))
	}
}

func (m *Model) checkApply(r *Range, p *partState) {
	n := bits.OnesCount32(p.acked & (1<<uint(r.NumVoters) - 1))
	if p.local {
		n++
	}
	switch {
	case p.node != r.Leaseholder:
		panic(fmt.Sprintf("raft invariant: r%d: a %v applied at %v, leaseholder %v (t=%v)", r.ID, p.kind, p.node, r.Leaseholder, m.eng.Now()))
	case p.leaseSeq != r.leaseSeq:
		panic(fmt.Sprintf("raft invariant: r%d: a %v proposed under lease %d applied under lease %d (t=%v)", r.ID, p.kind, p.leaseSeq, r.leaseSeq, m.eng.Now()))
	case m.fo != nil && r.leader < 0:
		panic(fmt.Sprintf("raft invariant: r%d: a %v applied while the range had no Raft leader (t=%v)", r.ID, p.kind, m.eng.Now()))
	case !quorum.Committed(r.NumVoters, n):
		panic(fmt.Sprintf("raft invariant: r%d: a %v applied with %d durable voter appends of %d (t=%v)", r.ID, p.kind, n, r.NumVoters, m.eng.Now()))
	}
}

// Audit checks the model's bookkeeping once every request has completed:
// one lease per range held by a voter, lease counts that add up, and no
// request that has not ended (parts of ended requests may still be in
// flight). It returns the first discrepancy.
func (m *Model) Audit() error {
	total := 0
	for n := range m.leaseCount {
		total += m.leaseCount[n]
	}
	if total != len(m.ranges) {
		return fmt.Errorf("raft: %d leases for %d ranges", total, len(m.ranges))
	}
	for i := range m.ranges {
		r := &m.ranges[i]
		if !r.Layout.IsVoter(r.Leaseholder) {
			return fmt.Errorf("raft: r%d: leaseholder %v is not a voter", r.ID, r.Leaseholder)
		}
	}
	for i := range m.reqs.len() {
		if s := m.reqs.at(i); !s.freed && !s.done {
			return fmt.Errorf("raft: request %d (tag %d, started %v) has not ended", i, s.tag, s.start)
		}
	}
	return nil
}
