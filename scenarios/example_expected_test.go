package scenarios_test

import (
	"fmt"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/scenarios"
)

// The closed form of the default scenario's accounts writes (REGIONAL BY
// TABLE in us-east1, ZONE survival), from each client region, computed
// without simulating: the client's two hops (0.1 ms each), the gateway to
// the leaseholder and back (1 ms between two zones of us-east1, which two
// thirds of its gateways pay; 66 ms from us-west1, 64 ms from
// europe-west1), evaluation (0.5 ms) and the quorum inside us-east1 (a
// 1 ms round trip to the nearer other zone and its 0.5 ms fsync).
// The median of us-east1's clients is 0.2 + 1 + 0.5 + 1.5 = 3.2 ms.
func ExampleScenario_Expectations() {
	s, err := scenarios.Load("default")
	if err != nil {
		fmt.Println(err)
		return
	}
	placed, err := s.Place()
	if err != nil {
		fmt.Println(err)
		return
	}
	expect := s.Expectations(placed)
	for wi, w := range s.Workload {
		if w.Table == "accounts" {
			fmt.Printf("accounts write from %s: %v\n", w.Region, expect[wi][raft.OpWrite].Median())
		}
	}
	// Output:
	// accounts write from us-east1: 3.2ms
	// accounts write from us-west1: 68.2ms
	// accounts write from europe-west1: 66.2ms
}
