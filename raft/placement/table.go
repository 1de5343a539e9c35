package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/regionsim/regionsim/topology"
)

// RangeLayout is the layout of one range of a table.
type RangeLayout struct {
	// Table is the table's name.
	Table string
	// Range is the range's index within the table, from 0.
	Range int
	// Partition is the database region of the range's partition for a
	// regional-by-row table, "" otherwise.
	Partition string
	// Spec is the zone-config view the range was allocated from.
	Spec Spec
	Layout
}

// PartitionRanges splits a table of ranges ranges over partitions
// partitions: partition i gets ranges/partitions ranges, plus one for the
// first ranges%partitions partitions, and at least 1 (a partition boundary
// is a range boundary in CockroachDB, so a regional-by-row table has at
// least one range per database region). ranges 0 means 1.
func PartitionRanges(ranges, partitions int) []int {
	ranges = max(ranges, 1)
	out := make([]int, partitions)
	for i := range out {
		out[i] = ranges / partitions
		if i < ranges%partitions {
			out[i]++
		}
		out[i] = max(out[i], 1)
	}
	return out
}

// partitionCounts returns the partitions of table t of locality loc in
// db ("" for a table without partitions) and the ranges of each.
func partitionCounts(db Database, loc Locality, t TableSpec) ([]string, []int) {
	if loc == LocalityRegionalByRow {
		return db.Regions, PartitionRanges(t.Ranges, len(db.Regions))
	}
	return []string{""}, []int{max(t.Ranges, 1)}
}

// TableRanges returns how many ranges PlaceTable gives table t in db on c
// (see PlaceTable), without validating or placing them.
func TableRanges(c *topology.Cluster, db Database, t TableSpec) int {
	db = db.WithClusterRegions(c)
	_, counts := partitionCounts(db, t.Locality.resolve(db), t)
	total := 0
	for _, n := range counts {
		total += n
	}
	return total
}

// PlaceTable validates t against db and allocates every range of it on c
// (SpecFor, then Allocate per range, in range order, drawing from r and
// adding to load, which may be nil). A multi-region db without Regions gets
// every cluster region first (Database.WithClusterRegions).
//
// A regional-by-table, global or none table has max(t.Ranges, 1) ranges,
// all with one spec. A regional-by-row table has one partition per database
// region, in db.Regions order; its t.Ranges ranges are split evenly across
// the partitions by PartitionRanges (so the table has
// max(t.Ranges, len(db.Regions)) ranges), numbered partition by partition,
// each homed in its partition's region. Callers that want uneven partitions
// (e.g. by row share) call SpecFor and Allocate themselves.
func PlaceTable(c *topology.Cluster, db Database, t TableSpec, r *rand.Rand, load *Load) ([]RangeLayout, error) {
	return PlaceTableInto(nil, c, db, t, r, load)
}

// PlaceTableInto is PlaceTable writing the layouts into buf's storage
// (from buf[:0], growing it if it is too short) and returning them: a
// caller that places many large tables one after another and keeps none
// of the slices reuses one buffer instead of touching fresh memory for
// each (100,000 ranges are about 30 MB of layouts).
func PlaceTableInto(buf []RangeLayout, c *topology.Cluster, db Database, t TableSpec, r *rand.Rand, load *Load) ([]RangeLayout, error) {
	db = db.WithClusterRegions(c)
	if err := t.Validate(db); err != nil {
		return nil, err
	}
	loc := t.Locality.resolve(db)
	partitions, counts := partitionCounts(db, loc, t)
	total := 0
	for _, n := range counts {
		total += n
	}
	out := slices.Grow(buf[:0], total)
	var div *zoneDiversity // diversityTable, shared by the partitions
	for i, part := range partitions {
		home := t.HomeRegion
		if loc == LocalityRegionalByRow {
			home = part
		}
		spec, err := t.spec(db, loc, home)
		if err != nil {
			return nil, fmt.Errorf("placement: table %q: %w", t.Name, err)
		}
		spec.Nodes = t.Nodes
		// The spec is checked and bound once for the partition's ranges.
		prep, err := prepare(c, spec)
		if err == nil && total > 1 {
			if div == nil {
				div = diversityTable(c)
			}
			prep.div = div
		}
		for range counts[i] {
			var l Layout
			if err == nil {
				l, err = prep.allocate(c, r, load)
			}
			if err != nil {
				return nil, fmt.Errorf("placement: table %q: range %d: %w", t.Name, len(out), err)
			}
			out = append(out, RangeLayout{Table: t.Name, Range: len(out), Partition: part, Spec: spec, Layout: l})
		}
	}
	return out, nil
}
