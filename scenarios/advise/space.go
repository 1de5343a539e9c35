package advise

import (
	"fmt"
	"strings"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
)

// SurvivalNone is Config.Survival for a database without multi-region SQL:
// every table of locality none (default replication, follow-the-workload).
const SurvivalNone = "none"

// Config is one point of the design space: the database's survival goal,
// primary and secondary region and num_voters, and each table's locality.
type Config struct {
	// Survival is zone, region, or none (no multi-region SQL: Primary and
	// Secondary are empty and every table is of locality none).
	Survival string `json:"survival"`
	// Primary and Secondary are the database's primary and secondary
	// regions; Secondary "" means none.
	Primary   string `json:"primary_region,omitempty"`
	Secondary string `json:"secondary_region,omitempty"`
	// Voters is num_voters of every regional and global table
	// (database.num_voters); without multi-region SQL, every table's
	// num_replicas (every replica a voter) unless the table sets its own.
	Voters int `json:"num_voters"`
	// Tables are the tables' localities, in the scenario's table order.
	Tables []TableChoice `json:"tables"`
}

// TableChoice is one table's locality in a Config.
type TableChoice struct {
	// Table is the table's name.
	Table string `json:"table"`
	// Locality is regional-by-table, regional-by-row, global or none.
	Locality string `json:"locality"`
	// Home is the home region of a regional-by-table table, "" otherwise.
	Home string `json:"home_region,omitempty"`
}

// Short is the choice in a few characters: RBT(us-east1), RBR, GLOBAL or
// none.
func (t TableChoice) Short() string {
	switch placement.Locality(t.Locality) {
	case placement.LocalityRegionalByTable:
		return "RBT(" + t.Home + ")"
	case placement.LocalityRegionalByRow:
		return "RBR"
	case placement.LocalityGlobal:
		return "GLOBAL"
	}
	return t.Locality
}

// Database is the database part of the config in a few words: "region
// us-east1/us-west1 v5" (survival goal, primary[/secondary], voters) or
// "none v3".
func (c Config) Database() string {
	if c.Survival == SurvivalNone {
		return fmt.Sprintf("none v%d", c.Voters)
	}
	where := c.Primary
	if c.Secondary != "" {
		where += "/" + c.Secondary
	}
	return fmt.Sprintf("%s %s v%d", c.Survival, where, c.Voters)
}

// Localities is the tables part in a few words: "users:RBR promo:GLOBAL".
func (c Config) Localities() string {
	parts := make([]string, len(c.Tables))
	for i, t := range c.Tables {
		parts[i] = t.Table + ":" + t.Short()
	}
	return strings.Join(parts, " ")
}

// String is Database and Localities: "zone us-east1 v3; users:RBR …".
func (c Config) String() string { return c.Database() + "; " + c.Localities() }

// tableOptions returns the localities table t may take in a multi-region
// database of regions: regional-by-table in each region, regional-by-row
// when the scenario declares it so (only then does it say where the rows
// live and how local the clients' requests are), and global.
func tableOptions(t scenarios.Table, regions []string) []TableChoice {
	var out []TableChoice
	for _, r := range regions {
		out = append(out, TableChoice{Table: t.Name, Locality: string(placement.LocalityRegionalByTable), Home: r})
	}
	if t.Locality == placement.LocalityRegionalByRow {
		out = append(out, TableChoice{Table: t.Name, Locality: string(placement.LocalityRegionalByRow)})
	}
	return append(out, TableChoice{Table: t.Name, Locality: string(placement.LocalityGlobal)})
}

// VoterCounts are the num_voters values the design space tries: CockroachDB's
// defaults for ZONE (3) and REGION (5) survival, each under either goal
// where allowed.
var VoterCounts = []int{3, 5}

// Enumerate returns the design space of the validated scenario s, in a
// fixed order: survival goal (zone, region), primary region and secondary
// region (none, then every other region) in the database's region order,
// num_voters (VoterCounts), then every combination of the tables'
// localities (the first table's choice varying slowest; per table:
// regional-by-table in each region, regional-by-row if the scenario's
// table is, global); last the database without multi-region SQL, with
// each of VoterCounts replicas. The regions are the scenario's database
// regions (every topology region when it names none).
func Enumerate(s *scenarios.Scenario) []Config {
	regions := s.ResolvedDatabase().Regions
	if len(regions) == 0 {
		for _, r := range s.Cluster().Regions {
			regions = append(regions, r.Name)
		}
	}
	opts := make([][]TableChoice, len(s.Tables))
	for i, t := range s.Tables {
		opts[i] = tableOptions(t, regions)
	}
	var out []Config
	for _, survival := range []placement.Survival{placement.SurvivalZone, placement.SurvivalRegion} {
		for _, primary := range regions {
			secondaries := []string{""}
			for _, r := range regions {
				if r != primary {
					secondaries = append(secondaries, r)
				}
			}
			for _, secondary := range secondaries {
				for _, v := range VoterCounts {
					idx := make([]int, len(opts))
					for {
						c := Config{Survival: string(survival), Primary: primary, Secondary: secondary, Voters: v,
							Tables: make([]TableChoice, len(opts))}
						for i, k := range idx {
							c.Tables[i] = opts[i][k]
						}
						out = append(out, c)
						if !next(idx, opts) {
							break
						}
					}
				}
			}
		}
	}
	for _, v := range VoterCounts {
		c := Config{Survival: SurvivalNone, Voters: v, Tables: make([]TableChoice, len(s.Tables))}
		for i, t := range s.Tables {
			c.Tables[i] = TableChoice{Table: t.Name, Locality: string(placement.LocalityNone)}
		}
		out = append(out, c)
	}
	return out
}

// next advances the odometer idx over opts (the last digit fastest) and
// reports whether it did not wrap around.
func next(idx []int, opts [][]TableChoice) bool {
	for i := len(idx) - 1; i >= 0; i-- {
		idx[i]++
		if idx[i] < len(opts[i]) {
			return true
		}
		idx[i] = 0
	}
	return false
}

// Apply returns a validated copy of the scenario s configured as c,
// without s's faults: the database's survival goal, primary and secondary
// region and num_voters, and each table's locality. A table that stops
// being regional-by-row loses its row placement (cities, row_regions, …)
// and its workloads their local_rows. The error is Validate's: the
// configuration CockroachDB (or the cluster's size) refuses.
func (c Config) Apply(s *scenarios.Scenario) (*scenarios.Scenario, error) {
	v := s.Clone()
	v.Faults = nil
	regions := s.ResolvedDatabase().Regions
	db := &v.Database
	n := c.Voters
	if c.Survival == SurvivalNone {
		// A database without multi-region SQL has no zone config
		// extensions: each table's zone config sets num_replicas, every
		// replica a voter (a table's own count wins).
		*db = placement.Database{}
		for i := range v.Tables {
			if t := &v.Tables[i]; t.NumVoters == nil && t.NumReplicas == nil {
				t.NumReplicas = &n
			}
		}
	} else {
		db.Regions = regions
		db.Primary, db.Secondary = c.Primary, c.Secondary
		db.Survival = placement.Survival(c.Survival)
		db.NumVoters, db.NumReplicas = &n, nil
	}
	for i := range v.Tables {
		t := &v.Tables[i]
		ch := c.Tables[i]
		t.Locality = placement.Locality(ch.Locality)
		t.HomeRegion = ch.Home
		if t.Locality == placement.LocalityRegionalByRow {
			continue
		}
		t.RowRegions, t.Cities, t.CityRegions, t.DefaultRegion = nil, nil, nil, ""
		t.PrimaryKey, t.Lookup = "", ""
		for j := range v.Workload {
			if v.Workload[j].Table == t.Name {
				v.Workload[j].LocalRows = nil
			}
		}
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return v, nil
}
