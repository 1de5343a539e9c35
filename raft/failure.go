package raft

import (
	"fmt"
	"slices"
	"time"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// Event kinds of the failure model.
const (
	kFaultStart    = kScan + 1 + iota // Arg: fault index
	kFaultEnd                         // Arg: fault index
	kHeartbeat                        // Arg: node
	kHeartbeatDone                    // Arg: node
	kElection                         // Arg: range
	kAcquired                         // Arg: range
	kRPCError                         // Arg: part, at its gateway
	kRetry                            // Arg: part, at its gateway
	kDeadline                         // Arg: request
	kStoreDead                        // Arg: Pack(node, down generation)
	kLivenessRenew                    // the liveness range's lease renewal tick
)

// failState is the failure model's state: which nodes are down, which links
// are cut, node liveness, and the faults and outages.
type failState struct {
	timers    versionTimers
	faults    []Fault
	down      []int16 // crash count per node (faults may overlap)
	cut       []int16 // cut count per directed link from*n+to
	liveUntil []sim.Time
	hbSent    []sim.Time
	unreach   []sim.Time // gateway*n+node: skip node until then
	liveness  []topology.NodeID
	// livLH holds the liveness range's expiration-based lease, valid until
	// livLeaseUntil.
	livLH         topology.NodeID
	livLeaseUntil sim.Time
	outages       []Outage
	open          []int32 // range -> index in outages of its open outage, or -1
	downGen       []int32 // bumped each time a node goes down
	rnd           interface{ Float64() float64 }
}

// AddFault schedules a fault. Call it before running the engine.
func (m *Model) AddFault(f Fault) error {
	if err := f.Validate(len(m.cluster.Nodes)); err != nil {
		return err
	}
	if !m.faulty {
		m.initFailures()
	}
	fs := &m.fail
	fs.faults = append(fs.faults, f)
	i := int64(len(fs.faults) - 1)
	m.eng.Schedule(sim.At(f.At), m.id, kFaultStart, i)
	m.eng.Schedule(sim.At(f.At+f.For), m.id, kFaultEnd, i)
	return nil
}

// Outages returns every range outage so far; outages still open end now.
func (m *Model) Outages() []Outage {
	out := slices.Clone(m.fail.outages)
	for i := range out {
		if out[i].End == 0 {
			out[i].End = m.eng.Now()
		}
	}
	return out
}

// IsUp reports whether node n is running at the current simulated time.
func (m *Model) IsUp(n topology.NodeID) bool { return !m.faulty || m.fail.down[n] == 0 }

func (m *Model) initFailures() {
	m.faulty = true
	fs := &m.fail
	n := len(m.cluster.Nodes)
	fs.timers = timersFor(m.cfg.Version)
	fs.down = make([]int16, n)
	fs.downGen = make([]int32, n)
	fs.cut = make([]int16, n*n)
	fs.liveUntil = make([]sim.Time, n)
	fs.hbSent = make([]sim.Time, n)
	fs.unreach = make([]sim.Time, n*n)
	r := sim.NewRand(m.seed, sim.StreamID("raft/failures", 0))
	fs.rnd = r
	// The liveness range: 5 replicas spread over the regions (system
	// ranges, reference §1.4), served by its first reachable voter.
	l, err := placement.Allocate(m.cluster, placement.SystemSpec(), r, nil)
	if err != nil || len(l.Voters) == 0 {
		for i := range min(5, n) {
			fs.liveness = append(fs.liveness, topology.NodeID(i))
		}
	} else {
		fs.liveness = l.Voters
	}
	fs.livLH = fs.liveness[0]
	fs.livLeaseUntil = m.eng.Now().Add(fs.timers.rangeLease)
	m.eng.After(fs.timers.rangeLease/2, m.id, kLivenessRenew, 0)
	for i := range n {
		// Every node heartbeated just before the start.
		fs.liveUntil[i] = m.eng.Now().Add(fs.timers.livenessExpiry)
		at := time.Duration(r.Int64N(int64(fs.timers.livenessHeartbeat)))
		m.eng.Schedule(m.eng.Now().Add(at), m.id, kHeartbeat, int64(i))
	}
	m.isLive = func(n topology.NodeID) bool { return m.up(n) && m.fail.liveUntil[n] > m.eng.Now() }
}

func (m *Model) up(n topology.NodeID) bool { return m.fail.down[n] == 0 }

// linkOK reports whether a message from a to b is delivered now.
func (m *Model) linkOK(a, b topology.NodeID) bool {
	fs := &m.fail
	return fs.down[a] == 0 && fs.down[b] == 0 && (a == b || fs.cut[int(a)*len(m.cluster.Nodes)+int(b)] == 0)
}

func (m *Model) applyFault(i int, delta int16) {
	f := &m.fail.faults[i]
	n := len(m.cluster.Nodes)
	for _, id := range f.Crash {
		m.fail.down[id] += delta
		if delta > 0 && m.fail.down[id] == 1 {
			// Declared dead after time_until_store_dead, unless it comes
			// back first.
			m.fail.downGen[id]++
			m.eng.After(timeUntilStoreDead, m.id, kStoreDead, sim.Pack(int32(id), m.fail.downGen[id]))
		}
	}
	for _, a := range f.A {
		for _, b := range f.B {
			m.fail.cut[int(a)*n+int(b)] += delta
			if !f.OneWay {
				m.fail.cut[int(b)*n+int(a)] += delta
			}
		}
	}
}

// faultStart takes nodes down and cuts links, fails the requests the
// crashed nodes held, and re-examines every range's leadership and lease.
func (m *Model) faultStart(i int) {
	m.applyFault(i, 1)
	m.ensureRangeState()
	now := m.eng.Now()
	// Requests being served at a node that crashed: their gateways see the
	// RPC fail (connection lost) after the network timeout.
	for pi := range m.parts {
		p := &m.parts[pi]
		if p.req >= 0 && !p.replied && p.kind != partLease && !m.up(p.node) && !p.lost {
			if p.parkedOn >= 0 {
				m.unpark(int32(pi))
			}
			p.lost = true
			m.sendPart(m.fail.timers.networkTimeout, kRPCError, int32(pi), 0)
		}
	}
	for ri := range m.ranges {
		r := &m.ranges[ri]
		if !m.leaseHolderOK(r) && m.fail.open[ri] < 0 {
			m.fail.open[ri] = int32(len(m.fail.outages))
			m.fail.outages = append(m.fail.outages, Outage{Fault: i, Range: r.ID, Start: now, Phases: map[string]float64{}})
			r.trigger = 0
		}
		m.checkLeader(r)
	}
}

func (m *Model) faultEnd(i int) {
	m.applyFault(i, -1)
	m.ensureRangeState()
	for ri := range m.ranges {
		r := &m.ranges[ri]
		m.checkLeader(r)
		m.resendUnacked(r)
		if r.waitingLease {
			m.tryAcquire(r)
		}
	}
}

// ensureRangeState sizes per-range failure state for ranges added after the
// first fault was scheduled.
func (m *Model) ensureRangeState() {
	for len(m.fail.open) < len(m.ranges) {
		m.fail.open = append(m.fail.open, -1)
	}
}

// leaseHolderOK reports whether r's leaseholder can serve: up, its liveness
// (or store-liveness support) unexpired, and able to reach a quorum.
func (m *Model) leaseHolderOK(r *Range) bool {
	h := r.Leaseholder
	return m.up(h) && m.fail.liveUntil[h] > m.eng.Now() && m.reachesQuorum(h, r)
}

// reachesQuorum reports whether voter n can exchange messages with a quorum
// of r's voters (itself included).
func (m *Model) reachesQuorum(n topology.NodeID, r *Range) bool {
	if !m.up(n) {
		return false
	}
	k := 0
	for _, v := range r.Layout.Voters {
		if v == n || (m.linkOK(n, v) && m.linkOK(v, n)) {
			k++
		}
	}
	return k >= r.Quorum
}

// quorumRTT returns the median RTT from n to the (Quorum−1)-th nearest voter
// it can reach: the network part of one consensus round led by n.
func (m *Model) quorumRTT(n topology.NodeID, r *Range) time.Duration {
	var rtts [32]time.Duration
	k := 0
	for _, v := range r.Layout.Voters {
		if v != n && m.linkOK(n, v) && m.linkOK(v, n) && k < len(rtts) {
			rtts[k] = m.cluster.MedianRTT(n, v)
			k++
		}
	}
	slices.Sort(rtts[:k])
	need := r.Quorum - 1
	if need <= 0 || need > k {
		return 0
	}
	return rtts[need-1]
}

// checkLeader starts an election when r's Raft leader can no longer lead:
// the live voters that reach a quorum campaign when their randomised
// election timeout, counted from the last leader heartbeat, fires; the
// first one wins after one round trip to a quorum.
func (m *Model) checkLeader(r *Range) {
	if r.leader >= 0 && m.reachesQuorum(r.leader, r) {
		return
	}
	if r.electionAt > 0 {
		return
	}
	t := m.fail.timers
	lastHeartbeat := m.eng.Now() - sim.Time(m.fail.rnd.Float64()*float64(t.raftHeartbeat))
	best, bestAt := topology.NodeID(-1), sim.Never
	for _, v := range r.Layout.Voters {
		if v == r.leader || !m.reachesQuorum(v, r) {
			continue
		}
		timeout := time.Duration((1 + m.fail.rnd.Float64()) * float64(t.electionTimeout))
		at := lastHeartbeat.Add(timeout + m.quorumRTT(v, r))
		if at < m.eng.Now() {
			at = m.eng.Now()
		}
		if at < bestAt {
			best, bestAt = v, at
		}
	}
	r.leader = -1
	if best < 0 {
		return // no quorum anywhere: wait for a fault to end
	}
	r.candidate, r.electionAt = best, bestAt
	m.eng.Schedule(bestAt, m.id, kElection, int64(r.ID))
}

func (m *Model) electionDone(r *Range) {
	if r.electionAt != m.eng.Now() {
		return // superseded
	}
	r.electionAt = 0
	if !m.reachesQuorum(r.candidate, r) {
		m.checkLeader(r)
		return
	}
	r.leader = r.candidate
	r.leaderAt = m.eng.Now()
	if m.fail.timers.leaderLeases || r.waitingLease {
		// Leader leases are acquired by the new leader at once; epoch
		// leases lazily, by the first request that needs one.
		m.tryAcquire(r)
	}
}

// needLease handles a leaseholder-only part that found no valid lease at
// replica p.node: a voter triggers lease acquisition and the part waits for
// it; a non-voter answers NotLeaseHolder without a hint and the gateway
// tries another replica.
func (m *Model) needLease(pi int32) {
	p := &m.parts[pi]
	r := &m.ranges[p.rng]
	if !r.Layout.IsVoter(p.node) {
		p.tried |= m.replicaBit(r, p.node)
		m.sendPart(m.oneWay(p.node, m.reqs[p.req].gateway), kRetry, pi, 0)
		return
	}
	if r.trigger == 0 {
		r.trigger = m.eng.Now()
	}
	m.park(r, pi)
	m.tryAcquire(r)
}

// tryAcquire starts acquiring r's lease at its Raft leader, if it has one:
// once the old holder's liveness record has expired, an epoch bump (a write
// to the liveness range) and a lease proposal (one consensus round) follow
// (reference §6.2). Leader leases skip the epoch bump.
func (m *Model) tryAcquire(r *Range) {
	if r.acquiring {
		return
	}
	if m.leaseHolderOK(r) {
		m.leaseRestored(r)
		return
	}
	r.waitingLease = true
	if r.leader < 0 || !m.reachesQuorum(r.leader, r) {
		m.checkLeader(r)
		return
	}
	t := m.fail.timers
	start := m.eng.Now()
	old := r.Leaseholder
	var bump time.Duration
	if old != r.leader {
		if exp := m.fail.liveUntil[old]; exp > start {
			start = exp
		}
		if !t.leaderLeases {
			lh, ok := m.livenessLeader(r.leader)
			if !ok {
				return // cannot reach the liveness range: retried on recovery
			}
			bump = m.cluster.MedianRTT(r.leader, lh) + m.livenessQuorumRTT(lh) + m.fsync()
		}
	}
	round := m.service() + m.fsync() + m.quorumRTT(r.leader, r)
	r.acquiring = true
	r.expiredAt = start
	m.eng.Schedule(start.Add(bump+round), m.id, kAcquired, int64(r.ID))
}

func (m *Model) acquired(r *Range) {
	r.acquiring = false
	r.transferring = false // a transfer stuck on the lost quorum is moot
	if r.leader < 0 || !m.reachesQuorum(r.leader, r) || !m.isLive(r.leader) {
		m.tryAcquire(r)
		return
	}
	from, to := r.Leaseholder, r.leader
	if from != to && m.up(from) && m.fail.liveUntil[from] > m.eng.Now() {
		// The old holder heartbeated meanwhile (it reaches the liveness
		// range but not its followers): the epoch increment, a conditional
		// write on its liveness record, fails and the acquisition waits
		// again — epoch leases' known weakness under partial partitions.
		m.tryAcquire(r)
		return
	}
	if from != to {
		r.failedOver = true
		m.leaseCount[from]--
		m.leaseCount[to]++
		r.Leaseholder = to
		r.stats.Reset(m.eng.Now())
		m.leases = append(m.leases, LeaseEvent{At: m.eng.Now(), Range: r.ID, From: from, To: to, Reason: "failover"})
	}
	r.leaseStart = m.eng.Now()
	m.leaseRestored(r)
}

// leaseRestored ends r's outage and releases the requests waiting for a
// lease towards the leaseholder.
func (m *Model) leaseRestored(r *Range) {
	m.ensureRangeState()
	r.waitingLease = false
	now := m.eng.Now()
	if o := m.fail.open[r.ID]; o >= 0 {
		out := &m.fail.outages[o]
		out.End = now
		trigger := r.trigger
		if trigger == 0 || trigger < out.Start {
			trigger = out.Start
		}
		if !r.failedOver {
			// The old holder came back (e.g. every voter had been down):
			// no failover happened.
			out.Phases["holder back"] = now.Sub(out.Start).Seconds()
		} else {
			// Phases in order: until a request needed the lease (lazy),
			// until the old liveness record expired, until a leader
			// existed, and the acquisition itself.
			live := max(trigger, min(r.expiredAt, now))
			elect := max(live, min(r.leaderAt, now))
			out.Phases["detect"] = trigger.Sub(out.Start).Seconds()
			out.Phases["liveness"] = live.Sub(trigger).Seconds()
			out.Phases["election"] = elect.Sub(live).Seconds()
			out.Phases["lease"] = now.Sub(elect).Seconds()
		}
		r.failedOver = false
		m.fail.open[r.ID] = -1
	}
	r.trigger = 0
	m.releaseParked(r, r.Leaseholder)
}

// livenessLeader returns the liveness range's leaseholder as seen from n,
// if n can reach it and it can reach a quorum of the liveness replicas.
// The liveness range has an expiration-based lease: when its holder is lost,
// liveness writes fail until that lease expires and another replica with a
// quorum acquires it (reference §6.1).
func (m *Model) livenessLeader(n topology.NodeID) (topology.NodeID, bool) {
	fs := &m.fail
	now := m.eng.Now()
	if now >= fs.livLeaseUntil {
		for _, l := range fs.liveness {
			if m.livenessQuorum(l) {
				fs.livLH, fs.livLeaseUntil = l, now.Add(fs.timers.rangeLease)
				break
			}
		}
		if now >= fs.livLeaseUntil {
			return 0, false
		}
	}
	l := fs.livLH
	if !m.linkOK(n, l) || !m.linkOK(l, n) || !m.livenessQuorum(l) {
		return 0, false
	}
	return l, true
}

// livenessQuorum reports whether liveness replica l is up and reaches a
// quorum of the liveness replicas.
func (m *Model) livenessQuorum(l topology.NodeID) bool {
	if !m.up(l) {
		return false
	}
	k := 0
	for _, o := range m.fail.liveness {
		if o == l || (m.linkOK(l, o) && m.linkOK(o, l)) {
			k++
		}
	}
	return k >= len(m.fail.liveness)/2+1
}

// livenessRenew extends the liveness range's lease while its holder can.
func (m *Model) livenessRenew() {
	fs := &m.fail
	m.eng.After(fs.timers.rangeLease/2, m.id, kLivenessRenew, 0)
	if now := m.eng.Now(); now < fs.livLeaseUntil && m.livenessQuorum(fs.livLH) {
		fs.livLeaseUntil = now.Add(fs.timers.rangeLease)
	}
}

// livenessQuorumRTT is the consensus round trip of a write to the liveness
// range led by l.
func (m *Model) livenessQuorumRTT(l topology.NodeID) time.Duration {
	var rtts [16]time.Duration
	k := 0
	for _, o := range m.fail.liveness {
		if o != l && m.linkOK(l, o) && k < len(rtts) {
			rtts[k] = m.cluster.MedianRTT(l, o)
			k++
		}
	}
	slices.Sort(rtts[:k])
	need := len(m.fail.liveness) / 2
	if need <= 0 || need > k {
		return 0
	}
	return rtts[need-1]
}

// heartbeat renews node n's liveness record (or store-liveness support)
// through the liveness range, if n can reach it.
func (m *Model) heartbeat(n topology.NodeID) {
	t := m.fail.timers
	m.eng.After(t.livenessHeartbeat, m.id, kHeartbeat, int64(n))
	if !m.up(n) {
		return
	}
	l, ok := m.livenessLeader(n)
	if !ok {
		return
	}
	m.fail.hbSent[n] = m.eng.Now()
	d := m.cluster.MedianRTT(n, l) + m.livenessQuorumRTT(l) + m.fsync()
	m.eng.After(d, m.id, kHeartbeatDone, int64(n))
}

func (m *Model) heartbeatDone(n topology.NodeID) {
	if !m.up(n) {
		return
	}
	m.ensureRangeState()
	if exp := m.fail.hbSent[n].Add(m.fail.timers.livenessExpiry); exp > m.fail.liveUntil[n] {
		m.fail.liveUntil[n] = exp
	}
	// A leaseholder back in touch keeps its leases if nobody took them
	// (e.g. every voter of a ZONE-survival range was down).
	for ri := range m.ranges {
		r := &m.ranges[ri]
		if (r.waitingLease || m.fail.open[ri] >= 0) && r.Leaseholder == n && !r.acquiring && m.leaseHolderOK(r) {
			m.leaseRestored(r)
		}
	}
}

// replicaBit returns the bit of node n among r's replicas.
func (m *Model) replicaBit(r *Range, n topology.NodeID) uint32 {
	for i, x := range r.Replicas {
		if x == n {
			return 1 << uint(i)
		}
	}
	return 0
}

// retryPart is DistSender at the gateway after an RPC error or a
// NotLeaseHolder without a hint: the next replica by latency that the
// gateway has not tried and does not know to be unreachable; when all have
// been tried, back off and start over.
func (m *Model) retryPart(pi int32) {
	p := &m.parts[pi]
	s := &m.reqs[p.req]
	if s.done {
		m.abandonPart(pi)
		return
	}
	r := &m.ranges[p.rng]
	gw := s.gateway
	now := m.eng.Now()
	best := topology.NodeID(-1)
	var bestRTT time.Duration
	for i, n := range r.Replicas {
		if p.tried&(1<<uint(i)) != 0 || m.fail.unreach[int(gw)*len(m.cluster.Nodes)+int(n)] > now {
			continue
		}
		if d := m.cluster.MedianRTT(gw, n); best < 0 || d < bestRTT {
			best, bestRTT = n, d
		}
	}
	if best < 0 {
		p.tried = 0
		p.attempt++
		backoff := min(distSenderBackoffMax, distSenderBackoffMin<<min(p.attempt, 8))
		m.sendPart(backoff, kRetry, pi, 0)
		return
	}
	p.tried |= m.replicaBit(r, best)
	p.node = best
	p.from = gw
	m.sendToReplica(pi, m.oneWay(gw, best))
}

// rpcFailed runs at the gateway when an RPC to p.node failed.
func (m *Model) rpcFailed(pi int32) {
	p := &m.parts[pi]
	p.lost = false
	if p.parkedOn >= 0 {
		// The node came back in time to take the request, but the
		// gateway has given up on that attempt.
		m.unpark(pi)
	}
	gw := m.reqs[p.req].gateway
	m.fail.unreach[int(gw)*len(m.cluster.Nodes)+int(p.node)] = m.eng.Now().Add(unreachableTTL)
	p.tried |= m.replicaBit(&m.ranges[p.rng], p.node)
	m.retryPart(pi)
}

// dropped handles a request-path message that was not delivered: the
// gateway's RPC fails after the network timeout.
func (m *Model) dropped(pi int32) {
	p := &m.parts[pi]
	if p.lost {
		return
	}
	p.lost = true
	m.sendPart(m.fail.timers.networkTimeout, kRPCError, pi, 0)
}

// abandonPart retires a part of a request that already finished (failed
// by its deadline): it counts as replied.
func (m *Model) abandonPart(pi int32) {
	p := &m.parts[pi]
	if p.replied {
		panic(fmt.Sprintf("raft: abandoning part %d after its reply", pi))
	}
	ri := p.req
	p.replied = true
	m.maybeFreePart(pi)
	m.reqs[ri].pending--
	m.maybeFreeReq(ri)
}

// deadline fails request ri if it is still running after the replica
// circuit breaker's threshold.
func (m *Model) deadline(ri int32) {
	s := &m.reqs[ri]
	s.inFlight--
	s.deadline = 0
	if s.done {
		m.maybeFreeReq(ri)
		return
	}
	s.ok = false
	m.finish(ri)
}

// resendUnacked re-sends MsgApp to voters that have not acknowledged a
// pending write, after a fault ends (Raft's reproposals and heartbeats catch
// followers up).
func (m *Model) resendUnacked(r *Range) {
	for pi := range m.parts {
		p := &m.parts[pi]
		// Free slots have rng -1; lease transfers have no request.
		if p.rng != r.ID || p.commit || p.replied || !p.appending || (p.req < 0 && p.kind != partLease) {
			continue
		}
		if !m.up(p.node) {
			continue
		}
		for i, n := range r.Replicas {
			if n == p.node || p.acked&(1<<uint(i)) != 0 {
				continue
			}
			m.sendPart(m.oneWay(p.node, n)+m.fsync(), kAppendDone, int32(pi), int32(i))
		}
	}
}

// storeDead replaces the replicas of node d, down since time_until_store_dead
// ago, where constraints allow: a replacement goes to a live node without a
// replica of the range, in the same region when one has such a node; only
// a voter that no voter constraint pins may move to another region. The new
// replica catches up by snapshot before it can vote. The replica holding
// the lease is left alone (the lease must move first).
func (m *Model) storeDead(d topology.NodeID, gen int32) {
	if m.up(d) || m.fail.downGen[d] != gen {
		return // it came back
	}
	for ri := range m.ranges {
		r := &m.ranges[ri]
		i := slices.Index(r.Replicas, d)
		if i < 0 || r.Leaseholder == d {
			continue
		}
		voter := i < r.NumVoters
		region := m.cluster.Nodes[d].Region
		target := m.replacementNode(r, region)
		if target < 0 && voter && !m.voterPinned(r, region) {
			target = m.replacementNode(r, -1)
		}
		if target < 0 {
			continue
		}
		r.Replicas[i] = target
		list := r.Layout.NonVoters
		if voter {
			list = r.Layout.Voters
		}
		list[slices.Index(list, d)] = target
		if r.readyAt == nil {
			r.readyAt = make([]sim.Time, len(r.Replicas))
		}
		r.readyAt[i] = m.eng.Now().Add(m.cluster.MedianRTT(r.Leaseholder, target) + snapshotDuration)
		m.replacements = append(m.replacements, Replacement{At: m.eng.Now(), Range: r.ID, From: d, To: target, Voter: voter})
	}
	m.follow.nRanges = -1 // replica lists changed: rebuild the scanners'
}

// replacementNode picks a live node without a replica of r in region (any
// region when region < 0), most diverse from r's other replicas, then the
// lowest id; -1 if there is none.
func (m *Model) replacementNode(r *Range, region int) topology.NodeID {
	best, bestScore := topology.NodeID(-1), -1.0
	for n := range m.cluster.Nodes {
		id := topology.NodeID(n)
		if (region >= 0 && m.cluster.Nodes[n].Region != region) || !m.isLive(id) || slices.Contains(r.Replicas, id) {
			continue
		}
		score := 0.0
		for _, o := range r.Replicas {
			if m.up(o) {
				score += topology.DiversityScore(m.cluster.Nodes[n].Locality, m.cluster.Nodes[o].Locality)
			}
		}
		if score > bestScore {
			best, bestScore = id, score
		}
	}
	return best
}

// voterPinned reports whether r's voter constraints require its voters in
// region to stay there (ZONE survival's "all voters in the home region", or
// a region's voter count under REGION survival).
func (m *Model) voterPinned(r *Range, region int) bool {
	name := m.cluster.Regions[region].Name
	for _, c := range r.spec.VoterConstraints {
		if c.Region == name {
			return true
		}
	}
	return false
}

// Replacement is one dead replica replaced by up-replication.
type Replacement struct {
	At       sim.Time
	Range    int32
	From, To topology.NodeID
	Voter    bool
}

// Replacements returns the replicas replaced so far.
func (m *Model) Replacements() []Replacement { return m.replacements }
