package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/sim"
)

// at is a simulated instant s seconds into the run.
func at(s float64) sim.Time { return sim.Time(s * float64(time.Second)) }

func TestStallTracker(t *testing.T) {
	g := stallTracker{waiting: noWait}
	g.ok(at(0), at(0.1))
	g.ok(at(0.5), at(0.6))
	// Sparse requests: 4.5 s without a response, but the one request
	// issued in it waited 0.1 s: no stall.
	g.ok(at(5), at(5.1))
	// An outage: A issued at 10 fails at 12; C, issued at 13, is the
	// first to succeed (at 20); B, issued at 11, succeeds just after it.
	// The range served nobody from 10 (A waiting) to 20.
	g.failed(at(10), at(12))
	g.ok(at(13), at(20))
	g.ok(at(11), at(20.001))
	g.ok(at(20.5), at(20.6))
	// A request issued at 9.5 that waited across the outage and only now
	// reports (it succeeded at 20.7) moves the stall's start to 9.5.
	g.ok(at(9.5), at(20.7))
	// A lone slow request: issued at 30, served at 32.5.
	g.ok(at(30), at(32.5))
	// A failure with no success after it: open until the end (60 s).
	g.failed(at(50), at(50.5))
	g.close(at(60))
	require.Len(t, g.gaps, 3)
	assert.Equal(t, gap{at(9.5), at(20)}, g.gaps[0])
	assert.Equal(t, gap{at(30), at(32.5)}, g.gaps[1])
	assert.Equal(t, gap{at(50), at(60)}, g.gaps[2])
}

func TestStallTrackerQuietAfterFailures(t *testing.T) {
	g := stallTracker{waiting: noWait}
	g.ok(at(0), at(0.1))
	// Requests fail from 1 s to 4 s, then the clients stop asking (their
	// requests go to other ranges) until one succeeds at 200 s: the
	// stall is what they saw, 1–4 s, not 1–200 s.
	g.failed(at(1), at(1))
	g.failed(at(2), at(3))
	g.failed(at(3.5), at(4))
	g.ok(at(199.9), at(200))
	// Sparse failures within evidenceWindow of each other chain: 210–300.
	g.failed(at(210), at(210))
	g.failed(at(250), at(250))
	g.ok(at(299.9), at(300))
	g.close(at(400))
	assert.Equal(t, []gap{{at(1), at(4)}, {at(210), at(300)}}, g.gaps)
}

func TestStallTrackerSettlesOldCandidates(t *testing.T) {
	g := stallTracker{waiting: noWait}
	g.ok(at(0), at(0.1))
	g.ok(at(3), at(5)) // stall 3–5
	g.ok(at(5.1), at(5.2))
	require.Len(t, g.candidates[g.head:], 1)
	// evidenceWindow after 5 s the candidate settles into a logged stall
	// and is no longer held; the quiet minute before this response is the
	// only candidate left (its one request waited 0.1 s).
	late := sim.Time(evidenceWindow)
	g.ok(at(5.3)+late, at(5.4)+late)
	assert.Equal(t, []candidate{{prev: at(5.2), from: at(5.3) + late, next: at(5.4) + late}}, g.candidates[g.head:])
	assert.Equal(t, []gap{{at(3), at(5)}}, g.gaps)
	g.close(at(100))
	assert.Empty(t, g.candidates)
	assert.Equal(t, []gap{{at(3), at(5)}}, g.gaps, "close logs no stall shorter than SlowThreshold")
}

// homeAZsDown is a jitter-free 3-region scenario with one REGIONAL BY
// TABLE table homed in us-east1, read and written from every region, in
// which two of the home region's three AZs are down for 2 minutes.
const homeAZsDown = `
name: home-azs-down
seed: 3
duration: 170s
warmup: 10s
topology:
  rtt: crdb-demo
  regions: [us-east1, us-west1, europe-west1]
  jitter: none
database:
  primary_region: us-east1
  survival: zone
tables:
  - {name: accounts, locality: regional-by-table, home_region: us-east1, ranges: 4}
workload:
  - {region: us-east1, table: accounts, rate: 100, mix: {read: 0.5, write: 0.5}}
  - {region: us-west1, table: accounts, rate: 100, mix: {read: 0.5, write: 0.5}}
  - {region: europe-west1, table: accounts, rate: 100, mix: {read: 0.5, write: 0.5}}
faults:
  - {at: 30s, kind: zone, target: us-east1-a, for: 2m}
  - {at: 30s, kind: zone, target: us-east1-b, for: 2m}
`

func TestClientImpactZoneVsRegion(t *testing.T) {
	s, err := Parse([]byte(homeAZsDown), "home-azs-down.yaml")
	require.NoError(t, err)
	zone, err := Run(s)
	require.NoError(t, err)
	// One entry per fault × (op, client region).
	require.Len(t, zone.Impact, 2*2*3)
	vs := Verdicts(zone.Impact, DefaultSurviveWithin)
	require.Len(t, vs, 2)
	for _, v := range vs {
		// ZONE survival keeps all three voters in us-east1: with two of
		// its AZs down the table has no quorum for the whole fault, for
		// every client region alike.
		assert.False(t, v.Survived, v.Fault)
		assert.ElementsMatch(t, []string{"accounts@us-east1", "accounts@us-west1", "accounts@europe-west1"}, v.Failed)
		require.NotNil(t, v.Worst)
		// The whole fault, plus the recovery once the AZs are back
		// (liveness heartbeats, an election, a lease).
		assert.GreaterOrEqual(t, v.Worst.UnavailableS, 120.0, "unavailable for the whole fault")
		assert.Less(t, v.Worst.UnavailableS, 130.0)
		assert.InDelta(t, 30, v.Worst.UnavailableFromS, 0.1)
	}
	for _, st := range zone.Stats {
		// The 20 s before the fault: steady, every request served fast.
		require.NotNil(t, st.PreFault)
		assert.Positive(t, st.PreFault.Count)
		assert.Less(t, st.PreFault.P99Ms, 200.0)
		assert.Greater(t, st.P99Ms, 10_000.0, "the whole run includes the outage")
	}
	for _, im := range zone.Impact {
		assert.Greater(t, im.UnavailableS, 115.0, "%s %s@%s", im.Op, im.Table, im.ClientRegion)
		assert.LessOrEqual(t, im.Slow, im.Requests, "slow requests are among the requests")
		assert.Positive(t, im.Slow)
	}

	region, err := s.WithSurvival("region")
	require.NoError(t, err)
	reg, err := Run(region)
	require.NoError(t, err)
	for _, v := range Verdicts(reg.Impact, DefaultSurviveWithin) {
		// REGION survival puts voters in the other regions: the lease
		// fails over within seconds and the rest of the fault is served.
		assert.True(t, v.Survived, v.Fault)
		require.NotNil(t, v.Worst)
		assert.Positive(t, v.Worst.UnavailableS, "the failover window")
		assert.Less(t, v.Worst.UnavailableS, 10.0)
	}
	for _, im := range reg.Impact {
		assert.Positive(t, im.After.Count)
		assert.Less(t, im.After.P99Ms, 1000.0, "%s@%s served after failover", im.Op, im.ClientRegion)
	}
}

func TestClientImpactNoFaults(t *testing.T) {
	s, err := Load("default")
	require.NoError(t, err)
	s.Duration = 10 * time.Second
	require.NoError(t, s.Validate())
	r, err := Run(s)
	require.NoError(t, err)
	assert.NotNil(t, r.Impact)
	assert.Empty(t, r.Impact)
	for _, st := range r.Stats {
		assert.Nil(t, st.PreFault, "no fault, no pre-fault figures")
	}
	assert.Empty(t, Verdicts(r.Impact, DefaultSurviveWithin))
}

// TestClientImpactNamesTheRegionThatSuffers: movr under ZONE survival
// with us-east1 down for 2 minutes. Pooled over client regions, writes
// after failover look fine (most clients' rows live elsewhere); per
// client, us-east1's writes stalled for the whole outage, and the verdict
// names them.
func TestClientImpactNamesTheRegionThatSuffers(t *testing.T) {
	s, err := Load("movr")
	require.NoError(t, err)
	s.Duration = 150 * time.Second
	s.Faults = []Fault{{At: 20 * time.Second, Kind: FaultRegion, Target: "us-east1", For: 2 * time.Minute}}
	require.NoError(t, s.Validate())
	r, err := Run(s)
	require.NoError(t, err)
	require.Len(t, r.Verdicts, 1)
	v := r.Verdicts[0]
	assert.False(t, v.Survived)
	assert.Contains(t, v.Failed, "users@us-east1")
	require.NotNil(t, v.Worst)
	assert.GreaterOrEqual(t, v.Worst.UnavailableS, 115.0)
	found := false
	for _, im := range r.Impact {
		if im.Table == "users" && im.Op == "write" && im.ClientRegion == "us-east1" {
			found = true
			// Its rows' ranges have every voter in us-east1: no write
			// succeeds until the region is back.
			assert.GreaterOrEqual(t, im.UnavailableS, 115.0)
			assert.False(t, im.Survived(DefaultSurviveWithin))
		}
		if im.Table == "users" && im.Op == "write" && im.ClientRegion == "us-west1" {
			// us-west1's own rows live in us-west1: most of its writes
			// are served throughout.
			assert.Less(t, im.SlowShare(), 0.5)
		}
	}
	assert.True(t, found)
}

// TestStallTrackerMemoryBounded: a sparse client (a request every 1.5 s,
// each a candidate) keeps about evidenceWindow / 1.5 s of them live, and
// the queue reuses its settled slots rather than growing.
func TestStallTrackerMemoryBounded(t *testing.T) {
	g := stallTracker{waiting: noWait}
	for i := range 100_000 {
		s := at(1.5 * float64(i+1))
		g.ok(s, s+sim.Time(time.Millisecond))
	}
	assert.LessOrEqual(t, len(g.candidates)-g.head, 41)
	assert.LessOrEqual(t, cap(g.candidates), 128)
	g.close(at(200_000))
	assert.Empty(t, g.gaps, "no request waited")
}
