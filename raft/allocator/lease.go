package allocator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// minReplicaWeight is the floor of a replica's request weight, "needed
// because a weight of zero doesn't work in the current lease scoring
// algorithm" [code:pkg/kv/kvserver/allocator/allocatorimpl/allocator.go
// minReplicaWeight = 0.001].
const minReplicaWeight = 0.001

// followTheWorkloadDamping is the constant 0.1 of loadBasedLeaseRebalanceScore,
// "constant factor to reduce aggressiveness by default" [allocator.go].
const followTheWorkloadDamping = 0.1

// leaseCountTargetSlack is the 0.5 lease below the mean that a target must be
// under in TransferLeaseTarget's lease-count branch ("LeaseCount <
// candidateLeasesMean-0.5") [allocator.go].
const leaseCountTargetSlack = 0.5

// NoLeaseTransfer is the Input.LastLeaseTransfer of a store that has not
// made a rebalancing lease transfer yet. Any negative Time means the same.
const NoLeaseTransfer sim.Time = math.MinInt64

// Replica is one replica of the range as the lease decision sees it.
type Replica struct {
	// Node is the node (and store) holding the replica.
	Node topology.NodeID
	// Locality is the node's locality. A zero Locality means unknown, which
	// makes CockroachDB skip the load-based rule.
	Locality topology.Locality
	// StoreLeases is the number of leases the replica's store holds
	// (StoreDescriptor.Capacity.LeaseCount).
	StoreLeases int
	// Latency is the measured round-trip latency from the leaseholder's node
	// to this replica's node (CockroachDB's nodeLatencyFn, an RPC heartbeat
	// measurement; the caller passes the median RTT). A negative Latency
	// means no measurement: the replica is then not scored by the
	// load-based rule, as in CockroachDB. Ignored for Input.Source.
	Latency time.Duration
}

// Input is everything ShouldTransferLease needs about one range at one
// scanner visit of its leaseholder. The slices are only read.
type Input struct {
	// Source is the current leaseholder.
	Source Replica
	// Candidates are the valid lease targets: the caller's
	// placement.Layout.ValidLeaseTargets (live voters, restricted to the
	// first lease preference that matches any). They may include Source,
	// which is skipped. Ties go to the earliest candidate.
	Candidates []Replica
	// Rates are the decayed request rates per request locality in
	// requests/s, from ReplicaStats.PerLocalityDecayingRate. nil means the
	// range has no request stats (CockroachDB's RequestLocality == nil).
	Rates []float64
	// RequestLocalities[i] is the locality of request-locality id i; it must
	// have len(Rates) entries. A zero Locality is CockroachDB's "" key
	// (gateway locality unknown) and is ignored.
	RequestLocalities []topology.Locality
	// StatsAge is the time since the stats were last reset, the second
	// result of PerLocalityDecayingRate.
	StatsAge time.Duration
	// MeanLeases is the mean lease count over the stores that satisfy the
	// range's constraints and voter constraints, suspect stores excluded
	// (StoreList.CandidateLeases.Mean).
	MeanLeases float64
	// Now is the simulated time of the decision.
	Now sim.Time
	// LastLeaseTransfer is when the source's store last made a rebalancing
	// lease transfer, or NoLeaseTransfer (any negative Time) if never.
	LastLeaseTransfer sim.Time
	// Rand picks among the under-mean candidates of a lease-count transfer,
	// as CockroachDB does with its allocator rand. nil picks the one with
	// the fewest leases (the earliest on ties), which is deterministic
	// without a random stream.
	Rand *rand.Rand
	// Settings must be valid (Settings.Validate).
	Settings Settings
}

// Reason says which rule produced a Decision.
type Reason string

// Reasons of a Decision. The two transfer reasons name the rule that chose
// the target; the others say why the lease stays.
const (
	// ReasonFollowTheWorkload: shouldTransferLeaseForAccessLocality found a
	// candidate with a positive loadBasedLeaseRebalanceScore. The score
	// mixes request locality, latency and lease counts, so with
	// Aggressiveness 0 it transfers on lease counts alone.
	ReasonFollowTheWorkload Reason = "follow-the-workload"
	// ReasonLeaseCount: without usable stats, the source's store is
	// overfull in leases (shouldTransferLeaseForLeaseCountConvergence) and a
	// candidate is below the mean.
	ReasonLeaseCount Reason = "lease-count"
	// ReasonMinTransferInterval: the store transferred a lease no more than
	// MinLeaseTransferInterval ago (canTransferLeaseFrom).
	ReasonMinTransferInterval Reason = "min-transfer-interval"
	// ReasonNoCandidates: no valid lease target other than the source.
	ReasonNoCandidates Reason = "no-candidates"
	// ReasonStatsTooYoung: the stats are younger than
	// MinLeaseTransferStatsDuration; CockroachDB deliberately does not fall
	// back to lease counts here.
	ReasonStatsTooYoung Reason = "stats-too-young"
	// ReasonNoBetterCandidate: no candidate scored above 0.
	ReasonNoBetterCandidate Reason = "no-better-candidate"
	// ReasonDisabled: load-based rebalancing is disabled and lease counts
	// do not call for a transfer.
	ReasonDisabled Reason = "disabled"
	// ReasonNoStats: no request stats, no request from a known locality, or
	// a replica of unknown locality, and lease counts do not call for a
	// transfer.
	ReasonNoStats Reason = "no-stats"
	// ReasonNoTarget: lease counts call for a transfer but no candidate's
	// store is below the mean by more than half a lease.
	ReasonNoTarget Reason = "no-target"
)

// Decision is the outcome of ShouldTransferLease.
type Decision struct {
	// Transfer reports whether the lease should move now.
	Transfer bool
	// Target is the node that should hold the lease: the chosen candidate
	// when Transfer, else the source.
	Target topology.NodeID
	// Reason names the deciding rule.
	Reason Reason
	// Score and Adjustment are loadBasedLeaseRebalanceScore's total score
	// (in leases) and rebalance adjustment (dimensionless; positive favours
	// the candidate) of the best-scoring candidate when the load-based rule
	// scored one; zero otherwise.
	Score      int64
	Adjustment float64
}

// String renders the decision for traces: "transfer to n4
// (follow-the-workload, score 400, adjustment 2.10)" or "stay on n1
// (stats-too-young)".
func (d Decision) String() string {
	verb := "stay on"
	if d.Transfer {
		verb = "transfer to"
	}
	if d.Reason == ReasonFollowTheWorkload || d.Reason == ReasonNoBetterCandidate {
		return fmt.Sprintf("%s %v (%s, score %d, adjustment %.2f)", verb, d.Target, d.Reason, d.Score, d.Adjustment)
	}
	return fmt.Sprintf("%s %v (%s)", verb, d.Target, d.Reason)
}

// transferDecision mirrors allocator.go's transferDecision.
type transferDecision int

const (
	shouldTransfer transferDecision = iota + 1
	shouldNotTransfer
	decideWithoutStats
)

// ShouldTransferLease decides, at a scanner visit of the leaseholder,
// whether the range's lease should move for rebalancing and to where. It
// composes, in CockroachDB's order (reference §5.3, §5.4):
//
//  1. the replicate (lease) queue's canTransferLeaseFrom: a store makes a
//     rebalancing transfer only if more than MinLeaseTransferInterval has
//     passed since its last one [code:pkg/kv/kvserver/replicate_queue.go];
//  2. Allocator.ShouldTransferLease: no transfer without a valid target
//     other than the source; else shouldTransferLeaseForAccessLocality
//     (follow-the-workload, below), and when that has no usable stats,
//     shouldTransferLeaseForLeaseCountConvergence;
//  3. Allocator.TransferLeaseTarget with goal FollowTheWorkload and
//     CheckCandidateFullness, as the lease queue calls it: the
//     follow-the-workload winner, or for a lease-count transfer a candidate
//     whose store has fewer than MeanLeases − 0.5 leases
//     [code:pkg/kv/kvserver/allocator/allocatorimpl/allocator.go].
//
// Follow-the-workload: every request locality L with rate q adds
// (1 − DiversityScore(replica, L))·q to each replica's weight (floored at
// 0.001). For each candidate r ≠ source with a latency measurement,
//
//	adj   = Aggressiveness · 0.1 · log10(w_r / w_source) · ln(1 + latency_ms)
//	thr   = 2·LeaseRebalanceThreshold − adj
//	score = (sourceLeases − ceil(mean·(1+thr))) + (floor(mean·(1−thr)) − rLeases)
//
// and the lease moves to the best score if it is above 0. Stats younger
// than MinLeaseTransferStatsDuration block this without falling back to
// lease counts. Stats are "missing" (lease-count fallback) when Rates is
// nil, load-based rebalancing is disabled, a replica's locality is
// unknown, or no known request locality has a positive rate.
//
// Lease-count convergence: transfer if sourceLeases > max(ceil(mean·(1+t)),
// ceil(mean+m)), or if sourceLeases > mean and some candidate has fewer
// than min(ceil(mean·(1−t)), ceil(mean−m)) leases, with
// t = LeaseRebalanceThreshold and m = LeaseRebalanceThresholdMin.
//
// Differences from CockroachDB, none reachable in the simulator's normal
// use: moving a lease that violates lease preferences is the caller's
// (placement.Layout.ShouldMoveLease, which also bypasses the interval);
// the source's weight is computed from its locality even when it is not
// among Candidates (CockroachDB then takes 0.001); a request locality with
// rate 0 counts as absent (CockroachDB's map can keep a zeroed key, so a
// range with no requests at all goes to the score with adj 0 there, to
// lease counts here); scores are int64, not int32.
//
// ShouldTransferLease allocates nothing. O(candidates × localities).
func ShouldTransferLease(in Input) Decision {
	if in.Rates != nil && len(in.RequestLocalities) != len(in.Rates) {
		panic(fmt.Sprintf("allocator: ShouldTransferLease: %d rates but %d request localities",
			len(in.Rates), len(in.RequestLocalities)))
	}
	stay := Decision{Target: in.Source.Node}

	// canTransferLeaseFrom: "timeutil.Since(lastLeaseTransfer) > minInterval".
	if in.LastLeaseTransfer >= 0 && in.Now.Sub(in.LastLeaseTransfer) <= in.Settings.MinLeaseTransferInterval {
		stay.Reason = ReasonMinTransferInterval
		return stay
	}
	// "Short-circuit if there are no valid targets out there."
	if !hasTarget(&in) {
		stay.Reason = ReasonNoCandidates
		return stay
	}

	dec, best, score, adj, why := shouldTransferLeaseForAccessLocality(&in)
	switch dec {
	case shouldTransfer:
		return Decision{Transfer: true, Target: in.Candidates[best].Node,
			Reason: ReasonFollowTheWorkload, Score: score, Adjustment: adj}
	case shouldNotTransfer:
		stay.Reason, stay.Score, stay.Adjustment = why, score, adj
		return stay
	default: // decideWithoutStats
		if !shouldTransferLeaseForLeaseCountConvergence(&in) {
			stay.Reason = why
			return stay
		}
		t, ok := leaseCountTarget(&in)
		if !ok {
			stay.Reason = ReasonNoTarget
			return stay
		}
		return Decision{Transfer: true, Target: in.Candidates[t].Node, Reason: ReasonLeaseCount}
	}
}

// hasTarget reports whether some candidate is not the source.
func hasTarget(in *Input) bool {
	for i := range in.Candidates {
		if in.Candidates[i].Node != in.Source.Node {
			return true
		}
	}
	return false
}

// shouldTransferLeaseForAccessLocality follows allocator.go's function of
// the same name. It returns the decision, the index in Candidates of the
// best-scoring candidate (-1 if none was scored), its score and adjustment,
// and the Reason to report when the lease stays.
func shouldTransferLeaseForAccessLocality(in *Input) (dec transferDecision, best int, score int64, adj float64, why Reason) {
	s := &in.Settings
	// "Only use load-based rebalancing if it's enabled and we have both
	// stats and locality information to base our decision on."
	if !s.LoadBasedLeaseRebalancing {
		return decideWithoutStats, -1, 0, 0, ReasonDisabled
	}
	if in.Rates == nil || in.Source.Locality == (topology.Locality{}) {
		return decideWithoutStats, -1, 0, 0, ReasonNoStats
	}
	for i := range in.Candidates {
		if in.Candidates[i].Locality == (topology.Locality{}) {
			return decideWithoutStats, -1, 0, 0, ReasonNoStats
		}
	}
	// "If we haven't yet accumulated enough data, avoid transferring for
	// now ... Do not fall back to the algorithm that doesn't use stats,
	// since it can easily start fighting with the stats-based algorithm."
	if in.StatsAge < s.MinLeaseTransferStatsDuration {
		return shouldNotTransfer, -1, 0, 0, ReasonStatsTooYoung
	}
	// "if we don't have any stats with associated localities, then do fall
	// back to the algorithm that doesn't use request stats."
	known := false
	for l, q := range in.Rates {
		known = known || (q > 0 && in.RequestLocalities[l] != (topology.Locality{}))
	}
	if !known {
		return decideWithoutStats, -1, 0, 0, ReasonNoStats
	}

	sourceWeight := max(minReplicaWeight, replicaWeight(in, in.Source.Locality))
	best, score = -1, math.MinInt64
	for i := range in.Candidates {
		r := &in.Candidates[i]
		if r.Node == in.Source.Node || r.Latency < 0 {
			continue
		}
		remoteWeight := max(minReplicaWeight, replicaWeight(in, r.Locality))
		sc, a := loadBasedLeaseRebalanceScore(s, remoteWeight, r.Latency, r.StoreLeases,
			sourceWeight, in.Source.StoreLeases, in.MeanLeases)
		if sc > score {
			best, score, adj = i, sc, a
		}
	}
	if best < 0 {
		return shouldNotTransfer, -1, 0, 0, ReasonNoBetterCandidate
	}
	if score > 0 {
		return shouldTransfer, best, score, adj, ReasonFollowTheWorkload
	}
	return shouldNotTransfer, best, score, adj, ReasonNoBetterCandidate
}

// replicaWeight is a replica's share of the request rate: Σ over request
// localities of (1 − DiversityScore(replica, locality))·rate, i.e. requests
// from its own zone count fully, from its region's other zones half, from
// other regions not at all [allocator.go replicaWeights].
func replicaWeight(in *Input, loc topology.Locality) float64 {
	var w float64
	for l, q := range in.Rates {
		if req := in.RequestLocalities[l]; req != (topology.Locality{}) {
			w += (1 - topology.DiversityScore(loc, req)) * q
		}
	}
	return w
}

// loadBasedLeaseRebalanceScore is allocator.go's function: how desirable it
// is to move the lease from the source to a remote replica, in leases (> 0
// favours the move), and the raw load/latency adjustment. Weights are in
// requests/s (floored at minReplicaWeight by the caller).
func loadBasedLeaseRebalanceScore(
	s *Settings,
	remoteWeight float64, remoteLatency time.Duration, remoteLeases int,
	sourceWeight float64, sourceLeases int,
	meanLeases float64,
) (score int64, adjustment float64) {
	remoteLatencyMillis := float64(remoteLatency) / float64(time.Millisecond)
	adjustment = s.Aggressiveness * followTheWorkloadDamping *
		math.Log10(remoteWeight/sourceWeight) * math.Log1p(remoteLatencyMillis)
	// "Start with twice the base rebalance threshold in order to fight more
	// strongly against thrashing" (getBaseLoadBasedLeaseRebalanceThreshold).
	threshold := 2*s.LeaseRebalanceThreshold - adjustment
	overfull := int64(math.Ceil(meanLeases * (1 + threshold)))
	overfullScore := int64(sourceLeases) - overfull
	underfull := int64(math.Floor(meanLeases * (1 - threshold)))
	underfullScore := underfull - int64(remoteLeases)
	return overfullScore + underfullScore, adjustment
}

// shouldTransferLeaseForLeaseCountConvergence is allocator.go's function:
// the source's store is overfull in leases, or above the mean while some
// candidate's store is underfull.
func shouldTransferLeaseForLeaseCountConvergence(in *Input) bool {
	s := &in.Settings
	mean := in.MeanLeases
	overfull := max(int64(math.Ceil(mean*(1+s.LeaseRebalanceThreshold))),
		int64(math.Ceil(mean+s.LeaseRebalanceThresholdMin)))
	source := int64(in.Source.StoreLeases)
	if source > overfull {
		return true
	}
	if float64(in.Source.StoreLeases) > mean {
		underfull := min(int64(math.Ceil(mean*(1-s.LeaseRebalanceThreshold))),
			int64(math.Ceil(mean-s.LeaseRebalanceThresholdMin)))
		for i := range in.Candidates {
			if int64(in.Candidates[i].StoreLeases) < underfull {
				return true
			}
		}
	}
	return false
}

// leaseCountTarget is TransferLeaseTarget's LeaseCountConvergence branch
// with CheckCandidateFullness: a candidate other than the source whose store
// has fewer than mean − 0.5 leases, drawn by in.Rand (or the fewest leases,
// earliest on ties, without one). ok is false if there is none.
func leaseCountTarget(in *Input) (idx int, ok bool) {
	limit := in.MeanLeases - leaseCountTargetSlack
	eligible := func(r *Replica) bool {
		return r.Node != in.Source.Node && float64(r.StoreLeases) < limit
	}
	n, fewest := 0, -1
	for i := range in.Candidates {
		r := &in.Candidates[i]
		if !eligible(r) {
			continue
		}
		n++
		if fewest < 0 || r.StoreLeases < in.Candidates[fewest].StoreLeases {
			fewest = i
		}
	}
	if n == 0 {
		return -1, false
	}
	if in.Rand == nil {
		return fewest, true
	}
	k := in.Rand.IntN(n)
	for i := range in.Candidates {
		if eligible(&in.Candidates[i]) {
			if k == 0 {
				return i, true
			}
			k--
		}
	}
	panic("unreachable")
}
