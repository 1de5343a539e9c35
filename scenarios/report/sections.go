package report

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// topN is how many entries the unavailability and lease sections list.
const topN = 10

// section is a short block after the latency table: a name, a one-line
// summary and captioned tables.
type section struct {
	name    string
	summary string
	parts   []part
	notes   []string // lines after the tables: definitions of the columns
}

// part is one captioned table of a section; an empty caption prints none.
type part struct {
	caption string
	g       *grid
}

func (s *section) writeText(b *bytes.Buffer) {
	fmt.Fprintf(b, "%s: %s\n", s.name, s.summary)
	for i, p := range s.parts {
		if i > 0 {
			b.WriteByte('\n')
		}
		if p.caption != "" {
			b.WriteString(p.caption + ":\n")
		}
		p.g.writeText(b)
	}
	for i, n := range s.notes {
		if i == 0 {
			b.WriteByte('\n')
		}
		b.WriteString(n + "\n")
	}
}

func (s *section) writeMarkdown(b *bytes.Buffer, level int) {
	fmt.Fprintf(b, "%s %s\n\n", strings.Repeat("#", level), capitalise(s.name))
	fmt.Fprintf(b, "%s.\n", mdEscapeLine(capitalise(s.summary)))
	for _, p := range s.parts {
		b.WriteByte('\n')
		if p.caption != "" {
			fmt.Fprintf(b, "%s:\n\n", mdEscapeLine(capitalise(p.caption)))
		}
		p.g.writeMarkdown(b)
	}
	if len(s.notes) > 0 {
		b.WriteByte('\n')
		b.WriteString(mdEscapeLine(strings.Join(s.notes, " ")) + "\n")
	}
}

// capitalise upper-cases an ASCII first letter, except in a camel-case
// term such as pMax.
func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' || len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// plural returns "n word" with an "s" unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// detailSections returns the unavailability and lease sections of r, each
// only when r has entries for it.
func detailSections(r *scenarios.Result) []section {
	var out []section
	if sec, ok := appSection(r.Stats); ok {
		out = append(out, sec)
	}
	if sec, ok := stalenessSection(r.Stats); ok {
		out = append(out, sec)
	}
	if sec, ok := contentionSection(r.Stats); ok {
		out = append(out, sec)
	}
	if len(r.Faults) > 0 {
		if sec, ok := clientSection(r); ok {
			out = append(out, sec)
		}
		out = append(out, faultSection(r))
		if sec, ok := pMaxSection(r); ok {
			out = append(out, sec)
		}
	}
	if len(r.Unavailability) > 0 {
		out = append(out, unavailabilitySection(r.Unavailability))
	}
	if len(r.Leases) > 0 {
		out = append(out, leaseSection(r.Leases))
	}
	if sec, ok := leaseShareSection(r); ok {
		out = append(out, sec)
	}
	if sec, ok := trafficSection(r.Traffic); ok {
		out = append(out, sec)
	}
	if sec, ok := loadSection(r); ok {
		out = append(out, sec)
	}
	return out
}

// clientSection gives each fault's verdict (Result.Verdicts) and the
// clients (table × op × client region) that stalled under it
// (Result.Impact): the longest stall, when it began and on which range,
// the slow share, errors, and latency during and after failover.
func clientSection(r *scenarios.Result) (section, bool) {
	if len(r.Verdicts) == 0 {
		return section{}, false
	}
	verdicts := &grid{cols: []column{
		{"fault", left}, {"survived", left}, {"worst client", left}, {"unavail s", right}, {"clients not served", left},
	}}
	bound, failed := 0.0, 0
	for _, v := range r.Verdicts {
		bound = v.BoundS
		survived, worst, unavail := "yes", "-", "0.00"
		if !v.Survived {
			survived = "no"
			failed++
		}
		if v.Worst != nil {
			worst = fmt.Sprintf("%s %s @%s", v.Worst.Table, v.Worst.Op, v.Worst.ClientRegion)
			if v.Worst.UnavailableRange >= 0 {
				worst += fmt.Sprintf(" (range %d)", v.Worst.UnavailableRange)
			}
			unavail = fmtSec(v.Worst.UnavailableS)
		}
		verdicts.add(v.Fault, survived, worst, unavail, orDash(strings.Join(v.Failed, ", ")))
	}
	stalls := &grid{cols: []column{
		{"fault", left}, {"table", left}, {"op", left}, {"client region", left},
		{"unavail s", right}, {"from s", right}, {"range", right}, {"ranges", right},
		{"slow %", right}, {"errors", right},
		{"during p99 ms", right}, {"after p50 ms", right}, {"after p99 ms", right},
	}}
	prev := ""
	for _, im := range r.Impact {
		if im.UnavailableS <= 0 {
			continue
		}
		fault := im.Fault
		if fault == prev {
			fault = ""
		} else if prev != "" {
			stalls.gap()
		}
		prev = im.Fault
		stalls.add(fault, im.Table, im.Op, im.ClientRegion,
			fmtSec(im.UnavailableS), fmtSec(im.UnavailableFromS), fmt.Sprint(im.UnavailableRange), fmt.Sprint(im.RangesUnavailable),
			fmtPct(im.Slow, im.Requests), fmtUint(im.Errors),
			countedMs(im.During.Count, im.During.P99Ms), countedMs(im.After.Count, im.After.P50Ms), countedMs(im.After.Count, im.After.P99Ms))
	}
	parts := []part{{"", verdicts}}
	if len(stalls.rows) > 0 {
		parts = append(parts, part{"clients that stalled (others: no stall of 1 s or more)", stalls})
	}
	return section{
		name: "clients",
		summary: fmt.Sprintf("%d of %s not survived (survived: no table, op and client region stalled over %s s)",
			failed, plural(len(r.Verdicts), "fault"), fmtNum(bound)),
		parts: parts,
		notes: []string{
			"stall: a stretch in which a range served none of a client's requests while one of them waited (failed,",
			"or slow); unavail: the longest overlapping the fault, from its start until the next fault or the end;",
			"range: where (index within the table); ranges: how many stalled. slow: failed or over 1 s, issued from",
			"one interval before the fault. during: issued in the first min(30 s, half the fault); after: then until it ended.",
		},
	}, true
}

// faultSection summarises each fault's impact per table locality
// (Result.FaultImpacts): how many ranges lost service and for how long,
// the requests and errors issued while the fault lasted, and the p50 of
// writes and reads after failover.
func faultSection(r *scenarios.Result) section {
	g := &grid{cols: []column{
		{"fault", left}, {"locality", left}, {"ranges down", right},
		{"max unavail s", right}, {"p99 unavail s", right},
		{"requests", right}, {"errors", right},
		{"after failover s", right}, {"write p50 ms", right}, {"read p50 ms", right},
	}}
	impacts := r.FaultImpacts()
	iv := fmtNum(r.TimelineSeconds)
	if r.TimelineSeconds <= 0 {
		iv = "1"
	}
	down, longest := 0, 0.0
	for i, im := range impacts {
		down += im.RangesUnavailable
		longest = max(longest, im.MaxUnavailableS)
		fault, window := orDash(im.Fault), fmtNum(im.AfterS)+"–"+fmtNum(im.EndS)
		if i > 0 && im.Fault == impacts[i-1].Fault {
			fault, window = "", ""
		} else if i > 0 {
			g.gap()
		}
		g.add(fault, orDash(im.Locality),
			fmt.Sprintf("%d/%d", im.RangesUnavailable, im.Ranges),
			fmtSec(im.MaxUnavailableS), fmtSec(im.P99UnavailableS),
			fmtUint(im.Requests), fmtUint(im.Errors), window,
			countedMs(im.WriteCount, im.WriteP50Ms), countedMs(im.ReadCount, im.ReadP50Ms))
	}
	return section{
		name: "faults",
		summary: fmt.Sprintf("%s, %d ranges down in total, longest %s s",
			plural(len(r.Faults), "fault"), down, fmtSec(longest)),
		parts: []part{{"", g}},
		notes: []string{
			"ranges down: ranges with an outage during the fault; unavail: a range's outages summed, p99 over those ranges.",
			fmt.Sprintf("requests, errors: issued from %[1]s s before the fault (in flight when it started) until %[1]s s before", iv),
			"the next fault started, or the run ended. after failover: from min(30 s, half the fault) after the fault",
			"started until it ended; p50 there is the median of the interval p50s, weighted by requests.",
		},
	}
}

// pMaxSection names the worst latency of a successful request in the run
// (pMax, as CockroachDB's failover roachtests report it) per table and op,
// and the longest range outage with its phases: what the worst request
// waited on.
func pMaxSection(r *scenarios.Result) (section, bool) {
	type key struct{ table, op string }
	worst := map[key]*scenarios.Stat{}
	var keys []key
	for i := range r.Stats {
		s := &r.Stats[i]
		k := key{s.Table, s.Op}
		if w, ok := worst[k]; !ok {
			worst[k] = s
			keys = append(keys, k)
		} else if s.MaxOKMs > w.MaxOKMs {
			worst[k] = s
		}
	}
	if len(keys) == 0 {
		return section{}, false
	}
	g := &grid{cols: []column{{"table", left}, {"op", left}, {"pMax ms", right}, {"client region", left}}}
	best := 0.0
	for _, k := range keys {
		s := worst[k]
		best = max(best, s.MaxOKMs)
		pmax := "-" // no request succeeded
		if s.MaxOKMs > 0 {
			pmax = fmtMs(s.MaxOKMs)
		}
		g.add(k.table, k.op, pmax, s.ClientRegion)
	}
	sec := section{
		name:    "pMax",
		summary: "no request succeeded",
		parts:   []part{{"", g}},
	}
	if best > 0 {
		sec.summary = fmt.Sprintf("worst successful request %s ms", fmtMs(best))
	}
	longest := -1
	for i, u := range r.Unavailability {
		if longest < 0 || u.EndS-u.StartS > r.Unavailability[longest].EndS-r.Unavailability[longest].StartS {
			longest = i
		}
	}
	if longest >= 0 {
		u := r.Unavailability[longest]
		sec.notes = append(sec.notes, fmt.Sprintf("longest outage %s s (%s, range %d of %s): %s",
			fmtSec(u.EndS-u.StartS), orDash(u.Fault), u.Range, u.Table, fmtPhases(u.Phases, u.PhaseOrder)))
	}
	return sec, true
}

// countedMs formats a latency measured over n requests: "-" when n is 0.
func countedMs(n uint64, v float64) string {
	if n == 0 {
		return "-"
	}
	return fmtMs(v)
}

// shareRows is how many samples the lease-share section prints per table.
const shareRows = 12

// leaseShareSection shows, for every table whose leases moved, where its
// leases were over time (shareRows evenly spaced samples, percent of the
// table's ranges per region) and its transfers per range and hour.
func leaseShareSection(r *scenarios.Result) (section, bool) {
	var parts []part
	var summary []string
	for _, lt := range r.LeaseTransfers {
		if lt.Transfers == 0 {
			continue
		}
		summary = append(summary, fmt.Sprintf("%s %s (%.2f per range per hour)",
			lt.Table, plural(lt.Transfers, "transfer"), lt.PerRangePerHour))
		var times []float64
		var regions []string
		share := map[float64]map[string]float64{}
		for _, p := range r.LeaseShare {
			if p.Table != lt.Table {
				continue
			}
			if share[p.TS] == nil {
				share[p.TS] = map[string]float64{}
				times = append(times, p.TS)
			}
			if !slices.Contains(regions, p.Region) {
				regions = append(regions, p.Region)
			}
			share[p.TS][p.Region] = p.Share
		}
		if len(times) == 0 {
			continue
		}
		g := &grid{cols: []column{{"t s", right}}}
		for _, reg := range regions {
			g.cols = append(g.cols, column{reg + " %", right})
		}
		step := max(1, len(times)/shareRows)
		for i := 0; i < len(times); i += step {
			row := []string{fmtSec(times[i])}
			for _, reg := range regions {
				row = append(row, fmt.Sprintf("%.0f", 100*share[times[i]][reg]))
			}
			g.add(row...)
		}
		parts = append(parts, part{"leases of " + lt.Table + " by region over time", g})
	}
	if len(parts) == 0 {
		return section{}, false
	}
	return section{name: "lease share", summary: strings.Join(summary, "; "), parts: parts}, true
}

// rangeKey identifies a range across tables.
type rangeKey struct {
	table string
	id    int
}

// unavailabilitySection summarises outages per fault, in the order each
// fault first appears in u, and lists the topN longest outages (longest
// first; ties in the order of u).
func unavailabilitySection(u []scenarios.Unavailability) section {
	type faultSum struct {
		name           string
		outages        int
		ranges         map[rangeKey]bool
		tables         map[string]bool
		start, end     float64
		longest, total float64
	}
	var faults []*faultSum
	byName := map[string]*faultSum{}
	longest := 0.0
	for _, e := range u {
		d := e.EndS - e.StartS
		longest = max(longest, d)
		f := byName[e.Fault]
		if f == nil {
			f = &faultSum{name: e.Fault, ranges: map[rangeKey]bool{}, tables: map[string]bool{},
				start: e.StartS, end: e.EndS, longest: d}
			byName[e.Fault] = f
			faults = append(faults, f)
		}
		f.outages++
		f.ranges[rangeKey{e.Table, e.Range}] = true
		f.tables[e.Table] = true
		f.start, f.end = min(f.start, e.StartS), max(f.end, e.EndS)
		f.longest = max(f.longest, d)
		f.total += d
	}

	perFault := &grid{cols: []column{
		{"fault", left}, {"outages", right}, {"ranges", right}, {"tables", left},
		{"first start s", right}, {"last end s", right}, {"longest s", right}, {"mean s", right},
	}}
	for _, f := range faults {
		tables := sortedKeys(f.tables)
		perFault.add(orDash(f.name), fmt.Sprint(f.outages), fmt.Sprint(len(f.ranges)),
			strings.Join(tables, ","), fmtSec(f.start), fmtSec(f.end),
			fmtSec(f.longest), fmtSec(f.total/float64(f.outages)))
	}

	order := make([]int, len(u))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(u[b].EndS-u[b].StartS, u[a].EndS-u[a].StartS)
	})
	n := min(topN, len(order))
	top := &grid{cols: []column{
		{"fault", left}, {"table", left}, {"range", right},
		{"start s", right}, {"end s", right}, {"duration s", right}, {"phases s", left},
	}}
	for _, i := range order[:n] {
		e := &u[i]
		top.add(orDash(e.Fault), orDash(e.Table), fmt.Sprint(e.Range), fmtSec(e.StartS),
			fmtSec(e.EndS), fmtSec(e.EndS-e.StartS), fmtPhases(e.Phases, e.PhaseOrder))
	}

	return section{
		name: "unavailability",
		summary: fmt.Sprintf("%s during %s, longest %s s",
			plural(len(u), "range outage"), plural(len(faults), "fault"), fmtSec(longest)),
		parts: []part{
			{"", perFault},
			{fmt.Sprintf("longest outages, %d of %d", n, len(u)), top},
		},
	}
}

// phaseOrder is the order phases are listed in when a result does not say
// in which order they came; others follow by name.
var phaseOrder = []string{"election", "liveness", "detect", "lease", "retry"}

// fmtPhases formats seconds per phase in the order they came (order, else
// phaseOrder): "liveness 2.00, detect 3.10".
func fmtPhases(p map[string]float64, order []string) string {
	if len(p) == 0 {
		return "-"
	}
	if len(order) == 0 {
		order = phaseOrder
	}
	var parts []string
	for _, k := range order {
		if v, ok := p[k]; ok {
			parts = append(parts, k+" "+fmtSec(v))
		}
	}
	for _, k := range sortedKeys(p) {
		if !slices.Contains(order, k) {
			parts = append(parts, k+" "+fmtSec(p[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// sortedKeys returns the keys of m in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// counted is a name and how many times it occurred.
type counted struct {
	name string
	n    int
}

// byCount returns the counts of m, most frequent first, ties by name.
func byCount(m map[string]int) []counted {
	out := make([]counted, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, counted{k, m[k]})
	}
	slices.SortStableFunc(out, func(a, b counted) int { return cmp.Compare(b.n, a.n) })
	return out
}

// leaseSection summarises the lease log l, taken to be in time order: events
// per reason, where each range's lease is at the end (its last event), and
// the first topN moves (events after a range's first).
func leaseSection(l []scenarios.LeaseEvent) section {
	// last[t][k] is the latest event of range k of table t, one entry a
	// range: sized for the events without a previous holder (a range's
	// first is one), not for every move. A run lists its events table by
	// table at the start, so the table's map is looked up once a run of
	// them, and ranges are keyed by number alone (300,000 keys of table
	// name and number took 0.1 s).
	acquired := map[string]int{}
	for i := range l {
		if l[i].FromRegion == "" {
			acquired[l[i].Table]++
		}
	}
	last := map[string]map[int]int{}
	var table string
	var cur map[int]int
	reasons := map[string]int{}
	var moves []int
	for i := range l {
		e := &l[i]
		if cur == nil || e.Table != table {
			table = e.Table
			if cur = last[table]; cur == nil {
				cur = make(map[int]int, acquired[table])
				last[table] = cur
			}
		}
		if _, seen := cur[e.Range]; seen {
			moves = append(moves, i)
		}
		cur[e.Range] = i
		reasons[orDash(e.Reason)]++
	}
	holders := map[string]int{}
	ranges := 0
	for _, t := range last {
		ranges += len(t)
		for _, i := range t {
			holders[orDash(l[i].Region)]++
		}
	}

	byReason := &grid{cols: []column{{"reason", left}, {"events", right}}}
	for _, c := range byCount(reasons) {
		byReason.add(c.name, fmt.Sprint(c.n))
	}
	byRegion := &grid{cols: []column{{"region", left}, {"ranges", right}}}
	for _, c := range byCount(holders) {
		byRegion.add(c.name, fmt.Sprint(c.n))
	}
	parts := []part{
		{"", byReason},
		{"leaseholders at the end, by region", byRegion},
	}
	if len(moves) > 0 {
		n := min(topN, len(moves))
		g := &grid{cols: []column{
			{"t s", right}, {"table", left}, {"range", right},
			{"region", left}, {"zone", left}, {"reason", left},
		}}
		for _, i := range moves[:n] {
			e := &l[i]
			g.add(fmtSec(e.TS), orDash(e.Table), fmt.Sprint(e.Range),
				orDash(e.Region), orDash(e.Zone), orDash(e.Reason))
		}
		parts = append(parts, part{fmt.Sprintf("first moves, %d of %d", n, len(moves)), g})
	}
	return section{
		name: "leases",
		summary: fmt.Sprintf("%s on %s, %s after the first acquisition",
			plural(len(l), "event"), plural(ranges, "range"), plural(len(moves), "move")),
		parts: parts,
	}
}

// stalenessSection lists the staleness served to the stale and bounded
// reads of each table × op × client region (Stat.Staleness); false when no
// stat has one.
func stalenessSection(stats []scenarios.Stat) (section, bool) {
	g := &grid{cols: []column{
		{"table", left}, {"op", left}, {"client region", left},
		{"reads", right}, {"p50 s", right}, {"p99 s", right}, {"max s", right},
	}}
	for i := range stats {
		s := &stats[i]
		if st := s.Staleness; st != nil {
			g.add(s.Table, s.Op, s.ClientRegion, fmtUint(st.Reads), fmtSec(st.P50S), fmtSec(st.P99S), fmtSec(st.MaxS))
		}
	}
	if len(g.rows) == 0 {
		return section{}, false
	}
	return section{
		name:    "staleness",
		summary: "how old the data stale and bounded reads returned was",
		parts:   []part{{"", g}},
		notes: []string{
			"staleness: the statement time (when the gateway got the request) minus the timestamp read at, per",
			"successful read; 0 when a read was served at or after its statement time.",
		},
	}, true
}

// contentionSection lists the latch waits of the keyed requests of each
// table × op × client region (Stat.Contention) beside their p99; false
// when no stat has one.
func contentionSection(stats []scenarios.Stat) (section, bool) {
	g := &grid{cols: []column{
		{"table", left}, {"op", left}, {"client region", left},
		{"requests", right}, {"waited %", right}, {"mean wait ms", right}, {"p99 wait ms", right},
		{"max wait ms", right}, {"p99 ms", right},
	}}
	for i := range stats {
		s := &stats[i]
		if c := s.Contention; c != nil {
			g.add(s.Table, s.Op, s.ClientRegion, fmtUint(c.Requests), fmt.Sprintf("%.1f", 100*c.WaitedShare),
				fmtMs(c.MeanMs), fmtMs(c.P99Ms), fmtMs(c.MaxMs), fmtMs(s.P99Ms))
		}
	}
	if len(g.rows) == 0 {
		return section{}, false
	}
	return section{
		name:    "contention",
		summary: "how long keyed requests waited for their row",
		parts:   []part{{"", g}},
		notes: []string{
			"wait: the time a request queued at its row's leaseholder behind conflicting writes: until the writes",
			"ahead of it applied (their latches) and a transaction's intent was resolved; waited %: the share",
			"that queued at all; p99: the request latency, wait included.",
		},
	}, true
}

// appSection puts the application latency of the stats of workloads with
// an application tier (Stat.App) beside their database latency; false
// when no stat has one.
func appSection(stats []scenarios.Stat) (section, bool) {
	g := &grid{cols: []column{
		{"table", left}, {"op", left}, {"client region", left}, {"app region", left}, {"client rtt ms", right},
		{"db p50 ms", right}, {"app p50 ms", right}, {"db p99 ms", right}, {"app p99 ms", right},
	}}
	for i := range stats {
		s := &stats[i]
		if a := s.App; a != nil && s.Count > 0 {
			g.add(s.Table, s.Op, s.ClientRegion, a.Region, fmtMs(a.ClientRTTMs),
				fmtMs(s.P50Ms), fmtMs(a.P50Ms), fmtMs(s.P99Ms), fmtMs(a.P99Ms))
		}
	}
	if len(g.rows) == 0 {
		return section{}, false
	}
	return section{
		name:    "application latency",
		summary: "what the clients of an application tier saw",
		parts:   []part{{"", g}},
		notes: []string{
			"app: the clients <-> application round trip (client rtt) plus the database latency (db), which",
			"is measured from the application's connection to its gateway.",
		},
	}, true
}
