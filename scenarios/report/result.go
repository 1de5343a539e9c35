package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/regionsim/regionsim/scenarios"
)

// WriteResult renders r in format f to w. The output is built in memory and
// written with one Write, so w sees either all of it or an error, but for
// JSON with spliceLeasesMin lease events or more: that document is checked
// whole first (if it cannot be encoded, nothing is written), then written
// in several writes, its lease list encoded as it goes (encodeRunJSON); a
// writer that fails midway has been given part of it.
//
// Table, CSV and Markdown omit r.WallSeconds, so runs with the same seed
// render byte-identically; JSON is a RunDocument: the Header, every field
// of r (nil lists written as [] and nil phase maps as {}) and r.Resolved. Table and Markdown print latencies with
// two decimals below 10 ms and one from 10 ms ("-" for a Stat with no
// requests), and summarise the faults (per fault and table locality, see
// scenarios.Result.FaultImpacts), the unavailability and lease lists when
// they are non-empty; the timeline is in JSON only. CSV holds only the stats, floats
// in full precision (the shortest decimal that parses back to the same
// float64, never an exponent).
//
// An error wraps ErrUnknownFormat for an unknown f, or reports a nil r, a
// value JSON cannot encode (NaN or ±Inf) or the writer's failure.
func WriteResult(w io.Writer, r *scenarios.Result, f Format) error {
	if r == nil {
		return errors.New("report: nil result")
	}
	var b bytes.Buffer
	switch f {
	case Table:
		writeResultTable(&b, r)
	case CSV:
		if err := writeResultCSV(&b, r); err != nil {
			return err
		}
	case JSON:
		return encodeRunJSON(w, runDocument(r))
	case Markdown:
		writeResultMarkdown(&b, r, 2, resultTitle(r))
	default:
		return formatError(string(f))
	}
	return write(w, &b)
}

func write(w io.Writer, b *bytes.Buffer) error {
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("report: write: %w", err)
	}
	return nil
}

// encodeJSON writes v to w as JSON (indented by two spaces when indent,
// else on one line), HTML characters unescaped, with a trailing newline, in
// one Write. The encoder builds the whole document in its own buffer and
// writes only once it is complete, so w sees all of it or nothing, as with
// write; going straight to w spares a second copy of the document (a run
// with 100,000 ranges per table lists 300,000 lease events, 64 MB of JSON).
func encodeJSON(w io.Writer, v any, indent bool) error {
	ew := errWriter{w: w}
	enc := json.NewEncoder(&ew)
	if indent {
		enc.SetIndent("", "  ")
	}
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		if ew.err != nil {
			return fmt.Errorf("report: write: %w", ew.err)
		}
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}

// A lease list of a document, empty, reads as its key at the start of a
// line, indented as encodeJSON indents it, and "[]": two spaces in a run
// document (a key of the top-level object), six in the runs of compare
// and seeds documents (runsIndent: a key of an object in the top-level
// "runs" list). A line break cannot occur inside a JSON string, so
// nothing else in a document matches it, but another list of the same
// key and depth would: spliceLeases checks that the key occurs once per
// list.
const (
	topIndent  = "  "
	runsIndent = "      "
)

// spliceLeasesMin is the number of lease events, in all of a document's
// lists, from which the document's lists are spliced (spliceLeases).
const spliceLeasesMin = 1024

// encodeRunJSON writes d as encodeJSON(w, d, true) does, the same bytes
// (or, for a document with several values JSON cannot encode, an error
// that may name another of them; nothing is written either way), without
// holding a long lease list as JSON: a run of 100,000 ranges per table
// lists 300,000 lease events (each range's initial lease), 64 MB of the
// document, and the encoder would build the whole document compact, then
// indented, before writing it (docs/decisions.md, "JSON without a third
// copy" and "The lease list streamed").
func encodeRunJSON(w io.Writer, d RunDocument) error {
	lists := [][]scenarios.LeaseEvent{d.Leases}
	return encodeSpliced(w, &d, lists, topIndent, func(empty bool) {
		if lists[0] == nil {
			return // written as null, not spliced
		}
		if empty {
			d.Leases = []scenarios.LeaseEvent{}
		} else {
			d.Leases = lists[0]
		}
	})
}

// encodeRunsJSON is encodeRunJSON for a document d (a pointer) with a
// top-level "runs" list of results (compare and seeds documents): runs
// is that list, which must be the document's own (a copy of the caller's
// results), and its lease lists are spliced.
func encodeRunsJSON(w io.Writer, d any, runs []scenarios.Result) error {
	lists := make([][]scenarios.LeaseEvent, len(runs)) // nil where a run's is
	for i := range runs {
		lists[i] = runs[i].Leases
	}
	return encodeSpliced(w, d, lists, runsIndent, func(empty bool) {
		for i := range runs {
			switch {
			case lists[i] == nil: // written as null, not spliced
			case empty:
				runs[i].Leases = []scenarios.LeaseEvent{}
			default:
				runs[i].Leases = lists[i]
			}
		}
	})
}

// encodeSpliced writes d as encodeJSON(w, d, true) does. From
// spliceLeasesMin events in lists (d's lease lists, in document order,
// each's key at indent) on, it encodes d with those lists empty (set(true)
// empties them, set(false) puts them back) and splices the events into
// it as it writes it (spliceLeases); if the empty lists are not where
// they belong (the document's layout changed), it uses the encoder, which
// is always right.
func encodeSpliced(w io.Writer, d any, lists [][]scenarios.LeaseEvent, indent string, set func(empty bool)) error {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	if n < spliceLeasesMin {
		return encodeJSON(w, d, true)
	}
	set(true)
	ok, err := spliceLeases(w, d, lists, indent)
	set(false)
	if err != nil || ok {
		return err
	}
	return encodeJSON(w, d, true)
}

// spliceLeases writes doc to w indented as encodeJSON indents it, with
// lists[i] encoded one event at a time into doc's i-th empty lease list
// (at indent; a nil list is not one: the encoder writes it as null): the
// events go out through a buffer of spliceBuffer bytes, the parts of the
// document between the lists (held encoded anyway) in a write each. It
// writes nothing and returns false if doc's empty lease lists are not
// found once per list that is not nil, and writes nothing and returns the
// encoder's error if the rest of the document, or an event, cannot be
// encoded. An event's one value JSON refuses is a time that is
// not finite (its other fields are strings and an int), so the times are
// checked before anything is written.
func spliceLeases(w io.Writer, doc any, lists [][]scenarios.LeaseEvent, indent string) (bool, error) {
	var rest bytes.Buffer
	if err := encodeTo(&rest, doc, "", "  "); err != nil {
		return false, err
	}
	b := rest.Bytes()
	key := []byte("\n" + indent + `"leases": []`)
	spliced := 0
	for _, l := range lists {
		if l != nil {
			spliced++
		}
	}
	if bytes.Count(b, key) != spliced {
		return false, nil
	}
	for _, l := range lists {
		for i := range l {
			if t := l[i].TS; math.IsNaN(t) || math.IsInf(t, 0) {
				_, err := json.Marshal(l[i]) // the encoder's own error
				return false, fmt.Errorf("report: json: %w", err)
			}
		}
	}
	bw := bufio.NewWriterSize(w, spliceBuffer)
	le := leaseEncoder{item: indent + "  "}
	var ev []byte
	for _, l := range lists {
		if l == nil {
			continue
		}
		at := bytes.Index(b, key) + len(key) - 1 // the list's closing bracket
		bw.Write(b[:at])
		b = b[at:]
		for i := range l {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n" + le.item)
			ev = le.append(ev[:0], &l[i])
			bw.Write(ev)
		}
		if len(l) > 0 {
			bw.WriteString("\n" + indent)
		}
	}
	bw.Write(b)
	if err := bw.Flush(); err != nil {
		return false, fmt.Errorf("report: write: %w", err)
	}
	return true, nil
}

// spliceBuffer is the size of the writes of a spliced lease list.
const spliceBuffer = 256 << 10

// leaseEncoder writes lease events as the encoder writes them inside a
// document's lease list (indent "  ", each event's line starting at
// item, HTML characters unescaped), byte for byte
// (TestSpliceLeasesIsTheEncoders), in a tenth of its time:
// encoding/json took 0.22 s for the 300,000 events of a run with 100,000
// ranges per table. Each distinct name is quoted by the encoder once.
type leaseEncoder struct {
	item   string
	quoted map[string][]byte
}

// append appends e, without a line break after it, to b.
func (le *leaseEncoder) append(b []byte, e *scenarios.LeaseEvent) []byte {
	field := func(key string) {
		b = append(b, ",\n"...)
		b = append(b, le.item...)
		b = append(b, `  "`...)
		b = append(b, key...)
		b = append(b, `": `...)
	}
	b = append(b, "{\n"...)
	b = append(b, le.item...)
	b = append(b, `  "t_s": `...)
	b = appendJSONFloat(b, e.TS)
	field("range")
	b = strconv.AppendInt(b, int64(e.Range), 10)
	for _, f := range [...]struct{ key, v string }{
		{"table", e.Table}, {"region", e.Region}, {"zone", e.Zone},
		{"from_region", e.FromRegion}, {"from_zone", e.FromZone}, {"reason", e.Reason},
	} {
		field(f.key)
		b = append(b, le.quote(f.v)...)
	}
	b = append(b, '\n')
	b = append(b, le.item...)
	return append(b, '}')
}

// quote returns s as a JSON string, as the encoder writes it with HTML
// characters unescaped.
func (le *leaseEncoder) quote(s string) []byte {
	if q, ok := le.quoted[s]; ok {
		return q
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	q := bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
	if le.quoted == nil {
		le.quoted = map[string][]byte{}
	}
	le.quoted[s] = q
	return q
}

// appendJSONFloat appends finite f as encoding/json writes a float64: the
// shortest decimal that reads back as f, in exponent form below 1e-6 or
// from 1e21 in magnitude, with an exponent of one digit written without
// its leading zero (e-7, not e-07).
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// encodeTo appends v's JSON to b, each line after the first prefixed by
// prefix and indented by indent, HTML characters unescaped, with a
// trailing newline.
func encodeTo(b *bytes.Buffer, v any, prefix, indent string) error {
	enc := json.NewEncoder(b)
	enc.SetIndent(prefix, indent)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}

// errWriter passes writes to w and keeps the first error, so that
// encodeJSON can tell a failed write from a value JSON cannot encode.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// normalised returns a shallow copy of r whose nil lists are empty and whose
// nil phase maps are empty, so that JSON shows [] and {} rather than null.
// r is not modified.
func normalised(r *scenarios.Result) scenarios.Result {
	out := *r
	if out.Stats == nil {
		out.Stats = []scenarios.Stat{}
	}
	if out.Unavailability == nil {
		out.Unavailability = []scenarios.Unavailability{}
	} else {
		// A copy that stays a list when r's is empty (append to nil would
		// give nil: null in JSON).
		out.Unavailability = make([]scenarios.Unavailability, len(r.Unavailability))
		copy(out.Unavailability, r.Unavailability)
		for i := range out.Unavailability {
			if out.Unavailability[i].Phases == nil {
				out.Unavailability[i].Phases = map[string]float64{}
			}
		}
	}
	if out.Leases == nil {
		out.Leases = []scenarios.LeaseEvent{}
	}
	if out.Timeline == nil {
		out.Timeline = []scenarios.TimelinePoint{}
	}
	if out.TimelineCompleted == nil {
		out.TimelineCompleted = []scenarios.TimelinePoint{}
	}
	if out.Regions == nil {
		out.Regions = []string{}
	}
	if out.RTTMs == nil {
		out.RTTMs = [][]float64{}
	}
	if out.Faults == nil {
		out.Faults = []scenarios.FaultWindow{}
	}
	if out.Tables == nil {
		out.Tables = []scenarios.TableInfo{}
	}
	if out.LeaseShare == nil {
		out.LeaseShare = []scenarios.LeaseSharePoint{}
	}
	if out.LeaseTransfers == nil {
		out.LeaseTransfers = []scenarios.LeaseTransferStat{}
	}
	if out.Replacements == nil {
		out.Replacements = []scenarios.Replacement{}
	}
	if out.Impact == nil {
		out.Impact = []scenarios.ClientImpact{}
	}
	if out.NodeLoad == nil {
		out.NodeLoad = []scenarios.NodeLoad{}
	}
	if out.RegionLoad == nil {
		out.RegionLoad = []scenarios.RegionLoad{}
	}
	if out.LoadTimeline == nil {
		out.LoadTimeline = []scenarios.LoadPoint{}
	}
	if out.Verdicts == nil {
		out.Verdicts = []scenarios.FaultVerdict{}
	} else {
		out.Verdicts = slices.Clone(r.Verdicts)
		for i := range out.Verdicts {
			if out.Verdicts[i].Failed == nil {
				out.Verdicts[i].Failed = []string{}
			}
		}
	}
	return out
}

// resultCSVHeader is the CSV header of WriteResult.
var resultCSVHeader = []string{
	"scenario", "seed", "survival", "crdb_version",
	"table", "locality", "op", "client_region", "count", "errors",
	"mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "ambiguous",
	"staleness_p50_s", "staleness_p99_s", "app_p50_ms", "app_p99_ms",
}

// expectedCSVHeader are the closed form's columns of WriteResult's CSV,
// after resultCSVHeader's.
var expectedCSVHeader = []string{"expected_ms", "departs"}

// statCells returns the count, errors and latency cells of s in CSV order
// (count, errors, mean, p50, p90, p99, p99.9, max, ambiguous, staleness p50
// and p99, application p50 and p99), floats in full precision. The
// ambiguous errors, the staleness (empty unless s has one: stale and
// bounded reads) and the application latency (empty without an app tier)
// come last so that older readers of the columns before them are
// unaffected.
func statCells(s *scenarios.Stat) []string {
	p50, p99 := "", ""
	if st := s.Staleness; st != nil {
		p50, p99 = fmtFull(st.P50S), fmtFull(st.P99S)
	}
	app50, app99 := "", ""
	if a := s.App; a != nil {
		app50, app99 = fmtFull(a.P50Ms), fmtFull(a.P99Ms)
	}
	return []string{
		fmtUint(s.Count), fmtUint(s.Errors),
		fmtFull(s.MeanMs), fmtFull(s.P50Ms), fmtFull(s.P90Ms),
		fmtFull(s.P99Ms), fmtFull(s.P999Ms), fmtFull(s.MaxMs), fmtUint(s.Ambiguous),
		p50, p99, app50, app99,
	}
}

// expectedCells returns the closed form's cells of s (expectedCSVHeader):
// the expected median in full precision (0 when s has none) and "!" when
// the p50 departs from it (Stat.Departs), else empty. They come after
// statCells' so that older readers of those columns are unaffected.
func expectedCells(s *scenarios.Stat) []string {
	return []string{fmtFull(s.ExpectedMs), departsMark(s)}
}

// departsMark is the flag of a Stat whose p50 departs from the closed
// form: "!", or "" when it does not.
func departsMark(s *scenarios.Stat) string {
	if s.Departs {
		return "!"
	}
	return ""
}

// departsNote explains the flag under a latency table that shows one.
const departsNote = "! p50 outside what jitter explains around the closed form's expected ms (a fault, contention, or a lease moved from its initial place)"

// errorsCell is the errors cell of a table: the count, and how many of them
// are ambiguous when some are.
func errorsCell(s *scenarios.Stat) string {
	if s.Ambiguous > 0 {
		return fmt.Sprintf("%d (%d ambiguous)", s.Errors, s.Ambiguous)
	}
	return fmtUint(s.Errors)
}

func writeResultCSV(b *bytes.Buffer, r *scenarios.Result) error {
	cw := csv.NewWriter(b)
	_ = cw.Write(slices.Concat(resultCSVHeader, expectedCSVHeader)) // errors are kept by cw and read at the end
	for i := range r.Stats {
		s := &r.Stats[i]
		row := []string{r.Scenario, fmtUint(r.Seed), r.Survival, r.CRDBVersion,
			s.Table, s.Locality, s.Op, s.ClientRegion}
		_ = cw.Write(slices.Concat(row, statCells(s), expectedCells(s)))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

// runParams returns the run parameters of the table header block, in
// order, wall time excluded.
func runParams(r *scenarios.Result) [][2]string {
	return [][2]string{
		{"scenario", orDash(r.Scenario)},
		{"seed", fmtUint(r.Seed)},
		{"survival", orDash(r.Survival)},
		{"crdb version", orDash(r.CRDBVersion)},
		{"rtt", orDash(r.RTT)},
		{"max offset", fmtNum(r.MaxOffsetMs) + " ms"},
		{"simulated", fmtNum(r.SimulatedSeconds) + " s measured, after " + fmtNum(r.WarmupSeconds) + " s warmup"},
		{"requests", fmtUint(r.Requests)},
		{"events", fmtUint(r.Events)},
	}
}

// statColumns are the columns of the latency table.
var statColumns = []column{
	{"table", left}, {"locality", left}, {"op", left}, {"client region", left},
	{"count", right}, {"errors", right},
	{"mean ms", right}, {"p50 ms", right}, {"expected ms", right}, {"p90 ms", right},
	{"p99 ms", right}, {"p99.9 ms", right}, {"max ms", right},
}

// latencyCells returns the mean, p50, expected, p90, p99, p99.9 and max
// cells of s for a table; all "-" when s counted no requests. The expected
// cell is the closed form's median ("-" when the Stat has none), followed
// by " !" when the p50 departs from it.
func latencyCells(s *scenarios.Stat) []string {
	if s.Count == 0 {
		return []string{"-", "-", "-", "-", "-", "-", "-"}
	}
	expected := "-"
	if s.ExpectedMs > 0 {
		expected = fmtMs(s.ExpectedMs)
		if s.Departs {
			expected += " !"
		}
	}
	return []string{fmtMs(s.MeanMs), fmtMs(s.P50Ms), expected, fmtMs(s.P90Ms),
		fmtMs(s.P99Ms), fmtMs(s.P999Ms), fmtMs(s.MaxMs)}
}

// anyDeparts reports whether a Stat of stats departs from the closed form.
func anyDeparts(stats []scenarios.Stat) bool {
	return slices.ContainsFunc(stats, func(s scenarios.Stat) bool { return s.Departs && s.Count > 0 })
}

// statGrid returns the latency table of stats. With grouped set (plain
// text), the table and locality are printed on the first row of each table
// only and tables are separated by a blank line; Markdown repeats them.
func statGrid(stats []scenarios.Stat, grouped bool) *grid {
	g := &grid{cols: statColumns}
	for i := range stats {
		s := &stats[i]
		table, locality := s.Table, s.Locality
		if grouped && i > 0 {
			prev := &stats[i-1]
			if s.Table != prev.Table {
				g.gap()
			} else if s.Locality == prev.Locality {
				table, locality = "", ""
			}
		}
		row := []string{table, locality, s.Op, s.ClientRegion, fmtUint(s.Count), errorsCell(s)}
		g.add(append(row, latencyCells(s)...)...)
	}
	return g
}

func writeResultTable(b *bytes.Buffer, r *scenarios.Result) {
	writeKV(b, runParams(r))
	b.WriteByte('\n')
	if len(r.Stats) == 0 {
		b.WriteString("no requests measured\n")
	} else {
		statGrid(r.Stats, true).writeText(b)
		if anyDeparts(r.Stats) {
			b.WriteString(departsNote + "\n")
		}
	}
	for _, w := range underReplicatedWarnings(r) {
		b.WriteString(w + "\n")
	}
	for _, s := range detailSections(r) {
		b.WriteByte('\n')
		s.writeText(b)
	}
}

// resultTitle is the Markdown heading of a result.
func resultTitle(r *scenarios.Result) string {
	return fmt.Sprintf("%s (seed %d, survival %s)", orDash(r.Scenario), r.Seed, orDash(r.Survival))
}

// paramLine is the Markdown line of run parameters under the heading.
func paramLine(r *scenarios.Result) string {
	return fmt.Sprintf("CockroachDB %s, RTT %s, max offset %s ms, %s s simulated after %s s warmup, %d requests, %d events.",
		orDash(r.CRDBVersion), orDash(r.RTT), fmtNum(r.MaxOffsetMs),
		fmtNum(r.SimulatedSeconds), fmtNum(r.WarmupSeconds), r.Requests, r.Events)
}

// writeResultMarkdown writes r as Markdown under a heading of the given
// level (2 for "##") and title; its sections use the next level.
func writeResultMarkdown(b *bytes.Buffer, r *scenarios.Result, level int, title string) {
	fmt.Fprintf(b, "%s %s\n\n", strings.Repeat("#", level), mdEscapeLine(title))
	b.WriteString(mdEscapeLine(paramLine(r)))
	b.WriteString("\n\n")
	if len(r.Stats) == 0 {
		b.WriteString("No requests measured.\n")
	} else {
		statGrid(r.Stats, false).writeMarkdown(b)
		if anyDeparts(r.Stats) {
			b.WriteString("\n" + mdEscapeLine(departsNote) + "\n")
		}
	}
	for _, w := range underReplicatedWarnings(r) {
		b.WriteString("\n" + mdEscapeLine(capitalise(w)) + "\n")
	}
	for _, s := range detailSections(r) {
		b.WriteByte('\n')
		s.writeMarkdown(b, level+1)
	}
}

// underReplicatedWarnings is one line per table of r that has
// under-replicated ranges (TableInfo.UnderReplicated).
func underReplicatedWarnings(r *scenarios.Result) []string {
	var out []string
	for _, t := range r.Tables {
		if t.UnderReplicated != "" {
			out = append(out, fmt.Sprintf("warning: table %s under-replicated: %s", t.Name, t.UnderReplicated))
		}
	}
	return out
}

// mdEscapeLine folds line breaks in s so that it stays one Markdown line.
func mdEscapeLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
