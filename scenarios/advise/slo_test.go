package advise

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/scenarios/slo"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		expr              string
		table, op, region string
		metric            slo.Metric
		bound             float64
		survive           string
	}{
		{expr: "read.p99<20ms", op: "read", metric: slo.P99, bound: 20},
		{expr: "users.p50<=5ms", table: "users", metric: slo.P50, bound: 5},
		{expr: "users.write.p99@us-west1 < 150ms", table: "users", op: "write", region: "us-west1", metric: slo.P99, bound: 150},
		{expr: "write.p99@us-east1<1s", op: "write", region: "us-east1", metric: slo.P99, bound: 1000},
		{expr: "p99<100ms", metric: slo.P99, bound: 100},
		{expr: "*.p90<100ms", metric: slo.P90, bound: 100},
		{expr: "survive=region", survive: "region"},
		{expr: " survive = zone ", survive: "zone"},
	} {
		s, err := Parse(tc.expr)
		require.NoError(t, err, tc.expr)
		if tc.survive != "" {
			assert.Equal(t, tc.survive, s.Survive, tc.expr)
			assert.Nil(t, s.Assertion, tc.expr)
			continue
		}
		require.NotNil(t, s.Assertion, tc.expr)
		a := s.Assertion
		assert.Equal(t, []any{tc.table, tc.op, tc.region, tc.metric, tc.bound}, []any{a.Table, a.Op, a.Region, a.Metric, a.Bound}, tc.expr)
		assert.Equal(t, s.Expr, a.Expr, "the expression as given")
	}
}

func TestParseErrors(t *testing.T) {
	for _, expr := range []string{"survive=country", "survive==region", "survive", "read.p99<20", "read.p99", "reed.p99.x<1ms", "", "a.b.c.p99<1ms"} {
		_, err := Parse(expr)
		var se *slo.Error
		require.Error(t, err, expr)
		assert.True(t, errors.As(err, &se), "%q: %v", expr, err)
		assert.Contains(t, err.Error(), expr, "the message names the expression")
	}
}
