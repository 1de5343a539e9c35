package scenarios

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/sim/stats"
)

// sweepRun is a hand-built run of one swept AZ pair (two faults from 40 s
// to 100 s): users' writes from region r stalled usersDown seconds (on
// range 2), settings' reads settingsDown, with userErrs failed user
// requests and after-failover user writes of afterMs.
func sweepRun(seed uint64, usersDown, settingsDown float64, userErrs uint64, afterMs ...float64) *Result {
	r := &Result{Scenario: "hand", Seed: seed, Survival: "zone", TimelineSeconds: 1,
		Faults: []FaultWindow{
			{Name: "zone a at 40s", StartS: 40, EndS: 100},
			{Name: "zone b at 40s", StartS: 40, EndS: 100},
		},
	}
	after := stats.NewDefaultHistogram()
	for _, v := range afterMs {
		after.Record(time.Duration(v * float64(time.Millisecond)))
	}
	for _, f := range r.Faults {
		users := ClientImpact{Fault: f.Name, StartS: 40, EndS: 100, Table: "users", Locality: "regional-by-row",
			Op: "write", ClientRegion: "r", Requests: 500, Errors: userErrs, Slow: userErrs + 3,
			UnavailableS: usersDown, UnavailableFromS: 40, UnavailableRange: 2, AfterS: 70,
			AfterHistogram: after, DuringHistogram: stats.NewDefaultHistogram()}
		settings := ClientImpact{Fault: f.Name, StartS: 40, EndS: 100, Table: "settings", Locality: "global",
			Op: "read", ClientRegion: "r", Requests: 100, UnavailableS: settingsDown, UnavailableRange: -1}
		if f.Name == "zone b at 40s" {
			// The pair's second fault sees the same window; a shorter
			// stall for it does not count.
			users.UnavailableS = usersDown / 2
		}
		r.Impact = append(r.Impact, users, settings)
	}
	return r
}

func TestAggregateSweep(t *testing.T) {
	f := SweepFault{Name: "zones a + b", Kind: "zone-pair", Targets: []string{"a", "b"}}
	runs := []*Result{
		sweepRun(1, 6, 0, 0, 4, 5),
		sweepRun(2, 20, 2, 5, 70),
		sweepRun(3, 10, 0, 0, 6),
	}
	got := AggregateSweep(f, "zone", runs, 15*time.Second)
	assert.Equal(t, f, got.SweepFault)
	assert.Equal(t, "zone", got.Survival)
	assert.Equal(t, 3, got.Runs)
	assert.Equal(t, 2, got.SurvivedRuns, "run 2 stalled 20 s > 15 s")
	assert.False(t, got.Survived())
	assert.Equal(t, []string{"users@r"}, got.Failed)
	// Longest per run: 6, 20, 10.
	assertSpread(t, Spread{Min: 6, Mean: 12, P99: 10 + 0.98*10, Max: 20}, got.Unavailable)
	assert.Equal(t, &SweepWorst{Table: "users", Op: "write", ClientRegion: "r", Seed: 2, UnavailableS: 20, Range: 2}, got.Worst)
	require.Len(t, got.Clients, 2)

	users := got.Clients[0]
	assert.Equal(t, SweepClient{Table: "users", Locality: "regional-by-row", Op: "write", ClientRegion: "r",
		Runs: 3, SurvivedRuns: 2, Unavailable: users.Unavailable,
		Requests: 3 * 500, Errors: 5, Slow: 3 + 8 + 3,
		After: users.After}, users)
	assertSpread(t, Spread{Min: 6, Mean: 12, P99: 10 + 0.98*10, Max: 20}, users.Unavailable)
	// Pooled after-failover writes: 4, 5, 70 and 6 ms: p50 5 ms, p99 70 ms
	// (0.5 % histogram accuracy).
	assert.Equal(t, uint64(4), users.After.Count)
	assert.InDelta(t, 5, users.After.P50Ms, 0.05)
	assert.InDelta(t, 70, users.After.P99Ms, 0.5)
	assert.Zero(t, users.During.Count)

	settings := got.Clients[1]
	assert.True(t, settings.Survived())
	assertSpread(t, Spread{Min: 0, Mean: 2.0 / 3, P99: 0 + 0.98*2, Max: 2}, settings.Unavailable)
	assert.Zero(t, settings.After.Count, "results without distributions")

	// A stricter bound fails every run.
	strict := AggregateSweep(f, "zone", runs, 5*time.Second)
	assert.Zero(t, strict.SurvivedRuns)

	// No runs, and runs without faults.
	empty := AggregateSweep(f, "zone", nil, DefaultSurviveWithin)
	assert.Equal(t, Spread{}, empty.Unavailable)
	assert.Empty(t, empty.Clients)
	assert.Nil(t, empty.Worst)
	calm := sweepRun(1, 0, 0, 0)
	calm.Faults, calm.Impact = nil, nil
	c := AggregateSweep(f, "zone", []*Result{calm}, DefaultSurviveWithin)
	assert.True(t, c.Survived())
	assert.Zero(t, c.Unavailable.Max)
}

func TestPoolStats(t *testing.T) {
	h := func(vs ...float64) *stats.Histogram {
		out := stats.NewDefaultHistogram()
		for _, v := range vs {
			out.Record(time.Duration(v * float64(time.Millisecond)))
		}
		return out
	}
	a := &Result{Stats: []Stat{{Table: "t", Op: "read", ClientRegion: "r", Count: 2, Errors: 1, Latency: h(1, 2)}}}
	b := &Result{Stats: []Stat{
		{Table: "t", Op: "write", ClientRegion: "r", Count: 1, Latency: h(50)},
		{Table: "t", Op: "read", ClientRegion: "r", Count: 2, Latency: h(3, 100)},
	}}
	got := PoolStats([]*Result{a, b})
	require.Len(t, got, 2)
	assert.Equal(t, "read", got[0].Op)
	assert.Equal(t, uint64(4), got[0].Count)
	assert.Equal(t, uint64(1), got[0].Errors)
	assert.InDelta(t, 2, got[0].P50Ms, 0.02, "1, 2, 3, 100: the second")
	assert.InDelta(t, 100, got[0].MaxMs, 0.5)
	assert.Equal(t, "write", got[1].Op)
	assert.Empty(t, PoolStats(nil))
}

func assertSpread(t *testing.T, want, got Spread) {
	t.Helper()
	assert.InDelta(t, want.Min, got.Min, 1e-9, "min")
	assert.InDelta(t, want.Mean, got.Mean, 1e-9, "mean")
	assert.InDelta(t, want.P99, got.P99, 1e-9, "p99")
	assert.InDelta(t, want.Max, got.Max, 1e-9, "max")
}

func TestSweepFaults(t *testing.T) {
	s, err := Load("default")
	require.NoError(t, err)
	single := SweepFaults(s, []string{SweepZone, SweepRegion})
	require.Len(t, single, 9+3)
	assert.Equal(t, SweepFault{Name: "zone us-east1-a", Kind: "zone", Targets: []string{"us-east1-a"}}, single[0])
	assert.Equal(t, SweepFault{Name: "region europe-west1", Kind: "region", Targets: []string{"europe-west1"}}, single[11])
	pairs := SweepFaults(s, []string{SweepZone, SweepZonePair, SweepRegion})
	require.Len(t, pairs, 9+9+3)
	assert.Equal(t, SweepFault{Name: "zones us-east1-a + us-east1-b", Kind: "zone-pair", Targets: []string{"us-east1-a", "us-east1-b"}}, pairs[9])
	assert.Equal(t, "zones europe-west1-b + europe-west1-c", pairs[17].Name)
	assert.Equal(t, []Fault{
		{At: time.Second, Kind: FaultZone, Target: "us-east1-a", For: 2 * time.Second},
		{At: time.Second, Kind: FaultZone, Target: "us-east1-b", For: 2 * time.Second},
	}, pairs[9].faults(s.Cluster(), time.Second, 2*time.Second))
	assert.Equal(t, []Fault{{At: time.Second, Kind: FaultRegion, Target: "europe-west1", For: 2 * time.Second}},
		pairs[20].faults(s.Cluster(), time.Second, 2*time.Second))

	all := SweepFaults(s, DefaultSweepKinds)
	require.Len(t, all, 9+3+9+3)
	assert.Equal(t, SweepFault{Name: "node n1", Kind: "node", Targets: []string{"n1"}}, all[12])
	assert.Equal(t, []Fault{{At: time.Second, Kind: FaultNode, Target: "n1", For: 2 * time.Second}},
		all[12].faults(s.Cluster(), time.Second, 2*time.Second))
	assert.Equal(t, SweepFault{Name: "partition us-west1", Kind: "partition", Targets: []string{"us-west1"}}, all[22])
	assert.Equal(t, []Fault{{At: time.Second, Kind: FaultPartition, For: 2 * time.Second,
		Between: [][]string{{"us-west1"}, {"us-east1", "europe-west1"}}}},
		all[22].faults(s.Cluster(), time.Second, 2*time.Second))
}

func TestSweepOptions(t *testing.T) {
	s, err := Load("default") // 60 s after 10 s of warmup
	require.NoError(t, err)
	o := DefaultSweepOptions(s)
	// The fault at 10 s + 20 % of 60 s, for 2 minutes, then 30 s of
	// recovery: the runs measure 22 + 120 + 30 − 10 = 162 s.
	assert.Equal(t, SweepOptions{Seeds: 3, FaultAt: 22 * time.Second, FaultFor: 2 * time.Minute,
		Duration: 162 * time.Second, Kinds: DefaultSweepKinds}, o)
	require.NoError(t, o.Validate(s))
	o.Duration, o.FaultFor = 0, 30*time.Second // the scenario's 60 s
	require.NoError(t, o.Validate(s))
	for _, tt := range []struct {
		mod  func(*SweepOptions)
		want string
	}{
		{func(o *SweepOptions) { o.Seeds = 0 }, "sweep.seeds: 0 is out of range [1, 10000]"},
		{func(o *SweepOptions) { o.FaultAt = -time.Second }, "sweep.fault_at: -1s (want >= 0)"},
		{func(o *SweepOptions) { o.FaultFor = -time.Second }, "sweep.fault_for: -1s (want > 0)"},
		{func(o *SweepOptions) { o.FaultAt = 71 * time.Second }, "sweep.fault_at: 1m11s is after the end of the run"},
		{func(o *SweepOptions) { o.FaultFor = time.Minute }, "sweep.fault_for: 1m0s from 22s ends after the run (warmup 10s + duration 1m0s)"},
		{func(o *SweepOptions) { o.FaultFor = time.Minute; o.Duration = 71 * time.Second }, "sweep.fault_for: 1m0s from 22s ends after the run (warmup 10s + duration 1m11s)"},
		{func(o *SweepOptions) { o.Kinds = nil }, "sweep.kinds: none"},
		{func(o *SweepOptions) { o.Kinds = []string{"zone", "moon"} }, `sweep.kinds: unknown kind "moon"`},
		{func(o *SweepOptions) { o.SurviveWithin = -time.Second }, "sweep.survive_within: -1s"},
	} {
		bad := o
		tt.mod(&bad)
		err := bad.Validate(s)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.ErrorContains(t, err, tt.want)
		_, err = Sweep(s, bad)
		assert.ErrorContains(t, err, tt.want)
	}
}

func TestSweepSurvivals(t *testing.T) {
	s, err := Load("default")
	require.NoError(t, err)
	goals, variants, skipped, err := sweepSurvivals(s)
	require.NoError(t, err)
	assert.Equal(t, []string{"zone", "region"}, goals)
	assert.Empty(t, skipped)
	assert.Equal(t, "region", string(variants[1].Database.Survival))

	two, err := Parse([]byte(`
topology: {rtt: crdb-demo, regions: [us-east1, us-west1]}
tables: [{name: t, locality: regional-by-table}]
workload: [{region: us-east1, rate: 1, table: t}]
`), "two.yaml")
	require.NoError(t, err)
	goals, _, skipped, err = sweepSurvivals(two)
	require.NoError(t, err)
	assert.Equal(t, []string{"zone"}, goals)
	require.Len(t, skipped, 1)
	assert.Contains(t, skipped[0], "region survival: ")
	assert.Contains(t, skipped[0], "3")

	none, err := Parse([]byte(`
tables: [{name: t, locality: none}]
workload: [{region: us-east1, rate: 1, table: t}]
`), "none.yaml")
	require.NoError(t, err)
	goals, _, skipped, err = sweepSurvivals(none)
	require.NoError(t, err)
	assert.Equal(t, []string{"none"}, goals)
	assert.Contains(t, skipped[0], "no multi-region SQL")
}

// TestSweepRuns sweeps a small scenario (2 AZs of 2 nodes per region) for
// real: 6 AZs, 3 regions and 3 region partitions under ZONE and REGION
// survival, 2 seeds each, plus the baselines.
func TestSweepRuns(t *testing.T) {
	s, err := Parse([]byte(`
name: small
duration: 30s
warmup: 5s
topology: {rtt: crdb-demo, zones_per_region: 2, nodes_per_zone: 2}
database: {primary_region: us-east1}
tables:
  - {name: kv, locality: regional-by-table, ranges: 3}
workload:
  - {region: us-west1, rate: 40, table: kv, mix: {read: 0.5, write: 0.5}}
faults:
  - {at: 10s, kind: node, target: n5, for: 1s}
`), "small.yaml")
	require.NoError(t, err)
	opts := DefaultSweepOptions(s)
	opts.Seeds = 2
	opts.FaultFor = 40 * time.Second
	opts.Duration = opts.MinDuration(s)
	opts.Kinds = []string{SweepZone, SweepRegion, SweepPartition}
	const runs = (6+3+3)*2*2 + 2*2
	var calls int
	opts.Progress = func(done, total int) {
		calls++
		assert.Equal(t, runs, total)
	}
	res, err := Sweep(s, opts)
	require.NoError(t, err)
	assert.Equal(t, runs, calls)
	assert.Equal(t, []uint64{1, 2}, res.Seeds)
	assert.Equal(t, 11.0, res.FaultAtS) // 5 s + 20 % of 30 s
	assert.Equal(t, 40.0, res.FaultForS)
	assert.Equal(t, 11+20.0, res.AfterS)
	assert.Equal(t, 11+40+30-5.0, res.DurationS)
	assert.Equal(t, 15.0, res.SurviveWithinS)
	assert.Equal(t, 1, res.ReplacedFaults)
	assert.Equal(t, []string{"zone", "region"}, res.Survivals)
	require.Len(t, res.Baselines, 2)
	assert.Equal(t, "region", res.Baselines[1].Survival)
	require.Len(t, res.Baselines[0].Stats, 2)
	assert.Equal(t, "read", res.Baselines[0].Stats[0].Op)
	assert.Positive(t, res.Baselines[0].Stats[0].Count)
	require.Len(t, res.Cases, 12*2)

	find := func(fault, survival string) SweepCase {
		for _, c := range res.Cases {
			if c.Name == fault && c.Survival == survival {
				return c
			}
		}
		t.Fatalf("no case %s / %s", fault, survival)
		return SweepCase{}
	}
	for _, c := range res.Cases {
		assert.Equal(t, 2, c.Runs, c.Name)
		require.Len(t, c.Clients, 2, c.Name)
		assert.Equal(t, "us-west1", c.Clients[0].ClientRegion)
	}
	// Losing the home region under ZONE survival: kv has no voter left
	// for the whole outage; the clients in us-west1 wait all along.
	zr := find("region us-east1", "zone")
	assert.False(t, zr.Survived())
	assert.Equal(t, []string{"kv@us-west1"}, zr.Failed)
	assert.GreaterOrEqual(t, zr.Unavailable.Min, 40.0, "the whole outage")
	assert.Less(t, zr.Unavailable.Max, 50.0, "and a little recovery")
	require.NotNil(t, zr.Worst)
	// REGION survival: one failover window (reference §6.2, 24.3 epoch
	// leases: at most about 7.2 s plus retries).
	rr := find("region us-east1", "region")
	assert.True(t, rr.Survived())
	assert.Greater(t, rr.Unavailable.Min, 2.0)
	assert.Less(t, rr.Unavailable.Max, 12.0)
	// Cutting the home region off: under ZONE the quorum is on the far
	// side of the cut from the clients; under REGION the lease moves to
	// the majority side.
	zp, rp := find("partition us-east1", "zone"), find("partition us-east1", "region")
	assert.False(t, zp.Survived())
	assert.True(t, rp.Survived())
	// An AZ outage elsewhere does not touch kv.
	other := find("zone europe-west1-a", "zone")
	assert.Zero(t, other.Unavailable.Max)
	assert.True(t, other.Survived())
	assert.Nil(t, other.Worst)
	w := other.Clients[1]
	assert.Equal(t, "write", w.Op)
	assert.Positive(t, w.After.Count)
	assert.InDelta(t, 66+2, w.After.P50Ms, 8, "us-west1 to us-east1 and an in-region quorum")

	// Deterministic and independent of parallelism.
	opts.Progress = nil
	opts.Parallelism = 1
	again, err := Sweep(s, opts)
	require.NoError(t, err)
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(again)
	assert.JSONEq(t, string(a), string(b))
}
