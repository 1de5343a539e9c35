package scenarios_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/topology"
)

// TestParseRejects covers the structural errors of Parse: empty input,
// document count and shape, strict fields at every level, YAML syntax and
// type errors (with line numbers).
func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // after "scenarios: in.yaml: "
	}{
		{"empty", "", "empty input"},
		{"blank", " \n\t\n", "empty input"},
		{"comments only", "# nothing\n# here\n", "empty input"},
		{"null document", "---\n", "empty document"},
		{"tilde", "~\n", "empty document"},
		{"scalar", "hello\n", "line 1: a scalar !!str (want a YAML mapping of scenario fields)"},
		{"list", "- a\n- b\n", "line 1: a list (want a YAML mapping"},
		{"two documents", "name: a\n---\nname: b\n", "line 2: a second YAML document (want exactly one)"},
		{"second document broken", "name: a\n---\n[\n", "line 3: did not find expected node content"},
		{"syntax", "name: a\ntables: [\n", "line 2: did not find expected node content"},
		{"tab indent", "name: a\n\tseed: 1\n", "line 2: found a tab character that violates indentation"},
		{"duplicate key", "name: a\nname: b\n", `line 2: mapping key "name" already defined at line 1`},
		{"unknown top-level", "name: a\nsurvival: region\n", "line 2: field survival not found in type scenarios.Scenario"},
		{"unknown topology", "topology: {rtt: crdb-demo, zones: 3}\n", "line 1: field zones not found in type topology.Config"},
		{"unknown cockroach", "cockroach: {offset: 250ms}\n", "line 1: field offset not found in type raft.Config"},
		{"unknown database", "database: {primary: us-east1}\n", "line 1: field primary not found in type placement.Database"},
		{"unknown table", "tables:\n  - name: t\n    partitions: 3\n", "line 3: field partitions not found in type scenarios.Table"},
		{"unknown workload", "tables: [{name: t}]\nworkload:\n  - {region: us-east1, table: t, rate: 1, clients: 5}\n", "line 3: field clients not found in type scenarios.Workload"},
		{"unknown step", "tables: [{name: t}]\nworkload:\n  - {region: us-east1, table: t, rate: 1, schedule: [{at: 1s, qps: 5}]}\n", "line 3: field qps not found in type scenarios.Step"},
		{"unknown fault", "faults: [{at: 1s, kind: zone, target: us-east1-a, for: 1s, until: 2s}]\n", "line 1: field until not found in type scenarios.Fault"},
		{"duration without unit", "duration: 60\n", "line 1: cannot unmarshal !!int `60` into time.Duration"},
		{"duration bad", "warmup: 10 minutes\n", "line 1: cannot unmarshal !!str `10 minutes` into time.Duration"},
		{"negative seed", "seed: -1\n", "line 1: cannot unmarshal !!int `-1` into uint64"},
		{"tables not a list", "tables: {name: t}\n", "line 1: cannot unmarshal !!map into []scenarios.Table"},
		{"rate not a number", "tables: [{name: t}]\nworkload: [{region: us-east1, table: t, rate: fast}]\n", "line 2: cannot unmarshal !!str `fast` into float64"},
		{"two type errors", "seed: x\nduration: y\n", "line 1: cannot unmarshal !!str `x` into uint64; line 2: cannot unmarshal !!str `y` into time.Duration"},
		{"validation after decoding", "duration: 0s\n", "duration: 0s (want > 0)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scenarios.Parse([]byte(tc.yaml), "in.yaml")
			require.Error(t, err)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, scenarios.ErrInvalid)
			assert.Contains(t, err.Error(), "scenarios: in.yaml: "+tc.want)
		})
	}
}

// TestParseDurations checks that time.Duration fields decode from Go
// duration strings at every level.
func TestParseDurations(t *testing.T) {
	s, err := scenarios.Parse([]byte(`
duration: 10m
warmup: 1m30s
topology: {inter_zone_rtt: 1.5ms, intra_zone_rtt: 500us, service_time: 250µs, fsync: 0s}
cockroach: {max_offset: 250ms}
tables: [{name: t}]
workload: [{region: us-east1, table: t, rate: 1, schedule: [{at: 2m, rate: 2}, {at: 5m0.5s, rate: 3}]}]
faults: [{at: 3m, kind: node, target: n2, for: 45s}]
`), "d.yaml")
	require.NoError(t, err)
	assert.Equal(t, 10*time.Minute, s.Duration)
	assert.Equal(t, 90*time.Second, s.Warmup)
	assert.Equal(t, 1500*time.Microsecond, s.Topology.InterZoneRTT)
	assert.Equal(t, 500*time.Microsecond, s.Topology.IntraZoneRTT)
	assert.Equal(t, 250*time.Microsecond, s.Topology.ServiceTime)
	assert.Equal(t, time.Duration(0), s.Topology.Fsync)
	assert.Equal(t, 250*time.Millisecond, s.Cockroach.MaxOffset)
	assert.Equal(t, []scenarios.Step{{At: 2 * time.Minute, Rate: 2}, {At: 5*time.Minute + 500*time.Millisecond, Rate: 3}}, s.Workload[0].Schedule)
	assert.Equal(t, scenarios.Fault{At: 3 * time.Minute, Kind: "node", Target: "n2", For: 45 * time.Second}, s.Faults[0])
}

// TestParseDefaults checks the defaults of an almost empty file, of a
// multi-region one, and that explicit zeros in the file are kept.
func TestParseDefaults(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		s, err := scenarios.Parse([]byte("tables: [{name: kv}]\nworkload: [{region: us-west1, table: kv, rate: 5}]\n"), "dir/plain.yaml")
		require.NoError(t, err)
		assert.Equal(t, "plain", s.Name, "name from the source's base name")
		assert.Equal(t, uint64(1), s.Seed)
		assert.Equal(t, 60*time.Second, s.Duration)
		assert.Equal(t, 10*time.Second, s.Warmup)
		assert.Equal(t, topology.DefaultConfig(), s.Topology)
		assert.Equal(t, raft.DefaultConfig(), s.Cockroach)
		assert.Equal(t, placement.Database{Survival: "zone", Placement: "default"}, s.Database)
		assert.False(t, s.Database.MultiRegion())
		assert.Equal(t, []scenarios.Table{{Name: "kv", Locality: "none", Ranges: 10, Rows: 10000, TxnRanges: 3, RangeBytes: raft.DefaultRangeBytes}}, s.Tables)
		assert.Equal(t, scenarios.DefaultValueBytes, s.Workload[0].ValueBytes)
		assert.Equal(t, map[string]float64{"read": 1}, s.Workload[0].Mix)
		assert.Nil(t, s.Workload[0].LocalRows)
		assert.Equal(t, []scenarios.OpShare{{Op: raft.OpRead, Share: 1}}, s.Workload[0].OpShares())
		require.NotNil(t, s.Cluster())
		assert.Len(t, s.Cluster().Nodes, 9)
	})
	t.Run("multi-region", func(t *testing.T) {
		s, err := scenarios.Parse([]byte(`
topology: {rtt: gcp, regions: [europe-west1, us-east1, us-west1]}
tables:
  - {name: u, locality: regional-by-row}
  - {name: a}
  - {name: c, locality: regional-by-row, ranges: 2, cities: {rome: 10, paris: 30}, default_region: us-east1}
workload: [{region: us-west1, table: u, rate: 5}]
`), "mr.yaml")
		require.NoError(t, err)
		assert.Equal(t, "europe-west1", s.Database.Primary, "primary = first topology region")
		assert.Empty(t, s.Database.Regions, "database regions stay implicit")
		assert.Equal(t, []string{"europe-west1", "us-east1", "us-west1"}, s.ResolvedDatabase().Regions)
		assert.Equal(t, scenarios.Table{Name: "u", Locality: "regional-by-row", Ranges: 10, Rows: 10000, TxnRanges: 3,
			PrimaryKey: "plain", Lookup: "los", RangeBytes: raft.DefaultRangeBytes}, s.Tables[0])
		assert.Equal(t, placement.LocalityRegionalByTable, s.Tables[1].Locality, "empty locality in a multi-region database")
		assert.Empty(t, s.Tables[1].PrimaryKey)
		assert.Equal(t, int64(40), s.Tables[2].Rows, "rows = sum of cities")
		assert.Equal(t, 2, s.Tables[2].TxnRanges, "txn_ranges capped at ranges")
		shares := s.Tables[0].RowShares(s.ResolvedDatabase().Regions)
		assert.InDelta(t, 1.0/3, s.Workload[0].LocalShare(shares), 1e-12, "local_rows default: uniform over rows")
	})
	t.Run("primary from preset defaults", func(t *testing.T) {
		s, err := scenarios.Parse([]byte("topology: {rtt: seed-blog}\ntables: [{name: g, locality: global}]\n"), "")
		require.NoError(t, err)
		assert.Equal(t, "eu-central-1", s.Database.Primary)
		assert.Empty(t, s.Name, "no source, no name")
	})
	t.Run("multi-region by survival", func(t *testing.T) {
		s, err := scenarios.Parse([]byte("database: {survival: region}\ntables: [{name: a}]\n"), "")
		require.NoError(t, err)
		assert.Equal(t, "us-east1", s.Database.Primary)
		assert.Equal(t, placement.LocalityRegionalByTable, s.Tables[0].Locality)
	})
	t.Run("explicit zeros kept", func(t *testing.T) {
		s, err := scenarios.Parse([]byte("seed: 0\nwarmup: 0s\ntopology: {inter_zone_rtt: 0s}\n"), "")
		require.NoError(t, err)
		assert.Equal(t, uint64(0), s.Seed)
		assert.Equal(t, time.Duration(0), s.Warmup)
		assert.Equal(t, time.Duration(0), s.Topology.InterZoneRTT)
		assert.Equal(t, topology.DefaultConfig().IntraZoneRTT, s.Topology.IntraZoneRTT, "omitted nested field keeps its default")
	})
	t.Run("empty mapping", func(t *testing.T) {
		s, err := scenarios.Parse([]byte("{}"), "")
		require.NoError(t, err)
		assert.Empty(t, s.Tables)
	})
	t.Run("idempotent", func(t *testing.T) {
		s := scnParse(t, validBase)
		c := s.Clone()
		s.ApplyDefaults()
		require.NoError(t, s.Validate())
		assert.Equal(t, c.Tables, s.Tables)
		assert.Equal(t, c.Database, s.Database)
		assert.Equal(t, c.Workload, s.Workload)
	})
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lab.csv"), []byte("from,to,p50_ms\nlab-a,lab-b,10\nlab-a,lab-c,20\nlab-b,lab-c,30\n"), 0o644))
	path := filepath.Join(dir, "lab-test.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
topology: {rtt: lab.csv, jitter: none}
tables: [{name: t, locality: global}]
workload: [{region: lab-c, table: t, rate: 1}]
`), 0o644))
	s, err := scenarios.Load(path)
	require.NoError(t, err)
	assert.Equal(t, "lab-test", s.Name)
	assert.Equal(t, filepath.Join(dir, "lab.csv"), s.Topology.RTT, "a relative CSV path is relative to the scenario file")
	assert.Equal(t, "lab-a", s.Database.Primary)
	require.NotNil(t, s.Cluster())
	assert.Len(t, s.Cluster().Regions, 3)

	// Errors name the file.
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("tables: [{name: t, locality: regional}]\n"), 0o644))
	_, err = scenarios.Load(bad)
	require.Error(t, err)
	assert.ErrorIs(t, err, scenarios.ErrInvalid)
	assert.Equal(t, "scenarios: "+bad+`: tables[0].locality: unknown "regional" (want regional-by-table, regional-by-row, global or none)`, err.Error())
}

// TestLoadUnvalidated: values are checked only once overrides apply, so a
// longer duration makes room for a fault the file's own does not; field
// names and YAML are checked at once.
func TestLoadUnvalidated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "late.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
duration: 20s
warmup: 5s
tables: [{name: t}]
workload: [{region: us-east1, table: t, rate: 1}]
faults: [{at: 30s, kind: region, target: us-west1, for: 5s}]
`), 0o644))
	_, err := scenarios.Load(path)
	require.ErrorIs(t, err, scenarios.ErrEndsAfterRun)
	assert.ErrorIs(t, err, scenarios.ErrInvalid)
	assert.Contains(t, err.Error(), "faults[0].for: 5s from at 30s ends after the run (warmup 5s + duration 20s)")

	s, err := scenarios.LoadUnvalidated(path)
	require.NoError(t, err)
	assert.Nil(t, s.Cluster(), "not validated yet")
	assert.Equal(t, 35*time.Second, s.FaultsEnd())
	require.NoError(t, s.Override(scenarios.Overrides{Duration: new(30 * time.Second)}))
	assert.NotNil(t, s.Cluster())

	require.NoError(t, os.WriteFile(path, []byte("tables: [{name: t, localty: global}]\n"), 0o644))
	_, err = scenarios.LoadUnvalidated(path)
	assert.ErrorIs(t, err, scenarios.ErrInvalid)
	assert.Contains(t, err.Error(), "localty")
	_, err = scenarios.LoadUnvalidated("no-such-scenario")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestLoadUnknown(t *testing.T) {
	for _, name := range []string{"no-such-scenario", "movr.yaml", "", "../builtin/default"} {
		_, err := scenarios.Load(name)
		require.Error(t, err, name)
		assert.ErrorIs(t, err, scenarios.ErrInvalid)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.Contains(t, err.Error(), fmt.Sprintf("scenarios: %q is neither a built-in scenario (default, failover, failover-blackhole, follow-the-workload, movr, users-by-city) nor a readable file", name))
	}
	_, err := scenarios.Load(t.TempDir())
	require.Error(t, err, "a directory")
	assert.ErrorIs(t, err, scenarios.ErrInvalid)
}

// FuzzParse checks that Parse never panics and returns either a scenario
// that validates again or an error wrapping ErrInvalid.
func FuzzParse(f *testing.F) {
	for _, name := range scenarios.BuiltinNames() {
		data, err := os.ReadFile(filepath.Join("builtin", name+".yaml"))
		require.NoError(f, err)
		f.Add(data)
	}
	for _, seed := range []string{
		validBase, plainBase, "", "~", "---\n---\n", "[1, 2]", "name: [", "a: &a [*a]",
		"duration: 60", "duration: -5s", "seed: 18446744073709551615", "warmup: 2562047h",
		"tables: [{name: t, locality: regional-by-row, row_regions: {us-east1: .nan}}]",
		"tables: [{name: t, locality: regional-by-row, cities: {a: 9223372036854775807, b: 9223372036854775807}, default_region: us-east1}]",
		"tables: [{name: t, ranges: 100000, txn_ranges: 64}]",
		"tables: [{name: t}]\nworkload: [{region: us-east1, table: t, rate: .inf}]",
		"tables: [{name: t}]\nworkload: [{region: us-east1, table: t, rate: 1, mix: {read: 0.5, write: 0.5000000001}}]",
		"faults: [{at: 1s, kind: partition, between: [[n1], [n1]], for: 1s}]",
		"faults: [{at: 1s, kind: node, target: n99999999999999999999, for: 1s}]",
		"topology: {zones_per_region: 26, nodes_per_zone: 100}",
		"database: {regions: [us-east1, us-east1]}",
		"<<: {name: x}\nseed: 2",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenarios.Parse(data, "fuzz.yaml")
		if err != nil {
			if !errors.Is(err, scenarios.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			if s != nil {
				t.Fatalf("scenario with error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "scenarios: fuzz.yaml: ") {
				t.Fatalf("error does not name the source: %v", err)
			}
			return
		}
		if s.Cluster() == nil {
			t.Fatal("valid scenario without a cluster")
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("valid scenario fails Validate again: %v", err)
		}
		if err := s.Clone().Validate(); err != nil {
			t.Fatalf("clone fails Validate: %v", err)
		}
	})
}

// Load a built-in scenario, change it as CLI flags would, and look at the
// resolved cluster and database.
func ExampleLoad() {
	s, err := scenarios.Load("users-by-city")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Name, s.Database.Survival, s.Duration, len(s.Cluster().Nodes), "nodes")
	db := s.ResolvedDatabase()
	fmt.Println("regions:", db.Regions, "primary:", db.Primary)
	shares := s.Tables[0].RowShares(db.Regions)
	for _, r := range db.Regions {
		fmt.Printf("%s %.3f\n", r, shares[r])
	}
	if err := s.Override(scenarios.Overrides{Survival: "zone", Duration: new(5 * time.Minute)}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Database.Survival, s.Duration)
	_, err = scenarios.Load("usres-by-city")
	fmt.Println(errors.Is(err, scenarios.ErrInvalid))
	// Output:
	// users-by-city region 1m0s 9 nodes
	// regions: [eu-central-1 eu-west-3 us-east-2] primary: eu-central-1
	// eu-central-1 0.333
	// eu-west-3 0.333
	// us-east-2 0.333
	// zone 5m0s
	// true
}

// Parse validates as it loads: errors name the source, the field path and
// the value.
func ExampleParse() {
	_, err := scenarios.Parse([]byte(`
tables: [{name: users, locality: regional-by-row}]
workload: [{region: us-east1, table: usres, rate: 100}]
`), "users.yaml")
	fmt.Println(err)
	// Output:
	// scenarios: users.yaml: workload[0].table: unknown table "usres" (tables [users])
}

// TestParseStrictNumbersAndNulls: what the YAML decoder would silently
// bend is an error naming the field, the line and the value.
func TestParseStrictNumbersAndNulls(t *testing.T) {
	const base = "tables: [{name: t%s}]\nworkload: [{region: us-east1, table: t, rate: 10%s}]\n"
	tests := []struct {
		name, table, workload, extra string
		want                         string // after "scenarios: in.yaml: "
	}{
		{"fraction", ", ranges: 2.5", "", "", "tables[0].ranges: line 1: 2.5 is not an integer"},
		{"fraction nodes", "", "", "topology: {nodes_per_zone: 1.9}\n", "topology.nodes_per_zone: line 3: 1.9 is not an integer"},
		{"seed overflow", "", "", "seed: 18446744073709551616\n", "seed: line 3: 18446744073709551616 is out of range [0, 18446744073709551615]"},
		{"int overflow", ", ranges: 1e30", "", "", "tables[0].ranges: line 1: 1e30 is out of range"},
		{"zero ranges", ", ranges: 0", "", "", "tables[0].ranges: line 1: 0 is not allowed (leave the field out for the default)"},
		{"zero rows", ", rows: 0", "", "", "tables[0].rows: line 1: 0 is not allowed"},
		{"zero txn ranges", ", txn_ranges: 0", "", "", "tables[0].txn_ranges: line 1: 0 is not allowed"},
		{"empty mix", "", ", mix: {}", "", "workload[0].mix: line 2: empty mapping"},
		{"null field", "", "", "duration: ~\n", "duration: line 3: null (give a value, or leave the field out)"},
		{"null mix share", "", ", mix: {read: null}", "", "workload[0].mix.read: line 2: null"},
		{"null fault", "", "", "faults: [~]\n", "faults[0]: line 3: null"},
		{"infinite share", "", ", mix: {read: .inf}", "", "workload[0].mix.read: line 2: .inf is not a finite number"},
		{"empty regions", "", "", "topology: {regions: []}\n", "topology.regions: line 3: empty list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.Parse([]byte(fmt.Sprintf(base, tc.table, tc.workload)+tc.extra), "in.yaml")
			require.Error(t, err)
			assert.ErrorIs(t, err, scenarios.ErrInvalid)
			assert.Contains(t, err.Error(), "scenarios: in.yaml: "+tc.want)
		})
	}
	for _, empty := range []string{"tables: []\nworkload: [{region: us-east1, table: t, rate: 1}]\n", "tables: [{name: t}]\nworkload: []\n"} {
		_, err := scenarios.Parse([]byte(empty), "in.yaml")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "empty list (list at least one, or leave the field out)")
	}
	// What is fine: an integral float, hex, underscores, an explicitly empty
	// fault list or schedule.
	s, err := scenarios.Parse([]byte("seed: 0x10\ntables: [{name: t, rows: 1e6, ranges: 1_0}]\nworkload: [{region: us-east1, table: t, rate: 1, schedule: []}]\nfaults: []\n"), "ok.yaml")
	require.NoError(t, err)
	assert.Equal(t, uint64(16), s.Seed)
	assert.Equal(t, int64(1_000_000), s.Tables[0].Rows)
	assert.Equal(t, 10, s.Tables[0].Ranges)
}
