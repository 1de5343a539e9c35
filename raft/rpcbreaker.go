package raft

import (
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file is the gateways' RPC connection health and per-peer circuit
// breakers, which DistSender consults before it sends (reference §6.3).
//
// Every node keeps an RPC connection to every other, heartbeated every
// rpcHeartbeatInterval (rpc.go). When a heartbeat fails — a crashed peer's
// reset arrives, or a blackholed peer's ping goes unanswered for
// rpcHeartbeatTimeout — the connection is unhealthy: nodedialer
// ConnHealth returns an error, and DistSender's transport tries the
// replicas on healthy connections first and the others last, each group
// in its latency order (kvcoord/transport.go grpcTransportFactoryImpl,
// splitHealthy). A NotLeaseHolderError still moves the holder it names to
// the front (MoveToFront), healthy or not. What a send to an unhealthy
// peer costs depends on the version's breaker:
//
//   - 22.2 and 23.1: the nodedialer's breaker (rpc/breaker.go newBreaker,
//     nodedialer.go dial) is tripped by the first dial that fails. While
//     tripped, a dial fails at once, except that once its backoff has
//     passed (500 ms, ×1.5 per failure, at most 1 s, ±50 %: newBackOff)
//     one dial is let through (circuit.Breaker.Ready, half-open): a real
//     dial, by whichever request asks first. It resets the breaker when
//     it connects; if it fails, the breaker backs off again. Before the
//     breaker has tripped, every send to the unhealthy peer dials it.
//   - 23.2 and later (24.3, 25.2): the peer's breaker (rpc/peer.go) trips
//     when the heartbeat fails, and while tripped every dial fails at once
//     (rpc.circuit_breaker.enabled). Its probe is the heartbeat loop in
//     the background: it redials at once, then at most every
//     rpcHeartbeatInterval (peer.run), each attempt a dial plus a first
//     heartbeat (runOnce); the first that succeeds resets the breaker.
//
// A dial (a probe, or a request's dial to an unhealthy peer) to a peer it
// can reach takes a round trip for the connection and one for the first
// heartbeat; to a crashed peer it is refused after one round trip; to a
// blackholed one it fails after the dial timeout (2 × NetworkTimeout,
// base.DialTimeout) unless a retransmitted SYN gets through meanwhile.

// peerConn is one gateway's connection to one peer.
type peerConn struct {
	down    bool // its heartbeat failed, or its breaker is tripped: ConnHealth errs
	tripped bool // its breaker is tripped: dials fail fast
	dialing bool // a dial is under way (a 23.2+ probe, or a 22.2/23.1 trial)
	dialOK  bool // the peer was reachable when that dial started
	fails   uint8
	syns    uint8    // SYN retransmissions of the dial so far
	dialAt  sim.Time // when the dial started
	readyAt sim.Time // 22.2/23.1: when the breaker lets a trial dial through
	// probeAt is when a 23.2+ probe may dial next (one attempt per
	// heartbeat interval).
	probeAt sim.Time
	gen     int32 // bumped when the gateway restarts: older timers are stale
}

// Constants of the 22.2/23.1 nodedialer breaker's backoff
// (rpc/breaker.go newBackOff).
const (
	oldBreakerBackoffInitial = 500 * time.Millisecond
	oldBreakerBackoffMax     = time.Second
	oldBreakerBackoffMult    = 1.5
	oldBreakerBackoffJitter  = 0.5
)

// peerProbes reports whether version has 23.2's per-peer breaker with a
// background probe (rpc/peer.go); older ones have the nodedialer's.
func peerProbes(version string) bool { return version != "22.2" && version != "23.1" }

// peerUse is what a gateway's send to a peer does.
type peerUse uint8

const (
	useConn     peerUse = iota // a healthy connection: send over it
	useDial                    // no healthy connection: dial first
	useFailFast                // the breaker is tripped: the send fails at once
)

func (m *Model) peer(gw, node topology.NodeID) *peerConn {
	return &m.ds.peers[int(gw)*len(m.cluster.Nodes)+int(node)]
}

// healthy reports whether gateway gw's connection to node is healthy
// (ConnHealth); without faults every connection is.
func (m *Model) healthy(gw, node topology.NodeID) bool {
	return m.fo == nil || gw == node || !m.peer(gw, node).down
}

// peerUse returns what a send from gw to node would do now.
func (m *Model) peerUse(gw, node topology.NodeID) peerUse {
	if m.healthy(gw, node) {
		return useConn
	}
	c := m.peer(gw, node)
	switch {
	case !c.tripped:
		return useDial
	case m.ds.probes || c.dialing || c.readyAt > m.eng.Now():
		return useFailFast
	}
	return useDial // the half-open trial
}

// dialFor starts the dial a send from gw to node makes when it found no
// healthy connection (useDial).
func (m *Model) dialFor(gw, node topology.NodeID) {
	if c := m.peer(gw, node); !c.dialing {
		m.fo.startDial(gw, node)
	}
}

// peerArg packs a gateway, a peer and a generation into an event argument.
func peerArg(gw, node topology.NodeID, gen int32) int64 {
	return int64(gen)<<32 | int64(gw)<<16 | int64(node)
}

func splitPeerArg(a int64) (gw, node topology.NodeID, gen int32) {
	return topology.NodeID(a >> 16 & 0xffff), topology.NodeID(a & 0xffff), int32(a >> 32)
}

// crashed reports whether node n's process is down (not merely
// blackholed: a blackholed node's process runs, and keeps its connections
// and their breakers).
func (f *failover) crashed(n topology.NodeID) bool { return f.down[n] > 0 && f.hard[n] }

// reachable reports whether gw and node can exchange messages now.
func (f *failover) reachable(gw, node topology.NodeID) bool {
	return f.linkOK(gw, node) && f.linkOK(node, gw)
}

// watchConns schedules, for every connection a fault just broke, the
// moment its heartbeat fails (rpcFailDelay of an RPC under way).
func (f *failover) watchConns() {
	n := len(f.c.Nodes)
	for g := range n {
		gw := topology.NodeID(g)
		if f.crashed(gw) {
			continue
		}
		for j := range n {
			node := topology.NodeID(j)
			c := f.m.peer(gw, node)
			if gw == node || c.down || f.reachable(gw, node) {
				continue
			}
			d := f.rpcFailDelay(gw, node, true)
			if d == 0 {
				// The gateway itself is blackholed: its process runs,
				// and its heartbeats time out like everyone's.
				dead := f.downAt[gw].Add(f.timers.rpcHeartbeatTimeout - f.pingPhase(gw, node))
				d = max(0, dead.Sub(f.eng.Now()))
			}
			f.eng.After(d, f.id, kConnDead, peerArg(gw, node, c.gen))
		}
	}
}

// connDead runs when gw's heartbeat to node fails.
func (f *failover) connDead(gw, node topology.NodeID, gen int32) {
	c := f.m.peer(gw, node)
	if c.gen != gen || c.down || f.crashed(gw) || f.reachable(gw, node) {
		return // the connection came back before its heartbeat timed out
	}
	f.m.connFailed(gw, node)
}

// connFailed marks gw's connection to node failed (its heartbeat, or an
// RPC over it, failed); 23.2+ trips the breaker and starts its probe.
func (m *Model) connFailed(gw, node topology.NodeID) {
	c := m.peer(gw, node)
	if c.down || gw == node {
		return
	}
	c.down = true
	if m.ds.probes {
		c.tripped = true
		m.fo.note(gw, "rpc-breaker", "%v tripped (heartbeat failed)", node)
		m.fo.startDial(gw, node)
	} else {
		m.fo.note(gw, "rpc-unhealthy", "%v (heartbeat failed)", node)
	}
}

// startDial starts a dial from gw to node: a probe or a request's dial.
func (f *failover) startDial(gw, node topology.NodeID) {
	c := f.m.peer(gw, node)
	now := f.eng.Now()
	c.dialing, c.dialOK, c.syns = true, false, 0
	c.dialAt = now
	c.probeAt = now.Add(f.timers.rpcHeartbeatInterval)
	f.dialStep(gw, node)
}

// synRetransmits are when an unanswered SYN is sent again, after the
// dial started: TCP's initial retransmission timeout of 1 s, doubling
// (RFC 6298; Linux TCP_TIMEOUT_INIT). A dial whose SYN gets through
// connects even if it started while the peer was cut off.
var synRetransmits = [...]time.Duration{time.Second, 3 * time.Second, 7 * time.Second}

// dialStep sends a dial's SYN and schedules what comes of it.
func (f *failover) dialStep(gw, node topology.NodeID) {
	c := f.m.peer(gw, node)
	now := f.eng.Now()
	deadline := c.dialAt.Add(f.timers.dialTimeout())
	var at sim.Time
	switch {
	case f.reachable(gw, node):
		c.dialOK = true
		at = now.Add(2 * f.c.MedianRTT(gw, node)) // connect, then the first heartbeat
	case f.down[node] > 0 && f.hard[node]:
		at = now.Add(f.c.MedianRTT(gw, node)) // connection refused
	case int(c.syns) < len(synRetransmits) && c.dialAt.Add(synRetransmits[c.syns]) < deadline:
		at = c.dialAt.Add(synRetransmits[c.syns])
		c.syns++
	default:
		at = deadline
	}
	f.eng.Schedule(at, f.id, kDialDone, peerArg(gw, node, c.gen))
}

// dialDone runs when a dial from gw to node completes or times out.
func (f *failover) dialDone(gw, node topology.NodeID, gen int32) {
	c := f.m.peer(gw, node)
	if c.gen != gen || !c.dialing {
		return
	}
	now := f.eng.Now()
	if !c.dialOK && !(f.down[node] > 0 && f.hard[node]) && now < c.dialAt.Add(f.timers.dialTimeout()) {
		f.dialStep(gw, node) // a SYN's retransmission is due
		return
	}
	c.dialing = false
	if c.dialOK && f.reachable(gw, node) {
		if c.down {
			f.note(gw, "rpc-breaker", "%v reset (dial succeeded)", node)
		}
		*c = peerConn{gen: c.gen}
		return
	}
	if f.m.ds.probes {
		// The probe tries again at once if its attempt took a heartbeat
		// interval or longer, else when the interval has passed.
		f.eng.Schedule(max(c.probeAt, now), f.id, kPeerProbe, peerArg(gw, node, c.gen))
		return
	}
	// 22.2/23.1: the failed dial trips the breaker, or backs it off again.
	backoff := float64(oldBreakerBackoffInitial)
	for range c.fails {
		backoff *= oldBreakerBackoffMult
	}
	backoff = min(backoff, float64(oldBreakerBackoffMax))
	u := f.m.netRand[gw].Float64()
	backoff *= 1 - oldBreakerBackoffJitter + 2*oldBreakerBackoffJitter*u
	c.fails = min(c.fails+1, 32)
	c.tripped = true
	c.readyAt = now.Add(time.Duration(backoff))
	f.note(gw, "rpc-breaker", "%v tripped (dial failed), half-open in %v", node, time.Duration(backoff))
}

// peerProbe runs when a 23.2+ breaker's probe timer fires: it dials again.
func (f *failover) peerProbe(gw, node topology.NodeID, gen int32) {
	c := f.m.peer(gw, node)
	if c.gen != gen || !c.tripped || c.dialing || f.crashed(gw) {
		return
	}
	f.startDial(gw, node)
}

// resetConns forgets node gw's connections when its process stops or
// restarts (a new process dials its peers anew: watchConns then fails
// those it cannot reach after the dial timeout).
func (f *failover) resetConns(gw topology.NodeID) {
	n := len(f.c.Nodes)
	for j := range n {
		c := &f.m.ds.peers[int(gw)*n+j]
		*c = peerConn{gen: c.gen + 1}
	}
}
