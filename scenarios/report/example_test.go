package report_test

import (
	"fmt"
	"os"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
)

func ExampleWriteResult() {
	r := &scenarios.Result{
		Scenario: "demo", Seed: 1, Survival: "zone", CRDBVersion: "24.3", RTT: "crdb-demo",
		MaxOffsetMs: 500, WarmupSeconds: 30, SimulatedSeconds: 60, Events: 812345, Requests: 30000,
		WallSeconds: 0.4, // never in table output
		Stats: []scenarios.Stat{
			{Table: "users", Locality: "regional-by-table", Op: "read", ClientRegion: "us-east1",
				Count: 27000, MeanMs: 1.21, P50Ms: 1.1, P90Ms: 1.4, P99Ms: 2, P999Ms: 3.1, MaxMs: 4,
				ExpectedMs: 1.2, ExpectedLowMs: 0.9, ExpectedHighMs: 1.6},
			{Table: "users", Locality: "regional-by-table", Op: "read", ClientRegion: "us-west1",
				Count: 3000, MeanMs: 66.2, P50Ms: 66.1, P90Ms: 66.9, P99Ms: 68.3, P999Ms: 70.5, MaxMs: 71,
				ExpectedMs: 66.7, ExpectedLowMs: 66.4, ExpectedHighMs: 67.9},
		},
	}
	if err := report.WriteResult(os.Stdout, r, report.Table); err != nil {
		fmt.Println(err)
	}
	// Output:
	// scenario      demo
	// seed          1
	// survival      zone
	// crdb version  24.3
	// rtt           crdb-demo
	// max offset    500 ms
	// simulated     60 s measured, after 30 s warmup
	// requests      30000
	// events        812345
	//
	// table  locality           op    client region  count  errors  mean ms  p50 ms  expected ms  p90 ms  p99 ms  p99.9 ms  max ms
	// -----  -----------------  ----  -------------  -----  ------  -------  ------  -----------  ------  ------  --------  ------
	// users  regional-by-table  read  us-east1       27000       0     1.21    1.10         1.20    1.40    2.00      3.10    4.00
	//                           read  us-west1        3000       0     66.2    66.1         66.7    66.9    68.3      70.5    71.0
}

func ExampleParseFormat() {
	f, err := report.ParseFormat("markdown")
	fmt.Println(f, err)
	_, err = report.ParseFormat("xml")
	fmt.Println(err)
	// Output:
	// markdown <nil>
	// report: unknown format "xml" (choices: table, csv, json, markdown)
}
