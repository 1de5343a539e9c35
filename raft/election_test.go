package raft

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// electionHarness is a ZONE-survival range n1 (leader and leaseholder),
// n2, n3 with a fault crashing n1 at 10 s; elections are traced.
func electionHarness(t *testing.T, version string, seed uint64) (*harness, TableID, *[]TraceEvent) {
	cfg := DefaultConfig()
	cfg.Version = version
	h := newFaultHarness(t, cfg)
	h.m.seed = seed
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.fault(Fault{Name: "n1", At: 10 * time.Second, For: time.Minute, Crash: []topology.NodeID{n1}})
	keepLivenessLeaseOff(h, n1)
	var events []TraceEvent
	h.m.SetTracer(func(ev TraceEvent) {
		switch ev.Kind {
		case "campaign", "campaign-on-wake", "election":
			events = append(events, ev)
		}
	})
	return h, tb, &events
}

// TestVotesOnePerTerm: a voter grants one vote per term, to a candidate
// whose log is at least as up to date as its own (etcd raft Step).
func TestVotesOnePerTerm(t *testing.T) {
	h, _, _ := electionHarness(t, "24.3", 1)
	h.e.RunUntil(sim.At(20 * time.Second))
	f := h.m.fo
	r := &h.m.ranges[0]
	e := f.el(r)
	seen := f.seenOf(r)
	r.leader = -1 // no leader to be sticky about
	term := seen[2] + 1
	// n2 (replica 1) asks n3 (replica 2) for its vote in term: granted.
	grant, _ := f.castVote(r, voteMsg{rng: r.ID, from: 1, to: 2, term: term, lastTerm: e.logTerm[1], lastIdx: e.logIdx[1]})
	assert.True(t, grant)
	// n1 (replica 0) asks in the same term: refused, n3 voted.
	grant, _ = f.castVote(r, voteMsg{rng: r.ID, from: 0, to: 2, term: term, lastTerm: e.logTerm[0], lastIdx: e.logIdx[0]})
	assert.False(t, grant, "one vote per term")
	// n2 asks again (a retransmission): granted again, same vote.
	grant, _ = f.castVote(r, voteMsg{rng: r.ID, from: 1, to: 2, term: term, lastTerm: e.logTerm[1], lastIdx: e.logIdx[1]})
	assert.True(t, grant)
	// A candidate whose log is behind n3's loses n3's vote in a new term.
	e.logTerm[2], e.logIdx[2] = term, 100
	grant, _ = f.castVote(r, voteMsg{rng: r.ID, from: 0, to: 2, term: term + 1, lastTerm: term, lastIdx: 99})
	assert.False(t, grant, "a stale log loses")
	grant, _ = f.castVote(r, voteMsg{rng: r.ID, from: 0, to: 2, term: term + 2, lastTerm: term + 1, lastIdx: 1})
	assert.True(t, grant, "a newer last term wins whatever the index")
}

// TestStaleLogCandidateLoses: n3 missed the writes committed while it was
// cut off; after the leader n1 crashes, n3's campaign fails (n2's log is
// ahead), and n2 becomes the leader.
func TestStaleLogCandidateLoses(t *testing.T) {
	h, tb, events := electionHarness(t, "23.1", 1)
	// n3 is cut off from n1 from 5 s to 9.9 s while writes commit on n1+n2.
	h.fault(Fault{Name: "n3 cut", At: 5 * time.Second, For: 4900 * time.Millisecond,
		A: []topology.NodeID{n3}, B: []topology.NodeID{n1, n2}})
	h.probe(Request{Op: OpWrite, Table: tb, Gateway: n1}, 5*time.Second, 9900*time.Millisecond, 50*time.Millisecond)
	h.e.RunUntil(sim.At(10 * time.Second))
	r := &h.m.ranges[0]
	e := h.m.fo.el(r)
	require.Less(t, e.logIdx[2], e.logIdx[1], "n3's log is behind n2's")
	// Right after n1 crashes n3 campaigns first.
	h.atTime(10.001, func() { h.m.fo.campaign(r, 2) })
	h.e.RunUntil(sim.At(20 * time.Second))
	require.NotEmpty(t, *events)
	var leaders []string
	for _, ev := range *events {
		if ev.Kind == "election" {
			leaders = append(leaders, ev.From.String())
		}
	}
	require.NotEmpty(t, leaders)
	assert.Equal(t, "n2", leaders[0], "the up-to-date voter wins: %v", *events)
	assert.Equal(t, n2, r.leader)
}

// TestSplitVoteRetries: n2 and n3 campaign at the same instant; each wins
// the other's pre-vote, then votes for itself in the new term and refuses
// the other: no majority. Each campaigns again after a fresh randomized
// timeout, and one wins in a later term.
func TestSplitVoteRetries(t *testing.T) {
	h, _, events := electionHarness(t, "23.1", 1)
	r := &h.m.ranges[0]
	h.atTime(10.001, func() {
		h.m.fo.campaign(r, 1)
		h.m.fo.campaign(r, 2)
	})
	h.e.RunUntil(sim.At(30 * time.Second))
	var elected []TraceEvent
	for _, ev := range *events {
		if ev.Kind == "election" {
			elected = append(elected, ev)
		}
	}
	require.Len(t, elected, 1, "%v", *events)
	assert.Greater(t, elected[0].At, sim.At(10*time.Second+2*time.Second), "not before a second round, T or more later")
	assert.GreaterOrEqual(t, r.fail.term, uint32(2), "the split term was lost")
}

// TestElectionTimingByVersion: with writes flowing (the range does not
// quiesce), the followers of a crashed leader campaign once their
// randomized election timeout — [T, 2T) ticks — has passed since its last
// heartbeat (every heartbeatTicks); with leader leases (25.2) once its
// store-liveness support lapsed (1 s heartbeat, 3 s support, ≤ 100 ms
// withdrawal) plus 0–(T−1) ticks. The election is then two round trips.
func TestElectionTimingByVersion(t *testing.T) {
	for _, version := range Versions {
		rt := raftTimersFor(version)
		T, hb := rt.electionTimeout(), time.Duration(rt.heartbeatTicks)*rt.tick
		lo, hi := T-hb, 2*T+rt.tick
		if rt.fortified {
			lo, hi = 2*time.Second, 3*time.Second+supportWithdrawalInterval+T+rt.tick
		}
		for seed := uint64(1); seed <= 8; seed++ {
			t.Run(fmt.Sprintf("%s/%d", version, seed), func(t *testing.T) {
				h, tb, events := electionHarness(t, version, seed)
				h.probe(Request{Op: OpWrite, Table: tb, Gateway: n2}, 5*time.Second, 30*time.Second, 20*time.Millisecond)
				h.e.RunUntil(sim.At(30 * time.Second))
				var first sim.Time
				campaigns := 0
				for _, ev := range *events {
					switch ev.Kind {
					case "campaign":
						campaigns++
					case "election":
						if first == 0 {
							first = ev.At
						}
					}
				}
				require.NotZero(t, first)
				if campaigns > 1 {
					hi += time.Duration(campaigns-1) * 2 * T // contested
				}
				d := first.Sub(sim.At(10 * time.Second))
				t.Logf("%s: elected %v after the crash, %d campaigns", version, d, campaigns)
				assert.GreaterOrEqual(t, d, lo, "%s: elected %v after the crash", version, d)
				assert.LessOrEqual(t, d, hi+10*time.Millisecond, "%s: elected %v after the crash (%d campaigns)", version, d, campaigns)
			})
		}
	}
}

// TestEpochIncrementRace: two ranges lose the same leaseholder n1. Both
// acquisitions read n1's liveness record and try to increment its epoch;
// the first increment wins, the other fails (ErrEpochAlreadyIncremented)
// and its waiters retry; the retry needs no increment.
func TestEpochIncrementRace(t *testing.T) {
	h, _, _ := electionHarness(t, "24.3", 3)
	tb2 := h.table(TableDef{Name: "u", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	var races []TraceEvent
	h.m.SetTracer(func(ev TraceEvent) {
		if ev.Kind == "epoch-race" {
			races = append(races, ev)
		}
	})
	h.probe(Request{Op: OpWrite, Table: 0, Gateway: n2}, 5*time.Second, 30*time.Second, 5*time.Millisecond)
	h.probe(Request{Op: OpWrite, Table: tb2, Gateway: n3}, 5*time.Second, 30*time.Second, 5*time.Millisecond)
	h.e.RunUntil(sim.At(40 * time.Second))
	assert.Equal(t, uint32(1), h.m.fo.live.epoch[n1], "n1's epoch was incremented once")
	require.NotEmpty(t, races, "one acquisition lost the race")
	for _, r := range h.m.Ranges() {
		assert.NotEqual(t, n1, r.Leaseholder, "r%d failed over", r.ID)
		assert.Equal(t, h.m.fo.live.epoch[r.Leaseholder], r.leaseEpoch)
	}
}

// TestSlowFollowersStillAppend: a write commits on the leader's quorum and
// its client has the answer before the MsgApp reaches the farthest voter
// and the non-voter; Raft still delivers it there, so every replica's log
// holds the entry once the messages have landed. (The log is what elections
// compare: a follower left behind would lose votes it should win.)
func TestSlowFollowersStillAppend(t *testing.T) {
	h := newFaultHarness(t, DefaultConfig())
	// Leader n4 in us-west1; voters n5 (2 ms), n1 and n2 (66 ms), n7
	// (146 ms); non-voter n8 (146 ms).
	layout := layout([]topology.NodeID{n4, n5, n1, n2, n7}, []topology.NodeID{n8}, n4, false, "")
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{layout}, Rows: 10})
	// A fault far in the future gives the model its failover component,
	// which keeps the logs.
	h.fault(Fault{Name: "later", At: time.Hour, For: time.Minute, Crash: []topology.NodeID{n9}})
	w := h.at(1, Request{Op: OpWrite, Table: tb, Gateway: n4})
	var late []string
	h.m.SetTracer(func(ev TraceEvent) {
		if ev.Kind == "MsgApp" && strings.Contains(ev.Detail, "not awaited") {
			late = append(late, ev.To.String())
		}
	})
	h.e.RunUntil(sim.At(3 * time.Second))
	// Commit needs 3 of 5: n4, n5 and n1 or n2 (66 ms); the client is
	// answered before n7's and n8's appends land (73.5 ms).
	assert.InDelta(t, cHop+svc+(66+fsyncMs)+cHop, h.rec.lat[w][0], 1e-6)
	assert.ElementsMatch(t, []string{"n7", "n8"}, late, "appends that arrive after the attempt ended")
	r := &h.m.ranges[0]
	e := h.m.fo.el(r)
	require.NotZero(t, e.lastIndex)
	for i := range r.Replicas {
		assert.Equal(t, e.lastIndex, e.logIdx[i], "%v's log", r.Replicas[i])
	}
}

// TestRestartedLeaderComesBackAsFollower: the leader n1 crashes for one
// second — too short for n2 and n3 to campaign ((T−1) ticks at least) — and
// restarts as a follower, as every Raft node does: the range needs an
// election (in a new term) before it commits again, and writes succeed
// after it.
func TestRestartedLeaderComesBackAsFollower(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Version = "24.3"
	h := newFaultHarness(t, cfg)
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.fault(Fault{Name: "n1", At: 10 * time.Second, For: time.Second, Crash: []topology.NodeID{n1}})
	keepLivenessLeaseOff(h, n1)
	var restarts, elections []sim.Time
	h.m.SetTracer(func(ev TraceEvent) {
		switch ev.Kind {
		case "restart":
			restarts = append(restarts, ev.At)
		case "election":
			elections = append(elections, ev.At)
		}
	})
	p := h.probe(Request{Op: OpWrite, Table: tb, Gateway: n2}, 5*time.Second, 30*time.Second, 100*time.Millisecond)
	h.e.RunUntil(sim.At(40 * time.Second))
	r := &h.m.ranges[0]
	require.Equal(t, []sim.Time{sim.At(11 * time.Second)}, restarts)
	require.NotEmpty(t, elections)
	assert.Greater(t, elections[0], sim.At(11*time.Second), "no election before the restart: %v", elections)
	assert.GreaterOrEqual(t, r.fail.term, uint32(1), "a new term")
	assert.GreaterOrEqual(t, r.leader, topology.NodeID(0), "a leader again")
	for _, res := range p.results {
		if res.start > sim.At(20*time.Second) {
			assert.True(t, res.ok, "writes succeed after the election")
		}
	}
}

// TestCheckQuorumStepDown: the leader n1 is cut off from n2 and n3 crashes
// at the same instant, so nobody can be elected. With CheckQuorum (24.3)
// n1 steps down at its first quorum check that finds no voter active, T to
// 2T ticks after the cut; without it (23.1) n1 stays leader.
func TestCheckQuorumStepDown(t *testing.T) {
	for _, tc := range []struct {
		version  string
		stepDown bool
	}{{"23.1", false}, {"24.3", true}} {
		cfg := DefaultConfig()
		cfg.Version = tc.version
		h := newFaultHarness(t, cfg)
		tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
		h.fault(Fault{Name: "n1 cut", At: 10 * time.Second, For: time.Minute, A: []topology.NodeID{n1}, B: []topology.NodeID{n2, n3, n4, n5, n6, n7, n8, n9}})
		h.fault(Fault{Name: "n3", At: 10 * time.Second, For: time.Minute, Crash: []topology.NodeID{n3}})
		keepLivenessLeaseOff(h, n1, n3)
		var downs []sim.Time
		h.m.SetTracer(func(ev TraceEvent) {
			if ev.Kind == "step-down" {
				downs = append(downs, ev.At)
			}
		})
		h.probe(Request{Op: OpWrite, Table: tb, Gateway: n1}, 5*time.Second, 9900*time.Millisecond, 100*time.Millisecond)
		h.e.RunUntil(sim.At(30 * time.Second))
		rt := raftTimersFor(tc.version)
		if !tc.stepDown {
			assert.Empty(t, downs, tc.version)
			assert.Equal(t, n1, h.m.ranges[0].leader, tc.version)
			continue
		}
		require.Len(t, downs, 1, tc.version)
		cut := sim.At(10 * time.Second)
		assert.GreaterOrEqual(t, downs[0], cut.Add(time.Duration(rt.electionTicks-1)*rt.tick), tc.version)
		assert.LessOrEqual(t, downs[0], cut.Add(time.Duration(2*rt.electionTicks)*rt.tick), tc.version)
		assert.Equal(t, topology.NodeID(-1), h.m.ranges[0].leader, "%s: no leader", tc.version)
	}
}

// disruptedHarness is a REGION-survival range (regionLayoutA: n1 leader
// and leaseholder, n2, n4, n5, n7) with writes from n1 every 20 ms from
// 1 s to 5.1 s. At 5 s n7, whose log is behind, campaigns in a new term:
// its vote request reaches every voter; those that hear the leader
// ignore it (CheckQuorum, 24.3), the leader n1 learns the newer term and
// steps down, and every voter refuses n7 (its log is behind): the range
// has no leader. No proposal arrives after 5.1 s to wake anyone.
// Step-downs and elections are traced.
func disruptedHarness(t *testing.T) (*harness, *probe, *[]TraceEvent) {
	h := newFaultHarness(t, DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{regionLayoutA}, Rows: 10})
	// A fault after the end of the test creates the failover component.
	h.fault(Fault{Name: "later", At: time.Hour, For: time.Second, Crash: []topology.NodeID{n9}})
	writes := h.probe(Request{Op: OpWrite, Table: tb, Gateway: n1}, time.Second, 5100*time.Millisecond, 20*time.Millisecond)
	var events []TraceEvent
	h.m.SetTracer(func(ev TraceEvent) {
		switch ev.Kind {
		case "campaign", "election", "step-down", "transfer-refused":
			events = append(events, ev)
		}
	})
	h.atTime(5, func() {
		f := h.m.fo
		r := &h.m.ranges[0]
		e := f.el(r)
		seen := f.seenOf(r)
		const c = 4 // n7
		seen[c]++
		e.role[c], e.votedFor[c], e.votes[c] = roleCandidate, c, 1<<c
		e.logTerm[c], e.logIdx[c] = 0, 0
		f.requestVotes(r, c, false, seen[c])
		f.resetElectionClock(r, c)
	})
	return h, writes, &events
}

// TestDeposedLeaderIsReplaced: a leader deposed by a vote request of a
// newer term that the candidate then loses is a follower with no leader,
// like every voter that learned the term: each keeps ticking (etcd raft
// becomeFollower resets its election clock; the message unquiesced it)
// and campaigns once its randomized timeout passes, so a voter with an
// up-to-date log is elected within [T, 2T) ticks and the writes held
// meanwhile commit. Before, no voter but the losing candidate had an
// election timer: the range stayed leaderless until a later proposal at
// a quiesced range woke its proposer, or else until the replica circuit
// breaker failed its writes 60 s later.
func TestDeposedLeaderIsReplaced(t *testing.T) {
	h, writes, events := disruptedHarness(t)
	h.e.RunUntil(sim.At(25 * time.Second))
	r := &h.m.ranges[0]
	var stepDown, elected sim.Time
	for _, ev := range *events {
		switch {
		case ev.Kind == "step-down" && stepDown == 0:
			stepDown = ev.At
			assert.Equal(t, n1, ev.From, "%v", ev)
		case ev.Kind == "election" && ev.At > sim.At(5*time.Second) && elected == 0:
			elected = ev.At
			assert.NotEqual(t, n7, ev.From, "the candidate with a stale log loses: %v", ev)
		}
	}
	require.NotZero(t, elected, "a new leader is elected: %v", *events)
	require.NotZero(t, stepDown, "n7's vote request deposes n1: %v", *events)
	timeout := 2 * raftTimersFor(DefaultConfig().Version).electionTimeout()
	assert.Less(t, elected.Sub(stepDown), timeout, "within 2T of the step-down")
	assert.GreaterOrEqual(t, r.leader, topology.NodeID(0))
	// Every write completes, the held ones once the leader is elected.
	require.Len(t, writes.results, 205, "every write ends")
	for _, res := range writes.results {
		require.True(t, res.ok, "write sent at %v", res.start)
		assert.Less(t, res.end.Sub(res.start), timeout, "write sent at %v", res.start)
	}
}
