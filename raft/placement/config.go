package placement

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/regionsim/regionsim/topology"
)

// Sentinel errors. Validate, SpecFor, Allocate and PlaceTable wrap them with
// the field and the value at fault; branch on them with errors.Is.
var (
	// ErrUnknownValue: a survival goal, placement policy or locality spelling
	// that does not exist.
	ErrUnknownValue = errors.New("unknown")
	// ErrUnknownRegion: a primary, secondary, home or partition region that
	// is not one of the database's regions.
	ErrUnknownRegion = errors.New("is not a database region")
	// ErrDuplicateRegion: a database region listed twice.
	ErrDuplicateRegion = errors.New("is listed twice")
	// ErrNoPrimaryRegion: database regions without a primary region.
	ErrNoPrimaryRegion = errors.New("a database with regions needs a primary region")
	// ErrSecondaryIsPrimary: the secondary region equals the primary region.
	ErrSecondaryIsPrimary = errors.New("the secondary region cannot be the primary region")
	// ErrTooFewRegions: REGION survival with fewer than 3 database regions
	// (CockroachDB's minNumRegionsForSurviveRegionGoal).
	ErrTooFewRegions = errors.New("at least 3 regions are required for surviving a region failure")
	// ErrRestrictedRegionSurvival: PLACEMENT RESTRICTED with REGION survival.
	ErrRestrictedRegionSurvival = errors.New("cannot have a database with restricted placement that is also region survivable")
	// ErrNotMultiRegion: a multi-region setting (survival, placement,
	// secondary region, or a regional/global locality) on a database without
	// multi-region SQL (no primary region).
	ErrNotMultiRegion = errors.New("needs a multi-region database")
	// ErrHomeRegionNotAllowed: a home region for a locality that has none.
	ErrHomeRegionNotAllowed = errors.New("is not allowed for locality")
	// ErrInvalid: any other malformed value (an empty region name, a negative
	// range count, an inconsistent Spec).
	ErrInvalid = errors.New("invalid")
	// ErrUnsatisfiable: the cluster cannot host a Spec (a constraint names a
	// region with no nodes, or there are fewer eligible nodes than replicas).
	ErrUnsatisfiable = errors.New("cannot be satisfied by the cluster")
	// ErrReplicaCount: a num_voters or num_replicas override CockroachDB
	// refuses; the message is CockroachDB's.
	ErrReplicaCount = errors.New("replica count refused by CockroachDB")
	// ErrSuperRegion: a super region CockroachDB refuses; the message is
	// CockroachDB's.
	ErrSuperRegion = errors.New("super region refused by CockroachDB")
)

// MinRegionsForRegionSurvival is the smallest number of database regions
// that allows REGION survival (CockroachDB's
// minNumRegionsForSurviveRegionGoal, reference §0).
const MinRegionsForRegionSurvival = 3

// Survival is a database's survival goal, spelled as in the scenario YAML.
// The empty Survival means SurvivalZone, CockroachDB's default.
type Survival string

// Survival goals.
const (
	// SurvivalZone (SURVIVE ZONE FAILURE): 3 voters, all in the home region.
	SurvivalZone Survival = "zone"
	// SurvivalRegion (SURVIVE REGION FAILURE): 5 voters, 2 in the home region.
	SurvivalRegion Survival = "region"
)

// ParseSurvival returns the survival goal spelled s ("zone", "region", or ""
// for the default, zone), or an error wrapping ErrUnknownValue.
func ParseSurvival(s string) (Survival, error) {
	v, err := parseSurvival(s)
	return v, prefix(err)
}

func parseSurvival(s string) (Survival, error) {
	switch Survival(s) {
	case "", SurvivalZone:
		return SurvivalZone, nil
	case SurvivalRegion:
		return SurvivalRegion, nil
	}
	return "", fmt.Errorf("database.survival: %w %q (want zone or region)", ErrUnknownValue, s)
}

// String returns the YAML spelling of s; the empty Survival prints as "zone".
func (s Survival) String() string {
	if s == "" {
		return string(SurvivalZone)
	}
	return string(s)
}

// Placement is a database's data placement policy, spelled as in the scenario
// YAML. The empty Placement means PlacementDefault.
type Placement string

// Placement policies.
const (
	// PlacementDefault keeps at least one replica (a non-voter if need be) in
	// every database region.
	PlacementDefault Placement = "default"
	// PlacementRestricted (ZONE survival only) keeps the replicas of
	// REGIONAL BY TABLE/ROW data in their home region only; GLOBAL tables
	// still get a replica in every region.
	PlacementRestricted Placement = "restricted"
)

// ParsePlacement returns the placement policy spelled s ("default",
// "restricted", or "" for default), or an error wrapping ErrUnknownValue.
func ParsePlacement(s string) (Placement, error) {
	v, err := parsePlacement(s)
	return v, prefix(err)
}

func parsePlacement(s string) (Placement, error) {
	switch Placement(s) {
	case "", PlacementDefault:
		return PlacementDefault, nil
	case PlacementRestricted:
		return PlacementRestricted, nil
	}
	return "", fmt.Errorf("database.placement: %w %q (want default or restricted)", ErrUnknownValue, s)
}

// String returns the YAML spelling of p; the empty Placement prints as
// "default".
func (p Placement) String() string {
	if p == "" {
		return string(PlacementDefault)
	}
	return string(p)
}

// Locality is a table locality, spelled as in the scenario YAML. The empty
// Locality means the database's default: LocalityRegionalByTable (in the
// primary region) for a multi-region database, LocalityNone otherwise.
type Locality string

// Table localities.
const (
	// LocalityRegionalByTable (REGIONAL BY TABLE [IN R]): every range homed in
	// one region, the primary region unless a home region is given.
	LocalityRegionalByTable Locality = "regional-by-table"
	// LocalityRegionalByRow (REGIONAL BY ROW): one partition per database
	// region, each homed in its region.
	LocalityRegionalByRow Locality = "regional-by-row"
	// LocalityGlobal (GLOBAL): homed in the primary region, a replica in
	// every region, non-blocking transactions (global_reads).
	LocalityGlobal Locality = "global"
	// LocalityNone: a table in a database without multi-region SQL. It gets
	// CockroachDB's default replication (3 voters spread by diversity, no
	// constraints, no lease preferences) whatever the Database says, so a
	// scenario can put it next to multi-region tables: it models a second,
	// plain database on the same cluster.
	LocalityNone Locality = "none"
)

// ParseLocality returns the locality spelled s (one of regional-by-table,
// regional-by-row, global, none, or "" for the database's default), or an
// error wrapping ErrUnknownValue.
func ParseLocality(s string) (Locality, error) {
	v, err := parseLocality(s)
	return v, prefix(err)
}

func parseLocality(s string) (Locality, error) {
	switch l := Locality(s); l {
	case "", LocalityRegionalByTable, LocalityRegionalByRow, LocalityGlobal, LocalityNone:
		return l, nil
	}
	return "", fmt.Errorf("locality: %w %q (want regional-by-table, regional-by-row, global or none)",
		ErrUnknownValue, s)
}

// String returns the YAML spelling of l; the empty Locality prints as
// "default".
func (l Locality) String() string {
	if l == "" {
		return "default"
	}
	return string(l)
}

// resolve replaces the empty Locality by the database's default.
func (l Locality) resolve(db Database) Locality {
	if l != "" {
		return l
	}
	if db.MultiRegion() {
		return LocalityRegionalByTable
	}
	return LocalityNone
}

// Database is the multi-region configuration of the simulated database, the
// `database:` section of a scenario.
//
// The zero Database is a database without multi-region SQL: only tables of
// locality none (or the empty locality) can live in it. A database is
// multi-region as soon as it has a primary region or regions.
type Database struct {
	// Regions are the database's regions in the order they were added
	// (CREATE DATABASE … PRIMARY REGION adds the primary first, but any order
	// is accepted). The order fixes the order of constraints and of
	// REGIONAL BY ROW partitions. Empty in a scenario file means "every
	// topology region"; WithClusterRegions fills it.
	Regions []string `yaml:"regions,omitempty"`
	// Primary is the primary region: the home of REGIONAL BY TABLE tables
	// without a home region and of GLOBAL tables. Required when Regions is
	// not empty.
	Primary string `yaml:"primary_region"`
	// Secondary is the optional secondary region: a second lease preference
	// for every table and, under REGION survival, 2 voters there.
	Secondary string `yaml:"secondary_region"`
	// Survival is the survival goal; empty means zone.
	Survival Survival `yaml:"survival"`
	// Placement is the data placement policy; empty means default.
	Placement Placement `yaml:"placement"`
	// NumVoters, if set, is num_voters for every regional and global table
	// of a multi-region database, as CockroachDB's zone config extensions
	// (ALTER DATABASE … ALTER LOCALITY REGIONAL|GLOBAL CONFIGURE ZONE USING
	// num_voters = N) set it: voters stay where the survival goal's
	// voter_constraints put them, and N may not be lower than the goal's
	// count (3 for zone, 5 for region). Tables of locality none in a
	// multi-region database model another database and ignore it; in a
	// database without multi-region SQL it is the database zone config's
	// num_voters. A table's own num_voters wins. Absent means the survival
	// goal's count (3 without multi-region SQL).
	NumVoters *int `yaml:"num_voters,omitempty"`
	// NumReplicas, if set, is num_replicas (voters plus non-voters), for the
	// same tables as NumVoters and, in a multi-region database, not lower
	// than the survival goal's count. Absent means the synthesized count
	// plus the voters NumVoters adds, so the non-voters stay
	// (docs/decisions.md).
	NumReplicas *int `yaml:"num_replicas,omitempty"`
	// SuperRegions maps a super region's name to its database regions
	// (ALTER DATABASE … ADD SUPER REGION, CockroachDB 22.1+): every replica
	// of a regional-by-table table or regional-by-row partition homed in
	// one of them stays inside the super region. A region belongs to one
	// super region at most; under REGION survival a super region needs 3
	// regions. GLOBAL tables ignore super regions.
	SuperRegions map[string][]string `yaml:"super_regions,omitempty"`
}

// DefaultDatabase returns a multi-region database over regions with the
// first region as primary, ZONE survival and DEFAULT placement — what
// `CREATE DATABASE d PRIMARY REGION r0 REGIONS r1, …` gives.
func DefaultDatabase(regions ...string) Database {
	db := Database{Regions: slices.Clone(regions), Survival: SurvivalZone, Placement: PlacementDefault}
	if len(regions) > 0 {
		db.Primary = regions[0]
	}
	return db
}

// MultiRegion reports whether db uses multi-region SQL (has a primary region
// or regions).
func (db Database) MultiRegion() bool { return db.Primary != "" || len(db.Regions) > 0 }

// WithClusterRegions returns a copy of db whose Regions are every region of
// c, in cluster order, if db is multi-region and lists no regions; otherwise
// db unchanged.
func (db Database) WithClusterRegions(c *topology.Cluster) Database {
	if !db.MultiRegion() || len(db.Regions) > 0 {
		return db
	}
	db.Regions = make([]string, len(c.Regions))
	for i := range c.Regions {
		db.Regions[i] = c.Regions[i].Name
	}
	return db
}

// HasRegion reports whether name is one of the database's regions.
func (db Database) HasRegion(name string) bool { return slices.Contains(db.Regions, name) }

// Validate reports the first setting CockroachDB would refuse, as an error
// wrapping one of the sentinels above and naming the field and the value.
func (db Database) Validate() error { return prefix(db.validate()) }

func (db Database) validate() error {
	survival, err := parseSurvival(string(db.Survival))
	if err != nil {
		return err
	}
	placement, err := parsePlacement(string(db.Placement))
	if err != nil {
		return err
	}
	if !db.MultiRegion() {
		switch {
		case db.Secondary != "":
			return fmt.Errorf("database.secondary_region: %q %w (database.primary_region is empty)",
				db.Secondary, ErrNotMultiRegion)
		case survival != SurvivalZone:
			return fmt.Errorf("database.survival: %q %w (database.primary_region is empty)",
				survival, ErrNotMultiRegion)
		case len(db.SuperRegions) > 0:
			// alterDatabaseAddSuperRegion: "database must be multi-region to
			// support super regions".
			return fmt.Errorf("database.super_regions: %w: database must be multi-region to support super regions (database.primary_region is empty)",
				ErrNotMultiRegion)

		case placement != PlacementDefault:
			return fmt.Errorf("database.placement: %q %w (database.primary_region is empty)",
				placement, ErrNotMultiRegion)
		}
		_, _, err := applyCounts(numReplicasDefault, numReplicasDefault, true,
			count{n: db.NumVoters, field: "database."}, count{n: db.NumReplicas, field: "database."})
		return err
	}
	for i, r := range db.Regions {
		if r == "" {
			return fmt.Errorf("database.regions[%d]: %w empty region name", i, ErrInvalid)
		}
		if slices.Contains(db.Regions[:i], r) {
			return fmt.Errorf("database.regions[%d]: %q %w", i, r, ErrDuplicateRegion)
		}
	}
	switch {
	case db.Primary == "":
		return fmt.Errorf("database.primary_region: empty with database.regions %v: %w",
			db.Regions, ErrNoPrimaryRegion)
	case !db.HasRegion(db.Primary):
		return fmt.Errorf("database.primary_region: %q %w %v", db.Primary, ErrUnknownRegion, db.Regions)
	case db.Secondary != "" && !db.HasRegion(db.Secondary):
		return fmt.Errorf("database.secondary_region: %q %w %v", db.Secondary, ErrUnknownRegion, db.Regions)
	case db.Secondary != "" && db.Secondary == db.Primary:
		return fmt.Errorf("database.secondary_region: %q: %w", db.Secondary, ErrSecondaryIsPrimary)
	case survival == SurvivalRegion && len(db.Regions) < MinRegionsForRegionSurvival:
		return fmt.Errorf("database.survival: %q with %d regions %v: %w",
			survival, len(db.Regions), db.Regions, ErrTooFewRegions)
	case placement == PlacementRestricted && survival == SurvivalRegion:
		return fmt.Errorf("database.placement: %q with database.survival %q: %w",
			placement, survival, ErrRestrictedRegionSurvival)
	}
	if err := db.validateSuperRegions(survival); err != nil {
		return err
	}
	db.Survival, db.Placement = survival, placement
	v, r := NumVotersAndReplicas(db)
	_, _, err = applyCounts(v, r, false, count{n: db.NumVoters, field: "database.", goal: survival},
		count{n: db.NumReplicas, field: "database.", goal: survival})
	return err
}

// validateSuperRegions checks db.SuperRegions the way CockroachDB's ALTER
// DATABASE … ADD SUPER REGION does (pkg/sql/alter_database.go,
// (*planner).addSuperRegion; pkg/sql/catalog/multiregion/region_config.go,
// validateSuperRegions) and its secondary-region rules
// (alter_database.go, validateSecondaryRegion and
// (*alterDatabaseSecondaryRegion).startExec). Super regions are visited
// in name order, so the first error is the same on every run.
func (db Database) validateSuperRegions(survival Survival) error {
	if len(db.SuperRegions) == 0 {
		return nil
	}
	owner := map[string]string{} // region -> its super region
	for _, name := range slices.Sorted(maps.Keys(db.SuperRegions)) {
		regions := db.SuperRegions[name]
		field := "database.super_regions." + name
		if name == "" {
			return fmt.Errorf("database.super_regions: %w: empty super region name", ErrSuperRegion)
		}
		if len(regions) == 0 {
			return fmt.Errorf("%s: %w: no regions found within super region %s", field, ErrSuperRegion, name)
		}
		for i, r := range regions {
			f := fmt.Sprintf("%s[%d]", field, i)
			switch {
			case !db.HasRegion(r):
				// addSuperRegion: "region %s not part of database".
				return fmt.Errorf("%s: %q: %w: region %s not part of database (database regions %v)",
					f, r, ErrSuperRegion, r, db.Regions)
			case slices.Contains(regions[:i], r):
				// validateSuperRegions: "duplicate region %s found in super region %s".
				return fmt.Errorf("%s: %q: %w: duplicate region %s found in super region %s", f, r, ErrSuperRegion, r, name)
			case owner[r] != "":
				// addSuperRegion: "region %s is already part of super region %s".
				return fmt.Errorf("%s: %q: %w: region %s is already part of super region %s",
					f, r, ErrSuperRegion, r, owner[r])
			}
			owner[r] = name
		}
		// addSuperRegion wraps canSatisfySurvivalGoal's error.
		if survival == SurvivalRegion && len(regions) < MinRegionsForRegionSurvival {
			return fmt.Errorf("%s: %v: %w: super region %s only has %d region(s): %v", field, regions,
				ErrSuperRegion, name, len(regions), ErrTooFewRegions)
		}
	}
	if db.Secondary != "" {
		primary, secondary := owner[db.Primary], owner[db.Secondary]
		switch {
		case primary == "" && secondary != "":
			return fmt.Errorf("database.secondary_region: %q: %w: the secondary region can not be in a super region, unless the primary is also within a super region",
				db.Secondary, ErrSuperRegion)
		case primary != secondary:
			return fmt.Errorf("database.secondary_region: %q: %w: the secondary region must be in the same super region as the current primary region",
				db.Secondary, ErrSuperRegion)
		}
	}
	return nil
}

// SuperRegionOf returns the name of the super region that region belongs
// to and its regions in CockroachDB's order (sorted by name, as
// addSuperRegion stores them), or "" and nil.
func (db Database) SuperRegionOf(region string) (string, []string) {
	for _, name := range slices.Sorted(maps.Keys(db.SuperRegions)) {
		if slices.Contains(db.SuperRegions[name], region) {
			return name, slices.Sorted(slices.Values(db.SuperRegions[name]))
		}
	}
	return "", nil
}

// TableSpec is the placement-relevant part of a scenario table: its name,
// locality, home region and range count. (Row shares per region and the
// workload belong to the scenario.)
type TableSpec struct {
	// Name identifies the table in layouts and errors.
	Name string `yaml:"name"`
	// Locality is the table locality; empty means the database's default.
	Locality Locality `yaml:"locality"`
	// HomeRegion is the home of a regional-by-table table; empty means the
	// primary region. Not allowed for other localities.
	HomeRegion string `yaml:"home_region"`
	// Ranges is the number of ranges of the table; 0 means 1. For
	// regional-by-row they are split across the partitions (see PlaceTable).
	Ranges int `yaml:"ranges"`
	// Nodes, if not empty, restricts the table's replicas to these nodes
	// (Spec.Nodes).
	Nodes []topology.NodeID `yaml:"-"`
	// NumVoters and NumReplicas, if set, override num_voters and
	// num_replicas for the table's ranges (a table zone config, which a
	// multi-region table takes with override_multi_region_zone_config);
	// nil takes the database's, field by field as zone configs inherit.
	NumVoters   *int `yaml:"num_voters,omitempty"`
	NumReplicas *int `yaml:"num_replicas,omitempty"`
}

// Validate checks t against db: the locality spelling, that the locality
// fits the database, and that a home region is given only for
// regional-by-table and is a database region.
func (t TableSpec) Validate(db Database) error {
	if err := t.validate(db); err != nil {
		return fmt.Errorf("placement: table %q: %w", t.Name, err)
	}
	return nil
}

func (t TableSpec) validate(db Database) error {
	loc, err := parseLocality(string(t.Locality))
	if err != nil {
		return err
	}
	if t.Ranges < 0 {
		return fmt.Errorf("ranges: %w count %d (want >= 0)", ErrInvalid, t.Ranges)
	}
	loc = loc.resolve(db)
	if t.HomeRegion != "" && loc != LocalityRegionalByTable {
		return fmt.Errorf("home_region: %q %w %q", t.HomeRegion, ErrHomeRegionNotAllowed, loc)
	}
	if loc == LocalityRegionalByRow {
		for _, r := range db.Regions {
			if _, err := t.spec(db, loc, r); err != nil {
				return err
			}
		}
		return nil
	}
	_, err = t.spec(db, loc, t.HomeRegion)
	return err
}

// Spec returns the zone-config view of the table's ranges homed in home
// ("" for the table's own home; a partition's region for
// regional-by-row): SpecFor with the table's num_voters and num_replicas
// overrides applied. db must be resolved (WithClusterRegions).
func (t TableSpec) Spec(db Database, home string) (Spec, error) {
	loc, err := parseLocality(string(t.Locality))
	if err != nil {
		return Spec{}, prefix(err)
	}
	if home == "" {
		home = t.HomeRegion
	}
	s, err := t.spec(db, loc.resolve(db), home)
	if err != nil {
		return Spec{}, prefix(err)
	}
	s.Nodes = t.Nodes
	return s, nil
}

func (t TableSpec) spec(db Database, loc Locality, home string) (Spec, error) {
	return specFor(db, loc, home, t.NumVoters, t.NumReplicas)
}

// prefix marks err as coming from this package.
func prefix(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("placement: %w", err)
}
