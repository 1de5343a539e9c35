package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/regionsim/regionsim/raft"
)

// ExplainFilter selects the Stats `regionsim explain` prints: by table, op
// and client region, each empty for all.
type ExplainFilter struct {
	Table, Op, Region string
}

// CheckExplain reports a filter field that names nothing in validated
// scenario s: an unknown table, op or region (an error naming the flag and
// the value, with the choices), or a combination no workload sends
// requests for.
func (s *Scenario) CheckExplain(f ExplainFilter) error {
	if f.Table != "" && s.TableIndex(f.Table) < 0 {
		names := make([]string, len(s.Tables))
		for i, t := range s.Tables {
			names[i] = t.Name
		}
		return fmt.Errorf("--table: unknown table %q (want one of %s)", f.Table, strings.Join(names, ", "))
	}
	if f.Op != "" {
		if _, err := raft.ParseOp(f.Op); err != nil {
			return fmt.Errorf("--op: %v", err)
		}
	}
	if f.Region != "" && s.Cluster().RegionIndex(f.Region) < 0 {
		var names []string
		for _, r := range s.Cluster().Regions {
			names = append(names, r.Name)
		}
		return fmt.Errorf("--region: unknown region %q (want one of %s)", f.Region, strings.Join(names, ", "))
	}
	// Some workload must send such requests.
	var have []string
	for _, w := range s.Workload {
		if (f.Table != "" && w.Table != f.Table) || (f.Region != "" && w.Region != f.Region) {
			continue
		}
		for _, os := range w.OpShares() {
			if os.Share <= 0 {
				continue
			}
			if f.Op == "" || os.Op.String() == f.Op {
				return nil
			}
			if !slices.Contains(have, os.Op.String()) {
				have = append(have, os.Op.String())
			}
		}
	}
	what := describeFilter(f)
	if len(have) > 0 {
		return fmt.Errorf("--op %s: no workload sends %s requests (%s: %s)", f.Op, what,
			describeFilter(ExplainFilter{Table: f.Table, Region: f.Region}), strings.Join(have, ", "))
	}
	return fmt.Errorf("no workload sends %s requests", what)
}

// describeFilter names what f selects: "accounts write from us-west1".
func describeFilter(f ExplainFilter) string {
	parts := []string{}
	if f.Table != "" {
		parts = append(parts, f.Table)
	}
	if f.Op != "" {
		parts = append(parts, f.Op)
	}
	if f.Region != "" {
		parts = append(parts, "from "+f.Region)
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, " ")
}

// Select returns the Stats of res that f selects and that counted
// requests, in res's order.
func (f ExplainFilter) Select(res *Result) []Stat {
	var out []Stat
	for _, st := range res.Stats {
		if st.Count == 0 || (f.Table != "" && st.Table != f.Table) || (f.Op != "" && st.Op != f.Op) ||
			(f.Region != "" && st.ClientRegion != f.Region) {
			continue
		}
		out = append(out, st)
	}
	return out
}
