package scenarios

import (
	"testing"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventSavingsChangeNothing checks the model's event savings in
// fault-free runs — the acknowledgements nothing reads (raft
// Model.ackMatters), the client's reply reported without an event
// (Model.finishAfter), and the requests a workload submits ahead of their
// start (Model.SubmitAt, generator.scheduleArrival): a run with them has
// exactly the result of the same run scheduling every event (a trace turns
// the savings off), events apart, and dispatches fewer events. ZONE (3
// voters) and REGION (5 voters) survival. (Submitting ahead may reorder
// events due at the same nanosecond as a request's gateway arrival; these
// seeds and durations have no such tie, see docs/decisions.md, "Requests
// submitted ahead".)
func TestEventSavingsChangeNothing(t *testing.T) {
	for _, survival := range []string{"zone", "region"} {
		t.Run(survival, func(t *testing.T) {
			s, err := Load("default")
			require.NoError(t, err)
			s, err = s.WithSurvival(survival)
			require.NoError(t, err)
			s.Duration = 20 * time.Second
			pruned, err := RunWith(s, RunOptions{})
			require.NoError(t, err)
			all, err := RunWith(s, RunOptions{tracer: func(raft.TraceEvent) {}})
			require.NoError(t, err)
			assert.Less(t, pruned.Events, all.Events)
			t.Logf("events: %d with the savings, %d without", pruned.Events, all.Events)
			assert.Equal(t, resultJSON(t, all), resultJSON(t, pruned))
		})
	}
	// A fault run submits requests ahead between its faults' starts and
	// ends, while a workload's gateways are all up: users-by-city's
	// outages take two AZs and then the region of a workload's gateways.
	// They start and end 50 ms after a whole second here, where no
	// traffic mark (every second) keeps a window from crossing them.
	t.Run("faults", func(t *testing.T) {
		s, err := Load("users-by-city")
		require.NoError(t, err)
		for i := range s.Faults {
			s.Faults[i].At += 50 * time.Millisecond
		}
		pruned, err := RunWith(s, RunOptions{})
		require.NoError(t, err)
		all, err := RunWith(s, RunOptions{tracer: func(raft.TraceEvent) {}})
		require.NoError(t, err)
		assert.Less(t, pruned.Events, all.Events)
		t.Logf("events: %d with the savings, %d without", pruned.Events, all.Events)
		assert.Equal(t, resultJSON(t, all), resultJSON(t, pruned))
	})
}
