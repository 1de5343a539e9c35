package topology

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func TestParseCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // substrings of the message
	}{
		{"wrong column count", "a,b,10\na,c\n", []string{`"t.csv" line 2`, `"a,c"`, "has 2 columns, want 3 or 4"}},
		{"too many columns without header", "a,b,10,12,x\n", []string{"line 1", "has 5 columns"}},
		{"wrong count with header", "from,to,p50_ms,source\na,b,10\n", []string{"line 2", "has 3 columns, want 4 as in the header"}},
		{"unparsable p50", "a,b,ten\n", []string{"line 1", `p50_ms: "ten" is not a number of milliseconds`}},
		{"unparsable p99", "a,b,10,lots\n", []string{"line 1", `p99_ms: "lots" is not a number`}},
		{"negative p50", "# c\n\na,b,-1\n", []string{"line 3", `p50_ms: "-1" is negative`}},
		{"NaN p50", "a,b,NaN\n", []string{`p50_ms: "NaN" is not finite`}},
		{"Inf p50", "a,b,+Inf\n", []string{`p50_ms: "+Inf" is not finite`}},
		{"zero p50", "a,b,0\n", []string{`p50_ms: "0" is zero`}},
		{"huge p50", "a,b,70000\n", []string{`p50_ms: "70000" is over 60000 ms`}},
		{"empty p50", "a,b,\n", []string{"line 1", "p50_ms: is empty"}},
		{"negative p99", "a,b,10,-3\n", []string{`p99_ms: "-3" is negative`}},
		{"from equals to", "a,a,10\n", []string{"line 1", `to: "a" equals from`}},
		{"empty from", ",b,10\n", []string{"from: is empty"}},
		{"empty to", "a,,10\n", []string{"to: is empty"}},
		{"p99 below p50", "a,b,10,9.5\n", []string{"line 1", `p99_ms: "9.5" is below p50_ms 10`}},
		{"p90 below p50", "from,to,p50_ms,p90_ms\na,b,10,9\n", []string{"line 2", `p90_ms: "9" is below p50_ms 10`}},
		{"p99 below p90", "from,to,p50_ms,p90_ms,p99_ms\na,b,10,12,11\n", []string{`p99_ms: "11" is below p90_ms 12`}},
		{"disagreeing duplicate", "a,b,10\nb,a,10\na,b,11\n", []string{"line 3", "a->b: is listed again with different values (p50 11; line 1 has p50 10)"}},
		{"disagreeing duplicate tail", "a,b,10,12\na,b,10,13\n", []string{"line 2", "a->b: is listed again with different values (p50 10 p99 13; line 1 has p50 10 p99 12)"}},
		{"unknown header column", "from,to,p50_ms,p95_ms\n", []string{"line 1", `header: "p95_ms" is not a known column`}},
		{"duplicate header column", "from,to,p50_ms,to\n", []string{`header: "to" is listed twice`}},
		{"header without p50", "from,to,source\n", []string{"header:", "has no p50_ms column"}},
		{"empty file", "# nothing\n\n", []string{`"t.csv": has no RTT rows`}},
		{"header only", "from,to,p50_ms\n", []string{"has no RTT rows"}},
		{"bad quoting", "a,b,10,\"x\n", []string{"is not valid CSV"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(tt.in), "t.csv")
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidCSV)
			var ce *CSVError
			assert.ErrorAs(t, err, &ce)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.True(t, strings.HasPrefix(err.Error(), `topology: rtt "t.csv"`), err.Error())
		})
	}
}

func TestParseCSVSymmetricFill(t *testing.T) {
	m, err := ParseCSV(strings.NewReader("a,b,10,12\nb,c,20\nc,b,21\n"), "sym")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, m.Regions())
	ab, ok := m.Pair("a", "b")
	require.True(t, ok)
	ba, ok := m.Pair("b", "a")
	require.True(t, ok)
	assert.Equal(t, ms(10), ba.P50)
	assert.Equal(t, ms(12), ba.P99)
	assert.False(t, ab.Mirrored)
	assert.True(t, ba.Mirrored)
	// Both directions given: kept as given (directional data).
	bc, _ := m.Pair("b", "c")
	cb, _ := m.Pair("c", "b")
	assert.Equal(t, ms(20), bc.P50)
	assert.Equal(t, ms(21), cb.P50)
	assert.False(t, cb.Mirrored)
	// No a<->c pair.
	_, ok = m.Pair("a", "c")
	assert.False(t, ok)
	_, ok = m.Pair("a", "a")
	assert.False(t, ok)
}

func TestParseCSVHeaderAnyOrder(t *testing.T) {
	in := `# comment line
From, source ,p90_ms,to,p50_ms

x,"measured, somewhere",70.5,y,64.25
`
	m, err := ParseCSV(strings.NewReader(in), "hdr")
	require.NoError(t, err)
	p, ok := m.Pair("x", "y")
	require.True(t, ok)
	assert.Equal(t, time.Duration(64_250_000), p.P50)
	assert.Equal(t, time.Duration(70_500_000), p.P90)
	assert.Zero(t, p.P99)
	assert.Equal(t, "measured, somewhere", p.Source)
	tail, q := p.Tail()
	assert.Equal(t, p.P90, tail)
	assert.Equal(t, 0.90, q)
	assert.True(t, m.HasTail())
}

func TestParseCSVIdenticalDuplicateAndEmptyTail(t *testing.T) {
	m, err := ParseCSV(strings.NewReader("a,b,10,\na,b,10\n"), "dup")
	require.NoError(t, err)
	p, ok := m.Pair("a", "b")
	require.True(t, ok)
	assert.Equal(t, ms(10), p.P50)
	assert.Zero(t, p.P99)
	assert.False(t, m.HasTail())
	assert.Equal(t, "dup", m.Name())
}

func TestSelect(t *testing.T) {
	m, err := ParseCSV(strings.NewReader("a,b,10\nb,c,20\na,c,30\nc,d,5\n"), "sel.csv")
	require.NoError(t, err)

	s, err := m.Select([]string{"c", "a"})
	require.NoError(t, err)
	assert.Equal(t, []string{"c", "a"}, s.Regions())
	assert.Equal(t, []string{"c", "a"}, s.DefaultRegions())
	p, ok := s.At(0, 1)
	require.True(t, ok)
	assert.Equal(t, ms(30), p.P50)

	tests := []struct {
		name    string
		regions []string
		target  error
		want    string
	}{
		{"unknown region", []string{"a", "zz"}, ErrUnknownRegion, `topology.regions[1]: unknown region "zz" in rtt "sel.csv" (have a, b, c, d)`},
		{"missing pair", []string{"a", "d"}, ErrMissingPair, `topology.regions: missing RTT pair: rtt "sel.csv" has no RTT from "a" to "d"`},
		{"listed twice", []string{"a", "b", "a"}, nil, `topology.regions[2]: "a" is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Select(tt.regions)
			require.Error(t, err)
			if tt.target != nil {
				assert.ErrorIs(t, err, tt.target)
			}
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func TestLoadRTT(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	require.NoError(t, os.WriteFile(good, []byte("from,to,p50_ms,p99_ms\nx,y,10,15\n"), 0o644))
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("x,y,-4\n"), 0o644))

	m, err := LoadRTT(good)
	require.NoError(t, err)
	assert.Equal(t, good, m.Name())
	assert.Equal(t, []string{"x", "y"}, m.DefaultRegions())

	m, err = LoadRTT("crdb-demo")
	require.NoError(t, err)
	assert.Equal(t, "crdb-demo", m.Name())

	_, err = LoadRTT(bad)
	require.ErrorIs(t, err, ErrInvalidCSV)
	assert.Contains(t, err.Error(), bad)
	assert.Contains(t, err.Error(), `p50_ms: "-4" is negative`)

	_, err = LoadRTT("crdb-dmeo")
	require.ErrorIs(t, err, ErrUnknownPreset)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), `topology.rtt: "crdb-dmeo" is neither a preset (aws, azure, crdb-demo, gcp, roachprod, seed-blog) nor a readable CSV file`)

	_, err = LoadRTT("")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "topology.rtt: empty")

	_, err = LoadPreset("nope")
	require.ErrorIs(t, err, ErrUnknownPreset)
	assert.False(t, errors.Is(err, ErrInvalidCSV))
}
