package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/topology"
)

// RegionRename is one region of a scenario that Override replaces, with
// every reference to it (database, tables, workload, faults, and the zones
// "<region>-a" …), by a region of the new RTT spec or region list.
type RegionRename struct {
	// From is the scenario's region; To replaces it.
	From, To string
	// Km is the distance between the two by topology.RegionLocation, if
	// Located: both locations are known.
	Km      float64
	Located bool
}

// String renders "from→to".
func (r RegionRename) String() string { return r.From + "→" + r.To }

// RegionMapError is the error of Override when Overrides.RTT names an RTT
// spec that lacks regions of the scenario and not all of them have a
// distinct region of the spec within topology.NearestMaxKm. Naming the
// regions (Overrides.Regions) resolves it. It is wrapped in an *Error for
// topology.rtt, so errors.Is(err, ErrInvalid) holds.
type RegionMapError struct {
	// RTT is the spec (preset name or CSV path).
	RTT string
	// Regions are the scenario's regions, primary first.
	Regions []string
	// Unmapped are those of Regions that the spec lacks and that have no
	// region of it close enough, or whose nearest is another's.
	Unmapped []string
	// Suggest is one region of the spec per region of the scenario,
	// primary first: the mapped ones, then the spec's default regions for
	// the rest.
	Suggest []string
	// Have are the regions of the spec.
	Have []string
}

func (e *RegionMapError) Error() string {
	return fmt.Sprintf("%q lacks the scenario's regions %s and has no distinct region within %.0f km of %s (by location, where known); name %d of its regions instead, primary first (e.g. %s; it has %s)",
		e.RTT, strings.Join(e.Regions, ", "), topology.NearestMaxKm, strings.Join(e.Unmapped, ", "),
		len(e.Regions), strings.Join(e.Suggest, ","), strings.Join(e.Have, ", "))
}

// TopologyRegions returns the scenario's cluster regions, primary first: the
// topology's regions, or the RTT spec's default regions when it names
// none. It returns nil if the spec cannot be loaded. It needs no Validate.
func (s *Scenario) TopologyRegions() []string {
	if len(s.Topology.Regions) > 0 {
		return slices.Clone(s.Topology.Regions)
	}
	m, err := topology.LoadRTT(s.Topology.RTT)
	if err != nil {
		return nil
	}
	return m.DefaultRegions()
}

// RegionRenames returns the regions of s that Override(o) replaces, in the
// order of s's regions:
//
//   - with o.Regions, each region of s not in the list is replaced by the
//     next region of the list that s does not have (a region of s with no
//     replacement stays, and Validate reports what still refers to it);
//   - else, with an o.RTT that lacks regions of s, each of those is
//     replaced by its nearest region of the spec (topology.NearestRegion).
//     If one has none, or two would share one, the error is a
//     *RegionMapError wrapped in an *Error.
//
// It returns nil when nothing is replaced, and leaves an RTT spec that
// cannot be loaded for Validate to report. s need not be validated.
func (s *Scenario) RegionRenames(o Overrides) ([]RegionRename, error) {
	old := s.TopologyRegions()
	if len(o.Regions) > 0 {
		var missing, fresh []string
		for _, r := range old {
			if !slices.Contains(o.Regions, r) {
				missing = append(missing, r)
			}
		}
		for _, r := range o.Regions {
			if !slices.Contains(old, r) {
				fresh = append(fresh, r)
			}
		}
		var out []RegionRename
		for i := range min(len(missing), len(fresh)) {
			out = append(out, rename(missing[i], fresh[i]))
		}
		return out, nil
	}
	if o.RTT == "" || o.RTT == s.Topology.RTT || old == nil {
		return nil, nil
	}
	m, err := topology.LoadRTT(o.RTT)
	if err != nil {
		return nil, nil
	}
	have := m.Regions()
	var out []RegionRename
	var unmapped []string
	taken := make(map[string]bool, len(old))
	for _, r := range old {
		if m.Index(r) >= 0 {
			taken[r] = true
		}
	}
	for _, r := range old {
		if m.Index(r) >= 0 {
			continue
		}
		to, _, ok := topology.NearestRegion(r, have)
		if !ok || taken[to] {
			unmapped = append(unmapped, r)
			continue
		}
		taken[to] = true
		out = append(out, rename(r, to))
	}
	if len(unmapped) > 0 {
		return nil, &Error{Source: s.source, Field: "topology.rtt", Err: &RegionMapError{
			RTT: o.RTT, Regions: old, Unmapped: unmapped, Suggest: suggestRegions(old, out, m), Have: have,
		}}
	}
	return out, nil
}

// rename returns the RegionRename from → to with their distance.
func rename(from, to string) RegionRename {
	r := RegionRename{From: from, To: to}
	a, okA := topology.RegionLocation(from)
	b, okB := topology.RegionLocation(to)
	if okA && okB {
		r.Km, r.Located = topology.DistanceKm(a, b), true
	}
	return r
}

// suggestRegions returns one region of m per region of old: itself if m
// has it, its rename if it has one, else the next of m's default regions
// (then of all its regions) not used yet.
func suggestRegions(old []string, renames []RegionRename, m *topology.Matrix) []string {
	to := make(map[string]string, len(renames))
	used := make(map[string]bool, len(old))
	for _, r := range renames {
		to[r.From] = r.To
		used[r.To] = true
	}
	for _, r := range old {
		if m.Index(r) >= 0 {
			used[r] = true
		}
	}
	spare := slices.Concat(m.DefaultRegions(), m.Regions())
	out := make([]string, 0, len(old))
	for _, r := range old {
		switch {
		case m.Index(r) >= 0:
			out = append(out, r)
		case to[r] != "":
			out = append(out, to[r])
		default:
			for len(spare) > 0 && used[spare[0]] {
				spare = spare[1:]
			}
			if len(spare) == 0 {
				return out
			}
			out = append(out, spare[0])
			used[spare[0]] = true
		}
	}
	return out
}

// renameRegions replaces every reference of s to a region From of renames,
// or to one of its zones ("<From>-b"), by To (or "<To>-b"): topology
// regions, the database's regions, table homes, row and city regions,
// workload regions, fault targets and partition sides. Node names do not
// change.
func (s *Scenario) renameRegions(renames []RegionRename) {
	if len(renames) == 0 {
		return
	}
	to := make(map[string]string, len(renames))
	for _, r := range renames {
		to[r.From] = r.To
	}
	name := func(n string) string {
		if r, ok := to[n]; ok {
			return r
		}
		// A zone: "<region>-<letter>" (topology.NewLayout).
		if i := strings.LastIndexByte(n, '-'); i > 0 && len(n)-i == 2 && n[i+1] >= 'a' && n[i+1] <= 'z' {
			if r, ok := to[n[:i]]; ok {
				return r + n[i:]
			}
		}
		return n
	}
	each := func(names []string) {
		for i, n := range names {
			names[i] = name(n)
		}
	}
	each(s.Topology.Regions)
	if s.Topology.RegionSizes != nil {
		sizes := make(map[string]topology.RegionSize, len(s.Topology.RegionSizes))
		for _, r := range slices.Sorted(maps.Keys(s.Topology.RegionSizes)) {
			sizes[name(r)] = s.Topology.RegionSizes[r]
		}
		s.Topology.RegionSizes = sizes
	}
	db := &s.Database
	db.Primary, db.Secondary = name(db.Primary), name(db.Secondary)
	each(db.Regions)
	for _, sr := range db.SuperRegions {
		each(sr)
	}
	for i := range s.Tables {
		t := &s.Tables[i]
		t.HomeRegion = name(t.HomeRegion)
		t.DefaultRegion = name(t.DefaultRegion)
		if t.RowRegions != nil {
			rows := make(map[string]float64, len(t.RowRegions))
			for _, r := range slices.Sorted(maps.Keys(t.RowRegions)) {
				rows[name(r)] += t.RowRegions[r]
			}
			t.RowRegions = rows
		}
		for city, r := range t.CityRegions {
			t.CityRegions[city] = name(r)
		}
	}
	for i := range s.Workload {
		s.Workload[i].Region = name(s.Workload[i].Region)
	}
	for i := range s.Faults {
		f := &s.Faults[i]
		if f.Kind != FaultNode {
			f.Target = name(f.Target)
		}
		for _, g := range f.Between {
			each(g)
		}
	}
}
