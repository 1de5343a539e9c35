package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Verdict is what REGION survival buys over ZONE survival and what it
// costs, per table, from runs of one scenario under both goals (a sweep,
// or a comparison with faults): the latency each op pays per client region
// and the faults survived under one goal and not the other, with the
// unavailability each saves. Summary says it in one paragraph. Latencies
// are milliseconds, times seconds.
type Verdict struct {
	SurviveWithinS float64        `json:"survive_within_s"` // the bound a client's longest stall is judged against, seconds
	Faults         int            `json:"faults"`           // how many faults were judged
	Tables         []TableVerdict `json:"tables"`           // per table, in the runs' Stats order
	Summary        string         `json:"summary"`          // the figures in one plain-language paragraph
}

// TableVerdict is one table's share of a Verdict.
type TableVerdict struct {
	Table    string `json:"table"`
	Locality string `json:"locality"`
	// Cost is REGION's latency against ZONE's per op × client region, in
	// the runs' Stats order.
	Cost []LatencyCost `json:"cost"`
	// Buys are the faults under which REGION keeps more of the table's
	// client regions served than ZONE (those it fails, ZONE fails too);
	// Loses the reverse; Neither those that leave some client region
	// unserved under both goals otherwise. In fault order.
	Buys    []FaultGain `json:"buys"`
	Loses   []FaultGain `json:"loses"`
	Neither []FaultGain `json:"neither"`
}

// LatencyCost is one op × client region's latency under both goals
// without faults (a sweep's baselines; a comparison's requests that ended
// before the first fault, or its whole runs when the first fault starts
// with them), and REGION minus ZONE.
type LatencyCost struct {
	Op           string  `json:"op"`
	ClientRegion string  `json:"client_region"`
	ZoneP50Ms    float64 `json:"zone_p50_ms"`
	RegionP50Ms  float64 `json:"region_p50_ms"`
	DeltaP50Ms   float64 `json:"delta_p50_ms"`
	ZoneP99Ms    float64 `json:"zone_p99_ms"`
	RegionP99Ms  float64 `json:"region_p99_ms"`
	DeltaP99Ms   float64 `json:"delta_p99_ms"`
}

// FaultGain is one fault's effect on a table under both goals: the client
// regions some of whose requests to the table stalled past the bound
// (ZoneFailed, RegionFailed, in client region order), the longest stall
// any of its clients saw (worst run), and the unavailability REGION saves
// (ZONE's minus REGION's; negative when it costs).
type FaultGain struct {
	Fault              string   `json:"fault"`         // the fault's name
	ZoneFailed         []string `json:"zone_failed"`   // client regions not served under ZONE survival
	RegionFailed       []string `json:"region_failed"` // client regions not served under REGION survival
	ZoneUnavailableS   float64  `json:"zone_unavailable_s"`
	RegionUnavailableS float64  `json:"region_unavailable_s"`
	SavedS             float64  `json:"saved_s"`
}

// tableOutcome is a table's worst stall under one fault and goal, and the
// client regions that did not survive.
type tableOutcome struct {
	unavailableS float64
	failed       []string
}

// note adds one client's figures to o.
func (o tableOutcome) note(region string, unavailableS float64, survived bool) tableOutcome {
	o.unavailableS = max(o.unavailableS, unavailableS)
	if !survived && !slices.Contains(o.failed, region) {
		o.failed = append(o.failed, region)
	}
	return o
}

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// verdictInput is what a Verdict is computed from, whatever produced it.
type verdictInput struct {
	bound              time.Duration
	zone, region       []Stat
	faults             []string                           // in order
	zoneOut, regionOut map[string]map[string]tableOutcome // fault -> table -> outcome
}

// SweepVerdict returns the Verdict of a sweep that ran both ZONE and
// REGION survival, from its baselines and cases; false otherwise.
func SweepVerdict(r *SweepResult) (Verdict, bool) {
	in := verdictInput{bound: time.Duration(r.SurviveWithinS * float64(time.Second)),
		zoneOut: map[string]map[string]tableOutcome{}, regionOut: map[string]map[string]tableOutcome{}}
	for _, b := range r.Baselines {
		switch b.Survival {
		case "zone":
			in.zone = b.Stats
		case "region":
			in.region = b.Stats
		}
	}
	if !slices.Contains(r.Survivals, "zone") || !slices.Contains(r.Survivals, "region") {
		return Verdict{}, false
	}
	for _, c := range r.Cases {
		out := in.zoneOut
		if c.Survival == "region" {
			out = in.regionOut
		} else if c.Survival != "zone" {
			continue
		}
		if !slices.Contains(in.faults, c.Name) {
			in.faults = append(in.faults, c.Name)
		}
		if out[c.Name] == nil {
			out[c.Name] = map[string]tableOutcome{}
		}
		for _, cl := range c.Clients {
			out[c.Name][cl.Table] = out[c.Name][cl.Table].note(cl.ClientRegion, cl.Unavailable.Max, cl.Survived())
		}
	}
	return in.verdict(), true
}

// ComparisonVerdict returns the Verdict of a comparison whose runs
// include ZONE and REGION survival with faults, judged against bound
// (0: DefaultSurviveWithin): the first run of each goal; false otherwise.
// Latencies are those of the requests that ended before the first fault
// (Stat.PreFault), else of the whole runs.
func ComparisonVerdict(c *Comparison, bound time.Duration) (Verdict, bool) {
	if bound <= 0 {
		bound = DefaultSurviveWithin
	}
	var zone, region *Result
	for i := range c.Runs {
		switch r := &c.Runs[i]; r.Survival {
		case "zone":
			if zone == nil {
				zone = r
			}
		case "region":
			if region == nil {
				region = r
			}
		}
	}
	if zone == nil || region == nil || len(zone.Faults) == 0 {
		return Verdict{}, false
	}
	in := verdictInput{bound: bound, zone: preFault(zone.Stats), region: preFault(region.Stats),
		zoneOut: map[string]map[string]tableOutcome{}, regionOut: map[string]map[string]tableOutcome{}}
	for _, f := range zone.Faults {
		in.faults = append(in.faults, f.Name)
	}
	for _, side := range []struct {
		r   *Result
		out map[string]map[string]tableOutcome
	}{{zone, in.zoneOut}, {region, in.regionOut}} {
		for _, im := range side.r.Impact {
			if side.out[im.Fault] == nil {
				side.out[im.Fault] = map[string]tableOutcome{}
			}
			side.out[im.Fault][im.Table] = side.out[im.Fault][im.Table].note(im.ClientRegion, im.UnavailableS, im.Survived(bound))
		}
	}
	return in.verdict(), true
}

// preFault returns stats with each one's percentiles those of its
// requests that ended before the first fault, where it has some.
func preFault(st []Stat) []Stat {
	out := slices.Clone(st)
	for i := range out {
		if p := out[i].PreFault; p != nil {
			out[i].Count, out[i].P50Ms, out[i].P99Ms = p.Count, p.P50Ms, p.P99Ms
		}
	}
	return out
}

// verdict computes the Verdict: tables in the ZONE stats' order.
func (in *verdictInput) verdict() Verdict {
	v := Verdict{SurviveWithinS: in.bound.Seconds(), Faults: len(in.faults), Tables: []TableVerdict{}}
	type key struct{ table, op, region string }
	regionStat := map[key]*Stat{}
	for i := range in.region {
		st := &in.region[i]
		regionStat[key{st.Table, st.Op, st.ClientRegion}] = st
	}
	tableIndex := func(name string) int {
		return slices.IndexFunc(v.Tables, func(t TableVerdict) bool { return t.Table == name })
	}
	add := func(name, locality string) *TableVerdict {
		if i := tableIndex(name); i >= 0 {
			return &v.Tables[i]
		}
		v.Tables = append(v.Tables, TableVerdict{Table: name, Locality: locality,
			Cost: []LatencyCost{}, Buys: []FaultGain{}, Loses: []FaultGain{}, Neither: []FaultGain{}})
		return &v.Tables[len(v.Tables)-1]
	}
	for i := range in.zone {
		z := &in.zone[i]
		t := add(z.Table, z.Locality)
		r, ok := regionStat[key{z.Table, z.Op, z.ClientRegion}]
		if !ok || z.Count == 0 || r.Count == 0 {
			continue
		}
		t.Cost = append(t.Cost, LatencyCost{Op: z.Op, ClientRegion: z.ClientRegion,
			ZoneP50Ms: z.P50Ms, RegionP50Ms: r.P50Ms, DeltaP50Ms: r.P50Ms - z.P50Ms,
			ZoneP99Ms: z.P99Ms, RegionP99Ms: r.P99Ms, DeltaP99Ms: r.P99Ms - z.P99Ms})
	}
	for _, f := range in.faults {
		var tables []string
		for _, m := range []map[string]tableOutcome{in.zoneOut[f], in.regionOut[f]} {
			for name := range m {
				if !slices.Contains(tables, name) {
					tables = append(tables, name)
				}
			}
		}
		slices.SortFunc(tables, func(a, b string) int {
			ia, ib := tableIndex(a), tableIndex(b)
			if ia < 0 || ib < 0 {
				return strings.Compare(a, b)
			}
			return ia - ib
		})
		for _, name := range tables {
			t := add(name, "")
			z, r := in.zoneOut[f][name], in.regionOut[f][name]
			g := FaultGain{Fault: f, ZoneFailed: orNone(z.failed), RegionFailed: orNone(r.failed),
				ZoneUnavailableS: z.unavailableS, RegionUnavailableS: r.unavailableS,
				SavedS: z.unavailableS - r.unavailableS}
			switch {
			case len(z.failed) == 0 && len(r.failed) == 0:
			case subset(r.failed, z.failed) && len(r.failed) < len(z.failed):
				t.Buys = append(t.Buys, g)
			case subset(z.failed, r.failed) && len(z.failed) < len(r.failed):
				t.Loses = append(t.Loses, g)
			default:
				t.Neither = append(t.Neither, g)
			}
		}
	}
	v.Summary = v.summarise(in)
	return v
}

// worstCost returns the cost with the largest p50 increase among ops
// accepted by keep, and false when there is none.
func worstCost(costs []LatencyCost, keep func(op string) bool) (LatencyCost, bool) {
	var w LatencyCost
	found := false
	for _, c := range costs {
		if keep(c.Op) && (!found || c.DeltaP50Ms > w.DeltaP50Ms) {
			w, found = c, true
		}
	}
	return w, found
}

// writeOps are the ops that replicate through Raft.
func isWrite(op string) bool { return op == "write" || op == "insert" || op == "txn" }

// summarise writes the plain-language paragraph of v.
func (v *Verdict) summarise(in *verdictInput) string {
	var b strings.Builder
	bound := strconv.FormatFloat(v.SurviveWithinS, 'f', -1, 64) + " s"
	zoneDown, regionDown := 0, 0
	for _, f := range in.faults {
		if anyDown(in.zoneOut[f]) {
			zoneDown++
		}
		if anyDown(in.regionOut[f]) {
			regionDown++
		}
	}
	fmt.Fprintf(&b, "Of %d faults, %d left some client of some table without service for more than %s under ZONE survival and %d under REGION survival.",
		len(in.faults), zoneDown, bound, regionDown)
	for _, t := range v.Tables {
		fmt.Fprintf(&b, " %s (%s):", t.Table, orUnknown(t.Locality))
		var parts []string
		if len(t.Buys) > 0 {
			best := t.Buys[0]
			for _, g := range t.Buys {
				if g.SavedS > best.SavedS {
					best = g
				}
			}
			parts = append(parts, fmt.Sprintf("REGION keeps more of its client regions served than ZONE through %s (%s: under ZONE clients in %s stalled for up to %s; under REGION %s)",
				countOf(len(t.Buys), "fault"), best.Fault, listOr(best.ZoneFailed), fmtSeconds(best.ZoneUnavailableS),
				regionOutcome(best, bound)))
		} else {
			parts = append(parts, "REGION keeps no more of its client regions served than ZONE through any fault")
		}
		if len(t.Loses) > 0 {
			parts = append(parts, fmt.Sprintf("ZONE does better through %s (%s)", countOf(len(t.Loses), "fault"), t.Loses[0].Fault))
		}
		if len(t.Neither) > 0 {
			verb := "leave"
			if len(t.Neither) == 1 {
				verb = "leaves"
			}
			parts = append(parts, fmt.Sprintf("%s %s some client region unserved under both", countOf(len(t.Neither), "fault"), verb))
		}
		if w, ok := worstCost(t.Cost, isWrite); ok {
			parts = append(parts, fmt.Sprintf("it costs %s %s at p50 (%s to %s ms) and %s at p99 from %s",
				w.Op+"s", fmtDeltaMs(w.DeltaP50Ms), fmtMsShort(w.ZoneP50Ms), fmtMsShort(w.RegionP50Ms), fmtDeltaMs(w.DeltaP99Ms), w.ClientRegion))
		}
		if w, ok := worstCost(t.Cost, func(op string) bool { return !isWrite(op) }); ok {
			parts = append(parts, fmt.Sprintf("%s %s at p50 at worst (from %s)", w.Op+"s", fmtDeltaMs(w.DeltaP50Ms), w.ClientRegion))
		}
		b.WriteString(" " + strings.Join(parts, "; ") + ".")
	}
	return b.String()
}

// anyDown reports whether a table of m did not survive.
func anyDown(m map[string]tableOutcome) bool {
	for _, o := range m {
		if len(o.failed) > 0 {
			return true
		}
	}
	return false
}

func orNone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

func orUnknown(s string) string {
	if s == "" {
		return "locality unknown"
	}
	return s
}

func countOf(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// fmtSeconds renders seconds with one decimal and a unit.
func fmtSeconds(s float64) string { return fmt.Sprintf("%.1f s", s) }

// fmtDeltaMs renders a signed latency change.
func fmtDeltaMs(d float64) string { return fmt.Sprintf("%+.1f ms", d) }

// fmtMsShort renders a latency with one decimal.
func fmtMsShort(v float64) string { return fmt.Sprintf("%.1f", v) }

// listOr joins names, or says none.
func listOr(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// regionOutcome says how the clients fared under REGION in g.
func regionOutcome(g FaultGain, bound string) string {
	if len(g.RegionFailed) == 0 {
		return fmt.Sprintf("no client stalled more than %s, the longest %s", bound, fmtSeconds(g.RegionUnavailableS))
	}
	return fmt.Sprintf("clients in %s stalled for up to %s", listOr(g.RegionFailed), fmtSeconds(g.RegionUnavailableS))
}
