package scenarios_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
)

func TestRowShares(t *testing.T) {
	regions := []string{"eu-central-1", "eu-west-3", "us-east-2"}
	blogCities := map[string]string{"stockholm": "eu-central-1", "oslo": "eu-central-1", "dublin": "eu-west-3", "boston": "us-east-2"}
	rbr := placement.LocalityRegionalByRow
	tests := []struct {
		name  string
		table scenarios.Table
		want  map[string]float64
	}{
		{"equal", scenarios.Table{Locality: rbr},
			map[string]float64{"eu-central-1": 1.0 / 3, "eu-west-3": 1.0 / 3, "us-east-2": 1.0 / 3}},
		{"row_regions", scenarios.Table{Locality: rbr, RowRegions: map[string]float64{"eu-central-1": 0.5, "us-east-2": 0.5}},
			map[string]float64{"eu-central-1": 0.5, "eu-west-3": 0, "us-east-2": 0.5}},
		{"seed blog cities", scenarios.Table{Locality: rbr, Cities: map[string]int64{"stockholm": 100, "dublin": 100, "boston": 100},
			CityRegions: blogCities, DefaultRegion: "eu-central-1"},
			map[string]float64{"eu-central-1": 1.0 / 3, "eu-west-3": 1.0 / 3, "us-east-2": 1.0 / 3}},
		{"else branch", scenarios.Table{Locality: rbr, Cities: map[string]int64{"stockholm": 10, "reykjavik": 30, "boston": 60},
			CityRegions: blogCities, DefaultRegion: "eu-central-1"},
			map[string]float64{"eu-central-1": 0.4, "eu-west-3": 0, "us-east-2": 0.6}},
		{"two cities one region", scenarios.Table{Locality: rbr, Cities: map[string]int64{"stockholm": 1, "oslo": 3},
			CityRegions: blogCities},
			map[string]float64{"eu-central-1": 1, "eu-west-3": 0, "us-east-2": 0}},
		{"regional-by-table", scenarios.Table{Locality: placement.LocalityRegionalByTable}, nil},
		{"global", scenarios.Table{Locality: placement.LocalityGlobal, RowRegions: map[string]float64{"eu-west-3": 1}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.table.RowShares(regions)
			if tc.want == nil {
				assert.Nil(t, got)
				return
			}
			require.Len(t, got, len(tc.want))
			for r, v := range tc.want {
				assert.InDelta(t, v, got[r], 1e-12, r)
			}
		})
	}
}

func TestLocalShareAndOpShares(t *testing.T) {
	w := scenarios.Workload{Region: "b", Mix: map[string]float64{"txn": 0.25, "read": 0.75, "write": 0}}
	shares := map[string]float64{"a": 0.2, "b": 0.8}
	assert.Equal(t, 0.8, w.LocalShare(shares))
	w.LocalRows = f64(0.3)
	assert.Equal(t, 0.3, w.LocalShare(shares))
	assert.Equal(t, []scenarios.OpShare{{Op: raft.OpRead, Share: 0.75}, {Op: raft.OpTxn, Share: 0.25}}, w.OpShares())
}

func TestTableSpec(t *testing.T) {
	tb := scenarios.Table{Name: "a", Locality: placement.LocalityRegionalByTable, HomeRegion: "us-west1", Ranges: 7, Rows: 5}
	assert.Equal(t, placement.TableSpec{Name: "a", Locality: "regional-by-table", HomeRegion: "us-west1", Ranges: 7}, tb.TableSpec(nil))
}

func TestOverride(t *testing.T) {
	seed := uint64(0)
	tests := []struct {
		name  string
		o     scenarios.Overrides
		check func(t *testing.T, s *scenarios.Scenario)
	}{
		{"nothing", scenarios.Overrides{}, func(t *testing.T, s *scenarios.Scenario) {
			assert.Equal(t, scnParse(t, validBase).Tables, s.Tables)
		}},
		{"survival", scenarios.Overrides{Survival: "region"}, func(t *testing.T, s *scenarios.Scenario) {
			assert.Equal(t, placement.SurvivalRegion, s.Database.Survival)
		}},
		{"rtt", scenarios.Overrides{RTT: "gcp"}, func(t *testing.T, s *scenarios.Scenario) {
			assert.Equal(t, "gcp", s.Topology.RTT)
			assert.Equal(t, "gcp", s.Cluster().Latency.Source())
			assert.Equal(t, []string{"us-east1", "us-west1", "europe-west1"}, s.Topology.Regions, "gcp has them all: kept")
		}},
		{"rtt of another provider", scenarios.Overrides{RTT: "aws"}, func(t *testing.T, s *scenarios.Scenario) {
			assert.Equal(t, []string{"us-east-1", "us-west-2", "eu-west-3"}, s.Topology.Regions, "the nearest aws regions")
			assert.Equal(t, "us-east-1", s.Database.Primary)
			assert.Equal(t, "us-west-2", s.Tables[1].HomeRegion)
			assert.Equal(t, []string{"us-east-1", "us-west-2", "eu-west-3"},
				[]string{s.Workload[0].Region, s.Workload[1].Region, s.Workload[2].Region})
			assert.Equal(t, "us-east-1-b", s.Faults[0].Target)
			assert.Equal(t, [][]string{{"us-east-1"}, {"us-west-2", "eu-west-3-a"}}, s.Faults[1].Between)
		}},
		{"regions replacing one", scenarios.Overrides{RTT: "gcp", Regions: []string{"us-east1", "us-west1", "europe-west2"}}, func(t *testing.T, s *scenarios.Scenario) {
			assert.Equal(t, "europe-west2", s.Workload[2].Region)
			assert.Equal(t, [][]string{{"us-east1"}, {"us-west1", "europe-west2-a"}}, s.Faults[1].Between)
		}},
		{"regions", scenarios.Overrides{Regions: []string{"europe-west1", "us-west1", "us-east1"}}, func(t *testing.T, s *scenarios.Scenario) {
			assert.Equal(t, []string{"europe-west1", "us-west1", "us-east1"}, s.Topology.Regions)
			assert.Equal(t, "europe-west1", s.Database.Primary, "the first region becomes primary")
			assert.Equal(t, "europe-west1", s.Cluster().Regions[0].Name)
		}},
		{"durations, seed, cockroach, jitter", scenarios.Overrides{Duration: new(time.Hour), Warmup: new(time.Minute), Seed: &seed,
			MaxOffset: new(250 * time.Millisecond), CRDBVersion: "23.1", Jitter: "none"}, func(t *testing.T, s *scenarios.Scenario) {
			assert.Equal(t, time.Hour, s.Duration)
			assert.Equal(t, time.Minute, s.Warmup)
			assert.Equal(t, uint64(0), s.Seed)
			assert.Equal(t, 250*time.Millisecond, s.Cockroach.MaxOffset)
			assert.Equal(t, "23.1", s.Cockroach.Version)
			assert.Equal(t, "none", s.Topology.Jitter)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := scnParse(t, validBase)
			require.NoError(t, s.Override(tc.o))
			require.NotNil(t, s.Cluster())
			tc.check(t, s)
		})
	}
}

func TestOverrideErrors(t *testing.T) {
	tests := []struct {
		name string
		prep func(*scenarios.Scenario)
		o    scenarios.Overrides
		want string
	}{
		{"survival spelling", nil, scenarios.Overrides{Survival: "planet"}, `scenarios: base.yaml: database.survival: unknown "planet" (want zone or region)`},
		{"survival on 2 regions", nil, scenarios.Overrides{Survival: "region", Regions: []string{"us-east1", "us-west1"}}, `database.survival: "region" with 2 regions`},
		{"rtt", nil, scenarios.Overrides{RTT: "nope"}, `topology.rtt: "nope" is neither a preset`},
		{"regions dropping a table's region", func(s *scenarios.Scenario) {
			s.Tables[0].Cities = map[string]int64{"rome": 1}
			s.Tables[0].CityRegions = map[string]string{"rome": "europe-west1"}
			s.Workload[0].LocalRows = nil
		}, scenarios.Overrides{Regions: []string{"us-east1", "us-west1"}},
			`tables[0].city_regions.rome: unknown region "europe-west1" (database regions [us-east1 us-west1])`},
		{"regions dropping a workload's region", nil, scenarios.Overrides{Regions: []string{"us-east1", "us-west1"}},
			`workload[2].region: unknown region "europe-west1" (topology regions [us-east1 us-west1])`},
		{"duration", nil, scenarios.Overrides{Duration: new(-time.Second)}, "duration: -1s (want > 0)"},
		{"warmup", nil, scenarios.Overrides{Warmup: new(-time.Second)}, "warmup: -1s (want >= 0)"},
		{"max offset", nil, scenarios.Overrides{MaxOffset: new(time.Hour)}, "cockroach.max_offset: 1h0m0s is out of range"},
		{"version", nil, scenarios.Overrides{CRDBVersion: "1.0"}, `cockroach.version: unknown "1.0"`},
		{"jitter", nil, scenarios.Overrides{Jitter: "uniform"}, `topology.jitter: unknown "uniform"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := scnParse(t, validBase)
			if tc.prep != nil {
				tc.prep(s)
				require.NoError(t, s.Validate())
			}
			before := s.Clone()
			err := s.Override(tc.o)
			require.Error(t, err)
			assert.ErrorIs(t, err, scenarios.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, before.Database, s.Database, "unchanged on error")
			assert.Equal(t, before.Topology, s.Topology, "unchanged on error")
			assert.Equal(t, before.Duration, s.Duration, "unchanged on error")
			assert.NotNil(t, s.Cluster(), "the old cluster is kept")
		})
	}
}

func TestWithSurvival(t *testing.T) {
	s := scnParse(t, validBase)
	region, err := s.WithSurvival("region")
	require.NoError(t, err)
	assert.Equal(t, placement.SurvivalRegion, region.Database.Survival)
	assert.Equal(t, placement.SurvivalZone, s.Database.Survival, "the original is unchanged")
	require.NotNil(t, region.Cluster())

	// The copy shares nothing mutable with the original.
	region.Tables[0].Name = "changed"
	region.Workload[0].Mix["read"] = 0.25
	*region.Workload[0].LocalRows = 0.1
	region.Workload[2].Schedule[0].Rate = 99
	region.Faults[1].Between[0][0] = "us-west1"
	region.Topology.Regions = append(region.Topology.Regions, "x")
	fresh := scnParse(t, validBase)
	assert.Equal(t, fresh.Tables, s.Tables)
	assert.Equal(t, fresh.Workload, s.Workload)
	assert.Equal(t, fresh.Faults, s.Faults)
	assert.Equal(t, fresh.Topology, s.Topology)

	_, err = s.WithSurvival("regoin")
	require.Error(t, err)
	assert.ErrorIs(t, err, scenarios.ErrInvalid)
	assert.Contains(t, err.Error(), `database.survival: unknown "regoin"`)

	plain := scnParse(t, plainBase)
	_, err = plain.WithSurvival("region")
	assert.ErrorIs(t, err, placement.ErrNotMultiRegion)
	zone, err := plain.WithSurvival("zone")
	require.NoError(t, err)
	assert.False(t, zone.Database.MultiRegion())
}

// TestCloneSharesNothing walks a fully populated scenario and its clone and
// fails if any map, slice or pointer (other than the immutable cluster) is
// shared, so that a field added later without a deep copy is caught.
func TestCloneSharesNothing(t *testing.T) {
	s := scnParse(t, validBase)
	s.Database.Regions = []string{"us-east1", "us-west1", "europe-west1"}
	s.Topology.Regions = []string{"us-east1", "us-west1", "europe-west1"}
	s.Tables[0].Cities = map[string]int64{"rome": 1}
	s.Tables[0].CityRegions = map[string]string{"rome": "europe-west1"}
	s.Tables[0].RowRegions = map[string]float64{"us-east1": 1}
	peak, off := 9.0, -5*time.Hour
	s.Workload[0].Profile = &scenarios.Profile{Kind: scenarios.ProfileFollowTheSun, PeakRate: 1, PeakHour: &peak, UTCOffset: &off}
	s.Workload[0].BoundedRead = &scenarios.BoundedRead{MaxStaleness: 10 * time.Second}
	c := s.Clone()
	assert.Equal(t, s.Tables, c.Tables)
	assert.Equal(t, s.Workload, c.Workload)
	assert.Equal(t, s.Faults, c.Faults)
	assert.Equal(t, s.Cluster(), c.Cluster())
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Map, reflect.Slice, reflect.Pointer:
			if a.IsNil() {
				return
			}
			if a.Kind() != reflect.Slice || a.Len() > 0 {
				assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s is shared", path)
			}
		}
		switch a.Kind() {
		case reflect.Struct:
			for i := range a.NumField() {
				if !a.Type().Field(i).IsExported() {
					continue
				}
				walk(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		case reflect.Slice:
			for i := range a.Len() {
				walk(path+"[]", a.Index(i), b.Index(i))
			}
		case reflect.Pointer:
			walk(path+"*", a.Elem(), b.Elem())
		}
	}
	walk("Scenario", reflect.ValueOf(s).Elem(), reflect.ValueOf(c).Elem())
}
