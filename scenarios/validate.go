package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios/egress"
	"github.com/regionsim/regionsim/topology"
)

// Validate checks every field of s and builds its cluster (topology.Build),
// kept for Cluster. It does not fill defaults (ApplyDefaults does). The
// first problem is returned as an *Error wrapping ErrInvalid whose message
// names the field path and the value, e.g.
// `scenarios: users.yaml: workload[0].mix.reed: unknown op "reed" (…)`.
// Errors of the topology, cockroach and database sections come from
// topology.Config/Build, raft.Config.Validate and placement and keep their
// sentinels (errors.Is(err, placement.ErrTooFewRegions)).
func (s *Scenario) Validate() error {
	s.cluster = nil
	c, err := s.validate()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Err: err}
		}
		if e.Source == "" {
			e.Source = s.source
		}
		return e
	}
	s.cluster = c
	return nil
}

// ErrEndsAfterRun is wrapped by the error of a fault that ends after the
// run (warmup + duration), so that a caller that changed the duration can
// say how long the faults need.
var ErrEndsAfterRun = errors.New("ends after the run")

// FaultsEnd returns when the last of s's faults ends (at + for), since the
// start of the run; 0 without faults. O(faults).
func (s *Scenario) FaultsEnd() time.Duration {
	var end time.Duration
	for _, f := range s.Faults {
		end = max(end, f.At+f.For)
	}
	return end
}

// fieldErr returns an *Error for field.
func fieldErr(field, format string, args ...any) error {
	return &Error{Field: field, Err: fmt.Errorf(format, args...)}
}

// delegated is an error from another package whose message already names
// the field; its package prefix is dropped from the message but the chain
// is kept.
type delegated struct {
	msg string
	err error
}

func (d *delegated) Error() string { return d.msg }
func (d *delegated) Unwrap() error { return d.err }

// wrapDelegated wraps err, whose message starts with the field path after
// an optional "prefix: ", under field (may be empty).
func wrapDelegated(field, prefix string, err error) error {
	return &Error{Field: field, Err: &delegated{msg: strings.TrimPrefix(err.Error(), prefix+": "), err: err}}
}

func (s *Scenario) validate() (*topology.Cluster, error) {
	if s.SQL != "" {
		return nil, fieldErr("sql", "%q: a DDL file is read by Load and Parse (which replace it by its database and tables), not by Validate", s.SQL)
	}
	if err := checkDuration("duration", s.Duration, false); err != nil {
		return nil, err
	}
	if err := checkDuration("warmup", s.Warmup, true); err != nil {
		return nil, err
	}
	if err := s.Topology.Validate(); err != nil {
		return nil, wrapDelegated("", "", err)
	}
	c, err := topology.Build(s.Topology)
	if err != nil {
		return nil, wrapDelegated("", "", err)
	}
	if err := s.Cockroach.Validate(); err != nil {
		return nil, wrapDelegated("", "", err)
	}
	if err := checkNodeNames(c, "cockroach.liveness_nodes", s.Cockroach.LivenessNodes); err != nil {
		return nil, err
	}
	if s.Provider != "" && !egress.Known(s.Provider) {
		return nil, fieldErr("provider", "unknown %q (want one of %s)", s.Provider, strings.Join(egress.Providers(), ", "))
	}
	db, err := s.validateDatabase(c)
	if err != nil {
		return nil, err
	}
	for i := range s.Tables {
		if err := s.validateTable(i, c, db); err != nil {
			return nil, err
		}
	}
	for i := range s.Workload {
		if err := s.validateWorkload(i, c, db); err != nil {
			return nil, err
		}
	}
	for i := range s.Faults {
		if err := s.validateFault(i, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// checkDuration checks a duration field against [0 or 1ns, MaxDuration].
func checkDuration(field string, d time.Duration, zeroOK bool) error {
	switch {
	case d < 0 || (d == 0 && !zeroOK):
		want := "> 0"
		if zeroOK {
			want = ">= 0"
		}
		return fieldErr(field, "%v (want %s)", d, want)
	case d > MaxDuration:
		return fieldErr(field, "%v exceeds the limit of %v", d, MaxDuration)
	}
	return nil
}

// end returns the simulated length of the run, warmup included.
func (s *Scenario) end() time.Duration { return s.Warmup + s.Duration }

func regionNames(c *topology.Cluster) []string {
	out := make([]string, len(c.Regions))
	for i, r := range c.Regions {
		out[i] = r.Name
	}
	return out
}

// validateDatabase checks the database section against the cluster and
// returns it with its regions resolved.
func (s *Scenario) validateDatabase(c *topology.Cluster) (placement.Database, error) {
	for i, r := range s.Database.Regions {
		if r != "" && c.RegionIndex(r) < 0 {
			return placement.Database{}, fieldErr(fmt.Sprintf("database.regions[%d]", i),
				"unknown region %q (topology regions %v)", r, regionNames(c))
		}
	}
	db := s.Database.WithClusterRegions(c)
	if err := db.Validate(); err != nil {
		return db, wrapDelegated("", "placement", err)
	}
	return db, nil
}

func (s *Scenario) validateTable(i int, c *topology.Cluster, db placement.Database) error {
	t := s.Tables[i]
	path := fmt.Sprintf("tables[%d]", i)
	f := func(field string) string { return path + "." + field }
	if t.Name == "" {
		return fieldErr(f("name"), "empty (a table needs a name)")
	}
	for j := range i {
		if s.Tables[j].Name == t.Name {
			return fieldErr(f("name"), "%q is used twice (also tables[%d])", t.Name, j)
		}
	}
	if err := checkNodeNames(c, f("nodes"), t.Nodes); err != nil {
		return err
	}
	loc, err := placement.ParseLocality(string(t.Locality))
	if err != nil {
		return fieldErr(f("locality"), "unknown %q (want regional-by-table, regional-by-row, global or none)", t.Locality)
	}
	if loc == "" {
		loc = placement.LocalityNone
		if db.MultiRegion() {
			loc = placement.LocalityRegionalByTable
		}
	}
	if loc != placement.LocalityNone && !db.MultiRegion() {
		return fieldErr(f("locality"), "%q needs a multi-region database (database.primary_region is empty)", loc)
	}
	if t.HomeRegion != "" {
		if loc != placement.LocalityRegionalByTable {
			return fieldErr(f("home_region"), "%q is only for regional-by-table tables (locality %q)", t.HomeRegion, loc)
		}
		if !db.HasRegion(t.HomeRegion) {
			return fieldErr(f("home_region"), "unknown region %q (database regions %v)", t.HomeRegion, db.Regions)
		}
	}
	if t.Ranges < 0 || t.Ranges > MaxRanges {
		return fieldErr(f("ranges"), "%d is out of range [0, %d]", t.Ranges, MaxRanges)
	}
	if t.Rows < 1 || t.Rows > MaxRows {
		return fieldErr(f("rows"), "%d is out of range [1, %d]", t.Rows, MaxRows)
	}
	if t.RangeBytes < 0 || t.RangeBytes > MaxRangeBytes {
		return fieldErr(f("range_bytes"), "%d is out of range [0, %d]", t.RangeBytes, int64(MaxRangeBytes))
	}
	ranges := max(t.Ranges, 1)
	if loc == placement.LocalityRegionalByRow {
		ranges = max(ranges, len(db.Regions))
	}
	if t.TxnRanges < 1 || t.TxnRanges > min(MaxTxnRanges, ranges) {
		return fieldErr(f("txn_ranges"), "%d is out of range [1, %d] (the table has %d ranges)",
			t.TxnRanges, min(MaxTxnRanges, ranges), ranges)
	}
	if loc == placement.LocalityRegionalByRow {
		if err := validateRBR(t, path, db); err != nil {
			return err
		}
	} else {
		for _, field := range []struct {
			name string
			set  bool
		}{
			{"row_regions", t.RowRegions != nil},
			{"cities", t.Cities != nil},
			{"city_regions", t.CityRegions != nil},
			{"default_region", t.DefaultRegion != ""},
			{"primary_key", t.PrimaryKey != ""},
			{"lookup", t.Lookup != ""},
		} {
			if field.set {
				return fieldErr(f(field.name), "only for regional-by-row tables (locality %q)", loc)
			}
		}
	}
	// The placement package's own checks, then one allocation per distinct
	// home so that a cluster too small for the spec fails here rather than
	// in the runner.
	ts := t.TableSpec(c)
	if err := ts.Validate(db); err != nil {
		if errors.Is(err, placement.ErrReplicaCount) {
			// The table's num_voters or num_replicas (or the database's,
			// whose message names it already).
			msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("placement: table %q: ", t.Name))
			if !strings.HasPrefix(msg, "database.") {
				msg = path + "." + msg
			}
			return &Error{Err: &delegated{msg: msg, err: err}}
		}
		return wrapDelegated(path, "placement", err)
	}
	homes := []string{t.HomeRegion}
	if loc == placement.LocalityRegionalByRow {
		homes = db.Regions
	}
	r := rand.New(rand.NewPCG(s.Seed, uint64(i)))
	for _, home := range homes {
		spec, err := ts.Spec(db, home)
		if err != nil {
			return wrapDelegated(path, "placement", err)
		}
		if _, err := placement.Allocate(c, spec, r, nil); err != nil {
			where := "a range"
			if spec.Home != "" {
				where = "a range homed in " + spec.Home
			}
			msg := "cannot place " + where + ": " + strings.TrimPrefix(err.Error(), "placement: ")
			return &Error{Field: path, Err: &delegated{msg: msg, err: err}}
		}
	}
	return nil
}

// validateRBR checks the regional-by-row fields of t.
func validateRBR(t Table, path string, db placement.Database) error {
	f := func(field string) string { return path + "." + field }
	if !slices.Contains(PrimaryKeys, t.PrimaryKey) {
		return fieldErr(f("primary_key"), "unknown %q (want one of %s)", t.PrimaryKey, strings.Join(PrimaryKeys, ", "))
	}
	if !slices.Contains(Lookups, t.Lookup) {
		return fieldErr(f("lookup"), "unknown %q (want one of %s)", t.Lookup, strings.Join(Lookups, ", "))
	}
	unknownRegion := func(field, r string) error {
		return fieldErr(field, "unknown region %q (database regions %v)", r, db.Regions)
	}
	if t.RowRegions != nil {
		if t.Cities != nil || t.CityRegions != nil || t.DefaultRegion != "" {
			return fieldErr(f("row_regions"), "cannot be combined with cities, city_regions or default_region")
		}
		if len(t.RowRegions) == 0 {
			return fieldErr(f("row_regions"), "empty (omit it for equal shares)")
		}
		sum := 0.0
		for _, r := range slices.Sorted(maps.Keys(t.RowRegions)) {
			v := t.RowRegions[r]
			if !db.HasRegion(r) {
				return unknownRegion(f("row_regions."+r), r)
			}
			if !(v >= 0 && v <= 1) {
				return fieldErr(f("row_regions."+r), "share %v is out of range [0, 1]", v)
			}
			sum += v
		}
		if math.Abs(sum-1) > ShareTolerance {
			return fieldErr(f("row_regions"), "shares sum to %v (want 1)", sum)
		}
		return nil
	}
	if t.Cities == nil {
		if t.CityRegions != nil || t.DefaultRegion != "" {
			return fieldErr(f("cities"), "missing (city_regions and default_region need rows per city)")
		}
		return nil
	}
	for _, city := range slices.Sorted(maps.Keys(t.CityRegions)) {
		if r := t.CityRegions[city]; !db.HasRegion(r) {
			return unknownRegion(f("city_regions."+city), r)
		}
	}
	if t.DefaultRegion != "" && !db.HasRegion(t.DefaultRegion) {
		return unknownRegion(f("default_region"), t.DefaultRegion)
	}
	var sum int64
	for _, city := range slices.Sorted(maps.Keys(t.Cities)) {
		n := t.Cities[city]
		if n < 0 || n > MaxRows {
			return fieldErr(f("cities."+city), "%d rows is out of range [0, %d]", n, MaxRows)
		}
		if t.CityRegion(city) == "" {
			return fieldErr(f("cities."+city), "no region: the city is not in city_regions and default_region is empty")
		}
		sum += n
		if sum > MaxRows {
			return fieldErr(f("cities"), "more than %d rows in all", int64(MaxRows))
		}
	}
	if sum == 0 {
		return fieldErr(f("cities"), "no rows (want at least one city with rows > 0)")
	}
	return nil
}

func (s *Scenario) validateWorkload(i int, c *topology.Cluster, db placement.Database) error {
	w := s.Workload[i]
	path := fmt.Sprintf("workload[%d]", i)
	f := func(field string) string { return path + "." + field }
	if w.Region == "" {
		return fieldErr(f("region"), "missing (the clients' region)")
	}
	if c.RegionIndex(w.Region) < 0 {
		return fieldErr(f("region"), "unknown region %q (topology regions %v)", w.Region, regionNames(c))
	}
	if err := checkNodeNames(c, f("gateways"), w.Gateways); err != nil {
		return err
	}
	if w.ValueBytes < 0 || w.ValueBytes > MaxValueBytes {
		return fieldErr(f("value_bytes"), "%d is out of range [0, %d]", w.ValueBytes, MaxValueBytes)
	}
	if a := w.App; a != nil {
		if a.Region != "" && c.RegionIndex(a.Region) < 0 {
			return fieldErr(f("app.region"), "unknown region %q (topology regions %v)", a.Region, regionNames(c))
		}
		if a.ClientRTT < 0 || a.ClientRTT > MaxDuration {
			return fieldErr(f("app.client_rtt"), "%v is out of range [0s, %v]", a.ClientRTT, time.Duration(MaxDuration))
		}
	}
	if w.Gateway != "" && !slices.Contains(GatewayModes, w.Gateway) {
		return fieldErr(f("gateway"), "unknown %q (want one of %v)", w.Gateway, GatewayModes)
	}
	if w.Gateway == GatewayAny && len(w.Gateways) > 0 {
		return fieldErr(f("gateway"), "%q draws from the whole cluster, but gateways names %v (leave one out)", w.Gateway, w.Gateways)
	}
	for j, name := range w.Gateways {
		id, _ := nodeID(c, name)
		if r := c.Nodes[id].Region; r != c.RegionIndex(w.DBRegion()) {
			where := "the workload's region"
			if w.DBRegion() != w.Region {
				where = "the app's region"
			}
			return fieldErr(fmt.Sprintf("%s[%d]", f("gateways"), j), "%q is in %s, not in %s %s",
				name, c.Regions[r].Name, where, w.DBRegion())
		}
	}
	if w.Table == "" {
		return fieldErr(f("table"), "missing (the table the requests go to)")
	}
	ti := s.TableIndex(w.Table)
	if ti < 0 {
		names := make([]string, len(s.Tables))
		for j, t := range s.Tables {
			names[j] = t.Name
		}
		return fieldErr(f("table"), "unknown table %q (tables %v)", w.Table, names)
	}
	t := s.Tables[ti]
	if err := checkRate(f("rate"), w.Rate); err != nil {
		return err
	}
	rate, schedule := w.Rate, w.Schedule
	if w.Profile != nil {
		if err := w.Profile.validate(f("profile"), w); err != nil {
			return err
		}
		var err error
		if rate, schedule, err = w.RateSchedule(s.end()); err != nil {
			return fieldErr(f("profile"), "%v", err)
		}
	}
	positive := rate > 0
	var last time.Duration
	for j, st := range schedule {
		sp := fmt.Sprintf("%s.schedule[%d]", path, j)
		switch {
		case st.At < 0:
			return fieldErr(sp+".at", "%v (want >= 0)", st.At)
		case j > 0 && st.At <= last:
			return fieldErr(sp+".at", "%v is not after schedule[%d].at %v", st.At, j-1, last)
		case st.At > s.end():
			return fieldErr(sp+".at", "%v is after the end of the run (warmup %v + duration %v)", st.At, s.Warmup, s.Duration)
		}
		last = st.At
		if err := checkRate(sp+".rate", st.Rate); err != nil {
			return err
		}
		positive = positive || st.Rate > 0
	}
	if !positive {
		return fieldErr(f("rate"), "%v (want > 0, or a schedule step with a rate > 0)", w.Rate)
	}
	if len(w.Mix) == 0 {
		return fieldErr(f("mix"), "empty (want op shares, e.g. {read: 1})")
	}
	sum := 0.0
	for _, name := range slices.Sorted(maps.Keys(w.Mix)) {
		if _, err := raft.ParseOp(name); err != nil {
			return fieldErr(f("mix."+name), "%w", err)
		}
		v := w.Mix[name]
		if !(v >= 0 && v <= 1) {
			return fieldErr(f("mix."+name), "share %v is out of range [0, 1]", v)
		}
		sum += v
	}
	if math.Abs(sum-1) > ShareTolerance {
		return fieldErr(f("mix"), "shares sum to %v (want 1)", sum)
	}
	if b := w.BoundedRead; b != nil {
		// with_max_staleness refuses a negative interval
		// (followerreads EvalMaxStaleness: "interval duration for
		// with_max_staleness must be greater or equal to 0").
		if b.MaxStaleness < 0 || b.MaxStaleness > MaxDuration {
			return fieldErr(f("bounded_read.max_staleness"), "%v is out of range [0s, %v]", b.MaxStaleness, time.Duration(MaxDuration))
		}
		if w.Mix[raft.OpBoundedRead.String()] == 0 {
			return fieldErr(f("bounded_read"), "set, but mix has no bounded_read share")
		}
	}
	if err := w.validateKeys(f, t); err != nil {
		return err
	}
	if w.LocalRows != nil {
		v := *w.LocalRows
		if t.Locality != placement.LocalityRegionalByRow {
			return fieldErr(f("local_rows"), "only for regional-by-row tables (table %q is %q)", t.Name, t.Locality)
		}
		if !(v >= 0 && v <= 1) {
			return fieldErr(f("local_rows"), "%v is out of range [0, 1]", v)
		}
		share := t.RowShares(db.Regions)[w.Region]
		if v > 0 && share == 0 {
			return fieldErr(f("local_rows"), "%v, but table %q has no rows homed in %s", v, t.Name, w.Region)
		}
		if v < 1 && share >= 1 {
			return fieldErr(f("local_rows"), "%v, but every row of table %q is homed in %s", v, t.Name, w.Region)
		}
	}
	return nil
}

// validateKeys checks w's key set (keys, distribution, zipf_exponent,
// hot_share, hot_keys) against table t; f names a field of the workload.
func (w Workload) validateKeys(f func(string) string, t Table) error {
	if w.Keys == 0 {
		for _, x := range []struct {
			name string
			set  bool
		}{{"distribution", w.Distribution != ""}, {"zipf_exponent", w.ZipfExponent != 0}, {"hot_share", w.HotShare != 0}, {"hot_keys", w.HotKeys != 0}} {
			if x.set {
				return fieldErr(f(x.name), "set, but keys is not (want keys: N, the key set it draws from)")
			}
		}
		return nil
	}
	if w.Keys < 0 || w.Keys > MaxKeys {
		return fieldErr(f("keys"), "%d is out of range [1, %d]", w.Keys, MaxKeys)
	}
	if w.Keys > t.Rows {
		return fieldErr(f("keys"), "%d is more than table %q's %d rows", w.Keys, t.Name, t.Rows)
	}
	if w.Distribution != "" && !slices.Contains(Distributions, w.Distribution) {
		return fieldErr(f("distribution"), "unknown %q (want one of %v)", w.Distribution, Distributions)
	}
	zipf := w.Distribution == DistributionZipf
	if w.ZipfExponent != 0 {
		if !zipf {
			return fieldErr(f("zipf_exponent"), "%v, but distribution is not zipf", w.ZipfExponent)
		}
		// math/rand/v2's Zipf (rejection-inversion) needs s > 1.
		if !(w.ZipfExponent > 1 && w.ZipfExponent <= MaxZipfExponent) {
			return fieldErr(f("zipf_exponent"), "%v is out of range (1, %d]", w.ZipfExponent, MaxZipfExponent)
		}
	}
	if w.HotShare != 0 {
		if zipf {
			return fieldErr(f("hot_share"), "%v, but distribution zipf has its own hot keys (leave one out)", w.HotShare)
		}
		if !(w.HotShare > 0 && w.HotShare <= 1) {
			return fieldErr(f("hot_share"), "%v is out of range (0, 1]", w.HotShare)
		}
	}
	if w.HotKeys != 0 {
		if w.HotShare == 0 {
			return fieldErr(f("hot_keys"), "%d, but hot_share is not set", w.HotKeys)
		}
		top := w.Keys - 1
		if w.HotShare == 1 {
			top = w.Keys
		}
		if w.HotKeys < 1 || w.HotKeys > top {
			return fieldErr(f("hot_keys"), "%d is out of range [1, %d] (keys %d, hot_share %v)", w.HotKeys, top, w.Keys, w.HotShare)
		}
	}
	if w.HotShare != 0 && w.HotShare < 1 && w.Keys < 2 {
		return fieldErr(f("hot_share"), "%v, but keys %d leaves no key outside the hot set", w.HotShare, w.Keys)
	}
	return nil
}

// checkRate checks a request rate against [0, MaxRate].
func checkRate(field string, v float64) error {
	if !(v >= 0 && v <= MaxRate) {
		return fieldErr(field, "%v is out of range [0, %v] requests/s", v, float64(MaxRate))
	}
	return nil
}

func (s *Scenario) validateFault(i int, c *topology.Cluster) error {
	ft := s.Faults[i]
	path := fmt.Sprintf("faults[%d]", i)
	f := func(field string) string { return path + "." + field }
	if !slices.Contains(FaultKinds, ft.Kind) {
		return fieldErr(f("kind"), "unknown %q (want one of %s)", ft.Kind, strings.Join(FaultKinds, ", "))
	}
	if err := checkDuration(f("at"), ft.At, true); err != nil {
		return err
	}
	if err := checkDuration(f("for"), ft.For, false); err != nil {
		return err
	}
	if ft.At+ft.For > s.end() {
		return fieldErr(f("for"), "%v from at %v %w (warmup %v + duration %v)",
			ft.For, ft.At, ErrEndsAfterRun, s.Warmup, s.Duration)
	}
	if ft.Mode != "" && !slices.Contains(FaultModes, ft.Mode) {
		return fieldErr(f("mode"), "unknown %q (want %s)", ft.Mode, strings.Join(FaultModes, " or "))
	}
	if ft.Kind != FaultPartition {
		switch {
		case ft.Between != nil:
			return fieldErr(f("between"), "only for kind partition (kind %q uses target)", ft.Kind)
		case ft.OneWay:
			return fieldErr(f("one_way"), "only for kind partition (kind %q)", ft.Kind)
		case ft.Target == "":
			return fieldErr(f("target"), "missing (the %s that fails)", ft.Kind)
		}
		var ok bool
		var known string
		switch ft.Kind {
		case FaultNode:
			_, ok = nodeID(c, ft.Target)
			known = fmt.Sprintf("n1…n%d", len(c.Nodes))
		case FaultZone:
			ok = c.ZoneIndex(ft.Target) >= 0
			names := make([]string, len(c.Zones))
			for j, z := range c.Zones {
				names[j] = z.Name
			}
			known = strings.Join(names, ", ")
		case FaultRegion:
			ok = c.RegionIndex(ft.Target) >= 0
			known = strings.Join(regionNames(c), ", ")
		}
		if !ok {
			return fieldErr(f("target"), "unknown %s %q (want one of %s)", ft.Kind, ft.Target, known)
		}
		return nil
	}
	if ft.Mode != "" {
		return fieldErr(f("mode"), "only for kinds node, zone and region (a partition always drops messages silently, like a blackhole)")
	}
	if ft.Target != "" {
		return fieldErr(f("target"), "%q is not used by kind partition (use between)", ft.Target)
	}
	if len(ft.Between) != 2 {
		return fieldErr(f("between"), "%d groups (want 2: [[regions, zones or nodes], [...]])", len(ft.Between))
	}
	owner := make(map[topology.NodeID]string)
	for g, group := range ft.Between {
		gp := fmt.Sprintf("%s.between[%d]", path, g)
		if len(group) == 0 {
			return fieldErr(gp, "empty group")
		}
		for k, name := range group {
			ep := fmt.Sprintf("%s[%d]", gp, k)
			if slices.Contains(group[:k], name) {
				return fieldErr(ep, "%q is listed twice", name)
			}
			nodes, ok := groupNodes(c, name)
			if !ok {
				return fieldErr(ep, "unknown region, zone or node %q", name)
			}
			for _, n := range nodes {
				if other, dup := owner[n]; dup && !strings.HasPrefix(other, gp+"[") {
					return fieldErr(ep, "%q overlaps %s (both hold %v)", name, other, n)
				}
				owner[n] = ep
			}
		}
	}
	return nil
}

// checkNodeNames checks a list of node names: each a node of c, none twice.
func checkNodeNames(c *topology.Cluster, field string, names []string) error {
	for j, name := range names {
		if _, ok := nodeID(c, name); !ok {
			return fieldErr(fmt.Sprintf("%s[%d]", field, j), "unknown node %q (want one of n1…n%d)", name, len(c.Nodes))
		}
		for k := range j {
			if names[k] == name {
				return fieldErr(fmt.Sprintf("%s[%d]", field, j), "%q is listed twice", name)
			}
		}
	}
	return nil
}

// nodeID parses a node name "n1".."nN" of c.
func nodeID(c *topology.Cluster, name string) (topology.NodeID, bool) { return c.NodeByName(name) }

// groupNodes returns the nodes of a region, zone or node named name.
func groupNodes(c *topology.Cluster, name string) ([]topology.NodeID, bool) {
	if r := c.RegionIndex(name); r >= 0 {
		return c.RegionNodes(r), true
	}
	if z := c.ZoneIndex(name); z >= 0 {
		return c.Zones[z].Nodes, true
	}
	if id, ok := nodeID(c, name); ok {
		return []topology.NodeID{id}, true
	}
	return nil, false
}
