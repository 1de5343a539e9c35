package raft

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/topology"
)

// TestRoundTripTakesTheInitiatorsRow: on an asymmetric RTT matrix a round
// trip takes the RTT of the row of the node that starts it — the gateway
// to the leaseholder, the leader to a follower — since a matrix entry
// from→to is a round trip measured from the from side. Hand-computed with
// us-west1→us-east1 70 ms and us-east1→us-west1 60 ms (the lower node id's
// row, which the model used before, would give 60 in both cases).
func TestRoundTripTakesTheInitiatorsRow(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "asym.csv")
	require.NoError(t, writeFile(csv, "from,to,p50_ms\n"+
		"us-east1,us-west1,60\nus-west1,us-east1,70\n"+
		"us-east1,europe-west1,64\neurope-west1,us-east1,64\n"+
		"us-west1,europe-west1,146\neurope-west1,us-west1,146\n"))
	tests := []struct {
		name    string
		layout  placement.RangeLayout
		op      Op
		gateway topology.NodeID
		want    float64
	}{
		// The gateway in us-west1 starts the round trip to the leaseholder
		// in us-east1: 70 ms.
		{"read from us-west1 at a us-east1 leaseholder", layout([]topology.NodeID{n1, n2, n3}, nil, n1, false, ""), OpRead, n4,
			cHop + 35 + svc + 35 + cHop},
		// The leader in us-west1 starts MsgApp to n1 in us-east1 (70 ms)
		// and n7 in europe-west1 (146 ms); the quorum of 2 is n1's ack.
		{"write led from us-west1", layout([]topology.NodeID{n1, n4, n7}, nil, n4, false, ""), OpWrite, n4,
			cHop + svc + (35 + fsyncMs + 35) + cHop},
		// The gateway in us-east1 starts the round trip to the us-west1
		// leaseholder: 60 ms.
		{"read from us-east1 at a us-west1 leaseholder", layout([]topology.NodeID{n4, n5, n6}, nil, n4, false, ""), OpRead, n1,
			cHop + 30 + svc + 30 + cHop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, csv, DefaultConfig())
			tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{tt.layout}, Rows: 10})
			req := Request{Op: tt.op, Table: tb, Gateway: tt.gateway}
			assert.InDelta(t, tt.want, h.closedForm(req), 1e-6, "closed form")
			assert.InDelta(t, tt.want, h.latency(h.at(10, req)), 1e-6)
		})
	}
}
