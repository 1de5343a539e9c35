package topology

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPresetsLoad(t *testing.T) {
	want := map[string]struct {
		regions  int
		tail     string
		defaults []string
	}{
		"aws":       {33, "p90", []string{"us-east-1", "us-west-2", "eu-west-1"}},
		"azure":     {17, "", []string{"eastus", "westus2", "westeurope"}},
		"crdb-demo": {3, "", []string{"us-east1", "us-west1", "europe-west1"}},
		"gcp":       {20, "", []string{"us-east1", "us-west1", "europe-west1"}},
		"roachprod": {3, "", []string{"us-east1", "us-west1", "europe-west1"}},
		"seed-blog": {3, "p90", []string{"eu-central-1", "eu-west-3", "us-east-2"}},
	}
	ps := Presets()
	require.Len(t, ps, len(want))
	assert.True(t, slices.IsSortedFunc(ps, func(a, b PresetInfo) int { return strings.Compare(a.Name, b.Name) }))
	for _, p := range ps {
		t.Run(p.Name, func(t *testing.T) {
			w, ok := want[p.Name]
			require.True(t, ok, "unexpected preset")
			assert.Len(t, p.Regions, w.regions)
			assert.Equal(t, w.tail, p.Tail)
			assert.Equal(t, w.defaults, p.Default)
			assert.NotEmpty(t, p.Description)
			assert.NotEmpty(t, p.Source)

			m, err := LoadRTT(p.Name)
			require.NoError(t, err)
			assert.Equal(t, w.defaults, m.DefaultRegions())
			// The full matrix is complete: every ordered pair has a p50 and a
			// source.
			_, err = m.Select(m.Regions())
			require.NoError(t, err)
			for i := range m.Len() {
				for j := range m.Len() {
					if i == j {
						continue
					}
					pr, ok := m.At(i, j)
					require.True(t, ok)
					assert.Positive(t, pr.P50)
					assert.NotEmpty(t, pr.Source)
					if w.tail == "p90" {
						assert.GreaterOrEqual(t, pr.P90, pr.P50)
					}
				}
			}
			// Its default regions build a cluster with either jitter.
			for _, j := range []string{JitterNone, JitterLognormal} {
				cfg := DefaultConfig()
				cfg.RTT, cfg.Jitter = p.Name, j
				c, err := Build(cfg)
				require.NoError(t, err)
				assert.Len(t, c.Nodes, 9)
				assert.Equal(t, w.defaults[0], c.Regions[0].Name)
			}
		})
	}
}

func TestPresetValues(t *testing.T) {
	tests := []struct {
		preset   string
		from, to string
		p50, p90 time.Duration
		mirrored bool
	}{
		{"crdb-demo", "us-east1", "us-west1", ms(66), 0, false},
		{"crdb-demo", "us-west1", "us-east1", ms(66), 0, false},
		{"crdb-demo", "us-east1", "europe-west1", ms(64), 0, false},
		{"crdb-demo", "europe-west1", "us-east1", ms(64), 0, false},
		{"crdb-demo", "us-west1", "europe-west1", ms(146), 0, false},
		{"crdb-demo", "europe-west1", "us-west1", ms(146), 0, false},
		{"roachprod", "us-east1", "us-west1", ms(64), 0, false},
		{"roachprod", "us-west1", "us-east1", ms(64), 0, true},
		{"roachprod", "us-east1", "europe-west1", ms(86), 0, false},
		{"roachprod", "europe-west1", "us-west1", ms(132), 0, true},
		{"aws", "us-east-1", "us-west-2", 64_419 * time.Microsecond, 69_348 * time.Microsecond, false},
		{"seed-blog", "eu-central-1", "eu-west-3", 12_150 * time.Microsecond, 14_556 * time.Microsecond, false},
		{"seed-blog", "us-east-2", "eu-central-1", 104_188 * time.Microsecond, 110_981 * time.Microsecond, false},
		{"gcp", "us-east1", "europe-west1", 93_043 * time.Microsecond, 0, false},
		{"azure", "eastus", "westus2", ms(71), 0, false},
		{"azure", "westus2", "eastus", ms(73), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.preset+"/"+tt.from+"->"+tt.to, func(t *testing.T) {
			m, err := LoadPreset(tt.preset)
			require.NoError(t, err)
			p, ok := m.Pair(tt.from, tt.to)
			require.True(t, ok)
			assert.Equal(t, tt.p50, p.P50)
			assert.Equal(t, tt.p90, p.P90)
			assert.Zero(t, p.P99)
			assert.Equal(t, tt.mirrored, p.Mirrored)
		})
	}
}

func TestPresetSources(t *testing.T) {
	m, err := LoadPreset("roachprod")
	require.NoError(t, err)
	p, _ := m.Pair("us-east1", "us-west1")
	assert.Contains(t, p.Source, "pkg/roachprod/failureinjection/failures/multiregion_latency.go")
	m, err = LoadPreset("crdb-demo")
	require.NoError(t, err)
	p, _ = m.Pair("us-east1", "us-west1")
	assert.Contains(t, p.Source, "pkg/cli/democluster/demo_locality_list.go")
	m, err = LoadPreset("aws")
	require.NoError(t, err)
	_, ok := m.Pair("us-east-1", "us-east-1")
	assert.False(t, ok, "from==to rows (probe overhead) are dropped")
}

func TestWritePresets(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WritePresets(&b))
	out := b.String()
	for _, name := range PresetNames() {
		assert.Contains(t, out, "\n"+name+" ")
		assert.Contains(t, out, "  "+name+": ")
	}
	assert.Contains(t, out, "us-east1,us-west1,europe-west1")
	for line := range strings.Lines(out) {
		assert.Equal(t, strings.TrimRight(line, " \n"), strings.TrimSuffix(line, "\n"), "trailing space")
	}
}
