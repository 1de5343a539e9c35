package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// lastPublication returns the latest side-transport publication of node
// from that reached a node ow away by t: from publishes at its phase and
// every 200 ms after, and each update takes ow to arrive.
func lastPublication(h *harness, from topology.NodeID, ow time.Duration, t sim.Time) sim.Time {
	phase := h.m.closed.phase[from]
	iv := sim.Time(h.m.cfg.SideTransportInterval)
	k := (t - sim.Time(ow) - phase) / iv
	return phase + k*iv
}

// staleness returns the staleness tag was served at (statement time −
// read timestamp), in seconds.
func staleness(t *testing.T, h *harness, tag int64) float64 {
	s, ok := h.rec.served[tag]
	require.True(t, ok, "tag %d reported a read timestamp", tag)
	return s.stmt.Sub(s.readTS).Seconds()
}

// TestBoundedStalenessServedLocallyInsideTheBound: the ZONE layout of
// us-east1 (leaseholder n1, non-voters n5 and n9), a client at n5.
// Statement time 10.0002 s (one client hop). n5's closed timestamp is the
// latest publication of n1 that reached it (33 ms one way) minus 3 s, about
// 6.8 s: within a 10 s bound (minimum timestamp 0.0002 s), so n5 serves the
// read at its closed timestamp, as an unbounded read always is.
func TestBoundedStalenessServedLocallyInsideTheBound(t *testing.T) {
	for _, req := range []Request{
		{Op: OpBoundedRead, Bounded: true, MaxStaleness: 10 * time.Second},
		{Op: OpBoundedRead, Bounded: true, MaxStaleness: 10 * time.Second, NearestOnly: true},
		{Op: OpBoundedRead}, // no bound
	} {
		h := newHarness(t, "crdb-demo", DefaultConfig())
		req.Table = h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
		req.Gateway = n5
		tag := h.at(10, req)
		assert.InDelta(t, cHop+svc+cHop, h.latency(tag), 1e-6)
		stmt := sim.At(10*time.Second + 200*time.Microsecond)
		// The read is evaluated at n5 when it arrives, at the statement time.
		closed := lastPublication(h, n1, 33*time.Millisecond, stmt) - sim.Time(3*time.Second)
		assert.InDelta(t, stmt.Sub(closed).Seconds(), staleness(t, h, tag), 1e-9)
		assert.Greater(t, staleness(t, h, tag), 3.033)
		assert.Less(t, staleness(t, h, tag), 3.234)
	}
}

// TestBoundedStalenessAtTheLeaseholderOutsideTheBound: bounds tighter than
// n5's closed timestamp (always older than now − 3.033 s).
//   - 3 s: n5 answers NotLeaseHolder at once (no evaluation), the gateway
//     (n5 itself) retries at n1, 33 ms away, whose closed timestamp
//     (arrival − 3 s = 7.0332 s) satisfies the bound (7.0002 s): served at
//     it, staleness 3 s − 33 ms = 2.967 s; latency cHop + 33 + svc + 33 + cHop.
//   - 1 s: n1's closed timestamp is below the bound too, so it reads at
//     the bound under its lease: staleness exactly 1 s, same latency.
//   - 1 s, nearest_only: n5 fails the read at once
//     (MinTimestampBoundUnsatisfiableError): latency cHop + cHop.
func TestBoundedStalenessAtTheLeaseholderOutsideTheBound(t *testing.T) {
	remote := cHop + 33 + svc + 33 + cHop
	tests := []struct {
		name      string
		max       time.Duration
		nearest   bool
		ok        bool
		latency   float64
		staleness float64
	}{
		{"3s", 3 * time.Second, false, true, remote, 3 - 0.033},
		{"1s", time.Second, false, true, remote, 1},
		{"1s nearest_only", time.Second, true, false, cHop + cHop, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "crdb-demo", DefaultConfig())
			tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
			tag := h.at(10, Request{Op: OpBoundedRead, Table: tb, Gateway: n5, Bounded: true, MaxStaleness: tt.max, NearestOnly: tt.nearest})
			h.e.RunUntil(sim.At(60 * time.Second))
			require.Len(t, h.rec.lat[tag], 1)
			assert.Equal(t, tt.ok, h.rec.ok[tag][0])
			assert.InDelta(t, tt.latency, h.rec.lat[tag][0], 1e-6)
			if tt.ok {
				assert.InDelta(t, tt.staleness, staleness(t, h, tag), 1e-9)
			} else {
				assert.NotContains(t, h.rec.served, tag, "a failed read reports no staleness")
			}
		})
	}
}

// TestBoundedStalenessDuringPartition is issue #13's case: us-west1 (n4–n6)
// is cut off from the rest from 10 s to 30 s, so n5 stops receiving n1's
// closed-timestamp updates; its closed timestamp stays at P − 3 s, P being
// the last publication of n1 that reached it before 10 s (about 6.8 s).
//   - At 12 s a 10 s bound (minimum 2.0002 s) is still met: served locally.
//   - At 20 s it is not (minimum 10.0002 s): the read leaves n5 for the
//     leaseholder, which it cannot reach, and waits, retrying, until the
//     partition heals; it is then served at the leaseholder's closed
//     timestamp, arrival − 3 s, later than its statement time.
//   - With nearest_only it fails at once instead.
//   - Without a bound it is served locally at 20 s, 13.2 s stale — what
//     regionsim did for every bounded_read before bounds existed.
func TestBoundedStalenessDuringPartition(t *testing.T) {
	h := newFaultHarness(t, DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	h.fault(Fault{Name: "partition", At: 10 * time.Second, For: 20 * time.Second,
		A: []topology.NodeID{n4, n5, n6}, B: []topology.NodeID{n1, n2, n3, n7, n8, n9}})
	keepLivenessLeaseOff(h, n4, n5, n6)
	bounded := Request{Op: OpBoundedRead, Table: tb, Gateway: n5, Bounded: true, MaxStaleness: 10 * time.Second}
	early := h.at(12, bounded)
	late := h.at(20, bounded)
	strict := bounded
	strict.NearestOnly = true
	failed := h.at(20, strict)
	unbounded := h.at(20, Request{Op: OpBoundedRead, Table: tb, Gateway: n5})
	h.e.RunUntil(sim.At(60 * time.Second))

	frozen := lastPublication(h, n1, 33*time.Millisecond, sim.At(10*time.Second)) - sim.Time(3*time.Second)
	for _, tag := range []int64{early, late, failed, unbounded} {
		require.Len(t, h.rec.lat[tag], 1, "tag %d completed once", tag)
	}
	assert.True(t, h.rec.ok[early][0])
	assert.InDelta(t, cHop+svc+cHop, h.rec.lat[early][0], 1e-6)
	assert.InDelta(t, sim.At(12*time.Second+200*time.Microsecond).Sub(frozen).Seconds(), staleness(t, h, early), 1e-9)

	assert.True(t, h.rec.ok[late][0])
	assert.Greater(t, h.rec.lat[late][0], 10_000.0, "waits for the partition to heal at 30 s")
	// Served at the leaseholder at its closed timestamp, arrival − 3 s:
	// after the statement time (the bound is a minimum, and the read's
	// timestamp is the freshest the replica could serve without blocking).
	assert.Greater(t, h.rec.served[late].readTS, sim.At(27*time.Second))

	assert.False(t, h.rec.ok[failed][0])
	assert.InDelta(t, cHop+cHop, h.rec.lat[failed][0], 1e-6)

	assert.True(t, h.rec.ok[unbounded][0])
	assert.InDelta(t, cHop+svc+cHop, h.rec.lat[unbounded][0], 1e-6)
	assert.InDelta(t, sim.At(20*time.Second+200*time.Microsecond).Sub(frozen).Seconds(), staleness(t, h, unbounded), 1e-9)
	assert.Greater(t, staleness(t, h, unbounded), 13.0)
}

// TestStaleReadStaleness: an exact-staleness read is served at
// follower_read_timestamp() = statement time − 4.2 s, locally or, when the
// follower lags, at the leaseholder.
func TestStaleReadStaleness(t *testing.T) {
	h := newHarness(t, "crdb-demo", DefaultConfig())
	tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
	tag := h.at(10, Request{Op: OpStaleRead, Table: tb, Gateway: n9})
	assert.InDelta(t, cHop+svc+cHop, h.latency(tag), 1e-6)
	assert.InDelta(t, 4.2, staleness(t, h, tag), 1e-9)
}
