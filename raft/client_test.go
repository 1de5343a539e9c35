package raft

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/topology"
)

// TestClientAwayFromGateway: a client placed in another zone than its
// gateway's (workload gateway: any) pays that link both ways instead of
// the intra-zone hop. Leaseholder n1 (us-east1, zone a) reads:
//   - client in n1's zone, gateway n1: 0.2 + 0.3 + 0.2 ms;
//   - client in us-east1 zone b (n2), gateway n1: 1 + 0.3 + 1 ms;
//   - client in us-west1 (n4), gateway n1: 33 + 0.3 + 33 ms;
//   - client in us-west1 (n4), gateway n7 (europe-west1): 73 to the
//     gateway, 32 on to n1, evaluation, 32 back, 73 back.
func TestClientAwayFromGateway(t *testing.T) {
	tests := []struct {
		client, gateway topology.NodeID
		want            float64
	}{
		{n1, n1, cHop + svc + cHop},
		{n2, n1, zoneOW + svc + zoneOW},
		{n4, n1, 33 + svc + 33},
		{n4, n7, 73 + 32 + svc + 32 + 73},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("client %v gateway %v", tt.client, tt.gateway), func(t *testing.T) {
			h := newHarness(t, "crdb-demo", DefaultConfig())
			tb := h.table(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable, Layouts: []placement.RangeLayout{zoneLayoutA}, Rows: 10})
			tag := h.at(10, Request{Op: OpRead, Table: tb, Gateway: tt.gateway, Client: tt.client, ClientSet: true})
			assert.InDelta(t, tt.want, h.latency(tag), 1e-6)
		})
	}
}
