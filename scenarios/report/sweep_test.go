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
	// Survived: every run, some runs, no run.
	assert.Regexp(t, `(?m)^zone us-east1-a\s+zone\s+regional-by-row\s+users\s+yes\s+3\.20\s+4\.61\s+5\.48\s+5\.50\s+3/30\s+0\s+3\.09\s+68\.7$`, out)
	assert.Regexp(t, `(?m)^\s+region\s+regional-by-row\s+users\s+2/3\s+3\.40`, out)
	assert.Regexp(t, `(?m)^region us-east1\s+zone\s+regional-by-row\s+users\s+no\s+30\.10`, out)
	// A locality without writes after failover.
	assert.Regexp(t, `(?m)^\s+global\s+settings\s+yes\s+0\.00\s+0\.00\s+0\.00\s+0\.00\s+0/3\s+0\s+-\s+-$`, out)
	assert.Contains(t, out, "replaced      the scenario's 2 faults (each run has only the swept fault)")
	assert.Contains(t, out, "skipped       nothing really")
	assert.Contains(t, out, "fault         at 22 s for 30 s; after failover from 37 s")
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
	assert.Equal(t, "regional-by-row", col(rows[5], "locality"))
	assert.Equal(t, "0", col(rows[5], "survived_runs"))
	assert.Equal(t, "30.2", col(rows[5], "unavailable_mean_s"))
	assert.Equal(t, "9051.1", col(rows[5], "write_p99_ms"))
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
	assert.Equal(t, want, doc.SweepResult)

	var raw map[string]any
	require.NoError(t, json.Unmarshal(out, &raw))
	assert.Equal(t, sorted("schema_version", "tool_version", "kind", "resolved_scenario", "scenario", "crdb_version", "rtt", "seeds", "fault_at_s", "fault_for_s", "after_failover_s",
		"survivals", "skipped", "replaced_faults", "cases"), keys(t, raw))
	c := raw["cases"].([]any)[0]
	assert.Equal(t, sorted("fault", "kind", "targets", "survival", "runs", "survived_runs", "unavailable_s", "localities"), keys(t, c))
	assert.Equal(t, sorted("locality", "tables", "ranges", "runs", "survived_runs", "requests", "errors",
		"ranges_unavailable", "unavailable_s", "write_count", "write_p50_ms", "write_p99_ms"),
		keys(t, c.(map[string]any)["localities"].([]any)[0]))
	assert.Equal(t, sorted("min", "mean", "p99", "max"), keys(t, c.(map[string]any)["unavailable_s"]))

	// Nil lists come out as [].
	empty := renderSweep(t, &scenarios.SweepResult{Cases: []scenarios.SweepCase{{}}}, report.JSON)
	for _, k := range []string{`"seeds": []`, `"survivals": []`, `"skipped": []`, `"targets": []`, `"localities": []`} {
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
