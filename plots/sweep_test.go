package plots

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
)

// handSweep is a hand-built sweep: an AZ and a region outage under ZONE
// and REGION survival, the region outage under REGION only in one run
// without errors.
func handSweep() *scenarios.SweepResult {
	c := func(fault, survival string, u scenarios.Spread, survived int) scenarios.SweepCase {
		return scenarios.SweepCase{
			SweepFault: scenarios.SweepFault{Name: fault, Kind: "zone", Targets: []string{"x"}},
			Survival:   survival, Runs: 3, SurvivedRuns: survived, Unavailable: u,
		}
	}
	return &scenarios.SweepResult{
		Scenario: "hand", CRDBVersion: "24.3", RTT: "crdb-demo", Seeds: []uint64{1, 2, 3},
		FaultAtS: 22, FaultForS: 30, AfterS: 52, Survivals: []string{"zone", "region"},
		Cases: []scenarios.SweepCase{
			c("zone us-east1-a", "zone", scenarios.Spread{Min: 3.2, Mean: 4.6, P99: 5.5, Max: 5.5}, 3),
			c("zone us-east1-a", "region", scenarios.Spread{Min: 3.4, Mean: 4.8, P99: 5.7, Max: 5.7}, 2),
			c("region us-east1", "zone", scenarios.Spread{Min: 30, Mean: 30, P99: 30, Max: 30}, 0),
			c("region us-east1", "region", scenarios.Spread{Min: 5.5, Mean: 5.9, P99: 6.3, Max: 6.4}, 3),
		},
	}
}

func TestSweepBarsEqualCases(t *testing.T) {
	r := handSweep()
	groups, survivals := sweepData(r)
	assert.Equal(t, []string{"zone", "region"}, survivals)
	require.Len(t, groups, 2)
	assert.Equal(t, "zone us-east1-a", groups[0].Fault)
	assert.Equal(t, "region us-east1", groups[1].Fault)
	for g, grp := range groups {
		for i, c := range grp.Cases {
			assert.Same(t, &r.Cases[2*g+i], c, "group %d bar %d", g, i)
		}
	}
	assert.Equal(t, "ZONE 4.6 s (3.2–5.5)", sweepLabel(&r.Cases[0]))
	assert.Equal(t, "REGION 4.8 s (3.4–5.7) · not survived 1/3", sweepLabel(&r.Cases[1]))
	assert.Equal(t, "ZONE 30.0 s · not survived 3/3", sweepLabel(&r.Cases[2]), "no range when the seeds agree")

	ch, err := SweepUnavailability(r)
	require.NoError(t, err)
	assert.Equal(t, "sweep-unavailability", ch.Name)
	assert.Equal(t, []string{"fault length 30 s", "ZONE survival", "REGION survival"}, legendTexts(ch))
	assert.Contains(t, ch.Title, "scenario hand · fault at 22 s for 30 s · seeds 1, 2, 3")
	assert.InDelta(t, 30*1.75, ch.Panels[0].X.Max, 1e-9, "room for the longest whisker and its label")

	// A case missing for one goal leaves its bar out.
	r.Cases = r.Cases[:3]
	groups, _ = sweepData(r)
	assert.Nil(t, groups[1].Cases[1])
}

func TestWriteSweep(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteSweep(dir, handSweep(), ChartsAll)
	require.NoError(t, err)
	assert.Equal(t, append(both("sweep-unavailability"), IndexName), names(paths))
	checkFiles(t, paths)
	if *outDir != "" {
		_, err := WriteSweep(filepath.Join(*outDir, "sweep"), handSweep(), ChartsAll)
		require.NoError(t, err)
	}

	empty := &scenarios.SweepResult{Scenario: "none"}
	_, err = SweepUnavailability(empty)
	assert.ErrorIs(t, err, ErrNoData)
	paths, err = WriteSweep(t.TempDir(), empty, ChartsAll)
	require.NoError(t, err)
	assert.Empty(t, paths)
	_, err = WriteSweep(dir, nil, ChartsAll)
	assert.Error(t, err)
	_, err = SweepUnavailability(nil)
	assert.Error(t, err)
}

func TestLinearTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (linearTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	assert.Equal(t, []string{"0", "5", "10", "15", "20", "25", "30", "35", "40"}, labels(0, 43.5))
	assert.Equal(t, []string{"0", "10", "20", "30", "40", "50", "60", "70", "80"}, labels(0, 87))
	assert.Equal(t, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0", "1.2", "1.4"}, labels(0, 1.45))
	assert.Equal(t, []string{"0", "20", "40", "60", "80", "100", "120", "140", "160", "180"}, labels(0, 180))
	assert.Empty(t, labels(1, 1))
}
