package scenarios

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/topology"
)

func TestFaultNames(t *testing.T) {
	tests := []struct {
		f    Fault
		want string
	}{
		{Fault{Kind: FaultNode, Target: "n3", At: time.Minute}, "node n3 at 1m"},
		{Fault{Kind: FaultZone, Target: "us-east1-b", At: 2 * time.Minute}, "zone us-east1-b at 2m"},
		{Fault{Kind: FaultRegion, Target: "us-east1", At: 6 * time.Minute}, "region us-east1 at 6m"},
		{Fault{Kind: FaultPartition, Between: [][]string{{"us-east1"}, {"us-west1", "europe-west1"}}, At: 8 * time.Minute},
			"partition [us-east1] | [us-west1 europe-west1] at 8m"},
		{Fault{Kind: FaultPartition, Between: [][]string{{"n1"}, {"us-west1-a"}}, At: 90 * time.Second, OneWay: true},
			"partition [n1] -> [us-west1-a] at 1m30s"},
		{Fault{Kind: FaultZone, Target: "a", At: 20 * time.Second}, "zone a at 20s"},
		{Fault{Kind: FaultZone, Target: "a", At: time.Hour}, "zone a at 1h"},
		{Fault{Kind: FaultZone, Target: "a", At: time.Hour + 30*time.Minute}, "zone a at 1h30m"},
		{Fault{Kind: FaultZone, Target: "a", At: 1500 * time.Millisecond}, "zone a at 1.5s"},
		{Fault{Kind: FaultZone, Target: "a"}, "zone a at 0s"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.f.Name())
	}
	same := Fault{Kind: FaultZone, Target: "a", At: time.Second}
	assert.Equal(t, []string{"zone a at 1s", "zone b at 1s", "zone a at 1s (2)", "zone a at 1s (3)"},
		faultNames([]Fault{same, {Kind: FaultZone, Target: "b", At: time.Second}, same, same}))
}

func TestRaftFaults(t *testing.T) {
	s, err := Load("default") // 3 regions x 3 zones x 1 node: us-east1 n1-n3, us-west1 n4-n6, europe-west1 n7-n9
	require.NoError(t, err)
	faults := []Fault{
		{At: time.Second, Kind: FaultNode, Target: "n3", For: time.Second},
		{At: 2 * time.Second, Kind: FaultZone, Target: "us-west1-b", For: time.Second},
		{At: 3 * time.Second, Kind: FaultRegion, Target: "europe-west1", For: 2 * time.Second},
		{At: 4 * time.Second, Kind: FaultPartition, Between: [][]string{{"us-east1"}, {"us-west1-a", "n9"}}, For: time.Second, OneWay: true},
	}
	got, err := RaftFaults(faults, s.Cluster())
	require.NoError(t, err)
	ids := func(v ...topology.NodeID) []topology.NodeID { return v }
	assert.Equal(t, []raft.Fault{
		{Name: "node n3 at 1s", At: time.Second, For: time.Second, Crash: ids(2)},
		{Name: "zone us-west1-b at 2s", At: 2 * time.Second, For: time.Second, Crash: ids(4), Blackhole: true},
		{Name: "region europe-west1 at 3s", At: 3 * time.Second, For: 2 * time.Second, Crash: ids(6, 7, 8), Blackhole: true},
		{Name: "partition [us-east1] -> [us-west1-a n9] at 4s", At: 4 * time.Second, For: time.Second,
			A: ids(0, 1, 2), B: ids(3, 8), OneWay: true},
	}, got)

	_, err = RaftFaults([]Fault{{Kind: FaultZone, Target: "mars-a", For: time.Second}}, s.Cluster())
	assert.ErrorContains(t, err, `faults[0].target: unknown zone "mars-a"`)
	_, err = RaftFaults([]Fault{{Kind: FaultRegion, Target: "n1", For: time.Second}}, s.Cluster())
	assert.ErrorContains(t, err, `unknown region "n1"`, "a node name is not a region")
}

// liveSet is a fake liveness for the generator: the nodes listed are down.
type liveSet map[topology.NodeID]bool

func (l liveSet) up(n topology.NodeID) bool { return !l[n] }

func TestGatewayRedirect(t *testing.T) {
	s, err := Load("default")
	require.NoError(t, err)
	c := s.Cluster()
	east := c.RegionIndex("us-east1")
	// From us-east1: europe-west1 (64 ms) is nearer than us-west1 (66 ms).
	fb := fallbackRegions(c, east)
	require.Len(t, fb, 2)
	assert.Equal(t, c.RegionNodes(c.RegionIndex("europe-west1")), fb[0])
	assert.Equal(t, c.RegionNodes(c.RegionIndex("us-west1")), fb[1])
	// From us-west1: us-east1 (66 ms) before europe-west1 (146 ms).
	fbw := fallbackRegions(c, c.RegionIndex("us-west1"))
	assert.Equal(t, c.RegionNodes(east), fbw[0])

	down := liveSet{}
	g := &generator{r: rand.New(rand.NewPCG(1, 2)), gateways: c.RegionNodes(east), fallback: fb, up: down.up}
	count := func() map[topology.NodeID]int {
		out := map[topology.NodeID]int{}
		for range 3000 {
			id, ok := g.redirect()
			require.True(t, ok)
			out[id]++
		}
		return out
	}
	// One AZ down: the other two nodes of the region, evenly.
	down[0] = true
	got := count()
	assert.Len(t, got, 2)
	assert.InDelta(t, 1500, got[1], 150)
	assert.InDelta(t, 1500, got[2], 150)
	// The whole region down: the nearest region's live nodes.
	down[1], down[2], down[7] = true, true, true
	got = count()
	assert.Equal(t, []topology.NodeID{6, 8}, sortedIDs(got))
	// The nearest region down too: the next one.
	down[6], down[8] = true, true
	assert.Equal(t, []topology.NodeID{3, 4, 5}, sortedIDs(count()))
	// Nothing up.
	down[3], down[4], down[5] = true, true, true
	_, ok := g.redirect()
	assert.False(t, ok)
}

func sortedIDs(m map[topology.NodeID]int) []topology.NodeID {
	var out []topology.NodeID
	for id := range 32 {
		if m[topology.NodeID(id)] > 0 {
			out = append(out, topology.NodeID(id))
		}
	}
	return out
}

// faultScenario is a small jitter-free three-region scenario with ZONE
// survival: an RBT table in us-east1 and a GLOBAL table, clients in
// us-east1 and us-west1.
func faultScenario(t *testing.T, faults string) *Scenario {
	t.Helper()
	s, err := Parse([]byte(`
name: faulty
duration: 40s
warmup: 5s
topology: {rtt: crdb-demo, jitter: none}
database: {primary_region: us-east1, survival: zone}
tables:
  - {name: kv, locality: regional-by-table, ranges: 4}
  - {name: west, locality: regional-by-table, home_region: us-west1, ranges: 2}
workload:
  - {region: us-east1, rate: 50, table: kv, mix: {read: 0.5, write: 0.5}}
  - {region: us-west1, rate: 50, table: west, mix: {read: 0.5, write: 0.5}}
faults:
`+faults), "faulty.yaml")
	require.NoError(t, err)
	return s
}

func TestRunWithFaults(t *testing.T) {
	s := faultScenario(t, `
  - {at: 10s, kind: zone, target: us-east1-a, for: 10s}
  - {at: 25s, kind: region, target: us-east1, for: 10s}
`)
	res, err := Run(s)
	require.NoError(t, err)
	assert.Equal(t, []FaultWindow{
		{Name: "zone us-east1-a at 10s", StartS: 10, EndS: 20},
		{Name: "region us-east1 at 25s", StartS: 25, EndS: 35},
	}, res.Faults)
	assert.Equal(t, []TableInfo{
		{Name: "kv", Locality: "regional-by-table", Ranges: 4},
		{Name: "west", Locality: "regional-by-table", Ranges: 2},
	}, res.Tables)
	require.NotEmpty(t, res.Unavailability)
	byFault := map[string]int{}
	for i, u := range res.Unavailability {
		assert.Contains(t, []string{"zone us-east1-a at 10s", "region us-east1 at 25s"}, u.Fault)
		if u.Table == "west" {
			// us-west1's table keeps its leaseholders. The liveness
			// range's lease was in us-east1, though: until it expires
			// (6 s) and moves, no node can renew its liveness, and a
			// us-west1 leaseholder whose record expires meanwhile cannot
			// serve until its next heartbeat. Outages record that too.
			assert.Equal(t, "region us-east1 at 25s", u.Fault)
			assert.Contains(t, u.Phases, "holder back", "west's leases stay where they are")
			assert.LessOrEqual(t, u.EndS, 25.0+6+3+0.2, "the liveness range recovers within its lease")
			continue
		}
		byFault[u.Fault]++
		assert.Equal(t, "kv", u.Table)
		assert.GreaterOrEqual(t, u.Range, 0)
		assert.Less(t, u.Range, 4, "range index within its table")
		assert.LessOrEqual(t, u.StartS, u.EndS)
		if i > 0 {
			assert.LessOrEqual(t, res.Unavailability[i-1].StartS, u.StartS, "ordered by start")
		}
	}
	for _, le := range res.Leases {
		if le.Table == "west" {
			assert.Equal(t, "initial", le.Reason, "west's leases never move")
		}
	}
	// ZONE survival: the region outage takes all of kv's voters.
	assert.Equal(t, 4, byFault["region us-east1 at 25s"])
	// Every measured request is accounted for.
	var sum uint64
	for _, st := range res.Stats {
		sum += st.Count
	}
	assert.Equal(t, res.Requests, sum)

	// us-east1's clients keep issuing while their region is down: the load
	// balancer sends them to europe-west1, and the request stays filed
	// under us-east1.
	var during uint64
	for _, p := range res.Timeline {
		if p.ClientRegion == "us-east1" && p.TS >= 26 && p.TS < 35 {
			during += p.Count
		}
	}
	assert.InDelta(t, 50*9, float64(during), 5*sqrt(50*9))
}

func TestNoLiveNodeFailsAtOnce(t *testing.T) {
	s := faultScenario(t, `
  - {at: 20s, kind: region, target: us-east1, for: 5s}
  - {at: 20s, kind: region, target: us-west1, for: 5s}
  - {at: 20s, kind: region, target: europe-west1, for: 5s}
`)
	res, err := Run(s)
	require.NoError(t, err)
	var count, errs uint64
	for _, p := range res.Timeline {
		if p.TS >= 20 && p.TS < 25 {
			count += p.Count
			errs += p.Errors
			assert.Equal(t, p.Count, p.Errors, "every request issued while no node is up fails")
			assert.Zero(t, p.P99Ms, "at once")
		}
	}
	assert.InDelta(t, 100*5, float64(count), 5*sqrt(100*5))
	assert.Equal(t, count, errs)
}

func TestSettleTime(t *testing.T) {
	assert.Equal(t, 30*time.Second, SettleTime(5*time.Minute))
	assert.Equal(t, 30*time.Second, SettleTime(time.Minute))
	assert.Equal(t, 10*time.Second, SettleTime(20*time.Second))
	assert.Equal(t, time.Duration(0), SettleTime(0))
}

// TestFaultLeavesEarlierRequestsUnchanged: runs with and without a late
// fault share their random draws (common random numbers), so every
// timeline interval that ends before the fault is identical.
func TestFaultLeavesEarlierRequestsUnchanged(t *testing.T) {
	run := func(faults []Fault) *Result {
		s, err := Load("default")
		require.NoError(t, err)
		s.Duration, s.Warmup = 40*time.Second, 5*time.Second
		s.Faults = faults
		require.NoError(t, s.Validate())
		res, err := Run(s)
		require.NoError(t, err)
		return res
	}
	base := run(nil)
	const at = 35 * time.Second
	for _, f := range []Fault{
		{At: at, Kind: FaultNode, Target: "n1", For: 5 * time.Second},
		{At: at, Kind: FaultZone, Target: "us-east1-b", For: 5 * time.Second},
		{At: at, Kind: FaultRegion, Target: "us-east1", For: 5 * time.Second},
	} {
		got := run([]Fault{f})
		before := func(res *Result) []TimelinePoint {
			var out []TimelinePoint
			for _, p := range res.Timeline {
				// Bins by start time; a request of the last second before
				// the fault may still be in flight when it starts.
				if p.TS+res.TimelineSeconds <= at.Seconds()-1 {
					out = append(out, p)
				}
			}
			return out
		}
		want := before(base)
		require.Greater(t, len(want), 100)
		assert.Equal(t, want, before(got), f.Name())
		assert.NotEqual(t, base.Timeline, got.Timeline, "%s changes what follows it", f.Name())
	}
}

// TestRangeIDsAgree: a range is named the same way in the lease log, the
// unavailability list and the replacements — its table and its index within
// the table — so that a range's outage, its failover lease and its
// replaced replica can be matched. The lease log once used the model's
// global range id, which equals the index only in the first table.
func TestRangeIDsAgree(t *testing.T) {
	s, err := Parse([]byte(`
duration: 6m
warmup: 0s
topology: {nodes_per_zone: 2, jitter: none}
tables: [{name: a, ranges: 3}, {name: b, ranges: 4}]
workload:
  - {region: us-east1, rate: 5, table: a, mix: {write: 1}}
  - {region: us-east1, rate: 5, table: b, mix: {write: 1}}
faults: [{at: 10s, kind: zone, target: us-west1-a, for: 5m30s}]
`), "rangeids.yaml")
	require.NoError(t, err)
	res, err := Run(s)
	require.NoError(t, err)
	type key struct {
		table string
		rng   int
	}
	ranges := map[string]int{}
	for _, ti := range res.Tables {
		ranges[ti.Name] = ti.Ranges
	}
	initial := map[key]LeaseEvent{}
	for _, le := range res.Leases {
		require.Contains(t, ranges, le.Table)
		require.GreaterOrEqual(t, le.Range, 0)
		require.Less(t, le.Range, ranges[le.Table], "lease of %s range %d: index within its table", le.Table, le.Range)
		if le.Reason == "initial" {
			initial[key{le.Table, le.Range}] = le
		}
	}
	assert.Len(t, initial, 3+4, "one initial lease per range of each table")

	require.NotEmpty(t, res.Unavailability)
	tables := map[string]bool{}
	for _, u := range res.Unavailability {
		k := key{u.Table, u.Range}
		tables[u.Table] = true
		assert.Equal(t, "us-west1-a", initial[k].Zone, "%v lost service: its lease was in the failed zone", k)
		moved := false
		for _, le := range res.Leases {
			if (key{le.Table, le.Range}) == k && le.Reason == "failover" && le.TS >= u.StartS && le.TS <= u.EndS {
				moved = le.FromZone == "us-west1-a"
			}
		}
		assert.True(t, moved, "%v: its failover lease event is in the lease log under the same id", k)
	}
	assert.Len(t, tables, 2, "both tables lost a range (the second table's ids are the ones that differed)")

	require.NotEmpty(t, res.Replacements)
	for _, rp := range res.Replacements {
		assert.Less(t, rp.Range, ranges[rp.Table])
		assert.Contains(t, initial, key{rp.Table, rp.Range})
	}
}
