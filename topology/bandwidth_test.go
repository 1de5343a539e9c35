package topology

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseAndFormatBandwidth: capacities parse to bytes per second and
// format back in the largest unit that keeps the number at least 1;
// anything but a positive, finite number with a unit is refused.
func TestParseAndFormatBandwidth(t *testing.T) {
	for in, want := range map[string]struct {
		bytes float64
		out   string
	}{
		"1Gbps":     {1.25e8, "1Gbps"},
		"2.5Gbps":   {3.125e8, "2.5Gbps"},
		"100Mbps":   {1.25e7, "100Mbps"},
		"1500Kbps":  {187500, "1.5Mbps"},
		"10Kbps":    {1250, "10Kbps"},
		"0.0001bps": {1.25e-5, "0.0001bps"},
		"3Tbps":     {3.75e11, "3Tbps"},
	} {
		got, err := ParseBandwidth(in)
		require.NoError(t, err, in)
		assert.InEpsilon(t, want.bytes, got, 1e-12, in)
		assert.Equal(t, want.out, FormatBandwidth(got), in)
	}
	for _, bad := range []string{"fast", "-1Gbps", "0Mbps", "1GB/s", "1e400Gbps", "NaNbps", "", "1e300Tbps", "5e-324bps"} {
		_, err := ParseBandwidth(bad)
		assert.Error(t, err, bad)
	}
}
