package raft

import (
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file holds what each node knows of the liveness records. A node
// judges another's epoch lease by the liveness record it has in its own
// cache (kvserver Replica.leaseStatus reads NodeLiveness.GetLiveness,
// which gossip fills), and a record reaches it by gossip from the node
// that wrote it through the liveness range. A node cut off from the
// liveness range's leaseholder keeps the records it had at the cut: it
// sees every other node's record expire, even that of a node alive on the
// other side. The model keeps, per node, its copy of every record: a
// heartbeat or an epoch increment updates the copies of the nodes that
// gossip reaches at that moment (at once: gossip's own delay, about a
// second, is left out), and a node that gossip reaches again after a fault
// gets every record anew.

// gossipView is every node's copy of the liveness records.
type gossipView struct {
	// reach[n] reports whether gossip from the liveness range's
	// leaseholder reaches node n (a path of links both ways over up
	// nodes), computed for leaseholder from; from is -1 when a fault
	// started or ended since.
	from  topology.NodeID
	reach []bool
	// until[n*N+h] and epoch[n*N+h] are node n's copy of node h's record.
	until []sim.Time
	epoch []uint32
	queue []topology.NodeID // reachability's scratch
}

// initGossip gives every node the records as they are at the start.
func (f *failover) initGossip() {
	n := len(f.c.Nodes)
	g := &f.gossip
	g.from = -1
	g.reach = make([]bool, n)
	g.until = make([]sim.Time, n*n)
	g.epoch = make([]uint32, n*n)
	for i := range n {
		copy(g.until[i*n:(i+1)*n], f.live.until)
	}
}

// gossipChanged is told that links or nodes changed (a fault started or
// ended): reachability is computed again when next needed, and the nodes
// that gossip reaches then get every record anew.
func (f *failover) gossipChanged() {
	f.gossip.from = -1
	f.gossipReach()
}

// gossipReach returns, per node, whether gossip from the liveness range's
// leaseholder reaches it, computing it again (and refreshing the copies of
// the nodes it reaches) if faults or the leaseholder changed since.
func (f *failover) gossipReach() []bool {
	g := &f.gossip
	src := f.live.holder
	if g.from == src {
		return g.reach
	}
	g.from = src
	clear(g.reach)
	g.queue = g.queue[:0]
	if f.up(src) {
		g.reach[src] = true
		g.queue = append(g.queue, src)
	}
	for k := 0; k < len(g.queue); k++ {
		a := g.queue[k]
		for b := range g.reach {
			if nb := topology.NodeID(b); !g.reach[b] && f.linkOK(a, nb) && f.linkOK(nb, a) {
				g.reach[b] = true
				g.queue = append(g.queue, nb)
			}
		}
	}
	n := len(g.reach)
	for i, ok := range g.reach {
		if ok {
			copy(g.until[i*n:(i+1)*n], f.live.until)
			copy(g.epoch[i*n:(i+1)*n], f.live.epoch)
		}
	}
	return g.reach
}

// gossipRecord spreads node h's record, just written (a heartbeat or an
// epoch increment), to the nodes gossip reaches.
func (f *failover) gossipRecord(h topology.NodeID) {
	reach := f.gossipReach()
	n := len(reach)
	for i, ok := range reach {
		if ok {
			f.gossip.until[i*n+int(h)] = f.live.until[h]
			f.gossip.epoch[i*n+int(h)] = f.live.epoch[h]
		}
	}
}

// livenessSeenBy returns node h's liveness record as node n has it:
// when it expires, and its epoch.
func (f *failover) livenessSeenBy(n, h topology.NodeID) (sim.Time, uint32) {
	f.gossipReach()
	i := int(n)*len(f.c.Nodes) + int(h)
	return f.gossip.until[i], f.gossip.epoch[i]
}
