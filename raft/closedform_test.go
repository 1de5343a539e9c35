package raft

import (
	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/closedform"
	"github.com/regionsim/regionsim/sim"
)

// closedForm returns the latency package closedform computes for req on
// the harness's cluster, in ms: the hand-computed tests check their
// expected values against the library's formulas as well as against the
// simulation. req's path must be a single value (not a mixture).
func (h *harness) closedForm(req Request) float64 {
	h.t.Helper()
	m := closedform.NewModel(h.m.cluster, h.m.cfg.ClosedForm(), closedform.Median)
	t := &h.m.tables[req.Table]
	ct := &closedform.Table{
		LOS: t.LOS, UniqueChecks: t.UniqueChecks, TxnRanges: t.TxnRanges, Global: t.GlobalReads,
	}
	index := map[RangeID]int{}
	for i, id := range t.Ranges {
		index[id] = i
		ct.Ranges = append(ct.Ranges, h.m.ranges[id].Layout)
	}
	if t.Partitions != nil {
		ct.Partitions = make([][]int, len(t.Partitions))
		for reg, p := range t.Partitions {
			for _, id := range p {
				ct.Partitions[reg] = append(ct.Partitions[reg], index[id])
			}
		}
	}
	row := closedform.Row{Region: req.Region, Range: req.Range}
	var d closedform.Dist
	switch req.Op {
	case OpRead:
		d = m.Read(ct, req.Gateway, row)
	case OpStaleRead:
		d = m.StaleRead(ct, req.Gateway, row)
	case OpBoundedRead:
		d = m.BoundedRead(ct, req.Gateway, row)
	case OpInsert:
		d = m.Insert(ct, req.Gateway, row)
	case OpTxn:
		d = m.Txn(ct, req.Gateway, row)
	default:
		d = m.WriteRow(ct, req.Gateway, row)
	}
	require.Len(h.t, d, 1, "a single path: %v", d)
	return sim.DurationMs(d[0].Latency)
}
