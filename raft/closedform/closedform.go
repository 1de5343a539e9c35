package closedform

import (
	"math"
	"time"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/raft/quorum"
	"github.com/regionsim/regionsim/topology"
)

// Settings are the CockroachDB settings the closed form needs, each as
// raft.Config derives it (raft.Config.ClosedForm fills them).
type Settings struct {
	// MaxOffset is --max-offset: a GLOBAL read needs its replica's closed
	// timestamp to reach read_ts + MaxOffset.
	MaxOffset time.Duration
	// Lead is how far GLOBAL ranges close timestamps and place writes
	// ahead of the present (raft.Config.GlobalReadsLead, 800 ms by
	// default).
	Lead time.Duration
	// Staleness is follower_read_timestamp()'s distance into the past
	// (raft.Config.FollowerReadStaleness, 4.2 s by default).
	Staleness time.Duration
	// ClosedTSTarget is kv.closed_timestamp.target_duration (3 s).
	ClosedTSTarget time.Duration
	// SideTransportInterval is
	// kv.closed_timestamp.side_transport_interval (200 ms).
	SideTransportInterval time.Duration
}

// Model is a cluster and the settings its requests run under. Every figure
// it returns is a duration from the moment a request reaches its gateway
// (or a client sends it, where the name says so), computed from one value
// of each latency distribution of the cluster (links, evaluation, log
// appends): its median, or the value its Bound names. Make one with
// NewModel; it is immutable and safe for concurrent use.
type Model struct {
	cluster  *topology.Cluster
	settings Settings
	bound    Bound
	// byClass[k] is the chosen value of the RTT of link class k
	// (topology.LatencyModel.LinkClass: a node and itself, a zone, two
	// zones of a region, a pair of regions); service, fsync and clientRTT
	// those of the node-local and same-zone distributions.
	byClass                   []time.Duration
	service, fsync, clientRTT time.Duration
}

// NewModel returns the closed form of cluster c under settings s, each
// latency distribution taken at bound b: each link class's value computed
// once (a value is a closed form of a few hundred nanoseconds at most; a
// cache keyed by distribution cost more than it saved: hashing the
// distribution). A pair of nodes finds its value through its class (link),
// the cluster's table: a table of node pairs here cost O(nodes²) for each
// of a run's three models, 157 KB at 81 nodes (issue #16: cost linear in
// nodes).
func NewModel(c *topology.Cluster, s Settings, b Bound) *Model {
	m := &Model{cluster: c, settings: s, bound: b}
	classes := c.Latency.LinkClasses()
	m.byClass = make([]time.Duration, len(classes))
	for i, d := range classes {
		m.byClass[i] = b.value(d)
	}
	m.service = b.value(c.Latency.Service())
	m.fsync = b.value(c.Latency.Fsync())
	m.clientRTT = b.value(c.Latency.IntraZone())
	return m
}

// Cluster returns the model's cluster.
func (m *Model) Cluster() *topology.Cluster { return m.cluster }

// Settings returns the model's settings.
func (m *Model) Settings() Settings { return m.settings }

// Bound is which value of each of the cluster's latency distributions a
// Model uses.
type Bound uint8

const (
	// Median: every draw at its median — exactly what a jitter-free
	// cluster draws.
	Median Bound = iota
	// Floor: every draw at the smallest value it can take
	// (topology.Dist.Floor).
	Floor
	// P90: every draw at its 90th percentile.
	P90
)

// value returns d's value under bound b.
func (b Bound) value(d topology.Dist) time.Duration {
	switch b {
	case Floor:
		return d.Floor()
	case P90:
		return p90(d)
	}
	return d.Median()
}

// p90 returns an upper bound of d's 90th percentile within a fraction of a
// percent of it, in closed form: a jittered distribution is a floor plus a
// log-normal body, with an additive spike a small share p of the time, so
// its CDF is at least (1 − p) times the body's, which reaches 0.9 at the
// body's 0.9/(1 − p) quantile. topology.Dist.Quantile finds the exact
// value by bisection on the mixture's CDF, about a thousand times slower
// (a closed form per run would spend milliseconds on it).
func p90(d topology.Dist) time.Duration {
	if d.Kind() == topology.KindConstant {
		return d.Median()
	}
	mu, sigma, spike := d.Params()
	q := 0.9 / (1 - spike.Prob)
	z := math.Sqrt2 * math.Erfinv(2*q-1)
	return d.Floor() + time.Duration(math.Ceil(math.Exp(mu+sigma*z)))
}

// half is the one-way delay of each message of a round trip that node a
// starts to node b (a request and its reply, MsgApp and its
// acknowledgement): half the RTT of the link from a to b, rounded down to
// the nanosecond — raft's Model.pairHalf. On an asymmetric RTT matrix (the
// aws-based presets' from→to medians differ by up to a millisecond) the
// initiator's row is the one used. 0 from a node to itself.
func (m *Model) half(a, b topology.NodeID) time.Duration { return m.link(a, b) / 2 }

// link is the chosen value of the RTT of the link from node a to node b.
func (m *Model) link(a, b topology.NodeID) time.Duration {
	return m.byClass[m.cluster.Latency.LinkClass(a, b)]
}

// oneWay is the delay of a message no reply answers (a closed-timestamp
// publication): half the RTT of the link from a to b (raft's
// Model.oneWay).
func (m *Model) oneWay(a, b topology.NodeID) time.Duration { return m.link(a, b) / 2 }

// RTT is a round trip that node a starts to node b: two one-way delays.
func (m *Model) RTT(a, b topology.NodeID) time.Duration { return 2 * m.half(a, b) }

// ClientHop is the one-way delay between a client and its gateway: half
// the RTT inside a zone (the client sits in its gateway's zone).
func (m *Model) ClientHop() time.Duration { return m.clientRTT / 2 }

// Service is the evaluation time at a replica.
func (m *Model) Service() time.Duration { return m.service }

// Fsync is one Raft log append.
func (m *Model) Fsync() time.Duration { return m.fsync }

// Quorum is how long after the leaseholder has evaluated a write it
// commits: the leader appends to its own log (one fsync) while sending
// MsgApp to every other replica, each follower fsyncs and acknowledges,
// and the write commits at the quorum.Size(voters)-th durable voter
// append, the leader's own included (reference §7, §10 rule 9). That is
// the k-th smallest of {fsync} and {RTT(leaseholder, v) + fsync} over the
// other voters v, k the quorum size; non-voters never count.
func (m *Model) Quorum(l *placement.Layout) time.Duration {
	var buf [8]int64
	acks := buf[:0]
	for _, v := range l.Voters {
		d := m.Fsync()
		if v != l.Leaseholder {
			d += m.RTT(l.Leaseholder, v)
		}
		acks = append(acks, int64(d))
	}
	return time.Duration(quorum.CommittedAt(acks))
}

// Nearest returns the replica of l DistSender at gw tries first for a
// follower read: the smallest median RTT, ties to the lower node id
// (raft's nearestReplica).
func (m *Model) Nearest(l *placement.Layout, gw topology.NodeID) topology.NodeID {
	best := topology.NodeID(-1)
	var bestRTT time.Duration
	for _, group := range [2][]topology.NodeID{l.Voters, l.NonVoters} {
		for _, n := range group {
			d := m.cluster.MedianRTT(gw, n)
			if best < 0 || d < bestRTT || d == bestRTT && n < best {
				best, bestRTT = n, d
			}
		}
	}
	return best
}

// LeaseholderRead is a consistent read of one range from gateway gw: to
// the leaseholder, evaluation, and back; no consensus (reference §10 rule
// 5).
func (m *Model) LeaseholderRead(l *placement.Layout, gw topology.NodeID) time.Duration {
	return m.RTT(gw, l.Leaseholder) + m.Service()
}

// ReadKind is a kind of follower read.
type ReadKind uint8

const (
	// Stale reads at follower_read_timestamp(): now − Staleness.
	Stale ReadKind = iota
	// Bounded reads (with_max_staleness) at the replica's freshest closed
	// timestamp: always served where they land.
	Bounded
	// Present reads of a GLOBAL range: read_ts = now, served where the
	// closed timestamp reaches read_ts + MaxOffset.
	Present
)

// FollowerRead is a read DistSender sends to the nearest replica (reference
// §3.3, §4, §10 rules 6–7). The replica serves it if its closed timestamp
// covers the read, else answers NotLeaseHolder and the gateway sends it to
// the leaseholder (raft's partArrive, redirect).
//
// A follower's closed timestamp comes from the leaseholder node's last
// side-transport publication it has received (raft closedts.go): P −
// target, or P + Lead on a GLOBAL range. Publications leave every
// SideTransportInterval and take one one-way delay h from the
// leaseholder's node; a read reaches the replica d after leaving the
// gateway, at a uniformly distributed phase of the publication cycle. It
// is served when t0 − P ≤ slack, slack being the closed timestamp's offset
// minus the read timestamp's (Staleness − target; Staleness + Lead on a
// GLOBAL range; Lead − MaxOffset for a present read). t0 − P is uniform on
// [h − d, h − d + interval), so the share served locally is
// clamp((slack − h + d) / interval, 0, 1). The leaseholder itself always
// serves.
func (m *Model) FollowerRead(l *placement.Layout, gw topology.NodeID, kind ReadKind) Dist {
	n := m.Nearest(l, gw)
	local := m.RTT(gw, n) + m.Service()
	if kind == Bounded || n == l.Leaseholder {
		return Point(local)
	}
	s := m.settings
	var slack time.Duration
	switch {
	case kind == Present:
		slack = s.Lead - s.MaxOffset
	case l.GlobalReads:
		slack = s.Staleness + s.Lead
	default:
		slack = s.Staleness - s.ClosedTSTarget
	}
	served := float64(slack-m.oneWay(l.Leaseholder, n)+m.half(gw, n)) / float64(s.SideTransportInterval)
	served = min(1, max(0, served))
	// Redirected: back to the gateway, on to the leaseholder, evaluated
	// there (no evaluation at the follower).
	redirected := m.RTT(gw, n) + m.RTT(gw, l.Leaseholder) + m.Service()
	return Dist{{local, served}, {redirected, 1 - served}}.normal()
}

// Commit is the gateway's view of one replicated write started at
// gateway-relative time 0: Reply, when the leaseholder's answer reaches the
// gateway; CommitTS, the write's timestamp relative to the same origin
// (GLOBAL ranges only, else 0): arrival at the leaseholder plus Lead
// (reference §3.2; raft's sendToReplica).
type Commit struct {
	Reply, CommitTS time.Duration
}

// Write is a single-range write (1PC) from gw: to the leaseholder,
// evaluation, the quorum, and back (reference §10 rule 9).
func (m *Model) Write(l *placement.Layout, gw topology.NodeID) Commit {
	c := Commit{Reply: m.RTT(gw, l.Leaseholder) + m.Service() + m.Quorum(l)}
	if l.GlobalReads {
		c.CommitTS = m.half(gw, l.Leaseholder) + m.settings.Lead
	}
	return c
}

// Done is when the gateway answers the client after writes sent together
// at time 0: once every reply is in (parallel commits: the slowest range
// decides), and no earlier than the latest commit timestamp (commit wait,
// reference §3.2, §10 rule 11).
func Done(writes ...Commit) time.Duration {
	var d time.Duration
	for _, c := range writes {
		d = max(d, c.Reply, c.CommitTS)
	}
	return d
}

// Table is what the closed form needs of a table: its ranges' layouts by
// range index and, for a REGIONAL BY ROW table, its partitions.
type Table struct {
	// Ranges are the table's layouts, in range order; or, for a Table
	// built with AddRange, nil.
	Ranges []placement.Layout
	// Partitions[r] lists the indexes into Ranges of the ranges homed in
	// cluster region r (REGIONAL BY ROW; nil otherwise).
	Partitions [][]int
	// LOS: lookups without the region use locality-optimized search.
	LOS bool
	// UniqueChecks: inserts check uniqueness in every other partition.
	UniqueChecks bool
	// TxnRanges is how many ranges a transaction writes (0 means 3, as
	// raft.TableDef).
	TxnRanges int
	// Global is set when the table's ranges serve global reads.
	Global bool

	// ids numbers equal layouts alike (layoutIDs) and classes keeps
	// PositionClasses' results, both computed on first use; or, for a
	// Table built with AddRange, ids numbers each range's layout among
	// distinct, one copy of each (keyed by appendLayoutKey in seen).
	ids      []uint32
	classes  map[string]positionClasses
	distinct []placement.Layout
	seen     map[string]uint32
	key      []byte // AddRange's scratch
}

// AddRange appends a range of layout l to t, keeping one copy of each
// distinct layout: a table of 100,000 ranges on 9 nodes has a few dozen,
// where a copy each held some 30 MB for three such tables. Where the
// layouts mostly differ (more than dedupMin of them, and more than half
// the ranges added so far: a cluster of many nodes), the copies cost more
// than they save, and t turns into a Table with Ranges, which AddRange
// then appends to. A table is used once built: AddRange after layoutIDs or
// PositionClasses is a programmer error.
func (t *Table) AddRange(l placement.Layout) {
	if t.distinct == nil && len(t.Ranges) > 0 {
		t.Ranges = append(t.Ranges, l)
		return
	}
	if t.seen == nil {
		t.seen = map[string]uint32{}
	}
	t.key = appendLayoutKey(t.key[:0], &l)
	id, ok := t.seen[string(t.key)]
	if !ok {
		id = uint32(len(t.distinct))
		t.seen[string(t.key)] = id
		t.distinct = append(t.distinct, l)
	}
	t.ids = append(t.ids, id)
	if n := len(t.distinct); n > dedupMin && 2*n > len(t.ids) {
		t.Ranges = make([]placement.Layout, len(t.ids), cap(t.ids))
		for i, id := range t.ids {
			t.Ranges[i] = t.distinct[id]
		}
		t.ids, t.distinct, t.seen, t.key = nil, nil, nil, nil
	}
}

// dedupMin is how many distinct layouts AddRange keeps before it checks
// that they repeat.
const dedupMin = 256

// layout returns the layout of range i.
func (t *Table) layout(i int) *placement.Layout {
	if t.distinct != nil {
		return &t.distinct[t.ids[i]]
	}
	return &t.Ranges[i]
}

// numRanges returns the number of ranges.
func (t *Table) numRanges() int {
	if t.distinct != nil {
		return len(t.ids)
	}
	return len(t.Ranges)
}

// Row addresses a request's row as raft.Request does: Region, the row's
// region (REGIONAL BY ROW only), and Range, its range's index within the
// table or the row's partition (taken modulo their size).
type Row struct {
	Region, Range int
}

// HomeRegion returns region if the REGIONAL BY ROW table has a partition
// there, else the first region that has one (raft's homeRegion).
func (t *Table) HomeRegion(region int) int {
	if region >= 0 && region < len(t.Partitions) && len(t.Partitions[region]) > 0 {
		return region
	}
	for r, p := range t.Partitions {
		if len(p) > 0 {
			return r
		}
	}
	panic("closedform: REGIONAL BY ROW table without partitions")
}

// ranges returns the ranges a request for row may address, as range
// indexes (layout): the row's partition on a REGIONAL BY ROW table; nil, for
// the whole table in order, otherwise.
func (t *Table) ranges(row Row) []int {
	if t.Partitions == nil {
		return nil
	}
	return t.Partitions[t.HomeRegion(row.Region)]
}

// count returns the length of a range list from ranges.
func (t *Table) count(rs []int) int {
	if rs == nil {
		return t.numRanges()
	}
	return len(rs)
}

// at returns the layout at position i of range list rs (from ranges).
func (t *Table) at(rs []int, i int) *placement.Layout {
	if rs == nil {
		return t.layout(i)
	}
	return t.layout(rs[i])
}

// position returns the index of row's range within range list rs.
func (t *Table) position(rs []int, row Row) int {
	n := t.count(rs)
	p := row.Range % n
	if p < 0 {
		p += n
	}
	return p
}

// rangeOf returns the layout of the range holding row.
func (t *Table) rangeOf(row Row) *placement.Layout {
	rs := t.ranges(row)
	return t.at(rs, t.position(rs, row))
}

// partitionRange returns the range of region reg's partition at the
// position row's range holds in its own partition (raft's partitionRange).
func (t *Table) partitionRange(row Row, reg int) *placement.Layout {
	own := t.ranges(row)
	p := t.Partitions[reg]
	return t.layout(p[t.position(own, row)%len(p)])
}

// Request latencies. Each returns the latency the client sees, from
// sending the request to hearing the answer: two client hops around the
// gateway's part.

// client wraps a gateway-side latency in the client's two hops: d shifted
// in place (every caller passes a Dist of its own making).
func (m *Model) client(d Dist) Dist {
	for i := range d {
		d[i].Latency += 2 * m.ClientHop()
	}
	return d
}

// Read is a consistent point read of row from a client at gateway gw: a
// GLOBAL table's nearest replica (a present-time follower read); a
// REGIONAL BY ROW table with locality-optimized search probes the local
// partition's leaseholder first and, on a miss, every remote partition at
// once, the row's answering (reference §10 rule 8); otherwise the
// leaseholder.
func (m *Model) Read(t *Table, gw topology.NodeID, row Row) Dist {
	switch {
	case t.Global:
		return m.client(m.FollowerRead(t.rangeOf(row), gw, Present))
	case t.Partitions != nil && t.LOS:
		local := m.cluster.Nodes[gw].Region
		home := t.HomeRegion(row.Region)
		remote := m.LeaseholderRead(t.rangeOf(row), gw)
		if len(t.Partitions[local]) == 0 {
			return m.client(Point(remote))
		}
		probe := m.LeaseholderRead(t.partitionRange(row, local), gw)
		if home == local {
			return m.client(Point(probe))
		}
		return m.client(Point(probe + remote))
	}
	return m.client(Point(m.LeaseholderRead(t.rangeOf(row), gw)))
}

// StaleRead is an exact-staleness read (follower_read_timestamp()) of row
// from gateway gw.
func (m *Model) StaleRead(t *Table, gw topology.NodeID, row Row) Dist {
	return m.client(m.FollowerRead(t.rangeOf(row), gw, Stale))
}

// BoundedRead is a bounded-staleness read of row from gateway gw.
func (m *Model) BoundedRead(t *Table, gw topology.NodeID, row Row) Dist {
	return m.client(m.FollowerRead(t.rangeOf(row), gw, Bounded))
}

// WriteRow is a single-row write (1PC) of row from gateway gw, with commit
// wait on a GLOBAL table.
func (m *Model) WriteRow(t *Table, gw topology.NodeID, row Row) Dist {
	return m.client(Point(Done(m.Write(t.rangeOf(row), gw))))
}

// Insert is an insert from gateway gw. On a REGIONAL BY ROW table the row
// is homed in the gateway's region (row.Region is ignored) and, with
// uniqueness checks, the gateway first reads the same position of every
// other partition at once and sends the write once all have answered
// (reference §10 rule 10). Otherwise it is WriteRow.
func (m *Model) Insert(t *Table, gw topology.NodeID, row Row) Dist {
	if t.Partitions == nil {
		return m.WriteRow(t, gw, row)
	}
	home := t.HomeRegion(m.cluster.Nodes[gw].Region)
	row.Region = home
	var checks time.Duration
	if t.UniqueChecks && t.partitionCount() > 1 {
		for reg, p := range t.Partitions {
			if reg != home && len(p) > 0 {
				checks = max(checks, m.LeaseholderRead(t.partitionRange(row, reg), gw))
			}
		}
	}
	return m.client(Point(checks + Done(m.Write(t.rangeOf(row), gw))))
}

func (t *Table) partitionCount() int {
	n := 0
	for _, p := range t.Partitions {
		if len(p) > 0 {
			n++
		}
	}
	return n
}

// Txn is a transaction from gateway gw writing TxnRanges consecutive
// ranges from row's (of the row's partition on a REGIONAL BY ROW table) in
// parallel, committed with parallel commits: the slowest range decides,
// and commit wait follows the latest timestamp (reference §7, §10 rule 9).
func (m *Model) Txn(t *Table, gw topology.NodeID, row Row) Dist {
	rs := t.ranges(row)
	n := t.count(rs)
	first := t.position(rs, row)
	k := t.TxnSpan()
	writes := make([]Commit, 0, min(k, n))
	for i := range min(k, n) {
		writes = append(writes, m.Write(t.at(rs, (first+i)%n), gw))
	}
	return m.client(Point(Done(writes...)))
}

// Len returns how many ranges a request for a row of region addresses
// (Row.Range is taken modulo it): the ranges of the row's partition on a
// REGIONAL BY ROW table, else all of the table's.
func (t *Table) Len(region int) int { return t.count(t.ranges(Row{Region: region})) }
