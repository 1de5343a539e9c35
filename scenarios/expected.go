package scenarios

import (
	"math"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/closedform"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/topology"
)

// This file puts the closed form (raft/closedform) beside the simulation:
// for each workload entry and op, every request the entry can issue — its
// gateway, its row's region and its range — with the probability the
// generator (workload.go) gives it, and the latency of each from the
// request path's formulas. The mixture's median is Stat.ExpectedMs; the
// same mixture with every draw at its floor and at its 90th percentile
// bounds what jitter can explain (Stat.ExpectedLowMs, ExpectedHighMs).

// Expectation is the closed form of one workload entry's op: the
// distribution of its requests' latencies on a jitter-free, fault-free
// cluster with the scenario's initial placement (Expected), and the same
// with every latency draw at its floor (Low) and at its 90th percentile
// (High).
type Expectation struct {
	Expected, Low, High closedform.Mixture
}

// Median returns the expected median latency: Expected's 0.5-quantile.
func (x *Expectation) Median() time.Duration { return x.Expected.Quantile(0.5) }

// rankNoise is δ = 3·√(0.25/n): three standard deviations of the
// empirical CDF at the median of n samples (0 for n = 0).
func rankNoise(n uint64) float64 {
	if n == 0 {
		return 0
	}
	return 3 * math.Sqrt(0.25/float64(n))
}

// Band returns the range in which a median of n requests' latencies can
// lie by jitter and sampling alone, δ = 3·√(0.25/n) being three standard
// deviations of the empirical CDF at the median (so that a median near a
// step of the mixture, half the requests fast and half slow, may fall on
// either side):
//
//   - lo is Low's (0.5 − δ)-quantile: no draw is below its floor, so no
//     request is faster than its path's Low value;
//   - hi is High's ((0.5 + δ)/0.9)-quantile: a request is slower than its
//     path with every draw at its 90th percentile at most 10 % of the
//     time (exactly so for one draw, less for a sum of independent ones),
//     so the requests' CDF is at least 0.9 times High's, and reaches
//     0.5 + δ where High's reaches (0.5 + δ)/0.9.
func (x *Expectation) Band(n uint64) (lo, hi time.Duration) {
	d := rankNoise(n)
	return x.Low.Quantile(max(0, 0.5-d)), x.High.Quantile(min(1, (0.5+d)/0.9))
}

// SampleRange returns the range in which the median of n requests of a
// jitter-free run lies by sampling alone: Expected's (0.5 ± δ)-quantiles.
// It is the single value Median unless the mixture steps near its median
// (REGION survival's 2/1 voter split can put exactly half of a region's
// follower reads in the gateway's zone): then a run's p50 may be either
// side of the step.
func (x *Expectation) SampleRange(n uint64) (lo, hi time.Duration) {
	d := rankNoise(n)
	return x.Expected.Quantile(max(0, 0.5-d)), x.Expected.Quantile(min(1, 0.5+d))
}

// DepartureTolerance is the relative slack around the jitter band before
// a p50 counts as departing from the closed form: the histogram's relative
// accuracy (0.5 %) and the microsecond rounding of the reported figures,
// with margin.
const DepartureTolerance = 0.01

// Departs reports whether a median of p50Ms over n requests lies outside
// what jitter and sampling explain: below the band's low end or above its
// high end by more than DepartureTolerance. A fault, contention, or a lease
// that moved away from its initial place are the expected causes.
func (x *Expectation) Departs(p50Ms float64, n uint64) bool {
	lo, hi := x.Band(n)
	return p50Ms < ms(lo)*(1-DepartureTolerance) || p50Ms > ms(hi)*(1+DepartureTolerance)
}

// closedFormTables returns the closed form's view of every table (indexed
// like Tables) from the placed layouts, as raft.Model.AddTable builds them.
func (s *Scenario) closedFormTables(placed [][]placement.RangeLayout) []closedform.Table {
	out := make([]closedform.Table, len(s.Tables))
	for ti := range s.Tables {
		out[ti] = s.closedFormTable(ti, placed[ti])
	}
	return out
}

// closedFormTable returns the closed form's view of table ti placed as
// layouts.
func (s *Scenario) closedFormTable(ti int, layouts []placement.RangeLayout) closedform.Table {
	c := s.Cluster()
	t := s.Tables[ti]
	ct := closedform.Table{
		LOS: t.Lookup == LookupLOS, UniqueChecks: t.PrimaryKey == PrimaryKeyPlain, TxnRanges: t.TxnRanges,
	}
	if t.Locality == placement.LocalityRegionalByRow {
		ct.Partitions = make([][]int, len(c.Regions))
	}
	for i := range layouts {
		l := &layouts[i]
		ct.AddRange(l.Layout)
		ct.Global = ct.Global || l.GlobalReads
		if ct.Partitions != nil {
			reg := c.RegionIndex(l.Partition)
			ct.Partitions[reg] = append(ct.Partitions[reg], i)
		}
	}
	return ct
}

// closedFormModels returns the closed-form models of the scenario: the
// expected one and the floor and 90th-percentile bounds.
func (s *Scenario) closedFormModels() [3]*closedform.Model {
	var out [3]*closedform.Model
	for i, b := range []closedform.Bound{closedform.Median, closedform.Floor, closedform.P90} {
		out[i] = closedform.NewModel(s.Cluster(), s.Cockroach.ClosedForm(), b)
	}
	return out
}

// Expectations returns the closed form of every op of every workload
// entry: out[wi][op] for workload entry wi and op (raft.Op order), nil
// where the entry's mix does not issue the op. placed are the layouts Run
// uses (Scenario.Place). The scenario must be validated.
func (s *Scenario) Expectations(placed [][]placement.RangeLayout) [][]*Expectation {
	return s.expectations(s.closedFormTables(placed))
}

// expectations is Expectations given the closed form's view of every
// table (closedFormTables).
func (s *Scenario) expectations(tables []closedform.Table) [][]*Expectation {
	models := s.closedFormModels()
	out := make([][]*Expectation, len(s.Workload))
	for wi, w := range s.Workload {
		out[wi] = make([]*Expectation, len(raft.Ops()))
		for _, os := range w.OpShares() {
			x := &Expectation{}
			s.mixRequests([3]*closedform.Mixture{&x.Expected, &x.Low, &x.High}, models, tables, wi, os.Op)
			out[wi][os.Op] = x
		}
	}
	return out
}

// rowRegion is a row region a workload's requests address and its share.
type rowRegion struct {
	region int
	share  float64
}

// rowRegions returns the row regions workload entry wi's requests address,
// with the generator's probabilities (run: the local share, the rest split
// over the other regions holding rows in proportion to their rows); the
// client's region alone for tables that are not REGIONAL BY ROW.
func (s *Scenario) rowRegions(wi int) []rowRegion {
	c := s.Cluster()
	w := s.Workload[wi]
	t := s.Tables[s.TableIndex(w.Table)]
	region := c.RegionIndex(w.Region)
	if t.Locality != placement.LocalityRegionalByRow {
		return []rowRegion{{region, 1}}
	}
	db := s.placementDatabase()
	shares := t.RowShares(db.Regions)
	var others []rowRegion
	total := 0.0
	for _, name := range db.Regions {
		if name != w.Region && shares[name] > 0 {
			others = append(others, rowRegion{c.RegionIndex(name), shares[name]})
			total += shares[name]
		}
	}
	if len(others) == 0 {
		return []rowRegion{{region, 1}}
	}
	local := w.LocalShare(shares)
	out := []rowRegion{{region, local}}
	for _, o := range others {
		out = append(out, rowRegion{o.region, (1 - local) * o.share / total})
	}
	return out
}

// mixRequests adds to mixes[i] every request of op that workload entry wi
// issues under models[i]: each gateway equally likely, each row region
// with its share, each range position of the row's range list equally
// likely (the generator draws a position below 2^20 and the model takes it
// modulo the list's length: uniform within a relative 2^-20·length). The
// models share the walk over requests; each mixture gets its requests in
// the same order as if it were walked alone.
func (s *Scenario) mixRequests(mixes [3]*closedform.Mixture, models [3]*closedform.Model, tables []closedform.Table, wi int, op raft.Op) {
	c := s.Cluster()
	w := s.Workload[wi]
	t := &tables[s.TableIndex(w.Table)]
	gws := w.gatewayNodes(c, c.RegionIndex(w.Region))
	rows := s.rowRegions(wi)
	allRegions := make([]int, len(c.Regions))
	for i := range allRegions {
		allRegions[i] = i
	}
	if op == raft.OpInsert {
		// An insert homes its row in the gateway's region.
		rows = []rowRegion{{c.RegionIndex(w.Region), 1}}
	}
	for _, gw := range gws {
		for _, rr := range rows {
			region := rr.region
			if op == raft.OpInsert {
				region = c.Nodes[gw].Region
			}
			n := t.Len(region)
			wt := rr.share / float64(len(gws)*n)
			// One request per class of positions that address the same
			// layouts (closedform.Table.PositionClasses), weighted by the
			// class's size: the same mixture as one per position.
			// Where a request looks besides its row's range: the next
			// ranges of a transaction, the gateway's partition for a read
			// (locality-optimized search), every partition for an insert
			// (uniqueness checks). TestPositionClassesEqualEveryPosition
			// holds the closed form to this.
			span, parts := 1, []int(nil)
			switch op {
			case raft.OpTxn:
				span = t.TxnSpan()
			case raft.OpRead:
				parts = []int{c.Nodes[gw].Region}
			case raft.OpInsert:
				parts = allRegions
			}
			reps, counts := t.PositionClasses(region, span, parts)
			for i, pos := range reps {
				row := closedform.Row{Region: region, Range: pos}
				weight := wt * float64(counts[i])
				for j, m := range models {
					mixes[j].Add(requestLatency(m, t, op, gw, row), weight)
				}
			}
		}
	}
}

// requestLatency is the closed form of one request.
func requestLatency(m *closedform.Model, t *closedform.Table, op raft.Op, gw topology.NodeID, row closedform.Row) closedform.Dist {
	switch op {
	case raft.OpRead:
		return m.Read(t, gw, row)
	case raft.OpStaleRead:
		return m.StaleRead(t, gw, row)
	case raft.OpBoundedRead:
		return m.BoundedRead(t, gw, row)
	case raft.OpInsert:
		return m.Insert(t, gw, row)
	case raft.OpTxn:
		return m.Txn(t, gw, row)
	}
	return m.WriteRow(t, gw, row)
}
