package scenarios_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/scenarios"
)

// hotBase is a jitter-free cluster (crdb-demo, 1 ms between zones, 0.2 ms
// inside one, service and fsync 0.5 ms) with one regional table homed in
// us-east1 under ZONE survival, its leaseholder n1; a client is 0.1 ms
// from its gateway. A write holds its
// row's latch from its evaluation until it applies at n1: service 0.5 +
// the in-region quorum (2 of {own fsync 0.5, n2 0.5+0.5+0.5, n3 the
// same} = 1.5) = S = 2 ms, whichever gateway sent it.
const hotBase = `
name: hot
duration: %s
warmup: 5s
seed: %d
topology: {rtt: crdb-demo, jitter: none, inter_zone_rtt: 1ms, intra_zone_rtt: 200us, service_time: 500us, fsync: 500us}
database: {primary_region: us-east1}
cockroach: {client_timeout: %s}
tables: [{name: kv, locality: regional-by-table, ranges: 4}]
workload:
  - {region: us-east1, table: kv, rate: %v, mix: {write: 1}, keys: 1}
`

const hotHold = 2.0 // ms, S above

func runHot(t *testing.T, duration string, seed int, timeout string, rate float64) *scenarios.Result {
	t.Helper()
	s := scnParse(t, fmt.Sprintf(hotBase, duration, seed, timeout, rate))
	res, err := scenarios.Run(s)
	require.NoError(t, err)
	require.Len(t, res.Stats, 1)
	return res
}

// TestHotKeyIsAnMD1Queue: Poisson writers on one row form an M/D/1 queue
// at its leaseholder (arrivals stay Poisson after the fixed gateway hops;
// the latch is held a fixed S = 2 ms). Its mean wait is the
// Pollaczek–Khinchine value ρS / (2(1 − ρ)), ρ = rate·S, and a write
// queues with probability ρ: at 250/s (ρ = 0.5) 1 ms, at 400/s (ρ = 0.8)
// 4 ms.
func TestHotKeyIsAnMD1Queue(t *testing.T) {
	for _, rate := range []float64{250, 400} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			res := runHot(t, "10m", 1, "0s", rate)
			st := res.Stats[0]
			c := st.Contention
			require.NotNil(t, c)
			rho := rate * hotHold / 1000
			want := rho * hotHold / (2 * (1 - rho))
			t.Logf("ρ %.2f: mean wait %.3f ms (M/D/1 %.3f), queued %.3f, p99 wait %.2f ms, latency p50 %.2f p99 %.2f ms over %d writes",
				rho, c.MeanMs, want, c.WaitedShare, c.P99Ms, st.P50Ms, st.P99Ms, c.Requests)
			assert.Equal(t, st.Count, c.Requests)
			assert.InEpsilon(t, want, c.MeanMs, 0.05, "mean wait, M/D/1 %.3f ms", want)
			assert.InDelta(t, rho, c.WaitedShare, 0.01, "share that queued = ρ")
			// The wait is part of the latency: mean latency = uncontended
			// mean + mean wait (gateways n1, n2, n3 alike: 0.2 + {0, 1,
			// 1} + 0.5 + 1.5), within the histogram's 1 %.
			assert.InEpsilon(t, 0.2+2.0/3+hotHold+c.MeanMs, st.MeanMs, 0.01)
			assert.GreaterOrEqual(t, st.P99Ms, (0.2+hotHold+c.P99Ms)*0.98, "contention shows in p99")
			assert.Greater(t, st.P99Ms, 0.2+1+hotHold+c.MeanMs, "p99 above the slowest uncontended write plus the mean wait")
		})
	}
}

// TestHotKeyThroughputBoundedByCommitLatency offers twice the row's
// capacity (1000/s against 1/S = 500/s) for 2 s after the warmup: the
// writes complete at
// most one per S — 500 in each second's bin while the backlog lasts — and
// the backlog of 1000 writes drains in 4 s.
func TestHotKeyThroughputBoundedByCommitLatency(t *testing.T) {
	y := fmt.Sprintf(hotBase, "20s", 1, "0s", 0)
	s := scnParse(t, y[:len(y)-len("}\n")]+", schedule: [{at: 5s, rate: 1000}, {at: 7s, rate: 0}]}\n")
	res, err := scenarios.Run(s)
	require.NoError(t, err)
	st := res.Stats[0]
	require.Zero(t, st.Errors)
	busy := 0
	for _, p := range res.TimelineCompleted {
		assert.LessOrEqual(t, float64(p.Count), res.TimelineSeconds*1000/hotHold+1, "at %v s: throughput on the key <= 1/S", p.TS)
		if float64(p.Count) >= res.TimelineSeconds*1000/hotHold*0.95 {
			busy++
		}
	}
	t.Logf("%d writes, max %.0f ms, %d bins at >= 95 %% of 1/S", st.Count, st.MaxMs, busy)
	// Arrivals in [5 s, 7 s) ~ 2000 writes: 4 s of work.
	assert.InDelta(t, 2000, float64(st.Count), 150)
	assert.GreaterOrEqual(t, busy, 3, "the row stays busy while the backlog lasts")
	assert.Greater(t, st.MaxMs, 1500.0, "the last of the burst waited for the backlog")
}

// TestHotKeyTimeoutLeavesTheQueue: under the same overload without end,
// a 1 s statement timeout ends the writes still queued for the latch
// (their context is cancelled): no client waits longer than its timeout,
// and at most one write per S still completes in time.
func TestHotKeyTimeoutLeavesTheQueue(t *testing.T) {
	res := runHot(t, "20s", 1, "1s", 1000)
	st := res.Stats[0]
	ok := float64(st.Count - st.Errors)
	t.Logf("%.0f ok/s, %d timed out of %d, max %.1f ms", ok/res.SimulatedSeconds, st.Errors, st.Count, st.MaxMs)
	assert.LessOrEqual(t, ok/res.SimulatedSeconds, 1000/hotHold)
	assert.Greater(t, st.Errors, uint64(0), "the excess times out")
	assert.LessOrEqual(t, st.MaxMs, 1000.0*1.01, "no client waits past its timeout")
}

// TestNoKeysNoContention: without keys nothing contends and no stat
// reports contention, even at a rate that would saturate one row.
func TestNoKeysNoContention(t *testing.T) {
	y := fmt.Sprintf(hotBase, "20s", 1, "0s", 1000)
	s := scnParse(t, y[:len(y)-len(", keys: 1}\n")]+"}\n")
	res, err := scenarios.Run(s)
	require.NoError(t, err)
	st := res.Stats[0]
	assert.Nil(t, st.Contention)
	// No row waits; the only queue left is the disks' group commit
	// (raft/queues.go), which holds an append for at most one more sync
	// (0.5 ms) on the leader and on the follower that acknowledges.
	uncontended := 0.2 + 2.0/3 + hotHold
	assert.GreaterOrEqual(t, st.MeanMs, uncontended*0.99)
	assert.Less(t, st.MeanMs, uncontended+0.5)
}

// TestKeysDrawFromTheirOwnStream: turning keys on changes only which row
// each request names: the same seed issues the same requests (ops,
// gateways, times), so every count is the same as without keys.
func TestKeysDrawFromTheirOwnStream(t *testing.T) {
	const y = `
duration: 30s
topology: {rtt: crdb-demo}
database: {primary_region: us-east1}
tables: [{name: kv, ranges: 8, rows: 100000}]
workload:
  - {region: us-east1, table: kv, rate: 300, mix: {read: 0.5, write: 0.5}%s}
  - {region: us-west1, table: kv, rate: 100, mix: {read: 0.9, write: 0.1}}
`
	run := func(keys string) *scenarios.Result {
		res, err := scenarios.Run(scnParse(t, fmt.Sprintf(y, keys)))
		require.NoError(t, err)
		return res
	}
	plain, keyed := run(""), run(", keys: 1000, distribution: zipf")
	require.Len(t, keyed.Stats, len(plain.Stats))
	for i := range plain.Stats {
		assert.Equal(t, plain.Stats[i].Count, keyed.Stats[i].Count, "%s %s", plain.Stats[i].Op, plain.Stats[i].ClientRegion)
		assert.Nil(t, plain.Stats[i].Contention)
	}
	for _, st := range keyed.Stats {
		if st.ClientRegion == "us-east1" {
			assert.NotNil(t, st.Contention, st.Op)
		} else {
			assert.Nil(t, st.Contention, "the unkeyed workload reports none")
		}
	}
}

func TestKeyValidation(t *testing.T) {
	for _, tc := range []struct{ fields, want string }{
		{"keys: -1", "workload[0].keys: -1 is out of range [1, 1073741824]"},
		{"keys: 20000", `workload[0].keys: 20000 is more than table "kv"'s 10000 rows`},
		{"distribution: zipf", "workload[0].distribution: set, but keys is not"},
		{"keys: 10, distribution: pareto", `workload[0].distribution: unknown "pareto" (want one of [uniform zipf])`},
		{"keys: 10, zipf_exponent: 1.2", "workload[0].zipf_exponent: 1.2, but distribution is not zipf"},
		{"keys: 10, distribution: zipf, zipf_exponent: 0.99", "workload[0].zipf_exponent: 0.99 is out of range (1, 100]"},
		{"keys: 10, distribution: zipf, hot_share: 0.2", "workload[0].hot_share: 0.2, but distribution zipf has its own hot keys"},
		{"keys: 10, hot_share: 1.5", "workload[0].hot_share: 1.5 is out of range (0, 1]"},
		{"keys: 10, hot_keys: 2", "workload[0].hot_keys: 2, but hot_share is not set"},
		{"keys: 10, hot_share: 0.5, hot_keys: 10", "workload[0].hot_keys: 10 is out of range [1, 9] (keys 10, hot_share 0.5)"},
		{"keys: 1, hot_share: 0.5", "workload[0].hot_share: 0.5, but keys 1 leaves no key outside the hot set"},
	} {
		t.Run(tc.fields, func(t *testing.T) {
			_, err := scenarios.Parse([]byte(fmt.Sprintf(`
tables: [{name: kv}]
workload: [{region: us-east1, table: kv, rate: 10, %s}]
`, tc.fields)), "base.yaml")
			require.Error(t, err)
			assert.ErrorIs(t, err, scenarios.ErrInvalid)
			assert.Contains(t, err.Error(), "scenarios: base.yaml: "+tc.want)
		})
	}
	for _, ok := range []string{"keys: 10", "keys: 10, distribution: uniform, hot_share: 1, hot_keys: 10", "keys: 10000, distribution: zipf, zipf_exponent: 2"} {
		_, err := scenarios.Parse([]byte(fmt.Sprintf("tables: [{name: kv}]\nworkload: [{region: us-east1, table: kv, rate: 10, %s}]\n", ok)), "ok.yaml")
		assert.NoError(t, err, ok)
	}
}

// TestSaturatedHotRowGivesUp: under REGION survival a write holds its
// row for 0.5 + 64.5 ms (the quorum needs a voter in another region), so
// one row takes about 15 writes per second; 1000/s for 25 s would leave a
// backlog of over 26 minutes. Without a client timeout a request gives up
// once it has waited 10 s for the row (raft.OverloadTimeout, as in a CPU
// queue), over all its attempts: the run ends with most writes failed,
// none waiting much past the give-up time, and the row still serving one
// write per hold.
func TestSaturatedHotRowGivesUp(t *testing.T) {
	y := strings.Replace(fmt.Sprintf(hotBase, "20s", 1, "0s", 1000), "database: {primary_region: us-east1}",
		"database: {primary_region: us-east1, survival: region}", 1)
	res, err := scenarios.Run(scnParse(t, y))
	require.NoError(t, err)
	st := res.Stats[0]
	ok := float64(st.Count - st.Errors)
	const hold = 65.0 // ms
	t.Logf("%d writes, %d failed, %.1f ok/s, max %.0f ms", st.Count, st.Errors, ok/res.SimulatedSeconds, st.MaxMs)
	assert.Greater(t, float64(st.Errors), 0.9*float64(st.Count), "most give up")
	// The longest is a write granted just before it would give up: 10 s,
	// its hold, and the wait for a lease transfer some writes meet.
	assert.LessOrEqual(t, st.MaxMs, raft.OverloadTimeout.Seconds()*1000+2*hold, "no write waits past the give-up time")
	assert.Greater(t, st.MaxMs, raft.OverloadTimeout.Seconds()*1000, "the row's queue is 10 s long")
	// The row serves one write per hold for the span and the give-up
	// time after it (the last writes of the span queue until then).
	assert.LessOrEqual(t, ok, (res.SimulatedSeconds+raft.OverloadTimeout.Seconds())*1000/hold+1)
	assert.Greater(t, ok, res.SimulatedSeconds*1000/hold*0.9, "the row stays busy")

	// A client timeout of an hour lets the queue grow for the whole run:
	// 25,000 writes take 65 ms each, about 27 minutes, past the 10-minute
	// drain, which the client timeout extends. Every write commits, the
	// last after about 27 minutes.
	y = strings.Replace(y, "client_timeout: 0s", "client_timeout: 1h", 1)
	res, err = scenarios.Run(scnParse(t, y))
	require.NoError(t, err)
	st = res.Stats[0]
	t.Logf("1h timeout: %d writes, %d failed, max %.0f s", st.Count, st.Errors, st.MaxMs/1000)
	assert.Zero(t, st.Errors)
	assert.InDelta(t, 25000*hold/1000, st.MaxMs/1000, 60, "the last write waited for all before it")
}

// TestHotRowExample runs scenarios/testdata/hot-row.yaml: every keyed
// workload reports its contention, the unkeyed one none, and a write to
// the hot row finds it busy with probability its utilisation ρ (Poisson
// arrivals see time averages). Row 0 is held 2 ms by each write — 100/s
// from us-east1, 50·0.9·p0 from us-west1 (p0 = 0.1794, zipf's key 0 of
// 1000), 50·0.2·0.02 from europe-west1 (a tenth of the hot share) — and
// 70 ms by each us-west1 txn's intent (50·0.1·p0 per second): 2 ms to
// write it, 33 ms for the reply to reach its gateway in us-west1, 33 ms for
// the EndTxn to come back, 2 ms to apply it. ρ = 0.2165 + 0.0628 = 0.279.
func TestHotRowExample(t *testing.T) {
	s, err := scenarios.Load("testdata/hot-row.yaml")
	require.NoError(t, err)
	res, err := scenarios.Run(s)
	require.NoError(t, err)
	keyed := 0
	for _, st := range res.Stats {
		if st.Contention == nil {
			continue
		}
		keyed++
		if st.ClientRegion == "us-east1" && st.Op == "write" {
			p0 := 0.17944
			rho := (100+50*0.9*p0+50*0.2*0.02)*0.002 + 50*0.1*p0*0.070
			t.Logf("ρ %.3f, share of us-east1 writes that queued %.3f", rho, st.Contention.WaitedShare)
			assert.InDelta(t, rho, st.Contention.WaitedShare, 0.015, "the hot row's writers queue ρ of the time")
		}
	}
	assert.Equal(t, 6, keyed, "read and write on us-east1's hot row, write and txn from us-west1, read and write from europe-west1")
	assert.Len(t, res.Stats, 8)
}

// TestHotKeyWaitIsAttributed: at ρ = 0.8 a write's p99 is mostly its wait
// for the row's latch (mean wait 4 ms against an uncontended write of at
// most 3.2 ms), so the critical path at p99 names latch_wait first; at
// p50 too the wait is present (80 % of writes queue), and each bucket's
// components sum to its mean.
func TestHotKeyWaitIsAttributed(t *testing.T) {
	res := runHot(t, "60s", 1, "0s", 400)
	a := res.Stats[0].Attribution
	require.NotNil(t, a)
	for _, at := range []*scenarios.AttributionAt{a.P50, a.P99} {
		require.NotNil(t, at)
		sum := 0.0
		names := map[string]float64{}
		for _, c := range at.Components {
			sum += c.Ms
			names[c.Component] += c.Ms
		}
		assert.InDelta(t, at.MeanMs, sum, 0.01)
		assert.Greater(t, names["latch_wait"], 0.0, "%+v", at.Components)
	}
	assert.Equal(t, "latch_wait", a.P99.Components[0].Component, "%+v", a.P99.Components)
	assert.Equal(t, "latch/lock wait", a.P99.Components[0].Label)
}
