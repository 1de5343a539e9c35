package report

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
)

// TestSpliceLeasesIsTheEncoders checks that a run document with a long
// lease list, its events encoded one by one into the rest, reads byte for
// byte as the encoder writes the whole document, with names JSON must
// escape and floats of every format.
func TestSpliceLeasesIsTheEncoders(t *testing.T) {
	names := []string{"us-east1", `quo"te`, `back\slash`, "<b>&amp;", "line\u2028sep", "bad\xffutf8", "tab\there", "é中"}
	ts := []float64{0, 1e-7, 0.5, 123.456789, 1e21, 7}
	r := &scenarios.Result{Scenario: "splice", Seed: 3, Survival: "zone"}
	for i := range 1500 {
		r.Leases = append(r.Leases, scenarios.LeaseEvent{
			TS: ts[i%len(ts)], Range: i * 37, Table: names[i%len(names)], Region: names[(i+1)%len(names)],
			Zone: names[(i+2)%len(names)], FromRegion: names[(i+3)%len(names)], Reason: fmt.Sprint("reason-", i%5),
		})
	}
	d := runDocument(r)
	var want bytes.Buffer
	require.NoError(t, encodeJSON(&want, d, true))
	got, ok, err := spliceLeases(d)
	require.NoError(t, err)
	require.True(t, ok, "the empty lease list is found once")
	assert.Equal(t, want.String(), got.String())

	var viaWrite bytes.Buffer
	require.NoError(t, WriteResult(&viaWrite, r, JSON))
	assert.Equal(t, want.String(), viaWrite.String())
	assert.Len(t, r.Leases, 1500, "the result is not modified")
}

// TestSpliceLeasesSized checks that the buffer spliceLeases sizes holds
// the document without growing, for short and long names and numbers.
func TestSpliceLeasesSized(t *testing.T) {
	for _, name := range []string{"a", "us-east1-b", "follow-the-workload-and-then-some-more"} {
		r := &scenarios.Result{Scenario: "sized", Seed: 1}
		for i := range 3000 {
			r.Leases = append(r.Leases, scenarios.LeaseEvent{TS: 1234567.891011121 * float64(i%3), Range: i * 1000,
				Table: name, Region: name, Zone: name, FromRegion: name, FromZone: name, Reason: name})
		}
		b, ok, err := spliceLeases(runDocument(r))
		require.NoError(t, err)
		require.True(t, ok)
		var doc bytes.Buffer
		d := runDocument(r)
		d.Leases = nil
		require.NoError(t, encodeTo(&doc, d, "", "  "))
		assert.LessOrEqual(t, b.Len(), doc.Len()+leasesJSONBytes(r.Leases), name)
		assert.Greater(t, b.Len(), doc.Len()+leasesJSONBytes(r.Leases)*8/10, "the bound is not loose: %s", name)
	}
}

// TestSpliceLeasesNaN checks that a lease event JSON cannot encode fails
// the document and writes nothing, as the whole-document encoder does.
func TestSpliceLeasesNaN(t *testing.T) {
	r := &scenarios.Result{Scenario: "nan", Seed: 1}
	for i := range 2000 {
		r.Leases = append(r.Leases, scenarios.LeaseEvent{TS: float64(i), Range: i, Reason: "initial"})
	}
	r.Leases[1500].TS = math.NaN()
	var b bytes.Buffer
	err := WriteResult(&b, r, JSON)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "report: json")
	assert.Zero(t, b.Len())
}
