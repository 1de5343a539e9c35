package raft

import (
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// A non-voter's MsgApp arrival without an event. Where nothing can read a
// non-voter's answer (no faults, no trace, links without a bandwidth
// limit: ackMatters is false for it) and the run reads its traffic totals
// only at marks (SetTrafficMarks), a non-voter's append touches nothing
// but its own node: the node's CPU (raftWorkAt), its disk queue and its
// stream of fsync times (syncAppend), its load bins, and the traffic
// counts (the answer's bytes). Its arrival is then not queued as an event
// (kAppendArrive) but kept in the node's list of pending appends, with the
// sequence number its event would have had (sim.Engine.ReserveSeq), and
// done the next time the node's queues or stream are used (settle): before
// a service or fsync time is drawn there, an evaluation is admitted or an
// append is made, and before the load or the traffic totals are read
// (settleAll). It is done exactly when it comes before that moment in the
// engine's order (sim.Engine.Position), and appends pending at one node
// are done in that order: the node's state, its draws and every count are
// what the arrival events would have left. A non-voter's arrival was one
// event in six of a 9-region run with 3 nodes per zone (issue #16 item 2;
// docs/decisions.md, "A non-voter's arrival without an event").

// pendingAppend is a non-voter's MsgApp whose arrival is kept off the
// engine's queue (see above).
type pendingAppend struct {
	at  sim.Time // when it arrives
	seq uint64   // the sequence number its arrival event would have had
	arg int64    // partArg(part, attempt, replica index), its event's
	// to is the leader that sent it (p.node then), where the answer goes
	// while the attempt is current (doAppend).
	to topology.NodeID
}

// before reports whether a comes before the engine position (at, seq).
func (a *pendingAppend) before(at sim.Time, seq uint64) bool {
	return a.at < at || a.at == at && a.seq < seq
}

// pendingAppends are the appends pending at each node, in order of
// (at, seq): nodes[n].items[nodes[n].head:]. A node's appends arrive
// nearly in the order they are sent (their delays differ by the links'
// jitter), so one usually goes at the end or a place or two before it,
// and the first is taken from the front. next[n] is the first's instant
// (sim.Never when none), which settle compares with the clock: most uses
// of a node find its first pending append still on its way.
type pendingAppends struct {
	nodes []nodePending
	next  []sim.Time
	n     int // in all
}

// nodePending is one node's pending appends.
type nodePending struct {
	items []pendingAppend // items[head:] are pending, in order
	head  int
}

// init sizes p for nodes nodes, none pending.
func (p *pendingAppends) init(nodes int) {
	p.nodes = make([]nodePending, nodes)
	p.next = make([]sim.Time, nodes)
	for i := range p.next {
		p.next[i] = sim.Never
	}
}

// add puts x among node n's pending appends.
func (p *pendingAppends) add(n topology.NodeID, x pendingAppend) {
	np := &p.nodes[n]
	h := np.items
	if np.head > 0 && len(h) == cap(h) {
		// Full, with taken ones at the front: move the pending down.
		k := copy(h, h[np.head:])
		h, np.head = h[:k], 0
	}
	h = append(h, x)
	j := len(h) - 1
	for j > np.head && x.before(h[j-1].at, h[j-1].seq) {
		h[j] = h[j-1]
		j--
	}
	h[j] = x
	np.items = h
	p.next[n] = h[np.head].at
	p.n++
}

// takeBefore removes and returns node n's first pending append if it comes
// before (at, seq).
func (p *pendingAppends) takeBefore(n topology.NodeID, at sim.Time, seq uint64) (pendingAppend, bool) {
	np := &p.nodes[n]
	if np.head == len(np.items) || !np.items[np.head].before(at, seq) {
		return pendingAppend{}, false
	}
	x := np.items[np.head]
	np.head++
	if np.head == len(np.items) {
		np.items, np.head = np.items[:0], 0
		p.next[n] = sim.Never
	} else {
		p.next[n] = np.items[np.head].at
	}
	p.n--
	return x, true
}

// canDeferAppend reports whether replica index i of range r, sent a MsgApp
// now, may have its arrival kept off the queue.
func (m *Model) canDeferAppend(r *Range, i int) bool {
	return i >= r.NumVoters && m.fo == nil && m.tracer == nil && m.links == nil && m.marks.set
}

// deferAppend keeps the arrival of part pi's MsgApp at replica index i
// (node n), d from now, off the queue: it holds a reference on the part,
// as its event would (sendPart).
func (m *Model) deferAppend(pi partID, i int, n topology.NodeID, d time.Duration) {
	p := m.parts.at(pi)
	p.inFlight++
	m.settle(n) // the node's list keeps only appends still on their way
	m.pend.add(n, pendingAppend{at: m.eng.Now().Add(d), seq: m.eng.ReserveSeq(), arg: partArg(pi, p.gen, i), to: p.node})
}

// settle does the appends pending at node n that come before the engine's
// position; every use of the node's queues or stream calls it first.
func (m *Model) settle(n topology.NodeID) {
	// A run with faults keeps nothing pending: one test of the count.
	if m.pend.n != 0 && m.pend.next[n] <= m.eng.Now() {
		m.settleNode(n)
	}
}

// settleNode is settle past its test of the clock: not inlined, so that
// settle is.
//
//go:noinline
func (m *Model) settleNode(n topology.NodeID) {
	at, seq := m.eng.Position()
	m.settleBefore(n, at, seq)
}

// settleBefore does the appends pending at node n that come before
// (at, seq), in their order.
func (m *Model) settleBefore(n topology.NodeID, at sim.Time, seq uint64) {
	for {
		x, ok := m.pend.takeBefore(n, at, seq)
		if !ok {
			return
		}
		m.doAppend(n, x)
	}
}

// settleAll does every pending append that comes before the engine's
// position: before the load or traffic totals are read, and before the
// model's state is released.
func (m *Model) settleAll() {
	if m.pend.n == 0 {
		return
	}
	at, seq := m.eng.Position()
	for n := range m.pend.nodes {
		m.settleBefore(topology.NodeID(n), at, seq)
	}
}

// doAppend is appendArrived for pending append x at node n, at its
// instant: the node appends it (syncAppendAt), and its answer's bytes are
// counted then — or, if a traffic mark falls before the answer leaves,
// when it leaves, by kAppendDone as appendArrived would schedule it (a
// mark's read settles x first, so that instant is still ahead).
//
// The answer goes where appendArrived would send it at x's arrival: to the
// leader that sent it while the attempt is current, else to the node of
// the part's latest proposal (staleAck). Both are what they were then: a
// part's node changes only with its attempt, and its proposal's node only
// in replicate, which settles the range's non-voters first.
func (m *Model) doAppend(n topology.NodeID, x pendingAppend) {
	pi, gen, _ := splitPartArg(x.arg)
	d := m.syncAppendAt(n, x.at)
	p := m.parts.at(pi)
	to := x.to
	if gen != p.gen {
		to = m.propOf(p).repNode
	}
	if done := x.at.Add(d); m.markIn(x.at, done) {
		if done > m.eng.Now() {
			m.eng.Schedule(done, m.id, kAppendDone, x.arg) // the reference passes to it
			return
		}
		// No mark was read between the two (its read would have settled
		// x): the bytes counted now are read as they would have been.
		// (A run reads every mark; only one that skips some gets here.)
	}
	m.wire(MsgRaft, n, to, msgAppRespBytes())
	p.inFlight--
	m.maybeFreePart(pi)
}

// resumeAppendEvents stops keeping appends off the queue, as a fault or a
// trace added to a running model needs: the pending appends due before
// now are done, and the others become the arrival events they stood for,
// with their numbers (sim.Engine.ScheduleReserved).
func (m *Model) resumeAppendEvents() {
	m.settleAll()
	for n := range m.pend.nodes {
		np := &m.pend.nodes[n]
		for _, x := range np.items[np.head:] {
			m.eng.ScheduleReserved(x.at, x.seq, m.id, kAppendArrive, x.arg)
		}
		np.items, np.head = np.items[:0], 0
		m.pend.next[n] = sim.Never
	}
	m.pend.n = 0
}
