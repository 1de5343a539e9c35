package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/topology"
)

// Load is the tally of replicas and leases per node across the ranges
// allocated so far. Allocate prefers the least-loaded node among equally
// diverse candidates and adds the range it placed, which is how
// CockroachDB's range-count and lease-count balancing shows at steady state.
// The caller owns it; share one Load across every range of a run. The zero
// Load is empty and grows as needed.
type Load struct {
	// Replicas counts replicas (voters and non-voters), indexed by NodeID.
	Replicas []int
	// Leases counts leaseholders, indexed by NodeID.
	Leases []int
}

// NewLoad returns an empty Load sized for c.
func NewLoad(c *topology.Cluster) *Load {
	return &Load{Replicas: make([]int, len(c.Nodes)), Leases: make([]int, len(c.Nodes))}
}

func (l *Load) grow(n int) {
	for len(l.Replicas) < n {
		l.Replicas = append(l.Replicas, 0)
	}
	for len(l.Leases) < n {
		l.Leases = append(l.Leases, 0)
	}
}

// Layout is the concrete replica set of one range on a cluster.
type Layout struct {
	// Home is the index in Cluster.Regions of the region the range is homed
	// in, or -1 when it has none (locality none, system ranges).
	Home int
	// Voters are the nodes holding voting replicas, in ID order.
	Voters []topology.NodeID
	// NonVoters are the nodes holding non-voting replicas, in ID order.
	NonVoters []topology.NodeID
	// LeasePreferences are indexes in Cluster.Regions, most preferred first;
	// empty means no preference.
	LeasePreferences []int
	// Leaseholder is the initial leaseholder: a voter in the first preferred
	// region that has a voter (any voter without preferences).
	Leaseholder topology.NodeID
	// GlobalReads is set for GLOBAL tables (non-blocking transactions).
	GlobalReads bool
	// MissingVoters and MissingNonVoters count the replicas the zone config
	// asks for that no node can take (the range is under-replicated, as
	// CockroachDB's allocator leaves it: see Allocate); 0 when it is fully
	// replicated.
	MissingVoters, MissingNonVoters int
}

// UnderReplicated reports whether the range has fewer replicas than its
// zone config asks for.
func (l *Layout) UnderReplicated() bool { return l.MissingVoters > 0 || l.MissingNonVoters > 0 }

// NeededVoters is the number of voters CockroachDB's allocator aims for
// with zone-config num_voters numVoters on a cluster of clusterNodes nodes
// (allocatorimpl.GetNeededVoters, pkg/kv/kvserver/allocator/allocatorimpl/
// allocator.go): numVoters, or the cluster's node count when smaller, made
// odd and at least 3 unless that exceeds numVoters.
func NeededVoters(numVoters, clusterNodes int) int {
	need := min(numVoters, clusterNodes)
	if need == numVoters {
		return need
	}
	if need%2 == 0 {
		need--
	}
	return min(max(need, 3), numVoters)
}

// NeededNonVoters is the number of non-voters the allocator aims for
// beside numVoters voters (allocatorimpl.GetNeededNonVoters): the zone
// config's count, or the nodes left without a voter when fewer.
func NeededNonVoters(numVoters, nonVoters, clusterNodes int) int {
	return max(min(nonVoters, clusterNodes-numVoters), 0)
}

// IsVoter reports whether node id holds a voting replica. O(voters).
func (l *Layout) IsVoter(id topology.NodeID) bool { return slices.Contains(l.Voters, id) }

// HasReplica reports whether node id holds a replica of either kind.
func (l *Layout) HasReplica(id topology.NodeID) bool {
	return l.IsVoter(id) || slices.Contains(l.NonVoters, id)
}

// ValidLeaseTargets appends to dst the voters that may receive the lease and
// returns the extended slice, as CockroachDB's ValidLeaseTargets does
// (reference §1.6): only live voters qualify (non-voters never hold leases),
// and if any of them is in a preferred region, only those in the first
// preferred region that has a live voter are kept. isLive reports whether a
// node is up; nil means every node is. It allocates nothing when dst has
// room; O(preferences × voters).
func (l *Layout) ValidLeaseTargets(c *topology.Cluster, isLive func(topology.NodeID) bool, dst []topology.NodeID) []topology.NodeID {
	start := len(dst)
	for _, pref := range l.LeasePreferences {
		for _, v := range l.Voters {
			if c.Nodes[v].Region == pref && (isLive == nil || isLive(v)) {
				dst = append(dst, v)
			}
		}
		if len(dst) > start {
			return dst
		}
	}
	for _, v := range l.Voters {
		if isLive == nil || isLive(v) {
			dst = append(dst, v)
		}
	}
	return dst
}

// ShouldMoveLease reports whether a lease held by current violates the lease
// preferences while some live voter satisfies them, so the allocator should
// transfer it (CockroachDB's leaseholderShouldMoveDueToPreferences,
// reference §1.6): false without preferences, when current is not live,
// when no live voter is in a preferred region, or when current is in the
// first preferred region that has a live voter. isLive nil means every node
// is up. Allocation-free.
func (l *Layout) ShouldMoveLease(c *topology.Cluster, isLive func(topology.NodeID) bool, current topology.NodeID) bool {
	if len(l.LeasePreferences) == 0 || (isLive != nil && !isLive(current)) {
		return false
	}
	for _, pref := range l.LeasePreferences {
		matched := false
		for _, v := range l.Voters {
			if c.Nodes[v].Region == pref && (isLive == nil || isLive(v)) {
				if v == current {
					return false
				}
				matched = true
			}
		}
		if matched {
			return true
		}
	}
	return false
}

// Describe renders l with node, zone and region names, e.g.
// "voters n1(us-east1-a) n2(us-east1-b) n3(us-east1-c); non-voters
// n4(us-west1-a) n7(europe-west1-a); leaseholder n2; lease preferences
// [us-east1]".
func (l *Layout) Describe(c *topology.Cluster) string {
	var b strings.Builder
	list := func(ids []topology.NodeID) {
		if len(ids) == 0 {
			b.WriteString(" none")
		}
		for _, id := range ids {
			fmt.Fprintf(&b, " %s(%s)", id, c.Nodes[id].Locality.Zone)
		}
	}
	b.WriteString("voters")
	list(l.Voters)
	b.WriteString("; non-voters")
	list(l.NonVoters)
	fmt.Fprintf(&b, "; leaseholder %s; lease preferences [", l.Leaseholder)
	for i, r := range l.LeasePreferences {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(c.Regions[r].Name)
	}
	b.WriteString("]")
	if l.GlobalReads {
		b.WriteString("; global reads")
	}
	return b.String()
}

// boundConstraints is a constraints list bound to cluster region indexes.
type boundConstraints struct {
	all   int   // region every replica must be in (a count-0 conjunction), or -1
	rules []int // per region index: minimum count (0 = none)
	any   bool  // some count > 0 conjunction exists
	free  bool  // the counts leave unconstrained replicas
}

func bindConstraints(c *topology.Cluster, field string, cs []Constraint, n int) (boundConstraints, error) {
	b := boundConstraints{all: -1, rules: make([]int, len(c.Regions))}
	sum := 0
	for _, k := range cs {
		r := c.RegionIndex(k.Region)
		if r < 0 || len(c.RegionNodes(r)) == 0 {
			return b, fmt.Errorf("%s: %s: region %q has no nodes in the cluster: %w", field, k, k.Region, ErrUnsatisfiable)
		}
		if k.NumReplicas == 0 {
			b.all = r
			continue
		}
		b.rules[r] = k.NumReplicas
		b.any = true
		sum += k.NumReplicas
	}
	b.free = b.all < 0 && sum < n
	return b, nil
}

// valid reports whether a replica in region r is allowed
// (allocateConstraintsCheck: matches some conjunction, or replicas are left
// unconstrained).
func (b *boundConstraints) valid(r int) bool {
	switch {
	case b.all >= 0:
		return r == b.all
	case !b.any || b.free:
		return true
	}
	return b.rules[r] > 0
}

// necessary reports whether a replica in region r would fill a conjunction
// that has fewer than its count (counts holds the current replicas per
// region).
func (b *boundConstraints) necessary(r int, counts []int) bool {
	return counts[r] < b.rules[r]
}

// candidateScore orders candidates the way the allocator ranks them:
// constraint necessity, then diversity, then balance.
type candidateScore struct {
	voterNecessary bool    // fills a voter constraint
	necessary      bool    // fills a replica constraint
	diversity      float64 // sum of DiversityScore against the replica set
	load           int     // replicas already on the node (lower is better)
}

func (a candidateScore) compare(b candidateScore) int {
	switch {
	case a.voterNecessary != b.voterNecessary:
		return boolCmp(a.voterNecessary)
	case a.necessary != b.necessary:
		return boolCmp(a.necessary)
	case a.diversity != b.diversity:
		if a.diversity > b.diversity {
			return 1
		}
		return -1
	case a.load != b.load:
		if a.load < b.load {
			return 1
		}
		return -1
	}
	return 0
}

func boolCmp(a bool) int {
	if a {
		return 1
	}
	return -1
}

// Allocate chooses the nodes of one range with spec on c, the way
// CockroachDB's allocator settles at steady state (reference §1.4):
//
//  1. voters, one at a time, among nodes allowed by both `constraints` and
//     `voter_constraints`, ranked by: fills a voter constraint (e.g. REGION's
//     home:2), fills a replica constraint (a region with no replica yet),
//     locality diversity summed against the voters chosen so far
//     (topology.DiversityScore), fewest replicas in load;
//  2. non-voters the same way among nodes allowed by `constraints`, with
//     diversity against all replicas chosen so far;
//  3. the leaseholder among ValidLeaseTargets with every node live, fewest
//     leases in load.
//
// Remaining ties are broken by r (uniformly among the tied nodes), so which
// non-home region gets the second floating voter under REGION survival
// without a secondary region is random (reference §1.4, §10 rule 2). Ranking
// voter constraints ahead of replica constraints departs from CockroachDB's
// one-shot ranking (which treats both as "necessary") so that the greedy
// pass lands directly on the layout the rebalancer would converge to.
//
// If load is not nil, the new replicas and lease are added to it. Allocate
// returns an error wrapping ErrUnsatisfiable when a constraint or lease
// preference names a region without nodes, or when there are fewer eligible
// nodes than replicas (CockroachDB would leave the range under-replicated).
// It panics if r is nil. Cost O(replicas × nodes): a candidate's diversity
// is a running sum (prepared.spread).
func Allocate(c *topology.Cluster, spec Spec, r *rand.Rand, load *Load) (Layout, error) {
	l, err := allocate(c, spec, r, load)
	return l, prefix(err)
}

func allocate(c *topology.Cluster, spec Spec, r *rand.Rand, load *Load) (Layout, error) {
	p, err := prepare(c, spec)
	if err != nil {
		return Layout{}, err
	}
	return p.allocate(c, r, load)
}

// prepared is a spec checked and bound to a cluster, ready to allocate any
// number of ranges (PlaceTable allocates a partition's ranges from one),
// with the scratch space one allocation uses.
type prepared struct {
	spec               Spec
	overall, voterCons boundConstraints
	home               int
	prefs              []int // lease preferences as region indexes, shared by the layouts
	used               []bool
	replicasIn         []int // voters and non-voters per region
	votersIn           []int
	// div is topology.DiversityScore of every pair of zones, shared by
	// the partitions of a table (nil: scored per pair of nodes).
	div *zoneDiversity
	// spread[i] is the diversity node i would add as the next replica:
	// the sum of its scores against the replicas chosen so far, in the
	// order they were chosen (allocate).
	spread []float64
	// What a pick's constraints say of each region (allowed, fills a
	// replica constraint, fills a voter constraint), computed once a pick
	// for the regions rather than once for each of their nodes.
	regionOK, regionNec, regionVoterNec []bool
	// nodeRegion[i] and nodeZone[i] are node i's region and zone: a pick
	// reads them for every node, from 8 bytes a node rather than
	// topology.Node's hundred.
	nodeRegion, nodeZone []int
}

// prepare checks spec against c and binds its constraints: the part of
// allocate that does not depend on the range.
func prepare(c *topology.Cluster, spec Spec) (*prepared, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	overall, err := bindConstraints(c, "constraints", spec.Constraints, spec.NumReplicas)
	if err != nil {
		return nil, err
	}
	voterCons, err := bindConstraints(c, "voter_constraints", spec.VoterConstraints, spec.NumVoters)
	if err != nil {
		return nil, err
	}
	p := &prepared{spec: spec, overall: overall, voterCons: voterCons, home: -1,
		used: make([]bool, len(c.Nodes)), replicasIn: make([]int, len(c.Regions)), votersIn: make([]int, len(c.Regions)),
		spread: make([]float64, len(c.Nodes)), regionOK: make([]bool, len(c.Regions)),
		regionNec: make([]bool, len(c.Regions)), regionVoterNec: make([]bool, len(c.Regions)),
		nodeRegion: make([]int, len(c.Nodes)), nodeZone: make([]int, len(c.Nodes))}
	for i := range c.Nodes {
		p.nodeRegion[i], p.nodeZone[i] = c.Nodes[i].Region, c.Nodes[i].Zone
	}
	if spec.Home != "" {
		if p.home = c.RegionIndex(spec.Home); p.home < 0 {
			return nil, fmt.Errorf("home region %q is not in the cluster: %w", spec.Home, ErrUnsatisfiable)
		}
	}
	for _, pref := range spec.LeasePreferences {
		ri := c.RegionIndex(pref)
		if ri < 0 || len(c.RegionNodes(ri)) == 0 {
			return nil, fmt.Errorf("lease_preferences: region %q has no nodes in the cluster: %w", pref, ErrUnsatisfiable)
		}
		p.prefs = append(p.prefs, ri)
	}
	p.prefs = slices.Clip(p.prefs)
	if len(spec.Nodes) > 0 && len(spec.Nodes) < spec.NumReplicas {
		return nil, fmt.Errorf("num_replicas=%d: only nodes %v are allowed: %w", spec.NumReplicas, spec.Nodes, ErrUnsatisfiable)
	}
	return p, nil
}

// zoneDiversity is topology.DiversityScore of every pair of zones of a
// cluster: a node's locality is its zone's, so the score of two nodes is
// their zones'. score[a*zones+b] is the score of zones a and b (0 for a
// zone without nodes, which no node reads).
type zoneDiversity struct {
	zones int
	score []float64
}

// diversityTable returns the diversity of every pair of zones of c
// (prepared.div), for specs that allocate many ranges: O(zones²),
// computed once for a table's partitions (PlaceTableInto). A table of
// node pairs cost O(nodes²) memory for each table of each run, 52 KB a
// table at 81 nodes, for the same scores (issue #16: cost linear in
// nodes).
func diversityTable(c *topology.Cluster) *zoneDiversity {
	nz := len(c.Zones)
	first := make([]int, nz) // a node of each zone
	for i := range first {
		first[i] = -1
	}
	for i := range c.Nodes {
		if z := c.Nodes[i].Zone; first[z] < 0 {
			first[z] = i
		}
	}
	d := &zoneDiversity{zones: nz, score: make([]float64, nz*nz)}
	for a, na := range first {
		for b, nb := range first {
			if na >= 0 && nb >= 0 {
				d.score[a*nz+b] = topology.DiversityScore(c.Nodes[na].Locality, c.Nodes[nb].Locality)
			}
		}
	}
	return d
}

// diversity returns topology.DiversityScore of nodes i and j.
func (p *prepared) diversity(c *topology.Cluster, i int, j topology.NodeID) float64 {
	if p.div != nil {
		return p.div.score[p.nodeZone[i]*p.div.zones+p.nodeZone[j]]
	}
	return topology.DiversityScore(c.Nodes[i].Locality, c.Nodes[j].Locality)
}

// allocate places one range (see Allocate). The layouts it returns share
// their LeasePreferences list, which nobody changes.
func (p *prepared) allocate(c *topology.Cluster, r *rand.Rand, load *Load) (Layout, error) {
	if r == nil {
		panic("placement: Allocate needs a *rand.Rand")
	}
	spec, overall, voterCons := &p.spec, &p.overall, &p.voterCons
	l := Layout{Home: p.home, GlobalReads: spec.GlobalReads, LeasePreferences: p.prefs}
	if load != nil {
		load.grow(len(c.Nodes))
	}

	used, replicasIn, votersIn, spread := p.used, p.replicasIn, p.votersIn, p.spread
	clear(used)
	clear(replicasIn)
	clear(votersIn)
	clear(spread)
	regionOK, regionNec, regionVoterNec := p.regionOK, p.regionNec, p.regionVoterNec
	pick := func(voter bool) topology.NodeID {
		best, ties := topology.NodeID(-1), 0
		var bestScore candidateScore
		for r := range regionOK {
			regionOK[r] = overall.valid(r) && (!voter || voterCons.valid(r))
			regionNec[r] = overall.necessary(r, replicasIn)
			regionVoterNec[r] = voter && voterCons.necessary(r, votersIn)
		}
		for i, reg := range p.nodeRegion {
			id := topology.NodeID(i) // c.Nodes[i].ID
			if used[i] || !regionOK[reg] || (len(spec.Nodes) > 0 && !slices.Contains(spec.Nodes, id)) {
				continue
			}
			s := candidateScore{necessary: regionNec[reg], voterNecessary: regionVoterNec[reg]}
			// Voters spread among voters (allocateTargetFromList),
			// non-voters among all replicas: the voters are all chosen
			// before the first non-voter, so spread[i] is the sum over
			// the voters while voters are picked and over every replica
			// after.
			s.diversity = spread[i]
			if load != nil {
				s.load = load.Replicas[i]
			}
			switch cmp := s.compare(bestScore); {
			case best < 0 || cmp > 0:
				best, bestScore, ties = id, s, 1
			case cmp == 0:
				ties++
				if r.IntN(ties) == 0 {
					best = id
				}
			}
		}
		if best >= 0 {
			if p.div != nil {
				// The score is symmetric: the row of best's zone holds
				// every zone's score against it.
				nz := p.div.zones
				row := p.div.score[p.nodeZone[best]*nz:][:nz]
				for i, z := range p.nodeZone {
					spread[i] += row[z]
				}
			} else {
				for i := range spread {
					spread[i] += p.diversity(c, i, best)
				}
			}
			used[best] = true
			reg := c.Nodes[best].Region
			replicasIn[reg]++
			if voter {
				votersIn[reg]++
			}
		}
		return best
	}
	// The counts the allocator aims for: fewer than the zone config's on a
	// cluster with fewer nodes (GetNeededVoters, GetNeededNonVoters). A
	// replica no node can take is left missing: the allocator's
	// AllocatorAddVoter (or AddNonVoter) fails with "0 of N live stores are
	// able to take a new replica for the range" and the range stays
	// under-replicated (computeAction returns AddVoter again on every pass,
	// so nothing else about the range changes; the non-voters kept are
	// those a range whose zone config changed from the survival goal's
	// already had). Only a range that cannot take a single voter is refused.
	needVoters := NeededVoters(spec.NumVoters, len(c.Nodes))
	needNonVoters := NeededNonVoters(needVoters, spec.NumReplicas-spec.NumVoters, len(c.Nodes))
	for len(l.Voters) < needVoters {
		id := pick(true)
		if id < 0 {
			break
		}
		l.Voters = append(l.Voters, id)
	}
	if len(l.Voters) == 0 {
		return Layout{}, fmt.Errorf("num_voters=%d: no node satisfies constraints %s and voter_constraints %s: %w",
			spec.NumVoters, formatConstraints(spec.Constraints), formatConstraints(spec.VoterConstraints), ErrUnsatisfiable)
	}
	l.MissingVoters = spec.NumVoters - len(l.Voters)
	for len(l.NonVoters) < needNonVoters {
		id := pick(false)
		if id < 0 {
			break
		}
		l.NonVoters = append(l.NonVoters, id)
	}
	l.MissingNonVoters = spec.NumReplicas - spec.NumVoters - len(l.NonVoters)
	if l.UnderReplicated() {
		// The constraints a full replica set would meet are the allocator's
		// aim, not a promise: an under-replicated range violates them
		// (the constraint conformance report lists it).
		goto lease
	}
	for _, k := range spec.VoterConstraints {
		if ri := c.RegionIndex(k.Region); votersIn[ri] < k.NumReplicas {
			return Layout{}, fmt.Errorf("voter_constraints: %s: region %q holds %d voters: %w", k, k.Region, votersIn[ri], ErrUnsatisfiable)
		}
	}
	for _, k := range spec.Constraints {
		ri := c.RegionIndex(k.Region)
		if replicasIn[ri] >= k.NumReplicas {
			continue
		}
		// A region short of its replicas while it has nodes to spare: the
		// spec itself over-constrains (every replica is a voter that the
		// voter constraints keep elsewhere, e.g. ZONE survival with
		// num_voters = num_replicas). CockroachDB accepts such a zone
		// config and its allocator leaves the range violating the
		// constraint (the constraint conformance report lists it); so does
		// Allocate. Without nodes to spare the cluster is too small.
		spare := slices.ContainsFunc(c.RegionNodes(ri), func(id topology.NodeID) bool {
			return !used[id] && (len(spec.Nodes) == 0 || slices.Contains(spec.Nodes, id))
		})
		if !spare {
			return Layout{}, fmt.Errorf("constraints: %s: region %q holds %d replicas: %w", k, k.Region, replicasIn[ri], ErrUnsatisfiable)
		}
	}
lease:
	slices.Sort(l.Voters)
	slices.Sort(l.NonVoters)

	var buf [8]topology.NodeID
	targets := l.ValidLeaseTargets(c, nil, buf[:0])
	ties, minLeases := 0, -1
	for _, id := range targets {
		n := 0
		if load != nil {
			n = load.Leases[id]
		}
		switch {
		case minLeases < 0 || n < minLeases:
			l.Leaseholder, minLeases, ties = id, n, 1
		case n == minLeases:
			ties++
			if r.IntN(ties) == 0 {
				l.Leaseholder = id
			}
		}
	}
	if load != nil {
		for _, id := range l.Voters {
			load.Replicas[id]++
		}
		for _, id := range l.NonVoters {
			load.Replicas[id]++
		}
		load.Leases[l.Leaseholder]++
	}
	return l, nil
}
