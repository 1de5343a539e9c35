package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
)

func explainFixture() (*scenarios.Result, []scenarios.Stat) {
	at := &scenarios.AttributionAt{LowMs: 125.829, HighMs: 134.218, Requests: 95, MeanMs: 131.2, Components: []scenarios.ComponentShare{
		{Component: "gateway_leaseholder", Label: "gateway→leaseholder", Region: "us-east1", Ms: 66, Share: 0.503},
		{Component: "quorum_ack", Label: "quorum ack", Region: "europe-west1", Ms: 64, Share: 0.4878},
		{Component: "evaluation", Label: "evaluation", Region: "us-east1", Ms: 0.5, Share: 0.0038},
		{Component: "fsync", Label: "fsync", Region: "europe-west1", Ms: 0.5, Share: 0.0038},
		{Component: "client_hop", Label: "client hop", Ms: 0.2, Share: 0.0015},
		{Component: "redirect", Label: "redirect", Ms: 0.001, Share: 0},
	}}
	st := scenarios.Stat{Table: "accounts", Locality: "regional-by-table", Op: "write", ClientRegion: "us-west1",
		Count: 95, P50Ms: 131.2, P99Ms: 131.2, ExpectedMs: 131.2,
		Attribution: &scenarios.Attribution{P50: at, P99: at}}
	return &scenarios.Result{Scenario: "default", Seed: 1, Survival: "region", Stats: []scenarios.Stat{st}}, []scenarios.Stat{st}
}

func TestWriteExplainText(t *testing.T) {
	r, stats := explainFixture()
	var b bytes.Buffer
	require.NoError(t, WriteExplain(&b, r, stats, Table))
	assert.Equal(t, `default, seed 1, region survival: what set each latency (critical path of every request)

accounts (regional-by-table) write from us-west1: 95 requests, 0 errors; p50 131.2 ms (expected 131.2), p99 131.2 ms
  p50 (131.2 ms): 50.3 % gateway→leaseholder us-east1, 48.8 % quorum ack from europe-west1
  p99 (131.2 ms): 50.3 % gateway→leaseholder us-east1, 48.8 % quorum ack from europe-west1

  at p50: 95 requests of 125.8–134.2 ms, mean 131.2 ms
     share    ms  component            region
    ------  ----  -------------------  ------------
    50.3 %  66.0  gateway→leaseholder  us-east1
    48.8 %  64.0  quorum ack           europe-west1
     0.4 %  0.50  evaluation           us-east1
     0.4 %  0.50  fsync                europe-west1
     0.1 %  0.20  client hop           -
    (and 1 more component under 0.005 ms a request)

  at p99: the same requests as at p50
`, b.String())

	b.Reset()
	require.NoError(t, WriteExplain(&b, r, stats, Markdown))
	assert.True(t, bytes.HasPrefix(b.Bytes(), []byte("```\ndefault, seed 1")), b.String())
	assert.True(t, bytes.HasSuffix(b.Bytes(), []byte("as at p50\n```\n")), b.String())

	// A stat without attribution says so.
	stats[0].Attribution = nil
	b.Reset()
	require.NoError(t, WriteExplain(&b, r, stats, Table))
	assert.Contains(t, b.String(), "  no attribution (no request, or a pooled result)\n")
}

func TestWriteExplainJSON(t *testing.T) {
	r, stats := explainFixture()
	var b bytes.Buffer
	require.NoError(t, WriteExplain(&b, r, stats, JSON))
	var doc ExplainDocument
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, KindExplain, doc.Kind)
	assert.Equal(t, SchemaVersion, doc.SchemaVersion)
	assert.Equal(t, []uint64{1}, doc.Seeds)
	require.Len(t, doc.Stats, 1)
	assert.Equal(t, stats[0].Attribution, doc.Stats[0].Attribution)

	err := WriteExplain(&b, r, stats, CSV)
	assert.True(t, errors.Is(err, ErrUnknownFormat), "%v", err)
}
