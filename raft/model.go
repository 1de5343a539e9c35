package raft

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// Model is the replicated cluster on one engine: tables, ranges and their
// replicas, and the in-flight requests. It is the request path's
// sim.Handler: gateways (gateway.go), reads (read.go), writes and their
// replication (write.go) and leases (lease.go). Three more components
// register handlers of their own: the closed-timestamp side transport
// (closedts.go), the replica scanners that enforce lease preferences and
// follow the workload (follow.go), and — only once a fault is scheduled —
// the failover component (failover.go, liveness.go, upreplicate.go).
//
// All per-request state lives in slabs indexed by event arguments, so
// serving a request allocates nothing once the slabs have grown.
type Model struct {
	eng     *sim.Engine
	id      sim.HandlerID
	cluster *topology.Cluster
	cfg     Config
	lead    time.Duration
	stale   time.Duration
	sink    Sink
	// staleSink is sink's StalenessSink ability, nil if it has none;
	// contSink its ContentionSink ability.
	staleSink StalenessSink
	contSink  ContentionSink
	// pathSink is sink's PathSink ability, nil if it has none: then no
	// request keeps its critical path (path.go).
	pathSink PathSink
	// path is the critical path reportPath hands the path sink.
	path Path
	// downReqs is failRequestsAtDownGateways' scratch list.
	downReqs []reqID
	seed     uint64
	tables   []Table
	ranges   []Range
	shapes   shapes // the ranges' shared replica placements
	// leaseAcquireTimeout bounds how long a request waits at a replica
	// for a lease (RangeLeaseAcquireTimeout).
	leaseAcquireTimeout time.Duration

	// Random streams of the request path, one per node and concern (see
	// New), so a component that draws more or less (the failover
	// component, the allocator) never shifts a request's draws.
	// The request path draws from the sources themselves (*rand.PCG, whose
	// calls the compiler can inline), and through a *rand.Rand over the
	// same state where it needs its other methods (netRand's Float64).
	netSrc     []*rand.PCG  // delays (round-trip keys) of messages a node sends
	netRand    []*rand.Rand // netSrc[i]'s stream, for Float64
	nodeSrc    []*rand.PCG  // service and fsync times at a node
	clientRand []*rand.Rand // client <-> gateway round-trip keys, by gateway
	// pairSrc draws a round trip's RTT from its key (pairHalf).
	pairSrc *rand.PCG

	// leases is the lease log; leaseCount[n] the leases node n holds.
	leases     []LeaseEvent
	leaseCount []int

	closed *sideTransport
	scan   *scanners
	// traffic counts the bytes of every message sent (traffic.go); links
	// queues messages on bandwidth-limited links, nil without any.
	traffic wireCounts
	links   *links
	// marks are the instants the traffic totals are read (SetTrafficMarks).
	marks trafficMarks
	// q is every node's CPU and disk queue (queues.go).
	q *queues
	// pend are the non-voters' appends kept off the engine's queue until
	// their node is next used (pending.go).
	pend pendingAppends
	// fo is the failover component, nil in a run without faults: every
	// failure check of the request path is behind fo != nil.
	fo *failover
	ds distSender

	// isLive is m.live as a func value, made once (allocator calls).
	isLive func(topology.NodeID) bool

	// Hooks for tests and traces; nil in runs.
	onServe  func(r *Range, n topology.NodeID) // a leaseholder serves range r at n
	onCommit func(r *Range, p *partState)      // a write commits
	// checkIndexes makes pendingProposals check its index against a scan
	// of every part (CheckInvariants).
	checkIndexes bool
	tracer       func(TraceEvent)

	// latches are the key latches of keyed requests (latch.go).
	latches latchTable
	// lockSeq numbers keyed transactions (reqState.lockID).
	lockSeq uint32

	reqs      slab[reqID, reqState]
	freeReqs  idStack[reqID]
	parts     slab[partID, partState]
	freeParts idStack[partID]
	// comps holds the path components of requests that have them
	// (reqPath.comps), waits the path components no attempt wastes of
	// parts that have them (partPath.waits), props the proposal state of
	// parts that proposed (partState.prop): side slabs, taken and put.
	comps slab[int32, [NumComponents]time.Duration]
	waits slab[int32, [numWaitComps]time.Duration]
	props slab[int32, propState]
}

// Event kinds of the request path's handler (Model.Handle). The comment
// names each kind's argument (see ids.go for the encodings).
const (
	kGatewayArrive  sim.Kind = iota // reqID: the request reached its gateway
	kPartArrive                     // partArg: a follower read reached its replica
	kEvalDone                       // partArg: a part was evaluated at its replica
	kLocalAppended                  // partArg: the leader's own append is durable
	kAppendDone                     // partArg(replica): a follower received and fsynced MsgApp
	kAck                            // partArg(replica): MsgAppResp reached the leader
	kPartReply                      // partArg: a part's reply reached the gateway
	kCommitWaitDone                 // reqID: a GLOBAL write's commit wait is over
	kClientReply                    // reqID: the reply reached the client
	kRPCError                       // partArg: the gateway learns an RPC failed
	kRetry                          // partArg: DistSender retries a part
	kDeadline                       // reqID: the request's deadline
	kLeaseWaitOver                  // partArg: a part waited RangeLeaseAcquireTimeout for a lease
	kLatchArrive                    // partArg: a keyed part reached its replica, before its latches
	kIntentResolved                 // intentArg: a transaction's intent on a key was resolved
	kEvalArrive                     // partArg: a part reached its node's CPU queue (queues.go)
	kAppendArrive                   // partArg(replica): MsgApp reached a follower, which appends it (queues.go)
)

// New returns a model of cluster c on engine e. Completed requests are
// reported to sink.
//
// Random draws come from streams derived from seed (sim.NewRand) by name
// and node, one per concern: "raft/net" i (one-way delays of messages node i
// sends), "raft/node" i (service and fsync times at node i), "raft/client"
// i (client hops at gateway i, for a request without its own hop seed,
// Request.HopSeed), "raft/sidetransport" (publication phases),
// "raft/sidetransport/delay" (the key of the side transport's per-update
// delay draws, closedts.go),
// "raft/scanner" and "raft/allocator" (replica scanners), and
// "raft/failover" (the failover component, once a fault is added). Two runs
// with the same seed therefore draw the same request-path values until
// their events differ: a fault scheduled later changes nothing before it.
func New(e *sim.Engine, c *topology.Cluster, cfg Config, seed uint64, sink Sink) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := len(c.Nodes)
	if n > maxNodes {
		return nil, fmt.Errorf("raft: %d nodes: the model supports at most %d", n, maxNodes)
	}
	for i, name := range cfg.LivenessNodes {
		if _, ok := c.NodeByName(name); !ok {
			return nil, fmt.Errorf("cockroach.liveness_nodes[%d]: unknown node %q (want one of n1…n%d)", i, name, n)
		}
		if slices.Contains(cfg.LivenessNodes[:i], name) {
			return nil, fmt.Errorf("cockroach.liveness_nodes[%d]: %q is listed twice", i, name)
		}
	}
	m := &Model{
		eng: e, cluster: c, cfg: cfg, sink: sink, seed: seed,
		lead:       cfg.GlobalReadsLead(),
		stale:      cfg.FollowerReadStaleness(),
		leaseCount: make([]int, n),
		netSrc:     make([]*rand.PCG, n),
		netRand:    make([]*rand.Rand, n),
		nodeSrc:    make([]*rand.PCG, n),
		clientRand: make([]*rand.Rand, n),
	}
	m.staleSink, _ = sink.(StalenessSink)
	m.contSink, _ = sink.(ContentionSink)
	m.pathSink, _ = sink.(PathSink)
	// pkg/base/config.go RaftConfig.RangeLeaseAcquireTimeout: two election
	// timeouts, enough to elect a leader and re-propose.
	m.leaseAcquireTimeout = 2 * raftTimersFor(cfg.Version).electionTimeout()
	m.pairSrc = rand.NewPCG(0, 0)
	for i := range n {
		m.netSrc[i] = sim.NewSource(seed, sim.StreamID("raft/net", i))
		m.netRand[i] = rand.New(m.netSrc[i])
		m.nodeSrc[i] = sim.NewSource(seed, sim.StreamID("raft/node", i))
		m.clientRand[i] = sim.NewRand(seed, sim.StreamID("raft/client", i))
	}
	m.isLive = m.live
	m.traffic = newWireCounts(len(c.Zones))
	if c.HasBandwidth() {
		m.links = &links{free: make([]sim.Time, len(c.Regions)*len(c.Regions))}
	}
	m.q = newQueues(c)
	m.pend.init(n)
	m.id = e.Register(m)
	m.closed = newSideTransport(m, seed)
	m.scan = newScanners(m, seed)
	return m, nil
}

// Config returns the model's settings.
func (m *Model) Config() Config { return m.cfg }

// Tables returns the tables added so far, indexed by TableID.
func (m *Model) Tables() []Table { return m.tables }

// Ranges returns every range, indexed by RangeID.
func (m *Model) Ranges() []Range { return m.ranges }

// AddTable adds a table with its range layouts and returns its id.
func (m *Model) AddTable(d TableDef) (TableID, error) {
	if len(d.Layouts) == 0 {
		return 0, fmt.Errorf("raft: table %q: no ranges", d.Name)
	}
	id := TableID(len(m.tables))
	t := Table{
		Name: d.Name, Locality: d.Locality,
		UniqueChecks: d.UniqueChecks, LOS: d.LocalityOptimizedSearch,
		TxnRanges: d.TxnRanges, added: m.eng.Now(),
	}
	if t.TxnRanges <= 0 {
		t.TxnRanges = 3
	}
	if d.RangeBytes <= 0 {
		d.RangeBytes = DefaultRangeBytes
	}
	rows := max(d.Rows, len(d.Layouts))
	if d.Locality == placement.LocalityRegionalByRow {
		t.Partitions = make([][]RangeID, len(m.cluster.Regions))
	}
	// Grow the lists once for the table, not range by range (a Range is
	// a few hundred bytes; 100,000 of them doubled their way up cost more
	// than the run).
	m.ranges = slices.Grow(m.ranges, len(d.Layouts))
	m.leases = slices.Grow(m.leases, len(d.Layouts))
	t.Ranges = make([]RangeID, 0, len(d.Layouts))
	for i, l := range d.Layouts {
		if len(l.Voters) == 0 {
			return 0, fmt.Errorf("raft: table %q range %d: no voters", d.Name, i)
		}
		if len(l.Voters)+len(l.NonVoters) > 32 {
			return 0, fmt.Errorf("raft: table %q range %d: %d replicas, at most 32", d.Name, i, len(l.Voters)+len(l.NonVoters))
		}
		if !l.IsVoter(l.Leaseholder) {
			return 0, fmt.Errorf("raft: table %q range %d: leaseholder %v is not a voter", d.Name, i, l.Leaseholder)
		}
		r := Range{rangeLayout: rangeLayout{
			ID: RangeID(len(m.ranges)), Table: id, Partition: -1,
			rangeShape: m.shapes.shapeOf(&l.Layout, &l.Spec),
			keys:       max(1, rows/len(d.Layouts)), bytes: d.RangeBytes,
		}}
		r.initLease(l.Leaseholder)
		r.leader = l.Leaseholder
		m.leaseCount[r.Leaseholder]++
		m.leases = append(m.leases, LeaseEvent{At: m.eng.Now(), Range: r.ID, From: -1, To: r.Leaseholder, Reason: "initial"})
		if r.GlobalReads {
			t.GlobalReads = true
		}
		if t.Partitions != nil {
			reg := m.cluster.RegionIndex(l.Partition)
			if reg < 0 {
				return 0, fmt.Errorf("raft: table %q range %d: unknown partition region %q", d.Name, i, l.Partition)
			}
			r.Partition = int32(reg)
			r.pos = int32(len(t.Partitions[reg]))
			t.Partitions[reg] = append(t.Partitions[reg], r.ID)
		} else {
			r.pos = int32(len(t.Ranges))
		}
		t.Ranges = append(t.Ranges, r.ID)
		m.ranges = append(m.ranges, r)
	}
	m.tables = append(m.tables, t)
	m.scan.rangesChanged()
	return id, nil
}

// ReserveRanges makes room for n more ranges, so that tables adding n
// ranges in all grow the model's range list once rather than table by
// table.
func (m *Model) ReserveRanges(n int) {
	m.ranges = slices.Grow(m.ranges, n)
	m.leases = slices.Grow(m.leases, n)
}

// IsUp reports whether node n is running at the current simulated time.
func (m *Model) IsUp(n topology.NodeID) bool { return m.fo.up(n) }

// live reports whether node n is up with unexpired liveness.
func (m *Model) live(n topology.NodeID) bool { return m.fo.isLive(n) }

// Handle dispatches the request path's events.
func (m *Model) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kGatewayArrive:
		ri := m.reqEvent(ev)
		if m.reqs.at(ri).done {
			// Its gateway crashed while it was on its way.
			m.maybeFreeReq(ri)
			return
		}
		m.stepReq(ri, CompGateway)
		if !m.fo.up(m.reqs.at(ri).gateway) {
			m.reqs.at(ri).ok = false // the client's connection broke
			m.finish(ri)
			return
		}
		// The request is held while its parts start: one may end it at
		// once (finishAfter frees a request as soon as nothing refers to it).
		m.reqs.at(ri).inFlight++
		m.atGateway(ri)
		m.reqs.at(ri).inFlight--
		m.maybeFreeReq(ri)
	case kPartArrive, kEvalDone, kLatchArrive:
		pi, _, ok := m.partEvent(ev)
		if !ok {
			return
		}
		m.closePart(pi)
		if p := m.parts.at(pi); !m.fo.linkOK(p.from, p.node) {
			if p.kind == partLease {
				// The leaseholder went down while it evaluated its lease
				// transfer: the transfer died with it.
				m.rejectProposal(pi, "its leaseholder went down")
				return
			}
			m.dropped(pi)
			return
		}
		switch ev.Kind {
		case kPartArrive:
			m.partArrive(pi)
		case kLatchArrive:
			m.latchArrive(pi)
		default:
			m.evalDone(pi)
		}
	case kLocalAppended:
		if pi, _, ok := m.partEvent(ev); ok {
			m.localAppended(pi)
		}
	case kAppendDone:
		if pi, i, ok := m.partEvent(ev); ok {
			m.appendDone(pi, i)
		}
	case kAck:
		if pi, i, ok := m.partEvent(ev); ok {
			m.ackReceived(pi, i)
		}
	case kPartReply:
		pi, _, ok := m.partEvent(ev)
		if !ok {
			return
		}
		m.closePart(pi)
		if p := m.parts.at(pi); !m.fo.linkOK(p.node, m.reqs.at(p.req).gateway) {
			m.dropped(pi)
			return
		}
		m.partReply(pi)
	case kCommitWaitDone:
		ri := m.reqEvent(ev)
		if m.reqs.at(ri).done { // failed by its deadline meanwhile
			m.maybeFreeReq(ri)
			return
		}
		m.stepReq(ri, CompClient)
		m.finish(ri)
	case kClientReply:
		ri := m.reqEvent(ev)
		m.clientReplied(ri, m.eng.Now())
		m.maybeFreeReq(ri)
	case kRPCError:
		if pi, _, ok := m.partEvent(ev); ok {
			m.closePart(pi)
			m.rpcFailed(pi)
		}
	case kRetry:
		if pi, _, ok := m.partEvent(ev); ok {
			m.closePart(pi)
			m.retryPart(pi)
		}
	case kDeadline:
		m.deadline(m.reqEvent(ev))
	case kLeaseWaitOver:
		if pi, _, ok := m.partEvent(ev); ok {
			m.closePart(pi)
			m.leaseWaitOver(pi)
		}
	case kIntentResolved:
		m.intentResolved(ev.Arg)
	case kEvalArrive:
		m.evalArrived(ev)
	case kAppendArrive:
		m.appendArrived(ev)
	default:
		panic(fmt.Sprintf("raft: unknown event kind %d", ev.Kind))
	}
}

// clientReplied reports request ri, whose reply reaches its client at end
// (now, or later for a reply not scheduled as an event: finishAfter), to
// the sinks.
func (m *Model) clientReplied(ri reqID, end sim.Time) {
	s := m.reqs.at(ri)
	o := OK
	switch {
	case s.ambiguous:
		o = Ambiguous
	case !s.ok:
		o = Failed
	}
	if o == OK && m.staleSink != nil && (s.op == OpStaleRead || s.op == OpBoundedRead) {
		m.staleSink.Served(s.tag, s.stmt, s.readTS)
	}
	if s.keyed && m.contSink != nil {
		m.contSink.Contended(s.tag, s.waited, s.didWait)
	}
	if m.pathSink != nil {
		m.stepReqAt(ri, CompClient, end)
		m.reportPath(ri)
	}
	m.sink.Complete(s.tag, s.rng, s.start, end, o)
}

// Draws of the request path, each from its node's stream.

// oneWay draws the delay of a message from node from to node to that no
// reply answers over the same link (a closed-timestamp update, a lease
// transfer's notice): half a sampled RTT.
func (m *Model) oneWay(from, to topology.NodeID) time.Duration {
	return m.cluster.OneWay(m.netSrc[from], from, to)
}

// Round trips. A request and its reply, or MsgApp and its acknowledgement,
// cross a link once each way. Each direction takes half of one RTT drawn
// for the pair — the link's measured RTT law — rather than half of two
// independent draws, whose sum would have a thinner tail than the link's
// (a link with p50 100 ms and p99 150 ms would give round trips with a p99
// of about 134 ms). A pair is keyed by a number drawn from the sender's
// stream when the first message leaves; the answer takes the same half:
// the request keeps it (the client's and a part's gateway round trips,
// clientHalf and hopHalf), or a replica's answer recomputes it from the
// key.
const (
	pairClient  uint64 = 1  // client <-> gateway
	pairGateway uint64 = 2  // gateway <-> replica
	pairReplica uint64 = 16 // + replica index: leader <-> replica
)

// pairHalf returns half the RTT of the round trip keyed (key, kind) that
// node initiator starts to node responder: the same for the request and
// for its reply (both are one draw). The RTT is that of the link from
// initiator to responder: an RTT matrix's from→to entry is a round trip
// measured from the from side (a ping, a TCP handshake), so on an
// asymmetric matrix the one who starts the exchange picks the row.
func (m *Model) pairHalf(key, kind uint64, initiator, responder topology.NodeID) time.Duration {
	m.pairSrc.Seed(key, kind)
	return m.cluster.OneWay(m.pairSrc, initiator, responder)
}

// hopOut starts a new gateway<->replica round trip for part pi, from node
// from (its gateway, p.from) to node to (p.node), and returns the outbound
// delay. The round trip's key is drawn from the sender's stream and its
// half kept for the answer (hopBack), which pairHalf would compute again
// from the key.
func (m *Model) hopOut(pi partID, from, to topology.NodeID) time.Duration {
	p := m.parts.at(pi)
	p.hopHalf = m.pairHalf(m.netSrc[from].Uint64(), pairGateway, from, to)
	return p.hopHalf + m.wire(MsgBatch, from, to, m.batchRequestBytes(pi))
}

// hopBack returns the delay of the answer of b bytes to part pi's current
// gateway<->replica round trip: from node from, where hopOut sent it, to
// node to, its gateway.
func (m *Model) hopBack(pi partID, from, to topology.NodeID, b int64) time.Duration {
	return m.parts.at(pi).hopHalf + m.wire(MsgBatch, from, to, b)
}

// clientHop is the one-way delay between request ri's client and its
// gateway, the same both ways (clientHalfOf, drawn when it was submitted).
func (m *Model) clientHop(ri reqID) time.Duration { return m.reqs.at(ri).clientHalf }

// clientHalfOf is the one-way delay, keyed by key, between a client in
// node client's zone (its gateway's when client < 0) and its gateway:
// half an intra-zone round trip when the client sits in the gateway's
// zone (as it does unless Request.Client places it), else half a round
// trip of the link between the client's zone and the gateway's (between
// zones of a region, or between regions).
func (m *Model) clientHalfOf(key uint64, client, gateway topology.NodeID) time.Duration {
	m.pairSrc.Seed(key, pairClient)
	if client < 0 || m.cluster.Nodes[client].Zone == m.cluster.Nodes[gateway].Zone {
		return m.cluster.Latency.OneWayIntraZone(m.pairSrc)
	}
	return m.cluster.OneWay(m.pairSrc, client, gateway) // another zone: their link
}

// service draws an evaluation time at node n: the CPU time it needs
// (queues.go queues it).
func (m *Model) service(n topology.NodeID) time.Duration {
	m.settle(n) // the appends before it draw first
	return m.cluster.SampleService(m.nodeSrc[n])
}

// fsync draws the duration of one sync of node n's Raft log (queues.go
// shares it among the appends it covers).
func (m *Model) fsync(n topology.NodeID) time.Duration {
	m.settle(n) // the appends before it draw first
	return m.fsyncDraw(n)
}

// fsyncDraw is fsync without settling node n's pending appends: theirs.
func (m *Model) fsyncDraw(n topology.NodeID) time.Duration {
	return m.cluster.SampleFsync(m.nodeSrc[n])
}

// send schedules a request event after d.
func (m *Model) send(d time.Duration, kind sim.Kind, ri reqID) {
	m.reqs.at(ri).inFlight++
	m.eng.After(d, m.id, kind, int64(ri))
}

// reqEvent decodes a request event and releases its reference.
func (m *Model) reqEvent(ev *sim.Event) reqID {
	ri := reqID(ev.Arg)
	m.reqs.at(ri).inFlight--
	if m.tracer != nil {
		m.traceReq(ev.Kind, ri)
	}
	return ri
}

// sendPart schedules a part event after d, tagged with the part's current
// attempt so that messages of an abandoned attempt (after a retry) are
// recognised and discarded; i is a replica index where the event has one.
func (m *Model) sendPart(d time.Duration, kind sim.Kind, pi partID, i int) {
	p := m.parts.at(pi)
	p.inFlight++
	m.eng.After(d, m.id, kind, partArg(pi, p.gen, i))
}

// partEvent decodes a part event: the part, the replica index, and whether
// the event belongs to the part's current attempt. It releases the event's
// reference on the part; a stale event frees the part if it was the last.
func (m *Model) partEvent(ev *sim.Event) (pi partID, i int, current bool) {
	pi, gen, i := splitPartArg(ev.Arg)
	p := m.parts.at(pi)
	p.inFlight--
	current = gen == p.gen
	if m.tracer != nil {
		m.tracePart(ev.Kind, pi, gen, i)
	}
	if current && stageOf(ev.Kind) != p.stage {
		panic(fmt.Sprintf("raft: part %d: event kind %d in stage %d", pi, ev.Kind, p.stage))
	}
	if !current {
		if ev.Kind == kAppendDone || ev.Kind == kLocalAppended {
			m.staleAppend(pi, gen, i, ev.Kind)
		}
		m.maybeFreePart(pi)
	}
	return pi, i, current
}

// stageOf returns the stage a part must be in for a current event of kind
// to reach it: the invariant that makes an orphan event impossible.
func stageOf(kind sim.Kind) partStage {
	switch kind {
	case kRPCError:
		return stageRPCError
	case kRetry:
		return stageRetry
	case kLeaseWaitOver:
		return stageParked
	}
	return stageAtReplica
}

func (m *Model) newReq() reqID {
	if ri, ok := m.freeReqs.pop(); ok {
		m.releaseReqComps(&m.reqs.at(ri).path) // if reportPath did not
		return ri
	}
	return m.reqs.add()
}

// newPart returns a fresh part slot. Its generation carries on from the
// slot's previous use, so no event of that use can ever match it.
func (m *Model) newPart() partID {
	pi, ok := m.freeParts.pop()
	if !ok {
		pi = m.parts.add()
	}
	p := m.parts.at(pi)
	m.releasePartComps(&p.path)
	m.releaseProp(p)
	*p = partState{gen: p.gen, req: noReq, rng: noRange, next: noPart, prev: noPart,
		parkedOn: noRange, sibNext: noPart, sibPrev: noPart}
	return pi
}

// maybeFreePart recycles a part once it is done and no event refers to it
// any more (late acks of a committed write).
func (m *Model) maybeFreePart(pi partID) {
	p := m.parts.at(pi)
	if p.stage == stageDone && p.inFlight == 0 {
		if p.parkedOn != noRange {
			panic(fmt.Sprintf("raft: freeing parked part %d", pi))
		}
		p.stage = stageFree
		p.req, p.rng = noReq, noRange // a free slot: scans over parts skip it
		// No event refers to it any more: its side slabs' entries go
		// back now, not when the slot is reused, or the queue of a
		// saturated run, draining at its end, would take one for every
		// part it held.
		m.releasePartComps(&p.path)
		m.releaseProp(p)
		m.freeParts.push(pi)
	}
}

// maybeFreeReq recycles a request once it is done, has no part left and
// no event refers to it.
func (m *Model) maybeFreeReq(ri reqID) {
	s := m.reqs.at(ri)
	if s.done && !s.freed && s.pending == 0 && s.inFlight == 0 {
		s.freed = true // a second call must not free it twice
		m.freeReqs.push(ri)
	}
}

func mod(a, n int) int {
	a %= n
	if a < 0 {
		a += n
	}
	return a
}

// indexOf returns the position of range v in s, its table's range list
// (t.Ranges) or its partition's (t.Partitions[v's partition]): O(1).
func (m *Model) indexOf(s []RangeID, v RangeID) int {
	if i := int(m.ranges[v].pos); i < len(s) && s[i] == v {
		return i
	}
	panic("raft: range not in its table")
}
