package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
BenchmarkScenario/default-2   10   108441902 ns/op   495012 sim-req/s   11.32 events/req   23.5 peak-heap-MiB
BenchmarkScenario/default-2   10   109441902 ns/op   480000 sim-req/s   11.32 events/req   22.5 peak-heap-MiB
BenchmarkScenario/default-2   10   107441902 ns/op   501000 sim-req/s   11.32 events/req   24.5 peak-heap-MiB
BenchmarkEngineHold/pending=1000-2   1000000   90 ns/op   11100000 events/s   0 B/op   0 allocs/op
PASS
`

func TestParseAndWrite(t *testing.T) {
	var other, out bytes.Buffer
	tab, err := parse(strings.NewReader(sample), &other)
	require.NoError(t, err)
	assert.Equal(t, []string{"Scenario/default", "EngineHold/pending=1000"}, tab.names)
	assert.Equal(t, "goos: linux\nPASS\n", other.String())
	require.NoError(t, tab.write(&out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 4)
	assert.Equal(t, []string{"benchmark", "runs", "sim-req/s", "events/s", "events/req", "peak", "heap", "MiB"},
		strings.Fields(lines[1]))
	assert.Equal(t, []string{"Scenario/default", "3", "495k", "[480k,", "501k]", "–", "11.3", "23.5", "[22.5,", "24.5]"},
		strings.Fields(lines[2]))
	assert.Equal(t, []string{"EngineHold/pending=1000", "1", "–", "11.1M", "–", "–"}, strings.Fields(lines[3]))
}

func TestRatio(t *testing.T) {
	in := `BenchmarkScale/nodes=9-2 3 1 ns/op 2500 ns/req
BenchmarkScale/nodes=9-2 3 1 ns/op 2600 ns/req
BenchmarkScale/nodes=81-2 3 1 ns/op 3600 ns/req
BenchmarkScale/nodes=81-2 3 1 ns/op 3700 ns/req
BenchmarkScale/nodes=81:9-2 3 1 ns/op 1.52 cpu-ratio 3300 ns/req-81 2170 ns/req-9
BenchmarkScale/nodes=81:9-2 3 1 ns/op 1.48 cpu-ratio 3200 ns/req-81 2160 ns/req-9
BenchmarkScale/nodes=81:9-2 3 1 ns/op 1.61 cpu-ratio 3400 ns/req-81 2110 ns/req-9
`
	tab, err := parse(strings.NewReader(in), &bytes.Buffer{})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, tab.write(&out))
	assert.Contains(t, out.String(), "Scale/nodes=81 / Scale/nodes=9, CPU per request: 1.43× (medians;")
	// The interleaved benchmark's ratio is a column: median [min, max].
	assert.Regexp(t, `(?m)^Scale/nodes=81:9\s+3\s+(–\s+)*1\.52 \[1\.48, 1\.61\]\s*$`, out.String())

	tab, err = parse(strings.NewReader(sample), &bytes.Buffer{})
	require.NoError(t, err)
	out.Reset()
	require.NoError(t, tab.write(&out))
	assert.NotContains(t, out.String(), "CPU per request:", "no ratio without both benchmarks")
}

func TestParseRejectsGarbledValue(t *testing.T) {
	_, err := parse(strings.NewReader("BenchmarkX-2 10 12 ns/op x1 sim-req/s\n"), &bytes.Buffer{})
	assert.ErrorContains(t, err, `value "x1" of sim-req/s`)
}

func TestShort(t *testing.T) {
	for v, want := range map[float64]string{0.351: "0.351", 7740: "7.74k", 495012: "495k", 1.2e6: "1.2M", 3e9: "3G"} {
		assert.Equal(t, want, short(v), "%v", v)
	}
}
