package scenarios

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/regionsim/regionsim/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnneededAcksChangeNothing checks the model's one event saving
// (raft Model.ackMatters): a fault-free run that leaves out the
// acknowledgements nothing reads has exactly the result of the same run
// scheduling them all (a trace turns the saving off), events apart, and
// dispatches fewer events. ZONE (3 voters) and REGION (5 voters) survival.
func TestUnneededAcksChangeNothing(t *testing.T) {
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
			t.Logf("events: %d without the unneeded acknowledgements, %d with", pruned.Events, all.Events)
			pruned.Events, all.Events = 0, 0
			pruned.WallSeconds, all.WallSeconds = 0, 0
			a, err := json.Marshal(pruned)
			require.NoError(t, err)
			b, err := json.Marshal(all)
			require.NoError(t, err)
			assert.JSONEq(t, string(b), string(a))
		})
	}
}
