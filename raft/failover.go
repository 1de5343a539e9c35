package raft

import (
	"cmp"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file is the failover path: faults take nodes down and cut links;
// a range whose Raft leader loses its quorum elects another; a range whose
// leaseholder is gone (or cut off, or whose liveness expired) has its lease
// acquired by the Raft leader once the old holder's liveness has expired
// (reference §6.2); each range's loss of service is recorded as an outage
// with its phases. Node liveness is in liveness.go, the replacement of
// dead replicas in upreplicate.go. The request path calls the component
// through up, linkOK, isLive, leaseHolderOK, leaseValid (all safe on the
// nil component of a run without faults) and requestLease.

// failover is the failover component: the fault state of the cluster, node
// liveness, elections, lease acquisition, outages and up-replication. It
// is its own sim.Handler with its own events and its own random stream
// ("raft/failover"), so a fault never shifts the request path's draws.
type failover struct {
	m      *Model
	eng    *sim.Engine
	id     sim.HandlerID
	c      *topology.Cluster
	rng    *rand.Rand
	timers versionTimers
	raft   raftTimers
	// votes holds the (pre)vote messages in flight, freeVotes the free
	// slots (election.go).
	votes     []voteMsg
	freeVotes []int32
	faults    []Fault
	down      []int16 // crash count per node (faults may overlap)
	cut       []int16 // cut count per directed link from*n+to
	// reachEpoch is bumped whenever down or cut changes, or a range's
	// voters change in place (up-replication): the shapes' cached answers
	// of reachesQuorum (holderReaches) from an earlier epoch are stale.
	reachEpoch uint64
	// transitions holds every fault's start and end instants, sorted
	// (changesIn).
	transitions []sim.Time
	// downAt[n] is when node n last went down, and hard[n] whether that
	// was a crash (connections reset) rather than a blackhole; cutAt[i]
	// is when directed link i was last cut. They decide how fast an RPC
	// over a failed link fails (rpc.go).
	downAt []sim.Time
	hard   []bool
	cutAt  []sim.Time
	// downGen[n] is bumped each time node n goes down, so a store-dead
	// timer of an earlier spell is recognised.
	downGen []int32
	// latest is the index of the latest fault that started (-1: none).
	latest       int
	live         liveness
	gossip       gossipView
	outages      []Outage
	replacements []Replacement
	// unserved has bit i set for range i when it may have an open outage
	// or wait for a lease (set when either starts, cleared when a
	// heartbeat finds neither): the ranges a heartbeat looks at for a
	// lease to restore, without walking every range (heartbeatDone).
	unserved []uint64
}

// markUnserved records that range id may have an open outage or wait for
// a lease.
func (f *failover) markUnserved(id RangeID) {
	w := int(id) / 64
	if w >= len(f.unserved) {
		f.unserved = append(f.unserved, make([]uint64, w+1-len(f.unserved))...)
	}
	f.unserved[w] |= 1 << (uint(id) % 64)
}

// nextUnserved returns the smallest range id ≥ from marked unserved, or
// -1. Bits set meanwhile above from are found, as a walk over every range
// in id order would find them.
func (f *failover) nextUnserved(from int) int {
	for w := from / 64; w < len(f.unserved); w++ {
		bitsLeft := f.unserved[w]
		if w == from/64 {
			bitsLeft &^= 1<<(uint(from)%64) - 1
		}
		if bitsLeft != 0 {
			return w*64 + bits.TrailingZeros64(bitsLeft)
		}
	}
	return -1
}

// rangeFailover is a range's failure state: when its Raft leader
// (Range.leader) took over, elections, lease acquisition, the replica
// circuit breaker and the range's open outage. A range holds it only once
// the failover component has touched it (failover.state): a run without
// faults allocates none.
type rangeFailover struct {
	leaderAt  sim.Time // when the leader took over
	trigger   sim.Time // when a request first needed the lost lease
	expiredAt sim.Time // when the old holder's liveness expired (0: no wait for it)
	// retryOutage is the outage whose lease came back at retryFrom, until
	// the first request is served again (its "retry" phase), or -1.
	retryOutage int32
	retryFrom   sim.Time
	acquiring   bool
	// bumping is set while an acquisition increments the old holder's
	// epoch, which it read as readEpoch.
	bumping   bool
	readEpoch uint32
	// waitingLease is set while the lease is lost and being re-acquired.
	waitingLease bool
	failedOver   bool  // the current outage ended with a new leaseholder
	transferred  bool  // the current outage ended with a lease transfer
	open         int32 // index in failover.outages of the open outage, or -1
	// stuckSince is when a request began to wait at a live voter for the
	// lease (a pending lease request). The replica circuit breaker trips
	// once that wait, or a pending write proposal, is
	// ReplicaCircuitBreakerThreshold old; breakerArmed is set while its
	// timer runs, and breakerGen tells a timer (or probe) of an earlier
	// spell.
	stuckSince   sim.Time
	tripped      bool
	breakerArmed bool
	breakerGen   int32
	// term is the latest Raft term a leader was elected in; seen[i] the
	// latest term replica i knows of (nil until the first election); el
	// the rest of the election state (election.go).
	term uint32
	seen []uint32
	el   election
	// proposals lists the parts that proposed on the range (set
	// appending) since it was last compacted, with stale and repeated
	// entries; pendingProposals reads it.
	proposals []partID
	// proposalsLive is its length after the last compaction.
	proposalsLive int
	// views holds, per replica index, the lease each replica applied and
	// its own circuit breaker, while some replica has missed a lease
	// change or has its own breaker open; nil otherwise (leaseview.go).
	views []replicaLease
	// readyAt[i] is when replica i, a replacement (upreplicate.go), has
	// caught up by snapshot and acknowledges appends (nil: no replacement
	// yet).
	readyAt []sim.Time
}

// catchingUp reports whether replica i of r, a replacement, is still
// receiving its snapshot at now, and does not acknowledge appends yet.
func (r *Range) catchingUp(i int, now sim.Time) bool {
	return r.fail != nil && r.fail.readyAt != nil && now < r.fail.readyAt[i]
}

// state returns r's failover state, creating it the first time the
// failover component touches the range (a fault starts or ends, a request
// finds no valid lease, a write is proposed while faults are scheduled):
// a run without faults holds none.
func (f *failover) state(r *Range) *rangeFailover {
	if r.fail == nil {
		r.fail = &rangeFailover{open: -1, retryOutage: -1}
	}
	return r.fail
}

// Event kinds of the failover component's handler.
const (
	kFaultStart      sim.Kind = iota // fault index
	kFaultEnd                        // fault index
	kHeartbeat                       // NodeID: a node's liveness heartbeat is due
	kHeartbeatDone                   // NodeID: its liveness write committed
	kElectionTimeout                 // rangeReplicaArg: a voter's randomized election timeout passes
	kVote                            // vote message index: a (pre)vote request or response arrives
	kAcquired                        // RangeID: a lease acquisition completes
	kStoreDead                       // nodeGenArg: server.time_until_store_dead passed
	kLivenessRenew                   // 0: the liveness range's lease renewal tick
	kLivenessExpiry                  // NodeID: a node's liveness record expires unless renewed
	kBreaker                         // rangeGenArg: a replica circuit breaker's threshold passes
	kBreakerProbe                    // rangeGenArg: a tripped breaker's probe gives up and tries again
	kCheckQuorum                     // rangeReplicaArg: a leader's CheckQuorum finds no active quorum
	kConnDead                        // peerArg: a gateway's RPC heartbeat to a peer fails
	kDialDone                        // peerArg: a gateway's dial to a peer connects or fails
	kPeerProbe                       // peerArg: a tripped RPC breaker's probe dials again
	kReplicaBreaker                  // rangeReplicaArg: a replica's own lease request is ReplicaCircuitBreakerThreshold old
	kReplicaProbe                    // rangeReplicaArg: a replica's own tripped breaker probes again
)

// AddFault schedules a fault. Call it before running the engine: a fault
// added later works (the proposals already out are indexed when the first
// fault creates the failover component), but the events before it ran
// without the component's bookkeeping; a reply already handled ahead of
// its arrival (replyAhead) arrives even if the fault would have dropped
// it or crashed its gateway first, and the appends and acknowledgements
// of a write finished so are already stale.
func (m *Model) AddFault(f Fault) error {
	if err := f.Validate(len(m.cluster.Nodes)); err != nil {
		return err
	}
	if m.fo == nil {
		// A non-voter's append matters with faults: the appends kept
		// off the queue become events again (pending.go).
		m.resumeAppendEvents()
		m.fo = newFailover(m)
		n := len(m.cluster.Nodes)
		m.ds.peers = make([]peerConn, n*n)
		m.ds.probes = peerProbes(m.cfg.Version)
		// Proposals already out (a fault added after the run began) join
		// the index of pending proposals, which only keeps one from now.
		for i := range m.parts.len() {
			if p := m.parts.at(partID(i)); p.rng != noRange && p.appending {
				m.noteProposal(&m.ranges[p.rng], partID(i))
			}
		}
	}
	fo := m.fo
	fo.faults = append(fo.faults, f)
	fo.transitions = append(fo.transitions, sim.At(f.At), sim.At(f.At+f.For))
	slices.Sort(fo.transitions)
	i := int64(len(fo.faults) - 1)
	m.eng.Schedule(sim.At(f.At), fo.id, kFaultStart, i)
	m.eng.Schedule(sim.At(f.At+f.For), fo.id, kFaultEnd, i)
	return nil
}

func newFailover(m *Model) *failover {
	n := len(m.cluster.Nodes)
	f := &failover{
		m: m, eng: m.eng, c: m.cluster,
		rng:     sim.NewRand(m.seed, sim.StreamID("raft/failover", 0)),
		timers:  timersFor(m.cfg.Version),
		raft:    raftTimersFor(m.cfg.Version),
		down:    make([]int16, n),
		downGen: make([]int32, n),
		cut:     make([]int16, n*n),
		downAt:  make([]sim.Time, n),
		hard:    make([]bool, n),
		cutAt:   make([]sim.Time, n*n),
		latest:  -1,
		// 1: a shape's zero epoch is stale from the start.
		reachEpoch: 1,
	}
	f.id = m.eng.Register(f)
	f.initLiveness()
	f.initGossip()
	return f
}

// changesIn reports whether a fault starts or ends in [a, b]: outside
// such instants nothing changes which nodes are up or which links
// deliver. False without faults.
func (f *failover) changesIn(a, b sim.Time) bool {
	if f == nil {
		return false
	}
	i, _ := slices.BinarySearch(f.transitions, a)
	return i < len(f.transitions) && f.transitions[i] <= b
}

// Outages returns every range outage so far; outages still open end now.
func (m *Model) Outages() []Outage {
	if m.fo == nil {
		return nil
	}
	out := slices.Clone(m.fo.outages)
	for i := range out {
		if out[i].End == 0 {
			out[i].End = m.eng.Now()
		}
	}
	return out
}

// Handle dispatches the failover component's events.
func (f *failover) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kFaultStart:
		f.faultStart(int(ev.Arg))
	case kFaultEnd:
		f.faultEnd(int(ev.Arg))
	case kHeartbeat:
		f.heartbeat(topology.NodeID(ev.Arg))
	case kHeartbeatDone:
		f.heartbeatDone(topology.NodeID(ev.Arg))
	case kElectionTimeout:
		f.electionTimeout(splitRangeReplicaArg(ev.Arg))
	case kVote:
		f.voteArrives(int32(ev.Arg))
	case kAcquired:
		f.acquired(&f.m.ranges[ev.Arg])
	case kStoreDead:
		f.storeDead(splitNodeGenArg(ev.Arg))
	case kLivenessRenew:
		f.livenessRenew()
	case kLivenessExpiry:
		f.livenessExpiry(topology.NodeID(ev.Arg))
	case kBreaker:
		f.breakerFires(splitRangeGenArg(ev.Arg))
	case kBreakerProbe:
		f.probe(splitRangeGenArg(ev.Arg))
	case kCheckQuorum:
		f.checkQuorum(splitRangeReplicaArg(ev.Arg))
	case kConnDead:
		f.connDead(splitPeerArg(ev.Arg))
	case kDialDone:
		f.dialDone(splitPeerArg(ev.Arg))
	case kPeerProbe:
		f.peerProbe(splitPeerArg(ev.Arg))
	case kReplicaBreaker:
		f.replicaBreakerFires(splitRangeReplicaArg(ev.Arg))
	case kReplicaProbe:
		f.replicaProbe(splitRangeReplicaArg(ev.Arg))
	default:
		panic(fmt.Sprintf("raft: unknown failover event kind %d", ev.Kind))
	}
}

// The request path's view of failures. Each of up, isLive, linkOK,
// leaseHolderOK and leaseValid is safe on a nil *failover (a run without
// faults) and then reports that all is well, so the request path calls them
// without checking for faults itself.

// up reports whether node n is running.
func (f *failover) up(n topology.NodeID) bool { return f == nil || f.down[n] == 0 }

// isLive reports whether node n is up with unexpired liveness.
func (f *failover) isLive(n topology.NodeID) bool {
	return f == nil || (f.down[n] == 0 && f.live.until[n] > f.eng.Now())
}

// linkOK reports whether a message from a to b is delivered now.
func (f *failover) linkOK(a, b topology.NodeID) bool {
	return f == nil || (f.down[a] == 0 && f.down[b] == 0 && (a == b || f.cut[int(a)*len(f.c.Nodes)+int(b)] == 0))
}

// note traces a step of the failover component at node n (-1: the
// cluster) when tracing is on.
func (f *failover) note(n topology.NodeID, kind, format string, args ...any) {
	if f.m.tracer != nil {
		f.m.traceNote(n, kind, fmt.Sprintf(format, args...))
	}
}

func (f *failover) applyFault(i int, delta int16) {
	ft := &f.faults[i]
	n := len(f.c.Nodes)
	for _, id := range ft.Crash {
		if !ft.Blackhole && (delta > 0 && f.down[id] == 0 || delta < 0 && f.down[id] == 1) {
			f.resetConns(id) // its process stops, or a new one starts
		}
		f.down[id] += delta
		f.reachEpoch++
		if delta > 0 {
			f.hard[id] = !ft.Blackhole // the latest fault decides
		}
		if delta < 0 && f.down[id] == 0 {
			f.m.q.restart(id, f.eng.Now()) // a new process: idle CPUs and disk
		}
		if delta > 0 && f.down[id] == 1 {
			f.downAt[id] = f.eng.Now()
			// Declared dead after time_until_store_dead, unless it comes
			// back first.
			f.downGen[id]++
			f.eng.After(timeUntilStoreDead, f.id, kStoreDead, nodeGenArg(id, f.downGen[id]))
		}
	}
	for _, a := range ft.A {
		for _, b := range ft.B {
			f.cutLink(int(a)*n+int(b), delta)
			if !ft.OneWay {
				f.cutLink(int(b)*n+int(a), delta)
			}
		}
	}
}

// faultStart takes nodes down and cuts links, fails the requests the
// crashed nodes held, and re-examines every range's leadership and lease.
func (f *failover) faultStart(i int) {
	f.note(-1, "fault", "%q starts", f.faults[i].Name)
	f.applyFault(i, 1)
	f.gossipChanged()
	f.latest = i
	f.m.failRequestsAtDownGateways()
	f.m.failRPCsAtDownNodes()
	f.watchConns()
	for ri := range f.m.ranges {
		r := &f.m.ranges[ri]
		f.crashedViews(r)
		if !f.leaseHolderOK(r) {
			f.openOutage(r)
			if f.up(r.Leaseholder) {
				// Its pending writes may be stuck.
				f.armBreaker(r, f.eng.Now())
			}
		}
		f.watchLeader(r)
		f.scheduleCheckQuorum(r)
	}
}

// openOutage records that range r cannot serve from now on, unless an
// outage of it is open already. Outages open wherever a range stops being
// able to serve: its leaseholder crashed or lost its quorum (a fault
// starts), its leaseholder's liveness expired (livenessExpiry), or a
// request found no valid lease (requestLease); they are attributed to the
// latest fault that started.
func (f *failover) openOutage(r *Range) {
	st := f.state(r)
	if st.open >= 0 {
		return
	}
	st.retryOutage = -1 // the previous outage's retry phase ends here
	st.open = int32(len(f.outages))
	f.markUnserved(r.ID)
	f.outages = append(f.outages, Outage{Fault: f.latest, Range: r.ID, Start: f.eng.Now(), Phases: map[string]float64{}})
	st.trigger = 0
	f.note(r.Leaseholder, "outage", "r%d cannot serve", r.ID)
}

func (f *failover) faultEnd(i int) {
	f.note(-1, "fault", "%q ends", f.faults[i].Name)
	f.applyFault(i, -1)
	f.gossipChanged()
	f.watchConns() // restarted gateways dial their peers anew
	for ri := range f.m.ranges {
		r := &f.m.ranges[ri]
		st := f.state(r)
		if !f.faults[i].Blackhole && st.seen != nil {
			f.restarted(r, f.faults[i].Crash)
		}
		if l := r.leader; l >= 0 && st.seen != nil {
			f.stepDownIfBehind(r, l)
		}
		f.watchLeader(r)
		// Replicas back in touch with the leader learn its term from its
		// next heartbeat (modelled as at once); a deposed leader steps down.
		if l := r.leader; l >= 0 && st.seen != nil {
			if j := r.replicaIndex(l); j >= 0 {
				f.spreadTerm(r, l, st.seen[j])
			}
		}
		f.m.resendUnacked(r)
		// Replicas back in touch with the leader apply the lease changes
		// they missed.
		f.catchUpLeases(r)
		switch {
		case st.waitingLease:
			f.tryAcquire(r)
		case st.open >= 0 && !st.acquiring && f.leaseHolderOK(r):
			// The leaseholder is back in touch: it serves again.
			f.leaseRestored(r)
		}
	}
}

// restarted resets r's replicas on the nodes of crashed that are up again:
// a restarted node's replicas come back as followers with no campaign
// under way (etcd raft loads a replica's term and vote, never its role),
// and a range whose leader restarted has no leader until an election.
func (f *failover) restarted(r *Range, crashed []topology.NodeID) {
	e := f.el(r)
	for j, n := range r.Replicas {
		if !f.up(n) || !slices.Contains(crashed, n) {
			continue
		}
		if e.role[j] != roleFollower {
			f.stopTimer(e, j)
		}
		e.role[j], e.votes[j] = roleFollower, 0
		if n == r.leader {
			r.leader = -1
			f.note(n, "restart", "r%d: %v restarts as a follower", r.ID, n)
			f.m.holdProposals(r)
		}
	}
}

// failoverPhases splits a failed-over outage, from its start to now, at
// the instants the acquisition waited for, in the order they came: a
// request needing the lease ("detect": acquisition is lazy), the old
// holder's liveness expiring ("liveness"), a Raft leader existing
// ("election"); from the last of them to now is the acquisition itself
// ("lease"). Each phase is named after the event that ends it, so the
// phases add up to the outage and none is zero by construction.
func failoverPhases(out *Outage, st *rangeFailover, now sim.Time) {
	type milestone struct {
		at   sim.Time
		name string
	}
	ms := []milestone{{max(st.trigger, out.Start), "detect"}}
	if st.expiredAt > out.Start {
		ms = append(ms, milestone{st.expiredAt, "liveness"})
	}
	if st.leaderAt > out.Start {
		ms = append(ms, milestone{st.leaderAt, "election"})
	}
	slices.SortStableFunc(ms, func(a, b milestone) int { return cmp.Compare(a.at, b.at) })
	at := out.Start
	for _, m := range ms {
		end := min(max(m.at, at), now)
		out.setPhase(m.name, end.Sub(at))
		at = end
	}
	out.setPhase("lease", now.Sub(at))
}

// served is told that range r served a request: if its lease came back
// after an outage and this is the first request served since, the
// outage's "retry" phase (requests backing off, DistSender polling) ends
// and so does the outage.
func (f *failover) served(r *Range) {
	if f == nil || r.fail == nil || r.fail.retryOutage < 0 {
		return
	}
	st := f.state(r)
	if now := f.eng.Now(); now > st.retryFrom {
		out := &f.outages[st.retryOutage]
		out.setPhase("retry", now.Sub(st.retryFrom))
		out.End = now
	}
	st.retryOutage = -1
}
