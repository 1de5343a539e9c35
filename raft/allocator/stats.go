package allocator

import (
	"fmt"
	"math"
	"time"

	"github.com/regionsim/regionsim/sim"
)

// ReplicaStats counts the requests a leaseholder serves, per request
// locality, in a ring of decaying time windows: CockroachDB's
// replicastats.ReplicaStats (reference §5.2,
// [code:pkg/kv/kvserver/replicastats/replica_stats.go]).
//
// Localities are dense ids 0 … numLocalities-1 chosen by the caller.
// CockroachDB keys the counts by the gateway node's full locality string
// (region and zone), so the faithful mapping is gateway node → zone index;
// the caller keeps the id → topology.Locality table and passes it to
// ShouldTransferLease as Input.RequestLocalities.
//
// Windows are rotated lazily, on access, exactly as CockroachDB does
// (maybeRotateLocked): when at least one rotation interval has passed since
// the last rotation, the ring advances by one window — only one, however
// long the gap — and the new window starts at the access time. Nothing is
// scheduled. Simulated times passed in must not decrease.
//
// The counts live in one slice of windows × numLocalities float64,
// allocated by the first RecordCount (stats that have counted nothing —
// most ranges' in a big table, which the scanners still read — hold ~70
// bytes); after that RecordCount and PerLocalityDecayingRate (given a
// large enough destination) allocate nothing. Not safe for concurrent use (the
// simulator is single-threaded; CockroachDB's version holds a mutex).
//
// Not modelled: SplitRequestCounts and MergeRequestCounts (the simulator
// does not split or merge ranges) and AverageRatePerSecond.
type ReplicaStats struct {
	// counts holds window w's counts at counts[w*numLoc : (w+1)*numLoc];
	// nil while every count is 0 (nothing recorded yet).
	counts     []float64
	rotate     time.Duration
	decay      float64
	lastRotate sim.Time
	lastReset  sim.Time
	active     uint64 // bit w: window w holds a period of the stats
	numLoc     int32
	windows    uint8 // ≤ maxStatsWindows
	idx        uint8 // current window
}

// NewReplicaStats returns empty stats for numLocalities request localities,
// started (and last reset) at now, with the window length, window count and
// decay factor of s. Only the current window is active, as in CockroachDB's
// NewReplicaStats. It panics if numLocalities is negative or the stats
// settings are invalid (see Settings.Validate). O(1): the counts are
// allocated by the first RecordCount.
func NewReplicaStats(numLocalities int, now sim.Time, s Settings) *ReplicaStats {
	if numLocalities < 0 {
		panic(fmt.Sprintf("allocator: NewReplicaStats: %d localities", numLocalities))
	}
	if s.StatsRotateInterval <= 0 || s.StatsWindows < 1 || s.StatsWindows > maxStatsWindows ||
		!(s.StatsDecayFactor > 0 && s.StatsDecayFactor <= 1) {
		panic(fmt.Sprintf("allocator: NewReplicaStats: invalid stats settings (rotate %v, windows %d, decay %v)",
			s.StatsRotateInterval, s.StatsWindows, s.StatsDecayFactor))
	}
	if numLocalities > math.MaxInt32 {
		panic(fmt.Sprintf("allocator: NewReplicaStats: %d localities", numLocalities))
	}
	return &ReplicaStats{
		numLoc:     int32(numLocalities),
		windows:    uint8(s.StatsWindows),
		rotate:     s.StatsRotateInterval,
		decay:      s.StatsDecayFactor,
		active:     1, // window 0
		lastRotate: now,
		lastReset:  now,
	}
}

// NumLocalities returns the number of request localities the stats count.
func (rs *ReplicaStats) NumLocalities() int { return int(rs.numLoc) }

// RecordCount adds n requests (CockroachDB counts a batch as 1; fractional
// counts are allowed) from request locality loc at time now, first
// rotating the windows if one rotation interval has passed. It panics if
// loc is out of range. O(localities) when it rotates, O(1) otherwise;
// allocation-free after the first call.
func (rs *ReplicaStats) RecordCount(loc int, n float64, now sim.Time) {
	if uint(loc) >= uint(rs.numLoc) {
		panic("allocator: ReplicaStats.RecordCount: locality out of range")
	}
	rs.maybeRotate(now)
	if rs.counts == nil {
		rs.counts = make([]float64, int(rs.windows)*int(rs.numLoc))
	}
	rs.counts[int(rs.idx)*int(rs.numLoc)+loc] += n
}

// maybeRotate is replica_stats.go maybeRotateLocked + rotateLocked: at most
// one rotation per call, and the new window starts at now (not at
// lastRotate + interval), so window boundaries follow access times.
func (rs *ReplicaStats) maybeRotate(now sim.Time) {
	if now.Sub(rs.lastRotate) < rs.rotate {
		return
	}
	rs.idx = (rs.idx + 1) % rs.windows
	clear(rs.window(int(rs.idx)))
	rs.active |= 1 << rs.idx
	rs.lastRotate = now
}

// window returns window w's counts, nil if nothing was ever recorded.
func (rs *ReplicaStats) window(w int) []float64 {
	if rs.counts == nil {
		return nil
	}
	n := int(rs.numLoc)
	return rs.counts[w*n : (w+1)*n]
}

// PerLocalityDecayingRate returns the decayed request rate of every
// locality in requests per second, and how long ago the stats were last
// reset (the durationSinceReset that gates lease transfers), as
// replica_stats.go PerLocalityDecayingRate does. It may rotate the windows
// first, like any access.
//
// With f = (now − lastRotate) / rotation interval, window i (0 = current)
// weighs decay^(i+f); the rate of locality L is Σ count_i[L]·weight_i over
// Σ span_i·weight_i, where span_0 is now − lastRotate and older windows span
// one rotation interval. Only active windows count. Each weighted span is
// truncated to whole nanoseconds, as CockroachDB's time.Duration
// arithmetic does. All rates are 0 while the weighted span is 0.
//
// The factor decay^f is common to every window, so it cancels between
// numerator and denominator: the rates depend on the time since the last
// rotation only through span_0, although CockroachDB's comment calls f a
// smoothing factor. It is kept so that the arithmetic is CockroachDB's.
//
// The rates are written to dst[:NumLocalities()], which is allocated only if
// cap(dst) is smaller. O(windows × localities).
func (rs *ReplicaStats) PerLocalityDecayingRate(dst []float64, now sim.Time) (rates []float64, sinceReset time.Duration) {
	rs.maybeRotate(now)
	if cap(dst) < int(rs.numLoc) {
		dst = make([]float64, rs.numLoc)
	}
	dst = dst[:rs.numLoc]
	clear(dst)

	// "Use the fraction of time since the last rotation as a smoothing
	// factor to avoid jarring changes in request count immediately
	// before/after a rotation." (replica_stats.go)
	sinceRotate := now.Sub(rs.lastRotate)
	fraction := float64(sinceRotate) / float64(rs.rotate)
	n := int(rs.windows)
	var span time.Duration
	for i := range n {
		w := (int(rs.idx) + n - i) % n
		if rs.active&(1<<w) == 0 {
			continue
		}
		decay := math.Pow(rs.decay, float64(i)+fraction)
		if i == 0 {
			span += time.Duration(float64(sinceRotate) * decay)
		} else {
			span += time.Duration(float64(rs.rotate) * decay)
		}
		for l, c := range rs.window(w) {
			dst[l] += c * decay
		}
	}
	if secs := span.Seconds(); secs > 0 {
		for l := range dst {
			dst[l] /= secs
		}
	}
	return dst, now.Sub(rs.lastReset)
}

// Reset empties the stats at time now, as ResetRequestCounts does when the
// lease moves to this replica: every window is cleared and deactivated
// except the current one, and both the rotation and the reset clocks
// restart at now. O(windows × localities).
func (rs *ReplicaStats) Reset(now sim.Time) {
	clear(rs.counts)
	rs.active = 1 << rs.idx
	rs.lastRotate = now
	rs.lastReset = now
}
