package scenarios_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
)

// gatewayYAML is a jitter-free cluster of one node per region (n1
// us-east1, n2 us-west1, n3 europe-west1; one way n1–n2 33 ms, n1–n3 32 ms,
// n2–n3 73 ms, 0.2 ms inside a zone, evaluation 0.3 ms) with a table
// replicated on all three, so a stale read is served by its gateway itself:
// its latency is the client's round trip to the gateway plus 0.3 ms. The
// clients are in us-west1; %s is the rest of their workload entry.
const gatewayYAML = `
name: gateways
duration: 60s
warmup: 5s
topology: {rtt: crdb-demo, regions: [us-east1, us-west1, europe-west1], zones_per_region: 1, nodes_per_zone: 1,
           jitter: none, service_time: 300us, fsync: 500us, intra_zone_rtt: 400us}
tables: [{name: kv, ranges: 1}]
workload:
  - {region: us-west1, table: kv, rate: 100, mix: {stale_read: 1}%s}
%s`

func runGateways(t *testing.T, entry, faults string) scenarios.Stat {
	t.Helper()
	s, err := scenarios.Parse([]byte(fmt.Sprintf(gatewayYAML, entry, faults)), "gateways.yaml")
	require.NoError(t, err)
	require.NoError(t, s.Validate())
	r, err := scenarios.Run(s)
	require.NoError(t, err)
	require.Len(t, r.Stats, 1)
	return r.Stats[0]
}

// TestGatewayModes checks each mode's latency by hand:
//   - nearest-healthy (the default) and local: gateway n2, 0.2 + 0.3 + 0.2 ms;
//   - any: n1, n2 or n3 with a third of the requests each: 33 + 0.3 + 33,
//     0.7, or 73 + 0.3 + 73 ms;
//   - an app tier in europe-west1, 30 ms from the clients: the database is
//     reached from europe-west1 (gateway n3, 0.7 ms) and the application
//     latency is 30.7 ms;
//   - the same app tier with gateway any: 0.7 ms from n3, 146.3 ms from
//     n2, 64.3 ms from n1 (the median), each plus 30 ms for the app.
func TestGatewayModes(t *testing.T) {
	for _, entry := range []string{"", ", gateway: nearest-healthy", ", gateway: local"} {
		st := runGateways(t, entry, "")
		assert.Zero(t, st.Errors)
		assert.InDelta(t, 0.7, st.MaxMs, 1e-9, entry)
		assert.InDelta(t, 0.7, st.Latency.Min().Seconds()*1e3, 1e-9, entry)
		assert.Nil(t, st.App)
	}

	st := runGateways(t, ", gateway: any", "")
	assert.Zero(t, st.Errors)
	assert.InDelta(t, 0.7, st.Latency.Min().Seconds()*1e3, 1e-9)
	assert.InDelta(t, 146.3, st.MaxMs, 1e-9)
	assert.InDelta(t, 66.3, st.P50Ms, 66.3*0.01)
	shares := bucketShares(st, 10, 100)
	n := float64(st.Count)
	for i, share := range shares {
		// Binomial(n, 1/3): within 5 standard deviations.
		assert.InDelta(t, 1.0/3, share, 5*math.Sqrt(2.0/9/n), "band %d", i)
	}

	st = runGateways(t, ", app: {region: europe-west1, client_rtt: 30ms}", "")
	assert.InDelta(t, 0.7, st.MaxMs, 1e-9)
	require.NotNil(t, st.App)
	assert.Equal(t, "europe-west1", st.App.Region)
	assert.InDelta(t, 30.0, st.App.ClientRTTMs, 1e-9)
	assert.InDelta(t, 30.7, st.App.MaxMs, 1e-9)
	assert.InDelta(t, st.P50Ms+30, st.App.P50Ms, 1e-9)
	assert.InDelta(t, st.P99Ms+30, st.App.P99Ms, 1e-9)

	st = runGateways(t, ", gateway: any, app: {region: europe-west1, client_rtt: 30ms}", "")
	assert.InDelta(t, 0.7, st.Latency.Min().Seconds()*1e3, 1e-9)
	assert.InDelta(t, 146.3, st.MaxMs, 1e-9)
	assert.InDelta(t, 64.3, st.P50Ms, 64.3*0.01)
	assert.InDelta(t, 176.3, st.App.MaxMs, 1e-9)
}

// bucketShares returns the shares of st's requests below lo ms, between lo
// and hi, and above hi.
func bucketShares(st scenarios.Stat, lo, hi float64) [3]float64 {
	var c [3]float64
	st.Latency.ForEachBucket(func(a, b time.Duration, count uint64) {
		v := b.Seconds() * 1e3
		switch {
		case v <= lo:
			c[0] += float64(count)
		case v <= hi:
			c[1] += float64(count)
		default:
			c[2] += float64(count)
		}
	})
	n := float64(st.Latency.Count())
	return [3]float64{c[0] / n, c[1] / n, c[2] / n}
}

// TestGatewayLocalFailsWhenItsRegionIsDown: us-west1 (n2) is down from
// 20 s to 40 s. With nearest-healthy the load balancer sends the clients
// to the nearest region with a live node, us-east1 (RTT 66 ms, against 146
// ms to europe-west1), where n1 serves the stale read itself: no errors,
// and the median read stays 0.7 ms (the client sits in its gateway's zone;
// a few reads at n2 just after it returns wait for its connections). With
// local there is no other region: the reads issued during the outage fail
// at once, with no latency, a third of the measured 60 s.
func TestGatewayLocalFailsWhenItsRegionIsDown(t *testing.T) {
	const down = "faults: [{at: 20s, kind: region, target: us-west1, for: 20s}]"
	st := runGateways(t, "", down)
	assert.Zero(t, st.Errors)
	assert.InDelta(t, 0.7, st.P50Ms, 0.7*0.01)

	st = runGateways(t, ", gateway: local", down)
	assert.InDelta(t, 1.0/3, float64(st.Errors)/float64(st.Count), 0.05)
	assert.Zero(t, st.Latency.Min())
}

func TestGatewayValidation(t *testing.T) {
	for _, tc := range []struct{ entry, want string }{
		{", gateway: anywhere", `workload[0].gateway: unknown "anywhere" (want one of [nearest-healthy local any])`},
		{", gateway: any, gateways: [n2]", `workload[0].gateway: "any" draws from the whole cluster, but gateways names [n2] (leave one out)`},
		{", app: {region: mars, client_rtt: 1ms}", `workload[0].app.region: unknown region "mars"`},
		{", app: {client_rtt: -1ms}", `workload[0].app.client_rtt: -1ms is out of range`},
		{", app: {region: us-east1, client_rtt: 1ms}, gateways: [n2]", `workload[0].gateways[0]: "n2" is in us-west1, not in the app's region us-east1`},
	} {
		s, err := scenarios.Parse([]byte(fmt.Sprintf(gatewayYAML, tc.entry, "")), "g.yaml")
		if err == nil {
			err = s.Validate()
		}
		require.Error(t, err, tc.entry)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// TestWithSettingGatewayAndStaleness: compare --vary gateway=… sets every
// workload's mode; max_staleness=… every bounded_read workload's bound
// (keeping nearest_only), and refuses a scenario without bounded reads.
func TestWithSettingGatewayAndStaleness(t *testing.T) {
	s, err := scenarios.Load("default")
	require.NoError(t, err)
	v, err := s.WithSetting("gateway", "any")
	require.NoError(t, err)
	for _, w := range v.Workload {
		assert.Equal(t, scenarios.GatewayAny, w.Gateway)
	}
	assert.Empty(t, s.Workload[0].Gateway, "the original is unchanged")
	_, err = s.WithSetting("gateway", "everywhere")
	assert.ErrorContains(t, err, `workload[0].gateway: unknown "everywhere"`)

	v, err = s.WithSetting("max_staleness", "3s")
	require.NoError(t, err)
	n := 0
	for _, w := range v.Workload {
		if w.Mix["bounded_read"] > 0 {
			n++
			require.NotNil(t, w.BoundedRead)
			assert.Equal(t, 3*time.Second, w.BoundedRead.MaxStaleness)
		} else {
			assert.Nil(t, w.BoundedRead)
		}
	}
	assert.Equal(t, 3, n)
	_, err = s.WithSetting("max_staleness", "soon")
	assert.ErrorContains(t, err, `"soon" is not a duration`)

	plain, err := scenarios.Load("movr")
	require.NoError(t, err)
	_, err = plain.WithSetting("max_staleness", "3s")
	assert.ErrorContains(t, err, "no workload entry has a bounded_read share")
}
