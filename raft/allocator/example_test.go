package allocator_test

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/raft/allocator"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// Example follows the workload of a range without lease preferences (a
// non-multi-region database) whose voters sit in three regions. The lease
// starts in us-east1; all requests come through a gateway in us-west1-b.
func Example() {
	regions := []string{"us-east1", "us-west1", "europe-west1"}
	c, err := topology.NewLayout(regions, 3, 1)
	if err != nil {
		panic(err)
	}
	// Median RTTs (reference §10 rule 1: E–W 66, E–EU 64, W–EU 146 ms).
	regionRTT := [3][3]time.Duration{
		{time.Millisecond, 66 * time.Millisecond, 64 * time.Millisecond},
		{66 * time.Millisecond, time.Millisecond, 146 * time.Millisecond},
		{64 * time.Millisecond, 146 * time.Millisecond, time.Millisecond},
	}
	layout := placement.Layout{Home: -1, Voters: []topology.NodeID{0, 3, 6}, Leaseholder: 0}
	leases := map[topology.NodeID]int{0: 100, 3: 100, 6: 100}
	s := allocator.DefaultSettings()

	// Request localities are zones: the gateway's full locality.
	zoneLocality := make([]topology.Locality, len(c.Zones))
	for z, zone := range c.Zones {
		zoneLocality[z] = topology.Locality{Region: regions[zone.Region], Zone: zone.Name}
	}
	stats := allocator.NewReplicaStats(len(c.Zones), 0, s)
	gateway := c.Nodes[4] // n5, us-west1-b
	for t := time.Duration(0); t < time.Minute; t += 10 * time.Millisecond {
		stats.RecordCount(gateway.Zone, 1, sim.At(t)) // 100 req/s
	}

	decide := func(now sim.Time, holder topology.NodeID, lastTransfer sim.Time) allocator.Decision {
		var rates [9]float64
		r, age := stats.PerLocalityDecayingRate(rates[:0], now)
		replica := func(id topology.NodeID) allocator.Replica {
			n := c.Nodes[id]
			return allocator.Replica{Node: id, Locality: n.Locality, StoreLeases: leases[id],
				Latency: regionRTT[c.Nodes[holder].Region][n.Region]}
		}
		var cands []allocator.Replica
		for _, id := range layout.ValidLeaseTargets(c, nil, nil) {
			cands = append(cands, replica(id))
		}
		return allocator.ShouldTransferLease(allocator.Input{
			Source: replica(holder), Candidates: cands,
			Rates: r, RequestLocalities: zoneLocality, StatsAge: age,
			MeanLeases: 100, Now: now, LastLeaseTransfer: lastTransfer, Settings: s,
		})
	}

	now := sim.At(time.Minute)
	d := decide(now, 0, allocator.NoLeaseTransfer)
	fmt.Println("at", now, d)

	// The engine transfers the lease; the new leaseholder's stats start
	// empty, so it will not move the lease again for 30 s.
	leases[0]--
	leases[d.Target]++
	stats.Reset(now)
	stats.RecordCount(gateway.Zone, 1000, now.Add(5*time.Second))
	later := now.Add(10 * time.Second)
	fmt.Println("at", later, decide(later, d.Target, now))

	fmt.Println("scanner idle per replica, 1200 replicas:", allocator.ScanInterval(1200, s))
	// Output:
	// at 1m0s transfer to n4 (follow-the-workload, score 374, adjustment 1.98)
	// at 1m10s stay on n4 (stats-too-young)
	// scanner idle per replica, 1200 replicas: 500ms
}
