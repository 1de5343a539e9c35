package slo_test

import (
	"fmt"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/slo"
)

func ExampleSource_Check() {
	r := &scenarios.Result{
		Survival: "zone",
		Regions:  []string{"us-east1", "us-west1"},
		Tables:   []scenarios.TableInfo{{Name: "accounts", Locality: "regional-by-table", Ranges: 10}},
		Stats: []scenarios.Stat{
			{Table: "accounts", Op: "write", ClientRegion: "us-east1", Count: 900, P50Ms: 3.1, P99Ms: 4.8},
			{Table: "accounts", Op: "write", ClientRegion: "us-west1", Count: 100, P50Ms: 68, P99Ms: 70.8},
		},
	}
	src := slo.FromResult(r)
	for _, expr := range []string{"accounts.write.p99<10ms", "accounts.write.p50@us-east1<5ms", "errors==0", "unavailable<15s", "p99<<1ms", "ledger.write.p99<1s"} {
		a, err := slo.Parse(expr)
		if err != nil {
			fmt.Println(err)
			continue
		}
		o, err := src.Check(a)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(o)
	}
	// Output:
	// assert accounts.write.p99<10ms: FAIL measured 70.8ms (worst of 2: accounts write @us-west1, zone survival)
	// assert accounts.write.p50@us-east1<5ms: ok measured 3.10ms (accounts write @us-east1, zone survival)
	// assert errors==0: ok measured 0 (worst of 2: accounts write @us-east1, zone survival)
	// assert unavailable<15s: ok measured 0.00s (worst of 2: accounts write @us-east1, zone survival)
	// assertion "p99<<1ms": malformed: two comparisons in a row ("<<"); want [TABLE.OP.]METRIC[@CLIENT_REGION] CMP VALUE
	// assertion "ledger.write.p99<1s": no such name: table "ledger" (tables: accounts)
}
