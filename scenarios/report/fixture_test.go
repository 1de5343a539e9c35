package report_test

import "github.com/regionsim/regionsim/scenarios"

// fixtureScenario is the scenario the hand-built results below stand for
// (close enough: results are built by hand), resolved as a run records it.
func fixtureScenario() *scenarios.Scenario {
	s, err := scenarios.Parse([]byte(`
name: users-region-survival
seed: 7
duration: 10m
warmup: 30s
database: {primary_region: us-east1, survival: zone}
tables:
  - {name: users, locality: regional-by-row, ranges: 6}
  - {name: settings, locality: global, ranges: 2}
workload:
  - {region: us-west1, rate: 100, table: users, mix: {read: 0.9, write: 0.1}}
faults:
  - {at: 2m, kind: zone, target: us-east1-b, for: 3m}
  - {at: 6m, kind: region, target: us-east1, for: 2m}
`), "fixture.yaml")
	if err != nil {
		panic(err)
	}
	return s.Resolved()
}

// stat builds a Stat; latencies in ms.
func stat(table, locality, op, client string, count, errs uint64, mean, p50, p90, p99, p999, maxMs float64) scenarios.Stat {
	st := scenarios.Stat{
		Table: table, Locality: locality, Op: op, ClientRegion: client,
		Count: count, Errors: errs,
		MeanMs: mean, P50Ms: p50, P90Ms: p90, P99Ms: p99, P999Ms: p999, MaxMs: maxMs,
	}
	switch {
	case count == errs: // nothing succeeded
	case errs > 0: // the slowest requests failed
		st.MaxOKMs = p999
	default:
		st.MaxOKMs = maxMs
	}
	return st
}

// expected sets the closed form's figures of st (ms).
func expected(st scenarios.Stat, exp, lo, hi float64, departs bool) scenarios.Stat {
	st.ExpectedMs, st.ExpectedLowMs, st.ExpectedHighMs, st.Departs = exp, lo, hi, departs
	return st
}

// withStaleness returns st with staleness z (stale and bounded reads).
func withStaleness(st scenarios.Stat, z scenarios.Staleness) scenarios.Stat {
	st.Staleness = &z
	return st
}

// withContention returns st with latch waits c (keyed workloads).
func withContention(st scenarios.Stat, c scenarios.Contention) scenarios.Stat {
	st.Contention = &c
	return st
}

// withApp returns st with the application latency of an app tier in
// region, rttMs from its clients: st's figures plus rttMs.
func withApp(st scenarios.Stat, region string, rttMs float64) scenarios.Stat {
	st.App = &scenarios.AppLatency{Region: region, ClientRTTMs: rttMs,
		MeanMs: st.MeanMs + rttMs, P50Ms: st.P50Ms + rttMs, P90Ms: st.P90Ms + rttMs,
		P99Ms: st.P99Ms + rttMs, P999Ms: st.P999Ms + rttMs, MaxMs: st.MaxMs + rttMs}
	return st
}

// zoneResult is a hand-built ZONE-survival run of a three-region cluster
// with a regional-by-row users table and a global settings table, one
// zone and one region outage, lease moves and a short timeline.
func zoneResult() *scenarios.Result {
	return &scenarios.Result{
		Scenario: "users-region-survival", Seed: 7, Survival: "zone", CRDBVersion: "24.3",
		Resolved: fixtureScenario(),
		Regions:  []string{"us-east1", "us-west1"},
		RTTMs:    [][]float64{{1, 66}, {66, 1}},
		NodeLoad: []scenarios.NodeLoad{
			{Node: "n1", Region: "us-east1", Zone: "us-east1-a", VCPUs: 8, CPUUtilMean: 0.62, CPUUtilPeak: 1, DiskUtilMean: 0.3, DiskUtilPeak: 0.41,
				QueueMean: 2.5, QueuePeak: 40, TimedOut: 12, AppendsPerSync: 1.8, Saturated: true},
			{Node: "n2", Region: "us-west1", Zone: "us-west1-a", VCPUs: 8, CPUUtilMean: 0.2, CPUUtilPeak: 0.25, DiskUtilMean: 0.1, DiskUtilPeak: 0.12,
				AppendsPerSync: 1.1},
		},
		RegionLoad: []scenarios.RegionLoad{
			{Region: "us-east1", Nodes: 1, CPUUtilMean: 0.62, CPUUtilPeak: 1, DiskUtilMean: 0.3, DiskUtilPeak: 0.41, TimedOut: 12, Saturated: 1},
			{Region: "us-west1", Nodes: 1, CPUUtilMean: 0.2, CPUUtilPeak: 0.25, DiskUtilMean: 0.1, DiskUtilPeak: 0.12},
		},
		LoadTimeline: []scenarios.LoadPoint{
			{TS: 0, Node: "n1", CPUUtil: 0.5, DiskUtil: 0.3, Queue: 0.1},
			{TS: 0, Node: "n2", CPUUtil: 0.2, DiskUtil: 0.1},
			{TS: 1, Node: "n1", CPUUtil: 1, DiskUtil: 0.41, Queue: 40, TimedOut: 12},
			{TS: 1, Node: "n2", CPUUtil: 0.25, DiskUtil: 0.12},
		},
		LoadIntervalSeconds: 1,
		Faults: []scenarios.FaultWindow{
			{Name: "zone us-east1-b at 2m", StartS: 120, EndS: 300},
			{Name: "region us-east1 at 6m", StartS: 360, EndS: 480},
		},
		Tables: []scenarios.TableInfo{
			{Name: "users", Locality: "regional-by-row", Ranges: 6},
			{Name: "settings", Locality: "global", Ranges: 2},
		},
		LeaseShare:     []scenarios.LeaseSharePoint{{TS: 0, Table: "users", Region: "us-east1", Share: 1}},
		LeaseTransfers: []scenarios.LeaseTransferStat{{Table: "users", Ranges: 2, Transfers: 4, PerRangePerHour: 12}},
		Replacements:   []scenarios.Replacement{},
		Impact:         []scenarios.ClientImpact{},
		Verdicts:       []scenarios.FaultVerdict{},
		RTT:            "crdb-demo", MaxOffsetMs: 500, WarmupSeconds: 30, SimulatedSeconds: 600,
		Events: 123456789, Requests: 95000, WallSeconds: 1.9,
		Stats: []scenarios.Stat{
			stat("settings", "global", "read", "europe-west1", 1000, 0, 1.234, 1.1, 1.4, 2.0, 3.1, 4.0),
			stat("settings", "global", "read", "us-east1", 2000, 0, 1.2, 1.1, 1.35, 1.9, 2.95, 3.5),
			stat("settings", "global", "write", "us-east1", 100, 0, 812.25, 801.5, 830.125, 905.0, 990.0, 1012.75),
			withStaleness(stat("settings", "global", "bounded_read", "us-west1", 200, 0, 1.5, 1.4, 1.6, 1.9, 2.2, 2.3),
				scenarios.Staleness{Reads: 200, P50S: 0, P99S: 0.25, MaxS: 0.75}),
			stat("users", "regional-by-row", "read", "europe-west1", 5000, 0, 9.996, 1.05, 88.4, 89.9, 91.2, 93.0),
			stat("users", "regional-by-row", "read", "us-east1", 40000, 12, 1.3, 1.1, 1.4, 2.0, 3.1, 6120.4),
			withApp(stat("users", "regional-by-row", "read", "us-west1", 10000, 0, 7.5, 1.2, 65.3, 66.0, 68.25, 70.0), "us-east1", 30),
			stat("users", "regional-by-row", "write", "europe-west1", 0, 0, 0, 0, 0, 0, 0, 0),
			withContention(expected(stat("users", "regional-by-row", "write", "us-east1", 4500, 5, 3.9, 2.0, 2.6, 4.75, 6120.0, 6120.4), 3.2, 2.2, 4.1, true),
				scenarios.Contention{Requests: 4500, Waited: 900, WaitedShare: 0.2, MeanMs: 0.27, P50Ms: 0, P99Ms: 2.91, MaxMs: 5.17}),
			expected(stat("users", "regional-by-row", "write", "us-west1", 1100, 0, 70.05, 68.0, 69.5, 71.0, 75.5, 80.0), 68.2, 67.2, 69.9, false),
		},
		Unavailability: []scenarios.Unavailability{
			{Fault: "zone us-east1-b at 2m", Table: "users", Range: 3, StartS: 120.0, EndS: 121.25,
				Phases: map[string]float64{"detect": 0.5, "lease": 0.75}},
			{Fault: "region us-east1 at 6m", Table: "users", Range: 3, StartS: 360.0, EndS: 366.2,
				Phases: map[string]float64{"detect": 3.1, "liveness": 2.0, "lease": 0.9, "queue": 0.2}},
			{Fault: "region us-east1 at 6m", Table: "users", Range: 4, StartS: 360.0, EndS: 369.5,
				Phases:     map[string]float64{"election": 1.5, "detect": 3.1, "liveness": 4.0, "lease": 0.9},
				PhaseOrder: []string{"detect", "liveness", "election", "lease"}},
			{Fault: "region us-east1 at 6m", Table: "settings", Range: 1, StartS: 360.5, EndS: 362.0,
				Phases: map[string]float64{}},
		},
		Leases: []scenarios.LeaseEvent{
			{TS: 0, Range: 3, Table: "users", Region: "us-east1", Zone: "us-east1-b", Reason: "initial"},
			{TS: 0, Range: 4, Table: "users", Region: "us-east1", Zone: "us-east1-c", Reason: "initial"},
			{TS: 0, Range: 1, Table: "settings", Region: "us-east1", Zone: "us-east1-a", Reason: "initial"},
			{TS: 121.25, Range: 3, Table: "users", Region: "us-east1", Zone: "us-east1-a", Reason: "failure"},
			{TS: 366.2, Range: 3, Table: "users", Region: "us-west1", Zone: "us-west1-a", Reason: "failure"},
			{TS: 369.5, Range: 4, Table: "users", Region: "europe-west1", Zone: "europe-west1-b", Reason: "failure"},
			{TS: 500, Range: 3, Table: "users", Region: "us-east1", Zone: "us-east1-b", Reason: "preference"},
		},
		Timeline: []scenarios.TimelinePoint{
			{TS: 360, Table: "users", Op: "write", ClientRegion: "us-west1", Count: 95, Errors: 5, P50Ms: 70.1, P99Ms: 6120.0},
			{TS: 361, Table: "users", Op: "write", ClientRegion: "us-west1", Count: 100, Errors: 0, P50Ms: 69.9, P99Ms: 72.5},
			{TS: 400, Table: "users", Op: "write", ClientRegion: "us-west1", Count: 98, Errors: 0, P50Ms: 70.5, P99Ms: 74.0},
			{TS: 401, Table: "users", Op: "read", ClientRegion: "us-west1", Count: 500, Errors: 0, P50Ms: 1.2, P99Ms: 66.0},
		},
		// The 5 writes that failed after 6.12 s completed at 366 s.
		TimelineCompleted: []scenarios.TimelinePoint{
			{TS: 360, Table: "users", Op: "write", ClientRegion: "us-west1", Count: 90, Errors: 0, P50Ms: 70.1, P99Ms: 73.0},
			{TS: 361, Table: "users", Op: "write", ClientRegion: "us-west1", Count: 100, Errors: 0, P50Ms: 69.9, P99Ms: 72.5},
			{TS: 366, Table: "users", Op: "write", ClientRegion: "us-west1", Count: 105, Errors: 5, P50Ms: 70.0, P99Ms: 6120.0},
			{TS: 400, Table: "users", Op: "write", ClientRegion: "us-west1", Count: 98, Errors: 0, P50Ms: 70.5, P99Ms: 74.0},
			{TS: 401, Table: "users", Op: "read", ClientRegion: "us-west1", Count: 500, Errors: 0, P50Ms: 1.2, P99Ms: 66.0},
		},
	}
}

// regionResult is zoneResult's scenario under REGION survival: writes pay
// a cross-region quorum, there are no outages, it has no users read from
// europe-west1 and it has a users stale_read from us-east1 that the ZONE
// run lacks.
func regionResult() *scenarios.Result {
	return &scenarios.Result{
		Scenario: "users-region-survival", Seed: 7, Survival: "region", CRDBVersion: "24.3",
		RTT: "crdb-demo", MaxOffsetMs: 500, WarmupSeconds: 30, SimulatedSeconds: 600,
		Events: 133456789, Requests: 95010, WallSeconds: 2.4,
		Stats: []scenarios.Stat{
			stat("settings", "global", "read", "europe-west1", 1000, 0, 1.3, 1.2, 1.5, 2.1, 3.3, 4.4),
			stat("settings", "global", "read", "us-east1", 2000, 0, 1.2, 1.1, 1.35, 1.9, 2.95, 3.5),
			stat("settings", "global", "write", "us-east1", 100, 0, 840.5, 830.0, 850.25, 910.0, 1001.0, 1020.0),
			withStaleness(stat("settings", "global", "bounded_read", "us-west1", 200, 0, 1.5, 1.4, 1.6, 1.9, 2.2, 2.3),
				scenarios.Staleness{Reads: 200, P50S: 0, P99S: 0.25, MaxS: 0.5}),
			stat("users", "regional-by-row", "read", "us-east1", 40000, 0, 1.3, 1.1, 1.4, 2.0, 3.1, 5.0),
			stat("users", "regional-by-row", "read", "us-west1", 10000, 0, 7.4, 1.2, 65.1, 66.0, 68.0, 69.0),
			withStaleness(stat("users", "regional-by-row", "stale_read", "us-east1", 3000, 0, 1.0, 0.9, 1.1, 1.5, 2.0, 2.5),
				scenarios.Staleness{Reads: 3000, P50S: 4.2, P99S: 4.2, MaxS: 4.2}),
			stat("users", "regional-by-row", "write", "europe-west1", 10, 0, 90.0, 89.5, 91.0, 92.0, 92.5, 93.0),
			stat("users", "regional-by-row", "write", "us-east1", 4500, 0, 67.0, 66.5, 68.0, 70.25, 75.0, 80.5),
			stat("users", "regional-by-row", "write", "us-west1", 1100, 0, 70.0, 68.0, 69.0, 71.5, 75.5, 79.0),
		},
	}
}

// comparison is the hand-built 2-run ZONE vs REGION comparison.
func comparison() *scenarios.Comparison {
	return &scenarios.Comparison{Runs: []scenarios.Result{*zoneResult(), *regionResult()}, Resolved: fixtureScenario()}
}

// sweepResult is a hand-built sweep: one AZ and one region outage under
// ZONE and REGION survival, a client of each of two tables, three seeds,
// the baselines, a note on a skipped goal, and the verdict.
func sweepResult() *scenarios.SweepResult {
	r := sweepCases()
	v, _ := scenarios.SweepVerdict(r)
	r.Verdict = &v
	return r
}

// sweepCases is sweepResult without its verdict.
func sweepCases() *scenarios.SweepResult {
	client := func(table, locality, op, region string, survived int, errs, slow uint64, u scenarios.Spread, after scenarios.LatencySummary) scenarios.SweepClient {
		return scenarios.SweepClient{
			Table: table, Locality: locality, Op: op, ClientRegion: region, Runs: 3, SurvivedRuns: survived,
			Requests: 9000, Errors: errs, Slow: slow, Unavailable: u, After: after,
		}
	}
	az := scenarios.SweepFault{Name: "zone us-east1-a", Kind: "zone", Targets: []string{"us-east1-a"}}
	region := scenarios.SweepFault{Name: "region us-east1", Kind: "region", Targets: []string{"us-east1"}}
	stat := func(table, locality, op, region string, p50, p99 float64) scenarios.Stat {
		return scenarios.Stat{Table: table, Locality: locality, Op: op, ClientRegion: region, Count: 1000, P50Ms: p50, P99Ms: p99}
	}
	return &scenarios.SweepResult{
		Scenario: "users-region-survival", CRDBVersion: "24.3", RTT: "crdb-demo", Seeds: []uint64{1, 2, 3},
		FaultAtS: 22, FaultForS: 120, AfterS: 52, WarmupS: 10, DurationS: 162, SurviveWithinS: 15,
		Kinds: []string{"zone", "region"}, Survivals: []string{"zone", "region"},
		Skipped:        []string{"nothing really: a hand-written note"},
		ReplacedFaults: 2,
		Resolved:       sweptScenario(),
		Baselines: []scenarios.SweepBaseline{
			{Survival: "zone", Stats: []scenarios.Stat{
				stat("users", "regional-by-row", "write", "us-east1", 3.09, 5.1),
				stat("settings", "global", "read", "us-west1", 1.2, 2.0),
			}},
			{Survival: "region", Stats: []scenarios.Stat{
				stat("users", "regional-by-row", "write", "us-east1", 67.3, 70.4),
				stat("settings", "global", "read", "us-west1", 1.25, 2.1),
			}},
		},
		Cases: []scenarios.SweepCase{
			{SweepFault: az, Survival: "zone", Runs: 3, SurvivedRuns: 3,
				Unavailable: scenarios.Spread{Min: 3.2, Mean: 4.6125, P99: 5.48, Max: 5.5},
				Worst:       &scenarios.SweepWorst{Table: "users", Op: "write", ClientRegion: "us-east1", Seed: 2, UnavailableS: 5.5, Range: 4},
				Failed:      []string{},
				Clients: []scenarios.SweepClient{
					client("users", "regional-by-row", "write", "us-east1", 3, 0, 40, scenarios.Spread{Min: 3.2, Mean: 4.6125, P99: 5.48, Max: 5.5}, scenarios.LatencySummary{Count: 400, P50Ms: 3.09, P99Ms: 68.7}),
					client("settings", "global", "read", "us-west1", 3, 0, 0, scenarios.Spread{}, scenarios.LatencySummary{}),
				}},
			{SweepFault: az, Survival: "region", Runs: 3, SurvivedRuns: 3,
				Unavailable: scenarios.Spread{Min: 3.4, Mean: 4.8, P99: 5.7, Max: 5.7},
				Worst:       &scenarios.SweepWorst{Table: "users", Op: "write", ClientRegion: "us-east1", Seed: 1, UnavailableS: 5.7, Range: 4},
				Failed:      []string{},
				Clients: []scenarios.SweepClient{
					client("users", "regional-by-row", "write", "us-east1", 3, 1, 45, scenarios.Spread{Min: 3.4, Mean: 4.8, P99: 5.7, Max: 5.7}, scenarios.LatencySummary{Count: 390, P50Ms: 67.3, P99Ms: 211.3}),
					client("settings", "global", "read", "us-west1", 3, 0, 3, scenarios.Spread{Min: 0, Mean: 1.1, P99: 3.3, Max: 3.3}, scenarios.LatencySummary{Count: 50, P50Ms: 1.2, P99Ms: 3.6}),
				}},
			{SweepFault: region, Survival: "zone", Runs: 3, SurvivedRuns: 0,
				Unavailable: scenarios.Spread{Min: 120.1, Mean: 120.2, P99: 120.3, Max: 120.3},
				Worst:       &scenarios.SweepWorst{Table: "users", Op: "write", ClientRegion: "us-east1", Seed: 3, UnavailableS: 120.3, Range: 0},
				Failed:      []string{"users@us-east1", "settings@us-west1"},
				Clients: []scenarios.SweepClient{
					client("users", "regional-by-row", "write", "us-east1", 0, 12, 9000, scenarios.Spread{Min: 120.1, Mean: 120.2, P99: 120.3, Max: 120.3}, scenarios.LatencySummary{Count: 300, P50Ms: 60000, P99Ms: 60000}),
					client("settings", "global", "read", "us-west1", 1, 2, 700, scenarios.Spread{Min: 3, Mean: 40, P99: 60, Max: 60}, scenarios.LatencySummary{Count: 40, P50Ms: 1.3, P99Ms: 10954.9}),
				}},
			{SweepFault: region, Survival: "region", Runs: 3, SurvivedRuns: 3,
				Unavailable: scenarios.Spread{Min: 5.5, Mean: 5.9, P99: 6.3, Max: 6.35},
				Worst:       &scenarios.SweepWorst{Table: "users", Op: "write", ClientRegion: "us-east1", Seed: 1, UnavailableS: 6.35, Range: 0},
				Failed:      []string{},
				Clients: []scenarios.SweepClient{
					client("users", "regional-by-row", "write", "us-east1", 3, 0, 90, scenarios.Spread{Min: 5.5, Mean: 5.9, P99: 6.3, Max: 6.35}, scenarios.LatencySummary{Count: 380, P50Ms: 148.4, P99Ms: 294.4}),
					client("settings", "global", "read", "us-west1", 3, 0, 20, scenarios.Spread{Min: 5.4, Mean: 5.8, P99: 6.2, Max: 6.21}, scenarios.LatencySummary{Count: 45, P50Ms: 1.3, P99Ms: 4.4}),
				}},
		},
	}
}

// sweptScenario is fixtureScenario as a sweep records it: without faults.
func sweptScenario() *scenarios.Scenario {
	s := fixtureScenario()
	s.Faults = nil
	return s
}
