package scenarios_test

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/scenarios"
)

// Name a fault as results show it.
func ExampleFault_Name() {
	f := scenarios.Fault{At: 8 * time.Minute, Kind: scenarios.FaultPartition, For: 30 * time.Second,
		Between: [][]string{{"us-east1"}, {"us-west1", "europe-west1"}}}
	fmt.Println(f.Name())
	// Output:
	// partition [us-east1] | [us-west1 europe-west1] at 8m
}

// Measure what a region outage did to each table locality of a run.
func ExampleResult_FaultImpacts() {
	r := &scenarios.Result{
		TimelineSeconds: 1,
		Tables: []scenarios.TableInfo{
			{Name: "accounts", Locality: "regional-by-table", Ranges: 10},
			{Name: "promo_codes", Locality: "global", Ranges: 3},
		},
		Faults: []scenarios.FaultWindow{{Name: "region us-east1 at 1m", StartS: 60, EndS: 180}},
		Unavailability: []scenarios.Unavailability{
			{Fault: "region us-east1 at 1m", Table: "accounts", Range: 2, StartS: 60, EndS: 65.5},
			{Fault: "region us-east1 at 1m", Table: "accounts", Range: 7, StartS: 60, EndS: 66},
		},
		Timeline: []scenarios.TimelinePoint{
			{TS: 100, Table: "accounts", Op: "write", ClientRegion: "us-west1", Count: 30, P50Ms: 132, P99Ms: 140},
			{TS: 101, Table: "accounts", Op: "write", ClientRegion: "us-west1", Count: 10, P50Ms: 150, P99Ms: 160},
		},
	}
	for _, im := range r.FaultImpacts() {
		fmt.Printf("%s %s: %d/%d ranges down, longest %.1f s; writes after %.0f s: p50 %.0f ms\n",
			im.Fault, im.Locality, im.RangesUnavailable, im.Ranges, im.MaxUnavailableS, im.AfterS, im.WriteP50Ms)
	}
	// Output:
	// region us-east1 at 1m regional-by-table: 2/10 ranges down, longest 6.0 s; writes after 90 s: p50 132 ms
	// region us-east1 at 1m global: 0/3 ranges down, longest 0.0 s; writes after 90 s: p50 0 ms
}
