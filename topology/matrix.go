package topology

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors that callers branch on. They are always wrapped with the
// file or field and the offending value; test with errors.Is.
var (
	// ErrInvalidCSV marks an RTT CSV that cannot be parsed or whose values are
	// not a valid RTT matrix. The wrapping *CSVError names the line and field.
	ErrInvalidCSV = errors.New("invalid RTT CSV")
	// ErrUnknownRegion marks a region that is not in the RTT matrix.
	ErrUnknownRegion = errors.New("unknown region")
	// ErrMissingPair marks two selected regions with no RTT between them.
	ErrMissingPair = errors.New("missing RTT pair")
	// ErrUnknownPreset marks an RTT spec that is neither a preset name nor a
	// readable file.
	ErrUnknownPreset = errors.New("unknown RTT preset")
)

// CSVError is a validation error of one line of an RTT CSV. It wraps
// ErrInvalidCSV.
type CSVError struct {
	Name   string // file path or preset name
	Line   int    // 1-based line number in the file; 0 when not line-specific
	Field  string // column name, e.g. "p50_ms"; "" when the whole line is at fault
	Value  string // the offending text, quoted in the message
	Reason string // what is wrong, e.g. "is negative"
}

// Error renders `topology: rtt "NAME" line L: FIELD: "VALUE" REASON`.
func (e *CSVError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "topology: rtt %q", e.Name)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Value != "" {
		fmt.Fprintf(&b, "%q ", e.Value)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns ErrInvalidCSV.
func (e *CSVError) Unwrap() error { return ErrInvalidCSV }

// Pair is the measured round-trip time of one directed region pair.
type Pair struct {
	// P50 is the median RTT; always > 0 for a known pair.
	P50 time.Duration
	// P90 and P99 are tail percentiles of the RTT; 0 means not known.
	P90, P99 time.Duration
	// Source is the provenance text of the row ("" if the file had no
	// source column).
	Source string
	// Mirrored is true when the file gave only the reverse direction and
	// this pair was filled from it (symmetric fill).
	Mirrored bool

	line int // line of the row in its file, for duplicate errors
}

// Tail returns the highest known tail percentile and its quantile: (P99,
// 0.99), else (P90, 0.90), else (0, 0).
func (p Pair) Tail() (time.Duration, float64) {
	switch {
	case p.P99 > 0:
		return p.P99, 0.99
	case p.P90 > 0:
		return p.P90, 0.90
	default:
		return 0, 0
	}
}

// values describes the numbers of p, e.g. "p50 10 p99 12" (ms).
func (p Pair) values() string {
	s := "p50 " + fmtMs(p.P50)
	if p.P90 > 0 {
		s += " p90 " + fmtMs(p.P90)
	}
	if p.P99 > 0 {
		s += " p99 " + fmtMs(p.P99)
	}
	return s
}

// sameValues reports whether two pairs carry the same numbers.
func (p Pair) sameValues(q Pair) bool { return p.P50 == q.P50 && p.P90 == q.P90 && p.P99 == q.P99 }

// Matrix is an inter-region RTT matrix: a list of regions and the RTT of
// directed pairs between them. Regions are kept in the order they first
// appear in the source. A Matrix is immutable once built; accessors return
// copies. Lookups are O(1) by index.
type Matrix struct {
	name     string
	regions  []string
	defaults []string
	index    map[string]int
	pairs    []Pair // len(regions)^2, row-major from×to
	known    []bool
}

// Name returns the preset name or file path the matrix was read from.
func (m *Matrix) Name() string { return m.name }

// Len returns the number of regions.
func (m *Matrix) Len() int { return len(m.regions) }

// Regions returns a copy of the region names, in first-appearance order.
func (m *Matrix) Regions() []string { return slices.Clone(m.regions) }

// DefaultRegions returns the regions a cluster uses when none are
// configured, primary first: a preset's default list, or all regions of a
// CSV file in first-appearance order.
func (m *Matrix) DefaultRegions() []string {
	if m.defaults != nil {
		return slices.Clone(m.defaults)
	}
	return m.Regions()
}

// Index returns the index of the named region, or -1.
func (m *Matrix) Index(region string) int {
	if i, ok := m.index[region]; ok {
		return i
	}
	return -1
}

// At returns the RTT from region i to region j (indexes as in Regions) and
// whether the matrix has it. At(i, i) is never known.
func (m *Matrix) At(i, j int) (Pair, bool) {
	k := i*len(m.regions) + j
	return m.pairs[k], m.known[k]
}

// Pair returns the RTT between the named regions and whether the matrix has
// it.
func (m *Matrix) Pair(from, to string) (Pair, bool) {
	i, ok1 := m.index[from]
	j, ok2 := m.index[to]
	if !ok1 || !ok2 {
		return Pair{}, false
	}
	return m.At(i, j)
}

// HasTail reports whether any known pair has a P90 or P99.
func (m *Matrix) HasTail() bool { return m.tailName() != "" }

// tailName returns "p99" if any known pair has a P99, else "p90" if any has
// a P90, else "".
func (m *Matrix) tailName() string {
	name := ""
	for k, p := range m.pairs {
		switch {
		case !m.known[k]:
		case p.P99 > 0:
			return "p99"
		case p.P90 > 0:
			name = "p90"
		}
	}
	return name
}

// Select returns the sub-matrix of the given regions, in the given order.
// Every region must be in m (else an error wrapping ErrUnknownRegion) and
// every ordered pair of distinct selected regions must be known (else
// ErrMissingPair). The result's default regions are the selection.
func (m *Matrix) Select(regions []string) (*Matrix, error) {
	idx := make([]int, len(regions))
	for k, r := range regions {
		i, ok := m.index[r]
		if !ok {
			return nil, fmt.Errorf("topology.regions[%d]: %w %q in rtt %q (have %s)",
				k, ErrUnknownRegion, r, m.name, strings.Join(m.regions, ", "))
		}
		if slices.Contains(regions[:k], r) {
			return nil, fmt.Errorf("topology.regions[%d]: %q is listed twice", k, r)
		}
		idx[k] = i
	}
	s := newMatrix(m.name, regions)
	for a, i := range idx {
		for b, j := range idx {
			if a == b {
				continue
			}
			p, ok := m.At(i, j)
			if !ok {
				return nil, fmt.Errorf("topology.regions: %w: rtt %q has no RTT from %q to %q",
					ErrMissingPair, m.name, regions[a], regions[b])
			}
			s.set(a, b, p)
		}
	}
	s.defaults = slices.Clone(regions)
	return s, nil
}

func newMatrix(name string, regions []string) *Matrix {
	n := len(regions)
	m := &Matrix{
		name:    name,
		regions: slices.Clone(regions),
		index:   make(map[string]int, n),
		pairs:   make([]Pair, n*n),
		known:   make([]bool, n*n),
	}
	for i, r := range regions {
		m.index[r] = i
	}
	return m
}

func (m *Matrix) set(i, j int, p Pair) {
	k := i*len(m.regions) + j
	m.pairs[k], m.known[k] = p, true
}

// Column names of an RTT CSV.
const (
	colFrom   = "from"
	colTo     = "to"
	colP50    = "p50_ms"
	colP90    = "p90_ms"
	colP99    = "p99_ms"
	colSource = "source"
)

// ParseCSV reads an RTT matrix in CSV form. name (a file path or preset
// name) is used in error messages and as the matrix name.
//
// Without a header, each record is `from,to,p50_ms[,p99_ms]`. An optional
// header line (first record whose first field is "from") names the columns
// instead; it must contain from, to and p50_ms and may add p90_ms, p99_ms and
// source, in any order. Blank lines and lines starting with '#' are skipped.
// Values are milliseconds (decimal fractions allowed); an empty tail field
// means not known.
//
// Each p50 must be a finite number > 0, a tail percentile must not be below
// the p50 (nor p99 below p90), from and to must differ, and a directed pair
// listed twice must carry the same values (an identical duplicate is
// ignored). If only A→B is given, B→A gets the same values (Mirrored). Every
// validation error is a *CSVError wrapping ErrInvalidCSV.
func ParseCSV(r io.Reader, name string) (*Matrix, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	cols := map[string]int{colFrom: 0, colTo: 1, colP50: 2, colP99: 3}
	header := false
	first := true
	type row struct {
		from, to string
		p        Pair
	}
	var rows []row
	var order []string
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line, err = pe.Line, pe.Err
			}
			return nil, &CSVError{Name: name, Line: line, Reason: "is not valid CSV: " + err.Error()}
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		if first {
			first = false
			if strings.EqualFold(rec[0], colFrom) {
				h, err := parseHeader(rec, name, line)
				if err != nil {
					return nil, err
				}
				cols, header = h, true
				continue
			}
		}
		if header {
			if len(rec) != len(cols) {
				return nil, &CSVError{Name: name, Line: line, Value: strings.Join(rec, ","),
					Reason: fmt.Sprintf("has %d columns, want %d as in the header", len(rec), len(cols))}
			}
		} else if len(rec) != 3 && len(rec) != 4 {
			return nil, &CSVError{Name: name, Line: line, Value: strings.Join(rec, ","),
				Reason: fmt.Sprintf("has %d columns, want 3 or 4 (from,to,p50_ms[,p99_ms])", len(rec))}
		}
		from, to := rec[cols[colFrom]], rec[cols[colTo]]
		if from == "" {
			return nil, &CSVError{Name: name, Line: line, Field: colFrom, Reason: "is empty"}
		}
		if to == "" {
			return nil, &CSVError{Name: name, Line: line, Field: colTo, Reason: "is empty"}
		}
		if from == to {
			return nil, &CSVError{Name: name, Line: line, Field: colTo, Value: to,
				Reason: "equals from (a region's RTT to itself is set by inter_zone_rtt/intra_zone_rtt)"}
		}
		p := Pair{line: line}
		if p.P50, err = parseMs(rec[cols[colP50]], name, line, colP50, true); err != nil {
			return nil, err
		}
		for _, t := range []struct {
			col string
			dst *time.Duration
		}{{colP90, &p.P90}, {colP99, &p.P99}} {
			c, ok := cols[t.col]
			if !ok || c >= len(rec) || rec[c] == "" {
				continue
			}
			if *t.dst, err = parseMs(rec[c], name, line, t.col, false); err != nil {
				return nil, err
			}
			if *t.dst < p.P50 {
				return nil, &CSVError{Name: name, Line: line, Field: t.col, Value: rec[c],
					Reason: fmt.Sprintf("is below p50_ms %s", rec[cols[colP50]])}
			}
		}
		if p.P90 > 0 && p.P99 > 0 && p.P99 < p.P90 {
			return nil, &CSVError{Name: name, Line: line, Field: colP99, Value: rec[cols[colP99]],
				Reason: fmt.Sprintf("is below p90_ms %s", rec[cols[colP90]])}
		}
		if c, ok := cols[colSource]; ok {
			p.Source = rec[c]
		}
		for _, r := range [2]string{from, to} {
			if !seen[r] {
				seen[r] = true
				order = append(order, r)
			}
		}
		rows = append(rows, row{from, to, p})
	}
	if len(rows) == 0 {
		return nil, &CSVError{Name: name, Reason: "has no RTT rows"}
	}

	m := newMatrix(name, order)
	for _, r := range rows {
		i, j := m.index[r.from], m.index[r.to]
		if old, ok := m.At(i, j); ok {
			if !old.sameValues(r.p) {
				return nil, &CSVError{Name: name, Line: r.p.line, Field: r.from + "->" + r.to,
					Reason: fmt.Sprintf("is listed again with different values (%s; line %d has %s)",
						r.p.values(), old.line, old.values())}
			}
			continue
		}
		m.set(i, j, r.p)
	}
	n := len(order)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if p, ok := m.At(i, j); ok {
				if _, back := m.At(j, i); !back {
					p.Mirrored = true
					m.set(j, i, p)
				}
			}
		}
	}
	return m, nil
}

// parseHeader maps column names to positions.
func parseHeader(rec []string, name string, line int) (map[string]int, error) {
	cols := make(map[string]int, len(rec))
	for i, h := range rec {
		h = strings.ToLower(h)
		switch h {
		case colFrom, colTo, colP50, colP90, colP99, colSource:
		default:
			return nil, &CSVError{Name: name, Line: line, Field: "header", Value: rec[i],
				Reason: "is not a known column (from, to, p50_ms, p90_ms, p99_ms, source)"}
		}
		if _, dup := cols[h]; dup {
			return nil, &CSVError{Name: name, Line: line, Field: "header", Value: rec[i], Reason: "is listed twice"}
		}
		cols[h] = i
	}
	for _, need := range []string{colFrom, colTo, colP50} {
		if _, ok := cols[need]; !ok {
			return nil, &CSVError{Name: name, Line: line, Field: "header", Value: strings.Join(rec, ","),
				Reason: "has no " + need + " column"}
		}
	}
	return cols, nil
}

// parseMs parses a millisecond value into a Duration rounded to the
// nanosecond. p50 values must be > 0; tails must be >= 0 (a zero tail is
// then rejected as below the p50).
func parseMs(s, name string, line int, field string, p50 bool) (time.Duration, error) {
	if s == "" {
		return 0, &CSVError{Name: name, Line: line, Field: field, Reason: "is empty"}
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil:
		return 0, &CSVError{Name: name, Line: line, Field: field, Value: s, Reason: "is not a number of milliseconds"}
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, &CSVError{Name: name, Line: line, Field: field, Value: s, Reason: "is not finite"}
	case v < 0:
		return 0, &CSVError{Name: name, Line: line, Field: field, Value: s, Reason: "is negative"}
	case v == 0 && p50:
		return 0, &CSVError{Name: name, Line: line, Field: field, Value: s, Reason: "is zero (an RTT between different regions must be > 0)"}
	case v > 60e3:
		return 0, &CSVError{Name: name, Line: line, Field: field, Value: s, Reason: "is over 60000 ms (one minute)"}
	}
	return time.Duration(math.Round(v * 1e6)), nil
}

// fmtMs formats a duration as milliseconds with up to three decimals
// ("66", "64.432").
func fmtMs(d time.Duration) string {
	return strconv.FormatFloat(math.Round(float64(d)/1e3)/1e3, 'f', -1, 64)
}
