package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), string(got), "differs from %s; rerun with -update if intended", path)
}

// ext is each format's golden file extension.
var ext = map[report.Format]string{
	report.Table: "txt", report.CSV: "csv", report.JSON: "json", report.Markdown: "md",
}

func renderResult(t *testing.T, r *scenarios.Result, f report.Format) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, report.WriteResult(&b, r, f))
	return b.Bytes()
}

func renderComparison(t *testing.T, c *scenarios.Comparison, f report.Format) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, report.WriteComparison(&b, c, f))
	return b.Bytes()
}

func TestParseFormat(t *testing.T) {
	for _, f := range report.Formats() {
		got, err := report.ParseFormat(f.String())
		require.NoError(t, err)
		assert.Equal(t, f, got)
	}
	for _, s := range []string{"", "xml", "JSON", " table", "md", "text"} {
		_, err := report.ParseFormat(s)
		require.Error(t, err, "%q", s)
		assert.ErrorIs(t, err, report.ErrUnknownFormat)
		assert.Contains(t, err.Error(), `"`+s+`"`, "the error names the value")
		assert.Contains(t, err.Error(), "table, csv, json, markdown", "the error names the choices")
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var b bytes.Buffer
	err := report.WriteResult(&b, zoneResult(), "yaml")
	assert.ErrorIs(t, err, report.ErrUnknownFormat)
	err = report.WriteComparison(&b, comparison(), "")
	assert.ErrorIs(t, err, report.ErrUnknownFormat)
	assert.Zero(t, b.Len(), "nothing written on error")
}

func TestWriteNil(t *testing.T) {
	var b bytes.Buffer
	assert.Error(t, report.WriteResult(&b, nil, report.Table))
	assert.Error(t, report.WriteComparison(&b, nil, report.Table))
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteError(t *testing.T) {
	for _, f := range report.Formats() {
		assert.ErrorIs(t, report.WriteResult(failWriter{}, zoneResult(), f), errDiskFull, "%s", f)
		assert.ErrorIs(t, report.WriteComparison(failWriter{}, comparison(), f), errDiskFull, "%s", f)
	}
}

func TestJSONNaN(t *testing.T) {
	r := zoneResult()
	r.Stats[0].P99Ms = math.NaN()
	var b bytes.Buffer
	err := report.WriteResult(&b, r, report.JSON)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "report: json")
	assert.Zero(t, b.Len(), "nothing of a document that failed to encode is written")
}

func TestResultGolden(t *testing.T) {
	for _, f := range report.Formats() {
		t.Run(f.String(), func(t *testing.T) {
			golden(t, "result."+ext[f], renderResult(t, zoneResult(), f))
		})
	}
}

func TestEmptyResultGolden(t *testing.T) {
	r := &scenarios.Result{Scenario: "empty", Seed: 1, Survival: "zone", CRDBVersion: "25.2"}
	for _, f := range report.Formats() {
		t.Run(f.String(), func(t *testing.T) {
			golden(t, "empty."+ext[f], renderResult(t, r, f))
		})
	}
}

func TestComparisonGolden(t *testing.T) {
	for _, f := range report.Formats() {
		t.Run(f.String(), func(t *testing.T) {
			golden(t, "comparison."+ext[f], renderComparison(t, comparison(), f))
		})
	}
}

// keys returns the sorted keys of a decoded JSON object.
func keys(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "a JSON object, got %T", v)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sorted returns a sorted copy of s.
func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestJSONRoundTrip(t *testing.T) {
	in := zoneResult()
	out := renderResult(t, in, report.JSON)
	require.True(t, bytes.HasSuffix(out, []byte("}\n")), "a trailing newline")

	var back report.RunDocument
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&back))
	assert.Equal(t, report.Header{SchemaVersion: report.SchemaVersion, ToolVersion: "devel", Kind: "run"}, back.Header)
	assert.Equal(t, []uint64{7}, back.Seeds)
	require.NotNil(t, back.ResolvedScenario, "the resolved scenario parses back")
	assert.Equal(t, in.Resolved.Name, back.ResolvedScenario.Name)
	assert.Equal(t, in.Resolved.Tables, back.ResolvedScenario.Tables)
	assert.Equal(t, in.Resolved.Faults, back.ResolvedScenario.Faults)
	want := *in
	want.Resolved = nil // carried once, as resolved_scenario
	assert.Equal(t, want, back.Result)

	// Field names are DESIGN.md's contract. Beyond its example, Result also
	// carries rtt, max_offset_ms, warmup_seconds and requests, a lease event
	// its table, stats and timeline points their ambiguous errors, and stats
	// the closed form's expected latency and departure flag; the
	// document adds the header, seeds and the resolved scenario.
	var raw map[string]any
	require.NoError(t, json.Unmarshal(out, &raw))
	assert.Equal(t, sorted("schema_version", "tool_version", "kind", "seeds", "resolved_scenario",
		"scenario", "seed", "survival", "crdb_version", "simulated_seconds", "events",
		"wall_seconds", "stats", "unavailability", "leases", "timeline", "timeline_completed",
		"rtt", "max_offset_ms", "warmup_seconds", "requests", "regions", "rtt_ms", "faults", "lease_share", "lease_transfers", "timeline_interval_s", "tables", "replacements", "impact", "verdicts", "traffic",
		"node_load", "region_load", "load_timeline", "load_interval_s"), keys(t, raw))
	assert.Equal(t, sorted("table", "locality", "op", "client_region", "count", "errors", "ambiguous", "max_ok_ms",
		"mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
		"expected_ms", "expected_low_ms", "expected_high_ms", "departs"),
		keys(t, raw["stats"].([]any)[0]))
	assert.Equal(t, sorted("fault", "table", "range", "start_s", "end_s", "phases"),
		keys(t, raw["unavailability"].([]any)[0]))
	assert.Equal(t, sorted("t_s", "range", "region", "zone", "reason", "table", "from_region", "from_zone"),
		keys(t, raw["leases"].([]any)[0]))
	assert.Equal(t, sorted("t_s", "table", "op", "client_region", "count", "errors", "ambiguous", "p50_ms", "p99_ms"),
		keys(t, raw["timeline"].([]any)[0]))
	assert.InDelta(t, 1.9, raw["wall_seconds"], 0, "wall_seconds is in JSON")
}

func TestJSONNilNormalised(t *testing.T) {
	in := &scenarios.Result{Scenario: "empty", Unavailability: []scenarios.Unavailability{{Fault: "f"}}}
	out := renderResult(t, in, report.JSON)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &raw))
	for _, k := range []string{"stats", "leases", "timeline", "regions", "rtt_ms", "faults", "lease_share", "lease_transfers", "tables"} {
		assert.Equal(t, "[]", string(raw[k]), k)
	}
	var u []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw["unavailability"], &u))
	assert.Equal(t, "{}", string(u[0]["phases"]), "nil phases render as {}")
	assert.Nil(t, in.Stats, "the input is not modified")

	// An empty list stays a list (Run's results have empty, not nil, ones).
	out = renderResult(t, &scenarios.Result{Unavailability: []scenarios.Unavailability{}}, report.JSON)
	require.NoError(t, json.Unmarshal(out, &raw))
	assert.Equal(t, "[]", string(raw["unavailability"]))
	sw := renderSweep(t, &scenarios.SweepResult{Cases: []scenarios.SweepCase{{Clients: []scenarios.SweepClient{}}}}, report.JSON)
	assert.Contains(t, string(sw), `"clients": []`)
	out = renderResult(t, in, report.JSON)
	require.NoError(t, json.Unmarshal(out, &raw))
	assert.Nil(t, in.Unavailability[0].Phases, "the input is not modified")

	out = renderComparison(t, &scenarios.Comparison{}, report.JSON)
	assert.JSONEq(t, `{"schema_version": 1, "tool_version": "devel", "kind": "compare", "scenario": "",
		"seeds": [], "runs": [], "skipped": [], "verdict": null, "resolved_scenario": null}`, string(out))
	out = renderComparison(t, &scenarios.Comparison{Runs: []scenarios.Result{{}}}, report.JSON)
	var c struct {
		Runs []map[string]json.RawMessage `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(out, &c))
	require.Len(t, c.Runs, 1)
	assert.Equal(t, "[]", string(c.Runs[0]["stats"]))
}

func TestEmptyComparison(t *testing.T) {
	c := &scenarios.Comparison{}
	assert.Equal(t, "comparison of 0 runs\n", string(renderComparison(t, c, report.Table)))
	assert.Equal(t, "## Comparison of 0 runs\n", string(renderComparison(t, c, report.Markdown)))
	out := string(renderComparison(t, c, report.CSV))
	assert.Equal(t, 1, strings.Count(out, "\n"), "the header only: %q", out)
	assert.True(t, strings.HasPrefix(out, "run,scenario,seed,"))
}

func TestOneRunComparison(t *testing.T) {
	c := &scenarios.Comparison{Runs: []scenarios.Result{*zoneResult()}}
	lines := sideBySide(t, c)
	assert.NotContains(t, strings.Join(lines, "\n"), "Δ", "no delta columns with one run")
	assert.Equal(t, []string{"users", "write", "us-east1", "zone", "2.00", "2.60", "4.75", "6120.0"},
		line(t, lines, "users", "write", "us-east1"))
}

func TestComparisonJSON(t *testing.T) {
	in := comparison()
	out := renderComparison(t, in, report.JSON)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &raw))
	assert.Equal(t, sorted("schema_version", "tool_version", "kind", "scenario", "seeds", "runs", "skipped", "verdict", "resolved_scenario"),
		slices.Sorted(maps.Keys(raw)), `the document's header and {"runs": [...]}`)
	var doc report.CompareDocument
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&doc))
	assert.Equal(t, "compare", doc.Kind)
	assert.Equal(t, "users-region-survival", doc.Scenario)
	assert.Equal(t, []uint64{7}, doc.Seeds, "both runs have seed 7")
	require.NotNil(t, doc.ResolvedScenario)
	assert.Equal(t, uint64(7), doc.ResolvedScenario.Seed)
	back := doc.Comparison
	back.Resolved = nil
	// The REGION run's nil lists come back as empty lists; the resolved
	// scenarios are the document's, not the runs'.
	want := comparison()
	want.Resolved, want.Runs[0].Resolved = nil, nil
	want.Runs[1].Unavailability = []scenarios.Unavailability{}
	want.Runs[1].Leases = []scenarios.LeaseEvent{}
	want.Runs[1].Timeline = []scenarios.TimelinePoint{}
	want.Runs[1].TimelineCompleted = []scenarios.TimelinePoint{}
	want.Runs[1].Regions = []string{}
	want.Runs[1].RTTMs = [][]float64{}
	want.Runs[1].Faults = []scenarios.FaultWindow{}
	want.Runs[1].LeaseShare = []scenarios.LeaseSharePoint{}
	want.Runs[1].LeaseTransfers = []scenarios.LeaseTransferStat{}
	want.Runs[1].Replacements = []scenarios.Replacement{}
	want.Runs[1].Impact = []scenarios.ClientImpact{}
	want.Runs[1].Verdicts = []scenarios.FaultVerdict{}
	want.Runs[1].Tables = []scenarios.TableInfo{}
	want.Runs[1].NodeLoad = []scenarios.NodeLoad{}
	want.Runs[1].RegionLoad = []scenarios.RegionLoad{}
	want.Runs[1].LoadTimeline = []scenarios.LoadPoint{}
	want.Skipped = []string{}
	assert.Equal(t, *want, back)
}

func TestWallSecondsOnlyInJSON(t *testing.T) {
	for _, f := range []report.Format{report.Table, report.CSV, report.Markdown} {
		a, b := zoneResult(), zoneResult()
		b.WallSeconds = 987.654
		ra, rb := renderResult(t, a, f), renderResult(t, b, f)
		assert.Equal(t, string(ra), string(rb), "%s: wall time changes the output", f)
		assert.NotContains(t, strings.ToLower(string(ra)), "wall", f)

		ca, cb := comparison(), comparison()
		cb.Runs[0].WallSeconds, cb.Runs[1].WallSeconds = 11.5, 0.25
		assert.Equal(t, string(renderComparison(t, ca, f)), string(renderComparison(t, cb, f)), f)
	}
}

// sideBySide returns the lines of the table-format side-by-side section.
func sideBySide(t *testing.T, c *scenarios.Comparison) []string {
	t.Helper()
	out := string(renderComparison(t, c, report.Table))
	_, section, ok := strings.Cut(out, "== side by side")
	require.True(t, ok, "no side-by-side section in:\n%s", out)
	return strings.Split(section, "\n")
}

// line returns the one line of lines whose fields start with prefix.
func line(t *testing.T, lines []string, prefix ...string) []string {
	t.Helper()
	var found []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= len(prefix) && slices.Equal(f[:len(prefix)], prefix) {
			require.Nil(t, found, "two lines start with %q", prefix)
			found = f
		}
	}
	require.NotNil(t, found, "no line starts with %q in:\n%s", prefix, strings.Join(lines, "\n"))
	return found
}

func TestComparisonDeltas(t *testing.T) {
	lines := sideBySide(t, comparison())
	// users write us-east1: ZONE p50 2.0, p90 2.6, p99 4.75, p99.9 6120.0;
	// REGION 66.5, 68.0, 70.25, 75.0. Deltas by hand: +64.5, +65.4, +65.5,
	// -6045.0.
	assert.Equal(t, []string{"users", "write", "us-east1", "zone", "2.00", "2.60", "4.75", "6120.0"},
		line(t, lines, "users", "write", "us-east1"))
	assert.Equal(t, []string{"region", "66.5", "68.0", "70.2", "75.0", "+64.5", "+65.4", "+65.5", "-6045.0"},
		line(t, lines, "region", "66.5"), "70.25 rounds half to even at one decimal")
	// settings read europe-west1: 1.1 -> 1.2 etc.: +0.10, +0.10, +0.10, +0.20.
	assert.Equal(t, []string{"region", "1.20", "1.50", "2.10", "3.30", "+0.10", "+0.10", "+0.10", "+0.20"},
		line(t, lines, "region", "1.20", "1.50"))
	// settings read us-east1 is equal in both runs.
	assert.Equal(t, []string{"region", "1.10", "1.35", "1.90", "2.95", "0.00", "0.00", "0.00", "0.00"},
		line(t, lines, "region", "1.10", "1.35"))

	rows := comparisonCSV(t, comparison())
	r := rows[csvKey{"users", "write", "us-east1", "region"}]
	assert.Equal(t, []string{"64.5", "65.4", "65.5", "-6045"},
		[]string{r["delta_p50_ms"], r["delta_p90_ms"], r["delta_p99_ms"], r["delta_p999_ms"]})
	r = rows[csvKey{"settings", "read", "europe-west1", "region"}]
	assert.Equal(t, []string{"0.1", "0.1", "0.1", "0.2"},
		[]string{r["delta_p50_ms"], r["delta_p90_ms"], r["delta_p99_ms"], r["delta_p999_ms"]},
		"deltas rounded to the nanosecond, not 0.09999999999999987")
	r = rows[csvKey{"users", "write", "us-east1", "zone"}]
	assert.Equal(t, "", r["delta_p50_ms"], "the first run has no delta")
	assert.Equal(t, "2", r["p50_ms"])
}

type csvKey struct{ table, op, client, run string }

// comparisonCSV parses the comparison CSV into rows by key and run label.
func comparisonCSV(t *testing.T, c *scenarios.Comparison) map[csvKey]map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(renderComparison(t, c, report.CSV))).ReadAll()
	require.NoError(t, err)
	head := recs[0]
	out := map[csvKey]map[string]string{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range head {
			row[h] = rec[i]
		}
		k := csvKey{row["table"], row["op"], row["client_region"], row["run"]}
		require.NotContains(t, out, k, "duplicate row")
		out[k] = row
	}
	return out
}

func TestComparisonMissingRows(t *testing.T) {
	lines := sideBySide(t, comparison())
	// users read europe-west1 is only in the ZONE run.
	assert.Equal(t, []string{"users", "read", "europe-west1", "zone", "1.05", "88.4", "89.9", "91.2"},
		line(t, lines, "users", "read", "europe-west1"))
	assert.Equal(t, []string{"region", "-", "-", "-", "-", "-", "-", "-", "-"},
		line(t, lines, "region", "-"))
	// users stale_read us-east1 is only in the REGION run: no first-run
	// values, so no deltas either.
	assert.Equal(t, []string{"users", "stale_read", "us-east1", "zone", "-", "-", "-", "-"},
		line(t, lines, "users", "stale_read", "us-east1"))
	// users write europe-west1 counted nothing under ZONE: "-", no deltas.
	assert.Equal(t, []string{"users", "write", "europe-west1", "zone", "-", "-", "-", "-"},
		line(t, lines, "users", "write", "europe-west1"))

	rows := comparisonCSV(t, comparison())
	assert.Len(t, rows, 2*11, "11 keys × 2 runs")
	r := rows[csvKey{"users", "read", "europe-west1", "region"}]
	assert.Equal(t, "regional-by-row", r["locality"], "locality from the run that has the key")
	assert.Equal(t, "region", r["survival"])
	for _, col := range []string{"count", "errors", "mean_ms", "p50_ms", "max_ms", "delta_p50_ms", "delta_p999_ms"} {
		assert.Equal(t, "", r[col], col)
	}
	r = rows[csvKey{"users", "stale_read", "us-east1", "region"}]
	assert.Equal(t, "3000", r["count"])
	assert.Equal(t, "", r["delta_p50_ms"])
}

func TestComparisonKeyOrder(t *testing.T) {
	recs, err := csv.NewReader(bytes.NewReader(renderComparison(t, comparison(), report.CSV))).ReadAll()
	require.NoError(t, err)
	var got []string
	for _, rec := range recs[1:] {
		if rec[0] == "zone" {
			got = append(got, rec[5]+" "+rec[7]+" "+rec[8])
		}
	}
	// The ZONE run's order, with REGION's stale_read inserted after the key
	// that precedes it in the REGION run.
	assert.Equal(t, []string{
		"settings read europe-west1",
		"settings read us-east1",
		"settings write us-east1",
		"settings bounded_read us-west1",
		"users read europe-west1",
		"users read us-east1",
		"users read us-west1",
		"users stale_read us-east1",
		"users write europe-west1",
		"users write us-east1",
		"users write us-west1",
	}, got)
}

func TestRunLabels(t *testing.T) {
	header := func(c *scenarios.Comparison) string {
		out := string(renderComparison(t, c, report.Table))
		first, _, _ := strings.Cut(out, "\n")
		return first
	}
	assert.Equal(t, "comparison of 2 runs of users-region-survival: zone | region", header(comparison()))

	c := comparison()
	c.Runs[1].Survival = "zone"
	c.Runs[1].MaxOffsetMs = 250
	assert.Equal(t, "comparison of 2 runs of users-region-survival: zone offset=500ms | zone offset=250ms", header(c))

	c = comparison()
	c.Runs[1].RTT = "gcp.csv"
	c.Runs[1].CRDBVersion = "25.2"
	assert.Equal(t, "comparison of 2 runs of users-region-survival: zone v24.3 rtt=crdb-demo | region v25.2 rtt=gcp.csv", header(c))

	c = comparison()
	c.Runs = append(c.Runs, c.Runs[0])
	assert.Equal(t, "comparison of 3 runs of users-region-survival: zone #1 | region | zone #3", header(c))
}

func TestResultTableSections(t *testing.T) {
	out := string(renderResult(t, zoneResult(), report.Table))
	assert.Contains(t, out, "unavailability: 4 range outages during 2 faults, longest 9.50 s")
	assert.Contains(t, out, "leases: 7 events on 3 ranges, 4 moves after the first acquisition")
	assert.Contains(t, out, "lease share: users 4 transfers (12.00 per range per hour)\nleases of users by region over time:\n t s  us-east1 %\n----  ----------\n0.00         100\n")

	r := zoneResult()
	r.Unavailability, r.Leases = nil, []scenarios.LeaseEvent{}
	r.LeaseShare, r.LeaseTransfers = nil, nil
	out = string(renderResult(t, r, report.Table))
	assert.NotContains(t, out, "unavailability")
	assert.NotContains(t, out, "leases")
	out = string(renderResult(t, r, report.Markdown))
	assert.NotContains(t, out, "Unavailability")
	assert.NotContains(t, out, "Leases")
}

func TestTableNoTrailingSpaces(t *testing.T) {
	for _, out := range [][]byte{
		renderResult(t, zoneResult(), report.Table),
		renderComparison(t, comparison(), report.Table),
	} {
		for i, l := range strings.Split(string(out), "\n") {
			assert.Equal(t, strings.TrimRight(l, " "), l, "line %d", i+1)
		}
	}
}
