package raft

import (
	"fmt"
	"math"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// This file is the cluster's network traffic: the bytes of every message
// the model sends, counted where it is sent, per kind and directed zone
// pair, and — when topology.bandwidth limits a link between regions — the
// time each message takes to go out on that link, one after another in
// the order they were sent (a FIFO per directed region pair).
//
// Message sizes. A message's size on the wire is its payload plus its
// framing: gRPC's length prefix and HTTP/2's frame header per message, and
// the TCP/IP headers of every segment. The payloads follow the messages'
// structure in CockroachDB (kvpb.BatchRequest, raftpb.Message inside
// kvserverpb.RaftMessageRequest, the raft entry encoding of raftlog, the
// Pebble write batch); where a protobuf's encoded size depends on values
// the model does not track (timestamps, ids, MVCC stats) the constant is an
// estimate from the field list and says so. The caller's value (a row's
// bytes, Request.ValueBytes) and the table's key are the parts that scale.

// Framing, per message or per segment.
const (
	// tcpIPHeaderBytes is the IPv4 (20) and TCP (20) headers plus the TCP
	// timestamp option (12) every segment carries on Linux (RFC 791, RFC
	// 9293, RFC 7323): what a cloud bills is the IP packet.
	tcpIPHeaderBytes = 52
	// segmentBytes is the TCP payload of one full segment on a 1500-byte
	// MTU path with those headers (1500 − 52; derived).
	segmentBytes = 1448
	// rpcFrameBytes is one gRPC message on an HTTP/2 stream: the 9-byte
	// DATA frame header (RFC 9113 §4.1) and gRPC's 5-byte
	// Length-Prefixed-Message header (grpc PROTOCOL-HTTP2.md).
	rpcFrameBytes = 9 + 5
	// callRequestBytes and callResponseBytes are what a unary call
	// (Internal.Batch) adds to its request and to its response: the
	// request's HEADERS frame, and the response's HEADERS frame and
	// trailers (grpc-status), HPACK-indexed after the connection's first
	// call. Estimate: a 9-byte frame header plus about 10 bytes of indexed
	// header fields each.
	callRequestBytes  = 9 + 10
	callResponseBytes = 2 * (9 + 10)
)

// Payloads of the KV API (pkg/kv/kvpb/api.proto) and of pgwire.
const (
	// KeyBytes is the size of a row's key: /Table/<id>/<index>/<primary
	// key>/<family> in CockroachDB's key encoding (pkg/keys,
	// pkg/util/encoding). Estimate: a 16-byte UUID primary key encoded in
	// 17 bytes, plus table, index and family prefixes of a few bytes.
	KeyBytes = 24
	// batchHeaderBytes is a BatchRequest's kvpb.Header and the request
	// union's wrapping: the read or write timestamp (hlc.Timestamp), the
	// target ReplicaDescriptor and RangeID, and the transaction proto
	// (roachpb.Transaction: TxnMeta with a 16-byte id, its key, epoch and
	// timestamps; name, status, read timestamp, uncertainty limit) that an
	// implicit SQL transaction sends with every batch. Estimate from the
	// field list.
	batchHeaderBytes = 160
	// fieldBytes is a length-delimited protobuf field's tag and 1–2 byte
	// length: a RequestUnion around one request, a PutRequest's value.
	fieldBytes = 4
	// endTxnBytes is a 1PC write's EndTxnRequest (commit = true, the
	// transaction's key, and no lock spans: 1PC needs none). Estimate.
	endTxnBytes = 40
	// responseHeaderBytes is a BatchResponse's header (timestamp, the
	// updated transaction for a write) and one response's wrapping.
	// Estimate.
	responseHeaderBytes = 80
	// notLeaseholderBytes is a BatchResponse carrying a
	// NotLeaseHolderError with the current lease (roachpb.Lease: replica
	// descriptor, start, expiration or epoch, sequence). Estimate.
	notLeaseholderBytes = responseHeaderBytes + 60
	// valueHeaderBytes is roachpb.Value's header: a 4-byte checksum and a
	// 1-byte tag (pkg/roachpb/data.go, headerSize).
	valueHeaderBytes = 5
	// pgwireRequestBytes is a prepared statement's execution on the
	// extended protocol: Bind (its 5-byte message header, portal and
	// statement names, format codes, one length-prefixed parameter per
	// column but the value's), Execute and Sync (PostgreSQL protocol,
	// "Message Formats"), plus the key parameter. Estimate: the row's key
	// as a 36-character UUID text parameter.
	pgwireRequestBytes = 5 + 16 + 4 + 36 + 10 + 5
	// pgwireResponseBytes is BindComplete, CommandComplete ("UPSERT 0 1"
	// or "SELECT 1") and ReadyForQuery, each with its 5-byte header; a
	// read adds a DataRow (7-byte header, 4-byte column length) with the
	// value.
	pgwireResponseBytes = 5 + 5 + 11 + 6
	pgwireDataRowBytes  = 7 + 4
)

// Payloads of Raft (go.etcd.io/raft raftpb, CockroachDB kvserverpb and
// raftlog) and of the write batch a command applies.
const (
	// raftTransportBytes is kvserverpb.RaftMessageRequest around one raft
	// message: RangeID, from and to ReplicaDescriptors (node, store,
	// replica id, type), inside a RaftMessageRequestBatch on the
	// RaftTransport stream. Estimate from the field list.
	raftTransportBytes = 32
	// raftMessageBytes is raftpb.Message's fixed fields (type, to, from,
	// term, log term, index, commit, and the entries' repeated-field tag)
	// as varints. Estimate.
	raftMessageBytes = 24
	// raftEntryBytes is one raftpb.Entry's term, index, type and data
	// length. Estimate.
	raftEntryBytes = 14
	// raftCommandPrefixBytes is raftlog.RaftCommandPrefixLen: the encoding
	// byte and the 8-byte command id (pkg/kv/kvserver/raftlog/encoding.go).
	raftCommandPrefixBytes = 1 + 8
	// raftCommandBytes is a kvserverpb.RaftCommand without its write
	// batch: proposer lease sequence, max lease index, closed timestamp,
	// the ReplicatedEvalResult (timestamp, the MVCCStats delta's non-zero
	// fields) and the admission-control metadata. Estimate.
	raftCommandBytes = 110
	// writeBatchHeaderBytes is a Pebble batch's header: an 8-byte sequence
	// number and a 4-byte count (pebble batch.go batchHeaderLen).
	writeBatchHeaderBytes = 12
	// writeBatchRecordBytes is one set record's kind byte and the varint
	// lengths of its key and value (pebble batch.go).
	writeBatchRecordBytes = 1 + 1 + 2
	// mvccKeySuffixBytes is what an MVCC key adds to a key: a 0x00
	// sentinel, an 8-byte wall time and the 1-byte suffix length (a
	// logical component adds 4; pkg/storage/mvcc_key.go
	// EncodeMVCCKey).
	mvccKeySuffixBytes = 1 + 8 + 1
	// raftAckBytes is MsgAppResp: a raftpb.Message with no entries.
	raftAckBytes = raftTransportBytes + raftMessageBytes
	// leaseCommandBytes is a lease transfer's RaftCommand payload: the
	// new roachpb.Lease and the replicated result that installs it.
	// Estimate.
	leaseCommandBytes = 120
	// closedTSUpdateBytes is a closed-timestamp side-transport message
	// (kvserver/closedts/ctpb.Update): node id, sequence number, snapshot
	// flag and one closed timestamp per policy; the ranges added to or
	// removed from the sender's set are not modelled (steady state).
	// Estimate.
	closedTSUpdateBytes = 48
)

// maxValueBytes bounds Request.ValueBytes: kv.raft.command.max_size (64
// MiB; pkg/kv/kvserver/replica_proposal.go MaxCommandSize) refuses larger
// commands.
const maxValueBytes = 64 << 20

// Snapshots (up-replication after a store dies, upreplicate.go).
const (
	// DefaultRangeBytes is a range's size when its table gives none: 64
	// MiB, which at snapshotRate takes the 2 s regionsim used before range
	// sizes were modelled. A CockroachDB range splits at range_max_bytes
	// (512 MiB; zonepb.DefaultZoneConfig) and merges below range_min_bytes
	// (128 MiB), so a large table's ranges hold 4–8 times this: give
	// tables[].range_bytes when the snapshot time matters.
	DefaultRangeBytes = 64 << 20
	// snapshotRate is kv.snapshot_rebalance.max_rate (and
	// kv.snapshot_recovery.max_rate where it still exists), 32 MiB/s: the
	// sender paces a snapshot to it (pkg/kv/kvserver/store_snapshot.go,
	// snapshotRateLimit).
	snapshotRate = 32 << 20
)

// MsgKind is what a counted message is.
type MsgKind uint8

// Kinds of counted messages.
const (
	MsgClient   MsgKind = iota // client <-> gateway statements and results (pgwire)
	MsgBatch                   // gateway <-> replica BatchRequest and BatchResponse
	MsgRaft                    // MsgApp and MsgAppResp
	MsgClosedTS                // closed-timestamp side-transport updates
	MsgSnapshot                // Raft snapshots to replacement replicas
	NumMsgKinds
)

var msgKindNames = [...]string{"client", "kv", "raft", "closedts", "snapshot"}

func (k MsgKind) String() string { return msgKindNames[k] }

// Traffic is what the model's messages moved, per kind and directed zone
// pair: Bytes[k][from*Zones+to] bytes (framing included) and Msgs[k][…]
// messages of kind k from zone from to zone to (cluster zone indexes).
// Messages between two nodes of one zone count on the diagonal; a client
// counts as in its gateway's zone unless Request.Client places it.
type Traffic struct {
	Zones int
	Bytes [NumMsgKinds][]uint64
	Msgs  [NumMsgKinds][]uint64
}

func newTraffic(zones int) Traffic {
	t := Traffic{Zones: zones}
	for k := range t.Bytes {
		t.Bytes[k] = make([]uint64, zones*zones)
		t.Msgs[k] = make([]uint64, zones*zones)
	}
	return t
}

// Sub subtracts u, an earlier snapshot of the same model's traffic, from
// t: what moved since.
func (t *Traffic) Sub(u *Traffic) {
	for k := range t.Bytes {
		for i := range t.Bytes[k] {
			t.Bytes[k][i] -= u.Bytes[k][i]
			t.Msgs[k][i] -= u.Msgs[k][i]
		}
	}
}

// Traffic returns a snapshot of the traffic counted so far.
func (m *Model) Traffic() Traffic {
	m.settleAll()
	m.closed.settle(false)
	return m.traffic.traffic()
}

// wireCounts are the model's running traffic counts: a Traffic's, with
// the bytes and the messages of each (kind, zone pair) side by side, so
// that counting a message (every message sent) touches one cell, not one
// in each of two separate arrays (81 nodes: 27 zones, 729 pairs a kind).
type wireCounts struct {
	zones int
	cells []wireCell // [kind·zones² + from·zones + to]
}

// wireCell is one kind's bytes and messages from one zone to another.
type wireCell struct{ bytes, msgs uint64 }

// newWireCounts returns zeroed counts for a cluster of zones zones.
func newWireCounts(zones int) wireCounts {
	return wireCounts{zones: zones, cells: make([]wireCell, int(NumMsgKinds)*zones*zones)}
}

// at returns the cell of kind k from zone zf to zone zt.
func (w *wireCounts) at(k MsgKind, zf, zt int) *wireCell {
	return &w.cells[(int(k)*w.zones+zf)*w.zones+zt]
}

// traffic returns the counts as a Traffic.
func (w *wireCounts) traffic() Traffic {
	t := newTraffic(w.zones)
	n := w.zones * w.zones
	for k := range t.Bytes {
		for i, c := range w.cells[k*n : (k+1)*n] {
			t.Bytes[k][i], t.Msgs[k][i] = c.bytes, c.msgs
		}
	}
	return t
}

// links is the state of the bandwidth-limited links: free[a*R+b] is when
// the directed link from region a to region b has sent every message
// queued on it. Nil in a model without limited links.
type links struct {
	free []sim.Time
}

// wireBytes returns the bytes on the wire of a payload of n bytes sent as
// one gRPC message: framing and the TCP/IP headers of its segments.
func wireBytes(n int) int64 {
	n += rpcFrameBytes
	segs := (n + segmentBytes - 1) / segmentBytes
	return int64(n + segs*tcpIPHeaderBytes)
}

// count adds one message of kind k and b bytes from zone zf to zone zt.
func (m *Model) count(k MsgKind, zf, zt int, b int64) {
	c := m.traffic.at(k, zf, zt)
	c.bytes += uint64(b)
	c.msgs++
}

// wire counts a message of kind k and b bytes that node from sends to node
// to now, and returns how long it takes to leave: zero on an unlimited
// link, else its wait behind the messages queued on the directed region
// link plus its transmission time b/bandwidth. The caller adds the
// propagation delay.
func (m *Model) wire(k MsgKind, from, to topology.NodeID, b int64) time.Duration {
	if !m.fo.linkOK(from, to) {
		return 0 // the transport has no connection: nothing leaves
	}
	nf, nt := &m.cluster.Nodes[from], &m.cluster.Nodes[to]
	m.count(k, nf.Zone, nt.Zone, b)
	if m.links == nil {
		return 0
	}
	return m.transmit(nf.Region, nt.Region, b)
}

// transmit queues b bytes on the directed link from region ra to region rb
// and returns how long until they have left.
func (m *Model) transmit(ra, rb int, b int64) time.Duration {
	bw := m.cluster.Bandwidth(ra, rb)
	if bw == 0 {
		return 0
	}
	now := m.eng.Now()
	l := ra*len(m.cluster.Regions) + rb
	start := max(now, m.links.free[l])
	// A link offered more than it carries queues without bound; its
	// queue stops growing at linkHorizon, past any run's end and drain,
	// so that the time cannot overflow (LinksBusyAfter reports it).
	d := min(math.Ceil(float64(b)/bw*1e9), float64(linkHorizon))
	m.links.free[l] = min(start.Add(time.Duration(d)), linkHorizon)
	return m.links.free[l].Sub(now)
}

// linkHorizon is the latest a limited link's queue can reach: far past
// the end of any run (a scenario lasts at most a few years), far enough
// from sim.Never that nothing scheduled after it overflows.
const linkHorizon = sim.Never / 4

// LinksBusyAfter returns the directed region links, as [from, to] region
// indexes, whose queued messages will not all have left by t: a link
// offered more bytes than its bandwidth carries, or sending a snapshot
// that takes longer. A run whose requests are still waiting after its
// drain on such a link asked for it (input); it is not a bug.
func (m *Model) LinksBusyAfter(t sim.Time) [][2]int {
	if m.links == nil {
		return nil
	}
	var busy [][2]int
	r := len(m.cluster.Regions)
	for l, free := range m.links.free {
		if free > t {
			busy = append(busy, [2]int{l / r, l % r})
		}
	}
	return busy
}

// staleAck counts the MsgAppResp that replica i sends for an append of
// part pi that arrived after the attempt was over: the write path
// schedules no event for it (nobody waits for it), but the follower sends
// it, so it is counted and, on a limited link, takes its place in the
// queue.
func (m *Model) staleAck(pi partID, i int) {
	p := m.parts.at(pi)
	if p.rng == noRange {
		return
	}
	r := &m.ranges[p.rng]
	if i >= len(r.Replicas) || r.catchingUp(i, m.eng.Now()) {
		return
	}
	m.wire(MsgRaft, r.Replicas[i], m.propOf(p).repNode, msgAppRespBytes())
}

// writesValue reports whether op's statement carries the row's value.
func writesValue(op Op) bool { return op == OpWrite || op == OpInsert || op == OpTxn }

// countClient counts request ri's statement (reply false) or its result
// (reply true) between its client and its gateway. Client hops take no
// transmission time: the client is not a cluster node.
func (m *Model) countClient(ri reqID, reply bool) {
	s := m.reqs.at(ri)
	cz := m.cluster.Nodes[s.gateway].Zone
	if s.client >= 0 {
		cz = m.cluster.Nodes[s.client].Zone
	}
	gz := m.cluster.Nodes[s.gateway].Zone
	v := int(s.value)
	if !reply {
		n := pgwireRequestBytes
		if writesValue(s.op) {
			n += 4 + v // the value's parameter: its length and bytes
		}
		m.count(MsgClient, cz, gz, int64(n+tcpIPHeaderBytes))
		return
	}
	n := pgwireResponseBytes
	if !writesValue(s.op) {
		n += pgwireDataRowBytes + v
	}
	m.count(MsgClient, gz, cz, int64(n+tcpIPHeaderBytes))
}

// batchRequestBytes is the wire size of part pi's BatchRequest.
func (m *Model) batchRequestBytes(pi partID) int64 {
	p := m.parts.at(pi)
	n := callRequestBytes + batchHeaderBytes + fieldBytes + KeyBytes
	if p.kind == partWrite {
		n += endTxnBytes + fieldBytes + valueHeaderBytes + int(m.reqs.at(p.req).value)
	}
	return wireBytes(n)
}

// batchResponseBytes is the wire size of part pi's BatchResponse: reads
// that found their row carry its value.
func (m *Model) batchResponseBytes(pi partID) int64 {
	p := m.parts.at(pi)
	n := callResponseBytes + responseHeaderBytes
	switch p.kind {
	case partWrite, partLease:
	case partCheck:
		if p.hit {
			n += int(m.reqs.at(p.req).value) + valueHeaderBytes
		}
	default:
		n += int(m.reqs.at(p.req).value) + valueHeaderBytes
	}
	return wireBytes(n)
}

// msgAppBytes is the wire size of MsgApp carrying part pi's command: a
// write's MVCC put of the row, or a lease transfer.
func (m *Model) msgAppBytes(pi partID) int64 {
	p := m.parts.at(pi)
	cmd := leaseCommandBytes
	if p.kind != partLease {
		cmd = raftCommandBytes + writeBatchHeaderBytes + writeBatchRecordBytes +
			KeyBytes + mvccKeySuffixBytes + int(m.reqs.at(p.req).value) + valueHeaderBytes
	}
	return wireBytes(raftTransportBytes + raftMessageBytes + raftEntryBytes + raftCommandPrefixBytes + cmd)
}

// msgAppRespBytes is the wire size of MsgAppResp.
func msgAppRespBytes() int64 { return wireBytes(raftAckBytes) }

// snapshot counts the snapshot of range r that its leaseholder sends to
// node to, a replacement replica, and returns how long it takes to send:
// the range's bytes at the sender's pace, snapshotRate, or at the link's
// bandwidth when that is lower — then the snapshot fills the link and the
// messages sent after it wait behind it. A snapshot paced below the link's
// bandwidth leaves the link to the other messages (their share of the
// capacity it uses is not taken from them: a simplification, docs/model.md).
func (m *Model) snapshot(r *Range, to topology.NodeID) time.Duration {
	from := r.Leaseholder
	b := wireBytes(0) + r.bytes + (r.bytes+segmentBytes-1)/segmentBytes*tcpIPHeaderBytes
	paced := time.Duration(math.Ceil(float64(r.bytes) / snapshotRate * 1e9))
	nf, nt := &m.cluster.Nodes[from], &m.cluster.Nodes[to]
	m.count(MsgSnapshot, nf.Zone, nt.Zone, b)
	if bw := m.cluster.Bandwidth(nf.Region, nt.Region); m.links != nil && bw > 0 && bw <= snapshotRate {
		return max(paced, m.transmit(nf.Region, nt.Region, b))
	}
	return paced
}

// TrafficSplit returns the bytes sent so far between regions and between
// zones of one region, every kind together, without copying the counts.
func (m *Model) TrafficSplit() (crossRegion, interZone uint64) {
	m.settleAll()
	m.closed.settle(false)
	z := m.traffic.zones
	for a := range z {
		ra := m.cluster.Zones[a].Region
		for b := range z {
			if a == b {
				continue
			}
			var n uint64
			for k := range NumMsgKinds {
				n += m.traffic.at(k, a, b).bytes
			}
			if m.cluster.Zones[b].Region == ra {
				interZone += n
			} else {
				crossRegion += n
			}
		}
	}
	return crossRegion, interZone
}

// trafficMarks are the instants at which a run reads the traffic totals:
// first, then every every after it up to end, and end. Unset, the totals
// may be read at any instant.
type trafficMarks struct {
	set        bool
	first, end sim.Time
	every      time.Duration
	// next is the first mark at or after the instant markBefore last
	// asked from (sim.Never past end): the engine's clock only advances.
	next sim.Time
}

// SetTrafficMarks tells the model that its traffic totals (Traffic,
// TrafficSplit) are read only at first, first + k·every up to end, and end,
// each after every event of that instant: a message whose sending falls
// between two marks may then be counted earlier than it is sent, as long
// as no mark separates the two instants (see appendArrived).
func (m *Model) SetTrafficMarks(first sim.Time, every time.Duration, end sim.Time) {
	if every <= 0 || end < first {
		panic(fmt.Sprintf("raft: traffic marks from %v every %v to %v", first, every, end))
	}
	m.marks = trafficMarks{set: true, first: first, every: every, end: end, next: first}
}

// markBefore is markIn(now, b) for the current instant, without markIn's
// division: it moves a cursor over the marks as the clock advances.
func (m *Model) markBefore(b sim.Time) bool {
	mk := &m.marks
	if !mk.set {
		return true
	}
	now := m.eng.Now()
	for mk.next < now {
		switch {
		case mk.next == mk.end:
			mk.next = sim.Never
		case mk.end-mk.next <= sim.Time(mk.every):
			mk.next = mk.end
		default:
			mk.next += sim.Time(mk.every)
		}
	}
	return mk.next < b
}

// markIn reports whether a traffic mark falls in [a, b): whether bytes
// counted at a instead of b could be read differently. Without marks,
// always.
func (m *Model) markIn(a, b sim.Time) bool {
	mk := &m.marks
	if !mk.set {
		return true
	}
	if a <= mk.end && mk.end < b {
		return true
	}
	if b <= mk.first || a > mk.end {
		return false
	}
	var k int64
	if a > mk.first {
		k = (int64(a-mk.first) + int64(mk.every) - 1) / int64(mk.every)
	}
	g := mk.first + sim.Time(k*int64(mk.every))
	return g < b && g <= mk.end
}
