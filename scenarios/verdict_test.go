package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verdictSweep is a hand-built sweep of two faults under both goals with
// two tables: the home region's outage leaves accounts' clients in every
// region stalled under ZONE and none under REGION; a partition of
// us-west1 leaves its own clients stalled under both goals; an AZ outage
// is survived by both.
func verdictSweep() *SweepResult {
	cl := func(table, op, region string, unavail float64, survived int) SweepClient {
		return SweepClient{Table: table, Locality: "regional-by-table", Op: op, ClientRegion: region,
			Runs: 2, SurvivedRuns: survived, Unavailable: Spread{Max: unavail}}
	}
	st := func(table, op, region string, p50, p99 float64) Stat {
		return Stat{Table: table, Op: op, ClientRegion: region, Locality: "regional-by-table", Count: 100, P50Ms: p50, P99Ms: p99}
	}
	az := SweepFault{Name: "zone us-east1-a", Kind: SweepZone}
	home := SweepFault{Name: "region us-east1", Kind: SweepRegion}
	cut := SweepFault{Name: "partition us-west1", Kind: SweepPartition}
	return &SweepResult{SurviveWithinS: 15, Survivals: []string{"zone", "region"},
		Baselines: []SweepBaseline{
			{Survival: "zone", Stats: []Stat{st("accounts", "read", "us-east1", 1, 2), st("accounts", "write", "us-west1", 70, 75), st("audit", "write", "us-east1", 3, 5)}},
			{Survival: "region", Stats: []Stat{st("accounts", "read", "us-east1", 1.1, 2.5), st("accounts", "write", "us-west1", 135, 140), st("audit", "write", "us-east1", 68, 72)}},
		},
		Cases: []SweepCase{
			{SweepFault: az, Survival: "zone", Clients: []SweepClient{cl("accounts", "read", "us-east1", 5, 2), cl("audit", "write", "us-east1", 4, 2)}},
			{SweepFault: az, Survival: "region", Clients: []SweepClient{cl("accounts", "read", "us-east1", 6, 2), cl("audit", "write", "us-east1", 5, 2)}},
			{SweepFault: home, Survival: "zone", Clients: []SweepClient{
				cl("accounts", "read", "us-east1", 121, 0), cl("accounts", "write", "us-west1", 122, 0), cl("audit", "write", "us-east1", 121, 0)}},
			{SweepFault: home, Survival: "region", Clients: []SweepClient{
				cl("accounts", "read", "us-east1", 121, 0), cl("accounts", "write", "us-west1", 7, 2), cl("audit", "write", "us-east1", 120, 0)}},
			{SweepFault: cut, Survival: "zone", Clients: []SweepClient{cl("accounts", "write", "us-west1", 120, 0)}},
			{SweepFault: cut, Survival: "region", Clients: []SweepClient{cl("accounts", "write", "us-west1", 121, 0)}},
		},
	}
}

func TestSweepVerdict(t *testing.T) {
	v, ok := SweepVerdict(verdictSweep())
	require.True(t, ok)
	assert.Equal(t, 15.0, v.SurviveWithinS)
	assert.Equal(t, 3, v.Faults)
	require.Len(t, v.Tables, 2)
	acc := v.Tables[0]
	assert.Equal(t, "accounts", acc.Table)
	// Cost: REGION minus ZONE per op and client region, from the
	// baselines.
	require.Len(t, acc.Cost, 2)
	assert.Equal(t, LatencyCost{Op: "write", ClientRegion: "us-west1", ZoneP50Ms: 70, RegionP50Ms: 135, DeltaP50Ms: 65,
		ZoneP99Ms: 75, RegionP99Ms: 140, DeltaP99Ms: 65}, acc.Cost[1])
	// The home region's outage: ZONE fails us-east1 and us-west1, REGION
	// only us-east1 (whose gateways are down): REGION buys us-west1.
	require.Len(t, acc.Buys, 1)
	assert.Equal(t, FaultGain{Fault: "region us-east1", ZoneFailed: []string{"us-east1", "us-west1"}, RegionFailed: []string{"us-east1"},
		ZoneUnavailableS: 122, RegionUnavailableS: 121, SavedS: 1}, acc.Buys[0])
	// The partition fails the cut-off region's clients under both.
	require.Len(t, acc.Neither, 1)
	assert.Equal(t, "partition us-west1", acc.Neither[0].Fault)
	assert.Empty(t, acc.Loses)
	// audit's clients all live in us-east1: the region's outage fails
	// them under both goals.
	audit := v.Tables[1]
	assert.Empty(t, audit.Buys)
	require.Len(t, audit.Neither, 1)
	assert.Equal(t, []string{"us-east1"}, audit.Neither[0].RegionFailed)
	assert.InDelta(t, 65, audit.Cost[0].DeltaP50Ms, 1e-9)

	assert.Contains(t, v.Summary, "Of 3 faults, 2 left some client of some table without service for more than 15 s under ZONE survival and 2 under REGION survival.")
	assert.Contains(t, v.Summary, "accounts (regional-by-table): REGION keeps more of its client regions served than ZONE through 1 fault (region us-east1: under ZONE clients in us-east1, us-west1 stalled for up to 122.0 s; under REGION clients in us-east1 stalled for up to 121.0 s)")
	assert.Contains(t, v.Summary, "writes +65.0 ms at p50 (70.0 to 135.0 ms) and +65.0 ms at p99 from us-west1")
	assert.Contains(t, v.Summary, "audit (regional-by-table): REGION keeps no more of its client regions served than ZONE through any fault; 1 fault leaves some client region unserved under both")

	// A sweep of one goal has no verdict.
	one := verdictSweep()
	one.Survivals = []string{"zone"}
	_, ok = SweepVerdict(one)
	assert.False(t, ok)
}

func TestComparisonVerdict(t *testing.T) {
	im := func(fault, table, region string, unavail float64) ClientImpact {
		return ClientImpact{Fault: fault, Table: table, Op: "write", ClientRegion: region, UnavailableS: unavail}
	}
	faults := []FaultWindow{{Name: "region r1 at 10s"}}
	zone := Result{Survival: "zone", Faults: faults,
		Stats: []Stat{{Table: "t", Op: "write", ClientRegion: "r2", Count: 10, P50Ms: 2, P99Ms: 9000,
			PreFault: &LatencySummary{Count: 4, P50Ms: 2, P99Ms: 3}}},
		Impact: []ClientImpact{im("region r1 at 10s", "t", "r2", 60)}}
	region := Result{Survival: "region", Faults: faults,
		Stats:  []Stat{{Table: "t", Op: "write", ClientRegion: "r2", Count: 10, P50Ms: 40, P99Ms: 45}},
		Impact: []ClientImpact{im("region r1 at 10s", "t", "r2", 6)}}
	v, ok := ComparisonVerdict(&Comparison{Runs: []Result{zone, region}}, 0)
	require.True(t, ok)
	require.Len(t, v.Tables, 1)
	assert.Equal(t, []FaultGain{{Fault: "region r1 at 10s", ZoneFailed: []string{"r2"}, RegionFailed: []string{},
		ZoneUnavailableS: 60, RegionUnavailableS: 6, SavedS: 54}}, v.Tables[0].Buys)
	assert.InDelta(t, 38, v.Tables[0].Cost[0].DeltaP50Ms, 1e-9)
	// ZONE's p99 before the fault (3 ms), not the whole run's (9 s);
	// REGION's run has no pre-fault figures: its whole run (45 ms).
	assert.InDelta(t, 42, v.Tables[0].Cost[0].DeltaP99Ms, 1e-9)
	// A stricter bound: REGION's 6 s stall fails too.
	v, _ = ComparisonVerdict(&Comparison{Runs: []Result{zone, region}}, 5*time.Second)
	assert.Empty(t, v.Tables[0].Buys)
	assert.Len(t, v.Tables[0].Neither, 1)
	// Without faults, or without both goals, no verdict.
	zone.Faults = nil
	_, ok = ComparisonVerdict(&Comparison{Runs: []Result{zone, region}}, 0)
	assert.False(t, ok)
	_, ok = ComparisonVerdict(&Comparison{Runs: []Result{region}}, 0)
	assert.False(t, ok)
}
