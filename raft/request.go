package raft

import (
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file holds the request path's types: what the client sends
// (Request) and hears (Sink, Outcome), a request's state at its gateway,
// its parts (one RPC per range) and their stages, and the DistSender's
// shared knowledge. The gateway's logic is in gateway.go.

// Sink receives every finished request exactly once: the tag given to
// Submit, the range it addressed (the first range of a multi-range
// transaction), the simulated instants the client sent the request and saw
// the reply (or the error), and the outcome.
type Sink interface {
	Complete(tag int64, rng RangeID, start, end sim.Time, o Outcome)
}

// StalenessSink is an optional ability of a Sink (found by type assertion
// in New): it also hears, just before Complete, the statement time and the
// timestamp at which each successful stale or bounded-staleness read
// (OpStaleRead, OpBoundedRead) was served. The statement time is the
// gateway's clock when the request reached it (statement_timestamp(), what
// with_max_staleness and follower_read_timestamp() count back from), so
// stmt − readTS is the staleness the client got. A read served at or above
// its statement time (a GLOBAL range closes timestamps ahead of the
// present) has readTS ≥ stmt.
type StalenessSink interface {
	Sink
	Served(tag int64, stmt, readTS sim.Time)
}

// Outcome is how a request ended, as its client sees it.
type Outcome uint8

const (
	// OK: the request succeeded.
	OK Outcome = iota
	// Failed: the request failed and did not take effect (a deadline, a
	// crashed gateway before any write was sent).
	Failed
	// Ambiguous: the request failed and the client cannot know whether its
	// write took effect (its gateway crashed after sending it), like
	// CockroachDB's AmbiguousResultError.
	Ambiguous
)

var outcomeNames = [...]string{"ok", "error", "ambiguous"}

// String returns "ok", "error" or "ambiguous".
func (o Outcome) String() string { return outcomeNames[o] }

// Request is one client request.
type Request struct {
	Op    Op
	Table TableID
	// Gateway is the SQL node the client talks to.
	Gateway topology.NodeID
	// Client, when ClientSet, is a node in whose zone the client sits, and
	// the client <-> gateway hop follows the link between that zone and
	// the gateway's (a client that picked a gateway without regard to its
	// location: workload gateway: any). Otherwise, and when the two share
	// a zone, the client sits in its gateway's zone: one hop is half an
	// intra-zone round trip.
	Client    topology.NodeID
	ClientSet bool
	// HopSeed, when HopSeeded, keys the draws of the request's client <->
	// gateway hops; otherwise the gateway's client stream ("raft/client")
	// gives the key when the request is submitted. A workload draws it
	// from a stream of its own, so that a request's hops do not depend on
	// when the other workloads' requests were submitted (Model.SubmitAt).
	HopSeed   uint64
	HopSeeded bool
	// Region is the cluster region where the row is homed (REGIONAL BY ROW
	// only; ignored elsewhere, and by inserts, whose rows are homed in the
	// gateway's region).
	Region int
	// Range is the index of the range within the table, or within the
	// row's partition for REGIONAL BY ROW tables (taken modulo their size).
	Range int
	// Key is the row's key within its range (taken modulo the range's keys).
	// With Keyed it is instead the row's index in the table's key order:
	// the row is key Key / R of range Key mod R, R being the ranges of the
	// table (of the row's partition for REGIONAL BY ROW), and Range is
	// ignored.
	Key int
	// Keyed makes the request one of a workload's key set (workload keys:):
	// it may touch the same row as another keyed request, and waits for
	// the row's latches at the leaseholder (latch.go). Unkeyed requests
	// are taken never to collide.
	Keyed bool
	// Bounded gives a bounded-staleness read (OpBoundedRead) a bound:
	// AS OF SYSTEM TIME with_max_staleness(MaxStaleness[, NearestOnly]),
	// whose minimum timestamp bound is the statement time − MaxStaleness
	// (package followerreads EvalMaxStaleness; evalMaxStaleness in
	// pkg/ccl/kvccl/kvfollowerreadsccl before it moved). Without it the
	// read has no bound: the nearest replica always serves it, at its
	// closed timestamp. Ignored by other ops.
	Bounded bool
	// MaxStaleness is the bound, >= 0, when Bounded.
	MaxStaleness time.Duration
	// NearestOnly is with_max_staleness's nearest_only argument: a read
	// whose nearest replica cannot satisfy the bound fails
	// (MinTimestampBoundUnsatisfiableError) instead of going on to the
	// leaseholder (BoundedStalenessHeader.MinTimestampBoundStrict, set from
	// it in pkg/sql/colfetcher colbatch_scan.go).
	NearestOnly bool
	// ValueBytes is the size of the row's value in bytes, 0 to
	// maxValueBytes (larger values are cut to it): a write's statement,
	// BatchRequest and Raft entries carry it, a read's results do
	// (traffic.go).
	ValueBytes int
}

// Constants of DistSender and client behaviour (reference §6.3, §6.4).
const (
	// ReplicaCircuitBreakerThreshold is
	// kv.replica_circuit_breaker.slow_replication_threshold: a live replica
	// whose proposal (a write, or a lease request) has not applied for this
	// long trips its breaker, failing the requests that wait there and
	// those that arrive until it can serve again (reference §6.3, §6.4;
	// replica_circuit_breaker.go).
	ReplicaCircuitBreakerThreshold = 60 * time.Second
	// distSenderBackoffMin/Max bound DistSender's retry backoff once every
	// replica has been tried (base.DefaultRetryOptions: 50 ms doubling to
	// 1 s; kvcoord/dist_sender.go sendPartialBatch).
	distSenderBackoffMin    = 50 * time.Millisecond
	distSenderBackoffMax    = time.Second
	distSenderBackoffJitter = 0.15 // RandomizationFactor
)

// Request phases at the gateway.
const (
	phaseMain uint8 = iota
	phaseLOSLocal
	phaseLOSRemote
	phaseChecks
)

// reqState is one in-flight request at its gateway.
type reqState struct {
	// Fields are grouped by size (8, 4, 2, 1 bytes) so that the struct
	// has no padding: a run holds one per request in flight.

	tag      int64
	start    sim.Time
	commitTS sim.Time // GLOBAL writes: commit-wait until the gateway clock passes it
	// stmt is the gateway's clock when the request reached it
	// (statement_timestamp()); readTS the timestamp a stale or bounded
	// read was served at.
	stmt, readTS sim.Time
	// maxStale is a bounded read's with_max_staleness interval, < 0 for
	// none; nearestOnly its nearest_only argument.
	maxStale time.Duration
	// deadline is the client's deadline (cockroach.client_timeout), or
	// without one the give-up of a part waiting for a row's latch
	// (startLatchGiveUp).
	deadline sim.TimerID
	// clientHalf is the one-way delay between the client and its gateway,
	// the same both ways: half of one round trip, drawn when the request
	// is submitted (Model.clientHop).
	clientHalf time.Duration
	// waited is the time its parts queued for their latches (see keyed),
	// summed over its parts.
	waited time.Duration
	// queueClock measures, without a client timeout, how long some part
	// of it has waited for a row (startLatchGiveUp): while none waits it
	// holds that time (as an offset from 0); while one does (deadline
	// set), the instant such a wait would have begun to have lasted as
	// long by now.
	queueClock sim.Time
	// path is the request's critical path so far (path.go).
	path reqPath

	// client is the node in whose zone the client sits, -1 for its
	// gateway's zone (Request.Client).
	client  topology.NodeID
	table   TableID
	gateway topology.NodeID
	rng     RangeID // the row's range
	key     int32
	value   int32  // the row's value in bytes (Request.ValueBytes)
	parts   partID // head of the list of its parts that are not done
	// lockID names a keyed transaction's intents (latch.go), 0 for
	// other requests.
	lockID uint32

	region   int16 // the row's region (RBR)
	pending  int16 // parts sent and not yet replied to the gateway
	inFlight int16 // events that still reference this request

	nearestOnly bool
	op          Op
	phase       uint8
	done        bool // the client reply has been scheduled
	ok          bool
	// sentWrite is set once a write part has left the gateway: from then
	// on a failure leaves the write's outcome unknown.
	sentWrite bool
	ambiguous bool
	freed     bool // the slot is free
	// keyed: the request takes latches on its key (Request.Keyed);
	// didWait whether its parts queued for them.
	keyed, didWait bool
}

// propState is what a part keeps of its latest proposal (a write or a
// lease transfer it replicates), kept aside from partState: a part
// queued for a CPU has not proposed, so the million a saturated cluster
// holds need none.
type propState struct {
	index uint64 // the log index of its proposal (with faults)
	// decided holds, in a run without faults, the earliest arrival
	// times of the durable voter appends of the current proposal that are
	// already scheduled (the leader's own, followers' MsgAppResp),
	// ascending, ndecided of them (at most a quorum): an acknowledgement
	// due later than a quorum of them cannot change anything and is not
	// scheduled (Model.ackMatters).
	decided [maxTrackedQuorum]sim.Time
	// rep keys the leader<->replica round trips of the current proposal
	// (see Model.pairHalf).
	rep uint64
	// proposedAt is when the current attempt first proposed, for the
	// circuit breaker.
	proposedAt sim.Time
	// term is the Raft term the proposer knew when it proposed.
	term uint32
	// repGen and repNode are the attempt and the proposer of the latest
	// proposal (replicate): its appends still land after the attempt is
	// over (staleAppend).
	repGen   int32
	repNode  topology.NodeID
	ndecided int8 // see decided
}

// noProp is what a part that has not proposed reads: all zero. Never
// written.
var noProp propState

// propOf returns part p's proposal state, zero (noProp, read-only) if it
// has not proposed.
func (m *Model) propOf(p *partState) *propState {
	if p.prop == 0 {
		return &noProp
	}
	return m.props.at(p.prop - 1)
}

// propFor returns part p's proposal state, giving it a zeroed one if it
// has none.
func (m *Model) propFor(p *partState) *propState {
	return m.props.claim(&p.prop)
}

// releaseProp returns part p's proposal state to the free list (its part
// is freed, or its slot reused).
func (m *Model) releaseProp(p *partState) {
	m.props.drop(&p.prop)
}

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

var partKindNames = [...]string{"read", "write", "stale-read", "bounded-read", "global-read", "check", "lease-transfer"}

func (k partKind) String() string { return partKindNames[k] }

// servedByLeaseholder reports whether parts of kind k need a valid lease.
func (k partKind) servedByLeaseholder() bool {
	return k == partRead || k == partWrite || k == partCheck
}

// partStage is where a part's current attempt is. Every change of stage
// that sends the part somewhere new bumps the part's generation, so the
// events of the attempt it leaves are stale on delivery: in stages
// stageRPCError and stageRetry exactly one live event drives the part, in
// stageParked one (its kLeaseWaitOver timer), and in stageDone none.
type partStage uint8

const (
	stageFree      partStage = iota // the slot is free
	stageAtReplica                  // sent to node: arriving, evaluating, replicating, or its reply travelling back
	stageParked                     // waiting at node for a lease (one kLeaseWaitOver)
	stageRPCError                   // the gateway is about to learn that its RPC to node failed (one kRPCError)
	stageRetry                      // the gateway will try again (one kRetry: backoff, or a NotLeaseHolder on its way)
	stageDone                       // its reply reached the gateway, or the request gave up on it
)

// partState is one RPC of a request to one range (or a lease transfer,
// with req noReq), across its attempts.
type partState struct {
	// Fields are grouped by size (8, 4, 2, 1 bytes) so that the struct
	// has no padding: a run holds one per request in flight.

	// readTS is the timestamp the part reads at: a stale read's
	// follower_read_timestamp(), a bounded read's minimum timestamp bound
	// until a replica serves it (then the timestamp it was served at).
	readTS  sim.Time
	writeTS sim.Time
	// svc is a follower read's evaluation time, drawn when it is sent (as
	// for leaseholder requests) and spent once the replica has decided to
	// serve it.
	svc time.Duration
	// qsvc is the evaluation time of a part on its way to its node's CPU
	// queue (queues.go evaluate).
	qsvc time.Duration
	// hopHalf is the one-way delay of the current attempt's
	// gateway<->replica round trip, the same both ways (Model.hopOut).
	hopHalf  time.Duration
	waitFrom sim.Time // see latch
	// path is the part's critical path so far (path.go).
	path partPath

	req   reqID
	rng   RangeID
	node  topology.NodeID // where the part is being served
	from  topology.NodeID // who sent it there (its gateway, or the leaseholder itself)
	tried uint32          // replicas tried in this DistSender round
	acked uint32          // replicas that acknowledged the append
	gen   int32           // attempt generation, never reset (see partStage)
	// next and prev link the parts parked on range parkedOn (noPart: none).
	next, prev partID
	parkedOn   RangeID
	// sibNext and sibPrev link the request's parts that are not done.
	sibNext, sibPrev partID
	// leaseSeq is the lease sequence it evaluated under.
	leaseSeq uint32
	// routeSeq is the sequence of the newest lease the gateway routed the
	// part by: its range cache's when it started, then each
	// NotLeaseHolderError's.
	routeSeq uint32
	// prop is 1 + the index in Model.props of the part's proposal state,
	// 0 while it has not proposed (see propState).
	prop int32
	// latch is the latchTable entry + 1 of the key latch the part holds
	// or, with latchWaiting, waits for since waitFrom (0: none);
	// latchNext links the key's queue (latch.go).
	latch     int32
	latchNext partID

	inFlight int16 // events that still reference this part

	attempt   uint8 // DistSender rounds so far (backoff exponent)
	stage     partStage
	local     bool // the leader's own append is durable
	appending bool // a write whose MsgApps are out
	held      bool // a proposal waiting for the range to have a Raft leader
	kind      partKind
	hit       bool // the part found the row (LOS probes)
	failed    bool // its reply is an error the request fails with (ReplicaUnavailableError)
	acks      int8 // durable voter appends, the leader's included
	commit    bool
	// latchWaiting: see latch.
	latchWaiting bool
	// unlatched is set while a keyed part evaluates at a replica that was
	// not the leaseholder when it arrived, so it took no latch there.
	unlatched bool
}

// distSender is the gateways' shared failure knowledge.
type distSender struct {
	// peers[gateway*n+node] is gateway's RPC connection to node and its
	// circuit breaker (rpcbreaker.go; allocated with the failover
	// component).
	peers []peerConn
	// probes: the version's breakers probe in the background (23.2+).
	probes bool
}
