package raft

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/raft/allocator"
	"github.com/regionsim/regionsim/raft/closedform"
)

// Versions lists the CockroachDB releases whose timers and lease types the
// model knows (reference §6.1), oldest first.
var Versions = []string{"22.2", "23.1", "24.3", "25.2"}

// Config holds the CockroachDB settings the replication model uses, named
// after the setting they mirror. It is the scenario's `cockroach:` section.
type Config struct {
	// Version selects failure timers and lease type (reference §6.1);
	// one of Versions.
	Version string `yaml:"version"`
	// MaxOffset is --max-offset, the maximum clock offset (reference §0:
	// base.DefaultMaxClockOffset = 500 ms; 250 ms recommended for
	// multi-region). It drives the GLOBAL-table lead and uncertainty waits.
	MaxOffset time.Duration `yaml:"max_offset"`
	// ClosedTSTarget is kv.closed_timestamp.target_duration (3 s): ranges
	// of the default policy close timestamps this far in the past.
	ClosedTSTarget time.Duration `yaml:"closed_timestamp_target"`
	// SideTransportInterval is kv.closed_timestamp.side_transport_interval
	// (200 ms): how often a node publishes closed timestamps to the others.
	SideTransportInterval time.Duration `yaml:"side_transport_interval"`
	// PropagationSlack is kv.closed_timestamp.propagation_slack (1 s), part
	// of follower_read_timestamp()'s staleness (reference §4).
	PropagationSlack time.Duration `yaml:"propagation_slack"`
	// GlobalReadsLeadOverride is
	// kv.closed_timestamp.lead_for_global_reads_override; 0 uses the
	// formula of reference §3.1.
	GlobalReadsLeadOverride time.Duration `yaml:"lead_for_global_reads_override"`
	// ClientTimeout fails a request the client has waited this long for
	// (a statement timeout); 0 means none: a request then waits until it
	// is served, or a live replica's circuit breaker fails it (60 s after
	// its lease request stalled).
	ClientTimeout time.Duration `yaml:"client_timeout"`
	// Allocator holds the lease-rebalancing settings (follow-the-workload,
	// reference §5).
	Allocator allocator.Settings `yaml:"allocator"`
	// LivenessNodes, if set, are the nodes ("n1") that hold the node
	// liveness range's replicas, the first its lease (system ranges pinned
	// by a zone config, as in CockroachDB's failover roachtests); empty
	// places 5 replicas like any system range (reference §1.4).
	LivenessNodes []string `yaml:"liveness_nodes"`
}

// DefaultConfig returns CockroachDB 24.3's defaults.
func DefaultConfig() Config {
	return Config{
		Version:               "24.3",
		MaxOffset:             500 * time.Millisecond,
		ClosedTSTarget:        3 * time.Second,
		SideTransportInterval: 200 * time.Millisecond,
		PropagationSlack:      time.Second,
		Allocator:             allocator.DefaultSettings(),
	}
}

// Validate reports the first setting out of range, naming it as the
// scenario file does (cockroach.max_offset, …).
func (c Config) Validate() error {
	known := false
	for _, v := range Versions {
		known = known || v == c.Version
	}
	if !known {
		return fmt.Errorf("cockroach.version: unknown %q (want one of %v)", c.Version, Versions)
	}
	check := func(name string, d, lo, hi time.Duration) error {
		if d < lo || d > hi {
			return fmt.Errorf("cockroach.%s: %v is out of range [%v, %v]", name, d, lo, hi)
		}
		return nil
	}
	for _, err := range []error{
		check("max_offset", c.MaxOffset, time.Millisecond, 10*time.Second),
		check("closed_timestamp_target", c.ClosedTSTarget, time.Millisecond, time.Hour),
		check("side_transport_interval", c.SideTransportInterval, time.Millisecond, time.Minute),
		check("propagation_slack", c.PropagationSlack, 0, time.Hour),
		check("lead_for_global_reads_override", c.GlobalReadsLeadOverride, 0, time.Hour),
		check("client_timeout", c.ClientTimeout, 0, time.Hour),
	} {
		if err != nil {
			return err
		}
	}
	if err := c.Allocator.Validate(); err != nil {
		return fmt.Errorf("cockroach.%w", err)
	}
	return nil
}

// Constants of closedts.TargetForPolicy (reference §3.1,
// pkg/kv/kvserver/closedts/policy.go).
const (
	// maxNetworkRTT is closedts.DefaultMaxNetworkRTT.
	maxNetworkRTT = 150 * time.Millisecond
	// raftTransportOverhead is the 20 ms added to 1.5 RTTs of Raft
	// propagation.
	raftTransportOverhead = 20 * time.Millisecond
	// globalReadsBuffer is the 25 ms buffer of the lead.
	globalReadsBuffer = 25 * time.Millisecond
)

// GlobalReadsLead returns how far in the future GLOBAL ranges close
// timestamps and place writes: the override if set, else
// max(1.5·RTT + 20 ms, 0.5·RTT + side_transport_interval) + max_offset +
// 25 ms with RTT = 150 ms (reference §3.1): 800 ms with the defaults, 550 ms
// with a 250 ms max offset.
func (c Config) GlobalReadsLead() time.Duration {
	if c.GlobalReadsLeadOverride > 0 {
		return c.GlobalReadsLeadOverride
	}
	raftProp := maxNetworkRTT*3/2 + raftTransportOverhead
	sideProp := maxNetworkRTT/2 + c.SideTransportInterval
	return max(raftProp, sideProp) + c.MaxOffset + globalReadsBuffer
}

// FollowerReadStaleness returns how far in the past follower_read_timestamp()
// reads: target_duration + side_transport_interval + propagation_slack,
// 4.2 s with the defaults (reference §4, newer releases).
func (c Config) FollowerReadStaleness() time.Duration {
	return c.ClosedTSTarget + c.SideTransportInterval + c.PropagationSlack
}

// ClosedForm returns the settings package closedform computes expected
// latencies with, derived exactly as the model derives them.
func (c Config) ClosedForm() closedform.Settings {
	return closedform.Settings{
		MaxOffset:             c.MaxOffset,
		Lead:                  c.GlobalReadsLead(),
		Staleness:             c.FollowerReadStaleness(),
		ClosedTSTarget:        c.ClosedTSTarget,
		SideTransportInterval: c.SideTransportInterval,
	}
}

// Op is a kind of client request.
type Op uint8

// The request kinds of DESIGN.md "Ops".
const (
	// OpRead is a consistent point read, served by the leaseholder.
	OpRead Op = iota
	// OpWrite is a single-row UPSERT committed in one consensus round (1PC).
	OpWrite
	// OpStaleRead reads at follower_read_timestamp() (exact staleness) from
	// the nearest replica whose closed timestamp covers it.
	OpStaleRead
	// OpBoundedRead is a bounded-staleness read (with_max_staleness): the
	// nearest replica at its freshest closed timestamp while that meets the
	// request's bound (Request.Bounded), else the leaseholder (read.go
	// boundedArrive).
	OpBoundedRead
	// OpInsert inserts a new row; on REGIONAL BY ROW tables it pays
	// uniqueness checks against every other region unless the key is exempt.
	OpInsert
	// OpTxn writes several ranges in one transaction committed with
	// parallel commits (one consensus round, the slowest range decides).
	OpTxn
	numOps
)

var opNames = [numOps]string{"read", "write", "stale_read", "bounded_read", "insert", "txn"}

// Ops returns every op, in declaration order.
func Ops() []Op {
	ops := make([]Op, numOps)
	for i := range ops {
		ops[i] = Op(i)
	}
	return ops
}

// String returns the op's scenario spelling ("read", "stale_read", …).
func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", o)
}

// ParseOp parses an op's scenario spelling.
func ParseOp(s string) (Op, error) {
	for i, n := range opNames {
		if n == s {
			return Op(i), nil
		}
	}
	return 0, fmt.Errorf("unknown op %q (want one of %v)", s, opNames)
}
