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
	var got bytes.Buffer
	ok, err := spliceLeases(&got, d)
	require.NoError(t, err)
	require.True(t, ok, "the empty lease list is found once")
	assert.Equal(t, want.String(), got.String())

	var viaWrite bytes.Buffer
	require.NoError(t, WriteResult(&viaWrite, r, JSON))
	assert.Equal(t, want.String(), viaWrite.String())
	assert.Len(t, r.Leases, 1500, "the result is not modified")
}

// TestSpliceLeasesStreams checks that a spliced run document's lease list
// reaches its writer in writes of at most spliceBuffer bytes, never held
// whole (the document around it is small here; it is written whole).
func TestSpliceLeasesStreams(t *testing.T) {
	r := &scenarios.Result{Scenario: "streamed", Seed: 1}
	for i := range 20000 {
		r.Leases = append(r.Leases, scenarios.LeaseEvent{TS: float64(i), Range: i, Table: "users",
			Region: "us-east1", Zone: "us-east1-b", Reason: "initial"})
	}
	var want bytes.Buffer
	require.NoError(t, encodeJSON(&want, runDocument(r), true))
	require.Greater(t, want.Len(), 4*spliceBuffer)
	var w chunkWriter
	require.NoError(t, WriteResult(&w, r, JSON))
	assert.Equal(t, want.String(), w.b.String())
	assert.Greater(t, w.writes, 4)
	assert.LessOrEqual(t, w.largest, spliceBuffer)
}

// chunkWriter keeps what it is given, counting the writes and the
// largest.
type chunkWriter struct {
	b               bytes.Buffer
	writes, largest int
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.writes++
	c.largest = max(c.largest, len(p))
	return c.b.Write(p)
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
