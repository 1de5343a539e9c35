package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClosedTSLazyEqualsMessages runs built-in scenarios with stale,
// bounded-staleness and GLOBAL reads under lognormal jitter — default and
// movr without faults, default with a partition and a region outage —
// and users-by-city with its AZ and region outages, once
// with the lazy closed-timestamp side transport and once sending every
// update as a message, and requires the same Result: every stat, the
// staleness served, traffic, outages and timelines; only the count of
// engine events (and the wall time) differ.
func TestClosedTSLazyEqualsMessages(t *testing.T) {
	for _, name := range []string{"default", "movr", "default+faults", "users-by-city"} {
		t.Run(name, func(t *testing.T) {
			s, err := Load(strings.TrimSuffix(name, "+faults"))
			require.NoError(t, err)
			if strings.HasSuffix(name, "+faults") {
				s.Faults = []Fault{
					{At: 25 * time.Second, Kind: "partition", Between: [][]string{{"us-east1"}, {"europe-west1"}}, For: 10 * time.Second},
					{At: 40 * time.Second, Kind: "region", Target: "us-west1", For: 15 * time.Second},
				}
				require.NoError(t, s.Validate())
			}
			lazy, err := RunWith(s, RunOptions{})
			require.NoError(t, err)
			msgs, err := RunWith(s, RunOptions{closedTSMessages: true})
			require.NoError(t, err)
			assert.Less(t, lazy.Events, msgs.Events, "the lazy transport dispatches fewer events")
			stale := 0
			for _, st := range lazy.Stats {
				if st.Op == "stale_read" || st.Op == "bounded_read" {
					stale += int(st.Count)
				}
			}
			if name != "users-by-city" { // its zone and region outages, without stale reads
				require.Positive(t, stale, "the scenario serves stale reads")
			}
			require.Equal(t, resultJSON(t, msgs), resultJSON(t, lazy))
		})
	}
}
