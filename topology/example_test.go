package topology_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/regionsim/regionsim/topology"
)

// Build the default topology (the crdb-demo preset: 3 regions, 3 zones each,
// one node per zone) and print it as `regionsim topology` does.
func ExampleBuild() {
	c, err := topology.Build(topology.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.WriteSummary(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Topology: 3 regions, 9 zones, 9 nodes
	//
	// REGION        ZONE            NODE  LOCALITY
	// us-east1      us-east1-a      n1    region=us-east1,zone=us-east1-a
	//               us-east1-b      n2    region=us-east1,zone=us-east1-b
	//               us-east1-c      n3    region=us-east1,zone=us-east1-c
	// us-west1      us-west1-a      n4    region=us-west1,zone=us-west1-a
	//               us-west1-b      n5    region=us-west1,zone=us-west1-b
	//               us-west1-c      n6    region=us-west1,zone=us-west1-c
	// europe-west1  europe-west1-a  n7    region=europe-west1,zone=europe-west1-a
	//               europe-west1-b  n8    region=europe-west1,zone=europe-west1-b
	//               europe-west1-c  n9    region=europe-west1,zone=europe-west1-c
	//
	// RTT between regions, ms: p50 from rtt "crdb-demo" (the data has no tail percentile)
	// FROM \ TO     us-east1  us-west1  europe-west1
	// us-east1      -         66        64
	// us-west1      66        -         146
	// europe-west1  64        146       -
	//
	// Modelled RTT p99, ms (jitter lognormal: shifted log-normal fitted to p50 and p99 = p50 + 2ms, plus 0.1% Pareto spikes >= 1ms)
	// FROM \ TO     us-east1  us-west1  europe-west1
	// us-east1      -         68        66
	// us-west1      68        -         148
	// europe-west1  66        148       -
	//
	// WITHIN A REGION  P50    P99 (MODEL)  SHAPE
	//   between zones  1ms    1.85ms       p99/p50 1.85 (Azure cross-AZ)
	//   inside a zone  200µs  286µs        p99/p50 1.43 (Azure same-AZ)
	// ON A NODE
	//   service time   500µs  2.286ms      p99/p50 4.57 (kv95 read, #62998)
	//   fsync          500µs  2.6ms        p99/p50 5.2 (syncbench, #30213)
	//
	// Source: preset crdb-demo: the 3 regions and round trips of `cockroach demo --global`
	//   cockroachdb/cockroach pkg/cli/democluster/demo_locality_list.go localityLatencies ("collected from cloudping.co on 2019-09-11"; latency-data §5)
}

// A jitter-free cluster: every message takes exactly half its link's p50.
func ExampleCluster_OneWay() {
	cfg := topology.DefaultConfig()
	cfg.Jitter = topology.JitterNone
	c, err := topology.Build(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := rand.New(rand.NewPCG(1, 2))
	fmt.Println(c.OneWay(r, 0, 3), c.OneWay(r, 0, 1), c.OneWay(r, 0, 0))
	fmt.Println(c.MedianRTT(3, 6))
	// Output:
	// 33ms 500µs 0s
	// 146ms
}

// Read an RTT matrix from CSV: a header is optional, '#' lines are
// comments, and a pair given in one direction is used for both.
func ExampleParseCSV() {
	const data = `# from,to,p50_ms[,p99_ms]
lab-east,lab-west,40,55
lab-east,lab-eu,80
`
	m, err := topology.ParseCSV(strings.NewReader(data), "lab.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Regions())
	p, _ := m.Pair("lab-west", "lab-east")
	fmt.Println(p.P50, p.P99, p.Mirrored)

	_, err = topology.ParseCSV(strings.NewReader("lab-east,lab-west,-40\n"), "bad.csv")
	fmt.Println(err)
	// Output:
	// [lab-east lab-west lab-eu]
	// 40ms 55ms true
	// topology: rtt "bad.csv" line 1: p50_ms: "-40" is negative
}

// Fit a link to a p50 and a p99 and draw from it with an explicit source.
func ExampleFitLognormal() {
	d, err := topology.FitLognormal(66e6, 68e6, 0.99) // 66 ms p50, 68 ms p99
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d)
	fmt.Println(d.Floor(), d.Quantile(0.5).Round(1e3))
	r := rand.New(rand.NewPCG(7, 7))
	x := d.Sample(r)
	fmt.Println(x >= d.Floor())
	// Output:
	// lognormal p50 66ms p99 68ms
	// 64ms 66ms
	// true
}

func ExamplePresets() {
	for _, p := range topology.Presets() {
		fmt.Printf("%-9s %2d regions, default %v\n", p.Name, len(p.Regions), p.Default)
	}
	// Output:
	// aws       33 regions, default [us-east-1 us-west-2 eu-west-1]
	// azure     17 regions, default [eastus westus2 westeurope]
	// crdb-demo  3 regions, default [us-east1 us-west1 europe-west1]
	// gcp       20 regions, default [us-east1 us-west1 europe-west1]
	// roachprod  3 regions, default [us-east1 us-west1 europe-west1]
	// seed-blog  3 regions, default [eu-central-1 eu-west-3 us-east-2]
}

// Map a GCP region onto the nearest region of the aws preset, as
// `regionsim run default --rtt aws` does.
func ExampleNearestRegion() {
	aws, err := topology.LoadPreset("aws")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range []string{"us-east1", "europe-west1", "asia-south1"} {
		to, km, ok := topology.NearestRegion(r, aws.Regions())
		loc, _ := topology.RegionLocation(to)
		fmt.Printf("%s → %s (%s, %.0f km) %v\n", r, to, loc.Place, km, ok)
	}
	// Output:
	// us-east1 → us-east-1 (Northern Virginia (Ashburn), 688 km) true
	// europe-west1 → eu-west-3 (Paris, 208 km) true
	// asia-south1 → ap-south-1 (Mumbai, 0 km) true
}

// Give the regions their own shapes with region_sizes: us-east1 2 zones of
// 2 nodes, europe-west1 zones of 2, 1 and 1 nodes; us-west1 keeps the
// defaults (3 zones of 1 node).
func ExampleConfig_ZoneNodes() {
	two, nodes := 2, 2
	cfg := topology.DefaultConfig()
	cfg.RegionSizes = map[string]topology.RegionSize{
		"us-east1":     {Zones: &two, NodesPerZone: &nodes},
		"europe-west1": {Nodes: []int{2, 1, 1}},
	}
	regions := []string{"us-east1", "us-west1", "europe-west1"}
	zn, err := cfg.ZoneNodes(regions)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := topology.NewUnevenLayout(regions, zn)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, r := range c.Regions {
		fmt.Println(r.Name, zn[i], c.RegionNodes(i))
	}
	// Output:
	// us-east1 [2 2] [n1 n2 n3 n4]
	// us-west1 [1 1 1] [n5 n6 n7]
	// europe-west1 [2 1 1] [n8 n9 n10 n11]
}
