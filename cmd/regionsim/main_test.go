package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/schema/schematest"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadInputExitsTwoWithMessage(t *testing.T) {
	dir := t.TempDir()
	badCSV := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(badCSV, []byte("from,to,p50_ms\nus-east1,us-west1,66\nus-east1,europe-west1,abc\n"), 0o644))
	tests := []struct {
		args []string
		want string // substring of stderr naming the problem
	}{
		{nil, "Usage:"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"help", "bogus"}, `unknown command "bogus"`},
		{[]string{"topology", "--rtt", "nope"}, `topology.rtt: "nope"`},
		{[]string{"topology", "--rtt", badCSV}, `line 3: p50_ms: "abc"`},
		{[]string{"topology", "--zones-per-region", "0"}, "topology.zones_per_region: 0"},
		{[]string{"topology", "--nodes-per-zone", "-1"}, "topology.nodes_per_zone: -1"},
		{[]string{"topology", "--regions", "us-east1,mars"}, `unknown region "mars"`},
		{[]string{"topology", "--regions", "us-east1,us-east1"}, `"us-east1"`},
		{[]string{"topology", "--jitter", "wobbly"}, `topology.jitter: unknown "wobbly"`},
		{[]string{"topology", "--inter-zone-rtt", "-1ms"}, "topology.inter_zone_rtt: -1ms"},
		{[]string{"topology", "--inter-zone-rtt", "fast"}, `"fast"`},
		{[]string{"topology", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"topology", "extra"}, `"extra" is neither a built-in scenario`},
		{[]string{"topology", "default", "extra"}, `unexpected argument "extra"`},
		{[]string{"presets", "x"}, `unexpected argument "x"`},
		{[]string{"version", "--short"}, "unknown flag: --short"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr, tt.want)
			assert.Empty(t, stdout, "errors go to stderr only")
			assert.NotContains(t, stderr, "panic")
		})
	}
}

func TestHelp(t *testing.T) {
	code, stdout, stderr := runCLI("help")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr)
	names := []string{"run", "compare", "sweep", "scenarios", "presets", "topology", "version", "completion", "help"}
	for _, name := range names {
		assert.Contains(t, stdout, name)
	}
	for _, name := range names {
		for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}} {
			code, stdout, stderr := runCLI(args...)
			assert.Equal(t, 0, code, "%v", args)
			assert.Empty(t, stderr, "%v", args)
			assert.Equal(t, 1, strings.Count(stdout, "Usage: regionsim "+name), "%v prints its usage once", args)
		}
	}
	_, stdout, _ = runCLI("topology", "--help")
	for _, flag := range []string{"--rtt", "--regions", "--zones-per-region", "--nodes-per-zone", "--inter-zone-rtt", "--intra-zone-rtt", "--jitter"} {
		assert.Contains(t, stdout, flag)
	}
}

func TestPresets(t *testing.T) {
	code, stdout, stderr := runCLI("presets")
	require.Equal(t, 0, code, stderr)
	for _, name := range []string{"crdb-demo", "roachprod", "aws", "gcp", "azure", "seed-blog"} {
		assert.Contains(t, stdout, name)
	}
	assert.Contains(t, stdout, "eu-central-1,eu-west-3,us-east-2")
}

func TestTopologyCrdbDemo(t *testing.T) {
	code, stdout, stderr := runCLI("topology", "--rtt", "crdb-demo")
	require.Equal(t, 0, code, stderr)
	for i := 1; i <= 9; i++ {
		assert.Contains(t, stdout, "n"+string(rune('0'+i)))
	}
	assert.Contains(t, stdout, "region=us-east1,zone=us-east1-a")
	assert.Contains(t, stdout, "region=europe-west1,zone=europe-west1-c")
	// The p50 matrix rows: us-east1 66/64, us-west1 66/146, europe-west1 64/146.
	assert.Regexp(t, `(?m)^us-east1\s+-\s+66\s+64\s*$`, stdout)
	assert.Regexp(t, `(?m)^us-west1\s+66\s+-\s+146\s*$`, stdout)
	assert.Regexp(t, `(?m)^europe-west1\s+64\s+146\s+-\s*$`, stdout)
}

func TestTopologyCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rtt.csv")
	require.NoError(t, os.WriteFile(path, []byte("a,b,10\na,c,20,25\nb,c,30\n"), 0o644))
	code, stdout, stderr := runCLI("topology", "--rtt", path, "--zones-per-region", "2", "--jitter", "none")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Topology: 3 regions, 6 zones, 6 nodes")
	assert.Regexp(t, `(?m)^a\s+-\s+10\s+20`, stdout)
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, _ := runCLI(args...)
		assert.Equal(t, 0, code)
		assert.Contains(t, stdout, "regionsim "+version)
	}
}

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

const tinyScenario = `
name: tiny
duration: 2s
warmup: 1s
tables:
  - {name: t, locality: regional-by-table, ranges: 3}
workload:
  - {region: us-west1, rate: 50, table: t, mix: {read: 0.5, write: 0.5}}
`

func TestRunBadInput(t *testing.T) {
	badTarget := writeScenario(t, tinyScenario+"faults:\n  - {at: 1500ms, kind: zone, target: us-east1-z, for: 200ms}\n")
	negative := writeScenario(t, tinyScenario+"faults:\n  - {at: 1500ms, kind: region, target: us-east1, for: -1s}\n")
	overlap := writeScenario(t, tinyScenario+"faults:\n  - {at: 1s, kind: partition, between: [[us-east1], [us-east1-a]], for: 1s}\n")
	noMR := writeScenario(t, "duration: 1s\ntables: [{name: kv, locality: none}]\nworkload: [{region: us-east1, rate: 10, table: kv}]\n")
	bad := writeScenario(t, tinyScenario+"surprise: 1\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "nope"}, `"nope"`},
		{[]string{"run", bad}, "surprise"},
		{[]string{"run", "default", "--survival", "planet"}, `database.survival: unknown "planet"`},
		{[]string{"run", "default", "--format", "xml"}, `--format: report: unknown format "xml"`},
		{[]string{"run", "default", "--duration", "-1s"}, "duration: -1s"},
		{[]string{"run", "default", "--max-offset", "20s"}, "cockroach.max_offset: 20s"},
		{[]string{"run", "default", "--crdb-version", "1.0"}, `cockroach.version: unknown "1.0"`},
		{[]string{"run", "default", "--jitter", "x"}, `topology.jitter: unknown "x"`},
		{[]string{"run", "default", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", badTarget}, `faults[0].target: unknown zone "us-east1-z"`},
		{[]string{"run", negative}, "faults[0].for: -1s (want > 0)"},
		{[]string{"run", overlap}, `faults[0].between[1][0]: "us-east1-a" overlaps`},
		{[]string{"sweep", "nope"}, `"nope"`},
		{[]string{"sweep", "default", "--seeds", "0"}, "--seeds: 0 is out of range"},
		{[]string{"sweep", "default", "--fault-for", "-1s"}, "--fault-for: -1s (want > 0)"},
		{[]string{"sweep", "default", "--fault-at", "-2s"}, "--fault-at: -2s (want >= 0)"},
		{[]string{"sweep", "default", "--duration", "60s", "--fault-for", "2m"}, "--fault-for: 2m0s from 22s ends after the run"},
		{[]string{"sweep", "default", "--kinds", "zone,moon"}, `--kinds: unknown kind "moon"`},
		{[]string{"sweep", "default", "--survive-within", "-1s"}, "--survive-within: -1s (want > 0)"},
		{[]string{"sweep", "default", "--survive-within", "0s"}, "--survive-within: 0s (want > 0)"},
		{[]string{"compare", "default", "--survive-within", "0s"}, "--survive-within: 0s (want > 0)"},
		{[]string{"run", "default", "--survive-within", "0s"}, "--survive-within: 0s (want > 0)"},
		{[]string{"sweep", "default", "--format", "xml"}, `--format: report: unknown format "xml"`},
		{[]string{"sweep", "default", "--survival", "zone"}, "unknown flag: --survival"},
		{[]string{"sweep", "default", "--seeds", "x"}, `invalid argument "x" for "--seeds"`},
		{[]string{"compare", noMR}, "no multi-region database"},
		{[]string{"compare", "default", "--survival", "zone"}, "unknown flag: --survival"},
		{[]string{"run", "default", "--assert", "p99<10"}, `invalid argument "p99<10" for "--assert" flag: malformed: p99 needs a unit`},
		{[]string{"run", "default", "--assert", "users.wirte.p99<1s"}, `"users.wirte.p99<1s" for "--assert" flag: no such name: op "wirte"`},
		{[]string{"run", "default", "--assert", "p99@mars<1s"}, `assertion "p99@mars<1s": no such name: client region "mars"`},
		{[]string{"run", "default", "--assert", "promo_codes.txn.p99<1s"}, `assertion "promo_codes.txn.p99<1s": selects nothing: no requests for table promo_codes, op txn`},
		{[]string{"sweep", "default", "--assert", "p90<1s"}, `assertion "p90<1s": not measured: sweep keeps no p90`},
		{[]string{"sweep", "default", "--assert", "errors@mars==0"}, `client region "mars"`},
		{[]string{"scenarios", "x"}, `unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Empty(t, stdout)
		})
	}
}

func TestRunAndCompare(t *testing.T) {
	path := writeScenario(t, tinyScenario)
	code, stdout, stderr := runCLI("run", path, "--jitter", "none", "--seed", "3")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "scenario      tiny")
	assert.Contains(t, stdout, "seed          3")
	// Jitter-free: a read from us-west1 of a range homed in us-east1 costs
	// the 66 ms RTT plus local hops and evaluation.
	assert.Regexp(t, `(?m)^t\s+regional-by-table\s+read\s+us-west1\s+\d+\s+0\s+6[67]\.\d`, stdout)

	out := t.TempDir()
	code, stdout, stderr = runCLI("compare", path, "--format", "json", "--out", out, "--charts", "all")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "{\n  \"schema_version\": 1,\n  \"tool_version\": \"devel\",\n  \"kind\": \"compare\","), stdout[:100])
	assert.Contains(t, stdout, "\n  \"runs\": [")
	assert.Contains(t, stdout, `"survival": "zone"`)
	assert.Contains(t, stdout, `"survival": "region"`)
	assert.Contains(t, stderr, "wrote "+out+": result.json, stats.csv")
	assert.Contains(t, stderr, "charts (PNG and SVG), shown with their captions in "+filepath.Join(out, "README.md"))
	for _, f := range []string{"result.json", "stats.csv", "faults.csv", "unavailability.csv", "impact.csv", "timeline.csv", "timeline_completed.csv", "traffic.csv", "histograms.jsonl", "scenario.yaml",
		"cdf-t-read.png", "cdf-t-write.svg", "dots-t.png", "rtt-heatmap.png", "README.md"} {
		info, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err, f)
		assert.Greater(t, info.Size(), int64(60))
		if !strings.HasSuffix(f, ".png") && !strings.HasSuffix(f, ".svg") && f != "README.md" {
			assert.Contains(t, stderr, f, "the data file is named")
		}
	}
	code, again, stderr := runCLI("compare", filepath.Join(out, "scenario.yaml"), "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, wallSeconds.ReplaceAllString(stdout, ""), wallSeconds.ReplaceAllString(again, ""),
		"scenario.yaml repeats the comparison")
}

func TestRunIsDeterministic(t *testing.T) {
	for _, format := range []string{"table", "csv", "markdown"} {
		_, a, _ := runCLI("compare", "default", "--duration", "5s", "--format", format)
		_, b, _ := runCLI("compare", "default", "--duration", "5s", "--format", format)
		require.NotEmpty(t, a)
		assert.Equal(t, a, b, "same seed, same %s output", format)
	}
}

func TestScenariosList(t *testing.T) {
	code, stdout, _ := runCLI("scenarios")
	require.Equal(t, 0, code)
	for _, name := range []string{"default", "movr", "users-by-city", "follow-the-workload"} {
		assert.Regexp(t, `(?m)^`+name+`\s+\S`, stdout)
	}
}

func TestRunPrintsFaultSummary(t *testing.T) {
	path := writeScenario(t, tinyScenario+"faults:\n  - {at: 1s, kind: region, target: us-east1, for: 1s}\n")
	code, stdout, stderr := runCLI("run", path, "--jitter", "none", "--duration", "4s")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "faults: 1 fault")
	assert.Regexp(t, `(?m)^region us-east1 at 1s\s+regional-by-table\s+3/3\s`, stdout, "ZONE survival: every range of t is down")
	assert.Contains(t, stdout, "after failover: from min(30 s, half the fault)")
}

func TestSweep(t *testing.T) {
	path := writeScenario(t, tinyScenario+"faults:\n  - {at: 1s, kind: node, target: n1, for: 1s}\n")
	out := t.TempDir()
	code, stdout, stderr := runCLI("sweep", path, "--seeds", "2", "--duration", "4s", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "seeds         1, 2")
	assert.Contains(t, stdout, "fault         zone, region, node, partition at 1.8 s for 2 s; after failover from 2.8 s")
	assert.Contains(t, stdout, "the scenario's 1 fault (each run has only the swept fault)")
	assert.Regexp(t, `(?m)^zone us-east1-a\s+zone\s+(yes|no|\d/2)\s`, stdout)
	assert.Regexp(t, `(?m)^\s+region\s+(yes|no|\d/2)\s`, stdout)
	assert.Regexp(t, `(?m)^region europe-west1\s+zone\s+yes\s+0\.00\s+0\.00\s+0\.00\s+0\s+-$`, stdout,
		"a region without t's voters (ZONE survival) does not touch it")
	assert.Regexp(t, `(?m)^node n1\s+zone\s`, stdout)
	assert.Regexp(t, `(?m)^partition us-east1\s+zone\s`, stdout)
	assert.Contains(t, stdout, "verdict: REGION vs ZONE survival over 24 faults")
	for _, f := range []string{"sweep.json", "sweep.csv", "scenario.yaml", "sweep-unavailability.png", "sweep-unavailability.svg"} {
		info, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err, f)
		assert.Greater(t, info.Size(), int64(100))
	}
	assert.Contains(t, stderr, "wrote "+out+": sweep.json, sweep.csv, scenario.yaml; 1 chart (PNG and SVG)")
	assert.NotContains(t, stderr, "sweep: ", "no progress line when stderr is not a terminal")

	// The scenario's faults do not constrain --duration: they are replaced.
	code, stdout, stderr = runCLI("sweep", "users-by-city", "--seeds", "1", "--duration", "4s", "--warmup", "1s")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "the scenario's 3 faults (each run has only the swept fault)")
	assert.Contains(t, stdout, "region eu-central-1")

	// Same seeds, same output; JSON has the cases.
	_, first, _ := runCLI("sweep", path, "--seeds", "2", "--duration", "4s")
	_, again, _ := runCLI("sweep", path, "--seeds", "2", "--duration", "4s")
	assert.Equal(t, first, again)
	code, js, stderr := runCLI("sweep", path, "--seeds", "1", "--duration", "4s", "--format", "json", "--fault-at", "2s", "--fault-for", "1s", "--pairs")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, js, `"fault_at_s": 2,`)
	assert.Contains(t, js, `"fault": "zones us-east1-a + us-east1-b"`)
	assert.Contains(t, js, `"kind": "zone-pair"`)
}

func TestSweepSkipsRegionSurvival(t *testing.T) {
	path := writeScenario(t, `
duration: 2s
warmup: 1s
topology: {rtt: crdb-demo, regions: [us-east1, us-west1]}
tables: [{name: t, locality: regional-by-table, ranges: 2}]
workload: [{region: us-west1, rate: 20, table: t}]
`)
	code, stdout, stderr := runCLI("sweep", path, "--seeds", "1")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "survival      zone\n")
	assert.Regexp(t, `(?m)^skipped\s+region survival: .*3`, stdout)
	assert.NotRegexp(t, `(?m)^\s+region\s+(yes|no|\d/\d)\s`, stdout)
	assert.NotContains(t, stdout, "verdict:", "no verdict without REGION")
}

func TestTopologyOfScenario(t *testing.T) {
	code, stdout, stderr := runCLI("topology", "users-by-city")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Table users (regional-by-row), 3 ranges")
	for _, p := range []string{"eu-central-1", "eu-west-3", "us-east-2"} {
		assert.Contains(t, stdout, "zone config of partition "+p+":")
	}
	// REGION survival: 5 voters per range, 2 in the partition's region.
	assert.Regexp(t, `(?m)^eu-central-1\s+5\s+0\s+1\s*$`, stdout)

	// Two nodes per region cannot hold three ZONE voters: the ranges are
	// placed under-replicated, as CockroachDB's allocator leaves them, and
	// stderr says so.
	code, stdout, stderr = runCLI("topology", "default", "--zones-per-region", "2")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "regionsim topology: warning: table accounts under-replicated: 10 of 10 ranges hold 2 of 3 voters")
	assert.Contains(t, stdout, "Table accounts")
	code, _, stderr = runCLI("topology", "nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `"nope"`)
}

// TestDurationFlagsApplyBeforeValidation: --duration and --warmup apply
// before the scenario is validated, so a longer run makes room for a fault
// the file's own duration does not, and a fault that a shorter run no
// longer holds is refused naming the fault field, the flags and the
// duration the faults need.
func TestDurationFlagsApplyBeforeValidation(t *testing.T) {
	late := writeScenario(t, tinyScenario+"faults:\n  - {at: 4s, kind: zone, target: us-east1-b, for: 1s}\n")
	code, stdout, stderr := runCLI("run", late, "--quiet")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "faults[0].for: 1s from at 4s ends after the run (warmup 1s + duration 2s)")
	assert.NotContains(t, stderr, "--duration", "no flag to blame")
	assert.Empty(t, stdout)

	code, stdout, stderr = runCLI("run", late, "--duration", "4s", "--jitter", "none", "--quiet")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "faults: 1 fault")
	assert.Empty(t, stderr)
	code, _, stderr = runCLI("sweep", late, "--seeds", "1", "--dry-run")
	require.Equal(t, 0, code, "sweep replaces the faults: %s", stderr)

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--duration", "30s"}, []string{
			"regionsim run: --duration 30s: scenarios: users-by-city: faults[2].for: 15s from at 40s ends after the run (warmup 10s + duration 30s)",
			"the scenario's faults need --duration 45s or more"}},
		{[]string{"--duration", "5s", "--warmup", "1s"}, []string{
			"--warmup 1s --duration 5s: scenarios: users-by-city: faults[0].for: 12s from at 20s ends after the run (warmup 1s + duration 5s)",
			"need --duration 54s or more"}},
		{[]string{"--warmup", "0s"}, nil}, // the faults still fit: 55 s of 60 s
	} {
		code, stdout, stderr := runCLI(append([]string{"run", "users-by-city", "--dry-run"}, tc.args...)...)
		if tc.want == nil {
			assert.Equal(t, 0, code, stderr)
			continue
		}
		assert.Equal(t, 2, code, "%v", tc.args)
		for _, w := range tc.want {
			assert.Contains(t, stderr, w, "%v", tc.args)
		}
		assert.Empty(t, stdout)
	}
}

// TestRTTMapsRegions: --rtt of another provider maps the scenario's regions
// to its nearest and says so on stderr; an RTT spec without a counterpart
// for them fails naming the regions to pass with --regions, which works.
func TestRTTMapsRegions(t *testing.T) {
	code, stdout, stderr := runCLI("run", "default", "--rtt", "aws", "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "regionsim run: --rtt aws: mapped the scenario's regions it lacks to its nearest: "+
		"us-east1→us-east-1 (688 km), us-west1→us-west-2 (118 km), europe-west1→eu-west-3 (208 km)\n", stderr)
	assert.Contains(t, stdout, "default (zone survival, seed 1)")

	code, stdout, stderr = runCLI("run", "default", "--rtt", "aws", "--duration", "2s", "--warmup", "1s", "--jitter", "none", "--quiet")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr, "--quiet silences the note")
	assert.Contains(t, stdout, "rtt           aws")
	assert.Regexp(t, `(?m)^accounts\s+regional-by-table\s+read\s+us-east-1\s`, stdout, "workloads and homes follow")
	assert.NotContains(t, stdout, "us-east1 ")

	code, _, stderr = runCLI("sweep", "users-by-city", "--rtt", "azure", "--seeds", "1", "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "regionsim sweep: --rtt azure: mapped the scenario's regions it lacks to its nearest: eu-central-1→germanywestcentral (0 km), eu-west-3→francecentral")
	code, stdout, stderr = runCLI("topology", "users-by-city", "--rtt", "gcp")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "regionsim topology: --rtt gcp: mapped")
	assert.Contains(t, stdout, "zone config of partition europe-west3:")
	code, _, stderr = runCLI("run", "default", "--rtt", "gcp", "--regions", "us-east1,us-west1,europe-west2", "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "regionsim run: --regions: replaced the scenario's regions not in the list, in order: europe-west1→europe-west2 (300 km)\n", stderr)

	lab := filepath.Join(t.TempDir(), "lab.csv")
	require.NoError(t, os.WriteFile(lab, []byte("lab-a,lab-b,10\nlab-a,lab-c,20\nlab-b,lab-c,30\n"), 0o644))
	for _, command := range []string{"run", "compare", "sweep", "topology"} {
		code, stdout, stderr = runCLI(command, "default", "--rtt", lab)
		assert.Equal(t, 2, code, command)
		assert.Contains(t, stderr, "regionsim "+command+": --rtt "+lab+": it lacks the scenario's regions us-east1, us-west1, europe-west1", command)
		assert.Contains(t, stderr, "pass the 3 regions to use, primary first: e.g. --regions lab-a,lab-b,lab-c ("+lab+" has lab-a, lab-b, lab-c)", command)
		assert.Empty(t, stdout, command)
	}
	code, stdout, stderr = runCLI("run", "default", "--rtt", lab, "--regions", "lab-b,lab-a,lab-c", "--duration", "2s", "--warmup", "1s")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "us-east1→lab-b, us-west1→lab-a, europe-west1→lab-c")
	assert.Regexp(t, `(?m)^accounts\s+regional-by-table\s+read\s+lab-b\s`, stdout)
}

// TestQuiet: --quiet leaves nothing on stderr but errors, the files --out
// wrote included, on every command that writes them.
func TestQuiet(t *testing.T) {
	path := writeScenario(t, tinyScenario)
	for _, args := range [][]string{
		{"run", path},
		{"compare", path},
		{"sweep", path, "--seeds", "1", "--duration", "2s"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := runCLI(append(args, "--out", out)...)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "wrote "+out, "%v without --quiet names the files", args)
		assert.NotEmpty(t, stdout)

		code, stdout, stderr = runCLI(append(args, "--out", out, "--quiet")...)
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, stderr, "%v --quiet", args)
		assert.NotEmpty(t, stdout, "%v --quiet still prints the result", args)
		assert.FileExists(t, filepath.Join(out, outMarker), "%v --quiet still writes --out", args)
	}
	code, _, stderr := runCLI("run", path, "--quiet", "--duration", "0s")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "duration: 0s", "errors are not silenced")
}

// TestZeroFlagsApply: a flag given as 0 is applied, not read as "unset":
// --warmup 0s runs without warmup; --duration 0s and --max-offset 0s are
// refused, naming the field.
func TestZeroFlagsApply(t *testing.T) {
	code, stdout, stderr := runCLI("run", "default", "--warmup", "0s", "--duration", "1s", "--format", "json", "--quiet")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `"warmup_seconds": 0,`)
	for _, tc := range []struct{ flag, want string }{
		{"--duration", "duration: 0s (want > 0)"},
		{"--max-offset", "cockroach.max_offset: 0s is out of range"},
	} {
		code, _, stderr := runCLI("run", "default", tc.flag, "0s", "--quiet")
		assert.Equal(t, 2, code, tc.flag)
		assert.Contains(t, stderr, tc.want, tc.flag)
	}
}

// TestOutReplacesPreviousSet: --out writes a whole set or nothing; a
// previous run's set is replaced (no stale chart stays), a directory with
// other files is refused before anything runs unless --force, and no
// temporary directory is left behind.
func TestOutReplacesPreviousSet(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	code, _, stderr := runCLI("run", "default", "--duration", "2s", "--warmup", "1s", "--quiet", "--out", dir)
	require.Equal(t, 0, code, stderr)
	stale := filepath.Join(dir, "cdf-old-table-read.png")
	require.NoError(t, os.WriteFile(stale, []byte("x"), 0o644))
	code, _, stderr = runCLI("run", "default", "--duration", "2s", "--warmup", "1s", "--quiet", "--out", dir)
	require.Equal(t, 0, code, stderr)
	assert.NoFileExists(t, stale, "the previous set is replaced as a whole")
	assert.FileExists(t, filepath.Join(dir, "result.json"))
	marker, err := os.ReadFile(filepath.Join(dir, outMarker))
	require.NoError(t, err)
	assert.Contains(t, string(marker), "result.json\nstats.csv\n")

	foreign := filepath.Join(parent, "mine")
	require.NoError(t, os.MkdirAll(foreign, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("keep"), 0o644))
	code, stdout, stderr := runCLI("run", "default", "--duration", "2s", "--quiet", "--out", foreign)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--out "+foreign+": the directory holds other files than a regionsim output set (--force replaces it all)")
	assert.Empty(t, stdout, "refused before running")
	assert.FileExists(t, filepath.Join(foreign, "notes.txt"))
	code, _, stderr = runCLI("run", "default", "--duration", "2s", "--quiet", "--out", foreign, "--force")
	require.Equal(t, 0, code, stderr)
	assert.NoFileExists(t, filepath.Join(foreign, "notes.txt"))

	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"out", "mine"}, names, "no temporary directory left behind")
}

// TestPanicExitsOneWithReproduction: a bug anywhere exits 1, not 2 (bad
// input), and says how to reproduce it.
func TestPanicExitsOneWithReproduction(t *testing.T) {
	saved := commands
	defer func() { commands = saved }()
	commands = append(slices.Clone(commands), func(io.Writer, io.Writer) *cobra.Command {
		c := &cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error { panic("kaboom") }}
		c.Flags().Int("seed", 0, "")
		return c
	})
	code, _, stderr := runCLI("boom", "--seed", "7")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "internal error (a bug, please report it): kaboom")
	assert.Contains(t, stderr, "reproduce with: regionsim boom --seed 7")
	bug := &scenarios.InternalError{Scenario: "s", Seed: 9, Panic: "broken"}
	var buf bytes.Buffer
	assert.Equal(t, 1, exitStatus(bug, &buf, "run"))
	assert.Contains(t, buf.String(), `regionsim run: internal error (a bug) in scenario "s", seed 9: broken`)
}

// TestBudget: runs that would exhaust the machine are refused before they
// start, with the estimate; --dry-run prints it; the limits parse sizes.
func TestBudget(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	huge := write("huge.yaml", "tables: [{name: t}]\nworkload: [{region: us-east1, rate: 1e7, table: t}, {region: us-west1, rate: 1e7, table: t}]\n")
	long := write("long.yaml", "duration: 8760h\ntables: [{name: t}]\nworkload: [{region: us-east1, rate: 300, table: t}]\n")
	pileup := write("pileup.yaml", `duration: 60s
tables: [{name: t}]
workload: [{region: us-west1, rate: 200000, table: t, mix: {write: 1}}]
faults: [{at: 0s, kind: region, target: us-east1, for: 60s}]
`)
	for _, tc := range []struct {
		file, want string
	}{
		{huge, "budget: the run could need up to"},
		{long, "over --max-events 2000000000"},
		{pileup, "over --max-memory 4096 MiB"},
	} {
		code, stdout, stderr := runCLI("run", tc.file, "--quiet")
		assert.Equal(t, 2, code, tc.file)
		assert.Contains(t, stderr, tc.want, tc.file)
		assert.Empty(t, stdout, tc.file)
	}
	code, stdout, stderr := runCLI("run", huge, "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "huge (no survival goal, seed 1): about 1.4e+09 requests")
	code, stdout, stderr = runCLI("run", "failover", "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "failover (no survival goal, seed 1): about 2.33e+06 requests")
	code, _, stderr = runCLI("run", "default", "--max-memory", "lots")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--max-memory: "lots" is not a size`)
	code, _, stderr = runCLI("run", "default", "--max-memory", "100000")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--max-memory: "100000" is 100000 bytes, less than 1 MiB: give a unit (e.g. 100000MiB)`)
	code, _, stderr = runCLI("run", "default", "--max-events", "1.5")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--max-events: "1.5" is not a whole number`)
	for in, want := range map[string]uint64{"512MiB": 512 << 20, "4GiB": 4 << 30, "1.5G": 3 << 29, "1000": 1000, "0": 0, "2KB": 2000} {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	n, err := parseCount("2e9")
	require.NoError(t, err)
	assert.Equal(t, uint64(2_000_000_000), n)
}

// TestAssert: --assert turns run, compare and sweep into CI checks: one
// line per assertion on stderr after the normal output, exit 3 when one
// fails, exit 2 (before anything runs) when one is malformed or names
// something the scenario does not have.
func TestAssert(t *testing.T) {
	short := []string{"--duration", "10s", "--warmup", "2s", "--quiet"}
	compare := func(asserts ...string) (int, string, string) {
		args := append([]string{"compare", "default"}, short...)
		for _, a := range asserts {
			args = append(args, "--assert", a)
		}
		return runCLI(args...)
	}

	// REGION survival adds a WAN round trip to every write of accounts.
	code, stdout, stderr := compare("accounts.write.p99<10ms")
	assert.Equal(t, 3, code, stderr)
	assert.Contains(t, stdout, "side by side", "the normal output comes first")
	assert.Regexp(t, `(?m)^assert accounts.write.p99<10ms: FAIL measured \d+\.\dms \(worst of 6: accounts write @\S+, region survival\)$`, stderr)
	assert.Contains(t, stderr, "regionsim compare: 1 of 1 assertions failed")

	code, _, stderr = compare("accounts.write.p99<10s", "errors==0", "unavailable<15s", "accounts.read.p50@us-east1<5ms", "users.write.p99<1s")
	assert.Equal(t, 0, code, stderr)
	assert.Regexp(t, `(?m)^assert accounts.write.p99<10s: ok measured \d+\.\dms \(worst of 6: accounts write @\S+, region survival\)$`, stderr)
	assert.Regexp(t, `(?m)^assert errors==0: ok measured 0 \(worst of \d+: `, stderr)
	assert.Regexp(t, `(?m)^assert unavailable<15s: ok measured 0.00s `, stderr, "no faults: nothing unavailable")
	assert.Regexp(t, `(?m)^assert accounts.read.p50@us-east1<5ms: ok measured \d\.\d\dms \(worst of 2: accounts read @us-east1, (zone|region) survival\)$`, stderr)
	assert.Equal(t, 5, strings.Count(stderr, "assert "), "one line per assertion")

	// Malformed: refused while parsing the flags, naming the assertion.
	for _, bad := range []string{"accounts.write.p99<<10ms", "foo", "p99<10parsecs", "error_rate<5", "users.p99<1s"} {
		code, stdout, stderr := compare(bad)
		assert.Equal(t, 2, code, bad)
		assert.Contains(t, stderr, `invalid argument "`+bad+`" for "--assert" flag: malformed: `, bad)
		assert.Empty(t, stdout, "%s: refused before anything runs", bad)
	}
	// Unknown names: refused before the runs too, with the names there are.
	code, stdout, stderr = compare("errors==0", "acounts.write.p99<1s")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `assertion "acounts.write.p99<1s": no such name: table "acounts" (tables: users, accounts, promo_codes)`)
	assert.Empty(t, stdout)

	// run: --assert=EXPR works too; JSON on stdout stays JSON.
	code, stdout, stderr = runCLI(append([]string{"run", "default", "--format", "json", "--assert=users.*.errors==0"}, short...)...)
	assert.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "{"))
	assert.NotContains(t, stdout, "assert")
	assert.Regexp(t, `(?m)^assert users.\*.errors==0: ok measured 0 \(worst of 12: users read @us-east1, zone survival\)$`, stderr)
}

// TestAssertFaults: unavailable names the fault; a sweep's assertions
// name the fault, survival goal and locality.
func TestAssertFaults(t *testing.T) {
	path := writeScenario(t, tinyScenario+"faults:\n  - {at: 1s, kind: region, target: us-east1, for: 1s}\n")
	code, _, stderr := runCLI("run", path, "--jitter", "none", "--duration", "4s", "--assert", "unavailable<100ms", "--assert", "t.read.requests>0")
	assert.Equal(t, 3, code, stderr)
	assert.Regexp(t, `(?m)^assert unavailable<100ms: FAIL measured \d+\.\d\ds \(worst of 2: t \w+ @us-west1, zone survival, fault region us-east1 at 1s\)$`, stderr)
	assert.Regexp(t, `(?m)^assert t.read.requests>0: ok measured \d+ \(t read @us-west1, zone survival\)$`, stderr)
	assert.Contains(t, stderr, "regionsim run: 1 of 2 assertions failed")

	code, stdout, stderr := runCLI("sweep", path, "--seeds", "1", "--duration", "4s",
		"--assert", "unavailable<1m", "--assert", "t.*.requests>0", "--assert", "*.write.p99<1m")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "survived")
	assert.Regexp(t, `(?m)^assert unavailable<1m: ok measured \d+\.\d\ds \(worst of \d+: t \w+ @us-west1, (zone|region) survival, fault .+\)$`, stderr)
	code, _, stderr = runCLI("sweep", path, "--seeds", "1", "--duration", "4s", "--assert", "unavailable<1ms")
	assert.Equal(t, 3, code, stderr)
	assert.Regexp(t, `(?m)^assert unavailable<1ms: FAIL measured \d+\.\d\ds \(worst of \d+: t \w+ @us-west1, (zone|region) survival, fault `, stderr)
}

// wallSeconds matches the one line of a JSON document that differs between
// runs of one scenario and seed.
var wallSeconds = regexp.MustCompile(`(?m)^\s*"wall_seconds": [0-9.e+-]+,?\n`)

// TestJSONDocumentsReproduce: every JSON document is byte-identical for the
// same scenario and seed apart from wall_seconds, and its resolved_scenario,
// written to a file and run with the command's own flags, gives the same
// document again.
func TestJSONDocumentsReproduce(t *testing.T) {
	path := writeScenario(t, tinyScenario+"faults:\n  - {at: 1500ms, kind: zone, target: us-east1-a, for: 1s}\n")
	for _, tc := range []struct {
		args  []string // after the scenario
		again []string // the flags that are not part of the scenario
	}{
		{[]string{"run", "--seed", "5", "--duration", "3s", "--jitter", "none"}, []string{"run"}},
		{[]string{"compare", "--crdb-version", "23.1", "--duration", "3s"}, []string{"compare"}},
		{[]string{"sweep", "--seeds", "2", "--duration", "3s", "--fault-at", "1s", "--fault-for", "1s"},
			[]string{"sweep", "--seeds", "2", "--fault-at", "1s", "--fault-for", "1s"}},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			args := append([]string{tc.args[0], path, "--format", "json", "--quiet"}, tc.args[1:]...)
			code, first, stderr := runCLI(args...)
			require.Equal(t, 0, code, stderr)
			_, second, _ := runCLI(args...)
			first, second = wallSeconds.ReplaceAllString(first, ""), wallSeconds.ReplaceAllString(second, "")
			assert.Equal(t, first, second, "same scenario and seed, same document")

			var doc struct {
				Kind     string          `json:"kind"`
				Resolved json.RawMessage `json:"resolved_scenario"`
			}
			require.NoError(t, json.Unmarshal([]byte(first), &doc))
			assert.Equal(t, tc.args[0], doc.Kind)
			resolved := filepath.Join(t.TempDir(), "resolved.json")
			require.NoError(t, os.WriteFile(resolved, doc.Resolved, 0o644))
			again := append([]string{tc.again[0], resolved, "--format", "json", "--quiet"}, tc.again[1:]...)
			code, third, stderr := runCLI(again...)
			require.Equal(t, 0, code, stderr)
			third = wallSeconds.ReplaceAllString(third, "")
			if tc.args[0] == "sweep" {
				// The sweep replaced the file's fault; the resolved
				// scenario has none left to replace.
				first = strings.Replace(first, `"replaced_faults": 1,`, `"replaced_faults": 0,`, 1)
			}
			assert.Equal(t, first, third, "the resolved scenario repeats the %s", tc.args[0])
		})
	}
}

// TestJSONOutputsMatchSchema: every JSON document the CLI writes — run,
// compare and sweep, with and without faults, on stdout and under --out —
// is valid by docs/schema/output.schema.json, and every scenario.yaml by
// scenario.schema.json. The schemas forbid fields they do not list, so a
// field added to the output without `make schema` fails here.
func TestJSONOutputsMatchSchema(t *testing.T) {
	output, scenario := schematest.Output(t), schematest.Scenario(t)
	faulty := writeScenario(t, strings.Replace(tinyScenario, "duration: 2s", "duration: 6s", 1)+`faults:
  - {at: 1500ms, kind: zone, target: us-east1-a, for: 1s}
  - {at: 3s, kind: node, target: n2, for: 1s, mode: blackhole}
  - {at: 4500ms, kind: partition, between: [[us-east1], [us-west1, europe-west1]], for: 1s}
`)
	replaced := writeScenario(t, `
name: replaced
duration: 6m
warmup: 0s
topology: {nodes_per_zone: 2}
tables: [{name: a, ranges: 3}, {name: b, ranges: 2, locality: none}]
workload: [{region: us-east1, rate: 2, table: a, mix: {write: 1}}, {region: us-west1, rate: 2, table: b}]
faults: [{at: 10s, kind: zone, target: us-west1-a, for: 5m30s}]
`)
	tiny := writeScenario(t, tinyScenario)
	for _, args := range [][]string{
		{"run", tiny},
		{"run", faulty, "--jitter", "none"},
		{"run", replaced},
		{"run", "default", "--duration", "2s", "--warmup", "1s"},
		{"run", "follow-the-workload", "--duration", "10m", "--warmup", "0s"},
		{"compare", tiny},
		{"compare", faulty},
		{"sweep", tiny, "--seeds", "1", "--duration", "2s"},
		{"sweep", faulty, "--seeds", "2", "--duration", "3s", "--pairs"},
		{"run", faulty, "--seeds", "3"},
		{"compare", faulty, "--seeds", "2"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := runCLI(append(args, "--format", "json", "--quiet", "--out", out)...)
			require.Equal(t, 0, code, stderr)
			assert.NoError(t, schematest.ValidateJSON(output, []byte(stdout)), "stdout")
			name := "result.json"
			if args[0] == "sweep" {
				name = "sweep.json"
			}
			for _, f := range []string{name, "scenario.yaml"} {
				data, err := os.ReadFile(filepath.Join(out, f))
				require.NoError(t, err)
				if f == name {
					assert.Equal(t, wallSeconds.ReplaceAllString(stdout, ""), wallSeconds.ReplaceAllString(string(data), ""),
						"--out holds the document printed")
					assert.NoError(t, schematest.ValidateJSON(output, data), f)
				} else {
					assert.NoError(t, schematest.ValidateYAML(scenario, data), f)
				}
			}
		})
	}
}

// TestSuggestions: a mistyped command exits 2 and names the command meant.
func TestSuggestions(t *testing.T) {
	for _, tt := range []struct{ typed, want string }{{"rn", "run"}, {"compre", "compare"}, {"topolgy", "topology"}} {
		code, stdout, stderr := runCLI(tt.typed, "default")
		assert.Equal(t, 2, code, tt.typed)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, `unknown command "`+tt.typed+`"`)
		assert.Regexp(t, `Did you mean this\?\s+`+tt.want+`\n`, stderr)
	}
}

// TestCompletion: cobra's completion scripts, and the scenario argument
// completes to the built-in names.
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, stdout, stderr := runCLI("completion", sh)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "regionsim", sh)
	}
	code, stdout, stderr := runCLI("__complete", "run", "")
	require.Equal(t, 0, code, stderr)
	for _, b := range scenarios.Builtins() {
		assert.Contains(t, stdout, b.Name+"\t")
	}
	code, _, _ = runCLI("completion", "tcsh")
	assert.Equal(t, 2, code)
}

// TestFormatVersion: the VCS lines appear when the build was stamped.
func TestFormatVersion(t *testing.T) {
	got := formatVersion(&debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/regionsim/regionsim", Version: "v0.2.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "262f316abc"},
			{Key: "vcs.time", Value: "2026-12-06T09:58:03Z"}, {Key: "vcs.modified", Value: "true"},
		},
	})
	assert.Contains(t, got, "regionsim "+version+"\n")
	assert.Contains(t, got, "module:   github.com/regionsim/regionsim v0.2.0")
	assert.Contains(t, got, "commit:   git 262f316abc, 2026-12-06T09:58:03Z, modified\n")
	assert.Contains(t, got, "go:       go1.26.0 ")
	assert.Contains(t, formatVersion(nil), "commit:   not stamped")
}

// TestScenarioFromStdin: "-" reads the scenario YAML from standard input,
// for every command that takes a scenario; errors name it "stdin".
func TestScenarioFromStdin(t *testing.T) {
	defer func(r io.Reader) { stdin = r }(stdin)
	fromFile := writeScenario(t, tinyScenario)
	for _, args := range [][]string{
		{"run", "--seed", "3"},
		{"compare", "--seed", "3", "--format", "csv"},
		{"sweep", "--kinds", "region", "--seeds", "1", "--dry-run"},
		{"topology"},
	} {
		stdin = strings.NewReader(tinyScenario)
		code, got, stderr := runCLI(append(args[:1:1], append([]string{"-"}, args[1:]...)...)...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		code, want, stderr := runCLI(append(args[:1:1], append([]string{fromFile}, args[1:]...)...)...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		assert.Equal(t, want, got, "%v: - reads what the file holds", args)
	}
	stdin = strings.NewReader("name: x\nbogus: 1\n")
	code, _, stderr := runCLI("run", "-")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "stdin")
	assert.Contains(t, stderr, "bogus")
}

// TestListingFormats: scenarios, presets and topology take --format; the
// machine formats carry the same records.
func TestListingFormats(t *testing.T) {
	for _, args := range [][]string{{"scenarios"}, {"presets"}, {"topology"}, {"topology", "default"}, {"topology", "--rtt", "aws"}} {
		code, table, stderr := runCLI(args...)
		require.Equal(t, 0, code, stderr)
		code, tableAgain, _ := runCLI(append(args, "--format", "table")...)
		require.Equal(t, 0, code)
		assert.Equal(t, table, tableAgain, "%v: table is the default", args)

		code, js, stderr := runCLI(append(args, "--format", "json")...)
		require.Equal(t, 0, code, stderr)
		var doc map[string][]map[string]any
		require.NoError(t, json.Unmarshal([]byte(js), &doc), "%v", args)

		code, csvOut, stderr := runCLI(append(args, "--format", "csv")...)
		require.Equal(t, 0, code, stderr)
		code, md, stderr := runCLI(append(args, "--format", "markdown")...)
		require.Equal(t, 0, code, stderr)
		blocks := strings.Split(strings.TrimSuffix(csvOut, "\n"), "\n\n")
		require.Len(t, blocks, len(doc), "%v: one CSV block per JSON section", args)
		for name, records := range doc {
			assert.Contains(t, md, "## "+name+"\n", "%v", args)
			found := false
			for _, b := range blocks {
				lines := strings.Split(b, "\n")
				if len(lines)-1 == len(records) && strings.HasPrefix(lines[0], firstKey(js, name)) {
					found = true
				}
			}
			assert.True(t, found, "%v: a CSV block of %d rows for section %s", args, len(records), name)
		}
		switch args[0] {
		case "scenarios":
			assert.Len(t, doc["scenarios"], len(scenarios.Builtins()))
			assert.Equal(t, "default", doc["scenarios"][0]["name"])
		case "presets":
			assert.Contains(t, csvOut, "\naws,")
			assert.Contains(t, md, "| crdb-demo ")
		case "topology":
			assert.Len(t, doc["nodes"], 9)
			assert.NotEmpty(t, doc["rtt"])
			if len(args) > 1 && args[1] == "default" {
				assert.NotEmpty(t, doc["ranges"])
				assert.Contains(t, csvOut, "\nusers,regional-by-row,0,us-east1,")
			} else {
				assert.NotContains(t, doc, "ranges")
			}
		}
	}
	code, stdout, stderr := runCLI("presets", "--format", "xml")
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, `--format: report: unknown format "xml"`)
}

// firstKey returns the first column name of section name in a listing's
// JSON (the first key of its first record).
func firstKey(js, name string) string {
	_, rest, _ := strings.Cut(js, `"`+name+`": [`)
	_, rest, _ = strings.Cut(rest, `"`)
	key, _, _ := strings.Cut(rest, `"`)
	return key
}

func TestChartsFlag(t *testing.T) {
	path := writeScenario(t, tinyScenario)
	out := filepath.Join(t.TempDir(), "o")
	code, _, stderr := runCLI("run", path, "--out", out, "--charts", "none")
	require.Equal(t, 0, code, stderr)
	_, err := os.Stat(filepath.Join(out, "rtt-heatmap.png"))
	assert.ErrorIs(t, err, os.ErrNotExist, "--charts none writes no chart")
	_, err = os.Stat(filepath.Join(out, "result.json"))
	assert.NoError(t, err)
	code, _, stderr = runCLI("run", path, "--out", out)
	require.Equal(t, 0, code, stderr)
	for _, f := range []string{"rtt-heatmap.svg", "dots-t.png", "README.md"} {
		assert.FileExists(t, filepath.Join(out, f), "the summary is the default")
	}
	code, _, stderr = runCLI("run", path, "--charts", "some")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "summary, all or none")
}

// TestCompareJudgesWithItsBound: --survive-within judges both runs' faults
// and the verdict alike.
func TestCompareJudgesWithItsBound(t *testing.T) {
	code, stdout, stderr := runCLI("compare", "users-by-city", "--survive-within", "6s", "--charts", "none")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 2, strings.Count(stdout, "stalled over 6 s)"), "each run's client section")
	assert.Contains(t, stdout, "verdict: REGION vs ZONE survival over 3 faults (survived: no client stalled more than 6 s)")
}

// TestCompareVaryVoters: compare --vary voters=3,5 runs both under the
// scenario's survival goal, labelled by the setting, with deltas against
// the first; the default scenario's 3 nodes per region cannot keep 5 ZONE
// voters in one region, so there the 5-voter run is under-replicated
// (3 voters, as CockroachDB's allocator leaves it), performs like the
// 3-voter one, and the report says so and how to add nodes.
func TestCompareVaryVoters(t *testing.T) {
	code, stdout, stderr := runCLI("compare", "default", "--vary", "voters=3,5", "--nodes-per-zone", "2", "--duration", "5s", "--charts", "none")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "zone voters=3")
	assert.Contains(t, stdout, "zone voters=5")
	assert.Contains(t, stdout, "Δp50 ms")
	assert.Regexp(t, `(?m)^accounts\s+write\s+us-east1\s+zone voters=3 .*\n\s+zone voters=5(\s+\S+){4}(\s+[+-]?\d+\.\d+){4}\s*$`, stdout)

	assert.NotContains(t, stdout, "under-replicated")

	code, stdout, stderr = runCLI("compare", "default", "--vary", "voters=3,5", "--duration", "5s", "--charts", "none")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `(?m)^accounts\s+write\s+us-east1\s+zone voters=3 .*\n\s+zone voters=5(\s+\S+){4}(\s+0\.00){4}\s*$`, stdout)
	assert.Contains(t, stdout, "warning: table accounts under-replicated: 10 of 10 ranges hold 3 of 5 voters and 2 of 2 non-voters (zone survival keeps all 5 voters in the home region us-east1, which has 3 nodes: raise topology.nodes_per_zone, e.g. --nodes-per-zone 2)")
	assert.Contains(t, stdout, "warning: zone voters=5: 3 tables under-replicated (see run 2)")

	code, stdout, stderr = runCLI("compare", "default", "--vary", "voters=3,5", "--nodes-per-zone", "2", "--duration", "5s", "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `"variant": "voters=5"`)

	for _, bad := range []struct{ args, want string }{
		{"--vary voters", "want FIELD=A,B"},
		{"--vary replicas=3,5", `cannot vary "replicas"`},
		{"--vary voters=3,3", "voters=3 is listed twice"},
		{"--vary voters=3,x", `"x" is not a count`},
		{"--vary voters=0,3", "database.num_voters: 0"},
		{"--voters 2", "at least 3 voting replicas are required"},
		{"--survival region --voters 3", "lower than the one required for the survival goal: 5 with goal region"},
	} {
		code, _, stderr := runCLI(append([]string{"run", "default", "--duration", "5s"}, strings.Fields(bad.args)...)...)
		if strings.HasPrefix(bad.args, "--vary") {
			code, _, stderr = runCLI(append([]string{"compare", "default", "--duration", "5s"}, strings.Fields(bad.args)...)...)
		}
		assert.Equal(t, 2, code, bad.args)
		assert.Contains(t, stderr, bad.want, bad.args)
	}
}

// TestTopologySuperRegions: 'regionsim topology' lists the super regions
// and names the super region of each zone config confined to one; the
// JSON listing has a super_regions section. Bad super regions exit 2
// naming the field and the value.
func TestTopologySuperRegions(t *testing.T) {
	defer func(r io.Reader) { stdin = r }(stdin)
	const scenario = `
topology: {rtt: aws, regions: [us-east-1, eu-west-1, eu-central-1, eu-west-3]}
database:
  primary_region: us-east-1
  survival: region
  super_regions: {eu: [eu-west-1, eu-central-1, eu-west-3]}
tables:
  - {name: eu_customers, locality: regional-by-table, home_region: eu-west-1, ranges: 2}
  - {name: promo_codes, locality: global, ranges: 1}
`
	stdin = strings.NewReader(scenario)
	code, stdout, stderr := runCLI("topology", "-")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Database: regions us-east-1, eu-west-1, eu-central-1, eu-west-3; primary us-east-1; region survival; default placement")
	assert.Contains(t, stdout, "  super region eu: eu-central-1, eu-west-1, eu-west-3\n")
	assert.Contains(t, stdout, "  zone config (super region eu): num_replicas=5 num_voters=5 constraints={+region=eu-central-1: 2, +region=eu-west-1: 2, +region=eu-west-3: 1} voter_constraints={+region=eu-west-1: 2} lease_preferences=[[+region=eu-west-1]]")
	assert.Contains(t, stdout, "  zone config: num_replicas=5 num_voters=5 constraints={+region=us-east-1: 1, +region=eu-west-1: 1, +region=eu-central-1: 1, +region=eu-west-3: 1}")

	stdin = strings.NewReader(scenario)
	code, stdout, stderr = runCLI("topology", "-", "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `"super_regions": [`)

	for _, bad := range []struct{ replace, with, want string }{
		{"{eu: [eu-west-1, eu-central-1, eu-west-3]}", "{eu: [eu-west-1, eu-central-1, eu-north-1]}",
			`database.super_regions.eu[2]: "eu-north-1": super region refused by CockroachDB: region eu-north-1 not part of database`},
		{"{eu: [eu-west-1, eu-central-1, eu-west-3]}", "{eu: [eu-west-1, eu-central-1, eu-west-3], ie: [eu-west-1]}",
			`database.super_regions.ie[0]: "eu-west-1": super region refused by CockroachDB: region eu-west-1 is already part of super region eu`},
		{"{eu: [eu-west-1, eu-central-1, eu-west-3]}", "{eu: [eu-west-1, eu-central-1]}",
			"database.super_regions.eu: [eu-west-1 eu-central-1]: super region refused by CockroachDB: super region eu only has 2 region(s): at least 3 regions are required for surviving a region failure"},
		{"survival: region", "survival: region\n  num_voters: 0",
			"database.num_voters: 0: replica count refused by CockroachDB: at least one voting replica is required"},
		{"ranges: 1}", "ranges: 1, num_voters: 7, num_replicas: 6}",
			"tables[1].num_voters: 7 with num_replicas 6: replica count refused by CockroachDB: num_voters cannot be greater than num_replicas"},
	} {
		stdin = strings.NewReader(strings.Replace(scenario, bad.replace, bad.with, 1))
		code, _, stderr := runCLI("topology", "-")
		assert.Equal(t, 2, code, bad.with)
		assert.Contains(t, stderr, bad.want)
	}
}

// TestWroteLine: --out names its files in one line, charts by count.
func TestWroteLine(t *testing.T) {
	assert.Equal(t, "wrote out: result.json, stats.csv; 2 charts (PNG and SVG), shown with their captions in out/README.md",
		wroteLine("out", []string{"result.json", "stats.csv"}, []string{"README.md", "a.png", "a.svg", "b.png", "b.svg"}))
	assert.Equal(t, "wrote out: sweep.json; 1 chart (PNG and SVG), shown with their captions in out/README.md",
		wroteLine("out", []string{"sweep.json"}, []string{"README.md", "u.png", "u.svg"}))
	assert.Equal(t, "wrote out: result.json", wroteLine("out", []string{"result.json"}, nil))
}
