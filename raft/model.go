package raft

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/regionsim/regionsim/raft/allocator"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// Sink receives every finished request exactly once: the tag given to
// Submit, the simulated instants the client sent the request and saw the
// reply, and whether it succeeded.
type Sink interface {
	Complete(tag int64, start, end sim.Time, ok bool)
}

// TableID names a table added to a Model.
type TableID int32

// TableDef describes a table to add to a Model.
type TableDef struct {
	Name     string
	Locality placement.Locality
	// Layouts holds one entry per range, as placement.PlaceTable returns
	// them; for REGIONAL BY ROW tables each names its partition region.
	Layouts []placement.RangeLayout
	// Rows is the number of rows (keys) in the table, spread evenly over
	// its ranges; GLOBAL reads wait on future writes to the same key.
	Rows int
	// UniqueChecks makes REGIONAL BY ROW inserts check every other region's
	// partition first (reference §7; false when the key is exempt).
	UniqueChecks bool
	// LocalityOptimizedSearch makes REGIONAL BY ROW reads look the row up
	// without its region: local partition first, then every remote
	// partition in parallel (reference §7, §10 rule 8). When false, reads
	// go straight to the row's partition.
	LocalityOptimizedSearch bool
	// TxnRanges is how many ranges one OpTxn writes (default 3).
	TxnRanges int
}

// Table is a table of a Model.
type Table struct {
	Name        string
	Locality    placement.Locality
	GlobalReads bool
	Ranges      []int32 // range ids, in layout order
	// Partitions[r] lists the range ids of the partition homed in cluster
	// region r (REGIONAL BY ROW only; nil elsewhere).
	Partitions   [][]int32
	UniqueChecks bool
	LOS          bool
	TxnRanges    int
}

// Range is one range of a table: its replicas and leaseholder.
type Range struct {
	ID        int32
	Table     TableID
	Partition int // cluster region of an RBR partition, else -1
	Layout    placement.Layout
	// Replicas lists voters first, then non-voters.
	Replicas  []topology.NodeID
	NumVoters int
	// Quorum is the number of durable voter appends, the leader's own
	// included, that commit a write: NumVoters/2 + 1.
	Quorum      int
	Leaseholder topology.NodeID
	GlobalReads bool
	keys        int
	// leaseStart is when Leaseholder may start serving: a transfer's target
	// serves once it has applied the transfer command.
	leaseStart sim.Time
	// transferring is set while a lease transfer is being replicated;
	// requests reaching the old leaseholder wait in parked (a list through
	// partState.next) and are redirected when it commits.
	transferring   bool
	transferTo     topology.NodeID
	transferReason string
	parked         int32
	// cache[g] is the leaseholder gateway g believes in (DistSender's range
	// cache); a NotLeaseHolderError corrects it.
	cache []topology.NodeID
	// stats counts requests by gateway zone at the leaseholder, for
	// follow-the-workload (reset when the lease moves).
	stats *allocator.ReplicaStats
	// Failure state: the Raft leader (-1 while there is none), a pending
	// election (its winner and when it completes), when the leader took
	// over, and lease acquisition.
	leader       topology.NodeID
	candidate    topology.NodeID
	electionAt   sim.Time
	leaderAt     sim.Time
	trigger      sim.Time // when a request first needed the lost lease
	expiredAt    sim.Time // when the old holder's liveness had expired
	acquiring    bool
	waitingLease bool
	failedOver   bool // the current outage ended with a new leaseholder
	// readyAt[i] is when replica i, a replacement, has caught up by
	// snapshot and acknowledges appends (nil: no replacement yet).
	readyAt []sim.Time
	// spec is the zone-config view the range was placed from.
	spec placement.Spec
	// lastWrite[k] is the timestamp of the latest committed write to key k
	// (GLOBAL ranges only), for uncertainty waits.
	lastWrite []sim.Time
}

// Request is one client request.
type Request struct {
	Op    Op
	Table TableID
	// Gateway is the SQL node the client talks to, in the client's region.
	Gateway topology.NodeID
	// Region is the cluster region where the row is homed (REGIONAL BY ROW
	// only; ignored elsewhere, and by inserts, whose rows are homed in the
	// gateway's region).
	Region int
	// Range is the index of the range within the table, or within the
	// row's partition for REGIONAL BY ROW tables (taken modulo their size).
	Range int
	// Key is the row's key within its range (taken modulo the range's keys).
	Key int
}

// Event kinds of the model's handler.
const (
	kGatewayArrive  sim.Kind = iota // Arg: request
	kPartArrive                     // Arg: part, at part.node (follower reads only)
	kEvalDone                       // Arg: part
	kLocalAppended                  // Arg: part
	kAppendDone                     // Arg: Pack(part, replica index): MsgApp received and fsynced
	kAck                            // Arg: Pack(part, replica index)
	kPartReply                      // Arg: part, at the gateway
	kCommitWaitDone                 // Arg: request
	kClientReply                    // Arg: request
	kSideTransport                  // Arg: tick<<24 | from<<12 | to
	kSideTick                       // Arg: node
)

// partKind is what a part does at its target replica.
type partKind uint8

const (
	partRead       partKind = iota // consistent read at the leaseholder
	partWrite                      // replicated write at the leaseholder
	partStaleRead                  // exact-staleness read at a replica
	partBounded                    // bounded-staleness read at a replica
	partGlobalRead                 // present-time read of a GLOBAL range at a replica
	partCheck                      // uniqueness check / LOS probe at the leaseholder
	partLease                      // a lease transfer proposed by the leaseholder
)

// servedByLeaseholder reports whether parts of kind k need a valid lease.
func (k partKind) servedByLeaseholder() bool {
	return k == partRead || k == partWrite || k == partCheck
}

// Request phases at the gateway.
const (
	phaseMain uint8 = iota
	phaseLOSLocal
	phaseLOSRemote
	phaseChecks
)

type reqState struct {
	tag      int64
	start    sim.Time
	commitTS sim.Time // GLOBAL writes: commit-wait until the gateway clock passes it
	op       Op
	phase    uint8
	done     bool // the client reply has been scheduled
	ok       bool
	table    TableID
	gateway  topology.NodeID
	rng      int32 // the row's range
	key      int32
	region   int16       // the row's region (RBR)
	pending  int16       // parts sent and not yet replied to the gateway
	inFlight int16       // events that still reference this request
	deadline sim.TimerID // the circuit breaker's deadline (failures only)
}

type partState struct {
	req       int32
	rng       int32
	node      topology.NodeID // where the part is being served
	from      topology.NodeID // who sent it there (its gateway, or the leaseholder itself)
	tried     uint32          // replicas tried in this DistSender round (failures)
	acked     uint32          // replicas that acknowledged the append
	attempt   uint8
	lost      bool  // an RPC error is on its way to the gateway
	local     bool  // the leader's own append is durable
	gen       int32 // attempt number: bumped whenever the part is re-sent
	appending bool  // a write whose MsgApps are out
	kind      partKind
	// next and prev link the parts parked on range parkedOn (-1: none).
	next, prev int32
	parkedOn   int32
	hit        bool // the part found the row (LOS probes)
	replied    bool // its reply reached the gateway
	acks       int8 // durable voter appends, the leader's included
	commit     bool
	readTS     sim.Time
	writeTS    sim.Time
	inFlight   int16 // events that still reference this part
}

// Model is the replicated cluster on one engine: tables, ranges and their
// replicas, and the in-flight requests. It is a single sim.Handler; all
// per-request state lives in slabs indexed by event arguments, so serving a
// request allocates nothing once the slabs have grown.
type Model struct {
	eng     *sim.Engine
	id      sim.HandlerID
	cluster *topology.Cluster
	cfg     Config
	lead    time.Duration
	stale   time.Duration
	rng     *rand.Rand
	sink    Sink
	tables  []Table
	ranges  []Range

	// leases is the lease log; leaseCount[n] the leases node n holds.
	leases     []LeaseEvent
	leaseCount []int
	follow     followState
	allocRand  *rand.Rand
	seed       uint64
	// faulty is set once a fault is scheduled: only then do messages
	// check node and link health.
	faulty       bool
	fail         failState
	replacements []Replacement
	isLive       func(topology.NodeID) bool
	// onServe, if set (tests), is called whenever a leaseholder serves a
	// request of range r at node n.
	onServe func(r *Range, n topology.NodeID)
	// onCommit, if set (tests), is called whenever a write commits.
	onCommit func(r *Range, p *partState)

	reqs      []reqState
	freeReqs  []int32
	parts     []partState
	freeParts []int32

	// closedPub[to*n+from] is the publication time of the latest closed
	// timestamp update node to has received from node from (side
	// transport, reference §4).
	closedPub []sim.Time
	// sidePhase[n] is when node n first publishes; it then publishes every
	// side_transport_interval, and messages carry the tick number.
	sidePhase []sim.Time
	sideTicks []int64
}

// New returns a model of cluster c on engine e. Random draws (network,
// service, fsync) come from the stream NewRand(seed, StreamID("raft", 0)).
// Completed requests are reported to sink.
func New(e *sim.Engine, c *topology.Cluster, cfg Config, seed uint64, sink Sink) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{
		eng: e, cluster: c, cfg: cfg, sink: sink,
		lead:  cfg.GlobalReadsLead(),
		stale: cfg.FollowerReadStaleness(),
		rng:   sim.NewRand(seed, sim.StreamID("raft", 0)),
	}
	m.id = e.Register(m)
	n := len(c.Nodes)
	m.closedPub = make([]sim.Time, n*n)
	m.leaseCount = make([]int, n)
	// Each node publishes closed timestamps every side_transport_interval,
	// at a phase of its own.
	if n > 1<<12 {
		return nil, fmt.Errorf("raft: %d nodes: the model supports at most %d", n, 1<<12)
	}
	m.seed = seed
	m.isLive = func(topology.NodeID) bool { return true }
	m.allocRand = sim.NewRand(seed, sim.StreamID("raft/allocator", 0))
	m.initFollow(seed)
	phases := sim.NewRand(seed, sim.StreamID("raft/sidetransport", 0))
	m.sidePhase = make([]sim.Time, n)
	m.sideTicks = make([]int64, n)
	for i := range c.Nodes {
		m.sidePhase[i] = e.Now().Add(time.Duration(phases.Int64N(int64(cfg.SideTransportInterval))))
		e.Schedule(m.sidePhase[i], m.id, kSideTick, int64(i))
	}
	return m, nil
}

// Config returns the model's settings.
func (m *Model) Config() Config { return m.cfg }

// Tables returns the tables added so far, indexed by TableID.
func (m *Model) Tables() []Table { return m.tables }

// Ranges returns every range, indexed by range id.
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
		TxnRanges: d.TxnRanges,
	}
	if t.TxnRanges <= 0 {
		t.TxnRanges = 3
	}
	rows := max(d.Rows, len(d.Layouts))
	if d.Locality == placement.LocalityRegionalByRow {
		t.Partitions = make([][]int32, len(m.cluster.Regions))
	}
	for i, l := range d.Layouts {
		if len(l.Voters) == 0 {
			return 0, fmt.Errorf("raft: table %q range %d: no voters", d.Name, i)
		}
		r := Range{
			ID: int32(len(m.ranges)), Table: id, Partition: -1, Layout: l.Layout, spec: l.Spec,
			NumVoters: len(l.Voters), Quorum: len(l.Voters)/2 + 1,
			Leaseholder: l.Leaseholder, GlobalReads: l.GlobalReads,
			keys: max(1, rows/len(d.Layouts)),
		}
		// The range owns copies of the layout's lists: up-replication
		// edits them.
		r.Layout.Voters = slices.Clone(l.Voters)
		r.Layout.NonVoters = slices.Clone(l.NonVoters)
		r.Replicas = append(append(r.Replicas, l.Voters...), l.NonVoters...)
		if !l.IsVoter(l.Leaseholder) {
			return 0, fmt.Errorf("raft: table %q range %d: leaseholder %v is not a voter", d.Name, i, l.Leaseholder)
		}
		r.parked = -1
		r.leader = r.Leaseholder
		r.stats = allocator.NewReplicaStats(len(m.cluster.Zones), m.eng.Now(), m.cfg.Allocator)
		r.cache = make([]topology.NodeID, len(m.cluster.Nodes))
		for g := range r.cache {
			r.cache[g] = r.Leaseholder
		}
		m.leaseCount[r.Leaseholder]++
		m.leases = append(m.leases, LeaseEvent{At: m.eng.Now(), Range: r.ID, From: -1, To: r.Leaseholder, Reason: "initial"})
		if r.GlobalReads {
			t.GlobalReads = true
			r.lastWrite = make([]sim.Time, r.keys)
			for k := range r.lastWrite {
				r.lastWrite[k] = -1
			}
		}
		if t.Partitions != nil {
			reg := m.cluster.RegionIndex(l.Partition)
			if reg < 0 {
				return 0, fmt.Errorf("raft: table %q range %d: unknown partition region %q", d.Name, i, l.Partition)
			}
			r.Partition = reg
			t.Partitions[reg] = append(t.Partitions[reg], r.ID)
		}
		t.Ranges = append(t.Ranges, r.ID)
		m.ranges = append(m.ranges, r)
	}
	m.tables = append(m.tables, t)
	return id, nil
}

// Submit sends a request from a client next to req.Gateway at the current
// simulated time; the sink hears of it once, with tag, when the client sees
// the reply.
func (m *Model) Submit(req Request, tag int64) {
	t := &m.tables[req.Table]
	ri := m.newReq()
	s := &m.reqs[ri]
	*s = reqState{
		tag: tag, start: m.eng.Now(), op: req.Op, table: req.Table,
		gateway: req.Gateway, region: -1, ok: true,
	}
	ranges := t.Ranges
	if t.Partitions != nil {
		region := req.Region
		if req.Op == OpInsert || region < 0 || region >= len(t.Partitions) || len(t.Partitions[region]) == 0 {
			region = m.homeRegion(t, m.cluster.Nodes[req.Gateway].Region)
		}
		s.region = int16(region)
		ranges = t.Partitions[region]
	}
	s.rng = ranges[mod(req.Range, len(ranges))]
	s.key = int32(mod(req.Key, m.ranges[s.rng].keys))
	if m.faulty || m.cfg.ClientTimeout > 0 {
		// The replica circuit breaker (or the client's timeout, if
		// shorter) fails a request stuck this long.
		limit := replicaCircuitBreaker
		if t := m.cfg.ClientTimeout; t > 0 && t < limit {
			limit = t
		}
		s.inFlight++
		s.deadline = m.eng.TimerAfter(limit, m.id, kDeadline, int64(ri))
	}
	m.send(m.clientHop(), kGatewayArrive, ri, &s.inFlight)
}

// homeRegion returns region if the RBR table has a partition there, else
// the first region that has one (the database's primary comes first in
// practice).
func (m *Model) homeRegion(t *Table, region int) int {
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

// Handle dispatches the model's events.
func (m *Model) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kGatewayArrive:
		ri := int32(ev.Arg)
		m.reqs[ri].inFlight--
		if m.faulty && !m.up(m.reqs[ri].gateway) {
			m.reqs[ri].ok = false // the client's connection broke
			m.finish(ri)
			return
		}
		m.atGateway(ri)
	case kPartArrive, kEvalDone:
		pi, _, ok := m.partEvent(ev.Arg)
		if !ok {
			return
		}
		if p := &m.parts[pi]; m.faulty && !m.linkOK(p.from, p.node) {
			m.dropped(pi)
			return
		}
		if ev.Kind == kPartArrive {
			m.partArrive(pi)
		} else {
			m.evalDone(pi)
		}
	case kLocalAppended:
		pi, _, ok := m.partEvent(ev.Arg)
		if !ok {
			return
		}
		if !m.faulty || m.up(m.parts[pi].node) {
			m.parts[pi].local = true
			m.voterAppended(pi)
		}
		m.maybeFreePart(pi)
	case kAppendDone:
		pi, i, ok := m.partEvent(ev.Arg)
		if !ok {
			return
		}
		p := &m.parts[pi]
		r := &m.ranges[p.rng]
		to := r.Replicas[i]
		if m.faulty && (!m.linkOK(p.node, to) || (r.readyAt != nil && m.eng.Now() < r.readyAt[i])) {
			// Not delivered, or a replacement still receiving its snapshot.
			m.maybeFreePart(pi)
			return
		}
		m.sendPart(m.oneWay(to, p.node), kAck, pi, i)
	case kAck:
		pi, i, ok := m.partEvent(ev.Arg)
		if !ok {
			return
		}
		p := &m.parts[pi]
		from := m.ranges[p.rng].Replicas[i]
		if m.faulty {
			if !m.linkOK(from, p.node) || p.acked&(1<<uint(i)) != 0 {
				m.maybeFreePart(pi)
				return
			}
			p.acked |= 1 << uint(i)
		}
		if int(i) < m.ranges[p.rng].NumVoters {
			m.voterAppended(pi)
		}
		m.maybeFreePart(pi)
	case kPartReply:
		pi, _, ok := m.partEvent(ev.Arg)
		if !ok {
			return
		}
		if p := &m.parts[pi]; m.faulty && !m.linkOK(p.node, m.reqs[p.req].gateway) {
			m.dropped(pi)
			return
		}
		m.partReply(pi)
	case kCommitWaitDone:
		ri := int32(ev.Arg)
		m.reqs[ri].inFlight--
		if m.reqs[ri].done { // failed by its deadline meanwhile
			m.maybeFreeReq(ri)
			return
		}
		m.finish(ri)
	case kClientReply:
		ri := int32(ev.Arg)
		s := &m.reqs[ri]
		s.inFlight--
		m.sink.Complete(s.tag, s.start, m.eng.Now(), s.ok)
		m.maybeFreeReq(ri)
	case kSideTick:
		m.sideTick(topology.NodeID(ev.Arg))
	case kScan:
		m.scan(topology.NodeID(ev.Arg))
	case kFaultStart:
		m.faultStart(int(ev.Arg))
	case kFaultEnd:
		m.faultEnd(int(ev.Arg))
	case kHeartbeat:
		m.heartbeat(topology.NodeID(ev.Arg))
	case kHeartbeatDone:
		m.heartbeatDone(topology.NodeID(ev.Arg))
	case kElection:
		m.electionDone(&m.ranges[ev.Arg])
	case kAcquired:
		m.acquired(&m.ranges[ev.Arg])
	case kRPCError:
		if pi, _, ok := m.partEvent(ev.Arg); ok {
			m.rpcFailed(pi)
		}
	case kRetry:
		if pi, _, ok := m.partEvent(ev.Arg); ok {
			m.retryPart(pi)
		}
	case kDeadline:
		m.deadline(int32(ev.Arg))
	case kLivenessRenew:
		m.livenessRenew()
	case kStoreDead:
		n, gen := sim.Unpack(ev.Arg)
		m.storeDead(topology.NodeID(n), gen)
	case kSideTransport:
		tick, from, to := ev.Arg>>24, int(ev.Arg>>12&0xfff), int(ev.Arg&0xfff)
		if m.faulty && !m.linkOK(topology.NodeID(from), topology.NodeID(to)) {
			return
		}
		pub := m.sidePhase[from] + sim.Time(tick)*sim.Time(m.cfg.SideTransportInterval)
		if i := to*len(m.cluster.Nodes) + from; pub > m.closedPub[i] {
			m.closedPub[i] = pub
		}
	default:
		panic(fmt.Sprintf("raft: unknown event kind %d", ev.Kind))
	}
}

// atGateway starts a request at its gateway: DistSender picks the replicas
// to send parts to.
func (m *Model) atGateway(ri int32) {
	s := &m.reqs[ri]
	t := &m.tables[s.table]
	r := &m.ranges[s.rng]
	switch s.op {
	case OpRead:
		switch {
		case t.GlobalReads:
			m.startPart(ri, s.rng, m.nearestReplica(r, s.gateway), partGlobalRead)
		case t.Partitions != nil && t.LOS:
			local := m.cluster.Nodes[s.gateway].Region
			if len(t.Partitions[local]) == 0 {
				m.losRemote(ri)
				return
			}
			// Locality-optimized search: probe the local partition first.
			s.phase = phaseLOSLocal
			rng := m.partitionRange(t, local, s.rng)
			pi := m.startPart(ri, rng, m.routeLH(ri, rng), partCheck)
			m.parts[pi].hit = int(s.region) == local
		default:
			m.startPart(ri, s.rng, m.routeLH(ri, s.rng), partRead)
		}
	case OpStaleRead:
		m.startPart(ri, s.rng, m.nearestReplica(r, s.gateway), partStaleRead)
	case OpBoundedRead:
		m.startPart(ri, s.rng, m.nearestReplica(r, s.gateway), partBounded)
	case OpWrite:
		m.startPart(ri, s.rng, m.routeLH(ri, s.rng), partWrite)
	case OpInsert:
		if t.Partitions != nil && t.UniqueChecks && m.countPartitions(t) > 1 {
			s.phase = phaseChecks
			for reg := range t.Partitions {
				if reg == int(s.region) || len(t.Partitions[reg]) == 0 {
					continue
				}
				rng := m.partitionRange(t, reg, s.rng)
				m.startPart(ri, rng, m.routeLH(ri, rng), partCheck)
			}
			return
		}
		m.startPart(ri, s.rng, m.routeLH(ri, s.rng), partWrite)
	case OpTxn:
		ranges := t.Ranges
		if t.Partitions != nil {
			ranges = t.Partitions[s.region]
		}
		first := indexOf(ranges, s.rng)
		for k := 0; k < min(t.TxnRanges, len(ranges)); k++ {
			rng := ranges[(first+k)%len(ranges)]
			m.startPart(ri, rng, m.routeLH(ri, rng), partWrite)
		}
	default:
		panic(fmt.Sprintf("raft: unknown op %v", s.op))
	}
}

// losRemote sends the second phase of a locality-optimized search: a probe
// to every remote partition at once; the one homing the row finds it.
func (m *Model) losRemote(ri int32) {
	s := &m.reqs[ri]
	t := &m.tables[s.table]
	local := m.cluster.Nodes[s.gateway].Region
	s.phase = phaseLOSRemote
	for reg := range t.Partitions {
		if reg == local || len(t.Partitions[reg]) == 0 {
			continue
		}
		rng := m.partitionRange(t, reg, s.rng)
		pi := m.startPart(ri, rng, m.routeLH(ri, rng), partCheck)
		m.parts[pi].hit = reg == int(s.region)
	}
}

// routeLH returns the leaseholder request ri's gateway believes range rng
// has.
func (m *Model) routeLH(ri, rng int32) topology.NodeID {
	return m.ranges[rng].cache[m.reqs[ri].gateway]
}

// partitionRange returns the range of partition region reg that holds the
// same position as range rng holds in its own partition.
func (m *Model) partitionRange(t *Table, reg int, rng int32) int32 {
	own := t.Partitions[m.ranges[rng].Partition]
	p := t.Partitions[reg]
	return p[indexOf(own, rng)%len(p)]
}

func (m *Model) countPartitions(t *Table) int {
	n := 0
	for _, p := range t.Partitions {
		if len(p) > 0 {
			n++
		}
	}
	return n
}

// startPart sends one part of request ri from the gateway to node and
// returns it.
func (m *Model) startPart(ri, rng int32, node topology.NodeID, kind partKind) int32 {
	s := &m.reqs[ri]
	pi := m.newPart()
	m.parts[pi] = partState{req: ri, rng: rng, node: node, from: s.gateway, kind: kind, readTS: m.eng.Now(), next: -1, prev: -1, parkedOn: -1}
	if kind == partStaleRead {
		m.parts[pi].readTS = m.eng.Now() - sim.Time(m.stale)
	}
	s.pending++
	if m.faulty && m.fail.unreach[int(s.gateway)*len(m.cluster.Nodes)+int(node)] > m.eng.Now() {
		// The gateway knows node is unreachable: straight to the next.
		m.parts[pi].tried = m.replicaBit(&m.ranges[rng], node)
		m.retryPart(pi)
		return pi
	}
	m.sendToReplica(pi, m.oneWay(s.gateway, node))
	return pi
}

// sendToReplica delivers part pi to its node after delay d. Follower reads
// decide on arrival (closed timestamp, uncertainty), so they get an arrival
// event; leaseholder reads, checks and writes go straight to evaluation,
// which ends one service time after arrival. A GLOBAL write's timestamp is
// its arrival time plus the lead: writes to GLOBAL ranges are placed above
// the range's closed timestamp (reference §3.2).
func (m *Model) sendToReplica(pi int32, d time.Duration) {
	p := &m.parts[pi]
	p.gen++ // a new attempt: events of earlier ones are stale
	p.lost = false
	p.acks, p.acked, p.commit, p.appending, p.local = 0, 0, false, false, false
	switch p.kind {
	case partStaleRead, partGlobalRead:
		m.sendPart(d, kPartArrive, pi, 0)
		return
	case partWrite:
		if m.ranges[p.rng].GlobalReads {
			p.writeTS = m.eng.Now().Add(d + m.lead)
		}
	}
	m.sendPart(d+m.service(), kEvalDone, pi, 0)
}

// partArrive runs when a follower read reaches the replica that should
// serve it.
func (m *Model) partArrive(pi int32) {
	p := &m.parts[pi]
	r := &m.ranges[p.rng]
	switch p.kind {
	case partStaleRead:
		if m.closedTS(r, p.node) < p.readTS {
			// The follower cannot serve this timestamp yet: it answers
			// NotLeaseHolder and DistSender retries at the leaseholder.
			m.redirect(pi, r.Leaseholder, partRead)
			return
		}
	case partGlobalRead:
		if m.closedTS(r, p.node) < p.readTS+sim.Time(m.cfg.MaxOffset) && p.node != r.Leaseholder {
			m.redirect(pi, r.Leaseholder, partGlobalRead)
			return
		}
		// A write to the key inside the read's uncertainty window
		// (read_ts, read_ts + max_offset] makes the reader wait until its
		// clock passes the write (reference §3.3, §10 rule 6).
		if w := r.lastWrite[m.reqs[p.req].key]; w > p.readTS && w <= p.readTS+sim.Time(m.cfg.MaxOffset) && w > m.eng.Now() {
			m.sendPart(w.Sub(m.eng.Now())+m.service(), kEvalDone, pi, 0)
			return
		}
	}
	m.sendPart(m.service(), kEvalDone, pi, 0)
}

// redirect bounces a part back to the gateway and on to the leaseholder,
// as DistSender does after a NotLeaseHolderError.
func (m *Model) redirect(pi int32, lh topology.NodeID, kind partKind) {
	p := &m.parts[pi]
	gw := m.reqs[p.req].gateway
	back := m.oneWay(p.node, gw)
	m.ranges[p.rng].cache[gw] = lh
	p.kind = kind
	p.node = lh
	p.from = gw
	m.sendToReplica(pi, back+m.oneWay(gw, lh))
}

// evalDone runs when the serving replica has evaluated a part.
func (m *Model) evalDone(pi int32) {
	p := &m.parts[pi]
	if p.kind.servedByLeaseholder() {
		r := &m.ranges[p.rng]
		switch {
		case p.node == r.Leaseholder && r.transferring:
			// The lease is being handed over: wait for the transfer to
			// commit, then be redirected to the new leaseholder.
			m.park(r, pi)
			return
		case p.node != r.Leaseholder:
			if m.faulty && !m.leaseHolderOK(r) {
				m.needLease(pi)
				return
			}
			// NotLeaseHolderError: back to the gateway, which updates its
			// range cache and retries at the leaseholder.
			m.redirect(pi, r.Leaseholder, p.kind)
			return
		case m.faulty && (!m.leaseHolderOK(r) || r.waitingLease):
			m.needLease(pi)
			return
		case m.eng.Now() < r.leaseStart:
			// The transfer's target has not applied it yet.
			m.sendPart(r.leaseStart.Sub(m.eng.Now())+m.service(), kEvalDone, pi, 0)
			return
		}
		if m.onServe != nil {
			m.onServe(r, p.node)
		}
		// The leaseholder records the request's gateway locality
		// (replicastats RecordCount, reference §5.2).
		r.stats.RecordCount(m.cluster.Nodes[m.reqs[p.req].gateway].Zone, 1, m.eng.Now())
	}
	if p.kind != partWrite && p.kind != partLease {
		m.replyToGateway(pi)
		return
	}
	// The leaseholder (the Raft leader) appends to its own log and sends
	// MsgApp to every other replica at once, voters and non-voters.
	r := &m.ranges[p.rng]
	p.appending = true
	m.sendPart(m.fsync(), kLocalAppended, pi, 0)
	for i, n := range r.Replicas {
		if n == p.node {
			continue
		}
		m.sendPart(m.oneWay(p.node, n)+m.fsync(), kAppendDone, int32(pi), int32(i))
	}
}

// voterAppended counts one durable voter append; at quorum the write
// commits and the leaseholder replies.
func (m *Model) voterAppended(pi int32) {
	p := &m.parts[pi]
	p.acks++
	r := &m.ranges[p.rng]
	if p.commit || int(p.acks) < r.Quorum {
		return
	}
	p.commit = true
	if m.onCommit != nil {
		m.onCommit(r, p)
	}
	if p.kind == partLease {
		m.applyTransfer(pi)
		return
	}
	if r.GlobalReads {
		k := m.reqs[p.req].key
		if p.writeTS > r.lastWrite[k] {
			r.lastWrite[k] = p.writeTS
		}
	}
	m.replyToGateway(pi)
}

// LeaseEvent is one entry of the lease log: the lease of range Range moved
// from From to To (From is -1 for the initial lease) at At, for Reason.
type LeaseEvent struct {
	At     sim.Time
	Range  int32
	From   topology.NodeID
	To     topology.NodeID
	Reason string
}

// Leases returns the lease log, oldest first.
func (m *Model) Leases() []LeaseEvent { return m.leases }

// LeaseCount returns how many leases node n holds.
func (m *Model) LeaseCount(n topology.NodeID) int { return m.leaseCount[n] }

// TransferLease starts moving range rng's lease to target, a voter, for
// reason. The leaseholder proposes the transfer as a Raft command: it costs
// one consensus round, during which requests reaching the old leaseholder
// wait; once it commits they are redirected, and the target serves from when
// it has applied the command (one hop later). It reports false, doing
// nothing, if a transfer is under way or target is not a voter or already
// the leaseholder.
func (m *Model) TransferLease(rng int32, target topology.NodeID, reason string) bool {
	r := &m.ranges[rng]
	if r.transferring || target == r.Leaseholder || !r.Layout.IsVoter(target) {
		return false
	}
	r.transferring, r.transferTo, r.transferReason = true, target, reason
	pi := m.newPart()
	m.parts[pi] = partState{req: -1, rng: rng, node: r.Leaseholder, from: r.Leaseholder, kind: partLease, next: -1, prev: -1, parkedOn: -1}
	m.sendPart(m.service(), kEvalDone, pi, 0)
	return true
}

// applyTransfer runs when a lease transfer commits at the old leaseholder.
func (m *Model) applyTransfer(pi int32) {
	p := &m.parts[pi]
	r := &m.ranges[p.rng]
	from, to := r.Leaseholder, r.transferTo
	r.Leaseholder = to
	r.leaseStart = m.eng.Now().Add(m.oneWay(from, to))
	r.transferring = false
	// Stats restart with the new lease, so it cannot move again for
	// MinLeaseTransferStatsDuration (reference §5.2).
	r.stats.Reset(m.eng.Now())
	m.leaseCount[from]--
	m.leaseCount[to]++
	m.leases = append(m.leases, LeaseEvent{At: m.eng.Now(), Range: r.ID, From: from, To: to, Reason: r.transferReason})
	p.replied = true
	// Requests that waited at the old leaseholder are told where the lease
	// went.
	m.releaseParked(r, to)
}

// park makes part pi wait on range r (for a lease transfer or acquisition).
func (m *Model) park(r *Range, pi int32) {
	p := &m.parts[pi]
	if p.parkedOn >= 0 {
		panic(fmt.Sprintf("raft: part %d parked twice", pi))
	}
	p.inFlight++
	p.parkedOn, p.prev, p.next = r.ID, -1, r.parked
	if r.parked >= 0 {
		m.parts[r.parked].prev = pi
	}
	r.parked = pi
}

// unpark removes part pi from its range's wait list.
func (m *Model) unpark(pi int32) {
	p := &m.parts[pi]
	r := &m.ranges[p.parkedOn]
	if p.prev >= 0 {
		m.parts[p.prev].next = p.next
	} else {
		r.parked = p.next
	}
	if p.next >= 0 {
		m.parts[p.next].prev = p.prev
	}
	p.parkedOn, p.prev, p.next = -1, -1, -1
	p.inFlight--
}

// releaseParked redirects every part waiting on r to the leaseholder lh.
func (m *Model) releaseParked(r *Range, lh topology.NodeID) {
	for r.parked >= 0 {
		q := r.parked
		m.unpark(q)
		m.redirect(q, lh, m.parts[q].kind)
	}
}

func (m *Model) replyToGateway(pi int32) {
	p := &m.parts[pi]
	m.sendPart(m.oneWay(p.node, m.reqs[p.req].gateway), kPartReply, pi, 0)
}

// partReply runs at the gateway when a part's reply arrives.
func (m *Model) partReply(pi int32) {
	p := &m.parts[pi]
	if p.replied {
		panic(fmt.Sprintf("raft: part %d replied twice", pi))
	}
	// The attempt is over: late acks and RPC errors still in flight for it
	// become stale.
	p.gen++
	ri := p.req
	hit, writeTS := p.hit, p.writeTS
	p.replied = true
	m.maybeFreePart(pi)
	s := &m.reqs[ri]
	s.pending--
	if writeTS > s.commitTS {
		s.commitTS = writeTS
	}
	if s.done {
		m.maybeFreeReq(ri)
		return
	}
	switch s.phase {
	case phaseLOSLocal:
		if hit {
			m.finish(ri)
		} else {
			m.losRemote(ri)
		}
		return
	case phaseLOSRemote:
		if hit {
			m.finish(ri) // the first partition that returns the row wins
		}
		return
	}
	if s.pending > 0 {
		return
	}
	if s.phase == phaseChecks {
		s.phase = phaseMain
		m.startPart(ri, s.rng, m.routeLH(ri, s.rng), partWrite)
		return
	}
	if s.commitTS > m.eng.Now() {
		// Commit wait: the gateway acknowledges a future-time write only
		// once its clock has passed the commit timestamp (reference §3.2).
		s.inFlight++
		m.eng.Schedule(s.commitTS, m.id, kCommitWaitDone, int64(ri))
		return
	}
	m.finish(ri)
}

// finish replies to the client.
func (m *Model) finish(ri int32) {
	s := &m.reqs[ri]
	s.done = true
	if s.deadline != 0 && m.eng.Cancel(s.deadline) {
		s.inFlight--
	}
	s.deadline = 0
	m.send(m.clientHop(), kClientReply, ri, &s.inFlight)
}

// closedTS returns the closed timestamp replica node holds for range r: on
// the leaseholder the current target, elsewhere the target as of the last
// side-transport update it received from the leaseholder's node.
func (m *Model) closedTS(r *Range, node topology.NodeID) sim.Time {
	pub := m.eng.Now()
	if node != r.Leaseholder {
		pub = m.closedPub[int(node)*len(m.cluster.Nodes)+int(r.Leaseholder)]
	}
	if r.GlobalReads {
		return pub.Add(m.lead)
	}
	return pub.Add(-m.cfg.ClosedTSTarget)
}

// sideTick publishes node's closed timestamps to every other node and
// schedules the next publication.
func (m *Model) sideTick(from topology.NodeID) {
	tick := m.sideTicks[from]
	m.sideTicks[from]++
	if m.faulty && !m.up(from) {
		m.eng.After(m.cfg.SideTransportInterval, m.id, kSideTick, int64(from))
		return
	}
	for to := range m.cluster.Nodes {
		if topology.NodeID(to) == from {
			continue
		}
		arg := tick<<24 | int64(from)<<12 | int64(to)
		m.eng.After(m.oneWay(from, topology.NodeID(to)), m.id, kSideTransport, arg)
	}
	m.eng.After(m.cfg.SideTransportInterval, m.id, kSideTick, int64(from))
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

func (m *Model) oneWay(from, to topology.NodeID) time.Duration {
	return m.cluster.OneWay(m.rng, from, to)
}

// clientHop is the one-way delay between a client and its gateway: the
// client sits in the gateway's zone.
func (m *Model) clientHop() time.Duration {
	return m.cluster.Latency.IntraZone().Sample(m.rng) / 2
}

func (m *Model) service() time.Duration { return m.cluster.SampleService(m.rng) }
func (m *Model) fsync() time.Duration   { return m.cluster.SampleFsync(m.rng) }

func (m *Model) send(d time.Duration, kind sim.Kind, ri int32, inFlight *int16) {
	*inFlight++
	m.eng.After(d, m.id, kind, int64(ri))
}

// sendPart schedules a part event after d, tagged with the part's current
// attempt so that messages of an abandoned attempt (after a retry) are
// recognised and discarded; i is a replica index where the event has one.
func (m *Model) sendPart(d time.Duration, kind sim.Kind, pi, i int32) {
	p := &m.parts[pi]
	p.inFlight++
	m.eng.After(d, m.id, kind, sim.Pack(pi, p.gen<<8|i))
}

// partEvent decodes a part event: the part, the replica index, and whether
// the event belongs to the part's current attempt. It releases the event's
// reference on the part; a stale event frees the part if it was the last.
func (m *Model) partEvent(arg int64) (pi, i int32, current bool) {
	pi, x := sim.Unpack(arg)
	p := &m.parts[pi]
	p.inFlight--
	if x>>8 != p.gen {
		m.maybeFreePart(pi)
		return pi, 0, false
	}
	return pi, x & 0xff, true
}

func (m *Model) newReq() int32 {
	if n := len(m.freeReqs); n > 0 {
		ri := m.freeReqs[n-1]
		m.freeReqs = m.freeReqs[:n-1]
		return ri
	}
	m.reqs = append(m.reqs, reqState{})
	return int32(len(m.reqs) - 1)
}

func (m *Model) newPart() int32 {
	if n := len(m.freeParts); n > 0 {
		pi := m.freeParts[n-1]
		m.freeParts = m.freeParts[:n-1]
		return pi
	}
	m.parts = append(m.parts, partState{})
	return int32(len(m.parts) - 1)
}

// maybeFreePart recycles a part once its reply has reached the gateway and
// no event refers to it any more (late acks of a committed write).
func (m *Model) maybeFreePart(pi int32) {
	p := &m.parts[pi]
	if p.replied && p.inFlight == 0 {
		if p.parkedOn >= 0 {
			panic(fmt.Sprintf("raft: freeing parked part %d", pi))
		}
		p.replied = false
		p.req, p.rng = -1, -1 // a free slot: scans over parts skip it
		m.freeParts = append(m.freeParts, pi)
	}
}

func (m *Model) maybeFreeReq(ri int32) {
	s := &m.reqs[ri]
	if s.done && s.pending == 0 && s.inFlight == 0 {
		s.done = false // a second call must not free it twice
		m.freeReqs = append(m.freeReqs, ri)
	}
}

func mod(a, n int) int {
	a %= n
	if a < 0 {
		a += n
	}
	return a
}

func indexOf(s []int32, v int32) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	panic("raft: range not in its table")
}
