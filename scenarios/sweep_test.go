package scenarios

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sweepRun is a hand-built run of one swept AZ pair (two faults from 40 s
// to 100 s, after failover from 70 s): users' longest range outage lasts
// usersDown seconds, settings' settingsDown, with userErrs failed user
// requests and one after-failover write interval of users.
func sweepRun(seed uint64, usersDown, settingsDown float64, userErrs uint64, writeP50, writeP99 float64, writes uint64) *Result {
	r := &Result{
		Scenario: "hand", Seed: seed, Survival: "zone", TimelineSeconds: 1,
		Tables: []TableInfo{
			{Name: "users", Locality: "regional-by-row", Ranges: 6},
			{Name: "settings", Locality: "global", Ranges: 2},
		},
		Faults: []FaultWindow{
			{Name: "zone a at 40s", StartS: 40, EndS: 100},
			{Name: "zone b at 40s", StartS: 40, EndS: 100},
		},
		Stats: []Stat{
			{Table: "users", Locality: "regional-by-row", Op: "write", Count: 500, Errors: userErrs},
			{Table: "settings", Locality: "global", Op: "read", Count: 500},
		},
		Timeline: []TimelinePoint{
			{TS: 41, Table: "users", Op: "write", Count: 7, Errors: userErrs, P50Ms: 3000, P99Ms: 9000},
			{TS: 80, Table: "users", Op: "write", Count: writes, P50Ms: writeP50, P99Ms: writeP99},
		},
	}
	if usersDown > 0 {
		// Split over both faults: the range's outages add up.
		r.Unavailability = append(r.Unavailability,
			Unavailability{Fault: "zone a at 40s", Table: "users", Range: 0, StartS: 40, EndS: 40 + usersDown/2},
			Unavailability{Fault: "zone b at 40s", Table: "users", Range: 0, StartS: 50, EndS: 50 + usersDown/2},
			Unavailability{Fault: "zone b at 40s", Table: "users", Range: 3, StartS: 40, EndS: 41})
	}
	if settingsDown > 0 {
		r.Unavailability = append(r.Unavailability,
			Unavailability{Fault: "zone a at 40s", Table: "settings", Range: 1, StartS: 40, EndS: 40 + settingsDown})
	}
	return r
}

func TestAggregateSweep(t *testing.T) {
	f := SweepFault{Name: "zones a + b", Kind: "zone-pair", Targets: []string{"a", "b"}}
	runs := []*Result{
		sweepRun(1, 6, 0, 0, 4, 8, 10),
		sweepRun(2, 4, 2, 5, 70, 90, 30),
		sweepRun(3, 10, 0, 0, 5, 9, 15),
	}
	got := AggregateSweep(f, "zone", runs)
	assert.Equal(t, f, got.SweepFault)
	assert.Equal(t, "zone", got.Survival)
	assert.Equal(t, 3, got.Runs)
	assert.Equal(t, 2, got.SurvivedRuns, "run 2 had failed requests")
	assert.False(t, got.Survived())
	// Longest per run: 6, 4, 10 (users beats settings each time).
	assertSpread(t, Spread{Min: 4, Mean: 20.0 / 3, P99: 6 + 0.98*4, Max: 10}, got.Unavailable)
	require.Len(t, got.Localities, 2)

	users := got.Localities[0]
	assert.Equal(t, "regional-by-row", users.Locality)
	assert.Equal(t, []string{"users"}, users.Tables)
	assert.Equal(t, 6, users.Ranges)
	assert.Equal(t, 3, users.Runs)
	assert.Equal(t, 2, users.SurvivedRuns)
	assert.Equal(t, uint64(3*500), users.Requests, "whole runs, from Stats")
	assert.Equal(t, uint64(5), users.Errors)
	assert.Equal(t, 2, users.RangesUnavailable)
	assertSpread(t, Spread{Min: 4, Mean: 20.0 / 3, P99: 6 + 0.98*4, Max: 10}, users.Unavailable)
	// Pooled intervals: 10 writes at 4 ms, 15 at 5 ms, 30 at 70 ms: the
	// 28th of 55 is at 70 ms; p99s 8, 9, 90 likewise 90.
	assert.Equal(t, uint64(55), users.WriteCount)
	assert.Equal(t, 70.0, users.WriteP50Ms)
	assert.Equal(t, 90.0, users.WriteP99Ms)

	settings := got.Localities[1]
	assert.Equal(t, "global", settings.Locality)
	assert.True(t, settings.Survived())
	assert.Equal(t, 1, settings.RangesUnavailable)
	assertSpread(t, Spread{Min: 0, Mean: 2.0 / 3, P99: 0 + 0.98*2, Max: 2}, settings.Unavailable)
	assert.Zero(t, settings.WriteCount)

	// No runs, and runs without faults.
	empty := AggregateSweep(f, "zone", nil)
	assert.Equal(t, Spread{}, empty.Unavailable)
	assert.Empty(t, empty.Localities)
	calm := sweepRun(1, 0, 0, 0, 4, 8, 10)
	calm.Faults = nil
	c := AggregateSweep(f, "zone", []*Result{calm})
	assert.True(t, c.Survived())
	assert.Zero(t, c.Unavailable.Max)
	assert.Zero(t, c.Localities[0].WriteCount, "no fault window")
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
	single := SweepFaults(s, false)
	require.Len(t, single, 9+3)
	assert.Equal(t, SweepFault{Name: "zone us-east1-a", Kind: "zone", Targets: []string{"us-east1-a"}}, single[0])
	assert.Equal(t, SweepFault{Name: "region europe-west1", Kind: "region", Targets: []string{"europe-west1"}}, single[11])
	pairs := SweepFaults(s, true)
	require.Len(t, pairs, 9+9+3)
	assert.Equal(t, SweepFault{Name: "zones us-east1-a + us-east1-b", Kind: "zone-pair", Targets: []string{"us-east1-a", "us-east1-b"}}, pairs[9])
	assert.Equal(t, "zones europe-west1-b + europe-west1-c", pairs[17].Name)
	assert.Equal(t, []Fault{
		{At: time.Second, Kind: FaultZone, Target: "us-east1-a", For: 2 * time.Second},
		{At: time.Second, Kind: FaultZone, Target: "us-east1-b", For: 2 * time.Second},
	}, pairs[9].faults(time.Second, 2*time.Second))
	assert.Equal(t, []Fault{{At: time.Second, Kind: FaultRegion, Target: "europe-west1", For: 2 * time.Second}},
		pairs[20].faults(time.Second, 2*time.Second))
}

func TestSweepOptions(t *testing.T) {
	s, err := Load("default") // 60 s after 10 s of warmup
	require.NoError(t, err)
	o := DefaultSweepOptions(s)
	assert.Equal(t, SweepOptions{Seeds: 3, FaultAt: 22 * time.Second, FaultFor: 30 * time.Second}, o)
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

// TestSweepRuns sweeps a small scenario (2 AZs of 2 nodes per region) for real: 6 AZs
// and 3 regions under ZONE and REGION survival, 2 seeds each.
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
	var calls int
	opts.Progress = func(done, total int) {
		calls++
		assert.Equal(t, (6+3)*2*2, total)
	}
	res, err := Sweep(s, opts)
	require.NoError(t, err)
	assert.Equal(t, (6+3)*2*2, calls)
	assert.Equal(t, []uint64{1, 2}, res.Seeds)
	assert.Equal(t, 11.0, res.FaultAtS) // 5 s + 20 % of 30 s
	assert.Equal(t, 15.0, res.FaultForS)
	assert.Equal(t, 11+7.5, res.AfterS)
	assert.Equal(t, 1, res.ReplacedFaults)
	assert.Equal(t, []string{"zone", "region"}, res.Survivals)
	require.Len(t, res.Cases, 9*2)

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
		require.Len(t, c.Localities, 1)
		assert.Equal(t, "regional-by-table", c.Localities[0].Locality)
	}
	// Losing the home region under ZONE survival: kv has no voter left
	// for the whole outage.
	zr := find("region us-east1", "zone")
	assert.InDelta(t, 15, zr.Unavailable.Min, 3, "the whole 15 s outage (and a little recovery)")
	// REGION survival: one failover window (reference §6.2, 24.3 epoch
	// leases: at most about 7.2 s plus retries).
	rr := find("region us-east1", "region")
	assert.Greater(t, rr.Unavailable.Min, 2.0)
	assert.Less(t, rr.Unavailable.Max, 12.0)
	// An AZ outage elsewhere does not touch kv.
	other := find("zone europe-west1-a", "zone")
	assert.Zero(t, other.Unavailable.Max)
	assert.True(t, other.Survived())
	assert.Positive(t, other.Localities[0].WriteCount)
	assert.InDelta(t, 66+2, other.Localities[0].WriteP50Ms, 8, "us-west1 to us-east1 and an in-region quorum")

	// Deterministic and independent of parallelism.
	opts.Progress = nil
	opts.Parallelism = 1
	again, err := Sweep(s, opts)
	require.NoError(t, err)
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(again)
	assert.JSONEq(t, string(a), string(b))
}
