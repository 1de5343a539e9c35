package placement

import (
	"fmt"
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
// empty region names. Errors wrap ErrInvalid.
func (s Spec) Validate() error { return prefix(s.validate()) }

func (s Spec) validate() error {
	if s.NumVoters < 1 || s.NumVoters > s.NumReplicas {
		return fmt.Errorf("spec: %w num_voters=%d with num_replicas=%d (want 1 <= num_voters <= num_replicas)",
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
		return fmt.Errorf("spec: %s: %w: constraints require %d replicas, only %d", field, ErrInvalid, sum, n)
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
	s, err := specFor(db, loc, home)
	return s, prefix(err)
}

func specFor(db Database, loc Locality, home string) (Spec, error) {
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
		return Spec{NumReplicas: numReplicasDefault, NumVoters: numReplicasDefault}, nil
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
	switch loc {
	case LocalityRegionalByTable, LocalityRegionalByRow:
		// RBT IN PRIMARY inherits the database zone config; RBT IN R and
		// every RBR partition set num_voters, voter_constraints and
		// lease_preferences for their region and inherit num_replicas and
		// constraints — which is the same synthesis with another home.
		return homedSpec(db, home, db.Secondary), nil
	case LocalityGlobal:
		if home != db.Primary {
			return Spec{}, fmt.Errorf("home_region: %q %w %q (GLOBAL tables live in the primary region %q)",
				home, ErrHomeRegionNotAllowed, loc, db.Primary)
		}
		s := homedSpec(db, home, db.Secondary)
		if db.Placement == PlacementRestricted {
			// GLOBAL builds a DEFAULT-placement config of its own so that it
			// keeps a replica in every region, with lease preferences for
			// the primary region only (ZoneConfigForMultiRegionTable).
			dflt := db
			dflt.Placement = PlacementDefault
			s = homedSpec(dflt, home, "")
		}
		s.GlobalReads = true
		return s, nil
	}
	return Spec{}, fmt.Errorf("locality: %w %q", ErrUnknownValue, loc) // unreachable: parsed above
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
	if db.Survival == SurvivalRegion {
		k := MaxFailuresBeforeUnavailability(numVoters)
		s.VoterConstraints = []Constraint{{Region: home, NumReplicas: k}}
		if db.Secondary != "" && db.Secondary != home {
			s.VoterConstraints = append(s.VoterConstraints, Constraint{Region: db.Secondary, NumReplicas: k})
		}
	} else {
		s.VoterConstraints = []Constraint{{Region: home}}
	}
	s.LeasePreferences = []string{home}
	if secondary != "" && secondary != home {
		s.LeasePreferences = append(s.LeasePreferences, secondary)
	}
	return s
}
