package raft

import (
	"slices"

	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// Replacement is one dead replica replaced by up-replication.
type Replacement struct {
	At       sim.Time
	Range    RangeID
	From, To topology.NodeID
	Voter    bool
}

// Replacements returns the replicas replaced so far.
func (m *Model) Replacements() []Replacement {
	if m.fo == nil {
		return nil
	}
	return m.fo.replacements
}

// storeDead replaces the replicas of node d, down since time_until_store_dead
// ago, where constraints allow: a replacement goes to a live node without a
// replica of the range, in the same region when one has such a node; only
// a voter that no voter constraint pins may move to another region. The new
// replica catches up by snapshot before it can vote. The replica holding
// the lease is left alone (the lease must move first), and so is every
// replica an under-replicated range cannot replace (see the loop).
func (f *failover) storeDead(d topology.NodeID, gen int32) {
	if f.up(d) || f.downGen[d] != gen {
		return // it came back
	}
	f.note(d, "store-dead", "%v", d)
	for ri := range f.m.ranges {
		r := &f.m.ranges[ri]
		i := r.replicaIndex(d)
		if i < 0 || r.Leaseholder == d {
			continue
		}
		voter := i < r.NumVoters
		if r.Layout.MissingVoters > 0 || (!voter && r.Layout.MissingNonVoters > 0) {
			// An under-replicated range: the allocator's computeAction
			// returns AllocatorAddVoter (AddNonVoter) ahead of
			// ReplaceDeadVoter (ReplaceDeadNonVoter), the addition finds no
			// node, and the dead replica stays (allocatorimpl.computeAction).
			continue
		}
		region := f.c.Nodes[d].Region
		target := f.replacementNode(r, region)
		if target < 0 && voter && !voterPinned(f.c, r, region) {
			target = f.replacementNode(r, -1)
		}
		if target < 0 {
			continue
		}
		r.ownShape() // the shape is shared until now
		r.Replicas[i] = target
		list := r.Layout.NonVoters
		if voter {
			list = r.Layout.Voters
		}
		list[slices.Index(list, d)] = target
		f.reachEpoch++ // its voters may have changed in place
		st := f.state(r)
		if st.readyAt == nil {
			st.readyAt = make([]sim.Time, len(r.Replicas))
		}
		st.readyAt[i] = f.eng.Now().Add(f.c.MedianRTT(r.Leaseholder, target) + f.m.snapshot(r, target))
		f.seenOf(r)[i] = f.state(r).term // the snapshot comes from the current leader
		f.replaced(r, i)
		f.replacements = append(f.replacements, Replacement{At: f.eng.Now(), Range: r.ID, From: d, To: target, Voter: voter})
		f.note(target, "up-replicate", "r%d: %v replaces %v", r.ID, target, d)
	}
	f.m.scan.rangesChanged() // replica lists changed: rebuild the scanners'
}

// replacementNode picks a live node without a replica of r in region (any
// region when region < 0), most diverse from r's other replicas, then the
// lowest id; -1 if there is none.
func (f *failover) replacementNode(r *Range, region int) topology.NodeID {
	best, bestScore := topology.NodeID(-1), -1.0
	for n := range f.c.Nodes {
		id := topology.NodeID(n)
		if (region >= 0 && f.c.Nodes[n].Region != region) || !f.isLive(id) || slices.Contains(r.Replicas, id) ||
			(len(r.spec.Nodes) > 0 && !slices.Contains(r.spec.Nodes, id)) {
			continue
		}
		score := 0.0
		for _, o := range r.Replicas {
			if f.up(o) {
				score += topology.DiversityScore(f.c.Nodes[n].Locality, f.c.Nodes[o].Locality)
			}
		}
		if score > bestScore {
			best, bestScore = id, score
		}
	}
	return best
}

// voterPinned reports whether r's voter constraints require its voters in
// region to stay there (ZONE survival's "all voters in the home region", or
// a region's voter count under REGION survival).
func voterPinned(c *topology.Cluster, r *Range, region int) bool {
	name := c.Regions[region].Name
	for _, con := range r.spec.VoterConstraints {
		if con.Region == name {
			return true
		}
	}
	return false
}
