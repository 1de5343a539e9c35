package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/regionsim/regionsim/raft/placement"
	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/topology"
)

// Listing is what a listing command of the CLI (scenarios, presets,
// topology) prints in a machine-readable format: one or more named
// sections, each a table of records.
type Listing []Section

// Section is one table of a Listing.
type Section struct {
	// Name is the JSON key of the section's records and the Markdown
	// heading above its table, e.g. "nodes".
	Name string
	// Columns are the field names, in snake_case, with the unit as a
	// suffix (p50_ms): the JSON keys and the CSV and Markdown header.
	Columns []string
	// Rows hold one cell per column: a string, int, float64, bool,
	// []string or nil (unknown: JSON null, an empty CSV or Markdown cell).
	Rows [][]any
}

// WriteListing writes l in format f: CSV is each section's header and rows,
// sections separated by a blank line; JSON is one object whose keys are the
// section names and whose values are arrays of records (objects with the
// columns as keys, in column order), indented, with a trailing newline;
// Markdown is a "## name" heading and a table per section. Table is not a
// Listing format (each command has its own text for people): it is an
// error, as is any other format.
func WriteListing(w io.Writer, l Listing, f Format) error {
	var b bytes.Buffer
	switch f {
	case CSV:
		for i, s := range l {
			if i > 0 {
				b.WriteByte('\n')
			}
			cw := csv.NewWriter(&b)
			cw.Write(s.Columns)
			for _, row := range s.Rows {
				rec := make([]string, len(row))
				for j, v := range row {
					rec[j] = cellText(v, ",")
				}
				cw.Write(rec)
			}
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
	case JSON:
		b.WriteByte('{')
		for i, s := range l {
			if i > 0 {
				b.WriteByte(',')
			}
			appendJSON(&b, s.Name)
			b.WriteString(":[")
			for r, row := range s.Rows {
				if r > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('{')
				for j, v := range row {
					if j > 0 {
						b.WriteByte(',')
					}
					appendJSON(&b, s.Columns[j])
					b.WriteByte(':')
					appendJSON(&b, v)
				}
				b.WriteByte('}')
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
		var out bytes.Buffer
		if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
			return err
		}
		out.WriteByte('\n')
		b = out
	case Markdown:
		for i, s := range l {
			if i > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "## %s\n\n", s.Name)
			g := &grid{}
			for j, c := range s.Columns {
				a := left
				for _, row := range s.Rows {
					if isNumber(row[j]) {
						a = right
						break
					}
				}
				g.cols = append(g.cols, column{c, a})
			}
			for _, row := range s.Rows {
				cells := make([]string, len(row))
				for j, v := range row {
					cells[j] = cellText(v, ", ")
				}
				g.add(cells...)
			}
			g.writeMarkdown(&b)
		}
	default:
		return fmt.Errorf("report: a listing is written as csv, json or markdown, not %q: %w", f, ErrUnknownFormat)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// appendJSON appends v as JSON; the cell types cannot fail to encode.
func appendJSON(b *bytes.Buffer, v any) {
	if l, ok := v.([]string); ok && l == nil {
		v = []string{}
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic("report: listing cell " + fmt.Sprint(v) + ": " + err.Error())
	}
	b.Write(data)
}

// cellText renders a cell for CSV or Markdown: a list joined with sep,
// floats in the shortest form that reads back exactly, nil as "".
func cellText(v any, sep string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []string:
		return strings.Join(v, sep)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, float64:
		return true
	}
	return false
}

// ms returns d in milliseconds, or nil (unknown) for 0.
func ms(d time.Duration) any {
	if d == 0 {
		return nil
	}
	return float64(d) / float64(time.Millisecond)
}

// ScenariosListing lists the built-in scenarios: name and description.
func ScenariosListing(bs []scenarios.BuiltinInfo) Listing {
	s := Section{Name: "scenarios", Columns: []string{"name", "description"}}
	for _, b := range bs {
		s.Rows = append(s.Rows, []any{b.Name, b.Description})
	}
	return Listing{s}
}

// PresetsListing lists the RTT presets: name, description, highest tail
// percentile ("" for p50 only), every region, the default regions (primary
// first) and the source of the numbers.
func PresetsListing(ps []topology.PresetInfo) Listing {
	s := Section{Name: "presets", Columns: []string{"name", "description", "tail", "regions", "default_regions", "source"}}
	for _, p := range ps {
		s.Rows = append(s.Rows, []any{p.Name, p.Description, p.Tail, p.Regions, p.Default, p.Source})
	}
	return Listing{s}
}

// TopologyListing lists a cluster: section "nodes" (node, region, zone,
// locality), section "rtt" (one row per directed pair of distinct regions
// of the data: p50, p90 and p99 in ms, null where the data has none, and
// mirrored when the data gave only the reverse direction) and, when
// layouts is not nil (scenarios.Scenario.Place's output for tables),
// section "ranges": each range's table, locality, index, partition,
// leaseholder, voters and non-voters (node names).
func TopologyListing(c *topology.Cluster, tables []scenarios.Table, layouts [][]placement.RangeLayout) Listing {
	nodes := Section{Name: "nodes", Columns: []string{"node", "region", "zone", "locality"}}
	for _, n := range c.Nodes {
		nodes.Rows = append(nodes.Rows, []any{n.ID.String(), n.Locality.Region, n.Locality.Zone, n.Locality.String()})
	}
	l := Listing{nodes}
	if c.Latency != nil && c.Latency.Matrix() != nil {
		m := c.Latency.Matrix()
		rtt := Section{Name: "rtt", Columns: []string{"from", "to", "p50_ms", "p90_ms", "p99_ms", "mirrored"}}
		regions := m.Regions()
		for i, from := range regions {
			for j, to := range regions {
				p, ok := m.At(i, j)
				if i == j || !ok {
					continue
				}
				rtt.Rows = append(rtt.Rows, []any{from, to, ms(p.P50), ms(p.P90), ms(p.P99), p.Mirrored})
			}
		}
		l = append(l, rtt)
	}
	if layouts != nil {
		ranges := Section{Name: "ranges", Columns: []string{"table", "locality", "range", "partition", "leaseholder", "voters", "non_voters"}}
		names := func(ns []topology.NodeID) []string {
			out := make([]string, len(ns))
			for i, n := range ns {
				out[i] = n.String()
			}
			return out
		}
		for ti, t := range tables {
			for _, r := range layouts[ti] {
				ranges.Rows = append(ranges.Rows, []any{t.Name, string(t.Locality), r.Range, r.Partition,
					r.Leaseholder.String(), names(r.Voters), names(r.NonVoters)})
			}
		}
		l = append(l, ranges)
	}
	return l
}
