package scenarios

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios/egress"
)

// writesOnly is one RBT table homed in us-east1, written from us-east1 at
// 200 writes/s of 256-byte values, on the jitter-free crdb-demo cluster.
const writesOnly = `
name: writes-only
duration: 60s
warmup: 5s
topology: {rtt: crdb-demo, jitter: none}
database: {primary_region: us-east1, survival: zone}
tables: [{name: t, ranges: 20}]
workload:
  - {region: us-east1, rate: 200, table: t, mix: {write: 1}, value_bytes: 256}
`

// The wire sizes of one 256-byte write's MsgApp and MsgAppResp, term by
// term in raft/traffic_test.go: 566 and 122 bytes.
const (
	msgApp256 = 566
	ack       = 122
)

func TestTrafficPerWritePerSurvivalGoal(t *testing.T) {
	for _, tt := range []struct {
		survival string
		// copies of the value leaving us-east1 per write: ZONE sends
		// MsgApp to the non-voter in each other region; REGION to the 3
		// voters outside the home region (2 in one, 1 in the other).
		copies int
	}{
		{"zone", 2},
		{"region", 3},
	} {
		t.Run(tt.survival, func(t *testing.T) {
			s, err := Parse([]byte(writesOnly), "writes-only.yaml")
			require.NoError(t, err)
			s.Database.Survival = placement.Survival(tt.survival)
			res, err := Run(s)
			require.NoError(t, err)
			tr := res.Traffic
			require.NotNil(t, tr)
			var raftOut, raftIn, kv uint64
			for _, p := range tr.RegionPairs {
				if p.From == "us-east1" {
					raftOut += p.RaftBytes
				} else if p.To == "us-east1" {
					raftIn += p.RaftBytes
				}
				kv += p.KVBytes + p.ClientBytes
			}
			// Clients and gateways are in us-east1: nothing but Raft
			// crosses for the writes themselves.
			assert.Zero(t, kv)
			// Writes issued just before the measured span send their
			// MsgApp inside it and those at its end send theirs after:
			// within a few writes of requests × copies.
			n := float64(res.Requests)
			assert.InDelta(t, n*float64(tt.copies*msgApp256), float64(raftOut), 3*float64(tt.copies*msgApp256))
			assert.InDelta(t, n*float64(tt.copies*ack), float64(raftIn), 3*float64(tt.copies*ack))
			// Bytes per request across regions: the Raft copies and acks,
			// plus the closed-timestamp updates (3 nodes per region, to the
			// 6 nodes of the other regions and back: 9 × 6 × 5/s × 114 B)
			// spread over the requests.
			closedts := 9 * 6 * 5 * 114 * s.Duration.Seconds()
			want := float64(tt.copies*(msgApp256+ack)) + closedts/n
			assert.InDelta(t, want, tr.CrossRegionBytesPerRequest, want*0.01)
			// The timeline: one point per second of the measured span,
			// summing to the totals.
			require.Len(t, tr.Timeline, 60)
			assert.Equal(t, 5.0, tr.Timeline[0].TS)
			sum, zsum, peak := 0.0, 0.0, 0.0
			for _, p := range tr.Timeline {
				sum += p.CrossRegionBytesPerS
				zsum += p.InterZoneBytesPerS
				peak = max(peak, p.CrossRegionBytesPerS)
			}
			assert.InDelta(t, tr.CrossRegionBytesPerS*60, sum, 1e-6*sum)
			assert.InDelta(t, tr.InterZoneBytesPerS*60, zsum, 1e-6*zsum)
			assert.Equal(t, peak, tr.PeakCrossRegionBytesPerS)
		})
	}
}

func TestTrafficCostIsPriceTimesBytes(t *testing.T) {
	s, err := Parse([]byte(writesOnly), "writes-only.yaml")
	require.NoError(t, err)
	res, err := Run(s)
	require.NoError(t, err)
	tr := res.Traffic
	require.Equal(t, "gcp", tr.Provider)
	// Every pair's cost, recomputed from the price table's figures: bytes
	// over the 60 s span, × 3600 × 730 h, × $/GiB (GCP's unit) / 2^30.
	usd := map[[2]string]float64{
		{"us-east1", "us-west1"}: 0.02, {"us-west1", "us-east1"}: 0.02,
		{"us-east1", "europe-west1"}: 0.08, {"europe-west1", "us-east1"}: 0.08,
		{"us-west1", "europe-west1"}: 0.08, {"europe-west1", "us-west1"}: 0.08,
	}
	total := 0.0
	for _, p := range tr.RegionPairs {
		want := float64(p.Bytes) / 60 * 3600 * 730 * usd[[2]string{p.From, p.To}] / (1 << 30)
		assert.InDelta(t, want, p.USDPerMonth, 1e-9*want, "%s>%s", p.From, p.To)
		total += want
	}
	for _, p := range tr.ZonePairs {
		// Between zones of a region: $0.01/GiB.
		want := float64(p.Bytes) / 60 * 3600 * 730 * 0.01 / (1 << 30)
		assert.InDelta(t, want, p.USDPerMonth, 1e-9*want+1e-12, "%s>%s", p.From, p.To)
		total += want
	}
	assert.InDelta(t, total, tr.USDPerMonth, 1e-9*total)
	assert.Positive(t, total)

	// AWS on the same traffic: a byte between zones costs $0.01/GB on each
	// side.
	s.Provider = egress.AWS
	aws, err := Run(s)
	require.NoError(t, err)
	for _, p := range aws.Traffic.ZonePairs {
		assert.InDelta(t, float64(p.Bytes)/60*3600*730*0.02/1e9, p.USDPerMonth, 1e-9*p.USDPerMonth+1e-12)
	}
	s.Provider = egress.None
	none, err := Run(s)
	require.NoError(t, err)
	assert.Zero(t, none.Traffic.USDPerMonth)
}

func TestTrafficValidation(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"provider: ibm\n", `provider: unknown "ibm"`},
		{"workload: [{region: us-east1, rate: 1, table: t, value_bytes: -1}]\n", "workload[0].value_bytes: -1 is out of range"},
		{"topology: {bandwidth: fast}\n", `topology.bandwidth: "fast" is not a bandwidth`},
		{"topology: {links: [{between: [us-east1, mars], bandwidth: 1Gbps}]}\n", `topology.links[0].between[1]: "mars"`},
	} {
		base := "name: x\ntables: [{name: t}]\n"
		if tt.yaml[:8] != "workload" {
			base += "workload: [{region: us-east1, rate: 1, table: t}]\n"
		}
		_, err := Parse([]byte(base+tt.yaml), "x.yaml")
		require.Error(t, err, tt.yaml)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// zoneDown loses us-east1-b for 6 minutes: after
// server.time_until_store_dead (5 min) the replicas of its node are
// replaced in the zone of us-east1 that holds none of the range (4 zones,
// one node each, 3 voters), each by a snapshot of the range's 64 MiB from
// the leaseholder, in another zone.
const zoneDown = `
name: zone-down
duration: 7m
warmup: 5s
topology: {rtt: crdb-demo, jitter: none, zones_per_region: 4}
database: {primary_region: us-east1, survival: zone}
tables: [{name: t, ranges: 6}]
workload:
  - {region: us-east1, rate: 20, table: t, mix: {write: 1}}
faults:
  - {at: 10s, kind: zone, target: us-east1-b, for: 6m}
`

func TestSnapshotTrafficAfterStoreDeath(t *testing.T) {
	s, err := Parse([]byte(zoneDown), "zone-down.yaml")
	require.NoError(t, err)
	res, err := Run(s)
	require.NoError(t, err)
	require.NotEmpty(t, res.Replacements)
	// One snapshot per replacement: 64 MiB = 67,108,864 bytes in
	// ⌈67108864 / 1448⌉ = 46,346 segments of 52 header bytes, plus one
	// gRPC frame (14 + 52): 69,518,922 bytes.
	var snap uint64
	for _, p := range append(res.Traffic.ZonePairs, res.Traffic.RegionPairs...) {
		snap += p.SnapshotBytes
	}
	assert.EqualValues(t, uint64(len(res.Replacements))*69_518_922, snap)
}

// TestSaturatedLinkIsBadInput: links far slower than the traffic offered
// to them (writes replicated to two other regions at 300/s) queue without
// bound, and the run ends, after its drain, with an input error naming
// the links and the remedy — not an internal error, and not the overflow
// a transmission time of 10^13 s once caused (0.0001bps). One fast link
// left alone is not named.
func TestSaturatedLinkIsBadInput(t *testing.T) {
	// runSlow runs 300 writes/s from us-east1 for 2 s on topology topo and
	// returns the run's error, which must be an input error.
	runSlow := func(topo string) error {
		s, err := Parse([]byte(`
name: slow
duration: 2s
warmup: 1s
topology: `+topo+`
tables: [{name: t}]
workload: [{region: us-east1, rate: 300, table: t, mix: {write: 1}}]
`), "slow.yaml")
		require.NoError(t, err)
		_, err = Run(s)
		require.ErrorIs(t, err, ErrInvalid, topo)
		var internal *InternalError
		assert.False(t, errors.As(err, &internal), "%s: not reported as a bug", topo)
		return err
	}
	for _, bw := range []string{"0.0001bps", "10Kbps"} {
		err := runSlow("{bandwidth: " + bw + ", links: [{between: [us-west1, europe-west1], bandwidth: 10Gbps}]}")
		assert.Contains(t, err.Error(), "slow.yaml: topology.bandwidth: ", bw)
		assert.Contains(t, err.Error(), "us-east1 → us-west1 ("+bw+")", bw)
		assert.Contains(t, err.Error(), "raise the bandwidth", bw)
		assert.NotContains(t, err.Error(), "us-west1 → europe-west1", bw)
	}
	// Slow everywhere, one pair slow by topology.links: the error names
	// topology.bandwidth, which set the others.
	err := runSlow("{bandwidth: 0.001bps, links: [{between: [us-east1, us-west1], bandwidth: 0.002bps}]}")
	assert.Contains(t, err.Error(), "slow.yaml: topology.bandwidth: ")
	// Set by topology.links only, the error names that field.
	err = runSlow("{links: [{between: [us-east1, us-west1], bandwidth: 10Kbps}]}")
	assert.Contains(t, err.Error(), "slow.yaml: topology.links: ")
	assert.Contains(t, err.Error(), "us-east1 → us-west1 (10Kbps)")
}

// TestSnapshotLongerThanTheDrain: a zone outage in us-west1 makes the
// allocator up-replicate its ranges after 5 minutes; at 500 Kbps a 64 MiB
// snapshot fills the link for about 18 minutes, and the writes queued
// behind it on the link cannot finish within the drain. The error says so
// and names range_bytes among the remedies; the same run without the
// fault is fine.
func TestSnapshotLongerThanTheDrain(t *testing.T) {
	const y = `
name: snap
duration: 7m
warmup: 5s
topology: {rtt: crdb-demo, jitter: none, zones_per_region: 4, bandwidth: 500Kbps}
database: {primary_region: us-east1, survival: region}
tables: [{name: t, ranges: 2}]
workload:
  - {region: us-east1, rate: 5, table: t, mix: {write: 1}}
  - {region: us-west1, rate: 5, table: t, mix: {write: 1}}
`
	s, err := Parse([]byte(y+"faults: [{at: 10s, kind: zone, target: us-west1-b, for: 6m}]\n"), "snap.yaml")
	require.NoError(t, err)
	_, err = Run(s)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "snap.yaml: topology.bandwidth: ")
	assert.Contains(t, err.Error(), "range_bytes")
	s, err = Parse([]byte(y), "snap.yaml")
	require.NoError(t, err)
	_, err = Run(s)
	require.NoError(t, err)
}
