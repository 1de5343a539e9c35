package raft

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/sim"
	"github.com/regionsim/regionsim/sim/datadriven"
	"github.com/regionsim/regionsim/topology"
)

// TestTraces runs the data-driven trace scripts in testdata/traces: each
// sets up a jitter-free cluster (the hand-computed tests' conventions, see
// model_test.go), adds tables, requests and faults, runs, and prints the
// ordered message trace with simulated times. The expected outputs pin the
// request and failover paths: regenerate them with
//
//	go test ./raft -run TestTraces -rewrite
//
// and review the diff.
//
// Commands:
//
//	topology [rtt=crdb-demo] [version=24.3] [max-offset=500ms]
//	table name=T locality=regional-by-table|global|… voters=(n1,…) [non-voters=(…)] leaseholder=nX [partition=REGION] [rows=10]
//	request at=DUR op=OP table=T gateway=nX [region=I] [range=I] [key=I] [max-staleness=DUR [nearest-only]] [keyed]
//	transfer at=DUR range=I to=nX
//	fault at=DUR for=DUR crash=(n1,…) [blackhole] | a=(…) b=(…) [one-way]
//	liveness-lease-off nodes=(n1,…)   keep the liveness range's lease off these nodes
//	run-until DUR                     prints the requests that completed
//	trace [skip=(kind,…)] [only=(kind,…)] [from=DUR]
//	                                  prints the events since the last trace
//	                                  (closedts updates are skipped unless only= names them)
func TestTraces(t *testing.T) {
	files, err := filepath.Glob("testdata/traces/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ts := &traceState{}
			datadriven.RunTest(t, path, ts.run)
		})
	}
}

// traceState is one trace script's cluster.
type traceState struct {
	h      *harness
	tables map[string]TableID
	events []TraceEvent
	done   []string
	names  map[int64]string
}

// run runs one directive of a trace script.
func (ts *traceState) run(t *testing.T, d *datadriven.TestData) string {
	if d.Cmd != "topology" && ts.h == nil {
		d.Fatalf(t, "%s before topology", d.Cmd)
	}
	node := func(s string) topology.NodeID {
		var n int
		if _, err := fmt.Sscanf(s, "n%d", &n); err != nil || n < 1 || n > 9 {
			d.Fatalf(t, "bad node %q (want n1…n9)", s)
		}
		return topology.NodeID(n - 1)
	}
	nodes := func(key string) []topology.NodeID {
		var out []topology.NodeID
		for _, s := range d.Strings(key) {
			out = append(out, node(s))
		}
		return out
	}
	switch d.Cmd {
	case "topology":
		cfg := DefaultConfig()
		cfg.Version = d.StringOr("version", cfg.Version)
		cfg.MaxOffset = d.DurationOr(t, "max-offset", cfg.MaxOffset)
		h := newHarness(t, d.StringOr("rtt", "crdb-demo"), cfg)
		*ts = traceState{h: h, tables: map[string]TableID{}, names: map[int64]string{}}
		h.m.SetTracer(func(ev TraceEvent) { ts.events = append(ts.events, ev) })
		h.rec.onComplete = func(tag int64, start, end sim.Time, ok bool) {
			outcome := "ok"
			if !ok {
				outcome = "error"
			}
			ts.done = append(ts.done, fmt.Sprintf("req=%d %s %s %.3fms (%v -> %v)",
				tag, ts.names[tag], outcome, end.Sub(start).Seconds()*1000, start, end))
		}
		return ""
	case "table":
		loc, err := placement.ParseLocality(d.String(t, "locality"))
		require.NoError(t, err)
		l := layout(nodes("voters"), nodes("non-voters"), node(d.String(t, "leaseholder")),
			loc == placement.LocalityGlobal, d.StringOr("partition", ""))
		name := d.String(t, "name")
		id, err := ts.h.m.AddTable(TableDef{Name: name, Locality: loc, Layouts: []placement.RangeLayout{l}, Rows: d.IntOr(t, "rows", 10)})
		require.NoError(t, err)
		ts.tables[name] = id
		return fmt.Sprintf("%s: r%d", name, ts.h.m.Tables()[id].Ranges[0])
	case "request":
		op, err := ParseOp(d.String(t, "op"))
		require.NoError(t, err)
		table, ok := ts.tables[d.String(t, "table")]
		if !ok {
			d.Fatalf(t, "unknown table %q", d.String(t, "table"))
		}
		req := Request{Op: op, Table: table, Gateway: node(d.String(t, "gateway")),
			Region: d.IntOr(t, "region", -1), Range: d.IntOr(t, "range", 0), Key: d.IntOr(t, "key", 0)}
		if d.HasArg("max-staleness") {
			req.Bounded, req.MaxStaleness, req.NearestOnly = true, d.Duration(t, "max-staleness"), d.HasArg("nearest-only")
		}
		req.Keyed = d.HasArg("keyed")
		tag := ts.h.at(d.Duration(t, "at").Seconds(), req)
		ts.names[tag] = fmt.Sprintf("%v %s from %v", op, d.String(t, "table"), req.Gateway)
		return fmt.Sprintf("req=%d", tag)
	case "transfer":
		rng, to := RangeID(d.Int(t, "range")), node(d.String(t, "to"))
		ts.h.atTime(d.Duration(t, "at").Seconds(), func() { ts.h.m.TransferLease(rng, to, "script") })
		return ""
	case "fault":
		f := Fault{Name: d.Cmd, At: d.Duration(t, "at"), For: d.Duration(t, "for"),
			Crash: nodes("crash"), A: nodes("a"), B: nodes("b"), OneWay: d.HasArg("one-way"), Blackhole: d.HasArg("blackhole")}
		f.Name = fmt.Sprintf("crash %v", f.Crash)
		if len(f.A) > 0 {
			f.Name = fmt.Sprintf("partition %v | %v", f.A, f.B)
		}
		require.NoError(t, ts.h.m.AddFault(f))
		return fmt.Sprintf("liveness range replicas %v, lease on %v", ts.h.m.fo.live.replicas, ts.h.m.fo.live.holder)
	case "liveness-lease-off":
		keepLivenessLeaseOff(ts.h, nodes("nodes")...)
		return fmt.Sprintf("liveness lease on %v", ts.h.m.fo.live.holder)
	case "run-until":
		if len(d.CmdArgs) != 1 {
			d.Fatalf(t, "run-until takes one duration")
		}
		until, err := time.ParseDuration(d.CmdArgs[0].Key)
		if err != nil {
			d.Fatalf(t, "run-until: %v", err)
		}
		ts.h.e.RunUntil(sim.At(until))
		out := strings.Join(ts.done, "\n")
		ts.done = nil
		return out
	case "trace":
		skip, only := d.Strings("skip"), d.Strings("only")
		from := d.DurationOr(t, "from", 0)
		var b strings.Builder
		for _, ev := range ts.events {
			switch {
			case ev.At < sim.At(from):
			case len(only) > 0 && !slices.Contains(only, ev.Kind):
			case len(only) == 0 && (ev.Kind == "closedts" || slices.Contains(skip, ev.Kind)):
			default:
				b.WriteString(ev.String() + "\n")
			}
		}
		ts.events = ts.events[:0]
		return b.String()
	}
	d.Fatalf(t, "unknown command %q", d.Cmd)
	return ""
}
