package plots

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
)

// loadBuilt is a hand-built result with a load timeline: n1 and n2 in
// us-east1, n3 in us-west1, two 1 s intervals.
func loadBuilt() *scenarios.Result {
	r := handBuilt()
	r.NodeLoad = []scenarios.NodeLoad{
		{Node: "n1", Region: "us-east1", Zone: "us-east1-a", VCPUs: 8},
		{Node: "n2", Region: "us-east1", Zone: "us-east1-b", VCPUs: 8},
		{Node: "n3", Region: "us-west1", Zone: "us-west1-a", VCPUs: 8},
	}
	r.LoadIntervalSeconds = 1
	r.LoadTimeline = []scenarios.LoadPoint{
		{TS: 0, Node: "n1", CPUUtil: 0.5, Queue: 1},
		{TS: 0, Node: "n2", CPUUtil: 0.25},
		{TS: 0, Node: "n3", CPUUtil: 0.1},
		{TS: 1, Node: "n1", CPUUtil: 0},
		{TS: 1, Node: "n2", CPUUtil: 0.75, Queue: 3},
		{TS: 1, Node: "n3", CPUUtil: 0.2},
	}
	return r
}

func TestNodeLoadLinesEqualTimeline(t *testing.T) {
	r := loadBuilt()
	lines := loadLines(r)
	require.Len(t, lines, 3, "a line per node")
	assert.Equal(t, "n2 (us-east1-b)", lines[1].label)
	assert.Equal(t, xys(0, 25, 1, 75), lines[1].cpu, "percent of vCPUs")
	assert.Equal(t, xys(0, 0, 1, 3), lines[1].queue)
	assert.Equal(t, lines[0].style.Color, lines[1].style.Color, "one colour per region")
	assert.NotEqual(t, lines[0].style.Glyph, lines[1].style.Glyph, "nodes of a region told apart")
	assert.NotEqual(t, lines[0].style.Color, lines[2].style.Color)

	ch, err := NodeLoadOverTime(r)
	require.NoError(t, err)
	assert.Equal(t, "node-load", ch.Name)
	paths, err := ch.Save(t.TempDir())
	require.NoError(t, err)
	checkFiles(t, paths)

	_, err = NodeLoadOverTime(handBuilt())
	assert.ErrorIs(t, err, ErrNoData, "no load timeline")
}

func TestNodeLoadLinesPerRegionInALargeCluster(t *testing.T) {
	r := loadBuilt()
	r.LoadTimeline = nil
	r.NodeLoad = nil
	for i := range 2 * maxNodeLines {
		region := "us-east1"
		if i%2 == 1 {
			region = "us-west1"
		}
		name := "n" + string(rune('a'+i))
		r.NodeLoad = append(r.NodeLoad, scenarios.NodeLoad{Node: name, Region: region, Zone: region + "-a"})
		r.LoadTimeline = append(r.LoadTimeline, scenarios.LoadPoint{TS: 0, Node: name, CPUUtil: float64(i%2) * 0.5})
	}
	lines := loadLines(r)
	require.Len(t, lines, 2, "a line per region")
	assert.Equal(t, xys(0, 0), lines[0].cpu)
	assert.InDelta(t, 50, lines[1].cpu[0].Y, 1e-9, "the mean of us-west1's nodes")
}
