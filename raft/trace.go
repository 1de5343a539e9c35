package raft

import (
	"fmt"
	"strings"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// TraceEvent is one delivered message, fired timer or state change of the
// model, in the order the engine dispatched it. Traces pin the protocol in
// data-driven tests (testdata/*.txt): a change to the model shows up as a
// readable diff.
type TraceEvent struct {
	At sim.Time
	// Kind names the message or step. Request path: "request" (client to
	// gateway), "arrive" (a follower read at its replica), "eval",
	// "append-durable" (the leader's own append), "MsgApp" (received and
	// fsynced by a follower), "MsgAppResp", "reply" (to the gateway),
	// "commit-wait-done", "client-reply", "rpc-error", "retry",
	// "deadline", "backoff" (DistSender waits before a new round),
	// "not-leaseholder" (a redirect through the gateway),
	// "wait" (a request parked for a lease), "lease" (a lease moved),
	// "transfer-refused" (a lease transfer not started: the range has no
	// Raft leader). Side transport: "closedts". Failover: "fault",
	// "heartbeat", "heartbeat-failed", "liveness-lease", "campaign",
	// "election", "step-down", "lease-acquire", "lease-valid",
	// "store-dead", "up-replicate".
	Kind string
	// From and To are the nodes the message went between (-1: the client,
	// or no node); a step at one node has From == To.
	From, To topology.NodeID
	// Req is the request's tag (-1: none, e.g. a lease transfer).
	Req int64
	// Range is the range concerned (-1: none).
	Range RangeID
	// Detail says what the event carried or decided.
	Detail string
	// Sent is when the client sent the request, on "client-reply" events
	// (so At − Sent is the latency the client saw); 0 on the others. It is
	// not rendered.
	Sent sim.Time
}

// String renders the event on one line: time, hop, kind, request, range
// and detail.
func (ev TraceEvent) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%11.6fs  ", ev.At.Seconds())
	node := func(n topology.NodeID) string {
		if n < 0 {
			return "client"
		}
		return n.String()
	}
	switch {
	case ev.From < 0 && ev.To < 0:
		b.WriteString("-")
	case ev.From == ev.To:
		b.WriteString(node(ev.To))
	default:
		b.WriteString(node(ev.From) + "->" + node(ev.To))
	}
	b.WriteString("  " + ev.Kind)
	if ev.Req >= 0 {
		fmt.Fprintf(&b, " req=%d", ev.Req)
	}
	if ev.Range >= 0 {
		fmt.Fprintf(&b, " r%d", ev.Range)
	}
	if ev.Detail != "" {
		b.WriteString(" " + ev.Detail)
	}
	return b.String()
}

// SetTracer makes the model call f with every event it handles, in
// dispatch order (nil turns tracing off). Tracing costs one branch per
// event when off. Set it before the run: what an untraced run did
// without events until then (replies handled ahead, replyAhead) is not
// traced, and a write finished so has its later appends traced as stale.
func (m *Model) SetTracer(f func(TraceEvent)) {
	m.tracer = f
	if f != nil {
		m.closed.toMessages()  // the trace shows every closed-timestamp update
		m.resumeAppendEvents() // and every append's arrival
	}
}

func (m *Model) trace(ev TraceEvent) { m.tracer(ev) }

// traceNote records a step of kind at node n (-1: cluster-wide).
func (m *Model) traceNote(n topology.NodeID, kind, detail string) {
	m.trace(TraceEvent{At: m.eng.Now(), Kind: kind, From: n, To: n, Req: -1, Range: noRange, Detail: detail})
}

// traceReq records a request event.
func (m *Model) traceReq(kind sim.Kind, ri reqID) {
	s := m.reqs.at(ri)
	ev := TraceEvent{At: m.eng.Now(), Req: s.tag, Range: s.rng, From: s.gateway, To: s.gateway}
	switch kind {
	case kGatewayArrive:
		ev.Kind, ev.From, ev.Detail = "request", -1, s.op.String()
	case kCommitWaitDone:
		ev.Kind = "commit-wait-done"
	case kClientReply:
		ev.Kind, ev.To, ev.Sent = "client-reply", -1, s.start
		ev.Detail = "ok"
		switch {
		case s.ambiguous:
			ev.Detail = "ambiguous"
		case !s.ok:
			ev.Detail = "error"
		}
	case kDeadline:
		ev.Kind = "deadline"
	default:
		ev.Kind = fmt.Sprintf("kind-%d", kind)
	}
	m.trace(ev)
}

// tracePart records a part event of attempt gen. A message of an abandoned
// attempt is discarded on delivery, except the appends of the part's latest
// proposal, which Raft still makes (staleAppend).
func (m *Model) tracePart(kind sim.Kind, pi partID, gen int32, i int) {
	if kind == kLeaseWaitOver {
		return // a timer, not a message: leaseWaitOver traces it if it acts
	}
	p := m.parts.at(pi)
	current := gen == p.gen
	appends := !current && gen == m.propOf(p).repGen && (kind == kAppendDone || kind == kLocalAppended)
	ev := TraceEvent{At: m.eng.Now(), Req: -1, Range: p.rng, From: p.node, To: p.node, Detail: p.kind.String()}
	if appends {
		ev.From, ev.To = m.propOf(p).repNode, m.propOf(p).repNode
	}
	gw := p.node
	if p.req != noReq {
		ev.Req = m.reqs.at(p.req).tag
		gw = m.reqs.at(p.req).gateway
	}
	r := &m.ranges[p.rng]
	switch kind {
	case kPartArrive:
		ev.Kind, ev.From = "arrive", p.from
	case kEvalDone:
		ev.Kind, ev.From = "eval", p.from
		if current && p.req != noReq && m.latched(pi) {
			ev.From = p.node // it arrived earlier (kLatchArrive)
		}
	case kLatchArrive:
		ev.Kind, ev.From = "arrive", p.from
		if current {
			ev.Detail += " (sequenced on its row)"
		}
	case kLocalAppended:
		ev.Kind = "append-durable"
	case kAppendDone:
		ev.Kind, ev.To = "MsgApp", r.Replicas[i]
	case kAck:
		ev.Kind, ev.From = "MsgAppResp", r.Replicas[i]
	case kPartReply:
		ev.Kind, ev.To = "reply", gw
	case kRPCError:
		ev.Kind, ev.From, ev.To = "rpc-error", gw, gw
		ev.Detail = fmt.Sprintf("%s to %v", p.kind, p.node)
	case kRetry:
		ev.Kind, ev.From, ev.To = "retry", gw, gw
	default:
		ev.Kind = fmt.Sprintf("kind-%d", kind)
	}
	switch {
	case appends && ev.From != ev.To && !m.fo.linkOK(ev.From, ev.To):
		ev.Detail += " (its attempt is over; not delivered: node down or link cut)"
	case appends:
		ev.Detail += " (its attempt is over: not awaited)"
	case !current:
		ev.Detail += " (its attempt is over: dropped)"
	case ev.From != ev.To && ev.From >= 0 && ev.To >= 0 && !m.fo.linkOK(ev.From, ev.To):
		ev.Detail += " (not delivered: node down or link cut)"
	}
	m.trace(ev)
}

// traceStep records a step of part pi at its replica (a redirect, a wait).
func (m *Model) traceStep(pi partID, kind, detail string) {
	p := m.parts.at(pi)
	ev := TraceEvent{At: m.eng.Now(), Kind: kind, From: p.node, To: p.node, Req: -1, Range: p.rng, Detail: detail}
	if p.req != noReq {
		ev.Req = m.reqs.at(p.req).tag
	}
	m.trace(ev)
}
