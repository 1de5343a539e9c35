package scenarios

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/topology"
)

// statOf returns the Stat of table × op × client region in res.
func statOf(t *testing.T, res *Result, table, op, region string) *Stat {
	t.Helper()
	for i := range res.Stats {
		st := &res.Stats[i]
		if st.Table == table && st.Op == op && st.ClientRegion == region {
			return st
		}
	}
	t.Fatalf("no stat %s %s %s", table, op, region)
	return nil
}

// share returns the component share of c (in region, "" for none) at a,
// and whether a lists it.
func share(a *AttributionAt, c, region string) (ComponentShare, bool) {
	for _, cs := range a.Components {
		if cs.Component == c && cs.Region == region {
			return cs, true
		}
	}
	return ComponentShare{}, false
}

// TestAttributionRegionWriteFromUSWest is the acceptance example of issue
// #18: on jitter-free `default` under REGION survival, a write to accounts
// (REGIONAL BY TABLE in us-east1) from a us-west1 client.
//
// Hand-computed (crdb-demo RTTs: us-east1–us-west1 66 ms, us-east1–
// europe-west1 64 ms; intra-zone RTT 0.2 ms, service 0.5 ms, fsync 0.5 ms):
//   - client hop: 0.1 ms to the gateway, 0.1 ms back = 0.2 ms;
//   - gateway (us-west1) → leaseholder (us-east1) and the reply: 66 ms;
//   - evaluation at the leaseholder: 0.5 ms;
//   - quorum: 3 of 5 voters (us-east1 ×2, the other 3 split over us-west1
//     and europe-west1): the leader's append (0.5 ms), its AZ-mate's
//     (1 + 0.5 ms), then europe-west1's: 64 ms round trip + 0.5 ms fsync
//     (us-west1's would be 66.5 ms) — the quorum ack from europe-west1;
//   - total 0.2 + 66 + 0.5 + 64 + 0.5 = 131.2 ms.
//
// Shares: gateway→leaseholder 66/131.2 = 0.5030, quorum ack 64/131.2 =
// 0.4878, evaluation and fsync 0.5/131.2 = 0.0038 each, client hop
// 0.2/131.2 = 0.0015. With node queues (raft/queues.go) a follower's
// append that arrives while its disk syncs another write's waits for the
// next sync (group commit), so a few writes' fsync takes up to one more
// sync (≤ 1 ms) and the bucket's mean fsync is a little above 0.5 ms; the
// rest is exact. Every request falls in one bucket, so p50 and p99 agree.
func TestAttributionRegionWriteFromUSWest(t *testing.T) {
	s, err := Load("default")
	require.NoError(t, err)
	s.Topology.Jitter = topology.JitterNone
	s.Database.Survival = placement.SurvivalRegion
	s.Duration = 20 * time.Second
	require.NoError(t, s.Validate())
	res, err := run(s, RunOptions{checks: true})
	require.NoError(t, err)
	st := statOf(t, res, "accounts", "write", "us-west1")
	require.NotNil(t, st.Attribution)
	for _, a := range []*AttributionAt{st.Attribution.P50, st.Attribution.P99} {
		require.NotNil(t, a)
		assert.Equal(t, st.Count, a.Requests, "every request in one bucket")
		fsync, ok := share(a, "fsync", "europe-west1")
		require.True(t, ok)
		assert.GreaterOrEqual(t, fsync.Ms, 0.5)
		assert.Less(t, fsync.Ms, 0.6, "group commit delays a few appends by less than one sync")
		assert.InDelta(t, 131.2+(fsync.Ms-0.5), a.MeanMs, 1e-6)
		want := []struct {
			c, region string
			ms        float64
		}{
			{"gateway_leaseholder", "us-east1", 66},
			{"quorum_ack", "europe-west1", 64},
			{"evaluation", "us-east1", 0.5},
			{"client_hop", "", 0.2},
		}
		require.Len(t, a.Components, len(want)+1)
		for i, w := range want {
			cs, ok := share(a, w.c, w.region)
			require.True(t, ok, "%s %s", w.c, w.region)
			assert.InDelta(t, w.ms, cs.Ms, 1e-9, w.c)
			assert.InDelta(t, w.ms/a.MeanMs, cs.Share, 5e-5, w.c)
			if i < 2 {
				assert.Equal(t, w.c, a.Components[i].Component, "largest first")
			}
		}
	}
	assert.InDelta(t, 131.2, st.P50Ms, 131.2*0.01)
	assert.InDelta(t, 131.2, st.ExpectedMs, 1e-9)
}

// TestAttributionPathsSumToLatency checks the invariant of critical-path
// attribution — every request's components sum to its latency exactly
// (the recorder panics otherwise under RunOptions.checks) — through
// faults of every kind: zone and region outages (users-by-city), a
// blackholed node (failover-blackhole, first fault), crashes, a partition
// and a region outage on default under both survival goals; and that each
// Stat's shares add up to 1 and its components' ms to the bucket's mean.
func TestAttributionPathsSumToLatency(t *testing.T) {
	type variant struct {
		name     string
		survival placement.Survival
		faults   []Fault
		duration time.Duration
	}
	variants := []variant{
		{name: "users-by-city"},
		{name: "failover-blackhole", duration: 2 * time.Minute},
		{name: "default", survival: placement.SurvivalZone, faults: []Fault{
			{At: 15 * time.Second, Kind: "region", Target: "us-east1", For: 10 * time.Second},
			{At: 30 * time.Second, Kind: "partition", Between: [][]string{{"us-west1"}, {"us-east1", "europe-west1"}}, For: 8 * time.Second},
			{At: 45 * time.Second, Kind: "node", Target: "n1", For: 10 * time.Second},
		}},
		{name: "default", survival: placement.SurvivalRegion, faults: []Fault{
			{At: 15 * time.Second, Kind: "region", Target: "us-east1", For: 10 * time.Second},
			{At: 30 * time.Second, Kind: "zone", Target: "us-west1-a", For: 10 * time.Second},
		}},
	}
	for _, v := range variants {
		t.Run(v.name+"/"+v.survival.String(), func(t *testing.T) {
			s, err := Load(v.name)
			require.NoError(t, err)
			if v.survival != "" {
				s.Database.Survival = v.survival
			}
			if v.faults != nil {
				s.Faults = v.faults
			}
			if v.duration > 0 {
				s.Duration = v.duration
				s.Faults = s.Faults[:1]
			}
			require.NoError(t, s.Validate())
			res, err := run(s, RunOptions{checks: true})
			require.NoError(t, err)
			waits := 0
			for _, st := range res.Stats {
				if st.Count == 0 {
					continue
				}
				require.NotNil(t, st.Attribution, "%s %s %s", st.Table, st.Op, st.ClientRegion)
				for _, a := range []*AttributionAt{st.Attribution.P50, st.Attribution.P99} {
					sum, msSum := 0.0, 0.0
					for _, cs := range a.Components {
						sum += cs.Share
						msSum += cs.Ms
						if cs.Component != "client_hop" && cs.Component != "gateway_leaseholder" && cs.Component != "gateway_follower" &&
							cs.Component != "evaluation" && cs.Component != "quorum_ack" && cs.Component != "fsync" {
							waits++
						}
					}
					assert.InDelta(t, 1, sum, 1e-3, "%s %s %s", st.Table, st.Op, st.ClientRegion)
					assert.InDelta(t, a.MeanMs, msSum, 0.001*float64(len(a.Components))+1e-9)
					assert.True(t, a.LowMs <= a.MeanMs && a.MeanMs < a.HighMs, "mean %v in [%v, %v)", a.MeanMs, a.LowMs, a.HighMs)
				}
			}
			if v.name != "users-by-city" {
				// Faults put waits (leases, retries, redirects) on some
				// p99 path.
				assert.Positive(t, waits)
			}
		})
	}
}

// TestAttributionBuckets checks the bucket index against its bounds: every
// latency lies in its bucket, and buckets are at most 12.5 % wide.
func TestAttributionBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		d := time.Duration(r.Int64N(int64(time.Hour)))
		if r.IntN(4) == 0 {
			d = time.Duration(r.IntN(64))
		}
		i := attrIndex(d)
		lo, hi := attrBounds(i)
		require.True(t, lo <= d && d < hi, "%v in bucket %d [%v, %v)", d, i, lo, hi)
		if lo >= attrSub {
			require.LessOrEqual(t, float64(hi-lo)/float64(lo), 0.125)
		}
	}
	assert.Less(t, attrIndex(time.Duration(1<<63-1)), attrBuckets)
}

// TestAttributionAtRank checks which requests a percentile's attribution
// describes: 90 requests of 10 ms (all network) and 10 of 100 ms (all
// lease wait); p50 is the 50th request, 10 ms; p99 the 99th, 100 ms.
func TestAttributionAtRank(t *testing.T) {
	a := newAttribution(3)
	fast := raft.Path{ServedRegion: 1, AckRegion: -1}
	fast.D[raft.CompGateway] = 10 * time.Millisecond
	slow := raft.Path{ServedRegion: 1, AckRegion: -1}
	slow.D[raft.CompGateway] = 40 * time.Millisecond
	slow.D[raft.CompLeaseWait] = 60 * time.Millisecond
	for range 90 {
		a.record(fast.Total(), &fast)
	}
	for range 10 {
		a.record(slow.Total(), &slow)
	}
	sum := a.summary([]string{"a", "b", "c"})
	require.NotNil(t, sum)
	assert.Equal(t, uint64(90), sum.P50.Requests)
	assert.Equal(t, []ComponentShare{{Component: "gateway_leaseholder", Label: "gateway→leaseholder", Region: "b", Ms: 10, Share: 1}}, sum.P50.Components)
	assert.Equal(t, uint64(10), sum.P99.Requests)
	assert.Equal(t, []ComponentShare{
		{Component: "lease_wait", Label: "lease wait", Ms: 60, Share: 0.6},
		{Component: "gateway_leaseholder", Label: "gateway→leaseholder", Region: "b", Ms: 40, Share: 0.4},
	}, sum.P99.Components)
	assert.Nil(t, newAttribution(3).summary(nil))
}

// TestAttributionGlobalAndFollowerReads checks GLOBAL promo_codes on
// jitter-free default (ZONE survival: voters in us-east1, one per AZ,
// non-voters in us-west1 and europe-west1; inter-zone RTT 1 ms, client hop
// 0.1 ms each way, service and fsync 0.5 ms, lead 800 ms).
//
// A write from us-west1: 33 ms to the leaseholder, whose arrival time +
// 800 ms is the commit timestamp; evaluation 0.5 ms, quorum at an AZ-mate's
// ack (1 ms round trip + 0.5 ms fsync), 33 ms back: the gateway then waits
// 800 − (0.5 + 1.5 + 33) = 765 ms. Total 0.2 + 66 + 0.5 + 1 + 0.5 + 765 =
// 833.2 ms; commit wait 765/833.2 = 0.9181 of it (commit wait + fsync =
// 765.5 ms whatever group commit adds to the fsync).
//
// A read from europe-west1: the nearest replica is the region's non-voter
// (closed timestamps lead the present by 800 ms, more than the 500 ms
// max offset, so it serves present-time reads). Gateways in its AZ reach it
// at no cost, the other two AZs' at a 1 ms round trip: two thirds of the
// reads take 0.2 + 1 + 0.5 = 1.7 ms, so the median read's path is
// gateway→follower 1 ms in europe-west1 (0.5882), evaluation 0.5 ms
// (0.2941), client hop 0.2 ms (0.1176).
func TestAttributionGlobalAndFollowerReads(t *testing.T) {
	s, err := Load("default")
	require.NoError(t, err)
	s.Topology.Jitter = topology.JitterNone
	s.Duration = 30 * time.Second
	require.NoError(t, s.Validate())
	res, err := run(s, RunOptions{checks: true})
	require.NoError(t, err)

	w := statOf(t, res, "promo_codes", "write", "us-west1").Attribution.P50
	assert.InDelta(t, 833.2, w.MeanMs, 1e-9)
	require.NotEmpty(t, w.Components)
	// Group commit (raft/queues.go) may hold a few appends for one more
	// sync: the commit wait then shrinks by as much, the total stays.
	assert.Equal(t, "commit_wait", w.Components[0].Component)
	fs, ok := share(w, "fsync", "us-east1")
	require.True(t, ok)
	assert.GreaterOrEqual(t, fs.Ms, 0.5)
	assert.Less(t, fs.Ms, 0.6)
	assert.InDelta(t, 765.5, w.Components[0].Ms+fs.Ms, 1e-9)
	assert.InDelta(t, 0.9181, w.Components[0].Share, 1e-4)
	cs, ok := share(w, "gateway_leaseholder", "us-east1")
	require.True(t, ok)
	assert.InDelta(t, 66, cs.Ms, 1e-9)
	cs, ok = share(w, "quorum_ack", "us-east1")
	require.True(t, ok)
	assert.InDelta(t, 1, cs.Ms, 1e-9)

	r := statOf(t, res, "promo_codes", "read", "europe-west1").Attribution.P50
	assert.InDelta(t, 1.7, r.MeanMs, 1e-9)
	assert.Equal(t, []ComponentShare{
		{Component: "gateway_follower", Label: "gateway→follower", Region: "europe-west1", Ms: 1, Share: 0.5882},
		{Component: "evaluation", Label: "evaluation", Region: "europe-west1", Ms: 0.5, Share: 0.2941},
		{Component: "client_hop", Label: "client hop", Ms: 0.2, Share: 0.1176},
	}, r.Components)
}
