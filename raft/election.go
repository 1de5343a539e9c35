package raft

import (
	"fmt"
	"math/bits"
	"time"

	"github.com/regionsim/regionsim/raft/quorum"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file holds Raft leadership under failures as messages: the
// followers' randomized election timeouts, PreVote and Vote requests and
// their answers over the simulated network, the log up-to-date check, one
// vote per term, CheckQuorum's leader stickiness, quiescence, campaigns
// on wake and on a redirected lease request, and (25.2) leader
// fortification through store liveness; what replicas know of terms and
// leaders is in term.go. Nothing here runs without faults: every range
// then keeps its initial leader in term 0. The constants and their
// sources are in raftTimersFor; docs/crdb-raft-facts.md has the
// citations per version.

// raftTimers are a version's Raft settings.
type raftTimers struct {
	// tick is the Raft tick (base.defaultRaftTickInterval); the others
	// count ticks (defaultRaftElectionTimeoutTicks,
	// defaultRaftHeartbeatIntervalTicks).
	tick                          time.Duration
	electionTicks, heartbeatTicks int
	// checkQuorum: a voter that heard from its leader within an election
	// timeout ignores vote requests (etcd raft Step, inLease;
	// base.RaftEnableCheckQuorum, on from 23.2).
	checkQuorum bool
	// forgetDeadLeader: a voter whose liveness view shows its leader dead
	// forgets it on a vote request, so CheckQuorum does not hold the
	// election back (maybeForgetLeaderOnVoteRequestLocked, 23.2+).
	forgetDeadLeader bool
	// campaignOnRedirect: a follower whose lease request would be
	// redirected to a leader that liveness shows dead campaigns instead
	// (shouldCampaignOnLeaseRequestRedirect, PR #87244: 23.1+, epoch
	// leases only).
	campaignOnRedirect bool
	// fortified: leader leases; followers support their leader through
	// store liveness and do not tick while they do; once the support is
	// withdrawn they campaign after a randomized 0–(T−1) ticks (raft.go
	// deFortify; 25.2).
	fortified bool
	// livenessWithRPC: the liveness view behind campaign decisions also
	// counts a leader the node cannot reach over RPC as dead
	// (IsLiveMapEntry.IsLive, until PR #107417: 22.2, 23.1).
	livenessWithRPC bool
}

const (
	// quiesceAfterTicks: an epoch-lease range with no proposal for this
	// many ticks quiesces; its followers stop ticking
	// (COCKROACH_QUIESCE_AFTER_TICKS).
	quiesceAfterTicks = 6
	// supportWithdrawalInterval is how often store liveness checks for
	// expired support (storeliveness defaultSupportExpiryInterval, 25.2).
	supportWithdrawalInterval = 100 * time.Millisecond
)

// raftTimersFor returns the Raft settings of a version
// (docs/crdb-raft-facts.md §1–§3).
func raftTimersFor(version string) raftTimers {
	switch version {
	case "22.2":
		return raftTimers{tick: 200 * time.Millisecond, electionTicks: 15, heartbeatTicks: 5, livenessWithRPC: true}
	case "23.1":
		return raftTimers{tick: 500 * time.Millisecond, electionTicks: 4, heartbeatTicks: 2, campaignOnRedirect: true, livenessWithRPC: true}
	case "25.2":
		return raftTimers{tick: 500 * time.Millisecond, electionTicks: 4, heartbeatTicks: 2, checkQuorum: true, forgetDeadLeader: true, fortified: true}
	default: // 24.3
		return raftTimers{tick: 500 * time.Millisecond, electionTicks: 4, heartbeatTicks: 2, checkQuorum: true, forgetDeadLeader: true, campaignOnRedirect: true}
	}
}

// electionTimeout returns T, the base election timeout.
func (t raftTimers) electionTimeout() time.Duration { return time.Duration(t.electionTicks) * t.tick }

// Raft roles of a replica.
const (
	roleFollower uint8 = iota
	rolePreCandidate
	roleCandidate
	roleLeader
)

// election is a range's Raft state under failures, per replica index.
type election struct {
	role     []uint8
	votedFor []int8   // the replica index voted for in term seen[i], or -1
	votes    []uint32 // the votes granted to replica i's current campaign, a bit per replica
	timer    []sim.TimerID
	// lastHeard is when replica i last heard from a leader.
	lastHeard []sim.Time
	// logTerm and logIdx describe replica i's last log entry.
	logTerm   []uint32
	logIdx    []uint64
	lastIndex uint64 // the last index proposed on the range
	// lastProposal is when the range last proposed a command: an
	// epoch-lease range idle for quiesceAfterTicks is quiesced.
	lastProposal sim.Time
}

// el returns r's election state, sized to its replicas.
func (f *failover) el(r *Range) *election {
	e := &f.state(r).el
	if n := len(r.Replicas); len(e.role) != n {
		grow := n - len(e.role)
		e.role = append(e.role, make([]uint8, grow)...)
		e.votedFor = append(e.votedFor, make([]int8, grow)...)
		for i := n - grow; i < n; i++ {
			e.votedFor[i] = -1
		}
		e.votes = append(e.votes, make([]uint32, grow)...)
		e.timer = append(e.timer, make([]sim.TimerID, grow)...)
		e.lastHeard = append(e.lastHeard, make([]sim.Time, grow)...)
		e.logTerm = append(e.logTerm, make([]uint32, grow)...)
		e.logIdx = append(e.logIdx, make([]uint64, grow)...)
		if j := r.replicaIndex(r.leader); j >= 0 && grow == n {
			e.role[j] = roleLeader
		}
	}
	return e
}

// rangeReplicaArg encodes range r and replica index i (an election timer).
func rangeReplicaArg(r RangeID, i int) int64 { return int64(r)<<8 | int64(i&0xff) }

// splitRangeReplicaArg decodes rangeReplicaArg.
func splitRangeReplicaArg(arg int64) (RangeID, int) { return RangeID(arg >> 8), int(arg & 0xff) }

// voteMsg is a PreVote or Vote request, or its answer, in flight.
type voteMsg struct {
	rng              RangeID
	from, to         int8 // replica indexes
	pre, resp, grant bool
	term             uint32
	lastTerm         uint32 // the candidate's last log entry (requests)
	lastIdx          uint64
}

// quiesced reports whether r is quiesced: an epoch-lease range with no
// proposal for quiesceAfterTicks ticks. Its followers do not tick, so they
// notice a dead leader only when a request wakes them. Leader-lease ranges
// never quiesce.
func (f *failover) quiesced(r *Range) bool {
	if f.raft.fortified {
		return false
	}
	return f.eng.Now().Sub(f.el(r).lastProposal) >= quiesceAfterTicks*f.raft.tick
}

// watchLeader arms, for every live voter of r that no longer hears a
// leader, the timer of its next campaign, and stops the timers of those
// that hear one. Called when faults start or end and after elections.
func (f *failover) watchLeader(r *Range) {
	e := f.el(r)
	for i := range r.NumVoters {
		v := r.Replicas[i]
		switch {
		case !f.up(v) || v == r.leader && f.up(v):
			f.stopTimer(e, i)
		case f.hearsLeader(r, v):
			f.stopTimer(e, i)
			e.lastHeard[i] = f.eng.Now()
		case e.timer[i] == 0:
			if at, ok := f.campaignTime(r, i); ok {
				e.timer[i] = f.eng.StartTimer(at, f.id, kElectionTimeout, rangeReplicaArg(r.ID, i))
			}
		}
	}
}

// campaignTime returns when voter i of r, which has just lost its leader,
// campaigns, and false if it does not tick (its range is quiesced).
//
// A ticking follower campaigns at the R-th tick of its own after it last
// heard from the leader (heartbeats every heartbeatTicks, or an append),
// R its randomized election timeout, a whole number of ticks in [T, 2T)
// (etcd raft tickElection: electionElapsed restarts at 0 on every message
// from the leader and grows by one a tick; resetRandomizedElectionTimeout).
// The first of those ticks may come at once, so the campaign is (R−1)·tick
// to R·tick after the last message. A fortified follower
// (leader leases) does not tick while it supports the leader: its support
// lapses when the leader's store-liveness support expires and is withdrawn
// (within 100 ms); it then forwards its election clock to T and campaigns
// when it reaches its randomized timeout, 0 to T−1 ticks later (raft.go
// deFortify, atRandomizedElectionTimeout).
func (f *failover) campaignTime(r *Range, i int) (sim.Time, bool) {
	t := f.raft
	now := f.eng.Now()
	extra := f.rng.IntN(t.electionTicks) // randomized timeout = T + extra ticks
	if t.fortified {
		withdrawn := now
		if l := r.leader; l >= 0 {
			withdrawn = max(now, f.live.until[l])
		}
		withdrawn = withdrawn.Add(time.Duration(f.rng.Int64N(int64(supportWithdrawalInterval))))
		return f.nextTick(r.Replicas[i], withdrawn).Add(time.Duration(extra) * t.tick), true
	}
	if f.quiesced(r) {
		return 0, false
	}
	e := f.el(r)
	heard := now - sim.Time(f.rng.Int64N(int64(time.Duration(t.heartbeatTicks)*t.tick)))
	heard = max(heard, e.lastHeard[i])
	return f.nthTick(r.Replicas[i], heard, t.electionTicks+extra), true
}

// nthTick returns node n's k-th Raft tick after at (k ≥ 1; a tick at at
// itself does not count).
func (f *failover) nthTick(n topology.NodeID, at sim.Time, k int) sim.Time {
	return f.nextTick(n, at+1).Add(time.Duration(k-1) * f.raft.tick)
}

// nextTick returns node n's first Raft tick at or after at: each node
// ticks every tick at a phase of its own.
func (f *failover) nextTick(n topology.NodeID, at sim.Time) sim.Time {
	tick := sim.Time(f.raft.tick)
	phase := sim.Time(f.pingPhase(n, n)) % tick
	k := (at - phase + tick - 1) / tick
	return phase + k*tick
}

func (f *failover) stopTimer(e *election, i int) {
	if e.timer[i] != 0 {
		f.eng.Cancel(e.timer[i])
		e.timer[i] = 0
	}
}

// electionTimeout runs when voter i of r reaches its election timeout: if
// it still hears no leader it campaigns, and arms its next timeout in case
// this campaign fails.
func (f *failover) electionTimeout(id RangeID, i int) {
	r := &f.m.ranges[id]
	e := f.el(r)
	e.timer[i] = 0
	v := r.Replicas[i]
	if i >= r.NumVoters || !f.up(v) || f.hearsLeader(r, v) || v == r.leader {
		return
	}
	f.campaign(r, i)
}

// wakeOrRedirect is told that a request needing the lease reached voter
// v of r. If v's liveness view shows no live leader it campaigns at once:
// a quiesced replica campaigns on wake (shouldCampaignOnWake, every
// version), and from 23.1 a follower whose lease request would be
// redirected to a dead leader campaigns instead (epoch leases).
func (f *failover) wakeOrRedirect(r *Range, v topology.NodeID) {
	i := r.replicaIndex(v)
	if i < 0 || i >= r.NumVoters {
		return
	}
	e := f.el(r)
	woken := f.quiesced(r)
	if woken {
		// The lease request is a proposal: the range unquiesces and its
		// followers tick again, so those that no longer hear the leader
		// will campaign when their timeouts pass.
		e.lastProposal = f.eng.Now()
		f.watchLeader(r)
	}
	if !f.leaderDeadTo(r, v) || e.role[i] == rolePreCandidate || e.role[i] == roleCandidate || v == r.leader {
		return
	}
	if woken || f.raft.campaignOnRedirect && !f.timers.leaderLeases {
		f.note(v, "campaign-on-wake", "r%d: %v wakes and finds its leader dead", r.ID, v)
		f.campaign(r, i)
	}
}

// campaign starts replica i of r's election: a PreVote round for term+1
// (PreVote is on in every version), which, won, becomes a Vote round.
func (f *failover) campaign(r *Range, i int) {
	e := f.el(r)
	seen := f.seenOf(r)
	e.role[i] = rolePreCandidate
	e.votes[i] = 1 << uint(i)
	f.note(r.Replicas[i], "campaign", "r%d: %v pre-votes for term %d", r.ID, r.Replicas[i], seen[i]+1)
	f.requestVotes(r, i, true, seen[i]+1)
	// Should this campaign fail (a split vote, a lost message), the
	// voter campaigns again after a fresh randomized timeout.
	f.resetElectionClock(r, i)
}

// resetElectionClock restarts voter i's election clock now, as etcd raft's
// reset does whenever a replica starts a campaign or becomes a follower of
// a newer term (becomeCandidate, becomePreCandidate and becomeFollower call
// reset: electionElapsed = 0 and a fresh randomized timeout): unless it
// hears a leader meanwhile (electionTimeout checks), it campaigns at the
// R-th tick of its own from now, R drawn in [T, 2T). A replica that a
// message of a newer term made a follower with no leader keeps ticking —
// the message unquiesced it (Replica.stepRaftGroupRaftMuLocked) — so it
// campaigns once that timeout passes.
func (f *failover) resetElectionClock(r *Range, i int) {
	e := f.el(r)
	f.stopTimer(e, i)
	v := r.Replicas[i]
	if i >= r.NumVoters || !f.up(v) {
		return
	}
	at := f.nthTick(v, f.eng.Now(), f.raft.electionTicks+f.rng.IntN(f.raft.electionTicks))
	e.timer[i] = f.eng.StartTimer(at, f.id, kElectionTimeout, rangeReplicaArg(r.ID, i))
}

// requestVotes sends replica i's (pre)vote request for term to every other
// voter of r.
func (f *failover) requestVotes(r *Range, i int, pre bool, term uint32) {
	e := f.el(r)
	for j := range r.NumVoters {
		if j == i {
			continue
		}
		f.sendVote(voteMsg{rng: r.ID, from: int8(i), to: int8(j), pre: pre, term: term,
			lastTerm: e.logTerm[i], lastIdx: e.logIdx[i]}, r.Replicas[i], r.Replicas[j])
	}
}

// sendVote sends a vote message from node a to node b (half a drawn RTT).
func (f *failover) sendVote(msg voteMsg, a, b topology.NodeID) {
	var k int32
	if n := len(f.freeVotes); n > 0 {
		k = f.freeVotes[n-1]
		f.freeVotes = f.freeVotes[:n-1]
	} else {
		f.votes = append(f.votes, voteMsg{})
		k = int32(len(f.votes) - 1)
	}
	f.votes[k] = msg
	f.eng.After(f.c.OneWay(f.rng, a, b), f.id, kVote, int64(k))
}

// voteArrives delivers vote message k.
func (f *failover) voteArrives(k int32) {
	msg := f.votes[k]
	f.freeVotes = append(f.freeVotes, k)
	r := &f.m.ranges[msg.rng]
	if int(msg.from) >= len(r.Replicas) || int(msg.to) >= len(r.Replicas) {
		return
	}
	from, to := r.Replicas[msg.from], r.Replicas[msg.to]
	if !f.up(to) || !f.linkOK(from, to) {
		return // lost
	}
	if msg.resp {
		f.voteAnswered(r, msg)
		return
	}
	before := f.seenOf(r)[msg.to]
	leader := r.leader
	grant, term := f.castVote(r, msg)
	if term > before {
		// The voter learned of a newer term and follows it with no leader
		// (etcd raft becomeFollower(term, None)): its election clock
		// restarts, and a proposer among its commands steps down
		// (reproposeOrReject).
		f.resetElectionClock(r, int(msg.to))
		if to == leader && r.leader < 0 {
			// The leader itself was deposed: every voter that followed it
			// stops hearing from it and campaigns when its timeout passes.
			f.note(to, "step-down", "r%d: %v learns of term %d from a vote request and steps down", r.ID, to, term)
			f.watchLeader(r)
		}
		f.m.reproposeOrReject(r)
	}
	f.sendVote(voteMsg{rng: msg.rng, from: msg.to, to: msg.from, pre: msg.pre, resp: true, grant: grant, term: term}, to, from)
}

// castVote decides voter msg.to's answer to a (pre)vote request and
// returns it with the voter's term. A vote is granted at most once per
// term, and only to a candidate whose log is at least as up to date as
// the voter's (etcd raft Step, MsgVote and MsgPreVote).
func (f *failover) castVote(r *Range, msg voteMsg) (bool, uint32) {
	e := f.el(r)
	seen := f.seenOf(r)
	u := int(msg.to)
	if f.sticky(r, u) {
		return false, seen[u]
	}
	if !msg.pre && msg.term > seen[u] {
		// A newer term: the voter follows it (a leader or candidate steps
		// down).
		seen[u] = msg.term
		e.votedFor[u] = -1
		if e.role[u] != roleFollower {
			e.role[u] = roleFollower
			if r.Replicas[u] == r.leader {
				r.leader = -1
			}
		}
	}
	upToDate := msg.lastTerm > e.logTerm[u] || (msg.lastTerm == e.logTerm[u] && msg.lastIdx >= e.logIdx[u])
	if msg.pre {
		return msg.term > seen[u] && upToDate, seen[u]
	}
	if msg.term == seen[u] && (e.votedFor[u] == -1 || e.votedFor[u] == msg.from) && upToDate {
		e.votedFor[u] = msg.from
		return true, seen[u]
	}
	return false, seen[u]
}

// sticky reports whether voter u of r ignores vote requests because it
// still follows a leader: with CheckQuorum, one it heard from within an
// election timeout (unless, from 23.2, its liveness view shows that leader
// dead); with leader leases, one it supports through store liveness.
func (f *failover) sticky(r *Range, u int) bool {
	t := f.raft
	v := r.Replicas[u]
	l := r.leader
	if l < 0 || l == v {
		return false
	}
	if t.fortified {
		return f.live.until[l] > f.eng.Now()
	}
	if !t.checkQuorum {
		return false
	}
	if t.forgetDeadLeader && f.leaderDeadTo(r, v) {
		return false
	}
	// etcd raft's inLease: fewer than T of the voter's ticks since it last
	// heard from the leader (electionElapsed < electionTimeout).
	return f.eng.Now() < f.nthTick(v, f.el(r).lastHeard[u], t.electionTicks)
}

// voteAnswered counts a (pre)vote answer at its candidate.
func (f *failover) voteAnswered(r *Range, msg voteMsg) {
	e := f.el(r)
	seen := f.seenOf(r)
	c := int(msg.to)
	want := roleCandidate
	term := seen[c]
	if msg.pre {
		want, term = rolePreCandidate, seen[c]+1
	}
	if !msg.grant && msg.term > seen[c] {
		seen[c] = msg.term // a newer term: give up, and follow it with no leader
		e.role[c], e.votedFor[c] = roleFollower, -1
		f.resetElectionClock(r, c)
		f.m.reproposeOrReject(r)
		return
	}
	if e.role[c] != want || msg.term != term && !(msg.pre && msg.grant) || !msg.grant {
		return
	}
	e.votes[c] |= 1 << uint(msg.from)
	if !quorum.Committed(r.NumVoters, bits.OnesCount32(e.votes[c]&(1<<uint(r.NumVoters)-1))) {
		return
	}
	if msg.pre {
		// Pre-votes won: campaign for real in a new term.
		seen[c]++
		e.role[c], e.votedFor[c], e.votes[c] = roleCandidate, int8(c), 1<<uint(c)
		f.requestVotes(r, c, false, seen[c])
		return
	}
	f.becomeLeader(r, c)
}

// becomeLeader makes replica i leader of r in its term: it appends an
// empty entry, and every replica it reaches follows it.
func (f *failover) becomeLeader(r *Range, i int) {
	e := f.el(r)
	seen := f.seenOf(r)
	st := f.state(r)
	v := r.Replicas[i]
	if seen[i] <= st.term && r.leader >= 0 && r.leader != v {
		panic(fmt.Sprintf("raft: r%d: %v elected in term %d, not after term %d", r.ID, v, seen[i], st.term))
	}
	f.stopTimer(e, i)
	e.role[i] = roleLeader
	r.leader, st.leaderAt = v, f.eng.Now()
	st.term = max(st.term, seen[i])
	e.lastIndex = max(e.lastIndex, e.logIdx[i]) + 1
	for j, n := range r.Replicas {
		if n == v || f.linkOK(v, n) && f.linkOK(n, v) {
			e.logIdx[j], e.logTerm[j] = e.lastIndex, seen[i]
		}
	}
	f.note(v, "election", "r%d: %v leads in term %d", r.ID, v, seen[i])
	f.spreadTerm(r, v, seen[i])
	// Proposals held while the range had no leader go out now (or are
	// rejected if their proposer no longer holds a valid lease).
	f.m.reproposeOrReject(r)
	f.watchLeader(r)
	// The replicas it reaches apply, with its log, the lease changes they
	// missed (a leader's log holds every committed lease).
	f.catchUpLeases(r)
	if f.timers.leaderLeases || st.waitingLease {
		// Leader leases are acquired by the new leader at once; epoch
		// leases lazily, by the first request that needs one.
		f.tryAcquire(r)
	}
}
