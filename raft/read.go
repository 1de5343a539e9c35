package raft

import (
	"fmt"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file is the read path. A consistent read goes from the gateway to
// the leaseholder its range cache names, is evaluated there (lease.go,
// evalDone: no consensus) and answered (reference §2, §7, §10 rule 5).
// Follower reads — exact and bounded staleness, and present-time reads of
// GLOBAL tables — go to the nearest replica, which serves them if its
// closed timestamp covers the read (closedts.go) or answers NotLeaseHolder
// (reference §3.3, §4, §10 rules 6–7). REGIONAL BY ROW lookups without the
// row's region use locality-optimized search (reference §7, §10 rule 8).

// startRead starts a consistent read at the gateway.
func (m *Model) startRead(ri reqID) {
	s := m.reqs.at(ri)
	t := &m.tables[s.table]
	switch {
	case t.GlobalReads:
		m.startPart(ri, s.rng, m.nearestReplica(&m.ranges[s.rng], s.gateway), partGlobalRead)
	case t.Partitions != nil && t.LOS:
		local := m.cluster.Nodes[s.gateway].Region
		if len(t.Partitions[local]) == 0 {
			m.losRemote(ri)
			return
		}
		// Locality-optimized search: probe the local partition first.
		s.phase = phaseLOSLocal
		rng := m.partitionRange(t, int(m.ranges[s.rng].Partition), local, s.rng)
		pi := m.startPart(ri, rng, m.routeLH(ri, rng), partCheck)
		if !s.done { // not shed at once (startPart)
			m.parts.at(pi).hit = int(s.region) == local
		}
	default:
		m.startPart(ri, s.rng, m.routeLH(ri, s.rng), partRead)
	}
}

// startFollowerRead starts a stale read (exact or bounded staleness) at the
// nearest replica.
func (m *Model) startFollowerRead(ri reqID, kind partKind) {
	s := m.reqs.at(ri)
	m.startPart(ri, s.rng, m.nearestReplica(&m.ranges[s.rng], s.gateway), kind)
}

// losRemote sends the second phase of a locality-optimized search: a probe
// to every remote partition at once; the one homing the row finds it.
func (m *Model) losRemote(ri reqID) {
	s := m.reqs.at(ri)
	t := &m.tables[s.table]
	local := m.cluster.Nodes[s.gateway].Region
	s.phase = phaseLOSRemote
	for reg := range t.Partitions {
		if reg == local || len(t.Partitions[reg]) == 0 {
			continue
		}
		rng := m.partitionRange(t, int(m.ranges[s.rng].Partition), reg, s.rng)
		pi := m.startPart(ri, rng, m.routeLH(ri, rng), partCheck)
		if s.done {
			return // shed at once: start no more parts (startPart)
		}
		m.parts.at(pi).hit = reg == int(s.region)
	}
}

// partitionRange returns the range of partition region reg that holds the
// same position as range rng holds in its own partition, own.
func (m *Model) partitionRange(t *Table, own, reg int, rng RangeID) RangeID {
	p := t.Partitions[reg]
	return p[m.indexOf(t.Partitions[own], rng)%len(p)]
}

// partArrive runs when a follower read reaches the replica that should
// serve it.
func (m *Model) partArrive(pi partID) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	switch p.kind {
	case partStaleRead:
		if m.closedTS(r, p.node) < p.readTS {
			// The follower cannot serve this timestamp yet: it answers
			// NotLeaseHolder and DistSender retries at the leaseholder.
			m.redirect(pi, r.Leaseholder, partRead)
			return
		}
	case partBounded:
		m.boundedArrive(pi)
		return
	case partGlobalRead:
		if m.closedTS(r, p.node) < p.readTS+sim.Time(m.cfg.MaxOffset) && p.node != r.Leaseholder {
			m.redirect(pi, r.Leaseholder, partGlobalRead)
			return
		}
		// A write to the key inside the read's uncertainty window
		// (read_ts, read_ts + max_offset] makes the reader wait until its
		// clock passes the write (reference §3.3, §10 rule 6).
		if w := r.writes.get(m.reqs.at(p.req).key); w > p.readTS && w <= p.readTS+sim.Time(m.cfg.MaxOffset) && w > m.eng.Now() {
			m.onPart(pi, CompUncertainty)
			m.evaluate(pi, w.Sub(m.eng.Now()), m.service(p.node))
			return
		}
	}
	m.evaluate(pi, 0, m.service(p.node))
}

// boundedArrive negotiates a bounded-staleness read's timestamp at the
// replica it reached, as CockroachDB's server-side negotiation fast path
// does for a single-range read (kvserver/store_send.go
// executeServerSideBoundedStalenessNegotiation): the replica's resolved
// timestamp — its closed timestamp; the model has no intents, which would
// hold it back (batcheval QueryResolvedTimestamp) — is the read's timestamp
// if it is at or above the minimum timestamp bound (p.readTS on arrival),
// and the replica serves it without a lease, as a follower read.
//
// Otherwise a strict read (nearest_only) fails with
// MinTimestampBoundUnsatisfiableError, which reaches the client
// (pkg/sql/conn_executor.go makeErrEvent retries it only when a schema
// change raised the bound; the model has no schema changes). A non-strict
// one reads at the bound itself: on a follower whose closed timestamp is
// below it that means NotLeaseHolderError (replica_follower_read.go
// canServeFollowerReadRLocked) and DistSender's retry at the leaseholder
// with the same header; on the leaseholder, a consistent read at the bound
// under its lease. DistSender keeps the bound
// across retries: while no replica it can reach can serve it (a follower
// cut off from closed-timestamp updates, the leaseholder unreachable) the
// read waits, retrying, until one can or the client gives up.
func (m *Model) boundedArrive(pi partID) {
	p := m.parts.at(pi)
	r := &m.ranges[p.rng]
	closed := m.closedTS(r, p.node)
	switch {
	case closed >= p.readTS:
		p.readTS = closed
		m.evaluate(pi, 0, p.svc)
	case m.reqs.at(p.req).nearestOnly:
		if m.tracer != nil {
			m.traceStep(pi, "min-timestamp-bound-unsatisfiable", fmt.Sprintf("closed %v < bound %v", closed, p.readTS))
		}
		p.failed = true
		m.replyToGateway(pi)
	case p.node == r.Leaseholder:
		// A read at the bound, above the closed timestamp: the lease decides
		// (evalDone's checks).
		p.kind = partRead
		m.evaluate(pi, 0, p.svc)
	default:
		m.redirect(pi, r.Leaseholder, partBounded)
	}
}

// nearestReplica returns the replica of r closest to node by median RTT
// (ties: lower node id), as DistSender orders replicas by latency.
func (m *Model) nearestReplica(r *Range, node topology.NodeID) topology.NodeID {
	best := r.Replicas[0]
	bestRTT := m.cluster.MedianRTT(node, best)
	for _, n := range r.Replicas[1:] {
		if d := m.cluster.MedianRTT(node, n); d < bestRTT || (d == bestRTT && n < best) {
			best, bestRTT = n, d
		}
	}
	return best
}
