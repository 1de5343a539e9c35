package raft

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file makes each node a queueing station: its CPUs (topology
// vcpus) serve evaluations and Raft processing first come, first served,
// and its disk syncs the Raft log with group commit. The request path
// calls three hooks: evaluate (gateway.go, read.go, lease.go) instead of
// scheduling an evaluation one service time ahead, syncAppend and
// appendAt (write.go) instead of one fsync per append, which charge the
// node's CPUs with the entry's Raft processing (raftWorkAt).
//
// Both queues are FIFO with service times known on arrival, so each is
// kept as a few numbers rather than a list of waiting jobs: a job that
// arrives at t on k CPUs starts at max(t, the earliest time a CPU is
// free) and holds that CPU until start + service (the Kiefer–Wolfowitz
// workload recursion, exact for FIFO). A job therefore learns when it
// finishes as it arrives, and one event (its completion) is all it costs:
// no allocation per job, memory independent of the queue length. Arrivals
// must be admitted in time order, so a job that reaches its node after a
// network delay is admitted by an arrival event (kEvalArrive,
// kAppendArrive), not when it is sent — or, a non-voter's append where
// nothing reads its answer, kept in its node's list of pending appends and
// made before anything else uses the node (pending.go).

// OverloadTimeout is how long a request without a client timeout
// (cockroach.client_timeout 0) waits for a CPU, or for rows' latches in
// all (startLatchGiveUp), before it gives up: without it a node or a row
// offered more than it can serve would queue without bound.
// regionsim's stand-in for the statement timeout every real client has
// (docs/decisions.md); set client_timeout to choose another.
const OverloadTimeout = 10 * time.Second

// loadInterval is the default width of the load accounting intervals.
const loadInterval = time.Second

// queues holds every node's CPU and disk queue and their accounting.
type queues struct {
	raftCPU time.Duration // CPU time of one Raft entry at a replica
	width   time.Duration // load interval
	cpus    []cpuQueue    // cpus[n]: node n's CPUs; empty: no CPU queue
	disks   []diskQueue
	load    []nodeBins
}

// diskQueue is a node's Raft log (Pebble's WAL): one sync at a time, and
// every append that arrives while a sync is in flight waits for the next
// sync, which covers them all — group commit, as Pebble's
// record.LogWriter does (flushLoop syncs, in one go, everything queued
// while the previous sync ran; pebble/record/log_writer.go).
//
// An append that arrives at the very instant a sync starts joins it: the
// flush loop, woken by the first, takes every record queued by then.
// (Only a jitter-free cluster has such ties.)
type diskQueue struct {
	start sim.Time // when the sync in flight (or the last one) started
	cur   sim.Time // when it ends
	next  sim.Time // when the sync queued behind it ends; 0: none queued
}

// NodeLoad is what one node's CPUs and disk did, per load interval
// (Model.LoadInterval) from the start of the run: slices grow to the last
// interval with any work and are indexed by interval.
type NodeLoad struct {
	// CPUBusy is the CPU time served in each interval, over all the
	// node's CPUs: utilisation is CPUBusy / (vcpus × interval).
	CPUBusy []time.Duration
	// DiskBusy is the time a sync was in flight in each interval.
	DiskBusy []time.Duration
	// Waiting is the time evaluations spent waiting for a CPU in each
	// interval, summed over them: Waiting / interval is the mean number
	// of evaluations queued (Little's law over the interval).
	Waiting []time.Duration
	// TimedOut counts, by the interval they arrived in, the evaluations
	// that gave up waiting for a CPU: their client's timeout (or
	// OverloadTimeout) would pass before a CPU was free.
	TimedOut []int64
	// Appends and Syncs count Raft log appends and the syncs that made
	// them durable (Appends / Syncs is the mean group-commit batch), by
	// the interval the append arrived in or the sync was queued in, so
	// that a span of the run counts only what happened in it.
	Appends, Syncs []int64
}

func newQueues(c *topology.Cluster) *queues {
	n := len(c.Nodes)
	q := &queues{
		raftCPU: c.RaftCPU, width: loadInterval,
		disks: make([]diskQueue, n), load: make([]nodeBins, n), cpus: make([]cpuQueue, n),
	}
	total := 0
	for _, node := range c.Nodes {
		total += node.VCPUs
	}
	free := make([]sim.Time, total)
	for i, node := range c.Nodes {
		q.cpus[i], free = free[:node.VCPUs:node.VCPUs], free[node.VCPUs:]
	}
	return q
}

// SetLoadInterval sets the width of the load accounting intervals (1 s
// unless set); call it before the run starts.
func (m *Model) SetLoadInterval(d time.Duration) {
	if d <= 0 {
		panic(fmt.Sprintf("raft: load interval %v", d))
	}
	m.q.width = d
}

// LoadInterval returns the width of NodeLoad's intervals.
func (m *Model) LoadInterval() time.Duration { return m.q.width }

// VCPUs returns node n's CPU count (0: no CPU queue).
func (m *Model) VCPUs(n topology.NodeID) int { return len(m.q.cpus[n]) }

// NodeLoad returns every node's load so far, indexed by NodeID: a copy,
// the caller's own, built from the model's bins in O(nodes × intervals).
func (m *Model) NodeLoad() []NodeLoad {
	m.settleAll()
	out := make([]NodeLoad, len(m.q.load))
	for n := range m.q.load {
		out[n] = m.q.load[n].nodeLoad()
	}
	return out
}

// spanSeries is a series of NodeLoad that sums time spans (queues.spread),
// by its place in a loadBin.
type spanSeries uint8

const (
	loadCPU      spanSeries = iota // NodeLoad.CPUBusy
	loadDisk                       // NodeLoad.DiskBusy
	loadWaiting                    // NodeLoad.Waiting
	numLoadSpans = iota
)

// countSeries is a series of NodeLoad that counts events (queues.count),
// by its place in a loadBin.
type countSeries uint8

const (
	loadTimedOut  countSeries = iota // NodeLoad.TimedOut
	loadAppends                      // NodeLoad.Appends
	loadSyncs                        // NodeLoad.Syncs
	numLoadCounts = iota
)

// loadBin is one node's load in one interval: NodeLoad's series side by
// side (48 bytes), so that accounting an append, a sync or an evaluation
// touches one place of the node's, not one slice per series (at 81 nodes
// the series apart missed the cache on most messages; docs/decisions.md,
// "Fixed costs and the cache at 81 nodes").
type loadBin struct {
	span  [numLoadSpans]time.Duration
	count [numLoadCounts]int64
}

// nodeBins is a node's load, bin by bin. Every interval a series touches
// gets a positive amount (a span [from, to) with from < to, a count of
// one), so a series reaches its last non-zero bin, as NodeLoad's slices
// do.
type nodeBins struct {
	bins []loadBin
}

// bin returns bin b, growing the bins to reach it.
func (l *nodeBins) bin(b int) *loadBin {
	for len(l.bins) <= b {
		l.bins = append(l.bins, loadBin{})
	}
	return &l.bins[b]
}

// count adds one to node n's count series c for the interval holding t.
func (q *queues) count(n topology.NodeID, c countSeries, t sim.Time) {
	q.load[n].bin(int(int64(t) / int64(q.width))).count[c]++
}

// spread adds the span [from, to) to node n's span series s, over the
// intervals it covers.
func (q *queues) spread(n topology.NodeID, s spanSeries, from, to sim.Time) {
	l := &q.load[n]
	for from < to {
		b := int(int64(from) / int64(q.width))
		end := min(to, sim.Time(int64(b+1)*int64(q.width)))
		l.bin(b).span[s] += end.Sub(from)
		from = end
	}
}

// nodeLoad returns l as a NodeLoad: each series up to its last non-zero
// bin (nil if none).
func (l *nodeBins) nodeLoad() NodeLoad {
	span := func(s spanSeries) []time.Duration {
		return upToLast(l.bins, func(x *loadBin) time.Duration { return x.span[s] })
	}
	count := func(c countSeries) []int64 {
		return upToLast(l.bins, func(x *loadBin) int64 { return x.count[c] })
	}
	return NodeLoad{CPUBusy: span(loadCPU), DiskBusy: span(loadDisk), Waiting: span(loadWaiting),
		TimedOut: count(loadTimedOut), Appends: count(loadAppends), Syncs: count(loadSyncs)}
}

// upToLast returns one series of bins, at(bin), up to its last non-zero
// value (nil if none).
func upToLast[T int64 | time.Duration](bins []loadBin, at func(*loadBin) T) []T {
	for b := len(bins) - 1; b >= 0; b-- {
		if at(&bins[b]) != 0 {
			out := make([]T, b+1)
			for i := range out {
				out[i] = at(&bins[i])
			}
			return out
		}
	}
	return nil
}

// restart empties node n's queues at now, when it comes back up: the work
// queued before it went down died with its process.
func (q *queues) restart(n topology.NodeID, now sim.Time) {
	for j := range q.cpus[n] {
		q.cpus[n][j] = min(q.cpus[n][j], now)
	}
	q.disks[n] = diskQueue{}
}

// cpuQueue is one node's CPUs as a FIFO queue with k servers: q[j] is
// when CPU j is next free. Jobs must be offered in arrival order.
type cpuQueue []sim.Time

// next returns the CPU a job arriving at now would take and when the job
// would start on it: FIFO puts it behind every job that arrived before it.
// That is the CPU free first (the lowest index among ties) — or, when some
// CPU is already idle at now, the first idle one: which idle CPU takes the
// job changes nothing, as every idle CPU is free at now for this job and
// for any job after it (the queue's future depends on its CPUs' free times
// only through max(free, now)), and the scan stops there.
func (q cpuQueue) next(now sim.Time) (j int, start sim.Time) {
	for i := range q {
		if q[i] <= now {
			return i, now
		}
		if q[i] < q[j] {
			j = i
		}
	}
	return j, q[j]
}

// occupy gives CPU j of node n a job of d CPU time from start: the
// caller has decided the job is served and when it starts.
func (m *Model) occupy(n topology.NodeID, j int, start sim.Time, d time.Duration) {
	m.q.cpus[n][j] = start.Add(d)
	m.q.spread(n, loadCPU, start, start.Add(d))
}

// evaluate has part pi evaluated at its node for svc (a service time
// drawn by the caller, from the node's stream as before queues) once it
// has arrived there, d from now: the replica checks the lease first
// (leaseGate), and kEvalDone follows when a CPU has served it. Without a
// CPU queue a part that needs no lease is done d + svc from now.
func (m *Model) evaluate(pi partID, d, svc time.Duration) {
	p := m.parts.at(pi)
	if len(m.q.cpus[p.node]) == 0 && !p.kind.servedByLeaseholder() {
		now := m.eng.Now()
		m.q.spread(p.node, loadCPU, now.Add(d), now.Add(d+svc))
		m.tailPart(pi, CompEval, now.Add(d), svc)
		m.sendPart(d+svc, kEvalDone, pi, 0)
		return
	}
	if d > 0 {
		p.qsvc = svc
		m.sendPart(d, kEvalArrive, pi, 0)
		return
	}
	m.admitEval(pi, svc)
}

// evalArrived runs when part pi reaches its node's CPU queue (kEvalArrive).
// A stale attempt's arrival is dropped, as is one whose message the link
// from its sender did not deliver (it never arrived: no lease check, no
// answer); the current one is admitted.
func (m *Model) evalArrived(ev *sim.Event) {
	pi, gen, _ := splitPartArg(ev.Arg)
	p := m.parts.at(pi)
	p.inFlight--
	if gen != p.gen {
		m.maybeFreePart(pi)
		return
	}
	m.closePart(pi) // the hop or wait before the queue
	if !m.fo.linkOK(p.from, p.node) {
		m.dropped(pi)
		return
	}
	m.admitEval(pi, p.qsvc)
}

// admitEval queues part pi's evaluation of svc at its node now. One that
// could not start before its request gives up (its client's deadline, or
// OverloadTimeout from now without one) is not served, as a client that
// times out cancels a request still queued: its request fails then
// (failQueued). A node that is down serves nothing: kEvalDone finds it
// so.
func (m *Model) admitEval(pi partID, svc time.Duration) {
	p := m.parts.at(pi)
	n := p.node
	now := m.eng.Now()
	m.settle(n) // the appends before it take their CPU time first
	m.closePart(pi)
	if !m.fo.up(n) {
		m.onPart(pi, CompEval)
		m.sendPart(svc, kEvalDone, pi, 0)
		return
	}
	if !m.leaseGate(pi, svc) {
		return // redirected, waiting for the lease, or failed fast
	}
	m.onPart(pi, CompEval)
	if len(m.q.cpus[n]) == 0 {
		m.q.spread(n, loadCPU, now, now.Add(svc))
		m.sendPart(svc, kEvalDone, pi, 0)
		return
	}
	j, start := m.q.cpus[n].next(now)
	if start > now && p.req != noReq {
		giveUp := now.Add(OverloadTimeout)
		if m.cfg.ClientTimeout > 0 {
			giveUp = m.reqs.at(p.req).start.Add(m.cfg.ClientTimeout)
		}
		if start > giveUp {
			m.q.count(n, loadTimedOut, now)
			m.q.spread(n, loadWaiting, now, max(now, giveUp))
			if m.tracer != nil {
				m.traceStep(pi, "cpu-queue", fmt.Sprintf("a CPU is free at %v, after the request gives up at %v", start, giveUp))
			}
			m.onPart(pi, CompCPUWait)
			m.failQueued(pi, giveUp)
			return
		}
	}
	m.occupy(n, j, start, svc)
	if start > now {
		m.onPart(pi, CompCPUWait)
		m.tailPart(pi, CompEval, start, svc)
		m.q.spread(n, loadWaiting, now, start)
		if m.tracer != nil {
			m.traceStep(pi, "cpu-queue", fmt.Sprintf("waits %v for a CPU", start.Sub(now)))
		}
	}
	m.sendPart(start.Sub(now)+svc, kEvalDone, pi, 0)
}

// failQueued fails the request of part pi, which will give up waiting for
// a CPU at giveUp. Nothing can change its fate — no CPU is free before
// then, and a request that has failed stays failed — so it is completed
// now, as finish would have completed it then (the client learns one
// client hop after giveUp), and its state is freed at once: a saturated
// node holds no request it will not serve, so memory stays bounded by
// what its CPUs serve within the timeout, however much it is offered.
// The sink therefore hears of it before its end time.
func (m *Model) failQueued(pi partID, giveUp sim.Time) {
	ri := m.parts.at(pi).req
	if s := m.reqs.at(ri); !s.done {
		m.shedPath(ri, pi, giveUp)
	}
	m.partDone(pi)
	s := m.reqs.at(ri)
	if s.done {
		return // already failed (another of its parts, its deadline)
	}
	s.ok, s.done = false, true
	if s.lockID != 0 {
		m.resolveIntents(ri)
	}
	m.countClient(ri, true)
	if s.deadline != 0 && m.eng.Cancel(s.deadline) {
		s.inFlight--
	}
	s.deadline = 0
	for pj := s.parts; pj != noPart; {
		next := m.parts.at(pj).sibNext
		// As finishAfter: a part queued for a key latch leaves the queue.
		if p := m.parts.at(pj); p.stage != stageAtReplica || p.latchWaiting {
			m.partDone(pj)
		}
		pj = next
	}
	if s.keyed && m.contSink != nil {
		m.contSink.Contended(s.tag, s.waited, s.didWait)
	}
	if m.pathSink != nil {
		m.reportPath(ri)
	}
	m.sink.Complete(s.tag, s.rng, s.start, giveUp.Add(m.clientHop(ri)), Failed)
	m.maybeFreeReq(ri)
}

// raftWorkAt charges node n's CPUs, at instant now, with appending and
// applying one Raft entry (topology raft_cpu). Nothing waits for it — CockroachDB
// acknowledges a committed command before applying it — but it holds a
// CPU, so it delays the evaluations queued behind it.
func (m *Model) raftWorkAt(n topology.NodeID, now sim.Time) {
	if m.q.raftCPU <= 0 {
		return
	}
	if len(m.q.cpus[n]) == 0 {
		m.q.spread(n, loadCPU, now, now.Add(m.q.raftCPU))
		return
	}
	j, start := m.q.cpus[n].next(now)
	m.occupy(n, j, start, m.q.raftCPU)
}

// syncAppend appends to node n's Raft log now (charging its CPUs with the
// entry's Raft processing, raftWorkAt) and returns how long until
// the append is durable: the end of a new sync if none is in flight,
// else the end of the sync queued behind the one in flight, which it
// shares with every append that arrives before that one ends. A sync's
// duration is drawn (topology fsync) from the node's stream when it is
// queued.
func (m *Model) syncAppend(n topology.NodeID) time.Duration {
	m.settle(n) // the appends before it first
	return m.syncAppendAt(n, m.eng.Now())
}

// syncAppendAt is syncAppend at instant now, which is the engine's or, for
// an append kept off the queue (pending.go), its arrival: node n's pending
// appends before it are done already.
func (m *Model) syncAppendAt(n topology.NodeID, now sim.Time) time.Duration {
	m.raftWorkAt(n, now)
	d := &m.q.disks[n]
	m.q.count(n, loadAppends, now)
	if d.next != 0 && now >= d.cur {
		d.start, d.cur, d.next = d.cur, d.next, 0 // the queued sync has started
	}
	if now == d.start && now < d.cur {
		return d.cur.Sub(now) // it starts now: this append joins it
	}
	if now >= d.cur {
		f := m.fsyncDraw(n)
		d.start, d.cur = now, now.Add(f)
		m.q.count(n, loadSyncs, now)
		m.q.spread(n, loadDisk, now, d.cur)
		return f
	}
	if d.next == 0 {
		d.next = d.cur.Add(m.fsyncDraw(n))
		m.q.count(n, loadSyncs, now)
		m.q.spread(n, loadDisk, d.cur, d.next)
	}
	return d.next.Sub(now)
}

// appendAt sends replica i of part pi's range (node n) the part's MsgApp,
// which arrives after d and is appended to n's log there (kAppendDone once
// durable).
func (m *Model) appendAt(pi partID, i int, n topology.NodeID, d time.Duration) {
	if d > 0 {
		if m.canDeferAppend(&m.ranges[m.parts.at(pi).rng], i) {
			m.deferAppend(pi, i, n, d)
			return
		}
		m.sendPart(d, kAppendArrive, pi, i)
		return
	}
	m.sendPart(m.syncAppend(n), kAppendDone, pi, i)
}

// appendArrived runs when MsgApp reaches a follower (kAppendArrive): the
// follower appends it — whether or not the attempt that sent it is still
// current, as Raft appends whatever the client does — and kAppendDone
// follows, with the same argument, once the append is durable. The event's
// reference on the part passes to kAppendDone. A node that is down
// appends nothing: kAppendDone finds it so at once.
//
// Engine economy: where a non-voter's MsgAppResp is one nothing reads
// (ackMatters: no faults, no trace) and links have no bandwidth limit,
// its durable append only sends it, so its bytes are counted now and no
// kAppendDone is scheduled — unless a traffic mark falls between now and
// the instant it would be sent, where counting now would move them across
// a read of the totals. Its sync still takes its place in the disk queue
// above.
func (m *Model) appendArrived(ev *sim.Event) {
	pi, gen, i := splitPartArg(ev.Arg)
	p := m.parts.at(pi)
	var d time.Duration
	r := &m.ranges[p.rng]
	if i < len(r.Replicas) && m.fo.up(r.Replicas[i]) {
		d = m.syncAppend(r.Replicas[i])
	}
	if now := m.eng.Now(); i >= r.NumVoters && i < len(r.Replicas) && m.links == nil &&
		!m.ackMatters(p, r, i, now.Add(d)) && !m.markBefore(now.Add(d)) {
		// As appendDone (current: to the leader p.node) or staleAck (to
		// p.repNode, the same node while the attempt is current) would.
		to := p.node
		if gen != p.gen {
			to = m.propOf(p).repNode
		}
		m.wire(MsgRaft, r.Replicas[i], to, msgAppRespBytes())
		p.inFlight--
		m.maybeFreePart(pi)
		return
	}
	m.eng.After(d, m.id, kAppendDone, ev.Arg)
}
