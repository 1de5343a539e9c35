package raft

import (
	"time"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// liveness is node liveness (epoch leases) or store liveness (leader
// leases, modelled at node level): each node renews its record by a write
// through the liveness range, whose own lease is expiration-based
// (reference §6.1).
type liveness struct {
	// until[n] is when node n's liveness record (or support) expires.
	until []sim.Time
	// epoch[n] is node n's liveness epoch: an epoch lease of n is valid
	// only while it carries n's current epoch, and another node takes it
	// over by incrementing n's epoch (IncrementEpoch) once the record has
	// expired.
	epoch []uint32
	// bumped[n] is when n's epoch was last incremented: when every epoch
	// lease of n ended at once.
	bumped []sim.Time
	// sent[n] is when node n's pending heartbeat was sent.
	sent []sim.Time
	// replicas are the liveness range's 5 replicas, spread over regions
	// like every system range (reference §1.4).
	replicas []topology.NodeID
	// holder holds the liveness range's expiration-based lease, valid
	// until leaseUntil.
	holder     topology.NodeID
	leaseUntil sim.Time
}

// initLiveness places the liveness range and starts every node's
// heartbeats at a random phase.
func (f *failover) initLiveness() {
	lv := &f.live
	n := len(f.c.Nodes)
	lv.until = make([]sim.Time, n)
	lv.epoch = make([]uint32, n)
	lv.bumped = make([]sim.Time, n)
	lv.sent = make([]sim.Time, n)
	l, err := placement.Allocate(f.c, placement.SystemSpec(), f.rng, nil)
	if names := f.m.cfg.LivenessNodes; len(names) > 0 {
		l, err = placement.Layout{}, nil
		for _, name := range names {
			id, _ := f.c.NodeByName(name)
			l.Voters = append(l.Voters, id)
		}
	}
	if err != nil || len(l.Voters) == 0 {
		for i := range min(5, n) {
			lv.replicas = append(lv.replicas, topology.NodeID(i))
		}
	} else {
		lv.replicas = l.Voters
	}
	now := f.eng.Now()
	lv.holder = lv.replicas[0]
	lv.leaseUntil = now.Add(f.timers.rangeLease)
	f.eng.After(f.timers.rangeLease/2, f.id, kLivenessRenew, 0)
	for i := range n {
		// Every node heartbeated just before the start.
		lv.until[i] = now.Add(f.timers.livenessExpiry)
		f.eng.Schedule(lv.until[i], f.id, kLivenessExpiry, int64(i))
		at := time.Duration(f.rng.Int64N(int64(f.timers.livenessHeartbeat)))
		f.eng.Schedule(now.Add(at), f.id, kHeartbeat, int64(i))
	}
}

// livenessLeader returns the liveness range's leaseholder as seen from n,
// if n can reach it and it can reach a quorum of the liveness replicas.
// The liveness range has an expiration-based lease: when its holder is lost,
// liveness writes fail until that lease expires and another replica with a
// quorum acquires it (reference §6.1).
func (f *failover) livenessLeader(n topology.NodeID) (topology.NodeID, bool) {
	lv := &f.live
	now := f.eng.Now()
	if now >= lv.leaseUntil {
		for _, l := range lv.replicas {
			if f.reachesQuorum(l, lv.replicas) {
				lv.holder, lv.leaseUntil = l, now.Add(f.timers.rangeLease)
				f.note(l, "liveness-lease", "acquired by %v", l)
				break
			}
		}
		if now >= lv.leaseUntil {
			return 0, false
		}
	}
	l := lv.holder
	if !f.linkOK(n, l) || !f.linkOK(l, n) || !f.reachesQuorum(l, lv.replicas) {
		return 0, false
	}
	return l, true
}

// livenessRenew extends the liveness range's lease while its holder can.
func (f *failover) livenessRenew() {
	lv := &f.live
	f.eng.After(f.timers.rangeLease/2, f.id, kLivenessRenew, 0)
	if now := f.eng.Now(); now < lv.leaseUntil && f.reachesQuorum(lv.holder, lv.replicas) {
		lv.leaseUntil = now.Add(f.timers.rangeLease)
	}
}

// heartbeat renews node n's liveness record (or store-liveness support)
// through the liveness range, if n can reach it: one hop to the liveness
// leaseholder, a consensus round there and its fsync.
func (f *failover) heartbeat(n topology.NodeID) {
	f.eng.After(f.timers.livenessHeartbeat, f.id, kHeartbeat, int64(n))
	if !f.up(n) {
		return
	}
	l, ok := f.livenessLeader(n)
	if !ok {
		f.note(n, "heartbeat-failed", "%v cannot reach the liveness range", n)
		return
	}
	f.live.sent[n] = f.eng.Now()
	d := f.c.MedianRTT(n, l) + f.quorumRTT(l, f.live.replicas) + f.c.SampleFsync(f.rng)
	f.eng.After(d, f.id, kHeartbeatDone, int64(n))
}

func (f *failover) heartbeatDone(n topology.NodeID) {
	if !f.up(n) {
		return
	}
	lv := &f.live
	if exp := lv.sent[n].Add(f.timers.livenessExpiry); exp > lv.until[n] {
		lv.until[n] = exp
		f.eng.Schedule(exp, f.id, kLivenessExpiry, int64(n))
		f.gossipRecord(n, n)
	}
	f.note(n, "heartbeat", "%v live until %v", n, lv.until[n])
	// A leaseholder back in touch keeps its leases if nobody took them
	// (e.g. every voter of a ZONE-survival range was down).
	// Only ranges marked unserved can qualify, visited in id order as a
	// walk over every range would (one heartbeat per node every few
	// seconds: at 100,000 ranges per table the walk was a seventh of a
	// run with faults).
	for ri := f.nextUnserved(0); ri >= 0; ri = f.nextUnserved(ri + 1) {
		r := &f.m.ranges[ri]
		if st := r.fail; !st.waitingLease && st.open < 0 {
			f.unserved[ri/64] &^= 1 << (uint(ri) % 64)
			continue
		}
		if r.Leaseholder == n && !r.fail.acquiring && f.leaseHolderOK(r) {
			f.leaseRestored(r)
		}
	}
}

// livenessExpiry runs when node n's liveness record would expire: if it
// was not renewed meanwhile, the ranges whose lease n holds can no longer
// serve, and their outage starts now.
func (f *failover) livenessExpiry(n topology.NodeID) {
	if f.live.until[n] > f.eng.Now() {
		return // renewed
	}
	f.note(n, "liveness-expired", "%v", n)
	for ri := range f.m.ranges {
		if r := &f.m.ranges[ri]; r.Leaseholder == n && !f.leaseHolderOK(r) {
			f.openOutage(r)
		}
	}
}
