package allocator

import (
	"fmt"
	"math"
	"time"
)

// Settings holds the CockroachDB cluster settings and code constants that
// drive follow-the-workload lease rebalancing (reference §5), each named
// after what it mirrors. It is plain data; DefaultSettings returns
// CockroachDB's defaults and Validate checks ranges. The zero Settings is
// not valid.
type Settings struct {
	// LoadBasedLeaseRebalancing is
	// kv.allocator.load_based_lease_rebalancing.enabled (default true). When
	// false, leases move only for lease-count convergence
	// [code:pkg/kv/kvserver/allocator/allocatorimpl/allocator.go
	// EnableLoadBasedLeaseRebalancing].
	LoadBasedLeaseRebalancing bool `yaml:"load_based_lease_rebalancing"`
	// Aggressiveness is kv.allocator.lease_rebalancing_aggressiveness
	// (default 1.0, must be ≥ 0): the factor on the follow-the-workload
	// adjustment. 0 removes the request-locality and latency term, leaving
	// a lease-count score with twice the usual threshold
	// [allocator.go leaseRebalancingAggressiveness].
	Aggressiveness float64 `yaml:"lease_rebalancing_aggressiveness"`
	// MinLeaseTransferInterval is kv.allocator.min_lease_transfer_interval
	// (default 1 s): a store makes a rebalancing lease transfer only if
	// strictly more than this has passed since its previous one
	// [code:pkg/kv/kvserver/replicate_queue.go MinLeaseTransferInterval,
	// canTransferLeaseFrom].
	MinLeaseTransferInterval time.Duration `yaml:"min_lease_transfer_interval"`
	// MinLeaseTransferStatsDuration is the allocator's
	// MinLeaseTransferStatsDuration (30 s, a package variable, not a
	// cluster setting): request-locality stats younger than this block
	// load-based transfers, and since stats reset when a lease moves, a
	// lease cannot move twice within it [allocator.go].
	MinLeaseTransferStatsDuration time.Duration `yaml:"min_lease_transfer_stats_duration"`
	// LeaseRebalanceThreshold is kv.allocator.lease_rebalance_threshold
	// (default 0.05): the fraction of the mean lease count a store may
	// deviate before it is overfull or underfull. Follow-the-workload starts
	// from twice this value (getBaseLoadBasedLeaseRebalanceThreshold, 0.10)
	// [allocator.go LeaseRebalanceThreshold].
	LeaseRebalanceThreshold float64 `yaml:"lease_rebalance_threshold"`
	// LeaseRebalanceThresholdMin is the allocator's
	// LeaseRebalanceThresholdMin (5 leases): the absolute deviation from the
	// mean that lease-count convergence tolerates at least [allocator.go].
	LeaseRebalanceThresholdMin float64 `yaml:"lease_rebalance_threshold_min"`

	// ScanInterval is the replica scanner's target time for a full pass
	// over a store's replicas (10 min) [code:pkg/server/config.go
	// defaultScanInterval; COCKROACH_SCAN_INTERVAL].
	ScanInterval time.Duration `yaml:"scan_interval"`
	// ScanMinIdleTime is the least idle time between two replica visits
	// (10 ms); 0 means no lower bound [config.go defaultScanMinIdleTime].
	ScanMinIdleTime time.Duration `yaml:"scan_min_idle_time"`
	// ScanMaxIdleTime is the most idle time between two replica visits
	// (1 s); 0 means no upper bound [config.go defaultScanMaxIdleTime].
	ScanMaxIdleTime time.Duration `yaml:"scan_max_idle_time"`

	// StatsRotateInterval is the length of one request-stats window (5 min)
	// [code:pkg/kv/kvserver/replicastats/replica_stats.go
	// replStatsRotateInterval].
	StatsRotateInterval time.Duration `yaml:"replica_stats_rotate_interval"`
	// StatsWindows is how many windows the stats keep (6, the length of
	// ReplicaStats.Mu.records) [replica_stats.go].
	StatsWindows int `yaml:"replica_stats_windows"`
	// StatsDecayFactor is the weight ratio between consecutive windows (0.8)
	// [replica_stats.go decayFactor].
	StatsDecayFactor float64 `yaml:"replica_stats_decay_factor"`
	// MinStatsDuration is replicastats.MinStatsDuration (5 s): the least
	// age at which stats are trusted for load (QPS) decisions. The lease
	// decision of this package uses MinLeaseTransferStatsDuration instead;
	// the field is here for callers that read ReplicaStats for other uses.
	MinStatsDuration time.Duration `yaml:"replica_stats_min_duration"`
}

// DefaultSettings returns CockroachDB's defaults (reference §0 and §5.1).
func DefaultSettings() Settings {
	return Settings{
		LoadBasedLeaseRebalancing:     true,
		Aggressiveness:                1.0,
		MinLeaseTransferInterval:      time.Second,
		MinLeaseTransferStatsDuration: 30 * time.Second,
		LeaseRebalanceThreshold:       0.05,
		LeaseRebalanceThresholdMin:    5,
		ScanInterval:                  10 * time.Minute,
		ScanMinIdleTime:               10 * time.Millisecond,
		ScanMaxIdleTime:               time.Second,
		StatsRotateInterval:           5 * time.Minute,
		StatsWindows:                  6,
		StatsDecayFactor:              0.8,
		MinStatsDuration:              5 * time.Second,
	}
}

// maxStatsWindows bounds StatsWindows; CockroachDB uses 6.
const maxStatsWindows = 64

// Validate reports the first setting out of range, naming it by its YAML
// key under "allocator." (allocator.lease_rebalancing_aggressiveness, …).
func (s Settings) Validate() error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	floatIn := func(name string, x, lo, hi float64) error {
		if !finite(x) || x < lo || x > hi {
			return fmt.Errorf("allocator.%s: %v is out of range [%v, %v]", name, x, lo, hi)
		}
		return nil
	}
	durIn := func(name string, d, lo, hi time.Duration) error {
		if d < lo || d > hi {
			return fmt.Errorf("allocator.%s: %v is out of range [%v, %v]", name, d, lo, hi)
		}
		return nil
	}
	const day = 24 * time.Hour
	for _, err := range []error{
		// settings.NonNegativeFloat in CockroachDB; the upper bound only
		// keeps the score arithmetic far from overflow.
		floatIn("lease_rebalancing_aggressiveness", s.Aggressiveness, 0, 1e6),
		durIn("min_lease_transfer_interval", s.MinLeaseTransferInterval, 0, day),
		durIn("min_lease_transfer_stats_duration", s.MinLeaseTransferStatsDuration, 0, day),
		floatIn("lease_rebalance_threshold", s.LeaseRebalanceThreshold, 0, 1),
		floatIn("lease_rebalance_threshold_min", s.LeaseRebalanceThresholdMin, 0, 1e9),
		durIn("scan_interval", s.ScanInterval, time.Millisecond, day),
		durIn("scan_min_idle_time", s.ScanMinIdleTime, 0, day),
		durIn("scan_max_idle_time", s.ScanMaxIdleTime, 0, day),
		durIn("replica_stats_rotate_interval", s.StatsRotateInterval, time.Millisecond, day),
		durIn("replica_stats_min_duration", s.MinStatsDuration, 0, day),
	} {
		if err != nil {
			return err
		}
	}
	if s.ScanMinIdleTime > 0 && s.ScanMaxIdleTime > 0 && s.ScanMinIdleTime > s.ScanMaxIdleTime {
		return fmt.Errorf("allocator.scan_min_idle_time: %v is above scan_max_idle_time %v",
			s.ScanMinIdleTime, s.ScanMaxIdleTime)
	}
	if s.StatsWindows < 1 || s.StatsWindows > maxStatsWindows {
		return fmt.Errorf("allocator.replica_stats_windows: %d is out of range [1, %d]",
			s.StatsWindows, maxStatsWindows)
	}
	if !finite(s.StatsDecayFactor) || s.StatsDecayFactor <= 0 || s.StatsDecayFactor > 1 {
		return fmt.Errorf("allocator.replica_stats_decay_factor: %v is out of range (0, 1]",
			s.StatsDecayFactor)
	}
	return nil
}
