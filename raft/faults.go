package raft

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// Fault is one injected failure: nodes that crash (a node, an AZ or a
// region outage) and/or a network partition, from At for For (simulated
// time since the start of the run). Faults may overlap; a node is down while
// any of its faults lasts and recovers with its state (log, liveness epoch)
// when the last one ends.
type Fault struct {
	// Name labels the fault in outputs, e.g. "region us-east1 at 6m".
	Name string
	// At and For are the start and the length of the fault.
	At, For time.Duration
	// Crash lists the nodes that stop sending and receiving.
	Crash []topology.NodeID
	// A and B are the two sides of a partition: messages between a node of
	// A and a node of B are dropped (only from A to B when OneWay).
	A, B   []topology.NodeID
	OneWay bool
	// Blackhole makes the crashed nodes vanish (the machine or its network
	// is gone: nothing answers) instead of crashing (the process dies and
	// its host resets connections). It changes how fast peers notice: a
	// crash fails RPCs after one round trip, a blackhole only when the RPC
	// heartbeat times out. Partitions always behave as a blackhole.
	Blackhole bool
}

// Outage is one range's loss of service during one fault: from Start, when
// its leaseholder failed, to End, when a new lease became valid (or the
// fault ended). Phases split it into detect, liveness, election, lease
// and retry (seconds), where they apply; Order lists them in the order
// they ended.
type Outage struct {
	Fault  int // index of the fault in AddFault order
	Range  RangeID
	Start  sim.Time
	End    sim.Time
	Phases map[string]float64
	Order  []string
}

// setPhase records phase name of o, ending now, d long.
func (o *Outage) setPhase(name string, d time.Duration) {
	if _, ok := o.Phases[name]; !ok {
		o.Order = append(o.Order, name)
	}
	o.Phases[name] = d.Seconds()
}

// Validate checks the fault against a cluster of n nodes.
func (f Fault) Validate(n int) error {
	switch {
	case f.At < 0:
		return fmt.Errorf("raft: fault %q: at %v is negative", f.Name, f.At)
	case f.For <= 0:
		return fmt.Errorf("raft: fault %q: for %v must be positive", f.Name, f.For)
	case len(f.Crash) == 0 && (len(f.A) == 0 || len(f.B) == 0):
		return fmt.Errorf("raft: fault %q: neither crashed nodes nor two partition sides", f.Name)
	}
	for _, set := range [][]topology.NodeID{f.Crash, f.A, f.B} {
		for _, id := range set {
			if id < 0 || int(id) >= n {
				return fmt.Errorf("raft: fault %q: node %d is not in the cluster", f.Name, id)
			}
		}
	}
	return nil
}

// Failure timers by CockroachDB version (reference §6.1).
type versionTimers struct {
	// livenessExpiry and livenessHeartbeat are node liveness's (epoch
	// leases) or store liveness's support and heartbeat (leader leases).
	livenessExpiry, livenessHeartbeat time.Duration
	// electionTimeout is Raft's base election timeout, randomised ×1–2.
	electionTimeout time.Duration
	// raftHeartbeat is how often a leader heartbeats its followers.
	raftHeartbeat time.Duration
	// networkTimeout is how long an RPC to an unreachable node takes to
	// fail (base.NetworkTimeout).
	networkTimeout time.Duration
	// leaderLeases: leases follow Raft leadership and store liveness (v25.2)
	// instead of node-liveness epochs.
	leaderLeases bool
	// rangeLease is the expiration-based lease duration of the liveness
	// range itself (renewed at half of it).
	rangeLease time.Duration
	// rpcHeartbeatInterval and rpcHeartbeatTimeout are the RPC
	// connections' ping interval and timeout (base.PingInterval,
	// base.DefaultRPCHeartbeatTimeout = 3 × NetworkTimeout from 23.1): a
	// blackholed peer is noticed when a ping goes unanswered that long.
	rpcHeartbeatInterval, rpcHeartbeatTimeout time.Duration
}

// dialTimeout is base.DialTimeout, 2 × NetworkTimeout: how long a new
// connection to a peer that does not answer takes to fail.
func (t versionTimers) dialTimeout() time.Duration { return 2 * t.networkTimeout }

// timersFor returns the failure timers of a version (reference §6.1,
// §6.3; PR #91947 for 23.1; RPC heartbeats PRs #92542, #93399; leader
// leases GA in 25.2, PR #137608).
func timersFor(version string) versionTimers {
	switch version {
	case "22.2":
		return versionTimers{9 * time.Second, 4500 * time.Millisecond, 3 * time.Second, time.Second, 3 * time.Second, false, 9 * time.Second, 3 * time.Second, 6 * time.Second}
	case "25.2":
		return versionTimers{3 * time.Second, time.Second, 2 * time.Second, time.Second, 2 * time.Second, true, 6 * time.Second, time.Second, 6 * time.Second}
	default: // 23.1, 24.3
		return versionTimers{6 * time.Second, 3 * time.Second, 2 * time.Second, time.Second, 2 * time.Second, false, 6 * time.Second, time.Second, 6 * time.Second}
	}
}

// Constants of up-replication after a store dies (reference §6.4, §10 rule
// 16).
const (
	// timeUntilStoreDead is server.time_until_store_dead: after this long
	// down, a node's replicas are replaced where constraints allow.
	timeUntilStoreDead = 5 * time.Minute
)
