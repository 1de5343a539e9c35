package main

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios/schema/schematest"
)

// adviseArgs is a cheap search: default's ZONE configurations, 5 s runs.
var adviseArgs = []string{"advise", "default", "--slo", "accounts.write.p99<100ms", "--slo", "promo_codes.read.p90<20ms",
	"--slo", "users.read.p50<5ms", "--goals", "zone", "--duration", "5s", "--quiet"}

func TestAdviseBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"advise", "default", "--slo", "read.p99<20"}, `read.p99<20`},
		{[]string{"advise", "default", "--slo", "read.p99<20"}, `p99 needs a unit`},
		{[]string{"advise", "default", "--slo", "survive=country"}, `survive="country"`},
		{[]string{"advise", "default", "--slo", "nosuch.read.p99<20ms"}, `table "nosuch"`},
		{[]string{"advise", "default", "--slo", "read.p99@mars<20ms"}, `client region "mars"`},
		{[]string{"advise", "default"}, `--slo: none given`},
		{[]string{"advise", "default", "--slo", "read.p99<20ms", "--goals", "planet"}, `--goals: unknown goal "planet"`},
		{[]string{"advise", "default", "--slo", "read.p99<20ms", "--seeds", "0"}, `--seeds: 0 is out of range`},
		{[]string{"advise", "default", "--slo", "read.p99<20ms", "--fault-for", "10s"}, `--fault-for: 10s is not longer than the survival bound 15s`},
		{[]string{"advise", "default", "--slo", "read.p99<20ms", "--top", "-1"}, `--top: -1`},
		{[]string{"advise", "default", "--slo", "read.p99<20ms", "--assert", "errors==0"}, `--assert: advise does not take it`},
		{[]string{"advise", "default", "--slo", "read.p99<20ms", "--duration", "-1s"}, `duration`},
	} {
		code, _, stderr := runCLI(tc.args...)
		assert.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
		assert.NotContains(t, stderr, "panic", "%v", tc.args)
	}
}

// TestAdviseNoneMeetsExitsThree: with SLOs no configuration meets, the
// ranking is printed and the exit status is 3.
func TestAdviseNoneMeetsExitsThree(t *testing.T) {
	code, stdout, stderr := runCLI("advise", "default", "--slo", "read.p99<1ms", "--goals", "zone", "--duration", "5s", "--quiet")
	assert.Equal(t, 3, code, stderr)
	assert.Contains(t, stderr, "no configuration meets every SLO")
	assert.Contains(t, stdout, "meet every SLO  0")
	assert.Contains(t, stdout, "pruned")
}

// TestAdviseJSONAndDeterminism: the JSON document matches the output
// schema, and the output is the same at any GOMAXPROCS.
func TestAdviseJSONAndDeterminism(t *testing.T) {
	args := append(append([]string{}, adviseArgs...), "--format", "json")
	code, stdout, stderr := runCLI(args...)
	require.Equal(t, 0, code, stderr)
	assert.NoError(t, schematest.ValidateJSON(schematest.Output(t), []byte(stdout)))
	var doc struct {
		Kind       string `json:"kind"`
		Meeting    int    `json:"meeting"`
		Candidates []struct {
			Rank   int    `json:"rank"`
			Status string `json:"status"`
		} `json:"candidates"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.Equal(t, "advise", doc.Kind)
	assert.Equal(t, 18, doc.Meeting, "users RBR or GLOBAL × accounts RBT(us-east1) × promo GLOBAL × 3 primaries × 3 secondaries")
	require.Len(t, doc.Candidates, 20, "--top 20")
	assert.Equal(t, "meets", doc.Candidates[0].Status)

	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	code, one, stderr := runCLI(args...)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, stdout, one, "GOMAXPROCS 1 and %d give the same document", prev)
}

// TestAdviseShardsMerge: the parts of advise --shard, merged, print what
// the unsharded advise prints.
func TestAdviseShardsMerge(t *testing.T) {
	dir := t.TempDir()
	for _, sh := range []string{"0/3", "2/3", "1/3"} {
		code, _, stderr := runCLI(append(append([]string{}, adviseArgs...), "--shard", sh, "--out", dir)...)
		require.Equal(t, 0, code, stderr)
	}
	code, whole, stderr := runCLI(adviseArgs...)
	require.Equal(t, 0, code, stderr)
	code, merged, stderr := runCLI("merge", dir)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, whole, merged)

	code, _, stderr = runCLI("merge", dir+"/advise-part-0-of-3.json", dir+"/advise-part-1-of-3.json")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "shard 2/3 missing")
	code, _, stderr = runCLI(append(append([]string{}, adviseArgs...), "--shard", "1/3", "--format", "table")...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "a part is JSON")
}
