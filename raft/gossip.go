package raft

import (
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file holds what each node knows of the liveness records. A node
// judges another's epoch lease by the liveness record it has in its own
// cache (kvserver Replica.leaseStatus reads NodeLiveness.GetLiveness,
// which gossip fills), and a record reaches it by gossip from the liveness
// range's leaseholder, which gossips the records written through it. A
// node cut off from that leaseholder keeps the records it had at the cut:
// it sees every other node's record expire, even that of a node alive on
// the other side. The model keeps, per node, its copy of every record: a
// heartbeat or an epoch increment updates the copies of the nodes gossip
// reaches at that moment (at once: gossip's own delay, about a second, is
// left out), and the nodes gossip reaches again after a fault get every
// record anew.

// gossipView is every node's copy of the liveness records.
type gossipView struct {
	// comp[n] numbers node n's gossip component: the up nodes linked to
	// it both ways, directly or through others (-1 while n is down). It
	// changes only when a fault starts or ends.
	comp []int32
	// from is the liveness range's leaseholder when the copies were last
	// refreshed.
	from topology.NodeID
	// until[n*N+h] and epoch[n*N+h] are node n's copy of node h's record.
	until []sim.Time
	epoch []uint32
	queue []topology.NodeID // the components' scratch
}

// initGossip gives every node the records as they are at the start.
func (f *failover) initGossip() {
	n := len(f.c.Nodes)
	g := &f.gossip
	g.comp = make([]int32, n)
	g.until = make([]sim.Time, n*n)
	g.epoch = make([]uint32, n*n)
	for i := range n {
		copy(g.until[i*n:(i+1)*n], f.live.until)
	}
	g.from = f.live.holder
}

// gossipChanged is told that links or nodes changed (a fault started or
// ended): the components are computed again; gossip spreads peer to peer,
// so the nodes of a component all get the freshest copy of each record
// that any of them has, and those in the liveness leaseholder's component
// get every record as it is.
func (f *failover) gossipChanged() {
	g := &f.gossip
	for i := range g.comp {
		g.comp[i] = -1
	}
	next := int32(0)
	for s := range g.comp {
		if g.comp[s] >= 0 || !f.up(topology.NodeID(s)) {
			continue
		}
		g.comp[s] = next
		g.queue = append(g.queue[:0], topology.NodeID(s))
		for k := 0; k < len(g.queue); k++ {
			a := g.queue[k]
			for b := range g.comp {
				if nb := topology.NodeID(b); g.comp[b] < 0 && f.up(nb) && f.linkOK(a, nb) && f.linkOK(nb, a) {
					g.comp[b] = next
					g.queue = append(g.queue, nb)
				}
			}
		}
		next++
	}
	n := len(g.comp)
	for c := range next {
		for h := range n {
			var until sim.Time
			var epoch uint32
			for i := range n {
				if g.comp[i] == c && g.until[i*n+h] > until {
					until, epoch = g.until[i*n+h], g.epoch[i*n+h]
				}
			}
			for i := range n {
				if g.comp[i] == c {
					g.until[i*n+h], g.epoch[i*n+h] = until, max(epoch, g.epoch[i*n+h])
				}
			}
		}
	}
	g.from = -1
	f.gossipFresh()
}

// gossipFresh refreshes, if the liveness range's leaseholder changed since
// the last refresh, the copies of the nodes in its component: they reach
// it, and gossip gives them every record.
func (f *failover) gossipFresh() {
	g := &f.gossip
	src := f.live.holder
	if g.from == src {
		return
	}
	g.from = src
	if c := g.comp[src]; c >= 0 {
		n := len(g.comp)
		for i := range g.comp {
			if g.comp[i] == c {
				copy(g.until[i*n:(i+1)*n], f.live.until)
				copy(g.epoch[i*n:(i+1)*n], f.live.epoch)
			}
		}
	}
}

// gossipRecord spreads node h's record, just written by node writer (h
// itself for a heartbeat, the acquiring leader for an epoch increment), to
// the nodes in the liveness leaseholder's gossip component — or, when that
// leaseholder is down (a write the model lets commit as its holder
// crashed), in the writer's.
func (f *failover) gossipRecord(h, writer topology.NodeID) {
	f.gossipFresh()
	g := &f.gossip
	origin := f.live.holder
	if g.comp[origin] < 0 {
		origin = writer
	}
	c := g.comp[origin]
	if c < 0 {
		return
	}
	n := len(g.comp)
	for i := range g.comp {
		if g.comp[i] == c {
			g.until[i*n+int(h)] = f.live.until[h]
			g.epoch[i*n+int(h)] = f.live.epoch[h]
		}
	}
}

// livenessSeenBy returns node h's liveness record as node n has it:
// when it expires, and its epoch.
func (f *failover) livenessSeenBy(n, h topology.NodeID) (sim.Time, uint32) {
	f.gossipFresh()
	i := int(n)*len(f.c.Nodes) + int(h)
	return f.gossip.until[i], f.gossip.epoch[i]
}
