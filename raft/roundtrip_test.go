package raft

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/topology"
)

// TestRoundTripsKeepTheLinkTail: a read from region b of a range homed in
// region a crosses the a–b link once each way. With no service time and
// clients at their gateways, its latency is one round trip, which must
// follow the link's measured RTT (p50 100 ms, p99 150 ms): p50 within 2 %
// and p99 within 5 % over 10^5 round trips. Two independent half-RTT draws
// would give a p99 of about 134 ms.
func TestRoundTripsKeepTheLinkTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "link.csv")
	require.NoError(t, os.WriteFile(path, []byte("from,to,p50_ms,p99_ms\na,b,100,150\n"), 0o644))
	cfg := topology.DefaultConfig()
	cfg.RTT = path
	cfg.ZonesPerRegion = 3
	cfg.IntraZoneRTT, cfg.ServiceTime, cfg.Fsync = 0, 0, 0
	c, err := topology.Build(cfg)
	require.NoError(t, err)
	rec := &recorder{lat: map[int64][]float64{}, ok: map[int64][]bool{}}
	e := sim.NewEngine()
	m, err := New(e, c, DefaultConfig(), 5, rec)
	require.NoError(t, err)
	a, b := c.RegionNodes(0), c.RegionNodes(1)
	tb, err := m.AddTable(TableDef{Name: "t", Locality: placement.LocalityRegionalByTable,
		Layouts: []placement.RangeLayout{layout(a, nil, a[0], false, "")}, Rows: 10})
	require.NoError(t, err)
	const n = 100_000
	sent := 0
	var h sim.HandlerID
	h = e.Register(sim.HandlerFunc(func(*sim.Event) {
		sent++
		m.Submit(Request{Op: OpRead, Table: tb, Gateway: b[sent%len(b)]}, 1)
		if sent < n {
			e.After(time.Millisecond, h, 0, 0)
		}
	}))
	e.Schedule(sim.At(time.Second), h, 0, 0)
	e.RunUntil(sim.At(200 * time.Second))
	lat := rec.lat[1]
	require.Len(t, lat, n)
	p50 := stat.Quantile(0.5, stat.Empirical, sorted(lat), nil)
	p99 := stat.Quantile(0.99, stat.Empirical, sorted(lat), nil)
	t.Logf("round trips: p50 %.2f ms, p99 %.2f ms", p50, p99)
	assert.InEpsilon(t, 100, p50, 0.02, "p50 %.2f ms", p50)
	assert.InEpsilon(t, 150, p99, 0.05, "p99 %.2f ms", p99)
}

func sorted(x []float64) []float64 {
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	return y
}
