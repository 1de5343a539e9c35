package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios/report"
	"github.com/regionsim/regionsim/scenarios/schema/schematest"
)

func TestExplainBadInputExitsTwo(t *testing.T) {
	tests := []struct {
		args []string
		want string // substring of stderr naming the problem
	}{
		{[]string{"--table", "nope"}, `--table: unknown table "nope" (want one of users, accounts, promo_codes)`},
		{[]string{"--op", "delete"}, `--op: unknown op "delete"`},
		{[]string{"--region", "mars"}, `--region: unknown region "mars" (want one of us-east1, us-west1, europe-west1)`},
		// accounts gets read, write and txn; no stale reads.
		{[]string{"--table", "accounts", "--op", "stale_read"}, `--op stale_read: no workload sends accounts stale_read requests (accounts: read, write, txn)`},
		{[]string{"--out", "x"}, "--out: explain does not take it"},
		{[]string{"--format", "csv"}, "--format: csv"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"explain", "default", "--duration", "1s", "--quiet"}, tt.args...)...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Empty(t, stdout)
		})
	}
}

// TestExplainAcceptance prints the acceptance example of issue #18: a
// REGION write from us-west1 on jitter-free default (hand-computed in
// scenarios.TestAttributionRegionWriteFromUSWest: 66 ms to the leaseholder
// in us-east1, 64 ms to the quorum ack from europe-west1, of 131.2 ms).
func TestExplainAcceptance(t *testing.T) {
	args := []string{"explain", "default", "--survival", "region", "--jitter", "none", "--table", "accounts",
		"--op", "write", "--region", "us-west1", "--duration", "5s", "--quiet"}
	code, stdout, stderr := runCLI(args...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "accounts (regional-by-table) write from us-west1:")
	assert.Contains(t, stdout, "p50 (131.2 ms): 50.3 % gateway→leaseholder us-east1, 48.8 % quorum ack from europe-west1\n")
	assert.Contains(t, stdout, "    50.3 %  66.0  gateway→leaseholder  us-east1\n")
	assert.Contains(t, stdout, "    48.8 %  64.0  quorum ack           europe-west1\n")
	assert.NotContains(t, stdout, "from us-east1:", "only the selected client region")

	code, stdout, stderr = runCLI(append(args, "--format", "json")...)
	require.Equal(t, 0, code, stderr)
	assert.NoError(t, schematest.ValidateJSON(schematest.Output(t), []byte(stdout)), "the output schema")
	var doc report.ExplainDocument
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	require.Len(t, doc.Stats, 1)
	a := doc.Stats[0].Attribution
	require.NotNil(t, a)
	require.NotNil(t, a.P50)
	assert.Equal(t, "explain", doc.Kind)
	assert.Equal(t, []uint64{1}, doc.Seeds)
	assert.Equal(t, "gateway_leaseholder", a.P50.Components[0].Component)
	assert.Equal(t, "us-east1", a.P50.Components[0].Region)
	assert.InDelta(t, 66.0/131.2, a.P50.Components[0].Share, 5e-5)
	assert.Equal(t, "quorum_ack", a.P50.Components[1].Component)
	assert.Equal(t, "europe-west1", a.P50.Components[1].Region)
	assert.Nil(t, doc.Stats[0].Latency, "no histogram")
}
