package raft

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// sideTransport is the closed-timestamp side transport (reference §4):
// every side_transport_interval each node publishes the closed timestamps
// of the ranges it leads to every other node, as a real message. A
// follower's closed timestamp for a range is the leaseholder node's last
// publication it received, minus the target duration (or plus the lead for
// GLOBAL ranges). It is its own sim.Handler.
type sideTransport struct {
	m  *Model
	id sim.HandlerID
	// pub[to*n+from] is the publication time of the latest update node to
	// has received from node from.
	pub []sim.Time
	// phase[n] is when node n first publishes; it then publishes every
	// side_transport_interval, and messages carry the tick number.
	phase []sim.Time
	ticks []int64
}

// Event kinds of the side transport's handler.
const (
	kSideTick   sim.Kind = iota // NodeID: a node publishes
	kSideUpdate                 // sideArg: a publication reaches a node
)

// newSideTransport registers the side transport and starts every node's
// publications at a phase of its own, drawn from "raft/sidetransport".
func newSideTransport(m *Model, seed uint64) *sideTransport {
	n := len(m.cluster.Nodes)
	st := &sideTransport{m: m, pub: make([]sim.Time, n*n), phase: make([]sim.Time, n), ticks: make([]int64, n)}
	st.id = m.eng.Register(st)
	phases := sim.NewRand(seed, sim.StreamID("raft/sidetransport", 0))
	for i := range n {
		st.phase[i] = m.eng.Now().Add(time.Duration(phases.Int64N(int64(m.cfg.SideTransportInterval))))
		m.eng.Schedule(st.phase[i], st.id, kSideTick, int64(i))
	}
	return st
}

// Handle dispatches the side transport's events.
func (st *sideTransport) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kSideTick:
		st.publish(topology.NodeID(ev.Arg))
	case kSideUpdate:
		tick, from, to := splitSideArg(ev.Arg)
		m := st.m
		if m.tracer != nil {
			m.trace(TraceEvent{At: m.eng.Now(), Kind: "closedts", From: from, To: to, Req: -1, Range: noRange,
				Detail: fmt.Sprintf("tick %d", tick)})
		}
		if !m.fo.linkOK(from, to) {
			return
		}
		pub := st.phase[from] + sim.Time(tick)*sim.Time(m.cfg.SideTransportInterval)
		if i := int(to)*len(m.cluster.Nodes) + int(from); pub > st.pub[i] {
			st.pub[i] = pub
		}
	default:
		panic(fmt.Sprintf("raft: unknown side-transport event kind %d", ev.Kind))
	}
}

// publish sends node from's closed timestamps to every other node and
// schedules its next publication.
func (st *sideTransport) publish(from topology.NodeID) {
	m := st.m
	tick := st.ticks[from]
	st.ticks[from]++
	if m.fo.up(from) {
		for to := range m.cluster.Nodes {
			if topology.NodeID(to) == from {
				continue
			}
			d := m.oneWay(from, topology.NodeID(to)) + m.wire(MsgClosedTS, from, topology.NodeID(to), wireBytes(closedTSUpdateBytes))
			m.eng.After(d, st.id, kSideUpdate, sideArg(tick, from, topology.NodeID(to)))
		}
	}
	m.eng.After(m.cfg.SideTransportInterval, st.id, kSideTick, int64(from))
}

// closedTS returns the closed timestamp replica node holds for range r: on
// the leaseholder the current target, elsewhere the target as of the last
// side-transport update it received from the leaseholder's node.
func (m *Model) closedTS(r *Range, node topology.NodeID) sim.Time {
	pub := m.eng.Now()
	if node != r.Leaseholder {
		pub = m.closed.pub[int(node)*len(m.cluster.Nodes)+int(r.Leaseholder)]
	}
	if r.GlobalReads {
		return pub.Add(m.lead)
	}
	return pub.Add(-m.cfg.ClosedTSTarget)
}
