package scenarios

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/topology"
)

// The hand-computed tests below run on the crdb-demo matrix without jitter,
// as raft/model_test.go does: one way us-east1–us-west1 33 ms,
// us-east1–europe-west1 32 ms, us-west1–europe-west1 73 ms; 1 ms one way
// between the zones of a region, 0.2 ms inside a zone (and between a client
// and its gateway); evaluation 0.3 ms, a log append 0.5 ms.
const (
	vClientHop = 0.2
	vZoneOW    = 1.0
	vIntraOW   = 0.2
	vSvc       = 0.3
	vFsync     = 0.5
)

// votersScenario is a jitter-free 3-region scenario with nodes_per_zone
// nodes per AZ, one table and one write-only client population in
// us-east1.
func votersScenario(t *testing.T, nodesPerZone int, database, table string) *Scenario {
	t.Helper()
	s, err := Parse([]byte(fmt.Sprintf(`
name: voters
duration: 10s
warmup: 2s
topology: {rtt: crdb-demo, nodes_per_zone: %d, jitter: none, inter_zone_rtt: 2ms, intra_zone_rtt: 400us, service_time: 300us, fsync: 500us}
database: %s
tables:
  - %s
workload:
  - {region: us-east1, rate: 20, table: t, mix: {write: 1}}
`, nodesPerZone, database, table)), "voters.yaml")
	require.NoError(t, err)
	return s
}

// oneWay is the one-way delay between two nodes of c, in ms.
func oneWay(c *topology.Cluster, a, b topology.NodeID) float64 {
	na, nb := c.Nodes[a], c.Nodes[b]
	switch {
	case a == b:
		return 0
	case na.Locality.Zone == nb.Locality.Zone:
		return vIntraOW
	case na.Region == nb.Region:
		return vZoneOW
	}
	ow := map[[2]string]float64{
		{"us-east1", "us-west1"}: 33, {"us-east1", "europe-west1"}: 32, {"us-west1", "europe-west1"}: 73,
	}
	ra, rb := c.Regions[na.Region].Name, c.Regions[nb.Region].Name
	if v, ok := ow[[2]string{ra, rb}]; ok {
		return v
	}
	return ow[[2]string{rb, ra}]
}

// gatewayAtLeaseholder places s, points its clients at the leaseholder of
// the table's only range (clients in its region) and returns that range's voters and leaseholder.
func gatewayAtLeaseholder(t *testing.T, s *Scenario) (voters []topology.NodeID, lh topology.NodeID) {
	t.Helper()
	placed, err := s.Place()
	require.NoError(t, err)
	require.Len(t, placed[0], 1)
	l := placed[0][0]
	s.Workload[0].Gateways = []string{l.Leaseholder.String()}
	s.Workload[0].Region = s.Cluster().Regions[s.Cluster().Nodes[l.Leaseholder].Region].Name
	require.NoError(t, s.Validate())
	return l.Voters, l.Leaseholder
}

func writeP50(t *testing.T, s *Scenario) float64 {
	t.Helper()
	res, err := Run(s)
	require.NoError(t, err)
	for _, st := range res.Stats {
		if st.Op == "write" {
			require.Zero(t, st.Errors)
			// Jitter-free, every write takes the same time but for the
			// few (under 2 % at 20 writes/s) that reach a node while an
			// earlier write's sync is in flight and wait for the next
			// (group commit): the p90 is the p50.
			assert.InDelta(t, st.P50Ms, st.P90Ms, 0.02, "jitter-free: writes take the same time")
			return st.P50Ms
		}
	}
	t.Fatal("no write stat")
	return 0
}

// TestZoneFiveVotersWrite: ZONE survival with num_voters 5 on 3 AZs × 2
// nodes: the 5 voters are in us-east1 (2, 2, 1 per AZ). A write commits at
// 3 durable appends: the leader's own (0.5 ms) and the two fastest
// followers'. With the leaseholder in an AZ holding 2 voters, the fastest
// follower is its AZ-mate (0.2 + 0.5 + 0.2 = 0.9 ms) and the second
// fastest one in another AZ (1 + 0.5 + 1 = 2.5 ms), which decides:
// client 0.2 + evaluation 0.3 + 2.5 + client 0.2 = 3.2 ms. (A quorum of 2
// would give 1.6 ms.)
func TestZoneFiveVotersWrite(t *testing.T) {
	for seed := uint64(1); ; seed++ {
		require.Less(t, seed, uint64(50), "no seed puts the leaseholder in an AZ with 2 voters")
		s := votersScenario(t, 2, "{primary_region: us-east1, survival: zone, num_voters: 5}", "{name: t, ranges: 1}")
		s.Seed = seed
		require.NoError(t, s.Validate())
		voters, lh := gatewayAtLeaseholder(t, s)
		c := s.Cluster()
		require.Len(t, voters, 5)
		mates := 0
		for _, v := range voters {
			assert.Equal(t, "us-east1", c.Regions[c.Nodes[v].Region].Name)
			if v != lh && c.Nodes[v].Locality.Zone == c.Nodes[lh].Locality.Zone {
				mates++
			}
		}
		if mates == 0 {
			continue // the leaseholder is the AZ with 1 voter: try another seed
		}
		assert.InDelta(t, vClientHop+vSvc+(vZoneOW+vFsync+vZoneOW)+vClientHop, writeP50(t, s), 1e-3)
		return
	}
}

// TestNoneFiveReplicasWrite: a table of locality none with num_replicas 5
// over 3 regions × 3 AZs: 5 voters spread 2-2-1 over the regions. A write
// at the leaseholder commits at the second fastest follower ack (quorum 3
// of 5), follower ack = 2 × one way + append.
func TestNoneFiveReplicasWrite(t *testing.T) {
	s := votersScenario(t, 1, "{}", "{name: t, locality: none, ranges: 1, num_replicas: 5}")
	voters, lh := gatewayAtLeaseholder(t, s)
	c := s.Cluster()
	require.Len(t, voters, 5)
	perRegion := map[string]int{}
	var acks []float64
	for _, v := range voters {
		perRegion[c.Regions[c.Nodes[v].Region].Name]++
		if v != lh {
			acks = append(acks, 2*oneWay(c, lh, v)+vFsync)
		}
	}
	assert.Equal(t, []int{1, 2, 2}, slices.Sorted(func(yield func(int) bool) {
		for _, n := range perRegion {
			if !yield(n) {
				return
			}
		}
	}))
	slices.Sort(acks)
	want := vClientHop + vSvc + acks[1] + vClientHop
	// Seed 1 places the voters n3 (us-east1-c), n5 and n6 (us-west1-b, c),
	// n7 and n8 (europe-west1-a, b) with the lease on n5: acks from n6
	// 1 + 0.5 + 1 = 2.5, n3 33 + 0.5 + 33 = 66.5, n7 and n8 146.5; the
	// write takes 0.2 + 0.3 + 66.5 + 0.2 = 67.2 ms.
	assert.InDelta(t, 67.2, want, 1e-9)
	t.Logf("voters %v, leaseholder %v, follower acks %v ms: write %.1f ms", voters, lh, acks, want)
	assert.InDelta(t, want, writeP50(t, s), 1e-3)
}

// superRegionYAML is 4 AWS regions with the super region eu = the three
// European ones; the primary, us-east-1, is in none.
const superRegionYAML = `
name: eu-domiciled
duration: 5s
warmup: 1s
topology: {rtt: aws, regions: [us-east-1, eu-west-1, eu-central-1, eu-west-3], jitter: none}
database:
  primary_region: us-east-1
  survival: %s
  super_regions: {eu: [eu-west-1, eu-central-1, eu-west-3]}
tables:
  - {name: eu_customers, locality: regional-by-table, home_region: eu-central-1, ranges: 3}
  - {name: us_customers, locality: regional-by-table, ranges: 3}
  - {name: users, locality: regional-by-row, ranges: 8}
  - {name: promo_codes, locality: global, ranges: 3}
workload:
  - {region: eu-west-3, rate: 20, table: users, mix: {read: 0.5, write: 0.5}}
  - {region: eu-west-3, rate: 20, table: eu_customers, mix: {read: 0.5, write: 0.5}}
`

// TestSuperRegionPlacementEveryLocality: a REGIONAL BY TABLE table homed in
// a super region member and the REGIONAL BY ROW partitions of its members
// keep every replica (voters and non-voters) in the super region; the
// primary's table, the us partition and the GLOBAL table keep a replica in
// every region. The scenario runs.
func TestSuperRegionPlacementEveryLocality(t *testing.T) {
	eu := []string{"eu-west-1", "eu-central-1", "eu-west-3"}
	for _, survival := range []string{"zone", "region"} {
		s, err := Parse([]byte(fmt.Sprintf(superRegionYAML, survival)), "eu.yaml")
		require.NoError(t, err, survival)
		placed, err := s.Place()
		require.NoError(t, err)
		c := s.Cluster()
		for ti, table := range s.Tables {
			for _, l := range placed[ti] {
				regions := map[string]int{}
				for _, id := range slices.Concat(l.Voters, l.NonVoters) {
					regions[c.Regions[c.Nodes[id].Region].Name]++
				}
				confined := slices.Contains(eu, l.Spec.Home) && table.Locality != "global"
				for r := range regions {
					if confined {
						assert.Contains(t, eu, r, "%s %s range %d (home %s)", survival, table.Name, l.Range, l.Spec.Home)
					}
				}
				if !confined {
					assert.Len(t, regions, 4, "%s %s range %d: a replica in every region", survival, table.Name, l.Range)
				}
				want := map[string]int{"zone": 3, "region": 5}[survival]
				assert.Len(t, l.Voters, want)
			}
		}
		res, err := Run(s)
		require.NoError(t, err)
		assert.NotEmpty(t, res.Stats)
	}
}

// TestUnderReplicatedRun: ZONE survival with num_voters 5 on 3 AZs × 1
// node: the home region holds 3 of the 5 voters, the allocator leaves the
// range under-replicated, and a write commits at a quorum of the 3 placed
// (2 of 3): the leader's append (0.5 ms) races the fastest follower's
// (1 + 0.5 + 1 = 2.5 ms), which decides: client 0.2 + evaluation 0.3 +
// 2.5 + client 0.2 = 3.2 ms — the 3-voter figure. The result names the
// table under-replicated; with 2 nodes per AZ it is not.
func TestUnderReplicatedRun(t *testing.T) {
	s := votersScenario(t, 1, "{primary_region: us-east1, survival: zone, num_voters: 5}", "{name: t, ranges: 1}")
	voters, _ := gatewayAtLeaseholder(t, s)
	require.Len(t, voters, 3)
	res, err := Run(s)
	require.NoError(t, err)
	require.Len(t, res.Tables, 1)
	assert.Contains(t, res.Tables[0].UnderReplicated, "1 of 1 ranges hold 3 of 5 voters and 2 of 2 non-voters")
	assert.Contains(t, res.Tables[0].UnderReplicated, "--nodes-per-zone 2")
	assert.InDelta(t, vClientHop+vSvc+(vZoneOW+vFsync+vZoneOW)+vClientHop, writeP50(t, s), 1e-3)

	full := votersScenario(t, 2, "{primary_region: us-east1, survival: zone, num_voters: 5}", "{name: t, ranges: 1}")
	res, err = Run(full)
	require.NoError(t, err)
	assert.Empty(t, res.Tables[0].UnderReplicated)
}

// TestUnderReplicatedKeepsDeadReplica: a non-voter of an under-replicated
// range whose node stays down past server.time_until_store_dead is not
// replaced (computeAction keeps returning AddVoter, which fails); with
// enough nodes for every voter the same non-voter is replaced.
func TestUnderReplicatedKeepsDeadReplica(t *testing.T) {
	for _, npz := range []int{1, 2} {
		s := votersScenario(t, npz, "{primary_region: us-east1, survival: zone, num_voters: 5}", "{name: t, ranges: 1}")
		placed, err := s.Place()
		require.NoError(t, err)
		c := s.Cluster()
		var victim string
		for _, n := range placed[0][0].NonVoters {
			if c.Regions[c.Nodes[n].Region].Name == "us-west1" {
				victim = n.String()
			}
		}
		require.NotEmpty(t, victim)
		s, err = Parse(fmt.Appendf(nil, `
name: voters
duration: 7m
warmup: 2s
topology: {rtt: crdb-demo, nodes_per_zone: %d, jitter: none, inter_zone_rtt: 2ms, intra_zone_rtt: 400us, service_time: 300us, fsync: 500us}
database: {primary_region: us-east1, survival: zone, num_voters: 5}
tables: [{name: t, ranges: 1}]
workload: [{region: us-east1, rate: 2, table: t, mix: {write: 1}}]
faults: [{at: 10s, kind: node, target: %s, for: 6m}]
`, npz, victim), "voters.yaml")
		require.NoError(t, err)
		res, err := Run(s)
		require.NoError(t, err)
		if npz == 1 {
			assert.Empty(t, res.Replacements, "under-replicated: the dead non-voter stays")
		} else {
			require.Len(t, res.Replacements, 1)
			assert.Equal(t, victim, res.Replacements[0].From)
			assert.False(t, res.Replacements[0].Voter)
		}
	}
}
