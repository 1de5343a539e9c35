package allocator

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultSettings(t *testing.T) {
	s := DefaultSettings()
	require.NoError(t, s.Validate())
	// Reference §0 / §5.1.
	assert.True(t, s.LoadBasedLeaseRebalancing)
	assert.Equal(t, 1.0, s.Aggressiveness)
	assert.Equal(t, time.Second, s.MinLeaseTransferInterval)
	assert.Equal(t, 30*time.Second, s.MinLeaseTransferStatsDuration)
	assert.Equal(t, 0.05, s.LeaseRebalanceThreshold)
	assert.Equal(t, 5.0, s.LeaseRebalanceThresholdMin)
	assert.Equal(t, 10*time.Minute, s.ScanInterval)
	assert.Equal(t, 10*time.Millisecond, s.ScanMinIdleTime)
	assert.Equal(t, time.Second, s.ScanMaxIdleTime)
	assert.Equal(t, 5*time.Minute, s.StatsRotateInterval)
	assert.Equal(t, 6, s.StatsWindows)
	assert.Equal(t, 0.8, s.StatsDecayFactor)
	assert.Equal(t, 5*time.Second, s.MinStatsDuration)
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		field string
		edit  func(s *Settings)
	}{
		{"lease_rebalancing_aggressiveness", func(s *Settings) { s.Aggressiveness = -0.1 }},
		{"lease_rebalancing_aggressiveness", func(s *Settings) { s.Aggressiveness = math.NaN() }},
		{"min_lease_transfer_interval", func(s *Settings) { s.MinLeaseTransferInterval = -1 }},
		{"min_lease_transfer_stats_duration", func(s *Settings) { s.MinLeaseTransferStatsDuration = -1 }},
		{"lease_rebalance_threshold", func(s *Settings) { s.LeaseRebalanceThreshold = 1.5 }},
		{"lease_rebalance_threshold_min", func(s *Settings) { s.LeaseRebalanceThresholdMin = -5 }},
		{"scan_interval", func(s *Settings) { s.ScanInterval = 0 }},
		{"scan_min_idle_time", func(s *Settings) { s.ScanMinIdleTime = 2 * time.Second }},
		{"scan_max_idle_time", func(s *Settings) { s.ScanMaxIdleTime = -1 }},
		{"replica_stats_rotate_interval", func(s *Settings) { s.StatsRotateInterval = 0 }},
		{"replica_stats_windows", func(s *Settings) { s.StatsWindows = 0 }},
		{"replica_stats_decay_factor", func(s *Settings) { s.StatsDecayFactor = 0 }},
		{"replica_stats_decay_factor", func(s *Settings) { s.StatsDecayFactor = 1.2 }},
		{"replica_stats_min_duration", func(s *Settings) { s.MinStatsDuration = -1 }},
	}
	for _, tc := range tests {
		s := DefaultSettings()
		tc.edit(&s)
		err := s.Validate()
		if assert.Error(t, err, tc.field) {
			assert.Contains(t, err.Error(), "allocator."+tc.field)
		}
	}
	// Aggressiveness 0 and a disabled rule are valid configurations.
	s := DefaultSettings()
	s.Aggressiveness, s.LoadBasedLeaseRebalancing = 0, false
	assert.NoError(t, s.Validate())
}
