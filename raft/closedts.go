package raft

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// sideTransport is the closed-timestamp side transport (reference §4):
// every side_transport_interval each node publishes the closed timestamps
// of the ranges it leads to every other node. A follower's closed
// timestamp for a range is the leaseholder node's last publication it
// received, minus the target duration (or plus the lead for GLOBAL
// ranges). It is its own sim.Handler.
//
// Two modes give the same answers. The delay of tick k of node from to
// node to is a pure function of (seed, from, to, k) (delay), tick k is
// published at phase + k·interval, and the faults are scheduled before the
// run, so which publications have arrived by a time is known without
// simulating anything:
//   - lazy (every run without bandwidth limits or a tracer): no events at
//     all; a follower's latest publication is computed when a read asks
//     for it (lazyPub), and the messages of the ticks published so far are
//     counted when the traffic is read (settle). Faults apply as they do
//     to messages: a node that is down at its tick sends nothing, an
//     update is lost if its link is down (an end down or cut) when it
//     arrives, and a message counts if its link is up when it leaves;
//   - messages: each tick is an event at its node, each update an event at
//     its arrival, dropped if the link is down then. A tracer (the trace
//     shows every update) and a bandwidth-limited link (updates queue with
//     the other messages) use it, switching at once (toMessages): ticks
//     published before now are counted, the updates then in flight
//     scheduled at their arrival times, and every node's next tick
//     scheduled.
type sideTransport struct {
	m  *Model
	id sim.HandlerID
	// lazy is set while the mode is lazy.
	lazy bool
	// pub[to*n+from] is the publication time of the latest update node to
	// has received from node from (message mode: allocated, and set for
	// every link, when the mode switches; nil while lazy).
	pub []sim.Time
	// got[to*n+from] is, in lazy mode, one more than the latest tick of
	// node from known to have reached node to (0: none), as of the last
	// lazyPub; res one more than the latest tick up to which every tick's
	// fate on the link is known (all arrived, or were dropped), kept where
	// faults are (lazyPubOf). Offset by one so that a new model's arrays
	// need no pass to set them: a link no read asks about is never
	// touched, and an array of 81 nodes' 6,561 links is 52 KB.
	got, res []int64
	// sf is the fault schedule as the lazy mode reads it (faults).
	sf []sideFault
	// phase[n] is when node n first publishes; it then publishes every
	// side_transport_interval, and messages carry the tick number. ticks[n]
	// is the number of ticks node n has published (message mode) or whose
	// messages are counted (lazy mode, settle).
	phase []sim.Time
	ticks []int64
	// zoneMsgs[from*Z+z] is the number of nodes of zone z other than node
	// from: the messages a tick of from sends into z (lazy counting).
	zoneMsgs []uint64
	// key seeds the delay draws, with the link and the tick; src and rnd
	// are reseeded for each draw (delay).
	key uint64
	src *rand.PCG
	rnd *rand.Rand
}

// Event kinds of the side transport's handler.
const (
	kSideTick   sim.Kind = iota // NodeID: a node publishes
	kSideUpdate                 // sideArg: a publication reaches a node
)

// newSideTransport registers the side transport and starts every node's
// publications at a phase of its own, drawn from "raft/sidetransport".
// Delays are drawn per (link, tick) from a key drawn from
// "raft/sidetransport/delay".
func newSideTransport(m *Model, seed uint64) *sideTransport {
	n := len(m.cluster.Nodes)
	z := len(m.cluster.Zones)
	st := &sideTransport{
		m: m, lazy: m.links == nil,
		got: make([]int64, n*n), res: make([]int64, n*n),
		phase: make([]sim.Time, n), ticks: make([]int64, n),
		zoneMsgs: make([]uint64, n*z),
		key:      sim.NewRand(seed, sim.StreamID("raft/sidetransport/delay", 0)).Uint64(),
		src:      rand.NewPCG(0, 0),
	}
	st.rnd = rand.New(st.src)
	st.id = m.eng.Register(st)
	if !st.lazy {
		st.pub = make([]sim.Time, n*n)
	}
	// A tick of from goes to every node of each zone but itself.
	zoneNodes := make([]uint64, z)
	for i := range m.cluster.Nodes {
		zoneNodes[m.cluster.Nodes[i].Zone]++
	}
	for from := range n {
		copy(st.zoneMsgs[from*z:(from+1)*z], zoneNodes)
		st.zoneMsgs[from*z+m.cluster.Nodes[from].Zone]--
	}
	phases := sim.NewRand(seed, sim.StreamID("raft/sidetransport", 0))
	for i := range n {
		st.phase[i] = m.eng.Now().Add(time.Duration(phases.Int64N(int64(m.cfg.SideTransportInterval))))
		if !st.lazy {
			m.eng.Schedule(st.phase[i], st.id, kSideTick, int64(i))
		}
	}
	return st
}

// published returns the number of ticks node from has published by now:
// those due at or before now (the clock between RunUntil calls, or a read
// in progress), or, with before, only those due before now (a switch to
// messages in the middle of an instant schedules the ones due now as
// events, after the event that switches).
func (st *sideTransport) published(from topology.NodeID, before bool) int64 {
	d := st.m.eng.Now() - st.phase[from]
	if d < 0 || d == 0 && before {
		return 0
	}
	iv := sim.Time(st.m.cfg.SideTransportInterval)
	k := int64(d/iv) + 1
	if before && d%iv == 0 {
		k--
	}
	return k
}

// settle counts, in lazy mode, the messages of the ticks published since
// the last call: by destination zone while no fault is active, link by
// link (linkOKAt) at ticks when one is. O(nodes × zones) per call, plus
// O(nodes) per tick and node during faults.
func (st *sideTransport) settle(before bool) {
	if !st.lazy {
		return
	}
	m := st.m
	b := wireBytes(closedTSUpdateBytes)
	for from := range m.cluster.Nodes {
		f := topology.NodeID(from)
		k0, k1 := st.ticks[from], st.published(f, before)
		if k1 <= k0 {
			continue
		}
		st.ticks[from] = k1
		zf := m.cluster.Nodes[from].Zone
		if st.quiet(st.tickTime(f, k0), st.tickTime(f, k1-1)) {
			st.countTicks(from, uint64(k1-k0))
			continue
		}
		for k := k0; k < k1; k++ {
			t := st.tickTime(f, k)
			if st.quiet(t, t) {
				st.countTicks(from, 1)
				continue
			}
			for to := range m.cluster.Nodes {
				if to != from && st.linkOKAt(f, topology.NodeID(to), t, k == 0) {
					m.count(MsgClosedTS, zf, m.cluster.Nodes[to].Zone, b)
				}
			}
		}
	}
}

// countTicks counts c ticks of node from to every other node.
func (st *sideTransport) countTicks(from int, c uint64) {
	m := st.m
	b := uint64(wireBytes(closedTSUpdateBytes))
	z := len(m.cluster.Zones)
	zf := m.cluster.Nodes[from].Zone
	for zt, msgs := range st.zoneMsgs[from*z : (from+1)*z] {
		w := m.traffic.at(MsgClosedTS, zf, zt)
		w.bytes += c * msgs * b
		w.msgs += c * msgs
	}
}

// The fault schedule as the lazy mode reads it. A fault is active over
// [At, At+For): its start and end events are scheduled before the run, so
// they run before any tick or update of the same instant — except a
// node's first tick (pre), which message mode schedules before them: it
// sees the faults of its instant not yet started or ended.

// sideFault is one fault: its window and, per node, sideCrash if the node
// fails and sideA or sideB for its side of a partition.
type sideFault struct {
	start, end sim.Time
	oneWay     bool
	side       []uint8
}

const (
	sideCrash uint8 = 1 << iota
	sideA
	sideB
)

// active reports whether f is active at t (pre: for a first tick).
func (f *sideFault) active(t sim.Time, pre bool) bool {
	if pre {
		return f.start < t && t <= f.end
	}
	return f.start <= t && t < f.end
}

// faults returns the fault schedule, built from the failover component's
// faults as they are added (before the run).
func (st *sideTransport) faults() []sideFault {
	fo := st.m.fo
	if fo == nil {
		return nil
	}
	n := len(st.m.cluster.Nodes)
	for len(st.sf) < len(fo.faults) {
		f := &fo.faults[len(st.sf)]
		sf := sideFault{start: sim.At(f.At), end: sim.At(f.At + f.For), oneWay: f.OneWay, side: make([]uint8, n)}
		for _, id := range f.Crash {
			sf.side[id] |= sideCrash
		}
		for _, id := range f.A {
			sf.side[id] |= sideA
		}
		for _, id := range f.B {
			sf.side[id] |= sideB
		}
		st.sf = append(st.sf, sf)
	}
	return st.sf
}

// quiet reports whether no fault is active at any instant of [a, b].
func (st *sideTransport) quiet(a, b sim.Time) bool {
	for _, f := range st.faults() {
		if f.start <= b && f.end >= a {
			return false
		}
	}
	return true
}

// upAt reports whether node n is up at t, as failover.up would then.
func (st *sideTransport) upAt(n topology.NodeID, t sim.Time, pre bool) bool {
	sf := st.faults()
	for i := range sf {
		if f := &sf[i]; f.side[n]&sideCrash != 0 && f.active(t, pre) {
			return false
		}
	}
	return true
}

// linkOKAt reports whether a message from a to b (a ≠ b) is delivered at
// t, as failover.linkOK would then: both ends up, no partition between.
func (st *sideTransport) linkOKAt(a, b topology.NodeID, t sim.Time, pre bool) bool {
	sf := st.faults()
	for i := range sf {
		f := &sf[i]
		if !f.active(t, pre) {
			continue
		}
		sa, sb := f.side[a], f.side[b]
		if (sa|sb)&sideCrash != 0 || sa&sideA != 0 && sb&sideB != 0 || !f.oneWay && sa&sideB != 0 && sb&sideA != 0 {
			return false
		}
	}
	return true
}

// delivered reports whether tick k of node from, published at t, reaches
// node to on arrival at a: from was up to send it, and the link is up when
// it arrives.
func (st *sideTransport) delivered(from, to topology.NodeID, k int64, t, a sim.Time) bool {
	return st.upAt(from, t, k == 0) && st.linkOKAt(from, to, a, false)
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
		pub := st.tickTime(from, tick)
		if i := int(to)*len(m.cluster.Nodes) + int(from); pub > st.pub[i] {
			st.pub[i] = pub
		}
	default:
		panic(fmt.Sprintf("raft: unknown side-transport event kind %d", ev.Kind))
	}
}

// tickTime returns when node from publishes its tick k.
func (st *sideTransport) tickTime(from topology.NodeID, k int64) sim.Time {
	return st.phase[from] + sim.Time(k)*sim.Time(st.m.cfg.SideTransportInterval)
}

// delay returns the one-way delay of node from's tick k to node to: half
// an RTT of the link drawn from a generator seeded with the key, the link
// and the tick (a counter-based draw), so that it is the same whenever it
// is asked, in either mode. O(1), allocation-free.
func (st *sideTransport) delay(from, to topology.NodeID, k int64) time.Duration {
	st.src.Seed(splitmix(st.key+uint64(from)<<12+uint64(to)), splitmix(uint64(k)))
	return st.m.cluster.OneWay(st.rnd, from, to)
}

// splitmix is SplitMix64's finaliser: it spreads consecutive links and
// tick numbers over the generator's seed words.
func splitmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// publish sends node from's closed timestamps to every other node and
// schedules its next publication (message mode).
func (st *sideTransport) publish(from topology.NodeID) {
	m := st.m
	tick := st.ticks[from]
	st.ticks[from]++
	if m.fo.up(from) {
		for to := range m.cluster.Nodes {
			if topology.NodeID(to) == from {
				continue
			}
			d := st.delay(from, topology.NodeID(to), tick) + m.wire(MsgClosedTS, from, topology.NodeID(to), wireBytes(closedTSUpdateBytes))
			m.eng.After(d, st.id, kSideUpdate, sideArg(tick, from, topology.NodeID(to)))
		}
	}
	m.eng.After(m.cfg.SideTransportInterval, st.id, kSideTick, int64(from))
}

// lazyPub returns, in lazy mode, the publication time of the latest tick
// of node from that has reached node to by now (0 if none has): the
// largest publication among the ticks published so far whose arrival is
// at or before now. See lazyPubOf.
func (st *sideTransport) lazyPub(from, to topology.NodeID) sim.Time {
	return st.lazyPubOf(from, to, st.published(from, false))
}

// lazyPubOf is lazyPub among node from's first ticks ticks. A later tick
// can overtake an earlier one, so while no fault can have touched the
// link since the tick found last, the search goes down from the latest
// tick and stops at the first that has arrived, or at the one found by
// the previous call (arrivals only accumulate). Where a fault may have,
// it first walks up from the last tick whose fate is known through the
// ticks that have arrived (each once), keeping the latest delivered, then
// down through the rest. O(ticks in flight) per call, plus O(1) per tick
// during faults.
func (st *sideTransport) lazyPubOf(from, to topology.NodeID, ticks int64) sim.Time {
	i := int(to)*len(st.m.cluster.Nodes) + int(from)
	now := st.m.eng.Now()
	got := st.got[i] - 1
	if got+1 < ticks {
		if st.quiet(st.tickTime(from, got+1), now) {
			for k := ticks - 1; k > got; k-- {
				if t := st.tickTime(from, k); t.Add(st.delay(from, to, k)) <= now {
					got = k
					break
				}
			}
		} else {
			r := max(st.res[i]-1, got)
			for k := r + 1; k < ticks; k++ {
				t := st.tickTime(from, k)
				a := t.Add(st.delay(from, to, k))
				if a > now {
					break
				}
				r = k
				if st.delivered(from, to, k, t, a) {
					got = k
				}
			}
			st.res[i] = r + 1
			for k := ticks - 1; k > max(r, got); k-- {
				t := st.tickTime(from, k)
				if a := t.Add(st.delay(from, to, k)); a <= now && st.delivered(from, to, k, t, a) {
					got = k
					break
				}
			}
		}
		st.got[i] = got + 1
	}
	if got < 0 {
		return 0
	}
	return st.tickTime(from, got)
}

// toMessages switches the side transport to message mode now: the ticks
// published before now are counted, each follower keeps the latest
// publication that has reached it, the updates in flight (sent, not yet
// arrived, later than that) are scheduled at their arrival times, and
// every node's next tick is scheduled. A no-op in message mode. O(n² · ticks in flight).
func (st *sideTransport) toMessages() {
	if !st.lazy {
		return
	}
	st.settle(true)
	m := st.m
	n := len(m.cluster.Nodes)
	st.pub = make([]sim.Time, n*n)
	for to := range n {
		for from := range n {
			if from == to {
				continue
			}
			f, t := topology.NodeID(from), topology.NodeID(to)
			i := to*n + from
			st.pub[i] = st.lazyPubOf(f, t, st.ticks[from])
			for k := st.got[i]; k < st.ticks[from]; k++ { // got[i]: the tick after the latest arrived
				tk := st.tickTime(f, k)
				if a := tk.Add(st.delay(f, t, k)); a > m.eng.Now() && st.upAt(f, tk, k == 0) {
					m.eng.Schedule(a, st.id, kSideUpdate, sideArg(k, f, t))
				}
			}
		}
	}
	for from := range n {
		m.eng.Schedule(st.tickTime(topology.NodeID(from), st.ticks[from]), st.id, kSideTick, int64(from))
	}
	st.lazy = false
}

// ClosedTSMessages makes the closed-timestamp side transport send every
// update as a message from now on, as it does with a tracer. Both
// modes give the same closed timestamps and traffic; only the number of
// events differs. For tests that compare them.
func (m *Model) ClosedTSMessages() { m.closed.toMessages() }

// closedTS returns the closed timestamp replica node holds for range r: on
// the leaseholder the current target, elsewhere the target as of the last
// side-transport update it received from the leaseholder's node.
func (m *Model) closedTS(r *Range, node topology.NodeID) sim.Time {
	pub := m.eng.Now()
	if node != r.Leaseholder {
		if m.closed.lazy {
			pub = m.closed.lazyPub(r.Leaseholder, node)
		} else {
			pub = m.closed.pub[int(node)*len(m.cluster.Nodes)+int(r.Leaseholder)]
		}
	}
	if r.GlobalReads {
		return pub.Add(m.lead)
	}
	return pub.Add(-m.cfg.ClosedTSTarget)
}
