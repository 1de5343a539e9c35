package raft

import (
	"slices"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file is critical-path attribution: for every request, the chain of
// hops and waits that set its latency, kept as the model processes the
// request's messages. Each part (one RPC) carries the time of its open
// interval — since its last step, spent on one Component, with an optional
// head and tail of other components when one event's delay covers several
// (a redirect's hop back and the next hop out; a hop and the evaluation)
// — and the components its finished intervals added up to. A request adds
// up, in turn, the client hops, the parts that decided it (the last to
// answer of parallel parts, the probe that found the row), and its commit
// wait. Every interval of the request's life is given to exactly one
// component, so the components sum to its latency exactly.

// Component is one kind of time a request's latency is made of. The list
// is open: a new mechanism (a queue, a lock) adds its component before
// NumComponents, with its names in componentNames and componentLabels, and
// says in attemptComps whether a redirected attempt wastes it.
type Component uint8

const (
	// CompClient is the hops between the client and its gateway.
	CompClient Component = iota
	// CompGateway is the gateway <-> leaseholder round trip of the attempt
	// that served the request (the message out and the reply back).
	CompGateway
	// CompGatewayFollower is the gateway <-> replica round trip of a
	// follower read served by a replica that is not the leaseholder.
	CompGatewayFollower
	// CompEval is the evaluation at the replica that served (its service
	// time).
	CompEval
	// CompQuorum is the network round trip between the leader and the
	// replica whose durable append completed the write's quorum.
	CompQuorum
	// CompFsync is the log append (fsync) that completed the quorum: the
	// acknowledging follower's, or the leader's own when it came last.
	CompFsync
	// CompCommitWait is a GLOBAL write's commit wait at the gateway.
	CompCommitWait
	// CompUncertainty is a GLOBAL read's wait for a write in its
	// uncertainty window.
	CompUncertainty
	// CompLeaseWait is time spent waiting at a replica for a lease: a
	// transfer to commit, an acquisition, a transfer's target to apply it.
	CompLeaseWait
	// CompLeaderWait is a proposal's wait for its range to elect a Raft
	// leader.
	CompLeaderWait
	// CompLatchWait is a keyed request's wait at the leaseholder for its
	// row's latch or a transaction's intent on it (latch.go).
	CompLatchWait
	// CompCPUWait is a part's wait in its node's CPU queue before it
	// evaluates (queues.go).
	CompCPUWait
	// CompRedirect is the cost of attempts that ended in a
	// NotLeaseHolderError (hops, evaluation and replication at the wrong
	// replica, and the answer's hop back to the gateway).
	CompRedirect
	// CompRetry is the cost of RPCs that failed (until the gateway learnt
	// it) and of DistSender's backoff between rounds.
	CompRetry
	// NumComponents is the number of components.
	NumComponents
)

var componentNames = [NumComponents]string{
	"client_hop", "gateway_leaseholder", "gateway_follower", "evaluation", "quorum_ack", "fsync",
	"commit_wait", "uncertainty_wait", "lease_wait", "leader_wait", "latch_wait", "cpu_wait", "redirect", "retry_backoff",
}

var componentLabels = [NumComponents]string{
	"client hop", "gateway→leaseholder", "gateway→follower", "evaluation", "quorum ack", "fsync",
	"commit wait", "uncertainty wait", "lease wait", "Raft leader wait", "latch/lock wait", "CPU queue wait", "redirect", "retry/backoff",
}

// attemptComps are the components an attempt spends that are wasted when
// the attempt ends in a redirect or an RPC failure: they then move to
// CompRedirect or CompRetry. Waits keep their component either way. A
// part keeps its current attempt's in att, by position in this list
// (attemptSlot).
var attemptComps = [...]Component{CompGateway, CompGatewayFollower, CompEval, CompQuorum, CompFsync}

const numAttemptComps = len(attemptComps)

// requestComps are the components only a request spends (its own hops
// and waits at the gateway), never one of its parts.
var requestComps = [...]Component{CompClient, CompCommitWait}

// numWaitComps is how many components a part spends that no attempt
// wastes: every component neither in attemptComps nor in requestComps.
const numWaitComps = int(NumComponents) - numAttemptComps - len(requestComps)

// attemptSlot[c] is c's position in attemptComps, -1 for the others;
// waitSlot[c] its position in waitComps, -1 for the others; waitComps the
// components a part keeps in partPath.comp.
var attemptSlot, waitSlot, waitComps = func() (a, w [NumComponents]int8, comps [numWaitComps]Component) {
	for c := range a {
		a[c], w[c] = -1, -1
	}
	for i, c := range attemptComps {
		a[c] = int8(i)
	}
	n := 0
	for c := range NumComponents {
		if a[c] < 0 && !slices.Contains(requestComps[:], c) {
			w[c], comps[n] = int8(n), c
			n++
		}
	}
	return a, w, comps
}()

// String returns the component's name in results ("quorum_ack").
func (c Component) String() string { return componentNames[c] }

// Label returns the component's name in text ("quorum ack").
func (c Component) Label() string { return componentLabels[c] }

// ParseComponent returns the component named s (Component.String).
func ParseComponent(s string) (Component, bool) {
	for c, n := range componentNames {
		if n == s {
			return Component(c), true
		}
	}
	return 0, false
}

// Path is the critical path of one completed request: D[c] is the time
// component c took, and the components sum to the request's latency
// exactly. ServedRegion is the cluster region (index) of the replica whose
// answer the request used, -1 if none answered; AckRegion that of the
// replica whose durable append committed its write, -1 if nothing was
// committed for it.
type Path struct {
	D            [NumComponents]time.Duration
	ServedRegion int
	AckRegion    int
}

// Total returns the sum of the components.
func (p *Path) Total() time.Duration {
	var t time.Duration
	for _, d := range &p.D {
		t += d
	}
	return t
}

// Region returns the region component c happened in (an index of the
// cluster's regions), -1 when it has none: the round trip and the
// evaluation are the serving replica's, the quorum ack and its fsync the
// acknowledging replica's.
func (p *Path) Region(c Component) int {
	switch c {
	case CompGateway, CompGatewayFollower, CompEval:
		return p.ServedRegion
	case CompQuorum, CompFsync:
		return p.AckRegion
	}
	return -1
}

// PathSink is an optional ability of a Sink (found by type assertion in
// New): it also hears, just before Complete, each request's critical path.
// A model whose sink lacks it keeps no paths. p is the model's own, valid
// until the Complete that follows returns: a sink that keeps a path longer
// copies it.
type PathSink interface {
	Sink
	Path(tag int64, p *Path)
}

// partPath is a part's critical path so far.
type partPath struct {
	// comp (see waits) holds what the part's finished intervals added up
	// to in the components no attempt wastes (by waitSlot); att the current
	// attempt's attemptComps (by attemptSlot), moved into comp's
	// CompRedirect or CompRetry when the attempt does not serve, and kept
	// when it does (the part is then over: its reply decides or not).
	// A part never spends requestComps.
	att [numAttemptComps]time.Duration
	// waits is 1 + the index in Model.waits of comp, 0 while nothing has
	// been added to it: a part queued for a CPU has spent nothing there
	// yet, so the million a saturated cluster holds need no array each.
	waits int32
	// The open interval, from mark: its first head goes to headC, its
	// last tail to tailC, the rest to cur.
	mark       sim.Time
	tailAt     sim.Time // when the tail begins
	head, tail time.Duration
	// acker is the replica whose append committed the part's write, when
	// acked.
	acker        topology.NodeID
	headC, tailC Component
	cur          Component
	acked        bool
}

// partComps returns part path pp's components that no attempt wastes
// (its comp), giving it zeroed ones on first use.
func (m *Model) partComps(pp *partPath) *[numWaitComps]time.Duration {
	return m.waits.claim(&pp.waits)
}

// releasePartComps returns part path pp's comp to the free list (its part
// is freed, or its slot reused).
func (m *Model) releasePartComps(pp *partPath) {
	m.waits.drop(&pp.waits)
}

// addPartTo adds part path pp's components, its current attempt's
// included, to c. pp is a live part's: a freed part's comp is gone.
func (m *Model) addPartTo(pp *partPath, c *[NumComponents]time.Duration) {
	if pp.waits != 0 {
		for k, d := range m.waits.at(pp.waits - 1) {
			c[waitComps[k]] += d
		}
	}
	for k, d := range &pp.att {
		c[attemptComps[k]] += d
	}
}

// addPart adds d to component c of part path pp. Nothing is added for
// d == 0, whose component may be unset (a head or tail not used, a part
// closed the instant it started); a part spending time on one of
// requestComps is a bug, and panics.
func (m *Model) addPart(pp *partPath, c Component, d time.Duration) {
	if d == 0 {
		return
	}
	if i := attemptSlot[c]; i >= 0 {
		pp.att[i] += d
	} else {
		m.partComps(pp)[waitSlot[c]] += d
	}
}

// closePart gives part pi's open interval to its components and opens a
// new one, on the same component, now.
func (m *Model) closePart(pi partID) { m.closePartAt(pi, m.eng.Now()) }

// closePartAt is closePart at instant now (not before the interval's
// start): a reply answered ahead (replyAhead) closes it at its arrival.
func (m *Model) closePartAt(pi partID, now sim.Time) {
	if m.pathSink == nil {
		return
	}
	p := m.parts.at(pi)
	if p.req == noReq {
		return // a lease transfer: no request, no path
	}
	pp := &p.path
	if now == pp.mark {
		// Closed again at the instant it opened (a handler and the
		// function it calls both close it): nothing to give, and what
		// the full computation would do besides is clear the head and
		// tail.
		pp.head, pp.tail = 0, 0
		return
	}
	rest := now.Sub(pp.mark)
	h := min(pp.head, rest)
	rest -= h
	// The tail only counts once it has begun: an interval closed early
	// (a deadline during a CPU wait) gives it nothing or its part.
	t := min(pp.tail, rest, max(0, now.Sub(pp.tailAt)))
	rest -= t
	// Most intervals have no head or tail (0), and addPart is not
	// inlined: the calls are skipped for them here, on the hot path
	// (docs/decisions.md, "Fixed costs and the cache at 81 nodes").
	if h != 0 {
		m.addPart(pp, pp.headC, h)
	}
	if t != 0 {
		m.addPart(pp, pp.tailC, t)
	}
	m.addPart(pp, pp.cur, rest)
	pp.mark, pp.head, pp.tail = now, 0, 0
}

// onPart sets the component part pi's open interval is spent on.
func (m *Model) onPart(pi partID, c Component) { m.parts.at(pi).path.cur = c }

// tailPart makes the d of part pi's open interval from time at go to c
// (its last d, when the interval runs to its planned end).
func (m *Model) tailPart(pi partID, c Component, at sim.Time, d time.Duration) {
	pp := &m.parts.at(pi).path
	pp.tailC, pp.tail, pp.tailAt = c, d, at
}

// headPart makes the first d of part pi's open interval go to c.
func (m *Model) headPart(pi partID, c Component, d time.Duration) {
	pp := &m.parts.at(pi).path
	pp.headC, pp.head = c, d
}

// wasteAttempt closes part pi's open interval and moves what its current
// attempt spent to c (CompRedirect or CompRetry): the attempt did not
// serve.
func (m *Model) wasteAttempt(pi partID, c Component) {
	if m.pathSink == nil {
		return
	}
	m.closePart(pi)
	pp := &m.parts.at(pi).path
	for k, d := range pp.att {
		m.addPart(pp, c, d)
		pp.att[k] = 0
	}
	pp.acked = false
}

// settleAttempt closes part pi's open interval at its reply's arrival at
// the gateway, at, and keeps what its attempt spent, in att: it served.
func (m *Model) settleAttempt(pi partID, at sim.Time) { m.closePartAt(pi, at) }

// serveAttempt opens part pi's reply hop, now, as its replica sends the
// reply: on CompGateway, or, for a follower read served by a replica
// that is not the leaseholder as it serves, on CompGatewayFollower,
// where the hop out goes too (a gateway→follower round trip). Deciding
// as the replica serves, not as the reply arrives, keeps a lease moved
// meanwhile from changing what the round trip was.
func (m *Model) serveAttempt(pi partID) {
	c := CompGateway
	if p := m.parts.at(pi); m.pathSink != nil && (p.kind == partStaleRead || p.kind == partBounded || p.kind == partGlobalRead) &&
		p.node != m.ranges[p.rng].Leaseholder {
		pp := &p.path
		pp.att[attemptSlot[CompGatewayFollower]] += pp.att[attemptSlot[CompGateway]]
		pp.att[attemptSlot[CompGateway]] = 0
		c = CompGatewayFollower
	}
	m.onPart(pi, c)
}

// commitPath splits part pi's replication interval, which ends now with
// the append that completed its quorum: replica index i's (its round trip
// from the leader, then its fsync), or the leader's own (i < 0: all
// fsync).
func (m *Model) commitPath(pi partID, i int) {
	if m.pathSink == nil {
		return
	}
	p := m.parts.at(pi)
	pp := &p.path
	pp.cur, pp.acked, pp.acker = CompFsync, true, p.node
	if i >= 0 {
		n := m.ranges[p.rng].Replicas[i]
		pp.acker = n
		// The round trip is recomputed from its key (pairHalf): the same
		// halves the MsgApp and its acknowledgement took.
		m.headPart(pi, CompQuorum, 2*m.pairHalf(m.propOf(p).rep, pairReplica+uint64(i), p.node, n))
	}
}

// reqPath is a request's critical path so far: its client hops, its other
// components (comps, kept aside: see reqComps), the open interval's start
// and component (while no part decides it: the client's hop, a commit
// wait), and the regions of the part that decided it.
type reqPath struct {
	client time.Duration // CompClient
	mark   sim.Time
	// comps is 1 + the index in Model.reqComps of the request's other
	// components, 0 while none has been added. A request queued for a CPU
	// has only its hop from the client, so the million a saturated
	// cluster holds need no array each; a part's decision adds one, for
	// the short time until the reply reaches the client.
	comps             int32
	cur               Component
	served, ackRegion int16
}

// reqComps returns request path rp's components other than CompClient,
// giving it zeroed ones on first use.
func (m *Model) reqComps(rp *reqPath) *[NumComponents]time.Duration {
	return m.comps.claim(&rp.comps)
}

// addReq adds d to component c of request path rp.
func (m *Model) addReq(rp *reqPath, c Component, d time.Duration) {
	switch {
	case c == CompClient:
		rp.client += d
	case d != 0:
		m.reqComps(rp)[c] += d
	}
}

// releaseReqComps returns request path rp's components to the free list:
// once reported, or when its request's slot is reused.
func (m *Model) releaseReqComps(rp *reqPath) {
	m.comps.drop(&rp.comps)
}

// stepReq closes request ri's open interval (on its component) and opens
// the next, on c.
func (m *Model) stepReq(ri reqID, c Component) { m.stepReqAt(ri, c, m.eng.Now()) }

// stepReqAt is stepReq at instant t (not before the open interval's start).
func (m *Model) stepReqAt(ri reqID, c Component, t sim.Time) {
	if m.pathSink == nil {
		return
	}
	rp := &m.reqs.at(ri).path
	m.addReq(rp, rp.cur, t.Sub(rp.mark))
	rp.mark, rp.cur = t, c
}

// decidedBy adds to request ri the path of its part that decides it,
// whose reply reaches the gateway at instant at: pp, its attempt settled
// (settleAttempt), read before the part is done and its slot and side
// slabs go back (partReply); served is the node that answered.
func (m *Model) decidedBy(ri reqID, pp *partPath, served topology.NodeID, at sim.Time) {
	if m.pathSink == nil {
		return
	}
	rp := &m.reqs.at(ri).path
	m.addPartTo(pp, m.reqComps(rp))
	rp.mark = at
	rp.served = int16(m.cluster.Nodes[served].Region)
	rp.ackRegion = -1
	if pp.acked {
		rp.ackRegion = int16(m.cluster.Nodes[pp.acker].Region)
	}
}

// cutShort gives the open interval of request ri, which ends now before
// any part decided it (a deadline, its gateway's crash), to the part it
// was waiting on — the most recently started one still pending: its
// finished intervals, its attempt so far and its open interval — or, with
// no part pending, to the request's own open component.
func (m *Model) cutShort(ri reqID) {
	if m.pathSink == nil {
		return
	}
	s := m.reqs.at(ri)
	if s.parts == noPart {
		m.stepReq(ri, s.path.cur)
		return
	}
	pi := s.parts
	m.closePart(pi)
	pp := &m.parts.at(pi).path
	rp := &s.path
	m.addPartTo(pp, m.reqComps(rp))
	rp.mark = m.eng.Now()
	rp.served = int16(m.cluster.Nodes[m.parts.at(pi).node].Region)
}

// shedPath completes the path of request ri, whose part pi leaves its
// node's CPU queue now because it would start after giveUp, when the
// request fails (failQueued, which completes it at once for the future
// instant): the part's time so far, the wait it would have had until
// giveUp (CompCPUWait), and the failure's hop back to the client.
func (m *Model) shedPath(ri reqID, pi partID, giveUp sim.Time) {
	if m.pathSink == nil {
		return
	}
	m.closePart(pi)
	pp := &m.parts.at(pi).path
	rp := &m.reqs.at(ri).path
	c := m.reqComps(rp)
	m.addPartTo(pp, c)
	c[CompCPUWait] += giveUp.Sub(m.eng.Now())
	rp.client += m.clientHop(ri)
	rp.mark = giveUp.Add(m.clientHop(ri))
	rp.served = int16(m.cluster.Nodes[m.parts.at(pi).node].Region)
}

// reportPath hands request ri's finished path to the path sink.
// It is built in the model's own Path (PathSink), not copied to the sink.
func (m *Model) reportPath(ri reqID) {
	s := m.reqs.at(ri)
	p := &m.path
	if s.path.comps != 0 {
		p.D = *m.comps.at(s.path.comps - 1)
	} else {
		p.D = [NumComponents]time.Duration{}
	}
	p.D[CompClient] += s.path.client
	p.ServedRegion, p.AckRegion = int(s.path.served), int(s.path.ackRegion)
	m.releaseReqComps(&s.path) // the path is complete
	m.pathSink.Path(s.tag, p)
}
