package raft

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file is the gateway: a client request arrives at its SQL gateway,
// which splits it into parts (one RPC per range) and routes each part as
// CockroachDB's DistSender does — to the leaseholder its range cache names,
// or the nearest replica for follower reads — retrying on errors with
// backoff until the request's deadline. The ops themselves are in read.go
// and write.go.

// Submit sends a request from a client next to req.Gateway at the current
// simulated time; the sink hears of it once, with tag, when the client sees
// the reply.
func (m *Model) Submit(req Request, tag int64) { m.SubmitAt(req, tag, m.eng.Now()) }

// CanSubmitAhead reports whether a request that starts at instant at may
// be submitted now, with SubmitAt: whether nothing Submit reads or
// records can differ between now and at. That holds when no fault starts
// or ends in [now, at] (nothing changes which nodes are up, so the
// gateway the client picks is up at at if it is now, and no failover
// component fails the request at its gateway's crash before it starts),
// without a tracer, when no traffic mark falls in [now, at) (Submit counts
// the client's statement bytes). The answer assumes no fault, tracer or
// traffic marks are added before at (a run sets them up before it
// starts). A caller must still not submit ahead a request whose gateway
// is down now: it has no start at its gateway (the workload generator
// submits ahead only while all its gateways are up).
//
// One thing does differ: the request's gateway arrival and deadline are
// queued when it is submitted, so an event due at the same nanosecond
// and queued between the submission and the start runs after them, where
// it would have run before (docs/decisions.md, "Requests submitted
// ahead").
func (m *Model) CanSubmitAhead(at sim.Time) bool {
	now := m.eng.Now()
	return m.tracer == nil && at >= now && !m.markBefore(at) && !m.fo.changesIn(now, at)
}

// SubmitAt is Submit for a request that starts at instant at, with
// CanSubmitAhead(at): its state exists from now, but its start, its
// critical path, its deadline and its arrival at the gateway are those of
// a request submitted at at. A workload generator submits the requests of
// a short window at once this way, saving an event per request
// (docs/decisions.md, "Requests submitted ahead"). It panics if at is
// before now.
func (m *Model) SubmitAt(req Request, tag int64, at sim.Time) {
	if at < m.eng.Now() {
		panic(fmt.Sprintf("raft: request submitted at %v, before now (%v)", at, m.eng.Now()))
	}
	t := &m.tables[req.Table]
	ri := m.newReq()
	s := m.reqs.at(ri)
	*s = reqState{
		tag: tag, start: at, op: req.Op, table: req.Table,
		gateway: req.Gateway, region: -1, ok: true, parts: noPart,
		maxStale: -1, client: -1,
		path: reqPath{mark: at, cur: CompClient, served: -1, ackRegion: -1},
	}
	if req.ClientSet {
		s.client = req.Client
	}
	if req.Op == OpBoundedRead && req.Bounded {
		s.maxStale, s.nearestOnly = max(req.MaxStaleness, 0), req.NearestOnly
	}
	ranges := t.Ranges
	if t.Partitions != nil {
		region := req.Region
		if req.Op == OpInsert || region < 0 || region >= len(t.Partitions) || len(t.Partitions[region]) == 0 {
			region = homeRegion(t, m.cluster.Nodes[req.Gateway].Region)
		}
		s.region = int16(region)
		ranges = t.Partitions[region]
	}
	if req.Keyed {
		k := max(req.Key, 0)
		s.rng, s.key, s.keyed = ranges[k%len(ranges)], int32(min(k/len(ranges), math.MaxInt32)), true
		if req.Op == OpTxn {
			if m.lockSeq++; m.lockSeq == 0 {
				m.lockSeq++
			}
			s.lockID = m.lockSeq
		}
	} else {
		s.rng = ranges[mod(req.Range, len(ranges))]
		s.key = int32(mod(req.Key, m.ranges[s.rng].keys))
	}
	if m.cfg.ClientTimeout > 0 {
		// The client gives up after its statement timeout; without one it
		// waits as long as DistSender retries.
		s.inFlight++
		s.deadline = m.eng.StartTimer(at.Add(m.cfg.ClientTimeout), m.id, kDeadline, int64(ri))
	}
	key := req.HopSeed
	if !req.HopSeeded {
		key = m.clientRand[s.gateway].Uint64()
	}
	s.clientHalf = m.clientHalfOf(key, s.client, s.gateway)
	s.value = int32(max(0, min(req.ValueBytes, maxValueBytes)))
	m.countClient(ri, false)
	m.reqs.at(ri).inFlight++
	m.eng.Schedule(at.Add(s.clientHalf), m.id, kGatewayArrive, int64(ri))
}

// homeRegion returns region if the RBR table has a partition there, else
// the first region that has one (the database's primary comes first in
// practice).
func homeRegion(t *Table, region int) int {
	if len(t.Partitions[region]) > 0 {
		return region
	}
	for r := range t.Partitions {
		if len(t.Partitions[r]) > 0 {
			return r
		}
	}
	panic("raft: REGIONAL BY ROW table without partitions")
}

// atGateway starts a request at its gateway: DistSender picks the replicas
// to send parts to.
func (m *Model) atGateway(ri reqID) {
	m.reqs.at(ri).stmt = m.eng.Now()
	switch op := m.reqs.at(ri).op; op {
	case OpRead:
		m.startRead(ri)
	case OpStaleRead:
		m.startFollowerRead(ri, partStaleRead)
	case OpBoundedRead:
		m.startFollowerRead(ri, partBounded)
	case OpWrite:
		m.startWrite(ri)
	case OpInsert:
		m.startInsert(ri)
	case OpTxn:
		m.startTxn(ri)
	default:
		panic(fmt.Sprintf("raft: unknown op %v", op))
	}
}

// routeLH returns the leaseholder request ri's gateway believes range rng
// has.
func (m *Model) routeLH(ri reqID, rng RangeID) topology.NodeID {
	return m.ranges[rng].cachedLease(m.reqs.at(ri).gateway).lh
}

// learnLease records in gateway gw's range cache that r's lease of
// sequence seq is held by lh, unless the cache holds a newer lease
// (DistSender's range cache keeps the newer of the two: EvictionToken
// UpdateLease, EvictAndReplace).
func (m *Model) learnLease(r *Range, gw, lh topology.NodeID, seq uint32) {
	if seq >= r.cachedLease(gw).seq {
		r.setCachedLease(gw, lh, seq, len(m.cluster.Nodes))
	}
}

// startPart sends one part of request ri from the gateway to node and
// returns it. A part served at the gateway itself reaches its CPU queue at
// once and may be shed there (admitEval, failQueued), which fails and
// frees the request: a caller starting several parts checks the request's
// done before starting the next (its slot may be reused).
func (m *Model) startPart(ri reqID, rng RangeID, node topology.NodeID, kind partKind) partID {
	s := m.reqs.at(ri)
	if s.freed {
		panic(fmt.Sprintf("raft: a part started for request %d, which is free", ri))
	}
	pi := m.newPart()
	p := m.parts.at(pi)
	p.req, p.rng, p.node, p.from, p.kind, p.readTS = ri, rng, node, s.gateway, kind, m.eng.Now()
	p.path.mark = m.eng.Now()
	p.routeSeq = m.ranges[rng].cachedLease(s.gateway).seq
	switch kind {
	case partStaleRead:
		p.readTS = m.eng.Now() - sim.Time(m.stale)
	case partBounded:
		// with_max_staleness(d) is with_min_timestamp(statement time − d)
		// (RFC 20210519_bounded_staleness_reads.md); without a bound any
		// timestamp will do.
		p.readTS = sim.Time(math.MinInt64)
		if s.maxStale >= 0 {
			p.readTS = s.stmt - sim.Time(s.maxStale)
		}
	}
	if kind == partWrite {
		s.sentWrite = true
	}
	// Link it first in its request's list of parts.
	p.sibPrev, p.sibNext = noPart, s.parts
	if s.parts != noPart {
		m.parts.at(s.parts).sibPrev = pi
	}
	s.parts = pi
	s.pending++
	if !m.healthy(s.gateway, node) {
		// Its connection to node is unhealthy: the transport tries the
		// replicas on healthy connections first (splitHealthy).
		m.retryPart(pi)
		return pi
	}
	m.sendToReplica(pi, m.hopOut(pi, s.gateway, node))
	return pi
}

// sendToReplica delivers part pi to its node after delay d. Follower reads
// decide on arrival (closed timestamp, uncertainty), so they get an arrival
// event; leaseholder reads, checks and writes go to evaluation (evaluate:
// on arrival the replica checks the lease, then the part queues for a CPU
// and evaluates; a keyed part first sequences on its latch). A GLOBAL
// write's timestamp is its arrival time plus the lead: writes to GLOBAL
// ranges are placed above the range's closed timestamp (reference §3.2).
func (m *Model) sendToReplica(pi partID, d time.Duration) {
	m.sendToReplicaAt(pi, d, false)
}

// sendToReplicaAt is sendToReplica; with arrive, a leaseholder request
// reaches its replica by an arrival event even at d = 0, so that its lease
// check (leaseGate) runs after the current event, not inside it: a part
// released from a range's wait list (releaseParked) may park on it again.
func (m *Model) sendToReplicaAt(pi partID, d time.Duration, arrive bool) {
	m.dropLatch(pi)
	p := m.parts.at(pi)
	p.nextGen() // a new attempt: events of earlier ones are stale
	p.stage = stageAtReplica
	p.acks, p.acked, p.commit, p.appending, p.local, p.held = 0, 0, false, false, false, false
	if p.prop != 0 {
		m.props.at(p.prop - 1).proposedAt = 0
	}
	p.path.acked = false
	m.onPart(pi, CompGateway)
	switch p.kind {
	case partStaleRead, partGlobalRead:
		m.sendPart(d, kPartArrive, pi, 0)
		return
	case partBounded:
		// It negotiates its timestamp on arrival (read.go); its evaluation
		// time is drawn now, as a leaseholder request's is.
		p.svc = m.service(p.node)
		m.sendPart(d, kPartArrive, pi, 0)
		return
	case partWrite:
		if m.ranges[p.rng].GlobalReads {
			p.writeTS = m.eng.Now().Add(d + m.lead)
		}
	}
	svc := m.service(p.node)
	if m.latched(pi) {
		// Keyed: it sequences on its key's latch on arrival (latch.go)
		// and evaluates once it may (the path's evaluation starts there).
		p.svc = svc
		m.sendPart(d, kLatchArrive, pi, 0)
		return
	}
	if arrive {
		p.qsvc = svc
		m.sendPart(d, kEvalArrive, pi, 0)
		return
	}
	m.evaluate(pi, d, svc)
}

// redirect bounces a part back to the gateway and on to the leaseholder,
// as DistSender does after a NotLeaseHolderError.
func (m *Model) redirect(pi partID, lh topology.NodeID, kind partKind) {
	m.redirectAs(pi, lh, m.ranges[m.parts.at(pi).rng].leaseSeq, kind)
}

// redirectAs is redirect by a replica that names the lease of sequence
// seq, held by lh: a replica that missed a later lease change names the
// lease it knows (leaseview.go).
func (m *Model) redirectAs(pi partID, lh topology.NodeID, seq uint32, kind partKind) {
	p := m.parts.at(pi)
	gw := m.reqs.at(p.req).gateway
	if m.tracer != nil {
		m.traceStep(pi, "not-leaseholder", fmt.Sprintf("back to gateway %v, on to %v", gw, lh))
	}
	m.wasteAttempt(pi, CompRedirect)
	if !m.fo.linkOK(p.node, gw) {
		m.dropped(pi) // the answer cannot reach the gateway
		return
	}
	back := m.hopBack(pi, p.node, gw, wireBytes(notLeaseholderBytes))
	r := &m.ranges[p.rng]
	m.learnLease(r, gw, lh, seq)
	p.kind = kind
	if m.fo != nil {
		// DistSender moves the named leaseholder to the front and tries it
		// next — even if it tried it in this round, when the error names
		// a newer lease than the part was routed by (the lease moved
		// there since) — unless it tried it under that lease already or
		// knows it unreachable: then the next replica
		// (kvcoord/dist_sender.go sendToReplicas, transport.MoveToFront).
		newer := seq > p.routeSeq
		p.routeSeq = max(p.routeSeq, seq)
		p.tried |= r.replicaBit(p.node)
		if p.tried&r.replicaBit(lh) != 0 && !newer {
			m.toGateway(pi, stageRetry, back, kRetry, CompRedirect)
			return
		}
		p.tried |= r.replicaBit(lh)
		switch m.peerUse(gw, lh) {
		case useFailFast:
			// Its breaker is tripped: the dial fails at once, and
			// DistSender goes on to the next replica.
			m.failFast(pi, lh)
			m.toGateway(pi, stageRetry, back, kRetry, CompRedirect)
			return
		case useDial:
			m.dialFor(gw, lh)
		}
	}
	p.node = lh
	p.from = gw
	out := m.hopOut(pi, gw, lh)
	m.headPart(pi, CompRedirect, back)
	m.sendToReplica(pi, back+out)
}

// replyToGateway sends part pi's reply from its replica to the gateway,
// or, when nothing can happen to it on its way (replyAhead), handles its
// arrival at once.
func (m *Model) replyToGateway(pi partID) {
	p := m.parts.at(pi)
	m.closePart(pi)
	m.serveAttempt(pi)
	d := m.hopBack(pi, p.node, m.reqs.at(p.req).gateway, m.batchResponseBytes(pi))
	if at := m.eng.Now().Add(d); m.replyAhead(pi, at) {
		m.closePartAt(pi, at)
		m.partReplyAt(pi, at)
		return
	}
	m.sendPart(d, kPartReply, pi, 0)
}

// replyAhead reports whether part pi's reply, due at its gateway at
// instant at, may be handled now as if it had arrived (partReplyAt):
// whether nothing between now and at reads or changes what its arrival
// reads or changes. Either its arrival ends the request, as the only
// part it waits for, with a reply to its client that no event carries
// either (finishAfter), or it decides nothing whenever it arrives
// (replyAheadDecidesNothing). It holds in a run without faults (nothing
// can drop the reply or fail the gateway), trace, or bandwidth limits,
// when (the first condition for both kinds, the others for a reply that
// ends its request):
//
//   - the part holds no latch (a latch's waiters would start when it is
//     dropped). A write's appends and acknowledgements still on their
//     way find the part done, not current: for a committed proposal
//     without faults both do the same, the follower's append and sync
//     and its acknowledgement's bytes on the same link (appendArrived,
//     staleAck), and no acknowledgement is read after the quorum
//     (ackMatters);
//   - it is the request's only pending part and decides it without
//     starting another (not a uniqueness check, nor a locality-optimized
//     probe that missed), and the request commit-waits for nothing and
//     has no intents to resolve;
//   - the client's deadline, if any, is after at (a deadline at at itself
//     was queued first and would win);
//   - the reply tells the gateway nothing its range cache does not hold
//     (learnLease changes nothing: a cache's entry only moves to newer
//     leases, and a lease's sequence number names its holder);
//   - no traffic mark falls in [now, at): the client's reply bytes are
//     counted now instead of at (markBefore).
//
// What differs is when the request and part slots become free, and the
// order in which the sinks hear of completions, which they do not depend
// on (docs/decisions.md, "A deciding reply without an event").
func (m *Model) replyAhead(pi partID, at sim.Time) bool {
	if m.fo != nil || m.tracer != nil || m.links != nil {
		return false
	}
	p := m.parts.at(pi)
	if p.latch != 0 || p.failed {
		return false
	}
	s := m.reqs.at(p.req)
	if s.done || s.phase == phaseLOSRemote && !p.hit {
		return m.replyAheadDecidesNothing(p, s, at)
	}
	if s.pending != 1 || s.lockID != 0 || max(s.commitTS, p.writeTS) > at {
		return false
	}
	switch s.phase {
	case phaseChecks:
		return false
	case phaseLOSLocal, phaseLOSRemote:
		if !p.hit {
			return false
		}
	}
	if s.deadline != 0 && s.start.Add(m.cfg.ClientTimeout) <= at {
		return false
	}
	return m.teachesNothing(p, s) && !m.markBefore(at)
}

// teachesNothing reports whether part p's reply tells request s's gateway
// nothing its range cache does not hold: learnLease at its arrival would
// change nothing (a cache's entry only moves to newer leases, and a
// lease's sequence number names its holder).
func (m *Model) teachesNothing(p *partState, s *reqState) bool {
	if !p.kind.servedByLeaseholder() {
		return true
	}
	c := m.ranges[p.rng].cachedLease(s.gateway)
	return p.leaseSeq < c.seq || c == (cachedLease{lh: p.node, seq: p.leaseSeq})
}

// replyAheadDecidesNothing is replyAhead for a reply that decides
// nothing, whenever it arrives: one for a request already done (it only
// frees its part), or a remote probe of a locality-optimized search that
// misses (it frees its part and counts it off; the probe that finds the
// row decides, whichever arrives first, and the remote phase reads no
// count of parts pending). A probe is a consistent read: it carries no
// write timestamp and sets no read timestamp. Its arrival changes nothing
// another event reads before it, when:
//
//   - it teaches the gateway's cache no newer lease (learnLease, which a
//     reply for a request not yet done calls);
//   - the request is done, or no deadline can cut it short before at: a
//     request cut short takes its path from the part at the head of its
//     list, the one started last still out (cutShort), which a probe
//     counted off early could change. Its client's deadline must come
//     after at; without a client timeout a keyed request's deadline is the
//     row-wait give-up, which one of its parts joining a row's queue may
//     start at any time (startLatchGiveUp), so a keyed request's probe
//     waits.
//
// Nothing is counted at its arrival (no client reply), so traffic marks do
// not matter. Such replies were most of the reply events of a 9-region
// run: a search that misses locally probes eight partitions, and the
// reply that finds the row waited for the others to be counted off.
func (m *Model) replyAheadDecidesNothing(p *partState, s *reqState, at sim.Time) bool {
	if !s.done && (s.deadline != 0 && s.start.Add(m.cfg.ClientTimeout) <= at || s.keyed && m.cfg.ClientTimeout == 0) {
		return false
	}
	return m.teachesNothing(p, s)
}

// partReply runs at the gateway when a part's reply arrives.
func (m *Model) partReply(pi partID) { m.partReplyAt(pi, m.eng.Now()) }

// partReplyAt is partReply for a reply that arrives at instant at: now,
// or later for a reply handled ahead (replyAhead), which takes only the
// branches that finish the request or decide nothing.
func (m *Model) partReplyAt(pi partID, at sim.Time) {
	p := m.parts.at(pi)
	if p.stage != stageAtReplica {
		panic(fmt.Sprintf("raft: part %d replied in stage %d", pi, p.stage))
	}
	ri := p.req
	m.settleAttempt(pi, at)
	hit, writeTS, failed := p.hit, p.writeTS, p.failed
	kind, rng, node, leaseSeq := p.kind, p.rng, p.node, p.leaseSeq
	s := m.reqs.at(ri)
	if s.op == OpStaleRead || s.op == OpBoundedRead {
		s.readTS = p.readTS
	}
	done := s.done
	// Whether this reply decides the request, as the cases below will
	// find: a failure, the local probe of a locality-optimized search, the
	// remote probe that finds the row, or the last part pending (partDone
	// counts this one off). Its path goes to the request now, while the
	// part still holds it: partDone frees the part's slot and side slabs,
	// and a part started below may take them.
	los := s.phase == phaseLOSLocal || s.phase == phaseLOSRemote
	decides := !done && (failed || s.phase == phaseLOSLocal || s.phase == phaseLOSRemote && hit || !los && s.pending == 1)
	if decides {
		m.decidedBy(ri, &p.path, node, at)
	}
	// The attempt is over: late acks still in flight for it become stale.
	// If the request has finished already, partDone frees it once this
	// was its last part.
	m.partDone(pi)
	if done {
		return
	}
	if failed {
		// A replica's circuit breaker failed the request: DistSender
		// returns the error to the client.
		s.ok = false
		m.finishAt(ri, at)
		return
	}
	if kind.servedByLeaseholder() {
		// The leaseholder's answer carries its lease when the gateway's
		// is stale (BatchResponse.RangeInfos): DistSender updates its
		// range cache (sendToReplicas, EvictAndReplace).
		m.learnLease(&m.ranges[rng], s.gateway, node, leaseSeq)
	}
	if writeTS > s.commitTS {
		s.commitTS = writeTS
	}
	switch s.phase {
	case phaseLOSLocal:
		if hit {
			m.finishAt(ri, at)
		} else {
			s.inFlight++ // held while the probes start (as at the gateway)
			m.losRemote(ri)
			m.reqs.at(ri).inFlight--
			m.maybeFreeReq(ri)
		}
		return
	case phaseLOSRemote:
		if hit {
			m.finishAt(ri, at) // the first partition that returns the row wins
		}
		return
	}
	if (s.pending == 0) != decides {
		// The test above counted this part off (partDone does).
		panic(fmt.Sprintf("raft: part %d replied: %d parts pending, deciding %v", pi, s.pending, decides))
	}
	if !decides {
		return
	}
	if s.phase == phaseChecks {
		s.phase = phaseMain
		m.startPart(ri, s.rng, m.routeLH(ri, s.rng), partWrite)
		return
	}
	if s.commitTS > at {
		m.commitWait(ri)
		return
	}
	m.finishAt(ri, at)
}

// finish replies to the client. The request gives up on its parts that
// wait (parked, or about to retry), as DistSender cancels the RPCs of a
// finished request; those being served finish on their own and find the
// request done.
func (m *Model) finish(ri reqID) { m.finishAt(ri, m.eng.Now()) }

// finishAt is finish at instant at: now, or the arrival of a reply
// handled ahead (replyAhead).
func (m *Model) finishAt(ri reqID, at sim.Time) { m.finishAfterAt(ri, m.clientHop(ri), at) }

// finishAfter is finish with the client learning the outcome after d.
func (m *Model) finishAfter(ri reqID, d time.Duration) { m.finishAfterAt(ri, d, m.eng.Now()) }

// finishAfterAt is finishAfter at instant at (see finishAt). A request
// finished ahead of now has no intents and its reply is no event
// (replyAhead).
func (m *Model) finishAfterAt(ri reqID, d time.Duration, at sim.Time) {
	s := m.reqs.at(ri)
	if s.done {
		panic(fmt.Sprintf("raft: request %d finished twice", ri))
	}
	s.done = true
	if s.lockID != 0 {
		m.resolveIntents(ri)
	}
	m.stepReqAt(ri, CompClient, at)
	if s.deadline != 0 && m.eng.Cancel(s.deadline) {
		s.inFlight--
	}
	s.deadline = 0
	m.countClient(ri, true)
	// Without faults nothing can happen to the reply on its way to the
	// client, and its outcome is settled: it is reported now, with the
	// instant it arrives, instead of as an event (the sinks take any
	// order of completions). With faults (the gateway may crash first) or
	// a trace it is an event.
	direct := m.fo == nil && m.tracer == nil
	if !direct {
		m.send(d, kClientReply, ri)
	}
	for pi := s.parts; pi != noPart; {
		next := m.parts.at(pi).sibNext
		// A part queued for a key latch leaves the queue: its context is
		// cancelled (spanlatch's wait ends with it).
		if p := m.parts.at(pi); p.stage != stageAtReplica || p.latchWaiting {
			m.partDone(pi)
		}
		pi = next
	}
	if direct {
		m.clientReplied(ri, at.Add(d))
		m.maybeFreeReq(ri)
	}
}

// deadline fails request ri if it is still running at its client's
// timeout, or, without one, after OverloadTimeout with a part queued for
// a row (startLatchGiveUp).
func (m *Model) deadline(ri reqID) {
	s := m.reqs.at(ri)
	s.deadline = 0
	if s.done {
		m.maybeFreeReq(ri)
		return
	}
	s.ok = false
	m.cutShort(ri)
	m.finish(ri)
}

// retryPart is DistSender at the gateway after an RPC error or a
// NotLeaseHolder without a hint: the next replica by latency that the
// gateway has not tried and does not know to be unreachable; when all have
// been tried, back off and start over.
func (m *Model) retryPart(pi partID) {
	p := m.parts.at(pi)
	s := m.reqs.at(p.req)
	if s.done {
		m.abandonPart(pi)
		return
	}
	r := &m.ranges[p.rng]
	gw := s.gateway
	var best topology.NodeID
	for {
		best = m.nextReplica(r, gw, p.tried, p.kind)
		if best < 0 {
			break
		}
		use := m.peerUse(gw, best)
		if use != useFailFast {
			if use == useDial {
				m.dialFor(gw, best)
			}
			break
		}
		// Its breaker is tripped: the dial fails at once.
		p.tried |= r.replicaBit(best)
		m.failFast(pi, best)
	}
	if best < 0 {
		// Every replica was tried: back off and start a new round
		// (base.DefaultRetryOptions: 50 ms, ×2 per attempt, at most 1 s,
		// ±15 % jitter; util/retry).
		p.tried = 0
		backoff := min(distSenderBackoffMax, distSenderBackoffMin<<min(p.attempt, 16))
		p.attempt = min(p.attempt+1, 100)
		u := m.netRand[gw].Float64()
		backoff = time.Duration(float64(backoff) * (1 - distSenderBackoffJitter + 2*distSenderBackoffJitter*u))
		if m.tracer != nil {
			m.traceStep(pi, "backoff", backoff.String())
		}
		m.toGateway(pi, stageRetry, backoff, kRetry, CompRetry)
		return
	}
	p.tried |= r.replicaBit(best)
	p.node = best
	p.from = gw
	m.sendToReplica(pi, m.hopOut(pi, gw, best))
}

// nextReplica returns the replica of r that DistSender at gw tries next
// for a part of kind among those not in tried (-1: none left): the
// transport's order, those on healthy connections first, each group by
// latency (kvcoord/transport.go splitHealthy). A request that needs the
// leaseholder goes to voters only: DistSender.sendToReplicas builds its
// replica slice with OnlyPotentialLeaseholders for RoutingPolicy_LEASEHOLDER
// (kvcoord/replica_slice.go NewReplicaSlice: CheckCanReceiveLease refuses a
// non-voter), and AllExtantReplicas, non-voters included, for NEAREST (the
// follower reads). The leaseholder is a voter, so it is always among them.
func (m *Model) nextReplica(r *Range, gw topology.NodeID, tried uint32, kind partKind) topology.NodeID {
	best := topology.NodeID(-1)
	var bestRTT time.Duration
	bestHealthy := false
	replicas := r.Replicas
	if kind.servedByLeaseholder() {
		replicas = replicas[:r.NumVoters]
	}
	for i, n := range replicas {
		if tried&(1<<uint(i)) != 0 {
			continue
		}
		h := m.healthy(gw, n)
		d := m.cluster.MedianRTT(gw, n)
		if best < 0 || h && !bestHealthy || h == bestHealthy && d < bestRTT {
			best, bestRTT, bestHealthy = n, d, h
		}
	}
	return best
}

// failFast traces a send of part pi to node that its gateway's tripped
// RPC circuit breaker failed at once.
func (m *Model) failFast(pi partID, node topology.NodeID) {
	if m.tracer != nil {
		m.traceStep(pi, "rpc-fail-fast", fmt.Sprintf("breaker to %v open", node))
	}
}

// rpcFailed runs at the gateway when an RPC to p.node failed: its
// connection to the node has failed.
func (m *Model) rpcFailed(pi partID) {
	p := m.parts.at(pi)
	m.connFailed(m.reqs.at(p.req).gateway, p.node)
	p.tried |= m.ranges[p.rng].replicaBit(p.node)
	m.retryPart(pi)
}

// toGateway ends part pi's current attempt and schedules the one event that
// brings it back to its gateway after d, in stage stage (stageRPCError with
// kRPCError, or stageRetry with kRetry), releasing or leaving its key's
// latch. What the attempt spent, and the wait d, go to component c
// (CompRedirect or CompRetry); a latch wait keeps its own.
func (m *Model) toGateway(pi partID, stage partStage, d time.Duration, kind sim.Kind, c Component) {
	m.dropLatch(pi)
	m.wasteAttempt(pi, c)
	m.onPart(pi, c)
	p := m.parts.at(pi)
	p.stage = stage
	p.nextGen()
	m.sendPart(d, kind, pi, 0)
}

// dropped handles a message of part pi's current attempt that was not
// delivered: the gateway's RPC fails when its connection to the node does
// (rpc.go).
func (m *Model) dropped(pi partID) {
	p := m.parts.at(pi)
	m.toGateway(pi, stageRPCError, m.fo.rpcFailDelay(m.reqs.at(p.req).gateway, p.node, false), kRPCError, CompRetry)
}

// failRequestsAtDownGateways ends every request whose gateway just
// crashed: its client's connection is reset, so it sees an error at once.
// A write that had left the gateway may still commit: its outcome is
// ambiguous. They end in the order they started (then by series, then by
// client hop, then by slot), not in the order of their slots: which slot a
// request takes depends on when it was submitted (ahead of its start or at
// it), and the order matters (a transaction's intents are resolved as it
// ends, and the waiters they release run in that order). Only two
// requests of one series that start in the same nanosecond with the same
// client hop would still end in slot order.
func (m *Model) failRequestsAtDownGateways() {
	down := m.downReqs[:0]
	for i := range m.reqs.len() {
		ri := reqID(i)
		if s := m.reqs.at(ri); !s.done && !s.freed && !m.fo.up(s.gateway) {
			down = append(down, ri)
		}
	}
	slices.SortFunc(down, func(a, b reqID) int {
		sa, sb := m.reqs.at(a), m.reqs.at(b)
		if c := cmp.Compare(sa.start, sb.start); c != 0 {
			return c
		}
		if c := cmp.Compare(sa.tag, sb.tag); c != 0 {
			return c
		}
		if c := cmp.Compare(sa.clientHalf, sb.clientHalf); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, ri := range down {
		s := m.reqs.at(ri)
		if s.done || s.freed {
			continue // ended meanwhile, by one ended before it
		}
		s.ok = false
		s.ambiguous = s.sentWrite
		m.cutShort(ri)
		m.finishAfter(ri, 0)
	}
	m.downReqs = down[:0]
}

// failRPCsAtDownNodes makes every gateway whose part is being served at a
// node that just failed, or that a cut link now separates from the
// gateway, see its RPC fail when its connection to the node does (rpc.go).
func (m *Model) failRPCsAtDownNodes() {
	for i := range m.parts.len() {
		pi := partID(i)
		p := m.parts.at(pi)
		if p.req == noReq || (p.stage != stageAtReplica && p.stage != stageParked) {
			continue
		}
		gw := m.reqs.at(p.req).gateway
		if m.fo.up(p.node) && (gw == p.node || !m.fo.up(gw) || m.fo.linkOK(gw, p.node) && m.fo.linkOK(p.node, gw)) {
			continue
		}
		if p.stage == stageParked {
			m.unpark(pi)
		}
		m.toGateway(pi, stageRPCError, m.fo.rpcFailDelay(gw, p.node, true), kRPCError, CompRetry)
	}
}

// abandonPart retires a part of a request that already finished (failed
// by its deadline).
func (m *Model) abandonPart(pi partID) {
	m.partDone(pi)
}

// partDone ends part pi for good: its reply reached the gateway, or its
// request gave up on it. Any event still in flight for it is stale; the
// slot is freed once none is left.
func (m *Model) partDone(pi partID) {
	m.dropLatch(pi)
	p := m.parts.at(pi)
	if p.stage == stageParked {
		m.unpark(pi)
	}
	p.stage = stageDone
	p.nextGen()
	if p.req != noReq {
		s := m.reqs.at(p.req)
		if p.sibPrev != noPart {
			m.parts.at(p.sibPrev).sibNext = p.sibNext
		} else {
			s.parts = p.sibNext
		}
		if p.sibNext != noPart {
			m.parts.at(p.sibNext).sibPrev = p.sibPrev
		}
		p.sibNext, p.sibPrev = noPart, noPart
		s.pending--
	}
	ri := p.req
	m.maybeFreePart(pi)
	if ri != noReq {
		m.maybeFreeReq(ri)
	}
}
