package allocator

import "time"

// ScanInterval returns the idle time the replica scanner waits between two
// replica visits on a store holding replicasOnStore replicas, so that a full
// pass takes s.ScanInterval (10 min), clamped to [s.ScanMinIdleTime,
// s.ScanMaxIdleTime] (10 ms, 1 s; a zero bound is no bound). Small stores
// are thus scanned faster than every 10 min: with the defaults a store of
// fewer than 600 replicas waits 1 s per replica, one of more than 60 000
// waits 10 ms (reference §5.4).
//
// This is the scanner's paceInterval [code:pkg/kv/kvserver/scanner.go] at
// the start of a pass. CockroachDB divides the time left in the current pass
// by the store's replica count, so a pass that ran late waits less; a
// caller can model that by passing the time left in the pass as
// s.ScanInterval. A count below 1 is treated as 1, as paceInterval does.
func ScanInterval(replicasOnStore int, s Settings) time.Duration {
	count := max(replicasOnStore, 1)
	interval := s.ScanInterval / time.Duration(count)
	if s.ScanMinIdleTime > 0 && interval < s.ScanMinIdleTime {
		interval = s.ScanMinIdleTime
	}
	if s.ScanMaxIdleTime > 0 && interval > s.ScanMaxIdleTime {
		interval = s.ScanMaxIdleTime
	}
	return interval
}
