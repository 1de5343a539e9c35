package raft

import (
	"time"

	"github.com/regionsim/regionsim/raft/quorum"
	"github.com/regionsim/regionsim/topology"
)

// This file is lease acquisition under failures: whether a leaseholder can
// still serve, the quorum a replica can reach, and the lease request, its
// acquisition by the Raft leader once the old holder's liveness has
// expired (the epoch increment), and the lease's return home (reference
// §6.2). The rest of the failover path is in failover.go.

// leaseHolderOK reports whether r's leaseholder can serve: up, its liveness
// (or store-liveness support) unexpired, and able to reach a quorum.
func (f *failover) leaseHolderOK(r *Range) bool {
	if f == nil {
		return true
	}
	h := r.Leaseholder
	return f.up(h) && f.live.until[h] > f.eng.Now() && f.holderReaches(r, h) &&
		(f.timers.leaderLeases || r.leaseEpoch == f.live.epoch[h])
}

// holderReaches is reachesQuorum(h, r's voters), answered from r's
// shape's cache: every lease check of a fault run asks it, and the answer
// changes only when a fault starts or ends, or up-replication changes the
// voters (reachEpoch). Ranges of a shape share the voters, so a shape
// caches the answer of each voter at once (a range has at most 32
// replicas, AddTable: they fit the bits).
func (f *failover) holderReaches(r *Range, h topology.NodeID) bool {
	sh := r.rangeShape
	vs := sh.Layout.Voters
	if sh.reachEpoch != f.reachEpoch {
		var bits uint64
		for i, v := range vs {
			if f.reachesQuorum(v, vs) {
				bits |= 1 << i
			}
		}
		sh.reachEpoch, sh.reachBits = f.reachEpoch, bits
	}
	for i, v := range vs {
		if v == h {
			return sh.reachBits>>i&1 != 0
		}
	}
	return f.reachesQuorum(h, vs) // not a voter (a lease on its way out)
}

// leaseValid reports whether r's lease can serve requests now: the holder
// is fine and no re-acquisition is under way.
func (f *failover) leaseValid(r *Range) bool {
	return f == nil || (f.leaseHolderOK(r) && (r.fail == nil || !r.fail.waitingLease))
}

// leaseUnexpired reports whether r's lease still looks valid to its other
// replicas: its holder's liveness record (or store-liveness support) has
// not expired, whether or not the holder is in fact up.
func (f *failover) leaseUnexpired(r *Range) bool {
	return f == nil || f.live.until[r.Leaseholder] > f.eng.Now()
}

// leaseUnexpiredAt reports whether r's lease looks valid to its replica on
// node n, by n's copy of the holder's liveness record (gossip.go): a node
// cut off from gossip sees the record expire even while the holder renews
// it on the other side.
func (f *failover) leaseUnexpiredAt(r *Range, n topology.NodeID) bool {
	if f == nil {
		return true
	}
	until, _ := f.livenessSeenBy(n, r.Leaseholder)
	return until > f.eng.Now()
}

// never stands for "no acknowledgement" in consensus round computations.
const never = time.Duration(1<<63 - 1)

// consensus returns the network part of one consensus round led by node n
// over voters — the median RTT to the member of the nearest majority
// farthest from n, n itself counting at 0 — and whether n, up, can
// exchange messages both ways with a majority (quorum.CommittedAt). Data
// ranges and the liveness range both use it.
func (f *failover) consensus(n topology.NodeID, voters []topology.NodeID) (time.Duration, bool) {
	if !f.up(n) {
		return 0, false
	}
	var buf [32]time.Duration
	acks := buf[:0]
	for _, v := range voters {
		switch {
		case v == n:
			acks = append(acks, 0)
		case f.linkOK(n, v) && f.linkOK(v, n):
			acks = append(acks, f.c.MedianRTT(n, v))
		default:
			acks = append(acks, never)
		}
	}
	rtt := quorum.CommittedAt(acks)
	if rtt == never {
		return 0, false
	}
	return rtt, true
}

// reachesQuorum reports whether voter n can exchange messages with a
// majority of voters (itself included): consensus's second answer,
// counted without the round's time (the request path asks it at every
// lease check of a fault run).
func (f *failover) reachesQuorum(n topology.NodeID, voters []topology.NodeID) bool {
	if f == nil {
		return true // no faults: every link delivers
	}
	if !f.up(n) {
		return false
	}
	// linkOK(n, v) && linkOK(v, n), written out for an n that is up: a
	// fault run's every lease check asks this, for each voter.
	nn := len(f.c.Nodes)
	from, to := f.cut[int(n)*nn:int(n+1)*nn], f.cut[int(n):]
	reach := 0
	for _, v := range voters {
		if v == n || f.down[v] == 0 && from[v] == 0 && to[int(v)*nn] == 0 {
			reach++
		}
	}
	return reach >= quorum.Size(len(voters))
}

// quorumRTT is the network part of one consensus round led by n over
// voters (0 if n reaches no majority).
func (f *failover) quorumRTT(n topology.NodeID, voters []topology.NodeID) time.Duration {
	rtt, _ := f.consensus(n, voters)
	return rtt
}

// requestLease is called by the request path when a request reached voter
// v of r and found no valid lease: the first such request marks when the
// outage was noticed, and acquisition starts at the Raft leader. If v knows
// no live leader, it campaigns (election.go, wakeOrRedirect).
func (f *failover) requestLease(r *Range, v topology.NodeID) {
	f.wakeOrRedirect(r, v)
	f.openOutage(r)
	if st := f.state(r); st.stuckSince == 0 {
		// The lease request is a proposal at a live replica: the replica's
		// circuit breaker trips if it has not applied in time.
		st.stuckSince = f.eng.Now()
		f.armBreaker(r, st.stuckSince)
	}
	if st := f.state(r); st.trigger == 0 {
		st.trigger = f.eng.Now()
	}
	f.tryAcquire(r)
}

// tryAcquire starts acquiring r's lease at its Raft leader, if it has one:
// once the old holder's liveness record has expired, an epoch bump (a write
// to the liveness range) and a lease proposal (one consensus round) follow
// (reference §6.2). Leader leases skip the epoch bump.
func (f *failover) tryAcquire(r *Range) {
	st := f.state(r)
	if st.acquiring {
		return
	}
	if f.leaseHolderOK(r) {
		f.leaseRestored(r)
		return
	}
	st.waitingLease = true
	f.markUnserved(r.ID)
	if r.leader < 0 || !f.reachesQuorum(r.leader, r.Layout.Voters) {
		// No leader that can commit: wait for an election (election.go).
		f.watchLeader(r)
		return
	}
	start := f.eng.Now()
	var bump time.Duration
	st.expiredAt, st.bumping = 0, false
	// current: the lease still names its holder's liveness epoch (an epoch
	// lease whose holder's epoch was incremented since is over at once).
	current := f.timers.leaderLeases || f.live.epoch[r.Leaseholder] == r.leaseEpoch
	if old := r.Leaseholder; !current && f.live.bumped[old] > 0 {
		// The lease ended when another range's acquisition incremented
		// the holder's epoch, after its record expired: the liveness
		// milestone of this outage.
		st.expiredAt = f.live.bumped[old]
	}
	if old := r.Leaseholder; old != r.leader && current {
		st.expiredAt = f.live.until[old]
		start = max(start, f.live.until[old])
		if !f.timers.leaderLeases {
			// The old holder's epoch must be incremented first: a
			// conditional write to its liveness record.
			lh, ok := f.livenessLeader(r.leader)
			if !ok {
				return // cannot reach the liveness range: retried on recovery
			}
			bump = f.c.MedianRTT(r.leader, lh) + f.quorumRTT(lh, f.live.replicas) + f.c.SampleFsync(f.rng)
			st.bumping, st.readEpoch = true, f.live.epoch[old]
		}
	}
	round := f.c.SampleService(f.rng) + f.c.SampleFsync(f.rng) + f.quorumRTT(r.leader, r.Layout.Voters)
	st.acquiring = true
	f.note(r.leader, "lease-acquire", "r%d: %v from %v after its liveness expires at %v: epoch bump %v, proposal %v",
		r.ID, r.leader, r.Leaseholder, start, bump, round)
	f.eng.Schedule(start.Add(bump+round), f.id, kAcquired, int64(r.ID))
}

func (f *failover) acquired(r *Range) {
	st := f.state(r)
	st.acquiring = false
	r.transferring = false // a transfer stuck on the lost quorum is moot
	if r.leader < 0 || !f.reachesQuorum(r.leader, r.Layout.Voters) || !f.isLive(r.leader) {
		f.tryAcquire(r)
		return
	}
	from, to := r.Leaseholder, r.leader
	if st.bumping {
		st.bumping = false
		if f.live.epoch[from] != st.readEpoch {
			// Another range's acquisition incremented the epoch first:
			// this one fails with ErrEpochAlreadyIncremented, and its
			// waiters get a NotLeaseHolderError and retry
			// (replica_range_lease.go requestLeaseAsync).
			f.note(to, "epoch-race", "r%d: %v's epoch was already incremented", r.ID, from)
			st.waitingLease = false
			f.m.bounceParked(r)
			return
		}
		if !(f.up(from) && f.live.until[from] > f.eng.Now()) {
			f.live.epoch[from]++
			f.live.bumped[from] = f.eng.Now()
			f.gossipRecord(from, to)
		}
	}
	stale := !f.timers.leaderLeases && f.live.epoch[from] != r.leaseEpoch
	if from != to && !stale && f.up(from) && f.live.until[from] > f.eng.Now() {
		// The old holder heartbeated meanwhile (it reaches the liveness
		// range but not its followers): the epoch increment, a conditional
		// write on its liveness record, fails and the acquisition waits
		// again — epoch leases' known weakness under partial partitions.
		f.tryAcquire(r)
		return
	}
	if from != to {
		st.failedOver = true
		f.m.moveLease(r, to, "failover")
	}
	r.leaseStart = f.eng.Now()
	r.leaseEpoch = f.live.epoch[to]
	f.leaseRestored(r)
}

// epochOf returns node n's liveness epoch (0 without faults).
func (f *failover) epochOf(n topology.NodeID) uint32 {
	if f == nil {
		return 0
	}
	return f.live.epoch[n]
}

// leaseTransferred is told that a lease transfer applied: if the range had
// an open outage (its old holder's liveness had expired meanwhile, say)
// and the new holder can serve, the outage ends.
func (f *failover) leaseTransferred(r *Range) {
	if f == nil || r.fail == nil || r.fail.open < 0 || r.fail.acquiring || !f.leaseHolderOK(r) {
		return
	}
	r.fail.transferred = true
	f.leaseRestored(r)
}

// leaseRestored ends r's outage and releases the requests waiting for a
// lease towards the leaseholder.
func (f *failover) leaseRestored(r *Range) {
	st := f.state(r)
	st.waitingLease = false
	now := f.eng.Now()
	if st.open >= 0 {
		out := &f.outages[st.open]
		out.End = now
		trigger := st.trigger
		if trigger == 0 || trigger < out.Start {
			trigger = out.Start
		}
		switch {
		case st.transferred:
			// A lease transfer under way when the outage began moved
			// the lease to a holder that can serve.
			out.setPhase("transferred", now.Sub(out.Start))
		case !st.failedOver:
			// The old holder came back (e.g. every voter had been down):
			// no failover happened.
			out.setPhase("holder back", now.Sub(out.Start))
		default:
			failoverPhases(out, st, now)
		}
		st.retryOutage, st.retryFrom = st.open, now
		st.failedOver, st.transferred = false, false
		st.open = -1
		f.note(r.Leaseholder, "lease-valid", "r%d: held by %v", r.ID, r.Leaseholder)
	}
	st.trigger = 0
	st.stuckSince, st.tripped, st.breakerArmed = 0, false, false
	st.breakerGen++
	f.m.releaseParked(r, r.Leaseholder)
}
