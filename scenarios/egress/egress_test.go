package egress

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTablesParseAndCite(t *testing.T) {
	require.NotEmpty(t, prices)
	for _, p := range prices {
		assert.NotEmpty(t, p.Source, "%s %s %s-%s cites no source", p.Provider, p.Kind, p.From, p.To)
	}
	for _, prov := range []string{GCP, AWS, Azure} {
		_, ok := Between(prov, "x", "x")
		assert.True(t, ok, "%s has a zone price", prov)
	}
}

func TestAreas(t *testing.T) {
	for region, want := range map[string]string{
		"us-east1": "na", "us-east-1": "na", "eastus2": "na", "europe-west1": "eu", "eu-central-1": "eu",
		"westeurope": "eu", "asia-east1": "asia", "ap-south-1": "asia", "australia-southeast1": "oceania",
		"australiaeast": "oceania", "nowhere": "",
	} {
		assert.Equal(t, want, Area(region), region)
	}
}

func TestBetween(t *testing.T) {
	p, ok := Between(GCP, "us-east1", "us-west1")
	require.True(t, ok)
	assert.Equal(t, 0.02, p.USD)
	// A byte at $0.02/GiB.
	assert.InDelta(t, 0.02/(1<<30), p.PerByte(), 1e-20)
	p, ok = Between(GCP, "us-east1", "europe-west1")
	require.True(t, ok)
	assert.Equal(t, 0.08, p.USD)
	// AWS between zones: $0.01/GB on each side.
	p, ok = Between(AWS, "us-east-1", "us-east-1")
	require.True(t, ok)
	assert.InDelta(t, 0.02/1e9, p.PerByte(), 1e-20)
	_, ok = Between(None, "us-east1", "us-west1")
	assert.False(t, ok)
	_, ok = Between(GCP, "us-east1", "nowhere")
	assert.False(t, ok)
}
