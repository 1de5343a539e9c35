package advise

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/slo"
)

// jitterFree is the hand-computed tests' cluster (docs/model.md): the
// crdb-demo matrix without jitter (RTT us-east1–us-west1 66 ms,
// us-east1–europe-west1 64 ms), 1 ms between AZs, 0.2 ms inside one (a
// client hop is 0.1 ms), service 0.5 ms. One RBR table read from us-east1
// with 98 % of the rows local; rate and duration set the request count.
func jitterFree(t *testing.T, rate float64, duration string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Parse(fmt.Appendf(nil, `
name: jitter-free
duration: %s
warmup: 5s
topology:
  rtt: crdb-demo
  regions: [us-east1, us-west1, europe-west1]
  jitter: none
  inter_zone_rtt: 1ms
  intra_zone_rtt: 200us
  service_time: 500us
database:
  primary_region: us-east1
tables:
  - {name: kv, locality: regional-by-row, ranges: 3, lookup: region}
  - {name: acct, locality: regional-by-table, ranges: 1}
workload:
  - {region: us-east1, table: kv, rate: %v, local_rows: 0.98, mix: {read: 1}}
  - {region: us-west1, table: acct, rate: 10, mix: {read: 1}}
`, duration, rate), "jitter-free")
	require.NoError(t, err)
	return s
}

func figureOf(t *testing.T, figs []*figure, table, op, region string) *figure {
	t.Helper()
	for _, f := range figs {
		if f.table == table && f.op == op && f.region == region {
			return f
		}
	}
	t.Fatalf("no figure %s %s %s", table, op, region)
	return nil
}

// TestFloorHandComputed checks the pruning bound on the jitter-free
// cluster, where every draw is its floor.
//
// acct (RBT in us-east1) read from us-west1: every request is 0.1 + 66 +
// 0.5 + 0.1 = 66.7 ms, whatever the quantile. kv read from us-east1: the
// local partition's leaseholder is in one of the 3 AZs, so a third of the
// gateways reach it at 0.2 ms RTT and two thirds at 1 ms: 0.9 ms with
// probability 0.98/3, 1.7 ms with 0.98·2/3; the remote rows, 1 % each,
// 64.7 ms (europe-west1) and 66.7 ms (us-west1). The mixture's p99 is
// 64.7 ms (cumulative 0.98 at 1.7 ms, 0.99 at 64.7 ms). With n requests
// the bound reads the quantile at 0.99 − 3·√(0.99·0.01/n): n = 6000 (100/s
// for 60 s) gives 0.98615, still 64.7 ms; n = 100 (10/s for 10 s) gives
// 0.96015, 1.7 ms: a hundred requests may well hold no remote read at
// their p99.
func TestFloorHandComputed(t *testing.T) {
	for _, tc := range []struct {
		rate     float64
		duration string
		n        float64
		kvP99    float64
	}{
		{100, "60s", 6000, 64.7},
		{10, "10s", 100, 1.7},
	} {
		s := jitterFree(t, tc.rate, tc.duration)
		figs, bounds, err := closedForm(s)
		require.NoError(t, err)
		assert.True(t, bounds, "no table follows the workload")
		kv := figureOf(t, figs, "kv", "read", "us-east1")
		assert.InDelta(t, tc.n, kv.n, 1e-9)
		p99, ok := kv.floorOf(slo.P99)
		require.True(t, ok)
		assert.InDelta(t, tc.kvP99, p99, 1e-9, "n = %v", tc.n)
		p50, _ := kv.floorOf(slo.P50)
		assert.InDelta(t, 1.7, p50, 1e-9, "cumulative 0.327 at 0.9 ms")

		acct := figureOf(t, figs, "acct", "read", "us-west1")
		for _, m := range []slo.Metric{slo.P50, slo.P99, slo.Max} {
			v, ok := acct.floorOf(m)
			require.True(t, ok)
			assert.InDelta(t, 66.7, v, 1e-9, "%v", m)
		}
		mean, ok := acct.floorOf(slo.Mean)
		require.True(t, ok)
		assert.InDelta(t, 66.7, mean, 1e-9, "one atom: no spread")
	}

	// The histogram's 1 % accuracy: 66.7 ms misses < 66 ms (66.7 · 0.99
	// = 66.033 >= 66) but not < 66.5 ms, which a run could report met.
	s := jitterFree(t, 100, "60s")
	figs, _, err := closedForm(s)
	require.NoError(t, err)
	for _, tc := range []struct {
		expr string
		miss bool
	}{
		{"acct.read.p99<66ms", true},
		{"acct.read.p99<66.5ms", false},
		{"acct.read.p99<=66.04ms", false},
		{"acct.read.p99<=66.03ms", true},
		{"kv.read.p99<64ms", true},
		{"read.p99<64ms", true},
		{"kv.read.p50<2ms", false},
		{"read.p99>1ms", false},
	} {
		x, err := Parse(tc.expr)
		require.NoError(t, err)
		o, miss, _ := floorMiss(x.Assertion, figs)
		assert.Equal(t, tc.miss, miss, "%s: floor %v", tc.expr, o.Measured)
	}
}

// TestRequestsIntegratesTheSchedule: 10/s for the first 5 s of the
// measured span, then 30/s for the last 5.
func TestRequestsIntegratesTheSchedule(t *testing.T) {
	s := jitterFree(t, 10, "10s")
	w := s.Workload[0]
	w.Schedule = []scenarios.Step{{At: s.Warmup + 5e9, Rate: 30}}
	assert.InDelta(t, 10*5+30*5, requests(s, w), 1e-9)
}
