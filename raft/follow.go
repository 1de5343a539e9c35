package raft

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/regionsim/regionsim/raft/allocator"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// scanners are the stores' replica scanners: each visits its store's
// replicas in turn, one every allocator.ScanInterval, and runs the lease
// queue's decision — lease preferences, then follow-the-workload — on those
// whose lease the store holds (reference §5.4). It is its own sim.Handler
// with its own random stream ("raft/allocator").
type scanners struct {
	m          *Model
	id         sim.HandlerID
	rng        *rand.Rand
	stores     []scanner
	localities []topology.Locality // request-locality id (zone index) -> locality
	rates      []float64
	candidates []allocator.Replica
	targets    []topology.NodeID
	stale      bool // replica lists changed: rebuild the stores' lists
}

// scanner is one store's replica scanner.
type scanner struct {
	replicas []RangeID // ranges with a replica on the store
	next     int
	// lastTransfer is when the store last made a rebalancing lease
	// transfer (kv.allocator.min_lease_transfer_interval).
	lastTransfer sim.Time
}

// kScan is the scanners' one event kind: a store's scanner visits its
// next replica (Arg: NodeID).
const kScan sim.Kind = 0

// newScanners registers the scanners and starts each at a random phase
// within scan_max_idle_time (stream "raft/scanner").
func newScanners(m *Model, seed uint64) *scanners {
	s := &scanners{
		m:      m,
		rng:    sim.NewRand(seed, sim.StreamID("raft/allocator", 0)),
		stores: make([]scanner, len(m.cluster.Nodes)),
		rates:  make([]float64, len(m.cluster.Zones)),
	}
	s.id = m.eng.Register(s)
	for z := range m.cluster.Zones {
		zone := &m.cluster.Zones[z]
		s.localities = append(s.localities, topology.Locality{Region: m.cluster.Regions[zone.Region].Name, Zone: zone.Name})
	}
	phase := sim.NewRand(seed, sim.StreamID("raft/scanner", 0))
	for i := range s.stores {
		s.stores[i].lastTransfer = allocator.NoLeaseTransfer
		at := time.Duration(phase.Int64N(int64(m.cfg.Allocator.ScanMaxIdleTime) + 1))
		m.eng.Schedule(m.eng.Now().Add(at), s.id, kScan, int64(i))
	}
	return s
}

// rangesChanged tells the scanners that ranges were added or replicas
// moved.
func (s *scanners) rangesChanged() { s.stale = true }

// Handle runs a scanner visit.
func (s *scanners) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kScan:
		s.visit(topology.NodeID(ev.Arg))
	default:
		panic(fmt.Sprintf("raft: unknown scanner event kind %d", ev.Kind))
	}
}

// refresh rebuilds the stores' replica lists, each grown once to its
// length.
func (s *scanners) refresh() {
	counts := make([]int, len(s.stores))
	for i := range s.m.ranges {
		for _, n := range s.m.ranges[i].Replicas {
			counts[n]++
		}
	}
	for i := range s.stores {
		s.stores[i].replicas = slices.Grow(s.stores[i].replicas[:0], counts[i])
	}
	for i := range s.m.ranges {
		for _, n := range s.m.ranges[i].Replicas {
			s.stores[n].replicas = append(s.stores[n].replicas, RangeID(i))
		}
	}
	s.stale = false
}

// visit visits the next replica of store node and schedules the next visit.
func (s *scanners) visit(node topology.NodeID) {
	m := s.m
	if s.stale {
		s.refresh()
	}
	sc := &s.stores[node]
	if len(sc.replicas) > 0 && m.fo.up(node) {
		rng := sc.replicas[sc.next%len(sc.replicas)]
		sc.next++
		if m.ranges[rng].Leaseholder == node {
			s.considerLease(rng, sc)
		}
	}
	m.eng.After(allocator.ScanInterval(len(sc.replicas), m.cfg.Allocator), s.id, kScan, int64(node))
}

// considerLease runs the lease queue's decision for range rng at its
// leaseholder and starts a transfer if it says so.
func (s *scanners) considerLease(rng RangeID, sc *scanner) {
	m := s.m
	r := &m.ranges[rng]
	if r.transferring || m.eng.Now() < r.leaseStart {
		return
	}
	src := r.Leaseholder
	if !m.fo.leaseValid(r) || r.fail != nil && r.fail.acquiring {
		return
	}
	s.targets = r.Layout.ValidLeaseTargets(m.cluster, m.isLive, s.targets[:0])
	if m.fo != nil && len(s.targets) > 0 && r.Layout.ShouldMoveLease(m.cluster, m.isLive, src) {
		// The lease violates its preferences and a preferred voter is
		// live again (e.g. the home region recovered): move it back.
		if m.TransferLease(rng, s.targets[0], "preference") {
			sc.lastTransfer = m.eng.Now()
		}
		return
	}
	s.candidates = s.candidates[:0]
	for _, n := range s.targets {
		s.candidates = append(s.candidates, allocator.Replica{
			Node: n, Locality: m.cluster.Nodes[n].Locality, StoreLeases: m.leaseCount[n],
			Latency: m.cluster.MedianRTT(src, n),
		})
	}
	rates, age := m.statsOf(r).PerLocalityDecayingRate(s.rates, m.eng.Now())
	d := allocator.ShouldTransferLease(allocator.Input{
		Source: allocator.Replica{
			Node: src, Locality: m.cluster.Nodes[src].Locality, StoreLeases: m.leaseCount[src],
		},
		Candidates:        s.candidates,
		Rates:             rates,
		RequestLocalities: s.localities,
		StatsAge:          age,
		MeanLeases:        m.meanLeases(r),
		Now:               m.eng.Now(),
		LastLeaseTransfer: sc.lastTransfer,
		Rand:              s.rng,
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
