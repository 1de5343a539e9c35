package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios/report"
)

// TestRunSeeds: run --seeds N pools N runs (seeds SEED … SEED+N-1), each
// as run --seed would give it, and says what ± means.
func TestRunSeeds(t *testing.T) {
	args := []string{"run", "default", "--duration", "3s", "--seed", "5"}
	code, out, stderr := runCLI(append(args, "--seeds", "3", "--format", "json")...)
	require.Equal(t, 0, code, stderr)
	var doc report.SeedsDocument
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, report.KindSeeds, doc.Kind)
	assert.Equal(t, []uint64{5, 6, 7}, doc.Seeds)
	require.Len(t, doc.Runs, 3)
	var single report.RunDocument
	code, one, stderr := runCLI(append(args, "--seed", "6", "--format", "json")...)
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(one), &single))
	require.Equal(t, len(single.Stats), len(doc.Runs[1].Stats))
	for i, st := range single.Stats {
		assert.Equal(t, st.P99Ms, doc.Runs[1].Stats[i].P99Ms, "seed 6 is run --seed 6")
	}
	var n uint64
	for _, r := range doc.Runs {
		n += r.Stats[0].Count
	}
	assert.Equal(t, n, doc.Stats[0].Count, "the pooled stat holds every seed's requests")
	require.NotNil(t, doc.Stats[0].P99CI)

	code, out, stderr = runCLI(append(args, "--seeds", "3")...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "seeds       5–7 (3 runs)")
	assert.Contains(t, out, " ± ")
	assert.Contains(t, out, "95 % confidence interval")

	dir := t.TempDir()
	code, _, stderr = runCLI(append(args, "--seeds", "2", "--out", dir)...)
	require.Equal(t, 0, code, stderr)
	for _, f := range []string{"result.json", "stats.csv", "timeline.csv", "scenario.yaml"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	csv, err := os.ReadFile(filepath.Join(dir, "stats.csv"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(csv), "scenario,survival,seeds,confidence,table"))

	for _, bad := range []string{"0", "-1", "10001"} {
		code, _, stderr = runCLI("run", "default", "--seeds", bad)
		assert.Equal(t, 2, code, bad)
		assert.Contains(t, stderr, "--seeds", bad)
	}
}

// TestCompareSeeds: compare --seeds gives each difference a paired
// interval, and REGION's cross-region quorum shows as a difference on
// writes but not on leaseholder reads.
func TestCompareSeeds(t *testing.T) {
	code, out, stderr := runCLI("compare", "default", "--duration", "3s", "--seeds", "4")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "REGION − ZONE, per table, op and client region")
	var write, read string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "accounts     write         us-east1") {
			write = line
		}
		if strings.HasPrefix(line, "accounts     read          us-west1") {
			read = line
		}
	}
	assert.Regexp(t, `\+6\d\.\d ± `, write)
	assert.Contains(t, read, "no difference")

	code, out, stderr = runCLI("compare", "default", "--duration", "3s", "--seeds", "2", "--format", "csv")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(out, "scenario,from,to,seeds,confidence,table,op,client_region,percentile"), out[:80])
	assert.Contains(t, out, "default,ZONE,REGION,2,0.95,accounts,write,us-east1,p50,")
}
