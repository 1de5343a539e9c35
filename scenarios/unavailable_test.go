package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClientUnavailable(t *testing.T) {
	r := impactResult()
	// A second workload of the same table, op and region: one entry.
	r.Stats = append(r.Stats, Stat{Table: "users", Locality: "regional-by-row", Op: "write", ClientRegion: "r", Count: 5})
	assert.Equal(t, []ClientUnavailable{
		// The AZ fault: users' worst range is 2 (6 s; range 1 had 4 + 1 s);
		// settings lost nothing, so it has no entry.
		{Fault: "zone a at 100s", Table: "users", Op: "write", ClientRegion: "r", Seconds: 6},
		{Fault: "region r at 200s", Table: "users", Op: "write", ClientRegion: "r", Seconds: 20},
		{Fault: "region r at 200s", Table: "settings", Op: "read", ClientRegion: "r", Seconds: 7},
	}, r.ClientUnavailable())

	// With Impact, the clients' own stalls, and only those above 0.
	r.Impact = []ClientImpact{
		{Fault: "zone a at 100s", Table: "users", Op: "write", ClientRegion: "r", UnavailableS: 2.5},
		{Fault: "zone a at 100s", Table: "settings", Op: "read", ClientRegion: "r"},
	}
	assert.Equal(t, []ClientUnavailable{
		{Fault: "zone a at 100s", Table: "users", Op: "write", ClientRegion: "r", Seconds: 2.5},
	}, r.ClientUnavailable())

	r.Faults, r.Unavailability, r.Impact = nil, nil, nil
	assert.Empty(t, r.ClientUnavailable(), "a run without faults")
}
