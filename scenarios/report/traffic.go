package report

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// trafficRows are traffic.csv's rows of one run: every region pair, then
// every zone pair.
func trafficRows(r *scenarios.Result) [][]string {
	t := r.Traffic
	if t == nil {
		return nil
	}
	var rows [][]string
	add := func(scope string, p *scenarios.TrafficPair) {
		rows = append(rows, []string{scope, p.From, p.To, fmtUint(p.Bytes), fmtFull(p.BytesPerS), fmtUint(p.Messages),
			fmtUint(p.RaftBytes), fmtUint(p.KVBytes), fmtUint(p.ClosedTSBytes), fmtUint(p.SnapshotBytes), fmtUint(p.ClientBytes),
			t.Provider, fmtFull(p.USDPerGB), fmtFull(p.USDPerMonth)})
	}
	for i := range t.RegionPairs {
		add("region", &t.RegionPairs[i])
	}
	for i := range t.ZonePairs {
		add("zone", &t.ZonePairs[i])
	}
	return rows
}

// fmtRate formats a byte rate: "523 kB/s", "1.2 MB/s" (decimal units, as
// clouds bill).
func fmtRate(bps float64) string {
	switch {
	case bps >= 1e9:
		return strconv.FormatFloat(bps/1e9, 'f', 2, 64) + " GB/s"
	case bps >= 1e6:
		return strconv.FormatFloat(bps/1e6, 'f', 2, 64) + " MB/s"
	case bps >= 1e3:
		return strconv.FormatFloat(bps/1e3, 'f', 1, 64) + " kB/s"
	}
	return strconv.FormatFloat(bps, 'f', 0, 64) + " B/s"
}

// fmtUSD formats dollars: "$86", "$0.42".
func fmtUSD(v float64) string {
	if v >= 100 {
		return "$" + strconv.FormatFloat(v, 'f', 0, 64)
	}
	return "$" + strconv.FormatFloat(v, 'f', 2, 64)
}

// priceNote says which prices a cost used.
func priceNote(t *scenarios.Traffic) string {
	note := t.Provider + " egress prices"
	if t.Unconfirmed {
		note += " (some unconfirmed: scenarios/egress/prices.csv)"
	}
	if len(t.Unpriced) > 0 {
		note += fmt.Sprintf("; %d region pairs unpriced", len(t.Unpriced))
	}
	return note
}

// trafficSection lists the traffic between regions per directed pair and
// between zones per region, with their monthly cost.
func trafficSection(t *scenarios.Traffic) (section, bool) {
	if t == nil {
		return section{}, false
	}
	summary := fmt.Sprintf("%s between regions (%s bytes per request, peak %s), %s between zones",
		fmtRate(t.CrossRegionBytesPerS), strconv.FormatFloat(t.CrossRegionBytesPerRequest, 'f', 0, 64),
		fmtRate(t.PeakCrossRegionBytesPerS), fmtRate(t.InterZoneBytesPerS))
	if t.Provider != "none" {
		summary += fmt.Sprintf("; %s/month at %s", fmtUSD(t.USDPerMonth), priceNote(t))
	}
	g := &grid{cols: []column{{"from", left}, {"to", left}, {"rate", right}, {"raft", right}, {"kv", right},
		{"closedts", right}, {"snapshot", right}, {"$/GB", right}, {"$/month", right}}}
	share := func(part, all uint64) string {
		if all == 0 {
			return "-"
		}
		return strconv.FormatFloat(100*float64(part)/float64(all), 'f', 0, 64) + "%"
	}
	for _, p := range t.RegionPairs {
		g.add(p.From, p.To, fmtRate(p.BytesPerS), share(p.RaftBytes, p.Bytes), share(p.KVBytes, p.Bytes),
			share(p.ClosedTSBytes, p.Bytes), share(p.SnapshotBytes, p.Bytes),
			strconv.FormatFloat(p.USDPerGB, 'f', 4, 64), fmtUSD(p.USDPerMonth))
	}
	return section{name: "traffic", summary: summary, parts: []part{{"between regions", g}},
		notes: []string{"raft, kv, closedts, snapshot: shares of the pair's bytes (MsgApp/MsgAppResp, gateway<->replica batches, closed-timestamp updates, snapshots); $/month if the rate held for 730 h"}}, true
}

// writeCostTable writes what each run's traffic costs beside the latency
// of its writes (the median of the write stats' p50s), with the
// differences from the first run.
func writeCostTable(b *bytes.Buffer, runs []scenarios.Result, labels []string) {
	if g, ok := costGrid(runs, labels); ok {
		fmt.Fprintf(b, "\n== traffic and egress cost: %s ==\n\n", priceNote(runs[0].Traffic))
		g.writeText(b)
	}
}

// writeCostMarkdown is writeCostTable in Markdown, under a heading of
// the given level.
func writeCostMarkdown(b *bytes.Buffer, runs []scenarios.Result, labels []string, level int) {
	if g, ok := costGrid(runs, labels); ok {
		fmt.Fprintf(b, "\n%s Traffic and egress cost\n\nAt %s.\n\n", strings.Repeat("#", level), mdEscapeLine(priceNote(runs[0].Traffic)))
		g.writeMarkdown(b)
	}
}

// costGrid is the grid of writeCostTable; false when the first run has
// no traffic.
func costGrid(runs []scenarios.Result, labels []string) (*grid, bool) {
	if len(runs) == 0 || runs[0].Traffic == nil {
		return nil, false
	}
	g := &grid{cols: []column{{"run", left}, {"between regions", right}, {"bytes/request", right},
		{"between zones", right}, {"$/month", right}, {"Δ $/month", right}, {"write p50 ms", right}, {"Δ ms", right}}}
	first := &runs[0]
	w0, ok0 := medianWriteP50(first)
	for i := range runs {
		r := &runs[i]
		t := r.Traffic
		if t == nil {
			continue
		}
		d, dl := "", ""
		w, ok := medianWriteP50(r)
		if i > 0 {
			d = signedUSD(t.USDPerMonth - first.Traffic.USDPerMonth)
			if ok && ok0 {
				dl = fmtDelta(w - w0)
			}
		}
		ws := "-"
		if ok {
			ws = fmtMs(w)
		}
		g.add(labels[i], fmtRate(t.CrossRegionBytesPerS), strconv.FormatFloat(t.CrossRegionBytesPerRequest, 'f', 0, 64),
			fmtRate(t.InterZoneBytesPerS), fmtUSD(t.USDPerMonth), d, ws, dl)
	}
	return g, true
}

func signedUSD(v float64) string {
	if v < 0 {
		return "-" + fmtUSD(-v)
	}
	return "+" + fmtUSD(v)
}

// medianWriteP50 returns the median (lower middle) of the p50s of the
// run's write stats (write, insert, txn) with requests: one figure for
// what the run's writes cost in latency.
func medianWriteP50(r *scenarios.Result) (float64, bool) {
	var p50s []float64
	for _, s := range r.Stats {
		if (s.Op == "write" || s.Op == "insert" || s.Op == "txn") && s.Count > 0 {
			p50s = append(p50s, s.P50Ms)
		}
	}
	if len(p50s) == 0 {
		return 0, false
	}
	slices.Sort(p50s)
	return p50s[(len(p50s)-1)/2], true
}
