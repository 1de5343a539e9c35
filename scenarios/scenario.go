package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/topology"
)

// Defaults of the scenario model (DESIGN.md "Scenario file").
const (
	// DefaultSeed is the seed of a scenario that names none.
	DefaultSeed uint64 = 1
	// DefaultDuration is the measured simulated time of a scenario.
	DefaultDuration = 60 * time.Second
	// DefaultWarmup is the simulated time run before measuring.
	DefaultWarmup = 10 * time.Second
	// DefaultRanges is the range count of a table without `ranges`.
	DefaultRanges = 10
	// DefaultRows is the row count (the key space requests draw from) of a
	// table without `rows` or `cities`.
	DefaultRows = 10000
	// DefaultTxnRanges is how many ranges one `txn` op writes, capped at the
	// table's range count.
	DefaultTxnRanges = 3
	// DefaultValueBytes is the size of a row's value for a workload
	// without `value_bytes` (#14: "value_bytes, default 256").
	DefaultValueBytes = 256
)

// Limits that keep a scenario within what one run can hold; Validate
// rejects values beyond them.
const (
	// MaxDuration bounds duration, warmup and every `at`/`for` (one
	// simulated year, far below time.Duration's 292-year range, so sums
	// cannot overflow).
	MaxDuration = 365 * 24 * time.Hour
	// MaxRanges bounds a table's range count.
	MaxRanges = 100_000
	// MaxRows bounds a table's row count.
	MaxRows = 1_000_000_000_000
	// MaxTxnRanges bounds how many ranges one txn op writes.
	MaxTxnRanges = 64
	// MaxValueBytes bounds a workload's value_bytes: kv.raft.command.max_size
	// (64 MiB) refuses a larger Raft command.
	MaxValueBytes = 64 << 20
	// MaxRangeBytes bounds a table's range_bytes (1 TiB).
	MaxRangeBytes = 1 << 40
	// MaxRate bounds the request rate of one workload entry, requests/s.
	MaxRate = 10_000_000
	// ShareTolerance is how far shares (mix, row_regions) may sum from 1.
	ShareTolerance = 1e-9
)

// Primary-key kinds of Table.PrimaryKey: whether an INSERT into a
// REGIONAL BY ROW table pays uniqueness checks in every other region
// (reference §7).
const (
	// PrimaryKeyPlain is a key whose uniqueness CockroachDB must check in
	// every region: crdb_region is not part of it and it is not a
	// gen_random_uuid() UUID.
	PrimaryKeyPlain = "plain"
	// PrimaryKeyRandomUUID is a UUID key filled by gen_random_uuid(): exempt
	// from uniqueness checks.
	PrimaryKeyRandomUUID = "gen_random_uuid"
	// PrimaryKeyRegionInKey is a key that includes crdb_region: exempt.
	PrimaryKeyRegionInKey = "region_in_key"
	// PrimaryKeyComputedRegion is a key from which crdb_region is computed:
	// exempt.
	PrimaryKeyComputedRegion = "computed_region"
)

// PrimaryKeys lists the valid Table.PrimaryKey values.
var PrimaryKeys = []string{PrimaryKeyPlain, PrimaryKeyRandomUUID, PrimaryKeyRegionInKey, PrimaryKeyComputedRegion}

// Lookup kinds of Table.Lookup: how a point lookup into a REGIONAL BY ROW
// table finds the row's partition (reference §7).
const (
	// LookupLOS: the query names only the key, so the optimizer uses
	// locality-optimized search: the gateway region's partition first, then
	// every other partition in parallel if the row is not local.
	LookupLOS = "los"
	// LookupRegion: the query names the row's region (crdb_region = …), so
	// it goes straight to the row's partition.
	LookupRegion = "region"
)

// Lookups lists the valid Table.Lookup values.
var Lookups = []string{LookupLOS, LookupRegion}

// Fault kinds of Fault.Kind.
const (
	// FaultNode stops one node (Target "n3").
	FaultNode = "node"
	// FaultZone stops every node of one zone (Target "us-east1-b").
	FaultZone = "zone"
	// FaultRegion stops every node of one region (Target "us-east1").
	FaultRegion = "region"
	// FaultPartition cuts the links between two groups (Between).
	FaultPartition = "partition"
)

// FaultKinds lists the valid Fault.Kind values.
var FaultKinds = []string{FaultNode, FaultZone, FaultRegion, FaultPartition}

// Scenario is one simulation set-up: a scenario file or built-in after
// decoding. It is plain data; Parse and Load fill defaults and validate it,
// and Validate builds its cluster (see Cluster).
//
// Every time field (Duration, Warmup, Schedule and Fault times) is simulated
// time; `at` times count from the start of the run, warmup included.
type Scenario struct {
	// Name identifies the scenario in results; Load defaults it to the
	// built-in name or the file's base name.
	Name string `yaml:"name"`
	// Description is one line for `regionsim scenarios`.
	Description string `yaml:"description"`
	// Seed seeds every random stream of a run.
	Seed uint64 `yaml:"seed"`
	// Duration is the measured simulated time, after Warmup; > 0.
	Duration time.Duration `yaml:"duration"`
	// Warmup is the simulated time run before measuring; >= 0.
	Warmup time.Duration `yaml:"warmup"`
	// Topology is the `topology:` section.
	Topology topology.Config `yaml:"topology"`
	// Cockroach is the `cockroach:` section.
	Cockroach raft.Config `yaml:"cockroach"`
	// SQL is the path of a file of CockroachDB multi-region DDL (package
	// scenarios/ddl), relative to the scenario file, that declares the
	// database and the tables' placement in place of the `database:`
	// section (which must then be absent) and of the tables' locality,
	// home_region, city_regions and default_region. Entries of `tables:`
	// name a table of the DDL and add what DDL does not say (ranges, rows,
	// cities, …). Load reads the file and replaces SQL by what it declares,
	// so a loaded scenario has SQL empty and is written back out whole.
	SQL string `yaml:"sql"`
	// Database is the `database:` section. Empty Regions means every
	// topology region (see ResolvedDatabase); empty Primary (after
	// ApplyDefaults) means a database without multi-region SQL.
	Database placement.Database `yaml:"database"`
	// Tables are the simulated tables; names are unique.
	Tables []Table `yaml:"tables"`
	// Workload are the client populations; several entries may share a
	// region and a table.
	Workload []Workload `yaml:"workload"`
	// Faults are the injected failures (see RaftFaults for how the runner
	// hands them to the failure model).
	Faults []Fault `yaml:"faults"`
	// Provider is the cloud whose egress prices (package egress) turn the
	// run's traffic into dollars: gcp, aws, azure or none. Empty means the
	// cloud whose region names the RTT preset uses (egress.ForPreset):
	// gcp for crdb-demo, roachprod and gcp, aws for aws and seed-blog,
	// azure for azure, none for a CSV file.
	Provider string `yaml:"provider,omitempty"`

	// source names the file or built-in the scenario came from, for errors.
	source string
	// sqlSkipped are the statements of its DDL (sql:) that the reader
	// skipped, as "line N: KIND" (SQLSkipped).
	sqlSkipped []string
	// cluster is the cluster built by the last successful Validate.
	cluster *topology.Cluster
}

// Table is one simulated table: its placement (locality, home region, range
// count) and, for REGIONAL BY ROW, how its rows are homed and keyed.
type Table struct {
	// Name identifies the table; required and unique.
	Name string `yaml:"name"`
	// Locality is the table locality; empty means regional-by-table in a
	// multi-region database, none otherwise (ApplyDefaults resolves it).
	Locality placement.Locality `yaml:"locality"`
	// HomeRegion is the home of a regional-by-table table; empty means the
	// primary region. Only for regional-by-table.
	HomeRegion string `yaml:"home_region"`
	// Ranges is the table's range count; 0 means DefaultRanges. A
	// regional-by-row table has at least one range per database region.
	Ranges int `yaml:"ranges"`
	// Rows is the number of rows, the key space requests draw from (it sets
	// how often GLOBAL reads meet a recent write); 0 means the sum of Cities,
	// or DefaultRows.
	Rows int64 `yaml:"rows"`
	// RowRegions is the share of rows homed in each database region
	// (regional-by-row only); shares are >= 0 and sum to 1. Regions not
	// listed hold no rows. Not with Cities.
	RowRegions map[string]float64 `yaml:"row_regions"`
	// Cities is the number of rows per city (regional-by-row only), for a
	// region column computed from the city (CityRegions, DefaultRegion).
	Cities map[string]int64 `yaml:"cities"`
	// CityRegions maps a city to its database region: the WHEN branches of
	// the computed region column. It may name cities without rows.
	CityRegions map[string]string `yaml:"city_regions"`
	// DefaultRegion is the region of a city that CityRegions does not list:
	// the ELSE branch. Empty means every city in Cities must be listed.
	DefaultRegion string `yaml:"default_region"`
	// PrimaryKey is one of PrimaryKeys (regional-by-row only; default
	// PrimaryKeyPlain): whether inserts pay uniqueness checks.
	PrimaryKey string `yaml:"primary_key"`
	// Lookup is one of Lookups (regional-by-row only; default LookupLOS).
	Lookup string `yaml:"lookup"`
	// TxnRanges is how many ranges one txn op writes; 0 means
	// min(DefaultTxnRanges, Ranges).
	TxnRanges int `yaml:"txn_ranges"`
	// Nodes, if set, are the only nodes ("n4") the table's replicas may be
	// on, like a zone config's per-node constraints in CockroachDB's
	// failover roachtests.
	Nodes []string `yaml:"nodes"`
	// NumVoters, if set, is num_voters of the table's ranges: a table zone
	// config (with override_multi_region_zone_config for a multi-region
	// table), winning over database.num_voters. Voters stay where the
	// survival goal's voter_constraints put them; absent takes the
	// database's.
	NumVoters *int `yaml:"num_voters,omitempty"`
	// NumReplicas, if set, is num_replicas (voters plus non-voters) of the
	// table's ranges, like NumVoters. Absent takes the database's, plus the
	// voters the table's num_voters adds; for locality none without
	// num_voters, every replica is a voter.
	NumReplicas *int `yaml:"num_replicas,omitempty"`
	// RangeBytes is the size of each of the table's ranges in bytes: what
	// a snapshot to a replacement replica moves after a store dies, at
	// kv.snapshot_rebalance.max_rate or the link's bandwidth. 0 means
	// raft.DefaultRangeBytes (64 MiB).
	RangeBytes int64 `yaml:"range_bytes"`
}

// Workload is one population of clients: open-loop Poisson arrivals in one
// region against one table, with an op mix.
type Workload struct {
	// Region is where the clients are; they use gateways in that region
	// (or their app's, App), as Gateway says. Required; a topology region.
	Region string `yaml:"region"`
	// Rate is the arrival rate in requests per second until the first
	// Schedule step; > 0, or 0 if a later step has a positive rate.
	Rate float64 `yaml:"rate"`
	// Table names the table the requests go to; required.
	Table string `yaml:"table"`
	// Mix maps op names (raft.ParseOp spellings) to shares >= 0 summing to
	// 1; empty means {read: 1}.
	Mix map[string]float64 `yaml:"mix"`
	// LocalRows is, for a regional-by-row table, the share of requests for
	// rows homed in the client's region, in [0, 1]; nil means uniform over
	// rows, i.e. the table's row share of Region (see LocalShare).
	LocalRows *float64 `yaml:"local_rows"`
	// Keys, when > 0, concentrates the workload on a key set of that many
	// rows, and models contention on them: key k (0 … Keys-1) is the
	// table's row k, on range k mod R of the R ranges (of the row's
	// partition for regional-by-row) as a hashed primary key spreads rows;
	// requests that name the same row serialise at its leaseholder — a
	// write waits for the row's latch until the writes before it applied,
	// a consistent read for the writes queued before it (docs/model.md
	// "Contention"). Every workload with keys on a table shares its rows
	// 0 … Keys-1. At most the table's rows and 2^30 (MaxKeys). 0 (the
	// default) draws rows uniformly from the whole table and models no
	// contention.
	Keys int64 `yaml:"keys,omitempty"`
	// Distribution is how a keyed workload draws its keys: uniform (the
	// default when empty) or zipf (Distributions). Only with keys.
	Distribution string `yaml:"distribution,omitempty"`
	// ZipfExponent is the exponent s of distribution zipf: key k is drawn
	// with probability proportional to (k+1)^-s, so key 0 is the hottest;
	// > 1 and at most 100 (MaxZipfExponent); 0 means 1.1
	// (DefaultZipfExponent). Only with zipf.
	ZipfExponent float64 `yaml:"zipf_exponent,omitempty"`
	// HotShare is the share of a uniform keyed workload's requests that
	// go to its hot set, keys 0 … HotKeys-1 (uniformly among them); the
	// others go uniformly to the remaining Keys − HotKeys keys. In (0, 1];
	// 0 (the default) means no hot set. Only with keys and a uniform
	// distribution.
	HotShare float64 `yaml:"hot_share,omitempty"`
	// HotKeys is the size of the hot set, in [1, keys) (or up to keys with
	// hot_share 1); 0 means 1: one hot row. Only with hot_share.
	HotKeys int64 `yaml:"hot_keys,omitempty"`
	// Schedule changes Rate over time: each step sets the rate from At on.
	// At strictly increasing, rates >= 0.
	Schedule []Step `yaml:"schedule"`
	// Profile generates the rate over time instead of Rate and Schedule
	// (e.g. follow-the-sun); nil means Rate and Schedule.
	Profile *Profile `yaml:"profile"`
	// Gateways, if set, are the nodes ("n1") the clients connect to,
	// spread evenly; empty means every node of Region (of App.Region with
	// an app). When all of them are down the load balancer falls back to
	// the region's other nodes, then (nearest-healthy) to the nearest
	// region's. Not with gateway: any.
	Gateways []string `yaml:"gateways"`
	// BoundedRead bounds the staleness of the workload's bounded_read ops:
	// `bounded_read: {max_staleness: 10s}` is AS OF SYSTEM TIME
	// with_max_staleness('10s'). Nil means no bound: every bounded_read is
	// served by the nearest replica at its closed timestamp, however old
	// (how regionsim read bounded_read before bounds existed). Only with a
	// bounded_read share in Mix.
	BoundedRead *BoundedRead `yaml:"bounded_read,omitempty"`
	// Gateway is how the clients pick the SQL node they talk to:
	// nearest-healthy (the default, also when empty), local or any; see
	// GatewayModes.
	Gateway string `yaml:"gateway,omitempty"`
	// App puts an application tier between the clients and the database:
	// the clients (in Region) talk to the app, which runs in its own region
	// and sends one statement per request to a gateway chosen from there.
	// Stats stay under Region; each gets the application latency (client
	// <-> app round trip + database latency) beside the database latency.
	// Nil: the clients talk to the database directly.
	App *App `yaml:"app,omitempty"`
	// ValueBytes is the size in bytes of a row's value that the workload
	// writes and reads: a write's statement, its BatchRequest and every
	// Raft copy carry it, a read's response does. 0 means
	// DefaultValueBytes (256).
	ValueBytes int `yaml:"value_bytes"`
}

// Key distributions of Workload.Distribution.
const (
	// DistributionUniform draws every key of the key set alike (or, with
	// hot_share, the hot set's share uniformly over it and the rest
	// uniformly over the other keys).
	DistributionUniform = "uniform"
	// DistributionZipf draws key k with probability proportional to
	// (k+1)^-zipf_exponent (math/rand/v2 Zipf with v = 1,
	// rejection-inversion: constant memory whatever the key count).
	DistributionZipf = "zipf"
)

// Distributions lists the valid Workload.Distribution values.
var Distributions = []string{DistributionUniform, DistributionZipf}

// Bounds and defaults of a keyed workload.
const (
	// MaxKeys bounds Workload.Keys (the model's rows per table, 2^30).
	MaxKeys = 1 << 30
	// DefaultZipfExponent is the zipf exponent when zipf_exponent is left
	// out (key 0 then takes 18 % of the requests to 1000 keys, 12 % of
	// those to 10^6 keys).
	DefaultZipfExponent = 1.1
	// MaxZipfExponent bounds Workload.ZipfExponent; beyond it key 0 takes
	// all but a vanishing share.
	MaxZipfExponent = 100
)

// Gateway modes of Workload.Gateway: how a load balancer picks a gateway.
const (
	// GatewayNearestHealthy: a node of the clients' region (or of the
	// workload's gateways), the clients spread evenly over its zones; when
	// it is down, a live node of that region, else of the nearest region
	// with one (regionsim's only behaviour before the field existed).
	GatewayNearestHealthy = "nearest-healthy"
	// GatewayLocal: as nearest-healthy, but never another region: with no
	// live node in the clients' region the request fails at once (a
	// load balancer that knows only its region's nodes).
	GatewayLocal = "local"
	// GatewayAny: a node drawn uniformly from the whole cluster, without
	// regard to where the clients are (the MovR seed's "requests sent to
	// any server in the deployment"); when it is down, a live node drawn
	// uniformly from the cluster. The client <-> gateway hop then crosses
	// zones and regions.
	GatewayAny = "any"
)

// GatewayModes lists the valid Workload.Gateway values.
var GatewayModes = []string{GatewayNearestHealthy, GatewayLocal, GatewayAny}

// App is a workload's application tier.
type App struct {
	// Region is where the application runs, and so where its database
	// connections come from; empty means the workload's region.
	Region string `yaml:"region,omitempty"`
	// ClientRTT is the round trip between the clients and the
	// application, added to every request's database latency; >= 0,
	// fixed (no jitter).
	ClientRTT time.Duration `yaml:"client_rtt"`
}

// DBRegion returns the region the database connections of w come from:
// its app's region, or its own.
func (w Workload) DBRegion() string {
	if w.App != nil && w.App.Region != "" {
		return w.App.Region
	}
	return w.Region
}

// GatewayMode returns w.Gateway, or GatewayNearestHealthy when empty.
func (w Workload) GatewayMode() string {
	if w.Gateway == "" {
		return GatewayNearestHealthy
	}
	return w.Gateway
}

// BoundedRead is the bound of a workload's bounded-staleness reads,
// CockroachDB's with_max_staleness(max_staleness[, nearest_only]).
type BoundedRead struct {
	// MaxStaleness is how far behind the statement time the read may be:
	// its minimum timestamp bound is statement time − MaxStaleness; >= 0
	// (0s, also when left out, reads at the statement time or later: never
	// at a follower of a non-GLOBAL range). The nearest replica serves the
	// read while its closed timestamp is at or above the bound, otherwise
	// the leaseholder does (or the read fails, with NearestOnly).
	MaxStaleness time.Duration `yaml:"max_staleness"`
	// NearestOnly makes a read its nearest replica cannot serve within the
	// bound fail at once (MinTimestampBoundUnsatisfiableError) instead of
	// going on to the leaseholder; default false.
	NearestOnly bool `yaml:"nearest_only,omitempty"`
}

// Step is one rate change of a Workload's schedule.
type Step struct {
	// At is when the rate changes, since the start of the run.
	At time.Duration `yaml:"at"`
	// Rate is the new arrival rate, requests per second, >= 0.
	Rate float64 `yaml:"rate"`
}

// Fault is one injected failure.
type Fault struct {
	// At is when the fault starts, since the start of the run; >= 0.
	At time.Duration `yaml:"at"`
	// Kind is one of FaultKinds.
	Kind string `yaml:"kind"`
	// Target is the node ("n3"), zone ("us-east1-b") or region that fails,
	// for kinds node, zone and region.
	Target string `yaml:"target"`
	// For is how long the fault lasts; > 0, and At+For lies within the run.
	For time.Duration `yaml:"for"`
	// Between are the two sides of a partition: groups of regions, zones or
	// nodes, non-empty and disjoint.
	Between [][]string `yaml:"between"`
	// OneWay cuts only the direction from Between[0] to Between[1]
	// (partition only).
	OneWay bool `yaml:"one_way"`
	// Mode is how the nodes of a node, zone or region fault fail: one of
	// FaultModes; empty means FaultCrash for a node and FaultBlackhole for
	// a zone or a region (DefaultFaultMode).
	Mode string `yaml:"mode"`
}

// Fault modes: how failed nodes look to their peers (docs/model.md).
const (
	// FaultCrash: the process dies and its host resets connections, so
	// RPCs to it fail after a round trip.
	FaultCrash = "crash"
	// FaultBlackhole: the machine or its network is gone and nothing
	// answers; peers notice when an RPC heartbeat times out.
	FaultBlackhole = "blackhole"
)

// FaultModes lists the fault modes.
var FaultModes = []string{FaultCrash, FaultBlackhole}

// DefaultFaultMode returns the mode of a fault of kind that names none: a
// single node's fault is most often its process crashing or restarting,
// an AZ's or a region's outage takes machines or the network away.
func DefaultFaultMode(kind string) string {
	if kind == FaultNode {
		return FaultCrash
	}
	return FaultBlackhole
}

// OpShare is one op of a mix with its share of requests.
type OpShare struct {
	Op    raft.Op
	Share float64
}

// DefaultScenario returns a scenario with every top-level default: seed 1,
// 60 s measured after 10 s of warmup, topology.DefaultConfig,
// raft.DefaultConfig, and a database with ZONE survival and DEFAULT
// placement (its primary region is chosen by ApplyDefaults). It has no
// tables, workload or faults. Parse decodes a file on top of it, so a field
// the file omits keeps its default and a field the file sets — even to
// zero — keeps the file's value.
func DefaultScenario() *Scenario {
	return &Scenario{
		Seed:      DefaultSeed,
		Duration:  DefaultDuration,
		Warmup:    DefaultWarmup,
		Topology:  topology.DefaultConfig(),
		Cockroach: raft.DefaultConfig(),
		Database: placement.Database{
			Survival:  placement.SurvivalZone,
			Placement: placement.PlacementDefault,
		},
	}
}

// ApplyDefaults fills the defaults that depend on the rest of the scenario
// or that zero cannot mean: the database's survival and placement spellings,
// its primary region (the first topology region, only when the database is
// multi-region: it lists regions or a secondary, asks for REGION survival or
// RESTRICTED placement, or a table has a regional or global locality), each
// table's locality (regional-by-table in a multi-region database, else
// none), ranges, rows, txn_ranges and, for regional-by-row, primary_key and
// lookup, and each workload's mix ({read: 1}). It does not touch seed,
// duration, warmup, topology or cockroach: start from DefaultScenario for
// those. ApplyDefaults is idempotent and never fails; a topology it cannot
// resolve leaves the primary empty for Validate to report.
func (s *Scenario) ApplyDefaults() {
	s.cluster = nil
	db := &s.Database
	if db.Survival == "" {
		db.Survival = placement.SurvivalZone
	}
	if db.Placement == "" {
		db.Placement = placement.PlacementDefault
	}
	if db.Primary == "" && s.wantsMultiRegion() {
		db.Primary = s.firstRegion()
	}
	multi := db.MultiRegion()
	for i := range s.Tables {
		t := &s.Tables[i]
		if t.Locality == "" {
			t.Locality = placement.LocalityNone
			if multi {
				t.Locality = placement.LocalityRegionalByTable
			}
		}
		if t.Ranges == 0 {
			t.Ranges = DefaultRanges
		}
		if t.Rows == 0 {
			t.Rows = DefaultRows
			if sum, ok := cityRowSum(t.Cities); ok && sum > 0 {
				t.Rows = sum
			}
		}
		if t.TxnRanges == 0 {
			t.TxnRanges = max(1, min(DefaultTxnRanges, t.Ranges))
		}
		if t.RangeBytes == 0 {
			t.RangeBytes = raft.DefaultRangeBytes
		}
		if t.Locality == placement.LocalityRegionalByRow {
			if t.PrimaryKey == "" {
				t.PrimaryKey = PrimaryKeyPlain
			}
			if t.Lookup == "" {
				t.Lookup = LookupLOS
			}
		}
	}
	for i := range s.Workload {
		if len(s.Workload[i].Mix) == 0 {
			s.Workload[i].Mix = map[string]float64{raft.OpRead.String(): 1}
		}
		if s.Workload[i].ValueBytes == 0 {
			s.Workload[i].ValueBytes = DefaultValueBytes
		}
	}
}

// wantsMultiRegion reports whether the scenario asks for multi-region SQL
// without naming a primary region (see ApplyDefaults).
func (s *Scenario) wantsMultiRegion() bool {
	db := s.Database
	if len(db.Regions) > 0 || db.Secondary != "" ||
		db.Survival == placement.SurvivalRegion || db.Placement == placement.PlacementRestricted {
		return true
	}
	for _, t := range s.Tables {
		switch t.Locality {
		case placement.LocalityRegionalByTable, placement.LocalityRegionalByRow, placement.LocalityGlobal:
			return true
		}
	}
	return false
}

// firstRegion returns the primary-region default: the first database
// region if the database lists regions, else the first topology region
// (the preset's first default region if topology.regions is empty), or ""
// if the RTT spec cannot be loaded.
func (s *Scenario) firstRegion() string {
	if len(s.Database.Regions) > 0 {
		return s.Database.Regions[0]
	}
	if len(s.Topology.Regions) > 0 {
		return s.Topology.Regions[0]
	}
	m, err := topology.LoadRTT(s.Topology.RTT)
	if err != nil {
		return ""
	}
	if d := m.DefaultRegions(); len(d) > 0 {
		return d[0]
	}
	return ""
}

// cityRowSum returns the total rows of cities, and false if a count is
// negative or the sum overflows MaxRows.
func cityRowSum(cities map[string]int64) (int64, bool) {
	var sum int64
	for _, n := range cities {
		if n < 0 || n > MaxRows || sum > MaxRows-n {
			return 0, false
		}
		sum += n
	}
	return sum, true
}

// Cluster returns the cluster built by the last successful Validate (which
// Parse, Load, Override and WithSurvival call), or nil if the scenario has
// not been validated since it was created or ApplyDefaults last ran. The
// Cluster is shared and must not be modified.
func (s *Scenario) Cluster() *topology.Cluster { return s.cluster }

// ResolvedDatabase returns the database with its regions filled in: every
// cluster region, in cluster order, if the database is multi-region and
// lists none (placement.Database.WithClusterRegions). It needs a validated
// scenario; before Validate it returns the Database unchanged.
func (s *Scenario) ResolvedDatabase() placement.Database {
	if s.cluster == nil {
		return s.Database
	}
	return s.Database.WithClusterRegions(s.cluster)
}

// Resolved returns a deep copy of the validated scenario s with the
// defaults that come from its cluster written out: the topology's regions
// (the preset's default regions when the file names none) and, for a
// multi-region database, the database's regions (ResolvedDatabase). It is
// the scenario a run records (Result.Resolved): written as a file
// (MarshalYAML, MarshalJSON) it loads back into a scenario that runs
// exactly as s does, even if a preset's default regions change. Before
// Validate it returns a plain copy.
func (s *Scenario) Resolved() *Scenario {
	c := s.Clone()
	if s.cluster == nil {
		return c
	}
	if len(c.Topology.Regions) == 0 {
		for _, r := range s.cluster.Regions {
			c.Topology.Regions = append(c.Topology.Regions, r.Name)
		}
	}
	c.Database = cloneDatabase(s.ResolvedDatabase())
	return c
}

// TableIndex returns the index of the named table in Tables, or -1.
func (s *Scenario) TableIndex(name string) int {
	return slices.IndexFunc(s.Tables, func(t Table) bool { return t.Name == name })
}

// Clone returns a deep copy of s: no map, slice or pointer of the copy is
// shared with s (the immutable Cluster is).
func (s *Scenario) Clone() *Scenario {
	c := *s
	c.Topology.Regions = slices.Clone(s.Topology.Regions)
	c.Topology.RegionSizes = cloneRegionSizes(s.Topology.RegionSizes)
	c.Database = cloneDatabase(s.Database)
	if s.Tables != nil {
		c.Tables = make([]Table, len(s.Tables))
		for i, t := range s.Tables {
			t.RowRegions = maps.Clone(t.RowRegions)
			t.Cities = maps.Clone(t.Cities)
			t.CityRegions = maps.Clone(t.CityRegions)
			t.Nodes = slices.Clone(t.Nodes)
			t.NumVoters = clonePtr(t.NumVoters)
			t.NumReplicas = clonePtr(t.NumReplicas)
			c.Tables[i] = t
		}
	}
	if s.Workload != nil {
		c.Workload = make([]Workload, len(s.Workload))
		for i, w := range s.Workload {
			w.Mix = maps.Clone(w.Mix)
			if w.LocalRows != nil {
				v := *w.LocalRows
				w.LocalRows = &v
			}
			w.Schedule = slices.Clone(w.Schedule)
			w.BoundedRead = clonePtr(w.BoundedRead)
			w.App = clonePtr(w.App)
			if w.Profile != nil {
				p := *w.Profile
				if p.PeakHour != nil {
					v := *p.PeakHour
					p.PeakHour = &v
				}
				if p.UTCOffset != nil {
					v := *p.UTCOffset
					p.UTCOffset = &v
				}
				w.Profile = &p
			}
			c.Workload[i] = w
		}
	}
	if s.Faults != nil {
		c.Faults = make([]Fault, len(s.Faults))
		for i, f := range s.Faults {
			if f.Between != nil {
				groups := make([][]string, len(f.Between))
				for j, g := range f.Between {
					groups[j] = slices.Clone(g)
				}
				f.Between = groups
			}
			c.Faults[i] = f
		}
	}
	return &c
}

// cloneDatabase returns a deep copy of db.
func cloneDatabase(db placement.Database) placement.Database {
	db.Regions = slices.Clone(db.Regions)
	db.NumVoters = clonePtr(db.NumVoters)
	db.NumReplicas = clonePtr(db.NumReplicas)
	if db.SuperRegions != nil {
		srs := make(map[string][]string, len(db.SuperRegions))
		for name, regions := range db.SuperRegions {
			srs[name] = slices.Clone(regions)
		}
		db.SuperRegions = srs
	}
	return db
}

// clonePtr returns a copy of *p in a new variable, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Overrides are the CLI flags that change a scenario. An empty string or
// slice, or a nil pointer, keeps the scenario's value; a pointer to zero
// applies zero (and Validate says whether zero is allowed there).
type Overrides struct {
	// Survival is --survival: zone or region.
	Survival string
	// RTT is --rtt: a preset name or a CSV path (relative to the working
	// directory). The scenario keeps its regions; those the spec lacks are
	// replaced by their nearest regions of it (see RegionRenames).
	RTT string
	// Regions is --regions: the topology regions, primary first. The
	// database then spans all of them with the first as primary (if it is
	// multi-region), and a secondary region not among them is dropped. A
	// region of the scenario not in the list is replaced by the next new
	// one of the list (see RegionRenames).
	Regions []string
	// Duration is --duration, the measured simulated time.
	Duration *time.Duration
	// Warmup is --warmup.
	Warmup *time.Duration
	// Seed is --seed; nil keeps the scenario's seed.
	Seed *uint64
	// MaxOffset is --max-offset (cockroach.max_offset).
	MaxOffset *time.Duration
	// CRDBVersion is --crdb-version (cockroach.version).
	CRDBVersion string
	// Jitter is --jitter (topology.jitter): none or lognormal.
	Jitter string
	// Voters is --voters (database.num_voters); nil keeps the scenario's.
	Voters *int
	// ZonesPerRegion and NodesPerZone are --zones-per-region and
	// --nodes-per-zone (topology.zones_per_region, topology.nodes_per_zone);
	// nil keeps the scenario's.
	ZonesPerRegion, NodesPerZone *int
}

// Override applies o to s and validates the result; s need not have been
// validated before (LoadUnvalidated). Regions that o's RTT spec or region
// list replaces are renamed everywhere in s first (RegionRenames). On error
// s is unchanged and the error wraps ErrInvalid, naming the scenario field
// the flag sets (database.survival, topology.rtt, …).
func (s *Scenario) Override(o Overrides) error {
	renames, err := s.RegionRenames(o)
	if err != nil {
		return err
	}
	c := s.Clone()
	if o.RTT != "" && len(o.Regions) == 0 && o.RTT != s.Topology.RTT {
		// Keep the regions, not the new spec's defaults.
		c.Topology.Regions = s.TopologyRegions()
	}
	c.renameRegions(renames)
	if o.Survival != "" {
		c.Database.Survival = placement.Survival(o.Survival)
	}
	if o.RTT != "" {
		c.Topology.RTT = o.RTT
	}
	if len(o.Regions) > 0 {
		c.Topology.Regions = slices.Clone(o.Regions)
		if c.Database.MultiRegion() {
			c.Database.Regions = nil
			c.Database.Primary = o.Regions[0]
			if !slices.Contains(o.Regions, c.Database.Secondary) {
				c.Database.Secondary = ""
			}
		}
	}
	if o.Duration != nil {
		c.Duration = *o.Duration
	}
	if o.Warmup != nil {
		c.Warmup = *o.Warmup
	}
	if o.Seed != nil {
		c.Seed = *o.Seed
	}
	if o.MaxOffset != nil {
		c.Cockroach.MaxOffset = *o.MaxOffset
	}
	if o.CRDBVersion != "" {
		c.Cockroach.Version = o.CRDBVersion
	}
	if o.Jitter != "" {
		c.Topology.Jitter = o.Jitter
	}
	if o.Voters != nil {
		c.Database.NumVoters = clonePtr(o.Voters)
	}
	if o.ZonesPerRegion != nil {
		c.Topology.ZonesPerRegion = *o.ZonesPerRegion
	}
	if o.NodesPerZone != nil {
		c.Topology.NodesPerZone = *o.NodesPerZone
	}
	if err := c.Validate(); err != nil {
		return err
	}
	*s = *c
	return nil
}

// WithSurvival returns a validated deep copy of s with the survival goal
// survival ("zone" or "region"), for `regionsim compare`. s is not
// modified.
func (s *Scenario) WithSurvival(survival string) (*Scenario, error) {
	c := s.Clone()
	c.Database.Survival = placement.Survival(survival)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// VaryFields are the settings `regionsim compare --vary FIELD=A,B` can
// vary: the survival goal (zone, region), database.num_voters (a count),
// every workload's gateway mode (GatewayModes) and every bounded_read
// workload's max_staleness (a duration).
var VaryFields = []string{"survival", "voters", "gateway", "max_staleness"}

// WithSetting returns a validated deep copy of s with one of VaryFields
// set: "survival" to "zone" or "region", "voters" to a count for
// database.num_voters, "gateway" to a gateway mode for every workload
// entry, "max_staleness" to a duration for every entry with a bounded_read
// share (its nearest_only kept). s is not modified. A value that does not
// parse is an *Error naming the field; one the scenario cannot take is
// Validate's error.
func (s *Scenario) WithSetting(field, value string) (*Scenario, error) {
	switch field {
	case "survival":
		return s.WithSurvival(value)
	case "gateway":
		c := s.Clone()
		for i := range c.Workload {
			c.Workload[i].Gateway = value
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	case "max_staleness":
		d, err := time.ParseDuration(value)
		if err != nil {
			return nil, &Error{Source: s.source, Field: "workload[].bounded_read.max_staleness", Err: fmt.Errorf("%q is not a duration", value)}
		}
		c := s.Clone()
		n := 0
		for i := range c.Workload {
			w := &c.Workload[i]
			if w.Mix[raft.OpBoundedRead.String()] == 0 {
				continue
			}
			n++
			if w.BoundedRead == nil {
				w.BoundedRead = &BoundedRead{}
			}
			w.BoundedRead.MaxStaleness = d
		}
		if n == 0 {
			return nil, &Error{Source: s.source, Field: "workload", Err: fmt.Errorf("no workload entry has a bounded_read share")}
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	case "voters":
		n, err := strconv.Atoi(value)
		if err != nil {
			return nil, &Error{Source: s.source, Field: "database.num_voters", Err: fmt.Errorf("%q is not a count", value)}
		}
		c := s.Clone()
		c.Database.NumVoters = &n
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, &Error{Source: s.source, Err: fmt.Errorf("cannot vary %q (want one of %s)", field, strings.Join(VaryFields, ", "))}
}

// TableSpec returns the placement view of t; Nodes are resolved on c (nil
// leaves them out).
func (t Table) TableSpec(c *topology.Cluster) placement.TableSpec {
	spec := placement.TableSpec{Name: t.Name, Locality: t.Locality, HomeRegion: t.HomeRegion, Ranges: t.Ranges,
		NumVoters: t.NumVoters, NumReplicas: t.NumReplicas}
	if c != nil {
		for _, name := range t.Nodes {
			if id, ok := c.NodeByName(name); ok {
				spec.Nodes = append(spec.Nodes, id)
			}
		}
	}
	return spec
}

// RowShares returns, for a regional-by-row table, the share of its rows
// homed in each of dbRegions (every one is a key, 0 if it holds no rows):
// RowRegions if given; else the rows of Cities summed per region through
// CityRegions and DefaultRegion; else equal shares. It returns nil for other
// localities. A region named by RowRegions or CityRegions outside dbRegions
// keeps its share (Validate rejects such tables). O(cities + regions).
func (t Table) RowShares(dbRegions []string) map[string]float64 {
	if t.Locality != placement.LocalityRegionalByRow {
		return nil
	}
	out := make(map[string]float64, len(dbRegions))
	for _, r := range dbRegions {
		out[r] = 0
	}
	switch {
	case len(t.RowRegions) > 0:
		maps.Copy(out, t.RowRegions)
	case len(t.Cities) > 0:
		total, ok := cityRowSum(t.Cities)
		if !ok || total == 0 {
			return out
		}
		for _, city := range slices.Sorted(maps.Keys(t.Cities)) {
			out[t.CityRegion(city)] += float64(t.Cities[city]) / float64(total)
		}
		delete(out, "") // cities without a region; Validate rejects them
	default:
		for _, r := range dbRegions {
			out[r] = 1 / float64(len(dbRegions))
		}
	}
	return out
}

// CityRegion returns the region of city: CityRegions[city] if listed, else
// DefaultRegion (which may be empty).
func (t Table) CityRegion(city string) string {
	if r, ok := t.CityRegions[city]; ok {
		return r
	}
	return t.DefaultRegion
}

// LocalShare returns the share of w's requests for rows homed in w's
// region: LocalRows if set, else rowShares[w.Region] (uniform over rows),
// where rowShares comes from Table.RowShares.
func (w Workload) LocalShare(rowShares map[string]float64) float64 {
	if w.LocalRows != nil {
		return *w.LocalRows
	}
	return rowShares[w.Region]
}

// OpShares returns w's mix in raft.Ops order, without zero shares and
// without names that do not parse (Validate rejects those).
func (w Workload) OpShares() []OpShare {
	var out []OpShare
	for _, op := range raft.Ops() {
		if v := w.Mix[op.String()]; v > 0 {
			out = append(out, OpShare{Op: op, Share: v})
		}
	}
	return out
}

// cloneRegionSizes returns a deep copy of sizes (nil stays nil).
func cloneRegionSizes(sizes map[string]topology.RegionSize) map[string]topology.RegionSize {
	if sizes == nil {
		return nil
	}
	out := make(map[string]topology.RegionSize, len(sizes))
	for name, rs := range sizes {
		if rs.Zones != nil {
			z := *rs.Zones
			rs.Zones = &z
		}
		if rs.NodesPerZone != nil {
			n := *rs.NodesPerZone
			rs.NodesPerZone = &n
		}
		rs.Nodes = slices.Clone(rs.Nodes)
		out[name] = rs
	}
	return out
}
