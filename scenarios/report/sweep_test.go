package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
)

func renderSweep(t *testing.T, r *scenarios.SweepResult, f report.Format) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, report.WriteSweep(&b, r, f))
	return b.Bytes()
}

func TestSweepGolden(t *testing.T) {
	for _, f := range report.Formats() {
		t.Run(f.String(), func(t *testing.T) {
			golden(t, "sweep."+ext[f], renderSweep(t, sweepResult(), f))
		})
	}
}

func TestSweepTable(t *testing.T) {
	out := string(renderSweep(t, sweepResult(), report.Table))
	// A row per fault × survival goal: survived in every run, in none.
	assert.Regexp(t, `(?m)^zone us-east1-a\s+zone\s+yes\s+3\.20\s+4\.61\s+5\.50\s+0\s+users write @us-east1 \(range 4, seed 2\)$`, out)
	assert.Regexp(t, `(?m)^region us-east1\s+zone\s+no\s+120\.10\s+120\.20\s+120\.30\s+14\s+users write @us-east1 \(range 0, seed 3\)$`, out)
	// The clients that did not survive, with k/N runs.
	assert.Regexp(t, `(?m)^region us-east1\s+zone\s+users\s+write\s+us-east1\s+no\s+120\.30\s+100\.0\s+12\s+60000\.0\s+60000\.0$`, out)
	assert.Regexp(t, `(?m)^\s+settings\s+read\s+us-west1\s+1/3\s+60\.00\s+7\.8\s+2\s+1\.30\s+10954\.9$`, out)
	assert.Contains(t, out, "replaced      the scenario's 2 faults (each run has only the swept fault)")
	assert.Contains(t, out, "skipped       nothing really")
	assert.Contains(t, out, "fault         zone, region at 22 s for 120 s; after failover from 52 s")
	assert.Contains(t, out, "survived      no client stalled more than 15 s")
	// The verdict: the region outage is survived only under REGION, and
	// REGION costs users' writes 64.2 ms at p50.
	assert.Regexp(t, `(?m)^users\s+region us-east1\s+region\s+us-east1\s+-\s+120\.30\s+6\.35\s+113\.95$`, out)
	assert.Regexp(t, `(?m)^users\s+write\s+us-east1\s+3\.09\s+67\.3\s+\+64\.2`, out)
	assert.Contains(t, strings.Join(strings.Fields(out), " "),
		"Of 2 faults, 1 left some client of some table without service for more than 15 s under ZONE survival and 0 under REGION survival.")
	for _, line := range strings.Split(out, "\n") {
		assert.Equal(t, strings.TrimRight(line, " "), line, "no trailing spaces")
	}
}

func TestSweepCSV(t *testing.T) {
	rows, err := csv.NewReader(bytes.NewReader(renderSweep(t, sweepResult(), report.CSV))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+4*2)
	head := rows[0]
	col := func(row []string, name string) string {
		for i, h := range head {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	assert.Equal(t, "region us-east1", col(rows[5], "fault"))
	assert.Equal(t, "zone", col(rows[5], "survival"))
	assert.Equal(t, "users", col(rows[5], "table"))
	assert.Equal(t, "write", col(rows[5], "op"))
	assert.Equal(t, "us-east1", col(rows[5], "client_region"))
	assert.Equal(t, "0", col(rows[5], "survived_runs"))
	assert.Equal(t, "120.2", col(rows[5], "unavailable_mean_s"))
	assert.Equal(t, "60000", col(rows[5], "after_p99_ms"))
	assert.Equal(t, "4.6125", col(rows[1], "unavailable_mean_s"), "full precision")
}

func TestSweepJSON(t *testing.T) {
	in := sweepResult()
	out := renderSweep(t, in, report.JSON)
	var doc report.SweepDocument
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&doc))
	assert.Equal(t, report.Header{SchemaVersion: report.SchemaVersion, ToolVersion: "devel", Kind: "sweep"}, doc.Header)
	require.NotNil(t, doc.ResolvedScenario)
	assert.Empty(t, doc.ResolvedScenario.Faults, "the scenario swept has no faults of its own")
	want := *in
	want.Resolved = nil
	back := doc.SweepResult
	for i := range back.Baselines {
		for j := range back.Baselines[i].Stats {
			back.Baselines[i].Stats[j].Latency = in.Baselines[i].Stats[j].Latency
		}
	}
	assert.Equal(t, want, back)

	var raw map[string]any
	require.NoError(t, json.Unmarshal(out, &raw))
	assert.Equal(t, sorted("schema_version", "tool_version", "kind", "resolved_scenario", "scenario", "crdb_version", "rtt", "seeds", "fault_at_s", "fault_for_s", "after_failover_s",
		"warmup_s", "duration_s", "survive_within_s", "kinds",
		"survivals", "skipped", "replaced_faults", "baselines", "cases", "verdict"), keys(t, raw))
	c := raw["cases"].([]any)[0]
	assert.Equal(t, sorted("fault", "kind", "targets", "survival", "runs", "survived_runs", "unavailable_s", "worst", "failed", "clients"), keys(t, c))
	assert.Equal(t, sorted("table", "locality", "op", "client_region", "runs", "survived_runs", "requests", "errors", "slow",
		"unavailable_s", "during", "after"),
		keys(t, c.(map[string]any)["clients"].([]any)[0]))
	assert.Equal(t, sorted("min", "mean", "p99", "max"), keys(t, c.(map[string]any)["unavailable_s"]))

	// Nil lists come out as [].
	empty := renderSweep(t, &scenarios.SweepResult{Cases: []scenarios.SweepCase{{}}}, report.JSON)
	for _, k := range []string{`"seeds": []`, `"survivals": []`, `"skipped": []`, `"targets": []`, `"clients": []`, `"failed": []`, `"baselines": []`, `"kinds": []`} {
		assert.Contains(t, string(empty), k)
	}
}

func TestSweepErrors(t *testing.T) {
	var b bytes.Buffer
	assert.ErrorIs(t, report.WriteSweep(&b, sweepResult(), "yaml"), report.ErrUnknownFormat)
	assert.Error(t, report.WriteSweep(&b, nil, report.Table))
	assert.Zero(t, b.Len())
}

func TestFaultSection(t *testing.T) {
	out := string(renderResult(t, zoneResult(), report.Table))
	// The region fault: users ranges 3 (6.2 s) and 4 (9.5 s) of 6 are down,
	// p99 = 6.2 + 0.99 × 3.3; 793 requests and 5 errors from 359 s on;
	// after failover from 390 s: writes at 70.5 ms, reads at 1.2 ms.
	assert.Regexp(t, `(?m)^region us-east1 at 6m\s+regional-by-row\s+2/6\s+9\.50\s+9\.47\s+793\s+5\s+390–480\s+70\.5\s+1\.20$`, out)
	assert.Regexp(t, `(?m)^\s+global\s+1/2\s+1\.50\s+1\.50\s+0\s+0\s+-\s+-$`, out)
	assert.Contains(t, out, "faults: 2 faults, 4 ranges down in total, longest 9.50 s")
	none := zoneResult()
	none.Faults = nil
	assert.NotContains(t, string(renderResult(t, none, report.Table)), "faults:")
}
