package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios/advise"
)

// adviceFixture is a hand-built search: one candidate that meets both
// SLOs, one that misses survival, one pruned by the closed form.
func adviceFixture() *advise.Result {
	cost := 62.5
	cfg := func(survival string, loc advise.TableChoice) advise.Config {
		return advise.Config{Survival: survival, Primary: "us-east1", Voters: map[string]int{"zone": 3, "region": 5}[survival],
			Tables: []advise.TableChoice{loc}}
	}
	rbt := advise.TableChoice{Table: "kv", Locality: "regional-by-table", Home: "us-east1"}
	global := advise.TableChoice{Table: "kv", Locality: "global"}
	return &advise.Result{
		Scenario: "small", SLOs: []string{"read.p99<20ms", "survive=region"}, Seeds: []uint64{7},
		DurationS: 10, WarmupS: 3, FaultAtS: 5, FaultForS: 30, FaultDurationS: 42, SurviveWithinS: 15,
		FaultKinds: []string{"region"}, Enumerated: 146, Refused: 72, Pruned: 1, Simulated: 2, Meeting: 1, Runs: 8,
		Refusals: []advise.Refusal{{Reason: "scenarios: small: database.num_voters: 3: refused", Count: 72, Example: "region us-east1 v3; kv:GLOBAL"}},
		Candidates: []advise.Candidate{
			{Rank: 1, Index: 80, Config: cfg("region", rbt), Status: advise.Meets, MeanMs: 13.8, ExpectedMeanMs: 13.7, RegionCostWriteMs: &cost,
				SLOs: []advise.Outcome{
					{SLO: "read.p99<20ms", OK: true, Measured: 3.8, Bound: 20, Unit: "ms", Margin: 16.2, Where: "kv read @us-east1", Source: advise.SourceSimulated},
					{SLO: "survive=region", OK: true, Measured: 5.9, Bound: 15, Unit: "s", Margin: 9.1, Where: "kv write @us-east1, fault region us-east1", Source: advise.SourceSimulated}}},
			{Rank: 2, Index: 0, Config: cfg("zone", rbt), Status: advise.Misses, MeanMs: 1.8, ExpectedMeanMs: 1.8, RegionCostWriteMs: &cost,
				SLOs: []advise.Outcome{
					{SLO: "read.p99<20ms", OK: true, Measured: 3.2, Bound: 20, Unit: "ms", Margin: 16.8, Where: "kv read @us-east1", Source: advise.SourceSimulated},
					{SLO: "survive=region", OK: false, Measured: 33.07, Bound: 15, Unit: "s", Margin: -18.07, Where: "kv write @us-east1, fault region us-east1", Source: advise.SourceSimulated}}},
			{Rank: 3, Index: 3, Config: cfg("zone", global), Status: advise.Pruned, ExpectedMeanMs: 130,
				SLOs: []advise.Outcome{{SLO: "read.p99<20ms", OK: false, Measured: 64.4, Bound: 20, Unit: "ms", Margin: -44.4, Where: "kv read @us-west1", Source: advise.SourceFloor}}},
		},
	}
}

func TestWriteAdvice(t *testing.T) {
	r := adviceFixture()
	var b bytes.Buffer
	require.NoError(t, WriteAdvice(&b, r, nil, Table))
	text := b.String()
	for _, want := range []string{
		"146 configurations: 72 refused", "meet every SLO  1",
		"every region down from 5s for 30s, in runs of 42s; survived when no client stalled over 15s",
		"region us-east1 v5", "kv:RBT(us-east1)", "+16.2ms", "+9.10s", "-18.07s", "-44.4ms*", "+62.5",
		"survive=region: MISSED by 18.07s, worst 33.07s (kv write @us-east1, fault region us-east1)",
		"72 × small: database.num_voters: 3: refused (e.g. region us-east1 v3; kv:GLOBAL)",
	} {
		assert.Contains(t, text, want)
	}
	lines := strings.Split(text, "\n")
	var ranks []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 2 && (f[1] == "meets" || f[1] == "misses" || f[1] == "pruned") {
			ranks = append(ranks, f[0]+" "+f[1])
		}
	}
	assert.Equal(t, []string{"1 meets", "2 misses", "3 pruned"}, ranks, "in rank order")
	assert.Contains(t, text, "\n   3  pruned  zone us-east1 v3    kv:GLOBAL", "no mean for a pruned candidate:\n"+text)

	b.Reset()
	require.NoError(t, WriteAdvice(&b, r, nil, Markdown))
	assert.Contains(t, b.String(), "## Advice for small")
	assert.Contains(t, b.String(), " -44.4ms* |")
	assert.NotContains(t, b.String(), "\n\n\n", "one blank line between blocks")

	b.Reset()
	require.NoError(t, WriteAdvice(&b, r, nil, CSV))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+2+2+1, "header, then a row per candidate and SLO")
	assert.Equal(t, adviceCSVHeader, rows[0])
	assert.Equal(t, []string{"small", "3", "pruned", "zone", "us-east1", "", "3", "kv:GLOBAL", "0", "130", "", "",
		"read.p99<20ms", "false", "64.4", "20", "ms", "-44.4", "kv read @us-west1", "closed-form floor"}, rows[5])

	b.Reset()
	require.NoError(t, WriteAdvice(&b, r, nil, JSON))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, "advise", doc["kind"])
	assert.Len(t, doc["candidates"], 3)
}
