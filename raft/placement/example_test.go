package placement_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/topology"
)

// Example compiles the default database (3 regions × 3 AZs, primary
// us-east1) under ZONE and REGION survival into one range layout each.
func Example() {
	regions := []string{"us-east1", "us-west1", "europe-west1"}
	c, err := topology.NewLayout(regions, 3, 1)
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, survival := range []placement.Survival{placement.SurvivalZone, placement.SurvivalRegion} {
		db := placement.DefaultDatabase(regions...)
		db.Survival = survival
		spec, err := placement.SpecFor(db, placement.LocalityRegionalByTable, "")
		if err != nil {
			panic(err)
		}
		layout, err := placement.Allocate(c, spec, r, nil)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %s\n  %s\n", survival, spec, layout.Describe(c))
	}
	// Output:
	// zone: num_replicas=5 num_voters=3 constraints={+region=us-east1: 1, +region=us-west1: 1, +region=europe-west1: 1} voter_constraints=[+region=us-east1] lease_preferences=[[+region=us-east1]]
	//   voters n1(us-east1-a) n2(us-east1-b) n3(us-east1-c); non-voters n6(us-west1-c) n7(europe-west1-a); leaseholder n1; lease preferences [us-east1]
	// region: num_replicas=5 num_voters=5 constraints={+region=us-east1: 1, +region=us-west1: 1, +region=europe-west1: 1} voter_constraints={+region=us-east1: 2} lease_preferences=[[+region=us-east1]]
	//   voters n2(us-east1-b) n3(us-east1-c) n4(us-west1-a) n7(europe-west1-a) n8(europe-west1-b); non-voters none; leaseholder n3; lease preferences [us-east1]
}

// ExamplePlaceTable places a REGIONAL BY ROW table: one partition per
// database region, each homed (voters and lease) in its region.
func ExamplePlaceTable() {
	regions := []string{"us-east1", "us-west1", "europe-west1"}
	c, err := topology.NewLayout(regions, 3, 1)
	if err != nil {
		panic(err)
	}
	layouts, err := placement.PlaceTable(c, placement.DefaultDatabase(regions...),
		placement.TableSpec{Name: "users", Locality: placement.LocalityRegionalByRow, Ranges: 3},
		rand.New(rand.NewPCG(1, 2)), placement.NewLoad(c))
	if err != nil {
		panic(err)
	}
	for _, rl := range layouts {
		fmt.Printf("range %d (partition %s): %s\n", rl.Range, rl.Partition, rl.Describe(c))
	}
	// Output:
	// range 0 (partition us-east1): voters n1(us-east1-a) n2(us-east1-b) n3(us-east1-c); non-voters n6(us-west1-c) n7(europe-west1-a); leaseholder n1; lease preferences [us-east1]
	// range 1 (partition us-west1): voters n4(us-west1-a) n5(us-west1-b) n6(us-west1-c); non-voters n3(us-east1-c) n8(europe-west1-b); leaseholder n6; lease preferences [us-west1]
	// range 2 (partition europe-west1): voters n7(europe-west1-a) n8(europe-west1-b) n9(europe-west1-c); non-voters n1(us-east1-a) n5(us-west1-b); leaseholder n7; lease preferences [europe-west1]
}
