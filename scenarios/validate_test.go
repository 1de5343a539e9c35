package scenarios_test

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
)

// validBase is a small scenario that uses every section: one table of each
// multi-region locality, workloads with local_rows and a schedule, and
// faults of a zone and a partition.
const validBase = `
name: base
duration: 60s
warmup: 10s
topology: {rtt: crdb-demo}
database: {primary_region: us-east1}
tables:
  - {name: users, locality: regional-by-row}
  - {name: accounts, locality: regional-by-table, home_region: us-west1}
  - {name: promo, locality: global}
workload:
  - {region: us-east1, table: users, rate: 100, mix: {read: 0.5, insert: 0.5}, local_rows: 0.9}
  - {region: us-west1, table: accounts, rate: 10}
  - {region: europe-west1, table: promo, rate: 10, schedule: [{at: 20s, rate: 5}, {at: 30s, rate: 0}]}
faults:
  - {at: 20s, kind: zone, target: us-east1-b, for: 10s}
  - {at: 30s, kind: partition, between: [[us-east1], [us-west1, europe-west1-a]], for: 5s}
`

// plainBase is a scenario without multi-region SQL.
const plainBase = `
tables: [{name: kv}]
workload: [{region: us-east1, table: kv, rate: 10}]
`

func scnParse(t *testing.T, yaml string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Parse([]byte(yaml), "base.yaml")
	require.NoError(t, err)
	return s
}

func f64(v float64) *float64 { return &v }

func TestValidateBases(t *testing.T) {
	for _, y := range []string{validBase, plainBase} {
		s := scnParse(t, y)
		require.NotNil(t, s.Cluster())
		require.NoError(t, s.Validate())
	}
}

// TestValidateErrors hits every error path of Validate on a modified copy
// of a valid scenario and checks that the message names the field path and
// the value.
func TestValidateErrors(t *testing.T) {
	type mod = func(*scenarios.Scenario)
	rbr := func(f func(*scenarios.Table)) mod { return func(s *scenarios.Scenario) { f(&s.Tables[0]) } }
	rbt := func(f func(*scenarios.Table)) mod { return func(s *scenarios.Scenario) { f(&s.Tables[1]) } }
	wl := func(i int, f func(*scenarios.Workload)) mod { return func(s *scenarios.Scenario) { f(&s.Workload[i]) } }
	fault := func(f func(*scenarios.Fault)) mod { return func(s *scenarios.Scenario) { f(&s.Faults[0]) } }
	part := func(f func(*scenarios.Fault)) mod { return func(s *scenarios.Scenario) { f(&s.Faults[1]) } }
	cities := func(t *scenarios.Table) {
		t.Cities = map[string]int64{"stockholm": 100, "boston": 100}
		t.CityRegions = map[string]string{"stockholm": "europe-west1", "boston": "us-east1"}
	}
	tests := []struct {
		name  string
		mod   mod
		want  string // the whole message after "scenarios: base.yaml: "
		isErr error  // an extra sentinel the error must wrap
		plain bool   // use plainBase
	}{
		// Top level.
		{name: "zero duration", mod: func(s *scenarios.Scenario) { s.Duration = 0 }, want: "duration: 0s (want > 0)"},
		{name: "negative duration", mod: func(s *scenarios.Scenario) { s.Duration = -time.Second }, want: "duration: -1s (want > 0)"},
		{name: "huge duration", mod: func(s *scenarios.Scenario) { s.Duration = 400 * 24 * time.Hour }, want: "duration: 9600h0m0s exceeds the limit of 8760h0m0s"},
		{name: "negative warmup", mod: func(s *scenarios.Scenario) { s.Warmup = -time.Second }, want: "warmup: -1s (want >= 0)"},
		{name: "huge warmup", mod: func(s *scenarios.Scenario) { s.Warmup = 9000 * time.Hour }, want: "warmup: 9000h0m0s exceeds the limit of 8760h0m0s"},
		// Topology and cockroach: delegated.
		{name: "topology rtt", mod: func(s *scenarios.Scenario) { s.Topology.RTT = "no-such-preset" }, want: `topology.rtt: "no-such-preset" is neither a preset`},
		{name: "topology zones", mod: func(s *scenarios.Scenario) { s.Topology.ZonesPerRegion = 0 }, want: "topology.zones_per_region: 0 is out of range [1, 26]"},
		{name: "topology jitter", mod: func(s *scenarios.Scenario) { s.Topology.Jitter = "gaussian" }, want: `topology.jitter: unknown "gaussian"`},
		{name: "topology region", mod: func(s *scenarios.Scenario) { s.Topology.Regions = []string{"us-east1", "mars"} }, want: `topology.regions[1]: unknown region "mars" in rtt "crdb-demo"`},
		{name: "cockroach version", mod: func(s *scenarios.Scenario) { s.Cockroach.Version = "19.1" }, want: `cockroach.version: unknown "19.1"`},
		{name: "cockroach max_offset", mod: func(s *scenarios.Scenario) { s.Cockroach.MaxOffset = time.Minute }, want: "cockroach.max_offset: 1m0s is out of range"},
		// Database.
		{name: "database region", mod: func(s *scenarios.Scenario) { s.Database.Regions = []string{"us-east1", "mars"} }, want: `database.regions[1]: unknown region "mars" (topology regions [us-east1 us-west1 europe-west1])`},
		{name: "database primary", mod: func(s *scenarios.Scenario) { s.Database.Primary = "mars" }, want: `database.primary_region: "mars" is not a database region`, isErr: placement.ErrUnknownRegion},
		{name: "database survival spelling", mod: func(s *scenarios.Scenario) { s.Database.Survival = "regoin" }, want: `database.survival: unknown "regoin" (want zone or region)`, isErr: placement.ErrUnknownValue},
		{name: "database placement spelling", mod: func(s *scenarios.Scenario) { s.Database.Placement = "strict" }, want: `database.placement: unknown "strict"`},
		{name: "region survival with 2 regions", mod: func(s *scenarios.Scenario) {
			s.Database.Regions = []string{"us-east1", "us-west1"}
			s.Database.Survival = placement.SurvivalRegion
			s.Tables[1].HomeRegion = ""
			s.Workload[0].LocalRows = nil
		}, want: `database.survival: "region" with 2 regions [us-east1 us-west1]: at least 3 regions are required`, isErr: placement.ErrTooFewRegions},
		{name: "restricted with region", mod: func(s *scenarios.Scenario) {
			s.Database.Survival = placement.SurvivalRegion
			s.Database.Placement = placement.PlacementRestricted
		}, want: `database.placement: "restricted" with database.survival "region"`, isErr: placement.ErrRestrictedRegionSurvival},
		{name: "secondary is primary", mod: func(s *scenarios.Scenario) { s.Database.Secondary = "us-east1" }, want: `database.secondary_region: "us-east1": the secondary region cannot be the primary region`},
		{name: "region survival without multi-region", plain: true, mod: func(s *scenarios.Scenario) { s.Database.Survival = placement.SurvivalRegion }, want: `database.survival: "region" needs a multi-region database`, isErr: placement.ErrNotMultiRegion},
		{name: "database num_voters 0", mod: func(s *scenarios.Scenario) { s.Database.NumVoters = ptr(0) },
			want: "database.num_voters: 0: replica count refused by CockroachDB: at least one voting replica is required", isErr: placement.ErrReplicaCount},
		{name: "database num_voters over num_replicas", mod: func(s *scenarios.Scenario) { s.Database.NumVoters, s.Database.NumReplicas = ptr(7), ptr(6) },
			want: "database.num_voters: 7 with num_replicas 6: replica count refused by CockroachDB: num_voters cannot be greater than num_replicas"},
		{name: "database num_voters below the region goal", mod: func(s *scenarios.Scenario) {
			s.Database.Survival = placement.SurvivalRegion
			s.Database.NumVoters = ptr(3)
		}, want: "database.num_voters: 3: replica count refused by CockroachDB: zone config extension cannot set num_voters 3 that is lower than the one required for the survival goal: 5 with goal region"},
		{name: "super region unknown region", mod: func(s *scenarios.Scenario) {
			s.Database.SuperRegions = map[string][]string{"us": {"us-east1", "us-central1"}}
		},
			want: `database.super_regions.us[1]: "us-central1": super region refused by CockroachDB: region us-central1 not part of database (database regions [us-east1 us-west1 europe-west1])`, isErr: placement.ErrSuperRegion},
		{name: "region in two super regions", mod: func(s *scenarios.Scenario) {
			s.Database.SuperRegions = map[string][]string{"us": {"us-east1", "us-west1"}, "west": {"us-west1", "europe-west1"}}
		}, want: `database.super_regions.west[0]: "us-west1": super region refused by CockroachDB: region us-west1 is already part of super region us`},
		{name: "super region too small for region survival", mod: func(s *scenarios.Scenario) {
			s.Database.Survival = placement.SurvivalRegion
			s.Database.SuperRegions = map[string][]string{"us": {"us-east1", "us-west1"}}
		}, want: `database.super_regions.us: [us-east1 us-west1]: super region refused by CockroachDB: super region us only has 2 region(s): at least 3 regions are required for surviving a region failure`},
		// Tables.
		{name: "table name empty", mod: rbt(func(t *scenarios.Table) { t.Name = "" }), want: "tables[1].name: empty"},
		{name: "table name twice", mod: rbt(func(t *scenarios.Table) { t.Name = "users" }), want: `tables[1].name: "users" is used twice (also tables[0])`},
		{name: "locality", mod: rbt(func(t *scenarios.Table) { t.Locality = "regional" }), want: `tables[1].locality: unknown "regional" (want regional-by-table, regional-by-row, global or none)`},
		{name: "locality without multi-region", plain: true, mod: func(s *scenarios.Scenario) { s.Tables[0].Locality = placement.LocalityGlobal }, want: `tables[0].locality: "global" needs a multi-region database`},
		{name: "home_region on global", mod: func(s *scenarios.Scenario) { s.Tables[2].HomeRegion = "us-west1" }, want: `tables[2].home_region: "us-west1" is only for regional-by-table tables (locality "global")`},
		{name: "home_region unknown", mod: rbt(func(t *scenarios.Table) { t.HomeRegion = "mars" }), want: `tables[1].home_region: unknown region "mars" (database regions [us-east1 us-west1 europe-west1])`},
		{name: "table num_voters 0", mod: rbt(func(t *scenarios.Table) { t.NumVoters = ptr(0) }),
			want: "tables[1].num_voters: 0: replica count refused by CockroachDB: at least one voting replica is required", isErr: placement.ErrReplicaCount},
		{name: "table num_voters over num_replicas", mod: rbt(func(t *scenarios.Table) { t.NumVoters, t.NumReplicas = ptr(7), ptr(5) }),
			want: "tables[1].num_voters: 7 with num_replicas 5: replica count refused by CockroachDB: num_voters cannot be greater than num_replicas"},
		{name: "table num_replicas 2", mod: rbt(func(t *scenarios.Table) { t.NumReplicas = ptr(2) }),
			want: "tables[1].num_replicas: 2: replica count refused by CockroachDB: at least 3 replicas are required for multi-replica configurations"},
		{name: "ranges negative", mod: rbt(func(t *scenarios.Table) { t.Ranges = -1 }), want: "tables[1].ranges: -1 is out of range [0, 100000]"},
		{name: "ranges huge", mod: rbt(func(t *scenarios.Table) { t.Ranges = 100001 }), want: "tables[1].ranges: 100001 is out of range [0, 100000]"},
		{name: "rows zero", mod: rbt(func(t *scenarios.Table) { t.Rows = 0 }), want: "tables[1].rows: 0 is out of range [1, 1000000000000]"},
		{name: "rows huge", mod: rbt(func(t *scenarios.Table) { t.Rows = 2e12 }), want: "tables[1].rows: 2000000000000 is out of range"},
		{name: "txn_ranges zero", mod: rbt(func(t *scenarios.Table) { t.TxnRanges = 0 }), want: "tables[1].txn_ranges: 0 is out of range [1, 10] (the table has 10 ranges)"},
		{name: "txn_ranges above ranges", mod: rbt(func(t *scenarios.Table) { t.Ranges = 2; t.TxnRanges = 3 }), want: "tables[1].txn_ranges: 3 is out of range [1, 2] (the table has 2 ranges)"},
		{name: "txn_ranges above limit", mod: rbt(func(t *scenarios.Table) { t.Ranges = 1000; t.TxnRanges = 65 }), want: "tables[1].txn_ranges: 65 is out of range [1, 64]"},
		{name: "row_regions on rbt", mod: rbt(func(t *scenarios.Table) { t.RowRegions = map[string]float64{"us-east1": 1} }), want: `tables[1].row_regions: only for regional-by-row tables (locality "regional-by-table")`},
		{name: "cities on rbt", mod: rbt(func(t *scenarios.Table) { t.Cities = map[string]int64{"rome": 1} }), want: `tables[1].cities: only for regional-by-row tables`},
		{name: "city_regions on rbt", mod: rbt(func(t *scenarios.Table) { t.CityRegions = map[string]string{"rome": "us-east1"} }), want: `tables[1].city_regions: only for regional-by-row tables`},
		{name: "default_region on rbt", mod: rbt(func(t *scenarios.Table) { t.DefaultRegion = "us-east1" }), want: `tables[1].default_region: only for regional-by-row tables`},
		{name: "primary_key on rbt", mod: rbt(func(t *scenarios.Table) { t.PrimaryKey = "plain" }), want: `tables[1].primary_key: only for regional-by-row tables`},
		{name: "lookup on global", mod: func(s *scenarios.Scenario) { s.Tables[2].Lookup = "los" }, want: `tables[2].lookup: only for regional-by-row tables (locality "global")`},
		{name: "primary_key unknown", mod: rbr(func(t *scenarios.Table) { t.PrimaryKey = "serial" }), want: `tables[0].primary_key: unknown "serial" (want one of plain, gen_random_uuid, region_in_key, computed_region)`},
		{name: "lookup unknown", mod: rbr(func(t *scenarios.Table) { t.Lookup = "scan" }), want: `tables[0].lookup: unknown "scan" (want one of los, region)`},
		{name: "row_regions with cities", mod: rbr(func(t *scenarios.Table) {
			cities(t)
			t.RowRegions = map[string]float64{"us-east1": 1}
		}), want: "tables[0].row_regions: cannot be combined with cities"},
		{name: "row_regions empty", mod: rbr(func(t *scenarios.Table) { t.RowRegions = map[string]float64{} }), want: "tables[0].row_regions: empty"},
		{name: "row_regions unknown region", mod: rbr(func(t *scenarios.Table) { t.RowRegions = map[string]float64{"us-east1": 0.5, "mars": 0.5} }), want: `tables[0].row_regions.mars: unknown region "mars" (database regions [us-east1 us-west1 europe-west1])`},
		{name: "row_regions non-database region", mod: func(s *scenarios.Scenario) {
			s.Database.Regions = []string{"us-east1", "us-west1"}
			s.Tables[0].RowRegions = map[string]float64{"us-east1": 0.5, "europe-west1": 0.5}
		}, want: `tables[0].row_regions.europe-west1: unknown region "europe-west1" (database regions [us-east1 us-west1])`},
		{name: "row share negative", mod: rbr(func(t *scenarios.Table) { t.RowRegions = map[string]float64{"us-east1": 1.5, "us-west1": -0.5} }), want: "tables[0].row_regions.us-east1: share 1.5 is out of range [0, 1]"},
		{name: "row share NaN", mod: rbr(func(t *scenarios.Table) { t.RowRegions = map[string]float64{"us-east1": math.NaN()} }), want: "tables[0].row_regions.us-east1: share NaN is out of range [0, 1]"},
		{name: "row shares sum", mod: rbr(func(t *scenarios.Table) { t.RowRegions = map[string]float64{"us-east1": 0.5, "us-west1": 0.4} }), want: "tables[0].row_regions: shares sum to 0.9 (want 1)"},
		{name: "city_regions without cities", mod: rbr(func(t *scenarios.Table) { t.CityRegions = map[string]string{"rome": "us-east1"} }), want: "tables[0].cities: missing (city_regions and default_region need rows per city)"},
		{name: "default_region without cities", mod: rbr(func(t *scenarios.Table) { t.DefaultRegion = "us-east1" }), want: "tables[0].cities: missing"},
		{name: "city region unknown", mod: rbr(func(t *scenarios.Table) { cities(t); t.CityRegions["boston"] = "us-east-2" }), want: `tables[0].city_regions.boston: unknown region "us-east-2"`},
		{name: "default_region unknown", mod: rbr(func(t *scenarios.Table) { cities(t); t.DefaultRegion = "eu-central-1" }), want: `tables[0].default_region: unknown region "eu-central-1"`},
		{name: "city rows negative", mod: rbr(func(t *scenarios.Table) { cities(t); t.Cities["boston"] = -1 }), want: "tables[0].cities.boston: -1 rows is out of range"},
		{name: "city without region", mod: rbr(func(t *scenarios.Table) { cities(t); t.Cities["oslo"] = 5 }), want: "tables[0].cities.oslo: no region: the city is not in city_regions and default_region is empty"},
		{name: "cities without rows", mod: rbr(func(t *scenarios.Table) { cities(t); t.Cities["boston"] = 0; t.Cities["stockholm"] = 0 }), want: "tables[0].cities: no rows"},
		{name: "cities overflow", mod: rbr(func(t *scenarios.Table) {
			cities(t)
			t.Cities["boston"] = scenarios.MaxRows
			t.Cities["stockholm"] = scenarios.MaxRows
		}), want: "tables[0].cities: more than 1000000000000 rows in all"},
		{name: "unsatisfiable placement", mod: rbt(func(t *scenarios.Table) { t.Nodes = []string{"n1", "n2", "n3", "n7", "n8"} }),
			want: "tables[1]: cannot place a range homed in us-west1: num_voters=3: no node satisfies", isErr: placement.ErrUnsatisfiable},
		{name: "table node unknown", mod: rbt(func(t *scenarios.Table) { t.Nodes = []string{"n4", "n10"} }), want: `tables[1].nodes[1]: unknown node "n10" (want one of n1…n9)`},
		{name: "table node twice", mod: rbt(func(t *scenarios.Table) { t.Nodes = []string{"n4", "n5", "n4"} }), want: `tables[1].nodes[2]: "n4" is listed twice`},
		{name: "table nodes too few", mod: rbt(func(t *scenarios.Table) { t.Nodes = []string{"n4", "n5", "n6"} }), want: "tables[1]: cannot place a range homed in us-west1: num_replicas=5: only nodes [n4 n5 n6] are allowed", isErr: placement.ErrUnsatisfiable},
		{name: "liveness node unknown", mod: func(s *scenarios.Scenario) { s.Cockroach.LivenessNodes = []string{"n1", "x"} }, want: `cockroach.liveness_nodes[1]: unknown node "x" (want one of n1…n9)`},
		{name: "liveness node twice", mod: func(s *scenarios.Scenario) { s.Cockroach.LivenessNodes = []string{"n1", "n1"} }, want: `cockroach.liveness_nodes[1]: "n1" is listed twice`},
		// Workload.
		{name: "gateway unknown", mod: wl(1, func(w *scenarios.Workload) { w.Gateways = []string{"n0"} }), want: `workload[1].gateways[0]: unknown node "n0" (want one of n1…n9)`},
		{name: "gateway twice", mod: wl(1, func(w *scenarios.Workload) { w.Gateways = []string{"n4", "n4"} }), want: `workload[1].gateways[1]: "n4" is listed twice`},
		{name: "gateway in another region", mod: wl(1, func(w *scenarios.Workload) { w.Gateways = []string{"n4", "n1"} }), want: `workload[1].gateways[1]: "n1" is in us-east1, not in the workload's region us-west1`},
		{name: "workload region missing", mod: wl(1, func(w *scenarios.Workload) { w.Region = "" }), want: "workload[1].region: missing"},
		{name: "workload region unknown", mod: wl(1, func(w *scenarios.Workload) { w.Region = "mars" }), want: `workload[1].region: unknown region "mars" (topology regions [us-east1 us-west1 europe-west1])`},
		{name: "workload table missing", mod: wl(1, func(w *scenarios.Workload) { w.Table = "" }), want: "workload[1].table: missing"},
		{name: "workload table unknown", mod: wl(1, func(w *scenarios.Workload) { w.Table = "usres" }), want: `workload[1].table: unknown table "usres" (tables [users accounts promo])`},
		{name: "rate negative", mod: wl(1, func(w *scenarios.Workload) { w.Rate = -5 }), want: "workload[1].rate: -5 is out of range [0, 1e+07] requests/s"},
		{name: "rate NaN", mod: wl(1, func(w *scenarios.Workload) { w.Rate = math.NaN() }), want: "workload[1].rate: NaN is out of range"},
		{name: "rate infinite", mod: wl(1, func(w *scenarios.Workload) { w.Rate = math.Inf(1) }), want: "workload[1].rate: +Inf is out of range"},
		{name: "rate zero", mod: wl(1, func(w *scenarios.Workload) { w.Rate = 0 }), want: "workload[1].rate: 0 (want > 0, or a schedule step with a rate > 0)"},
		{name: "rate zero, schedule zero", mod: wl(2, func(w *scenarios.Workload) { w.Rate = 0; w.Schedule[0].Rate = 0 }), want: "workload[2].rate: 0 (want > 0"},
		{name: "schedule at negative", mod: wl(2, func(w *scenarios.Workload) { w.Schedule[0].At = -time.Second }), want: "workload[2].schedule[0].at: -1s (want >= 0)"},
		{name: "schedule not increasing", mod: wl(2, func(w *scenarios.Workload) { w.Schedule[1].At = 20 * time.Second }), want: "workload[2].schedule[1].at: 20s is not after schedule[0].at 20s"},
		{name: "schedule after end", mod: wl(2, func(w *scenarios.Workload) { w.Schedule[1].At = 71 * time.Second }), want: "workload[2].schedule[1].at: 1m11s is after the end of the run (warmup 10s + duration 1m0s)"},
		{name: "schedule rate negative", mod: wl(2, func(w *scenarios.Workload) { w.Schedule[1].Rate = -1 }), want: "workload[2].schedule[1].rate: -1 is out of range"},
		{name: "mix empty", mod: wl(1, func(w *scenarios.Workload) { w.Mix = nil }), want: "workload[1].mix: empty"},
		{name: "mix unknown op", mod: wl(0, func(w *scenarios.Workload) { w.Mix = map[string]float64{"reed": 1} }), want: `workload[0].mix.reed: unknown op "reed"`},
		{name: "mix share negative", mod: wl(0, func(w *scenarios.Workload) { w.Mix = map[string]float64{"read": 1.5, "write": -0.5} }), want: "workload[0].mix.read: share 1.5 is out of range [0, 1]"},
		{name: "mix share NaN", mod: wl(0, func(w *scenarios.Workload) { w.Mix = map[string]float64{"read": math.NaN()} }), want: "workload[0].mix.read: share NaN"},
		{name: "mix sum", mod: wl(0, func(w *scenarios.Workload) { w.Mix = map[string]float64{"read": 0.5, "write": 0.4} }), want: "workload[0].mix: shares sum to 0.9 (want 1)"},
		{name: "bounded_read negative", mod: wl(0, func(w *scenarios.Workload) {
			w.Mix = map[string]float64{"bounded_read": 1}
			w.BoundedRead = &scenarios.BoundedRead{MaxStaleness: -time.Second}
		}), want: "workload[0].bounded_read.max_staleness: -1s is out of range [0s, 8760h0m0s]"},
		{name: "bounded_read without the op", mod: wl(0, func(w *scenarios.Workload) {
			w.BoundedRead = &scenarios.BoundedRead{MaxStaleness: 10 * time.Second}
		}), want: "workload[0].bounded_read: set, but mix has no bounded_read share"},
		{name: "local_rows on rbt", mod: wl(1, func(w *scenarios.Workload) { w.LocalRows = f64(0.5) }), want: `workload[1].local_rows: only for regional-by-row tables (table "accounts" is "regional-by-table")`},
		{name: "local_rows above 1", mod: wl(0, func(w *scenarios.Workload) { w.LocalRows = f64(1.5) }), want: "workload[0].local_rows: 1.5 is out of range [0, 1]"},
		{name: "local_rows negative", mod: wl(0, func(w *scenarios.Workload) { w.LocalRows = f64(-0.1) }), want: "workload[0].local_rows: -0.1 is out of range [0, 1]"},
		{name: "local_rows without local rows", mod: func(s *scenarios.Scenario) {
			s.Tables[0].RowRegions = map[string]float64{"us-west1": 0.5, "europe-west1": 0.5}
		}, want: `workload[0].local_rows: 0.9, but table "users" has no rows homed in us-east1`},
		{name: "local_rows without remote rows", mod: func(s *scenarios.Scenario) {
			s.Tables[0].RowRegions = map[string]float64{"us-east1": 1}
		}, want: `workload[0].local_rows: 0.9, but every row of table "users" is homed in us-east1`},
		// Faults.
		{name: "fault kind", mod: fault(func(f *scenarios.Fault) { f.Kind = "disk" }), want: `faults[0].kind: unknown "disk" (want one of node, zone, region, partition)`},
		{name: "fault at negative", mod: fault(func(f *scenarios.Fault) { f.At = -time.Second }), want: "faults[0].at: -1s (want >= 0)"},
		{name: "fault for zero", mod: fault(func(f *scenarios.Fault) { f.For = 0 }), want: "faults[0].for: 0s (want > 0)"},
		{name: "fault after end", mod: fault(func(f *scenarios.Fault) { f.For = time.Minute }), want: "faults[0].for: 1m0s from at 20s ends after the run (warmup 10s + duration 1m0s)"},
		{name: "between on zone", mod: fault(func(f *scenarios.Fault) { f.Between = [][]string{{"us-east1"}, {"us-west1"}} }), want: `faults[0].between: only for kind partition (kind "zone" uses target)`},
		{name: "one_way on zone", mod: fault(func(f *scenarios.Fault) { f.OneWay = true }), want: `faults[0].one_way: only for kind partition (kind "zone")`},
		{name: "target missing", mod: fault(func(f *scenarios.Fault) { f.Target = "" }), want: "faults[0].target: missing (the zone that fails)"},
		{name: "zone unknown", mod: fault(func(f *scenarios.Fault) { f.Target = "us-east1-z" }), want: `faults[0].target: unknown zone "us-east1-z" (want one of us-east1-a, us-east1-b`},
		{name: "region unknown", mod: fault(func(f *scenarios.Fault) { f.Kind = "region"; f.Target = "us-east1-b" }), want: `faults[0].target: unknown region "us-east1-b" (want one of us-east1, us-west1, europe-west1)`},
		{name: "node unknown", mod: fault(func(f *scenarios.Fault) { f.Kind = "node"; f.Target = "n10" }), want: `faults[0].target: unknown node "n10" (want one of n1…n9)`},
		{name: "node zero", mod: fault(func(f *scenarios.Fault) { f.Kind = "node"; f.Target = "n0" }), want: `faults[0].target: unknown node "n0"`},
		{name: "node leading zero", mod: fault(func(f *scenarios.Fault) { f.Kind = "node"; f.Target = "n01" }), want: `faults[0].target: unknown node "n01"`},
		{name: "partition with target", mod: part(func(f *scenarios.Fault) { f.Target = "us-east1" }), want: `faults[1].target: "us-east1" is not used by kind partition (use between)`},
		{name: "partition one group", mod: part(func(f *scenarios.Fault) { f.Between = f.Between[:1] }), want: "faults[1].between: 1 groups (want 2"},
		{name: "partition no groups", mod: part(func(f *scenarios.Fault) { f.Between = nil }), want: "faults[1].between: 0 groups (want 2"},
		{name: "partition empty group", mod: part(func(f *scenarios.Fault) { f.Between[1] = []string{} }), want: "faults[1].between[1]: empty group"},
		{name: "partition duplicate", mod: part(func(f *scenarios.Fault) { f.Between[1] = []string{"us-west1", "us-west1"} }), want: `faults[1].between[1][1]: "us-west1" is listed twice`},
		{name: "partition unknown", mod: part(func(f *scenarios.Fault) { f.Between[1][1] = "mars" }), want: `faults[1].between[1][1]: unknown region, zone or node "mars"`},
		{name: "partition overlap", mod: part(func(f *scenarios.Fault) { f.Between[1][1] = "n2" }), want: `faults[1].between[1][1]: "n2" overlaps faults[1].between[0][0] (both hold n2)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := validBase
			if tc.plain {
				base = plainBase
			}
			s := scnParse(t, base)
			tc.mod(s)
			err := s.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, scenarios.ErrInvalid)
			if tc.isErr != nil {
				assert.ErrorIs(t, err, tc.isErr)
			}
			assert.Contains(t, err.Error(), "scenarios: base.yaml: "+tc.want)
			assert.Nil(t, s.Cluster(), "a failed Validate leaves no cluster")
			var e *scenarios.Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, "base.yaml", e.Source)
		})
	}
}

// TestValidateFaultTargets accepts every kind of target and group.
func TestValidateFaultTargets(t *testing.T) {
	for _, f := range []scenarios.Fault{
		{Kind: "node", Target: "n1"},
		{Kind: "node", Target: "n9"},
		{Kind: "zone", Target: "europe-west1-c"},
		{Kind: "region", Target: "us-west1"},
		{Kind: "partition", Between: [][]string{{"n1", "us-east1-b"}, {"n3"}}, OneWay: true},
		{Kind: "partition", Between: [][]string{{"us-east1", "us-east1-a"}, {"europe-west1"}}},
	} {
		s := scnParse(t, validBase)
		f.At, f.For = time.Second, time.Second
		s.Faults = []scenarios.Fault{f}
		assert.NoError(t, s.Validate(), "%+v", f)
	}
}

// TestValidateErrorFormat checks the whole message of a parse-time
// validation error and of one on an in-memory scenario (no source).
func TestValidateErrorFormat(t *testing.T) {
	_, err := scenarios.Parse([]byte(`
tables: [{name: users}]
workload: [{region: us-east1, table: users, rate: 1, mix: {reed: 1}}]
`), "users.yaml")
	require.Error(t, err)
	assert.Equal(t, `scenarios: users.yaml: workload[0].mix.reed: unknown op "reed" (want one of [read write stale_read bounded_read insert txn])`, err.Error())

	s := scenarios.DefaultScenario()
	s.Tables = []scenarios.Table{{Name: "t", Locality: "regional"}}
	err = s.Validate()
	require.Error(t, err)
	assert.Equal(t, `scenarios: tables[0].locality: unknown "regional" (want regional-by-table, regional-by-row, global or none)`, err.Error())
	assert.ErrorIs(t, err, scenarios.ErrInvalid)
}

// TestValidateAllOps accepts every op on every locality.
func TestValidateAllOps(t *testing.T) {
	s := scnParse(t, validBase)
	mix := map[string]float64{"read": 0.5, "write": 0.1, "stale_read": 0.1, "bounded_read": 0.1, "insert": 0.1, "txn": 0.1}
	for i := range s.Workload {
		s.Workload[i].Mix = mix
	}
	require.NoError(t, s.Validate())
	assert.Len(t, s.Workload[0].OpShares(), 6)
}

func TestFaultModes(t *testing.T) {
	base := "tables: [{name: t}]\nworkload: [{region: us-east1, rate: 1, table: t}]\nfaults: [%s]\n"
	for _, tc := range []struct{ fault, want string }{
		{"{at: 1s, kind: node, target: n1, for: 1s, mode: melt}", `faults[0].mode: unknown "melt" (want crash or blackhole)`},
		{"{at: 1s, kind: partition, between: [[n1], [n2]], for: 1s, mode: crash}", "faults[0].mode: only for kinds node, zone and region"},
	} {
		_, err := scenarios.Parse([]byte(fmt.Sprintf(base, tc.fault)), "m.yaml")
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
	s, err := scenarios.Parse([]byte(fmt.Sprintf(base, "{at: 1s, kind: node, target: n1, for: 1s}, {at: 3s, kind: zone, target: us-east1-b, for: 1s}, {at: 5s, kind: node, target: n2, for: 1s, mode: blackhole}, {at: 7s, kind: region, target: us-west1, for: 1s, mode: crash}")), "m.yaml")
	require.NoError(t, err)
	rf, err := scenarios.RaftFaults(s.Faults, s.Cluster())
	require.NoError(t, err)
	var modes []bool
	for _, f := range rf {
		modes = append(modes, f.Blackhole)
	}
	assert.Equal(t, []bool{false, true, true, false}, modes, "node crashes, zone and region blackhole, unless mode says otherwise")
}

func ptr(n int) *int { return &n }
