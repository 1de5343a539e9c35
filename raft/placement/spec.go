package placement

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/regionsim/regionsim/topology"
)

// Constraint is one conjunction of a CockroachDB constraints list reduced to
// the only tier multi-region SQL uses: `+region=Region`.
type Constraint struct {
	// Region is the region the replicas must be in.
	Region string
	// NumReplicas is how many replicas of the list's scope (all replicas for
	// Spec.Constraints, voters for Spec.VoterConstraints) must be in Region,
	// at least. 0 means every one of them, as in CockroachDB (only allowed as
	// the sole conjunction of its list).
	NumReplicas int
}

// String renders c the way a zone config shows it: "+region=R: 2", or
// "+region=R" when it applies to every replica.
func (c Constraint) String() string {
	if c.NumReplicas == 0 {
		return "+region=" + c.Region
	}
	return "+region=" + c.Region + ": " + strconv.Itoa(c.NumReplicas)
}

// Spec is the zone-config view of one range: what CockroachDB's
// multi-region SQL synthesises (reference §1.1–1.3) and its allocator
// enforces. A Spec names regions; Allocate binds it to a cluster.
type Spec struct {
	// NumReplicas is num_replicas: voters plus non-voters.
	NumReplicas int
	// NumVoters is num_voters, 1 ≤ NumVoters ≤ NumReplicas.
	NumVoters int
	// Constraints is `constraints`: per-region minimum replica counts over
	// voters and non-voters. Nil means unconstrained.
	Constraints []Constraint
	// VoterConstraints is `voter_constraints`: per-region minimum voter
	// counts, or a single count-0 conjunction "all voters in R" (ZONE).
	VoterConstraints []Constraint
	// LeasePreferences is `lease_preferences`, one region per preference,
	// most preferred first. Nil means no preference.
	LeasePreferences []string
	// GlobalReads is `global_reads` (GLOBAL tables, reference §3).
	GlobalReads bool
	// Home is the home region the spec was synthesised for (the primary
	// region for GLOBAL, the partition region for a REGIONAL BY ROW
	// partition); empty for locality none and hand-built specs.
	Home string
	// Nodes, if not empty, are the only nodes the replicas may be on (a
	// per-node constraint, as CockroachDB's roachtests set with node
	// attributes: `+node4`).
	Nodes []topology.NodeID
}

// String renders s in zone-config terms, e.g. "num_replicas=5 num_voters=3
// constraints={+region=A: 1, …} voter_constraints=[+region=A]
// lease_preferences=[[+region=A]]", plus " global_reads=true" if set.
func (s Spec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "num_replicas=%d num_voters=%d constraints=%s voter_constraints=%s lease_preferences=[",
		s.NumReplicas, s.NumVoters, formatConstraints(s.Constraints), formatConstraints(s.VoterConstraints))
	for i, p := range s.LeasePreferences {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("[+region=" + p + "]")
	}
	b.WriteString("]")
	if s.GlobalReads {
		b.WriteString(" global_reads=true")
	}
	if len(s.Nodes) > 0 {
		fmt.Fprintf(&b, " nodes=%v", s.Nodes)
	}
	return b.String()
}

func formatConstraints(cs []Constraint) string {
	if len(cs) == 0 {
		return "[]"
	}
	open, closing := "{", "}"
	if len(cs) == 1 && cs[0].NumReplicas == 0 {
		open, closing = "[", "]"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return open + strings.Join(parts, ", ") + closing
}

// Validate checks that s is a zone config CockroachDB would accept: at
// least one voter, no more voters than replicas, constraint counts that fit,
// a count-0 conjunction only on its own, no region twice in a list, and no
// empty region names. Errors wrap ErrInvalid; where CockroachDB has a
// message for the rule (pkg/config/zonepb/zone.go, (*ZoneConfig).Validate)
// the error carries it.
func (s Spec) Validate() error { return prefix(s.validate()) }

func (s Spec) validate() error {
	switch {
	case s.NumVoters < 1:
		return fmt.Errorf("spec: %w num_voters=%d: at least one voting replica is required", ErrInvalid, s.NumVoters)
	case s.NumVoters > s.NumReplicas:
		return fmt.Errorf("spec: %w num_voters=%d with num_replicas=%d: num_voters cannot be greater than num_replicas",
			ErrInvalid, s.NumVoters, s.NumReplicas)
	}
	if err := validateConstraints("constraints", s.Constraints, s.NumReplicas); err != nil {
		return err
	}
	if err := validateConstraints("voter_constraints", s.VoterConstraints, s.NumVoters); err != nil {
		return err
	}
	for i, p := range s.LeasePreferences {
		if p == "" {
			return fmt.Errorf("spec: lease_preferences[%d]: %w empty region name", i, ErrInvalid)
		}
	}
	return nil
}

func validateConstraints(field string, cs []Constraint, n int) error {
	sum := 0
	for i, c := range cs {
		switch {
		case c.Region == "":
			return fmt.Errorf("spec: %s[%d]: %w empty region name", field, i, ErrInvalid)
		case c.NumReplicas < 0:
			return fmt.Errorf("spec: %s[%d]: %w count %d", field, i, ErrInvalid, c.NumReplicas)
		case c.NumReplicas == 0 && len(cs) > 1:
			return fmt.Errorf("spec: %s[%d]: %w: %s without a count must be the only conjunction", field, i, ErrInvalid, c)
		}
		for _, d := range cs[:i] {
			if d.Region == c.Region {
				return fmt.Errorf("spec: %s[%d]: %w: region %q constrained twice", field, i, ErrInvalid, c.Region)
			}
		}
		sum += c.NumReplicas
	}
	if sum > n {
		// zonepb (*ZoneConfig).Validate.
		what := "replicas configured"
		if field == "voter_constraints" {
			what = "voters configured"
		}
		return fmt.Errorf("spec: %s: %w: the number of replicas specified in %s (%d) cannot be greater than the number of %s for the zone (%d)",
			field, ErrInvalid, field, sum, what, n)
	}
	return nil
}

// MaxFailuresBeforeUnavailability returns how many of numVoters voters can
// fail before a range loses quorum: (numVoters+1)/2 − 1 — 1 for 3 voters, 2
// for 5 (CockroachDB's function of the same name, reference §1.1).
func MaxFailuresBeforeUnavailability(numVoters int) int { return (numVoters+1)/2 - 1 }

// Replica counts used by multi-region SQL (reference §1.1) and by
// CockroachDB's default zone config.
const (
	numVotersZoneSurvival   = 3
	numVotersRegionSurvival = 5
	numReplicasDefault      = 3 // default zone config: num_replicas = 3
	numReplicasSystem       = 5 // system ranges (reference §0)
)

// NumVotersAndReplicas returns num_voters and num_replicas for the ranges of
// db, as GetNumVotersAndNumReplicas does (reference §1.1):
//
//   - ZONE: 3 voters; DEFAULT placement 3 + (regions−1) replicas, RESTRICTED 3.
//   - REGION: 5 voters; 2 + (regions−1) replicas, +1 with a secondary region,
//     at least 5.
//
// A database without multi-region SQL gets the default 3 and 3. db is
// assumed valid.
func NumVotersAndReplicas(db Database) (numVoters, numReplicas int) {
	if !db.MultiRegion() {
		return numReplicasDefault, numReplicasDefault
	}
	n := len(db.Regions)
	if db.Survival == SurvivalRegion {
		numVoters = numVotersRegionSurvival
		numReplicas = MaxFailuresBeforeUnavailability(numVoters) + n - 1
		if db.Secondary != "" {
			numReplicas++
		}
		return numVoters, max(numReplicas, numVoters)
	}
	numVoters = numVotersZoneSurvival
	if db.Placement == PlacementRestricted {
		return numVoters, numVoters
	}
	return numVoters, numVoters + n - 1
}

// count is one num_voters or num_replicas override: its value (nil: not
// set), the prefix of its field name in errors ("database." or "" for a
// table's) and, for a zone config extension of a multi-region database,
// the survival goal it may not go below ("" for a plain zone config: a
// table's own, or a database's without multi-region SQL).
type count struct {
	n     *int
	field string
	goal  Survival
}

// pick returns the table's override if set, else the database's.
func pick(table *int, db count) count {
	if table != nil {
		return count{n: table}
	}
	return db
}

// applyCounts returns num_voters and num_replicas for ranges whose
// synthesized counts are synthVoters and synthReplicas, with the overrides
// voters and replicas, or the first rule CockroachDB would refuse them by:
// pkg/config/zonepb/zone.go (*ZoneConfig).Validate for every zone config,
// and for zone config extensions also ExtendZoneConfigWithRegionalIn and
// ExtendZoneConfigWithGlobal (pkg/sql/catalog/multiregion/region_config.go),
// which refuse counts lower than the survival goal's.
//
// Without a num_replicas override, num_replicas is the synthesized count
// plus the voters the override adds (regionsim's reading, docs/decisions.md:
// CockroachDB would keep num_replicas and turn non-voters into voters). In
// a plain zone config (plain: locality none, or a database without
// multi-region SQL), setting only num_replicas makes every replica a voter,
// as CockroachDB's default zone config sets no num_voters.
func applyCounts(synthVoters, synthReplicas int, plain bool, voters, replicas count) (numVoters, numReplicas int, err error) {
	refuse := func(c count, name string, v int, msg string, args ...any) error {
		return fmt.Errorf("%s%s: %d: %w: %s", c.field, name, v, ErrReplicaCount, fmt.Sprintf(msg, args...))
	}
	numVoters, numReplicas = synthVoters, synthReplicas
	if voters.n != nil {
		v := *voters.n
		switch {
		// zonepb (*ZoneConfig).Validate.
		case v <= 0:
			return 0, 0, refuse(voters, "num_voters", v, "at least one voting replica is required")
		case v == 2:
			return 0, 0, refuse(voters, "num_voters", v, "at least 3 voting replicas are required for multi-replica configurations")
		// multiregion ExtendZoneConfigWithRegionalIn / ExtendZoneConfigWithGlobal.
		case voters.goal != "" && v < synthVoters:
			return 0, 0, refuse(voters, "num_voters", v, "zone config extension cannot set num_voters %d that is lower than the one required for the survival goal: %d with goal %s",
				v, synthVoters, voters.goal)
		}
		numVoters = v
	}
	if replicas.n != nil {
		r := *replicas.n
		switch {
		// zonepb (*ZoneConfig).Validate.
		case r <= 0:
			return 0, 0, refuse(replicas, "num_replicas", r, "at least one replica is required")
		case r == 2 && voters.n == nil:
			return 0, 0, refuse(replicas, "num_replicas", r, "at least 3 replicas are required for multi-replica configurations")
		// multiregion ExtendZoneConfigWithRegionalIn / ExtendZoneConfigWithGlobal.
		case replicas.goal != "" && r < synthReplicas:
			return 0, 0, refuse(replicas, "num_replicas", r, "zone config extension cannot set num_replicas %d that is lower than the one required for the survival goal: %d with goal %s",
				r, synthReplicas, replicas.goal)
		}
		numReplicas = r
		if voters.n == nil && plain {
			numVoters = r
		}
	} else {
		numReplicas = synthReplicas + max(0, numVoters-synthVoters)
	}
	if numVoters > numReplicas {
		// zonepb (*ZoneConfig).Validate. The field named is the override's:
		// num_voters's, or num_replicas's when num_voters is not set.
		if voters.n == nil {
			return 0, 0, fmt.Errorf("%snum_replicas: %d with num_voters %d: %w: num_voters cannot be greater than num_replicas",
				replicas.field, numReplicas, numVoters, ErrReplicaCount)
		}
		return 0, 0, fmt.Errorf("%snum_voters: %d with num_replicas %d: %w: num_voters cannot be greater than num_replicas",
			voters.field, numVoters, numReplicas, ErrReplicaCount)
	}
	return numVoters, numReplicas, nil
}

// SystemSpec returns the spec of CockroachDB's system ranges (liveness,
// meta, …): 5 voters, no constraints, spread by diversity (reference §0,
// §10 rule 2).
func SystemSpec() Spec {
	return Spec{NumReplicas: numReplicasSystem, NumVoters: numReplicasSystem}
}

// SpecFor returns the zone-config view of a range of a table with locality
// loc in db (reference §1.2–1.3). home is:
//
//   - regional-by-table: the home region, "" for the primary region (the
//     table then inherits the database config exactly);
//   - regional-by-row: the partition's region, "" for the primary region;
//     each partition is configured like a regional-by-table table homed there;
//   - global: "" or the primary region;
//   - none (or the empty locality in a database without multi-region SQL):
//     "" — default replication, 3 voters, no constraints or preferences.
//
// It refuses what CockroachDB refuses: an invalid db (see Validate), an
// unknown locality, a home region outside the database regions, a regional
// or global locality without multi-region SQL.
func SpecFor(db Database, loc Locality, home string) (Spec, error) {
	s, err := specFor(db, loc, home, nil, nil)
	return s, prefix(err)
}

// specFor is SpecFor with a table's num_voters and num_replicas overrides
// (nil: the database's).
func specFor(db Database, loc Locality, home string, voters, replicas *int) (Spec, error) {
	if err := db.validate(); err != nil {
		return Spec{}, err
	}
	loc, err := parseLocality(string(loc))
	if err != nil {
		return Spec{}, err
	}
	loc = loc.resolve(db)
	if loc == LocalityNone {
		if home != "" {
			return Spec{}, fmt.Errorf("home_region: %q %w %q", home, ErrHomeRegionNotAllowed, loc)
		}
		// A table of locality none in a multi-region database models a
		// second, plain database: the multi-region database's overrides do
		// not reach it.
		var dbVoters, dbReplicas count
		if !db.MultiRegion() {
			dbVoters = count{n: db.NumVoters, field: "database."}
			dbReplicas = count{n: db.NumReplicas, field: "database."}
		}
		v, r, err := applyCounts(numReplicasDefault, numReplicasDefault, true,
			pick(voters, dbVoters), pick(replicas, dbReplicas))
		if err != nil {
			return Spec{}, err
		}
		return Spec{NumReplicas: r, NumVoters: v}, nil
	}
	if !db.MultiRegion() {
		return Spec{}, fmt.Errorf("locality: %q %w (database.primary_region is empty)", loc, ErrNotMultiRegion)
	}
	if home == "" {
		home = db.Primary
	}
	if !db.HasRegion(home) {
		return Spec{}, fmt.Errorf("home_region: %q %w %v", home, ErrUnknownRegion, db.Regions)
	}
	var s Spec
	switch loc {
	case LocalityRegionalByTable, LocalityRegionalByRow:
		// RBT IN PRIMARY inherits the database zone config; RBT IN R and
		// every RBR partition set num_voters, voter_constraints and
		// lease_preferences for their region and inherit num_replicas and
		// constraints — which is the same synthesis with another home. In a
		// super region, num_replicas and constraints are the super region's
		// (superRegionSpec).
		if name, regions := db.SuperRegionOf(home); name != "" {
			return superRegionSpec(db, home, regions, voters, replicas)
		}
		s = homedSpec(db, home, db.Secondary)
	case LocalityGlobal:
		if home != db.Primary {
			return Spec{}, fmt.Errorf("home_region: %q %w %q (GLOBAL tables live in the primary region %q)",
				home, ErrHomeRegionNotAllowed, loc, db.Primary)
		}
		// GLOBAL tables ignore super regions: ZoneConfigForMultiRegionTable
		// (pkg/sql/regions/region_util.go) consults them only for
		// REGIONAL BY TABLE, and ZoneConfigForMultiRegionPartition for
		// REGIONAL BY ROW partitions.
		s = homedSpec(db, home, db.Secondary)
		if db.Placement == PlacementRestricted {
			// GLOBAL builds a DEFAULT-placement config of its own so that it
			// keeps a replica in every region, with lease preferences for
			// the primary region only (ZoneConfigForMultiRegionTable).
			dflt := db
			dflt.Placement = PlacementDefault
			s = homedSpec(dflt, home, "")
		}
		s.GlobalReads = true
	default:
		return Spec{}, fmt.Errorf("locality: %w %q", ErrUnknownValue, loc) // unreachable: parsed above
	}
	if err := s.applyOverrides(db, voters, replicas); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// applyOverrides sets s's counts from the table's overrides (a plain zone
// config) where set, else from the database's (zone config extensions,
// held to the survival goal's counts), field by field as zone configs
// inherit.
func (s *Spec) applyOverrides(db Database, voters, replicas *int) error {
	goal := db.Survival
	if goal == "" {
		goal = SurvivalZone
	}
	vc := pick(voters, count{n: db.NumVoters, field: "database.", goal: goal})
	rc := pick(replicas, count{n: db.NumReplicas, field: "database.", goal: goal})
	v, r, err := applyCounts(s.NumVoters, s.NumReplicas, false, vc, rc)
	if err != nil {
		return err
	}
	s.NumVoters, s.NumReplicas = v, r
	if err := s.validate(); err != nil {
		return fmt.Errorf("%snum_voters: %d: %w: %w", vc.field, v, ErrReplicaCount, err)
	}
	return nil
}

// homedSpec synthesises the zone config of data homed in home
// (zoneConfigForMultiRegionDatabase / ZoneConfigForMultiRegionTable):
// replica counts, one replica per region under DEFAULT placement, voter
// constraints and lease preferences for home (and secondary, if set).
func homedSpec(db Database, home, secondary string) Spec {
	numVoters, numReplicas := NumVotersAndReplicas(db)
	s := Spec{NumReplicas: numReplicas, NumVoters: numVoters, Home: home}
	if db.Placement != PlacementRestricted {
		s.Constraints = make([]Constraint, len(db.Regions))
		for i, r := range db.Regions {
			s.Constraints[i] = Constraint{Region: r, NumReplicas: 1}
		}
	}
	s.VoterConstraints = voterConstraints(db, home, numVoters)
	s.LeasePreferences = []string{home}
	if secondary != "" && secondary != home {
		s.LeasePreferences = append(s.LeasePreferences, secondary)
	}
	return s
}

// voterConstraints is SynthesizeVoterConstraints
// (pkg/sql/regions/region_util.go): ZONE puts every voter in home; REGION
// puts MaxFailuresBeforeUnavailability(numVoters) of them in home, and as
// many in the secondary region if there is one. numVoters is the
// survival goal's count, not an override's.
func voterConstraints(db Database, home string, numVoters int) []Constraint {
	if db.Survival != SurvivalRegion {
		return []Constraint{{Region: home}}
	}
	k := MaxFailuresBeforeUnavailability(numVoters)
	cs := []Constraint{{Region: home, NumReplicas: k}}
	if db.Secondary != "" && db.Secondary != home {
		cs = append(cs, Constraint{Region: db.Secondary, NumReplicas: k})
	}
	return cs
}

// superRegionSpec synthesises the zone config of a REGIONAL BY TABLE table
// or REGIONAL BY ROW partition homed in home, a member of the super region
// whose regions (sorted) are regions, as AddConstraintsForSuperRegion does
// (pkg/sql/regions/region_util.go): the counts are those of a database made
// of the super region's regions only; num_replicas are spread over them by
// distributeReplicas, so no replica leaves the super region; voter
// constraints and lease preferences are home's, and the secondary region's
// only if it lies inside the super region (SecondaryRegionOutsideSuperRegion).
func superRegionSpec(db Database, home string, regions []string, voters, replicas *int) (Spec, error) {
	sr := db
	sr.Regions = regions
	if !slices.Contains(regions, db.Secondary) {
		// Simplification: CockroachDB's WithRegions keeps the secondary
		// region (and its +1 replica) in the count; validation only lets a
		// secondary outside the super region exist when the primary is
		// outside too, so this touches tables homed away from the primary.
		sr.Secondary = ""
	}
	s := homedSpec(sr, home, sr.Secondary)
	s.Constraints = nil
	if err := s.applyOverrides(db, voters, replicas); err != nil {
		return Spec{}, err
	}
	minHome := 0
	if db.Survival != SurvivalRegion {
		// ZONE: every voter is in home, so home needs num_voters replicas
		// and the rest go to the other regions (with the override's
		// voters, where CockroachDB would reserve the goal's 3 and
		// over-constrain; see docs/decisions.md).
		minHome = s.NumVoters
	}
	s.Constraints = distributeReplicas(s.NumReplicas, regions, home, minHome)
	return s, s.validate()
}

// distributeReplicas spreads n replicas over regions as constraints, every
// one of them inside regions, the way CockroachDB's
// distributeReplicasAcrossRegions (pkg/sql/regions/region_util.go) does:
// with minHome > 0, home gets min(minHome, n) and the rest are spread
// evenly over the other regions, the first ones in regions order getting
// one more; otherwise n is spread evenly over all of them, home first in
// line for the remainder, then the others in order. Regions that get no
// replica get no constraint.
func distributeReplicas(n int, regions []string, home string, minHome int) []Constraint {
	per := make(map[string]int, len(regions))
	others := make([]string, 0, len(regions))
	for _, r := range regions {
		if r != home {
			others = append(others, r)
		}
	}
	spread := func(n int, over []string) {
		if len(over) == 0 {
			return
		}
		for i, r := range over {
			per[r] += n / len(over)
			if i < n%len(over) {
				per[r]++
			}
		}
	}
	if minHome > 0 {
		per[home] = min(minHome, n)
		spread(n-per[home], others)
	} else {
		spread(n, append([]string{home}, others...))
	}
	var cs []Constraint
	for _, r := range regions {
		if per[r] > 0 {
			cs = append(cs, Constraint{Region: r, NumReplicas: per[r]})
		}
	}
	return cs
}
