package raft

import (
	"time"

	"github.com/regionsim/regionsim/raft/allocator"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// kScan is a store's replica-scanner visit (Arg: node).
const kScan = kSideTick + 1

// scanner is one store's replica scanner: it visits the store's replicas in
// turn, one every allocator.ScanInterval, and runs the lease queue's
// follow-the-workload decision on those whose lease the store holds
// (reference §5.4).
type scanner struct {
	replicas []int32 // ranges with a replica on the store
	next     int
	// lastTransfer is when the store last made a rebalancing lease
	// transfer (kv.allocator.min_lease_transfer_interval).
	lastTransfer sim.Time
}

// followState is the model's follow-the-workload machinery.
type followState struct {
	scanners   []scanner
	localities []topology.Locality // request-locality id (zone index) -> locality
	rates      []float64
	candidates []allocator.Replica
	targets    []topology.NodeID
	nRanges    int // ranges the scanners' replica lists cover
}

func (m *Model) initFollow(seed uint64) {
	f := &m.follow
	f.scanners = make([]scanner, len(m.cluster.Nodes))
	for z := range m.cluster.Zones {
		zone := &m.cluster.Zones[z]
		f.localities = append(f.localities, topology.Locality{Region: m.cluster.Regions[zone.Region].Name, Zone: zone.Name})
	}
	f.rates = make([]float64, len(m.cluster.Zones))
	phase := sim.NewRand(seed, sim.StreamID("raft/scanner", 0))
	for i := range f.scanners {
		f.scanners[i].lastTransfer = allocator.NoLeaseTransfer
		at := time.Duration(phase.Int64N(int64(m.cfg.Allocator.ScanMaxIdleTime) + 1))
		m.eng.Schedule(m.eng.Now().Add(at), m.id, kScan, int64(i))
	}
}

// refreshScanners rebuilds the stores' replica lists after tables were
// added.
func (m *Model) refreshScanners() {
	f := &m.follow
	for i := range f.scanners {
		f.scanners[i].replicas = f.scanners[i].replicas[:0]
	}
	for i := range m.ranges {
		for _, n := range m.ranges[i].Replicas {
			f.scanners[n].replicas = append(f.scanners[n].replicas, int32(i))
		}
	}
	f.nRanges = len(m.ranges)
}

// scan visits the next replica of store node and schedules the next visit.
func (m *Model) scan(node topology.NodeID) {
	f := &m.follow
	if f.nRanges != len(m.ranges) {
		m.refreshScanners()
	}
	sc := &f.scanners[node]
	if len(sc.replicas) > 0 && (!m.faulty || m.up(node)) {
		rng := sc.replicas[sc.next%len(sc.replicas)]
		sc.next++
		if m.ranges[rng].Leaseholder == node {
			m.considerLease(rng, sc)
		}
	}
	m.eng.After(allocator.ScanInterval(len(sc.replicas), m.cfg.Allocator), m.id, kScan, int64(node))
}

// considerLease runs the lease queue's decision for range rng at its
// leaseholder and starts a transfer if it says so.
func (m *Model) considerLease(rng int32, sc *scanner) {
	f := &m.follow
	r := &m.ranges[rng]
	if r.transferring || m.eng.Now() < r.leaseStart {
		return
	}
	src := r.Leaseholder
	if m.faulty && (!m.leaseHolderOK(r) || r.waitingLease || r.acquiring) {
		return
	}
	f.targets = r.Layout.ValidLeaseTargets(m.cluster, m.isLive, f.targets[:0])
	if m.faulty && len(f.targets) > 0 && r.Layout.ShouldMoveLease(m.cluster, m.isLive, src) {
		// The lease violates its preferences and a preferred voter is
		// live again (e.g. the home region recovered): move it back.
		if m.TransferLease(rng, f.targets[0], "preference") {
			sc.lastTransfer = m.eng.Now()
		}
		return
	}
	f.candidates = f.candidates[:0]
	for _, n := range f.targets {
		f.candidates = append(f.candidates, allocator.Replica{
			Node: n, Locality: m.cluster.Nodes[n].Locality, StoreLeases: m.leaseCount[n],
			Latency: m.cluster.MedianRTT(src, n),
		})
	}
	rates, age := r.stats.PerLocalityDecayingRate(f.rates, m.eng.Now())
	d := allocator.ShouldTransferLease(allocator.Input{
		Source: allocator.Replica{
			Node: src, Locality: m.cluster.Nodes[src].Locality, StoreLeases: m.leaseCount[src],
		},
		Candidates:        f.candidates,
		Rates:             rates,
		RequestLocalities: f.localities,
		StatsAge:          age,
		MeanLeases:        m.meanLeases(r),
		Now:               m.eng.Now(),
		LastLeaseTransfer: sc.lastTransfer,
		Rand:              m.allocRand,
		Settings:          m.cfg.Allocator,
	})
	if d.Transfer && m.TransferLease(rng, d.Target, string(d.Reason)) {
		sc.lastTransfer = m.eng.Now()
	}
}

// meanLeases is the mean lease count over the stores that could hold the
// range's voters: the home region's when every voter is there (ZONE
// survival), else every store (reference §5.3, StoreList.CandidateLeases).
func (m *Model) meanLeases(r *Range) float64 {
	region := m.cluster.Nodes[r.Layout.Voters[0]].Region
	for _, v := range r.Layout.Voters[1:] {
		if m.cluster.Nodes[v].Region != region {
			region = -1
			break
		}
	}
	total, stores := 0, 0
	for n := range m.cluster.Nodes {
		if region < 0 || m.cluster.Nodes[n].Region == region {
			total += m.leaseCount[n]
			stores++
		}
	}
	return float64(total) / float64(stores)
}
