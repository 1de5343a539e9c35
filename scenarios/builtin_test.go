package scenarios_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
)

func TestBuiltins(t *testing.T) {
	infos := scenarios.Builtins()
	names := scenarios.BuiltinNames()
	require.Equal(t, []string{"default", "failover", "failover-blackhole", "follow-the-workload", "movr", "users-by-city"}, names)
	require.Len(t, infos, len(names))
	files, err := filepath.Glob(filepath.Join("builtin", "*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, len(names), "every file under builtin/ is a built-in")
	for i, info := range infos {
		t.Run(info.Name, func(t *testing.T) {
			assert.Equal(t, names[i], info.Name, "sorted by name")
			assert.NotEmpty(t, info.Description)
			assert.NotContains(t, info.Description, "\n", "one line")
			s, err := scenarios.Load(info.Name)
			require.NoError(t, err)
			assert.Equal(t, info.Name, s.Name, "name: matches the file name")
			assert.Equal(t, info.Description, s.Description)
			require.NotNil(t, s.Cluster())
			require.NoError(t, s.Validate())
			require.NotEmpty(t, s.Tables)
			require.NotEmpty(t, s.Workload)
			// Modest load: the default run must stay around a second of wall time.
			total := 0.0
			for _, w := range s.Workload {
				total += w.Rate
			}
			switch info.Name {
			case "failover", "failover-blackhole":
				// The roachtest's own load and length: its pMax needs all
				// nine outages.
				assert.Equal(t, 2048.0, total, "requests/s")
				assert.Len(t, s.Faults, 9)
			case "follow-the-workload": // a compressed day
				assert.LessOrEqual(t, total, 1000.0, "requests/s")
			default:
				assert.LessOrEqual(t, total, 1000.0, "requests/s")
				assert.LessOrEqual(t, s.Warmup+s.Duration, 2*time.Minute)
			}
			// Loading by path gives the same scenario.
			byPath, err := scenarios.Load(filepath.Join("builtin", info.Name+".yaml"))
			require.NoError(t, err)
			assert.Equal(t, s.Tables, byPath.Tables)
			assert.Equal(t, s.Workload, byPath.Workload)
			// The other survival goal is valid for every multi-region built-in.
			if s.Database.MultiRegion() {
				other := "region"
				if s.Database.Survival == placement.SurvivalRegion {
					other = "zone"
				}
				_, err := s.WithSurvival(other)
				assert.NoError(t, err)
			}
		})
	}
}

func TestBuiltinContents(t *testing.T) {
	load := func(name string) *scenarios.Scenario {
		s, err := scenarios.Load(name)
		require.NoError(t, err)
		return s
	}
	localities := func(s *scenarios.Scenario) map[string]placement.Locality {
		out := map[string]placement.Locality{}
		for _, tb := range s.Tables {
			out[tb.Name] = tb.Locality
		}
		return out
	}
	ops := func(s *scenarios.Scenario) map[string]bool {
		out := map[string]bool{}
		for _, w := range s.Workload {
			for _, o := range w.OpShares() {
				out[o.Op.String()] = true
			}
		}
		return out
	}
	regions := func(s *scenarios.Scenario) map[string]bool {
		out := map[string]bool{}
		for _, w := range s.Workload {
			out[w.Region] = true
		}
		return out
	}

	t.Run("default", func(t *testing.T) {
		s := load("default")
		assert.Equal(t, []string{"us-east1", "us-west1", "europe-west1"}, s.ResolvedDatabase().Regions)
		assert.Equal(t, "us-east1", s.Database.Primary)
		assert.Equal(t, placement.SurvivalZone, s.Database.Survival)
		assert.Equal(t, "crdb-demo", s.Topology.RTT)
		assert.Equal(t, "lognormal", s.Topology.Jitter)
		assert.Len(t, s.Cluster().Nodes, 9)
		assert.Equal(t, map[string]placement.Locality{"users": "regional-by-row", "accounts": "regional-by-table", "promo_codes": "global"}, localities(s))
		for _, op := range []string{"read", "write", "stale_read", "insert"} {
			assert.True(t, ops(s)[op], op)
		}
		assert.Len(t, regions(s), 3)
		assert.Equal(t, 60*time.Second, s.Duration)
		assert.Equal(t, 10*time.Second, s.Warmup)
	})
	t.Run("movr", func(t *testing.T) {
		s := load("movr")
		assert.Equal(t, map[string]placement.Locality{"users": "regional-by-row", "vehicles": "regional-by-row",
			"rides": "regional-by-row", "promo_codes": "global"}, localities(s))
		want := map[string]string{"new york": "us-east1", "boston": "us-east1", "washington dc": "us-east1",
			"seattle": "us-west1", "san francisco": "us-west1", "los angeles": "us-west1",
			"amsterdam": "europe-west1", "paris": "europe-west1", "rome": "europe-west1"}
		for _, tb := range s.Tables[:3] {
			assert.Equal(t, want, tb.CityRegions, tb.Name)
			assert.Len(t, tb.Cities, 9, tb.Name)
			assert.Equal(t, scenarios.PrimaryKeyPlain, tb.PrimaryKey, tb.Name)
		}
		assert.Len(t, regions(s), 3)
	})
	t.Run("users-by-city", func(t *testing.T) {
		s := load("users-by-city")
		db := s.ResolvedDatabase()
		assert.Equal(t, "seed-blog", s.Topology.RTT)
		assert.Equal(t, []string{"eu-central-1", "eu-west-3", "us-east-2"}, db.Regions)
		assert.Equal(t, "eu-central-1", db.Primary)
		assert.Equal(t, placement.SurvivalRegion, db.Survival)
		require.Len(t, s.Tables, 1)
		u := s.Tables[0]
		assert.Equal(t, "users", u.Name)
		assert.Equal(t, placement.LocalityRegionalByRow, u.Locality)
		assert.Equal(t, map[string]int64{"stockholm": 100, "dublin": 100, "boston": 100}, u.Cities)
		assert.Equal(t, "eu-central-1", u.DefaultRegion)
		assert.Equal(t, int64(300), u.Rows)
		// The seed's CASE expression, branch by branch.
		for region, cities := range map[string]string{
			"eu-central-1": "stockholm,copenhagen,helsinki,oslo,riga,tallinn",
			"eu-west-3": "dublin,belfast,london,liverpool,manchester,glasgow,birmingham,leeds,madrid,barcelona,sintra,rome," +
				"milan,lyon,lisbon,toulouse,paris,cologne,seville,marseille,naples,turin,valencia,palermo",
			"us-east-2": "new york,boston,washington dc,miami,charlotte,atlanta,chicago,st louis,indianapolis,nashville," +
				"dallas,houston,san francisco,los angeles,san diego,portland,las vegas,salt lake city",
		} {
			for _, city := range strings.Split(cities, ",") {
				assert.Equal(t, region, u.CityRegions[city], city)
			}
		}
		assert.Len(t, u.CityRegions, 48)
		assert.Equal(t, "eu-central-1", u.CityRegion("reykjavik"), "ELSE branch")
		shares := u.RowShares(db.Regions)
		for _, r := range db.Regions {
			assert.InDelta(t, 1.0/3, shares[r], 1e-12, r)
		}
		// The seed's failures: two AZs of the primary region, then the
		// primary region, without overlapping.
		assert.Equal(t, []scenarios.Fault{
			{At: 20 * time.Second, Kind: scenarios.FaultZone, Target: "eu-central-1-b", For: 12 * time.Second},
			{At: 20 * time.Second, Kind: scenarios.FaultZone, Target: "eu-central-1-c", For: 12 * time.Second},
			{At: 40 * time.Second, Kind: scenarios.FaultRegion, Target: "eu-central-1", For: 15 * time.Second},
		}, s.Faults)
		assert.Less(t, s.Faults[1].At+s.Faults[1].For, s.Faults[2].At, "the AZs are back before the region fails")
	})
	t.Run("follow-the-workload", func(t *testing.T) {
		s := load("follow-the-workload")
		require.Len(t, s.Tables, 3)
		assert.Equal(t, placement.LocalityNone, s.Tables[0].Locality)
		assert.Equal(t, placement.LocalityRegionalByTable, s.Tables[1].Locality)
		assert.Equal(t, placement.LocalityGlobal, s.Tables[2].Locality)
		assert.Len(t, regions(s), 3)
		require.Len(t, s.Workload, 9, "every region against every table")
		for _, w := range s.Workload {
			require.NotNil(t, w.Profile)
			assert.Equal(t, scenarios.ProfileFollowTheSun, w.Profile.Kind)
		}
	})
}
