package raft

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/sim"
)

// TestFutureWritesOracle checks futureWrites against a map of every write:
// for every key, the latest write timestamp still in the future must come
// back (past ones may or may not, since no read can meet them).
func TestFutureWritesOracle(t *testing.T) {
	r := sim.NewRand(1, 2)
	var w futureWrites
	oracle := map[int32]sim.Time{}
	now := sim.Time(0)
	for step := range 200000 {
		now += sim.Time(r.IntN(1000))
		k := int32(r.IntN(5000))
		if r.IntN(2) == 0 {
			ts := now + sim.Time(r.IntN(800_000))
			w.put(k, ts, now)
			oracle[k] = max(oracle[k], ts)
		}
		q := int32(r.IntN(5000))
		want, ok := oracle[q]
		got := w.get(q)
		if ok && want > now {
			require.Equal(t, want, got, "step %d key %d", step, q)
		} else {
			require.True(t, got <= now, "step %d key %d: no future write, got %v", step, q, got)
		}
	}
	require.Less(t, len(w.t.keys), 1<<12, "memory follows the live writes, not the key space")
	require.Zero(t, testing.AllocsPerRun(1000, func() { w.get(7) }))
}
