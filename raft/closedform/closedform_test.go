package closedform

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/topology"
)

// demo is the crdb-demo cluster without jitter: us-east1 n1–n3 (ids 0–2),
// us-west1 n4–n6, europe-west1 n7–n9; 1 ms between zones, 0.2 ms inside
// one, service and fsync 0.5 ms.
func demo(t *testing.T, lead time.Duration) *Model {
	t.Helper()
	cfg := topology.DefaultConfig()
	cfg.Jitter = topology.JitterNone
	c, err := topology.Build(cfg)
	require.NoError(t, err)
	return NewModel(c, Settings{
		MaxOffset: 500 * time.Millisecond, Lead: lead, Staleness: 4200 * time.Millisecond,
		ClosedTSTarget: 3 * time.Second, SideTransportInterval: 200 * time.Millisecond,
	}, Median)
}

func msd(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func TestQuorum(t *testing.T) {
	m := demo(t, 800*time.Millisecond)
	tests := []struct {
		name   string
		layout placement.Layout
		want   time.Duration
	}{
		// ZONE: 2nd of {own 0.5, 1+0.5, 1+0.5}.
		{"zone", placement.Layout{Voters: []topology.NodeID{0, 1, 2}, NonVoters: []topology.NodeID{4, 8}, Leaseholder: 0}, msd(1.5)},
		// REGION A:2 B:2 C:1: 3rd of {0.5, 1.5, 66.5, 66.5, 64.5}.
		{"region", placement.Layout{Voters: []topology.NodeID{0, 1, 3, 4, 6}, Leaseholder: 0}, msd(64.5)},
		// Non-voters never count: 2nd of {0.5, 64.5, 64.5}.
		{"non-voters", placement.Layout{Voters: []topology.NodeID{0, 6, 7}, NonVoters: []topology.NodeID{1, 2}, Leaseholder: 0}, msd(64.5)},
		{"single voter", placement.Layout{Voters: []topology.NodeID{5}, Leaseholder: 5}, msd(0.5)},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, m.Quorum(&tt.layout), tt.name)
	}
}

func TestFollowerReadServedShare(t *testing.T) {
	m := demo(t, 800*time.Millisecond)
	l := placement.Layout{Voters: []topology.NodeID{0, 1, 2}, NonVoters: []topology.NodeID{4, 8}, Leaseholder: 0, GlobalReads: true}
	// From n5 (id 4, a non-voter): slack 300 ms, publication 33 ms on its
	// way, read arrives at once: (300 − 33 + 0) / 200 ≥ 1, always local.
	assert.Equal(t, Point(msd(0.5)), m.FollowerRead(&l, 4, Present))
	// A lead of 600 ms leaves slack 100 ms: (100 − 33) / 200 = 0.335
	// served at n5; the rest goes on to n1 (66 ms round trip).
	m = demo(t, 600*time.Millisecond)
	d := m.FollowerRead(&l, 4, Present)
	require.Len(t, d, 2)
	assert.Equal(t, msd(0.5), d[0].Latency)
	assert.InDelta(t, 0.335, d[0].P, 1e-9)
	assert.Equal(t, msd(66.5), d[1].Latency)
	// Bounded reads and the leaseholder itself always serve.
	assert.Equal(t, Point(msd(0.5)), m.FollowerRead(&l, 4, Bounded))
	assert.Equal(t, Point(msd(0.5)), m.FollowerRead(&l, 0, Present))
}

// TestMixtureQuantileMatchesSortedSamples checks Quantile against the
// empirical quantile of the atoms expanded into equally weighted samples.
func TestMixtureQuantileMatchesSortedSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var x Mixture
		var samples []time.Duration
		for range 1 + r.IntN(6) {
			lat := time.Duration(1+r.IntN(5)) * time.Millisecond
			n := 1 + r.IntN(4)
			x.Add(Point(lat), float64(n))
			for range n {
				samples = append(samples, lat)
			}
		}
		slices.Sort(samples)
		for _, q := range []float64{0, 0.1, 0.25, 0.5, 0.75, 0.9, 1} {
			rank := max(1, int(q*float64(len(samples))+0.999999999))
			assert.Equal(t, samples[min(rank, len(samples))-1], x.Quantile(q), "q %v of %v", q, samples)
		}
	}
	var empty Mixture
	assert.Zero(t, empty.Quantile(0.5))
}

// TestP90BoundsTheQuantile checks p90 against topology.Dist.Quantile on
// the fitted distributions of the default topology (links with spikes,
// service and fsync without): never below it, within 0.5 % above.
func TestP90BoundsTheQuantile(t *testing.T) {
	for _, rtt := range []string{"crdb-demo", "aws", "seed-blog"} {
		cfg := topology.DefaultConfig()
		cfg.RTT = rtt
		c, err := topology.Build(cfg)
		require.NoError(t, err)
		lm := c.Latency
		dists := []topology.Dist{lm.IntraZone(), lm.InterZone(), lm.Service(), lm.Fsync()}
		for i := range c.Regions {
			for j := range c.Regions {
				dists = append(dists, lm.RegionRTT(i, j))
			}
		}
		for _, d := range dists {
			exact := d.Quantile(0.9)
			got := p90(d)
			assert.GreaterOrEqual(t, got, exact-1, "%v", d)
			assert.InEpsilon(t, float64(exact), float64(got), 0.005, "%v", d)
		}
	}
}
