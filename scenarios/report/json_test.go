package report

import (
	"bytes"
	"fmt"
	"math"
	"slices"
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
	empty := d
	empty.Leases = []scenarios.LeaseEvent{}
	ok, err := spliceLeases(&got, empty, [][]scenarios.LeaseEvent{d.Leases}, topIndent)
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

// TestSpliceRunsIsTheEncoders checks that the compare and seeds documents,
// whose runs' lease lists are spliced, read byte for byte as the encoder
// writes them: runs with long lists of names JSON must escape, an empty
// list and (in a seed comparison, whose runs are not normalised) a nil
// one, and that the caller's results are left as they were.
func TestSpliceRunsIsTheEncoders(t *testing.T) {
	names := []string{"us-east1", `quo"te`, "<b>&amp;", "line\u2028sep", "bad\xffutf8", "é中"}
	run := func(seed uint64, n int) scenarios.Result {
		r := scenarios.Result{Scenario: "splice", Seed: seed, Survival: "zone", Leases: []scenarios.LeaseEvent{}}
		for i := range n {
			r.Leases = append(r.Leases, scenarios.LeaseEvent{
				TS: float64(i) * 0.25, Range: i, Table: names[i%len(names)], Region: names[(i+1)%len(names)],
				Zone: names[(i+2)%len(names)], FromRegion: names[(i+3)%len(names)], Reason: fmt.Sprint("reason-", i%3),
			})
		}
		return r
	}
	runs := []scenarios.Result{run(1, 1500), run(2, 0), run(3, 700)}

	c := &scenarios.Comparison{Runs: runs}
	var want, got bytes.Buffer
	require.NoError(t, encodeJSON(&want, compareDocument(c), true))
	require.NoError(t, WriteComparison(&got, c, JSON))
	sameText(t, want.String(), got.String(), "compare")

	ptrs := []*scenarios.Result{&runs[0], &runs[1], &runs[2]}
	sum := &scenarios.SeedSummary{Scenario: "splice"}
	want.Reset()
	got.Reset()
	require.NoError(t, encodeJSON(&want, SeedsDocument{Header: header(KindSeeds), SeedSummary: *sum, Runs: normalisedRuns(ptrs)}, true))
	require.NoError(t, WriteSeeds(&got, sum, ptrs, nil, JSON))
	sameText(t, want.String(), got.String(), "seeds")

	withNil := slices.Clone(runs)
	withNil[1].Leases = nil
	sc := &SeedComparison{Runs: withNil, Skipped: []string{}}
	want.Reset()
	got.Reset()
	require.NoError(t, encodeJSON(&want, CompareSeedsDocument{Header: header(KindCompareSeeds), Seeds: []uint64{}, SeedComparison: *sc}, true))
	var cw chunkWriter
	require.NoError(t, WriteSeedComparison(&cw, sc, JSON))
	sameText(t, want.String(), cw.b.String(), "seed comparison")
	assert.Contains(t, cw.b.String(), `"leases": null`)
	assert.Greater(t, cw.writes, 2, "spliced, not encoded whole")

	assert.Len(t, runs[0].Leases, 1500, "the results are not modified")
	assert.Len(t, withNil[2].Leases, 700)
	assert.Nil(t, withNil[1].Leases)
}

// sameText fails the test at the first byte where got differs from want,
// showing a little of each around it (documents here run to megabytes).
func sameText(t *testing.T, want, got, name string) {
	t.Helper()
	if want == got {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	lo := max(0, i-80)
	t.Errorf("%s: differs at byte %d of %d (got %d):\nwant …%q…\ngot  …%q…", name, i, len(want), len(got),
		want[lo:min(len(want), i+80)], got[lo:min(len(got), i+80)])
}
