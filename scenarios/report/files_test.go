package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/sim/stats"
)

func fileNames(files []report.File) []string {
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	return names
}

func renderFile(t *testing.T, f report.File) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, f.Write(&b), f.Name)
	return b.Bytes()
}

func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	require.NoError(t, err)
	return rows
}

// TestResultFilesGolden: a run's output set is result.json, stats.csv,
// the CSV tables and scenario.yaml; the tables are golden files.
func TestResultFilesGolden(t *testing.T) {
	files := report.ResultFiles(zoneResult())
	assert.Equal(t, []string{"result.json", "stats.csv", "faults.csv", "unavailability.csv", "impact.csv", "timeline.csv", "timeline_completed.csv", "traffic.csv", "histograms.jsonl", "scenario.yaml"},
		fileNames(files))
	for _, f := range files[2:] {
		golden(t, "files-"+f.Name, renderFile(t, f))
	}
	assert.Equal(t, string(renderResult(t, zoneResult(), report.JSON)), string(renderFile(t, files[0])))
	assert.Equal(t, string(renderResult(t, zoneResult(), report.CSV)), string(renderFile(t, files[1])))

	noScenario := zoneResult()
	noScenario.Resolved = nil
	assert.NotContains(t, fileNames(report.ResultFiles(noScenario)), "scenario.yaml")
}

// TestScenarioFileLoads: scenario.yaml is a scenario file that loads back
// as the scenario it was written from.
func TestScenarioFileLoads(t *testing.T) {
	in := fixtureScenario()
	var b bytes.Buffer
	require.NoError(t, report.WriteScenario(&b, in))
	assert.True(t, strings.HasPrefix(b.String(), "# The scenario \"users-region-survival\" as regionsim devel ran it"))
	back, err := scenarios.Parse(b.Bytes(), "scenario.yaml")
	require.NoError(t, err)
	assert.Equal(t, in.Tables, back.Tables)
	assert.Equal(t, in.Faults, back.Faults)
	assert.Equal(t, in.Seed, back.Seed)
}

// TestCSVTablesNameUnits: every column of the CSV tables is a name, a
// count, or a measure whose name gives its unit.
func TestCSVTablesNameUnits(t *testing.T) {
	unitless := map[string]bool{
		"fault": true, "locality": true, "tables": true, "table": true, "op": true, "client_region": true,
		"range": true, "ranges": true, "ranges_unavailable": true,
		"requests": true, "errors": true, "count": true, "ambiguous": true, "write_count": true, "read_count": true,
		"slow": true, "unavailable_range": true, "during_count": true, "after_count": true,
		"scope": true, "from": true, "to": true, "messages": true, "provider": true,
	}
	// Sizes and money name theirs: bytes, bytes_per_s, usd_per_gb.
	named := func(c string) bool { return strings.Contains(c, "bytes") || strings.HasPrefix(c, "usd_per_") }
	for _, tab := range report.ResultCSVs {
		assert.True(t, strings.HasSuffix(tab.Name, ".csv"))
		for _, c := range tab.Header {
			assert.True(t, unitless[c] || named(c) || strings.HasSuffix(c, "_s") || strings.HasSuffix(c, "_ms"),
				"%s: column %q names no unit", tab.Name, c)
		}
		rows := readCSV(t, renderFile(t, report.ResultFiles(zoneResult())[2+indexOf(tab.Name)]))
		require.NotEmpty(t, rows)
		assert.Equal(t, append([]string{"scenario", "seed", "survival"}, tab.Header...), rows[0])
		for _, row := range rows[1:] {
			assert.Len(t, row, len(rows[0]), tab.Name)
			assert.Equal(t, []string{"users-region-survival", "7", "zone"}, row[:3])
		}
	}
}

func indexOf(name string) int {
	for i, tab := range report.ResultCSVs {
		if tab.Name == name {
			return i
		}
	}
	return -1
}

// TestCSVTablesContent spot-checks the rows against the fixture.
func TestCSVTablesContent(t *testing.T) {
	files := report.ResultFiles(zoneResult())
	faults := readCSV(t, renderFile(t, files[2]))
	require.Len(t, faults, 1+2*2, "2 faults × 2 localities")
	assert.Equal(t, []string{"users-region-survival", "7", "zone", "region us-east1 at 6m", "360", "480",
		"regional-by-row", "users", "6", "2", "9.5", "9.467"}, faults[3][:12])
	unavail := readCSV(t, renderFile(t, files[3]))
	require.Len(t, unavail, 1+4)
	assert.Equal(t, []string{"region us-east1 at 6m", "users", "4", "360", "369.5", "9.5",
		"detect=3.1;liveness=4;election=1.5;lease=0.9"}, unavail[3][3:], "phases in the order they came")
	assert.Equal(t, "liveness=2;detect=3.1;lease=0.9;queue=0.2", unavail[2][9], "no order given: the usual, then by name")
	assert.Equal(t, "", unavail[4][9], "no phases")
	timeline := readCSV(t, renderFile(t, files[5]))
	require.Len(t, timeline, 1+4)
	assert.Equal(t, []string{"360", "0", "users", "write", "us-west1", "95", "5", "0", "70.1", "6120"}, timeline[1][3:])

	empty := report.ResultFiles(&scenarios.Result{Scenario: "empty"})
	for _, f := range empty[2:] {
		if strings.HasSuffix(f.Name, ".jsonl") {
			assert.Empty(t, renderFile(t, f), "%s: no lines", f.Name)
			continue
		}
		assert.Len(t, readCSV(t, renderFile(t, f)), 1, "%s: a header only", f.Name)
	}
}

// TestComparisonFiles: a comparison's CSV tables hold every run's rows,
// led by the run's label.
func TestComparisonFiles(t *testing.T) {
	files := report.ComparisonFiles(comparison())
	assert.Equal(t, []string{"result.json", "stats.csv", "faults.csv", "unavailability.csv", "impact.csv", "timeline.csv", "timeline_completed.csv", "traffic.csv", "histograms.jsonl", "scenario.yaml"},
		fileNames(files))
	assert.Equal(t, string(renderComparison(t, comparison(), report.JSON)), string(renderFile(t, files[0])))
	rows := readCSV(t, renderFile(t, files[5]))
	assert.Equal(t, []string{"run", "scenario", "seed", "survival", "t_s"}, rows[0][:5])
	require.Len(t, rows, 1+4, "the REGION run has no timeline")
	assert.Equal(t, "zone", rows[1][0])

	sweep := report.SweepFiles(sweepResult())
	assert.Equal(t, []string{"sweep.json", "sweep.csv", "scenario.yaml"}, fileNames(sweep))
	y := string(renderFile(t, sweep[2]))
	assert.NotContains(t, y, "faults:", "the scenario swept has no faults of its own")
}

// TestImpactCSV: impact.csv has one row per Result.Impact entry, the
// during and after summaries flattened.
func TestImpactCSV(t *testing.T) {
	r := zoneResult()
	r.Impact = []scenarios.ClientImpact{
		{Fault: "region us-east1 at 6m", StartS: 360, EndS: 480, Table: "users", Locality: "regional-by-row",
			Op: "write", ClientRegion: "us-west1", Requests: 293, Errors: 5, Slow: 7,
			UnavailableS: 6.2000000001, UnavailableFromS: 360.1, UnavailableRange: 3, RangesUnavailable: 2, AfterS: 390,
			During: scenarios.LatencySummary{Count: 195, P50Ms: 70.1, P99Ms: 6120},
			After:  scenarios.LatencySummary{Count: 98, P50Ms: 70.5, P99Ms: 74}},
		{Fault: "region us-east1 at 6m", StartS: 360, EndS: 480, Table: "settings", Locality: "global",
			Op: "read", ClientRegion: "us-east1", UnavailableRange: -1, AfterS: 390},
	}
	f := report.ResultFiles(r)[4]
	require.Equal(t, "impact.csv", f.Name)
	out := renderFile(t, f)
	golden(t, "files-impact-rows.csv", out)
	rows := readCSV(t, out)
	require.Len(t, rows, 3)
	assert.Equal(t, "6.2", rows[1][13], "unavailable_s to the nanosecond")
	assert.Equal(t, "-1", rows[2][15], "no stalled range")
}

// TestHistogramsSidecar: histograms.jsonl has one line per stat with a
// histogram, which decodes to the stat's distribution.
func TestHistogramsSidecar(t *testing.T) {
	r := zoneResult()
	h := stats.NewDefaultHistogram()
	for i := range 1000 {
		h.Record(time.Duration(i+1) * time.Millisecond)
	}
	r.Stats[0].Latency = h
	var b bytes.Buffer
	require.NoError(t, report.WriteHistograms(&b, []scenarios.Result{*r}))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 1, "only the stat with a histogram")
	var got report.HistogramLine
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &got))
	assert.Equal(t, r.Stats[0].Table, got.Table)
	assert.Equal(t, r.Seed, got.Seed)
	assert.Equal(t, h.Quantile(0.99), got.Histogram.Quantile(0.99))
	assert.Equal(t, h.Count(), got.Histogram.Count())
}
