package allocator

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/topology"
)

var (
	locA1 = topology.Locality{Region: "A", Zone: "A-a"}
	locA2 = topology.Locality{Region: "A", Zone: "A-b"}
	locB1 = topology.Locality{Region: "B", Zone: "B-a"}
	locC1 = topology.Locality{Region: "C", Zone: "C-a"}
)

// workedExample is reference §5.3's worked example: the lease on n1 in
// region A, one other voter n4 in region B 66 ms away, both stores at the
// mean of 100 leases, all 100 req/s coming from n4's zone, stats 1 min old.
func workedExample() Input {
	return Input{
		Source: Replica{Node: 0, Locality: locA1, StoreLeases: 100},
		Candidates: []Replica{
			{Node: 0, Locality: locA1, StoreLeases: 100},
			{Node: 3, Locality: locB1, StoreLeases: 100, Latency: 66 * time.Millisecond},
		},
		Rates:             []float64{0, 100},
		RequestLocalities: []topology.Locality{locA1, locB1},
		StatsAge:          time.Minute,
		MeanLeases:        100,
		Now:               at(time.Hour),
		LastLeaseTransfer: NoLeaseTransfer,
		Settings:          DefaultSettings(),
	}
}

func TestShouldTransferLease(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(in *Input)
		transfer bool
		target   topology.NodeID
		reason   Reason
		score    int64
		adj      float64
	}{
		{
			// w_B = 100, w_A = 0 -> 0.001; adj = 0.1·log10(1e5)·ln(67)
			// = 0.1·5·4.2047 = 2.1023; thr = 0.10 − 2.1023 = −2.0023;
			// overfull = ceil(100·−1.0023) = −100 -> 100 − (−100) = 200;
			// underfull = floor(100·3.0023) = 300 -> 300 − 100 = 200; 400.
			name: "worked example: all demand remote, 66 ms", edit: func(*Input) {},
			transfer: true, target: 3, reason: ReasonFollowTheWorkload, score: 400, adj: 2.102346,
		},
		{
			// Same ratio 1e5 at 1 ms: adj = 0.5·ln 2 = 0.3466; thr = −0.2466;
			// overfull = ceil(75.34) = 76 -> 24; underfull = floor(124.66) =
			// 124 -> 124 − 150 = −26; total −2: the lease counts win.
			name: "1 ms: lease counts dominate",
			edit: func(in *Input) {
				in.Candidates[1].Latency = time.Millisecond
				in.Candidates[1].StoreLeases = 150
			},
			target: 0, reason: ReasonNoBetterCandidate, score: -2, adj: 0.346574,
		},
		{
			// The same 150-lease store at 66 ms: 200 + (300 − 150) = 350.
			name:     "66 ms: demand beats a fuller target",
			edit:     func(in *Input) { in.Candidates[1].StoreLeases = 150 },
			transfer: true, target: 3, reason: ReasonFollowTheWorkload, score: 350, adj: 2.102346,
		},
		{
			// Realistic in-region case: n2 in A's other zone 1 ms away, all
			// requests from that zone: w_n2 = 100, w_n1 = 0.5·100 = 50;
			// adj = 0.1·log10 2·ln 2 = 0.0209; thr = 0.0791; overfull =
			// ceil(107.91) = 108 -> −8; underfull = floor(92.09) = 92 -> −8.
			name: "in-region demand barely moves the threshold",
			edit: func(in *Input) {
				in.Candidates[1] = Replica{Node: 1, Locality: locA2, StoreLeases: 100, Latency: time.Millisecond}
				in.RequestLocalities[1] = locA2
			},
			target: 0, reason: ReasonNoBetterCandidate, score: -16, adj: 0.020866,
		},
		{
			// Each replica's own zone sends 100 req/s: all weights 100,
			// log10(1) = 0, thr = 0.10: (100 − 111) + (90 − 100) = −21.
			// The overfull threshold is 111, not 110, because in float64
			// 100·(1 + 0.1) = 110.00000000000001 and its ceiling is 111;
			// CockroachDB computes the same expression in float64 too.
			name: "balanced demand across 3 regions",
			edit: func(in *Input) {
				in.Candidates = append(in.Candidates,
					Replica{Node: 6, Locality: locC1, StoreLeases: 100, Latency: 64 * time.Millisecond})
				in.Rates = []float64{100, 100, 100}
				in.RequestLocalities = []topology.Locality{locA1, locB1, locC1}
			},
			target: 0, reason: ReasonNoBetterCandidate, score: -21, adj: 0,
		},
		{
			// Demand from C only: B scores −21 (adj 0), C scores with
			// adj = 0.5·ln(147) = 2.4952: thr = −2.3952; overfull =
			// ceil(−139.52) = −139 -> 239; underfull = floor(339.52) = 339
			// -> 239; 478.
			name: "best of several candidates",
			edit: func(in *Input) {
				in.Candidates = append(in.Candidates,
					Replica{Node: 6, Locality: locC1, StoreLeases: 100, Latency: 146 * time.Millisecond})
				in.Rates = []float64{0, 0, 100}
				in.RequestLocalities = []topology.Locality{locA1, locB1, locC1}
			},
			transfer: true, target: 6, reason: ReasonFollowTheWorkload, score: 478, adj: 2.495216,
		},
		{
			name:   "stats younger than 30 s",
			edit:   func(in *Input) { in.StatsAge = 30*time.Second - 1 },
			target: 0, reason: ReasonStatsTooYoung,
		},
		{
			name:     "stats exactly 30 s old are old enough",
			edit:     func(in *Input) { in.StatsAge = 30 * time.Second },
			transfer: true, target: 3, reason: ReasonFollowTheWorkload, score: 400, adj: 2.102346,
		},
		{
			name: "young stats do not fall back to lease counts",
			edit: func(in *Input) {
				in.StatsAge = time.Second
				in.Source.StoreLeases, in.Candidates[0].StoreLeases = 200, 200
				in.Candidates[1].StoreLeases = 0
			},
			target: 0, reason: ReasonStatsTooYoung,
		},
		{
			// adj = 0: thr = 0.10 -> (100 − 111) + (90 − 100) = −21 (see
			// the balanced case for the 111).
			name:   "aggressiveness 0 removes the load term",
			edit:   func(in *Input) { in.Settings.Aggressiveness = 0 },
			target: 0, reason: ReasonNoBetterCandidate, score: -21, adj: 0,
		},
		{
			name:   "load-based rebalancing disabled",
			edit:   func(in *Input) { in.Settings.LoadBasedLeaseRebalancing = false },
			target: 0, reason: ReasonDisabled,
		},
		{
			name: "disabled still converges lease counts, even with young stats",
			edit: func(in *Input) {
				in.Settings.LoadBasedLeaseRebalancing = false
				in.StatsAge = 0
				in.Source.StoreLeases, in.Candidates[0].StoreLeases = 130, 130
				in.Candidates[1].StoreLeases = 90
			},
			transfer: true, target: 3, reason: ReasonLeaseCount,
		},
		{
			name:   "no stats",
			edit:   func(in *Input) { in.Rates, in.RequestLocalities = nil, nil },
			target: 0, reason: ReasonNoStats,
		},
		{
			name:   "no requests at all",
			edit:   func(in *Input) { in.Rates = []float64{0, 0} },
			target: 0, reason: ReasonNoStats,
		},
		{
			name:   "requests only from an unknown locality",
			edit:   func(in *Input) { in.RequestLocalities[1] = topology.Locality{} },
			target: 0, reason: ReasonNoStats,
		},
		{
			name:   "a replica of unknown locality",
			edit:   func(in *Input) { in.Candidates[1].Locality = topology.Locality{} },
			target: 0, reason: ReasonNoStats,
		},
		{
			name:   "candidate without a latency measurement is not scored",
			edit:   func(in *Input) { in.Candidates[1].Latency = -1 },
			target: 0, reason: ReasonNoBetterCandidate,
		},
		{
			name:   "no candidates",
			edit:   func(in *Input) { in.Candidates = nil },
			target: 0, reason: ReasonNoCandidates,
		},
		{
			name:   "only the source is a valid target",
			edit:   func(in *Input) { in.Candidates = in.Candidates[:1] },
			target: 0, reason: ReasonNoCandidates,
		},
		{
			name:   "last transfer 0.5 s ago",
			edit:   func(in *Input) { in.LastLeaseTransfer = in.Now - at(500*time.Millisecond) },
			target: 0, reason: ReasonMinTransferInterval,
		},
		{
			name:   "last transfer exactly 1 s ago (needs strictly more)",
			edit:   func(in *Input) { in.LastLeaseTransfer = in.Now - at(time.Second) },
			target: 0, reason: ReasonMinTransferInterval,
		},
		{
			name:     "last transfer just over 1 s ago",
			edit:     func(in *Input) { in.LastLeaseTransfer = in.Now - at(time.Second+1) },
			transfer: true, target: 3, reason: ReasonFollowTheWorkload, score: 400, adj: 2.102346,
		},
		{
			name: "longer interval setting",
			edit: func(in *Input) {
				in.Settings.MinLeaseTransferInterval = time.Minute
				in.LastLeaseTransfer = in.Now - at(59*time.Second)
			},
			target: 0, reason: ReasonMinTransferInterval,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := workedExample()
			tc.edit(&in)
			require.NoError(t, in.Settings.Validate())
			d := ShouldTransferLease(in)
			assert.Equal(t, tc.transfer, d.Transfer, "transfer (%v)", d)
			assert.Equal(t, tc.target, d.Target, "target (%v)", d)
			assert.Equal(t, tc.reason, d.Reason, "reason (%v)", d)
			assert.Equal(t, tc.score, d.Score, "score (%v)", d)
			assert.InDelta(t, tc.adj, d.Adjustment, 1e-6, "adjustment (%v)", d)
		})
	}
}

// TestLeaseCountConvergence checks the fallback thresholds: transfer when
// source > max(ceil(mean·1.05), ceil(mean+5)), or when source > mean and a
// candidate has < min(ceil(mean·0.95), ceil(mean−5)); the target must be
// below mean − 0.5.
func TestLeaseCountConvergence(t *testing.T) {
	tests := []struct {
		mean      float64
		source    int
		candidate int
		want      Reason
	}{
		// mean 100: overfull max(105, 105) = 105; underfull min(95, 95) = 95.
		{100, 106, 90, ReasonLeaseCount},
		{100, 105, 96, ReasonNoStats},
		{100, 105, 94, ReasonLeaseCount}, // second clause
		{100, 100, 0, ReasonNoStats},     // not above the mean
		{100, 110, 100, ReasonNoTarget},  // 100 is not < 99.5
		{100, 110, 99, ReasonLeaseCount},
		// mean 10: overfull max(ceil 10.5 = 11, 15) = 15; underfull min(ceil 9.5 = 10, 5) = 5.
		{10, 15, 6, ReasonNoStats},
		{10, 15, 4, ReasonLeaseCount},
		{10, 16, 9, ReasonLeaseCount},
		// mean 1000: overfull max(1050, 1005) = 1050; underfull min(950, 995) = 950.
		{1000, 1051, 900, ReasonLeaseCount},
		{1000, 1050, 960, ReasonNoStats},
		{1000, 1050, 949, ReasonLeaseCount},
		// mean 2.5: overfull max(ceil 2.625 = 3, ceil 7.5 = 8) = 8;
		// underfull min(ceil 2.375 = 3, ceil −2.5 = −2) = −2; target < 2.
		{2.5, 8, 0, ReasonNoStats},
		{2.5, 9, 1, ReasonLeaseCount},
		{2.5, 9, 2, ReasonNoTarget},
	}
	for _, tc := range tests {
		in := workedExample()
		in.Rates, in.RequestLocalities = nil, nil
		in.MeanLeases = tc.mean
		in.Source.StoreLeases, in.Candidates[0].StoreLeases = tc.source, tc.source
		in.Candidates[1].StoreLeases = tc.candidate
		d := ShouldTransferLease(in)
		assert.Equal(t, tc.want, d.Reason, "mean %v source %d candidate %d: %v", tc.mean, tc.source, tc.candidate, d)
		assert.Equal(t, tc.want == ReasonLeaseCount, d.Transfer)
		if d.Transfer {
			assert.Equal(t, topology.NodeID(3), d.Target)
		}
	}
}

func TestLeaseCountTargetChoice(t *testing.T) {
	in := workedExample()
	in.Rates, in.RequestLocalities = nil, nil
	in.Source.StoreLeases, in.Candidates[0].StoreLeases = 130, 130
	in.Candidates = append(in.Candidates,
		Replica{Node: 5, Locality: locB1, StoreLeases: 100}, // not below 99.5
		Replica{Node: 6, Locality: locC1, StoreLeases: 80},
		Replica{Node: 7, Locality: locC1, StoreLeases: 80},
	)
	in.Candidates[1].StoreLeases = 95

	d := ShouldTransferLease(in)
	assert.Equal(t, Decision{Transfer: true, Target: 6, Reason: ReasonLeaseCount}, d,
		"without Rand: fewest leases, earliest on ties")

	in.Rand = rand.New(rand.NewPCG(1, 2))
	seen := map[topology.NodeID]int{}
	for range 300 {
		d := ShouldTransferLease(in)
		require.True(t, d.Transfer)
		seen[d.Target]++
	}
	assert.Len(t, seen, 3, "draws cover the three under-mean candidates: %v", seen)
	assert.Zero(t, seen[5], "never the at-mean store")
	assert.Zero(t, seen[0], "never the source")
}

func TestShouldTransferLeaseDeterministicTies(t *testing.T) {
	in := workedExample()
	// Two identical remote candidates: the earlier one wins.
	in.Candidates = append(in.Candidates,
		Replica{Node: 4, Locality: locB1, StoreLeases: 100, Latency: 66 * time.Millisecond})
	assert.Equal(t, topology.NodeID(3), ShouldTransferLease(in).Target)
	in.Candidates[1], in.Candidates[2] = in.Candidates[2], in.Candidates[1]
	assert.Equal(t, topology.NodeID(4), ShouldTransferLease(in).Target)
}

func TestShouldTransferLeasePanicsOnMismatchedLocalities(t *testing.T) {
	in := workedExample()
	in.RequestLocalities = in.RequestLocalities[:1]
	assert.Panics(t, func() { ShouldTransferLease(in) })
}

func TestShouldTransferLeaseAllocs(t *testing.T) {
	in := workedExample()
	var d Decision
	allocs := testing.AllocsPerRun(1000, func() { d = ShouldTransferLease(in) })
	assert.Zero(t, allocs)
	assert.True(t, d.Transfer)
}

func TestDecisionString(t *testing.T) {
	assert.Equal(t, "transfer to n4 (follow-the-workload, score 400, adjustment 2.10)",
		ShouldTransferLease(workedExample()).String())
	in := workedExample()
	in.StatsAge = 0
	assert.Equal(t, "stay on n1 (stats-too-young)", ShouldTransferLease(in).String())
}
