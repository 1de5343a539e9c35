package closedform

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/topology"
)

// closedFormOps are the closed form's request latencies by op name.
func closedFormOps(m *Model) map[string]func(*Table, topology.NodeID, Row) Dist {
	return map[string]func(*Table, topology.NodeID, Row) Dist{
		"read": m.Read, "stale": m.StaleRead, "bounded": m.BoundedRead,
		"write": m.WriteRow, "insert": m.Insert, "txn": m.Txn,
	}
}

// classSpecs are tables of 61 ranges, one of each locality.
var classSpecs = []placement.TableSpec{
	{Name: "rbr", Locality: placement.LocalityRegionalByRow, Ranges: 61},
	{Name: "rbt", Ranges: 61},
	{Name: "global", Locality: placement.LocalityGlobal, Ranges: 61},
}

// classTable places spec on c with the allocator (in three regions) and
// returns the closed form's table of it, built with Ranges, or with
// AddRange if add.
func classTable(t *testing.T, c *topology.Cluster, spec placement.TableSpec, add bool) *Table {
	t.Helper()
	db := placement.DefaultDatabase("us-east1", "us-west1", "europe-west1")
	layouts, err := placement.PlaceTable(c, db, spec, rand.New(rand.NewPCG(7, 9)), placement.NewLoad(c))
	require.NoError(t, err)
	tab := &Table{LOS: true, UniqueChecks: true, TxnRanges: 3}
	if spec.Locality == placement.LocalityRegionalByRow {
		tab.Partitions = make([][]int, len(c.Regions))
	}
	for i, l := range layouts {
		if add {
			tab.AddRange(l.Layout)
		} else {
			tab.Ranges = append(tab.Ranges, l.Layout)
		}
		tab.Global = tab.Global || l.GlobalReads
		if tab.Partitions != nil {
			reg := c.RegionIndex(l.Partition)
			tab.Partitions[reg] = append(tab.Partitions[reg], i)
		}
	}
	return tab
}

// TestPositionClassesEqualEveryPosition: for every op, gateway and row
// region, the mixture summed over one position per class (weighted by the
// class's size) has the same atoms as the mixture summed over every
// position, on REGIONAL BY ROW (unique checks, LOS, transactions of 3
// ranges), REGIONAL BY TABLE and GLOBAL tables of 61 ranges placed by the
// allocator (ranges differ in leaseholder and non-voters, so classes are
// not trivial).
func TestPositionClassesEqualEveryPosition(t *testing.T) {
	m := demo(t, 800*time.Millisecond)
	c := m.cluster
	ops := closedFormOps(m)
	for _, spec := range classSpecs {
		tab := classTable(t, c, spec, false)
		for region := range c.Regions {
			n := tab.Len(region)
			for name, op := range ops {
				span, parts := 1, []int(nil)
				switch name {
				case "txn":
					span = tab.TxnSpan()
				case "insert":
					parts = []int{0, 1, 2}
				}
				for _, gw := range []topology.NodeID{0, 4, 8} {
					if name == "read" {
						parts = []int{c.Nodes[gw].Region}
					}
					reps, counts := tab.PositionClasses(region, span, parts)
					total := 0
					for _, k := range counts {
						total += k
					}
					require.Equal(t, n, total, "%s region %d: classes cover every position once", spec.Name, region)
					if span == 1 && len(parts) == 0 && tab.Partitions == nil {
						assert.Less(t, len(reps), n/2, "%s %s region %d: positions share classes", spec.Name, name, region)
					}
					var every, classes Mixture
					for pos := range n {
						every.Add(op(tab, gw, Row{Region: region, Range: pos}), 1)
					}
					for i, pos := range reps {
						classes.Add(op(tab, gw, Row{Region: region, Range: pos}), float64(counts[i]))
					}
					a, b := every.Atoms(), classes.Atoms()
					require.Len(t, b, len(a), "%s %s gw %d region %d", spec.Name, name, gw, region)
					for i := range a {
						assert.Equal(t, a[i].Latency, b[i].Latency)
						assert.InDelta(t, a[i].P, b[i].P, 1e-9, "%s %s gw %d region %d atom %d", spec.Name, name, gw, region, i)
					}
				}
			}
		}
	}
}

// TestAddRangeEqualsRanges: a table built range by range with AddRange,
// which keeps one copy of each distinct layout, answers every op for every
// row, and PositionClasses, as the same table built with Ranges.
func TestAddRangeEqualsRanges(t *testing.T) {
	m := demo(t, 800*time.Millisecond)
	c := m.cluster
	ops := closedFormOps(m)
	for _, spec := range classSpecs {
		whole := classTable(t, c, spec, false)
		added := classTable(t, c, spec, true)
		require.NotNil(t, added.distinct, "%s: deduplicated", spec.Name)
		assert.Less(t, len(added.distinct), len(whole.Ranges), "%s: layouts repeat", spec.Name)
		for i := range whole.Ranges {
			require.Equal(t, whole.Ranges[i], *added.layout(i), "%s range %d", spec.Name, i)
		}
		assert.Equal(t, whole.layoutIDs(), added.layoutIDs(), spec.Name)
		for region := range c.Regions {
			require.Equal(t, whole.Len(region), added.Len(region))
			for name, op := range ops {
				for _, gw := range []topology.NodeID{0, 4, 8} {
					for pos := range whole.Len(region) {
						row := Row{Region: region, Range: pos}
						assert.Equal(t, op(whole, gw, row), op(added, gw, row), "%s %s gw %d %v", spec.Name, name, gw, row)
					}
				}
			}
			wr, wc := whole.PositionClasses(region, 3, []int{0, 1, 2})
			ar, ac := added.PositionClasses(region, 3, []int{0, 1, 2})
			assert.Equal(t, [][]int{wr, wc}, [][]int{ar, ac}, "%s region %d", spec.Name, region)
		}
	}
	// A table built with Ranges takes more.
	plain := &Table{Ranges: make([]placement.Layout, 1)}
	plain.AddRange(placement.Layout{Home: 2})
	assert.Equal(t, []placement.Layout{{}, {Home: 2}}, plain.Ranges)
}

// TestAddRangeGivesUpWhereLayoutsDiffer: a table whose layouts mostly
// differ turns into one with Ranges once it has more than dedupMin
// distinct ones, and goes on with every range in order.
func TestAddRangeGivesUpWhereLayoutsDiffer(t *testing.T) {
	var tab Table
	var want []placement.Layout
	for i := range 3 * dedupMin {
		home := i % (dedupMin + 7)
		l := placement.Layout{Home: home, Voters: []topology.NodeID{topology.NodeID(home % 3)}}
		want = append(want, l)
		tab.AddRange(l)
		if i < dedupMin {
			require.Nil(t, tab.Ranges, "range %d: still deduplicated", i)
		}
	}
	assert.Nil(t, tab.distinct)
	assert.Equal(t, want, tab.Ranges)
	assert.Equal(t, len(want), tab.numRanges())
	for i := range want {
		require.Equal(t, want[i], *tab.layout(i), "range %d", i)
	}
	// 300 distinct layouts, each three times in a row over 1,200 ranges,
	// repeat enough: kept once each.
	var kept Table
	for i := range 1200 {
		kept.AddRange(placement.Layout{Home: (i / 3) % 300})
	}
	assert.Nil(t, kept.Ranges)
	assert.Len(t, kept.distinct, 300)
	assert.Equal(t, 1200, kept.numRanges())
	assert.Equal(t, placement.Layout{Home: 1199 / 3 % 300}, *kept.layout(1199))
	ids := tab.layoutIDs()
	assert.Equal(t, ids[0], ids[dedupMin+7], "equal layouts still share an id")
}
