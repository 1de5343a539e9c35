package scenarios

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// comparableScenario returns the fields of s as a scenario file has them
// (no source name, no cluster; nil and empty lists alike).
func comparableScenario(t *testing.T, s *Scenario) map[string]any {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// TestScenarioFileRoundTrip: every built-in, as loaded and with every flag
// overridden, resolved and written as a scenario file (JSON and YAML),
// parses back into the same scenario, and writing that again gives the same
// bytes.
func TestScenarioFileRoundTrip(t *testing.T) {
	seed := uint64(42)
	dur, warm, off := 7*time.Second, 0*time.Second, 250*time.Millisecond
	overrides := []Overrides{{}, {
		Survival: "region", Regions: []string{"us-west1", "us-east1", "europe-west1"},
		Duration: &dur, Warmup: &warm, Seed: &seed, MaxOffset: &off, CRDBVersion: "25.2", Jitter: "none",
	}}
	for _, name := range BuiltinNames() {
		for oi, o := range overrides {
			s, err := Load(name)
			require.NoError(t, err)
			if err := s.Override(o); err != nil {
				require.Equal(t, 1, oi, "%s: %v", name, err)
				continue // a built-in the overrides do not fit (its regions)
			}
			s = s.Resolved()
			require.NotEmpty(t, s.Topology.Regions, "%s: the preset's regions are written out", name)
			js, err := json.Marshal(s)
			require.NoError(t, err, name)
			back, err := Parse(js, "resolved.json")
			require.NoError(t, err, "%s: %s", name, js)
			again, err := json.Marshal(back)
			require.NoError(t, err)
			assert.JSONEq(t, string(js), string(again), "%s: JSON round trip", name)
			assert.Equal(t, string(js), string(again), "%s: byte for byte", name)
			assert.Equal(t, comparableScenario(t, s), comparableScenario(t, back))
			assert.Equal(t, s.Seed, back.Seed)
			assert.Equal(t, s.Duration, back.Duration)
			assert.Equal(t, s.Warmup, back.Warmup)
			assert.Equal(t, s.Database, back.Database)
			assert.Equal(t, s.Topology, back.Topology)
			assert.Equal(t, s.Cockroach, back.Cockroach)

			ys, err := yaml.Marshal(s)
			require.NoError(t, err)
			fromYAML, err := Parse(ys, "resolved.yaml")
			require.NoError(t, err, "%s:\n%s", name, ys)
			again, err = json.Marshal(fromYAML)
			require.NoError(t, err)
			assert.Equal(t, string(js), string(again), "%s: YAML round trip", name)

			var viaJSON Scenario
			require.NoError(t, json.Unmarshal(js, &viaJSON))
			assert.Equal(t, comparableScenario(t, s), comparableScenario(t, &viaJSON))
		}
	}
}

// TestResolvedScenarioRunsAlike: a run of the resolved scenario, written
// out and loaded back, gives the same result as the run it was taken from.
func TestResolvedScenarioRunsAlike(t *testing.T) {
	for _, name := range []string{"default", "users-by-city"} {
		s, err := Load(name)
		require.NoError(t, err)
		d := 50 * time.Second
		require.NoError(t, s.Override(Overrides{Duration: &d}))
		want, err := Run(s)
		require.NoError(t, err)
		y, err := yaml.Marshal(s.Resolved())
		require.NoError(t, err)
		back, err := Parse(y, name+".yaml")
		require.NoError(t, err)
		got, err := Run(back)
		require.NoError(t, err)
		a, err := json.Marshal(want)
		require.NoError(t, err)
		b, err := json.Marshal(got)
		require.NoError(t, err)
		assert.Equal(t, string(a), string(b), name)
	}
}
