package scenarios

import (
	"time"

	"github.com/regionsim/regionsim/sim/stats"
)

// Result is everything one simulation run reports: plain data that the
// report renderers and the charts consume. Its JSON field names are a
// contract (DESIGN.md "Result"); latencies are in milliseconds, times since
// the start of the run in seconds.
type Result struct {
	Scenario string `json:"scenario"` // the scenario's name
	Seed     uint64 `json:"seed"`     // the seed of every random stream
	Survival string `json:"survival"` // zone, region, or none without multi-region SQL
	// Variant is the setting `regionsim compare --vary` gave the run
	// other than the survival goal, as FIELD=VALUE (e.g. "voters=5");
	// absent otherwise.
	Variant          string  `json:"variant,omitempty"`
	CRDBVersion      string  `json:"crdb_version"`      // the CockroachDB version modelled (cockroach.version)
	RTT              string  `json:"rtt"`               // preset name or CSV path
	MaxOffsetMs      float64 `json:"max_offset_ms"`     // clock max offset
	WarmupSeconds    float64 `json:"warmup_seconds"`    // simulated, not measured
	SimulatedSeconds float64 `json:"simulated_seconds"` // measured span, after warmup
	Events           uint64  `json:"events"`            // engine events dispatched
	Requests         uint64  `json:"requests"`          // requests completed in the measured span
	WallSeconds      float64 `json:"wall_seconds"`      // the only nondeterministic field
	Stats            []Stat  `json:"stats"`             // sorted by table, op, client region
	// Tables lists the simulated tables in scenario order with their
	// locality and range count. A range is identified the same way
	// everywhere in a Result — in Leases, Unavailability and Replacements
	// — by its table's name and its index within the table (0 …
	// TableInfo.Ranges-1).
	Tables []TableInfo `json:"tables"`
	// Regions lists the cluster's regions in topology order, and RTTMs[i][j]
	// the median RTT from Regions[i] to Regions[j] in ms (between zones of
	// one region on the diagonal).
	Regions []string    `json:"regions"`
	RTTMs   [][]float64 `json:"rtt_ms"`
	// Faults are the injected faults as time windows (seconds since the
	// start of the run), for timelines.
	Faults []FaultWindow `json:"faults"`
	// Unavailability lists every range's loss of service during a fault,
	// by start time; Leases is the lease log; Timeline the per-interval
	// counts and latencies, binned by the instant each request was issued.
	Unavailability []Unavailability `json:"unavailability"`
	Leases         []LeaseEvent     `json:"leases"`
	Timeline       []TimelinePoint  `json:"timeline"`
	// TimelineCompleted is the same requests as Timeline (those issued in
	// the measured span) binned by the instant each completed, so that a
	// fault's slow requests fall in the intervals where they ended: the
	// timeline charts draw it. Its TimelinePoints count requests completed
	// in the interval, not issued.
	TimelineCompleted []TimelinePoint `json:"timeline_completed"`
	// TimelineSeconds is the width of a Timeline interval in seconds.
	TimelineSeconds float64 `json:"timeline_interval_s"`
	// LeaseShare samples, per table, the share of its ranges whose lease is
	// in each region; LeaseTransfers counts lease moves per table.
	LeaseShare     []LeaseSharePoint   `json:"lease_share"`
	LeaseTransfers []LeaseTransferStat `json:"lease_transfers"`
	// Replacements lists the replicas of dead nodes replaced by
	// up-replication, in time order.
	Replacements []Replacement `json:"replacements"`
	// Impact is what each fault did to each table × op × client region, as
	// those clients saw it: one entry per fault (in Faults order) × Stats
	// entry (in Stats order); empty without faults.
	Impact []ClientImpact `json:"impact"`
	// NodeLoad is every node's CPU and disk load over the measured span
	// (in node order), RegionLoad every region's (in Regions order), and
	// LoadTimeline each node's load per interval of the whole run, warmup
	// included (nodes in order within an interval), intervals
	// LoadIntervalSeconds wide (the timeline's).
	NodeLoad            []NodeLoad   `json:"node_load"`
	RegionLoad          []RegionLoad `json:"region_load"`
	LoadTimeline        []LoadPoint  `json:"load_timeline"`
	LoadIntervalSeconds float64      `json:"load_interval_s"`
	// Verdicts judge each fault (in Faults order) by Impact against a
	// bound: Run uses DefaultSurviveWithin; Judge sets another.
	Verdicts []FaultVerdict `json:"verdicts"`
	// Traffic is the network traffic of the measured span between regions
	// and between zones, and what it costs at the provider's egress
	// prices; null in a Result built by hand.
	Traffic *Traffic `json:"traffic"`

	// Resolved is the scenario the run simulated, after flags and
	// defaults (Scenario.Resolved; Run sets it, nil in a Result built by
	// hand). It is not one of the Result's fields in JSON: the document
	// that carries the Result carries it once, as resolved_scenario.
	Resolved *Scenario `json:"-"`
}

// Replacement is one replica of a dead node moved to a live node after
// server.time_until_store_dead (5 min): at TS (seconds since the start of
// the run), range Range of Table (its index within the table) went from
// node From to node To ("n3").
type Replacement struct {
	TS    float64 `json:"t_s"`
	Table string  `json:"table"`
	Range int     `json:"range"`     // index within the table
	From  string  `json:"from_node"` // the dead node
	To    string  `json:"to_node"`   // the node that took the replica
	Voter bool    `json:"voter"`     // a voter (else a non-voter)
}

// LeaseSharePoint is the share of a table's ranges whose lease is in Region
// at time TS (seconds since the start of the run).
type LeaseSharePoint struct {
	TS     float64 `json:"t_s"`
	Table  string  `json:"table"`
	Region string  `json:"region"`
	Share  float64 `json:"share"` // fraction of the table's ranges, in [0, 1]
}

// LeaseTransferStat counts a table's lease moves over the whole run (warmup
// included, initial acquisitions excluded), and their rate per range and
// simulated hour: a thrashing measure.
type LeaseTransferStat struct {
	Table           string  `json:"table"`
	Ranges          int     `json:"ranges"`             // the table's range count
	Transfers       int     `json:"transfers"`          // lease moves, all ranges
	PerRangePerHour float64 `json:"per_range_per_hour"` // transfers per range per simulated hour
}

// Stat is the latency distribution of one table × op × client region over
// the measured span. Count includes errors; percentiles are over all
// completed requests, errors included (an error's latency is the time until
// the client saw it). Errors counts every failed request; Ambiguous those of
// them whose write may have taken effect (their gateway crashed after
// sending it).
type Stat struct {
	Table        string  `json:"table"`
	Locality     string  `json:"locality"`      // the table's locality
	Op           string  `json:"op"`            // read, write, stale_read, bounded_read, insert or txn
	ClientRegion string  `json:"client_region"` // where the clients are (their requests count here wherever served)
	Count        uint64  `json:"count"`         // requests completed, errors included
	Errors       uint64  `json:"errors"`        // requests that failed
	Ambiguous    uint64  `json:"ambiguous"`     // failed writes that may have taken effect
	MeanMs       float64 `json:"mean_ms"`       // mean latency
	P50Ms        float64 `json:"p50_ms"`        // median latency
	P90Ms        float64 `json:"p90_ms"`        // 90th percentile latency
	P99Ms        float64 `json:"p99_ms"`        // 99th percentile latency
	P999Ms       float64 `json:"p999_ms"`       // 99.9th percentile latency
	MaxMs        float64 `json:"max_ms"`        // the worst latency, errors included
	// MaxOKMs is the worst latency of a successful request (pMax, as
	// CockroachDB's failover roachtests report it); 0 when none succeeded.
	MaxOKMs float64 `json:"max_ok_ms"`
	// ExpectedMs is the closed form's median latency (raft/closedform):
	// the p50 a jitter-free, fault-free run with the same initial
	// placement has (or, where half the requests are fast and half slow,
	// a latency next to it), computed from the RTT matrix, the placement
	// and the model's constants without simulating (docs/model.md
	// "Closed form"); 0 where a Stat was not made by one run (pooled over
	// seeds, or built by hand).
	ExpectedMs float64 `json:"expected_ms"`
	// ExpectedLowMs and ExpectedHighMs bound the p50 that jitter and
	// sampling explain: the closed form with every latency draw at its
	// floor, and with every draw at its 90th percentile, each at a
	// quantile widened by the sample median's rank noise (Expectation.Band);
	// both equal ExpectedMs without jitter, up to that widening.
	ExpectedLowMs  float64 `json:"expected_low_ms"`
	ExpectedHighMs float64 `json:"expected_high_ms"`
	// Departs is set when P50Ms lies outside [ExpectedLowMs,
	// ExpectedHighMs] by more than 1 % (DepartureTolerance): something
	// the closed form leaves out — a fault, contention, a lease moved from
	// its initial place — set the median.
	Departs bool `json:"departs"`
	// PreFault summarises the requests that ended before the run's first
	// fault started (its steady state), in a run with faults that has
	// some; absent otherwise.
	PreFault *LatencySummary `json:"pre_fault,omitempty"`
	// Latency is the full distribution of the requests (errors included),
	// for CDF charts and for merging runs exactly: a histogram of
	// logarithmic buckets (stats.HistogramJSON documents the form). Absent
	// where a document leaves it out (a sweep's cases).
	Latency *stats.Histogram `json:"histogram,omitempty"`
	// Staleness is how old the data the successful reads of a stale_read or
	// bounded_read stat returned was; absent for other ops and when none
	// succeeded.
	Staleness *Staleness `json:"staleness,omitempty"`
	// App is the latency the application saw, for a workload with an
	// application tier (workload app:); absent otherwise.
	App *AppLatency `json:"app,omitempty"`
	// Contention is how long the stat's requests waited for their row
	// (latches, intents), for a keyed workload (workload keys:); absent
	// otherwise.
	Contention *Contention `json:"contention,omitempty"`
	// Attribution is what set the latency: for the requests at p50 and at
	// p99, the share each component of their critical path took (client
	// hop, gateway→leaseholder round trip, evaluation, the quorum ack that
	// committed and its region, commit and other waits, redirects,
	// retries); absent where a Stat was not made by one run.
	Attribution *Attribution `json:"attribution,omitempty"`
}

// Contention is the wait of a stat's keyed requests (workload keys:) for
// their row: per request, the time it queued at the row's leaseholder
// behind conflicting writes before it could evaluate — a write behind the
// writes that held or awaited the row's latch until they applied, a read
// behind the writes queued when it arrived, either behind a transaction's
// intent until it was resolved — summed over its attempts, 0 for a
// request that found its row free. Its latency includes the wait.
type Contention struct {
	Requests    uint64  `json:"requests"`     // keyed requests measured, errors included
	Waited      uint64  `json:"waited"`       // of them, those that queued at all
	WaitedShare float64 `json:"waited_share"` // Waited / Requests, in [0, 1]
	MeanMs      float64 `json:"mean_ms"`      // mean wait over every keyed request (0 for those that did not queue)
	P50Ms       float64 `json:"p50_ms"`       // median wait over every keyed request
	P99Ms       float64 `json:"p99_ms"`       // 99th percentile wait over every keyed request
	MaxMs       float64 `json:"max_ms"`       // the longest wait
	// Histogram is the distribution of the waits (nanoseconds, zeros
	// included), for merging runs exactly; absent where a document leaves
	// it out.
	Histogram *stats.Histogram `json:"histogram,omitempty"`
}

// summariseContention returns the Contention of waits h, waited of which
// queued, or nil when h is empty. It keeps h.
func summariseContention(h *stats.Histogram, waited uint64) *Contention {
	if h == nil || h.Count() == 0 {
		return nil
	}
	return &Contention{
		Requests: h.Count(), Waited: waited, WaitedShare: float64(waited) / float64(h.Count()),
		MeanMs: ms(h.Mean()), P50Ms: ms(h.Quantile(0.5)), P99Ms: ms(h.Quantile(0.99)), MaxMs: ms(h.Max()),
		Histogram: h,
	}
}

// AppLatency is the application latency of a stat: per request, the round
// trip between the clients and the application tier plus the database
// latency (the stat's own figures, measured from the application's
// connection to its gateway). The round trip is fixed, so each figure is
// the stat's plus ClientRTTMs.
type AppLatency struct {
	Region      string  `json:"region"`        // where the application runs
	ClientRTTMs float64 `json:"client_rtt_ms"` // clients <-> application round trip
	MeanMs      float64 `json:"mean_ms"`       // mean application latency
	P50Ms       float64 `json:"p50_ms"`        // median application latency
	P90Ms       float64 `json:"p90_ms"`        // 90th percentile application latency
	P99Ms       float64 `json:"p99_ms"`        // 99th percentile application latency
	P999Ms      float64 `json:"p999_ms"`       // 99.9th percentile application latency
	MaxMs       float64 `json:"max_ms"`        // the worst application latency
}

// appLatency returns the application latency of database latencies h with
// a clients <-> application round trip rtt, for an application in region;
// nil when h is empty.
func appLatency(region string, rtt time.Duration, h *stats.Histogram) *AppLatency {
	if h == nil || h.Count() == 0 {
		return nil
	}
	return &AppLatency{
		Region: region, ClientRTTMs: ms(rtt),
		MeanMs: ms(h.Mean() + rtt), P50Ms: ms(h.Quantile(0.5) + rtt), P90Ms: ms(h.Quantile(0.9) + rtt),
		P99Ms: ms(h.Quantile(0.99) + rtt), P999Ms: ms(h.Quantile(0.999) + rtt), MaxMs: ms(h.Max() + rtt),
	}
}

// Staleness is the distribution of the staleness served by stale or
// bounded-staleness reads: per successful read, its statement time (the
// gateway's clock when the request reached it, what
// follower_read_timestamp() and with_max_staleness count back from) minus
// the timestamp it read at, in seconds. A read served at or after its
// statement time counts 0: a GLOBAL range's follower serves timestamps
// ahead of the present, and a bounded read that waited (for the leaseholder,
// in a partition) reads at a timestamp after its statement began.
type Staleness struct {
	Reads uint64  `json:"reads"` // successful reads measured
	P50S  float64 `json:"p50_s"` // median staleness, seconds
	P99S  float64 `json:"p99_s"` // 99th percentile staleness, seconds
	MaxS  float64 `json:"max_s"` // the stalest read, seconds
	// Histogram is the full distribution (nanoseconds, as Stat.Latency),
	// for merging runs exactly; absent where a document leaves it out.
	Histogram *stats.Histogram `json:"histogram,omitempty"`
}

// summariseStaleness returns h's Staleness, or nil when h is empty. It
// keeps h.
func summariseStaleness(h *stats.Histogram) *Staleness {
	if h == nil || h.Count() == 0 {
		return nil
	}
	return &Staleness{
		Reads: h.Count(),
		P50S:  ms(h.Quantile(0.5)) / 1e3, P99S: ms(h.Quantile(0.99)) / 1e3, MaxS: ms(h.Max()) / 1e3,
		Histogram: h,
	}
}

// FaultWindow is one injected fault: its name (e.g. "region us-east1 at
// 6m") and when it starts and ends, in seconds since the start of the run.
type FaultWindow struct {
	Name   string  `json:"name"` // as Unavailability.Fault names it
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
}

// TableInfo is one simulated table: its name, locality (as in Stat) and
// number of ranges.
type TableInfo struct {
	Name     string `json:"name"`
	Locality string `json:"locality"`
	Ranges   int    `json:"ranges"` // range count: range indexes are 0 … ranges-1
	// UnderReplicated says which of the table's ranges hold fewer replicas
	// than their zone config asks for, because no node satisfies the
	// constraints for the rest (e.g. five ZONE-survival voters in a home
	// region of three nodes), and how to give the cluster the nodes they
	// need; absent when every range is fully replicated. Such a range runs
	// with the replicas it has, as CockroachDB's allocator leaves it.
	UnderReplicated string `json:"under_replicated,omitempty"`
}

// Unavailability is one range's loss of service during one fault: from
// StartS, when it lost its leaseholder, to EndS, when a new lease became
// valid or the fault ended (seconds since the start of the run). Range is
// the range's index within its table (0 … TableInfo.Ranges-1).
type Unavailability struct {
	Fault  string             `json:"fault"` // the fault's name, as in Result.Faults
	Table  string             `json:"table"`
	Range  int                `json:"range"` // index within the table
	StartS float64            `json:"start_s"`
	EndS   float64            `json:"end_s"`
	Phases map[string]float64 `json:"phases"` // seconds per phase: election, liveness, detect, lease, retry (or holder back, transferred)
	// PhaseOrder names the phases in the order they ended (the first
	// phase ran from StartS).
	PhaseOrder []string `json:"phase_order,omitempty"`
}

// LeaseEvent is one lease acquisition or move: the lease of range Range of
// Table (its index within the table, as in Unavailability and
// Replacements) went from FromRegion/FromZone (empty for the initial
// lease) to Region/Zone at TS, seconds since the start of the run.
type LeaseEvent struct {
	TS         float64 `json:"t_s"`
	Range      int     `json:"range"` // index within the table
	Table      string  `json:"table"`
	Region     string  `json:"region"`      // the new holder's region
	Zone       string  `json:"zone"`        // the new holder's zone
	FromRegion string  `json:"from_region"` // the old holder's region; empty for the initial lease
	FromZone   string  `json:"from_zone"`   // the old holder's zone; empty for the initial lease
	Reason     string  `json:"reason"`      // initial, failover, preference, follow-the-workload, …
}

// TimelinePoint is one interval (Result.TimelineSeconds wide) of one
// table × op × client region: in Result.Timeline the requests issued in
// the interval, in Result.TimelineCompleted those that completed in it.
type TimelinePoint struct {
	TS           float64 `json:"t_s"` // the interval's start
	Table        string  `json:"table"`
	Op           string  `json:"op"`
	ClientRegion string  `json:"client_region"`
	Count        uint64  `json:"count"`     // requests issued in the interval, errors included
	Errors       uint64  `json:"errors"`    // of them, those that failed
	Ambiguous    uint64  `json:"ambiguous"` // of the errors, writes that may have taken effect
	P50Ms        float64 `json:"p50_ms"`    // median latency of the interval's requests
	P99Ms        float64 `json:"p99_ms"`    // 99th percentile latency of the interval's requests
}

// Comparison is the output of `regionsim compare`: the same scenario run
// under several configurations (ZONE vs REGION survival by default).
type Comparison struct {
	Runs []Result `json:"runs"` // one result per configuration, in run order
	// Skipped says why a configuration was left out (REGION survival of a
	// database with fewer than 3 regions).
	Skipped []string `json:"skipped"`
	// Verdict is what REGION survival buys over ZONE and costs, when both
	// ran with faults (ComparisonVerdict); null otherwise.
	Verdict *Verdict `json:"verdict"`
	// Resolved is the scenario compared, after flags and defaults, before
	// each run's survival goal is set (the runs' Resolved differ from it in
	// database.survival only); nil in a Comparison built by hand.
	Resolved *Scenario `json:"-"`
}

// Judge sets r.Verdicts: each fault judged by r.Impact against bound.
func (r *Result) Judge(bound time.Duration) { r.Verdicts = Verdicts(r.Impact, bound) }
