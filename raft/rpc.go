package raft

import (
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// How fast a gateway learns that an RPC failed (reference §6.3). A crashed
// process's host resets its connections: an RPC in flight fails when the
// reset arrives (half a round trip) and a new one after one round trip
// (connection refused). A blackholed node or a cut link answers nothing:
// every RPC over the connection fails when the connection's heartbeat
// times out — the ping sent last before the failure, at a phase of its own
// per connection, goes unanswered for rpcHeartbeatTimeout — and once the
// connection is known dead a new dial fails after the dial timeout —
// when the gateway dials at all: rpcbreaker.go decides whether a send to
// an unhealthy peer dials or fails at once (its circuit breaker).

// cutLink adds delta to the cut count of directed link i, noting when it
// was cut.
func (f *failover) cutLink(i int, delta int16) {
	f.cut[i] += delta
	f.reachEpoch++
	if delta > 0 && f.cut[i] == 1 {
		f.cutAt[i] = f.eng.Now()
	}
}

// rpcFailDelay returns how long after now gateway gw learns that its RPC
// to node failed; inFlight is set for an RPC that was under way when node
// failed (rather than sent since).
func (f *failover) rpcFailDelay(gw, node topology.NodeID, inFlight bool) time.Duration {
	if f.down[node] > 0 && f.hard[node] {
		if inFlight {
			return f.c.MedianRTT(gw, node) / 2
		}
		return f.c.MedianRTT(gw, node)
	}
	n := len(f.c.Nodes)
	var since sim.Time
	switch {
	case f.down[node] > 0:
		since = f.downAt[node]
	case f.cut[int(gw)*n+int(node)] > 0:
		since = f.cutAt[int(gw)*n+int(node)]
	case f.cut[int(node)*n+int(gw)] > 0:
		since = f.cutAt[int(node)*n+int(gw)]
	default:
		return 0 // the gateway itself is down: nobody is waiting
	}
	dead := since.Add(f.timers.rpcHeartbeatTimeout - f.pingPhase(gw, node))
	if now := f.eng.Now(); dead > now {
		return dead.Sub(now)
	}
	return f.timers.dialTimeout()
}

// pingPhase returns how long before a failure connection gw->node last
// pinged: uniform in [0, rpcHeartbeatInterval), fixed per connection and
// run (a hash, so it draws from no stream).
func (f *failover) pingPhase(gw, node topology.NodeID) time.Duration {
	z := f.m.seed ^ uint64(gw)<<32 ^ uint64(node) ^ 0x5851f42d4c957f2d
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return time.Duration(z % uint64(f.timers.rpcHeartbeatInterval))
}
