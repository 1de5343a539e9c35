package report_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
)

func TestComparisonShowsCostBesideLatency(t *testing.T) {
	run := func(survival string, p50, usd, bps float64) scenarios.Result {
		return scenarios.Result{Scenario: "s", Survival: survival,
			Stats: []scenarios.Stat{{Table: "t", Op: "write", ClientRegion: "a", Count: 10, P50Ms: p50, P99Ms: p50}},
			Traffic: &scenarios.Traffic{Provider: "gcp", USDPerMonth: usd, CrossRegionBytesPerS: bps,
				CrossRegionBytesPerRequest: 700, InterZoneBytesPerS: 2000}}
	}
	c := &scenarios.Comparison{Runs: []scenarios.Result{run("zone", 3.5, 80, 500e3), run("region", 68, 100.5, 700e3)}}
	var b bytes.Buffer
	require.NoError(t, report.WriteComparison(&b, c, report.Table))
	out := b.String()
	assert.Contains(t, out, "== traffic and egress cost: gcp egress prices ==")
	assert.Regexp(t, `zone +500\.0 kB/s +700 +2\.0 kB/s +\$80\.00 +3\.50`, out)
	assert.Regexp(t, `region +700\.0 kB/s +700 +2\.0 kB/s +\$100 +\+\$20\.50 +68\.0 +\+64\.5`, out)
	b.Reset()
	require.NoError(t, report.WriteComparison(&b, c, report.Markdown))
	assert.Contains(t, b.String(), "### Traffic and egress cost")
}
