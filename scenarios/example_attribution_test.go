package scenarios_test

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/topology"
)

// What set the latency of the default scenario's accounts writes from
// us-west1 under REGION survival, without jitter: the round trip to the
// leaseholder in us-east1 (66 ms) and the quorum ack from europe-west1
// (64 ms), the nearest region holding a voter, then the evaluation, the
// acknowledging replica's fsync and the client's hops.
func ExampleExplainFilter_Select() {
	s, err := scenarios.Load("default")
	if err != nil {
		fmt.Println(err)
		return
	}
	s.Topology.Jitter = topology.JitterNone
	s.Database.Survival = placement.SurvivalRegion
	s.Duration = 5 * time.Second
	if err := s.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	res, err := scenarios.Run(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	f := scenarios.ExplainFilter{Table: "accounts", Op: "write", Region: "us-west1"}
	for _, st := range f.Select(res) {
		at := st.Attribution.P50
		fmt.Printf("p50 %.1f ms:\n", at.MeanMs)
		for _, cs := range at.Components {
			fmt.Printf("  %-20s %-13s %5.1f ms %5.1f %%\n", cs.Label, cs.Region, cs.Ms, 100*cs.Share)
		}
	}
	// Output:
	// p50 131.2 ms:
	//   gateway→leaseholder  us-east1       66.0 ms  50.3 %
	//   quorum ack           europe-west1   64.0 ms  48.8 %
	//   fsync                europe-west1    0.5 ms   0.4 %
	//   evaluation           us-east1        0.5 ms   0.4 %
	//   client hop                           0.2 ms   0.1 %
}
