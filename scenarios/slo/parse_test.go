package slo

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		expr string
		want Assertion // Expr is filled in from expr
	}{
		{"users.write.p99<150ms", Assertion{Table: "users", Op: "write", Metric: P99, Cmp: Less, Bound: 150}},
		{"accounts.read.p50@us-west1<5ms", Assertion{Table: "accounts", Op: "read", Region: "us-west1", Metric: P50, Cmp: Less, Bound: 5}},
		{"errors==0", Assertion{Metric: Errors, Cmp: Equal}},
		{"unavailable<15s", Assertion{Metric: Unavailable, Cmp: Less, Bound: 15}},
		// Every comparison.
		{"p90<=1.5s", Assertion{Metric: P90, Cmp: LessEq, Bound: 1500}},
		{"requests>1000", Assertion{Metric: Requests, Cmp: Greater, Bound: 1000}},
		{"count>=10", Assertion{Metric: Requests, Cmp: GreaterEq, Bound: 10}},
		{"errors!=3", Assertion{Metric: Errors, Cmp: NotEqual, Bound: 3}},
		// Every duration unit, in the metric's unit (ms for latency, s for
		// unavailable).
		{"max<500us", Assertion{Metric: Max, Cmp: Less, Bound: 0.5}},
		{"mean<2µs", Assertion{Metric: Mean, Cmp: Less, Bound: 0.002}},
		{"p999<250000ns", Assertion{Metric: P999, Cmp: Less, Bound: 0.25}},
		{"p99<1m", Assertion{Metric: P99, Cmp: Less, Bound: 60000}},
		{"unavailable<=1500ms", Assertion{Metric: Unavailable, Cmp: LessEq, Bound: 1.5}},
		{"unavailable<.5s", Assertion{Metric: Unavailable, Cmp: Less, Bound: 0.5}},
		{"unavailable==0s", Assertion{Metric: Unavailable, Cmp: Equal}},
		// Error rates as fractions or percentages.
		{"error_rate<0.001", Assertion{Metric: ErrorRate, Cmp: Less, Bound: 0.001}},
		{"error_rate<0.1%", Assertion{Metric: ErrorRate, Cmp: Less, Bound: 0.001}},
		{"error_rate<=100%", Assertion{Metric: ErrorRate, Cmp: LessEq, Bound: 1}},
		// * and omitted mean every; spaces around the comparison.
		{"*.*.p99 < 10ms", Assertion{Metric: P99, Cmp: Less, Bound: 10}},
		{"users.*.errors==0", Assertion{Table: "users", Metric: Errors, Cmp: Equal}},
		{"*.write.p50@*<3ms", Assertion{Op: "write", Metric: P50, Cmp: Less, Bound: 3}},
		{"  errors@europe-west1 <= 2  ", Assertion{Region: "europe-west1", Metric: Errors, Cmp: LessEq, Bound: 2}},
		{"t.stale_read.p99>1e1ms", Assertion{Table: "t", Op: "stale_read", Metric: P99, Cmp: Greater, Bound: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Parse(tt.expr)
			require.NoError(t, err)
			tt.want.Expr = got.Expr
			assert.InDelta(t, tt.want.Bound, got.Bound, 1e-9*max(1, tt.want.Bound))
			tt.want.Bound = got.Bound
			assert.Equal(t, tt.want, got)
		})
	}
	a, err := Parse("  errors == 0 ")
	require.NoError(t, err)
	assert.Equal(t, "errors == 0", a.Expr, "surrounding space trimmed, the rest kept")
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string // in the message, after `assertion "EXPR": `
		is   error
	}{
		{"", "malformed: empty", ErrSyntax},
		{"foo", "no comparison (one of < <= > >= == !=)", ErrSyntax},
		{"accounts.write.p99<<10ms", `two comparisons in a row ("<<")`, ErrSyntax},
		{"p99<=<10ms", `two comparisons in a row ("<=<")`, ErrSyntax},
		{"p99=10ms", `"=" is not a comparison (equality is ==)`, ErrSyntax},
		{"p99!10ms", `"!" is not a comparison`, ErrSyntax},
		{"p99=>10ms", `"=" is not a comparison`, ErrSyntax},
		{"<10ms", `nothing to measure before "<"`, ErrSyntax},
		{"p99<", `no value after "<"`, ErrSyntax},
		{"p99<10parsecs", `p99 bound "10parsecs" is not a duration`, ErrSyntax},
		{"p99<10", "p99 needs a unit: 10ms or 10s", ErrSyntax},
		{"p99<-1ms", `p99 bound "-1ms" is not a duration`, ErrSyntax},
		{"p99<infms", `p99 bound "infms" is not a duration`, ErrSyntax},
		{"p99<1h", `p99 bound "1h" is not a duration`, ErrSyntax},
		{"unavailable<15", "unavailable needs a unit: 15ms or 15s", ErrSyntax},
		{"errors<1ms", `errors bound "1ms" is not a plain number >= 0`, ErrSyntax},
		{"errors<-1", `errors bound "-1" is not a plain number`, ErrSyntax},
		{"requests>NaN", `requests bound "NaN" is not a plain number`, ErrSyntax},
		{"errors<0x10", `errors bound "0x10" is not a plain number`, ErrSyntax},
		{"error_rate<5", `error_rate bound "5" is over 1 (a fraction: 0.01, or a percentage: 5%)`, ErrSyntax},
		{"error_rate<101%", `error_rate bound "101%" is over 100%`, ErrSyntax},
		{"error_rate<lots", `error_rate bound "lots" is not a fraction or a percentage`, ErrSyntax},
		{"p95<10ms", `unknown metric "p95" (metrics: p50, p90, p99, p999, max, mean, errors, requests, error_rate, unavailable, staleness_p50, staleness_p99, app_p50, app_p99, contention_mean, contention_p99, count)`, ErrSyntax},
		{"users.p99<10ms", `"users.p99" has 2 dot-separated parts`, ErrSyntax},
		{"users.write.p99.9<10ms", "(p99.9 is written p999)", ErrSyntax},
		{"a.b.c.p99<10ms", "4 dot-separated parts", ErrSyntax},
		{".write.p99<10ms", "empty table", ErrSyntax},
		{"users..p99<10ms", "empty op", ErrSyntax},
		{"p99@<10ms", "no client region after @", ErrSyntax},
		{"p99@a@b<10ms", `client region "a@b"`, ErrSyntax},
		{"users . write.p99<10ms", "space inside", ErrSyntax},
		{"users.wirte.p99<10ms", `no such name: op "wirte" (ops: read, write, stale_read, bounded_read, insert, txn)`, ErrUnknownName},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := Parse(tt.expr)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.is)
			var e *Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, tt.expr, e.Expr)
			assert.Contains(t, err.Error(), `assertion "`+tt.expr+`": `, "names the assertion")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseAll(t *testing.T) {
	as, err := ParseAll([]string{"errors==0", "p99<<1ms", "unavailable<15s", "foo"})
	assert.Len(t, as, 2, "the good ones")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"p99<<1ms"`)
	assert.Contains(t, err.Error(), `"foo"`)
	as, err = ParseAll(nil)
	assert.NoError(t, err)
	assert.Empty(t, as)
}

func TestCmp(t *testing.T) {
	for _, tc := range []struct {
		cmp        Cmp
		tok        string
		lt, eq, gt bool // holds for measured below, at and above the bound
	}{
		{Less, "<", true, false, false},
		{LessEq, "<=", true, true, false},
		{Greater, ">", false, false, true},
		{GreaterEq, ">=", false, true, true},
		{Equal, "==", false, true, false},
		{NotEqual, "!=", true, false, true},
	} {
		assert.Equal(t, tc.tok, tc.cmp.String())
		assert.Equal(t, tc.lt, tc.cmp.Holds(1, 2), tc.tok)
		assert.Equal(t, tc.eq, tc.cmp.Holds(2, 2), tc.tok)
		assert.Equal(t, tc.gt, tc.cmp.Holds(3, 2), tc.tok)
	}
	assert.Panics(t, func() { Cmp(99).Holds(1, 1) })
}

func TestMetricUnits(t *testing.T) {
	for m := P50; m < numMetrics; m++ {
		want := Count
		switch m {
		case P50, P90, P99, P999, Max, Mean, AppP50, AppP99, ContentionMean, ContentionP99:
			want = Milliseconds
		case Unavailable, StalenessP50, StalenessP99:
			want = Seconds
		case ErrorRate:
			want = Ratio
		}
		assert.Equal(t, want, m.Unit(), m.String())
		assert.Equal(t, want == Milliseconds && !m.App() && !m.Contention(), m.Latency(), m.String())
	}
}
