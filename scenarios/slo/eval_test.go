package slo

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios"
)

// handResult is a hand-built run: users (RBR) and accounts (RBT) from two
// client regions, and one AZ fault during which users' range 0 was down
// 4 s and accounts' range 1 twice, 2 + 3 s.
func handResult(survival string) *scenarios.Result {
	return &scenarios.Result{
		Scenario: "hand", Survival: survival,
		Regions: []string{"us-east1", "us-west1", "europe-west1"},
		Tables: []scenarios.TableInfo{
			{Name: "users", Locality: "regional-by-row", Ranges: 3},
			{Name: "accounts", Locality: "regional-by-table", Ranges: 2},
			{Name: "idle", Locality: "global", Ranges: 1}, // no requests
		},
		Stats: []scenarios.Stat{
			{Table: "users", Op: "read", ClientRegion: "us-east1", Count: 100, P50Ms: 1, P90Ms: 1.5, P99Ms: 2, P999Ms: 3, MaxMs: 4, MeanMs: 1.1},
			{Table: "users", Op: "read", ClientRegion: "us-west1", Count: 100, Errors: 1, P50Ms: 1.5, P99Ms: 3, MaxMs: 5},
			{Table: "users", Op: "write", ClientRegion: "us-east1", Count: 50, P50Ms: 4, P99Ms: 10, MaxMs: 12},
			{Table: "accounts", Op: "read", ClientRegion: "us-east1", Count: 80, P50Ms: 1.6, P99Ms: 2.5, MaxMs: 3},
			{Table: "accounts", Op: "read", ClientRegion: "us-west1", Count: 80, P50Ms: 64, P99Ms: 66, MaxMs: 67},
			{Table: "accounts", Op: "write", ClientRegion: "us-west1", Count: 40, Errors: 2, P50Ms: 68, P99Ms: 70, MaxMs: 72},
		},
		Faults: []scenarios.FaultWindow{{Name: "zone us-east1-a at 10s", StartS: 10, EndS: 20}},
		Unavailability: []scenarios.Unavailability{
			{Fault: "zone us-east1-a at 10s", Table: "users", Range: 0, StartS: 10, EndS: 14},
			{Fault: "zone us-east1-a at 10s", Table: "accounts", Range: 1, StartS: 10, EndS: 12},
			{Fault: "zone us-east1-a at 10s", Table: "accounts", Range: 1, StartS: 15, EndS: 18},
		},
	}
}

func mustParse(t *testing.T, expr string) Assertion {
	t.Helper()
	a, err := Parse(expr)
	require.NoError(t, err, expr)
	return a
}

type checkCase struct {
	expr     string
	ok       bool
	measured float64
	where    string
	matched  int
}

func runChecks(t *testing.T, src *Source, tests []checkCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			o, err := src.Check(mustParse(t, tt.expr))
			require.NoError(t, err)
			assert.Equal(t, tt.ok, o.OK)
			assert.InDelta(t, tt.measured, o.Measured, 1e-12)
			assert.Equal(t, tt.where, o.Where.String())
			assert.Equal(t, tt.matched, o.Matched)
			assert.Equal(t, tt.expr, o.Expr)
		})
	}
}

// TestCheckResult: the worst selected figure decides and is reported.
func TestCheckResult(t *testing.T) {
	runChecks(t, FromResult(handResult("zone")), []checkCase{
		{"users.write.p99<150ms", true, 10, "users write @us-east1, zone survival", 1},
		{"accounts.read.p50@us-west1<5ms", false, 64, "accounts read @us-west1, zone survival", 1},
		// < and <=: the largest.
		{"p99<50ms", false, 70, "accounts write @us-west1, zone survival", 6},
		{"*.read.p99<=66ms", true, 66, "accounts read @us-west1, zone survival", 4},
		{"*.*.max@us-east1<1s", true, 12, "users write @us-east1, zone survival", 3},
		{"users.read.p90<2ms", true, 1.5, "users read @us-east1, zone survival", 2},
		{"users.read.p999<2ms", false, 3, "users read @us-east1, zone survival", 2},
		{"users.read.mean<2ms", true, 1.1, "users read @us-east1, zone survival", 2},
		// > and >=: the smallest.
		{"requests>=50", false, 40, "accounts write @us-west1, zone survival", 6},
		{"users.*.count>40", true, 50, "users write @us-east1, zone survival", 3},
		// ==: the furthest from the bound; !=: the nearest (the first of
		// equals in Stats order).
		{"errors==0", false, 2, "accounts write @us-west1, zone survival", 6},
		{"users.*.errors<=1", true, 1, "users read @us-west1, zone survival", 3},
		{"errors!=0", false, 0, "users read @us-east1, zone survival", 6},
		// Error rate: 2 / 40 = 5 %, not below 5 %.
		{"error_rate<5%", false, 0.05, "accounts write @us-west1, zone survival", 6},
		{"users.*.error_rate<=0.01", true, 0.01, "users read @us-west1, zone survival", 3},
		// Unavailable: a table's worst range (accounts: 2 + 3 s), for every
		// op and client region of the table, naming the fault.
		{"unavailable<5s", false, 5, "accounts read @us-east1, zone survival, fault zone us-east1-a at 10s", 6},
		{"users.*.unavailable<5s", true, 4, "users read @us-east1, zone survival, fault zone us-east1-a at 10s", 3},
	})
}

func TestCheckResultWithoutFaults(t *testing.T) {
	r := handResult("none")
	r.Faults, r.Unavailability = nil, nil
	runChecks(t, FromResult(r), []checkCase{
		{"unavailable==0s", true, 0, "users read @us-east1", 6},
		{"unavailable<15s", true, 0, "users read @us-east1", 6},
	})
}

// TestCheckComparison: an assertion holds in every run; the report names
// the run's survival goal.
func TestCheckComparison(t *testing.T) {
	region := handResult("region")
	region.Stats[5].P99Ms = 130 // accounts write from us-west1
	region.Stats[5].Errors = 0
	region.Unavailability = nil
	cmp := &scenarios.Comparison{Runs: []scenarios.Result{*handResult("zone"), *region}}
	runChecks(t, FromComparison(cmp), []checkCase{
		{"accounts.write.p99<10ms", false, 130, "accounts write @us-west1, region survival", 2},
		{"accounts.write.p99<10s", true, 130, "accounts write @us-west1, region survival", 2},
		{"accounts.*.errors==0", false, 2, "accounts write @us-west1, zone survival", 6},
		{"unavailable<=5s", true, 5, "accounts read @us-east1, zone survival, fault zone us-east1-a at 10s", 12},
	})
}

func handSweep() *scenarios.SweepResult {
	users := func(op string, errs uint64, unavail, p99 float64) scenarios.SweepClient {
		c := scenarios.SweepClient{Table: "users", Locality: "regional-by-row", Op: op, ClientRegion: "us-east1", Runs: 3,
			Requests: 1000, Errors: errs, Unavailable: scenarios.Spread{Max: unavail}}
		if op == "write" {
			c.After = scenarios.LatencySummary{Count: 10, P50Ms: 3, P99Ms: p99}
		}
		return c
	}
	accounts := func(errs uint64, unavail float64) scenarios.SweepClient {
		return scenarios.SweepClient{Table: "accounts", Locality: "regional-by-table", Op: "read", ClientRegion: "us-west1", Runs: 3,
			Requests: 500, Errors: errs, Unavailable: scenarios.Spread{Max: unavail}} // nothing measured after failover
	}
	zone := scenarios.SweepFault{Name: "zone us-east1-a", Kind: "zone", Targets: []string{"us-east1-a"}}
	region := scenarios.SweepFault{Name: "region us-east1", Kind: "region", Targets: []string{"us-east1"}}
	return &scenarios.SweepResult{Scenario: "hand", Survivals: []string{"zone", "region"}, Cases: []scenarios.SweepCase{
		{SweepFault: zone, Survival: "zone", Runs: 3, Clients: []scenarios.SweepClient{users("write", 0, 1, 9), users("read", 0, 1, 0), accounts(2, 5)}},
		{SweepFault: zone, Survival: "region", Runs: 3, Clients: []scenarios.SweepClient{users("write", 0, 1, 12), users("read", 0, 1, 0), accounts(0, 4)}},
		{SweepFault: region, Survival: "zone", Runs: 3, Clients: []scenarios.SweepClient{users("write", 5, 31, 9000), users("read", 0, 30, 0), accounts(10, 32)}},
		{SweepFault: region, Survival: "region", Runs: 3, Clients: []scenarios.SweepClient{users("write", 0, 8, 150), users("read", 0, 8, 0), accounts(0, 7.5)}},
	}}
}

// TestCheckSweep: figures per client over every case.
func TestCheckSweep(t *testing.T) {
	runChecks(t, FromSweep(handSweep()), []checkCase{
		{"errors==0", false, 10, "accounts read @us-west1, zone survival, fault region us-east1", 12},
		{"users.*.errors<=5", true, 5, "users write @us-east1, zone survival, fault region us-east1", 8},
		{"accounts.*.requests>=500", true, 500, "accounts read @us-west1, zone survival, fault zone us-east1-a", 4},
		{"accounts.*.error_rate<=2%", true, 0.02, "accounts read @us-west1, zone survival, fault region us-east1", 4},
		{"unavailable<15s", false, 32, "accounts read @us-west1, zone survival, fault region us-east1", 12},
		{"*.write.p99<1s", false, 9000, "users write @us-east1, zone survival, fault region us-east1", 4},
		{"users.write.p50@us-east1<5ms", true, 3, "users write @us-east1, zone survival, fault zone us-east1-a", 4},
	})
}

func TestCheckErrors(t *testing.T) {
	run, sweep := FromResult(handResult("zone")), FromSweep(handSweep())
	for _, tc := range []struct {
		src  *Source
		expr string
		is   error
		want string
	}{
		{run, "foo.read.p99<1s", ErrUnknownName, `no such name: table "foo" (tables: users, accounts, idle)`},
		{run, "users.insert.p99<1s", ErrUnknownName, `op "insert" has no requests (ops: read, write)`},
		{run, "p99@mars<1s", ErrUnknownName, `client region "mars" (client regions: us-east1, us-west1)`},
		{run, "p99@europe-west1<1s", ErrUnknownName, `client region "europe-west1"`},
		{run, "accounts.write.p99@us-east1<1s", ErrNoMatch, "selects nothing: no requests for table accounts, op write, client region us-east1"},
		{run, "idle.*.errors==0", ErrNoMatch, "table idle, op *, client region *"},
		{sweep, "p90<1s", ErrNotMeasured, "not measured: sweep keeps no p90, only p50 and p99 of the requests after failover"},
		{sweep, "errors@mars==0", ErrUnknownName, `client region "mars"`},
		{sweep, "nope.*.errors==0", ErrUnknownName, `table "nope" (tables: users, accounts)`},
		{sweep, "accounts.write.p99<1s", ErrNoMatch, "no requests for table accounts, op write"},
		{sweep, "accounts.read.p99<1s", ErrNoMatch, "no p99 measured for table accounts"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := tc.src.Check(mustParse(t, tc.expr))
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.is)
			assert.Contains(t, err.Error(), `assertion "`+tc.expr+`": `)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestScenarioScope: names are checked against the scenario before it
// runs, with the same messages as against its result.
func TestScenarioScope(t *testing.T) {
	s, err := scenarios.Load("default")
	require.NoError(t, err)
	sc := ScenarioScope(s, "run", false)
	assert.Equal(t, "run", sc.Command)
	assert.Equal(t, []string{"users", "accounts", "promo_codes"}, sc.Tables)
	assert.Equal(t, []string{"read", "write", "stale_read", "bounded_read", "insert", "txn"}, sc.Ops)
	assert.Equal(t, []string{"us-east1", "us-west1", "europe-west1"}, sc.Regions)
	assert.Len(t, sc.Clients, 3*(4+3+3), "per region: users 4 ops, accounts 3, promo_codes 3")
	assert.Contains(t, sc.Clients, Client{"promo_codes", "bounded_read", "us-west1"})
	assert.False(t, sc.AfterFailover)
	assert.NoError(t, mustParse(t, "accounts.txn.p99@europe-west1<1s").Check(sc))
	err = mustParse(t, "acounts.read.p99<1s").Check(sc)
	assert.ErrorIs(t, err, ErrUnknownName)
	assert.ErrorContains(t, err, `table "acounts"`)
	err = mustParse(t, "users.txn.p99<1s").Check(sc)
	assert.ErrorIs(t, err, ErrNoMatch, "users has no txn, accounts has")
	assert.ErrorContains(t, err, "no requests for table users, op txn, client region *")

	sw := ScenarioScope(s, "sweep", true)
	assert.True(t, sw.AfterFailover)
	assert.Equal(t, sc.Clients, sw.Clients)
	assert.ErrorIs(t, mustParse(t, "p999<1s").Check(sw), ErrNotMeasured)
	assert.NoError(t, mustParse(t, "accounts.write.p99@us-west1<1s").Check(sw))
}

func TestOutcomeString(t *testing.T) {
	o := Outcome{Expr: "accounts.write.p99<10ms", Measured: 12.34, Unit: Milliseconds, Matched: 6,
		Where: Where{Table: "accounts", Op: "write", ClientRegion: "us-east1", Survival: "zone"}}
	assert.Equal(t, "assert accounts.write.p99<10ms: FAIL measured 12.3ms (worst of 6: accounts write @us-east1, zone survival)", o.String())
	o.OK, o.Matched, o.Measured = true, 1, 4.756
	assert.Equal(t, "assert accounts.write.p99<10ms: ok measured 4.76ms (accounts write @us-east1, zone survival)", o.String())
	for _, tc := range []struct {
		v    float64
		u    Unit
		want string
	}{
		{4.756, Milliseconds, "4.76ms"}, {134.24, Milliseconds, "134.2ms"}, {12822.7, Milliseconds, "12.82s"},
		{5.731, Seconds, "5.73s"}, {0, Seconds, "0.00s"},
		{3, Count, "3"}, {0.5, Count, "0.5"},
		{0.05, Ratio, "5%"}, {0.00123, Ratio, "0.123%"}, {0, Ratio, "0%"},
	} {
		assert.Equal(t, tc.want, FormatValue(tc.v, tc.u))
	}
}

// TestWorstDecidesProperty checks Check's worst-of selection against the
// naive oracle: the assertion holds for the worst figure exactly when it
// holds for every figure, and the worst is one of them.
func TestWorstDecidesProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		r := &scenarios.Result{Regions: []string{"r"}}
		n := 1 + rng.IntN(6)
		values := make([]float64, n)
		for j := range values {
			values[j] = float64(rng.IntN(5)) // small range: ties and equality happen
			r.Stats = append(r.Stats, scenarios.Stat{Table: "t", Op: "read", ClientRegion: "r", Count: 1, P99Ms: values[j]})
		}
		cmp := cmpTokens[rng.IntN(len(cmpTokens))].tok
		expr := fmt.Sprintf("p99%s%dms", cmp, rng.IntN(5))
		a := mustParse(t, expr)
		o, err := FromResult(r).Check(a)
		require.NoError(t, err)
		all := true
		for _, v := range values {
			all = all && a.Holds(v)
		}
		require.Equal(t, all, o.OK, "case %d: %s over %v", i, expr, values)
		require.Contains(t, values, o.Measured)
		require.Equal(t, n, o.Matched)
	}
}

// TestCheckStalenessAndApp: staleness metrics are read from stale and
// bounded reads only, app latency from stats with an application tier,
// contention from keyed stats; a selection with none of them measured is
// an error, and a sweep keeps none of them.
func TestCheckStalenessAndApp(t *testing.T) {
	r := &scenarios.Result{
		Scenario: "hand", Survival: "zone",
		Regions: []string{"us-east1", "us-west1"},
		Tables:  []scenarios.TableInfo{{Name: "kv", Locality: "regional-by-table", Ranges: 1}},
		Stats: []scenarios.Stat{
			{Table: "kv", Op: "read", ClientRegion: "us-west1", Count: 10, P50Ms: 66, P99Ms: 68,
				App: &scenarios.AppLatency{Region: "us-east1", ClientRTTMs: 30, P50Ms: 96, P99Ms: 98}},
			{Table: "kv", Op: "stale_read", ClientRegion: "us-west1", Count: 10, P50Ms: 1, P99Ms: 2,
				Staleness: &scenarios.Staleness{Reads: 10, P50S: 4.2, P99S: 4.2, MaxS: 4.2}},
			{Table: "kv", Op: "bounded_read", ClientRegion: "us-west1", Count: 10, P50Ms: 1, P99Ms: 900,
				Staleness: &scenarios.Staleness{Reads: 10, P50S: 3.1, P99S: 9.5, MaxS: 9.9}},
			{Table: "kv", Op: "write", ClientRegion: "us-east1", Count: 10, P50Ms: 3, P99Ms: 9,
				Contention: &scenarios.Contention{Requests: 10, Waited: 5, WaitedShare: 0.5, MeanMs: 1.0, P99Ms: 6.5, MaxMs: 7}},
			{Table: "kv", Op: "read", ClientRegion: "us-east1", Count: 10, P50Ms: 1, P99Ms: 4,
				Contention: &scenarios.Contention{Requests: 10, Waited: 2, WaitedShare: 0.2, MeanMs: 0.3, P99Ms: 2.5, MaxMs: 3}},
		},
	}
	runChecks(t, FromResult(r), []checkCase{
		{"staleness_p99<=10s", true, 9.5, "kv bounded_read @us-west1, zone survival", 2},
		{"kv.stale_read.staleness_p50<4s", false, 4.2, "kv stale_read @us-west1, zone survival", 1},
		{"app_p99<100ms", true, 98, "kv read @us-west1, zone survival", 1},
		{"kv.read.app_p50>=96ms", true, 96, "kv read @us-west1, zone survival", 1},
		{"contention_p99<=5ms", false, 6.5, "kv write @us-east1, zone survival", 2},
		{"kv.read.contention_mean<1ms", true, 0.3, "kv read @us-east1, zone survival", 1},
	})
	for _, tc := range []struct {
		src  *Source
		expr string
		is   error
		want string
	}{
		{FromResult(r), "kv.read.staleness_p99<10s", ErrNotMeasured, "staleness_p99 is measured for stale_read and bounded_read only, not read"},
		{FromResult(r), "kv.stale_read.app_p99<1s", ErrNoMatch, "no app_p99 measured for table kv, op stale_read"},
		{FromSweep(handSweep()), "staleness_p99<10s", ErrNotMeasured, "sweep keeps no staleness_p99"},
		{FromResult(r), "kv.stale_read.contention_p99<1s", ErrNoMatch, "no contention_p99 measured for table kv, op stale_read"},
		{FromSweep(handSweep()), "contention_p99<10ms", ErrNotMeasured, "sweep keeps no contention_p99"},
	} {
		_, err := tc.src.Check(mustParse(t, tc.expr))
		require.Error(t, err, tc.expr)
		assert.ErrorIs(t, err, tc.is, tc.expr)
		assert.Contains(t, err.Error(), tc.want)
	}
}
