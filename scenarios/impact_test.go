package scenarios

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuantile(t *testing.T) {
	assert.True(t, math.IsNaN(Quantile(nil, 0.5)))
	assert.Equal(t, 4.0, Quantile([]float64{4}, 0.99))
	v := []float64{1, 2, 3, 4, 5}
	assert.Equal(t, 1.0, Quantile(v, 0))
	assert.Equal(t, 3.0, Quantile(v, 0.5))
	assert.Equal(t, 5.0, Quantile(v, 1))
	assert.InDelta(t, 4.96, Quantile(v, 0.99), 1e-12) // h = 3.96: 4 + 0.96
	assert.InDelta(t, 1.5, Quantile([]float64{1, 2}, 0.5), 1e-12)
}

func TestWeightedMedian(t *testing.T) {
	assert.Equal(t, 0.0, weightedMedian(nil))
	assert.Equal(t, 0.0, weightedMedian([]weighted{{5, 0}}))
	// Weights 1 + 1 + 10: the heavy value is the median.
	assert.Equal(t, 7.0, weightedMedian([]weighted{{9, 1}, {7, 10}, {1, 1}}))
	// Half the weight exactly at 2: the smaller value.
	assert.Equal(t, 2.0, weightedMedian([]weighted{{3, 5}, {2, 5}}))
}

// impactResult is a hand-built run of two tables (RBR users with 6
// ranges, GLOBAL settings with 2) with one AZ fault from 100 s to 160 s
// (settle 30 s: after failover from 130 s) and one region fault from 200 s
// to 220 s (settle 10 s: from 210 s), 1 s timeline intervals.
func impactResult() *Result {
	return &Result{
		Scenario: "hand", Survival: "zone", TimelineSeconds: 1,
		Tables: []TableInfo{
			{Name: "users", Locality: "regional-by-row", Ranges: 6},
			{Name: "settings", Locality: "global", Ranges: 2},
		},
		Faults: []FaultWindow{
			{Name: "zone a at 100s", StartS: 100, EndS: 160},
			{Name: "region r at 200s", StartS: 200, EndS: 220},
		},
		Stats: []Stat{
			{Table: "users", Locality: "regional-by-row", Op: "write", ClientRegion: "r", Count: 1000, Errors: 3},
			{Table: "settings", Locality: "global", Op: "read", ClientRegion: "r", Count: 1000},
		},
		Unavailability: []Unavailability{
			{Fault: "zone a at 100s", Table: "users", Range: 1, StartS: 100, EndS: 104},
			{Fault: "zone a at 100s", Table: "users", Range: 2, StartS: 100, EndS: 106},
			{Fault: "zone a at 100s", Table: "users", Range: 1, StartS: 110, EndS: 111}, // range 1 again: 5 s in all
			{Fault: "region r at 200s", Table: "users", Range: 0, StartS: 200, EndS: 220},
			{Fault: "region r at 200s", Table: "settings", Range: 1, StartS: 200, EndS: 207},
		},
		Timeline: []TimelinePoint{
			{TS: 98, Table: "users", Op: "write", Count: 10, Errors: 0, P50Ms: 2, P99Ms: 3},       // before the fault
			{TS: 99, Table: "users", Op: "write", Count: 10, Errors: 0, P50Ms: 2, P99Ms: 3},       // in flight when it starts
			{TS: 100, Table: "users", Op: "write", Count: 10, Errors: 2, P50Ms: 900, P99Ms: 5000}, // in the fault, before failover
			{TS: 130, Table: "users", Op: "write", Count: 30, P50Ms: 4, P99Ms: 8},                 // after failover
			{TS: 131, Table: "users", Op: "write", Count: 10, P50Ms: 70, P99Ms: 90},
			{TS: 159, Table: "users", Op: "read", Count: 20, P50Ms: 1, P99Ms: 2},
			{TS: 160, Table: "users", Op: "write", Count: 99, P50Ms: 1000, P99Ms: 1000}, // after the fault
			{TS: 205, Table: "settings", Op: "read", Count: 5, Errors: 1, P50Ms: 500, P99Ms: 700},
			{TS: 212, Table: "settings", Op: "read", Count: 8, P50Ms: 1.5, P99Ms: 2.5},
		},
	}
}

func TestFaultImpacts(t *testing.T) {
	got := impactResult().FaultImpacts()
	require.Len(t, got, 4, "2 faults x 2 localities")
	zoneUsers := FaultImpact{
		Fault: "zone a at 100s", StartS: 100, EndS: 160, Locality: "regional-by-row",
		Tables: []string{"users"}, Ranges: 6, RangesUnavailable: 2,
		MaxUnavailableS: 6, P99UnavailableS: 5.99, // ranges 1 (4+1 s) and 2 (6 s): 5 + 0.99
		// Requests and errors from 99 s (one interval early) until 199 s
		// (one interval before the next fault).
		Requests: 10 + 10 + 30 + 10 + 20 + 99, Errors: 2, AfterS: 130,
		WriteCount: 40, WriteP50Ms: 4, WriteP99Ms: 8, // 30 of 40 writes in the 4 ms interval
		ReadCount: 20, ReadP50Ms: 1, ReadP99Ms: 2,
	}
	assert.InDelta(t, zoneUsers.P99UnavailableS, got[0].P99UnavailableS, 1e-9)
	got[0].P99UnavailableS = zoneUsers.P99UnavailableS
	assert.Equal(t, zoneUsers, got[0])
	assert.Equal(t, FaultImpact{
		Fault: "zone a at 100s", StartS: 100, EndS: 160, Locality: "global",
		Tables: []string{"settings"}, Ranges: 2, AfterS: 130,
	}, got[1])
	assert.Equal(t, FaultImpact{
		Fault: "region r at 200s", StartS: 200, EndS: 220, Locality: "regional-by-row",
		Tables: []string{"users"}, Ranges: 6, RangesUnavailable: 1, MaxUnavailableS: 20, P99UnavailableS: 20,
		AfterS: 210,
	}, got[2])
	assert.Equal(t, FaultImpact{
		Fault: "region r at 200s", StartS: 200, EndS: 220, Locality: "global",
		Tables: []string{"settings"}, Ranges: 2, RangesUnavailable: 1, MaxUnavailableS: 7, P99UnavailableS: 7,
		Requests: 13, Errors: 1, AfterS: 210, ReadCount: 8, ReadP50Ms: 1.5, ReadP99Ms: 2.5,
	}, got[3])

	// Both faults together over one window.
	both := impactResult().LocalityImpact([]string{"zone a at 100s", "region r at 200s"}, 100, 220, math.Inf(1))
	require.Len(t, both, 2)
	assert.Equal(t, "zone a at 100s + region r at 200s", both[0].Fault)
	assert.Equal(t, 3, both[0].RangesUnavailable)
	assert.Equal(t, 20.0, both[0].MaxUnavailableS)
	assert.Equal(t, uint64(179), both[0].Requests, "until the end of the run")
	assert.Equal(t, uint64(13), both[1].Requests)

	assert.Empty(t, (&Result{}).FaultImpacts(), "no faults, no impacts")
}

func TestLocalityGroupsWithoutTables(t *testing.T) {
	r := impactResult()
	r.Tables = nil // a result written before Result.Tables
	r.Unavailability = append(r.Unavailability, Unavailability{Fault: "zone a at 100s", Table: "ghost", StartS: 100, EndS: 101})
	got := r.FaultImpacts()
	require.Len(t, got, 6)
	assert.Equal(t, "regional-by-row", got[0].Locality)
	assert.Equal(t, 0, got[0].Ranges, "unknown without Result.Tables")
	assert.Equal(t, "global", got[1].Locality)
	assert.Equal(t, "unknown", got[2].Locality)
	assert.Equal(t, 1, got[2].RangesUnavailable)
}
