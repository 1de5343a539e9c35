package raft

import (
	"github.com/regionsim/regionsim/topology"
)

// This file holds what replicas know of Raft terms and leaders under
// failures: the term each replica has heard of, appends checked against
// it, a deposed or cut-off leader stepping down (stepDownIfBehind,
// CheckQuorum), proposals held while a range has no leader, and whether a
// replica hears its leader. Elections themselves are in election.go.

// Raft terms. A range's term rises with every election; each replica knows
// the latest term it has heard of. Appends carry their proposer's term and
// a follower that knows a newer one rejects them (etcd raft's Step:
// "ignored a message with lower term").

// seenOf returns r's per-replica known terms, sized to its replicas.
func (f *failover) seenOf(r *Range) []uint32 {
	st := f.state(r)
	if len(st.seen) != len(r.Replicas) {
		st.seen = append(st.seen, make([]uint32, len(r.Replicas)-len(st.seen))...)
	}
	return st.seen
}

// knownTerm returns the term node n knows of for range r, and false if n
// holds no replica of r any more.
func (f *failover) knownTerm(r *Range, n topology.NodeID) (uint32, bool) {
	j := r.replicaIndex(n)
	if j < 0 {
		return 0, false
	}
	return f.seenOf(r)[j], true
}

// proposerTerm returns the term node n proposes in (0 without faults).
func (f *failover) proposerTerm(r *Range, n topology.NodeID) uint32 {
	if f == nil {
		return 0
	}
	t, _ := f.knownTerm(r, n)
	return t
}

// acceptAppend reports whether replica i of r accepts an append of term
// term, and if so records the term.
func (f *failover) acceptAppend(r *Range, i int, term uint32) bool {
	if f == nil {
		return true
	}
	seen := f.seenOf(r)
	if term < seen[i] {
		return false
	}
	seen[i] = term
	return true
}

// proposed notes that r proposes a command now and returns its log index
// (0 without faults).
func (f *failover) proposed(r *Range) uint64 {
	if f == nil {
		return 0
	}
	e := f.el(r)
	e.lastIndex++
	e.lastProposal = f.eng.Now()
	return e.lastIndex
}

// appended notes that replica i of r durably appended the entry of index
// idx and term term.
func (f *failover) appended(r *Range, i int, term uint32, idx uint64) {
	if f == nil || i < 0 {
		return
	}
	e := f.el(r)
	if idx > e.logIdx[i] {
		e.logIdx[i], e.logTerm[i] = idx, term
	}
}

// stepDownIfBehind makes leader l of r a follower if a voter it can
// exchange messages with has seen a newer term (candidates campaigned while
// l was cut off): the answer to l's next heartbeat carries that term, and a
// message of a newer term makes any node a follower (etcd raft Step),
// modelled, like the heartbeat, as at once. l's pending proposals are then
// re-proposed or rejected.
func (f *failover) stepDownIfBehind(r *Range, l topology.NodeID) {
	seen := f.seenOf(r)
	j := r.replicaIndex(l)
	if j < 0 {
		return
	}
	newest := seen[j]
	for k, n := range r.Replicas[:r.NumVoters] {
		if n != l && f.linkOK(l, n) && f.linkOK(n, l) {
			newest = max(newest, seen[k])
		}
	}
	if newest == seen[j] {
		return
	}
	e := f.el(r)
	seen[j], e.role[j], e.votedFor[j] = newest, roleFollower, -1
	r.leader = -1
	f.note(l, "step-down", "r%d: %v learns of term %d and steps down", r.ID, l, newest)
	f.m.reproposeOrReject(r)
}

// scheduleCheckQuorum is called when a fault starts: with CheckQuorum
// (24.3+), a leader that no longer exchanges messages with a quorum of
// voters steps down at its first quorum check that finds them inactive.
// The leader checks every T ticks (etcd raft tickHeartbeat, MsgCheckQuorum)
// whether each voter was heard since the last check; the first check after
// the cut still counts messages from before it, so the step-down comes T to
// 2T ticks after the cut, at the check's phase (drawn).
func (f *failover) scheduleCheckQuorum(r *Range) {
	l := r.leader
	if !f.raft.checkQuorum || l < 0 || !f.up(l) || f.reachesQuorum(l, r.Layout.Voters) {
		return
	}
	i := r.replicaIndex(l)
	if i < 0 {
		return
	}
	at := f.nthTick(l, f.eng.Now(), f.raft.electionTicks+f.rng.IntN(f.raft.electionTicks))
	f.eng.Schedule(at, f.id, kCheckQuorum, rangeReplicaArg(r.ID, i))
}

// checkQuorum runs a leader's quorum check scheduled by
// scheduleCheckQuorum: if replica i still leads r and still exchanges
// messages with no quorum, it becomes a follower (etcd raft stepLeader,
// MsgCheckQuorum); its pending proposals wait for the next leader.
func (f *failover) checkQuorum(id RangeID, i int) {
	r := &f.m.ranges[id]
	if i >= len(r.Replicas) {
		return
	}
	l := r.Replicas[i]
	if r.leader != l || !f.up(l) || f.reachesQuorum(l, r.Layout.Voters) {
		return
	}
	e := f.el(r)
	e.role[i] = roleFollower
	r.leader = -1
	f.note(l, "step-down", "r%d: %v hears no quorum and steps down (CheckQuorum)", r.ID, l)
	f.m.holdProposals(r)
	f.watchLeader(r)
}

// proposeWithoutLeader is told that voter v of r proposes while r has no
// Raft leader (its leader restarted, or stepped down). If the range was
// quiesced the proposal wakes it, and v, which knows no leader, campaigns
// at once (shouldCampaignOnWake: Lead == None); otherwise the followers'
// election timers are running already.
func (f *failover) proposeWithoutLeader(r *Range, v topology.NodeID) {
	if !f.quiesced(r) {
		return
	}
	e := f.el(r)
	e.lastProposal = f.eng.Now()
	f.watchLeader(r)
	if i := r.replicaIndex(v); i >= 0 && i < r.NumVoters && e.role[i] == roleFollower {
		f.note(v, "campaign-on-wake", "r%d: %v wakes and knows no leader", r.ID, v)
		f.campaign(r, i)
	}
}

// heardLeader notes that replica i of r received a message (MsgApp) from
// node from: if from leads r, the replica's election clock restarts (etcd
// raft resets electionElapsed on every message from its leader), which is
// what its randomized timeout counts from should the leader fail.
func (f *failover) heardLeader(r *Range, i int, from topology.NodeID) {
	if f == nil || i < 0 || from != r.leader {
		return
	}
	f.el(r).lastHeard[i] = f.eng.Now()
}

// spreadTerm makes term known to leader l of r and to every replica it can
// exchange messages with — they hear from the leader and follow it — then
// lets proposers that learned of a newer term re-propose or give up.
func (f *failover) spreadTerm(r *Range, l topology.NodeID, term uint32) {
	seen := f.seenOf(r)
	e := f.el(r)
	changed := false
	now := f.eng.Now()
	for j, n := range r.Replicas {
		if n != l && !(f.linkOK(l, n) && f.linkOK(n, l)) {
			continue
		}
		if seen[j] < term {
			seen[j] = term
			e.votedFor[j] = -1
			changed = true
		}
		if n != l && seen[j] == term {
			e.role[j] = roleFollower
			e.lastHeard[j] = now
			f.stopTimer(e, j)
		}
	}
	if changed {
		f.m.reproposeOrReject(r)
	}
}

// hearsLeader reports whether voter v hears r's leader (its heartbeats
// arrive).
func (f *failover) hearsLeader(r *Range, v topology.NodeID) bool {
	l := r.leader
	return l >= 0 && l != v && f.up(l) && f.linkOK(l, v)
}

// leaderDeadTo reports whether voter v's liveness view shows r's leader
// dead (or v knows no leader): what decides campaigns on wake and on a
// redirected lease request. Up to 23.1 the view also counts a leader v
// cannot reach over RPC as dead.
func (f *failover) leaderDeadTo(r *Range, v topology.NodeID) bool {
	l := r.leader
	if l < 0 {
		return true
	}
	if l == v {
		return false
	}
	dead := f.live.until[l] <= f.eng.Now()
	if f.raft.livenessWithRPC && !(f.linkOK(v, l) && f.linkOK(l, v)) {
		dead = true
	}
	return dead
}
