package advise

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
)

// TestEnumerateMovr counts movr's design space by hand: 3 RBR tables with
// 5 choices each (RBT in 3 regions, RBR, GLOBAL) and a GLOBAL one with 4,
// under 2 goals × 3 primaries × 3 secondaries (none or another) × 2 voter
// counts, plus the database without multi-region SQL with 3 or 5.
func TestEnumerateMovr(t *testing.T) {
	s, err := scenarios.Load("movr")
	require.NoError(t, err)
	cs := Enumerate(s)
	assert.Len(t, cs, 5*5*5*4*2*3*3*2+2)
	first := cs[0]
	assert.Equal(t, "zone us-east1 v3; users:RBT(us-east1) vehicles:RBT(us-east1) rides:RBT(us-east1) promo_codes:RBT(us-east1)", first.String())
	assert.Equal(t, "none v5; users:none vehicles:none rides:none promo_codes:none", cs[len(cs)-1].String())
	seen := map[string]bool{}
	for _, c := range cs {
		assert.False(t, seen[c.String()], "listed twice: %s", c)
		seen[c.String()] = true
	}
}

// TestApply checks the scenario a configuration gives: the database, the
// tables' localities, and an RBR table turned RBT losing its row
// placement and its workloads' local_rows.
func TestApply(t *testing.T) {
	s, err := scenarios.Load("movr")
	require.NoError(t, err)
	c := Config{Survival: "region", Primary: "us-west1", Secondary: "europe-west1", Voters: 5, Tables: []TableChoice{
		{Table: "users", Locality: "regional-by-table", Home: "europe-west1"},
		{Table: "vehicles", Locality: "regional-by-row"},
		{Table: "rides", Locality: "global"},
		{Table: "promo_codes", Locality: "regional-by-table", Home: "us-east1"},
	}}
	v, err := c.Apply(s)
	require.NoError(t, err)
	db := v.ResolvedDatabase()
	assert.Equal(t, []any{"us-west1", "europe-west1", placement.SurvivalRegion, 5}, []any{db.Primary, db.Secondary, db.Survival, *db.NumVoters})
	assert.Equal(t, placement.LocalityRegionalByTable, v.Tables[0].Locality)
	assert.Equal(t, "europe-west1", v.Tables[0].HomeRegion)
	assert.Nil(t, v.Tables[0].Cities)
	assert.NotNil(t, v.Tables[1].Cities, "still RBR")
	for _, w := range v.Workload {
		if w.Table == "users" || w.Table == "rides" {
			assert.Nil(t, w.LocalRows)
		}
		if w.Table == "vehicles" {
			assert.NotNil(t, w.LocalRows)
		}
	}
	assert.Empty(t, v.Faults)
	assert.NotNil(t, s.Tables[0].Cities, "the scenario is not modified")

	// CockroachDB refuses fewer than 5 voters under REGION survival.
	c.Voters = 3
	_, err = c.Apply(s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "num_voters")
}
