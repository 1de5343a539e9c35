package allocator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestScanInterval(t *testing.T) {
	s := DefaultSettings()
	tests := []struct {
		replicas int
		want     time.Duration
	}{
		{0, time.Second},   // treated as 1
		{1, time.Second},   // 10 min, clamped to 1 s
		{600, time.Second}, // exactly 1 s
		{1200, 500 * time.Millisecond},
		{10_000, 60 * time.Millisecond},
		{60_000, 10 * time.Millisecond},    // exactly 10 ms
		{1_000_000, 10 * time.Millisecond}, // 600 µs, clamped to 10 ms
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ScanInterval(tc.replicas, s), "%d replicas", tc.replicas)
	}

	// Zero bounds are no bounds, as in paceInterval.
	s.ScanMinIdleTime, s.ScanMaxIdleTime = 0, 0
	assert.Equal(t, 10*time.Minute, ScanInterval(1, s))
	assert.Equal(t, 600*time.Microsecond, ScanInterval(1_000_000, s))
}
